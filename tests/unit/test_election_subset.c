/*
 * test_election_subset.c: a definition read as a stream for some polling
 * areas (tly_election_read_scope, a field daemon's view): what is kept,
 * the same check results as the whole definition for the records of
 * those areas, the JSON rules over every byte, the caps, and two passes
 * over a source read in small chunks.
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

/* A source over a string, handing out at most `chunk` bytes a time. */
struct memsrc {
	const char	*p;	/* the text */
	size_t		 len;	/* its bytes */
	size_t		 at;	/* next byte */
	size_t		 chunk;	/* bytes per read at most */
	int		 passes;	/* rewinds + 1 */
};

static int
mem_read(void *arg, void *buf, size_t max, size_t *got)
{
	struct memsrc	*m = arg;
	size_t		 n = m->len - m->at;

	if (n > max)
		n = max;
	if (n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p + m->at, n);
	m->at += n;
	*got = n;
	return TLY_OK;
}

static int
mem_rewind(void *arg)
{
	struct memsrc	*m = arg;

	m->at = 0;
	m->passes++;
	return TLY_OK;
}

/* Area ids, sorted, for a scope. */
static const char	 A01_A02[][TLY_ID_MAX + 1] = { "A01", "A02" };

/*
 * Read text for the areas ids[0..n) (all when n is 0) in chunks of
 * chunk bytes; *ep is the result (NULL on failure), doc the kept text.
 */
static int
read_scope(const char *text, size_t len, const char (*ids)[TLY_ID_MAX + 1],
    size_t n, size_t chunk, struct tly_buf *doc, struct tly_election **ep,
    int *passesp)
{
	struct memsrc	 m = { text, len, 0, chunk, 1 };
	struct tly_election_source src = { mem_read, mem_rewind, &m };
	struct tly_election_scope scope = { n == 0, n, ids };
	int		 r;

	r = tly_election_read_scope(&src, &scope, doc, ep);
	if (passesp != NULL)
		*passesp = m.passes;
	return r;
}

/* The small election for A01 and A02; fails the test on error. */
static struct tly_election *
subset_of(const char *text, size_t len, struct tly_buf *doc)
{
	struct tly_election	*s = NULL;

	if (read_scope(text, len, A01_A02, 2, 7, doc, &s, NULL) != TLY_OK)
		fail_msg("subset: %s", tly_errdetail());
	return s;
}

/* ---- what is kept -------------------------------------------------------- */

static void
test_subset_keeps_the_scope(void **state)
{
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*s;
	int			 passes = 0;

	assert_int_equal(read_scope(E_text, E_len, A01_A02, 2, 7, &doc, &s,
	    &passes), TLY_OK);
	assert_int_equal(passes, 2);
	assert_int_equal(tly_election_partial(s), 1);
	assert_int_equal(tly_election_partial(E), 0);
	assert_string_equal(tly_election_id(s), tly_election_id(E));
	assert_string_equal(tly_election_name(s), tly_election_name(E));
	assert_int_equal(tly_election_nlevels(s), 2);
	assert_int_equal(tly_election_nareas(s), 2);
	assert_string_equal(tly_area_id(s, 0), "A01");
	assert_string_equal(tly_area_id(s, 1), "A02");
	assert_int_equal(tly_election_find_area(s, "A03"), -1);
	/* NA-1 and P-1: A01's and A02's; P-2 is another's. */
	assert_int_equal(tly_election_nconstituencies(s), 2);
	assert_true(tly_election_find_constituency(s, "NA-1") >= 0);
	assert_true(tly_election_find_constituency(s, "P-1") >= 0);
	assert_int_equal(tly_election_find_constituency(s, "P-2"), -1);
	assert_int_equal(tly_constituency_ncandidates(s,
	    (size_t)tly_election_find_constituency(s, "P-1")), 5);
	assert_int_equal(tly_election_nrounds(s), 1);
	/* The kept text is a definition of its own, made of the file's
	 * bytes: no other area's id is in it. */
	assert_null(strstr((const char *)doc.p, "\"A03\""));
	assert_null(strstr((const char *)doc.p, "\"P-2\""));
	assert_true(doc.len < E_len);
	tly_election_free(s);
	tly_buf_free(&doc);
}

