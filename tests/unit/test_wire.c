/*
 * test_wire.c: signed envelopes, batches, receipts and bundles against
 * the committed golden vectors in tests/vectors/, with the required
 * failures: a flipped byte, the wrong key, the wrong context, truncation,
 * trailing bytes and a future version.
 *
 * TALLY_WRITE_VECTORS=1 rewrites the golden files (only when the format
 * changes on purpose, together with PROTOCOL.md).
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
#include "crypto/crypto.h"
#include "sync/companion.h"
#include "sync/wire.h"

#define VEC		TLY_SRCDIR "/tests/vectors/"
#define CREATED		1622073600	/* 2021-05-27T00:00:00Z */

static struct tly_key	*dev, *central;
static uint8_t		 election[32];

/* The record every golden batch carries (record index i varies area). */
static void
golden_record(struct tly_record *r, int i)
{
	tly_record_init(r);
	snprintf(r->area, sizeof(r->area), "A%02d", i + 1);
	strcpy(r->level, "na");
	strcpy(r->constituency, "NA-1");
	r->round = 1;
	r->registered = 1000;
	r->voted = 990;
	r->issued = 990;
	r->received = 990;
	r->valid = 980;
	r->invalid = 10;
	r->nvotes = 3;
	strcpy(r->votes[0].cand, "c1");
	r->votes[0].votes = 700;
	strcpy(r->votes[1].cand, "c2");
	r->votes[1].votes = 600;
	strcpy(r->votes[2].cand, "c3");
	r->votes[2].votes = 300;
}

/* Seal golden batch seq (1 or 2) into out; id into idout. */
static void
seal_golden(uint64_t seq, const uint8_t *prev, struct tly_buf *out,
    uint8_t idout[32])
{
	struct tly_record	rec[2];

	golden_record(&rec[0], 0);
	golden_record(&rec[1], (int)seq);
	assert_int_equal(tly_batch_seal(dev, seq, prev, CREATED + seq, 0,
	    election, rec, seq == 1 ? 1 : 2, out, idout), TLY_OK);
	tly_record_finish(&rec[0]);
	tly_record_finish(&rec[1]);
}

/* Compare out with the committed file, or write it in update mode. */
static void
golden(const char *name, const struct tly_buf *b)
{
	struct tly_buf	f = TLY_BUF_INIT(TLY_MSG_MAX * 4);
	char		path[256];

	snprintf(path, sizeof(path), VEC "%s", name);
	if (getenv("TALLY_WRITE_VECTORS") != NULL) {
		assert_int_equal(tly_file_write_atomic(path, b->p, b->len,
		    0644), TLY_OK);
		return;
	}
	assert_int_equal(tly_buf_read_file(path, f.max, &f), TLY_OK);
	assert_int_equal(f.len, b->len);
	assert_memory_equal(f.p, b->p, b->len);
	tly_buf_free(&f);
}

static int
setup(void **state)
{
	uint8_t	seed[32];
	size_t	i;

	if (tly_crypto_init() != TLY_OK)
		return -1;
	for (i = 0; i < 32; i++)
		seed[i] = (uint8_t)(i + 1);
	if (tly_key_from_seed(seed, &dev) != TLY_OK)
		return -1;
	for (i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0xc0 + i);
	if (tly_key_from_seed(seed, &central) != TLY_OK)
		return -1;
	tly_hash("tally golden election", 21, election);
	return 0;
}

static int
teardown(void **state)
{
	tly_key_free(dev);
	tly_key_free(central);
	return 0;
}

static void
test_golden_batches(void **state)
{
	struct tly_buf		 b1 = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 b2 = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_batch	*b = NULL;
	uint8_t			 id1[32], id2[32], h[32];

	seal_golden(1, NULL, &b1, id1);
	seal_golden(2, id1, &b2, id2);
	golden("golden-batch-1.bin", &b1);
	golden("golden-batch-2.bin", &b2);

	/* The batch id is the hash of every byte, signature included. */
	tly_hash(b1.p, b1.len, h);
	assert_memory_equal(h, id1, 32);

	assert_int_equal(tly_batch_parse(b2.p, b2.len, &b), TLY_OK);
	assert_memory_equal(b->id, id2, 32);
	assert_memory_equal(b->device, tly_key_public(dev), 32);
	assert_memory_equal(b->prev, id1, 32);
	assert_memory_equal(b->election, election, 32);
	assert_int_equal(b->seq, 2);
	assert_int_equal(b->created, CREATED + 2);
	assert_int_equal(b->test, 0);
	assert_int_equal(b->nrecords, 2);
	assert_string_equal(b->records[1].area, "A03");
	assert_int_equal(b->records[1].votes[1].votes, 600);
	tly_batch_free(b);
	tly_buf_free(&b1);
	tly_buf_free(&b2);
}

