/*
 * trust.c: the trust policy of PROTOCOL.md 13.7: which keys the
 * authority certified, for what, until when, and what it revoked.
 *
 * Certificates are kept in an open-addressing hash table keyed by the
 * certified key, so a national election's 85,000 devices load in linear
 * time.  A key may hold several certificates (a renewal, a second role).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "sync/trust.h"

struct tly_trust {
	uint8_t			 authority[TLY_PK_LEN];
	uint8_t			 election[TLY_HASH_LEN];
	struct tly_cert		**slots;	/* cap entries, NULL = free */
	size_t			 cap;		/* a power of two, or 0 */
	size_t			 n;		/* certificates held */
	struct tly_revocations	*rev;		/* newest list, or NULL */
};

/* How far a certificate got through the checks of 13.7. */
#define STAGE_REVOKED	1	/* failed: revoked at the time */
#define STAGE_WINDOW	2	/* failed: outside not_before..not_after */
#define STAGE_SCOPE	3	/* failed: a record outside the scope */
#define STAGE_OK	4	/* passed every check */

int
tly_trust_create(const uint8_t authority[TLY_PK_LEN],
    const uint8_t election[TLY_HASH_LEN], struct tly_trust **tp)
{
	struct tly_trust	*t;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return TLY_E_NOMEM;
	memcpy(t->authority, authority, TLY_PK_LEN);
	memcpy(t->election, election, TLY_HASH_LEN);
	*tp = t;
	return TLY_OK;
}

void
tly_trust_destroy(struct tly_trust *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++)
		tly_cert_free(t->slots[i]);
	free(t->slots);
	tly_revocations_free(t->rev);
	free(t);
}

const uint8_t *
tly_trust_authority(const struct tly_trust *t)
{
	return t->authority;
}

/* First slot to probe for key. */
static size_t
slot_of(const struct tly_trust *t, const uint8_t *key)
{
	uint64_t	h = 0;
	size_t		i;

	for (i = 0; i < 8; i++)
		h = h << 8 | key[i];
	return (size_t)(h & (t->cap - 1));
}

/* Put c in the table, which has a free slot. */
static void
slot_put(struct tly_trust *t, struct tly_cert *c)
{
	size_t	i = slot_of(t, c->key);

	while (t->slots[i] != NULL)
		i = (i + 1) & (t->cap - 1);
	t->slots[i] = c;
}

/* Keep the table at most half full. */
static int
grow(struct tly_trust *t)
{
	struct tly_cert	**old = t->slots;
	size_t		  oldcap = t->cap, i;

	if (2 * (t->n + 1) <= t->cap)
		return TLY_OK;
	if ((t->slots = calloc(oldcap ? 2 * oldcap : 64, sizeof(*old))) ==
	    NULL) {
		t->slots = old;
		return TLY_E_NOMEM;
	}
	t->cap = oldcap ? 2 * oldcap : 64;
	for (i = 0; i < oldcap; i++)
		if (old[i] != NULL)
			slot_put(t, old[i]);
	free(old);
	return TLY_OK;
}

int
tly_trust_add_cert(struct tly_trust *t, const uint8_t *m, size_t len)
{
	struct tly_cert	*c = NULL;
	size_t		 i;
	int		 r;

	if ((r = tly_cert_parse(m, len, t->authority, &c)) != TLY_OK)
		return r;
	if (memcmp(c->election, t->election, TLY_HASH_LEN) != 0) {
		r = tly_fail(TLY_E_ELECTION, "certificate %llu is for another "
		    "election", (unsigned long long)c->serial);
		goto out;
	}
	if (t->cap > 0)
		for (i = slot_of(t, c->key); t->slots[i] != NULL;
		    i = (i + 1) & (t->cap - 1))
			if (memcmp(t->slots[i]->id, c->id, TLY_HASH_LEN) == 0)
				goto out;	/* held already */
	if (t->n >= TLY_TRUST_CERTS_MAX) {
		r = tly_fail(TLY_E_TOO_LARGE, "more than %d certificates",
		    TLY_TRUST_CERTS_MAX);
		goto out;
	}
	if ((r = grow(t)) != TLY_OK)
		goto out;
	slot_put(t, c);
	t->n++;
	c = NULL;		/* transferred */
 out:
	tly_cert_free(c);
	return r;
}

int
tly_trust_set_revocations(struct tly_trust *t, const uint8_t *m,
    size_t len)
{
	struct tly_revocations	*rv = NULL;
	int			 r;

	if ((r = tly_revocations_parse(m, len, t->authority, &rv)) != TLY_OK)
		return r;
	if (memcmp(rv->election, t->election, TLY_HASH_LEN) != 0) {
		r = tly_fail(TLY_E_ELECTION, "revocation list %llu is for "
		    "another election", (unsigned long long)rv->serial);
		tly_revocations_free(rv);
		return r;
	}
	if (t->rev != NULL && t->rev->serial >= rv->serial) {
		tly_revocations_free(rv);	/* not newer: ignored */
		return TLY_OK;
	}
	tly_revocations_free(t->rev);
	t->rev = rv;
	return TLY_OK;
}

uint64_t
tly_trust_revocations_serial(const struct tly_trust *t)
{
	return t->rev != NULL ? t->rev->serial : 0;
}

/* Stages 1 and 2 of 13.7 for certificate c at time. */
static int
cert_stage(const struct tly_trust *t, const struct tly_cert *c,
    uint64_t time)
{
	const struct tly_revoked *rv = tly_revocations_find(t->rev, c->serial);

	if (rv != NULL && time >= rv->at)
		return STAGE_REVOKED;
	if (time < c->not_before || time > c->not_after)
		return STAGE_WINDOW;
	return STAGE_SCOPE;
}

