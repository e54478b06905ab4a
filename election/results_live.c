/*
 * results_live.c: live results, kept up to date one constituency at a
 * time (tly_results_create, tly_results_update, deciding in results.c),
 * their level sums, and the copies that are served.
 *
 * The level sums (struct lsum, the summary of docs/RESULTS.md) add up
 * every constituency of a level and every polling area, at that level,
 * of those constituencies: each area is in exactly one constituency per
 * level (docs/ELECTION.md), so this is every area.  Sums are kept
 * exactly in 128 bits and clamped when shown, which is what adding with
 * saturation in any order gives.  Live results keep them up to date as
 * each constituency is decided again, by taking its old share out and
 * putting the new one in, so a copy never adds up the whole election.
 *
 * A copy remembers which live results it was taken from and at which
 * update; copying into it again copies only the constituencies decided
 * since (their result, votes and areas), so the answer a central serves
 * costs in proportion to what changed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "election/election.h"
#include "election/results.h"
#include "election/resultsInt.h"

/* Add (sign 1) or take out (sign -1) constituency c's share of acc. */
static void
share(const struct tly_results *res, size_t c, int sign, struct lacc *acc)
{
	const struct cres	*cr = &res->c[c];
	const struct alev	*al;
	struct lacc		 d;
	size_t			 i, l = tly_constituency_level_index(res->e, c);

	memset(&d, 0, sizeof(d));
	d.cons = 1;
	d.seats = tly_constituency_seats(res->e, c);
	d.filled = tly_results_seats_filled(res, c);
	for (i = res->coff[c]; i < res->coff[c + 1]; i++) {
		al = &res->al[res->carea[i] * res->nlevels + l];
		d.areas++;
		d.reporting += al->reporting;
		d.R += al->R;
		d.T += al->T;
		d.W += al->W;
		d.X += al->X;
	}
	acc = &acc[l];
	if (sign > 0) {
		acc->cons += d.cons;
		acc->areas += d.areas;
		acc->reporting += d.reporting;
		acc->seats += d.seats;
		acc->filled += d.filled;
		acc->R += d.R;
		acc->T += d.T;
		acc->W += d.W;
		acc->X += d.X;
		acc->st[cr->status]++;
	} else {
		acc->cons -= d.cons;
		acc->areas -= d.areas;
		acc->reporting -= d.reporting;
		acc->seats -= d.seats;
		acc->filled -= d.filled;
		acc->R -= d.R;
		acc->T -= d.T;
		acc->W -= d.W;
		acc->X -= d.X;
		acc->st[cr->status]--;
	}
}

/* A 128-bit sum as shown: clamped. */
static uint64_t
clamp(u128 v)
{
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* Set res's level sums from acc. */
static void
show(struct tly_results *res, const struct lacc *acc)
{
	struct lsum	*s;
	size_t		 l, k;

	memset(res->lv, 0, sizeof(res->lv));
	for (l = 0; l < res->nlevels && l < TLY_LEVELS_MAX; l++) {
		s = &res->lv[l];
		s->cons = acc[l].cons;
		s->areas = acc[l].areas;
		s->reporting = acc[l].reporting;
		s->seats = acc[l].seats;
		s->filled = acc[l].filled;
		s->R = clamp(acc[l].R);
		s->T = clamp(acc[l].T);
		s->W = clamp(acc[l].W);
		s->X = clamp(acc[l].X);
		for (k = 0; k < TLY_ST_COUNT_; k++)
			s->st[k] = acc[l].st[k];
	}
}

/* Add up every level sum of res, into acc (TLY_LEVELS_MAX) and res->lv. */
static void
level_sums(struct tly_results *res, struct lacc *acc)
{
	size_t	c;

	memset(acc, 0, TLY_LEVELS_MAX * sizeof(*acc));
	for (c = 0; c < res->ncons; c++)
		share(res, c, 1, acc);
	show(res, acc);
}

/* Add up res's level sums and drop its work space; see resultsInt.h. */
void
elec_results_finish(struct tly_results *res)
{
	struct lacc	acc[TLY_LEVELS_MAX];

	level_sums(res, acc);
	elec_upd_free(res->u);
	res->u = NULL;
}

/* Empty live results; see results.h. */
int
tly_results_create(const struct tly_election *e, struct tly_results **rp)
{
	static uint64_t	serial;
	int		r;

	if ((r = elec_results_new(e, rp)) != TLY_OK)
		return r;
	level_sums(*rp, (*rp)->u->acc);
	(*rp)->serial = __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED);
	return TLY_OK;
}

