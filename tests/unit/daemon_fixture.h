/*
 * daemon_fixture.h: what the field daemon's delivery tests share: a
 * daemon without its local API (struct world, setup, teardown) and a
 * small fake central served in this process, on 127.0.0.1.
 *
 * The fake central stores every batch it is sent, signs receipts with
 * its own key, answers GET .../head and GET .../receipts, and can be
 * told to cut its answers, act as a captive portal, be busy, or stall.
 * It counts every entry it is sent twice, so the tests can show that
 * nothing the central already holds is sent again.  Each test program is
 * a single .c file, so the functions here are static inline: a program
 * uses what it needs.  main() frees C.key at the end.
 */
#ifndef TALLY_TESTS_DAEMON_FIXTURE_H
#define TALLY_TESTS_DAEMON_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "crypto/crypto.h"
#include "sync/api.h"
#include "sync/compress.h"
#include "sync/http.h"
#include "sync/wire.h"
#include "daemon/tallyd.h"

#define VEC		TLY_SRCDIR "/tests/vectors/"
#define HELD_MAX	64		/* batches the fake central keeps */
#define WAIT_S		30		/* bound on every wait */

/* One batch the fake central holds. */
struct held {
	uint8_t		device[TLY_PK_LEN];	/* its device */
	uint64_t	seq;			/* its seq */
	uint8_t		id[TLY_HASH_LEN];	/* its batch id */
	uint8_t		receipt[512];		/* the receipt issued */
	size_t		rlen;			/* bytes in it */
};

/* The fake central's state; every field is guarded by mu. */
static struct {
	pthread_mutex_t	 mu;		/* guards the rest */
	pthread_cond_t	 cv;		/* a request arrived, a stall ended */
	struct tly_key	*key;		/* the central's key */
	struct held	 h[HELD_MAX];	/* batches held */
	size_t		 n;		/* entries of h used */
	unsigned	 cut_posts;	/* store, then answer 502, this often */
	int		 portal;	/* answer everything with HTML */
	int		 busy;		/* answer 503 with Retry-After 120 */
	int		 stall;		/* hold POSTs until stall_release */
	int		 stall_release;	/* let held POSTs go */
	int		 stall_done;	/* a held POST returned */
	unsigned	 requests;	/* requests of any kind */
	unsigned	 posts;		/* POST /v1/batches */
	unsigned	 entries;	/* bundle entries received */
	unsigned	 dups;		/* entries received that were held */
	unsigned	 receipt_gets;	/* GET .../receipts */
	uint64_t	 order[HELD_MAX];	/* seqs in order of arrival */
	uint8_t		 order_dev[HELD_MAX];	/* first key byte of each */
	size_t		 norder;	/* entries of order used */
} C = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* One test's world: a daemon (without its API) and the fake central. */
struct world {
	char			 dir[64];	/* temp dir */
	char			 url[64];	/* the fake central's base URL */
	struct tly_httpd	*httpd;		/* the fake central */
	struct tallyd		 d;		/* the daemon */
	struct tly_record	 recs[5];	/* valid records to seal */
	size_t			 nrecs;		/* entries of recs */
};

/* Read a whole vector file into b. */
static inline void
read_vec(const char *name, struct tly_buf *b)
{
	char	path[256];

	snprintf(path, sizeof(path), VEC "%s", name);
	assert_int_equal(tly_buf_read_file(path, 1 << 20, b), TLY_OK);
}

/* Contiguous head of device dev at the fake central.  Holds C.mu. */
static inline uint64_t
fc_head_of(const uint8_t *dev)
{
	uint64_t	head = 0;
	size_t		i;
	int		found;

	do {
		found = 0;
		for (i = 0; i < C.n; i++)
			if (memcmp(C.h[i].device, dev, TLY_PK_LEN) == 0 &&
			    C.h[i].seq == head + 1) {
				head++;
				found = 1;
			}
	} while (found);
	return head;
}

/* Store (or find) batch b; *status says which.  Holds C.mu. */
static inline struct held *
fc_store(const struct tly_batch *b, const char **status)
{
	struct tly_receipt	 rc;
	struct tly_buf		 out = TLY_BUF_INIT(512);
	struct held		*h;
	size_t			 i;

	for (i = 0; i < C.n; i++)
		if (memcmp(C.h[i].id, b->id, TLY_HASH_LEN) == 0) {
			*status = "duplicate";
			C.dups++;
			return &C.h[i];
		}
	assert_true(C.n < HELD_MAX);
	*status = b->seq > fc_head_of(b->device) + 1 ? "pending" : "stored";
	h = &C.h[C.n++];
	memcpy(h->device, b->device, TLY_PK_LEN);
	h->seq = b->seq;
	memcpy(h->id, b->id, TLY_HASH_LEN);
	memset(&rc, 0, sizeof(rc));
	memcpy(rc.device, b->device, TLY_PK_LEN);
	rc.seq = b->seq;
	memcpy(rc.batch, b->id, TLY_HASH_LEN);
	rc.stored = 1700000000;
	assert_int_equal(tly_receipt_seal(C.key, &rc, &out), TLY_OK);
	memcpy(h->receipt, out.p, out.len);
	h->rlen = out.len;
	tly_buf_free(&out);
	return h;
}

