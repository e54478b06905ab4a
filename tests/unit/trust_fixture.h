/*
 * trust_fixture.h: what the trust unit tests share: the keys (seeded,
 * so the golden vectors stay the same), the small election's definition
 * and the golden objects sealed from them.  Each test program is a
 * single .c file, so the functions here are static inline: a program
 * uses what it needs.
 */
#ifndef TALLY_TESTS_TRUST_FIXTURE_H
#define TALLY_TESTS_TRUST_FIXTURE_H

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
static inline struct tly_key *
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


static inline int
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

static inline int
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
static inline void
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
static inline void
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

#endif
