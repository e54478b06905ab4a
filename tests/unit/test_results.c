/*
 * test_results.c: deciding constituencies (Art. 78-80), one test per
 * article, named after it, on the small election of results_fixture.h.
 * The roll-ups and the results JSON are in test_results_rollup.c.
 */
#include "results_fixture.h"

/* ---- Art. 78 ------------------------------------------------------------- */

/* 78(1): a result needs more than half of the voters to have voted. */
static void
test_art78_1_more_than_half_must_vote(void **state)
{
	struct fx	 f;

	fx_open(&f, NULL, NULL);
	/* 2 * T = 2 * 500 = 1000 <= R = 1000: not recognised. */
	add(&f, "X1", "na", 1, 600, 300, 300, V(200), V(150), V(100), V(50));
	add(&f, "X2", "na", 1, 400, 200, 200, V(150), V(101), V(100), V(50));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "NEEDS_REELECTION");
	/* One more voter: 1002 > 1000. */
	f.rec[1].voted = f.rec[1].issued = f.rec[1].received = 201;
	f.rec[1].invalid = 1;
	compute(&f);
	assert_string_equal(status(&f, "N1"), "DETERMINED");
	assert_int_equal(filled(&f, "N1"), 2);
	cons_has(&f, "N1", "\"winners\":[\"n1\",\"n2\"]");
	fx_close(&f);
}

/* 78(2): eligible means more than half of the valid ballots. */
static void
test_art78_2_eligible_more_than_half(void **state)
{
	struct fx	 f;

	fx_open(&f, NULL, NULL);
	/* W = 1000: n1 501 is eligible, n2 500 is not. */
	add(&f, "X1", "na", 1, 900, 800, 600, V(301), V(300), V(250), V(100));
	add(&f, "X2", "na", 1, 500, 450, 400, V(200), V(200), V(100), V(50));
	compute(&f);
	cons_has(&f, "N1", "{\"id\":\"n1\",\"name\":\"An\",\"born\":"
	    "\"1970-01-01\",\"votes\":501,\"percent_valid\":\"50.10\","
	    "\"eligible\":true,\"elected\":true,\"rank\":1}");
	cons_has(&f, "N1", "{\"id\":\"n2\",\"name\":\"Bình\",\"born\":"
	    "\"1960-01-01\",\"votes\":500,\"percent_valid\":\"50.00\","
	    "\"eligible\":false,\"elected\":false,\"rank\":2}");
	/* NA: one winner for two seats means an additional election. */
	assert_string_equal(status(&f, "N1"), "NEEDS_ADDITIONAL_ELECTION");
	assert_int_equal(filled(&f, "N1"), 1);
	fx_close(&f);
}

/* 78(3): more eligible than seats: the most votes win. */
static void
test_art78_3_more_eligible_than_seats(void **state)
{
	struct fx	 f;

	fx_open(&f, NULL, NULL);
	/* W = 1000; n3 700, n1 650, n2 600 all eligible; 2 seats. */
	add(&f, "X1", "na", 1, 1000, 900, 900, V(600), V(550), V(650), V(0));
	add(&f, "X2", "na", 1, 150, 100, 100, V(50), V(50), V(50), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "DETERMINED");
	cons_has(&f, "N1", "\"winners\":[\"n3\",\"n1\"]");
	cons_has(&f, "N1", "\"id\":\"n2\",\"name\":\"Bình\",\"born\":"
	    "\"1960-01-01\",\"votes\":600,\"percent_valid\":\"60.00\","
	    "\"eligible\":true,\"elected\":false,\"rank\":3}");
	fx_close(&f);
}

