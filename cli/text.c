/*
 * text.c: the display width of UTF-8 text on a terminal, so that tables
 * of Vietnamese names line up: one column per code point, none for
 * combining marks (Mn) and invisible format characters, two for wide
 * East Asian characters.
 */
#include <stdint.h>
#include <string.h>

#include "cli/cli.h"
#include "election/election.h"

/* A range of code points, inclusive. */
struct width_range {
	uint32_t	lo, hi;
};

/* Nonspacing marks (Mn, the common blocks) and format characters. */
static const struct width_range zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x05bf, 0x05bf }, { 0x05c1, 0x05c2 }, { 0x05c4, 0x05c5 },
	{ 0x05c7, 0x05c7 }, { 0x0610, 0x061a }, { 0x061c, 0x061c },
	{ 0x064b, 0x065f }, { 0x0670, 0x0670 }, { 0x06d6, 0x06dc },
	{ 0x06df, 0x06e4 }, { 0x06e7, 0x06e8 }, { 0x06ea, 0x06ed },
	{ 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
	{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
	{ 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f },
	{ 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff },
};

/* Wide characters: Hangul Jamo, CJK, Hangul syllables, fullwidth. */
static const struct width_range wide[] = {
	{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0xa4cf },
	{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
	{ 0x20000, 0x3fffd },
};

/* 1 if cp lies in one of the n sorted ranges r. */
static int
in(const struct width_range *r, size_t n, uint32_t cp)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

size_t
cli_width(const char *s)
{
	size_t		 w = 0, n;
	uint32_t	 cp;

	for (; *s != '\0'; s += n) {
		cp = tly_text_decode(s, &n);
		if (in(zero, sizeof(zero) / sizeof(zero[0]), cp))
			continue;
		w += in(wide, sizeof(wide) / sizeof(wide[0]), cp) ? 2 : 1;
	}
	return w;
}

const char *
cli_pad(const char *s, size_t width, char *out, size_t outlen)
{
	size_t	 len, w;

	if (outlen == 0)
		return out;
	len = strlen(s);
	if (len >= outlen)
		len = outlen - 1;
	memmove(out, s, len);
	out[len] = '\0';
	for (w = cli_width(out); w < width && len + 1 < outlen; w++)
		out[len++] = ' ';
	out[len] = '\0';
	return out;
}