static void
test_subset_of_every_area_is_the_whole(void **state)
{
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*s;
	size_t			 chunk;
	int			 passes;

	for (chunk = 1; chunk <= 65536; chunk *= 16) {
		assert_int_equal(read_scope(E_text, E_len, NULL, 0, chunk,
		    &doc, &s, &passes), TLY_OK);
		assert_int_equal(passes, 1);
		assert_int_equal(tly_election_partial(s), 0);
		assert_int_equal(tly_election_nareas(s), 10);
		assert_int_equal(tly_election_nconstituencies(s), 3);
		assert_int_equal(tly_constituency_nareas(s, 0), 10);
		assert_int_equal(doc.len, E_len);
		assert_memory_equal(doc.p, E_text, E_len);
		tly_election_free(s);
	}
	tly_buf_free(&doc);
}

static void
test_subset_scope_outside_the_file(void **state)
{
	static const char	 none[][TLY_ID_MAX + 1] = { "B01", "B02" };
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*s = NULL;

	assert_int_equal(read_scope(E_text, E_len, none, 2, 4096, &doc, &s,
	    NULL), TLY_E_DEFINITION);
	assert_null(s);
	assert_non_null(strstr(tly_errdetail(), "none of the 2 polling "
	    "areas"));
	tly_buf_free(&doc);
}

/* ---- the same check results ---------------------------------------------- */

/* The problems of r against e, with a clock and A01's other level. */
static int
check(const struct tly_election *e, const struct tly_record *r,
    struct tly_problems *p)
{
	struct tly_check_ctx	 ctx;
	struct tly_record	 peer;

	memset(p, 0, sizeof(*p));
	tly_check_ctx_init(&ctx, 1621800000);
	base_record(&peer);
	strcpy(peer.level, "prov");
	peer.voted = 900;
	assert_int_equal(tly_check_ctx_add(&ctx, &peer), TLY_OK);
	tly_record_finish(&peer);
	return tly_record_check_ctx(e, r, 0, &ctx, p);
}

/* r gives the same answer, problem for problem, against e and s. */
static void
same_answer(const struct tly_election *e, const struct tly_election *s,
    const struct tly_record *r, const char *what)
{
	struct tly_problems	*pe, *ps;
	size_t			 i;
	int			 re, rs;

	pe = calloc(1, sizeof(*pe));
	ps = calloc(1, sizeof(*ps));
	assert_non_null(pe);
	assert_non_null(ps);
	re = check(e, r, pe);
	rs = check(s, r, ps);
	if (re != rs || pe->n != ps->n || pe->dropped != ps->dropped)
		fail_msg("%s: %d/%zu problems in full, %d/%zu in the subset",
		    what, re, pe->n, rs, ps->n);
	for (i = 0; i < pe->n; i++) {
		assert_string_equal(pe->p[i].rule, ps->p[i].rule);
		assert_string_equal(pe->p[i].fields, ps->p[i].fields);
		assert_string_equal(pe->p[i].message, ps->p[i].message);
		assert_int_equal(pe->p[i].warning, ps->p[i].warning);
		assert_int_equal(pe->p[i].explained, ps->p[i].explained);
	}
	free(pe);
	free(ps);
}

/* Changes to the base record (A01, na) that raise each rule. */
static const struct {
	const char	*what;
	struct set	 sets[6];
} changes[] = {
	{ "clean", { { NULL, 0, NULL } } },
	{ "H1 candidate missing", { { "-votes.NA1.4", 0, NULL } } },
	{ "H1 stranger", { { "votes.P1.1", 0, NULL } } },
	{ "H1 marks", { { "nmarks", 3, NULL }, { "marks.3", 0, NULL } } },
	{ "H1 round 0", { { "round", 0, NULL } } },
	{ "H1 unknown level", { { "level", 0, "district" } } },
	{ "H1 unknown constituency", { { "constituency", 0, "NA-9" } } },
	{ "H2", { { "invalid", 16, NULL } } },
	{ "H3", { { "issued", 989, NULL } } },
	{ "H4", { { "registered", 989, NULL } } },
	{ "H5", { { "votes.NA1.1", 976, NULL }, { "votes.NA1.2", 174, NULL },
	    { "nmarks", 0, NULL } } },
	{ "H6", { { "votes.NA1.1", 701, NULL }, { "nmarks", 0, NULL } } },
	{ "H7", { { "votes.NA1.1", 300, NULL }, { "votes.NA1.2", 300, NULL },
	    { "votes.NA1.3", 200, NULL }, { "votes.NA1.4", 174, NULL },
	    { "nmarks", 0, NULL } } },
	{ "H8", { { "marks.1", 101, NULL } } },
	{ "H9 level", { { "level", 0, "prov" } } },
	{ "H9 round", { { "round", 2, NULL } } },
	{ "W1", { { "issued", 991, NULL } } },
	{ "W2", { { "received", 989, NULL }, { "valid", 974, NULL },
	    { "nmarks", 0, NULL } } },
	{ "W3", { { "valid", 870, NULL }, { "invalid", 120, NULL },
	    { "nmarks", 0, NULL } } },
	{ "W3 explained", { { "valid", 870, NULL }, { "invalid", 120, NULL },
	    { "nmarks", 0, NULL }, { "explain.W3", 0, "ướt mưa" } } },
	{ "W5", { { "registered", 1181, NULL } } },
	{ "W6", { { "issued", 1200, NULL }, { "registered", 1190, NULL } } },
	{ "H10", { { "explain.W1", 0, "không có gì" } } },
	{ "other area of the scope", { { "area", 0, "A02" } } },
};

