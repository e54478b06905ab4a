/*
 * definition_round.c: the "rounds" of an election definition
 * (docs/ELECTION.md): re-elections (Art. 80) and additional elections
 * (Art. 79) with their deadlines (W7), and the deadline syntax shared
 * with the top level.  The rest of the parser is in definition.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "election/election.h"
#include "election/electionInt.h"

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
int
elec_get_deadline(const struct tly_json *obj, const char *where,
    const char *name, uint64_t *tp)
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
	if (!elec_valid_date(date) ||
	    (hh = two_digits(s + 11)) < 0 || hh > 23 ||
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
		if ((r = elec_get_id(e, n, where, "constituency",
		    &rd->constituency)) != TLY_OK)
			return r;
		if ((rd->ci = tly_election_find_constituency(e,
		    rd->constituency)) < 0)
			return tly_fail(TLY_E_DEFINITION,
			    "%s.constituency: unknown constituency '%s'",
			    where, rd->constituency);
	}
	if (tly_json_get(n, "area") != NULL) {
		if ((r = elec_get_id(e, n, where, "area", &rd->area)) != TLY_OK)
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
		if ((r = elec_get_deadline(n, where, "deadline",
		    &rd->deadline)) != TLY_OK)
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
	return TLY_OK;
}
