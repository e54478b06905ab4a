/*
 * test_compress.c: gzip round trips and the failures tly_gunzip must
 * report (bomb, truncation, corruption, trailing bytes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "sync/compress.h"

#define MiB	(1024u * 1024)

/* Fill p[0..n) with compressible but not trivial bytes. */
static void
fill_text(uint8_t *p, size_t n)
{
	uint32_t	 x = 12345;
	size_t		 i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)("abcdefgh{}\",:0123"[(x >> 16) % 17]);
	}
}

/* gzip then gunzip in[0..n) and compare. */
static void
round_trip(const uint8_t *in, size_t n)
{
	struct tly_buf	 z = TLY_BUF_INIT(n + n / 100 + 1024);
	struct tly_buf	 o = TLY_BUF_INIT(n + 1);

	assert_int_equal(tly_gzip(in, n, &z), TLY_OK);
	assert_true(z.len >= 18);	/* gzip header and trailer */
	assert_int_equal(z.p[0], 0x1f);
	assert_int_equal(z.p[1], 0x8b);
	assert_int_equal(tly_gunzip(z.p, z.len, n, &o), TLY_OK);
	assert_int_equal(o.len, n);
	if (n > 0)
		assert_memory_equal(o.p, in, n);
	tly_buf_free(&z);
	tly_buf_free(&o);
}

/* Round trips of an empty, a small and a 1 MiB body. */
static void
test_round_trip_empty(void **state)
{
	round_trip(NULL, 0);
}

static void
test_round_trip_small(void **state)
{
	const char	*s = "{\"hello\":\"world\"}";

	round_trip((const uint8_t *)s, strlen(s));
}

static void
test_round_trip_large(void **state)
{
	uint8_t	*p = malloc(MiB);

	assert_non_null(p);
	fill_text(p, MiB);
	round_trip(p, MiB);
	free(p);
}

/* The output of gunzip is appended after what the buffer already holds. */
static void
test_appends(void **state)
{
	struct tly_buf	 z = TLY_BUF_INIT(1024), o = TLY_BUF_INIT(1024);

	assert_int_equal(tly_gzip((const uint8_t *)"tail", 4, &z), TLY_OK);
	assert_int_equal(tly_buf_addstr(&o, "head-"), TLY_OK);
	assert_int_equal(tly_gunzip(z.p, z.len, 4, &o), TLY_OK);
	assert_string_equal((char *)o.p, "head-tail");
	tly_buf_free(&z);
	tly_buf_free(&o);
}

/* 50 MiB of zeros stops at a 1 MiB limit, and out is left as it was. */
static void
test_bomb(void **state)
{
	size_t		 n = 50 * MiB;
	uint8_t		*zeros = calloc(1, n);
	struct tly_buf	 z = TLY_BUF_INIT(MiB), o = TLY_BUF_INIT(64 * MiB);

	assert_non_null(zeros);
	assert_int_equal(tly_gzip(zeros, n, &z), TLY_OK);
	free(zeros);
	assert_true(z.len < MiB / 4);
	assert_int_equal(tly_gunzip(z.p, z.len, MiB, &o), TLY_E_TOO_LARGE);
	assert_int_equal(o.len, 0);
	/* Exactly at the limit is fine. */
	tly_buf_free(&z);
	zeros = calloc(1, MiB);
	assert_non_null(zeros);
	assert_int_equal(tly_gzip(zeros, MiB, &z), TLY_OK);
	assert_int_equal(tly_gunzip(z.p, z.len, MiB, &o), TLY_OK);
	assert_int_equal(o.len, MiB);
	tly_buf_reset(&o);
	assert_int_equal(tly_gunzip(z.p, z.len, MiB - 1, &o),
	    TLY_E_TOO_LARGE);
	free(zeros);
	tly_buf_free(&z);
	tly_buf_free(&o);
}

/* The output buffer's own cap is honoured too. */
static void
test_buffer_cap(void **state)
{
	uint8_t		 p[4096];
	struct tly_buf	 z = TLY_BUF_INIT(8192), o = TLY_BUF_INIT(100);

	fill_text(p, sizeof(p));
	assert_int_equal(tly_gzip(p, sizeof(p), &z), TLY_OK);
	assert_int_equal(tly_gunzip(z.p, z.len, sizeof(p), &o),
	    TLY_E_TOO_LARGE);
	assert_int_equal(o.len, 0);
	tly_buf_free(&z);
	tly_buf_free(&o);
}

/* Every proper prefix of a gzip member is truncated. */
static void
test_truncated(void **state)
{
	uint8_t		 p[2000];
	struct tly_buf	 z = TLY_BUF_INIT(4096), o = TLY_BUF_INIT(4096);
	size_t		 cut;

	fill_text(p, sizeof(p));
	assert_int_equal(tly_gzip(p, sizeof(p), &z), TLY_OK);
	for (cut = 0; cut < z.len; cut++) {
		tly_buf_reset(&o);
		assert_int_equal(tly_gunzip(z.p, cut, sizeof(p), &o),
		    TLY_E_ENCODING);
		assert_int_equal(o.len, 0);
	}
	tly_buf_free(&z);
	tly_buf_free(&o);
}

/* A flipped byte in the header, the data or the CRC is caught. */
static void
test_corrupt(void **state)
{
	uint8_t		 p[2000];
	struct tly_buf	 z = TLY_BUF_INIT(4096), o = TLY_BUF_INIT(4096);
	size_t		 at[4], i;

	fill_text(p, sizeof(p));
	assert_int_equal(tly_gzip(p, sizeof(p), &z), TLY_OK);
	at[0] = 0;		/* magic */
	at[1] = 2;		/* method */
	at[2] = z.len - 6;	/* CRC-32 */
	at[3] = z.len - 2;	/* ISIZE */
	for (i = 0; i < 4; i++) {
		z.p[at[i]] ^= 0x40;
		tly_buf_reset(&o);
		assert_int_equal(tly_gunzip(z.p, z.len, sizeof(p), &o),
		    TLY_E_ENCODING);
		assert_int_equal(o.len, 0);
		z.p[at[i]] ^= 0x40;
	}
	/* Not gzip at all. */
	tly_buf_reset(&o);
	assert_int_equal(tly_gunzip((const uint8_t *)"{\"a\":1}", 7, 100,
	    &o), TLY_E_ENCODING);
	tly_buf_free(&z);
	tly_buf_free(&o);
}

/* Bytes after the member, including a second member, are rejected. */
static void
test_trailing(void **state)
{
	struct tly_buf	 z = TLY_BUF_INIT(4096), o = TLY_BUF_INIT(4096);
	size_t		 one;

	assert_int_equal(tly_gzip((const uint8_t *)"abc", 3, &z), TLY_OK);
	one = z.len;
	assert_int_equal(tly_gunzip(z.p, one, 100, &o), TLY_OK);
	assert_int_equal(tly_buf_add_u8(&z, 0), TLY_OK);
	tly_buf_reset(&o);
	assert_int_equal(tly_gunzip(z.p, z.len, 100, &o), TLY_E_ENCODING);
	assert_int_equal(o.len, 0);
	z.len = one;
	assert_int_equal(tly_gzip((const uint8_t *)"def", 3, &z), TLY_OK);
	tly_buf_reset(&o);
	assert_int_equal(tly_gunzip(z.p, z.len, 100, &o), TLY_E_ENCODING);
	tly_buf_free(&z);
	tly_buf_free(&o);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_round_trip_small),
		cmocka_unit_test(test_round_trip_large),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_buffer_cap),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_trailing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