/* Expect tly_batch_parse of m to fail with err. */
static void
expect_batch_fail(const uint8_t *m, size_t len, int err)
{
	struct tly_batch *b = NULL;

	assert_int_equal(tly_batch_parse(m, len, &b), err);
	assert_null(b);
}

static void
test_batch_required_failures(void **state)
{
	struct tly_buf	 b = TLY_BUF_INIT(TLY_MSG_MAX + 16);
	uint8_t		 id[32], *m;
	size_t		 i, n, ctxlen;

	seal_golden(1, NULL, &b, id);
	m = b.p;
	n = b.len;
	ctxlen = m[9];

	/* A flipped byte anywhere in the signed part or the signature. */
	for (i = 0; i < n; i += 7) {
		struct tly_batch *x = NULL;
		m[i] ^= 0x01;
		assert_int_not_equal(tly_batch_parse(m, n, &x), TLY_OK);
		assert_null(x);
		m[i] ^= 0x01;
	}
	m[n - 1] ^= 0x40;
	expect_batch_fail(m, n, TLY_E_SIGNATURE);
	m[n - 1] ^= 0x40;
	m[46 + ctxlen + 5] ^= 0x01;		/* inside the body */
	expect_batch_fail(m, n, TLY_E_SIGNATURE);
	m[46 + ctxlen + 5] ^= 0x01;

	/* The wrong key: the signer field names another key. */
	memcpy(m + 10 + ctxlen, tly_key_public(central), 32);
	expect_batch_fail(m, n, TLY_E_SIGNATURE);
	memcpy(m + 10 + ctxlen, tly_key_public(dev), 32);

	/* Truncated: every shorter length fails. */
	for (i = 0; i < n; i += (i < 200 ? 1 : 97))
		assert_int_not_equal(tly_batch_parse(m, i, &(struct tly_batch *){NULL}), TLY_OK);
	expect_batch_fail(m, n - 1, TLY_E_TRUNCATED);
	expect_batch_fail(m, 50, TLY_E_TRUNCATED);

	/* Trailing bytes. */
	assert_int_equal(tly_buf_add(&b, "\0", 1), TLY_OK);
	m = b.p;
	expect_batch_fail(m, n + 1, TLY_E_TRAILING);

	/* A future version. */
	m[8] = 2;
	expect_batch_fail(m, n, TLY_E_VERSION);
	m[8] = 1;

	/* Bad magic. */
	m[0] = 'X';
	expect_batch_fail(m, n, TLY_E_MAGIC);
	m[0] = 'T';

	/* Still good after all the restores. */
	{
		struct tly_batch *x = NULL;
		assert_int_equal(tly_batch_parse(m, n, &x), TLY_OK);
		tly_batch_free(x);
	}
	tly_buf_free(&b);
}

/* A signature made for one context never verifies as another. */
static void
test_wrong_context(void **state)
{
	struct tly_buf		 b = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_receipt	 rc = { .seq = 1, .stored = CREATED };
	struct tly_receipt	 out;
	struct tly_envelope	 env;
	const char		*body = "{\"x\":1}";

	/* A receipt is not a batch. */
	assert_int_equal(tly_receipt_seal(dev, &rc, &b), TLY_OK);
	expect_batch_fail(b.p, b.len, TLY_E_CONTEXT);
	tly_buf_reset(&b);

	/* A batch is not a receipt, even from the central's key. */
	assert_int_equal(tly_envelope_seal(central, TLY_CTX_BATCH,
	    (const uint8_t *)body, strlen(body), &b), TLY_OK);
	assert_int_equal(tly_receipt_verify(b.p, b.len,
	    tly_key_public(central), &out), TLY_E_RECEIPT);

	/* Relabelling the context breaks the signature. */
	memcpy(b.p + 10, "tally/receipt/v1", 14);	/* same length */
	assert_int_equal(tly_envelope_verify(b.p, b.len, "tally/receipt/", &env),
	    TLY_E_SIGNATURE);
	tly_buf_free(&b);
}

