/*
 * test_results_update.c: the incremental results (tly_results_update,
 * tly_results_copy, tly_results_copy_into) against a full recompute, on
 * the small election of results_fixture.h.
 */
#include "results_fixture.h"

/* splitmix64: the test's own sequence, the same on every run. */
static uint64_t
next_random(uint64_t *s)
{
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random record for key (area, level, round) into r. */
static void
random_record(struct tly_record *r, const char *area, const char *level,
    uint64_t round, uint64_t *seed)
{
	size_t	 i, nc;
	int	 na = strcmp(level, "na") == 0;

	tly_record_finish(r);
	tly_record_init(r);
	strcpy(r->area, area);
	strcpy(r->level, level);
	strcpy(r->constituency, na ? "N1" : "C1");
	r->round = round;
	r->registered = 100 + next_random(seed) % 900;
	r->voted = next_random(seed) % (r->registered + 1);
	r->issued = r->received = r->voted;
	r->valid = r->voted - next_random(seed) % (r->voted / 10 + 1);
	r->invalid = r->voted - r->valid;
	nc = na ? 4 : 5;
	for (i = 0; i < nc; i++) {
		snprintf(r->votes[i].cand, sizeof(r->votes[i].cand), "%c%zu",
		    na ? 'n' : 'c', i + 1);
		/* Few distinct figures, so that ties happen. */
		r->votes[i].votes = (next_random(seed) % 4) * r->valid / 4;
	}
	r->nvotes = nc;
}

/*
 * The incremental results (tly_results_update on the changed
 * constituency only, then a copy) are the same bytes as a full
 * recompute, after each of many random corrections, removals, conflicts
 * and confirmations, in a random order of keys.
 */
static void
test_incremental_equals_full(void **state)
{
	static const char *const ar[] = { "X1", "X2" }, *const lv[] =
	    { "na", "c" };
	static const char *const places[] = { "", "P/D2/W2" };
	enum { NKEYS = 12 };
	struct fx		 f;
	struct tly_record	 rec[NKEYS];
	struct tly_result_input	 in[NKEYS], full[NKEYS];
	struct tly_result_slim	*sl[NKEYS] = { NULL };
	const struct tly_result_slim *grp[NKEYS];
	struct tly_results	*live = NULL, *copy = NULL, *ref = NULL;
	int			 present[NKEYS] = { 0 };
	uint64_t		 seed = 20260523;
	size_t			 step, k, i, n, ng, w, lag = 0;
	long			 ci;
	char			*a, *b;
	int			 r;

	fx_open(&f, "{\"round\": 2, \"kind\": \"additional\", "
	    "\"constituency\": \"C1\"}, {\"round\": 3, \"kind\": "
	    "\"reelection\", \"area\": \"X2\", \"constituency\": \"N1\"}",
	    NULL);
	for (k = 0; k < NKEYS; k++) {
		tly_record_init(&rec[k]);
		in[k].rec = &rec[k];
		in[k].confirmations = 1;
		in[k].disputed = 0;
	}
	assert_int_equal(tly_results_create(f.e, &live), TLY_OK);
	for (step = 0; step < 400; step++) {
		/* Key k is (area k % 2, level k / 2 % 2, round k / 4 + 1). */
		k = (size_t)(next_random(&seed) % NKEYS);
		switch (next_random(&seed) % (present[k] ? 5 : 1)) {
		case 0:		/* a first record, or a correction */
		case 1:
			random_record(&rec[k], ar[k % 2], lv[k / 2 % 2],
			    k / 4 + 1, &seed);
			present[k] = 1;
			break;
		case 2:		/* superseded: no head any more */
			present[k] = 0;
			break;
		case 3:		/* a conflict appears or is resolved */
			in[k].disputed = !in[k].disputed;
			break;
		default:	/* another device confirms */
			in[k].confirmations = 1 + next_random(&seed) % 3;
			break;
		}
		tly_results_slim_destroy(sl[k]);
		sl[k] = NULL;
		if (present[k]) {
			r = tly_results_slim_create(f.e, &in[k], &sl[k]);
			assert_true(r == TLY_OK || r == TLY_E_NOTFOUND);
		}
		/* Update the one constituency of key k from its inputs. */
		ci = tly_election_find_constituency(f.e,
		    k / 2 % 2 == 0 ? "N1" : "C1");
		assert_true(ci >= 0);
		for (i = ng = 0; i < NKEYS; i++)
			if (sl[i] != NULL && sl[i]->cons == (uint32_t)ci)
				grp[ng++] = sl[i];
		assert_int_equal(tly_results_update(live, (size_t)ci, grp, ng),
		    TLY_OK);
		/*
		 * A new copy every seventh step; otherwise into the memory
		 * of the last copy, which only takes what was decided
		 * since, and that after up to three updates.
		 */
		if (step % 7 == 0 || copy == NULL) {
			tly_results_free(copy);
			assert_int_equal(tly_results_copy(live, &copy), TLY_OK);
		} else if (next_random(&seed) % 3 == 0 && lag < 2) {
			lag++;
			continue;
		} else
			assert_int_equal(tly_results_copy_into(live, copy),
			    TLY_OK);
		lag = 0;
		for (i = n = 0; i < NKEYS; i++)
			if (present[i])
				full[n++] = in[i];
		assert_int_equal(tly_results_compute(f.e, full, n, &ref),
		    TLY_OK);
		for (w = 0; w < 5; w++) {
			enum which which = w == 0 ? W_SUMMARY :
			    w < 3 ? W_CONS : W_AREA;
			const char *arg = w == 1 ? "N1" : w == 2 ? "C1" :
			    w > 2 ? places[w - 3] : NULL;

			a = json(copy, which, arg);
			b = json(ref, which, arg);
			if (strcmp(a, b) != 0)
				fail_msg("step %zu, writer %zu:\n%s\n%s", step,
				    w, a, b);
			free(a);
			free(b);
		}
		/* A copy is not a live state, nor the live state a copy. */
		assert_int_equal(tly_results_update(copy, 0, NULL, 0),
		    TLY_E_INVAL);
		assert_int_equal(tly_results_copy_into(copy, live),
		    TLY_E_INVAL);
		tly_results_free(ref);
		ref = NULL;
	}
	tly_results_free(copy);
	for (k = 0; k < NKEYS; k++) {
		tly_results_slim_destroy(sl[k]);
		tly_record_finish(&rec[k]);
	}
	tly_results_free(live);
	fx_close(&f);
}

/*
 * A copy taken from other live results is copied into whole, not only
 * where those decided something since: the same bytes as a new copy.
 */
static void
test_copy_into_from_other_live(void **state)
{
	struct fx		 f;
	struct tly_record	 rec;
	struct tly_result_input	 in;
	struct tly_result_slim	*sl = NULL;
	const struct tly_result_slim *grp[1];
	struct tly_results	*one = NULL, *two = NULL, *cp = NULL,
				*ref = NULL;
	uint64_t		 seed = 7;
	long			 ci;
	char			*a, *b;

	fx_open(&f, NULL, NULL);
	tly_record_init(&rec);
	random_record(&rec, "X1", "na", 1, &seed);
	in.rec = &rec;
	in.confirmations = 1;
	in.disputed = 0;
	assert_int_equal(tly_results_slim_create(f.e, &in, &sl), TLY_OK);
	ci = tly_election_find_constituency(f.e, "N1");
	assert_true(ci >= 0);
	grp[0] = sl;
	assert_int_equal(tly_results_create(f.e, &one), TLY_OK);
	assert_int_equal(tly_results_update(one, (size_t)ci, grp, 1), TLY_OK);
	assert_int_equal(tly_results_copy(one, &cp), TLY_OK);
	/* Two decides N1 later than one did, with no input at all. */
	assert_int_equal(tly_results_create(f.e, &two), TLY_OK);
	assert_int_equal(tly_results_update(two, (size_t)ci, NULL, 0), TLY_OK);
	assert_int_equal(tly_results_copy_into(two, cp), TLY_OK);
	assert_int_equal(tly_results_copy(two, &ref), TLY_OK);
	a = json(cp, W_SUMMARY, NULL);
	b = json(ref, W_SUMMARY, NULL);
	assert_string_equal(a, b);
	free(a);
	free(b);
	a = json(cp, W_CONS, "N1");
	b = json(ref, W_CONS, "N1");
	assert_string_equal(a, b);
	free(a);
	free(b);
	tly_results_free(ref);
	tly_results_free(cp);
	tly_results_free(two);
	tly_results_free(one);
	tly_results_slim_destroy(sl);
	tly_record_finish(&rec);
	fx_close(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incremental_equals_full),
		cmocka_unit_test(test_copy_into_from_other_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
