/*
 * test_checks.c: the checks of PROTOCOL.md 5.1 that look at one count
 * record (H1-H10, W1-W3), one test per rule, mostly table-driven from a
 * consistent base record.  The checks that need more than one record,
 * and W4-W7, are in test_checks_ctx.c.
 */
#include "checks_fixture.h"

/* ---- checks: one test per rule ----------------------------------------- */

static void
test_base_record_is_clean(void **state)
{
	static const struct kase k[] = {
		{ "base record", { { NULL, 0, NULL } }, 0, 1 },
	};

	RUN("H1", k);
}

static void
test_H1_counts_and_names_match_definition(void **state)
{
	static const struct kase k[] = {
		{ "unknown area", { { "area", 0, "A99" } }, 1, 0 },
		{ "unknown level", { { "level", 0, "district" } }, 1, 0 },
		{ "unknown constituency",
		    { { "constituency", 0, "NA-9" } }, 1, 0 },
		{ "candidate missing from votes",
		    { { "-votes.NA1.4", 0, NULL } }, 1, 0 },
		{ "votes names a stranger",
		    { { "votes.P1.1", 0, NULL } }, 1, 0 },
		{ "marks longer than seats",
		    { { "nmarks", 3, NULL }, { "marks.3", 0, NULL } }, 1, 0 },
		{ "valid = 2^53", { { "valid", 9007199254740992ULL, NULL },
		    { "received", 9007199254740992ULL, NULL },
		    { "invalid", 0, NULL } }, 1, 0 },
		{ "round 0", { { "round", 0, NULL } }, 1, 0 },
		/* A10's list has 428 voters: W5, but nothing of H1. */
		{ "the other NA area", { { "area", 0, "A10" } }, 0, 0 },
		/* W5 and W6 only (not the list's figure, above 4,000). */
		{ "largest integer", { { "registered",
		    9007199254740991ULL, NULL } }, 0, 0 },
		/* Not announced: H9, not H1. */
		{ "later round", { { "round", 2, NULL } }, 0, 0 },
	};

	RUN("H1", k);
}

static void
test_H2_valid_plus_invalid_equals_received(void **state)
{
	static const struct kase k[] = {
		{ "one invalid too many", { { "invalid", 16, NULL } }, 1, 0 },
		{ "one valid too few", { { "valid", 974, NULL },
		    { "nmarks", 0, NULL } }, 1, 0 },
		{ "sum matches", { { "valid", 974, NULL },
		    { "invalid", 16, NULL }, { "nmarks", 0, NULL } }, 0, 1 },
	};
	struct tly_problems	 out;
	struct tly_record	 r;
	const struct tly_problem *p = NULL;

	RUN("H2", k);

	/* The message carries the numbers. */
	base_record(&r);
	r.invalid = 16;
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check(E, &r, 0, &out), TLY_E_RECORD);
	assert_true(has_rule(&out, "H2", &p));
	assert_string_equal(p->message,
	    "H2: valid + invalid = 975 + 16 = 991, but received = 990");
	assert_string_equal(p->fields, "valid,invalid,received");
	assert_string_equal(tly_errdetail(), "record 0: H2: valid + invalid = "
	    "975 + 16 = 991, but received = 990");
	tly_record_finish(&r);
}

static void
test_H3_received_at_most_issued(void **state)
{
	static const struct kase k[] = {
		{ "more ballots out of the box than issued",
		    { { "issued", 989, NULL } }, 1, 0 },
		{ "fewer received than issued",
		    { { "issued", 991, NULL } }, 0, 0 },
		{ "equal", { { NULL, 0, NULL } }, 0, 1 },
	};

	RUN("H3", k);
}

static void
test_H4_voted_at_most_registered(void **state)
{
	static const struct kase k[] = {
		{ "more voters than registered",
		    { { "registered", 989, NULL } }, 1, 0 },
		{ "voted = registered", { { "voted", 1180, NULL },
		    { "issued", 1180, NULL }, { "received", 1180, NULL },
		    { "valid", 1165, NULL }, { "nmarks", 0, NULL } }, 0, 1 },
	};

	RUN("H4", k);
}

static void
test_H5_candidate_votes_at_most_valid(void **state)
{
	static const struct kase k[] = {
		{ "one candidate above valid", { { "votes.NA1.1", 976, NULL },
		    { "votes.NA1.2", 174, NULL }, { "nmarks", 0, NULL } }, 1, 0 },
		{ "one candidate at valid", { { "votes.NA1.1", 975, NULL },
		    { "votes.NA1.2", 175, NULL }, { "nmarks", 0, NULL } }, 0, 1 },
	};

	RUN("H5", k);
}

