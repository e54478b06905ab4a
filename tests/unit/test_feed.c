/*
 * test_feed.c: the audit feed's writer against its reader (PROTOCOL.md
 * 8.7): a page written by tly_feed_write() reads back entry for entry,
 * and its bytes are those of the contract.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "sync/feed.h"
#include "sync/wire.h"

/* Add an entry at pos to f: a batch, or a decision, with bytes m. */
static void
add(struct tly_feed *f, uint64_t pos, int decision, const char *m,
    const char *receipt)
{
	struct tly_feed_entry	*e;

	assert_int_equal(tly_feed_reserve(f), TLY_OK);
	e = &f->e[f->n++];
	memset(e, 0, sizeof(*e));
	tly_buf_init(&e->bytes, TLY_MSG_MAX);
	tly_buf_init(&e->receipt, TLY_RECEIPT_MAX);
	e->pos = pos;
	e->decision = decision;
	memset(e->batch, (int)(0x10 + pos), sizeof(e->batch));
	memset(e->device, (int)(0xa0 + pos), sizeof(e->device));
	e->seq = decision ? 0 : 40 + pos;
	assert_int_equal(tly_buf_addstr(&e->bytes, m), TLY_OK);
	if (receipt != NULL)
		assert_int_equal(tly_buf_addstr(&e->receipt, receipt), TLY_OK);
}

/* Write f as a page after after into out (NUL-terminated). */
static void
write_page(const struct tly_feed *f, uint64_t after, struct tly_buf *out)
{
	struct tly_jw	w;

	tly_jw_init(&w, out);
	assert_int_equal(tly_feed_write(f, after, &w), TLY_OK);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
}

static void
test_round_trip(void **state)
{
	struct tly_feed	 f = { 0 }, g = { 0 };
	struct tly_buf	 out = TLY_BUF_INIT(1 << 16);
	struct tly_json	*root;
	size_t		 i;

	(void)state;
	add(&f, 4, 0, "batch four", "its receipt");
	add(&f, 5, 1, "a decision", NULL);
	add(&f, 6, 0, "batch six", NULL);
	f.next = 6;
	f.more = 1;
	write_page(&f, 3, &out);
	assert_int_equal(tly_json_parse(out.p, out.len, &root), TLY_OK);
	assert_int_equal(tly_feed_page(&g, root), TLY_OK);
	tly_json_free(root);
	assert_int_equal(g.n, f.n);
	assert_int_equal(g.next, 6);
	assert_int_equal(g.more, 1);
	for (i = 0; i < f.n; i++) {
		assert_int_equal(g.e[i].pos, f.e[i].pos);
		assert_int_equal(g.e[i].decision, f.e[i].decision);
		assert_memory_equal(g.e[i].batch, f.e[i].batch,
		    sizeof(f.e[i].batch));
		assert_memory_equal(g.e[i].device, f.e[i].device,
		    sizeof(f.e[i].device));
		assert_int_equal(g.e[i].seq, f.e[i].seq);
		assert_int_equal(g.e[i].bytes.len, f.e[i].bytes.len);
		assert_memory_equal(g.e[i].bytes.p, f.e[i].bytes.p,
		    f.e[i].bytes.len);
		assert_int_equal(g.e[i].receipt.len, f.e[i].receipt.len);
		if (f.e[i].receipt.len > 0)
			assert_memory_equal(g.e[i].receipt.p,
			    f.e[i].receipt.p, f.e[i].receipt.len);
	}
	tly_feed_free(&f);
	tly_feed_free(&g);
	tly_buf_free(&out);
}

/* The page's bytes: member order, kinds, hex ids, base64, no receipt. */
static void
test_bytes(void **state)
{
	struct tly_feed	 f = { 0 };
	struct tly_buf	 out = TLY_BUF_INIT(1 << 16);
	char		 want[1024], b[65], d[65], x[65], s[65];

	(void)state;
	add(&f, 1, 0, "ab", "cd");
	add(&f, 2, 1, "ef", NULL);
	f.next = 2;
	write_page(&f, 0, &out);
	memset(b, 0, sizeof(b));
	memset(d, 0, sizeof(d));
	memset(x, 0, sizeof(x));
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 32; i++) {
		memcpy(b + 2 * i, "11", 2);
		memcpy(d + 2 * i, "a1", 2);
		memcpy(x + 2 * i, "12", 2);
		memcpy(s + 2 * i, "a2", 2);
	}
	snprintf(want, sizeof(want), "{\"entries\":["
	    "{\"pos\":1,\"kind\":\"batch\",\"batch\":\"%s\",\"device\":\"%s\","
	    "\"seq\":41,\"bytes\":\"YWI=\",\"receipt\":\"Y2Q=\"},"
	    "{\"pos\":2,\"kind\":\"decision\",\"decision\":\"%s\","
	    "\"signer\":\"%s\",\"bytes\":\"ZWY=\"}],"
	    "\"after\":0,\"next\":2,\"more\":false}", b, d, x, s);
	assert_string_equal((const char *)out.p, want);
	tly_feed_free(&f);
	tly_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
