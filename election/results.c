/*
 * results.c: deciding every constituency from the current count records
 * (Art. 78-80 of Law 85/2015/QH13).  The slim inputs and the computation
 * from a set of records are in results_input.c, the live results, their
 * level sums and copies in results_live.c, the JSON bodies of the
 * results API in results_json.c; the layout they share is in
 * resultsInt.h.  docs/RESULTS.md is the reference.
 *
 * Integers only.  The inputs are sorted by (constituency, area, round,
 * content) first, so the outcome depends on the set of inputs and never
 * on their order.  Each constituency is then decided in one pass over its
 * polling areas and its inputs: O(n log n) overall.
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

/* One usable input, placed in the definition. */
struct item {
	size_t				 c;	/* constituency index */
	size_t				 a;	/* area index */
	uint64_t			 round;	/* round number */
	const struct tly_result_slim	*in;	/* the input */
};

/* A re-election entry that names a polling area. */
struct area_round {
	size_t		 a;	/* area index */
	long		 c;	/* constituency index, or -1: every level */
	uint64_t	 round;	/* round number */
};

static const char *const status_names[TLY_ST_COUNT_] = {
	"INCOMPLETE", "NEEDS_REELECTION", "RECOGNISED_LOW_TURNOUT",
	"DETERMINED", "NEEDS_ADDITIONAL_ELECTION", "MANUAL_TIEBREAK",
	"DISPUTED"
};

/* JSON name of a status; see results.h. */
const char *
tly_status_name(int s)
{
	return s >= 0 && s < TLY_ST_COUNT_ ? status_names[s] : NULL;
}

/* *acc += v, saturating (sums of checked records never get near). */
void
elec_sat_add(uint64_t *acc, uint64_t v)
{
	if (__builtin_add_overflow(*acc, v, acc))
		*acc = UINT64_MAX;
}

/* Three-way comparison of unsigned integers. */
static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/*
 * Compare two inputs' content, for inputs that share a key: all that
 * deciding reads, so that equal inputs decide alike whichever is first.
 */
static int
cmp_content(const struct tly_result_slim *p, const struct tly_result_slim *q)
{
	size_t	 i;
	int	 d;

	if ((d = cmp_u64(p->disputed, q->disputed)) ||
	    (d = cmp_u64(p->confirmations, q->confirmations)) ||
	    (d = cmp_u64(p->R, q->R)) || (d = cmp_u64(p->T, q->T)) ||
	    (d = cmp_u64(p->W, q->W)) || (d = cmp_u64(p->X, q->X)) ||
	    (d = cmp_u64(p->nv, q->nv)))
		return d;
	for (i = 0; i < p->nv; i++)
		if ((d = cmp_u64(p->v[i], q->v[i])))
			return d;
	return 0;
}

/* qsort comparator: items by (constituency, area, round, content). */
static int
cmp_item(const void *a, const void *b)
{
	const struct item	*x = a, *y = b;
	int			 d;

	if ((d = cmp_u64(x->c, y->c)) || (d = cmp_u64(x->a, y->a)) ||
	    (d = cmp_u64(x->round, y->round)))
		return d;
	return cmp_content(x->in, y->in);
}

/* qsort comparator: area re-elections by area. */
static int
cmp_area_round(const void *a, const void *b)
{
	const struct area_round	*x = a, *y = b;
	int			 d;

	if ((d = cmp_u64(x->a, y->a)) || (d = cmp_u64(x->round, y->round)))
		return d;
	return x->c < y->c ? -1 : x->c > y->c;
}

/*
 * Rank order of candidates (Art. 78(3), 78(4)): more votes first, then
 * the older (earlier date of birth), then by id.  Returns < 0 when
 * candidate x of constituency ci ranks before y.
 */
