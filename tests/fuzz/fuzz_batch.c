/*
 * fuzz_batch.c: libFuzzer target for the batch parser; the corpus replay
 * also runs each input through the one entry verifier (sync/verify.h,
 * steps 1-6 without a definition).
 *
 * An input starting with the envelope magic is parsed as a whole signed
 * message (layout, context, body).  Any other input is taken as a batch
 * body in an envelope from a fixed key, so that mutations reach the
 * strict JSON scanner and the record parser.
 *
 * Under libFuzzer (TLY_FUZZING) the Ed25519 signature is not computed
 * or checked: it is libsodium's code, not a parser of ours, and at some
 * 70 microseconds an input it would cap the target at a tenth of the
 * executions.  The corpus replay in make check runs the signed path too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "sync/verify.h"
#include "sync/wire.h"
#include "tests/fuzz/fuzz_envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tly_key		*key;
#ifndef TLY_FUZZING
	static const struct tly_verify_ctx ctx;	/* any election, mode, device */
	struct tly_verify_result	 res;
#endif
	struct tly_envelope		 env;
	struct tly_batch		*b = NULL;

	if (key == NULL) {
		uint8_t seed[TLY_SEED_LEN] = { 7 };
		tly_crypto_init();
		if (tly_key_from_seed(seed, &key) != 0)
			return 0;
	}
	if (size >= 8 && memcmp(data, TLY_SIG_MAGIC, 8) == 0) {
		if (tly_envelope_parse(data, size, &env) == 0)
			(void)tly_batch_from_envelope(&env, &b);
		tly_batch_free(b);
		b = NULL;
#ifndef TLY_FUZZING
		(void)tly_verify_entry(&ctx, data, size, &res);
		tly_batch_free(res.batch);
#endif
		return 0;
	}
	if (fuzz_envelope(&env, TLY_CTX_BATCH, tly_key_public(key), data,
	    size) != 0)
		return 0;
	(void)tly_batch_from_envelope(&env, &b);
	tly_batch_free(b);
	b = NULL;
#ifndef TLY_FUZZING
	{
		struct tly_buf m = TLY_BUF_INIT(TLY_MSG_MAX);
		if (tly_envelope_seal(key, TLY_CTX_BATCH, data, size, &m) == 0) {
			(void)tly_verify_entry(&ctx, m.p, m.len, &res);
			tly_batch_free(res.batch);
		}
		tly_buf_free(&m);
	}
#endif
	return 0;
}
