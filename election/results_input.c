/*
 * results_input.c: the slim input of one count record (its figures placed
 * in the definition, results.h) and the results of a whole set of records,
 * decided constituency by constituency through tly_results_update() in
 * results.c.  docs/RESULTS.md is the reference.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/err.h"
#include "election/election.h"
#include "election/results.h"
#include "election/resultsInt.h"

/* Bytes of a slim input with nv votes. */
#define SLIM_BYTES(nv)	(sizeof(struct tly_result_slim) + \
	(nv) * sizeof(uint64_t))

/* The slim input of one record; see results.h. */
int
tly_results_slim_create(const struct tly_election *e,
    const struct tly_result_input *in, struct tly_result_slim **sp)
{
	const struct tly_record	*r = in->rec;
	struct tly_result_slim	*s;
	long			 a, l, c, k;
	size_t			 i, nc;

	*sp = NULL;
	if (r == NULL ||
	    (a = tly_election_find_area(e, r->area)) < 0 ||
	    (l = tly_election_find_level(e, r->level)) < 0 ||
	    (c = tly_election_find_constituency(e, r->constituency)) < 0 ||
	    tly_area_constituency_index(e, (size_t)a, (size_t)l) !=
	    (size_t)c ||
	    tly_election_round_covers(e, r->round, (size_t)a, (size_t)l) < 0)
		return TLY_E_NOTFOUND;
	nc = tly_constituency_ncandidates(e, (size_t)c);
	if (nc > TLY_CAND_MAX)
		nc = TLY_CAND_MAX;
	if ((s = calloc(1, SLIM_BYTES(nc))) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	s->round = r->round;
	s->R = r->registered;
	s->T = r->voted;
	s->W = r->valid;
	s->X = r->invalid;
	s->area = (uint32_t)a;
	s->cons = (uint32_t)c;
	s->confirmations = in->confirmations;
	s->disputed = in->disputed != 0;
	s->nv = (uint8_t)nc;
	for (i = 0; i < r->nvotes && i < TLY_CAND_MAX; i++)
		if ((k = tly_constituency_find_candidate(e, (size_t)c,
		    r->votes[i].cand)) >= 0 && (size_t)k < nc)
			elec_sat_add(&s->v[k], r->votes[i].votes);
	*sp = s;
	return TLY_OK;
}

/* Free a slim input; NULL-safe. */
void
tly_results_slim_destroy(struct tly_result_slim *s)
{
	free(s);
}

/* qsort comparator: slim inputs by constituency. */
static int
cmp_slim_cons(const void *a, const void *b)
{
	const struct tly_result_slim *const *x = a, *const *y = b;

	return (*x)->cons < (*y)->cons ? -1 : (*x)->cons > (*y)->cons;
}

/* Compute the results; see results.h. */
int
tly_results_compute(const struct tly_election *e,
    const struct tly_result_input *in, size_t n, struct tly_results **rp)
{
	struct tly_results	 *res = NULL;
	struct tly_result_slim	**sl = NULL;
	size_t			  i, j, ns = 0;
	int			  r;

	*rp = NULL;
	if ((sl = calloc(n + 1, sizeof(*sl))) == NULL) {
		r = tly_fail(TLY_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = tly_results_slim_create(e, &in[i], &sl[ns]);
		if (r == TLY_OK)
			ns++;
		else if (r != TLY_E_NOTFOUND)
			goto out;
	}
	qsort(sl, ns, sizeof(*sl), cmp_slim_cons);
	if ((r = tly_results_create(e, &res)) != TLY_OK)
		goto out;
	for (i = 0; i < ns; i = j) {
		for (j = i; j < ns && sl[j]->cons == sl[i]->cons; j++)
			;
		if ((r = tly_results_update(res, sl[i]->cons,
		    (const struct tly_result_slim *const *)&sl[i], j - i)) !=
		    TLY_OK)
			goto out;
	}
	elec_results_finish(res);
	*rp = res;
	res = NULL;		/* transferred */
	r = TLY_OK;
 out:
	for (i = 0; sl != NULL && i < ns; i++)
		tly_results_slim_destroy(sl[i]);
	free(sl);
	tly_results_free(res);
	return r;
}
