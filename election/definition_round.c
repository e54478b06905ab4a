/*
 * definition_round.c: the "rounds" of an election definition
 * (docs/ELECTION.md): re-elections (Art. 80) and additional elections
 * (Art. 79) with their deadlines (W7).  definition.c calls it after the
 * areas; it builds on definition_read.c and calls nothing in
 * definition.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "election/election.h"
#include "election/electionInt.h"

/* Parse rounds entry n (at where) into rd. */
static int
parse_round(struct tly_election *e, struct round *rd,
    const struct tly_json *n, const char *where)
{
	static const char *const names[] = { "round", "kind",
	    "constituency", "area", "repeats", "deadline", NULL };
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
		if ((r = elec_get_id(e, n, where, "constituency",
		    &rd->constituency)) != TLY_OK)
			return r;
		if ((rd->ci = tly_election_find_constituency(e,
		    rd->constituency)) < 0) {
			(void)elec_follows(e, 'c', rd->constituency);
			return tly_fail(TLY_E_DEFINITION,
			    "%s.constituency: unknown constituency '%s'",
			    where, rd->constituency);
		}
	}
	if (tly_json_get(n, "area") != NULL) {
		if ((r = elec_get_id(e, n, where, "area", &rd->area)) != TLY_OK)
			return r;
		if ((rd->ai = tly_election_find_area(e, rd->area)) < 0) {
			(void)elec_follows(e, 'a', rd->area);
			return tly_fail(TLY_E_DEFINITION,
			    "%s.area: unknown area '%s'", where, rd->area);
		}
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
	if (tly_json_get(n, "repeats") != NULL) {
		if (rd->kind != ROUND_REELECTION || rd->ci < 0 || rd->ai >= 0)
			return tly_fail(TLY_E_DEFINITION, "%s.repeats: only a "
			    "re-election of a whole constituency repeats an "
			    "additional election", where);
		if ((r = tly_json_get_int(n, where, "repeats",
		    &rd->repeats)) != TLY_OK)
			return r;
		if (rd->repeats < 2 || rd->repeats >= rd->round)
			return tly_fail(TLY_E_DEFINITION, "%s.repeats: must "
			    "be an earlier round than %llu", where,
			    (unsigned long long)rd->round);
		rd->kind = ROUND_READDITIONAL;
	}
	if (tly_json_get(n, "deadline") != NULL) {
		if ((r = elec_get_deadline(n, where, "deadline",
		    &rd->deadline)) != TLY_OK)
			return r;
		rd->has_deadline = 1;
		if (rd->kind == ROUND_FIRST && e->has_deadline)
			return tly_fail(TLY_E_DEFINITION, "%s.deadline: round "
			    "1's deadline is also given at the top level; "
			    "give it once", where);
	}
	return TLY_OK;
}

/* Additional entry of constituency ci, or NULL. */
static const struct round *
additional_of(const struct tly_election *e, long ci)
{
	size_t	 i;

	for (i = 0; i < e->nrounds; i++)
		if (e->rounds[i].kind == ROUND_ADDITIONAL &&
		    e->rounds[i].ci == ci)
			return &e->rounds[i];
	return NULL;
}

/*
 * 1 if re-election entry rd re-elects some of constituency ci's areas
 * (at ci's level) after ci's additional round add.
 */
static int
reelects_after(const struct tly_election *e, const struct round *rd,
    long ci, uint64_t add)
{
	if (rd->kind != ROUND_REELECTION || rd->round <= add)
		return 0;
	if (rd->ci >= 0)
		return rd->ci == ci;
	return e->areas[rd->ai].cons[e->cons[ci].level] == (size_t)ci;
}

/*
 * What no single entry shows, once every entry is read: a re-election
 * of an additional election names that constituency's one additional
 * round, and is the only one (Art. 80: a re-election's result stands);
 * a plain re-election of a constituency's areas after its additional
 * election would be ambiguous (the main phase again, or the additional
 * election again?), so it is refused.
 */
static int
check_rounds(struct tly_election *e)
{
	const struct round	*rd, *o, *add;
	char			 where[WHERE_LEN];
	size_t			 i, j, l;
	int			 r;

	for (i = 0; i < e->nrounds; i++) {
		rd = &e->rounds[i];
		tly_json_path_index(where, sizeof(where), "rounds", rd->pos);
		r = TLY_OK;
		if (rd->kind == ROUND_READDITIONAL) {
			add = additional_of(e, rd->ci);
			if (add == NULL || add->round != rd->repeats)
				r = tly_fail(TLY_E_DEFINITION, "%s.repeats: "
				    "round %llu is not the additional election "
				    "of '%s'", where,
				    (unsigned long long)rd->repeats,
				    rd->constituency);
			for (j = 0; j < i && r == TLY_OK; j++) {
				o = &e->rounds[j];
				if (o->kind == ROUND_READDITIONAL &&
				    o->ci == rd->ci)
					r = tly_fail(TLY_E_DEFINITION, "%s: a "
					    "second re-election of the "
					    "additional election of '%s' "
					    "(Art. 80: its result stands)",
					    where, rd->constituency);
			}
		} else if (rd->kind == ROUND_REELECTION) {
			for (l = 0; l < e->nlevels && r == TLY_OK; l++) {
				long ci = rd->ci >= 0 ? rd->ci : (long)
				    e->areas[rd->ai].cons[l];

				if (rd->ci >= 0 && l > 0)
					break;
				if ((add = additional_of(e, ci)) != NULL &&
				    reelects_after(e, rd, ci, add->round))
					r = tly_fail(TLY_E_DEFINITION, "%s: "
					    "re-elects in '%s' after its "
					    "additional election (round %llu); "
					    "a re-election of that additional "
					    "election says \"repeats\": %llu",
					    where, e->cons[ci].id,
					    (unsigned long long)add->round,
					    (unsigned long long)add->round);
			}
		}
		if (r != TLY_OK && (r = elec_soft(e, r)) != TLY_OK)
			return r;
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
int
elec_parse_rounds(struct tly_election *e, const struct tly_json *root)
{
	const struct tly_json	*arr, *n;
	char			 where[WHERE_LEN];
	size_t			 i, j;
	int			 r;

	if ((r = elec_get_array(root, "", "rounds", SIZE_MAX, 1, &arr)) !=
	    TLY_OK || arr == NULL)
		return r;
	if ((e->rounds = calloc(tly_json_count(arr), sizeof(*e->rounds))) ==
	    NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	for (n = tly_json_first(arr), i = 0; n != NULL;
	    n = tly_json_next(n), i++) {
		struct round *rd = &e->rounds[e->nrounds];

		tly_json_path_index(where, sizeof(where), "rounds", i);
		rd->pos = i;
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
		if ((r = elec_soft(e, r)) != TLY_OK)
			return r;
	}
	return check_rounds(e);
}
