/*
 * central_store_fixture.h: what the central store's unit tests share: a
 * fresh store in a temporary directory, device keys, sealed batches and
 * decisions.  Each test program is a single .c file, so the functions
 * here are static inline: a program uses what it needs.
 */
#ifndef TALLY_TESTS_CENTRAL_STORE_FIXTURE_H
#define TALLY_TESTS_CENTRAL_STORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"
#include "crypto/crypto.h"
#include "sync/api.h"
#include "sync/trust.h"
#include "sync/wire.h"

static const uint8_t	election[TLY_HASH_LEN] = { 0xe1, 0xec };

/* One test's world: a temp dir, its database, a device key. */
struct fx {
	char			 dir[64];	/* mkdtemp directory */
	char			 db[128];	/* dir/central.db */
	struct tly_cstore	*s;		/* the open store */
	struct tly_key		*dev;		/* a device key */
	struct tly_key		*central;	/* the central key */
	enum tly_cstore_state	 st;		/* state of the last put */
	uint8_t			 other[TLY_HASH_LEN];	/* its partner */
};

/* A sealed and parsed batch. */
struct tb {
	struct tly_buf		 bytes;		/* the signed message */
	struct tly_batch	*b;		/* parsed */
};

/*
 * A decision as POST /v1/decisions hands it to the store (verified
 * already): its bytes are a stand-in, its id their hash.
 */
static inline void
make_decision(struct tly_decision *d, const char *bytes)
{
	memset(d, 0, sizeof(*d));
	tly_hash((const uint8_t *)bytes, strlen(bytes), d->id);
	d->signer[0] = 0xad;
	memcpy(d->election, election, TLY_HASH_LEN);
	d->issued = 1000;
}

/* A resolve decision of key (area, na, 1) for record, over no head yet. */
static inline void
make_resolve(struct tly_decision *d, const char *bytes, const char *area,
    const char *record)
{
	make_decision(d, bytes);
	d->kind = TLY_DECISION_RESOLVE;
	snprintf(d->area, sizeof(d->area), "%s", area);
	snprintf(d->level, sizeof(d->level), "na");
	d->round = 1;
	snprintf(d->record, sizeof(d->record), "%s", record);
}

/* d chose among the two heads a and b (13.6 over, ascending). */
static inline void
resolve_over(struct tly_decision *d, const char *a, const char *b)
{
	d->nover = 2;
	snprintf(d->over[0], sizeof(d->over[0]), "%s", strcmp(a, b) < 0 ? a : b);
	snprintf(d->over[1], sizeof(d->over[1]), "%s", strcmp(a, b) < 0 ? b : a);
}

/* Put decision d whose bytes are the string m. */
static inline int
put_decision(struct fx *f, const struct tly_decision *d, const char *m,
    uint64_t *pos)
{
	return tly_cstore_decision_put(f->s, d, (const uint8_t *)m, strlen(m),
	    (const uint8_t *)"rc", 2, 5, pos);
}

