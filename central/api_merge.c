/*
 * api_merge.c: the GET endpoints of the merge state (PROTOCOL.md 8.2,
 * 8.2.1 and 8.7): device logs, receipts, state hash, conflicts,
 * evidence, the audit feed and the status summary.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "sync/api.h"

#define SMALL_MAX	TLY_SMALL_RESP_MAX	/* body cap of the small answers */
#define CONFLICTS_LIST	TLY_CONFLICTS_MAX	/* keys per answer */
#define EVIDENCE_LIST	256		/* proofs per answer */
#define FEED_DEFAULT	256		/* feed entries by default */
#define FEED_MAX	TLY_FEED_ENTRIES_MAX	/* feed entries at most */
#define FEED_BYTES	TLY_FEED_BYTES_MAX	/* feed batch bytes */
#define RETRY_S		2		/* Retry-After when busy */

/* Answer a store failure: 503 when busy, else 500 after logging. */
static void
resp_fail(struct tly_http_resp *resp, const char *what, int err)
{
	if (err == TLY_E_BUSY) {
		tly_http_resp_busy(resp, RETRY_S, "the central is busy");
		return;
	}
	tly_log_error("%s: %s: %s", what, tly_strerror(err), tly_errdetail());
	tly_http_resp_error(resp, 500, "internal", "the central failed");
}

/* Answer the whole answer w wrote over b (200), or the failure r. */
static void
resp_send(struct tly_http_resp *resp, struct tly_jw *w, struct tly_buf *b,
    const char *what, int r)
{
	if (r == TLY_OK)
		r = tly_jw_finish(w);
	if (r != TLY_OK) {
		resp_fail(resp, what, r);
		return;
	}
	tly_buf_free(&resp->body);
	resp->body = *b;
	tly_buf_init(b, b->max);	/* transferred */
	resp->status = 200;
	resp->content_type = "application/json";
}

/* Close the object open in w over b and answer it, or the failure r. */
static void
resp_finish(struct tly_http_resp *resp, struct tly_jw *w, struct tly_buf *b,
    const char *what, int r)
{
	if (r == TLY_OK)
		tly_jw_obj_close(w);
	resp_send(resp, w, b, what, r);
}

/*
 * Query parameter name as an integer of PROTOCOL.md 1 into *v (dflt
 * when absent).  0, or -1 after answering 400.
 */
static int
query_uint(const struct tly_http_req *req, struct tly_http_resp *resp,
    const char *name, uint64_t dflt, uint64_t *v)
{
	const char		*q = tly_http_req_query(req, name);
	char			*end;
	unsigned long long	 x;

	*v = dflt;
	if (q == NULL)
		return 0;
	errno = 0;
	x = strtoull(q, &end, 10);
	if (*q < '0' || *q > '9' || *end != '\0' || errno != 0 ||
	    x > TLY_JSON_INT_MAX) {
		tly_http_resp_error(resp, 400, "bad_request",
		    "%s must be an integer", name);
		return -1;
	}
	*v = x;
	return 0;
}

/* GET /v1/devices/{hex}/head (8.2). */
static void
get_head(struct tly_central *c, const uint8_t *dev,
    struct tly_http_resp *resp)
{
	struct tly_buf		b = TLY_BUF_INIT(SMALL_MAX);
	struct tly_jw		w;
	struct tly_api_head	h;
	int			r;

	tly_jw_init(&w, &b);
	if ((r = tly_cstore_device_head(c->store, dev, &h)) == TLY_OK)
		r = tly_api_head_write(&w, &h);
	resp_send(resp, &w, &b, "device head", r);
	tly_buf_free(&b);
}

/* GET /v1/devices/{hex}/receipts (8.2.1). */
static void
get_receipts(struct tly_central *c, const uint8_t *dev,
    const struct tly_http_req *req, struct tly_http_resp *resp)
{
	struct tly_buf		b = TLY_BUF_INIT(TLY_CENTRAL_RESP_MAX);
	struct tly_jw		w;
	struct tly_api_receipts	page;
	uint64_t		from;
	int			r;

	if (query_uint(req, resp, "from", 1, &from) != 0)
		return;
	tly_jw_init(&w, &b);
	if ((r = tly_cstore_receipts(c->store, dev, from, &page)) == TLY_OK)
		r = tly_api_receipts_write(&w, &page);
	resp_send(resp, &w, &b, "receipts", r);
	tly_api_receipts_finish(&page);
	tly_buf_free(&b);
}

/* The device key of a /v1/devices/{key}/... path; 0, or answer 400. */
static int
device_param(const struct tly_route_params *rp, struct tly_http_resp *resp,
    uint8_t dev[TLY_PK_LEN])
{
	if (tly_unhex(rp->p[0], rp->len[0], dev, TLY_PK_LEN) == TLY_OK)
		return 0;
	tly_http_resp_error(resp, 400, "bad_request",
	    "the device key must be 64 lowercase hex characters");
	return -1;
}

