/*
 * test_checks.c: the checks of PROTOCOL.md 5.1 on count records, one test
 * per rule (H1-H9 hard, W1-W7 warnings), mostly table-driven from a
 * consistent base record.  Run from the repository root: the definition is
 * read from tests/vectors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "election_fixture.h"

#define SETS_MAX	6

/* One table row: changes to the base record and what the checks say. */
struct kase {
	const char	*what;		/* description for failure messages */
	struct set	 sets[SETS_MAX];	/* changes, ending with a NULL */
	int		 raised;	/* 1 if the rule must be raised */
	int		 clean;		/* 1 if no problem at all is expected */
};

/* Whether out holds a problem for rule; *pp gets the first such. */
static int
has_rule(const struct tly_problems *out, const char *rule,
    const struct tly_problem **pp)
{
	size_t	 i;

	for (i = 0; i < out->n; i++)
		if (strcmp(out->p[i].rule, rule) == 0) {
			if (pp != NULL)
				*pp = &out->p[i];
			return 1;
		}
	return 0;
}

/*
 * Run the table for one rule: apply each row to the base record, check,
 * and compare.  Also verify that the return value agrees with the list:
 * TLY_E_RECORD exactly when some problem is hard or unexplained.
 */
static void
run_table(const char *rule, const struct kase *k, size_t n)
{
	struct tly_problems	 out;
	struct tly_record	 r;
	const struct tly_problem *p = NULL;
	size_t			 i, j;
	int			 rv, blocking;

	for (i = 0; i < n; i++) {
		base_record(&r);
		for (j = 0; j < SETS_MAX && k[i].sets[j].field != NULL; j++)
			apply(&r, &k[i].sets[j]);
		memset(&out, 0, sizeof(out));
		tly_errclear();
		rv = tly_record_check(E, &r, 7, &out);
		if (has_rule(&out, rule, &p) != k[i].raised)
			fail_msg("%s, case '%s': rule %s %s raised", rule,
			    k[i].what, rule, k[i].raised ? "not" : "wrongly");
		if (k[i].clean && out.n != 0)
			fail_msg("%s, case '%s': unexpected %s", rule,
			    k[i].what, out.p[0].message);
		blocking = 0;
		for (j = 0; j < out.n; j++) {
			assert_int_equal(out.p[j].index, 7);
			assert_int_equal(out.p[j].warning,
			    out.p[j].rule[0] == 'W');
			assert_true(strncmp(out.p[j].message, out.p[j].rule,
			    strlen(out.p[j].rule)) == 0);
			assert_true(out.p[j].fields[0] != '\0');
			if (!out.p[j].warning || !out.p[j].explained)
				blocking = 1;
		}
		if (blocking) {
			assert_int_equal(rv, TLY_E_RECORD);
			assert_non_null(strstr(tly_errdetail(), "record 7: "));
		} else
			assert_int_equal(rv, TLY_OK);
		if (k[i].raised)
			assert_true(strncmp(p->message, rule, 2) == 0);
		tly_record_finish(&r);
	}
}

#define RUN(rule, table) run_table(rule, table, sizeof(table) / sizeof(table[0]))

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

/* ---- checks that need more than one record, and W5-W7 ------------------ */

/* Check r against e with ctx; 1 when rule is among the problems. */
static int
raises(const struct tly_election *e, const struct tly_record *r,
    const struct tly_check_ctx *ctx, const char *rule)
{
	struct tly_problems	 out;

	memset(&out, 0, sizeof(out));
	(void)tly_record_check_ctx(e, r, 0, ctx, &out);
	return has_rule(&out, rule, NULL);
}

