/*
 * fuzz_gunzip.c: libFuzzer target for gzip decoding (sync/compress.c).
 * What decodes must encode and decode back to the same bytes; the output
 * cap is small so that bombs stop early.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sync/compress.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX	(64 * 1024)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tly_buf	out = TLY_BUF_INIT(OUT_MAX);
	struct tly_buf	gz = TLY_BUF_INIT(2 * OUT_MAX);
	struct tly_buf	back = TLY_BUF_INIT(OUT_MAX);

	if (tly_gunzip(data, size, OUT_MAX, &out) != 0)
		goto out;
	if (out.len > OUT_MAX)
		abort();
	if (tly_gzip(out.p, out.len, &gz) != 0 ||
	    tly_gunzip(gz.p, gz.len, OUT_MAX, &back) != 0 ||
	    back.len != out.len ||
	    (out.len > 0 && memcmp(back.p, out.p, out.len) != 0))
		abort();
 out:
	tly_buf_free(&out);
	tly_buf_free(&gz);
	tly_buf_free(&back);
	return 0;
}