static int
rank_cmp(const struct tly_election *e, size_t ci, const uint64_t *v,
    size_t x, size_t y)
{
	int	 d;

	if (v[x] != v[y])
		return v[x] > v[y] ? -1 : 1;
	if ((d = strcmp(tly_candidate_born(e, ci, x),
	    tly_candidate_born(e, ci, y))) != 0)
		return d;
	return x < y ? -1 : x > y;	/* candidates are sorted by id */
}

/*
 * Decide m seats among the candidates of ci for which skip[c] is 0, with
 * votes v and W valid ballots (Art. 78(2)-(4)).
 */
void
elec_decide(const struct tly_election *e, size_t ci, const uint64_t *v,
    uint64_t W, unsigned m, const uint8_t *skip, struct decision *d)
{
	size_t	 nc, i, j, k, x;

	memset(d, 0, sizeof(*d));
	nc = tly_constituency_ncandidates(e, ci);
	for (i = 0; i < nc; i++) {
		if (skip != NULL && skip[i])
			continue;
		/* Insertion sort: at most 64 candidates. */
		for (j = d->n; j > 0 && rank_cmp(e, ci, v, i,
		    d->cand[j - 1]) < 0; j--)
			d->cand[j] = d->cand[j - 1];
		d->cand[j] = i;
		d->n++;
	}
	/* Eligibility is monotone in votes, so it is a rank prefix. */
	while (d->eligible < d->n &&
	    (u128)2 * v[d->cand[d->eligible]] > (u128)W)
		d->eligible++;
	if (d->eligible <= m) {
		d->nwin = d->eligible;
		return;
	}
	if (m == 0)
		return;
	x = d->cand[m - 1];
	k = d->cand[m];
	if (v[x] != v[k] || strcmp(tly_candidate_born(e, ci, x),
	    tly_candidate_born(e, ci, k)) != 0) {
		d->nwin = m;
		return;
	}
	/* Same votes, same date of birth across the cut: manual. */
	for (i = m - 1; i > 0 && v[d->cand[i - 1]] == v[x] &&
	    strcmp(tly_candidate_born(e, ci, d->cand[i - 1]),
	    tly_candidate_born(e, ci, x)) == 0; i--)
		;
	for (j = m + 1; j < d->eligible && v[d->cand[j]] == v[x] &&
	    strcmp(tly_candidate_born(e, ci, d->cand[j]),
	    tly_candidate_born(e, ci, x)) == 0; j++)
		;
	d->tie_lo = i;
	d->tie_hi = j;
	d->nwin = i;
}

/* Sums of one phase (the main rounds, or the additional election). */
struct phase {
	uint64_t	 R, T, W, X;		/* sums */
	uint64_t	 v[TLY_CAND_MAX];	/* votes per candidate */
	size_t		 reporting;		/* areas with a record */
	int		 disputed;		/* a record is disputed */
	uint64_t	 round;			/* highest deciding round */
};

/* Add the record of item it (or nothing when NULL) to phase p. */
static void
phase_add(struct phase *p, const struct item *it, int dup)
{
	const struct tly_result_slim	*s;
	size_t				 k;

	if (it == NULL)
		return;
	s = it->in;
	p->reporting++;
	if (s->disputed || dup)
		p->disputed = 1;
	elec_sat_add(&p->R, s->R);
	elec_sat_add(&p->T, s->T);
	elec_sat_add(&p->W, s->W);
	elec_sat_add(&p->X, s->X);
	for (k = 0; k < s->nv && k < TLY_CAND_MAX; k++)
		elec_sat_add(&p->v[k], s->v[k]);
}

/* Work space for deciding constituencies. */
struct work {
	const struct tly_election *e;	/* the definition */
	struct tly_results	*res;	/* being filled */
	struct upd		*u;	/* its rounds and scratch arrays */
	struct item		*items;	/* sorted inputs */
	size_t			 nitems; /* entries in items[] */
	size_t			 next;	/* first item not yet consumed */
};