static void
test_subset_checks_as_the_whole(void **state)
{
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*s;
	struct tly_record	 r;
	size_t			 i, j;

	s = subset_of(E_text, E_len, &doc);
	for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		base_record(&r);
		for (j = 0; changes[i].sets[j].field != NULL; j++)
			apply(&r, &changes[i].sets[j]);
		same_answer(E, s, &r, changes[i].what);
		/* The same at the other level, where W4 can fire. */
		strcpy(r.level, "prov");
		strcpy(r.constituency, "P-1");
		same_answer(E, s, &r, changes[i].what);
		tly_record_finish(&r);
	}
	tly_election_free(s);
	tly_buf_free(&doc);
}

/*
 * The one difference: a record of a held area that names another
 * area's constituency fails H9 in both, and the subset, which does not
 * hold that constituency, says so (H1) instead of judging its list.
 */
static void
test_subset_other_constituency(void **state)
{
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*s;
	struct tly_problems	*pe, *ps;
	struct tly_record	 r;
	size_t			 i;
	int			 h9e = 0, h9s = 0;

	s = subset_of(E_text, E_len, &doc);
	pe = calloc(1, sizeof(*pe));
	ps = calloc(1, sizeof(*ps));
	assert_non_null(pe);
	assert_non_null(ps);
	base_record(&r);
	strcpy(r.level, "prov");
	strcpy(r.constituency, "P-2");
	assert_int_equal(check(E, &r, pe), TLY_E_RECORD);
	assert_int_equal(check(s, &r, ps), TLY_E_RECORD);
	for (i = 0; i < pe->n; i++)
		h9e += strcmp(pe->p[i].rule, "H9") == 0;
	for (i = 0; i < ps->n; i++)
		h9s += strcmp(ps->p[i].rule, "H9") == 0;
	assert_int_equal(h9e, 1);
	assert_int_equal(h9s, 1);
	assert_string_equal(ps->p[0].rule, "H1");
	assert_string_equal(ps->p[0].fields, "constituency");
	tly_record_finish(&r);
	free(pe);
	free(ps);
	tly_election_free(s);
	tly_buf_free(&doc);
}

/* The committed records of the small election: A01, A02 alike. */
static void
test_subset_checks_the_vectors(void **state)
{
	static const char *const files[] = { "A01-na", "A01-prov", "A02-na",
	    "A02-prov" };
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*s;
	struct tly_problems	*p;
	struct tly_record	 r;
	char			 path[512], *t;
	size_t			 i, len;

	s = subset_of(E_text, E_len, &doc);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.json", RECORDS_SMALL,
		    files[i]);
		t = slurp(path, &len);
		tly_record_init(&r);
		assert_int_equal(tly_record_parse(t, len, &r), TLY_OK);
		same_answer(E, s, &r, files[i]);
		tly_record_finish(&r);
		free(t);
	}
	/* Another area's record: the subset does not hold it (H1). */
	t = slurp(RECORDS_SMALL "/A07-prov.json", &len);
	tly_record_init(&r);
	assert_int_equal(tly_record_parse(t, len, &r), TLY_OK);
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	assert_int_equal(tly_record_check(E, &r, 0, p), TLY_OK);
	memset(p, 0, sizeof(*p));
	assert_int_equal(tly_record_check(s, &r, 0, p), TLY_E_RECORD);
	assert_string_equal(p->p[0].rule, "H1");
	assert_string_equal(p->p[0].fields, "area");
	free(p);
	tly_record_finish(&r);
	free(t);
	tly_election_free(s);
	tly_buf_free(&doc);
}

