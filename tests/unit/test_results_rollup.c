/*
 * test_results_rollup.c: incomplete and disputed constituencies, the
 * roll-ups by level and place, and the results JSON (docs/RESULTS.md),
 * on the small election of results_fixture.h.
 */
#include "results_fixture.h"

/* ---- Incomplete, disputed, roll-ups ---------------------------------- */

static void
test_incomplete_until_every_area_reports(void **state)
{
	struct fx	 f;
	char		*s;

	fx_open(&f, NULL, NULL);
	add(&f, "X1", "na", 1, 1000, 900, 900, V(600), V(500), V(400), V(300));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "INCOMPLETE");
	assert_int_equal(filled(&f, "N1"), 0);
	cons_has(&f, "N1", "\"winners\":[]");
	cons_has(&f, "N1", "\"areas\":2,\"reporting\":1");
	s = json(f.res, W_SUMMARY, NULL);
	assert_string_equal(s, "{\"election\":\"h\",\"mode\":\"live\","
	    "\"levels\":["
	    "{\"level\":\"na\",\"kind\":\"na\",\"constituencies\":1,"
	    "\"areas\":2,\"reporting\":1,\"seats\":2,\"seats_filled\":0,"
	    "\"registered\":1000,\"voted\":900,\"turnout\":\"90.00\","
	    "\"valid\":900,\"invalid\":0,\"provisional\":true,\"status\":{"
	    "\"INCOMPLETE\":1,\"NEEDS_REELECTION\":0,"
	    "\"RECOGNISED_LOW_TURNOUT\":0,\"DETERMINED\":0,"
	    "\"NEEDS_ADDITIONAL_ELECTION\":0,\"MANUAL_TIEBREAK\":0,"
	    "\"DISPUTED\":0}},"
	    "{\"level\":\"c\",\"kind\":\"council\",\"constituencies\":1,"
	    "\"areas\":2,\"reporting\":0,\"seats\":3,\"seats_filled\":0,"
	    "\"registered\":0,\"voted\":0,\"turnout\":\"-\","
	    "\"valid\":0,\"invalid\":0,\"provisional\":true,\"status\":{"
	    "\"INCOMPLETE\":1,\"NEEDS_REELECTION\":0,"
	    "\"RECOGNISED_LOW_TURNOUT\":0,\"DETERMINED\":0,"
	    "\"NEEDS_ADDITIONAL_ELECTION\":0,\"MANUAL_TIEBREAK\":0,"
	    "\"DISPUTED\":0}}]}");
	free(s);
	fx_close(&f);
}

static void
test_disputed_input_is_never_final(void **state)
{
	struct fx	 f;

	fx_open(&f, NULL, NULL);
	add(&f, "X1", "na", 1, 1000, 900, 900, V(600), V(500), V(400), V(300));
	add(&f, "X2", "na", 1, 150, 100, 100, V(100), V(50), V(50), V(0))->
	    disputed = 1;
	compute(&f);
	assert_string_equal(status(&f, "N1"), "DISPUTED");
	assert_int_equal(filled(&f, "N1"), 0);
	cons_has(&f, "N1", "\"disputed_areas\":[\"X2\"]");
	cons_has(&f, "N1", "\"valid\":1000");	/* totals still shown */
	cons_has(&f, "N1", "\"winners\":[]");
	f.in[1].disputed = 0;
	compute(&f);
	assert_string_equal(status(&f, "N1"), "DETERMINED");
	fx_close(&f);
}

