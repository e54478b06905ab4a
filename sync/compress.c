/*
 * compress.c: gzip bodies (RFC 1952) with zlib.  The only zlib user.
 *
 * Both directions stream through a fixed stack chunk into the caller's
 * bounded buffer, so memory use is the zlib state plus what the output
 * cap allows.  On failure the output buffer is put back to the length it
 * had on entry.
 */
#include <limits.h>
#include <string.h>

#include <zlib.h>

#include "common/buf.h"
#include "common/err.h"
#include "sync/compress.h"

#define GZ_WBITS	(16 + MAX_WBITS)	/* gzip wrapper, 32 KiB window */
#define GZ_CHUNK	16384			/* bytes produced per step */

/* The largest piece of input handed to zlib at once (avail_in is a uInt). */
#define GZ_IN_MAX	((size_t)UINT_MAX)

/* Put b back to len bytes (undo appends made by a failed call). */
static void
buf_truncate(struct tly_buf *b, size_t len)
{
	b->len = len;
	if (b->p != NULL)
		b->p[len] = '\0';
}

/* Move up to GZ_IN_MAX more bytes of input into z when it has run dry. */
static void
feed(z_stream *z, const uint8_t **inp, size_t *leftp)
{
	size_t	 n;

	if (z->avail_in != 0 || *leftp == 0)
		return;
	n = *leftp < GZ_IN_MAX ? *leftp : GZ_IN_MAX;
	z->next_in = (Bytef *)(uintptr_t)*inp;	/* zlib does not write it */
	z->avail_in = (uInt)n;
	*inp += n;
	*leftp -= n;
}

int
tly_gzip(const uint8_t *in, size_t len, struct tly_buf *out)
{
	z_stream	 z;
	uint8_t		 chunk[GZ_CHUNK];
	size_t		 left = len, orig = out->len;
	int		 zr, flush, r = TLY_OK, inited = 0;

	memset(&z, 0, sizeof(z));
	if (in == NULL && len > 0) {
		r = TLY_E_INVAL;
		goto out;
	}
	if ((zr = deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
	    GZ_WBITS, 8, Z_DEFAULT_STRATEGY)) != Z_OK) {
		r = zr == Z_MEM_ERROR ? TLY_E_NOMEM : TLY_E_ENCODING;
		goto out;
	}
	inited = 1;
	do {
		feed(&z, &in, &left);
		flush = (left == 0) ? Z_FINISH : Z_NO_FLUSH;
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, flush);
		if (zr == Z_STREAM_ERROR) {
			r = TLY_E_ENCODING;
			goto out;
		}
		if ((r = tly_buf_add(out, chunk,
		    sizeof(chunk) - z.avail_out)) != TLY_OK)
			goto out;
	} while (zr != Z_STREAM_END);
 out:
	if (inited)
		deflateEnd(&z);
	if (r != TLY_OK)
		buf_truncate(out, orig);
	return r;
}

int
tly_gunzip(const uint8_t *in, size_t len, size_t max, struct tly_buf *out)
{
	z_stream	 z;
	uint8_t		 chunk[GZ_CHUNK];
	size_t		 left = len, orig = out->len, total = 0, have;
	int		 zr, r = TLY_OK, inited = 0;

	memset(&z, 0, sizeof(z));
	if (in == NULL && len > 0) {
		r = TLY_E_INVAL;
		goto out;
	}
	if ((zr = inflateInit2(&z, GZ_WBITS)) != Z_OK) {
		r = zr == Z_MEM_ERROR ? TLY_E_NOMEM : TLY_E_ENCODING;
		goto out;
	}
	inited = 1;
	for (;;) {
		feed(&z, &in, &left);
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		have = sizeof(chunk) - z.avail_out;
		if (have > max - total) {
			r = tly_fail(TLY_E_TOO_LARGE,
			    "gzip body inflates past %zu bytes", max);
			goto out;
		}
		total += have;
		if ((r = tly_buf_add(out, chunk, have)) != TLY_OK)
			goto out;
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_MEM_ERROR) {
			r = TLY_E_NOMEM;
			goto out;
		}
		if (zr == Z_BUF_ERROR && have == 0 && z.avail_in == 0 &&
		    left == 0) {
			r = tly_fail(TLY_E_ENCODING, "gzip body is truncated");
			goto out;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			r = tly_fail(TLY_E_ENCODING, "gzip body is corrupt: %s",
			    z.msg != NULL ? z.msg : "inflate failed");
			goto out;
		}
	}
	if (z.avail_in != 0 || left != 0)
		r = tly_fail(TLY_E_ENCODING,
		    "bytes after the end of the gzip body");
 out:
	if (inited)
		inflateEnd(&z);
	if (r != TLY_OK)
		buf_truncate(out, orig);
	return r;
}