/* The first record of b[0..n) that c does not cover, or n. */
static size_t
first_outside(const struct tly_cert *c, const struct tly_record *recs,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!tly_cert_covers(c, recs[i].area, recs[i].level))
			return i;
	return n;
}

/* What the checks of 13.7 found for key: the best certificate. */
struct verdict {
	const struct tly_cert	*cert;	/* that got furthest, or NULL */
	int			 stage;	/* STAGE_*, 0 with no cert */
	size_t			 bad;	/* first record outside (STAGE_SCOPE) */
};

/*
 * Run the checks for every certificate of kind and role held for key;
 * scope is checked against recs[0..n) (none when recs is NULL) or, when
 * area is not NULL, against (area, level).
 */
static void
judge(const struct tly_trust *t, const uint8_t *key, int kind, int role,
    uint64_t time, const struct tly_record *recs, size_t n,
    const char *area, const char *level, struct verdict *v)
{
	const struct tly_cert	*c;
	size_t			 i, bad;
	int			 st;

	memset(v, 0, sizeof(*v));
	if (t->cap == 0)
		return;
	for (i = slot_of(t, key); (c = t->slots[i]) != NULL;
	    i = (i + 1) & (t->cap - 1)) {
		if (memcmp(c->key, key, TLY_PK_LEN) != 0 || c->kind != kind ||
		    (kind == TLY_CERT_DEVICE && c->role != role))
			continue;
		bad = 0;
		if ((st = cert_stage(t, c, time)) == STAGE_SCOPE) {
			if (recs != NULL)
				bad = first_outside(c, recs, n);
			else
				bad = area != NULL &&
				    !tly_cert_covers(c, area, level);
			if ((recs != NULL && bad == n) ||
			    (recs == NULL && !bad))
				st = STAGE_OK;
		}
		if (st > v->stage || (st == v->stage &&
		    c->serial < v->cert->serial)) {
			v->cert = c;
			v->stage = st;
			v->bad = bad;
		}
	}
}

/* Turn a verdict into an error code with its detail. */
static int
verdict_err(const struct verdict *v, const char *what, uint64_t time)
{
	const struct tly_cert	*c = v->cert;

	switch (v->stage) {
	case 0:
		return tly_fail(TLY_E_NOT_CERTIFIED, "%s: no certificate from "
		    "the authority", what);
	case STAGE_REVOKED:
		return tly_fail(TLY_E_REVOKED, "%s: certificate %llu is "
		    "revoked", what, (unsigned long long)c->serial);
	case STAGE_WINDOW:
		return tly_fail(TLY_E_EXPIRED, "%s: certificate %llu is valid "
		    "from %llu to %llu, not at %llu", what,
		    (unsigned long long)c->serial,
		    (unsigned long long)c->not_before,
		    (unsigned long long)c->not_after,
		    (unsigned long long)time);
	case STAGE_SCOPE:
		return TLY_E_OUT_OF_SCOPE;	/* the caller names the record */
	}
	return TLY_OK;
}

int
tly_trust_check_batch(const struct tly_trust *t, const struct tly_batch *b,
    uint64_t time)
{
	struct verdict	v;
	char		hex[TLY_HEX_PK], what[96];
	int		r;

	tly_hex(b->device, TLY_PK_LEN, hex);
	snprintf(what, sizeof(what), "device %.16s", hex);
	if (memcmp(b->election, t->election, TLY_HASH_LEN) != 0)
		return tly_fail(TLY_E_ELECTION, "batch for another election");
	judge(t, b->device, TLY_CERT_DEVICE, TLY_ROLE_CLERK, time,
	    b->records, b->nrecords, NULL, NULL, &v);
	if ((r = verdict_err(&v, what, time)) == TLY_E_OUT_OF_SCOPE)
		r = tly_fail(TLY_E_OUT_OF_SCOPE, "%s: records[%zu]: area %s "
		    "level %s is outside certificate %llu", what, v.bad,
		    b->records[v.bad].area, b->records[v.bad].level,
		    (unsigned long long)v.cert->serial);
	return r;
}

int
tly_trust_check_decision(const struct tly_trust *t,
    const struct tly_decision *d, uint64_t time)
{
	struct verdict	v;
	char		hex[TLY_HEX_PK], what[96];
	int		r;

	tly_hex(d->signer, TLY_PK_LEN, hex);
	snprintf(what, sizeof(what), "decision by %.16s", hex);
	if (memcmp(d->election, t->election, TLY_HASH_LEN) != 0)
		return tly_fail(TLY_E_ELECTION, "decision for another "
		    "election");
	if (d->kind == TLY_DECISION_RESOLVE)
		judge(t, d->signer, TLY_CERT_DEVICE, TLY_ROLE_ADJUDICATOR, time,
		    NULL, 0, d->area, d->level, &v);
	else
		judge(t, d->signer, TLY_CERT_DEVICE, TLY_ROLE_ADJUDICATOR, time,
		    NULL, 0, NULL, NULL, &v);
	if ((r = verdict_err(&v, what, time)) == TLY_E_OUT_OF_SCOPE)
		r = tly_fail(TLY_E_OUT_OF_SCOPE, "%s: area %s level %s is "
		    "outside certificate %llu", what, d->area, d->level,
		    (unsigned long long)v.cert->serial);
	return r;
}

int
tly_trust_check_central(const struct tly_trust *t,
    const uint8_t pk[TLY_PK_LEN], uint64_t time)
{
	struct verdict	v;

	judge(t, pk, TLY_CERT_CENTRAL, 0, time, NULL, 0, NULL, NULL, &v);
	return verdict_err(&v, "central key", time);
}
