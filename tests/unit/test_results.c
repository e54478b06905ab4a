/*
 * test_results.c: deciding constituencies (Art. 78-80), the roll-ups and
 * the results JSON (docs/RESULTS.md).  One test per article, named after
 * it, on a small election built here:
 *
 *   level na (National Assembly): N1, 2 seats, candidates n1..n4
 *   level c  (council):           C1, 3 seats, candidates c1..c5
 *   polling areas X1 (P / D1 / W1) and X2 (P / D2 / W2), both in N1, C1
 *
 * Rounds are appended per test.
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
#include "election/results.h"

#define DEF_HEAD \
	"{\"format\": \"tally-election/1\", \"id\": \"t\", \"name\": \"T\"," \
	" \"date\": \"2021-05-23\", \"rules\": \"law-2015\", \"levels\": [" \
	"{\"id\": \"na\", \"name\": \"Quốc hội\", \"kind\": \"na\"}," \
	"{\"id\": \"c\", \"name\": \"Xã\", \"kind\": \"council\"}]," \
	" \"constituencies\": [" \
	"{\"id\": \"N1\", \"level\": \"na\", \"name\": \"Đơn vị 1\"," \
	" \"seats\": 2, \"candidates\": [" \
	"{\"id\": \"n1\", \"name\": \"An\", \"born\": \"1970-01-01\"}," \
	"{\"id\": \"n2\", \"name\": \"Bình\", \"born\": \"%s\"}," \
	"{\"id\": \"n3\", \"name\": \"Cúc\", \"born\": \"1980-01-01\"}," \
	"{\"id\": \"n4\", \"name\": \"Dũng\", \"born\": \"1990-01-01\"}]}," \
	"{\"id\": \"C1\", \"level\": \"c\", \"name\": \"Đơn vị xã 1\"," \
	" \"seats\": 3, \"candidates\": [" \
	"{\"id\": \"c1\", \"name\": \"E\", \"born\": \"1971-01-01\"}," \
	"{\"id\": \"c2\", \"name\": \"G\", \"born\": \"1972-01-01\"}," \
	"{\"id\": \"c3\", \"name\": \"H\", \"born\": \"1973-01-01\"}," \
	"{\"id\": \"c4\", \"name\": \"K\", \"born\": \"1974-01-01\"}," \
	"{\"id\": \"c5\", \"name\": \"L\", \"born\": \"1975-01-01\"}]}]," \
	" \"areas\": [" \
	"{\"id\": \"X1\", \"name\": \"x1\", \"path\": [\"P\", \"D1\", \"W1\"]," \
	" \"constituencies\": {\"na\": \"N1\", \"c\": \"C1\"}}," \
	"{\"id\": \"X2\", \"name\": \"x2\", \"path\": [\"P\", \"D2\", \"W2\"]," \
	" \"constituencies\": {\"na\": \"N1\", \"c\": \"C1\"}}]"

#define NREC_MAX	16

/* The election of one test and its inputs. */
struct fx {
	struct tly_election	*e;
	struct tly_record	*rec;		/* NREC_MAX records */
	struct tly_result_input	 in[NREC_MAX];
	size_t			 n;		/* inputs used */
	struct tly_results	*res;
};

/* Parse the test election; rounds is the text of "rounds" or NULL, and
 * born n2's date of birth. */
static void
fx_open(struct fx *f, const char *rounds, const char *born)
{
	char	 text[8192];
	int	 n;

	memset(f, 0, sizeof(*f));
	n = snprintf(text, sizeof(text), DEF_HEAD "%s%s%s}",
	    born != NULL ? born : "1960-01-01",
	    rounds != NULL ? ", \"rounds\": [" : "",
	    rounds != NULL ? rounds : "", rounds != NULL ? "]" : "");
	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (tly_election_parse(text, (size_t)n, &f->e) != TLY_OK)
		fail_msg("%s", tly_errdetail());
	f->rec = calloc(NREC_MAX, sizeof(*f->rec));
	assert_non_null(f->rec);
}

static void
fx_close(struct fx *f)
{
	size_t	 i;

	tly_results_free(f->res);
	for (i = 0; i < NREC_MAX; i++)
		tly_record_finish(&f->rec[i]);
	free(f->rec);
	tly_election_free(f->e);
}

