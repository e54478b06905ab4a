/*
 * definition_get.c: the accessors of a parsed election definition (see
 * election.h).  Constituencies, candidates and polling areas are sorted
 * by id (electionInt.h), so every lookup by id is a binary search.
 */
#include <stdint.h>
#include <string.h>

#include "election/election.h"
#include "election/electionInt.h"

/* Index of level id in e, or -1. */
long
elec_level_index(const struct tly_election *e, const char *id)
{
	size_t	 i;

	for (i = 0; i < e->nlevels; i++)
		if (strcmp(e->levels[i].id, id) == 0)
			return (long)i;
	return -1;
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

int
elec_cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

long
elec_find_id(const void *base, size_t n, size_t size, const char *id)
{
	const char	*p = base;
	size_t		 lo = 0, hi = n, mid;
	int		 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(id, *(const char *const *)(const void *)
		    (p + mid * size))) == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
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
	return elec_find_id(e->cons, e->ncons, sizeof(*e->cons), id);
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
	return elec_find_id(e->areas, e->nareas, sizeof(*e->areas), id);
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

	if (a >= e->nareas || (l = elec_level_index(e, level)) < 0)
		return NULL;
	return e->cons[e->areas[a].cons[l]].id;
}

/* Registered voters of area a at level; 0 if not given. */
uint64_t
tly_area_registered(const struct tly_election *e, size_t a,
    const char *level)
{
	long	 l;

	if (a >= e->nareas || (l = elec_level_index(e, level)) < 0)
		return 0;
	return e->areas[a].registered[l];
}

/* Index of level id, or -1. */
long
tly_election_find_level(const struct tly_election *e, const char *id)
{
	return elec_level_index(e, id);
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
	if (i >= e->ncons)
		return -1;
	return elec_find_id(e->cons[i].cand, e->cons[i].ncand,
	    sizeof(*e->cons[i].cand), id);
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

/* The entry of round number round covering (a, l), or NULL. */
static const struct round *
round_entry(const struct tly_election *e, uint64_t round, size_t a, size_t l)
{
	size_t	 i;

	for (i = 0; i < e->nrounds; i++)
		if (e->rounds[i].round == round &&
		    round_covers(e, &e->rounds[i], a, l))
			return &e->rounds[i];
	return NULL;
}

/* Kind of round for (a, l), or -1 when none covers it. */
int
tly_election_round_covers(const struct tly_election *e, uint64_t round,
    size_t a, size_t l)
{
	const struct round	*rd;

	if (a >= e->nareas || l >= e->nlevels || round < 1)
		return -1;
	if (round == 1)
		return ROUND_FIRST;
	rd = round_entry(e, round, a, l);
	return rd != NULL ? rd->kind : -1;
}

/* The additional round an entry repeats, or 0. */
uint64_t
tly_round_repeats(const struct tly_election *e, size_t i)
{
	return i < e->nrounds ? e->rounds[i].repeats : 0;
}

/* Deadline of the record key (round, a, l): its own entry's. */
int
tly_election_deadline(const struct tly_election *e, uint64_t round,
    size_t a, size_t l, uint64_t *tp)
{
	const struct round	*rd;

	if (a >= e->nareas || l >= e->nlevels || round < 1)
		return 0;
	/* The reader refuses a round 1 deadline given twice. */
	if (round == 1 && e->has_deadline) {
		*tp = e->deadline;
		return 1;
	}
	if ((rd = round_entry(e, round, a, l)) == NULL || !rd->has_deadline)
		return 0;
	*tp = rd->deadline;
	return 1;
}
