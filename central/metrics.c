/*
 * metrics.c: GET /metrics, the central's figures in the Prometheus text
 * format: what became of the uploaded batches (counters kept by
 * ingest.c through tly_central_metrics_entry()), the latency of uploads
 * and of results queries, and the store's counts, size and feed
 * position read at each scrape.
 */
#include <stdatomic.h>
#include <string.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/log.h"
#include "common/prom.h"

#define METRICS_MAX	(64 * 1024)	/* body cap */
#define NCODES		(-TLY_E_MAX_)	/* rejection codes by -err */

/* The outcomes of an entry of POST /v1/batches, as labels. */
static const char *const outcome_names[TLY_CM_OUTCOMES] = {
	[TLY_CM_APPLIED] = "applied",
	[TLY_CM_PENDING] = "pending",
	[TLY_CM_EQUIVOCATION] = "equivocation",
	[TLY_CM_DUPLICATE] = "duplicate",
	[TLY_CM_REJECTED] = "rejected",
};

/* Requests refused on their headers or by the guard, as labels. */
static const char *const refused_names[2] = { "too_large", "rate_limited" };

/* The counters: one central per process. */
static struct {
	atomic_uint_fast64_t	batches[TLY_CM_OUTCOMES];
	atomic_uint_fast64_t	records[TLY_CM_OUTCOMES];
	atomic_uint_fast64_t	rejected[NCODES];	/* by -err */
	atomic_uint_fast64_t	commits;	/* group commits */
	atomic_uint_fast64_t	committed;	/* requests in them */
	atomic_uint_fast64_t	writer_ns;	/* their wall time */
	atomic_uint_fast64_t	writer_cpu_ns;	/* the writer's CPU time */
	atomic_uint_fast64_t	refused[2];	/* 413, 429 (refused_names) */
	struct tly_prom_hist	ingest;		/* POST /v1/batches */
	struct tly_prom_hist	results;	/* GET /v1/results... */
} cm;

void
tly_central_metrics_entry(enum tly_cm_outcome o, int err, size_t nrecords)
{
	if ((unsigned)o >= TLY_CM_OUTCOMES)
		return;
	atomic_fetch_add(&cm.batches[o], 1);
	atomic_fetch_add(&cm.records[o], nrecords);
	if (o == TLY_CM_REJECTED && err < 0 && -err < NCODES)
		atomic_fetch_add(&cm.rejected[-err], 1);
}

void
tly_central_metrics_commit(size_t nrequests, uint64_t wall_ns, uint64_t cpu_ns)
{
	atomic_fetch_add(&cm.commits, 1);
	atomic_fetch_add(&cm.committed, nrequests);
	atomic_fetch_add(&cm.writer_ns, wall_ns);
	atomic_fetch_add(&cm.writer_cpu_ns, cpu_ns);
}

void
tly_central_metrics_refused(int status)
{
	atomic_fetch_add(&cm.refused[status == 429], 1);
}

void
tly_central_metrics_request(const struct tly_http_req *req, double seconds)
{
	if (strcmp(req->method, "POST") == 0 &&
	    strcmp(req->path, "/v1/batches") == 0)
		tly_prom_observe(&cm.ingest, seconds);
	else if (strncmp(req->path, "/v1/results", 11) == 0 &&
	    (req->path[11] == '\0' || req->path[11] == '/'))
		tly_prom_observe(&cm.results, seconds);
}

/* Append one labelled counter family of n values. */
static int
counter_family(struct tly_buf *b, const char *name, const char *help,
    const char *label, const char *const *names,
    const atomic_uint_fast64_t *v, size_t n)
{
	size_t	i;
	int	r;

	if ((r = tly_prom_head(b, name, "counter", help)) != TLY_OK)
		return r;
	for (i = 0; i < n; i++)
		if ((r = tly_buf_addf(b, "%s{%s=\"%s\"} %llu\n", name, label,
		    names[i], (unsigned long long)atomic_load(&v[i]))) !=
		    TLY_OK)
			return r;
	return TLY_OK;
}

/* Append the rejections by code: every code seen, and "ok" never. */
static int
rejected_family(struct tly_buf *b)
{
	uint64_t	n;
	int		i, r;

	if ((r = tly_prom_head(b, "tally_central_rejected_total", "counter",
	    "Batches rejected since start, by rejection code (PROTOCOL.md "
	    "10).")) != TLY_OK)
		return r;
	for (i = 1; i < NCODES; i++) {
		if ((n = atomic_load(&cm.rejected[i])) == 0)
			continue;
		if ((r = tly_buf_addf(b, "tally_central_rejected_total"
		    "{code=\"%s\"} %llu\n", tly_err_code(-i),
		    (unsigned long long)n)) != TLY_OK)
			return r;
	}
	return TLY_OK;
}

/* Append one unlabelled metric of type (counter, gauge). */
static int
single(struct tly_buf *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	int	r;

	if ((r = tly_prom_head(b, name, type, help)) != TLY_OK)
		return r;
	return tly_buf_addf(b, "%s %llu\n", name, (unsigned long long)v);
}

#define counter(b, name, help, v)	single(b, name, "counter", help, v)
#define gauge(b, name, help, v)		single(b, name, "gauge", help, v)

