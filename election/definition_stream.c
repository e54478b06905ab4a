/*
 * definition_stream.c: reading an election definition as a stream and
 * keeping only some of its polling areas (docs/ELECTION.md section 8).
 *
 * A field daemon reports a few polling areas of a national definition
 * (85,000 areas, some 40 MB).  It reads the file in chunks through a
 * source it provides, in two passes, and keeps only what its areas
 * need: the top level, the levels, the areas of its scope, their
 * constituencies with their candidates, and the rounds entries that
 * name nothing else.  From those it writes a smaller definition text,
 * the **subset**, made of the exact bytes of the members and elements it
 * keeps, in file order; tly_election_parse() then reads that text with
 * every rule of docs/ELECTION.md.
 *
 * Every byte of the file passes the strict JSON rules (PROTOCOL.md 1):
 * the structure around the elements is scanned here byte by byte, and
 * each top-level member and each element of "constituencies", "areas"
 * and "rounds" (a **piece**) is read whole, at most
 * TLY_ELECTION_PIECE_MAX bytes, and given to tly_json_parse() (wrapped
 * in brackets when it nests deep enough for the depth limit to matter,
 * so that its depth counts from the top of the file).
 *
 * Pass 1 checks everything and keeps the areas of the scope, noting
 * their ids and their constituencies; pass 2 writes the subset, keeping
 * those constituencies and the rounds entries that name a kept area or
 * constituency (or nothing).  With a scope of every area there is one
 * pass, and the subset is the file itself, byte for byte.  It sits above definition.c (it calls tly_election_parse()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "election/election.h"
#include "election/electionInt.h"

#define CHUNK		65536	/* bytes asked of the source at a time */

/* What a piece is: which big array it belongs to, if any. */
enum part { PART_OTHER, PART_CONS, PART_AREAS, PART_ROUNDS };

/* A sorted set of ids (pass 1 fills it, pass 2 looks up). */
struct idset {
	char		**v;	/* the ids, malloc'd each */
	size_t		 n;	/* entries used */
	size_t		 cap;	/* entries allocated */
};

/* The reader and what both passes share. */
struct walk {
	const struct tly_election_source *src;	/* the bytes */
	const struct tly_election_scope *scope;	/* what to keep */
	uint8_t		*buf;		/* CHUNK bytes from the source */
	size_t		 pos;		/* next byte in buf */
	size_t		 len;		/* bytes in buf */
	int		 eof;		/* the source said it has no more */
	uint64_t	 off;		/* bytes of the file before buf[0] */
	int		 pass;		/* 1 or 2 */
	int		 emit;		/* write the subset in this pass */
	int		 raw;		/* every area: the subset is the
					   file, byte for byte */
	struct tly_buf	 piece;		/* the piece being read */
	struct tly_buf	 name;		/* the raw name being read */
	struct tly_buf	 areas;		/* pass 1: the kept areas, joined
					   by commas */
	size_t		 nareas;	/* kept areas */
	size_t		 nseen;		/* areas in the file */
	struct idset	 want;		/* constituencies of kept areas */
	struct idset	 kept;		/* ids of kept areas */
	int		 dropped;	/* something was left out */
	struct tly_buf	*doc;		/* the subset being written */
};

/* ---- id sets ------------------------------------------------------------- */

