/*
 * test_daemon_seal.c: sealing in the field daemon (daemon/seal.c) with
 * the context of the records it already holds.
 */
#include "daemon_fixture.h"

/* Does probs hold a problem of rule? */
static int
has_rule(const struct tly_problems *probs, const char *rule)
{
	size_t	i;

	for (i = 0; i < probs->n; i++)
		if (strcmp(probs->p[i].rule, rule) == 0)
			return 1;
	return 0;
}

/*
 * Sealing checks a record against the other levels' figures stored for
 * the same area (W4): a provincial record whose turnout differs widely
 * from the stored national one is not signed without an explanation.
 */
static void
test_seal_w4_context(void **state)
{
	struct world		*w = *state;
	struct tly_problems	*probs = calloc(1, sizeof(*probs));
	struct tly_dseal_result	 sr;
	struct tly_record	*prov = &w->recs[4];
	uint64_t		 head;
	uint8_t			 id[TLY_HASH_LEN];

	assert_non_null(probs);
	assert_string_equal(prov->area, w->recs[0].area);
	assert_string_not_equal(prov->level, w->recs[0].level);
	prov->voted /= 2;		/* far from the national figure */
	/* Alone, the record raises no W4: there is nothing to compare. */
	assert_int_equal(tly_dseal_records(&w->d, prov, 1, probs, &sr),
	    TLY_E_RECORD);
	assert_false(has_rule(probs, "W4"));
	/* With the national record of the area stored, W4 blocks it. */
	seal_one(w, 0);
	assert_int_equal(tly_dseal_records(&w->d, prov, 1, probs, &sr),
	    TLY_E_RECORD);
	assert_true(has_rule(probs, "W4"));
	/* Nothing was sealed but the national record. */
	assert_int_equal(tly_dstore_head(w->d.store, &head, id), TLY_OK);
	assert_int_equal(head, 1);
	free(probs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seal_w4_context, setup,
		    teardown),
	};
	int	rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tly_key_free(C.key);
	return rc;
}
