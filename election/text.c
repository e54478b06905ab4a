/*
 * text.c: what a text must be beyond valid UTF-8 (PROTOCOL.md 5.2): no
 * bidi controls anywhere, one line in names, and a letter or a digit in
 * a clerk's explanation.  One home for the rule: the definition reader
 * (names and other texts) and the record checks (explanations) call it.
 * Also the display width of a text, for tables on a terminal.
 *
 * The input has already passed tly_json_valid_text(), so it is valid
 * UTF-8 without C0 (other than TAB, LF), DEL or C1 controls.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "election/election.h"

/* One range of code points, inclusive. */
struct cp_range {
	uint32_t	lo, hi;
};

/* Bidi controls: embeddings and overrides, isolates, marks, ALM. */
static const struct cp_range bidi[] = {
	{ 0x061c, 0x061c }, { 0x200e, 0x200f }, { 0x202a, 0x202e },
	{ 0x2066, 0x2069 },
};

/*
 * Code points at or above U+00C0 that are not letters or digits: spaces,
 * format characters (Cf), combining marks, punctuation and symbol
 * blocks, private use, specials and tags.  Sorted.
 */
static const struct cp_range not_alnum[] = {
	{ 0x00d7, 0x00d7 }, { 0x00f7, 0x00f7 }, { 0x02b0, 0x036f },
	{ 0x0600, 0x0605 }, { 0x061c, 0x061c }, { 0x06dd, 0x06dd },
	{ 0x070f, 0x070f }, { 0x08e2, 0x08e2 }, { 0x1680, 0x1680 },
	{ 0x180e, 0x180e }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
	{ 0x2000, 0x2bff }, { 0x2e00, 0x2e7f }, { 0x3000, 0x303f },
	{ 0xd800, 0xf8ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe4f },
	{ 0xfeff, 0xfeff }, { 0xfff0, 0xffff }, { 0x110bd, 0x110bd },
	{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
	{ 0x1d173, 0x1d17a }, { 0x1f000, 0x1faff }, { 0xe0000, 0x10ffff },
};

/* Nonspacing marks (Mn, the common blocks) and format characters. */
static const struct cp_range zero[] = {
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
static const struct cp_range wide[] = {
	{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0xa4cf },
	{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
	{ 0x20000, 0x3fffd },
};

/* 1 if cp lies in one of the n sorted ranges r. */
static int
in_ranges(const struct cp_range *r, size_t n, uint32_t cp)
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

/*
 * Decode the code point at s (valid UTF-8); *np gets its length in
 * bytes.  An invalid lead byte counts as one byte of U+FFFD.
 */
uint32_t
tly_text_decode(const char *s, size_t *np)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n, k;

	if (p[0] < 0x80) {
		*np = 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		*np = 1;
		return 0xfffd;
	}
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80) {
			*np = 1;
			return 0xfffd;
		}
		cp = cp << 6 | (p[k] & 0x3f);
	}
	*np = n;
	return cp;
}

/* 1 if code point cp is a letter or a digit (PROTOCOL.md 5.2). */
static int
is_alnum(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= 'a' && cp <= 'z');
	if (cp < 0xc0)
		return 0;
	return !in_ranges(not_alnum, sizeof(not_alnum) / sizeof(not_alnum[0]),
	    cp);
}

/* Check text s against the rules in flags; see election.h. */
const char *
tly_text_fault(const char *s, int flags)
{
	uint32_t	 cp;
	size_t		 n;
	int		 alnum = 0;

	for (; *s != '\0'; s += n) {
		cp = tly_text_decode(s, &n);
		if (in_ranges(bidi, sizeof(bidi) / sizeof(bidi[0]), cp))
			return "a bidi control character (U+202A-202E, "
			    "U+2066-2069, U+200E, U+200F, U+061C)";
		if ((flags & TLY_TEXT_LINE) &&
		    (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)))
			return "a control character (a tab or a line break)";
		if (is_alnum(cp))
			alnum = 1;
	}
	if ((flags & TLY_TEXT_EXPLAINS) && !alnum)
		return "no letter or digit (only spaces, punctuation or "
		    "invisible characters)";
	return NULL;
}

/* Display width of s in terminal columns; see election.h. */
size_t
tly_text_width(const char *s)
{
	size_t		 w = 0, n;
	uint32_t	 cp;

	for (; *s != '\0'; s += n) {
		cp = tly_text_decode(s, &n);
		if (in_ranges(zero, sizeof(zero) / sizeof(zero[0]), cp))
			continue;
		w += in_ranges(wide, sizeof(wide) / sizeof(wide[0]), cp) ? 2 : 1;
	}
	return w;
}
