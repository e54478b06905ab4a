/*
 * test_json.c: the strict JSON scanner (PROTOCOL.md section 1) against
 * the conformance corpus in tests/vectors/json: every y_*.json must be
 * accepted and every n_*.json refused.  "Accepted" means that
 * tly_json_parse() succeeds and that no object anywhere in the tree has
 * a name twice (the rule tly_json_check_names() applies to each body).
 *
 * The corpus folder is the first argument, or else the one under the
 * source tree this binary was built from, so it runs from any directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"

#ifndef TLY_SRCDIR
#define TLY_SRCDIR	"."
#endif

static const char *corpus = TLY_SRCDIR "/tests/vectors/json";

/* TLY_OK if no object under n repeats a name, else TLY_E_JSON. */
static int
no_duplicates(const struct tly_json *n)
{
	const struct tly_json	*c;
	int			 r;

	if (tly_json_is_object(n) &&
	    (r = tly_json_check_names(n, "", NULL)) != TLY_OK)
		return r;
	for (c = tly_json_first(n); c != NULL; c = tly_json_next(c))
		if ((r = no_duplicates(c)) != TLY_OK)
			return r;
	return TLY_OK;
}

/* Parse p[0..len) the way a body is read: the tree, then the names. */
static int
read_json(const void *p, size_t len)
{
	struct tly_json	*root = NULL;
	int		 r;

	if ((r = tly_json_parse(p, len, &root)) == TLY_OK)
		r = no_duplicates(root);
	if (r != TLY_OK && root == NULL && tly_errdetail()[0] == '\0')
		fail_msg("refused without a detail");
	tly_json_free(root);
	return r;
}

static void
test_json_corpus(void **state)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[4096];
	size_t		 ny = 0, nn = 0;
	int		 r;

	if ((d = opendir(corpus)) == NULL)
		fail_msg("%s: cannot open the corpus", corpus);
	while ((de = readdir(d)) != NULL) {
		struct tly_buf	 b = TLY_BUF_INIT(1 << 20);
		const char	*name = de->d_name;
		size_t		 len = strlen(name);

		if (len < 7 || strcmp(name + len - 5, ".json") != 0)
			continue;
		if (strncmp(name, "y_", 2) != 0 && strncmp(name, "n_", 2) != 0)
			fail_msg("%s: neither y_ nor n_", name);
		snprintf(path, sizeof(path), "%s/%s", corpus, name);
		if (tly_buf_read_file(path, b.max, &b) != TLY_OK)
			fail_msg("%s: cannot read", path);
		tly_errclear();
		r = read_json(b.p, b.len);
		if (name[0] == 'y' && r != TLY_OK)
			fail_msg("%s refused: %s", name, tly_errdetail());
		if (name[0] == 'n' && r == TLY_OK)
			fail_msg("%s accepted", name);
		if (name[0] == 'y')
			ny++;
		else
			nn++;
		tly_buf_free(&b);
	}
	closedir(d);
	print_message("corpus: %zu accepted, %zu refused as required\n",
	    ny, nn);
	assert_true(ny >= 30);
	assert_true(nn >= 100);
}

/* Integers are read exactly, never through a double. */
static void
test_json_integers_exact(void **state)
{
	static const struct {
		const char	*text;
		uint64_t	 want;
	} k[] = {
		{ "[9007199254740991]", 9007199254740991ULL },
		{ "[9007199254740990]", 9007199254740990ULL },
		{ "[9007199254740989]", 9007199254740989ULL },
		{ "[4503599627370497]", 4503599627370497ULL },
		{ "[0]", 0 },
		{ "[10]", 10 },
	};
	struct tly_json	*root;
	uint64_t	 v;
	size_t		 i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		assert_int_equal(tly_json_parse(k[i].text, strlen(k[i].text),
		    &root), TLY_OK);
		assert_int_equal(tly_json_int(tly_json_first(root), "x", &v),
		    TLY_OK);
		assert_true(v == k[i].want);
		tly_json_free(root);
	}
}

/* Escapes decode to UTF-8; the detail names the byte and the member. */
static void
test_json_strings_and_details(void **state)
{
	static const char t[] = "{\"a\":\"\\ud83d\\ude00\\u00e9\\t\","
	    "\"\\u0062\":\"x\"}";
	struct tly_json	*root;

	assert_int_equal(tly_json_parse(t, sizeof(t) - 1, &root), TLY_OK);
	assert_string_equal(tly_json_string(tly_json_get(root, "a")),
	    "\xf0\x9f\x98\x80\xc3\xa9\t");
	assert_string_equal(tly_json_string(tly_json_get(root, "b")), "x");
	assert_int_equal(tly_json_count(root), 2);
	tly_json_free(root);

	assert_int_equal(tly_json_parse("{\"seq\":1.0}", 11, &root),
	    TLY_E_JSON);
	assert_null(root);
	assert_non_null(strstr(tly_errdetail(), "at byte 8"));
	assert_non_null(strstr(tly_errdetail(), "seq: "));
	assert_int_equal(tly_json_parse("{\"a\":[1,{\"b\":01}]}", 18, &root),
	    TLY_E_JSON);
	assert_string_equal(tly_errdetail(),
	    "a[1].b: number with a leading zero at byte 14");
	assert_int_equal(tly_json_parse("\xef\xbb\xbf{}", 5, &root),
	    TLY_E_JSON);
	assert_non_null(strstr(tly_errdetail(), "byte order mark"));
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_corpus),
		cmocka_unit_test(test_json_integers_exact),
		cmocka_unit_test(test_json_strings_and_details),
	};

	if (argc > 1)
		corpus = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
