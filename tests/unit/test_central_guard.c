/*
 * test_central_guard.c: the token bucket per address of central/guard.c
 * (PROTOCOL.md 8.5), on a clock the test sets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "central/guard.h"
#include "common/err.h"
#include "common/limits.h"

/* A new address is served; the burst empties it; then 429 for a while. */
static void
test_burst_then_limited(void **state)
{
	struct tly_guard	*g;
	unsigned		 i;

	assert_int_equal(tly_guard_create(&g), TLY_OK);
	assert_int_equal(tly_guard_check(g, "10.0.0.1", 1000), 0);
	for (i = 0; i + 1 < TLY_VERIFY_FAIL_BURST; i++)
		assert_int_equal(tly_guard_charge(g, "10.0.0.1", 1, 1000), 0);
	assert_int_equal(tly_guard_check(g, "10.0.0.1", 1000), 0);
	/* The last token: this charge empties the bucket, once. */
	assert_int_equal(tly_guard_charge(g, "10.0.0.1", 1, 1000), 1);
	assert_int_equal(tly_guard_charge(g, "10.0.0.1", 1, 1000), 0);
	assert_int_equal(tly_guard_check(g, "10.0.0.1", 1000), 1);
	/* Another address is not affected. */
	assert_int_equal(tly_guard_check(g, "10.0.0.2", 1000), 0);
	/* One token comes back after 1/RATE seconds, not before. */
	assert_int_equal(tly_guard_check(g, "10.0.0.1",
	    1000 + 1000 / TLY_VERIFY_FAIL_RATE - 1), 1);
	assert_int_equal(tly_guard_check(g, "10.0.0.1",
	    1000 + 1000 / TLY_VERIFY_FAIL_RATE), 0);
	tly_guard_destroy(g);
}

/* Retry-After is the whole seconds until one token is back, at least 1. */
static void
test_retry_after(void **state)
{
	struct tly_guard	*g;

	assert_int_equal(tly_guard_create(&g), TLY_OK);
	tly_guard_charge(g, "::1", TLY_VERIFY_FAIL_BURST + 1000, 0);
	/* Never below 0: one token is 1/RATE seconds away. */
	assert_int_equal(tly_guard_check(g, "::1", 0), 1);
	/* The bucket fills up to the burst, and no further. */
	tly_guard_charge(g, "::1", 1, 3600 * 1000);
	assert_int_equal(tly_guard_charge(g, "::1",
	    TLY_VERIFY_FAIL_BURST - 2, 3600 * 1000), 0);
	assert_int_equal(tly_guard_charge(g, "::1", 1, 3600 * 1000), 1);
	tly_guard_destroy(g);
}

/* Many more addresses than the table: a limited one is not forgotten. */
static void
test_limited_address_survives_a_crowd(void **state)
{
	struct tly_guard	*g;
	char			 a[32];
	unsigned		 i;

	assert_int_equal(tly_guard_create(&g), TLY_OK);
	tly_guard_charge(g, "192.0.2.1", TLY_VERIFY_FAIL_BURST, 0);
	for (i = 0; i < 4 * TLY_VERIFY_FAIL_ADDRS; i++) {
		snprintf(a, sizeof(a), "10.%u.%u.%u", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		tly_guard_charge(g, a, 1, 0);
	}
	assert_int_equal(tly_guard_check(g, "192.0.2.1", 0), 1);
	tly_guard_destroy(g);
	tly_guard_destroy(NULL);
}

/*
 * An address that failed lately holds a token per admitted upload, so
 * two uploads at once cannot both pass on its last token; an upload
 * that fails nothing gives it back.  A clean address holds none.
 */
static void
test_admit_holds_the_last_token(void **state)
{
	struct tly_guard	*g;
	int			 held;

	assert_int_equal(tly_guard_create(&g), TLY_OK);
	assert_int_equal(tly_guard_admit(g, "10.0.0.9", 0, &held), 0);
	assert_int_equal(held, 0);
	tly_guard_charge(g, "10.0.0.9", 1, 0);
	assert_int_equal(tly_guard_admit(g, "10.0.0.9", 0, &held), 0);
	assert_int_equal(held, 0);		/* 63 left: over half */
	tly_guard_charge(g, "10.0.0.9", TLY_VERIFY_FAIL_BURST - 2, 0);
	/* One token left: the first upload takes it, the second waits. */
	assert_int_equal(tly_guard_admit(g, "10.0.0.9", 0, &held), 0);
	assert_int_equal(held, 1);
	assert_int_equal(tly_guard_admit(g, "10.0.0.9", 0, &held), 1);
	assert_int_equal(held, 0);
	/* The first failed nothing: its token comes back. */
	tly_guard_refund(g, "10.0.0.9", 0);
	assert_int_equal(tly_guard_admit(g, "10.0.0.9", 0, &held), 0);
	assert_int_equal(held, 1);
	tly_guard_destroy(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_limited),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_limited_address_survives_a_crowd),
		cmocka_unit_test(test_admit_holds_the_last_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