/*
 * Decide constituency ci again; see results.h.  Its share of the level
 * sums is taken out before and put back after.
 */
int
tly_results_update(struct tly_results *r, size_t ci,
    const struct tly_result_slim *const *in, size_t n)
{
	int	rc;

	if (r->u == NULL || ci >= r->ncons)
		return tly_fail(TLY_E_INVAL, "results: cannot update");
	share(r, ci, -1, r->u->acc);
	rc = elec_results_decide(r, ci, in, n);
	share(r, ci, 1, r->u->acc);
	show(r, r->u->acc);
	r->u->cver[ci] = ++r->ver;
	return rc;
}

/* Copy all of r's arrays into cp's, of the same sizes. */
static void
copy_all(const struct tly_results *r, struct tly_results *cp)
{
	size_t	nal = r->nareas * r->nlevels + 1;
	size_t	nca = r->coff[r->ncons];

	memcpy(cp->c, r->c, (r->ncons + 1) * sizeof(*cp->c));
	memcpy(cp->votes, r->votes, (r->nvotes + 1) * sizeof(uint64_t));
	memcpy(cp->al, r->al, nal * sizeof(*cp->al));
	memcpy(cp->coff, r->coff, (r->ncons + 1) * sizeof(size_t));
	memcpy(cp->carea, r->carea, nca * sizeof(size_t));
}

/* Copy what the live results r decided since cp was copied from them. */
static void
copy_since(const struct tly_results *r, struct tly_results *cp)
{
	size_t	c, i, l;

	for (c = 0; c < r->ncons; c++) {
		if (r->u->cver[c] <= cp->ver)
			continue;
		cp->c[c] = r->c[c];
		memcpy(cp->votes + r->c[c].voff, r->votes + r->c[c].voff,
		    tly_constituency_ncandidates(r->e, c) * sizeof(uint64_t));
		l = tly_constituency_level_index(r->e, c);
		for (i = r->coff[c]; i < r->coff[c + 1]; i++)
			cp->al[r->carea[i] * r->nlevels + l] =
			    r->al[r->carea[i] * r->nlevels + l];
	}
}

/* A copy with its level sums; see results.h. */
int
tly_results_copy(const struct tly_results *r, struct tly_results **cp)
{
	struct tly_results	*res;
	size_t			 nal = r->nareas * r->nlevels + 1;
	size_t			 nca = r->coff[r->ncons];

	*cp = NULL;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	*res = *r;
	res->u = NULL;
	res->c = malloc((r->ncons + 1) * sizeof(*res->c));
	res->votes = malloc((r->nvotes + 1) * sizeof(uint64_t));
	res->al = malloc(nal * sizeof(*res->al));
	res->coff = malloc((r->ncons + 1) * sizeof(size_t));
	res->carea = malloc((nca > 0 ? nca : 1) * sizeof(size_t));
	if (res->c == NULL || res->votes == NULL || res->al == NULL ||
	    res->coff == NULL || res->carea == NULL) {
		tly_results_free(res);
		return tly_fail(TLY_E_NOMEM, "out of memory");
	}
	copy_all(r, res);
	*cp = res;
	return TLY_OK;
}

/* Into the memory of an earlier copy; see results.h. */
int
tly_results_copy_into(const struct tly_results *r, struct tly_results *cp)
{
	if (cp->u != NULL || cp->e != r->e || cp->ncons != r->ncons ||
	    cp->nareas != r->nareas || cp->nlevels != r->nlevels ||
	    cp->nvotes != r->nvotes || cp->coff[cp->ncons] !=
	    r->coff[r->ncons])
		return tly_fail(TLY_E_INVAL, "results: not a copy of these");
	if (r->u != NULL && cp->serial == r->serial && cp->ver <= r->ver)
		copy_since(r, cp);
	else
		copy_all(r, cp);
	memcpy(cp->lv, r->lv, sizeof(cp->lv));
	cp->serial = r->serial;
	cp->ver = r->ver;
	return TLY_OK;
}
