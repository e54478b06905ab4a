/*
 * test_trust.c: the authority's signed objects (PROTOCOL.md 13) against
 * the golden vectors in tests/vectors/trust/, with the required
 * failures (a flipped byte, the wrong key, the wrong context,
 * truncation, trailing bytes, a future version) and the rules of a
 * certificate's body.  The trust policy is in test_trust_policy.c.
 *
 * TALLY_WRITE_VECTORS=1 rewrites the golden files (only when the format
 * changes on purpose, together with PROTOCOL.md).
 */
#include "trust_fixture.h"

/* Compare b with the committed file, or write it in update mode. */
static void
golden(const char *name, const struct tly_buf *b)
{
	struct tly_buf	f = TLY_BUF_INIT(TLY_MSG_MAX);
	char		path[256];

	snprintf(path, sizeof(path), TVEC "%s", name);
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

static void
test_golden_objects(void **state)
{
	struct tly_buf		 cert = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 acert = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 ccert = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 rev = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 dec = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 defsig = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 req = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 pub = TLY_BUF_INIT(256);
	struct tly_cert		*c = NULL;
	struct tly_revocations	*rv = NULL;
	struct tly_decision	*d = NULL;
	struct tly_enroll_request rq;
	struct tly_definition_sig ds;
	char			 hex[65];

	seal_all(&cert, &acert, &ccert, &rev, &dec, &defsig, &req);
	tly_hex(tly_key_public(auth), 32, hex);
	assert_int_equal(tly_buf_addf(&pub, "tally-ed25519-public %s\n", hex),
	    TLY_OK);
	golden("authority.pub", &pub);
	golden("cert.bin", &cert);
	golden("adjudicator-cert.bin", &acert);
	golden("central-cert.bin", &ccert);
	golden("revocations.bin", &rev);
	golden("decision.bin", &dec);
	golden("election-small.json.sig", &defsig);
	golden("enroll-request.bin", &req);

	assert_int_equal(tly_cert_parse(cert.p, cert.len,
	    tly_key_public(auth), &c), TLY_OK);
	assert_int_equal(c->kind, TLY_CERT_DEVICE);
	assert_int_equal(c->serial, 1);
	assert_int_equal(c->role, TLY_ROLE_CLERK);
	assert_memory_equal(c->key, tly_key_public(dev), 32);
	assert_int_equal(c->nareas, 5);
	assert_string_equal(c->areas[4], "A05");
	assert_int_equal(c->nlevels, 2);
	assert_int_equal(c->not_after, T0 + 7 * DAY);
	assert_string_equal(c->name, "laptop-A01");
	assert_true(tly_cert_covers(c, "A03", "prov"));
	assert_false(tly_cert_covers(c, "A06", "na"));
	assert_false(tly_cert_covers(c, "A03", "district"));
	tly_cert_free(c);

	assert_int_equal(tly_cert_parse(acert.p, acert.len,
	    tly_key_public(auth), &c), TLY_OK);
	assert_int_equal(c->role, TLY_ROLE_ADJUDICATOR);
	assert_true(c->all_areas && c->all_levels);
	assert_true(tly_cert_covers(c, "Z99", "any"));
	tly_cert_free(c);

	assert_int_equal(tly_cert_parse(ccert.p, ccert.len,
	    tly_key_public(auth), &c), TLY_OK);
	assert_int_equal(c->kind, TLY_CERT_CENTRAL);
	assert_memory_equal(c->key, tly_key_public(central), 32);
	assert_false(tly_cert_covers(c, "A01", "na"));
	tly_cert_free(c);

	assert_int_equal(tly_revocations_parse(rev.p, rev.len,
	    tly_key_public(auth), &rv), TLY_OK);
	assert_int_equal(rv->serial, 2);
	assert_int_equal(rv->n, 2);
	assert_non_null(tly_revocations_find(rv, 9));
	assert_int_equal(tly_revocations_find(rv, 3)->at, T0 + DAY);
	assert_null(tly_revocations_find(rv, 4));
	tly_revocations_free(rv);

	assert_int_equal(tly_decision_parse(dec.p, dec.len, &d), TLY_OK);
	assert_int_equal(d->kind, TLY_DECISION_UNFREEZE);
	assert_memory_equal(d->signer, tly_key_public(adj), 32);
	assert_int_equal(d->seq, 2);
	assert_string_equal(d->note,
	    "restored laptop; the old chain is the paper's");
	tly_decision_free(d);

	assert_int_equal(tly_definition_verify(defsig.p, defsig.len,
	    tly_key_public(auth), def.p, def.len, &ds), TLY_OK);
	assert_memory_equal(ds.election, election, 32);
	assert_int_equal(tly_enroll_parse(req.p, req.len, &rq), TLY_OK);
	assert_string_equal(rq.name, "laptop-A01");
	assert_memory_equal(rq.device, tly_key_public(dev), 32);

	tly_buf_free(&cert);
	tly_buf_free(&acert);
	tly_buf_free(&ccert);
	tly_buf_free(&rev);
	tly_buf_free(&dec);
	tly_buf_free(&defsig);
	tly_buf_free(&req);
	tly_buf_free(&pub);
}

/* Parse m as the object kind k (0 cert, 1 revocations, 2 decision,
 * 3 definition statement, 4 enrollment request) under authority pk. */
static int
parse_as(int k, const uint8_t *m, size_t len, const uint8_t *pk)
{
	struct tly_cert		*c = NULL;
	struct tly_revocations	*rv = NULL;
	struct tly_decision	*d = NULL;
	struct tly_enroll_request rq;
	int			 r = TLY_E_INVAL;

	switch (k) {
	case 0:
		r = tly_cert_parse(m, len, pk, &c);
		if (r != TLY_OK)
			assert_null(c);
		tly_cert_free(c);
		break;
	case 1:
		r = tly_revocations_parse(m, len, pk, &rv);
		if (r != TLY_OK)
			assert_null(rv);
		tly_revocations_free(rv);
		break;
	case 2:
		r = tly_decision_parse(m, len, &d);
		if (r != TLY_OK)
			assert_null(d);
		tly_decision_free(d);
		break;
	case 3:
		r = tly_definition_verify(m, len, pk, def.p, def.len, NULL);
		break;
	case 4:
		r = tly_enroll_parse(m, len, &rq);
		break;
	}
	return r;
}

/* The required failures for one object m of kind k, signed by signer. */
static void
required_failures(int k, struct tly_buf *b, const struct tly_key *signer,
    const char *wrong_ctx)
{
	const uint8_t	*pk = tly_key_public(auth);
	uint8_t		*m = b->p;
	size_t		 n = b->len, ctxlen = m[9], i;
	struct tly_envelope env;
	struct tly_buf	 re = TLY_BUF_INIT(TLY_MSG_MAX);

	assert_int_equal(parse_as(k, m, n, pk), TLY_OK);
	/* A flipped byte anywhere. */
	for (i = 0; i < n; i += 3) {
		m[i] ^= 0x01;
		assert_int_not_equal(parse_as(k, m, n, pk), TLY_OK);
		m[i] ^= 0x01;
	}
	m[46 + ctxlen + 3] ^= 0x01;
	assert_int_equal(parse_as(k, m, n, pk), TLY_E_SIGNATURE);
	m[46 + ctxlen + 3] ^= 0x01;
	/* The wrong key: the signer field names another key ... */
	memcpy(m + 10 + ctxlen, tly_key_public(other), 32);
	assert_int_equal(parse_as(k, m, n, pk), TLY_E_SIGNATURE);
	memcpy(m + 10 + ctxlen, tly_key_public(signer), 32);
	/* ... or the same body is validly signed by a key that is not the
	 * authority (a body naming its signer is refused as well). */
	assert_int_equal(tly_envelope_parse(m, n, &env), TLY_OK);
	assert_int_equal(tly_envelope_seal(other, wrong_ctx + strlen(wrong_ctx)
	    + 1, env.body, env.bodylen, &re), TLY_OK);
	if (k != 2)	/* a decision is judged by its signer's cert */
		assert_int_not_equal(parse_as(k, re.p, re.len, pk), TLY_OK);
	if (k == 0 || k == 1 || k == 3)
		assert_int_equal(parse_as(k, re.p, re.len, pk),
		    TLY_E_NOT_CERTIFIED);
	tly_buf_reset(&re);
	/* The wrong context: the same body signed for another purpose. */
	assert_int_equal(tly_envelope_seal(signer, wrong_ctx, env.body,
	    env.bodylen, &re), TLY_OK);
	assert_int_equal(parse_as(k, re.p, re.len, pk), TLY_E_CONTEXT);
	/* Truncation. */
	for (i = 0; i < n; i += (i < 120 ? 1 : 31))
		assert_int_not_equal(parse_as(k, m, i, pk), TLY_OK);
	assert_int_equal(parse_as(k, m, n - 1, pk), TLY_E_TRUNCATED);
	/* Trailing data. */
	assert_int_equal(tly_buf_add(b, "\0", 1), TLY_OK);
	m = b->p;
	assert_int_equal(parse_as(k, m, n + 1, pk), TLY_E_TRAILING);
	b->len = n;
	/* A future version. */
	m[8] = 2;
	assert_int_equal(parse_as(k, m, n, pk), TLY_E_VERSION);
	m[8] = 1;
	assert_int_equal(parse_as(k, m, n, pk), TLY_OK);
	tly_buf_free(&re);
}

static void
test_required_failures(void **state)
{
	struct tly_buf	b[7];
	size_t		i;

	for (i = 0; i < 7; i++)
		tly_buf_init(&b[i], TLY_MSG_MAX + 1);
	seal_all(&b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6]);
	/* wrong_ctx is "<a wrong context>\0<its own context>". */
	required_failures(0, &b[0], auth, "tally/decision/v1\0tally/cert/v1");
	required_failures(0, &b[1], auth, "tally/batch/v1\0tally/cert/v1");
	required_failures(0, &b[2], auth,
	    "tally/revocations/v1\0tally/central-cert/v1");
	required_failures(1, &b[3], auth,
	    "tally/receipt/v1\0tally/revocations/v1");
	required_failures(2, &b[4], adj, "tally/cert/v1\0tally/decision/v1");
	required_failures(3, &b[5], auth,
	    "tally/enroll-request/v1\0tally/definition/v1");
	required_failures(4, &b[6], dev,
	    "tally/definition/v1\0tally/enroll-request/v1");
	for (i = 0; i < 7; i++)
		tly_buf_free(&b[i]);
}

