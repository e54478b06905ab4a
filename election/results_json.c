/*
 * results_json.c: the JSON bodies of the results API (docs/RESULTS.md):
 * the summary by level, one constituency in detail, and the roll-up for
 * one administrative place, with percentages written in integers only.
 * The decisions themselves are made in results.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "election/election.h"
#include "election/results.h"
#include "election/resultsInt.h"

/* Write num/den as a percentage with two decimals, half up; "-" for 0. */
static void
jw_percent(struct tly_jw *w, uint64_t num, uint64_t den)
{
	char	 buf[48];
	u128	 q;

	if (den == 0) {
		tly_jw_str(w, "-");
		return;
	}
	q = ((u128)20000 * num + den) / ((u128)2 * den);
	snprintf(buf, sizeof(buf), "%llu.%02u",
	    (unsigned long long)(q / 100), (unsigned)(q % 100));
	tly_jw_str(w, buf);
}

/* The ballot figures of a level or constituency, in the order of the API. */
static void
jw_counts(struct tly_jw *w, uint64_t R, uint64_t T, uint64_t W, uint64_t X)
{
	tly_jw_key(w, "registered");
	tly_jw_uint(w, R);
	tly_jw_key(w, "voted");
	tly_jw_uint(w, T);
	tly_jw_key(w, "turnout");
	jw_percent(w, T, R);
	tly_jw_key(w, "valid");
	tly_jw_uint(w, W);
	tly_jw_key(w, "invalid");
	tly_jw_uint(w, X);
}

/* Write a LEVEL object for level l with sums s. */
static void
write_level(const struct tly_results *r, size_t l, const struct lsum *s,
    struct tly_jw *w)
{
	int	 i;

	tly_jw_obj_open(w);
	tly_jw_key(w, "level");
	tly_jw_str(w, tly_election_level(r->e, l));
	tly_jw_key(w, "kind");
	tly_jw_str(w, tly_level_kind(r->e, l) == TLY_LEVEL_NA ? "na" :
	    "council");
	tly_jw_key(w, "constituencies");
	tly_jw_uint(w, s->cons);
	tly_jw_key(w, "areas");
	tly_jw_uint(w, s->areas);
	tly_jw_key(w, "reporting");
	tly_jw_uint(w, s->reporting);
	tly_jw_key(w, "seats");
	tly_jw_uint(w, s->seats);
	tly_jw_key(w, "seats_filled");
	tly_jw_uint(w, s->filled);
	jw_counts(w, s->R, s->T, s->W, s->X);
	tly_jw_key(w, "provisional");
	tly_jw_bool(w, s->st[TLY_ST_INCOMPLETE] > 0 ||
	    s->st[TLY_ST_DISPUTED] > 0);
	tly_jw_key(w, "status");
	tly_jw_obj_open(w);
	for (i = 0; i < TLY_ST_COUNT_; i++) {
		tly_jw_key(w, tly_status_name(i));
		tly_jw_uint(w, s->st[i]);
	}
	tly_jw_obj_close(w);
	tly_jw_obj_close(w);
}

/* Write the CSUM members of constituency c into an open object. */
static void
write_csum_members(const struct tly_results *r, size_t c, struct tly_jw *w)
{
	const struct cres	*cr = &r->c[c];
	size_t			 k;

	tly_jw_key(w, "id");
	tly_jw_str(w, tly_constituency_id(r->e, c));
	tly_jw_key(w, "name");
	tly_jw_str(w, tly_constituency_name(r->e, c));
	tly_jw_key(w, "level");
	tly_jw_str(w, tly_constituency_level(r->e, c));
	tly_jw_key(w, "seats");
	tly_jw_uint(w, tly_constituency_seats(r->e, c));
	tly_jw_key(w, "seats_filled");
	tly_jw_uint(w, tly_results_seats_filled(r, c));
	tly_jw_key(w, "status");
	tly_jw_str(w, tly_status_name(cr->status));
	tly_jw_key(w, "winners");
	tly_jw_arr_open(w);
	for (k = 0; k < tly_results_seats_filled(r, c); k++)
		tly_jw_str(w, tly_constituency_candidate(r->e, c, cr->win[k]));
	tly_jw_arr_close(w);
	tly_jw_key(w, "areas");
	tly_jw_uint(w, cr->nareas);
	tly_jw_key(w, "reporting");
	tly_jw_uint(w, cr->reporting);
	jw_counts(w, cr->R, cr->T, cr->W, cr->X);
}