/*
 * Add a record: area, level ("na" or "c"), round, R, T, W (X = T - W),
 * then the votes of the level's candidates in id order (4 for na, 5 for
 * c).  Returns the input, to set disputed.
 */
static struct tly_result_input *
add(struct fx *f, const char *area, const char *level, uint64_t round,
    uint64_t R, uint64_t T, uint64_t W, ...)
{
	struct tly_record	*r;
	va_list			 ap;
	size_t			 i, nc;
	int			 na = strcmp(level, "na") == 0;

	assert_true(f->n < NREC_MAX);
	r = &f->rec[f->n];
	tly_record_init(r);
	strcpy(r->area, area);
	strcpy(r->level, level);
	strcpy(r->constituency, na ? "N1" : "C1");
	r->round = round;
	r->registered = R;
	r->voted = r->issued = r->received = T;
	r->valid = W;
	r->invalid = T - W;
	nc = na ? 4 : 5;
	va_start(ap, W);
	for (i = 0; i < nc; i++) {
		snprintf(r->votes[i].cand, sizeof(r->votes[i].cand), "%c%zu",
		    na ? 'n' : 'c', i + 1);
		r->votes[i].votes = va_arg(ap, uint64_t);
	}
	va_end(ap);
	r->nvotes = nc;
	f->in[f->n].rec = r;
	f->in[f->n].confirmations = 1;
	f->in[f->n].disputed = 0;
	return &f->in[f->n++];
}

#define V(x)	((uint64_t)(x))

/* Compute the results of f's inputs. */
static void
compute(struct fx *f)
{
	tly_results_free(f->res);
	f->res = NULL;
	assert_int_equal(tly_results_compute(f->e, f->in, f->n, &f->res),
	    TLY_OK);
}

/* Status name of constituency id. */
static const char *
status(struct fx *f, const char *id)
{
	long	 c = tly_election_find_constituency(f->e, id);

	assert_true(c >= 0);
	return tly_status_name(tly_results_status(f->res, (size_t)c));
}

/* Seats filled in constituency id. */
static unsigned
filled(struct fx *f, const char *id)
{
	return tly_results_seats_filled(f->res,
	    (size_t)tly_election_find_constituency(f->e, id));
}

/* Which writer to run. */
enum which { W_SUMMARY, W_LEVEL, W_CONS, W_AREA };

/* Run one writer; returns a new NUL-terminated string. */
static char *
json(const struct tly_results *res, enum which which, const char *arg)
{
	struct tly_buf	 b;
	struct tly_jw	 w;
	char		*s;
	int		 r = TLY_OK;

	tly_buf_init(&b, 1 << 20);
	tly_jw_init(&w, &b);
	switch (which) {
	case W_SUMMARY:
	case W_LEVEL:
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "election");
		tly_jw_str(&w, "h");
		tly_jw_key(&w, "mode");
		tly_jw_str(&w, "live");
		r = tly_results_summary_json(res,
		    which == W_LEVEL ? arg : NULL, &w);
		tly_jw_obj_close(&w);
		break;
	case W_CONS:
		r = tly_results_constituency_json(res, arg, &w);
		break;
	case W_AREA:
		r = tly_results_area_json(res, arg, &w);
		break;
	}
	assert_int_equal(r, TLY_OK);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	s = malloc(b.len + 1);
	assert_non_null(s);
	memcpy(s, b.p, b.len);
	s[b.len] = '\0';
	tly_buf_free(&b);
	return s;
}

/* Assert that the detail JSON of id contains needle. */
static void
cons_has(struct fx *f, const char *id, const char *needle)
{
	char	*s = json(f->res, W_CONS, id);

	if (strstr(s, needle) == NULL)
		fail_msg("%s lacks %s", s, needle);
	free(s);
}

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
		cmocka_unit_test(test_incomplete_until_every_area_reports),
		cmocka_unit_test(test_disputed_input_is_never_final),
		cmocka_unit_test(test_rollups_by_level_and_place),
		cmocka_unit_test(test_foreign_inputs_are_ignored),
		cmocka_unit_test(test_output_independent_of_input_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