/* Bodies that sign fine but break a rule of 13.3 are TLY_E_CERT. */
static void
test_cert_body_rules(void **state)
{
	static const char *const bodies[] = {
		"not json",
		"[]",
		/* serial 0 */
		"{\"serial\":0,\"device\":\"%s\",\"role\":\"clerk\","
		"\"election\":\"%s\",\"areas\":[\"A01\"],\"levels\":\"*\","
		"\"not_before\":1,\"not_after\":2}",
		/* areas not sorted */
		"{\"serial\":1,\"device\":\"%s\",\"role\":\"clerk\","
		"\"election\":\"%s\",\"areas\":[\"A02\",\"A01\"],"
		"\"levels\":\"*\",\"not_before\":1,\"not_after\":2}",
		/* an area twice */
		"{\"serial\":1,\"device\":\"%s\",\"role\":\"clerk\","
		"\"election\":\"%s\",\"areas\":[\"A01\",\"A01\"],"
		"\"levels\":\"*\",\"not_before\":1,\"not_after\":2}",
		/* empty areas */
		"{\"serial\":1,\"device\":\"%s\",\"role\":\"clerk\","
		"\"election\":\"%s\",\"areas\":[],\"levels\":\"*\","
		"\"not_before\":1,\"not_after\":2}",
		/* a wildcard other than "*" */
		"{\"serial\":1,\"device\":\"%s\",\"role\":\"clerk\","
		"\"election\":\"%s\",\"areas\":\"all\",\"levels\":\"*\","
		"\"not_before\":1,\"not_after\":2}",
		/* unknown role */
		"{\"serial\":1,\"device\":\"%s\",\"role\":\"root\","
		"\"election\":\"%s\",\"areas\":\"*\",\"levels\":\"*\","
		"\"not_before\":1,\"not_after\":2}",
		/* window backwards */
		"{\"serial\":1,\"device\":\"%s\",\"role\":\"clerk\","
		"\"election\":\"%s\",\"areas\":\"*\",\"levels\":\"*\","
		"\"not_before\":3,\"not_after\":2}",
		/* unknown name */
		"{\"serial\":1,\"device\":\"%s\",\"role\":\"clerk\","
		"\"election\":\"%s\",\"areas\":\"*\",\"levels\":\"*\","
		"\"not_before\":1,\"not_after\":2,\"x\":1}",
		/* fractional serial */
		"{\"serial\":1.5,\"device\":\"%s\",\"role\":\"clerk\","
		"\"election\":\"%s\",\"areas\":\"*\",\"levels\":\"*\","
		"\"not_before\":1,\"not_after\":2}",
		/* nine levels */
		"{\"serial\":1,\"device\":\"%s\",\"role\":\"clerk\","
		"\"election\":\"%s\",\"areas\":\"*\",\"levels\":[\"a\",\"b\","
		"\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"],"
		"\"not_before\":1,\"not_after\":2}",
	};
	char		 dhex[65], ehex[65], body[1024];
	struct tly_cert	*c = NULL;
	size_t		 i;

	tly_hex(tly_key_public(dev), 32, dhex);
	tly_hex(election, 32, ehex);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct tly_buf b = TLY_BUF_INIT(TLY_MSG_MAX);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(body, sizeof(body), bodies[i], dhex, ehex);
#pragma GCC diagnostic pop
		assert_int_equal(tly_envelope_seal(auth, TLY_CTX_CERT,
		    (uint8_t *)body, strlen(body), &b), TLY_OK);
		assert_int_equal(tly_cert_parse(b.p, b.len,
		    tly_key_public(auth), &c), TLY_E_CERT);
		assert_null(c);
		tly_buf_free(&b);
	}
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_objects),
		cmocka_unit_test(test_required_failures),
		cmocka_unit_test(test_cert_body_rules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
