/*
 * test_election.c: election definitions, count records and the checks of
 * PROTOCOL.md 5.1.  Run from the repository root: the definition and the
 * records are read from tests/vectors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "election/election.h"

#define ELECTION_SMALL	"tests/vectors/election-small.json"
#define RECORDS_SMALL	"tests/vectors/records-small"

static struct tly_election *E;		/* the small election */
static char	*E_text;		/* its JSON text */
static size_t	 E_len;			/* bytes in E_text */

/* ---- utilities ---------------------------------------------------------- */

/* Read a whole file into a new NUL-terminated buffer. */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*p = NULL;
	long	 n = 0;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size %s", path);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*lenp = (size_t)n;
	return p;
}

/* Load the small election once for the whole run. */
static int
setup_election(void **state)
{
	E_text = slurp(ELECTION_SMALL, &E_len);
	if (tly_election_parse(E_text, E_len, &E) != TLY_OK) {
		fprintf(stderr, "%s: %s\n", ELECTION_SMALL, tly_errdetail());
		return -1;
	}
	return 0;
}

static int
teardown_election(void **state)
{
	tly_election_free(E);
	free(E_text);
	return 0;
}

/* A copy of the small election's text with the first `from` replaced. */
static char *
edit_text(const char *from, const char *to, size_t *lenp)
{
	const char	*at = strstr(E_text, from);
	char		*s;
	size_t		 pre, flen = strlen(from), tlen = strlen(to);

	if (at == NULL)
		fail_msg("'%s' is not in %s", from, ELECTION_SMALL);
	pre = (size_t)(at - E_text);
	s = malloc(E_len - flen + tlen + 1);
	assert_non_null(s);
	memcpy(s, E_text, pre);
	memcpy(s + pre, to, tlen);
	memcpy(s + pre + tlen, at + flen, E_len - pre - flen + 1);
	*lenp = E_len - flen + tlen;
	return s;
}

/*
 * The base record: area A01, National Assembly level, 2 seats, fully
 * consistent and without warnings.  R 1180, T = I = B = 990,
 * W 975 + X 15, votes 600 + 550 + 400 + 300 = 1850 marks, with
 * n_1 = 100, n_2 = 875 (100 + 2 * 875 = 1850).
 */
static void
base_record(struct tly_record *r)
{
	static const char *const cand[] = { "NA1.1", "NA1.2", "NA1.3", "NA1.4" };
	static const uint64_t votes[] = { 600, 550, 400, 300 };
	size_t	 i;

	tly_record_init(r);
	strcpy(r->area, "A01");
	strcpy(r->level, "na");
	strcpy(r->constituency, "NA-1");
	r->round = 1;
	r->registered = 1180;
	r->voted = r->issued = r->received = 990;
	r->valid = 975;
	r->invalid = 15;
	for (i = 0; i < 4; i++) {
		strcpy(r->votes[i].cand, cand[i]);
		r->votes[i].votes = votes[i];
	}
	r->nvotes = 4;
	r->marks[0] = 100;
	r->marks[1] = 875;
	r->nmarks = 2;
}

/* Index of the vote entry for cand, or nvotes. */
static size_t
vote_index(const struct tly_record *r, const char *cand)
{
	size_t	 i;

	for (i = 0; i < r->nvotes; i++)
		if (strcmp(r->votes[i].cand, cand) == 0)
			break;
	return i;
}

/*
 * One change to the base record: a field name and a number or a string.
 * Names are the record's fields; "votes.<id>" sets (adding if needed) a
 * candidate's votes, "-votes.<id>" removes it, "marks.<k>" sets n_k,
 * "nmarks" the number of marks, "explain.<Wn>" an explanation.
 */
struct set {
	const char	*field;	/* what to change; NULL ends the list */
	uint64_t	 v;	/* the number */
	const char	*s;	/* or the string */
};

/* Apply one change to r. */
static void
apply(struct tly_record *r, const struct set *c)
{
	const char	*f = c->field;
	size_t		 i;

	if (strcmp(f, "area") == 0)
		strcpy(r->area, c->s);
	else if (strcmp(f, "level") == 0)
		strcpy(r->level, c->s);
	else if (strcmp(f, "constituency") == 0)
		strcpy(r->constituency, c->s);
	else if (strcmp(f, "round") == 0)
		r->round = c->v;
	else if (strcmp(f, "registered") == 0)
		r->registered = c->v;
	else if (strcmp(f, "voted") == 0)
		r->voted = c->v;
	else if (strcmp(f, "issued") == 0)
		r->issued = c->v;
	else if (strcmp(f, "received") == 0)
		r->received = c->v;
	else if (strcmp(f, "valid") == 0)
		r->valid = c->v;
	else if (strcmp(f, "invalid") == 0)
		r->invalid = c->v;
	else if (strcmp(f, "nmarks") == 0)
		r->nmarks = (size_t)c->v;
	else if (strncmp(f, "marks.", 6) == 0)
		r->marks[atoi(f + 6) - 1] = c->v;
	else if (strncmp(f, "votes.", 6) == 0) {
		i = vote_index(r, f + 6);
		if (i == r->nvotes) {
			assert_true(r->nvotes < TLY_CAND_MAX);
			strcpy(r->votes[r->nvotes++].cand, f + 6);
		}
		r->votes[i].votes = c->v;
	} else if (strncmp(f, "-votes.", 7) == 0) {
		i = vote_index(r, f + 7);
		assert_true(i < r->nvotes);
		memmove(&r->votes[i], &r->votes[i + 1],
		    (r->nvotes - i - 1) * sizeof(r->votes[0]));
		r->nvotes--;
	} else if (strncmp(f, "explain.W", 9) == 0) {
		i = (size_t)atoi(f + 9) - 1;
		free(r->explanations[i]);
		r->explanations[i] = strdup(c->s);
	} else
		fail_msg("unknown field %s in a test case", f);
}

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

