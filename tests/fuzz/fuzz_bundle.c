/*
 * fuzz_bundle.c: libFuzzer target for the bundle file reader (versions 1
 * and 2), each entry's kind (PROTOCOL.md 7.2) and batch parser, and for
 * salvage (7.1) when the reader refuses the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "sync/companion.h"
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
	if (tly_bundle_open_file(data, size, &r) != 0) {
		while (tly_bundle_salvage(data, size, &off, &m, &mlen,
		    &skipped)) {
			if (mlen > size || off > size)
				__builtin_trap();	/* out of bounds */
			if (tly_companion_kind(m, mlen, 0) != TLY_COMPANION_NONE)
				continue;
			b = NULL;
			(void)tly_batch_parse(m, mlen, &b);
			tly_batch_free(b);
		}
		return 0;
	}
	while (tly_bundle_next(&r, &m, &mlen)) {
		if (tly_companion_kind(m, mlen, r.version) != TLY_COMPANION_NONE)
			continue;
		b = NULL;
		(void)tly_batch_parse(m, mlen, &b);
		tly_batch_free(b);
	}
	return 0;
}