static void
test_H6_sum_of_votes_at_most_seats_times_valid(void **state)
{
	static const struct kase k[] = {
		{ "sum 1951 > 2 * 975", { { "votes.NA1.1", 701, NULL },
		    { "votes.NA1.2", 550, NULL }, { "votes.NA1.3", 400, NULL },
		    { "votes.NA1.4", 300, NULL }, { "nmarks", 0, NULL } }, 1, 0 },
		{ "sum 1950 = 2 * 975", { { "votes.NA1.1", 700, NULL },
		    { "nmarks", 0, NULL } }, 0, 1 },
	};

	RUN("H6", k);
}

static void
test_H7_sum_of_votes_at_least_valid(void **state)
{
	static const struct kase k[] = {
		{ "sum 974 < 975", { { "votes.NA1.1", 300, NULL },
		    { "votes.NA1.2", 300, NULL }, { "votes.NA1.3", 200, NULL },
		    { "votes.NA1.4", 174, NULL }, { "nmarks", 0, NULL } }, 1, 0 },
		{ "sum 975 = valid", { { "votes.NA1.1", 300, NULL },
		    { "votes.NA1.2", 300, NULL }, { "votes.NA1.3", 200, NULL },
		    { "votes.NA1.4", 175, NULL }, { "nmarks", 0, NULL } }, 0, 1 },
		{ "no valid ballot", { { "valid", 0, NULL },
		    { "invalid", 990, NULL }, { "votes.NA1.1", 0, NULL },
		    { "votes.NA1.2", 0, NULL }, { "votes.NA1.3", 0, NULL },
		    { "votes.NA1.4", 0, NULL } }, 0, 0 },
	};

	RUN("H7", k);
}

static void
test_H8_marks_sum_to_valid_and_votes(void **state)
{
	static const struct kase k[] = {
		{ "n_k do not sum to valid", { { "marks.1", 101, NULL } },
		    1, 0 },
		{ "k * n_k do not sum to the votes",
		    { { "marks.1", 102, NULL }, { "marks.2", 873, NULL } },
		    1, 0 },
		{ "no marks given", { { "nmarks", 0, NULL } }, 0, 1 },
		{ "marks agree", { { NULL, 0, NULL } }, 0, 1 },
	};

	RUN("H8", k);
}

static void
test_H9_area_belongs_to_constituency(void **state)
{
	static const struct kase k[] = {
		{ "A01 is in P-1 at level prov, not NA-1",
		    { { "level", 0, "prov" } }, 1, 0 },
		{ "A06 at level na is in NA-1",
		    { { "area", 0, "A06" }, { "registered", 1324, NULL } },
		    0, 1 },
		{ "round 2 is not announced", { { "round", 2, NULL } }, 1, 0 },
	};
	struct tly_problems	 out;
	struct tly_record	 r;
	const struct tly_problem *p = NULL;

	RUN("H9", k);

	base_record(&r);
	strcpy(r.level, "prov");
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check(E, &r, 0, &out), TLY_E_RECORD);
	assert_true(has_rule(&out, "H9", &p));
	assert_non_null(strstr(p->message, "'P-1'"));
	tly_record_finish(&r);
}

static void
test_W1_issued_differs_from_voted(void **state)
{
	static const struct kase k[] = {
		{ "one ballot more issued", { { "issued", 991, NULL } }, 1, 0 },
		{ "issued = voted", { { NULL, 0, NULL } }, 0, 1 },
	};

	RUN("W1", k);
}

static void
test_W2_received_differs_from_voted(void **state)
{
	static const struct kase k[] = {
		{ "a ballot taken away", { { "received", 989, NULL },
		    { "valid", 974, NULL }, { "nmarks", 0, NULL } }, 1, 0 },
		{ "received = voted", { { NULL, 0, NULL } }, 0, 1 },
	};

	RUN("W2", k);
}

static void
test_W3_invalid_share_above_threshold(void **state)
{
	static const struct kase k[] = {
		/* 100 * 100 = 10000 > 10 * 990 = 9900 */
		{ "100 of 990 invalid", { { "valid", 890, NULL },
		    { "invalid", 100, NULL }, { "votes.NA1.1", 500, NULL },
		    { "nmarks", 0, NULL } }, 1, 0 },
		/* 100 * 99 = 9900, not above 9900 */
		{ "99 of 990 invalid", { { "valid", 891, NULL },
		    { "invalid", 99, NULL }, { "votes.NA1.1", 500, NULL },
		    { "nmarks", 0, NULL } }, 0, 1 },
	};

	RUN("W3", k);
}

