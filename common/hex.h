/*
 * hex.h: lowercase hexadecimal, the one encoder and decoder of the tree
 * (ids, keys and hashes on the wire, in files and in logs).  Constant
 * time in the bytes, as libsodium's; common/ so that the JSON writer and
 * crypto/ share it.
 */
#ifndef TLY_HEX_H
#define TLY_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of p[0..n); out must hold 2*n + 1 bytes.  Returns out. */
char	*tly_hex(const uint8_t *p, size_t n, char *out);

/*
 * Decode exactly outlen bytes from hex[0..hexlen): hexlen must be
 * 2*outlen and every character lowercase hex, else TLY_E_ENCODING (with
 * a detail).  out is written only on success.
 */
int	tly_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t outlen);

#endif /* TLY_HEX_H */