static void
test_W_unneeded_explanation_is_accepted(void **state)
{
	static const struct kase k[] = {
		{ "W2 explained but not raised",
		    { { "explain.W2", 0, "kiểm tra lại" } }, 0, 1 },
		{ "W7 explained", { { "explain.W7", 0, "late" } }, 0, 1 },
	};

	RUN("W2", k);
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

/* ---- the record vectors ------------------------------------------------- */

static void
test_vectors_records_small_pass(void **state)
{
	struct tly_problems	 out;
	struct tly_record	 r;
	char			 path[256], *t;
	size_t			 a, l, len;
	long			 ai;

	for (a = 0; a < tly_election_nareas(E); a++)
		for (l = 0; l < tly_election_nlevels(E); l++) {
			snprintf(path, sizeof(path), "%s/%s-%s.json",
			    RECORDS_SMALL, tly_area_id(E, a),
			    tly_election_level(E, l));
			t = slurp(path, &len);
			tly_record_init(&r);
			if (tly_record_parse(t, len, &r) != TLY_OK)
				fail_msg("%s: %s", path, tly_errdetail());
			memset(&out, 0, sizeof(out));
			if (tly_record_check(E, &r, 0, &out) != TLY_OK ||
			    out.n != 0)
				fail_msg("%s: %s", path, out.n ?
				    out.p[0].message : tly_errdetail());
			assert_string_equal(r.area, tly_area_id(E, a));
			assert_string_equal(r.level, tly_election_level(E, l));
			ai = tly_election_find_area(E, r.area);
			assert_int_equal(ai, (long)a);
			assert_int_equal(r.registered,
			    tly_area_registered(E, a, r.level));
			assert_int_equal(r.round, 1);
			tly_record_finish(&r);
			free(t);
		}
}

/* ---- the definition ----------------------------------------------------- */

static void
test_definition_accessors(void **state)
{
	long	 c, a;

	assert_string_equal(tly_election_id(E), "tn-2021-small");
	assert_int_equal(tly_election_invalid_warn_percent(E), 10);
	assert_int_equal(tly_election_nlevels(E), 2);
	assert_string_equal(tly_election_level(E, 0), "na");
	assert_string_equal(tly_election_level(E, 1), "prov");
	assert_null(tly_election_level(E, 2));

	assert_int_equal(tly_election_nconstituencies(E), 3);
	assert_string_equal(tly_constituency_id(E, 0), "NA-1");
	assert_string_equal(tly_constituency_id(E, 1), "P-1");
	assert_string_equal(tly_constituency_id(E, 2), "P-2");
	assert_int_equal(tly_election_find_constituency(E, "P-2"), 2);
	assert_int_equal(tly_election_find_constituency(E, "P-3"), -1);
	assert_int_equal(tly_election_find_constituency(E, ""), -1);
	c = tly_election_find_constituency(E, "P-1");
	assert_int_equal(c, 1);
	assert_string_equal(tly_constituency_level(E, (size_t)c), "prov");
	assert_int_equal(tly_constituency_seats(E, (size_t)c), 3);
	assert_int_equal(tly_constituency_ncandidates(E, (size_t)c), 5);
	assert_string_equal(tly_constituency_candidate(E, (size_t)c, 0),
	    "P1.1");
	assert_string_equal(tly_constituency_candidate(E, (size_t)c, 4),
	    "P1.5");
	assert_null(tly_constituency_candidate(E, (size_t)c, 5));
	assert_int_equal(tly_constituency_nareas(E, 0), 10);
	assert_int_equal(tly_constituency_nareas(E, 1), 5);
	assert_int_equal(tly_constituency_nareas(E, 2), 5);

	assert_int_equal(tly_election_nareas(E), 10);
	assert_string_equal(tly_area_id(E, 0), "A01");
	assert_string_equal(tly_area_id(E, 9), "A10");
	a = tly_election_find_area(E, "A07");
	assert_int_equal(a, 6);
	assert_string_equal(tly_area_constituency(E, (size_t)a, "na"),
	    "NA-1");
	assert_string_equal(tly_area_constituency(E, (size_t)a, "prov"),
	    "P-2");
	assert_null(tly_area_constituency(E, (size_t)a, "commune"));
	assert_int_equal(tly_area_registered(E, (size_t)a, "prov"), 745);
	assert_int_equal(tly_area_registered(E, (size_t)a, "commune"), 0);
	assert_int_equal(tly_election_find_area(E, "A11"), -1);
}

/* One definition error: an edit of the small election and the result. */
struct def_case {
	const char	*what;		/* description */
	const char	*from;		/* text replaced (first occurrence) */
	const char	*to;		/* replacement */
	int		 code;		/* expected return */
	const char	*detail;	/* expected start of the detail */
};

static void
test_definition_errors_name_the_path(void **state)
{
	static const struct def_case k[] = {
		{ "future format", "\"tally-election/1\"",
		    "\"tally-election/2\"", TLY_E_VERSION, "format: " },
		{ "area missing a level",
		    "\"constituencies\": {\"na\": \"NA-1\", \"prov\": \"P-1\"}",
		    "\"constituencies\": {\"na\": \"NA-1\"}", TLY_E_DEFINITION,
		    "areas[0].constituencies.prov: missing" },
		{ "too few candidates for the seats", "\"seats\": 2",
		    "\"seats\": 3", TLY_E_DEFINITION,
		    "constituencies[0].candidates: 4 candidates for 3 seats, "
		    "at least 5 required" },
		{ "unknown name at the top", "\"rules\": \"law-2015\"",
		    "\"rules\": \"law-2015\", \"colour\": \"red\"",
		    TLY_E_DEFINITION, "colour: unknown name" },
		{ "unknown name in a level", "\"kind\": \"na\"",
		    "\"kind\": \"na\", \"seats\": 1", TLY_E_DEFINITION,
		    "levels[0].seats: unknown name" },
		{ "duplicate name", "\"rules\": \"law-2015\"",
		    "\"rules\": \"law-2015\", \"rules\": \"law-2015\"",
		    TLY_E_DEFINITION, "rules: name given twice" },
		{ "duplicate area id", "\"id\": \"A02\"", "\"id\": \"A01\"",
		    TLY_E_DEFINITION,
		    "areas[1].id: duplicate area id 'A01' (also areas[0])" },
		{ "duplicate candidate id", "\"id\": \"P2.4\"",
		    "\"id\": \"P2.1\"", TLY_E_DEFINITION,
		    "constituencies[2].candidates[3].id: duplicate candidate "
		    "id 'P2.1' (also constituencies[2].candidates[0])" },
		{ "unknown constituency", "\"na\": \"NA-1\"", "\"na\": \"NA-9\"",
		    TLY_E_DEFINITION,
		    "areas[0].constituencies.na: unknown constituency 'NA-9'" },
		{ "constituency of another level", "\"prov\": \"P-1\"",
		    "\"prov\": \"NA-1\"", TLY_E_DEFINITION,
		    "areas[0].constituencies.prov: constituency 'NA-1' is of "
		    "level 'na'" },
		{ "unknown level in an area",
		    "\"constituencies\": {\"na\": \"NA-1\", \"prov\": \"P-1\"}",
		    "\"constituencies\": {\"na\": \"NA-1\", \"prov\": \"P-1\", "
		    "\"dist\": \"D-1\"}", TLY_E_DEFINITION,
		    "areas[0].constituencies.dist: unknown name" },
		{ "constituency without areas", "\"constituencies\": [\n",
		    "\"constituencies\": [{\"id\": \"P-3\", \"level\": "
		    "\"prov\", \"name\": \"x\", \"seats\": 1, "
		    "\"candidates\": [{\"id\": \"a\", \"name\": \"A\", "
		    "\"born\": \"1980-01-01\"}, {\"id\": \"b\", \"name\": "
		    "\"B\", \"born\": \"1980-01-01\"}]},\n", TLY_E_DEFINITION,
		    "constituencies[0]: no polling area belongs to 'P-3'" },
		{ "NA seats above 3", "\"seats\": 2", "\"seats\": 4",
		    TLY_E_DEFINITION, "constituencies[0].seats: 4 seats, "
		    "must be 1 to 3" },
		{ "bad date", "\"2021-05-23\"", "\"2021-02-29\"",
		    TLY_E_DEFINITION, "date: not a date" },
		{ "bad birth date", "\"1972-03-14\"", "\"1972-3-14\"",
		    TLY_E_DEFINITION,
		    "constituencies[0].candidates[0].born: not a date" },
		{ "unknown rules", "\"law-2015\"", "\"law-2030\"",
		    TLY_E_DEFINITION, "rules: unknown rules 'law-2030'" },
		{ "threshold above 100", "\"invalid_warn_percent\": 10",
		    "\"invalid_warn_percent\": 101", TLY_E_DEFINITION,
		    "invalid_warn_percent: 101 is above 100" },
		{ "bad id characters", "\"id\": \"A03\"", "\"id\": \"A 03\"",
		    TLY_E_DEFINITION, "areas[2].id: not an id" },
		{ "registered not an integer", "\"na\": 1180",
		    "\"na\": 1180.5", TLY_E_DEFINITION,
		    "areas[0].registered.na: not an integer" },
		{ "empty path", "[\"Tỉnh Thái Nguyên\", \"Thành phố Thái "
		    "Nguyên\", \"Phường Đồng Quang\"]", "[]", TLY_E_DEFINITION,
		    "areas[0].path: empty" },
		{ "second NA level", "\"kind\": \"council\"",
		    "\"kind\": \"na\"", TLY_E_DEFINITION,
		    "levels[1].kind: a second level of kind 'na'" },
		{ "round kind", "\"kind\": \"first\"", "\"kind\": \"third\"",
		    TLY_E_DEFINITION, "rounds[0].kind: not " },
		{ "round area unknown", "{\"round\": 1, \"kind\": \"first\"}",
		    "{\"round\": 2, \"kind\": \"reelection\", \"area\": "
		    "\"A77\"}", TLY_E_DEFINITION,
		    "rounds[0].area: unknown area 'A77'" },
		{ "trailing garbage", "\n}\n", "\n}\n}", TLY_E_DEFINITION,
		    NULL },
	};
	struct tly_election	*e;
	char			*t;
	size_t			 i, len;
	int			 rv;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		t = edit_text(k[i].from, k[i].to, &len);
		e = (struct tly_election *)1;
		tly_errclear();
		rv = tly_election_parse(t, len, &e);
		if (rv != k[i].code)
			fail_msg("case '%s': got %d (%s), want %d", k[i].what,
			    rv, tly_errdetail(), k[i].code);
		assert_null(e);
		if (k[i].detail != NULL && strncmp(tly_errdetail(),
		    k[i].detail, strlen(k[i].detail)) != 0)
			fail_msg("case '%s': detail '%s', want '%s...'",
			    k[i].what, tly_errdetail(), k[i].detail);
		free(t);
	}
}

