/*
 * api_merge.c: the GET endpoints of the merge state (PROTOCOL.md 8.2,
 * 8.2.1 and 8.7): device logs, receipts, state hash, conflicts,
 * evidence, the audit feed and the status summary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "sync/api.h"
#include "sync/api_merge.h"
#include "sync/feed.h"

#define SMALL_MAX	TLY_SMALL_RESP_MAX	/* body cap of the small answers */
#define CONFLICTS_LIST	TLY_CONFLICTS_MAX	/* keys per answer */
#define EVIDENCE_LIST	256		/* proofs per answer */
#define FEED_DEFAULT	256		/* feed entries by default */
#define FEED_MAX	TLY_FEED_ENTRIES_MAX	/* feed entries at most */
#define FEED_BYTES	TLY_FEED_BYTES_MAX	/* feed batch bytes */

/*
 * Query parameter name as an integer of PROTOCOL.md 1 into *v (dflt
 * when absent).  TLY_OK, or TLY_E_INVAL after answering 400.
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
		return TLY_OK;
	errno = 0;
	x = strtoull(q, &end, 10);
	if (*q < '0' || *q > '9' || *end != '\0' || errno != 0 ||
	    x > TLY_JSON_INT_MAX) {
		tly_http_resp_error(resp, 400, "bad_request",
		    "%s must be an integer", name);
		return tly_fail(TLY_E_INVAL, "query %s: not an integer",
		    name);
	}
	*v = x;
	return TLY_OK;
}

/* GET /v1/devices/{hex}/head (8.2). */
static void
get_head(struct tly_central *c, const uint8_t *dev,
    struct tly_http_resp *resp)
{
	struct tly_jw		w;
	struct tly_api_head	h;
	int			r;

	tly_http_resp_begin(resp, 200, SMALL_MAX);
	tly_jw_init(&w, &resp->body);
	if ((r = tly_cstore_device_head(c->store, dev, &h)) == TLY_OK)
		r = tly_api_head_write(&w, &h);
	tly_log_answer("device head", tly_http_resp_finish(resp, &w, r));
}

/* GET /v1/devices/{hex}/receipts (8.2.1). */
static void
get_receipts(struct tly_central *c, const uint8_t *dev,
    const struct tly_http_req *req, struct tly_http_resp *resp)
{
	struct tly_jw		w;
	struct tly_api_receipts	page;
	uint64_t		from;
	int			r;

	if (query_uint(req, resp, "from", 1, &from) != TLY_OK)
		return;
	tly_http_resp_begin(resp, 200, TLY_CENTRAL_RESP_MAX);
	tly_jw_init(&w, &resp->body);
	if ((r = tly_cstore_receipts(c->store, dev, from, &page)) == TLY_OK)
		r = tly_api_receipts_write(&w, &page);
	tly_log_answer("receipts", tly_http_resp_finish(resp, &w, r));
	tly_api_receipts_finish(&page);
}

/*
 * The device key of a /v1/devices/{key}/... path into dev: TLY_OK, or
 * TLY_E_INVAL after answering 400.
 */
static int
device_param(const struct tly_route_params *rp, struct tly_http_resp *resp,
    uint8_t dev[TLY_PK_LEN])
{
	if (tly_unhex(rp->p[0], rp->len[0], dev, TLY_PK_LEN) == TLY_OK)
		return TLY_OK;
	tly_http_resp_error(resp, 400, "bad_request",
	    "the device key must be 64 lowercase hex characters");
	return tly_fail(TLY_E_INVAL, "device key: not 64 hex digits");
}

void
tly_central_get_head(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	uint8_t	dev[TLY_PK_LEN];

	if (device_param(rp, resp, dev) == TLY_OK)
		get_head(arg, dev, resp);
}

void
tly_central_get_receipts(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	uint8_t	dev[TLY_PK_LEN];

	if (device_param(rp, resp, dev) == TLY_OK)
		get_receipts(arg, dev, req, resp);
}

/* GET /v1/state-hash and GET /v1/status (8.7). */
static void
get_stats(struct tly_central *c, int full, struct tly_http_resp *resp)
{
	struct tly_jw		w;
	struct tly_cstore_stats	cs;
	struct tly_api_state	st;
	int			r;

	memset(&st, 0, sizeof(st));
	tly_http_resp_begin(resp, 200, SMALL_MAX);
	tly_jw_init(&w, &resp->body);
	if ((r = tly_cstore_stats(c->store, &cs)) == TLY_OK) {
		snprintf(st.key, sizeof(st.key), "%s", c->keyhex);
		snprintf(st.election, sizeof(st.election), "%s", c->ehashhex);
		snprintf(st.mode, sizeof(st.mode), "%s",
		    c->conf.test ? "test" : "live");
		st.devices = cs.devices;
		st.batches = cs.batches;
		st.applied = cs.applied;
		st.frozen = cs.frozen;
		st.evidence = cs.evidence;
		st.keys = cs.keys;
		st.conflicts = cs.conflicts;
		memcpy(st.state_hash, cs.state_hash, TLY_HASH_LEN);
		r = tly_api_state_write(&st, full, &w);
	}
	tly_log_answer("state", tly_http_resp_finish(resp, &w, r));
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
	struct tly_jw			 w;
	struct tly_api_conflicts	 cf;
	struct tly_api_evidence		 ev;
	struct tly_feed			 feed = { 0 };
	uint64_t			 after, limit;
	int				 r;

	tly_http_resp_begin(resp, 200, TLY_CENTRAL_RESP_MAX);
	tly_jw_init(&w, &resp->body);
	if (what == LIST_CONFLICTS) {
		if ((r = tly_cstore_conflicts(c->store, CONFLICTS_LIST,
		    &cf)) == TLY_OK)
			r = tly_api_conflicts_write(&cf, &w);
		tly_api_conflicts_free(&cf);
	} else if (what == LIST_EVIDENCE) {
		if ((r = tly_cstore_evidence(c->store, EVIDENCE_LIST,
		    TLY_CENTRAL_RESP_MAX, &ev)) == TLY_OK)
			r = tly_api_evidence_write(&ev, &w);
		tly_api_evidence_free(&ev);
	} else {
		if (query_uint(req, resp, "after", 0, &after) != TLY_OK ||
		    query_uint(req, resp, "limit", FEED_DEFAULT, &limit) != TLY_OK)
			return;
		if (limit == 0 || limit > FEED_MAX) {
			tly_http_resp_error(resp, 400, "bad_request",
			    "limit must be 1 to %d", FEED_MAX);
			return;
		}
		if ((r = tly_cstore_feed(c->store, after, (size_t)limit,
		    FEED_BYTES, &feed)) == TLY_OK)
			r = tly_feed_write(&feed, after, &w);
		tly_feed_free(&feed);
	}
	tly_log_answer(req->path, tly_http_resp_finish(resp, &w, r));
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