/* Append seconds counted in nanoseconds as a counter. */
static int
seconds(struct tly_buf *b, const char *name, const char *help, uint64_t ns)
{
	int	r;

	if ((r = tly_prom_head(b, name, "counter", help)) != TLY_OK)
		return r;
	return tly_buf_addf(b, "%s %llu.%09llu\n", name,
	    (unsigned long long)(ns / 1000000000),
	    (unsigned long long)(ns % 1000000000));
}

/*
 * Append the upload writer's figures: a writer busy close to one second
 * per second is the limit of ingest (PROTOCOL.md 8.1, group commit).
 */
static int
writer_counters(struct tly_buf *b)
{
	int	r;

	if ((r = counter(b, "tally_central_commits_total", "Group commits "
	    "of the upload writer (one transaction each).",
	    atomic_load(&cm.commits))) != TLY_OK ||
	    (r = counter(b, "tally_central_committed_uploads_total",
	    "Uploads applied by those commits.",
	    atomic_load(&cm.committed))) != TLY_OK ||
	    (r = seconds(b, "tally_central_writer_seconds_total", "Wall time "
	    "the upload writer spent applying and committing.",
	    atomic_load(&cm.writer_ns))) != TLY_OK)
		return r;
	return seconds(b, "tally_central_writer_cpu_seconds_total", "CPU "
	    "time of the upload writer's thread while it did.",
	    atomic_load(&cm.writer_cpu_ns));
}

/* Append the store's figures. */
static int
store_gauges(struct tly_buf *b, const struct tly_cstore_metrics *m)
{
	int	r;

	if ((r = gauge(b, "tally_central_held_batches", "Batches held in "
	    "the store.", m->batches)) != TLY_OK ||
	    (r = gauge(b, "tally_central_applied_batches", "Held batches in "
	    "applied chains.", m->applied)) != TLY_OK ||
	    (r = gauge(b, "tally_central_pending_batches", "Held batches not "
	    "applied (waiting for an earlier one, or forked).",
	    m->batches - m->applied)) != TLY_OK ||
	    (r = gauge(b, "tally_central_devices", "Devices with a held "
	    "batch.", m->devices)) != TLY_OK ||
	    (r = gauge(b, "tally_central_frozen_devices", "Devices frozen "
	    "by an equivocation.", m->frozen)) != TLY_OK ||
	    (r = gauge(b, "tally_central_equivocation_proofs", "Equivocation "
	    "proofs held.", m->evidence)) != TLY_OK ||
	    (r = gauge(b, "tally_central_rejection_log_rows", "Rows in the "
	    "rejection log.", m->rejections)) != TLY_OK ||
	    (r = gauge(b, "tally_central_feed_position", "The last position "
	    "of the audit feed (GET /v1/feed).", m->feed_pos)) != TLY_OK)
		return r;
	if ((r = counter(b, "tally_central_wal_syncs_total", "Syncs of the "
	    "store's write-ahead log: every upload is answered after one.",
	    m->syncs)) != TLY_OK ||
	    (r = counter(b, "tally_central_checkpoints_total", "Checkpoints "
	    "of the write-ahead log into the database file.",
	    m->checkpoints)) != TLY_OK)
		return r;
	return gauge(b, "tally_central_store_bytes", "Size of the database "
	    "(pages times page size).", m->bytes);
}

void
tly_central_get_metrics(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central		*c = arg;
	struct tly_cstore_metrics	 m;
	struct tly_buf			 b = TLY_BUF_INIT(METRICS_MAX);
	int				 r;

	if ((r = tly_cstore_metrics(c->store, &m)) != TLY_OK) {
		tly_log_error("metrics: %s: %s", tly_strerror(r),
		    tly_errdetail());
		tly_http_resp_error(resp, 500, "internal", "the central "
		    "failed");
		goto out;
	}
	if ((r = counter_family(&b, "tally_central_batches_total",
	    "Batches uploaded since start, by outcome.", "outcome",
	    outcome_names, cm.batches, TLY_CM_OUTCOMES)) != TLY_OK ||
	    (r = counter_family(&b, "tally_central_records_total",
	    "Records in the batches uploaded since start, by outcome "
	    "(newly stored batches only).", "outcome", outcome_names,
	    cm.records, TLY_CM_EQUIVOCATION + 1)) != TLY_OK ||
	    (r = rejected_family(&b)) != TLY_OK ||
	    (r = writer_counters(&b)) != TLY_OK ||
	    (r = counter_family(&b, "tally_central_refused_total",
	    "Requests answered 413 too_large on their headers or 429 "
	    "rate_limited (PROTOCOL.md 8.5), by code.", "code",
	    refused_names, cm.refused, 2)) != TLY_OK ||
	    (r = tly_prom_hist(&b, "tally_central_ingest_seconds",
	    "Time to answer POST /v1/batches.", &cm.ingest)) != TLY_OK ||
	    (r = tly_prom_hist(&b, "tally_central_results_seconds",
	    "Time to answer GET /v1/results and below.", &cm.results)) !=
	    TLY_OK ||
	    (r = store_gauges(&b, &m)) != TLY_OK) {
		tly_log_error("metrics: %s", tly_strerror(r));
		tly_http_resp_error(resp, 500, "internal", "the central "
		    "failed");
		goto out;
	}
	tly_buf_free(&resp->body);
	resp->body = b;
	tly_buf_init(&b, METRICS_MAX);		/* transferred */
	resp->status = 200;
	resp->content_type = TLY_PROM_CTYPE;
 out:
	tly_buf_free(&b);
}
