/*
 * fuzz_batch.c: libFuzzer target for the batch parser.
 *
 * An input starting with the envelope magic is parsed as a whole signed
 * message (layout, context, signature).  Any other input is taken as a
 * batch body, signed with a fixed key, and parsed, so that mutations
 * reach the JSON body and record parsers behind the signature check.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "sync/wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tly_key	*key;
	struct tly_batch	*b = NULL;
	struct tly_buf		 m = TLY_BUF_INIT(TLY_MSG_MAX);

	if (key == NULL) {
		uint8_t seed[TLY_SEED_LEN] = { 7 };
		tly_crypto_init();
		if (tly_key_from_seed(seed, &key) != 0)
			return 0;
	}
	if (size >= 8 && memcmp(data, TLY_SIG_MAGIC, 8) == 0) {
		(void)tly_batch_parse(data, size, &b);
		tly_batch_free(b);
		return 0;
	}
	if (tly_envelope_seal(key, TLY_CTX_BATCH, data, size, &m) == 0) {
		(void)tly_batch_parse(m.p, m.len, &b);
		tly_batch_free(b);
	}
	tly_buf_free(&m);
	return 0;
}