/* POST /v1/batches of the fake central. */
static inline void
fc_post(const struct tly_http_req *req, struct tly_http_resp *resp)
{
	struct tly_buf			 raw = TLY_BUF_INIT(8 << 20);
	struct tly_bundle_reader	 rd;
	struct tly_batch		*b;
	struct tly_jw			 w;
	struct tly_api_result		 res;
	const struct held		*h;
	const uint8_t			*m, *body = req->body;
	const char			*status;
	size_t				 mlen, len = req->bodylen, index = 0;
	int				 cut;

	if (req->content_encoding != NULL) {
		assert_string_equal(req->content_encoding, "gzip");
		assert_int_equal(tly_gunzip(body, len, 8 << 20, &raw), TLY_OK);
		body = raw.p;
		len = raw.len;
	}
	assert_int_equal(tly_bundle_open(body, len, &rd), TLY_OK);
	tly_jw_init(&w, &resp->body);
	tly_api_results_begin(&w);
	pthread_mutex_lock(&C.mu);
	C.posts++;
	while (tly_bundle_next(&rd, &m, &mlen)) {
		assert_int_equal(tly_batch_parse(m, mlen, &b), TLY_OK);
		C.entries++;
		if (C.norder < HELD_MAX) {
			C.order[C.norder] = b->seq;
			C.order_dev[C.norder++] = b->device[0];
		}
		h = fc_store(b, &status);
		memset(&res, 0, sizeof(res));
		res.index = index++;
		assert_int_equal(tly_api_status_parse(status, &res.status),
		    TLY_OK);
		res.has_batch = res.has_device = 1;
		memcpy(res.batch, b->id, TLY_HASH_LEN);
		memcpy(res.device, b->device, TLY_PK_LEN);
		res.seq = b->seq;
		res.receipt = h->receipt;
		res.receipt_len = h->rlen;
		assert_int_equal(tly_api_result_write(&w, &res), TLY_OK);
		tly_batch_free(b);
	}
	cut = C.cut_posts > 0;
	if (cut)
		C.cut_posts--;
	pthread_mutex_unlock(&C.mu);
	tly_api_results_end(&w);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	tly_buf_free(&raw);
	if (cut) {
		/* Stored, but the answer is lost on the way (a proxy's 502). */
		tly_buf_reset(&resp->body);
		resp->status = 502;
		resp->content_type = "text/plain";
		assert_int_equal(tly_buf_add(&resp->body, "Bad Gateway", 11),
		    TLY_OK);
	}
}

/* GET /v1/devices/{key}/head and .../receipts of the fake central. */
static inline void
fc_device(const struct tly_http_req *req, struct tly_http_resp *resp)
{
	const char		*rest = req->path + strlen("/v1/devices/");
	const char		*from_s;
	struct tly_jw		 w;
	struct tly_api_head	 h;
	struct tly_api_receipts	 page;
	uint8_t			 dev[TLY_PK_LEN];
	uint64_t		 from, seq;
	size_t			 i;

	if (strlen(rest) < 2 * TLY_PK_LEN + 1 ||
	    tly_unhex(rest, 2 * TLY_PK_LEN, dev, TLY_PK_LEN) != TLY_OK) {
		tly_http_resp_error(resp, 400, "bad_request", "bad key");
		return;
	}
	rest += 2 * TLY_PK_LEN;
	tly_jw_init(&w, &resp->body);
	pthread_mutex_lock(&C.mu);
	if (strcmp(rest, "/head") == 0) {
		memset(&h, 0, sizeof(h));
		memcpy(h.device, dev, TLY_PK_LEN);
		h.head = fc_head_of(dev);	/* batch null: not needed */
		for (seq = h.head + 2; seq < h.head + HELD_MAX; seq++)
			for (i = 0; i < C.n; i++)
				if (C.h[i].seq == seq && memcmp(C.h[i].device,
				    dev, TLY_PK_LEN) == 0) {
					h.pending[h.npending++] = seq;
					break;
				}
		assert_int_equal(tly_api_head_write(&w, &h), TLY_OK);
	} else if (strcmp(rest, "/receipts") == 0) {
		C.receipt_gets++;
		from_s = tly_http_req_query(req, "from");
		from = from_s != NULL ? strtoull(from_s, NULL, 10) : 0;
		tly_api_receipts_init(&page, dev);
		/* In seq order: seqs are small, so look each one up. */
		for (seq = from; seq < from + HELD_MAX; seq++)
			for (i = 0; i < C.n; i++)
				if (C.h[i].seq == seq && memcmp(C.h[i].device,
				    dev, TLY_PK_LEN) == 0)
					assert_int_equal(tly_api_receipts_add(
					    &page, seq, C.h[i].id,
					    C.h[i].receipt, C.h[i].rlen),
					    TLY_OK);
		assert_int_equal(tly_api_receipts_write(&w, &page), TLY_OK);
		tly_api_receipts_finish(&page);
	} else {
		pthread_mutex_unlock(&C.mu);
		tly_http_resp_error(resp, 404, "not_found", "no such path");
		return;
	}
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
}