static void
test_golden_receipt(void **state)
{
	struct tly_buf		b = TLY_BUF_INIT(4096);
	struct tly_receipt	rc, out;
	uint8_t			other[32];

	memset(&rc, 0, sizeof(rc));
	memcpy(rc.device, tly_key_public(dev), 32);
	rc.seq = 7;
	tly_hash("batch", 5, rc.batch);
	rc.stored = CREATED + 60;
	assert_int_equal(tly_receipt_seal(central, &rc, &b), TLY_OK);
	golden("golden-receipt.bin", &b);
	assert_int_equal(tly_receipt_verify(b.p, b.len, tly_key_public(central),
	    &out), TLY_OK);
	assert_memory_equal(&out, &rc, sizeof(rc));

	/* Wrong key, flipped byte, truncation, trailing byte. */
	memcpy(other, tly_key_public(dev), 32);
	assert_int_equal(tly_receipt_verify(b.p, b.len, other, &out),
	    TLY_E_RECEIPT);
	b.p[b.len / 2] ^= 1;
	assert_int_equal(tly_receipt_verify(b.p, b.len, tly_key_public(central),
	    &out), TLY_E_RECEIPT);
	b.p[b.len / 2] ^= 1;
	assert_int_equal(tly_receipt_verify(b.p, b.len - 1,
	    tly_key_public(central), &out), TLY_E_RECEIPT);
	assert_int_equal(tly_buf_add(&b, "x", 1), TLY_OK);
	assert_int_equal(tly_receipt_verify(b.p, b.len, tly_key_public(central),
	    &out), TLY_E_RECEIPT);
	tly_buf_free(&b);
}

static void
test_golden_bundle(void **state)
{
	struct tly_buf			 b1 = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf			 b2 = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf			 bd = TLY_BUF_INIT(4 * TLY_MSG_MAX);
	struct tly_bundle_reader	 r;
	const uint8_t			*m;
	size_t				 mlen, i;
	uint8_t				 id1[32], id2[32];

	seal_golden(1, NULL, &b1, id1);
	seal_golden(2, id1, &b2, id2);
	/* Any order: seq 2 first. */
	assert_int_equal(tly_bundle_begin(&bd), TLY_OK);
	assert_int_equal(tly_bundle_add(&bd, b2.p, b2.len), TLY_OK);
	assert_int_equal(tly_bundle_add(&bd, b1.p, b1.len), TLY_OK);
	assert_int_equal(tly_bundle_end(&bd, 2), TLY_OK);
	golden("golden.bundle", &bd);

	assert_int_equal(tly_bundle_open(bd.p, bd.len, &r), TLY_OK);
	assert_int_equal(r.count, 2);
	assert_int_equal(tly_bundle_next(&r, &m, &mlen), 1);
	assert_int_equal(mlen, b2.len);
	assert_memory_equal(m, b2.p, mlen);
	assert_int_equal(tly_bundle_next(&r, &m, &mlen), 1);
	assert_memory_equal(m, b1.p, mlen);
	assert_int_equal(tly_bundle_next(&r, &m, &mlen), 0);

	/* Any truncation, a flipped byte, trailing data, a future version. */
	for (i = 0; i < bd.len; i += 13)
		assert_int_equal(tly_bundle_open(bd.p, i, &r), TLY_E_BUNDLE);
	for (i = 0; i < bd.len; i += 11) {
		bd.p[i] ^= 0x20;
		assert_int_equal(tly_bundle_open(bd.p, bd.len, &r), TLY_E_BUNDLE);
		bd.p[i] ^= 0x20;
	}
	assert_int_equal(tly_buf_add(&bd, "\0", 1), TLY_OK);
	assert_int_equal(tly_bundle_open(bd.p, bd.len, &r), TLY_E_BUNDLE);
	bd.len--;
	bd.p[8] = 2;
	assert_int_equal(tly_bundle_open(bd.p, bd.len, &r), TLY_E_BUNDLE);
	assert_non_null(strstr(tly_errdetail(), "version"));
	bd.p[8] = 1;
	assert_int_equal(tly_bundle_open(bd.p, bd.len, &r), TLY_OK);

	/* An empty bundle is valid. */
	tly_buf_reset(&bd);
	assert_int_equal(tly_bundle_begin(&bd), TLY_OK);
	assert_int_equal(tly_bundle_end(&bd, 0), TLY_OK);
	assert_int_equal(tly_bundle_open(bd.p, bd.len, &r), TLY_OK);
	assert_int_equal(r.count, 0);
	tly_buf_free(&b1);
	tly_buf_free(&b2);
	tly_buf_free(&bd);
}

