/*
 * test_daemon_sync.c: the field daemon's delivery (daemon/syncer.c and
 * deliver.c) and bundle intake (daemon/seal.c) against a small fake
 * central served in this process, on 127.0.0.1.
 *
 * The fake central stores every batch it is sent, signs receipts with
 * its own key, answers GET .../head and GET .../receipts, and can be
 * told to cut its answers, act as a captive portal, be busy, or stall.
 * It counts every entry it is sent twice, so the tests can show that
 * nothing the central already holds is sent again.
 */
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

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

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
static void
read_vec(const char *name, struct tly_buf *b)
{
	char	path[256];

	snprintf(path, sizeof(path), VEC "%s", name);
	assert_int_equal(tly_buf_read_file(path, 1 << 20, b), TLY_OK);
}

/* Contiguous head of device dev at the fake central.  Holds C.mu. */
static uint64_t
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
static struct held *
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

/* Write a receipt as base64 under "receipt". */
static void
jw_receipt(struct tly_jw *w, const struct held *h)
{
	struct tly_buf	b64 = TLY_BUF_INIT(2048);

	assert_int_equal(tly_b64_encode(h->receipt, h->rlen, &b64), TLY_OK);
	tly_jw_key(w, "receipt");
	tly_jw_strn(w, (const char *)b64.p, b64.len);
	tly_buf_free(&b64);
}

/* POST /v1/batches of the fake central. */
static void
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
static void
fc_device(const struct tly_http_req *req, struct tly_http_resp *resp)
{
	const char	*rest = req->path + strlen("/v1/devices/");
	const char	*from_s;
	struct tly_jw	 w;
	uint8_t		 dev[TLY_PK_LEN];
	char		 hex[TLY_HEX_HASH];
	uint64_t	 from, seq, head;
	size_t		 i;

	if (strlen(rest) < 2 * TLY_PK_LEN + 1 ||
	    tly_unhex(rest, 2 * TLY_PK_LEN, dev, TLY_PK_LEN) != TLY_OK) {
		tly_http_resp_error(resp, 400, "bad_request", "bad key");
		return;
	}
	rest += 2 * TLY_PK_LEN;
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "device");
	tly_jw_str(&w, tly_hex(dev, TLY_PK_LEN, hex));
	pthread_mutex_lock(&C.mu);
	if (strcmp(rest, "/head") == 0) {
		tly_jw_key(&w, "head");
		tly_jw_uint(&w, fc_head_of(dev));
		tly_jw_key(&w, "batch");
		tly_jw_null(&w);	/* the daemon does not need it */
		tly_jw_key(&w, "pending");
		tly_jw_arr_open(&w);
		head = fc_head_of(dev);
		for (seq = head + 2; seq < head + HELD_MAX; seq++)
			for (i = 0; i < C.n; i++)
				if (C.h[i].seq == seq && memcmp(C.h[i].device,
				    dev, TLY_PK_LEN) == 0) {
					tly_jw_uint(&w, seq);
					break;
				}
		tly_jw_arr_close(&w);
	} else if (strcmp(rest, "/receipts") == 0) {
		C.receipt_gets++;
		from_s = tly_http_req_query(req, "from");
		from = from_s != NULL ? strtoull(from_s, NULL, 10) : 0;
		tly_jw_key(&w, "receipts");
		tly_jw_arr_open(&w);
		/* In seq order: seqs are small, so look each one up. */
		for (seq = from; seq < from + HELD_MAX; seq++)
			for (i = 0; i < C.n; i++) {
				if (C.h[i].seq != seq || memcmp(C.h[i].device,
				    dev, TLY_PK_LEN) != 0)
					continue;
				tly_jw_obj_open(&w);
				tly_jw_key(&w, "seq");
				tly_jw_uint(&w, seq);
				tly_jw_key(&w, "batch");
				tly_jw_str(&w, tly_hex(C.h[i].id, TLY_HASH_LEN,
				    hex));
				jw_receipt(&w, &C.h[i]);
				tly_jw_obj_close(&w);
			}
		tly_jw_arr_close(&w);
		tly_jw_key(&w, "next");
		tly_jw_null(&w);
	} else {
		pthread_mutex_unlock(&C.mu);
		tly_buf_reset(&resp->body);
		tly_http_resp_error(resp, 404, "not_found", "no such path");
		return;
	}
	pthread_mutex_unlock(&C.mu);
	tly_jw_obj_close(&w);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
}