static void
test_definition_rules_limit_levels(void **state)
{
	static const char levels[] =
	    "\"levels\": [\n"
	    "    {\"id\": \"na\", \"name\": \"Quốc hội\", \"kind\": \"na\"},\n"
	    "    {\"id\": \"prov\", \"name\": \"Hội đồng nhân dân tỉnh\", "
	    "\"kind\": \"council\"}\n"
	    "  ]";
	static const char four[] =
	    "\"levels\": [{\"id\": \"na\", \"name\": \"a\", \"kind\": \"na\"}, "
	    "{\"id\": \"prov\", \"name\": \"b\", \"kind\": \"council\"}, "
	    "{\"id\": \"dist\", \"name\": \"c\", \"kind\": \"council\"}, "
	    "{\"id\": \"comm\", \"name\": \"d\", \"kind\": \"council\"}]";
	struct tly_election	*e = NULL;
	char			*t, *u;
	size_t			 len, ulen;
	const char		*save;

	/* Four levels: allowed by law-2015 (then areas lack levels) ... */
	t = edit_text(levels, four, &len);
	assert_int_equal(tly_election_parse(t, len, &e), TLY_E_DEFINITION);
	assert_non_null(strstr(tly_errdetail(),
	    "areas[0].constituencies.dist: missing"));
	/* ... but not by amend-2025. */
	save = E_text;
	E_text = t;
	E_len = len;
	u = edit_text("\"law-2015\"", "\"amend-2025\"", &ulen);
	E_text = (char *)save;
	E_len = strlen(E_text);
	assert_int_equal(tly_election_parse(u, ulen, &e), TLY_E_DEFINITION);
	assert_non_null(strstr(tly_errdetail(),
	    "levels: 4 entries, at most 3"));
	free(u);
	free(t);

	/* The small election itself is fine under amend-2025. */
	t = edit_text("\"law-2015\"", "\"amend-2025\"", &len);
	assert_int_equal(tly_election_parse(t, len, &e), TLY_OK);
	tly_election_free(e);
	free(t);
}