/* A body that signs fine but breaks a batch rule is TLY_E_BATCH. */
static void
test_batch_body_rules(void **state)
{
	static const char *const bodies[] = {
		"not json",
		"{\"device\":\"00\"}",
		/* seq 0 */
		"{\"device\":\"%s\",\"seq\":0,\"prev\":\"%s\",\"created\":1,"
		"\"mode\":\"live\",\"election\":\"%s\",\"records\":[]}",
		/* empty records */
		"{\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\",\"created\":1,"
		"\"mode\":\"live\",\"election\":\"%s\",\"records\":[]}",
		/* bad mode */
		"{\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\",\"created\":1,"
		"\"mode\":\"LIVE\",\"election\":\"%s\",\"records\":[{}]}",
		/* unknown name */
		"{\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\",\"created\":1,"
		"\"mode\":\"live\",\"election\":\"%s\",\"records\":[{}],\"x\":1}",
	};
	char	 dhex[65], zhex[65], ehex[65], body[1024];
	uint8_t	 zero[32] = { 0 };
	size_t	 i;

	tly_hex(tly_key_public(dev), 32, dhex);
	tly_hex(zero, 32, zhex);
	tly_hex(election, 32, ehex);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct tly_buf b = TLY_BUF_INIT(TLY_MSG_MAX);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(body, sizeof(body), bodies[i], dhex, zhex, ehex);
#pragma GCC diagnostic pop
		assert_int_equal(tly_envelope_seal(dev, TLY_CTX_BATCH,
		    (uint8_t *)body, strlen(body), &b), TLY_OK);
		expect_batch_fail(b.p, b.len, TLY_E_BATCH);
		tly_buf_free(&b);
	}
	/* Signed by a key other than the named device. */
	{
		struct tly_buf b = TLY_BUF_INIT(TLY_MSG_MAX);
		struct tly_record rec;
		uint8_t id[32];
		golden_record(&rec, 0);
		assert_int_equal(tly_batch_seal(dev, 1, NULL, 1, 0, election,
		    &rec, 1, &b, id), TLY_OK);
		tly_record_finish(&rec);
		/* Re-sign the same body with the central key. */
		struct tly_envelope env;
		assert_int_equal(tly_envelope_parse(b.p, b.len, &env), TLY_OK);
		struct tly_buf c = TLY_BUF_INIT(TLY_MSG_MAX);
		assert_int_equal(tly_envelope_seal(central, TLY_CTX_BATCH,
		    env.body, env.bodylen, &c), TLY_OK);
		expect_batch_fail(c.p, c.len, TLY_E_BATCH);
		assert_non_null(strstr(tly_errdetail(), "signer"));
		tly_buf_free(&b);
		tly_buf_free(&c);
	}
}

