/*
 * fuzz_bundle.c: libFuzzer target for the bundle reader and each entry's
 * batch parser, and for salvage (PROTOCOL.md 7.1) when the reader
 * refuses the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "sync/wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int			 init;
	struct tly_bundle_reader	 r;
	const uint8_t			*m;
	size_t				 mlen, off = TLY_BUNDLE_HEAD, skipped;
	struct tly_batch		*b;

	if (!init) {
		tly_crypto_init();
		init = 1;
	}
	if (tly_bundle_open(data, size, &r) != 0) {
		while (tly_bundle_salvage(data, size, &off, &m, &mlen,
		    &skipped)) {
			if (mlen > size || off > size)
				__builtin_trap();	/* out of bounds */
			b = NULL;
			(void)tly_batch_parse(m, mlen, &b);
			tly_batch_free(b);
		}
		return 0;
	}
	while (tly_bundle_next(&r, &m, &mlen)) {
		b = NULL;
		(void)tly_batch_parse(m, mlen, &b);
		tly_batch_free(b);
	}
	return 0;
}