/* The fake central's handler. */
static void
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
static void
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
static void
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
static void
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

static int
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

static int
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
static void
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
static uint64_t
acked(struct world *w)
{
	uint64_t	counts[TLY_DSTATE_N];

	assert_int_equal(tly_dstore_counts(w->d.store, counts), TLY_OK);
	return counts[TLY_DSTATE_ACKED];
}

/* Append every batch the store holds to the buffer arg. */
static int
dump_bytes(void *arg, enum tly_dkind kind, const uint8_t *m, size_t len)
{
	struct tly_buf	*b = arg;

	if (tly_buf_add_u8(b, (uint8_t)kind) != TLY_OK)
		return 1;
	return tly_buf_add(b, m, len) != TLY_OK;
}

/* A batch of another device (key k), seq, sealing record i. */
static void
foreign_batch(struct world *w, const struct tly_key *k, uint64_t seq,
    const uint8_t *prev, size_t i, struct tly_buf *out, uint8_t *id)
{
	assert_int_equal(tly_batch_seal(k, seq, prev, 1700000000 + seq, 0,
	    w->d.election_hash, &w->recs[i], 1, out, id), TLY_OK);
}

/*
 * The answer to an upload is cut after the central stored it: the next
 * run collects the receipts and sends none of those batches again.
 */
static void
test_resume_after_cut(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct fc_view		 v;
	size_t			 i;

	for (i = 0; i < 4; i++)
		seal_one(w, i);
	pthread_mutex_lock(&C.mu);
	C.cut_posts = 1;	/* the first POST (batches 1 and 2) is cut */
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	/* Whichever runs happened, finish with one more. */
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	assert_int_equal(res.pending, 0);
	assert_int_equal(acked(w), 4);
	fc_view(&v);
	assert_int_equal(v.n, 4);
	assert_int_equal(v.entries, 4);	/* each batch sent once */
	assert_int_equal(v.dups, 0);
	assert_true(v.receipt_gets >= 1);
}

/*
 * A batch the central already holds (carried there on a bundle) is
 * acknowledged from its receipt and never uploaded.
 */
static void
test_held_elsewhere(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_buf		 m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_batch	*b = NULL;
	struct fc_view		 v;
	const char		*status;

	seal_one(w, 0);
	seal_one(w, 1);
	assert_int_equal(tly_dstore_batch_bytes(w->d.store, 1, &m), TLY_OK);
	assert_int_equal(tly_batch_parse(m.p, m.len, &b), TLY_OK);
	pthread_mutex_lock(&C.mu);
	(void)fc_store(b, &status);
	pthread_mutex_unlock(&C.mu);
	tly_batch_free(b);
	tly_buf_free(&m);

	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	assert_int_equal(acked(w), 2);
	fc_view(&v);
	assert_int_equal(v.entries, 1);	/* only seq 2 was uploaded */
	assert_int_equal(v.order[0], 2);
	assert_int_equal(v.dups, 0);
}

/*
 * Relayed batches go in (device, seq) order; a batch ahead of a gap is
 * answered "pending" with a receipt and counts as delivered.  Taking in
 * the same bundle twice changes nothing.
 */
