/*
 * api_decision.c: POST /v1/decisions (PROTOCOL.md 8.14): an
 * adjudicator's signed decision (13.6) to unfreeze a device or resolve
 * a conflict.  The central verifies it against the adjudicator's
 * certificate at its receipt time (13.7), keeps it byte for byte at the
 * next audit feed position and applies it by the merge rules (12.3,
 * 12.4); a refused decision is answered with its code and kept in the
 * rejection log.
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
#include "sync/trust.h"

#define RECEIPT_HDR	"Tally-Receipt"	/* a decision receipt, base64 */
#define MSG_MAX		600	/* a refusal's message, escaped */

/* 200: the decision is held at feed position pos (also for a replay). */
static void
answer_stored(struct tly_http_resp *resp, const struct tly_decision *d,
    uint64_t pos)
{
	struct tly_jw	w;

	tly_http_resp_begin(resp, 200, TLY_SMALL_RESP_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "status");
	tly_jw_str(&w, "stored");
	tly_jw_key(&w, "decision");
	tly_jw_hex(&w, d->id, TLY_HASH_LEN);
	tly_jw_key(&w, "pos");
	tly_jw_uint(&w, pos);
	tly_jw_obj_close(&w);
	tly_log_answer("POST /v1/decisions",
	    tly_http_resp_finish(resp, &w, TLY_OK));
}

/*
 * 422 with err's code: log it and keep the bytes in the rejection log
 * (signer: the decision's, or NULL when it did not parse).
 */
static void
refuse(struct tly_central *c, const struct tly_http_req *req, int err,
    const uint8_t *signer, struct tly_http_resp *resp)
{
	char	esc[MSG_MAX];
	int	r;

	tly_log_escape(tly_errmsg(err), strlen(tly_errmsg(err)), esc,
	    sizeof(esc));
	tly_log_warn("POST /v1/decisions refused: %s: %s", tly_err_code(err),
	    esc);
	if ((r = tly_cstore_decision_reject(c->store, time(NULL),
	    tly_err_code(err), esc, signer, req->body, req->bodylen)) !=
	    TLY_OK)
		tly_log_error("POST /v1/decisions: rejection not kept: %s",
		    tly_errmsg(r));
	tly_http_resp_error(resp, 422, tly_err_code(err), "%s", esc);
}

/*
 * The receipt time of d (13.7): the stored time of the decision receipt
 * in the Tally-Receipt header (rule 2), kept in rc, when there is one;
 * else now (rule 1).  An open central has no central certificates and
 * uses its clock.
 */
static int
receipt_time(struct tly_central *c, const struct tly_http_req *req,
    const struct tly_decision *d, uint64_t now, struct tly_buf *rc,
    uint64_t *t)
{
	const char	*h = tly_http_req_header(req, RECEIPT_HDR);
	int		 r;

	*t = now;
	if (h == NULL || c->trust == NULL)
		return TLY_OK;
	if (tly_b64_decode(h, strlen(h), rc) != TLY_OK)
		return tly_fail(TLY_E_RECEIPT, RECEIPT_HDR ": not base64 of "
		    "a decision receipt");
	pthread_rwlock_rdlock(&c->trust->lock);
	r = tly_trust_decision_time(c->trust->t, rc->p, rc->len, d->id, t);
	pthread_rwlock_unlock(&c->trust->lock);
	return r;
}

/* May the central apply d at receipt time now (13.6, 13.7)? */
static int
judge(struct tly_central *c, const struct tly_decision *d, uint64_t now)
{
	char	hex[TLY_HEX_PK];
	int	r;

	if (c->trust == NULL) {
		/* Open (test mode): no certificates to check against. */
		if (memcmp(d->election, c->ehash, TLY_HASH_LEN) != 0)
			return tly_fail(TLY_E_ELECTION, "decision for another "
			    "election");
		tly_log_warn("OPEN central: decision by %s taken without a "
		    "certificate", tly_hex(d->signer, TLY_PK_LEN, hex));
		return TLY_OK;
	}
	pthread_rwlock_rdlock(&c->trust->lock);
	r = tly_trust_check_decision(c->trust->t, d, now);
	pthread_rwlock_unlock(&c->trust->lock);
	return r;
}

void
tly_central_post_decision(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;
	struct tly_decision	*d = NULL;
	struct tly_buf		 rc = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	char			 hex[TLY_HEX_HASH], shex[TLY_HEX_PK];
	uint64_t		 pos = 0, now = (uint64_t)time(NULL), t = now;
	int			 r;

	if (req->body == NULL || req->bodylen > TLY_TRUST_OBJ_MAX) {
		tly_http_resp_error(resp, 400, "bad_request", "the body is one "
		    "signed decision of at most %lu bytes",
		    (unsigned long)TLY_TRUST_OBJ_MAX);
		return;
	}
	tly_errclear();
	if ((r = tly_decision_parse(req->body, req->bodylen, &d)) != TLY_OK) {
		if (r == TLY_E_NOMEM)
			tly_http_resp_error(resp, 500, "internal", "out of "
			    "memory");
		else
			refuse(c, req, r, NULL, resp);
		return;
	}
	/* A replay answers as the first time, whatever has changed since. */
	if ((r = tly_cstore_decision_held(c->store, d->id, &pos)) == TLY_OK &&
	    pos > 0) {
		answer_stored(resp, d, pos);
		goto out;
	}
	if (r == TLY_OK && ((r = receipt_time(c, req, d, now, &rc, &t)) !=
	    TLY_OK || (r = judge(c, d, t)) != TLY_OK)) {
		refuse(c, req, r, d->signer, resp);
		goto out;
	}
	/* Without a receipt to judge by, this central signs one (6.1). */
	if (r == TLY_OK && rc.len == 0)
		r = tly_decision_receipt_seal(c->key, d->id, now, &rc);
	if (r == TLY_OK)
		r = tly_cstore_decision_put(c->store, d, req->body,
		    req->bodylen, rc.p, rc.len, (time_t)now, &pos);
	if (r == TLY_E_NOT_HELD) {
		refuse(c, req, r, d->signer, resp);
		goto out;
	}
	if (r != TLY_OK && r != TLY_E_DUPLICATE) {
		if (r != TLY_E_BUSY)
			tly_log_error("POST /v1/decisions: %s: %s",
			    tly_strerror(r), tly_errmsg(r));
		tly_http_resp_fail(resp, r);
		goto out;
	}
	if (r == TLY_OK)
		tly_log_warn("decision %s: %s by %.16s at feed position %llu",
		    tly_hex(d->id, TLY_HASH_LEN, hex), d->kind ==
		    TLY_DECISION_UNFREEZE ? "unfreeze" : "resolve",
		    tly_hex(d->signer, TLY_PK_LEN, shex),
		    (unsigned long long)pos);
	answer_stored(resp, d, pos);
 out:
	tly_buf_free(&rc);
	tly_decision_free(d);
}