static void
test_definition_council_candidate_minimums(void **state)
{
	/* P-2: 2 seats and 4 candidates; councils need seats + 1 for 1-2
	 * seats, + 2 for 3, + 3 for 4-5. */
	static const struct {
		const char	*seats;
		int		 ok;
	} k[] = {
		{ "\"seats\": 1", 1 },	/* 4 >= 2 */
		{ "\"seats\": 3", 0 },	/* 4 < 5 */
		{ "\"seats\": 6", 0 },	/* above 5 */
	};
	static const char from[] = "\"level\": \"prov\", \"name\": "
	    "\"Đơn vị bầu cử số 2 (tỉnh)\", \"seats\": 2";
	struct tly_election	*e = NULL;
	char			 to[256], *t;
	size_t			 i, len;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		snprintf(to, sizeof(to), "\"level\": \"prov\", \"name\": "
		    "\"Đơn vị bầu cử số 2 (tỉnh)\", %s", k[i].seats);
		t = edit_text(from, to, &len);
		assert_int_equal(tly_election_parse(t, len, &e),
		    k[i].ok ? TLY_OK : TLY_E_DEFINITION);
		if (!k[i].ok)
			assert_non_null(strstr(tly_errdetail(),
			    "constituencies[2]"));
		tly_election_free(e);
		e = NULL;
		free(t);
	}
}

static void
test_definition_remote_flag(void **state)
{
	static const char from[] = "\"path\": [\"Tỉnh Thái Nguyên\", "
	    "\"Huyện Đại Từ\", \"Xã Phú Xuyên\"],";
	struct tly_election	*e = NULL;
	char			 to[256], *t;
	size_t			 len;

	/* Not a boolean: always refused, naming the path. */
	snprintf(to, sizeof(to), "%s \"remote\": 1,", from);
	t = edit_text(from, to, &len);
	assert_int_equal(tly_election_parse(t, len, &e), TLY_E_DEFINITION);
	assert_non_null(strstr(tly_errdetail(), "areas[9].remote"));
	free(t);

	snprintf(to, sizeof(to), "%s \"remote\": true,", from);
	t = edit_text(from, to, &len);
	assert_int_equal(tly_election_parse(t, len, &e), TLY_OK);
	tly_election_free(e);
	free(t);
}

/*
 * A larger definition, written in reverse id order: sorting and binary
 * search must find every area and constituency.
 */
static void
test_definition_many_areas_sorted(void **state)
{
	enum { NCONS = 400, PER = 5 };
	struct tly_buf		 b;
	struct tly_election	*e = NULL;
	char			 id[32];
	size_t			 i, j;
	long			 x;

	tly_buf_init(&b, 16 * 1024 * 1024);
	assert_int_equal(tly_buf_addstr(&b, "{\"format\": \"tally-election/1\","
	    "\"id\": \"big\", \"name\": \"big\", \"date\": \"2026-03-15\","
	    "\"rules\": \"amend-2025\", \"levels\": [{\"id\": \"c\", "
	    "\"name\": \"commune\", \"kind\": \"council\"}],"
	    "\"constituencies\": ["), TLY_OK);
	for (i = NCONS; i-- > 0;)
		assert_int_equal(tly_buf_addf(&b, "%s{\"id\": \"K%04zu\", "
		    "\"level\": \"c\", \"name\": \"k\", \"seats\": 1, "
		    "\"candidates\": [{\"id\": \"b\", \"name\": \"B\", "
		    "\"born\": \"1980-01-01\"}, {\"id\": \"a\", \"name\": "
		    "\"A\", \"born\": \"1980-01-02\"}]}",
		    i == NCONS - 1 ? "" : ",", i), TLY_OK);
	assert_int_equal(tly_buf_addstr(&b, "], \"areas\": ["), TLY_OK);
	for (i = NCONS * PER; i-- > 0;)
		assert_int_equal(tly_buf_addf(&b, "%s{\"id\": \"A%05zu\", "
		    "\"name\": \"a\", \"path\": [\"p\", \"c\"], "
		    "\"constituencies\": {\"c\": \"K%04zu\"}, "
		    "\"registered\": {\"c\": %zu}}",
		    i == NCONS * PER - 1 ? "" : ",", i, i / PER, 400 + i),
		    TLY_OK);
	assert_int_equal(tly_buf_addstr(&b, "]}"), TLY_OK);

	if (tly_election_parse(b.p, b.len, &e) != TLY_OK)
		fail_msg("%s", tly_errdetail());
	assert_int_equal(tly_election_nareas(e), NCONS * PER);
	assert_int_equal(tly_election_nconstituencies(e), NCONS);
	for (i = 0; i < NCONS * PER; i++) {
		snprintf(id, sizeof(id), "A%05zu", i);
		x = tly_election_find_area(e, id);
		assert_int_equal(x, (long)i);
		assert_string_equal(tly_area_id(e, i), id);
		assert_int_equal(tly_area_registered(e, i, "c"), 400 + i);
		snprintf(id, sizeof(id), "K%04zu", i / PER);
		assert_string_equal(tly_area_constituency(e, i, "c"), id);
	}
	for (j = 0; j < NCONS; j++) {
		snprintf(id, sizeof(id), "K%04zu", j);
		assert_int_equal(tly_election_find_constituency(e, id),
		    (long)j);
		assert_int_equal(tly_constituency_nareas(e, j), PER);
		assert_string_equal(tly_constituency_candidate(e, j, 0), "a");
		assert_string_equal(tly_constituency_candidate(e, j, 1), "b");
	}
	assert_int_equal(tly_election_find_area(e, "A99999"), -1);
	assert_int_equal(tly_election_find_area(e, "A"), -1);
	tly_election_free(e);
	tly_buf_free(&b);
}

/* ---- record JSON -------------------------------------------------------- */

/* Serialise r into a new string. */
static char *
to_json(const struct tly_record *r, size_t *lenp)
{
	struct tly_buf	 b;
	struct tly_jw	 w;
	char		*s;

	tly_buf_init(&b, 1024 * 1024);
	tly_jw_init(&w, &b);
	tly_record_to_json(r, &w);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	s = strndup((const char *)b.p, b.len);
	assert_non_null(s);
	*lenp = b.len;
	tly_buf_free(&b);
	return s;
}