static void
test_H9_round_must_cover_the_area(void **state)
{
	struct tly_election	*e;
	struct tly_record	 r;

	e = parse_variant("{\"round\": 1, \"kind\": \"first\"}",
	    "{\"round\": 1, \"kind\": \"first\"}, "
	    "{\"round\": 2, \"kind\": \"reelection\", \"area\": \"A01\"}, "
	    "{\"round\": 3, \"kind\": \"additional\", "
	    "\"constituency\": \"P-2\"}");
	base_record(&r);
	assert_false(raises(e, &r, NULL, "H9"));	/* round 1 */
	r.round = 2;					/* A01 re-elected */
	assert_false(raises(e, &r, NULL, "H9"));
	assert_int_equal(tly_record_check(e, &r, 0, &(struct tly_problems){0}),
	    TLY_OK);
	r.round = 3;					/* P-2 only */
	assert_true(raises(e, &r, NULL, "H9"));
	r.round = 4;					/* none */
	assert_true(raises(e, &r, NULL, "H9"));
	tly_record_finish(&r);

	/* A02 is not re-elected in round 2. */
	base_record(&r);
	strcpy(r.area, "A02");
	r.registered = 1455;
	r.round = 2;
	assert_true(raises(e, &r, NULL, "H9"));
	tly_record_finish(&r);

	/* Round 3 at A06, level prov: an additional election in P-2.  Its
	 * ballot lists only some candidates: no H1 for the others. */
	tly_record_init(&r);
	strcpy(r.area, "A06");
	strcpy(r.level, "prov");
	strcpy(r.constituency, "P-2");
	r.round = 3;
	r.registered = 1324;
	r.voted = r.issued = r.received = 1000;
	r.valid = 990;
	r.invalid = 10;
	strcpy(r.votes[0].cand, "P2.2");
	r.votes[0].votes = 600;
	strcpy(r.votes[1].cand, "P2.4");
	r.votes[1].votes = 500;
	r.nvotes = 2;
	assert_false(raises(e, &r, NULL, "H9"));
	assert_false(raises(e, &r, NULL, "H1"));
	assert_int_equal(tly_record_check(e, &r, 0, &(struct tly_problems){0}),
	    TLY_OK);
	/* The same partial list in round 1 is an H1 failure. */
	r.round = 1;
	assert_true(raises(e, &r, NULL, "H1"));
	tly_record_finish(&r);
	tly_election_free(e);
}

static void
test_W4_voted_differs_between_levels(void **state)
{
	static const struct {
		const char	*what;
		const char	*area;	/* the peer's area */
		const char	*level;	/* the peer's level */
		uint64_t	 round;	/* the peer's round */
		uint64_t	 voted;	/* the peer's T */
		int		 raised;
	} k[] = {
		/* 100 * 49 = 4900 <= 5 * 990 = 4950 */
		{ "49 fewer at prov", "A01", "prov", 1, 941, 0 },
		/* 100 * 53 = 5300 > 5 * 1043 = 5215 */
		{ "53 more at prov", "A01", "prov", 1, 1043, 1 },
		{ "half at prov", "A01", "prov", 1, 495, 1 },
		{ "same", "A01", "prov", 1, 990, 0 },
		{ "another area", "A02", "prov", 1, 10, 0 },
		{ "another round", "A01", "prov", 2, 10, 0 },
		{ "the same level", "A01", "na", 1, 10, 0 },
	};
	struct tly_check_ctx	 ctx;
	struct tly_record	 r, peer;
	size_t			 i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		base_record(&r);
		tly_record_init(&peer);
		strcpy(peer.area, k[i].area);
		strcpy(peer.level, k[i].level);
		peer.round = k[i].round;
		peer.voted = k[i].voted;
		tly_check_ctx_init(&ctx, 0);
		assert_int_equal(tly_check_ctx_add(&ctx, &peer), TLY_OK);
		if (raises(E, &r, &ctx, "W4") != k[i].raised)
			fail_msg("W4, case '%s': %s", k[i].what,
			    k[i].raised ? "not raised" : "wrongly raised");
		/* Without context, never. */
		assert_false(raises(E, &r, NULL, "W4"));
		if (k[i].raised) {
			/* An explanation makes it signable. */
			struct tly_problems out = { 0 };

			assert_int_equal(tly_record_check_ctx(E, &r, 0, &ctx,
			    &out), TLY_E_RECORD);
			r.explanations[3] = strdup("cử tri tạm trú");
			memset(&out, 0, sizeof(out));
			assert_int_equal(tly_record_check_ctx(E, &r, 0, &ctx,
			    &out), TLY_OK);
		}
		tly_record_finish(&r);
	}

	/* The threshold comes from the definition. */
	{
		struct tly_election *e = parse_variant(
		    "\"invalid_warn_percent\": 10,",
		    "\"invalid_warn_percent\": 10, "
		    "\"turnout_spread_warn_percent\": 60,");

		assert_int_equal(tly_election_turnout_spread_warn_percent(e),
		    60);
		assert_int_equal(tly_election_turnout_spread_warn_percent(E),
		    5);
		base_record(&r);
		tly_record_init(&peer);
		strcpy(peer.area, "A01");
		strcpy(peer.level, "prov");
		peer.round = 1;
		peer.voted = 495;	/* 100 * 495 <= 60 * 990 */
		tly_check_ctx_init(&ctx, 0);
		assert_int_equal(tly_check_ctx_add(&ctx, &peer), TLY_OK);
		assert_false(raises(e, &r, &ctx, "W4"));
		assert_true(raises(E, &r, &ctx, "W4"));
		tly_record_finish(&r);
		tly_election_free(e);
	}

	/* The context holds a bounded number of records. */
	tly_check_ctx_init(&ctx, 0);
	for (i = 0; i < TLY_CHECK_PEERS_MAX; i++)
		assert_int_equal(tly_check_ctx_add(&ctx, &peer), TLY_OK);
	assert_int_equal(tly_check_ctx_add(&ctx, &peer), TLY_E_TOO_LARGE);
}