/* 78(4): a tie at the cut-off goes to the older candidate. */
static void
test_art78_4_tie_goes_to_older(void **state)
{
	struct fx	 f;
	char		*s;

	fx_open(&f, NULL, NULL);
	/* n3 800; n1 (1970) and n2 (1960) 600 each: n2 is older. */
	add(&f, "X1", "na", 1, 1000, 900, 900, V(500), V(500), V(800), V(0));
	add(&f, "X2", "na", 1, 150, 100, 100, V(100), V(100), V(0), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "DETERMINED");
	s = json(f.res, W_CONS, "N1");
	assert_string_equal(s,
	    "{\"id\":\"N1\",\"name\":\"Đơn vị 1\",\"level\":\"na\","
	    "\"seats\":2,\"seats_filled\":2,\"status\":\"DETERMINED\","
	    "\"winners\":[\"n3\",\"n2\"],\"areas\":2,\"reporting\":2,"
	    "\"registered\":1150,\"voted\":1000,\"turnout\":\"86.96\","
	    "\"valid\":1000,\"invalid\":0,\"round\":1,\"candidates\":["
	    "{\"id\":\"n3\",\"name\":\"Cúc\",\"born\":\"1980-01-01\","
	    "\"votes\":800,\"percent_valid\":\"80.00\",\"eligible\":true,"
	    "\"elected\":true,\"rank\":1},"
	    "{\"id\":\"n2\",\"name\":\"Bình\",\"born\":\"1960-01-01\","
	    "\"votes\":600,\"percent_valid\":\"60.00\",\"eligible\":true,"
	    "\"elected\":true,\"rank\":2},"
	    "{\"id\":\"n1\",\"name\":\"An\",\"born\":\"1970-01-01\","
	    "\"votes\":600,\"percent_valid\":\"60.00\",\"eligible\":true,"
	    "\"elected\":false,\"rank\":3},"
	    "{\"id\":\"n4\",\"name\":\"Dũng\",\"born\":\"1990-01-01\","
	    "\"votes\":0,\"percent_valid\":\"0.00\",\"eligible\":false,"
	    "\"elected\":false,\"rank\":4}],\"disputed_areas\":[]}");
	free(s);
	fx_close(&f);
}

/* 78(4): the same date of birth leaves the tie to a manual decision. */
static void
test_art78_4_same_birthday_manual(void **state)
{
	struct fx	 f;

	fx_open(&f, NULL, "1970-01-01");	/* n2 born the day n1 was */
	add(&f, "X1", "na", 1, 1000, 900, 900, V(500), V(500), V(800), V(0));
	add(&f, "X2", "na", 1, 150, 100, 100, V(100), V(100), V(0), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "MANUAL_TIEBREAK");
	assert_int_equal(filled(&f, "N1"), 1);
	cons_has(&f, "N1", "\"winners\":[\"n3\"]");
	cons_has(&f, "N1", "\"tie\":[\"n1\",\"n2\"]}");
	fx_close(&f);
}

/* ---- Art. 79 ------------------------------------------------------------- */

/* NA: an additional election whenever a seat is unfilled. */
static void
test_art79_na_any_unfilled(void **state)
{
	struct fx	 f;

	fx_open(&f, NULL, NULL);
	/* W = 1000: only n1 (700) is eligible; 1 of 2 seats. */
	add(&f, "X1", "na", 1, 1000, 900, 900, V(600), V(400), V(400), V(300));
	add(&f, "X2", "na", 1, 150, 100, 100, V(100), V(50), V(50), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "NEEDS_ADDITIONAL_ELECTION");
	assert_int_equal(filled(&f, "N1"), 1);
	cons_has(&f, "N1", "\"additional_election\":{\"seats\":1,"
	    "\"candidates\":[\"n2\",\"n3\",\"n4\"]}");
	fx_close(&f);
}

/* Councils: an additional election only under two thirds (3k < 2S). */
static void
test_art79_council_two_thirds(void **state)
{
	struct fx	 f;

	fx_open(&f, NULL, NULL);
	/* W = 1000, 3 seats: c1 600 and c2 550 eligible: 3 * 2 = 6, not
	 * under 2 * 3 = 6, so the third seat stays vacant. */
	add(&f, "X1", "c", 1, 1000, 900, 900, V(550), V(500), V(400),
	    V(400), V(400));
	add(&f, "X2", "c", 1, 150, 100, 100, V(50), V(50), V(50), V(50),
	    V(50));
	compute(&f);
	assert_string_equal(status(&f, "C1"), "DETERMINED");
	assert_int_equal(filled(&f, "C1"), 2);
	/* Only c1 eligible: 3 * 1 < 6, an additional election. */
	f.rec[0].votes[1].votes = 400;
	compute(&f);
	assert_string_equal(status(&f, "C1"), "NEEDS_ADDITIONAL_ELECTION");
	assert_int_equal(filled(&f, "C1"), 1);
	cons_has(&f, "C1", "\"additional_election\":{\"seats\":2,"
	    "\"candidates\":[\"c2\",\"c3\",\"c4\",\"c5\"]}");
	fx_close(&f);
}