/* Compare two records field by field. */
static void
assert_records_equal(const struct tly_record *a, const struct tly_record *b)
{
	size_t	 i;

	assert_string_equal(a->area, b->area);
	assert_string_equal(a->level, b->level);
	assert_string_equal(a->constituency, b->constituency);
	assert_int_equal(a->round, b->round);
	assert_int_equal(a->registered, b->registered);
	assert_int_equal(a->voted, b->voted);
	assert_int_equal(a->issued, b->issued);
	assert_int_equal(a->received, b->received);
	assert_int_equal(a->valid, b->valid);
	assert_int_equal(a->invalid, b->invalid);
	assert_int_equal(a->nvotes, b->nvotes);
	for (i = 0; i < a->nvotes; i++) {
		assert_string_equal(a->votes[i].cand, b->votes[i].cand);
		assert_int_equal(a->votes[i].votes, b->votes[i].votes);
	}
	assert_int_equal(a->nmarks, b->nmarks);
	for (i = 0; i < a->nmarks; i++)
		assert_int_equal(a->marks[i], b->marks[i]);
	assert_int_equal(a->has_complaints, b->has_complaints);
	assert_int_equal(a->c_received, b->c_received);
	assert_int_equal(a->c_settled, b->c_settled);
	assert_int_equal(a->c_forwarded, b->c_forwarded);
	if (a->c_outcome == NULL || b->c_outcome == NULL)
		assert_ptr_equal(a->c_outcome, b->c_outcome);
	else
		assert_string_equal(a->c_outcome, b->c_outcome);
	for (i = 0; i < TLY_WARN_COUNT; i++)
		if (a->explanations[i] == NULL || b->explanations[i] == NULL)
			assert_ptr_equal(a->explanations[i],
			    b->explanations[i]);
		else
			assert_string_equal(a->explanations[i],
			    b->explanations[i]);
	assert_int_equal(a->has_photo, b->has_photo);
	assert_memory_equal(a->photo, b->photo, sizeof(a->photo));
	if (a->note == NULL || b->note == NULL)
		assert_ptr_equal(a->note, b->note);
	else
		assert_string_equal(a->note, b->note);
}

static void
test_record_json_round_trip(void **state)
{
	struct tly_record	 r, s;
	char			*j1, *j2;
	size_t			 i, l1, l2;

	/* Every optional field, with text that needs escaping. */
	base_record(&r);
	r.has_complaints = 1;
	r.c_received = 3;
	r.c_settled = 2;
	r.c_forwarded = 1;
	r.c_outcome = strdup("Hai khiếu nại đã giải quyết; một chuyển "
	    "\"Ban bầu cử\".\nXong.");
	r.explanations[0] = strdup("W1 text");
	r.explanations[6] = strdup("nộp muộn\tdo mưa lũ");
	r.has_photo = 1;
	for (i = 0; i < sizeof(r.photo); i++)
		r.photo[i] = (uint8_t)(i * 7 + 1);
	r.note = strdup("Tổ trưởng: Nguyễn Văn An \\ thư ký: Lê Thị Bình");
	r.registered = 9007199254740991ULL;

	j1 = to_json(&r, &l1);
	tly_record_init(&s);
	if (tly_record_parse(j1, l1, &s) != TLY_OK)
		fail_msg("%s: %s", j1, tly_errdetail());
	assert_records_equal(&r, &s);
	j2 = to_json(&s, &l2);
	assert_int_equal(l1, l2);
	assert_string_equal(j1, j2);
	tly_record_finish(&s);
	free(j1);
	free(j2);

	/* And the bare minimum. */
	tly_record_finish(&r);
	base_record(&r);
	r.nmarks = 0;
	j1 = to_json(&r, &l1);
	tly_record_init(&s);
	assert_int_equal(tly_record_parse(j1, l1, &s), TLY_OK);
	assert_records_equal(&r, &s);
	tly_record_finish(&s);
	tly_record_finish(&r);
	free(j1);
}

static void
test_record_json_canonical_order(void **state)
{
	static const char in[] =
	    "{\"note\": \"n\", \"photo\": \"" "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef\", \"explanations\": "
	    "{\"W3\": \"c\", \"W1\": \"a\"}, \"complaints\": {\"outcome\": "
	    "\"o\", \"forwarded\": 0, \"settled\": 1, \"received\": 1}, "
	    "\"marks\": [1, 2], \"votes\": {\"z\": 1, \"a\": 2}, "
	    "\"invalid\": 1, \"valid\": 2, \"received\": 3, \"issued\": 4, "
	    "\"voted\": 5, \"registered\": 6, \"round\": 1, "
	    "\"constituency\": \"K\", \"level\": \"L\", \"area\": \"A\"}";
	static const char want[] =
	    "{\"area\":\"A\",\"level\":\"L\",\"constituency\":\"K\","
	    "\"round\":1,\"registered\":6,\"voted\":5,\"issued\":4,"
	    "\"received\":3,\"valid\":2,\"invalid\":1,"
	    "\"votes\":{\"z\":1,\"a\":2},\"marks\":[1,2],"
	    "\"complaints\":{\"received\":1,\"settled\":1,\"forwarded\":0,"
	    "\"outcome\":\"o\"},\"explanations\":{\"W1\":\"a\",\"W3\":\"c\"},"
	    "\"photo\":\"0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef\",\"note\":\"n\"}";
	struct tly_record	 r;
	char			*j;
	size_t			 len;

	tly_record_init(&r);
	if (tly_record_parse(in, strlen(in), &r) != TLY_OK)
		fail_msg("%s", tly_errdetail());
	j = to_json(&r, &len);
	assert_string_equal(j, want);
	free(j);
	tly_record_finish(&r);
}

/* One record the parser must refuse, and a word its detail must hold. */
struct rec_case {
	const char	*what;		/* description */
	const char	*from;		/* text of the base JSON replaced */
	const char	*to;		/* replacement */
	const char	*detail;	/* substring of the detail */
};

