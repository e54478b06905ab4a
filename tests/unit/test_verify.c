/*
 * test_verify.c: the one entry verifier (sync/verify.h), PROTOCOL.md 10
 * steps 1-7, against the small election: a good batch passes, and each
 * step's failure gives its code: a flipped byte, "created" outside
 * 2020 .. 2100, another election, another mode, a device off the list,
 * a hard failure and a warning without an explanation.  Also which
 * rejection codes are final (9.1).
 */
#include "tests/unit/election_fixture.h"

#include "crypto/crypto.h"
#include "sync/verify.h"
#include "sync/wire.h"

#define CREATED		1622073600ULL	/* 2021-05-27T00:00:00Z */

static struct tly_key	*dev;
static uint8_t		 ehash[TLY_HASH_LEN];

static int
setup(void **state)
{
	uint8_t	seed[TLY_SEED_LEN] = { 42 };

	tly_crypto_init();
	if (tly_key_from_seed(seed, &dev) != TLY_OK ||
	    setup_election(state) != 0)
		return -1;
	tly_hash(E_text, E_len, ehash);
	return 0;
}

static int
teardown(void **state)
{
	tly_key_free(dev);
	return teardown_election(state);
}

/* Seal one record r with created and mode test into out. */
static void
seal(const struct tly_record *r, uint64_t created, int test,
    struct tly_buf *out)
{
	tly_buf_reset(out);
	assert_int_equal(tly_batch_seal(dev, 1, NULL, created, test, ehash,
	    r, 1, out, NULL), TLY_OK);
}

/* The context of a live central for the small election. */
static void
central_ctx(struct tly_verify_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->election = E;
	memcpy(ctx->election_hash, ehash, TLY_HASH_LEN);
	ctx->mode = TLY_VERIFY_MODE_LIVE;
}

/* Verify m under ctx; expect want; free what was returned. */
static void
expect(const struct tly_verify_ctx *ctx, const struct tly_buf *m, int want)
{
	struct tly_verify_result	res;
	int				r;

	r = tly_verify_entry(ctx, m->p, m->len, &res);
	if (r != want)
		fail_msg("got %s (%s), expected %s", tly_err_code(r),
		    res.detail, tly_err_code(want));
	assert_true(res.has_id);
	if (want == TLY_OK) {
		assert_non_null(res.batch);
		assert_memory_equal(res.id, res.batch->id, TLY_HASH_LEN);
	} else
		assert_null(res.batch);
	tly_batch_free(res.batch);
}

static void
test_good_and_envelope(void **state)
{
	struct tly_buf		m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_verify_ctx	ctx;
	struct tly_record	r;

	base_record(&r);
	central_ctx(&ctx);
	seal(&r, CREATED, 0, &m);
	expect(&ctx, &m, TLY_OK);
	m.p[m.len - 1] ^= 1;		/* the signature */
	expect(&ctx, &m, TLY_E_SIGNATURE);
	tly_record_finish(&r);
	tly_buf_free(&m);
}

static void
test_created_bounds(void **state)
{
	struct tly_buf			m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_verify_ctx		ctx;
	struct tly_verify_result	res;
	struct tly_record		r;

	base_record(&r);
	memset(&ctx, 0, sizeof(ctx));	/* offline: no definition */
	seal(&r, 0, 0, &m);		/* 1970 */
	expect(&ctx, &m, TLY_E_BATCH);
	seal(&r, TLY_CREATED_MIN - 1, 0, &m);
	expect(&ctx, &m, TLY_E_BATCH);
	seal(&r, TLY_CREATED_MIN, 0, &m);
	expect(&ctx, &m, TLY_OK);
	seal(&r, TLY_CREATED_MAX - 1, 0, &m);
	expect(&ctx, &m, TLY_OK);
	seal(&r, TLY_CREATED_MAX, 0, &m);	/* 2100 */
	assert_int_equal(tly_verify_entry(&ctx, m.p, m.len, &res),
	    TLY_E_BATCH);
	assert_non_null(strstr(res.detail, "created"));
	assert_true(res.parsed);	/* the header is known all the same */
	assert_int_equal(res.seq, 1);
	tly_record_finish(&r);
	tly_buf_free(&m);
}

static void
test_step6(void **state)
{
	struct tly_buf		m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_verify_ctx	ctx;
	struct tly_record	r;
	uint8_t			other[TLY_PK_LEN];

	base_record(&r);
	central_ctx(&ctx);
	seal(&r, CREATED, 1, &m);	/* a test batch */
	expect(&ctx, &m, TLY_E_MODE);
	ctx.mode = TLY_VERIFY_MODE_ANY;
	expect(&ctx, &m, TLY_OK);
	ctx.mode = TLY_VERIFY_MODE_TEST;
	expect(&ctx, &m, TLY_OK);

	ctx.election_hash[0] ^= 1;
	expect(&ctx, &m, TLY_E_ELECTION);
	ctx.election_hash[0] ^= 1;

	memset(other, 0xee, sizeof(other));
	ctx.policy.devices = other;
	ctx.policy.ndevices = 1;
	expect(&ctx, &m, TLY_E_DEVICE);
	ctx.policy.devices = tly_key_public(dev);
	expect(&ctx, &m, TLY_OK);
	tly_record_finish(&r);
	tly_buf_free(&m);
}

static void
test_step7(void **state)
{
	struct tly_buf			m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_verify_ctx		ctx, offline;
	struct tly_verify_result	res;
	struct tly_record		r;

	central_ctx(&ctx);
	memset(&offline, 0, sizeof(offline));

	base_record(&r);
	r.valid += 1;			/* H2 */
	seal(&r, CREATED, 0, &m);
	expect(&offline, &m, TLY_OK);	/* no definition: no step 7 */
	expect(&ctx, &m, TLY_E_RECORD);
	tly_record_finish(&r);

	/* W3 without an explanation: refused by every caller alike. */
	base_record(&r);
	r.valid = 875;
	r.invalid = 115;
	r.votes[0].votes = 500;
	r.marks[0] = 0;
	r.marks[1] = 875;
	r.votes[1].votes = 450;
	r.votes[2].votes = 400;
	r.votes[3].votes = 400;
	seal(&r, CREATED, 0, &m);
	assert_int_equal(tly_verify_entry(&ctx, m.p, m.len, &res),
	    TLY_E_RECORD);
	assert_string_equal(tly_err_code(TLY_E_RECORD), "bad_record");
	assert_non_null(strstr(res.detail, "W3"));
	assert_int_equal(res.bad_records, 1);

	/* With an explanation it passes. */
	r.explanations[2] = strdup("ballots spoiled by rain");
	seal(&r, CREATED, 0, &m);
	expect(&ctx, &m, TLY_OK);
	tly_record_finish(&r);
	tly_buf_free(&m);
}

static void
test_final_codes(void **state)
{
	assert_true(tly_verify_code_final("bad_record"));
	assert_true(tly_verify_code_final("bad_signature"));
	assert_true(tly_verify_code_final("chain_broken"));
	assert_true(tly_verify_code_final("seq_conflict"));
	assert_false(tly_verify_code_final("seq_gap"));
	assert_false(tly_verify_code_final("wrong_election"));
	assert_false(tly_verify_code_final("unknown_device"));
	assert_false(tly_verify_code_final("busy"));
	assert_false(tly_verify_code_final("internal"));
	assert_false(tly_verify_code_final(NULL));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_good_and_envelope),
		cmocka_unit_test(test_created_bounds),
		cmocka_unit_test(test_step6),
		cmocka_unit_test(test_step7),
		cmocka_unit_test(test_final_codes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
