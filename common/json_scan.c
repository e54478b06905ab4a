/*
 * json_scan.c: the strict JSON scanner and tree builder.
 *
 * The grammar is RFC 8259 with the restrictions of PROTOCOL.md section 1
 * (no byte order mark, whitespace only SP HT LF CR, strings of valid UTF-8
 * without raw control characters or \u0000, well-formed surrogate
 * escapes, integers only: plain digits, no leading zero, at most 2^53-1,
 * nesting at most TLY_JSON_DEPTH_MAX).
 *
 * The same recursive descent runs twice.  The first pass only checks the
 * text and counts nodes and string bytes; nothing is allocated and any
 * fault ends it.  The second pass, over text known to be good, fills one
 * block holding every node and every decoded string.  Integers are read
 * digit by digit into a uint64_t, never through a double.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/jsonInt.h"

/* Scanner state; nodes and pool are NULL in the counting pass. */
struct scan {
	const uint8_t	*s;		/* start of the text */
	const uint8_t	*p;		/* cursor */
	const uint8_t	*end;		/* one past the last byte */
	struct tly_json	*nodes;		/* the block's nodes (second pass) */
	size_t		 nnodes;	/* nodes used so far */
	char		*pool;		/* the block's strings (second pass) */
	size_t		 npool;		/* pool bytes used so far */
	int		 depth;		/* containers open around the cursor */
	struct {
		const uint8_t	*name;	/* raw member name, NULL in an array */
		size_t		 len;	/* its bytes, or the element index */
	}		 at[TLY_JSON_DEPTH_MAX + 1];	/* path, for details */
};

static int	scan_value(struct scan *, int, struct tly_json **);

/* TLY_E_JSON naming the path of the value at fault and the offset. */
static int
scan_fail(const struct scan *sc, const char *what)
{
	char	path[256];
	size_t	k = 0;
	int	d, n;

	path[0] = '\0';
	for (d = 1; d <= sc->depth && k < sizeof(path); d++) {
		if (sc->at[d].name != NULL)
			n = snprintf(path + k, sizeof(path) - k, "%s%.*s",
			    k > 0 ? "." : "", (int)(sc->at[d].len > 64 ? 64 :
			    sc->at[d].len), (const char *)sc->at[d].name);
		else
			n = snprintf(path + k, sizeof(path) - k, "[%zu]",
			    sc->at[d].len);
		if (n < 0)
			break;
		k += (size_t)n;
	}
	if (k >= sizeof(path))
		memcpy(path + sizeof(path) - 4, "...", 4);
	return tly_fail(TLY_E_JSON, "%s%s%s at byte %zu", path,
	    path[0] != '\0' ? ": " : "", what, (size_t)(sc->p - sc->s));
}

/*
 * Byte classes, so that the loops over runs of plain bytes test each
 * byte once (this also keeps the fuzz targets fast).
 */
#define C_WS	1	/* whitespace: exactly SP, HT, LF and CR */
#define C_PLAIN	2	/* copied as is in a string: 20..7F but " and \ */

static const uint8_t	cls[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0,	/* 00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 10 */
	3, 2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,	/* 20 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,	/* 30 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,	/* 40 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2,	/* 50 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,	/* 60 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,	/* 70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* A0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* B0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* C0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* D0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* E0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* F0 */
};

static void
scan_ws(struct scan *sc)
{
	while (sc->p < sc->end && (cls[*sc->p] & C_WS))
		sc->p++;
}

/* The next byte, or -1 at the end. */
static int
peek(const struct scan *sc)
{
	return sc->p < sc->end ? *sc->p : -1;
}

/* A new node of type t, or NULL in the counting pass. */
static struct tly_json *
node_new(struct scan *sc, enum json_type t)
{
	struct tly_json	*n = NULL;

	if (sc->nodes != NULL) {
		n = &sc->nodes[sc->nnodes];
		memset(n, 0, sizeof(*n));
		n->type = t;
	}
	sc->nnodes++;
	return n;
}

