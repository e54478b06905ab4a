/*
 * public.c: what anyone may fetch to check a polling area's records
 * (PROTOCOL.md 8.10): the exact bytes of a held batch, its receipt, and
 * the records held for an area with their batch ids, and the election
 * definition they count for.  The public view
 * (web.c) verifies them in the viewer's browser; the CLI and auditors
 * can fetch the same.
 */
#include <string.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"

#define AREA_RECORDS_MAX	1024	/* records listed for one area */

/* Answer a held batch's bytes (receipt 0) or its receipt (receipt 1). */
static void
batch_serve(struct tly_central *c, const struct tly_http_req *req,
    const struct tly_route_params *rp, int receipt,
    struct tly_http_resp *resp)
{
	uint8_t	id[TLY_HASH_LEN];
	int	r;

	if (rp->len[0] != 2 * TLY_HASH_LEN ||
	    tly_unhex(rp->p[0], rp->len[0], id, sizeof(id)) != TLY_OK) {
		tly_http_resp_error(resp, 400, "bad_request",
		    "a batch id is 64 hex digits");
		return;
	}
	r = tly_cstore_batch(c->store, id, receipt ? NULL : &resp->body,
	    receipt ? &resp->body : NULL);
	if (r == TLY_E_NOTFOUND) {
		tly_buf_reset(&resp->body);
		tly_http_resp_error(resp, 404, "not_found", "no such batch");
		return;
	}
	if (r != TLY_OK) {
		tly_buf_reset(&resp->body);
		tly_http_resp_error(resp, r == TLY_E_BUSY ? 503 : 500,
		    r == TLY_E_BUSY ? "busy" : "internal", "batch: %s",
		    tly_strerror(r));
		return;
	}
	resp->status = 200;
	resp->content_type = "application/octet-stream";
	tly_central_etag(req, resp);
}

void
tly_central_get_batch(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	batch_serve(arg, req, rp, 0, resp);
}

void
tly_central_get_batch_receipt(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	batch_serve(arg, req, rp, 1, resp);
}

void
tly_central_get_election(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;
	uint8_t			 h[TLY_HASH_LEN];

	tly_buf_free(&resp->body);
	tly_buf_init(&resp->body, TLY_ELECTION_FILE_MAX);
	if (tly_buf_read_file(c->conf.election, TLY_ELECTION_FILE_MAX,
	    &resp->body) != TLY_OK) {
		tly_buf_reset(&resp->body);
		tly_http_resp_error(resp, 500, "internal", "the definition "
		    "cannot be read");
		return;
	}
	/* Serve only the bytes whose hash the central announces. */
	tly_hash(resp->body.p, resp->body.len, h);
	if (!tly_memeq(h, c->ehash, sizeof(h))) {
		tly_buf_reset(&resp->body);
		tly_http_resp_error(resp, 500, "internal", "the definition "
		    "file changed since the central started");
		return;
	}
	resp->status = 200;
	tly_central_etag(req, resp);
}

void
tly_central_get_area_records(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;
	struct tly_jw		 w;
	char			 area[128];
	int			 r;

	if (rp->len[0] >= sizeof(area)) {
		tly_http_resp_error(resp, 404, "not_found", "no such area");
		return;
	}
	memcpy(area, rp->p[0], rp->len[0]);
	area[rp->len[0]] = '\0';
	if (!tly_json_valid_id(area) ||
	    tly_election_find_area(c->election, area) < 0) {
		tly_http_resp_error(resp, 404, "not_found", "no such area");
		return;
	}
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "area");
	tly_jw_str(&w, area);
	if ((r = tly_cstore_area_json(c->store, area, AREA_RECORDS_MAX,
	    &w)) == TLY_OK) {
		tly_jw_obj_close(&w);
		r = tly_jw_finish(&w);
	}
	if (r != TLY_OK) {
		tly_buf_reset(&resp->body);
		tly_http_resp_error(resp, r == TLY_E_BUSY ? 503 : 500,
		    r == TLY_E_BUSY ? "busy" : "internal", "area: %s",
		    tly_strerror(r));
		return;
	}
	resp->status = 200;
	tly_central_etag(req, resp);
}
