/*
 * hex.c: lowercase hexadecimal.  Both directions use arithmetic instead
 * of tables or branches on the data, as libsodium's sodium_bin2hex and
 * sodium_hex2bin do, so that hex of a secret leaks nothing through
 * timing.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/hex.h"

/* The lowercase hex digit of nibble n (0..15). */
static char
hex_digit(unsigned n)
{
	/* n < 10: '0' + n; else 'a' + n - 10 (87 + n). */
	return (char)(87U + n + (((n - 10U) >> 8) & ~38U));
}

char *
tly_hex(const uint8_t *p, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_digit(p[i] >> 4);
		out[2 * i + 1] = hex_digit(p[i] & 15U);
	}
	out[2 * n] = '\0';
	return out;
}

/*
 * The value of lowercase hex digit c in the low bits, with bit 8 set
 * when c is not one (no branch on c).
 */
static unsigned
hex_value(unsigned char c)
{
	unsigned	num = c ^ 48U;		/* '0'..'9' -> 0..9 */
	unsigned	num_ok = (num - 10U) >> 8 & 1U;
	unsigned	alpha = c - 87U;	/* 'a'..'f' -> 10..15 */
	unsigned	alpha_ok = ((alpha - 10U) ^ (alpha - 16U)) >> 8 & 1U;
	unsigned	mask_num = 0U - num_ok, mask_alpha = 0U - alpha_ok;

	return (num & mask_num) | (alpha & mask_alpha) |
	    ((1U - (num_ok | alpha_ok)) << 8);
}

int
tly_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t outlen)
{
	unsigned	bad = 0, hi, lo;
	size_t		i;

	if (hexlen != 2 * outlen)
		return tly_fail(TLY_E_ENCODING, "%zu hex characters, not %zu",
		    hexlen, 2 * outlen);
	for (i = 0; i < outlen; i++) {
		hi = hex_value((unsigned char)hex[2 * i]);
		lo = hex_value((unsigned char)hex[2 * i + 1]);
		bad |= (hi | lo) & 0x100U;
	}
	if (bad)
		return tly_fail(TLY_E_ENCODING, "not lowercase hex");
	for (i = 0; i < outlen; i++) {
		hi = hex_value((unsigned char)hex[2 * i]);
		lo = hex_value((unsigned char)hex[2 * i + 1]);
		out[i] = (uint8_t)((hi & 15U) << 4 | (lo & 15U));
	}
	return TLY_OK;
}