static void
test_relay_order_and_idempotent_bundle(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_key		*ka = NULL, *kb = NULL, *tmp;
	struct tly_buf		 bundle = TLY_BUF_INIT(1 << 20);
	struct tly_buf		 m[4], out = TLY_BUF_INIT(1 << 20);
	struct tly_buf		 dump1 = TLY_BUF_INIT(1 << 20);
	struct tly_buf		 dump2 = TLY_BUF_INIT(1 << 20);
	struct tly_jw		 jw;
	struct fc_view		 v;
	uint8_t			 ida[3][TLY_HASH_LEN], idb[TLY_HASH_LEN];
	uint64_t		 before[TLY_DSTATE_N], after[TLY_DSTATE_N];
	size_t			 stored, rejected, i;

	assert_int_equal(tly_key_generate(&ka), TLY_OK);
	do {
		tly_key_free(kb);
		assert_int_equal(tly_key_generate(&kb), TLY_OK);
	} while (tly_key_public(ka)[0] == tly_key_public(kb)[0]);
	if (tly_key_public(ka)[0] > tly_key_public(kb)[0]) {
		tmp = ka;	/* ka sorts first */
		ka = kb;
		kb = tmp;
	}
	for (i = 0; i < 4; i++)
		tly_buf_init(&m[i], TLY_MSG_MAX);
	/* Device A: seq 1, 2, 3.  Device B: seq 2 only (a gap before it). */
	foreign_batch(w, ka, 1, NULL, 0, &m[0], ida[0]);
	foreign_batch(w, ka, 2, ida[0], 1, &m[1], ida[1]);
	foreign_batch(w, ka, 3, ida[1], 2, &m[2], ida[2]);
	memset(idb, 0x11, sizeof(idb));
	foreign_batch(w, kb, 2, idb, 3, &m[3], idb);
	/* In the bundle out of order: B2, A3, A1, A2. */
	assert_int_equal(tly_bundle_begin(&bundle), TLY_OK);
	assert_int_equal(tly_bundle_add(&bundle, m[3].p, m[3].len), TLY_OK);
	assert_int_equal(tly_bundle_add(&bundle, m[2].p, m[2].len), TLY_OK);
	assert_int_equal(tly_bundle_add(&bundle, m[0].p, m[0].len), TLY_OK);
	assert_int_equal(tly_bundle_add(&bundle, m[1].p, m[1].len), TLY_OK);
	assert_int_equal(tly_bundle_end(&bundle, 4), TLY_OK);

	tly_jw_init(&jw, &out);
	assert_int_equal(tly_dseal_bundle(&w->d, bundle.p, bundle.len, &jw,
	    &stored, &rejected), TLY_OK);
	assert_int_equal(stored, 4);
	assert_int_equal(rejected, 0);
	assert_int_equal(tly_dstore_relay_counts(w->d.store, before), TLY_OK);
	assert_int_equal(before[TLY_DSTATE_SEALED], 4);
	assert_int_equal(tly_dstore_foreach_bytes(w->d.store, dump_bytes,
	    &dump1), TLY_OK);

	/* The same bundle again: all duplicates, the store unchanged. */
	tly_buf_reset(&out);
	tly_jw_init(&jw, &out);
	assert_int_equal(tly_dseal_bundle(&w->d, bundle.p, bundle.len, &jw,
	    &stored, &rejected), TLY_OK);
	assert_int_equal(stored, 0);
	assert_int_equal(rejected, 0);
	assert_non_null(memmem(out.p, out.len, "\"duplicate\"", 11));
	assert_null(memmem(out.p, out.len, "\"stored\"", 8));
	assert_int_equal(tly_dstore_relay_counts(w->d.store, after), TLY_OK);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(tly_dstore_foreach_bytes(w->d.store, dump_bytes,
	    &dump2), TLY_OK);
	assert_int_equal(dump1.len, dump2.len);
	assert_memory_equal(dump1.p, dump2.p, dump1.len);

	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	assert_int_equal(tly_dstore_relay_counts(w->d.store, after), TLY_OK);
	assert_int_equal(after[TLY_DSTATE_ACKED], 4);
	fc_view(&v);
	assert_int_equal(v.entries, 4);
	assert_int_equal(v.dups, 0);
	/* (device, seq) order: A1, A2, A3, B2. */
	assert_int_equal(v.order_dev[0], tly_key_public(ka)[0]);
	assert_int_equal(v.order[0], 1);
	assert_int_equal(v.order[1], 2);
	assert_int_equal(v.order[2], 3);
	assert_int_equal(v.order_dev[3], tly_key_public(kb)[0]);
	assert_int_equal(v.order[3], 2);

	for (i = 0; i < 4; i++)
		tly_buf_free(&m[i]);
	tly_buf_free(&bundle);
	tly_buf_free(&out);
	tly_buf_free(&dump1);
	tly_buf_free(&dump2);
	tly_key_free(ka);
	tly_key_free(kb);
}

/*
 * A captive portal answers HTML: nothing is delivered, and the error
 * says so in words; once the portal is gone, delivery completes.
 */