static void
test_W5_registered_differs_from_voter_list(void **state)
{
	static const struct kase k[] = {
		{ "one more than the list", { { "registered", 1181, NULL } },
		    1, 0 },
		{ "A10's list has 428", { { "area", 0, "A10" } }, 1, 0 },
		{ "explained", { { "registered", 1181, NULL },
		    { "explain.W5", 0, "bổ sung cử tri" } }, 1, 0 },
		{ "equal to the list", { { NULL, 0, NULL } }, 0, 1 },
	};
	struct tly_election	*e;
	struct tly_record	 r;

	RUN("W5", k);

	/* No figure loaded for the level: nothing to compare. */
	e = parse_variant("\"registered\": {\"na\": 1180, \"prov\": 1180}",
	    "\"registered\": {\"prov\": 1180}");
	base_record(&r);
	r.registered = 1300;
	assert_false(raises(e, &r, NULL, "W5"));
	tly_record_finish(&r);
	tly_election_free(e);
}

static void
test_W6_counts_above_registered_or_area_size(void **state)
{
	static const struct kase k[] = {
		{ "issued above registered", { { "registered", 990, NULL },
		    { "issued", 991, NULL }, { "explain.W1", 0, "x" },
		    { "explain.W5", 0, "x" } }, 1, 0 },
		{ "4,001 voters", { { "registered", 4001, NULL } }, 1, 0 },
		{ "no voter at all", { { "registered", 0, NULL },
		    { "voted", 0, NULL }, { "issued", 0, NULL },
		    { "received", 0, NULL }, { "valid", 0, NULL },
		    { "invalid", 0, NULL } }, 1, 0 },
		{ "4,000 voters", { { "registered", 4000, NULL },
		    { "explain.W5", 0, "x" } }, 0, 0 },
		{ "within", { { NULL, 0, NULL } }, 0, 1 },
	};
	struct tly_election	*e;
	struct tly_record	 r;

	RUN("W6", k);

	/* A remote area may have more than 4,000 voters (Art. 11) ... */
	e = parse_variant("\"registered\": {\"na\": 1180, \"prov\": 1180}",
	    "\"registered\": {\"na\": 1180, \"prov\": 1180}, "
	    "\"remote\": true");
	base_record(&r);
	r.registered = 5000;
	assert_false(raises(e, &r, NULL, "W6"));
	assert_true(raises(E, &r, NULL, "W6"));
	/* ... but a count above R is still a warning. */
	r.registered = 900;
	r.voted = 900;
	assert_true(raises(e, &r, NULL, "W6"));
	tly_record_finish(&r);
	tly_election_free(e);
}