/* The fake central's handler. */
static inline void
fc_handle(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	static const char	 page[] = "<!DOCTYPE html><html><body>"
	    "<form>Accept the terms to use this hotspot</form></body></html>";
	struct timespec		 until;
	int			 portal, busy, stall;

	pthread_mutex_lock(&C.mu);
	C.requests++;
	pthread_cond_broadcast(&C.cv);
	portal = C.portal;
	busy = C.busy;
	stall = C.stall && strcmp(req->method, "POST") == 0;
	if (stall) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 60;	/* a bound; passing never reaches it */
		while (!C.stall_release)
			if (pthread_cond_timedwait(&C.cv, &C.mu, &until) ==
			    ETIMEDOUT)
				break;
		C.stall_done = 1;
	}
	pthread_mutex_unlock(&C.mu);
	if (portal) {
		resp->content_type = "text/html; charset=utf-8";
		assert_int_equal(tly_buf_add(&resp->body, page,
		    sizeof(page) - 1), TLY_OK);
	} else if (busy) {
		tly_http_resp_error(resp, 503, "busy", "try later");
		resp->retry_after = 120;
	} else if (stall)
		tly_http_resp_error(resp, 500, "internal", "stalled");
	else if (strcmp(req->path, "/v1/batches") == 0 &&
	    strcmp(req->method, "POST") == 0)
		fc_post(req, resp);
	else if (strncmp(req->path, "/v1/devices/", 12) == 0)
		fc_device(req, resp);
	else
		tly_http_resp_error(resp, 404, "not_found", "no such path");
}

/* A copy of the fake central's counters, to assert on without its lock. */
struct fc_view {
	size_t		n;			/* batches held */
	unsigned	requests;		/* requests of any kind */
	unsigned	entries;		/* bundle entries received */
	unsigned	dups;			/* of which already held */
	unsigned	receipt_gets;		/* GET .../receipts */
	uint64_t	order[HELD_MAX];	/* seqs in order of arrival */
	uint8_t		order_dev[HELD_MAX];	/* first key byte of each */
};

/* Fill *v from the fake central. */
static inline void
fc_view(struct fc_view *v)
{
	pthread_mutex_lock(&C.mu);
	v->n = C.n;
	v->requests = C.requests;
	v->entries = C.entries;
	v->dups = C.dups;
	v->receipt_gets = C.receipt_gets;
	memcpy(v->order, C.order, sizeof(v->order));
	memcpy(v->order_dev, C.order_dev, sizeof(v->order_dev));
	pthread_mutex_unlock(&C.mu);
}

/* Reset the fake central between tests.  Keeps its key. */
static inline void
fc_reset(void)
{
	pthread_mutex_lock(&C.mu);
	C.n = C.norder = 0;
	C.cut_posts = 0;
	C.portal = C.busy = C.stall = C.stall_release = C.stall_done = 0;
	C.requests = C.posts = C.entries = C.dups = C.receipt_gets = 0;
	pthread_mutex_unlock(&C.mu);
}

/* Parse records file name into w->recs[w->nrecs++]. */
static inline void
load_record(struct world *w, const char *name)
{
	struct tly_buf	 b = TLY_BUF_INIT(1 << 20);
	struct tly_json	*j = NULL;
	char		 path[128];

	snprintf(path, sizeof(path), "records-small/%s", name);
	read_vec(path, &b);
	assert_int_equal(tly_json_parse(b.p, b.len, &j), TLY_OK);
	tly_record_init(&w->recs[w->nrecs]);
	assert_int_equal(tly_record_from_json(j, "", &w->recs[w->nrecs]),
	    TLY_OK);
	w->nrecs++;
	tly_json_free(j);
	tly_buf_free(&b);
}