void
tly_central_get_head(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	uint8_t	dev[TLY_PK_LEN];

	if (device_param(rp, resp, dev) == 0)
		get_head(arg, dev, resp);
}

void
tly_central_get_receipts(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	uint8_t	dev[TLY_PK_LEN];

	if (device_param(rp, resp, dev) == 0)
		get_receipts(arg, dev, req, resp);
}

/* GET /v1/state-hash and GET /v1/status (8.7). */
static void
get_stats(struct tly_central *c, int full, struct tly_http_resp *resp)
{
	struct tly_buf		b = TLY_BUF_INIT(SMALL_MAX);
	struct tly_jw		w;
	struct tly_cstore_stats	st;
	int			r;

	tly_jw_init(&w, &b);
	tly_jw_obj_open(&w);
	if ((r = tly_cstore_stats(c->store, &st)) == TLY_OK) {
		if (full) {
			tly_jw_key(&w, "key");
			tly_jw_str(&w, c->keyhex);
			tly_jw_key(&w, "election");
			tly_jw_str(&w, c->ehashhex);
			tly_jw_key(&w, "mode");
			tly_jw_str(&w, c->conf.test ? "test" : "live");
		} else {
			tly_jw_key(&w, "state_hash");
			tly_jw_hex(&w, st.state_hash, TLY_HASH_LEN);
		}
		tly_jw_key(&w, "devices");
		tly_jw_uint(&w, st.devices);
		if (full) {
			tly_jw_key(&w, "batches");
			tly_jw_uint(&w, st.batches);
			tly_jw_key(&w, "applied");
			tly_jw_uint(&w, st.applied);
			tly_jw_key(&w, "pending");
			tly_jw_uint(&w, st.batches - st.applied);
			tly_jw_key(&w, "frozen");
			tly_jw_uint(&w, st.frozen);
			tly_jw_key(&w, "evidence");
			tly_jw_uint(&w, st.evidence);
			tly_jw_key(&w, "conflicts");
			tly_jw_uint(&w, st.conflicts);
			tly_jw_key(&w, "keys");
			tly_jw_uint(&w, st.keys);
			tly_jw_key(&w, "state_hash");
			tly_jw_hex(&w, st.state_hash, TLY_HASH_LEN);
		} else {
			tly_jw_key(&w, "keys");
			tly_jw_uint(&w, st.keys);
			tly_jw_key(&w, "conflicts");
			tly_jw_uint(&w, st.conflicts);
			tly_jw_key(&w, "frozen");
			tly_jw_uint(&w, st.frozen);
		}
	}
	resp_finish(resp, &w, &b, "state", r);
	tly_buf_free(&b);
}

void
tly_central_get_state_hash(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	get_stats(arg, 0, resp);
}

void
tly_central_get_status(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	get_stats(arg, 1, resp);
}

/* The lists of 8.7: conflicts, evidence and the audit feed. */
enum merge_list { LIST_CONFLICTS, LIST_EVIDENCE, LIST_FEED };

/* GET /v1/conflicts, /v1/evidence and /v1/feed (8.7). */
static void
get_list(struct tly_central *c, enum merge_list what,
    const struct tly_http_req *req, struct tly_http_resp *resp)
{
	struct tly_buf	b = TLY_BUF_INIT(TLY_CENTRAL_RESP_MAX);
	struct tly_jw	w;
	uint64_t	 after, limit;
	int		 r;

	tly_jw_init(&w, &b);
	tly_jw_obj_open(&w);
	if (what == LIST_CONFLICTS)
		r = tly_cstore_conflicts_json(c->store, CONFLICTS_LIST, &w);
	else if (what == LIST_EVIDENCE)
		r = tly_cstore_evidence_json(c->store, EVIDENCE_LIST, &w);
	else {
		if (query_uint(req, resp, "after", 0, &after) != 0 ||
		    query_uint(req, resp, "limit", FEED_DEFAULT, &limit) != 0)
			goto out;
		if (limit == 0 || limit > FEED_MAX) {
			tly_http_resp_error(resp, 400, "bad_request",
			    "limit must be 1 to %d", FEED_MAX);
			goto out;
		}
		r = tly_cstore_feed_json(c->store, after, (size_t)limit,
		    FEED_BYTES, &w);
	}
	resp_finish(resp, &w, &b, req->path, r);
 out:
	tly_buf_free(&b);
}

void
tly_central_get_conflicts(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	get_list(arg, LIST_CONFLICTS, req, resp);
}

void
tly_central_get_evidence(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	get_list(arg, LIST_EVIDENCE, req, resp);
}

void
tly_central_get_feed(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	get_list(arg, LIST_FEED, req, resp);
}