/* The additional election chooses among the first round's losers. */
static void
test_art79_additional_round_offers_losers_only(void **state)
{
	struct fx	 f;

	fx_open(&f, "{\"round\": 2, \"kind\": \"additional\", "
	    "\"constituency\": \"C1\"}", NULL);
	/* Round 1: only c1 eligible. */
	add(&f, "X1", "c", 1, 1000, 900, 900, V(600), V(400), V(400),
	    V(400), V(400));
	add(&f, "X2", "c", 1, 150, 100, 100, V(50), V(50), V(50), V(50),
	    V(50));
	compute(&f);
	/* Round 2 announced, no record yet: incomplete, c1 stands. */
	assert_string_equal(status(&f, "C1"), "INCOMPLETE");
	assert_int_equal(filled(&f, "C1"), 1);
	/* Round 2: W = 800; c1's votes (not on the ballot) are ignored;
	 * c4 500 and c2 450 eligible for the 2 missing seats; c3 401 too,
	 * but ranks third. */
	add(&f, "X1", "c", 2, 1000, 700, 700, V(700), V(400), V(400),
	    V(450), V(100));
	add(&f, "X2", "c", 2, 150, 100, 100, V(100), V(50), V(1), V(50),
	    V(0));
	compute(&f);
	assert_string_equal(status(&f, "C1"), "DETERMINED");
	assert_int_equal(filled(&f, "C1"), 3);
	cons_has(&f, "C1", "\"winners\":[\"c1\",\"c4\",\"c2\"]");
	cons_has(&f, "C1", "\"round\":2");
	cons_has(&f, "C1", "{\"id\":\"c1\",\"name\":\"E\",\"born\":"
	    "\"1971-01-01\",\"votes\":0,\"percent_valid\":\"0.00\","
	    "\"eligible\":true,\"elected\":true,\"rank\":1}");
	cons_has(&f, "C1", "{\"id\":\"c3\",\"name\":\"H\",\"born\":"
	    "\"1973-01-01\",\"votes\":401,\"percent_valid\":\"50.13\","
	    "\"eligible\":true,\"elected\":false,\"rank\":4}");
	fx_close(&f);
}

/* An additional election is never repeated: unfilled seats stay vacant. */
static void
test_art79_never_repeated(void **state)
{
	struct fx	 f;

	fx_open(&f, "{\"round\": 2, \"kind\": \"additional\", "
	    "\"constituency\": \"N1\"}", NULL);
	/* Round 1: n1 only. */
	add(&f, "X1", "na", 1, 1000, 900, 900, V(600), V(400), V(400), V(300));
	add(&f, "X2", "na", 1, 150, 100, 100, V(100), V(50), V(50), V(0));
	/* Round 2: nobody above half of 1000. */
	add(&f, "X1", "na", 2, 1000, 900, 900, V(0), V(400), V(400), V(300));
	add(&f, "X2", "na", 2, 150, 100, 100, V(0), V(50), V(50), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "DETERMINED");
	assert_int_equal(filled(&f, "N1"), 1);
	cons_has(&f, "N1", "\"winners\":[\"n1\"]");
	fx_close(&f);
}

/* ---- Art. 80 ------------------------------------------------------------- */

/* Half or fewer voted: a re-election is needed, nobody is elected. */
static void
test_art80_reelection_needed(void **state)
{
	struct fx	 f;

	fx_open(&f, NULL, NULL);
	add(&f, "X1", "na", 1, 1000, 400, 400, V(300), V(300), V(100), V(100));
	add(&f, "X2", "na", 1, 150, 100, 100, V(100), V(50), V(50), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "NEEDS_REELECTION");
	assert_int_equal(filled(&f, "N1"), 0);
	cons_has(&f, "N1", "\"winners\":[]");
	cons_has(&f, "N1", "\"turnout\":\"43.48\"");
	fx_close(&f);
}