/* Deciding main-phase round of area a in constituency c. */
static uint64_t
main_round(const struct work *w, size_t c, size_t a)
{
	size_t		 lo = 0, hi = w->u->nar, mid;
	uint64_t	 r = w->u->cmain[c] > 1 ? w->u->cmain[c] : 1;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->u->ar[mid].a < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < w->u->nar && w->u->ar[lo].a == a; lo++)
		if ((w->u->ar[lo].c < 0 || (size_t)w->u->ar[lo].c == c) &&
		    w->u->ar[lo].round > r)
			r = w->u->ar[lo].round;
	return r;
}

/* Store the deciding figures of the areas of c (records in recs). */
static void
store_areas(struct work *w, size_t c, size_t l, const struct item **recs,
    const uint8_t *dups)
{
	struct tly_results	*res = w->res;
	const struct tly_result_slim *s;
	struct alev		*al;
	size_t			 i, a;

	for (i = res->coff[c]; i < res->coff[c + 1]; i++) {
		a = res->carea[i];
		al = &res->al[a * res->nlevels + l];
		memset(al, 0, sizeof(*al));
		if (recs[i - res->coff[c]] == NULL)
			continue;
		s = recs[i - res->coff[c]]->in;
		al->R = s->R;
		al->T = s->T;
		al->W = s->W;
		al->X = s->X;
		al->reporting = 1;
		al->disputed = s->disputed ||
		    dups[i - res->coff[c]];
	}
}