static void
test_W_explanation_unblocks_signing(void **state)
{
	struct tly_problems	 out;
	struct tly_record	 r;
	const struct tly_problem *p = NULL;

	/* Without an explanation the warning blocks, and says why. */
	base_record(&r);
	r.issued = 991;
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check(E, &r, 2, &out), TLY_E_RECORD);
	assert_int_equal(out.n, 1);
	p = &out.p[0];
	assert_string_equal(p->rule, "W1");
	assert_int_equal(p->warning, 1);
	assert_int_equal(p->explained, 0);
	assert_non_null(strstr(p->message, "explanation is required"));
	assert_non_null(strstr(tly_errdetail(), "record 2: W1: "));

	/* With one it is recorded, explained, and does not block. */
	r.explanations[0] = strdup("Một cử tri làm hỏng phiếu và được "
	    "đổi phiếu khác.");
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check(E, &r, 2, &out), TLY_OK);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.p[0].rule, "W1");
	assert_int_equal(out.p[0].explained, 1);
	assert_null(strstr(out.p[0].message, "required"));

	/* An explanation of another warning does not help. */
	free(r.explanations[0]);
	r.explanations[0] = NULL;
	r.explanations[1] = strdup("nothing to explain");
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check(E, &r, 2, &out), TLY_E_RECORD);
	tly_record_finish(&r);
}

/* W2 raised and nothing else: one more voter than ballots taken out. */
#define W2_ONLY { "voted", 991, NULL }, { "issued", 991, NULL }

static void
test_H10_explanation_must_explain(void **state)
{
	static const struct kase k[] = {
		{ "a real explanation", { W2_ONLY,
		    { "explain.W2", 0, "một cử tri bỏ phiếu về nhà" } }, 0, 0 },
		{ "spaces", { W2_ONLY, { "explain.W2", 0, "   " } }, 1, 0 },
		{ "zero-width space", { W2_ONLY,
		    { "explain.W2", 0, "\u200b" } }, 1, 0 },
		{ "word joiner and BOM", { W2_ONLY,
		    { "explain.W2", 0, " \u2060\ufeff " } }, 1, 0 },
		{ "punctuation only", { W2_ONLY,
		    { "explain.W2", 0, "... ?" } }, 1, 0 },
		{ "right-to-left override", { W2_ONLY,
		    { "explain.W2", 0, "ok \u202e21" } }, 1, 0 },
		{ "left-to-right isolate", { W2_ONLY,
		    { "explain.W2", 0, "ok \u2066x\u2069" } }, 1, 0 },
		{ "Arabic letter mark", { W2_ONLY,
		    { "explain.W2", 0, "ok \u061c" } }, 1, 0 },
		{ "line break", { W2_ONLY,
		    { "explain.W2", 0, "hai dòng\nnhau" } }, 1, 0 },
		{ "tab", { W2_ONLY, { "explain.W2", 0, "a\tb" } }, 1, 0 },
		{ "a digit is enough", { W2_ONLY,
		    { "explain.W2", 0, "1" } }, 0, 0 },
		{ "W2 explained but not raised",
		    { { "explain.W2", 0, "kiểm tra lại" } }, 1, 0 },
		{ "W1 explained but not raised",
		    { { "explain.W1", 0, "kiểm tra lại" } }, 1, 0 },
		/* Without their context, W4 and W7 are not judged. */
		{ "W7 explained, no clock", { { "explain.W7", 0, "late" } },
		    0, 1 },
		{ "W4 explained, no peers", { { "explain.W4", 0, "ok" } },
		    0, 1 },
	};
	struct tly_check_ctx	 ctx;
	struct tly_problems	 out;
	struct tly_record	 r;

	RUN("H10", k);

	/* With a clock, a W7 explanation on time is refused. */
	base_record(&r);
	r.explanations[6] = strdup("đường sạt lở");
	tly_check_ctx_init(&ctx, 1622023200ULL);
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check_ctx(E, &r, 0, &ctx, &out),
	    TLY_E_RECORD);
	assert_true(has_rule(&out, "H10", NULL));
	tly_record_finish(&r);
}

static void
test_W_full_turnout_never_warns(void **state)
{
	static const struct kase k[] = {
		/* 990 is not the list's 1180: only W5, explained. */
		{ "voted = registered = 990",
		    { { "registered", 990, NULL },
		    { "explain.W5", 0, "danh sách cập nhật" } }, 0, 0 },
		{ "everyone on a list of 1180 voted",
		    { { "voted", 1180, NULL }, { "issued", 1180, NULL },
		    { "received", 1180, NULL }, { "valid", 1165, NULL },
		    { "nmarks", 0, NULL } }, 0, 1 },
	};

	RUN("W1", k);
	RUN("W2", k);
	RUN("W3", k);
}

