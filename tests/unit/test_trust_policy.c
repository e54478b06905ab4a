/*
 * test_trust_policy.c: the trust policy over the golden objects of
 * trust_fixture.h: not_certified, out_of_scope, revoked, expired, forged
 * decisions, a definition altered after signing, many certificates.
 * The objects themselves are in test_trust.c.
 */
#include "trust_fixture.h"

/* A batch header of dev with records for (area, level) pairs. */
static void
batch_of(struct tly_batch *b, struct tly_record *recs, const uint8_t *key,
    const char *const *pairs, size_t n)
{
	size_t	i;

	memset(b, 0, sizeof(*b));
	memcpy(b->device, key, 32);
	memcpy(b->election, election, 32);
	b->seq = 1;
	for (i = 0; i < n; i++) {
		tly_record_init(&recs[i]);
		strcpy(recs[i].area, pairs[2 * i]);
		strcpy(recs[i].level, pairs[2 * i + 1]);
		recs[i].round = 1;
	}
	b->records = recs;
	b->nrecords = n;
}

/* A trust holding the golden certificates (and revocations if asked). */
static struct tly_trust *
golden_trust(int with_rev)
{
	struct tly_buf		 b[4];
	struct tly_trust	*t = NULL;
	size_t			 i;

	for (i = 0; i < 4; i++)
		tly_buf_init(&b[i], TLY_MSG_MAX);
	seal_all(&b[0], &b[1], &b[2], &b[3], NULL, NULL, NULL);
	assert_int_equal(tly_trust_create(tly_key_public(auth), election, &t),
	    TLY_OK);
	for (i = 0; i < 3; i++)
		assert_int_equal(tly_trust_add_cert(t, b[i].p, b[i].len),
		    TLY_OK);
	/* The same certificate twice is kept once. */
	assert_int_equal(tly_trust_add_cert(t, b[0].p, b[0].len), TLY_OK);
	if (with_rev)
		assert_int_equal(tly_trust_set_revocations(t, b[3].p,
		    b[3].len), TLY_OK);
	for (i = 0; i < 4; i++)
		tly_buf_free(&b[i]);
	return t;
}