static void
test_record_parser_rejects(void **state)
{
	static const char base[] =
	    "{\"area\": \"A01\", \"level\": \"na\", \"constituency\": \"NA-1\", "
	    "\"round\": 1, \"registered\": 1180, \"voted\": 990, "
	    "\"issued\": 990, \"received\": 990, \"valid\": 975, "
	    "\"invalid\": 15, \"votes\": {\"NA1.1\": 600, \"NA1.2\": 550, "
	    "\"NA1.3\": 400, \"NA1.4\": 300}, \"marks\": [100, 875], "
	    "\"complaints\": {\"received\": 0, \"settled\": 0, "
	    "\"forwarded\": 0}, \"note\": \"ok\"}";
	static const struct rec_case k[] = {
		{ "fractional number", "\"valid\": 975", "\"valid\": 975.5",
		    "valid" },
		{ "negative number", "\"invalid\": 15", "\"invalid\": -15",
		    "invalid" },
		{ "2^53", "\"registered\": 1180",
		    "\"registered\": 9007199254740992", "registered" },
		{ "number as a string", "\"voted\": 990", "\"voted\": \"990\"",
		    "voted" },
		{ "unknown field", "\"note\": \"ok\"",
		    "\"note\": \"ok\", \"turnout\": 99", "turnout" },
		{ "duplicate key", "\"valid\": 975",
		    "\"valid\": 975, \"valid\": 975", "valid" },
		{ "duplicate candidate", "\"NA1.4\": 300",
		    "\"NA1.4\": 300, \"NA1.4\": 300", "NA1.4" },
		{ "bad id characters", "\"area\": \"A01\"",
		    "\"area\": \"A/01\"", "area" },
		{ "id too long", "\"area\": \"A01\"", "\"area\": \""
		    "A123456789" "0123456789" "0123456789" "0123456789"
		    "0123456789" "0123456789" "01234\"", "area" },	/* 65 */
		{ "bad candidate id", "\"NA1.4\": 300", "\"NA 1.4\": 300",
		    "votes" },
		{ "control character in text", "\"note\": \"ok\"",
		    "\"note\": \"o\\u0001k\"", "note" },
		{ "empty text", "\"note\": \"ok\"", "\"note\": \"\"", "note" },
		{ "missing field", "\"issued\": 990, ", "", "issued" },
		{ "missing votes", "\"votes\": {\"NA1.1\": 600, \"NA1.2\": 550, "
		    "\"NA1.3\": 400, \"NA1.4\": 300}, ", "", "votes" },
		{ "votes not an object", "\"votes\": {\"NA1.1\": 600, "
		    "\"NA1.2\": 550, \"NA1.3\": 400, \"NA1.4\": 300}",
		    "\"votes\": [600, 550]", "votes" },
		{ "round 0", "\"round\": 1", "\"round\": 0", "round" },
		{ "empty marks", "[100, 875]", "[]", "marks" },
		{ "marks over 16", "[100, 875]",
		    "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]", "marks" },
		{ "fractional mark", "[100, 875]", "[100, 875.25]",
		    "marks[1]" },
		{ "complaints incomplete", "\"forwarded\": 0", "\"other\": 0",
		    "complaints" },
		{ "explanation for W8", "\"note\": \"ok\"",
		    "\"explanations\": {\"W8\": \"x\"}", "W8" },
		{ "photo in uppercase hex", "\"note\": \"ok\"",
		    "\"photo\": \"0123456789ABCDEF0123456789abcdef"
		    "0123456789abcdef0123456789abcdef\"", "photo" },
		{ "photo too short", "\"note\": \"ok\"",
		    "\"photo\": \"0123\"", "photo" },
		{ "trailing garbage", "\"note\": \"ok\"}",
		    "\"note\": \"ok\"} {}", "" },
	};
	struct tly_record	 r;
	char			 buf[2048];
	const char		*at;
	size_t			 i, pre;
	int			 rv;

	tly_record_init(&r);
	assert_int_equal(tly_record_parse(base, strlen(base), &r), TLY_OK);
	tly_record_finish(&r);

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		at = strstr(base, k[i].from);
		if (at == NULL)
			fail_msg("case '%s': '%s' not in the base", k[i].what,
			    k[i].from);
		pre = (size_t)(at - base);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)pre, base, k[i].to,
		    at + strlen(k[i].from));
		tly_record_init(&r);
		r.note = strdup("to be freed");
		tly_errclear();
		rv = tly_record_parse(buf, strlen(buf), &r);
		if (rv == TLY_OK)
			fail_msg("case '%s' accepted: %s", k[i].what, buf);
		if (strstr(tly_errdetail(), k[i].detail) == NULL)
			fail_msg("case '%s': detail '%s' lacks '%s'",
			    k[i].what, tly_errdetail(), k[i].detail);
		/* A refused record is left empty. */
		assert_null(r.note);
		assert_int_equal(r.nvotes, 0);
		tly_record_finish(&r);
	}
}

static void
test_record_from_json_names_prefix(void **state)
{
	static const char in[] = "{\"records\": [{\"area\": \"A01\"}]}";
	struct tly_json		*root = NULL;
	struct tly_record	 r;

	assert_int_equal(tly_json_parse(in, strlen(in), &root), TLY_OK);
	tly_record_init(&r);
	assert_int_not_equal(tly_record_from_json(tly_json_first(
	    tly_json_get(root, "records")), "records[0]", &r), TLY_OK);
	assert_non_null(strstr(tly_errdetail(), "records[0].level"));
	tly_record_finish(&r);
	tly_json_free(root);

	/* The top level must be an object. */
	tly_record_init(&r);
	assert_int_not_equal(tly_record_parse("[]", 2, &r), TLY_OK);
	assert_int_not_equal(tly_record_parse("1", 1, &r), TLY_OK);
}

/* ---- checks that need more than one record, and W5-W7 ------------------ */

/* Parse a variant of the small election; fails the test on error. */
static struct tly_election *
parse_variant(const char *from, const char *to)
{
	struct tly_election	*e = NULL;
	char			*t;
	size_t			 len;

	t = edit_text(from, to, &len);
	if (tly_election_parse(t, len, &e) != TLY_OK)
		fail_msg("variant '%s': %s", to, tly_errdetail());
	free(t);
	return e;
}

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
		assert_true(tly_election_deadline(e, 1, &t));
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
	assert_false(tly_election_deadline(E, 1, &t));
	base_record(&r);
	tly_check_ctx_init(&ctx, UINT64_C(4000000000));
	assert_false(raises(E, &r, &ctx, "W7"));
	tly_record_finish(&r);

	/* A round's own deadline. */
	e = parse_variant("{\"round\": 1, \"kind\": \"first\"}",
	    "{\"round\": 1, \"kind\": \"first\"}, {\"round\": 2, "
	    "\"kind\": \"reelection\", \"area\": \"A01\", "
	    "\"deadline\": \"2021-06-10T00:00:00Z\"}");
	assert_false(tly_election_deadline(e, 1, &t));
	assert_true(tly_election_deadline(e, 2, &t));
	assert_int_equal(t, 1623283200ULL);
	tly_election_free(e);
}