/* Summary members; see results.h. */
int
tly_results_summary_json(const struct tly_results *r, const char *level,
    struct tly_jw *w)
{
	long	 li = -1;
	size_t	 l, c;

	if (level != NULL &&
	    (li = tly_election_find_level(r->e, level)) < 0)
		return tly_fail(TLY_E_NOTFOUND, "no level '%s'", level);
	tly_jw_key(w, "levels");
	tly_jw_arr_open(w);
	for (l = 0; l < r->nlevels; l++)
		if (li < 0 || (size_t)li == l)
			write_level(r, l, &r->lv[l], w);
	tly_jw_arr_close(w);
	if (li >= 0) {
		tly_jw_key(w, "constituencies");
		tly_jw_arr_open(w);
		for (c = 0; c < r->ncons; c++) {
			if (tly_constituency_level_index(r->e, c) !=
			    (size_t)li)
				continue;
			tly_jw_obj_open(w);
			write_csum_members(r, c, w);
			tly_jw_obj_close(w);
		}
		tly_jw_arr_close(w);
	}
	/* The caller's object is still open: only the writer's error. */
	return w->err;
}

/* One constituency in detail; see results.h. */
int
tly_results_constituency_json(const struct tly_results *r, const char *id,
    struct tly_jw *w)
{
	const struct tly_election *e = r->e;
	const struct cres	*cr;
	const uint64_t		*v;
	struct decision		 d;
	uint8_t			 skip[TLY_CAND_MAX], elected[TLY_CAND_MAX];
	size_t			 order[TLY_CAND_MAX], norder = 0;
	size_t			 i, k, a, filled;
	unsigned		 S;
	long			 ci;

	if ((ci = tly_election_find_constituency(e, id)) < 0)
		return tly_fail(TLY_E_NOTFOUND, "no constituency '%s'", id);
	cr = &r->c[ci];
	v = r->votes + cr->voff;
	S = tly_constituency_seats(e, (size_t)ci);
	filled = tly_results_seats_filled(r, (size_t)ci);

	/* Rank order: first-round winners of an additional election
	 * first, then everyone else by the deciding round's votes. */
	memset(skip, 0, sizeof(skip));
	memset(elected, 0, sizeof(elected));
	if (cr->phase2)
		for (k = 0; k < cr->nw1; k++) {
			order[norder++] = cr->win[k];
			skip[cr->win[k]] = 1;
		}
	for (k = 0; k < filled; k++)
		elected[cr->win[k]] = 1;
	elec_decide(e, (size_t)ci, v, cr->W, S - (cr->phase2 ? cr->nw1 : 0),
	    cr->phase2 ? skip : NULL, &d);
	for (k = 0; k < d.n; k++)
		order[norder++] = d.cand[k];