static void
test_check_batch(void **state)
{
	static const char *const in[] = { "A01", "na", "A05", "prov" };
	static const char *const out[] = { "A01", "na", "A06", "na" };
	static const char *const badlev[] = { "A02", "district" };
	struct tly_trust	*t = golden_trust(0);
	struct tly_batch	 b;
	struct tly_record	 recs[2];
	struct tly_buf		 buf = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_revoked	 e = { 1, T0 + 2 * DAY };
	struct tly_revocations	 rv = { .serial = 5, .issued = T0, .n = 1,
				    .entries = &e };
	char			 areas[5][TLY_ID_MAX + 1];
	struct tly_cert		 c;

	batch_of(&b, recs, tly_key_public(dev), in, 2);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + DAY), TLY_OK);
	assert_int_equal(tly_trust_check_batch(t, &b, T0), TLY_OK);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + 7 * DAY), TLY_OK);
	/* Outside the window: expired (or not yet valid). */
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + 7 * DAY + 1),
	    TLY_E_EXPIRED);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 - 1), TLY_E_EXPIRED);
	assert_int_equal(tly_trust_check_batch(t, &b, TLY_TRUST_NO_TIME),
	    TLY_E_EXPIRED);
	/* A record outside the areas, or the levels. */
	batch_of(&b, recs, tly_key_public(dev), out, 2);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + DAY),
	    TLY_E_OUT_OF_SCOPE);
	assert_non_null(strstr(tly_errdetail(), "records[1]"));
	assert_non_null(strstr(tly_errdetail(), "A06"));
	batch_of(&b, recs, tly_key_public(dev), badlev, 1);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + DAY),
	    TLY_E_OUT_OF_SCOPE);
	/* Keys without a clerk certificate. */
	batch_of(&b, recs, tly_key_public(other), in, 1);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + DAY),
	    TLY_E_NOT_CERTIFIED);
	batch_of(&b, recs, tly_key_public(adj), in, 1);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + DAY),
	    TLY_E_NOT_CERTIFIED);
	batch_of(&b, recs, tly_key_public(central), in, 1);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + DAY),
	    TLY_E_NOT_CERTIFIED);
	/* Another election. */
	batch_of(&b, recs, tly_key_public(dev), in, 1);
	b.election[0] ^= 1;
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + DAY),
	    TLY_E_ELECTION);

	/* Revoked from T0 + 2 days: earlier receipts stand, later do not. */
	memcpy(rv.election, election, 32);
	assert_int_equal(tly_revocations_seal(auth, &rv, &buf), TLY_OK);
	assert_int_equal(tly_trust_set_revocations(t, buf.p, buf.len), TLY_OK);
	assert_int_equal(tly_trust_revocations_serial(t), 5);
	batch_of(&b, recs, tly_key_public(dev), in, 2);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + 2 * DAY - 1),
	    TLY_OK);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + 2 * DAY),
	    TLY_E_REVOKED);
	assert_int_equal(tly_trust_check_batch(t, &b, TLY_TRUST_NO_TIME),
	    TLY_E_REVOKED);
	/* A list for another election is refused, and changes nothing. */
	rv.election[0] ^= 1;
	rv.serial = 7;
	tly_buf_reset(&buf);
	assert_int_equal(tly_revocations_seal(auth, &rv, &buf), TLY_OK);
	assert_int_equal(tly_trust_set_revocations(t, buf.p, buf.len),
	    TLY_E_ELECTION);
	assert_non_null(strstr(tly_errdetail(), "list 7"));
	assert_int_equal(tly_trust_revocations_serial(t), 5);
	/* An older list (the golden one, serial 2) does not replace it. */
	{
		struct tly_buf old = TLY_BUF_INIT(TLY_MSG_MAX);
		seal_all(NULL, NULL, NULL, &old, NULL, NULL, NULL);
		assert_int_equal(tly_trust_set_revocations(t, old.p, old.len),
		    TLY_OK);
		assert_int_equal(tly_trust_revocations_serial(t), 5);
		tly_buf_free(&old);
	}
	/* A renewal (serial 4, A01 only, later window) covers A01 again. */
	clerk_cert(&c, areas);
	c.serial = 4;
	c.nareas = 1;
	c.not_before = T0 + 3 * DAY;
	c.not_after = T0 + 9 * DAY;
	tly_buf_reset(&buf);
	assert_int_equal(tly_cert_seal(auth, &c, &buf), TLY_OK);
	assert_int_equal(tly_trust_add_cert(t, buf.p, buf.len), TLY_OK);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + 3 * DAY),
	    TLY_E_OUT_OF_SCOPE);	/* A05 is not in the renewal */
	batch_of(&b, recs, tly_key_public(dev), in, 1);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + 3 * DAY), TLY_OK);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + 8 * DAY), TLY_OK);

	/* A certificate not signed by the authority is refused. */
	c.serial = 6;
	memcpy(c.key, tly_key_public(other), 32);
	tly_buf_reset(&buf);
	assert_int_equal(tly_cert_seal(other, &c, &buf), TLY_OK);
	assert_int_equal(tly_trust_add_cert(t, buf.p, buf.len),
	    TLY_E_NOT_CERTIFIED);
	batch_of(&b, recs, tly_key_public(other), in, 1);
	assert_int_equal(tly_trust_check_batch(t, &b, T0 + 3 * DAY),
	    TLY_E_NOT_CERTIFIED);
	/* Nor is one for another election. */
	c.election[0] ^= 1;
	tly_buf_reset(&buf);
	assert_int_equal(tly_cert_seal(auth, &c, &buf), TLY_OK);
	assert_int_equal(tly_trust_add_cert(t, buf.p, buf.len),
	    TLY_E_ELECTION);
	tly_buf_free(&buf);
	tly_trust_destroy(t);
}