static void
test_W3_threshold_from_definition(void **state)
{
	struct tly_election	*e = NULL;
	struct tly_problems	 out;
	struct tly_record	 r;
	char			*t;
	size_t			 len;

	/* With 5%, 49 of 990 (4900 <= 4950) passes and 50 (5000) warns. */
	t = edit_text("\"invalid_warn_percent\": 10",
	    "\"invalid_warn_percent\": 5", &len);
	assert_int_equal(tly_election_parse(t, len, &e), TLY_OK);
	assert_int_equal(tly_election_invalid_warn_percent(e), 5);
	base_record(&r);
	r.nmarks = 0;
	r.valid = 941;
	r.invalid = 49;
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check(e, &r, 0, &out), TLY_OK);
	assert_int_equal(out.n, 0);
	r.valid = 940;
	r.invalid = 50;
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check(e, &r, 0, &out), TLY_E_RECORD);
	assert_true(has_rule(&out, "W3", NULL));
	tly_record_finish(&r);
	tly_election_free(e);
	free(t);

	/* Without the member the threshold is 10. */
	t = edit_text("\"invalid_warn_percent\": 10,", "", &len);
	assert_int_equal(tly_election_parse(t, len, &e), TLY_OK);
	assert_int_equal(tly_election_invalid_warn_percent(e), 10);
	tly_election_free(e);
	free(t);
}

static void
test_check_never_overflows(void **state)
{
	struct tly_problems	 out;
	struct tly_record	 r;
	const struct tly_problem *p = NULL;
	size_t			 i;

	/* Counts far beyond section 1, built in code: reported, no wrap. */
	base_record(&r);
	r.registered = r.voted = r.issued = r.received = UINT64_MAX;
	r.valid = UINT64_MAX;
	r.invalid = 1;		/* valid + invalid wraps to 0 in 64 bits */
	for (i = 0; i < r.nvotes; i++)
		r.votes[i].votes = UINT64_MAX;
	r.marks[0] = UINT64_MAX;
	r.marks[1] = UINT64_MAX;
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check(E, &r, 0, &out), TLY_E_RECORD);
	assert_true(has_rule(&out, "H1", NULL));
	assert_true(has_rule(&out, "H2", &p));
	assert_non_null(strstr(p->message, "= 18446744073709551616,"));
	assert_false(has_rule(&out, "H5", NULL));	/* votes = valid */
	assert_true(has_rule(&out, "H6", &p));		/* 4 max > 2 max */
	assert_non_null(strstr(p->message, "73786976294838206460"));
	assert_false(has_rule(&out, "H7", NULL));
	assert_true(has_rule(&out, "H8", NULL));	/* 2 max != max */
	assert_false(has_rule(&out, "W1", NULL));
	assert_false(has_rule(&out, "W2", NULL));
	tly_record_finish(&r);
}

static void
test_check_caps_problem_list(void **state)
{
	struct tly_problems	 out;
	struct tly_record	 r;
	size_t			 i;

	/* 64 strangers in votes: more problems than the list holds. */
	base_record(&r);
	r.nvotes = 0;
	for (i = 0; i < TLY_CAND_MAX; i++) {
		snprintf(r.votes[i].cand, sizeof(r.votes[i].cand), "X%zu", i);
		r.votes[i].votes = 0;
		r.nvotes++;
	}
	memset(&out, 0, sizeof(out));
	assert_int_equal(tly_record_check(E, &r, 0, &out), TLY_E_RECORD);
	assert_int_equal(out.n, TLY_PROBLEMS_MAX);
	assert_true(out.dropped > 0);
	tly_record_finish(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_record_is_clean),
		cmocka_unit_test(test_H1_counts_and_names_match_definition),
		cmocka_unit_test(test_H2_valid_plus_invalid_equals_received),
		cmocka_unit_test(test_H3_received_at_most_issued),
		cmocka_unit_test(test_H4_voted_at_most_registered),
		cmocka_unit_test(test_H5_candidate_votes_at_most_valid),
		cmocka_unit_test(test_H6_sum_of_votes_at_most_seats_times_valid),
		cmocka_unit_test(test_H7_sum_of_votes_at_least_valid),
		cmocka_unit_test(test_H8_marks_sum_to_valid_and_votes),
		cmocka_unit_test(test_H9_area_belongs_to_constituency),
		cmocka_unit_test(test_W1_issued_differs_from_voted),
		cmocka_unit_test(test_W2_received_differs_from_voted),
		cmocka_unit_test(test_W3_invalid_share_above_threshold),
		cmocka_unit_test(test_W3_threshold_from_definition),
		cmocka_unit_test(test_W_explanation_unblocks_signing),
		cmocka_unit_test(test_H10_explanation_must_explain),
		cmocka_unit_test(test_W_full_turnout_never_warns),
		cmocka_unit_test(test_check_never_overflows),
		cmocka_unit_test(test_check_caps_problem_list),
	};

	return cmocka_run_group_tests(tests, setup_election,
	    teardown_election);
}