/* In a re-election low turnout no longer annuls: the result stands. */
static void
test_art80_reelection_round_low_turnout_recognised(void **state)
{
	struct fx	 f;

	fx_open(&f, "{\"round\": 2, \"kind\": \"reelection\", "
	    "\"constituency\": \"N1\"}", NULL);
	add(&f, "X1", "na", 1, 1000, 400, 400, V(300), V(300), V(100), V(100));
	add(&f, "X2", "na", 1, 150, 100, 100, V(100), V(50), V(50), V(0));
	compute(&f);
	/* Round 2 supersedes round 1 everywhere; none has come yet. */
	assert_string_equal(status(&f, "N1"), "INCOMPLETE");
	add(&f, "X1", "na", 2, 1000, 450, 450, V(300), V(300), V(100),
	    V(100));
	add(&f, "X2", "na", 2, 150, 100, 100, V(100), V(50), V(50), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "RECOGNISED_LOW_TURNOUT");
	assert_int_equal(filled(&f, "N1"), 2);
	cons_has(&f, "N1", "\"winners\":[\"n1\",\"n2\"]");
	cons_has(&f, "N1", "\"voted\":550");
	/* And no additional election follows a re-election. */
	f.rec[2].votes[1].votes = 100;	/* n2: 150 of 550 */
	compute(&f);
	assert_string_equal(status(&f, "N1"), "RECOGNISED_LOW_TURNOUT");
	assert_int_equal(filled(&f, "N1"), 1);
	fx_close(&f);
}

/* A re-election of one polling area supersedes its earlier records. */
static void
test_art80_single_area_reelection_supersedes(void **state)
{
	struct fx	 f;

	fx_open(&f, "{\"round\": 2, \"kind\": \"reelection\", "
	    "\"area\": \"X1\"}", NULL);
	/* X1's round 1 (annulled) would elect n4. */
	add(&f, "X1", "na", 1, 1000, 900, 900, V(0), V(0), V(100), V(900));
	add(&f, "X2", "na", 1, 150, 100, 100, V(100), V(50), V(50), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "INCOMPLETE");
	cons_has(&f, "N1", "\"reporting\":1");
	add(&f, "X1", "na", 2, 1000, 900, 900, V(600), V(500), V(100),
	    V(100));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "DETERMINED");
	cons_has(&f, "N1", "\"winners\":[\"n1\",\"n2\"]");
	cons_has(&f, "N1", "\"round\":2");
	cons_has(&f, "N1", "\"votes\":700");
	/* The council level of X1 is re-elected too (area only). */
	assert_string_equal(status(&f, "C1"), "INCOMPLETE");
	fx_close(&f);
}

/* Round 1: n1 only (600 of 1000), one seat left; additional round 2:
 * 500 of 1150 voted, n2 would pass half of W. */
static void
add_n1_additional(struct fx *f)
{
	add(f, "X1", "na", 1, 1000, 900, 900, V(600), V(400), V(400), V(300));
	add(f, "X2", "na", 1, 150, 100, 100, V(0), V(50), V(50), V(0));
	add(f, "X1", "na", 2, 1000, 450, 450, V(0), V(300), V(100), V(50));
	add(f, "X2", "na", 2, 150, 50, 50, V(0), V(30), V(10), V(10));
}

/*
 * Art. 80 after Art. 79: an additional election with 2*T <= R is not
 * recognised (78(1) exempts only a re-election); a re-election of that
 * additional election stands whatever its turnout.
 */
static void
test_art80_additional_election_low_turnout(void **state)
{
	static const char *const rounds[] = {
		"{\"round\": 2, \"kind\": \"additional\", "
		"\"constituency\": \"N1\"}",
		"{\"round\": 2, \"kind\": \"additional\", "
		"\"constituency\": \"N1\"}, {\"round\": 3, "
		"\"kind\": \"reelection\", \"constituency\": \"N1\", "
		"\"repeats\": 2}",
	};
	struct fx	 f;

	fx_open(&f, rounds[0], NULL);
	add_n1_additional(&f);
	compute(&f);
	assert_string_equal(status(&f, "N1"), "NEEDS_REELECTION");
	assert_int_equal(filled(&f, "N1"), 1);
	cons_has(&f, "N1", "\"winners\":[\"n1\"]");
	cons_has(&f, "N1", "\"round\":2");
	fx_close(&f);

	/* Announced: round 3 supersedes round 2 and stands at low turnout. */
	fx_open(&f, rounds[1], NULL);
	add_n1_additional(&f);
	compute(&f);
	assert_string_equal(status(&f, "N1"), "INCOMPLETE");
	assert_int_equal(filled(&f, "N1"), 1);
	add(&f, "X1", "na", 3, 1000, 400, 400, V(0), V(100), V(300), V(0));
	add(&f, "X2", "na", 3, 150, 50, 50, V(0), V(10), V(40), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "RECOGNISED_LOW_TURNOUT");
	assert_int_equal(filled(&f, "N1"), 2);
	cons_has(&f, "N1", "\"winners\":[\"n1\",\"n3\"]");
	cons_has(&f, "N1", "\"round\":3");
	fx_close(&f);
}