/* Rounds: those of the scope are kept with their deadlines (W7). */
static void
test_subset_keeps_the_rounds_of_the_scope(void **state)
{
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*e, *s;
	struct tly_record	 r;
	char			*t;
	size_t			 len, i;
	uint64_t		 round;

	t = edit_text("{\"round\": 1, \"kind\": \"first\"}",
	    "{\"round\": 1, \"kind\": \"first\", \"deadline\": 1621900000},"
	    "{\"round\": 2, \"kind\": \"reelection\", \"area\": \"A07\"},"
	    "{\"round\": 2, \"kind\": \"reelection\", \"area\": \"A02\","
	    " \"deadline\": \"2021-06-01T17:00:00+07:00\"},"
	    "{\"round\": 3, \"kind\": \"additional\", \"constituency\": \"P-2\"},"
	    "{\"round\": 3, \"kind\": \"additional\", \"constituency\": \"P-1\","
	    " \"deadline\": 1623000000},"
	    "{\"round\": 4, \"kind\": \"reelection\", \"constituency\": \"P-1\","
	    " \"repeats\": 3}", &len);
	assert_int_equal(tly_election_parse(t, len, &e), TLY_OK);
	s = subset_of(t, len, &doc);
	assert_int_equal(tly_election_nrounds(e), 6);
	assert_int_equal(tly_election_nrounds(s), 4);
	for (round = 1; round <= 5; round++)
		for (i = 0; i < 2; i++) {
			base_record(&r);
			strcpy(r.area, i == 0 ? "A01" : "A02");
			r.round = round;
			same_answer(e, s, &r, "rounds, na");
			strcpy(r.level, "prov");
			strcpy(r.constituency, "P-1");
			same_answer(e, s, &r, "rounds, prov");
			tly_record_finish(&r);
		}
	tly_election_free(s);
	tly_election_free(e);
	/* A scope whose areas no round names: "rounds" keeps round 1. */
	free(t);
	t = edit_text("{\"round\": 1, \"kind\": \"first\"}",
	    "{\"round\": 2, \"kind\": \"reelection\", \"area\": \"A07\"}", &len);
	s = subset_of(t, len, &doc);
	assert_int_equal(tly_election_nrounds(s), 0);
	assert_null(strstr((const char *)doc.p, "rounds"));
	tly_election_free(s);
	free(t);
	tly_buf_free(&doc);
}

/* ---- strict over every byte ---------------------------------------------- */

/* text (with A03 far from the scope) is refused, subset or not. */
static void
refused(const char *from, const char *to)
{
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*s = NULL, *e = NULL;
	char			*t;
	size_t			 len;

	t = edit_text(from, to, &len);
	if (tly_election_parse(t, len, &e) == TLY_OK)
		fail_msg("'%s': the whole reader takes it", to);
	if (read_scope(t, len, A01_A02, 2, 5, &doc, &s, NULL) == TLY_OK)
		fail_msg("'%s': the subset takes it", to);
	assert_null(s);
	if (read_scope(t, len, NULL, 0, 5, &doc, &s, NULL) == TLY_OK)
		fail_msg("'%s': the stream of all takes it", to);
	free(t);
	tly_buf_free(&doc);
}

