/*
 * fuzz_feed.c: libFuzzer target for the audit feed's page reader
 * (PROTOCOL.md 8.7): the strict JSON scanner, then the page and its
 * entries (hashes, integers, base64 of batches and receipts).
 */
#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "crypto/crypto.h"
#include "sync/feed.h"
#include "sync/wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 init;
	struct tly_json		*root = NULL;
	struct tly_feed		 f = { 0 };
	size_t			 i;

	if (!init) {
		tly_crypto_init();
		init = 1;
	}
	if (tly_json_parse(data, size, &root) != 0)
		return 0;
	(void)tly_feed_page(&f, root);
	for (i = 0; i < f.n; i++)
		if (f.e[i].bytes.len == 0 || f.e[i].bytes.len > TLY_MSG_MAX)
			__builtin_trap();	/* an entry without its bytes */
	tly_feed_free(&f);
	tly_json_free(root);
	return 0;
}