static void
test_W7_submitted_after_deadline(void **state)
{
	/* 2021-05-26T17:00:00+07:00 = 2021-05-26T10:00:00Z = 1622023200 */
	static const uint64_t deadline = 1622023200ULL;
	static const char *const forms[] = {
		"\"deadline\": \"2021-05-26T17:00:00+07:00\",",
		"\"deadline\": \"2021-05-26T10:00:00Z\",",
		"\"deadline\": 1622023200,",
	};
	struct tly_check_ctx	 ctx;
	struct tly_election	*e;
	struct tly_record	 r;
	uint64_t		 t;
	size_t			 i;
	char			 to[160];

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(to, sizeof(to), "%s \"invalid_warn_percent\": 10,",
		    forms[i]);
		e = parse_variant("\"invalid_warn_percent\": 10,", to);
		assert_true(tly_election_deadline(e, 1, 0, 0, &t));
		assert_int_equal(t, deadline);
		base_record(&r);
		tly_check_ctx_init(&ctx, deadline);
		assert_false(raises(e, &r, &ctx, "W7"));	/* on time */
		tly_check_ctx_init(&ctx, deadline + 1);
		assert_true(raises(e, &r, &ctx, "W7"));		/* late */
		assert_false(raises(e, &r, NULL, "W7"));	/* no clock */
		tly_check_ctx_init(&ctx, 0);
		assert_false(raises(e, &r, &ctx, "W7"));
		r.explanations[6] = strdup("đường sạt lở");
		tly_check_ctx_init(&ctx, deadline + 86400);
		assert_int_equal(tly_record_check_ctx(e, &r, 0, &ctx,
		    &(struct tly_problems){0}), TLY_OK);
		tly_record_finish(&r);
		tly_election_free(e);
	}

	/* No deadline given: never late. */
	assert_false(tly_election_deadline(E, 1, 0, 0, &t));
	base_record(&r);
	tly_check_ctx_init(&ctx, UINT64_C(4000000000));
	assert_false(raises(E, &r, &ctx, "W7"));
	tly_record_finish(&r);

	/* A round's own deadline. */
	e = parse_variant("{\"round\": 1, \"kind\": \"first\"}",
	    "{\"round\": 1, \"kind\": \"first\"}, {\"round\": 2, "
	    "\"kind\": \"reelection\", \"area\": \"A01\", "
	    "\"deadline\": \"2021-06-10T00:00:00Z\"}");
	assert_false(tly_election_deadline(e, 1, 0, 0, &t));
	assert_true(tly_election_deadline(e, 2, 0, 0, &t));
	assert_int_equal(t, 1623283200ULL);
	tly_election_free(e);
}

/* Does the record of area, round 2 raise W7 at time now in e? */
static int
late_in_round2(const struct tly_election *e, const char *area, uint64_t now)
{
	struct tly_check_ctx	 ctx;
	struct tly_record	 r;
	int			 w;

	base_record(&r);
	strcpy(r.area, area);
	r.round = 2;
	r.registered = 990;	/* no W5 about the list */
	tly_check_ctx_init(&ctx, now);
	w = raises(e, &r, &ctx, "W7");
	tly_record_finish(&r);
	return w;
}