static void
test_captive_portal(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_dsync_status	 st;

	seal_one(w, 0);
	pthread_mutex_lock(&C.mu);
	C.portal = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "failed");
	assert_non_null(strstr(res.error, "captive portal detected"));
	assert_non_null(strstr(res.error, "HTML"));
	assert_int_equal(acked(w), 0);
	tly_dsync_get_status(w->d.sync, &st);
	assert_non_null(strstr(st.last_error, "captive portal detected"));
	assert_true(st.since > 0);
	assert_true(st.last_contact > 0);	/* something did answer */
	assert_true(st.next_attempt > 0);

	pthread_mutex_lock(&C.mu);
	C.portal = 0;
	pthread_mutex_unlock(&C.mu);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	assert_int_equal(acked(w), 1);
	tly_dsync_get_status(w->d.sync, &st);
	assert_string_equal(st.last_error, "");
	assert_int_equal(st.since, -1);
	assert_true(st.wire_records == 1);
	assert_true(st.wire_up > 0 && st.wire_down > 0);
}

/* 503 with Retry-After: the next automatic attempt waits that long. */
static void
test_retry_after(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_dsync_status	 st;
	int64_t			 t0;

	w->d.conf.backoff_min = 1;	/* the backoff alone stays short */
	w->d.conf.backoff_max = 2;
	seal_one(w, 0);
	pthread_mutex_lock(&C.mu);
	C.busy = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	t0 = (int64_t)time(NULL);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "failed");
	assert_non_null(strstr(res.error, "busy"));
	tly_dsync_get_status(w->d.sync, &st);
	assert_true(st.next_attempt >= t0 + 120);
	/* A network change does not override the central's request. */
	tly_dsync_netchange(w->d.sync);
	tly_dsync_get_status(w->d.sync, &st);
	assert_true(st.next_attempt >= t0 + 120);
}

/*
 * After a failure the syncer backs off for an hour; a change of the
 * network starts a run at once.
 */
static void
test_netchange_retries(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_dsync_status	 st;
	struct timespec		 until;
	struct fc_view		 v;
	unsigned		 seen;
	int64_t			 t0;

	seal_one(w, 0);
	pthread_mutex_lock(&C.mu);
	C.portal = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	t0 = (int64_t)time(NULL);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "failed");
	tly_dsync_get_status(w->d.sync, &st);
	assert_true(st.next_attempt >= t0 + 3600);

	pthread_mutex_lock(&C.mu);
	C.portal = 0;
	seen = C.requests;
	pthread_mutex_unlock(&C.mu);
	tly_dsync_netchange(w->d.sync);
	/* Wait (bounded) for the run the change started. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_S;
	pthread_mutex_lock(&C.mu);
	while (C.requests == seen)
		if (pthread_cond_timedwait(&C.cv, &C.mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&C.mu);
	fc_view(&v);
	assert_true(v.requests > seen);
}

/* Stopping the syncer does not wait for a stalled upload to end. */
static void
test_stop_cancels_stalled_upload(void **state)
{
	struct world	*w = *state;
	struct timespec	 until;
	struct fc_view	 v;
	int		 done;

	seal_one(w, 0);
	pthread_mutex_lock(&C.mu);
	C.stall = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	/* Wait (bounded) until the upload is held by the central. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_S;
	pthread_mutex_lock(&C.mu);
	while (C.requests < 2)	/* head, then the held POST */
		if (pthread_cond_timedwait(&C.cv, &C.mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&C.mu);
	fc_view(&v);
	assert_true(v.requests >= 2);
	tly_dsync_stop(w->d.sync);
	w->d.sync = NULL;
	pthread_mutex_lock(&C.mu);
	done = C.stall_done;
	C.stall_release = 1;
	pthread_cond_broadcast(&C.cv);
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(done, 0);	/* stopped during the stall */
	assert_int_equal(acked(w), 0);
}

/* Counters and the last contact survive a restart of the syncer. */
static void
test_counters_persist(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_dsync_status	 st1, st2;

	seal_one(w, 0);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	tly_dsync_get_status(w->d.sync, &st1);
	assert_true(st1.last_contact > 0);
	assert_int_equal(st1.wire_records, 1);
	tly_dsync_stop(w->d.sync);
	w->d.sync = NULL;
	pthread_mutex_lock(&C.mu);
	C.portal = 1;	/* the next run fails: nothing new is counted */
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_get_status(w->d.sync, &st2);
	assert_true(st2.last_contact >= st1.last_contact);
	assert_int_equal(st2.wire_records, 1);
	assert_true(st2.wire_up >= st1.wire_up);
	assert_true(st2.wire_down >= st1.wire_down);
}

/* Does probs hold a problem of rule? */
static int
has_rule(const struct tly_problems *probs, const char *rule)
{
	size_t	i;

	for (i = 0; i < probs->n; i++)
		if (strcmp(probs->p[i].rule, rule) == 0)
			return 1;
	return 0;
}

/*
 * Sealing checks a record against the other levels' figures stored for
 * the same area (W4): a provincial record whose turnout differs widely
 * from the stored national one is not signed without an explanation.
 */
static void
test_seal_w4_context(void **state)
{
	struct world		*w = *state;
	struct tly_problems	*probs = calloc(1, sizeof(*probs));
	struct tly_dseal_result	 sr;
	struct tly_record	*prov = &w->recs[4];
	uint64_t		 head;
	uint8_t			 id[TLY_HASH_LEN];

	assert_non_null(probs);
	assert_string_equal(prov->area, w->recs[0].area);
	assert_string_not_equal(prov->level, w->recs[0].level);
	prov->voted /= 2;		/* far from the national figure */
	/* Alone, the record raises no W4: there is nothing to compare. */
	assert_int_equal(tly_dseal_records(&w->d, prov, 1, probs, &sr),
	    TLY_E_RECORD);
	assert_false(has_rule(probs, "W4"));
	/* With the national record of the area stored, W4 blocks it. */
	seal_one(w, 0);
	assert_int_equal(tly_dseal_records(&w->d, prov, 1, probs, &sr),
	    TLY_E_RECORD);
	assert_true(has_rule(probs, "W4"));
	/* Nothing was sealed but the national record. */
	assert_int_equal(tly_dstore_head(w->d.store, &head, id), TLY_OK);
	assert_int_equal(head, 1);
	free(probs);
}

/* Build one netlink message of type with an ifinfomsg of flags. */
static size_t
nl_msg(uint8_t *buf, uint16_t type, unsigned flags)
{
	struct nlmsghdr		h;
	struct ifinfomsg	ifi;

	memset(&h, 0, sizeof(h));
	memset(&ifi, 0, sizeof(ifi));
	h.nlmsg_len = NLMSG_LENGTH(sizeof(ifi));
	h.nlmsg_type = type;
	ifi.ifi_flags = flags;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + NLMSG_HDRLEN, &ifi, sizeof(ifi));
	return NLMSG_ALIGN(h.nlmsg_len);
}

