/*
 * definition.c: reading an election definition (docs/ELECTION.md) and
 * answering questions about it.
 *
 * The parsed definition keeps levels in the order given, and
 * constituencies, candidates and polling areas sorted by id, so that
 * every lookup is a binary search.  All strings live in a small arena
 * owned by the definition, so a national definition (some 85,000 areas
 * and 270,000 constituencies) costs few allocations.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "election/election.h"

#define FORMAT_V1	"tally-election/1"
#define WARN_DEFAULT	10	/* invalid_warn_percent when not given */
#define SPREAD_DEFAULT	5	/* turnout_spread_warn_percent default */
#define PATH_MAX_PARTS	4	/* province, district, commune, ... */
#define NA_SEATS_MAX	3	/* seats of a National Assembly constituency */
#define COUNCIL_SEATS_MAX 5	/* seats of a council constituency */
#define WHERE_LEN	192	/* room for a JSON path in messages */
#define ARENA_BLOCK	65536	/* bytes per arena block */

enum level_kind { KIND_NA = TLY_LEVEL_NA, KIND_COUNCIL = TLY_LEVEL_COUNCIL };
enum rules { RULES_LAW_2015, RULES_AMEND_2025 };
enum round_kind { ROUND_FIRST = TLY_ROUND_FIRST,
    ROUND_ADDITIONAL = TLY_ROUND_ADDITIONAL,
    ROUND_REELECTION = TLY_ROUND_REELECTION };

/* One block of the string arena. */
struct block {
	struct block	*next;	/* older block */
	size_t		 used;	/* bytes handed out */
	size_t		 size;	/* bytes in data[] */
	char		 data[];	/* the strings */
};

/* A level (National Assembly, province, ...). */
struct level {
	const char	*id;	/* level id */
	const char	*name;	/* display name */
	int		 kind;	/* enum level_kind */
};

/* A candidate on a constituency's list. */
struct cand {
	const char	*id;		/* candidate id */
	const char	*name;		/* full name */
	char		 born[11];	/* date of birth, YYYY-MM-DD */
	size_t		 pos;		/* index in the JSON array, for errors */
};

/* A constituency (one election board's area) at one level. */
struct cons {
	const char	*id;		/* constituency id */
	const char	*name;		/* display name */
	size_t		 level;		/* index into levels[] */
	unsigned	 seats;		/* seats to fill */
	size_t		 ncand;		/* candidates */
	struct cand	*cand;		/* into the election's cands[]; by id */
	size_t		 nareas;	/* polling areas that belong to it */
	size_t		 pos;		/* index in the JSON array, for errors */
};

/* A polling area. */
struct area {
	const char	*id;			/* area id */
	const char	*name;			/* display name */
	size_t		 npath;			/* entries used in path[] */
	const char	*path[PATH_MAX_PARTS];	/* province ... commune */
	int		 remote;		/* exempt from the size rule */
	size_t		 cons[TLY_LEVELS_MAX];	/* constituency per level */
	uint64_t	 registered[TLY_LEVELS_MAX]; /* voters per level */
	unsigned	 has_registered;	/* bit l: registered[l] given */
	size_t		 pos;			/* index in the JSON array */
};

/* A round announced in the definition. */
struct round {
	uint64_t	 round;		/* round number, 1.. */
	int		 kind;		/* enum round_kind */
	const char	*constituency;	/* constituency id or NULL */
	const char	*area;		/* area id or NULL */
	long		 ci;		/* constituency index or -1 */
	long		 ai;		/* area index or -1 */
	int		 has_deadline;	/* deadline given */
	uint64_t	 deadline;	/* W7 deadline, Unix seconds */
};

struct tly_election {
	const char	*id;		/* election id */
	const char	*name;		/* display name */
	char		 date[11];	/* election day, YYYY-MM-DD */
	int		 rules;		/* enum rules */
	uint64_t	 warn;		/* invalid_warn_percent (W3) */
	uint64_t	 spread;	/* turnout_spread_warn_percent (W4) */
	int		 has_deadline;	/* top-level deadline given */
	uint64_t	 deadline;	/* round 1's W7 deadline, Unix seconds */
	size_t		 nlevels;	/* entries used in levels[] */
	struct level	 levels[TLY_LEVELS_MAX];	/* in the order given */
	size_t		 ncons;		/* constituencies */
	struct cons	*cons;		/* sorted by id */
	size_t		 ncands;	/* candidates over all constituencies */
	struct cand	*cands;		/* every candidate list, end to end */
	size_t		 nareas;	/* polling areas */
	struct area	*areas;		/* sorted by id */
	size_t		 nrounds;	/* entries in rounds[] */
	struct round	*rounds;	/* in the order given */
	struct block	*arena;		/* newest string block */
	/* Set only while tly_election_validate() runs: */
	void		(*report)(void *, const char *); /* error sink */
	void		*rarg;		/* its argument */
	size_t		 nerrors;	/* errors reported */
	int		 area_reported;	/* the current area's errors are out */
};

/*
 * In validation mode, report the error r just failed with and return
 * TLY_OK so the caller carries on with the next element; otherwise (or
 * for errors that are not about content) return r unchanged.
 */
static int
soft(struct tly_election *e, int r)
{
	if (r == TLY_OK || e->report == NULL ||
	    r == TLY_E_NOMEM || r == TLY_E_VERSION)
		return r;
	e->nerrors++;
	if (e->nerrors < TLY_VALIDATE_MAX)
		e->report(e->rarg, tly_errdetail());
	return TLY_OK;
}

/* Copy s into the election's arena; NULL when out of memory. */
static const char *
arena_strdup(struct tly_election *e, const char *s)
{
	struct block	*b;
	size_t		 n = strlen(s) + 1, size;
	char		*p;

	b = e->arena;
	if (b == NULL || b->size - b->used < n) {
		size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		if ((b = malloc(sizeof(*b) + size)) == NULL)
			return NULL;
		b->next = e->arena;
		b->used = 0;
		b->size = size;
		e->arena = b;
	}
	p = b->data + b->used;
	memcpy(p, s, n);
	b->used += n;
	return p;
}