static void
test_subset_json_rules_everywhere(void **state)
{
	char	 deep[200];
	size_t	 i;

	/* In an area left out: bad UTF-8, a raw control, a bad escape,
	 * a lone surrogate, a number with a fraction, a duplicate name. */
	refused("\"id\": \"A03\"", "\"id\": \"A03\", \"x\": \"\xc0\xaf\"");
	refused("\"id\": \"A03\"", "\"id\": \"A03\t\"");
	refused("\"id\": \"A03\"", "\"id\": \"A03\\q\"");
	refused("\"id\": \"A03\"", "\"id\": \"A03\\udc00\"");
	refused("\"id\": \"A03\"", "\"id\": \"A03\", \"remote\": 1.0");
	refused("\"id\": \"A03\"", "\"id\": \"A03\", \"id\": \"A33\"");
	/* Between the elements and around the text. */
	refused("\"areas\": [", "\"areas\": [\x0c");
	refused("\"areas\": [", "\"areas\": [,");
	refused("\"format\"", "\xef\xbb\xbf{\"x\": 1, \"format\"");
	refused("\"rounds\"", "\"rounds\": 1,\"rounds\"");
	refused("\"format\"", "\"format\": 1, \"format\"");
	refused("\"areas\": [", "\"areas\": [1 2,");
	refused("\"areas\": [", "\"areas\": [\"x\":");
	/* Nesting: 3 deep in the file plus 30 more is 33. */
	strcpy(deep, "\"id\": \"A03\", \"x\": ");
	for (i = 0; i < 29; i++)
		strcat(deep, "[");
	strcat(deep, "1");
	for (i = 0; i < 29; i++)
		strcat(deep, "]");
	refused("\"id\": \"A03\"", deep);
}

/* Text that ends early or goes on after the end. */
static void
test_subset_ends(void **state)
{
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*s = NULL;
	char			*t;
	size_t			 cut;

	t = malloc(E_len + 8);
	assert_non_null(t);
	memcpy(t, E_text, E_len);
	for (cut = 0; cut < E_len; cut += E_len / 97 + 1) {
		assert_int_not_equal(read_scope(t, cut, A01_A02, 2, 3, &doc,
		    &s, NULL), TLY_OK);
		assert_null(s);
	}
	memcpy(t + E_len, " 1", 2);
	assert_int_equal(read_scope(t, E_len + 2, A01_A02, 2, 64, &doc, &s,
	    NULL), TLY_E_DEFINITION);
	assert_non_null(strstr(tly_errdetail(), "trailing bytes"));
	memcpy(t + E_len, " \r\n\t", 4);
	assert_int_equal(read_scope(t, E_len + 4, A01_A02, 2, 64, &doc, &s,
	    NULL), TLY_OK);
	tly_election_free(s);
	free(t);
	tly_buf_free(&doc);
}

/* An element over TLY_ELECTION_PIECE_MAX is refused. */
static void
test_subset_piece_cap(void **state)
{
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election	*s = NULL;
	char			*t, *big;
	size_t			 len, n = TLY_ELECTION_PIECE_MAX;

	big = malloc(n + 64);
	assert_non_null(big);
	strcpy(big, "\"id\": \"A03\"");
	memset(big + strlen(big), ' ', n);
	big[strlen("\"id\": \"A03\"") + n] = '\0';
	t = edit_text("\"id\": \"A03\"", big, &len);
	assert_int_equal(read_scope(t, len, A01_A02, 2, 65536, &doc, &s,
	    NULL), TLY_E_DEFINITION);
	assert_non_null(strstr(tly_errdetail(), "areas[2]: over"));
	free(t);
	free(big);
	tly_buf_free(&doc);
}

/* A reader whose source fails passes the failure on. */
static int
bad_read(void *arg, void *buf, size_t max, size_t *got)
{
	*got = 0;
	return tly_fail(TLY_E_IO, "no disk");
}

static void
test_subset_source_errors(void **state)
{
	struct tly_buf		 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_election_source src = { bad_read, mem_rewind, NULL };
	struct tly_election_scope scope = { 1, 0, NULL };
	struct tly_election	*s = NULL;

	assert_int_equal(tly_election_read_scope(&src, &scope, &doc, &s),
	    TLY_E_IO);
	assert_null(s);
	tly_buf_free(&doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subset_keeps_the_scope),
		cmocka_unit_test(test_subset_of_every_area_is_the_whole),
		cmocka_unit_test(test_subset_scope_outside_the_file),
		cmocka_unit_test(test_subset_checks_as_the_whole),
		cmocka_unit_test(test_subset_other_constituency),
		cmocka_unit_test(test_subset_checks_the_vectors),
		cmocka_unit_test(test_subset_keeps_the_rounds_of_the_scope),
		cmocka_unit_test(test_subset_json_rules_everywhere),
		cmocka_unit_test(test_subset_ends),
		cmocka_unit_test(test_subset_piece_cap),
		cmocka_unit_test(test_subset_source_errors),
	};

	return cmocka_run_group_tests(tests, setup_election,
	    teardown_election);
}