static void
test_check_decision(void **state)
{
	struct tly_trust	*t = golden_trust(1);
	struct tly_buf		 b = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_decision	*d = NULL, r;

	seal_all(NULL, NULL, NULL, NULL, &b, NULL, NULL);
	assert_int_equal(tly_decision_parse(b.p, b.len, &d), TLY_OK);
	assert_int_equal(tly_trust_check_decision(t, d, T0 + 2 * DAY), TLY_OK);
	assert_int_equal(tly_trust_check_decision(t, d, T0 + 8 * DAY),
	    TLY_E_EXPIRED);
	tly_decision_free(d);

	/* A forged decision: the same body signed by a clerk's key, or by
	 * a key the authority never certified. */
	memset(&r, 0, sizeof(r));
	r.kind = TLY_DECISION_RESOLVE;
	memcpy(r.election, election, 32);
	strcpy(r.area, "A02");
	strcpy(r.level, "na");
	r.round = 1;
	memset(r.record, 'a', 64);
	strcpy(r.record + 64, ":0");
	r.issued = T0 + DAY;
	tly_buf_reset(&b);
	assert_int_equal(tly_decision_seal(dev, &r, &b), TLY_OK);
	assert_int_equal(tly_decision_parse(b.p, b.len, &d), TLY_OK);
	assert_int_equal(tly_trust_check_decision(t, d, T0 + DAY),
	    TLY_E_NOT_CERTIFIED);
	tly_decision_free(d);
	tly_buf_reset(&b);
	assert_int_equal(tly_decision_seal(other, &r, &b), TLY_OK);
	assert_int_equal(tly_decision_parse(b.p, b.len, &d), TLY_OK);
	assert_int_equal(tly_trust_check_decision(t, d, T0 + DAY),
	    TLY_E_NOT_CERTIFIED);
	tly_decision_free(d);
	/* The adjudicator's own resolve decision stands. */
	tly_buf_reset(&b);
	assert_int_equal(tly_decision_seal(adj, &r, &b), TLY_OK);
	assert_int_equal(tly_decision_parse(b.p, b.len, &d), TLY_OK);
	assert_int_equal(tly_trust_check_decision(t, d, T0 + DAY), TLY_OK);
	assert_string_equal(d->record + 64, ":0");
	tly_decision_free(d);
	/* over: the heads it chose among, ascending, record among them. */
	r.nover = 2;
	strcpy(r.over[0], r.record);
	memset(r.over[1], 'b', 64);
	strcpy(r.over[1] + 64, ":3");
	tly_buf_reset(&b);
	assert_int_equal(tly_decision_seal(adj, &r, &b), TLY_OK);
	assert_int_equal(tly_decision_parse(b.p, b.len, &d), TLY_OK);
	assert_int_equal(d->nover, 2);
	assert_string_equal(d->over[1], r.over[1]);
	tly_decision_free(d);
	strcpy(r.over[0], r.over[1]);		/* not ascending */
	tly_buf_reset(&b);
	assert_int_equal(tly_decision_seal(adj, &r, &b), TLY_OK);
	assert_int_equal(tly_decision_parse(b.p, b.len, &d), TLY_E_CERT);
	r.nover = 1;				/* record not listed */
	tly_buf_reset(&b);
	assert_int_equal(tly_decision_seal(adj, &r, &b), TLY_OK);
	assert_int_equal(tly_decision_parse(b.p, b.len, &d), TLY_E_CERT);
	r.nover = 0;
	/* A bad record id or round 0 is malformed. */
	strcpy(r.record + 64, ":01");
	tly_buf_reset(&b);
	assert_int_equal(tly_decision_seal(adj, &r, &b), TLY_OK);
	assert_int_equal(tly_decision_parse(b.p, b.len, &d), TLY_E_CERT);
	strcpy(r.record + 64, ":1");
	r.round = 0;
	tly_buf_reset(&b);
	assert_int_equal(tly_decision_seal(adj, &r, &b), TLY_OK);
	assert_int_equal(tly_decision_parse(b.p, b.len, &d), TLY_E_CERT);
	tly_buf_free(&b);
	tly_trust_destroy(t);
}