static void
test_definition_rounds_are_checked(void **state)
{
	static const struct {
		const char	*what;
		const char	*rounds;
		const char	*detail;
	} k[] = {
		{ "additional without constituency",
		    "{\"round\": 2, \"kind\": \"additional\"}",
		    "rounds[0]: an additional election names" },
		{ "round 2 as first", "{\"round\": 2, \"kind\": \"first\"}",
		    "rounds[0].kind: round 1 is the first round" },
		{ "round 1 as re-election",
		    "{\"round\": 1, \"kind\": \"reelection\", \"area\": \"A01\"}",
		    "rounds[0].kind: round 1 is the first round" },
		{ "re-election naming nothing",
		    "{\"round\": 2, \"kind\": \"reelection\"}",
		    "rounds[0]: a re-election names" },
		{ "additional twice (Art. 79)",
		    "{\"round\": 2, \"kind\": \"additional\", \"constituency\": "
		    "\"P-1\"}, {\"round\": 3, \"kind\": \"additional\", "
		    "\"constituency\": \"P-1\"}",
		    "rounds[1]: a second additional election for 'P-1'" },
		{ "two entries for one area",
		    "{\"round\": 2, \"kind\": \"reelection\", \"constituency\": "
		    "\"P-1\"}, {\"round\": 2, \"kind\": \"reelection\", "
		    "\"area\": \"A01\"}", "rounds[1]: round 2 already covers" },
		{ "area not in the constituency",
		    "{\"round\": 2, \"kind\": \"reelection\", \"constituency\": "
		    "\"P-2\", \"area\": \"A01\"}",
		    "rounds[0].area: area 'A01' does not belong" },
		{ "bad deadline",
		    "{\"round\": 1, \"kind\": \"first\", \"deadline\": "
		    "\"2021-05-26 17:00\"}", "rounds[0].deadline: not Unix" },
	};
	struct tly_election	*e = NULL;
	char			*t;
	size_t			 i, len;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		t = edit_text("{\"round\": 1, \"kind\": \"first\"}",
		    k[i].rounds, &len);
		if (tly_election_parse(t, len, &e) != TLY_E_DEFINITION)
			fail_msg("case '%s' parsed", k[i].what);
		if (strncmp(tly_errdetail(), k[i].detail,
		    strlen(k[i].detail)) != 0)
			fail_msg("case '%s': detail '%s'", k[i].what,
			    tly_errdetail());
		free(t);
	}
	/* Additional elections in two constituencies, same number: fine. */
	e = parse_variant("{\"round\": 1, \"kind\": \"first\"}",
	    "{\"round\": 2, \"kind\": \"additional\", \"constituency\": "
	    "\"P-1\"}, {\"round\": 2, \"kind\": \"additional\", "
	    "\"constituency\": \"P-2\"}");
	assert_int_equal(tly_election_nrounds(e), 2);
	assert_int_equal(tly_round_kind(e, 1), TLY_ROUND_ADDITIONAL);
	assert_int_equal(tly_round_constituency(e, 1),
	    tly_election_find_constituency(e, "P-2"));
	assert_int_equal(tly_election_round_covers(e, 2,
	    (size_t)tly_election_find_area(e, "A06"), 1),
	    TLY_ROUND_ADDITIONAL);
	assert_int_equal(tly_election_round_covers(e, 2,
	    (size_t)tly_election_find_area(e, "A06"), 0), -1);
	tly_election_free(e);
}

/* Collects validation reports. */
struct reports {
	size_t	 n;		/* reports seen */
	char	 all[4096];	/* them, one per line */
};

/* tly_election_validate() callback. */
static void
collect(void *arg, const char *msg)
{
	struct reports	*rp = arg;
	size_t		 len = strlen(rp->all);

	rp->n++;
	snprintf(rp->all + len, sizeof(rp->all) - len, "%s\n", msg);
}

static void
test_definition_validate_reports_every_error(void **state)
{
	struct reports	 rep;
	char		*t, *u;
	size_t		 len, ulen;
	const char	*save;

	/* Valid: nothing reported. */
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(tly_election_validate(E_text, E_len, collect, &rep),
	    TLY_OK);
	assert_int_equal(rep.n, 0);

	/* Three errors in three places: all three reported. */
	t = edit_text("\"constituencies\": {\"na\": \"NA-1\", \"prov\": "
	    "\"P-1\"}", "\"constituencies\": {\"na\": \"NA-1\"}", &len);
	save = E_text;
	E_text = t;
	E_len = len;
	u = edit_text("\"seats\": 2", "\"seats\": 3", &ulen);
	free(t);
	E_text = u;
	E_len = ulen;
	t = edit_text("\"id\": \"A05\"", "\"id\": \"A04\"", &len);
	E_text = (char *)save;
	E_len = strlen(E_text);
	free(u);
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(tly_election_validate(t, len, collect, &rep),
	    TLY_E_DEFINITION);
	assert_int_equal(rep.n, 3);
	assert_non_null(strstr(rep.all, "constituencies[0].candidates: 4 "
	    "candidates for 3 seats, at least 5 required\n"));
	assert_non_null(strstr(rep.all,
	    "areas[0].constituencies.prov: missing"));
	assert_non_null(strstr(rep.all, "areas[4].id: duplicate area id "
	    "'A04' (also areas[3])\n"));
	/* The first-error parser stops at the first. */
	assert_int_equal(tly_election_parse(t, len,
	    &(struct tly_election *){NULL}), TLY_E_DEFINITION);
	free(t);

	/* A future format: one report, TLY_E_VERSION. */
	t = edit_text("\"tally-election/1\"", "\"tally-election/2\"", &len);
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(tly_election_validate(t, len, collect, &rep),
	    TLY_E_VERSION);
	assert_int_equal(rep.n, 1);
	free(t);
}

