/*
 * definition.c: reading an election definition (docs/ELECTION.md): the
 * top level, levels, constituencies with their candidate lists, and
 * polling areas; tly_election_parse() stops at the first error,
 * tly_election_validate() reports them all.  The "rounds" are read in
 * definition_round.c; both build on the helpers of definition_read.c,
 * the accessors are in definition_get.c and the layout they share is in
 * electionInt.h.
 *
 * All strings live in a small arena owned by the definition, so a
 * national definition (some 85,000 areas and 270,000 constituencies)
 * costs few allocations.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "election/election.h"
#include "election/electionInt.h"

#define FORMAT_V1	"tally-election/1"
#define WARN_DEFAULT	10	/* invalid_warn_percent when not given */
#define SPREAD_DEFAULT	5	/* turnout_spread_warn_percent default */
#define NA_SEATS_MAX	3	/* seats of a National Assembly constituency */
#define COUNCIL_SEATS_MAX 5	/* seats of a council constituency */

/* Fewest candidates the law allows for a constituency (Art. 57, 58). */
size_t
tly_election_min_candidates(int kind, unsigned seats)
{
	if (kind == TLY_LEVEL_NA)
		return (size_t)seats + 2;
	if (seats >= 4)
		return (size_t)seats + 3;
	if (seats == 3)
		return (size_t)seats + 2;
	return (size_t)seats + 1;
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
	if ((r = elec_get_array(root, "", "levels", max, 0, &arr)) != TLY_OK)
		return r;
	for (n = tly_json_first(arr), i = 0; n != NULL;
	    n = tly_json_next(n), i++) {
		struct level *l = &e->levels[i];

		tly_json_path_index(where, sizeof(where), "levels", i);
		if ((r = tly_json_check_names(n, where, names)) != TLY_OK ||
		    (r = elec_get_id(e, n, where, "id", &l->id)) != TLY_OK ||
		    (r = elec_get_text(e, n, where, "name", &l->name)) != TLY_OK)
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

	if ((r = elec_get_array(n, where, "candidates", TLY_CAND_MAX, 0,
	    &arr)) != TLY_OK)
		return r;
	tly_json_path(path, sizeof(path), where, "candidates");
	min = tly_election_min_candidates(e->levels[c->level].kind,
	    c->seats);
	if (tly_json_count(arr) < min &&
	    (r = elec_soft(e, tly_fail(TLY_E_DEFINITION,
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
		    (r = elec_get_id(e, m, cwhere, "id", &k->id)) != TLY_OK ||
		    (r = elec_get_text(e, m, cwhere, "name", &k->name)) != TLY_OK ||
		    (r = elec_get_date(m, cwhere, "born", k->born)) != TLY_OK)
			return r;
		c->ncand = i + 1;
	}
	e->ncands += c->ncand;
	qsort(c->cand, c->ncand, sizeof(*c->cand), elec_cmp_id);
	for (i = 1; i < c->ncand; i++)
		if (strcmp(c->cand[i - 1].id, c->cand[i].id) == 0) {
			size_t a = c->cand[i - 1].pos, b = c->cand[i].pos;

			if ((r = elec_soft(e, tly_fail(TLY_E_DEFINITION,
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

	if ((r = elec_get_array(root, "", "constituencies", SIZE_MAX, 0,
	    &arr)) != TLY_OK)
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
		    (r = elec_get_id(e, n, where, "id", &c->id)) != TLY_OK ||
		    (r = tly_json_get_id(n, where, "level", level)) != TLY_OK ||
		    (r = elec_get_text(e, n, where, "name", &c->name)) != TLY_OK)
			goto bad;
		if ((li = elec_level_index(e, level)) < 0) {
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
		/* Validation mode: report, drop this one, go on; references
		 * to it are not reported again. */
		if ((r = elec_soft(e, r)) != TLY_OK ||
		    (r = elec_note_failed(e, 'c', c->id)) != TLY_OK)
			return r;
		memset(c, 0, sizeof(*c));
	}
	qsort(e->cons, e->ncons, sizeof(*e->cons), elec_cmp_id);
	for (i = 1; i < e->ncons; i++)
		if (strcmp(e->cons[i - 1].id, e->cons[i].id) == 0) {
			size_t a = e->cons[i - 1].pos, b = e->cons[i].pos;

			if ((r = elec_soft(e, tly_fail(TLY_E_DEFINITION,
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

	if ((r = elec_get_array(n, where, "path", PATH_MAX_PARTS, 0, &arr)) !=
	    TLY_OK)
		return r;
	tly_json_path(path, sizeof(path), where, "path");
	for (m = tly_json_first(arr), i = 0; m != NULL;
	    m = tly_json_next(m), i++) {
		tly_json_path_index(ewhere, sizeof(ewhere), path, i);
		if ((r = tly_json_text(m, ewhere, &t)) != TLY_OK)
			return r;
		if ((r = elec_text_rule(ewhere, t)) != TLY_OK) {
			free(t);
			return r;
		}
		a->path[i] = elec_arena_strdup(e, t);
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
		else if ((ci = tly_election_find_constituency(e, id)) < 0) {
			(void)elec_follows(e, 'c', id);
			r = tly_fail(TLY_E_DEFINITION,
			    "%s: unknown constituency '%s'", mpath, id);
		}
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
		if ((bad = elec_soft(e, r)) != TLY_OK)
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
	if ((r = elec_get_array(root, "", "areas", SIZE_MAX, 0, &arr)) !=
	    TLY_OK)
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
		    (r = elec_get_id(e, n, where, "id", &a->id)) != TLY_OK ||
		    (r = elec_get_text(e, n, where, "name", &a->name)) != TLY_OK ||
		    (r = parse_area_path(e, a, n, where)) != TLY_OK ||
		    (r = parse_area_remote(a, n, where)) != TLY_OK ||
		    (r = parse_area_levels(e, a, n, where, lnames)) != TLY_OK) {
			/* Validation mode: parse_area_levels() has already
			 * reported its own errors. */
			if (e->report == NULL || r == TLY_E_NOMEM)
				return r;
			if (!e->area_reported &&
			    (r = elec_soft(e, r)) != TLY_OK)
				return r;
			if ((r = elec_note_failed(e, 'a', a->id)) != TLY_OK)
				return r;
			e->area_reported = 0;
			memset(a, 0, sizeof(*a));
			continue;
		}
		e->nareas++;
	}
	qsort(e->areas, e->nareas, sizeof(*e->areas), elec_cmp_id);
	for (i = 1; i < e->nareas; i++)
		if (strcmp(e->areas[i - 1].id, e->areas[i].id) == 0) {
			size_t a = e->areas[i - 1].pos, b = e->areas[i].pos;

			if ((r = elec_soft(e, tly_fail(TLY_E_DEFINITION,
			    "areas[%zu].id: duplicate area id '%s' "
			    "(also areas[%zu])", a > b ? a : b,
			    e->areas[i].id, a > b ? b : a))) != TLY_OK)
				return r;
		}
	for (i = 0; i < e->ncons; i++)
		if (e->cons[i].nareas == 0 &&
		    (r = elec_soft(e, tly_fail(TLY_E_DEFINITION,
		    "constituencies[%zu]: no polling area belongs to "
		    "'%s'", e->cons[i].pos, e->cons[i].id))) != TLY_OK)
			return r;
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
	    (r = elec_get_id(e, root, "", "id", &e->id)) != TLY_OK ||
	    (r = elec_get_text(e, root, "", "name", &e->name)) != TLY_OK ||
	    (r = elec_get_date(root, "", "date", e->date)) != TLY_OK ||
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
		if ((r = elec_get_deadline(root, "", "deadline",
		    &e->deadline)) != TLY_OK)
			return r;
		e->has_deadline = 1;
	}
	if ((r = parse_levels(e, root)) != TLY_OK ||
	    (r = parse_constituencies(e, root)) != TLY_OK ||
	    (r = parse_areas(e, root)) != TLY_OK ||
	    (r = elec_parse_rounds(e, root)) != TLY_OK)
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
		/* A stop that elec_soft() did not take: report it too. */
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
	free(e->failed);
	free(e);
}
