/*
 * results.c: GET /v1/results (PROTOCOL.md 8.4): per-constituency sums
 * over the current records, for every constituency of the definition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"

/* Sums of one constituency. */
struct csum {
	uint64_t	 reporting;	/* areas with a current record */
	uint64_t	 registered;	/* sum of R */
	uint64_t	 voted;		/* sum of T */
	uint64_t	 valid;		/* sum of W */
	uint64_t	 invalid;	/* sum of X */
	uint64_t	 votes[TLY_CAND_MAX];	/* per candidate, by index */
};

/* The walk over the store's sums. */
struct walk {
	const struct tly_election	*e;	/* the definition */
	struct csum			*cs;	/* one per constituency */
};

/* Index of constituency id at level, or -1 if the definition lacks it. */
static long
find_const(const struct tly_election *e, const char *id, const char *level)
{
	long	i;

	if ((i = tly_election_find_constituency(e, id)) < 0)
		return -1;
	if (strcmp(tly_constituency_level(e, (size_t)i), level) != 0)
		return -1;
	return i;
}

/* *acc += v, or TLY_E_TOO_LARGE on overflow. */
static int
add_u64(uint64_t *acc, uint64_t v)
{
	if (__builtin_add_overflow(*acc, v, acc))
		return tly_fail(TLY_E_TOO_LARGE, "a sum overflows");
	return TLY_OK;
}

/* tly_cstore_sum_fn: keep the sums of one constituency. */
static int
on_sum(void *arg, const struct tly_cstore_sum *s)
{
	struct walk	*w = arg;
	struct csum	*c;
	long		 i;
	int		 r;

	if ((i = find_const(w->e, s->constituency, s->level)) < 0)
		return TLY_OK;	/* not in the definition: not counted */
	c = &w->cs[i];
	if ((r = add_u64(&c->reporting, s->reporting)) != TLY_OK ||
	    (r = add_u64(&c->registered, s->registered)) != TLY_OK ||
	    (r = add_u64(&c->voted, s->voted)) != TLY_OK ||
	    (r = add_u64(&c->valid, s->valid)) != TLY_OK ||
	    (r = add_u64(&c->invalid, s->invalid)) != TLY_OK)
		return r;
	return TLY_OK;
}

/* tly_cstore_vote_fn: keep the votes of one candidate. */
static int
on_vote(void *arg, const char *cons, const char *level, const char *cand,
    uint64_t votes)
{
	struct walk	*w = arg;
	size_t		 k, n;
	long		 i;

	if ((i = find_const(w->e, cons, level)) < 0)
		return TLY_OK;
	n = tly_constituency_ncandidates(w->e, (size_t)i);
	for (k = 0; k < n && k < TLY_CAND_MAX; k++)
		if (strcmp(tly_constituency_candidate(w->e, (size_t)i, k),
		    cand) == 0)
			return add_u64(&w->cs[i].votes[k], votes);
	return TLY_OK;
}

void
tly_central_turnout(uint64_t voted, uint64_t registered, char *out,
    size_t outlen)
{
	unsigned __int128	q;

	if (registered == 0) {
		snprintf(out, outlen, "-");
		return;
	}
	/* Hundredths of a percent, rounded half up: (20000 T + R) / 2R. */
	q = ((unsigned __int128)voted * 20000 + registered) /
	    ((unsigned __int128)registered * 2);
	snprintf(out, outlen, "%llu.%02llu",
	    (unsigned long long)(q / 100), (unsigned long long)(q % 100));
}

/* Write one constituency's object. */
static void
write_const(const struct tly_election *e, size_t i, const struct csum *c,
    struct tly_jw *w)
{
	char	turnout[48];
	size_t	k, n;

	tly_jw_obj_open(w);
	tly_jw_key(w, "id");
	tly_jw_str(w, tly_constituency_id(e, i));
	tly_jw_key(w, "level");
	tly_jw_str(w, tly_constituency_level(e, i));
	tly_jw_key(w, "seats");
	tly_jw_uint(w, tly_constituency_seats(e, i));
	tly_jw_key(w, "areas");
	tly_jw_uint(w, tly_constituency_nareas(e, i));
	tly_jw_key(w, "reporting");
	tly_jw_uint(w, c->reporting);
	tly_jw_key(w, "registered");
	tly_jw_uint(w, c->registered);
	tly_jw_key(w, "voted");
	tly_jw_uint(w, c->voted);
	tly_jw_key(w, "valid");
	tly_jw_uint(w, c->valid);
	tly_jw_key(w, "invalid");
	tly_jw_uint(w, c->invalid);
	tly_jw_key(w, "turnout");
	tly_central_turnout(c->voted, c->registered, turnout,
	    sizeof(turnout));
	tly_jw_str(w, turnout);
	tly_jw_key(w, "candidates");
	tly_jw_arr_open(w);
	n = tly_constituency_ncandidates(e, i);
	for (k = 0; k < n && k < TLY_CAND_MAX; k++) {
		tly_jw_obj_open(w);
		tly_jw_key(w, "id");
		tly_jw_str(w, tly_constituency_candidate(e, i, k));
		tly_jw_key(w, "votes");
		tly_jw_uint(w, c->votes[k]);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_obj_close(w);
}

int
tly_central_results(struct tly_central *c, struct tly_buf *out)
{
	const struct tly_election	*e = c->election;
	struct walk			 wk;
	struct tly_jw			 w;
	size_t				 i, n;
	int				 r;

	n = tly_election_nconstituencies(e);
	wk.e = e;
	if ((wk.cs = calloc(n > 0 ? n : 1, sizeof(*wk.cs))) == NULL)
		return TLY_E_NOMEM;
	if ((r = tly_cstore_results(c->store, on_sum, on_vote, &wk)) !=
	    TLY_OK)
		goto out;

	/* Constituencies and candidates are kept sorted by id. */
	tly_jw_init(&w, out);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "election");
	tly_jw_str(&w, c->ehashhex);
	tly_jw_key(&w, "mode");
	tly_jw_str(&w, c->conf.test ? "test" : "live");
	tly_jw_key(&w, "constituencies");
	tly_jw_arr_open(&w);
	for (i = 0; i < n; i++)
		write_const(e, i, &wk.cs[i], &w);
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	r = tly_jw_finish(&w);
 out:
	free(wk.cs);
	return r;
}
