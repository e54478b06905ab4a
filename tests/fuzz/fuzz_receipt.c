/*
 * fuzz_receipt.c: libFuzzer target for receipt verification.  As in
 * fuzz_batch.c, inputs without the envelope magic are taken as a receipt
 * body in an envelope from a fixed key, so the body parser is reached,
 * and under libFuzzer (TLY_FUZZING) no signature is computed or checked.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "sync/wire.h"
#include "tests/fuzz/fuzz_envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tly_key	*key;
	struct tly_envelope	 env;
	struct tly_receipt	 rc;

	if (key == NULL) {
		uint8_t seed[TLY_SEED_LEN] = { 9 };
		tly_crypto_init();
		if (tly_key_from_seed(seed, &key) != 0)
			return 0;
	}
	if (size >= 8 && memcmp(data, TLY_SIG_MAGIC, 8) == 0) {
		if (tly_envelope_parse(data, size, &env) == 0)
			(void)tly_receipt_from_envelope(&env,
			    tly_key_public(key), &rc);
#ifndef TLY_FUZZING
		(void)tly_receipt_verify(data, size, tly_key_public(key), &rc);
#endif
		return 0;
	}
	if (fuzz_envelope(&env, TLY_CTX_RECEIPT, tly_key_public(key), data,
	    size) != 0)
		return 0;
	(void)tly_receipt_from_envelope(&env, tly_key_public(key), &rc);
#ifndef TLY_FUZZING
	{
		struct tly_buf m = TLY_BUF_INIT(TLY_MSG_MAX);
		if (tly_envelope_seal(key, TLY_CTX_RECEIPT, data, size, &m) == 0)
			(void)tly_receipt_verify(m.p, m.len, tly_key_public(key),
			    &rc);
		tly_buf_free(&m);
	}
#endif
	return 0;
}
