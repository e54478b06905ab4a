/*
 * trust_receipt.c: decision receipts (PROTOCOL.md 6.1): a central's
 * signed statement that it took a decision, and when.  A mirror or an
 * auditor judges a decision at the stored time of such a receipt from
 * a certified central (13.7 rule 2), never at its own clock, so that
 * every copy reaches the same state.
 */
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "sync/trust.h"
#include "sync/wire.h"

/* The names of a decision receipt's body, in their written order. */
static const char *const dreceipt_names[] = { "decision", "stored", NULL };

int
tly_decision_receipt_parse(const uint8_t *m, size_t len,
    struct tly_decision_receipt *rc)
{
	struct tly_envelope	 env;
	struct tly_json		*root = NULL;
	int			 r;

	memset(rc, 0, sizeof(*rc));
	if ((r = tly_envelope_verify(m, len, TLY_CTX_DECISION_RECEIPT,
	    &env)) != TLY_OK)
		return tly_fail(TLY_E_RECEIPT, "decision receipt: %s",
		    tly_errdetail());
	if (tly_json_parse(env.body, env.bodylen, &root) != TLY_OK ||
	    !tly_json_is_object(root) ||
	    tly_json_check_names(root, "", dreceipt_names) != TLY_OK ||
	    tly_json_get_hash(root, "", "decision", rc->decision) != TLY_OK ||
	    tly_json_get_int(root, "", "stored", &rc->stored) != TLY_OK) {
		r = tly_fail(TLY_E_RECEIPT, "decision receipt body: %s",
		    root == NULL ? tly_errdetail() : "not the names of 6.1");
		goto out;
	}
	memcpy(rc->signer, env.signer, TLY_PK_LEN);
	r = TLY_OK;
 out:
	tly_json_free(root);
	return r;
}

int
tly_decision_receipt_seal(const struct tly_key *central,
    const uint8_t decision[TLY_HASH_LEN], uint64_t stored,
    struct tly_buf *out)
{
	struct tly_buf	body = TLY_BUF_INIT(TLY_BODY_MAX);
	struct tly_jw	w;
	int		r;

	tly_jw_init(&w, &body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "decision");
	tly_jw_hex(&w, decision, TLY_HASH_LEN);
	tly_jw_key(&w, "stored");
	tly_jw_uint(&w, stored);
	tly_jw_obj_close(&w);
	if ((r = tly_jw_finish(&w)) == TLY_OK)
		r = tly_envelope_seal(central, TLY_CTX_DECISION_RECEIPT,
		    body.p, body.len, out);
	tly_buf_free(&body);
	return r;
}

int
tly_trust_decision_time(const struct tly_trust *t, const uint8_t *m,
    size_t len, const uint8_t decision[TLY_HASH_LEN], uint64_t *time)
{
	struct tly_decision_receipt	rc;
	int				r;

	*time = 0;
	if ((r = tly_decision_receipt_parse(m, len, &rc)) != TLY_OK)
		return r;
	if (memcmp(rc.decision, decision, TLY_HASH_LEN) != 0)
		return tly_fail(TLY_E_RECEIPT, "the decision receipt is for "
		    "another decision");
	if ((r = tly_trust_check_central(t, rc.signer, rc.stored)) != TLY_OK)
		return tly_fail(TLY_E_RECEIPT, "the decision receipt's "
		    "signer is not a certified central at its stored time: "
		    "%s: %s", tly_err_code(r), tly_errdetail());
	*time = rc.stored;
	return TLY_OK;
}