/* Decide constituency c. */
static void
decide_constituency(struct work *w, size_t c)
{
	const struct tly_election *e = w->e;
	struct tly_results	*res = w->res;
	struct cres		*cr = &res->c[c];
	struct phase		 p1, p2;
	struct decision		 d;
	uint8_t			 skip[TLY_CAND_MAX];
	const struct phase	*p;
	size_t			 i, k, na, a, l, nc;
	uint64_t		 dr, r2;
	unsigned		 S, k1;
	int			 rere, low, na_kind, need_add;

	memset(&p1, 0, sizeof(p1));
	memset(&p2, 0, sizeof(p2));
	k = cr->voff;
	memset(cr, 0, sizeof(*cr));	/* decided again from scratch */
	cr->voff = k;
	l = tly_constituency_level_index(e, c);
	S = tly_constituency_seats(e, c);
	nc = tly_constituency_ncandidates(e, c);
	na = res->coff[c + 1] - res->coff[c];
	na_kind = tly_level_kind(e, l) == TLY_LEVEL_NA;
	cr->nareas = (uint32_t)na;
	p1.round = 1;
	/* Art. 80, 78(1): the main phase is a re-election round when the
	 * whole constituency votes again; re-votes of single areas only
	 * replace those areas' records (RESULTS.md 2). */
	rere = w->u->cmain[c] > 1;
	/* The second phase: the additional election, or its re-election. */
	r2 = w->u->creadd[c] != 0 ? w->u->creadd[c] : w->u->cadd[c];

	/* Pick each area's records: a merge walk over areas and items. */
	for (i = 0; i < na; i++) {
		a = res->carea[res->coff[c] + i];
		w->u->main[i] = w->u->add[i] = NULL;
		w->u->mdup[i] = w->u->adup[i] = 0;
		dr = main_round(w, c, a);
		if (dr > p1.round)
			p1.round = dr;
		for (; w->next < w->nitems && w->items[w->next].c == c &&
		    w->items[w->next].a == a; w->next++) {
			const struct item *it = &w->items[w->next];

			if (it->round == dr) {
				if (w->u->main[i] != NULL)
					w->u->mdup[i] = 1;
				else
					w->u->main[i] = it;
			} else if (r2 != 0 && it->round == r2) {
				if (w->u->add[i] != NULL)
					w->u->adup[i] = 1;
				else
					w->u->add[i] = it;
			}
			/* Other rounds are superseded or not for c. */
		}
		phase_add(&p1, w->u->main[i], w->u->mdup[i]);
		phase_add(&p2, w->u->add[i], w->u->adup[i]);
	}
	/* Items of areas outside c cannot occur: keys were matched. */

	/* Phase 1: the first round, with any re-elections. */
	p = &p1;
	cr->round = p1.round;
	cr->nwin = 0;
	low = (u128)2 * p1.T <= (u128)p1.R;
	if (p1.disputed)
		cr->status = TLY_ST_DISPUTED;
	else if (p1.reporting < na)
		cr->status = TLY_ST_INCOMPLETE;
	else if (low && !rere)
		cr->status = TLY_ST_NEEDS_REELECTION;	/* Art. 80 */
	else {
		elec_decide(e, c, p1.v, p1.W, S, NULL, &d);
		for (k = 0; k < d.nwin; k++)
			cr->win[k] = (uint8_t)d.cand[k];
		cr->nwin = (uint8_t)d.nwin;
		k1 = (unsigned)d.nwin;
		need_add = na_kind ? k1 < S : 3 * k1 < 2 * S;
		if (d.tie_hi > d.tie_lo)
			cr->status = TLY_ST_MANUAL_TIEBREAK;
		else if (!rere && need_add)
			cr->status = TLY_ST_NEEDS_ADDITIONAL_ELECTION;
		else if (low)
			cr->status = TLY_ST_RECOGNISED_LOW_TURNOUT;
		else
			cr->status = TLY_ST_DETERMINED;

		/* Phase 2: the additional election (Art. 79), if held. */
		if (cr->status == TLY_ST_NEEDS_ADDITIONAL_ELECTION &&
		    w->u->cadd[c] != 0) {
			p = &p2;
			cr->phase2 = 1;
			cr->nw1 = cr->nwin;
			cr->round = r2;
			memset(skip, 0, sizeof(skip));
			for (k = 0; k < cr->nw1; k++) {
				skip[cr->win[k]] = 1;
				p2.v[cr->win[k]] = 0;	/* not on the ballot */
			}
			if (p2.disputed)
				cr->status = TLY_ST_DISPUTED;
			else if (p2.reporting < na)
				cr->status = TLY_ST_INCOMPLETE;
			else if ((u128)2 * p2.T <= (u128)p2.R &&
			    w->u->creadd[c] == 0)
				/* Art. 80, 78(1): only a re-election is
				 * exempt; the k elected stand meanwhile. */
				cr->status = TLY_ST_NEEDS_REELECTION;
			else {
				elec_decide(e, c, p2.v, p2.W, S - k1, skip, &d);
				for (k = 0; k < d.nwin; k++)
					cr->win[cr->nwin++] =
					    (uint8_t)d.cand[k];
				if (d.tie_hi > d.tie_lo)
					cr->status = TLY_ST_MANUAL_TIEBREAK;
				else if ((u128)2 * p2.T <= (u128)p2.R)
					cr->status =
					    TLY_ST_RECOGNISED_LOW_TURNOUT;
				else
					cr->status = TLY_ST_DETERMINED;
			}
		}
	}
	cr->R = p->R;
	cr->T = p->T;
	cr->W = p->W;
	cr->X = p->X;
	cr->reporting = (uint32_t)p->reporting;
	memcpy(res->votes + cr->voff, p->v, nc * sizeof(uint64_t));
	if (p == &p2)
		store_areas(w, c, l, w->u->add, w->u->adup);
	else
		store_areas(w, c, l, w->u->main, w->u->mdup);
}

/* Seats filled: the winners of a final or partly final result. */
unsigned
tly_results_seats_filled(const struct tly_results *r, size_t ci)
{
	const struct cres	*c;

	if (ci >= r->ncons)
		return 0;
	c = &r->c[ci];
	switch (c->status) {
	case TLY_ST_DETERMINED:
	case TLY_ST_RECOGNISED_LOW_TURNOUT:
	case TLY_ST_NEEDS_ADDITIONAL_ELECTION:
	case TLY_ST_MANUAL_TIEBREAK:
		return c->nwin;
	case TLY_ST_INCOMPLETE:
	case TLY_ST_DISPUTED:
	case TLY_ST_NEEDS_REELECTION:
		/* First-round winners stand while the additional
		 * election is being counted or held again. */
		return c->phase2 ? c->nw1 : 0;
	default:
		return 0;
	}
}