static void
test_rollups_by_level_and_place(void **state)
{
	struct fx	 f;
	char		*s;

	fx_open(&f, NULL, NULL);
	add(&f, "X1", "na", 1, 1000, 997, 990, V(600), V(500), V(400), V(300));
	add(&f, "X2", "na", 1, 3, 2, 2, V(2), V(1), V(1), V(0));
	add(&f, "X1", "c", 1, 1000, 996, 990, V(600), V(600), V(600),
	    V(300), V(300));
	compute(&f);
	s = json(f.res, W_AREA, "P/D1");
	assert_string_equal(s, "{\"path\":[\"P\",\"D1\"],\"levels\":["
	    "{\"level\":\"na\",\"kind\":\"na\",\"constituencies\":1,"
	    "\"areas\":1,\"reporting\":1,\"seats\":2,\"seats_filled\":2,"
	    "\"registered\":1000,\"voted\":997,\"turnout\":\"99.70\","
	    "\"valid\":990,\"invalid\":7,\"provisional\":false,\"status\":{"
	    "\"INCOMPLETE\":0,\"NEEDS_REELECTION\":0,"
	    "\"RECOGNISED_LOW_TURNOUT\":0,\"DETERMINED\":1,"
	    "\"NEEDS_ADDITIONAL_ELECTION\":0,\"MANUAL_TIEBREAK\":0,"
	    "\"DISPUTED\":0}},"
	    "{\"level\":\"c\",\"kind\":\"council\",\"constituencies\":1,"
	    "\"areas\":1,\"reporting\":1,\"seats\":3,\"seats_filled\":0,"
	    "\"registered\":1000,\"voted\":996,\"turnout\":\"99.60\","
	    "\"valid\":990,\"invalid\":6,\"provisional\":true,\"status\":{"
	    "\"INCOMPLETE\":1,\"NEEDS_REELECTION\":0,"
	    "\"RECOGNISED_LOW_TURNOUT\":0,\"DETERMINED\":0,"
	    "\"NEEDS_ADDITIONAL_ELECTION\":0,\"MANUAL_TIEBREAK\":0,"
	    "\"DISPUTED\":0}}]}");
	free(s);
	/* 999/1003 = 99.6012 -> 99.60; half up: 2/3 = 66.67. */
	s = json(f.res, W_AREA, "P");
	assert_non_null(strstr(s, "\"path\":[\"P\"]"));
	assert_non_null(strstr(s, "\"registered\":1003,\"voted\":999,"
	    "\"turnout\":\"99.60\""));
	free(s);
	s = json(f.res, W_AREA, "P/D2/W2");
	assert_non_null(strstr(s, "\"turnout\":\"66.67\""));
	free(s);
	s = json(f.res, W_AREA, "");
	assert_non_null(strstr(s, "{\"path\":[],\"levels\":"));
	free(s);
	/* Whole components only; unknown places and ids. */
	assert_int_equal(tly_results_area_json(f.res, "P/D",
	    &(struct tly_jw){0}), TLY_E_NOTFOUND);
	assert_int_equal(tly_results_area_json(f.res, "Q",
	    &(struct tly_jw){0}), TLY_E_NOTFOUND);
	assert_int_equal(tly_results_constituency_json(f.res, "N9",
	    &(struct tly_jw){0}), TLY_E_NOTFOUND);
	assert_int_equal(tly_results_summary_json(f.res, "dist",
	    &(struct tly_jw){0}), TLY_E_NOTFOUND);
	/* One level: its constituencies, sorted by id. */
	s = json(f.res, W_LEVEL, "na");
	assert_non_null(strstr(s, "\"levels\":[{\"level\":\"na\","));
	assert_null(strstr(s, "\"level\":\"c\""));
	assert_non_null(strstr(s, "\"constituencies\":[{\"id\":\"N1\","
	    "\"name\":\"Đơn vị 1\",\"level\":\"na\",\"seats\":2,"
	    "\"seats_filled\":2,\"status\":\"DETERMINED\",\"winners\":"
	    "[\"n1\",\"n2\"],\"areas\":2,\"reporting\":2,\"registered\":1003,"
	    "\"voted\":999,\"turnout\":\"99.60\",\"valid\":992,"
	    "\"invalid\":7}]}"));
	free(s);
	fx_close(&f);
}

