/*
 * test_definition.c: election definitions: parsing, errors named by their
 * path, the limits of the rules, rounds, accessors, validation reporting
 * every error, and a large definition for sorting and search.  Run from
 * the repository root: the definition is read from tests/vectors.
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
#include "election_fixture.h"

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
		    "areas[0].registered.na: number with a fraction" },
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

/* One validation of the small election with from replaced by to. */
static size_t
validate_variant(const char *from, const char *to, struct reports *rep)
{
	char	*t;
	size_t	 len;

	t = edit_text(from, to, &len);
	memset(rep, 0, sizeof(*rep));
	(void)tly_election_validate(t, len, collect, rep);
	free(t);
	return rep->n;
}

static void
test_definition_one_root_cause_one_error(void **state)
{
	struct reports	 rep;

	/* A constituency dropped for its level: its ten areas and a round
	 * naming it are not reported again. */
	assert_int_equal(validate_variant("\"id\": \"NA-1\", \"level\": "
	    "\"na\"", "\"id\": \"NA-1\", \"level\": \"nA\"", &rep), 1);
	assert_non_null(strstr(rep.all, "constituencies[0].level: unknown "
	    "level 'nA'\n"));
	/* A bad candidate name drops the constituency: one error. */
	assert_int_equal(validate_variant("\"Trần Văn Minh\"",
	    "\"Trần\\nVăn Minh\"", &rep), 1);
	assert_non_null(strstr(rep.all, "constituencies[0].candidates[1]."
	    "name: holds a control character"));
	/* A dropped area named by a round: one error. */
	assert_int_equal(validate_variant("{\"round\": 1, \"kind\": "
	    "\"first\"}", "{\"round\": 2, \"kind\": \"reelection\", "
	    "\"area\": \"A01\"}", &rep), 0);
	{
		char	*t, *u;
		size_t	 len, ulen;
		char	*save = E_text;
		size_t	 slen = E_len;

		t = edit_text("{\"round\": 1, \"kind\": \"first\"}",
		    "{\"round\": 2, \"kind\": \"reelection\", "
		    "\"area\": \"A01\"}", &len);
		E_text = t;
		E_len = len;
		u = edit_text("\"path\": [\"Tỉnh Thái Nguyên\"",
		    "\"path\": [\"\"", &ulen);
		E_text = save;
		E_len = slen;
		memset(&rep, 0, sizeof(rep));
		assert_int_equal(tly_election_validate(u, ulen, collect,
		    &rep), TLY_E_DEFINITION);
		assert_int_equal(rep.n, 1);
		assert_non_null(strstr(rep.all, "areas[0].path[0]"));
		free(t);
		free(u);
	}
}

static void
test_definition_texts_refuse_bidi_and_newlines(void **state)
{
	static const struct {
		const char	*from, *to, *detail;
	} k[] = {
		{ "\"Trần Văn Minh\"", "\"Trần Văn \\u202eMinh\"",
		    "constituencies[0].candidates[1].name: holds a bidi" },
		{ "\"Trần Văn Minh\"", "\"Trần Văn \\u2067Minh\"",
		    "constituencies[0].candidates[1].name: holds a bidi" },
		{ "\"Trần Văn Minh\"", "\"Trần Văn\\u200fMinh\"",
		    "constituencies[0].candidates[1].name: holds a bidi" },
		{ "\"Trần Văn Minh\"", "\"Trần\\tVăn Minh\"",
		    "constituencies[0].candidates[1].name: holds a control" },
		{ "\"name\": \"Quốc hội\"", "\"name\": \"Quốc\\nhội\"",
		    "levels[0].name: holds a control" },
		{ "\"Huyện Đại Từ\"", "\"Huyện \\u202bĐại Từ\"",
		    "areas[5].path[1]: holds a bidi" },
	};
	struct tly_election	*e = NULL;
	char			*t;
	size_t			 i, len;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		t = edit_text(k[i].from, k[i].to, &len);
		if (tly_election_parse(t, len, &e) != TLY_E_DEFINITION)
			fail_msg("case %zu parsed", i);
		if (strncmp(tly_errdetail(), k[i].detail,
		    strlen(k[i].detail)) != 0)
			fail_msg("case %zu: detail '%s'", i, tly_errdetail());
		free(t);
	}
}

