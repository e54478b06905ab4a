/*
 * test_link.c: the link check's signed answer (sync/link.c, PROTOCOL.md
 * 8.8): a good answer verifies, and every required failure is refused:
 * a flipped byte, another key, another context, another nonce,
 * truncation, trailing bytes, a future version, extra names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "sync/link.h"
#include "sync/wire.h"

/* Keys and a nonce shared by the tests. */
static struct tly_key	*central, *other;
static uint8_t		 nonce[TLY_LINK_NONCE_LEN];

static int
setup(void **state)
{
	uint8_t	seed[TLY_SEED_LEN];

	assert_int_equal(tly_crypto_init(), TLY_OK);
	memset(seed, 1, sizeof(seed));
	assert_int_equal(tly_key_from_seed(seed, &central), TLY_OK);
	memset(seed, 2, sizeof(seed));
	assert_int_equal(tly_key_from_seed(seed, &other), TLY_OK);
	memset(nonce, 0xab, sizeof(nonce));
	(void)state;
	return 0;
}

static int
teardown(void **state)
{
	tly_key_free(central);
	tly_key_free(other);
	(void)state;
	return 0;
}

/* Verify m against the central key and the nonce. */
static int
verify(const struct tly_buf *m)
{
	uint64_t	t;

	return tly_link_verify(m->p, m->len, tly_key_public(central), nonce,
	    &t);
}

/* The signed body is exactly the bytes of PROTOCOL.md 8.8. */
static void
test_good(void **state)
{
	struct tly_buf		m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_envelope	env;
	uint64_t		t;
	char			want[160], hex[2 * TLY_LINK_NONCE_LEN + 1];

	assert_int_equal(tly_link_seal(central, nonce, 1700000000, &m),
	    TLY_OK);
	assert_int_equal(tly_link_verify(m.p, m.len, tly_key_public(central),
	    nonce, &t), TLY_OK);
	assert_int_equal(t, 1700000000);
	assert_int_equal(tly_envelope_parse(m.p, m.len, &env), TLY_OK);
	assert_int_equal(env.ctxlen, strlen("tally/link/v1"));
	assert_memory_equal(env.ctx, "tally/link/v1", env.ctxlen);
	snprintf(want, sizeof(want), "{\"nonce\":\"%s\",\"time\":1700000000}",
	    tly_hex(nonce, sizeof(nonce), hex));
	assert_int_equal(env.bodylen, strlen(want));
	assert_memory_equal(env.body, want, env.bodylen);
	tly_buf_free(&m);
	(void)state;
}

/* Every required failure is refused. */
static void
test_failures(void **state)
{
	struct tly_buf	m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf	x = TLY_BUF_INIT(TLY_MSG_MAX);
	const char	*extra = "{\"nonce\":\"abababababababababababababababab"
			    "abababababababababababababababab\",\"time\":5,"
			    "\"x\":1}";
	uint8_t		n2[TLY_LINK_NONCE_LEN];
	uint64_t	t;
	size_t		i;

	assert_int_equal(tly_link_seal(central, nonce, 5, &m), TLY_OK);
	/* A flipped byte anywhere. */
	for (i = 0; i < m.len; i += 7) {
		tly_buf_reset(&x);
		assert_int_equal(tly_buf_add(&x, m.p, m.len), TLY_OK);
		x.p[i] ^= 1;
		assert_int_not_equal(verify(&x), TLY_OK);
	}
	/* Truncated, or with a trailing byte. */
	tly_buf_reset(&x);
	assert_int_equal(tly_buf_add(&x, m.p, m.len - 1), TLY_OK);
	assert_int_not_equal(verify(&x), TLY_OK);
	tly_buf_reset(&x);
	assert_int_equal(tly_buf_add(&x, m.p, m.len), TLY_OK);
	assert_int_equal(tly_buf_add_u8(&x, 0), TLY_OK);
	assert_int_not_equal(verify(&x), TLY_OK);
	/* A future version. */
	tly_buf_reset(&x);
	assert_int_equal(tly_buf_add(&x, m.p, m.len), TLY_OK);
	x.p[8] = 2;
	assert_int_not_equal(verify(&x), TLY_OK);
	/* Another nonce: a replayed answer. */
	memcpy(n2, nonce, sizeof(n2));
	n2[0] ^= 1;
	assert_int_equal(tly_link_verify(m.p, m.len, tly_key_public(central),
	    n2, &t), TLY_E_INVAL);
	/* Signed by another key than the configured one. */
	tly_buf_reset(&x);
	assert_int_equal(tly_link_seal(other, nonce, 5, &x), TLY_OK);
	assert_int_equal(verify(&x), TLY_E_SIGNATURE);
	/* The same body under another context (a receipt's). */
	tly_buf_reset(&x);
	assert_int_equal(tly_envelope_seal(central, TLY_CTX_RECEIPT,
	    m.p + 10 + strlen(TLY_CTX_LINK) + 32 + 4, m.len - 110 -
	    strlen(TLY_CTX_LINK), &x), TLY_OK);
	assert_int_not_equal(verify(&x), TLY_OK);
	/* An extra name in the body. */
	tly_buf_reset(&x);
	assert_int_equal(tly_envelope_seal(central, TLY_CTX_LINK,
	    (const uint8_t *)extra, strlen(extra), &x), TLY_OK);
	assert_int_not_equal(verify(&x), TLY_OK);
	tly_buf_free(&m);
	tly_buf_free(&x);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
