/*
 * fuzz_record.c: libFuzzer target for the count-record parser and its
 * canonical JSON round trip.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "election/election.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tly_record	r, r2;
	struct tly_buf		b = TLY_BUF_INIT(1 << 20);
	struct tly_jw		w;

	tly_record_init(&r);
	if (tly_record_parse(data, size, &r) != 0)
		return 0;
	/* What parses must serialise and parse back to the same JSON. */
	tly_jw_init(&w, &b);
	tly_record_to_json(&r, &w);
	if (tly_jw_finish(&w) != 0)
		abort();
	tly_record_init(&r2);
	if (tly_record_parse(b.p, b.len, &r2) != 0)
		abort();
	{
		struct tly_buf	 b2 = TLY_BUF_INIT(1 << 20);
		struct tly_jw	 w2;
		tly_jw_init(&w2, &b2);
		tly_record_to_json(&r2, &w2);
		if (tly_jw_finish(&w2) != 0 || b2.len != b.len ||
		    memcmp(b2.p, b.p, b.len) != 0)
			abort();
		tly_buf_free(&b2);
	}
	tly_record_finish(&r2);
	tly_record_finish(&r);
	tly_buf_free(&b);
	return 0;
}
