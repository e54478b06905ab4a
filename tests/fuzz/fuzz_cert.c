/*
 * fuzz_cert.c: libFuzzer target for the authority's signed objects
 * (PROTOCOL.md 13): certificates, revocation lists, decisions and
 * their receipts (6.1), enrollment requests and definition statements,
 * and the trust table
 * they feed.  Inputs with the envelope magic are parsed as they are;
 * others are the body, signed with a fixed key under the context chosen
 * by the first byte, so that the body parsers are reached.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "sync/trust.h"
#include "sync/wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every parser and the trust over message m. */
static void
parse_all(struct tly_key *key, const uint8_t *m, size_t len)
{
	static const uint8_t	  def[] = "{}";
	const uint8_t		 *pk = tly_key_public(key);
	struct tly_cert		 *c = NULL;
	struct tly_revocations	 *rv = NULL;
	struct tly_decision	 *d = NULL;
	struct tly_enroll_request rq;
	struct tly_decision_receipt drc;
	struct tly_trust	 *t = NULL;
	uint8_t			  election[TLY_HASH_LEN] = { 0 };
	uint64_t		  when;

	if (tly_cert_parse(m, len, pk, &c) == 0) {
		(void)tly_cert_covers(c, "A01", "na");
		memcpy(election, c->election, sizeof(election));
	}
	if (tly_revocations_parse(m, len, pk, &rv) == 0)
		(void)tly_revocations_find(rv, 1);
	if (tly_decision_parse(m, len, &d) == 0 &&
	    tly_trust_create(pk, d->election, &t) == 0) {
		(void)tly_trust_check_decision(t, d, 1);
		tly_trust_destroy(t);
		t = NULL;
	}
	(void)tly_enroll_parse(m, len, &rq);
	(void)tly_decision_receipt_parse(m, len, &drc);
	(void)tly_definition_verify(m, len, pk, def, sizeof(def) - 1, NULL);
	if (tly_trust_create(pk, election, &t) == 0) {
		(void)tly_trust_add_cert(t, m, len);
		(void)tly_trust_set_revocations(t, m, len);
		(void)tly_trust_check_central(t, pk, 1);
		(void)tly_trust_decision_time(t, m, len, election,
		    &when);
		tly_trust_destroy(t);
	}
	tly_cert_free(c);
	tly_revocations_free(rv);
	tly_decision_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctxs[] = { TLY_CTX_CERT,
	    TLY_CTX_CENTRAL_CERT, TLY_CTX_REVOCATIONS, TLY_CTX_DECISION,
	    TLY_CTX_ENROLL, TLY_CTX_DEFINITION, TLY_CTX_DECISION_RECEIPT };
	static struct tly_key	*key;
	struct tly_buf		 m = TLY_BUF_INIT(TLY_MSG_MAX);

	if (key == NULL) {
		uint8_t seed[TLY_SEED_LEN] = { 0xa0 };
		tly_crypto_init();
		if (tly_key_from_seed(seed, &key) != 0)
			return 0;
	}
	if (size >= 8 && memcmp(data, TLY_SIG_MAGIC, 8) == 0) {
		parse_all(key, data, size);
		return 0;
	}
	if (size < 1)
		return 0;
	if (tly_envelope_seal(key, ctxs[data[0] % 7], data + 1, size - 1,
	    &m) == 0)
		parse_all(key, m.p, m.len);
	tly_buf_free(&m);
	return 0;
}