/* The case: one seat, a tie at 45, then 50 of 100 voted. */
static void
test_art80_additional_election_one_seat(void **state)
{
	struct fx	 f;

	fx_open(&f, "{\"round\": 2, \"kind\": \"additional\", "
	    "\"constituency\": \"N1\"}", NULL);
	add(&f, "X1", "na", 1, 50, 45, 45, V(22), V(23), V(0), V(0));
	add(&f, "X2", "na", 1, 50, 45, 45, V(23), V(22), V(0), V(0));
	add(&f, "X1", "na", 2, 50, 25, 25, V(15), V(10), V(0), V(0));
	add(&f, "X2", "na", 2, 50, 25, 25, V(15), V(10), V(0), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "NEEDS_REELECTION");
	assert_int_equal(filled(&f, "N1"), 0);
	cons_has(&f, "N1", "\"winners\":[]");
	fx_close(&f);
}

/*
 * Partial re-elections (RESULTS.md 2): re-votes of single areas replace
 * those areas' records; the constituency's round keeps its character.
 * It is a re-election round (Art. 78(1): result stands at low turnout;
 * no Art. 79) only when the whole constituency voted again (Art. 80).
 */
static void
test_art80_partial_reelection_is_not_a_reelection_round(void **state)
{
	struct fx	 f;

	/* Both areas re-voted one by one: still the first round. */
	fx_open(&f, "{\"round\": 2, \"kind\": \"reelection\", "
	    "\"area\": \"X1\"}, {\"round\": 3, \"kind\": "
	    "\"reelection\", \"area\": \"X2\", \"constituency\": "
	    "\"N1\"}", NULL);
	add(&f, "X1", "na", 2, 1000, 400, 400, V(300), V(300), V(100), V(100));
	add(&f, "X2", "na", 3, 150, 100, 100, V(100), V(50), V(50), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "NEEDS_REELECTION");
	assert_int_equal(filled(&f, "N1"), 0);
	cons_has(&f, "N1", "\"round\":3");
	/* Turnout above half but one winner of two: Art. 79 applies. */
	f.rec[0].voted = f.rec[0].issued = f.rec[0].received = 900;
	f.rec[0].valid = 900;
	f.rec[0].votes[0].votes = 600;
	f.rec[0].votes[1].votes = 300;
	compute(&f);
	assert_string_equal(status(&f, "N1"), "NEEDS_ADDITIONAL_ELECTION");
	assert_int_equal(filled(&f, "N1"), 1);
	fx_close(&f);

	/* A re-vote of one area inside a re-election of the whole
	 * constituency: a re-election round. */
	fx_open(&f, "{\"round\": 2, \"kind\": \"reelection\", "
	    "\"constituency\": \"N1\"}, {\"round\": 3, \"kind\": "
	    "\"reelection\", \"area\": \"X1\"}", NULL);
	add(&f, "X1", "na", 3, 1000, 400, 400, V(300), V(300), V(100), V(100));
	add(&f, "X2", "na", 2, 150, 100, 100, V(100), V(50), V(50), V(0));
	compute(&f);
	assert_string_equal(status(&f, "N1"), "RECOGNISED_LOW_TURNOUT");
	assert_int_equal(filled(&f, "N1"), 2);
	fx_close(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_art78_1_more_than_half_must_vote),
		cmocka_unit_test(test_art78_2_eligible_more_than_half),
		cmocka_unit_test(test_art78_3_more_eligible_than_seats),
		cmocka_unit_test(test_art78_4_tie_goes_to_older),
		cmocka_unit_test(test_art78_4_same_birthday_manual),
		cmocka_unit_test(test_art79_na_any_unfilled),
		cmocka_unit_test(test_art79_council_two_thirds),
		cmocka_unit_test(test_art79_additional_round_offers_losers_only),
		cmocka_unit_test(test_art79_never_repeated),
		cmocka_unit_test(test_art80_reelection_needed),
		cmocka_unit_test(
		    test_art80_reelection_round_low_turnout_recognised),
		cmocka_unit_test(test_art80_single_area_reelection_supersedes),
		cmocka_unit_test(test_art80_additional_election_low_turnout),
		cmocka_unit_test(test_art80_additional_election_one_seat),
		cmocka_unit_test(
		    test_art80_partial_reelection_is_not_a_reelection_round),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