/* Status of constituency ci. */
int
tly_results_status(const struct tly_results *r, size_t ci)
{
	return ci < r->ncons ? r->c[ci].status : -1;
}

/* Free the work space u; NULL-safe. */
void
elec_upd_free(struct upd *u)
{
	if (u == NULL)
		return;
	free(u->cmain);
	free(u->cadd);
	free(u->creadd);
	free(u->ar);
	free(u->main);
	free(u->add);
	free(u->mdup);
	free(u->adup);
	free(u->cver);
	free(u);
}

/* Add constituency c's result to the level sums s. */
void
elec_lsum_add_cons(const struct tly_results *res, size_t c, struct lsum *s)
{
	const struct cres	*cr = &res->c[c];

	s->cons++;
	s->seats += tly_constituency_seats(res->e, c);
	s->filled += tly_results_seats_filled(res, c);
	s->st[cr->status]++;
}

/* Build the per-constituency area lists (counting sort by constituency). */
static int
build_area_lists(struct tly_results *res)
{
	const struct tly_election *e = res->e;
	size_t	*fill = NULL, a, l, c, total = 0;
	int	 r = TLY_OK;

	if ((res->coff = calloc(res->ncons + 1, sizeof(size_t))) == NULL ||
	    (fill = calloc(res->ncons + 1, sizeof(size_t))) == NULL) {
		r = tly_fail(TLY_E_NOMEM, "out of memory");
		goto out;
	}
	for (c = 0; c < res->ncons; c++) {
		res->coff[c] = total;
		fill[c] = total;
		total += tly_constituency_nareas(e, c);
	}
	res->coff[res->ncons] = total;
	if ((res->carea = calloc(total > 0 ? total : 1, sizeof(size_t))) ==
	    NULL) {
		r = tly_fail(TLY_E_NOMEM, "out of memory");
		goto out;
	}
	for (a = 0; a < res->nareas; a++)
		for (l = 0; l < res->nlevels; l++) {
			c = tly_area_constituency_index(e, a, l);
			if (fill[c] < res->coff[c + 1])
				res->carea[fill[c]++] = a;
		}
 out:
	free(fill);
	return r;
}

/* Read the definition's rounds into u, for ncons constituencies of e. */
static int
build_rounds(const struct tly_election *e, size_t ncons, struct upd *u)
{
	size_t		 i, n = tly_election_nrounds(e);
	long		 c, a;
	uint64_t	 rn;

	if ((u->cmain = calloc(ncons + 1, sizeof(uint64_t))) == NULL ||
	    (u->cadd = calloc(ncons + 1, sizeof(uint64_t))) == NULL ||
	    (u->creadd = calloc(ncons + 1, sizeof(uint64_t))) == NULL ||
	    (u->ar = calloc(n + 1, sizeof(*u->ar))) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		c = tly_round_constituency(e, i);
		a = tly_round_area(e, i);
		rn = tly_round_number(e, i);
		switch (tly_round_kind(e, i)) {
		case TLY_ROUND_ADDITIONAL:
			if (c >= 0 && u->cadd[c] == 0)
				u->cadd[c] = rn;
			break;
		case TLY_ROUND_READDITIONAL:
			if (c >= 0 && u->creadd[c] == 0)
				u->creadd[c] = rn;
			break;
		case TLY_ROUND_REELECTION:
			if (a >= 0) {
				u->ar[u->nar].a = (size_t)a;
				u->ar[u->nar].c = c;
				u->ar[u->nar].round = rn;
				u->nar++;
			} else if (c >= 0 && rn > u->cmain[c])
				u->cmain[c] = rn;
			break;
		default:
			break;
		}
	}
	qsort(u->ar, u->nar, sizeof(*u->ar), cmp_area_round);
	return TLY_OK;
}