static void
test_definition_new_accessors(void **state)
{
	long	 c, a;

	assert_string_equal(tly_election_name(E), "Bầu cử đại biểu Quốc hội "
	    "khóa XV và đại biểu Hội đồng nhân dân tỉnh (mẫu nhỏ)");
	assert_string_equal(tly_election_date(E), "2021-05-23");
	assert_string_equal(tly_election_rules(E), "law-2015");
	assert_int_equal(tly_election_find_level(E, "prov"), 1);
	assert_int_equal(tly_election_find_level(E, "dist"), -1);
	assert_int_equal(tly_level_kind(E, 0), TLY_LEVEL_NA);
	assert_int_equal(tly_level_kind(E, 1), TLY_LEVEL_COUNCIL);
	assert_string_equal(tly_level_name(E, 0), "Quốc hội");
	c = tly_election_find_constituency(E, "NA-1");
	assert_true(c >= 0);
	assert_string_equal(tly_constituency_name(E, (size_t)c),
	    "Đơn vị bầu cử số 1 (Quốc hội)");
	assert_int_equal(tly_constituency_level_index(E, (size_t)c), 0);
	assert_int_equal(tly_constituency_find_candidate(E, (size_t)c,
	    "NA1.2"), 1);
	assert_string_equal(tly_candidate_name(E, (size_t)c, 1),
	    "Trần Văn Minh");
	assert_string_equal(tly_candidate_born(E, (size_t)c, 1), "1968-11-02");
	a = tly_election_find_area(E, "A06");
	assert_int_equal(tly_area_npath(E, (size_t)a), 3);
	assert_string_equal(tly_area_path(E, (size_t)a, 1), "Huyện Đại Từ");
	assert_int_equal(tly_area_remote(E, (size_t)a), 0);
	assert_int_equal(tly_area_constituency_index(E, (size_t)a, 1),
	    tly_election_find_constituency(E, "P-2"));
	assert_int_equal(tly_election_round_covers(E, 1, (size_t)a, 0),
	    TLY_ROUND_FIRST);
	assert_int_equal(tly_election_round_covers(E, 2, (size_t)a, 0), -1);
}

static void
test_record_supersedes(void **state)
{
	static const char id1[] = "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff:0";
	static const char id2[] = "ffeeddccbbaa99887766554433221100"
	    "ffeeddccbbaa99887766554433221100:255";
	static const char *const bad[] = {
		"[]",
		"\"x\"",
		"[\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"]",
		"[\"00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff:1\"]",
		"[\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:01\"]",
		"[\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:256\"]",
		"[\"0011:1\"]",
		"[1]",
	};
	struct tly_record	 r, s;
	struct tly_buf		 b;
	struct tly_jw		 w;
	char			 text[4096];
	char			*j1, *j2;
	size_t			 i, l1, l2;

	base_record(&r);
	strcpy(r.supersedes[0], id1);
	strcpy(r.supersedes[1], id2);
	r.nsupersedes = 2;
	r.note = strdup("sửa lỗi nhập");
	j1 = to_json(&r, &l1);
	/* Last, after "note". */
	assert_non_null(strstr(j1, "\"note\":\"sửa lỗi nhập\",\"supersedes\":"
	    "[\"00112233445566778899aabbccddeeff00112233445566778899aabbcc"
	    "ddeeff:0\",\"ffeeddccbbaa99887766554433221100ffeeddccbbaa9988"
	    "7766554433221100:255\"]}"));
	tly_record_init(&s);
	if (tly_record_parse(j1, l1, &s) != TLY_OK)
		fail_msg("%s", tly_errdetail());
	assert_int_equal(s.nsupersedes, 2);
	assert_string_equal(s.supersedes[0], id1);
	assert_string_equal(s.supersedes[1], id2);
	j2 = to_json(&s, &l2);
	assert_string_equal(j1, j2);
	free(j1);
	free(j2);
	tly_record_finish(&s);

	/* 16 is the most. */
	for (i = 0; i < TLY_SUPERSEDES_MAX; i++)
		snprintf(r.supersedes[i], sizeof(r.supersedes[i]), "%.64s:%zu",
		    id1, i);
	r.nsupersedes = TLY_SUPERSEDES_MAX;
	j1 = to_json(&r, &l1);
	tly_record_init(&s);
	assert_int_equal(tly_record_parse(j1, l1, &s), TLY_OK);
	assert_int_equal(s.nsupersedes, TLY_SUPERSEDES_MAX);
	tly_record_finish(&s);
	/* 17 is too many: splice one more id in by hand. */
	j1[l1 - 2] = '\0';
	snprintf(text, sizeof(text), "%s,\"%.64s:99\"]}", j1, id1);
	assert_int_equal(tly_record_parse(text, strlen(text), &s),
	    TLY_E_JSON);
	assert_non_null(strstr(tly_errdetail(), "supersedes: 17 entries"));
	free(j1);

	/* Malformed values; and the same id twice. */
	r.nsupersedes = 0;
	tly_buf_init(&b, 65536);
	tly_jw_init(&w, &b);
	tly_record_to_json(&r, &w);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%.*s,\"supersedes\":%s}",
		    (int)b.len - 1, (const char *)b.p, bad[i]);
		if (tly_record_parse(text, strlen(text), &s) != TLY_E_JSON)
			fail_msg("accepted supersedes %s", bad[i]);
		assert_non_null(strstr(tly_errdetail(), "supersedes"));
	}
	snprintf(text, sizeof(text), "%.*s,\"supersedes\":[\"%s\",\"%s\"]}",
	    (int)b.len - 1, (const char *)b.p, id1, id1);
	assert_int_equal(tly_record_parse(text, strlen(text), &s), TLY_E_JSON);
	assert_non_null(strstr(tly_errdetail(), "given twice"));
	tly_buf_free(&b);
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
		cmocka_unit_test(test_W_unneeded_explanation_is_accepted),
		cmocka_unit_test(test_W_full_turnout_never_warns),
		cmocka_unit_test(test_check_never_overflows),
		cmocka_unit_test(test_check_caps_problem_list),
		cmocka_unit_test(test_vectors_records_small_pass),
		cmocka_unit_test(test_definition_accessors),
		cmocka_unit_test(test_definition_errors_name_the_path),
		cmocka_unit_test(test_definition_rules_limit_levels),
		cmocka_unit_test(test_definition_council_candidate_minimums),
		cmocka_unit_test(test_definition_remote_flag),
		cmocka_unit_test(test_definition_many_areas_sorted),
		cmocka_unit_test(test_record_json_round_trip),
		cmocka_unit_test(test_record_json_canonical_order),
		cmocka_unit_test(test_record_parser_rejects),
		cmocka_unit_test(test_record_from_json_names_prefix),
		cmocka_unit_test(test_H9_round_must_cover_the_area),
		cmocka_unit_test(test_W4_voted_differs_between_levels),
		cmocka_unit_test(test_W5_registered_differs_from_voter_list),
		cmocka_unit_test(test_W6_counts_above_registered_or_area_size),
		cmocka_unit_test(test_W7_submitted_after_deadline),
		cmocka_unit_test(test_definition_rounds_are_checked),
		cmocka_unit_test(test_definition_validate_reports_every_error),
		cmocka_unit_test(test_definition_new_accessors),
		cmocka_unit_test(test_record_supersedes),
	};

	return cmocka_run_group_tests(tests, setup_election,
	    teardown_election);
}
