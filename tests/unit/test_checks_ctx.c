/*
 * test_checks_ctx.c: the checks of PROTOCOL.md 5.1 that need more than
 * one record or a context (H9 rounds, W4-W7), on the small election of
 * election_fixture.h.
 */
#include "checks_fixture.h"

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
		cmocka_unit_test(test_W7_deadline_is_the_records_own_entry),
		cmocka_unit_test(test_W7_round1_deadline_given_once),
		cmocka_unit_test(test_H9_round_must_cover_the_area),
		cmocka_unit_test(test_W4_voted_differs_between_levels),
		cmocka_unit_test(test_W5_registered_differs_from_voter_list),
		cmocka_unit_test(test_W6_counts_above_registered_or_area_size),
		cmocka_unit_test(test_W7_submitted_after_deadline),
	};

	return cmocka_run_group_tests(tests, setup_election,
	    teardown_election);
}
