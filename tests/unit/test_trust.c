/*
 * test_trust.c: the authority's signed objects (PROTOCOL.md 13) against
 * the golden vectors in tests/vectors/trust/, with the required
 * failures (a flipped byte, the wrong key, the wrong context,
 * truncation, trailing bytes, a future version), and the trust policy:
 * not_certified, out_of_scope, revoked, expired, forged decisions, a
 * definition altered after signing.
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
#include "sync/trust.h"
#include "sync/wire.h"

#define VEC		"tests/vectors/"
#define TVEC		VEC "trust/"
#define T0		1779580800	/* 2026-05-24T00:00:00Z */
#define DAY		86400

static struct tly_key	*auth, *dev, *adj, *central, *other;
static uint8_t		 election[32];
static struct tly_buf	 def = TLY_BUF_INIT(1024 * 1024);

/* Key from a seed whose bytes are first, first+1, ... */
static struct tly_key *
seeded(uint8_t first)
{
	struct tly_key	*k = NULL;
	uint8_t		 seed[32];
	size_t		 i;

	for (i = 0; i < 32; i++)
		seed[i] = (uint8_t)(first + i);
	if (tly_key_from_seed(seed, &k) != TLY_OK)
		return NULL;
	return k;
}

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

static int
setup(void **state)
{
	if (tly_crypto_init() != TLY_OK)
		return -1;
	auth = seeded(0xa0);
	dev = seeded(1);
	adj = seeded(0x40);
	central = seeded(0xc0);
	other = seeded(0x70);
	if (auth == NULL || dev == NULL || adj == NULL || central == NULL ||
	    other == NULL)
		return -1;
	if (tly_buf_read_file(VEC "election-small.json", def.max, &def) !=
	    TLY_OK)
		return -1;
	tly_hash(def.p, def.len, election);
	return 0;
}

static int
teardown(void **state)
{
	tly_key_free(auth);
	tly_key_free(dev);
	tly_key_free(adj);
	tly_key_free(central);
	tly_key_free(other);
	tly_buf_free(&def);
	return 0;
}

/* The golden clerk certificate: A01..A05 at both levels, 7 days. */
static void
clerk_cert(struct tly_cert *c, char (*areas)[TLY_ID_MAX + 1])
{
	size_t	i;

	memset(c, 0, sizeof(*c));
	c->kind = TLY_CERT_DEVICE;
	c->serial = 1;
	memcpy(c->key, tly_key_public(dev), 32);
	memcpy(c->election, election, 32);
	c->role = TLY_ROLE_CLERK;
	for (i = 0; i < 5; i++)
		snprintf(areas[i], TLY_ID_MAX + 1, "A%02zu", i + 1);
	c->areas = areas;
	c->nareas = 5;
	strcpy(c->levels[0], "na");
	strcpy(c->levels[1], "prov");
	c->nlevels = 2;
	c->not_before = T0;
	c->not_after = T0 + 7 * DAY;
	strcpy(c->name, "laptop-A01");
}

/* Seal the golden objects into the buffers given (any may be NULL). */
static void
seal_all(struct tly_buf *cert, struct tly_buf *acert, struct tly_buf *ccert,
    struct tly_buf *rev, struct tly_buf *dec, struct tly_buf *defsig,
    struct tly_buf *req)
{
	char			areas[5][TLY_ID_MAX + 1];
	struct tly_cert		c;
	struct tly_revoked	e[2] = { { 3, T0 + DAY }, { 9, 0 } };
	struct tly_revocations	rv = { .serial = 2, .issued = T0 + DAY,
				    .n = 2, .entries = e };
	struct tly_decision	d;

	clerk_cert(&c, areas);
	if (cert != NULL)
		assert_int_equal(tly_cert_seal(auth, &c, cert), TLY_OK);
	c.serial = 2;
	memcpy(c.key, tly_key_public(adj), 32);
	c.role = TLY_ROLE_ADJUDICATOR;
	c.all_areas = 1;
	c.nareas = 0;
	c.all_levels = 1;
	c.nlevels = 0;
	strcpy(c.name, "committee");
	if (acert != NULL)
		assert_int_equal(tly_cert_seal(auth, &c, acert), TLY_OK);
	memset(&c, 0, sizeof(c));
	c.kind = TLY_CERT_CENTRAL;
	c.serial = 3;
	memcpy(c.key, tly_key_public(central), 32);
	memcpy(c.election, election, 32);
	c.not_before = T0;
	c.not_after = T0 + 30 * DAY;
	if (ccert != NULL)
		assert_int_equal(tly_cert_seal(auth, &c, ccert), TLY_OK);
	memcpy(rv.election, election, 32);
	if (rev != NULL)
		assert_int_equal(tly_revocations_seal(auth, &rv, rev), TLY_OK);
	memset(&d, 0, sizeof(d));
	d.kind = TLY_DECISION_UNFREEZE;
	memcpy(d.election, election, 32);
	memcpy(d.device, tly_key_public(dev), 32);
	tly_hash("batch 2", 7, d.batch);
	d.seq = 2;
	d.issued = T0 + 2 * DAY;
	d.note = (char *)"restored laptop; the old chain is the paper's";
	if (dec != NULL)
		assert_int_equal(tly_decision_seal(adj, &d, dec), TLY_OK);
	if (defsig != NULL)
		assert_int_equal(tly_definition_seal(auth, def.p, def.len,
		    T0 - DAY, defsig), TLY_OK);
	if (req != NULL)
		assert_int_equal(tly_enroll_seal(dev, "laptop-A01", T0 - DAY,
		    req), TLY_OK);
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
		cmocka_unit_test(test_golden_objects),
		cmocka_unit_test(test_required_failures),
		cmocka_unit_test(test_cert_body_rules),
		cmocka_unit_test(test_check_batch),
		cmocka_unit_test(test_check_decision),
		cmocka_unit_test(test_definition_and_central),
		cmocka_unit_test(test_many_certs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