static int
idset_add(struct idset *s, const char *id)
{
	char	**v;
	size_t	  n;

	if (s->n == s->cap) {
		n = s->cap ? 2 * s->cap : 16;
		if ((v = realloc(s->v, n * sizeof(*v))) == NULL)
			return tly_fail(TLY_E_NOMEM, "out of memory");
		s->v = v;
		s->cap = n;
	}
	if ((s->v[s->n] = strdup(id)) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	s->n++;
	return TLY_OK;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort once every id is in; duplicates do no harm. */
static void
idset_sort(struct idset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_str);
}

static int
idset_has(const struct idset *s, const char *id)
{
	return s->n > 0 && bsearch(&id, s->v, s->n, sizeof(*s->v),
	    cmp_str) != NULL;
}

static void
idset_free(struct idset *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* 1 if the scope names area id (its list is sorted by strcmp). */
static int
scope_has(const struct tly_election_scope *sc, const char *id)
{
	size_t	 lo = 0, hi = sc->nareas, mid;
	int	 c;

	if (sc->all)
		return 1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(id, sc->areas[mid])) == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* ---- the bytes ----------------------------------------------------------- */

/* Refill buf when it is used up.  TLY_OK also at the end. */
static int
fill(struct walk *w)
{
	size_t	 got = 0;
	int	 r;

	if (w->pos < w->len || w->eof)
		return TLY_OK;
	w->off += w->len;
	w->pos = w->len = 0;
	if ((r = w->src->read(w->src->arg, w->buf, CHUNK, &got)) != TLY_OK)
		return r;
	if (got > CHUNK)
		return tly_fail(TLY_E_INVAL, "definition source: read %zu "
		    "bytes into %d", got, CHUNK);
	if (got == 0)
		w->eof = 1;
	w->len = got;
	if (w->raw && tly_buf_add(w->doc, w->buf, got) != TLY_OK)
		return tly_fail(TLY_E_TOO_LARGE, "the definition is over %lu "
		    "bytes", (unsigned long)w->doc->max);
	return TLY_OK;
}

/* The next byte in *cp without taking it, -1 at the end. */
static int
peek(struct walk *w, int *cp)
{
	int	 r;

	if ((r = fill(w)) != TLY_OK)
		return r;
	*cp = w->pos < w->len ? w->buf[w->pos] : -1;
	return TLY_OK;
}

/* A syntax error at the current byte. */
static int
syntax(const struct walk *w, const char *what)
{
	return tly_fail(TLY_E_JSON, "%s at byte %llu", what,
	    (unsigned long long)(w->off + w->pos));
}

/* Skip whitespace: exactly SP, HT, LF and CR (PROTOCOL.md 1). */
static int
skip_ws(struct walk *w)
{
	int	 c, r;

	for (;;) {
		if ((r = peek(w, &c)) != TLY_OK)
			return r;
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return TLY_OK;
		w->pos++;
	}
}

/* Take the byte want, after whitespace; else a syntax error. */
static int
expect(struct walk *w, int want, const char *what)
{
	int	 c, r;

	if ((r = skip_ws(w)) != TLY_OK || (r = peek(w, &c)) != TLY_OK)
		return r;
	if (c != want)
		return syntax(w, what);
	w->pos++;
	return TLY_OK;
}

/*
 * Bytes that end a run while capturing: in a string, a quote or a
 * backslash; in a container, a quote or a bracket; in a scalar, what
 * ends it (whitespace, a comma, a closing bracket).
 */
#define S_STR	1
#define S_CONT	2
#define S_SCAL	4

static const uint8_t	stop[256] = {
	['"'] = S_STR | S_CONT, ['\\'] = S_STR,
	['{'] = S_CONT, ['['] = S_CONT, ['}'] = S_CONT | S_SCAL,
	[']'] = S_CONT | S_SCAL, [','] = S_SCAL, [' '] = S_SCAL,
	['\t'] = S_SCAL, ['\n'] = S_SCAL, ['\r'] = S_SCAL,
};

/*
 * Read the JSON value that starts at the cursor into out (emptied
 * first), finding its end by brackets and quotes only; what it holds is
 * judged later by tly_json_parse().  *nestp gets the deepest nesting of
 * brackets outside strings.  At most TLY_ELECTION_PIECE_MAX bytes.
 */
static int
capture(struct walk *w, struct tly_buf *out, const char *where, int *nestp)
{
	const uint8_t	*b;
	size_t		 i, n, start;
	int		 c, r, kind, nest = 0, instr = 0, esc = 0, done = 0;

	tly_buf_reset(out);
	*nestp = 0;
	if ((r = peek(w, &c)) != TLY_OK)
		return r;
	if (c < 0)
		return syntax(w, "unexpected end of text");
	if (c == ',' || c == ']' || c == '}' || c == ':')
		return syntax(w, "expected a value");
	kind = c == '{' || c == '[' ? '[' : c == '"' ? '"' : 0;
	while (!done) {
		if ((r = fill(w)) != TLY_OK)
			return r;
		if (w->pos == w->len) {
			if (kind != 0)
				return syntax(w, "unexpected end of text");
			break;
		}
		b = w->buf;
		n = w->len;
		start = i = w->pos;
		if (esc) {		/* the escaped byte, past a chunk end */
			esc = 0;
			i++;
		}
		while (i < n && !done) {
			if (kind == 0) {
				while (i < n && !(stop[b[i]] & S_SCAL))
					i++;
				done = i < n;
				break;
			}
			if (instr) {
				while (i < n && !(stop[b[i]] & S_STR))
					i++;
				if (i == n)
					break;
				if (b[i++] == '\\') {
					if (i == n)
						esc = 1;
					else
						i++;
					continue;
				}
				instr = 0;
				done = kind == '"';
				continue;
			}
			while (i < n && !(stop[b[i]] & S_CONT))
				i++;
			if (i == n)
				break;
			c = b[i++];
			if (c == '"')
				instr = 1;
			else if (c == '{' || c == '[') {
				if (++nest > *nestp)
					*nestp = nest;
			} else if (--nest == 0)
				done = 1;
		}
		w->pos = i;
		if (tly_buf_add(out, b + start, i - start) != TLY_OK)
			return tly_fail(TLY_E_TOO_LARGE, "%s: over %lu bytes",
			    where, (unsigned long)TLY_ELECTION_PIECE_MAX);
	}
	return TLY_OK;
}

/* Every object in tree t names each member once (PROTOCOL.md 1). */
static int
distinct_names(const struct tly_json *t, const char *where)
{
	const struct tly_json	*m;
	int			 r;

	if (tly_json_is_object(t) &&
	    (r = tly_json_check_names(t, where, NULL)) != TLY_OK)
		return r;
	for (m = tly_json_first(t); m != NULL; m = tly_json_next(m))
		if ((tly_json_is_object(m) || tly_json_is_array(m)) &&
		    (r = distinct_names(m, where)) != TLY_OK)
			return r;
	return TLY_OK;
}

/*
 * Parse piece b, the value at depth (the top object is at depth 1) whose
 * brackets nest nest deep, by the strict rules; *tp gets the tree.
 */
static int
piece_parse(const struct tly_buf *b, int depth, int nest, const char *where,
    struct tly_json **tp)
{
	struct tly_buf	 wrap = TLY_BUF_INIT(TLY_ELECTION_PIECE_MAX + 64);
	int		 i, r;

	*tp = NULL;
	/* Its values are at most nest + 1 deep; beyond the limit, let the
	 * scanner judge it where it stands in the file. */
	if (depth + nest > TLY_JSON_DEPTH_MAX) {
		for (i = 1; i < depth; i++)
			(void)tly_buf_add(&wrap, "[", 1);
		(void)tly_buf_add(&wrap, b->p, b->len);
		for (i = 1; i < depth; i++)
			(void)tly_buf_add(&wrap, "]", 1);
		r = wrap.len == b->len + 2 * (size_t)(depth - 1) ?
		    tly_json_parse(wrap.p, wrap.len, tp) :
		    tly_fail(TLY_E_NOMEM, "out of memory");
		tly_json_free(*tp);
		*tp = NULL;
		tly_buf_free(&wrap);
		if (r != TLY_OK)
			return tly_fail(r, "%s: %s", where, tly_errdetail());
	}
	if ((r = tly_json_parse(b->p, b->len, tp)) != TLY_OK)
		return tly_fail(r, "%s: %s", where, tly_errdetail());
	if ((r = distinct_names(*tp, where)) != TLY_OK) {
		tly_json_free(*tp);
		*tp = NULL;
	}
	return r;
}

/* Member name of object t as a string, or NULL. */
static const char *
member_string(const struct tly_json *t, const char *name)
{
	return tly_json_string(tly_json_get(t, name));
}

/* ---- the pieces ---------------------------------------------------------- */

/* Pass 1: keep area t (the piece in w->piece) when the scope names it. */
static int
area_seen(struct walk *w, const struct tly_json *t)
{
	const struct tly_json	*m;
	const char		*id, *c;
	int			 r;

	w->nseen++;
	id = member_string(t, "id");
	/* An area the reader will refuse is kept, so that it does. */
	if (id != NULL && !scope_has(w->scope, id)) {
		w->dropped = 1;
		return TLY_OK;
	}
	if ((w->nareas > 0 && tly_buf_add(&w->areas, ",", 1) != TLY_OK) ||
	    tly_buf_add(&w->areas, w->piece.p, w->piece.len) != TLY_OK)
		return tly_fail(TLY_E_TOO_LARGE, "areas: the kept areas "
		    "are over %lu bytes", (unsigned long)TLY_ELECTION_FILE_MAX);
	w->nareas++;
	if (id != NULL && (r = idset_add(&w->kept, id)) != TLY_OK)
		return r;
	for (m = tly_json_first(tly_json_get(t, "constituencies")); m != NULL;
	    m = tly_json_next(m))
		if ((c = tly_json_string(m)) != NULL &&
		    (r = idset_add(&w->want, c)) != TLY_OK)
			return r;
	return TLY_OK;
}

/* Pass 2: keep constituency t when a kept area names it. */
static int
cons_keep(struct walk *w, const struct tly_json *t)
{
	const char	*id = member_string(t, "id");

	return id == NULL || idset_has(&w->want, id);
}

/*
 * Pass 2: keep rounds entry t when it names a kept area or constituency,
 * or neither (the first round).  An entry that names only others covers
 * none of the kept areas' records.
 */
static int
round_keep(struct walk *w, const struct tly_json *t)
{
	const struct tly_json	*c = tly_json_get(t, "constituency");
	const struct tly_json	*a = tly_json_get(t, "area");

	if ((c != NULL && tly_json_string(c) == NULL) ||
	    (a != NULL && tly_json_string(a) == NULL))
		return 1;	/* malformed: the reader refuses it */
	if (c == NULL && a == NULL)
		return 1;
	return (c != NULL && idset_has(&w->want, tly_json_string(c))) ||
	    (a != NULL && idset_has(&w->kept, tly_json_string(a)));
}

/*
 * One element of a big array: read it, check it (pass 1) and say in
 * *keepp whether it goes into the subset.  Pass 2 does not keep areas
 * here: pass 1 did.
 */
static int
element(struct walk *w, enum part part, size_t i, int *keepp)
{
	static const char *const parts[] = { "", "constituencies", "areas",
	    "rounds" };
	struct tly_json	*t = NULL;
	char		 where[WHERE_LEN];
	int		 r, nest;

	*keepp = 0;
	tly_json_path_index(where, sizeof(where), parts[part], i);
	if ((r = capture(w, &w->piece, where, &nest)) != TLY_OK)
		return r;
	if (w->pass == 2 && part == PART_AREAS)
		return TLY_OK;
	if ((r = piece_parse(&w->piece, 3, nest, where, &t)) != TLY_OK)
		return r;
	if (w->scope->all)
		*keepp = 1;
	else if (part == PART_AREAS)
		r = area_seen(w, t);
	else if (w->pass == 2)
		*keepp = part == PART_CONS ? cons_keep(w, t) :
		    round_keep(w, t);
	if (w->pass == 2 && !*keepp)
		w->dropped = 1;
	tly_json_free(t);
	return r;
}

/* Append p[0..n) to the subset, when this pass writes it. */
static int
put(struct walk *w, const void *p, size_t n)
{
	if (w->emit && !w->raw && tly_buf_add(w->doc, p, n) != TLY_OK)
		return tly_fail(TLY_E_TOO_LARGE, "the kept definition is over "
		    "%lu bytes", (unsigned long)w->doc->max);
	return TLY_OK;
}

/*
 * The array value of member part, streamed element by element; the
 * member's name is in the subset already, unless it is "rounds" (mark:
 * where it would start), which is left out when no entry is kept.
 */
static int
big_array(struct walk *w, enum part part, size_t mark, int *gonep)
{
	size_t	 i = 0, kept = 0;
	int	 c, r, keep;

	*gonep = 0;
	w->pos++;			/* '[' */
	if ((r = put(w, "[", 1)) != TLY_OK || (r = skip_ws(w)) != TLY_OK ||
	    (r = peek(w, &c)) != TLY_OK)
		return r;
	if (c == ']') {
		w->pos++;
		return put(w, "]", 1);
	}
	if (w->pass == 2 && part == PART_AREAS && !w->scope->all) {
		if ((r = put(w, w->areas.p, w->areas.len)) != TLY_OK)
			return r;
		kept = w->nareas;
	}
	for (;;) {
		if ((r = skip_ws(w)) != TLY_OK ||
		    (r = element(w, part, i++, &keep)) != TLY_OK)
			return r;
		if (keep && ((kept++ > 0 && (r = put(w, ",", 1)) != TLY_OK) ||
		    (r = put(w, w->piece.p, w->piece.len)) != TLY_OK))
			return r;
		if ((r = skip_ws(w)) != TLY_OK || (r = peek(w, &c)) != TLY_OK)
			return r;
		if (c == ']')
			break;
		if (c != ',')
			return syntax(w, "expected ',' or ']'");
		w->pos++;
	}
	w->pos++;
	if (part == PART_ROUNDS && kept == 0 && w->emit && !w->raw) {
		/* No entry names a kept area: the member goes. */
		w->doc->len = mark;
		w->doc->p[mark] = '\0';
		*gonep = 1;
		return TLY_OK;
	}
	return put(w, "]", 1);
}

/* Which big array member name (decoded) is, or PART_OTHER. */
static enum part
part_of(const char *name)
{
	if (strcmp(name, "constituencies") == 0)
		return PART_CONS;
	if (strcmp(name, "areas") == 0)
		return PART_AREAS;
	if (strcmp(name, "rounds") == 0)
		return PART_ROUNDS;
	return PART_OTHER;
}

/* One member of the top-level object; *gonep when it was left out. */
static int
member(struct walk *w, int first, int *gonep)
{
	struct tly_json	*t = NULL;
	char		 where[WHERE_LEN];
	enum part	 part;
	size_t		 mark = w->emit ? w->doc->len : 0;
	int		 c, r, nest;

	*gonep = 0;
	if ((r = skip_ws(w)) != TLY_OK || (r = peek(w, &c)) != TLY_OK)
		return r;
	if (c != '"')
		return syntax(w, "expected a name");
	if ((r = capture(w, &w->name, "a name", &nest)) != TLY_OK ||
	    (r = piece_parse(&w->name, 1, 0, "a name", &t)) != TLY_OK)
		return r;
	part = part_of(tly_json_string(t));
	snprintf(where, sizeof(where), "%s", tly_json_string(t));
	tly_json_free(t);
	if ((r = expect(w, ':', "expected ':'")) != TLY_OK ||
	    (r = skip_ws(w)) != TLY_OK || (r = peek(w, &c)) != TLY_OK)
		return r;
	if ((!first && (r = put(w, ",", 1)) != TLY_OK) ||
	    (r = put(w, w->name.p, w->name.len)) != TLY_OK ||
	    (r = put(w, ":", 1)) != TLY_OK)
		return r;
	if (part != PART_OTHER && c == '[')
		return big_array(w, part, mark, gonep);
	if ((r = capture(w, &w->piece, where, &nest)) != TLY_OK)
		return r;
	if (w->pass == 1) {
		if ((r = piece_parse(&w->piece, 2, nest, where, &t)) != TLY_OK)
			return r;
		tly_json_free(t);
	}
	return put(w, w->piece.p, w->piece.len);
}

/* One pass over the whole text: an object between optional whitespace. */
static int
walk_pass(struct walk *w)
{
	int	 c, r, n = 0, gone;

	if ((r = skip_ws(w)) != TLY_OK || (r = peek(w, &c)) != TLY_OK)
		return r;
	if (c < 0)
		return tly_fail(TLY_E_JSON, "empty JSON text");
	if (c != '{')
		return syntax(w, w->off + w->pos == 0 && c == 0xef ?
		    "byte order mark" : "top level: not an object");
	w->pos++;
	if ((r = put(w, "{", 1)) != TLY_OK || (r = skip_ws(w)) != TLY_OK ||
	    (r = peek(w, &c)) != TLY_OK)
		return r;
	if (c != '}')
		for (;;) {
			if ((r = member(w, n == 0, &gone)) != TLY_OK)
				return r;
			if (!gone)
				n++;
			if ((r = skip_ws(w)) != TLY_OK ||
			    (r = peek(w, &c)) != TLY_OK)
				return r;
			if (c == '}')
				break;
			if (c != ',')
				return syntax(w, "expected ',' or '}'");
			w->pos++;
		}
	w->pos++;
	if ((r = put(w, "}", 1)) != TLY_OK || (r = skip_ws(w)) != TLY_OK ||
	    (r = peek(w, &c)) != TLY_OK)
		return r;
	if (c >= 0)
		return syntax(w, "trailing bytes after JSON");
	return TLY_OK;
}

/* ---- the entry point ----------------------------------------------------- */

/* Read a definition for a scope of areas; see election.h. */
int
tly_election_read_scope(const struct tly_election_source *src,
    const struct tly_election_scope *scope, struct tly_buf *doc,
    struct tly_election **ep)
{
	struct walk		 w;
	struct tly_election	*e = NULL;
	int			 r;

	*ep = NULL;
	memset(&w, 0, sizeof(w));
	w.src = src;
	w.scope = scope;
	w.doc = doc;
	tly_buf_init(&w.piece, TLY_ELECTION_PIECE_MAX);
	tly_buf_init(&w.name, TLY_ELECTION_PIECE_MAX);
	tly_buf_init(&w.areas, TLY_ELECTION_FILE_MAX);
	tly_buf_reset(doc);
	if ((w.buf = malloc(CHUNK)) == NULL) {
		r = tly_fail(TLY_E_NOMEM, "out of memory");
		goto out;
	}
	w.pass = 1;
	w.emit = w.raw = scope->all;
	if ((r = walk_pass(&w)) != TLY_OK)
		goto out;
	if (!scope->all) {
		if (w.nseen > 0 && w.nareas == 0) {
			r = tly_fail(TLY_E_DEFINITION, "areas: none of the "
			    "%zu polling areas in scope is in this definition",
			    scope->nareas);
			goto out;
		}
		idset_sort(&w.want);
		idset_sort(&w.kept);
		if ((r = src->rewind(src->arg)) != TLY_OK)
			goto out;
		w.pos = w.len = 0;
		w.eof = 0;
		w.off = 0;
		w.pass = 2;
		w.emit = 1;
		if ((r = walk_pass(&w)) != TLY_OK)
			goto out;
	}
	if ((r = tly_election_parse(doc->p, doc->len, &e)) != TLY_OK)
		goto out;
	e->partial = w.dropped;
	*ep = e;
 out:
	if (r != TLY_OK && r != TLY_E_NOMEM && r != TLY_E_VERSION &&
	    r != TLY_E_IO)
		r = TLY_E_DEFINITION;
	free(w.buf);
	tly_buf_free(&w.piece);
	tly_buf_free(&w.name);
	tly_buf_free(&w.areas);
	idset_free(&w.want);
	idset_free(&w.kept);
	return r;
}

/* 1 when some areas were left out; see election.h. */
int
tly_election_partial(const struct tly_election *e)
{
	return e->partial;
}