static inline int
setup(void **state)
{
	struct world		*w;
	struct tly_httpd_opts	 o;
	struct tly_buf		 def = TLY_BUF_INIT(1 << 20);
	char			 path[128];
	const char		*tmp = getenv("TMPDIR");

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(tly_crypto_init(), TLY_OK);
	assert_int_equal(tly_http_global_init(), TLY_OK);
	if (C.key == NULL)
		assert_int_equal(tly_key_generate(&C.key), TLY_OK);
	fc_reset();
	w = calloc(1, sizeof(*w));
	assert_non_null(w);
	snprintf(w->dir, sizeof(w->dir), "%s/tly-dsync.XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	assert_non_null(mkdtemp(w->dir));

	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.body_max = 8 << 20;
	o.threads = 2;
	o.conn_max = 16;
	o.timeout_s = 60;
	o.fn = fc_handle;
	assert_int_equal(tly_httpd_start(&o, &w->httpd), TLY_OK);
	snprintf(w->url, sizeof(w->url), "http://127.0.0.1:%u",
	    tly_httpd_port(w->httpd));

	/* The daemon, as main.c would set it up, without the local API. */
	w->d.conf.central = w->url;
	w->d.conf.backoff_min = 3600;	/* only the tests start runs */
	w->d.conf.backoff_max = 3600;
	w->d.conf.connect_timeout = 10;
	w->d.conf.low_speed_time = 600;	/* only a cancel ends a stall */
	w->d.conf.batch_max = 2;	/* several passes per run */
	w->d.has_central = 1;
	memcpy(w->d.central_pk, tly_key_public(C.key), TLY_PK_LEN);
	assert_int_equal(tly_key_generate(&w->d.key), TLY_OK);
	memcpy(w->d.device, tly_key_public(w->d.key), TLY_PK_LEN);
	read_vec("election-small.json", &def);
	tly_hash(def.p, def.len, w->d.election_hash);
	assert_int_equal(tly_election_parse(def.p, def.len, &w->d.election),
	    TLY_OK);
	tly_buf_free(&def);
	snprintf(path, sizeof(path), "%s/tallyd.db", w->dir);
	assert_int_equal(tly_dstore_open(path, &w->d.store), TLY_OK);
	assert_int_equal(pthread_mutex_init(&w->d.seal_mu, NULL), 0);
	load_record(w, "A01-na.json");
	load_record(w, "A02-na.json");
	load_record(w, "A03-na.json");
	load_record(w, "A04-na.json");
	load_record(w, "A01-prov.json");
	*state = w;
	return 0;
}

static inline int
teardown(void **state)
{
	struct world	*w = *state;
	char		 cmd[128];
	size_t		 i;

	tly_dsync_stop(w->d.sync);
	tly_httpd_stop(w->httpd);
	tly_dstore_close(w->d.store);
	pthread_mutex_destroy(&w->d.seal_mu);
	tly_election_free(w->d.election);
	tly_key_free(w->d.key);
	for (i = 0; i < w->nrecs; i++)
		tly_record_finish(&w->recs[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
	return 0;
}

/* Seal record i of the world as the daemon's next batch. */
static inline void
seal_one(struct world *w, size_t i)
{
	struct tly_problems	*probs = calloc(1, sizeof(*probs));
	struct tly_dseal_result	 sr;

	assert_non_null(probs);
	assert_int_equal(tly_dseal_records(&w->d, &w->recs[i], 1, probs, &sr),
	    TLY_OK);
	free(probs);
}

/* Own batches acknowledged, from the store. */
static inline uint64_t
acked(struct world *w)
{
	uint64_t	counts[TLY_DSTATE_N];

	assert_int_equal(tly_dstore_counts(w->d.store, counts), TLY_OK);
	return counts[TLY_DSTATE_ACKED];
}

/* Append every batch the store holds to the buffer arg. */
static inline int
dump_bytes(void *arg, enum tly_dkind kind, const uint8_t *m, size_t len)
{
	struct tly_buf	*b = arg;

	if (tly_buf_add_u8(b, (uint8_t)kind) != TLY_OK)
		return 1;
	return tly_buf_add(b, m, len) != TLY_OK;
}

/* A batch of another device (key k), seq, sealing record i. */
static inline void
foreign_batch(struct world *w, const struct tly_key *k, uint64_t seq,
    const uint8_t *prev, size_t i, struct tly_buf *out, uint8_t *id)
{
	assert_int_equal(tly_batch_seal(k, seq, prev, 1700000000 + seq, 0,
	    w->d.election_hash, &w->recs[i], 1, out, id), TLY_OK);
}

#endif /* TALLY_TESTS_DAEMON_FIXTURE_H */