static inline int
setup(void **state)
{
	struct fx	*f;

	assert_int_equal(tly_crypto_init(), TLY_OK);
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/tly-cstore.XXXXXX",
	    getenv("TMPDIR") != NULL && strlen(getenv("TMPDIR")) < 32 ?
	    getenv("TMPDIR") : P_tmpdir);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/central.db", f->dir);
	assert_int_equal(tly_cstore_open(f->db, &f->s), TLY_OK);
	assert_int_equal(tly_key_generate(&f->dev), TLY_OK);
	assert_int_equal(tly_key_generate(&f->central), TLY_OK);
	*state = f;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fx	*f = *state;
	char		 p[192];

	tly_cstore_close(f->s);
	tly_key_free(f->dev);
	tly_key_free(f->central);
	snprintf(p, sizeof(p), "%s/central.db", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/central.db-wal", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/central.db-shm", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A record of constituency NA-1 for area at round with the given counts. */
static inline void
make_record(struct tly_record *r, const char *area, uint64_t round,
    uint64_t registered, uint64_t voted, uint64_t v1, uint64_t v2)
{
	tly_record_init(r);
	snprintf(r->area, sizeof(r->area), "%s", area);
	snprintf(r->level, sizeof(r->level), "na");
	snprintf(r->constituency, sizeof(r->constituency), "NA-1");
	r->round = round;
	r->registered = registered;
	r->voted = voted;
	r->issued = voted;
	r->received = voted;
	r->valid = voted - 2;
	r->invalid = 2;
	r->nvotes = 2;
	snprintf(r->votes[0].cand, sizeof(r->votes[0].cand), "NA1.1");
	r->votes[0].votes = v1;
	snprintf(r->votes[1].cand, sizeof(r->votes[1].cand), "NA1.2");
	r->votes[1].votes = v2;
}

/* Seal one batch of n records by key and parse it back. */
static inline void
make_batch(struct tb *t, const struct tly_key *key, uint64_t seq,
    const uint8_t *prev, uint64_t created, const struct tly_record *recs,
    size_t n)
{
	uint8_t	id[TLY_HASH_LEN];

	tly_buf_init(&t->bytes, TLY_MSG_MAX);
	assert_int_equal(tly_batch_seal(key, seq, prev, created, 0, election,
	    recs, n, &t->bytes, id), TLY_OK);
	assert_int_equal(tly_batch_parse(t->bytes.p, t->bytes.len, &t->b),
	    TLY_OK);
	assert_memory_equal(t->b->id, id, TLY_HASH_LEN);
}

/* A one-record batch for area A01. */
static inline void
simple_batch(struct tb *t, const struct tly_key *key, uint64_t seq,
    const uint8_t *prev, uint64_t created)
{
	struct tly_record	r;

	make_record(&r, "A01", 1, 1000, 900, 500, 400);
	make_batch(t, key, seq, prev, created, &r, 1);
	tly_record_finish(&r);
}

static inline void
tb_free(struct tb *t)
{
	tly_batch_free(t->b);
	tly_buf_free(&t->bytes);
}

/*
 * Run step 8 for t in its own transaction and, when it passes, store it
 * with a receipt.  Returns what tly_cstore_check() returned; the receipt
 * (new or original) is appended to receipt.
 */
static inline int
submit(struct fx *f, struct tb *t, struct tly_buf *receipt)
{
	struct tly_receipt	rc;
	struct tly_cstore_rows	rows;
	int			r;

	assert_int_equal(tly_cstore_begin(f->s), TLY_OK);
	assert_int_equal(tly_cstore_savepoint(f->s), TLY_OK);
	r = tly_cstore_check(f->s, t->b, receipt);
	if (r == TLY_OK) {
		memset(&rc, 0, sizeof(rc));
		memcpy(rc.device, t->b->device, TLY_PK_LEN);
		rc.seq = t->b->seq;
		memcpy(rc.batch, t->b->id, TLY_HASH_LEN);
		rc.stored = 1700000000;
		assert_int_equal(tly_receipt_seal(f->central, &rc, receipt),
		    TLY_OK);
		assert_int_equal(tly_cstore_rows(t->b, &rows), TLY_OK);
		assert_int_equal(tly_cstore_put(f->s, t->b, &rows, t->bytes.p,
		    t->bytes.len, 1700000000, receipt->p, receipt->len,
		    &f->st, f->other), TLY_OK);
		tly_cstore_rows_free(&rows);
		assert_int_equal(tly_cstore_release(f->s), TLY_OK);
	} else
		assert_int_equal(tly_cstore_rollback_to(f->s), TLY_OK);
	assert_int_equal(tly_cstore_commit(f->s), TLY_OK);
	return r;
}

/* The device's state. */
static inline struct tly_cstore_dev
dev_state(struct fx *f, const struct tly_key *k)
{
	struct tly_cstore_dev	d;

	assert_int_equal(tly_cstore_device(f->s, tly_key_public(k), &d),
	    TLY_OK);
	return d;
}

#endif