/* The unsigned readers keep the context rule of the signed ones. */
static void
test_from_envelope_context(void **state)
{
	static const uint8_t	 seed[32] = { 3 };
	static const char	 body[] = "{}";
	struct tly_key		*k = NULL;
	struct tly_buf		 m = TLY_BUF_INIT(4096);
	struct tly_envelope	 env;
	struct tly_batch	*b = NULL;
	struct tly_receipt	 rc;

	assert_int_equal(tly_key_from_seed(seed, &k), TLY_OK);
	assert_int_equal(tly_envelope_seal(k, TLY_CTX_RECEIPT,
	    (const uint8_t *)body, 2, &m), TLY_OK);
	assert_int_equal(tly_envelope_parse(m.p, m.len, &env), TLY_OK);
	assert_int_equal(tly_batch_from_envelope(&env, &b), TLY_E_CONTEXT);
	assert_null(b);
	/* The right context reaches the body, which is refused. */
	assert_int_equal(tly_receipt_from_envelope(&env, tly_key_public(k),
	    &rc), TLY_E_RECEIPT);
	assert_non_null(strstr(tly_errdetail(), "receipt body"));
	tly_buf_reset(&m);
	assert_int_equal(tly_envelope_seal(k, TLY_CTX_BATCH,
	    (const uint8_t *)body, 2, &m), TLY_OK);
	assert_int_equal(tly_envelope_parse(m.p, m.len, &env), TLY_OK);
	assert_int_equal(tly_receipt_from_envelope(&env, tly_key_public(k),
	    &rc), TLY_E_RECEIPT);
	assert_non_null(strstr(tly_errdetail(), "not a receipt"));
	assert_int_equal(tly_batch_from_envelope(&env, &b), TLY_E_BATCH);
	assert_null(b);
	tly_buf_free(&m);
	tly_key_free(k);
}

/* A bundle file of version 2 (PROTOCOL.md 7.2): companions by context. */
static void
test_bundle_companions(void **state)
{
	struct tly_buf			 b = TLY_BUF_INIT(1 << 20);
	struct tly_buf			 bat = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf			 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_receipt		 r;
	struct tly_bundle_reader	 rd;
	const uint8_t			*m;
	size_t				 mlen;
	uint8_t				 id[32];

	seal_golden(1, NULL, &bat, id);
	memset(&r, 0, sizeof(r));
	memcpy(r.device, tly_key_public(dev), 32);
	r.seq = 1;
	memcpy(r.batch, id, 32);
	r.stored = CREATED + 60;
	assert_int_equal(tly_receipt_seal(central, &r, &rc), TLY_OK);

	assert_int_equal(tly_bundle_begin_version(&b, TLY_BUNDLE_VERSION_2),
	    TLY_OK);
	assert_int_equal(tly_bundle_add(&b, bat.p, bat.len), TLY_OK);
	assert_int_equal(tly_bundle_add(&b, rc.p, rc.len), TLY_OK);
	assert_int_equal(tly_bundle_end(&b, 2), TLY_OK);

	/* A request body is version 1 only; a file may be version 2. */
	assert_int_equal(tly_bundle_open(b.p, b.len, &rd), TLY_E_BUNDLE);
	assert_int_equal(tly_bundle_open_file(b.p, b.len, &rd), TLY_OK);
	assert_int_equal(rd.version, 2);
	assert_int_equal(tly_bundle_next(&rd, &m, &mlen), 1);
	assert_int_equal(tly_companion_kind(m, mlen, rd.version),
	    TLY_COMPANION_NONE);
	assert_int_equal(tly_bundle_next(&rd, &m, &mlen), 1);
	assert_int_equal(tly_companion_kind(m, mlen, rd.version),
	    TLY_COMPANION_RECEIPT);
	/* In version 1 every entry is a batch entry; salvage goes by context. */
	assert_int_equal(tly_companion_kind(m, mlen, TLY_BUNDLE_VERSION),
	    TLY_COMPANION_NONE);
	assert_int_equal(tly_companion_kind(m, mlen, 0),
	    TLY_COMPANION_RECEIPT);
	assert_int_equal(tly_bundle_next(&rd, &m, &mlen), 0);

	/* A version 3 is refused by both readers. */
	b.p[8] = 3;
	assert_int_equal(tly_bundle_open_file(b.p, b.len, &rd), TLY_E_BUNDLE);
	assert_int_equal(tly_bundle_begin_version(&bat, 3), TLY_E_INVAL);
	tly_buf_free(&b);
	tly_buf_free(&bat);
	tly_buf_free(&rc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_batches),
		cmocka_unit_test(test_batch_required_failures),
		cmocka_unit_test(test_wrong_context),
		cmocka_unit_test(test_golden_receipt),
		cmocka_unit_test(test_golden_bundle),
		cmocka_unit_test(test_bundle_companions),
		cmocka_unit_test(test_batch_body_rules),
		cmocka_unit_test(test_from_envelope_context),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