static void
test_W7_deadline_is_the_records_own_entry(void **state)
{
	/* Two re-elections of round 2, of A01 and A02; only one deadline. */
	static const char *const orders[] = {
		"{\"round\": 1, \"kind\": \"first\"}, "
		"{\"round\": 2, \"kind\": \"reelection\", "
		"\"area\": \"A02\", \"deadline\": 1623283200}, "
		"{\"round\": 2, \"kind\": \"reelection\", "
		"\"area\": \"A01\"}",
		"{\"round\": 1, \"kind\": \"first\"}, "
		"{\"round\": 2, \"kind\": \"reelection\", "
		"\"area\": \"A01\"}, "
		"{\"round\": 2, \"kind\": \"reelection\", "
		"\"area\": \"A02\", \"deadline\": 1623283200}",
	};
	struct tly_election	*e;
	uint64_t		 t;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		e = parse_variant("{\"round\": 1, \"kind\": \"first\"}",
		    orders[i]);
		/* A01's entry gives none: never late, whatever A02's says. */
		assert_false(tly_election_deadline(e, 2,
		    (size_t)tly_election_find_area(e, "A01"), 0, &t));
		assert_false(late_in_round2(e, "A01", 1623283200ULL + 86400));
		assert_true(late_in_round2(e, "A02", 1623283200ULL + 1));
		assert_false(late_in_round2(e, "A02", 1623283200ULL));
		tly_election_free(e);
	}

	/* A sibling's later deadline does not excuse a late record. */
	e = parse_variant("{\"round\": 1, \"kind\": \"first\"}",
	    "{\"round\": 1, \"kind\": \"first\"}, "
	    "{\"round\": 2, \"kind\": \"reelection\", "
	    "\"area\": \"A01\", \"deadline\": 1700000000}, "
	    "{\"round\": 2, \"kind\": \"reelection\", "
	    "\"area\": \"A02\", \"deadline\": 1623283200}");
	assert_true(late_in_round2(e, "A02", 1623283200ULL + 1));
	assert_false(late_in_round2(e, "A01", 1623283200ULL + 1));
	tly_election_free(e);
}

static void
test_W7_round1_deadline_given_once(void **state)
{
	struct tly_election	*e = NULL;
	char			*t;
	size_t			 len;

	t = edit_text("{\"round\": 1, \"kind\": \"first\"}",
	    "{\"round\": 1, \"kind\": \"first\", "
	    "\"deadline\": 1623283200}", &len);
	assert_int_equal(tly_election_parse(t, len, &e), TLY_OK);
	tly_election_free(e);
	free(t);
	t = edit_text("\"invalid_warn_percent\": 10,",
	    "\"invalid_warn_percent\": 10, \"deadline\": 1622023200,",
	    &len);
	{
		char	*u;
		size_t	 ulen;
		char	*save = E_text;
		size_t	 slen = E_len;

		E_text = t;
		E_len = len;
		u = edit_text("{\"round\": 1, \"kind\": \"first\"}",
		    "{\"round\": 1, \"kind\": \"first\", "
		    "\"deadline\": 1623283200}", &ulen);
		E_text = save;
		E_len = slen;
		assert_int_equal(tly_election_parse(u, ulen, &e),
		    TLY_E_DEFINITION);
		assert_non_null(strstr(tly_errdetail(), "rounds[0].deadline"));
		free(u);
	}
	free(t);
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
		cmocka_unit_test(test_W7_deadline_is_the_records_own_entry),
		cmocka_unit_test(test_W7_round1_deadline_given_once),
		cmocka_unit_test(test_W_full_turnout_never_warns),
		cmocka_unit_test(test_check_never_overflows),
		cmocka_unit_test(test_check_caps_problem_list),
		cmocka_unit_test(test_H9_round_must_cover_the_area),
		cmocka_unit_test(test_W4_voted_differs_between_levels),
		cmocka_unit_test(test_W5_registered_differs_from_voter_list),
		cmocka_unit_test(test_W6_counts_above_registered_or_area_size),
		cmocka_unit_test(test_W7_submitted_after_deadline),
	};

	return cmocka_run_group_tests(tests, setup_election,
	    teardown_election);
}
