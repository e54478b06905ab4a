/*
 * metrics.c: GET /metrics on tallyd's local API (and on metrics-listen):
 * the daemon's figures in the Prometheus text format, read at each
 * scrape from the store (batches by state, the oldest batch not yet
 * acknowledged) and from the syncer (last contact, bytes on the wire).
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/httpd.h"
#include "common/prom.h"
#include "daemon/store.h"
#include "daemon/tallyd.h"

#define METRICS_MAX	(16 * 1024)	/* body cap */

/* The state labels, by enum tly_dstate. */
static const char *const state_names[TLY_DSTATE_N] = {
	"sealed", "sent", "acknowledged", "rejected"
};

/* The oldest sealing time of an own batch still to deliver. */
static int
oldest_unacked(void *arg, const struct tly_dstore_info *info)
{
	uint64_t	*oldest = arg;

	if ((info->state == TLY_DSTATE_SEALED ||
	    info->state == TLY_DSTATE_SENT) &&
	    (*oldest == 0 || info->created < *oldest))
		*oldest = info->created;
	return 0;
}

/* Append a gauge family of batches (or records) by state for kind. */
static int
by_state(struct tly_buf *b, const char *name, const char *kind,
    const uint64_t v[TLY_DSTATE_N])
{
	int	i, r;

	for (i = 0; i < TLY_DSTATE_N; i++)
		if ((r = tly_buf_addf(b, "%s{kind=\"%s\",state=\"%s\"} %llu\n",
		    name, kind, state_names[i], (unsigned long long)v[i])) !=
		    TLY_OK)
			return r;
	return TLY_OK;
}

/* Append one unlabelled sample after its HELP and TYPE lines. */
static int
sample(struct tly_buf *b, const char *name, const char *type,
    const char *help, long long v)
{
	int	r;

	if ((r = tly_prom_head(b, name, type, help)) != TLY_OK)
		return r;
	return tly_buf_addf(b, "%s %lld\n", name, v);
}

/* Write the whole exposition into b. */
static int
metrics_text(struct tallyd *d, struct tly_buf *b)
{
	struct tly_dsync_status	st;
	uint64_t		own[TLY_DSTATE_N], relayed[TLY_DSTATE_N];
	uint64_t		records[TLY_DSTATE_N], oldest = 0;
	int64_t			now = (int64_t)time(NULL), age;
	int			r;

	memset(&st, 0, sizeof(st));
	st.last_contact = st.last_proven = -1;
	if (d->sync != NULL)
		tly_dsync_get_status(d->sync, &st);
	if ((r = tly_dstore_counts(d->store, own)) != TLY_OK ||
	    (r = tly_dstore_relay_counts(d->store, relayed)) != TLY_OK ||
	    (r = tly_dstore_record_counts(d->store, records)) != TLY_OK ||
	    (r = tly_dstore_foreach_batch(d->store, oldest_unacked,
	    &oldest)) != TLY_OK)
		return r;
	age = oldest == 0 || (int64_t)oldest > now ? 0 :
	    now - (int64_t)oldest;
	if ((r = tly_prom_head(b, "tally_tallyd_batches", "gauge",
	    "Batches held, own or relayed, by delivery state.")) != TLY_OK ||
	    (r = by_state(b, "tally_tallyd_batches", "own", own)) != TLY_OK ||
	    (r = by_state(b, "tally_tallyd_batches", "relayed", relayed)) !=
	    TLY_OK ||
	    (r = tly_prom_head(b, "tally_tallyd_records", "gauge",
	    "Records of own batches, by the state of their batch.")) !=
	    TLY_OK ||
	    (r = by_state(b, "tally_tallyd_records", "own", records)) !=
	    TLY_OK ||
	    (r = sample(b, "tally_tallyd_oldest_unacked_age_seconds", "gauge",
	    "Age of the oldest own batch not yet acknowledged (0: none).",
	    age)) != TLY_OK ||
	    (r = sample(b, "tally_tallyd_last_contact_timestamp_seconds",
	    "gauge", "When the central last answered (0: never).",
	    st.last_contact < 0 ? 0 : st.last_contact)) != TLY_OK ||
	    (r = sample(b, "tally_tallyd_last_proven_timestamp_seconds",
	    "gauge", "When an answer last proved to be the central's "
	    "(0: never).", st.last_proven < 0 ? 0 : st.last_proven)) !=
	    TLY_OK ||
	    (r = sample(b, "tally_tallyd_failing", "gauge", "1 while "
	    "delivery is failing (see tally status).",
	    st.last_error[0] != '\0')) != TLY_OK ||
	    (r = tly_prom_head(b, "tally_tallyd_wire_bytes_total", "counter",
	    "Bytes sent to and received from the central.")) != TLY_OK)
		return r;
	return tly_buf_addf(b, "tally_tallyd_wire_bytes_total"
	    "{direction=\"up\"} %llu\ntally_tallyd_wire_bytes_total"
	    "{direction=\"down\"} %llu\n", (unsigned long long)st.wire_up,
	    (unsigned long long)st.wire_down);
}

void
tly_dapi_get_metrics(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_buf	b = TLY_BUF_INIT(METRICS_MAX);

	if (metrics_text(arg, &b) != TLY_OK) {
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		tly_buf_free(&b);
		return;
	}
	tly_buf_free(&resp->body);
	resp->body = b;			/* transferred */
	resp->status = 200;
	resp->content_type = TLY_PROM_CTYPE;
}

void
tly_dmetrics_handle(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	static const struct tly_route routes[] = {
		{ "GET", "/metrics", tly_dapi_get_metrics },
	};

	tly_route_dispatch(routes, 1, arg, req, resp);
}
