/*
 * compress.h: gzip bodies (RFC 1952).  The only zlib user.
 */
#ifndef TLY_COMPRESS_H
#define TLY_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Append the gzip encoding of in[0..len) to out. */
int	tly_gzip(const uint8_t *in, size_t len, struct tly_buf *out);
/*
 * Append the inflated in[0..len) to out.  More than max output bytes is
 * TLY_E_TOO_LARGE (a zip bomb stops there); corrupt, truncated or
 * trailing data is TLY_E_ENCODING.
 */
int	tly_gunzip(const uint8_t *in, size_t len, size_t max,
	    struct tly_buf *out);

#endif /* TLY_COMPRESS_H */