/* 1 if s is a calendar date written YYYY-MM-DD (years 1000..9999). */
static int
valid_date(const char *s)
{
	static const int dim[12] =
	    { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int	 y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1000 || m < 1 || m > 12 || d < 1 || d > dim[m - 1])
		return 0;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 0;
	return 1;
}

/* Read required member name of obj as an id copied into the arena. */
static int
get_id(struct tly_election *e, const struct tly_json *obj,
    const char *where, const char *name, const char **out)
{
	char	 id[TLY_ID_MAX + 1];
	int	 r;

	if ((r = tly_json_get_id(obj, where, name, id)) != TLY_OK)
		return r;
	if ((*out = arena_strdup(e, id)) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	return TLY_OK;
}

/* Read required member name of obj as a text copied into the arena. */
static int
get_text(struct tly_election *e, const struct tly_json *obj,
    const char *where, const char *name, const char **out)
{
	char	*t = NULL;
	int	 r;

	if ((r = tly_json_get_text(obj, where, name, &t)) != TLY_OK)
		return r;
	*out = arena_strdup(e, t);
	free(t);
	if (*out == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	return TLY_OK;
}

/* Read required member name of obj as a YYYY-MM-DD date into out. */
static int
get_date(const struct tly_json *obj, const char *where, const char *name,
    char out[11])
{
	char			 path[WHERE_LEN];
	const struct tly_json	*n;
	const char		*s;

	tly_json_path(path, sizeof(path), where, name);
	if ((n = tly_json_get(obj, name)) == NULL)
		return tly_fail(TLY_E_DEFINITION, "%s: missing", path);
	if ((s = tly_json_string(n)) == NULL || !valid_date(s))
		return tly_fail(TLY_E_DEFINITION,
		    "%s: not a date written YYYY-MM-DD", path);
	memcpy(out, s, 11);
	return TLY_OK;
}

/*
 * Require member name of obj to be a non-empty array of at most max
 * elements; *np gets it.  With optional set, a missing member gives
 * *np = NULL.
 */
static int
get_array(const struct tly_json *obj, const char *where, const char *name,
    size_t max, int optional, const struct tly_json **np)
{
	char	 path[WHERE_LEN];
	size_t	 n;

	tly_json_path(path, sizeof(path), where, name);
	if ((*np = tly_json_get(obj, name)) == NULL) {
		if (optional)
			return TLY_OK;
		return tly_fail(TLY_E_DEFINITION, "%s: missing", path);
	}
	if (!tly_json_is_array(*np))
		return tly_fail(TLY_E_DEFINITION, "%s: not an array", path);
	n = tly_json_count(*np);
	if (n == 0)
		return tly_fail(TLY_E_DEFINITION, "%s: empty", path);
	if (n > max)
		return tly_fail(TLY_E_DEFINITION,
		    "%s: %zu entries, at most %zu allowed", path, n, max);
	return TLY_OK;
}

/* Index of level id in e, or -1. */
static long
level_index(const struct tly_election *e, const char *id)
{
	size_t	 i;

	for (i = 0; i < e->nlevels; i++)
		if (strcmp(e->levels[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* Fewest candidates the law allows for a constituency (Art. 57, 58). */
static size_t
min_candidates(int kind, unsigned seats)
{
	if (kind == KIND_NA)
		return seats + 2;
	if (seats >= 4)
		return seats + 3;
	if (seats == 3)
		return seats + 2;
	return seats + 1;
}

/* qsort comparator: candidates by id. */
static int
cmp_cand(const void *a, const void *b)
{
	return strcmp(((const struct cand *)a)->id,
	    ((const struct cand *)b)->id);
}

/* qsort comparator: constituencies by id. */
static int
cmp_cons(const void *a, const void *b)
{
	return strcmp(((const struct cons *)a)->id,
	    ((const struct cons *)b)->id);
}

/* qsort comparator: polling areas by id. */
static int
cmp_area(const void *a, const void *b)
{
	return strcmp(((const struct area *)a)->id,
	    ((const struct area *)b)->id);
}

/* Parse "levels". */
static int
parse_levels(struct tly_election *e, const struct tly_json *root)
{
	static const char *const names[] = { "id", "name", "kind", NULL };
	const struct tly_json	*arr, *n, *k;
	char			 where[WHERE_LEN], path[WHERE_LEN];
	const char		*kind;
	size_t			 i, j, max, nna = 0;
	int			 r;

	max = e->rules == RULES_LAW_2015 ? 4 : 3;
	if ((r = get_array(root, "", "levels", max, 0, &arr)) != TLY_OK)
		return r;
	for (n = tly_json_first(arr), i = 0; n != NULL;
	    n = tly_json_next(n), i++) {
		struct level *l = &e->levels[i];

		tly_json_path_index(where, sizeof(where), "levels", i);
		if ((r = tly_json_check_names(n, where, names)) != TLY_OK ||
		    (r = get_id(e, n, where, "id", &l->id)) != TLY_OK ||
		    (r = get_text(e, n, where, "name", &l->name)) != TLY_OK)
			return r;
		tly_json_path(path, sizeof(path), where, "kind");
		if ((k = tly_json_get(n, "kind")) == NULL)
			return tly_fail(TLY_E_DEFINITION, "%s: missing", path);
		kind = tly_json_string(k);
		if (kind != NULL && strcmp(kind, "na") == 0) {
			l->kind = KIND_NA;
			if (++nna > 1)
				return tly_fail(TLY_E_DEFINITION,
				    "%s: a second level of kind 'na'", path);
		} else if (kind != NULL && strcmp(kind, "council") == 0)
			l->kind = KIND_COUNCIL;
		else
			return tly_fail(TLY_E_DEFINITION,
			    "%s: not \"na\" or \"council\"", path);
		for (j = 0; j < i; j++)
			if (strcmp(e->levels[j].id, l->id) == 0)
				return tly_fail(TLY_E_DEFINITION,
				    "%s.id: duplicate level id '%s' "
				    "(also levels[%zu])", where, l->id, j);
		e->nlevels = i + 1;
	}
	return TLY_OK;
}

/* Parse the candidate list of constituency c (JSON node n at where). */
static int
parse_candidates(struct tly_election *e, struct cons *c,
    const struct tly_json *n, const char *where)
{
	static const char *const names[] = { "id", "name", "born", NULL };
	const struct tly_json	*arr, *m;
	char			 cwhere[WHERE_LEN], path[WHERE_LEN];
	size_t			 i, min;
	int			 r;

	if ((r = get_array(n, where, "candidates", TLY_CAND_MAX, 0, &arr)) !=
	    TLY_OK)
		return r;
	tly_json_path(path, sizeof(path), where, "candidates");
	min = min_candidates(e->levels[c->level].kind, c->seats);
	if (tly_json_count(arr) < min &&
	    (r = soft(e, tly_fail(TLY_E_DEFINITION,
	    "%s: %zu candidates for %u seats, at least %zu required",
	    path, tly_json_count(arr), c->seats, min))) != TLY_OK)
		return r;
	c->cand = e->cands + e->ncands;
	for (m = tly_json_first(arr), i = 0; m != NULL;
	    m = tly_json_next(m), i++) {
		struct cand *k = &c->cand[i];

		tly_json_path_index(cwhere, sizeof(cwhere), path, i);
		k->pos = i;
		if ((r = tly_json_check_names(m, cwhere, names)) != TLY_OK ||
		    (r = get_id(e, m, cwhere, "id", &k->id)) != TLY_OK ||
		    (r = get_text(e, m, cwhere, "name", &k->name)) != TLY_OK ||
		    (r = get_date(m, cwhere, "born", k->born)) != TLY_OK)
			return r;
		c->ncand = i + 1;
	}
	e->ncands += c->ncand;
	qsort(c->cand, c->ncand, sizeof(*c->cand), cmp_cand);
	for (i = 1; i < c->ncand; i++)
		if (strcmp(c->cand[i - 1].id, c->cand[i].id) == 0) {
			size_t a = c->cand[i - 1].pos, b = c->cand[i].pos;

			if ((r = soft(e, tly_fail(TLY_E_DEFINITION,
			    "%s[%zu].id: duplicate candidate id '%s' "
			    "(also %s[%zu])", path, a > b ? a : b,
			    c->cand[i].id, path, a > b ? b : a))) != TLY_OK)
				return r;
		}
	return TLY_OK;
}

/* Parse "constituencies". */
static int
parse_constituencies(struct tly_election *e, const struct tly_json *root)
{
	static const char *const names[] =
	    { "id", "level", "name", "seats", "candidates", NULL };
	const struct tly_json	*arr, *n, *cl;
	char			 where[WHERE_LEN], level[TLY_ID_MAX + 1];
	size_t			 i, total = 0, count;
	uint64_t		 seats, max;
	long			 li;
	int			 r;

	if ((r = get_array(root, "", "constituencies", SIZE_MAX, 0, &arr)) !=
	    TLY_OK)
		return r;
	count = tly_json_count(arr);
	/* Room for every candidate list, end to end. */
	for (n = tly_json_first(arr); n != NULL; n = tly_json_next(n)) {
		cl = tly_json_get(n, "candidates");
		if (tly_json_is_array(cl))
			total += tly_json_count(cl) > TLY_CAND_MAX ?
			    TLY_CAND_MAX : tly_json_count(cl);
	}
	if ((e->cons = calloc(count, sizeof(*e->cons))) == NULL ||
	    (total > 0 &&
	    (e->cands = calloc(total, sizeof(*e->cands))) == NULL))
		return tly_fail(TLY_E_NOMEM, "out of memory");
	for (n = tly_json_first(arr), i = 0; n != NULL;
	    n = tly_json_next(n), i++) {
		struct cons *c = &e->cons[e->ncons];

		tly_json_path_index(where, sizeof(where), "constituencies", i);
		c->pos = i;
		if ((r = tly_json_check_names(n, where, names)) != TLY_OK ||
		    (r = get_id(e, n, where, "id", &c->id)) != TLY_OK ||
		    (r = tly_json_get_id(n, where, "level", level)) != TLY_OK ||
		    (r = get_text(e, n, where, "name", &c->name)) != TLY_OK)
			goto bad;
		if ((li = level_index(e, level)) < 0) {
			r = tly_fail(TLY_E_DEFINITION,
			    "%s.level: unknown level '%s'", where, level);
			goto bad;
		}
		c->level = (size_t)li;
		if ((r = tly_json_get_int(n, where, "seats", &seats)) != TLY_OK)
			goto bad;
		max = e->levels[li].kind == KIND_NA ? NA_SEATS_MAX :
		    COUNCIL_SEATS_MAX;
		if (max > TLY_SEATS_MAX)
			max = TLY_SEATS_MAX;
		if (seats < 1 || seats > max) {
			r = tly_fail(TLY_E_DEFINITION,
			    "%s.seats: %llu seats, must be 1 to %llu", where,
			    (unsigned long long)seats, (unsigned long long)max);
			goto bad;
		}
		c->seats = (unsigned)seats;
		if ((r = parse_candidates(e, c, n, where)) != TLY_OK)
			goto bad;
		e->ncons++;
		continue;
 bad:
		/* Validation mode: report, drop this one, go on. */
		memset(c, 0, sizeof(*c));
		if ((r = soft(e, r)) != TLY_OK)
			return r;
	}
	qsort(e->cons, e->ncons, sizeof(*e->cons), cmp_cons);
	for (i = 1; i < e->ncons; i++)
		if (strcmp(e->cons[i - 1].id, e->cons[i].id) == 0) {
			size_t a = e->cons[i - 1].pos, b = e->cons[i].pos;

			if ((r = soft(e, tly_fail(TLY_E_DEFINITION,
			    "constituencies[%zu].id: duplicate constituency id "
			    "'%s' (also constituencies[%zu])", a > b ? a : b,
			    e->cons[i].id, a > b ? b : a))) != TLY_OK)
				return r;
		}
	return TLY_OK;
}

/* Read area a's "path" array at where. */
static int
parse_area_path(struct tly_election *e, struct area *a,
    const struct tly_json *n, const char *where)
{
	const struct tly_json	*arr, *m;
	char			 path[WHERE_LEN], ewhere[WHERE_LEN];
	char			*t;
	size_t			 i;
	int			 r;

	if ((r = get_array(n, where, "path", PATH_MAX_PARTS, 0, &arr)) !=
	    TLY_OK)
		return r;
	tly_json_path(path, sizeof(path), where, "path");
	for (m = tly_json_first(arr), i = 0; m != NULL;
	    m = tly_json_next(m), i++) {
		tly_json_path_index(ewhere, sizeof(ewhere), path, i);
		if ((r = tly_json_text(m, ewhere, &t)) != TLY_OK)
			return r;
		a->path[i] = arena_strdup(e, t);
		free(t);
		if (a->path[i] == NULL)
			return tly_fail(TLY_E_NOMEM, "out of memory");
		a->npath = i + 1;
	}
	return TLY_OK;
}

/* Read area a's "constituencies" and "registered" objects at where. */
static int
parse_area_levels(struct tly_election *e, struct area *a,
    const struct tly_json *n, const char *where, const char *const *lnames)
{
	const struct tly_json	*obj, *m;
	char			 path[WHERE_LEN], mpath[WHERE_LEN];
	char			 id[TLY_ID_MAX + 1];
	long			 ci;
	size_t			 l;
	int			 r, bad = TLY_OK;

	tly_json_path(path, sizeof(path), where, "constituencies");
	if ((obj = tly_json_get(n, "constituencies")) == NULL)
		return tly_fail(TLY_E_DEFINITION, "%s: missing", path);
	if (!tly_json_is_object(obj))
		return tly_fail(TLY_E_DEFINITION, "%s: not an object", path);
	if ((r = tly_json_check_names(obj, path, lnames)) != TLY_OK)
		return r;
	for (l = 0; l < e->nlevels; l++) {
		tly_json_path(mpath, sizeof(mpath), path, e->levels[l].id);
		if ((m = tly_json_get(obj, e->levels[l].id)) == NULL)
			r = tly_fail(TLY_E_DEFINITION, "%s: missing: every "
			    "area needs one constituency per level", mpath);
		else if ((r = tly_json_id(m, mpath, id)) != TLY_OK)
			;
		else if ((ci = tly_election_find_constituency(e, id)) < 0)
			r = tly_fail(TLY_E_DEFINITION,
			    "%s: unknown constituency '%s'", mpath, id);
		else if (e->cons[ci].level != l)
			r = tly_fail(TLY_E_DEFINITION,
			    "%s: constituency '%s' is of level '%s'", mpath, id,
			    e->levels[e->cons[ci].level].id);
		else {
			a->cons[l] = (size_t)ci;
			e->cons[ci].nareas++;
			continue;
		}
		/* Go on with the other levels, but never keep this area. */
		if (e->report == NULL)
			return r;
		if ((bad = soft(e, r)) != TLY_OK)
			return bad;
		bad = r;
	}
	if (bad != TLY_OK) {
		e->area_reported = 1;
		return bad;
	}

	tly_json_path(path, sizeof(path), where, "registered");
	if ((obj = tly_json_get(n, "registered")) == NULL)
		return TLY_OK;
	if (!tly_json_is_object(obj))
		return tly_fail(TLY_E_DEFINITION, "%s: not an object", path);
	if ((r = tly_json_check_names(obj, path, lnames)) != TLY_OK)
		return r;
	for (l = 0; l < e->nlevels; l++)
		if (tly_json_get(obj, e->levels[l].id) != NULL) {
			if ((r = tly_json_get_int(obj, path, e->levels[l].id,
			    &a->registered[l])) != TLY_OK)
				return r;
			a->has_registered |= 1u << l;
		}
	return TLY_OK;
}

/* Read area a's optional "remote" flag (JSON true or false) at where. */
static int
parse_area_remote(struct area *a, const struct tly_json *n,
    const char *where)
{
	const struct tly_json	*m;
	char			 path[WHERE_LEN];

	if ((m = tly_json_get(n, "remote")) == NULL)
		return TLY_OK;
	tly_json_path(path, sizeof(path), where, "remote");
	if (tly_json_bool(m, path, &a->remote) != TLY_OK)
		return tly_fail(TLY_E_DEFINITION, "%s", tly_errdetail());
	return TLY_OK;
}

/* Parse "areas". */
static int
parse_areas(struct tly_election *e, const struct tly_json *root)
{
	static const char *const names[] = { "id", "name", "path", "remote",
	    "constituencies", "registered", NULL };
	const struct tly_json	*arr, *n;
	const char		*lnames[TLY_LEVELS_MAX + 1];
	char			 where[WHERE_LEN];
	size_t			 i, count;
	int			 r;

	for (i = 0; i < e->nlevels; i++)
		lnames[i] = e->levels[i].id;
	lnames[i] = NULL;
	if ((r = get_array(root, "", "areas", SIZE_MAX, 0, &arr)) != TLY_OK)
		return r;
	count = tly_json_count(arr);
	if ((e->areas = calloc(count, sizeof(*e->areas))) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	for (n = tly_json_first(arr), i = 0; n != NULL;
	    n = tly_json_next(n), i++) {
		struct area *a = &e->areas[e->nareas];

		tly_json_path_index(where, sizeof(where), "areas", i);
		a->pos = i;
		if ((r = tly_json_check_names(n, where, names)) != TLY_OK ||
		    (r = get_id(e, n, where, "id", &a->id)) != TLY_OK ||
		    (r = get_text(e, n, where, "name", &a->name)) != TLY_OK ||
		    (r = parse_area_path(e, a, n, where)) != TLY_OK ||
		    (r = parse_area_remote(a, n, where)) != TLY_OK ||
		    (r = parse_area_levels(e, a, n, where, lnames)) != TLY_OK) {
			/* Validation mode: parse_area_levels() has already
			 * reported its own errors. */
			if (e->report == NULL || r == TLY_E_NOMEM)
				return r;
			if (!e->area_reported && (r = soft(e, r)) != TLY_OK)
				return r;
			e->area_reported = 0;
			memset(a, 0, sizeof(*a));
			continue;
		}
		e->nareas++;
	}
	qsort(e->areas, e->nareas, sizeof(*e->areas), cmp_area);
	for (i = 1; i < e->nareas; i++)
		if (strcmp(e->areas[i - 1].id, e->areas[i].id) == 0) {
			size_t a = e->areas[i - 1].pos, b = e->areas[i].pos;

			if ((r = soft(e, tly_fail(TLY_E_DEFINITION,
			    "areas[%zu].id: duplicate area id '%s' "
			    "(also areas[%zu])", a > b ? a : b,
			    e->areas[i].id, a > b ? b : a))) != TLY_OK)
				return r;
		}
	for (i = 0; i < e->ncons; i++)
		if (e->cons[i].nareas == 0 &&
		    (r = soft(e, tly_fail(TLY_E_DEFINITION,
		    "constituencies[%zu]: no polling area belongs to "
		    "'%s'", e->cons[i].pos, e->cons[i].id))) != TLY_OK)
			return r;
	return TLY_OK;
}

/* Days from 1970-01-01 to civil date y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Two decimal digits at s, or -1. */
static int
two_digits(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * Read a deadline (member name of obj at where): an integer (Unix
 * seconds) or a string "YYYY-MM-DDTHH:MM:SS" followed by "Z" or an
 * offset "+HH:MM" / "-HH:MM".
 */
static int
get_deadline(const struct tly_json *obj, const char *where, const char *name,
    uint64_t *tp)
{
	const struct tly_json	*n;
	const char		*s;
	char			 path[WHERE_LEN], date[11];
	int			 hh, mi, ss, oh = 0, om = 0, sign = 0;
	int64_t			 t;

	tly_json_path(path, sizeof(path), where, name);
	n = tly_json_get(obj, name);
	if ((s = tly_json_string(n)) == NULL)
		return tly_json_int(n, path, tp) == TLY_OK ? TLY_OK :
		    tly_fail(TLY_E_DEFINITION, "%s: not Unix seconds or a "
		    "date-time YYYY-MM-DDTHH:MM:SSZ", path);
	if (strlen(s) < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		goto bad;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!valid_date(date) || (hh = two_digits(s + 11)) < 0 || hh > 23 ||
	    (mi = two_digits(s + 14)) < 0 || mi > 59 ||
	    (ss = two_digits(s + 17)) < 0 || ss > 59)
		goto bad;
	if (strcmp(s + 19, "Z") == 0)
		sign = 0;
	else if (strlen(s + 19) == 6 && (s[19] == '+' || s[19] == '-') &&
	    s[22] == ':' && (oh = two_digits(s + 20)) >= 0 && oh <= 23 &&
	    (om = two_digits(s + 23)) >= 0 && om <= 59)
		sign = s[19] == '+' ? 1 : -1;
	else
		goto bad;
	t = days_from_civil(atoi(date), (unsigned)atoi(date + 5),
	    (unsigned)atoi(date + 8)) * 86400 + hh * 3600 + mi * 60 + ss;
	t -= sign * (oh * 3600 + om * 60);
	if (t < 0)
		goto bad;
	*tp = (uint64_t)t;
	return TLY_OK;
 bad:
	return tly_fail(TLY_E_DEFINITION, "%s: not Unix seconds or a "
	    "date-time YYYY-MM-DDTHH:MM:SSZ (or +HH:MM)", path);
}

/* Parse rounds entry n (at where) into rd. */
static int
parse_round(struct tly_election *e, struct round *rd,
    const struct tly_json *n, const char *where)
{
	static const char *const names[] =
	    { "round", "kind", "constituency", "area", "deadline", NULL };
	const struct tly_json	*k;
	const char		*kind;
	size_t			 l;
	int			 r;

	rd->ci = rd->ai = -1;
	if ((r = tly_json_check_names(n, where, names)) != TLY_OK ||
	    (r = tly_json_get_int(n, where, "round", &rd->round)) != TLY_OK)
		return r;
	if (rd->round < 1)
		return tly_fail(TLY_E_DEFINITION,
		    "%s.round: must be 1 or more", where);
	if ((k = tly_json_get(n, "kind")) == NULL)
		return tly_fail(TLY_E_DEFINITION, "%s.kind: missing", where);
	kind = tly_json_string(k);
	if (kind != NULL && strcmp(kind, "first") == 0)
		rd->kind = ROUND_FIRST;
	else if (kind != NULL && strcmp(kind, "additional") == 0)
		rd->kind = ROUND_ADDITIONAL;
	else if (kind != NULL && strcmp(kind, "reelection") == 0)
		rd->kind = ROUND_REELECTION;
	else
		return tly_fail(TLY_E_DEFINITION, "%s.kind: not "
		    "\"first\", \"additional\" or \"reelection\"", where);
	if ((rd->kind == ROUND_FIRST) != (rd->round == 1))
		return tly_fail(TLY_E_DEFINITION, "%s.kind: round 1 is the "
		    "first round, and only round 1", where);
	if (tly_json_get(n, "constituency") != NULL) {
		if ((r = get_id(e, n, where, "constituency",
		    &rd->constituency)) != TLY_OK)
			return r;
		if ((rd->ci = tly_election_find_constituency(e,
		    rd->constituency)) < 0)
			return tly_fail(TLY_E_DEFINITION,
			    "%s.constituency: unknown constituency '%s'",
			    where, rd->constituency);
	}
	if (tly_json_get(n, "area") != NULL) {
		if ((r = get_id(e, n, where, "area", &rd->area)) != TLY_OK)
			return r;
		if ((rd->ai = tly_election_find_area(e, rd->area)) < 0)
			return tly_fail(TLY_E_DEFINITION,
			    "%s.area: unknown area '%s'", where, rd->area);
		if (rd->ci >= 0) {
			l = e->cons[rd->ci].level;
			if (e->areas[rd->ai].cons[l] != (size_t)rd->ci)
				return tly_fail(TLY_E_DEFINITION,
				    "%s.area: area '%s' does not belong to "
				    "constituency '%s'", where, rd->area,
				    rd->constituency);
		}
	}
	if (rd->kind == ROUND_FIRST && (rd->ci >= 0 || rd->ai >= 0))
		return tly_fail(TLY_E_DEFINITION, "%s: the first round covers "
		    "every area; it names no constituency or area", where);
	if (rd->kind == ROUND_ADDITIONAL && (rd->ci < 0 || rd->ai >= 0))
		return tly_fail(TLY_E_DEFINITION, "%s: an additional election "
		    "names one constituency and no area", where);
	if (rd->kind == ROUND_REELECTION && rd->ci < 0 && rd->ai < 0)
		return tly_fail(TLY_E_DEFINITION, "%s: a re-election names a "
		    "constituency or a polling area", where);
	if (tly_json_get(n, "deadline") != NULL) {
		if ((r = get_deadline(n, where, "deadline", &rd->deadline)) !=
		    TLY_OK)
			return r;
		rd->has_deadline = 1;
	}
	return TLY_OK;
}

/* 1 if round entries x and y could cover the same record key. */
static int
rounds_overlap(const struct tly_election *e, const struct round *x,
    const struct round *y)
{
	if (x->round != y->round)
		return 0;
	if (x->kind == ROUND_FIRST || y->kind == ROUND_FIRST)
		return 1;
	if (x->ai >= 0 && y->ai >= 0 && x->ai != y->ai)
		return 0;
	if (x->ci >= 0 && y->ci >= 0) {
		if (x->ci == y->ci)
			return 1;
		/* Different constituencies: of different levels, one area
		 * may still be named by both, and that is fine. */
		return 0;
	}
	if (x->ai >= 0 && y->ai < 0)	/* area vs constituency */
		return e->areas[x->ai].cons[e->cons[y->ci].level] ==
		    (size_t)y->ci;
	if (y->ai >= 0 && x->ai < 0)
		return e->areas[y->ai].cons[e->cons[x->ci].level] ==
		    (size_t)x->ci;
	return 1;			/* the same area */
}

/* Parse the optional "rounds". */
static int
parse_rounds(struct tly_election *e, const struct tly_json *root)
{
	const struct tly_json	*arr, *n;
	char			 where[WHERE_LEN];
	size_t			 i, j;
	int			 r;

	if ((r = get_array(root, "", "rounds", SIZE_MAX, 1, &arr)) != TLY_OK ||
	    arr == NULL)
		return r;
	if ((e->rounds = calloc(tly_json_count(arr), sizeof(*e->rounds))) ==
	    NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	for (n = tly_json_first(arr), i = 0; n != NULL;
	    n = tly_json_next(n), i++) {
		struct round *rd = &e->rounds[e->nrounds];

		tly_json_path_index(where, sizeof(where), "rounds", i);
		if ((r = parse_round(e, rd, n, where)) != TLY_OK)
			goto bad;
		for (j = 0; j < e->nrounds; j++) {
			const struct round *o = &e->rounds[j];

			if (rounds_overlap(e, o, rd)) {
				r = tly_fail(TLY_E_DEFINITION, "%s: round "
				    "%llu already covers these areas (another "
				    "entry)", where,
				    (unsigned long long)rd->round);
				goto bad;
			}
			/* Art. 79: an additional election is never repeated. */
			if (rd->kind == ROUND_ADDITIONAL &&
			    o->kind == ROUND_ADDITIONAL && o->ci == rd->ci) {
				r = tly_fail(TLY_E_DEFINITION, "%s: a second "
				    "additional election for '%s' (Art. 79: "
				    "never repeated)", where,
				    rd->constituency);
				goto bad;
			}
		}
		e->nrounds++;
		continue;
 bad:
		memset(rd, 0, sizeof(*rd));
		if ((r = soft(e, r)) != TLY_OK)
			return r;
	}
	return TLY_OK;
}

/* Parse the top-level members of the definition. */
static int
parse_top(struct tly_election *e, const struct tly_json *root)
{
	static const char *const names[] = { "format", "id", "name", "date",
	    "rules", "invalid_warn_percent", "turnout_spread_warn_percent",
	    "deadline", "levels", "constituencies", "areas", "rounds", NULL };
	const struct tly_json	*n;
	const char		*s;
	char			 rules[TLY_ID_MAX + 1];
	int			 r;

	if (!tly_json_is_object(root))
		return tly_fail(TLY_E_DEFINITION, "top level: not an object");
	/* The format first: a newer format may have other names. */
	if ((n = tly_json_get(root, "format")) == NULL)
		return tly_fail(TLY_E_DEFINITION, "format: missing");
	if ((s = tly_json_string(n)) == NULL)
		return tly_fail(TLY_E_DEFINITION, "format: not a string");
	if (strcmp(s, FORMAT_V1) != 0)
		return tly_fail(TLY_E_VERSION, "format: unsupported format "
		    "(expected \"" FORMAT_V1 "\")");
	if ((r = tly_json_check_names(root, "", names)) != TLY_OK ||
	    (r = get_id(e, root, "", "id", &e->id)) != TLY_OK ||
	    (r = get_text(e, root, "", "name", &e->name)) != TLY_OK ||
	    (r = get_date(root, "", "date", e->date)) != TLY_OK ||
	    (r = tly_json_get_id(root, "", "rules", rules)) != TLY_OK)
		return r;
	if (strcmp(rules, "law-2015") == 0)
		e->rules = RULES_LAW_2015;
	else if (strcmp(rules, "amend-2025") == 0)
		e->rules = RULES_AMEND_2025;
	else
		return tly_fail(TLY_E_DEFINITION, "rules: unknown rules '%s' "
		    "(expected \"law-2015\" or \"amend-2025\")", rules);
	e->warn = WARN_DEFAULT;
	if (tly_json_get(root, "invalid_warn_percent") != NULL) {
		if ((r = tly_json_get_int(root, "", "invalid_warn_percent",
		    &e->warn)) != TLY_OK)
			return r;
		if (e->warn > 100)
			return tly_fail(TLY_E_DEFINITION,
			    "invalid_warn_percent: %llu is above 100",
			    (unsigned long long)e->warn);
	}
	e->spread = SPREAD_DEFAULT;
	if (tly_json_get(root, "turnout_spread_warn_percent") != NULL) {
		if ((r = tly_json_get_int(root, "",
		    "turnout_spread_warn_percent", &e->spread)) != TLY_OK)
			return r;
		if (e->spread > 100)
			return tly_fail(TLY_E_DEFINITION,
			    "turnout_spread_warn_percent: %llu is above 100",
			    (unsigned long long)e->spread);
	}
	if (tly_json_get(root, "deadline") != NULL) {
		if ((r = get_deadline(root, "", "deadline", &e->deadline)) !=
		    TLY_OK)
			return r;
		e->has_deadline = 1;
	}
	if ((r = parse_levels(e, root)) != TLY_OK ||
	    (r = parse_constituencies(e, root)) != TLY_OK ||
	    (r = parse_areas(e, root)) != TLY_OK ||
	    (r = parse_rounds(e, root)) != TLY_OK)
		return r;
	return TLY_OK;
}

/* Parse a definition; see election.h. */
int
tly_election_parse(const void *p, size_t len, struct tly_election **ep)
{
	struct tly_json		*root = NULL;
	struct tly_election	*e = NULL;
	int			 r;

	*ep = NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		r = tly_fail(TLY_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = tly_json_parse(p, len, &root)) != TLY_OK ||
	    (r = parse_top(e, root)) != TLY_OK)
		goto out;
	*ep = e;
	e = NULL;		/* transferred */
 out:
	/* Keep the detail; only the code is unified. */
	if (r != TLY_OK && r != TLY_E_NOMEM && r != TLY_E_VERSION)
		r = TLY_E_DEFINITION;
	tly_json_free(root);
	tly_election_free(e);
	return r;
}

/* Validate a definition, reporting every error; see election.h. */
int
tly_election_validate(const void *p, size_t len,
    void (*report)(void *arg, const char *path_and_message), void *arg)
{
	struct tly_json		*root = NULL;
	struct tly_election	*e = NULL;
	char			 more[64];
	int			 r;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		r = tly_fail(TLY_E_NOMEM, "out of memory");
		goto out;
	}
	e->report = report;
	e->rarg = arg;
	if ((r = tly_json_parse(p, len, &root)) != TLY_OK ||
	    (r = parse_top(e, root)) != TLY_OK) {
		/* A stop that soft() did not take: report it too. */
		if (r != TLY_E_NOMEM && r != TLY_E_VERSION)
			r = TLY_E_DEFINITION;
		if (r != TLY_E_NOMEM)
			report(arg, tly_errdetail());
		goto out;
	}
	if (e->nerrors >= TLY_VALIDATE_MAX) {
		snprintf(more, sizeof(more), "(%zu more errors not shown)",
		    e->nerrors - TLY_VALIDATE_MAX + 1);
		report(arg, more);
	}
	r = e->nerrors > 0 ? tly_fail(TLY_E_DEFINITION, "%zu errors",
	    e->nerrors) : TLY_OK;
 out:
	tly_json_free(root);
	tly_election_free(e);
	return r;
}

/* Free a definition; NULL-safe. */
void
tly_election_free(struct tly_election *e)
{
	struct block	*b, *next;

	if (e == NULL)
		return;
	for (b = e->arena; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(e->cons);
	free(e->cands);
	free(e->areas);
	free(e->rounds);
	free(e);
}

/* The election id. */
const char *
tly_election_id(const struct tly_election *e)
{
	return e->id;
}

/* The election's display name. */
const char *
tly_election_name(const struct tly_election *e)
{
	return e->name;
}

/* Election day. */
const char *
tly_election_date(const struct tly_election *e)
{
	return e->date;
}

/* The rules, as written in the definition. */
const char *
tly_election_rules(const struct tly_election *e)
{
	return e->rules == RULES_LAW_2015 ? "law-2015" : "amend-2025";
}

/* The W4 threshold in percent. */
uint64_t
tly_election_turnout_spread_warn_percent(const struct tly_election *e)
{
	return e->spread;
}

/* The W3 threshold in percent. */
uint64_t
tly_election_invalid_warn_percent(const struct tly_election *e)
{
	return e->warn;
}

/* Number of levels. */
size_t
tly_election_nlevels(const struct tly_election *e)
{
	return e->nlevels;
}

/* Id of level i (in the order given), or NULL when out of range. */
const char *
tly_election_level(const struct tly_election *e, size_t i)
{
	return i < e->nlevels ? e->levels[i].id : NULL;
}

/* Number of constituencies. */
size_t
tly_election_nconstituencies(const struct tly_election *e)
{
	return e->ncons;
}

/* Index of constituency id by binary search, or -1. */
long
tly_election_find_constituency(const struct tly_election *e, const char *id)
{
	size_t	 lo = 0, hi = e->ncons, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(id, e->cons[mid].id)) == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Id of constituency i. */
const char *
tly_constituency_id(const struct tly_election *e, size_t i)
{
	return i < e->ncons ? e->cons[i].id : NULL;
}

/* Level id of constituency i. */
const char *
tly_constituency_level(const struct tly_election *e, size_t i)
{
	return i < e->ncons ? e->levels[e->cons[i].level].id : NULL;
}

/* Seats of constituency i (0 when out of range). */
unsigned
tly_constituency_seats(const struct tly_election *e, size_t i)
{
	return i < e->ncons ? e->cons[i].seats : 0;
}

/* Number of candidates of constituency i. */
size_t
tly_constituency_ncandidates(const struct tly_election *e, size_t i)
{
	return i < e->ncons ? e->cons[i].ncand : 0;
}

/* Id of candidate c (sorted by id) of constituency i. */
const char *
tly_constituency_candidate(const struct tly_election *e, size_t i, size_t c)
{
	if (i >= e->ncons || c >= e->cons[i].ncand)
		return NULL;
	return e->cons[i].cand[c].id;
}

/* Number of polling areas that belong to constituency i. */
size_t
tly_constituency_nareas(const struct tly_election *e, size_t i)
{
	return i < e->ncons ? e->cons[i].nareas : 0;
}

/* Number of polling areas. */
size_t
tly_election_nareas(const struct tly_election *e)
{
	return e->nareas;
}

/* Index of area id by binary search, or -1. */
long
tly_election_find_area(const struct tly_election *e, const char *id)
{
	size_t	 lo = 0, hi = e->nareas, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(id, e->areas[mid].id)) == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Id of area a. */
const char *
tly_area_id(const struct tly_election *e, size_t a)
{
	return a < e->nareas ? e->areas[a].id : NULL;
}

/* Constituency id of area a at level, or NULL. */
const char *
tly_area_constituency(const struct tly_election *e, size_t a,
    const char *level)
{
	long	 l;

	if (a >= e->nareas || (l = level_index(e, level)) < 0)
		return NULL;
	return e->cons[e->areas[a].cons[l]].id;
}

/* Registered voters of area a at level; 0 if not given. */
uint64_t
tly_area_registered(const struct tly_election *e, size_t a,
    const char *level)
{
	long	 l;

	if (a >= e->nareas || (l = level_index(e, level)) < 0)
		return 0;
	return e->areas[a].registered[l];
}

/* Index of level id, or -1. */
long
tly_election_find_level(const struct tly_election *e, const char *id)
{
	return level_index(e, id);
}

/* Display name of level i, or NULL. */
const char *
tly_level_name(const struct tly_election *e, size_t i)
{
	return i < e->nlevels ? e->levels[i].name : NULL;
}

/* Kind of level i, or -1. */
int
tly_level_kind(const struct tly_election *e, size_t i)
{
	return i < e->nlevels ? e->levels[i].kind : -1;
}

/* Display name of constituency i. */
const char *
tly_constituency_name(const struct tly_election *e, size_t i)
{
	return i < e->ncons ? e->cons[i].name : NULL;
}

/* Level index of constituency i (0 when out of range). */
size_t
tly_constituency_level_index(const struct tly_election *e, size_t i)
{
	return i < e->ncons ? e->cons[i].level : 0;
}

/* Name of candidate c of constituency i. */
const char *
tly_candidate_name(const struct tly_election *e, size_t i, size_t c)
{
	if (i >= e->ncons || c >= e->cons[i].ncand)
		return NULL;
	return e->cons[i].cand[c].name;
}

/* Date of birth of candidate c of constituency i. */
const char *
tly_candidate_born(const struct tly_election *e, size_t i, size_t c)
{
	if (i >= e->ncons || c >= e->cons[i].ncand)
		return NULL;
	return e->cons[i].cand[c].born;
}

/* Index of candidate id in constituency i, or -1. */
long
tly_constituency_find_candidate(const struct tly_election *e, size_t i,
    const char *id)
{
	size_t	 lo = 0, hi, mid;
	int	 c;

	if (i >= e->ncons)
		return -1;
	hi = e->cons[i].ncand;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(id, e->cons[i].cand[mid].id)) == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Voter-list figure of area a at level index l, when loaded. */
int
tly_area_registered_at(const struct tly_election *e, size_t a, size_t l,
    uint64_t *np)
{
	if (a >= e->nareas || l >= e->nlevels ||
	    !(e->areas[a].has_registered & (1u << l)))
		return 0;
	*np = e->areas[a].registered[l];
	return 1;
}

/* Display name of area a. */
const char *
tly_area_name(const struct tly_election *e, size_t a)
{
	return a < e->nareas ? e->areas[a].name : NULL;
}

/* 1 when area a is remote. */
int
tly_area_remote(const struct tly_election *e, size_t a)
{
	return a < e->nareas ? e->areas[a].remote : 0;
}

/* Components in area a's path. */
size_t
tly_area_npath(const struct tly_election *e, size_t a)
{
	return a < e->nareas ? e->areas[a].npath : 0;
}

/* Component k of area a's path, or NULL. */
const char *
tly_area_path(const struct tly_election *e, size_t a, size_t k)
{
	if (a >= e->nareas || k >= e->areas[a].npath)
		return NULL;
	return e->areas[a].path[k];
}

/* Constituency index of area a at level index l (0 when out of range). */
size_t
tly_area_constituency_index(const struct tly_election *e, size_t a, size_t l)
{
	if (a >= e->nareas || l >= e->nlevels)
		return 0;
	return e->areas[a].cons[l];
}

/* Entries of "rounds". */
size_t
tly_election_nrounds(const struct tly_election *e)
{
	return e->nrounds;
}

/* Round number of entry i (0 when out of range). */
uint64_t
tly_round_number(const struct tly_election *e, size_t i)
{
	return i < e->nrounds ? e->rounds[i].round : 0;
}

/* Kind of entry i, or -1. */
int
tly_round_kind(const struct tly_election *e, size_t i)
{
	return i < e->nrounds ? e->rounds[i].kind : -1;
}

/* Constituency index entry i names, or -1. */
long
tly_round_constituency(const struct tly_election *e, size_t i)
{
	return i < e->nrounds ? e->rounds[i].ci : -1;
}

/* Area index entry i names, or -1. */
long
tly_round_area(const struct tly_election *e, size_t i)
{
	return i < e->nrounds ? e->rounds[i].ai : -1;
}

/* 1 if entry rd covers the key (area a, level index l). */
static int
round_covers(const struct tly_election *e, const struct round *rd, size_t a,
    size_t l)
{
	if (rd->kind == ROUND_FIRST)
		return 1;
	if (rd->ai >= 0 && (size_t)rd->ai != a)
		return 0;
	if (rd->ci >= 0 && e->areas[a].cons[l] != (size_t)rd->ci)
		return 0;
	return 1;
}

/* Kind of round for (a, l), or -1 when none covers it. */
int
tly_election_round_covers(const struct tly_election *e, uint64_t round,
    size_t a, size_t l)
{
	size_t	 i;

	if (a >= e->nareas || l >= e->nlevels || round < 1)
		return -1;
	if (round == 1)
		return ROUND_FIRST;
	for (i = 0; i < e->nrounds; i++)
		if (e->rounds[i].round == round &&
		    round_covers(e, &e->rounds[i], a, l))
			return e->rounds[i].kind;
	return -1;
}

/* Deadline of round number round, when one is given. */
int
tly_election_deadline(const struct tly_election *e, uint64_t round,
    uint64_t *tp)
{
	size_t	 i;

	if (round == 1 && e->has_deadline) {
		*tp = e->deadline;
		return 1;
	}
	for (i = 0; i < e->nrounds; i++)
		if (e->rounds[i].round == round && e->rounds[i].has_deadline) {
			*tp = e->rounds[i].deadline;
			return 1;
		}
	return 0;
}
