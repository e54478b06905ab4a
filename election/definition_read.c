/*
 * definition_read.c: the reading helpers every part of the definition
 * parser shares, below both definition.c (top level, levels,
 * constituencies, areas) and definition_round.c ("rounds"): error
 * reporting in validation mode, the string arena, ids, texts, dates,
 * deadlines and arrays.  It calls nothing of the files above it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "election/election.h"
#include "election/electionInt.h"

#define ARENA_BLOCK	65536	/* bytes per arena block */

/*
 * In validation mode, report the error r just failed with and return
 * TLY_OK so the caller carries on with the next element; otherwise (or
 * for errors that are not about content) return r unchanged.
 */
int
elec_soft(struct tly_election *e, int r)
{
	if (r == TLY_OK || e->report == NULL ||
	    r == TLY_E_NOMEM || r == TLY_E_VERSION)
		return r;
	if (e->quiet) {
		e->quiet = 0;
		return TLY_OK;
	}
	e->nerrors++;
	if (e->nerrors < TLY_VALIDATE_MAX)
		e->report(e->rarg, tly_errdetail());
	return TLY_OK;
}

/* Copy s into the election's arena; NULL when out of memory. */
const char *
elec_arena_strdup(struct tly_election *e, const char *s)
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

/* Remember a dropped element's id (validation mode); see electionInt.h. */
int
elec_note_failed(struct tly_election *e, char kind, const char *id)
{
	const char	**p;
	char		  key[TLY_ID_MAX + 3];

	if (e->report == NULL || id == NULL)
		return TLY_OK;
	if (e->nfailed == e->failedcap) {
		size_t n = e->failedcap ? 2 * e->failedcap : 16;

		if ((p = realloc(e->failed, n * sizeof(*p))) == NULL)
			return tly_fail(TLY_E_NOMEM, "out of memory");
		e->failed = p;
		e->failedcap = n;
	}
	snprintf(key, sizeof(key), "%c:%s", kind, id);
	if ((e->failed[e->nfailed] = elec_arena_strdup(e, key)) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	e->nfailed++;
	return TLY_OK;
}

/* Is id a dropped element's?  Then the next error is a follow-on. */
int
elec_follows(struct tly_election *e, char kind, const char *id)
{
	size_t	 i;

	for (i = 0; i < e->nfailed; i++)
		if (e->failed[i][0] == kind &&
		    strcmp(e->failed[i] + 2, id) == 0) {
			e->quiet = 1;
			return 1;
		}
	return 0;
}

/* 1 if s is a calendar date written YYYY-MM-DD (years 1000..9999). */
int
elec_valid_date(const char *s)
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
int
elec_get_id(struct tly_election *e, const struct tly_json *obj,
    const char *where, const char *name, const char **out)
{
	char	 id[TLY_ID_MAX + 1];
	int	 r;

	if ((r = tly_json_get_id(obj, where, name, id)) != TLY_OK)
		return r;
	if ((*out = elec_arena_strdup(e, id)) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	return TLY_OK;
}

/*
 * A definition's text at path must be one line without bidi controls
 * (PROTOCOL.md 5.2).
 */
int
elec_text_rule(const char *path, const char *t)
{
	const char	*why;

	if ((why = tly_text_fault(t, TLY_TEXT_LINE)) != NULL)
		return tly_fail(TLY_E_DEFINITION, "%s: holds %s", path, why);
	return TLY_OK;
}

/* Read required member name of obj as a text copied into the arena. */
int
elec_get_text(struct tly_election *e, const struct tly_json *obj,
    const char *where, const char *name, const char **out)
{
	char	 path[WHERE_LEN];
	char	*t = NULL;
	int	 r;

	tly_json_path(path, sizeof(path), where, name);
	if ((r = tly_json_get_text(obj, where, name, &t)) != TLY_OK ||
	    (r = elec_text_rule(path, t)) != TLY_OK) {
		free(t);
		return r;
	}
	*out = elec_arena_strdup(e, t);
	free(t);
	if (*out == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	return TLY_OK;
}

/* Read required member name of obj as a YYYY-MM-DD date into out. */
int
elec_get_date(const struct tly_json *obj, const char *where, const char *name,
    char out[11])
{
	char			 path[WHERE_LEN];
	const struct tly_json	*n;
	const char		*s;

	tly_json_path(path, sizeof(path), where, name);
	if ((n = tly_json_get(obj, name)) == NULL)
		return tly_fail(TLY_E_DEFINITION, "%s: missing", path);
	if ((s = tly_json_string(n)) == NULL || !elec_valid_date(s))
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
int
elec_get_array(const struct tly_json *obj, const char *where,
    const char *name, size_t max, int optional, const struct tly_json **np)
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