/* Decide constituency ci from the items in w (sorted, all of ci). */
static void
decide_items(struct work *w, size_t ci)
{
	w->next = 0;
	decide_constituency(w, ci);
}

/* Empty results, each constituency decided without inputs; see
 * resultsInt.h. */
int
elec_results_new(const struct tly_election *e, struct tly_results **rp)
{
	struct tly_results	*res = NULL;
	struct upd		*u;
	struct work		 w;
	size_t			 c, total = 0, maxa = 1;
	int			 r;

	*rp = NULL;
	if ((res = calloc(1, sizeof(*res))) == NULL ||
	    (res->u = calloc(1, sizeof(*res->u))) == NULL) {
		r = tly_fail(TLY_E_NOMEM, "out of memory");
		goto out;
	}
	u = res->u;
	res->e = e;
	res->ncons = tly_election_nconstituencies(e);
	res->nareas = tly_election_nareas(e);
	res->nlevels = tly_election_nlevels(e);
	if ((res->c = calloc(res->ncons + 1, sizeof(*res->c))) == NULL ||
	    (res->al = calloc(res->nareas * res->nlevels + 1,
	    sizeof(*res->al))) == NULL) {
		r = tly_fail(TLY_E_NOMEM, "out of memory");
		goto out;
	}
	for (c = 0; c < res->ncons; c++) {
		res->c[c].voff = total;
		total += tly_constituency_ncandidates(e, c);
		if (tly_constituency_nareas(e, c) > maxa)
			maxa = tly_constituency_nareas(e, c);
	}
	res->nvotes = total;
	if ((res->votes = calloc(total + 1, sizeof(uint64_t))) == NULL ||
	    (u->main = calloc(maxa, sizeof(*u->main))) == NULL ||
	    (u->add = calloc(maxa, sizeof(*u->add))) == NULL ||
	    (u->mdup = calloc(maxa, 1)) == NULL ||
	    (u->adup = calloc(maxa, 1)) == NULL ||
	    (u->cver = calloc(res->ncons + 1, sizeof(*u->cver))) == NULL) {
		r = tly_fail(TLY_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = build_area_lists(res)) != TLY_OK ||
	    (r = build_rounds(e, res->ncons, u)) != TLY_OK)
		goto out;
	memset(&w, 0, sizeof(w));
	w.e = e;
	w.res = res;
	w.u = u;
	for (c = 0; c < res->ncons; c++)
		decide_items(&w, c);
	*rp = res;
	res = NULL;		/* transferred */
	r = TLY_OK;
 out:
	tly_results_free(res);
	return r;
}

/* Decide constituency ci again from its inputs; see resultsInt.h. */
int
elec_results_decide(struct tly_results *r, size_t ci,
    const struct tly_result_slim *const *in, size_t n)
{
	struct work	 w;
	size_t		 i;

	if (r->u == NULL || ci >= r->ncons)
		return tly_fail(TLY_E_INVAL, "results: cannot update");
	memset(&w, 0, sizeof(w));
	w.e = r->e;
	w.res = r;
	w.u = r->u;
	if ((w.items = calloc(n + 1, sizeof(*w.items))) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (in[i] == NULL || in[i]->cons != ci ||
		    in[i]->area >= r->nareas)
			continue;
		w.items[w.nitems].c = ci;
		w.items[w.nitems].a = in[i]->area;
		w.items[w.nitems].round = in[i]->round;
		w.items[w.nitems].in = in[i];
		w.nitems++;
	}
	qsort(w.items, w.nitems, sizeof(*w.items), cmp_item);
	decide_items(&w, ci);
	free(w.items);
	return TLY_OK;
}

/* Free results; NULL-safe. */
void
tly_results_free(struct tly_results *r)
{
	if (r == NULL)
		return;
	elec_upd_free(r->u);
	free(r->c);
	free(r->votes);
	free(r->al);
	free(r->coff);
	free(r->carea);
	free(r);
}
