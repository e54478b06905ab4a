/*
 * test_record.c: count records as JSON (PROTOCOL.md): parsing, canonical
 * serialisation, round trips, what the parser refuses, the supersedes
 * list, and the record vectors of the small election.  Run from the
 * repository root: the definition and the records are read from
 * tests/vectors.
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
#include "common/json.h"
#include "election_fixture.h"

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
		    "marks" },
		/* Strict JSON (PROTOCOL.md 1): refused before any field. */
		{ "byte order mark", "{\"area\"", "\xef\xbb\xbf{\"area\"",
		    "byte order mark" },
		{ "exponent", "\"voted\": 990", "\"voted\": 1e3", "voted" },
		{ "exponent zero", "\"voted\": 990", "\"voted\": 990e0",
		    "voted" },
		{ "fraction zero", "\"voted\": 990", "\"voted\": 990.0",
		    "voted" },
		{ "digits past a double", "\"voted\": 990",
		    "\"voted\": 990.00000000000000001", "voted" },
		{ "leading zero", "\"voted\": 990", "\"voted\": 0990",
		    "voted" },
		{ "minus zero", "\"invalid\": 15", "\"invalid\": -0",
		    "invalid" },
		{ "trailing dot", "\"voted\": 990", "\"voted\": 990.",
		    "voted" },
		{ "raw TAB in a text", "\"note\": \"ok\"", "\"note\": \"o\tk\"",
		    "note" },
		{ "form feed as whitespace", "\"round\": 1",
		    "\"round\":\f1", "round" },
		{ "invalid UTF-8 in a text", "\"note\": \"ok\"",
		    "\"note\": \"o\xc0\xafk\"", "note" },
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
		cmocka_unit_test(test_vectors_records_small_pass),
		cmocka_unit_test(test_record_json_round_trip),
		cmocka_unit_test(test_record_json_canonical_order),
		cmocka_unit_test(test_record_parser_rejects),
		cmocka_unit_test(test_record_from_json_names_prefix),
		cmocka_unit_test(test_record_supersedes),
	};

	return cmocka_run_group_tests(tests, setup_election,
	    teardown_election);
}
