/*
 * api_trust.c: GET and POST /v1/trust (PROTOCOL.md 8.11): the trust
 * objects a closed central holds, and new certificates and revocation
 * lists posted to it without a restart.
 */
#include <string.h>
#include <time.h>

#include "central/central.h"
#include "central/ctrust.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "crypto/crypto.h"

/* 409 open_central: this central has no authority. */
static void
answer_open(struct tly_http_resp *resp)
{
	tly_http_resp_error(resp, 409, "open_central", "this central runs "
	    "open (test mode, no authority): it holds no trust objects");
}

void
tly_central_get_trust(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central		*c = arg;
	struct tly_central_trust	*ct = c->trust;
	struct tly_buf			 b64 = TLY_BUF_INIT(TLY_CENTRAL_RESP_MAX);
	struct tly_jw			 w;
	const char			*only;
	char				 ctx[TLY_CTX_MAX + 1];
	size_t				 i;
	int				 r = TLY_OK;

	if (ct == NULL) {
		answer_open(resp);
		return;
	}
	/* ?for=device: what a field daemon takes (PROTOCOL.md 9.7). */
	if ((only = tly_http_req_query(req, "for")) != NULL &&
	    strcmp(only, "device") != 0) {
		tly_http_resp_error(resp, 400, "bad_request", "for: only "
		    "'device' is known");
		return;
	}
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "authority");
	tly_jw_hex(&w, ct->authority, TLY_PK_LEN);
	pthread_rwlock_rdlock(&ct->lock);
	tly_jw_key(&w, "revocations");
	tly_jw_uint(&w, ct->rev_serial);
	tly_jw_key(&w, "objects");
	tly_jw_arr_open(&w);
	for (i = 0; i < ct->nraw && r == TLY_OK; i++) {
		if (only != NULL && (tly_trust_context(ct->raw[i].p,
		    ct->raw[i].len, ctx, sizeof(ctx)) != TLY_OK ||
		    (strcmp(ctx, TLY_CTX_CENTRAL_CERT) != 0 &&
		    strcmp(ctx, TLY_CTX_REVOCATIONS) != 0)))
			continue;
		tly_buf_reset(&b64);
		if ((r = tly_b64_encode(ct->raw[i].p, ct->raw[i].len, &b64)) ==
		    TLY_OK)
			tly_jw_strn(&w, (const char *)b64.p, b64.len);
	}
	pthread_rwlock_unlock(&ct->lock);
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	if (r == TLY_OK)
		r = tly_jw_finish(&w);
	tly_buf_free(&b64);
	if (r != TLY_OK) {
		tly_buf_free(&resp->body);
		tly_http_resp_error(resp, 500, "internal", "trust: %s",
		    tly_strerror(r));
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json";
	tly_central_etag(req, resp);
}

void
tly_central_post_trust(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;
	struct tly_jw		 w;
	char			 esc[600];
	int			 r, added;

	if (c->trust == NULL) {
		answer_open(resp);
		return;
	}
	if (req->body == NULL || req->bodylen > TLY_TRUST_OBJ_MAX) {
		tly_http_resp_error(resp, 400, "bad_request", "the body is one "
		    "signed trust object of at most %lu bytes",
		    (unsigned long)TLY_TRUST_OBJ_MAX);
		return;
	}
	tly_errclear();
	r = tly_central_trust_apply(c->trust, req->body, req->bodylen, &added);
	if (r == TLY_E_NOMEM) {
		tly_http_resp_error(resp, 500, "internal", "out of memory");
		return;
	}
	if (r != TLY_OK) {
		tly_log_escape(tly_errmsg(r), strlen(tly_errmsg(r)), esc,
		    sizeof(esc));
		tly_log_warn("POST /v1/trust refused: %s: %s",
		    tly_err_code(r), esc);
		tly_http_resp_error(resp, 422, tly_err_code(r), "%s", esc);
		return;
	}
	if (added && (r = tly_cstore_trust_put(c->store, req->body,
	    req->bodylen, time(NULL))) != TLY_OK) {
		tly_log_error("POST /v1/trust: not kept: %s", tly_errmsg(r));
		tly_http_resp_error(resp, 500, "internal", "the object "
		    "applies but could not be kept; post it again");
		return;
	}
	tly_log_info("POST /v1/trust: %s", added ? "added" : "already held");
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "status");
	tly_jw_str(&w, added ? "added" : "held");
	tly_jw_obj_close(&w);
	if (tly_jw_finish(&w) != TLY_OK) {
		tly_buf_free(&resp->body);
		tly_http_resp_error(resp, 500, "internal", "out of memory");
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json";
}