/* Which rtnetlink messages count as "the network may be back". */
static void
test_netwatch_relevant(void **state)
{
	uint8_t	buf[256];
	size_t	n;

	memset(buf, 0, sizeof(buf));
	n = nl_msg(buf, RTM_NEWLINK, IFF_UP | IFF_RUNNING);
	assert_int_equal(tly_netwatch_relevant(buf, n), 1);
	n = nl_msg(buf, RTM_NEWLINK, IFF_UP);	/* no carrier yet */
	assert_int_equal(tly_netwatch_relevant(buf, n), 0);
	n = nl_msg(buf, RTM_DELLINK, IFF_UP | IFF_RUNNING);
	assert_int_equal(tly_netwatch_relevant(buf, n), 0);
	n = nl_msg(buf, RTM_DELADDR, 0);
	assert_int_equal(tly_netwatch_relevant(buf, n), 0);
	/* A new address after an irrelevant message in the same read. */
	n = nl_msg(buf, RTM_DELROUTE, 0);
	n += nl_msg(buf + n, RTM_NEWADDR, 0);
	assert_int_equal(tly_netwatch_relevant(buf, n), 1);
	n = nl_msg(buf, RTM_NEWROUTE, 0);
	assert_int_equal(tly_netwatch_relevant(buf, n), 1);
	/* Truncated or empty input is not a change. */
	assert_int_equal(tly_netwatch_relevant(buf, n - 1), 0);
	assert_int_equal(tly_netwatch_relevant(buf, 0), 0);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resume_after_cut, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_held_elsewhere, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_relay_order_and_idempotent_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_captive_portal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_after, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_netchange_retries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_stop_cancels_stalled_upload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_persist, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seal_w4_context, setup,
		    teardown),
		cmocka_unit_test(test_netwatch_relevant),
	};
	int	rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tly_key_free(C.key);
	return rc;
}
