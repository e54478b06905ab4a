/*
 * gen_votes.c: the count records of a generated election, and the
 * self-check that they decide every constituency as planned.
 *
 * Every record keeps the arithmetic of the law (PROTOCOL.md 5.1) and
 * raises no warning: issued = received = voted <= registered, valid +
 * invalid = received, an invalid share of 0.3% to 2%, each candidate's
 * votes at most valid, their sum between valid and seats * valid.
 *
 * The plan holds in every polling area, so it holds for the sums: a
 * planned winner gets more than half of the area's valid ballots
 * (2 * v > W), a loser at most half (2 * v <= W), and candidates tied at
 * the cut-off the same votes everywhere.
 */
#include <stdio.h>
#include <string.h>

#include "cli/gen.h"
#include "common/err.h"

/* A generator for one record: the same whatever the order of calls. */
static void
record_rng(const struct gen_model *m, size_t a, unsigned l,
    struct gen_rng *rng)
{
	rng->s = m->seed * 0x9e3779b97f4a7c15ULL ^
	    ((uint64_t)a << 8 | l) * 0xd1b54a32d192ed03ULL;
	(void)gen_rand(rng);
}

/*
 * Votes for the candidates of c on W valid ballots, following their
 * roles, with W <= sum <= seats * W.
 */
static int
votes(const struct gen_const *c, uint64_t W, struct gen_rng *rng,
    uint64_t *v)
{
	uint64_t	 half = W / 2, tie, sum = 0, cap, lo, need;
	unsigned	 i, pass;

	cap = (uint64_t)c->seats * W;
	tie = half + 1 + W * gen_range(rng, 0, 2) / 100;
	for (i = 0; i < c->ncand; i++) {
		switch (c->cand[i].role) {
		case GEN_ROLE_WINNER:
			v[i] = W * gen_range(rng, 55, 92) / 100;
			if (v[i] < half + 1)
				v[i] = half + 1;
			if (c->plan == GEN_TIEBREAK && v[i] < tie + 1)
				v[i] = tie + 1;
			break;
		case GEN_ROLE_TIE:
			v[i] = tie;
			break;
		default:
			v[i] = W * gen_range(rng, 8, 45) / 100;
			break;
		}
		if (v[i] > W)
			v[i] = W;
		sum += v[i];
	}
	/* Too many names: take from the losers first, then the winners. */
	for (pass = 0; pass < 2 && sum > cap; pass++)
		for (i = 0; i < c->ncand && sum > cap; i++) {
			if (c->cand[i].role == GEN_ROLE_TIE ||
			    (pass == 0) != (c->cand[i].role ==
			    GEN_ROLE_LOSER))
				continue;
			lo = pass == 0 ? W / 50 : c->plan == GEN_TIEBREAK ?
			    tie + 1 : half + 1;
			if (v[i] <= lo)
				continue;
			need = sum - cap;
			if (need > v[i] - lo)
				need = v[i] - lo;
			v[i] -= need;
			sum -= need;
		}
	/* Too few: every valid ballot leaves a name. */
	for (pass = 0; pass < 2 && sum < W; pass++)
		for (i = 0; i < c->ncand && sum < W; i++) {
			if (c->cand[i].role == GEN_ROLE_TIE ||
			    (pass == 0) != (c->cand[i].role ==
			    GEN_ROLE_LOSER))
				continue;
			lo = pass == 0 ? half : W;
			if (v[i] >= lo)
				continue;
			need = W - sum;
			if (need > lo - v[i])
				need = lo - v[i];
			v[i] += need;
			sum += need;
		}
	if (W > 0 && (sum > cap || sum < W))
		return tly_fail(TLY_E_INVAL, "%s: no votes fit %u seats on "
		    "%llu valid ballots", c->id, c->seats,
		    (unsigned long long)W);
	return TLY_OK;
}

int
gen_record(struct gen_model *m, size_t a, unsigned l, struct tly_record *r)
{
	struct gen_area		*ar = &m->areas[a];
	struct gen_const	*c = &m->cons[ar->cons[l]];
	struct gen_rng		 rng;
	uint64_t		 v[GEN_CAND], t;
	unsigned		 i;
	int			 ret;

	record_rng(m, a, l, &rng);
	t = ar->voted[l];
	snprintf(r->area, sizeof(r->area), "%s", ar->id);
	snprintf(r->level, sizeof(r->level), "%s", m->level[l].id);
	snprintf(r->constituency, sizeof(r->constituency), "%s", c->id);
	r->round = 1;
	r->registered = ar->registered;
	r->voted = r->issued = r->received = t;
	r->invalid = t * gen_range(&rng, 3, 20) / 1000;
	r->valid = t - r->invalid;
	if ((ret = votes(c, r->valid, &rng, v)) != TLY_OK)
		return ret;
	r->nvotes = c->ncand;
	for (i = 0; i < c->ncand; i++) {
		snprintf(r->votes[i].cand, sizeof(r->votes[i].cand), "%s",
		    c->cand[i].id);
		r->votes[i].votes = v[i];
		c->sum_v[i] += v[i];
	}
	c->sum_r += r->registered;
	c->sum_t += r->voted;
	c->sum_w += r->valid;
	return TLY_OK;
}

/* 1 if candidate i of c ranks before candidate j (votes, then older). */
static int
before(const struct gen_const *c, unsigned i, unsigned j)
{
	int	cmp;

	if (c->sum_v[i] != c->sum_v[j])
		return c->sum_v[i] > c->sum_v[j];
	if ((cmp = strcmp(c->cand[i].born, c->cand[j].born)) != 0)
		return cmp < 0;
	return strcmp(c->cand[i].id, c->cand[j].id) < 0;
}

int
gen_verify(const struct gen_model *m)
{
	const struct gen_const	*c;
	unsigned		 elig[GEN_CAND], n, i, j, t, k;
	size_t			 ci;
	int			 status;

	for (ci = 0; ci < m->nconst; ci++) {
		c = &m->cons[ci];
		if (c->nareas == 0)
			return tly_fail(TLY_E_INVAL, "%s: no polling area",
			    c->id);
		k = 0;
		if (2 * c->sum_t <= c->sum_r)
			status = GEN_REELECTION;		/* Art. 80 */
		else {
			/* Eligible (Art. 78(2)), in rank order. */
			for (i = 0, n = 0; i < c->ncand; i++) {
				if (2 * c->sum_v[i] <= c->sum_w)
					continue;
				for (j = n++; j > 0 &&
				    before(c, i, elig[j - 1]); j--)
					elig[j] = elig[j - 1];
				elig[j] = i;
			}
			k = n < c->seats ? n : c->seats;
			t = c->seats;
			if (n > t && c->sum_v[elig[t - 1]] ==
			    c->sum_v[elig[t]] && strcmp(c->cand[elig[t -
			    1]].born, c->cand[elig[t]].born) == 0)
				status = GEN_TIEBREAK;	/* Art. 78(4) */
			else if (k < c->seats && (m->level[c->level].na ||
			    3 * k < 2 * c->seats))
				status = GEN_ADDITIONAL;	/* Art. 79 */
			else
				status = GEN_DETERMINED;
		}
		if (status != c->plan || ((status == GEN_DETERMINED ||
		    status == GEN_ADDITIONAL) && k != c->winners))
			return tly_fail(TLY_E_INVAL, "%s: the records decide "
			    "%s with %u elected, planned %s with %u", c->id,
			    gen_plan_name(status), k, gen_plan_name(c->plan),
			    c->winners);
	}
	return TLY_OK;
}
