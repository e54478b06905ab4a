/*
 * fuzz_link.c: libFuzzer target for the link answer (sync/link.c,
 * PROTOCOL.md 8.8).  As in fuzz_receipt.c, inputs without the envelope
 * magic are signed as a link body with a fixed key, so the body parser
 * is reached.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "sync/link.h"
#include "sync/wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tly_key	*key;
	static const uint8_t	 nonce[TLY_LINK_NONCE_LEN] = { 1, 2, 3 };
	struct tly_buf		 m = TLY_BUF_INIT(TLY_MSG_MAX);
	uint64_t		 t;

	if (key == NULL) {
		uint8_t seed[TLY_SEED_LEN] = { 7 };
		tly_crypto_init();
		if (tly_key_from_seed(seed, &key) != 0)
			return 0;
	}
	if (size >= 8 && memcmp(data, TLY_SIG_MAGIC, 8) == 0) {
		(void)tly_link_verify(data, size, tly_key_public(key), nonce,
		    &t);
		return 0;
	}
	if (tly_envelope_seal(key, TLY_CTX_LINK, data, size, &m) == 0)
		(void)tly_link_verify(m.p, m.len, tly_key_public(key), nonce,
		    &t);
	tly_buf_free(&m);
	return 0;
}