	tly_jw_obj_open(w);
	write_csum_members(r, (size_t)ci, w);
	tly_jw_key(w, "round");
	tly_jw_uint(w, cr->round);
	tly_jw_key(w, "candidates");
	tly_jw_arr_open(w);
	for (k = 0; k < norder; k++) {
		i = order[k];
		tly_jw_obj_open(w);
		tly_jw_key(w, "id");
		tly_jw_str(w, tly_constituency_candidate(e, (size_t)ci, i));
		tly_jw_key(w, "name");
		tly_jw_str(w, tly_candidate_name(e, (size_t)ci, i));
		tly_jw_key(w, "born");
		tly_jw_str(w, tly_candidate_born(e, (size_t)ci, i));
		tly_jw_key(w, "votes");
		tly_jw_uint(w, v[i]);
		tly_jw_key(w, "percent_valid");
		jw_percent(w, v[i], cr->W);
		tly_jw_key(w, "eligible");
		tly_jw_bool(w, skip[i] || (u128)2 * v[i] > (u128)cr->W);
		tly_jw_key(w, "elected");
		tly_jw_bool(w, elected[i]);
		tly_jw_key(w, "rank");
		tly_jw_uint(w, k + 1);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "disputed_areas");
	tly_jw_arr_open(w);
	for (k = r->coff[ci]; k < r->coff[ci + 1]; k++) {
		a = r->carea[k];
		if (r->al[a * r->nlevels +
		    tly_constituency_level_index(e, (size_t)ci)].disputed)
			tly_jw_str(w, tly_area_id(e, a));
	}
	tly_jw_arr_close(w);
	if (cr->status == TLY_ST_NEEDS_ADDITIONAL_ELECTION) {
		tly_jw_key(w, "additional_election");
		tly_jw_obj_open(w);
		tly_jw_key(w, "seats");
		tly_jw_uint(w, S - cr->nwin);
		tly_jw_key(w, "candidates");
		tly_jw_arr_open(w);
		for (k = 0; k < norder; k++)
			if (!elected[order[k]])
				tly_jw_str(w, tly_constituency_candidate(e,
				    (size_t)ci, order[k]));
		tly_jw_arr_close(w);
		tly_jw_obj_close(w);
	}
	if (cr->status == TLY_ST_MANUAL_TIEBREAK) {
		tly_jw_key(w, "tie");
		tly_jw_arr_open(w);
		for (k = d.tie_lo; k < d.tie_hi; k++)
			tly_jw_str(w, tly_constituency_candidate(e,
			    (size_t)ci, d.cand[k]));
		tly_jw_arr_close(w);
	}
	tly_jw_obj_close(w);
	return w->err;
}

/*
 * Number of leading components of area a's path that the query q (path
 * components joined by "/") names exactly, or -1 when it names
 * something else.  "" names the whole election (0 components).
 */
static long
path_match(const struct tly_election *e, size_t a, const char *q)
{
	const char	*comp;
	size_t		 k, n, len;

	if (*q == '\0')
		return 0;
	n = tly_area_npath(e, a);
	for (k = 0; k < n; k++) {
		comp = tly_area_path(e, a, k);
		len = strlen(comp);
		if (strncmp(q, comp, len) != 0)
			return -1;
		if (q[len] == '\0')
			return (long)k + 1;
		if (q[len] != '/')
			return -1;
		q += len + 1;
	}
	return -1;
}

/* Roll-up for one administrative place; see results.h. */
int
tly_results_area_json(const struct tly_results *r, const char *path,
    struct tly_jw *w)
{
	const struct tly_election *e = r->e;
	struct lsum		 s[TLY_LEVELS_MAX];
	const struct alev	*al;
	uint8_t			*seen = NULL;
	size_t			 a, l, c, k, first = 0, any = 0;
	long			 depth = 0, m;

	memset(s, 0, sizeof(s));
	if ((seen = calloc(r->ncons + 1, 1)) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	for (a = 0; a < r->nareas; a++) {
		if ((m = path_match(e, a, path)) < 0)
			continue;
		if (!any) {
			first = a;
			depth = m;
			any = 1;
		}
		for (l = 0; l < r->nlevels; l++) {
			al = &r->al[a * r->nlevels + l];
			s[l].areas++;
			s[l].reporting += al->reporting;
			elec_sat_add(&s[l].R, al->R);
			elec_sat_add(&s[l].T, al->T);
			elec_sat_add(&s[l].W, al->W);
			elec_sat_add(&s[l].X, al->X);
			c = tly_area_constituency_index(e, a, l);
			if (!seen[c]) {
				seen[c] = 1;
				elec_lsum_add_cons(r, c, &s[l]);
			}
		}
	}
	free(seen);
	if (!any)
		return tly_fail(TLY_E_NOTFOUND, "no polling area under '%s'",
		    path);
	tly_jw_obj_open(w);
	tly_jw_key(w, "path");
	tly_jw_arr_open(w);
	for (k = 0; k < (size_t)depth; k++)
		tly_jw_str(w, tly_area_path(e, first, k));
	tly_jw_arr_close(w);
	tly_jw_key(w, "levels");
	tly_jw_arr_open(w);
	for (l = 0; l < r->nlevels; l++)
		write_level(r, l, &s[l], w);
	tly_jw_arr_close(w);
	tly_jw_obj_close(w);
	return w->err;
}