static void
test_definition_reelection_of_additional_election(void **state)
{
	static const struct {
		const char	*rounds, *detail;
	} bad[] = {
		{ "{\"round\": 2, \"kind\": \"additional\", \"constituency\": "
		  "\"P-1\"}, {\"round\": 3, \"kind\": \"reelection\", "
		  "\"constituency\": \"P-1\", \"repeats\": 2}, {\"round\": 4, "
		  "\"kind\": \"reelection\", \"constituency\": \"P-1\", "
		  "\"repeats\": 2}", "rounds[2]: a second re-election" },
		{ "{\"round\": 2, \"kind\": \"reelection\", \"constituency\": "
		  "\"P-1\", \"repeats\": 1}", "rounds[0].repeats: must be" },
		{ "{\"round\": 3, \"kind\": \"reelection\", \"constituency\": "
		  "\"P-1\", \"repeats\": 2}", "rounds[0].repeats: round 2 is "
		  "not the additional election of 'P-1'" },
		{ "{\"round\": 2, \"kind\": \"additional\", \"constituency\": "
		  "\"P-1\"}, {\"round\": 3, \"kind\": \"reelection\", "
		  "\"area\": \"A01\", \"repeats\": 2}", "rounds[1].repeats: "
		  "only a re-election of a whole constituency" },
		{ "{\"round\": 2, \"kind\": \"additional\", \"constituency\": "
		  "\"P-1\"}, {\"round\": 3, \"kind\": \"reelection\", "
		  "\"constituency\": \"P-1\"}", "rounds[1]: re-elects in 'P-1' "
		  "after its additional election" },
		{ "{\"round\": 2, \"kind\": \"additional\", \"constituency\": "
		  "\"P-1\"}, {\"round\": 3, \"kind\": \"reelection\", "
		  "\"area\": \"A01\"}", "rounds[1]: re-elects in 'P-1'" },
	};
	struct tly_election	*e = NULL;
	char			*t;
	size_t			 i, len;
	long			 a;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = edit_text("{\"round\": 1, \"kind\": \"first\"}",
		    bad[i].rounds, &len);
		if (tly_election_parse(t, len, &e) != TLY_E_DEFINITION)
			fail_msg("case %zu parsed", i);
		if (strncmp(tly_errdetail(), bad[i].detail,
		    strlen(bad[i].detail)) != 0)
			fail_msg("case %zu: detail '%s'", i, tly_errdetail());
		free(t);
	}
	e = parse_variant("{\"round\": 1, \"kind\": \"first\"}",
	    "{\"round\": 2, \"kind\": \"additional\", \"constituency\": "
	    "\"P-1\"}, {\"round\": 3, \"kind\": \"reelection\", "
	    "\"constituency\": \"P-1\", \"repeats\": 2}");
	assert_int_equal(tly_round_kind(e, 1), TLY_ROUND_READDITIONAL);
	assert_int_equal(tly_round_repeats(e, 1), 2);
	assert_int_equal(tly_round_repeats(e, 0), 0);
	a = tly_election_find_area(e, "A01");
	assert_int_equal(tly_election_round_covers(e, 3, (size_t)a, 1),
	    TLY_ROUND_READDITIONAL);
	assert_int_equal(tly_election_round_covers(e, 3, (size_t)a, 0), -1);
	tly_election_free(e);
}

/* Art. 57 and 58: the fewest candidates per constituency. */
static void
test_art57_58_min_candidates(void **state)
{
	(void)state;
	assert_int_equal(tly_election_min_candidates(TLY_LEVEL_NA, 2), 4);
	assert_int_equal(tly_election_min_candidates(TLY_LEVEL_NA, 3), 5);
	assert_int_equal(tly_election_min_candidates(TLY_LEVEL_COUNCIL, 1), 2);
	assert_int_equal(tly_election_min_candidates(TLY_LEVEL_COUNCIL, 2), 3);
	assert_int_equal(tly_election_min_candidates(TLY_LEVEL_COUNCIL, 3), 5);
	assert_int_equal(tly_election_min_candidates(TLY_LEVEL_COUNCIL, 4), 7);
	assert_int_equal(tly_election_min_candidates(TLY_LEVEL_COUNCIL, 5), 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_definition_accessors),
		cmocka_unit_test(test_art57_58_min_candidates),
		cmocka_unit_test(test_definition_errors_name_the_path),
		cmocka_unit_test(test_definition_rules_limit_levels),
		cmocka_unit_test(test_definition_council_candidate_minimums),
		cmocka_unit_test(test_definition_remote_flag),
		cmocka_unit_test(test_definition_many_areas_sorted),
		cmocka_unit_test(test_definition_rounds_are_checked),
		cmocka_unit_test(test_definition_validate_reports_every_error),
		cmocka_unit_test(test_definition_new_accessors),
		cmocka_unit_test(test_definition_one_root_cause_one_error),
		cmocka_unit_test(test_definition_texts_refuse_bidi_and_newlines),
		cmocka_unit_test(
		    test_definition_reelection_of_additional_election),
	};

	return cmocka_run_group_tests(tests, setup_election,
	    teardown_election);
}