/*
 * Length of the UTF-8 sequence at p (1 to 4), or 0 if it is not a
 * shortest-form encoding of a scalar value (no overlongs, no surrogates,
 * nothing above U+10FFFF).  Only called for p[0] >= 0x80.
 */
static size_t
utf8_seq(const uint8_t *p, size_t avail)
{
	uint8_t	c = p[0], lo = 0x80, hi = 0xbf;
	size_t	need, i;

	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (c == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;		/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;		/* above U+10FFFF */
	} else
		return 0;
	if (avail <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* Four hex digits (either case) at p, or -1. */
static long
hex4(const uint8_t *p, const uint8_t *end)
{
	long	v = 0;
	int	i, d;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Append byte c to the string being decoded (counting only in pass 1). */
static void
put(struct scan *sc, char *o, size_t *k, uint32_t c)
{
	if (o != NULL)
		o[*k] = (char)c;
	(*k)++;
}

/* Decode the escape at sc->p (a backslash) into o. */
static int
scan_escape(struct scan *sc, char *o, size_t *k)
{
	const char	*simple = "\"\"\\\\//b\bf\fn\nr\rt\t";
	long		 u, lo;
	uint32_t	 cp;
	int		 e, i;

	if (sc->end - sc->p < 2)
		return scan_fail(sc, "unterminated string");
	e = sc->p[1];
	if (e != 'u') {
		for (i = 0; simple[i] != '\0'; i += 2)
			if (simple[i] == e) {
				put(sc, o, k, (uint8_t)simple[i + 1]);
				sc->p += 2;
				return TLY_OK;
			}
		return scan_fail(sc, "bad escape in a string");
	}
	if ((u = hex4(sc->p + 2, sc->end)) < 0)
		return scan_fail(sc, "bad \\u escape");
	if (u == 0)
		return scan_fail(sc, "\\u0000 in a string");
	if (u >= 0xdc00 && u <= 0xdfff)
		return scan_fail(sc, "unpaired surrogate escape");
	cp = (uint32_t)u;
	if (u >= 0xd800 && u <= 0xdbff) {
		if (sc->end - sc->p < 12 || sc->p[6] != '\\' ||
		    sc->p[7] != 'u' || (lo = hex4(sc->p + 8, sc->end)) < 0xdc00 ||
		    lo > 0xdfff)
			return scan_fail(sc, "unpaired surrogate escape");
		cp = 0x10000 + ((uint32_t)(u - 0xd800) << 10) +
		    (uint32_t)(lo - 0xdc00);
		sc->p += 6;
	}
	sc->p += 6;
	if (cp < 0x80)
		put(sc, o, k, cp);
	else if (cp < 0x800) {
		put(sc, o, k, 0xc0 | cp >> 6);
		put(sc, o, k, 0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		put(sc, o, k, 0xe0 | cp >> 12);
		put(sc, o, k, 0x80 | (cp >> 6 & 0x3f));
		put(sc, o, k, 0x80 | (cp & 0x3f));
	} else {
		put(sc, o, k, 0xf0 | cp >> 18);
		put(sc, o, k, 0x80 | (cp >> 12 & 0x3f));
		put(sc, o, k, 0x80 | (cp >> 6 & 0x3f));
		put(sc, o, k, 0x80 | (cp & 0x3f));
	}
	return TLY_OK;
}

/* The string at sc->p (a quote); *strp is its decoded copy (pass 2). */
static int
scan_string(struct scan *sc, const char **strp, size_t *lenp)
{
	char	*o = sc->pool != NULL ? sc->pool + sc->npool : NULL;
	size_t	 k = 0, n;
	int	 r;

	sc->p++;
	for (;;) {
		const uint8_t *run = sc->p;

		while (sc->p < sc->end && (cls[*sc->p] & C_PLAIN))
			sc->p++;
		if (o != NULL && sc->p > run)
			memcpy(o + k, run, (size_t)(sc->p - run));
		k += (size_t)(sc->p - run);
		if (sc->p >= sc->end)
			return scan_fail(sc, "unterminated string");
		if (*sc->p == '"')
			break;
		if (*sc->p < 0x20)
			return scan_fail(sc, "raw control character in a "
			    "string");
		if (*sc->p == '\\') {
			if ((r = scan_escape(sc, o, &k)) != TLY_OK)
				return r;
		} else {
			n = utf8_seq(sc->p, (size_t)(sc->end - sc->p));
			if (n == 0)
				return scan_fail(sc, "invalid UTF-8");
			if (o != NULL)
				memcpy(o + k, sc->p, n);
			k += n;
			sc->p += n;
		}
	}
	sc->p++;
	if (o != NULL)
		o[k] = '\0';
	sc->npool += k + 1;
	*strp = o;
	*lenp = k;
	return TLY_OK;
}

/* An integer: plain digits, no leading zero, at most 2^53-1. */
static int
scan_int(struct scan *sc, uint64_t *out)
{
	uint64_t	v = 0, d;
	int		c;

	if (*sc->p == '0') {
		sc->p++;
		if ((c = peek(sc)) >= '0' && c <= '9')
			return scan_fail(sc, "number with a leading zero");
	} else
		while ((c = peek(sc)) >= '0' && c <= '9') {
			d = (uint64_t)(c - '0');
			if (v > (TLY_JSON_INT_MAX - d) / 10)
				return scan_fail(sc, "integer above 2^53-1");
			v = v * 10 + d;
			sc->p++;
		}
	c = peek(sc);
	if (c == '.' || c == 'e' || c == 'E')
		return scan_fail(sc, "number with a fraction or exponent "
		    "(integers are plain digits)");
	*out = v;
	return TLY_OK;
}

/* An array or object; sc->p is at its opening bracket. */
static int
scan_container(struct scan *sc, int depth, struct tly_json *n)
{
	int		 obj = *sc->p == '{', close = obj ? '}' : ']';
	struct tly_json	*child, *tail = NULL;
	const uint8_t	*raw;
	const char	*name = NULL;
	size_t		 nlen;
	int		 r, d;

	sc->p++;
	scan_ws(sc);
	if (peek(sc) == close) {
		sc->p++;
		return TLY_OK;
	}
	d = ++sc->depth;	/* <= TLY_JSON_DEPTH_MAX: checked by the caller */
	sc->at[d].name = NULL;
	sc->at[d].len = 0;
	for (;;) {
		if (obj) {
			if (peek(sc) != '"')
				return scan_fail(sc, "expected a name");
			raw = sc->p + 1;
			sc->depth = d - 1;	/* a bad name: the object's path */
			if ((r = scan_string(sc, &name, &nlen)) != TLY_OK)
				return r;
			sc->depth = d;
			sc->at[d].name = raw;
			sc->at[d].len = (size_t)(sc->p - 1 - raw);
			scan_ws(sc);
			if (peek(sc) != ':')
				return scan_fail(sc, "expected ':'");
			sc->p++;
			scan_ws(sc);
		}
		if ((r = scan_value(sc, depth + 1, &child)) != TLY_OK)
			return r;
		if (n != NULL) {
			child->name = name;
			if (tail == NULL)
				n->child = child;
			else
				tail->next = child;
			tail = child;
			n->len++;
		}
		scan_ws(sc);
		if (peek(sc) == ',') {
			sc->p++;
			scan_ws(sc);
			if (!obj)
				sc->at[d].len++;
			continue;
		}
		if (peek(sc) == close) {
			sc->p++;
			sc->depth--;
			return TLY_OK;
		}
		return scan_fail(sc, obj ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
}

/* Match the literal word w. */
static int
scan_word(struct scan *sc, const char *w)
{
	size_t	n = strlen(w);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, w, n) != 0)
		return scan_fail(sc, "unexpected byte");
	sc->p += n;
	return TLY_OK;
}

/* One value at depth (the top is 1); *np is its node (pass 2). */
static int
scan_value(struct scan *sc, int depth, struct tly_json **np)
{
	struct tly_json	*n;
	uint64_t	 v = 0;
	int		 c = peek(sc), r;

	*np = NULL;
	if (depth > TLY_JSON_DEPTH_MAX)
		return tly_fail(TLY_E_JSON, "JSON nested deeper than %d",
		    TLY_JSON_DEPTH_MAX);
	switch (c) {
	case -1:
		return scan_fail(sc, "unexpected end of text");
	case '{':
	case '[':
		n = node_new(sc, c == '{' ? JSON_OBJECT : JSON_ARRAY);
		r = scan_container(sc, depth, n);
		break;
	case '"':
		n = node_new(sc, JSON_STRING);
		{
			const char	*s;
			size_t		 len;

			if ((r = scan_string(sc, &s, &len)) == TLY_OK &&
			    n != NULL) {
				n->str = s;
				n->len = len;
			}
		}
		break;
	case '-':
		return scan_fail(sc, "negative number (integers are "
		    "0..2^53-1)");
	case 't':
	case 'f':
	case 'n':
		n = node_new(sc, c == 't' ? JSON_TRUE : c == 'f' ?
		    JSON_FALSE : JSON_NULL);
		r = scan_word(sc, c == 't' ? "true" : c == 'f' ? "false" :
		    "null");
		break;
	default:
		if (c < '0' || c > '9')
			return scan_fail(sc, sc->p == sc->s &&
			    sc->end - sc->p >= 3 &&
			    memcmp(sc->p, "\xef\xbb\xbf", 3) == 0 ?
			    "byte order mark" : "unexpected byte");
		n = node_new(sc, JSON_INT);
		if ((r = scan_int(sc, &v)) == TLY_OK && n != NULL)
			n->num = v;
		break;
	}
	*np = n;
	return r;
}

/* One pass over the whole text: a value between optional whitespace. */
static int
scan_text(struct scan *sc, struct tly_json **rootp)
{
	int	r;

	scan_ws(sc);
	if (sc->p == sc->end)
		return tly_fail(TLY_E_JSON, "empty JSON text");
	if ((r = scan_value(sc, 1, rootp)) != TLY_OK)
		return r;
	scan_ws(sc);
	if (sc->p != sc->end)
		return scan_fail(sc, "trailing bytes after JSON");
	return TLY_OK;
}

int
tly_json_parse(const void *p, size_t len, struct tly_json **rootp)
{
	struct scan	 sc = { 0 };
	struct tly_json	*root = NULL;
	void		*block;
	size_t		 size;
	int		 r;

	*rootp = NULL;
	sc.s = sc.p = p;
	sc.end = sc.s + len;
	if ((r = scan_text(&sc, &root)) != TLY_OK)
		return r;
	/* Nodes first (aligned), then the strings. */
	if (sc.nnodes > (SIZE_MAX - sc.npool) / sizeof(struct tly_json))
		return tly_fail(TLY_E_NOMEM, "JSON text too large");
	size = sc.nnodes * sizeof(struct tly_json) + sc.npool;
	if ((block = malloc(size)) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory for JSON");
	sc.nodes = block;
	sc.pool = (char *)(sc.nodes + sc.nnodes);
	sc.p = sc.s;
	sc.nnodes = sc.npool = 0;
	sc.depth = 0;
	if ((r = scan_text(&sc, &root)) != TLY_OK) {
		free(block);		/* cannot happen: pass 1 passed */
		return r;
	}
	*rootp = root;		/* == block */
	return TLY_OK;
}

void
tly_json_free(struct tly_json *root)
{
	free(root);
}