/* Inputs the definition does not know are left out, not fatal. */
static void
test_foreign_inputs_are_ignored(void **state)
{
	struct fx	 f;

	fx_open(&f, NULL, NULL);
	add(&f, "X1", "na", 1, 1000, 900, 900, V(600), V(500), V(400), V(300));
	add(&f, "X2", "na", 1, 150, 100, 100, V(100), V(50), V(50), V(0));
	add(&f, "X2", "na", 1, 9, 9, 9, V(9), V(0), V(0), V(0));
	strcpy(f.rec[f.n - 1].constituency, "C1");	/* wrong level */
	add(&f, "X9", "na", 1, 9, 9, 9, V(9), V(0), V(0), V(0)); /* no area */
	add(&f, "X1", "na", 3, 9, 9, 9, V(9), V(0), V(0), V(0)); /* round */
	f.in[f.n++].rec = NULL;
	compute(&f);
	assert_string_equal(status(&f, "N1"), "DETERMINED");
	cons_has(&f, "N1", "\"registered\":1150");
	/* The same key twice with different content: disputed. */
	add(&f, "X1", "na", 1, 1000, 900, 900, V(600), V(500), V(400),
	    V(301));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "DISPUTED");
	cons_has(&f, "N1", "\"disputed_areas\":[\"X1\"]");
	fx_close(&f);
}

/* ---- Determinism ------------------------------------------------------- */

/* xorshift64*: a seeded PRNG, so failures reproduce. */
static uint64_t
prng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void
test_output_independent_of_input_order(void **state)
{
	static const char *const areas[] = { "", "P", "P/D1", "P/D2/W2" };
	struct fx		 f;
	struct tly_result_input	 tmp;
	char			*ref[8], *s;
	uint64_t		 seed = 20210523;
	size_t			 i, j, k, round;

	fx_open(&f, "{\"round\": 2, \"kind\": \"additional\", "
	    "\"constituency\": \"C1\"}, {\"round\": 3, \"kind\": "
	    "\"reelection\", \"area\": \"X2\", \"constituency\": \"N1\"}",
	    NULL);
	add(&f, "X1", "na", 1, 1000, 900, 900, V(500), V(500), V(700), V(100));
	add(&f, "X2", "na", 1, 150, 100, 100, V(0), V(0), V(100), V(100));
	add(&f, "X2", "na", 3, 150, 100, 100, V(100), V(100), V(0), V(0));
	add(&f, "X1", "c", 1, 1000, 900, 900, V(600), V(400), V(400),
	    V(400), V(400));
	add(&f, "X2", "c", 1, 150, 100, 100, V(50), V(50), V(50), V(50),
	    V(50));
	add(&f, "X1", "c", 2, 1000, 700, 700, V(0), V(400), V(400),
	    V(450), V(100));
	add(&f, "X2", "c", 2, 150, 100, 100, V(0), V(50), V(1), V(50),
	    V(0))->disputed = 1;
	add(&f, "X2", "c", 2, 150, 100, 100, V(0), V(50), V(2), V(50),
	    V(0));
	compute(&f);
	ref[0] = json(f.res, W_SUMMARY, NULL);
	ref[1] = json(f.res, W_CONS, "N1");
	ref[2] = json(f.res, W_CONS, "C1");
	ref[3] = json(f.res, W_LEVEL, "c");
	for (k = 0; k < 4; k++)
		ref[4 + k] = json(f.res, W_AREA, areas[k]);
	assert_non_null(strstr(ref[1], "\"winners\":[\"n3\",\"n2\"]"));

	for (round = 0; round < 200; round++) {
		/* Fisher-Yates. */
		for (i = f.n; i > 1; i--) {
			j = (size_t)(prng(&seed) % i);
			tmp = f.in[i - 1];
			f.in[i - 1] = f.in[j];
			f.in[j] = tmp;
		}
		compute(&f);
		for (k = 0; k < 8; k++) {
			s = k == 0 ? json(f.res, W_SUMMARY, NULL) :
			    k == 1 ? json(f.res, W_CONS, "N1") :
			    k == 2 ? json(f.res, W_CONS, "C1") :
			    k == 3 ? json(f.res, W_LEVEL, "c") :
			    json(f.res, W_AREA, areas[k - 4]);
			if (strcmp(s, ref[k]) != 0)
				fail_msg("shuffle %zu, writer %zu:\n%s\n%s",
				    round, k, s, ref[k]);
			free(s);
		}
	}
	for (k = 0; k < 8; k++)
		free(ref[k]);
	fx_close(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incomplete_until_every_area_reports),
		cmocka_unit_test(test_disputed_input_is_never_final),
		cmocka_unit_test(test_rollups_by_level_and_place),
		cmocka_unit_test(test_foreign_inputs_are_ignored),
		cmocka_unit_test(test_output_independent_of_input_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
