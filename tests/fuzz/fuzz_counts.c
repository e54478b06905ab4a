/*
 * fuzz_counts.c: libFuzzer target for the counts-string parser
 * (PROTOCOL.md 12.1): what it accepts must be written back, by
 * tly_merge_counts(), as the very same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "election/election.h"
#include "merge/merge.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tly_record	r;
	struct tly_buf			b = TLY_BUF_INIT(1 << 16);

	tly_record_init(&r);
	if (tly_merge_counts_parse((const char *)data, size, &r) == 0) {
		if (tly_merge_counts(&r, &b) != 0 || b.len != size + 1 ||
		    memcmp(b.p, data, size) != 0)
			abort();
	}
	tly_record_finish(&r);
	tly_buf_free(&b);
	return 0;
}