static void
test_definition_and_central(void **state)
{
	struct tly_trust	*t = golden_trust(1);
	struct tly_buf		 sig = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 alt = TLY_BUF_INIT(1024 * 1024);
	uint8_t			 did[TLY_HASH_LEN];
	uint64_t		 when;

	seal_all(NULL, NULL, NULL, NULL, NULL, &sig, NULL);
	/* A definition altered after signing: one byte changed. */
	assert_int_equal(tly_buf_add(&alt, def.p, def.len), TLY_OK);
	alt.p[alt.len / 2] ^= 0x01;
	assert_int_equal(tly_definition_verify(sig.p, sig.len,
	    tly_key_public(auth), alt.p, alt.len, NULL), TLY_E_SIGNATURE);
	assert_non_null(strstr(tly_errdetail(), "altered"));
	/* Another authority. */
	assert_int_equal(tly_definition_verify(sig.p, sig.len,
	    tly_key_public(other), def.p, def.len, NULL), TLY_E_NOT_CERTIFIED);

	/* The central's receipt key, and others. */
	tly_trust_destroy(t);
	t = golden_trust(0);
	assert_int_equal(tly_trust_check_central(t, tly_key_public(central),
	    T0 + DAY), TLY_OK);
	assert_int_equal(tly_trust_check_central(t, tly_key_public(other),
	    T0 + DAY), TLY_E_NOT_CERTIFIED);
	assert_int_equal(tly_trust_check_central(t, tly_key_public(dev),
	    T0 + DAY), TLY_E_NOT_CERTIFIED);
	assert_int_equal(tly_trust_check_central(t, tly_key_public(central),
	    T0 + 31 * DAY), TLY_E_EXPIRED);
	/* The golden list revokes serial 3 (the central's) from T0 + 1 day. */
	tly_trust_destroy(t);
	t = golden_trust(1);
	assert_int_equal(tly_trust_check_central(t, tly_key_public(central),
	    T0 + DAY - 1), TLY_OK);
	assert_int_equal(tly_trust_check_central(t, tly_key_public(central),
	    T0 + 2 * DAY), TLY_E_REVOKED);

	/*
	 * Decision receipts (6.1): the receipt time of a decision is the
	 * stored time of a receipt from a central certified then.
	 */
	memset(did, 0x5a, sizeof(did));
	tly_buf_reset(&sig);
	assert_int_equal(tly_decision_receipt_seal(central, did, T0 + DAY - 1,
	    &sig), TLY_OK);
	assert_int_equal(tly_trust_decision_time(t, sig.p, sig.len, did,
	    &when), TLY_OK);
	assert_int_equal(when, T0 + DAY - 1);
	did[0] ^= 1;				/* another decision */
	assert_int_equal(tly_trust_decision_time(t, sig.p, sig.len, did,
	    &when), TLY_E_RECEIPT);
	did[0] ^= 1;
	sig.p[sig.len - 1] ^= 1;		/* a flipped bit */
	assert_int_equal(tly_trust_decision_time(t, sig.p, sig.len, did,
	    &when), TLY_E_RECEIPT);
	tly_buf_reset(&sig);			/* stored after the revocation */
	assert_int_equal(tly_decision_receipt_seal(central, did, T0 + 2 * DAY,
	    &sig), TLY_OK);
	assert_int_equal(tly_trust_decision_time(t, sig.p, sig.len, did,
	    &when), TLY_E_RECEIPT);
	tly_buf_reset(&sig);			/* not a central's key */
	assert_int_equal(tly_decision_receipt_seal(other, did, T0 + DAY - 1,
	    &sig), TLY_OK);
	assert_int_equal(tly_trust_decision_time(t, sig.p, sig.len, did,
	    &when), TLY_E_RECEIPT);
	tly_buf_free(&sig);
	tly_buf_free(&alt);
	tly_trust_destroy(t);
}

/* Many certificates: the table grows and finds each. */
static void
test_many_certs(void **state)
{
	struct tly_trust	*t = NULL;
	struct tly_buf		 b = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_cert		 c;
	struct tly_batch	 bt;
	struct tly_record	 rec;
	static const char *const pair[] = { "A01", "na" };
	uint8_t			 keys[300][32];
	size_t			 i;

	assert_int_equal(tly_trust_create(tly_key_public(auth), election, &t),
	    TLY_OK);
	memset(&c, 0, sizeof(c));
	c.kind = TLY_CERT_DEVICE;
	memcpy(c.election, election, 32);
	c.all_areas = c.all_levels = 1;
	c.not_after = T0;
	for (i = 0; i < 300; i++) {
		tly_hash(&i, sizeof(i), keys[i]);
		keys[i][0] = 0;		/* force collisions in the table */
		memcpy(c.key, keys[i], 32);
		c.serial = i + 1;
		tly_buf_reset(&b);
		assert_int_equal(tly_cert_seal(auth, &c, &b), TLY_OK);
		assert_int_equal(tly_trust_add_cert(t, b.p, b.len), TLY_OK);
	}
	for (i = 0; i < 300; i++) {
		batch_of(&bt, &rec, keys[i], pair, 1);
		assert_int_equal(tly_trust_check_batch(t, &bt, T0), TLY_OK);
	}
	tly_buf_free(&b);
	tly_trust_destroy(t);
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_batch),
		cmocka_unit_test(test_check_decision),
		cmocka_unit_test(test_definition_and_central),
		cmocka_unit_test(test_many_certs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
