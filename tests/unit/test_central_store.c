/*
 * test_central_store.c: the central's database (central/store.c) on a
 * real SQLite file in a fresh temporary directory.
 */
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
#include "crypto/crypto.h"
#include "sync/wire.h"

static const uint8_t	election[TLY_HASH_LEN] = { 0xe1, 0xec };

/* One test's world: a temp dir, its database, a device key. */
struct fx {
	char			 dir[64];	/* mkdtemp directory */
	char			 db[128];	/* dir/central.db */
	struct tly_cstore	*s;		/* the open store */
	struct tly_key		*dev;		/* a device key */
	struct tly_key		*central;	/* the central key */
};

/* A sealed and parsed batch. */
struct tb {
	struct tly_buf		 bytes;		/* the signed message */
	struct tly_batch	*b;		/* parsed */
};

static int
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

static int
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
static void
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
static void
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
static void
simple_batch(struct tb *t, const struct tly_key *key, uint64_t seq,
    const uint8_t *prev, uint64_t created)
{
	struct tly_record	r;

	make_record(&r, "A01", 1, 1000, 900, 500, 400);
	make_batch(t, key, seq, prev, created, &r, 1);
	tly_record_finish(&r);
}

static void
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
static int
submit(struct fx *f, struct tb *t, struct tly_buf *receipt)
{
	struct tly_receipt	rc;
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
		assert_int_equal(tly_cstore_put(f->s, t->b, t->bytes.p,
		    t->bytes.len, 1700000000, receipt->p, receipt->len),
		    TLY_OK);
		assert_int_equal(tly_cstore_release(f->s), TLY_OK);
	} else
		assert_int_equal(tly_cstore_rollback_to(f->s), TLY_OK);
	assert_int_equal(tly_cstore_commit(f->s), TLY_OK);
	return r;
}

/* A fresh file gets the current schema version. */
static void
test_migrate_sets_version(void **state)
{
	struct fx	*f = *state;
	int		 v = -1;

	assert_int_equal(tly_cstore_user_version(f->s, &v), TLY_OK);
	assert_int_equal(v, TLY_CSTORE_VERSION);
	/* Reopening an up-to-date file changes nothing. */
	tly_cstore_close(f->s);
	f->s = NULL;
	assert_int_equal(tly_cstore_open(f->db, &f->s), TLY_OK);
	assert_int_equal(tly_cstore_user_version(f->s, &v), TLY_OK);
	assert_int_equal(v, TLY_CSTORE_VERSION);
}

/* A file whose schema is newer than the program is refused. */
static void
test_future_version_refused(void **state)
{
	struct fx	*f = *state;
	uint8_t		 v[4] = { 0, 0, 0, 99 };
	int		 fd;

	tly_cstore_close(f->s);		/* checkpoints and drops the WAL */
	f->s = NULL;
	/* user_version is the big-endian integer at offset 60 of the file. */
	fd = open(f->db, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, v, sizeof(v), 60), (ssize_t)sizeof(v));
	close(fd);
	assert_int_equal(tly_cstore_open(f->db, &f->s), TLY_E_VERSION);
	assert_null(f->s);
}

/* Storing moves the head; the exact bytes and receipt are kept. */
static void
test_insert_and_head(void **state)
{
	struct fx	*f = *state;
	struct tb	 b1, b2;
	struct tly_buf	 rc1 = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf	 rc2 = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf	 bytes = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf	 rcb = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_receipt rc;
	uint8_t		 id[TLY_HASH_LEN];
	uint64_t	 head = 99;

	assert_int_equal(tly_cstore_head(f->s, tly_key_public(f->dev), &head,
	    id), TLY_OK);
	assert_int_equal(head, 0);

	simple_batch(&b1, f->dev, 1, NULL, 100);
	assert_int_equal(submit(f, &b1, &rc1), TLY_OK);
	assert_int_equal(tly_cstore_head(f->s, tly_key_public(f->dev), &head,
	    id), TLY_OK);
	assert_int_equal(head, 1);
	assert_memory_equal(id, b1.b->id, TLY_HASH_LEN);

	simple_batch(&b2, f->dev, 2, b1.b->id, 200);
	assert_int_equal(submit(f, &b2, &rc2), TLY_OK);
	assert_int_equal(tly_cstore_head(f->s, tly_key_public(f->dev), &head,
	    id), TLY_OK);
	assert_int_equal(head, 2);
	assert_memory_equal(id, b2.b->id, TLY_HASH_LEN);

	assert_int_equal(tly_cstore_batch(f->s, b1.b->id, &bytes, &rcb),
	    TLY_OK);
	assert_int_equal(bytes.len, b1.bytes.len);
	assert_memory_equal(bytes.p, b1.bytes.p, bytes.len);
	assert_int_equal(rcb.len, rc1.len);
	assert_memory_equal(rcb.p, rc1.p, rcb.len);
	assert_int_equal(tly_receipt_verify(rcb.p, rcb.len,
	    tly_key_public(f->central), &rc), TLY_OK);
	assert_int_equal(rc.seq, 1);
	assert_memory_equal(rc.batch, b1.b->id, TLY_HASH_LEN);

	tb_free(&b1);
	tb_free(&b2);
	tly_buf_free(&rc1);
	tly_buf_free(&rc2);
	tly_buf_free(&bytes);
	tly_buf_free(&rcb);
}

/* The same batch again is a duplicate answered with the first receipt. */
static void
test_duplicate(void **state)
{
	struct fx	*f = *state;
	struct tb	 b1;
	struct tly_buf	 rc1 = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf	 rc2 = TLY_BUF_INIT(TLY_MSG_MAX);
	uint8_t		 id[TLY_HASH_LEN];
	uint64_t	 head;

	simple_batch(&b1, f->dev, 1, NULL, 100);
	assert_int_equal(submit(f, &b1, &rc1), TLY_OK);
	assert_int_equal(submit(f, &b1, &rc2), TLY_CSTORE_DUPLICATE);
	assert_int_equal(rc2.len, rc1.len);
	assert_memory_equal(rc2.p, rc1.p, rc1.len);
	assert_int_equal(tly_cstore_head(f->s, tly_key_public(f->dev), &head,
	    id), TLY_OK);
	assert_int_equal(head, 1);
	tb_free(&b1);
	tly_buf_free(&rc1);
	tly_buf_free(&rc2);
}

/* A different batch with a held seq is a conflict; the original stays. */
static void
test_seq_conflict(void **state)
{
	struct fx	*f = *state;
	struct tb	 b1, other;
	struct tly_buf	 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	uint8_t		 id[TLY_HASH_LEN];
	uint64_t	 head;

	simple_batch(&b1, f->dev, 1, NULL, 100);
	simple_batch(&other, f->dev, 1, NULL, 101);
	assert_memory_not_equal(b1.b->id, other.b->id, TLY_HASH_LEN);
	assert_int_equal(submit(f, &b1, &rc), TLY_OK);
	tly_buf_reset(&rc);
	assert_int_equal(submit(f, &other, &rc), TLY_E_SEQ_CONFLICT);
	assert_int_equal(rc.len, 0);
	assert_int_equal(tly_cstore_head(f->s, tly_key_public(f->dev), &head,
	    id), TLY_OK);
	assert_int_equal(head, 1);
	assert_memory_equal(id, b1.b->id, TLY_HASH_LEN);
	assert_int_equal(tly_cstore_batch(f->s, other.b->id, NULL, NULL),
	    TLY_E_NOTFOUND);
	tb_free(&b1);
	tb_free(&other);
	tly_buf_free(&rc);
}

/* A seq above head + 1 is a gap; a wrong prev breaks the chain. */
static void
test_gap_and_chain(void **state)
{
	struct fx	*f = *state;
	struct tb	 b1, b3, bad2;
	struct tly_buf	 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	uint8_t		 wrong[TLY_HASH_LEN];

	simple_batch(&b1, f->dev, 1, NULL, 100);
	assert_int_equal(submit(f, &b1, &rc), TLY_OK);
	simple_batch(&b3, f->dev, 3, b1.b->id, 300);
	assert_int_equal(submit(f, &b3, &rc), TLY_E_SEQ_GAP);
	memcpy(wrong, b1.b->id, sizeof(wrong));
	wrong[0] ^= 1;
	simple_batch(&bad2, f->dev, 2, wrong, 200);
	assert_int_equal(submit(f, &bad2, &rc), TLY_E_CHAIN);
	/* A first batch of another device starts a chain of its own. */
	tb_free(&b3);
	simple_batch(&b3, f->central, 2, NULL, 100);
	assert_int_equal(submit(f, &b3, &rc), TLY_E_SEQ_GAP);
	tb_free(&b1);
	tb_free(&b3);
	tb_free(&bad2);
	tly_buf_free(&rc);
}

/* Data survives closing and reopening the file. */
static void
test_persists(void **state)
{
	struct fx	*f = *state;
	struct tb	 b1;
	struct tly_buf	 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf	 bytes = TLY_BUF_INIT(TLY_MSG_MAX);
	uint8_t		 id[TLY_HASH_LEN];
	uint64_t	 head, n;

	simple_batch(&b1, f->dev, 1, NULL, 100);
	assert_int_equal(submit(f, &b1, &rc), TLY_OK);
	assert_int_equal(tly_cstore_begin(f->s), TLY_OK);
	assert_int_equal(tly_cstore_reject(f->s, 5, 0, "bad_signature", "x",
	    NULL, (const uint8_t *)"junk", 4), TLY_OK);
	assert_int_equal(tly_cstore_commit(f->s), TLY_OK);

	tly_cstore_close(f->s);
	f->s = NULL;
	assert_int_equal(tly_cstore_open(f->db, &f->s), TLY_OK);
	assert_int_equal(tly_cstore_head(f->s, tly_key_public(f->dev), &head,
	    id), TLY_OK);
	assert_int_equal(head, 1);
	assert_memory_equal(id, b1.b->id, TLY_HASH_LEN);
	assert_int_equal(tly_cstore_batch(f->s, b1.b->id, &bytes, NULL),
	    TLY_OK);
	assert_int_equal(bytes.len, b1.bytes.len);
	assert_memory_equal(bytes.p, b1.bytes.p, bytes.len);
	assert_int_equal(tly_cstore_nrejections(f->s, &n), TLY_OK);
	assert_int_equal(n, 1);
	tb_free(&b1);
	tly_buf_free(&rc);
	tly_buf_free(&bytes);
}

/* Rejections are kept on commit and dropped on rollback. */
static void
test_rejections(void **state)
{
	struct fx	*f = *state;
	uint8_t		 id[TLY_HASH_LEN] = { 7 };
	uint64_t	 n = 99;

	assert_int_equal(tly_cstore_nrejections(f->s, &n), TLY_OK);
	assert_int_equal(n, 0);
	assert_int_equal(tly_cstore_begin(f->s), TLY_OK);
	assert_int_equal(tly_cstore_reject(f->s, 1, 0, "bad_magic", "m",
	    NULL, (const uint8_t *)"abc", 3), TLY_OK);
	assert_int_equal(tly_cstore_reject(f->s, 1, 1, "seq_gap", "m", id,
	    (const uint8_t *)"def", 3), TLY_OK);
	assert_int_equal(tly_cstore_commit(f->s), TLY_OK);
	assert_int_equal(tly_cstore_nrejections(f->s, &n), TLY_OK);
	assert_int_equal(n, 2);
	assert_int_equal(tly_cstore_begin(f->s), TLY_OK);
	assert_int_equal(tly_cstore_reject(f->s, 1, 0, "bad_magic", "m",
	    NULL, (const uint8_t *)"abc", 3), TLY_OK);
	tly_cstore_rollback(f->s);
	assert_int_equal(tly_cstore_nrejections(f->s, &n), TLY_OK);
	assert_int_equal(n, 2);
}

/* What the results walk saw. */
struct seen {
	uint64_t	reporting, registered, voted, v1, v2;
	int		sums, votes;
};

static int
seen_sum(void *arg, const struct tly_cstore_sum *s)
{
	struct seen	*z = arg;

	assert_string_equal(s->constituency, "NA-1");
	assert_string_equal(s->level, "na");
	z->sums++;
	z->reporting = s->reporting;
	z->registered = s->registered;
	z->voted = s->voted;
	return 0;
}

static int
seen_vote(void *arg, const char *cons, const char *level, const char *cand,
    uint64_t votes)
{
	struct seen	*z = arg;

	assert_string_equal(cons, "NA-1");
	z->votes++;
	if (strcmp(cand, "NA1.1") == 0)
		z->v1 = votes;
	else if (strcmp(cand, "NA1.2") == 0)
		z->v2 = votes;
	else
		fail_msg("unexpected candidate %s", cand);
	return 0;
}

/*
 * Only the current record of each (area, level) counts: the highest
 * round, then the highest (device, seq, index).
 */
static void
test_results_current(void **state)
{
	struct fx		*f = *state;
	struct tly_record	 r[2];
	struct tb		 a1, a2, c1;
	struct tly_buf		 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	struct seen		 z;
	const struct tly_key	*hi, *lo;
	uint64_t		 hi_votes;

	/* dev: A01 round 1, then A01 round 2 and A02 round 1 in one batch. */
	make_record(&r[0], "A01", 1, 1000, 900, 500, 400);
	make_batch(&a1, f->dev, 1, NULL, 100, r, 1);
	tly_record_finish(&r[0]);
	assert_int_equal(submit(f, &a1, &rc), TLY_OK);
	make_record(&r[0], "A01", 2, 1000, 800, 300, 200);
	make_record(&r[1], "A02", 1, 500, 400, 100, 50);
	make_batch(&a2, f->dev, 2, a1.b->id, 200, r, 2);
	tly_record_finish(&r[0]);
	tly_record_finish(&r[1]);
	assert_int_equal(submit(f, &a2, &rc), TLY_OK);

	/* central key as a second device: A02 round 1 again. */
	make_record(&r[0], "A02", 1, 500, 450, 7, 3);
	make_batch(&c1, f->central, 1, NULL, 300, r, 1);
	tly_record_finish(&r[0]);
	assert_int_equal(submit(f, &c1, &rc), TLY_OK);

	/* Within round 1 of A02 the higher device key wins. */
	if (memcmp(tly_key_public(f->dev), tly_key_public(f->central),
	    TLY_PK_LEN) > 0) {
		hi = f->dev;
		lo = f->central;
	} else {
		hi = f->central;
		lo = f->dev;
	}
	(void)lo;
	hi_votes = hi == f->dev ? 100 : 7;

	memset(&z, 0, sizeof(z));
	assert_int_equal(tly_cstore_results(f->s, seen_sum, seen_vote, &z),
	    TLY_OK);
	assert_int_equal(z.sums, 1);
	assert_int_equal(z.votes, 2);
	assert_int_equal(z.reporting, 2);
	assert_int_equal(z.registered, 1500);
	assert_int_equal(z.voted, 800 + (hi == f->dev ? 400 : 450));
	assert_int_equal(z.v1, 300 + hi_votes);
	assert_int_equal(z.v2, 200 + (hi == f->dev ? 50 : 3));

	tb_free(&a1);
	tb_free(&a2);
	tb_free(&c1);
	tly_buf_free(&rc);
}

/* Turnout: two decimals, rounded half up, in integers. */
static void
test_turnout(void **state)
{
	char	t[48];

	(void)state;
	tly_central_turnout(0, 0, t, sizeof(t));
	assert_string_equal(t, "-");
	tly_central_turnout(5, 0, t, sizeof(t));
	assert_string_equal(t, "-");
	tly_central_turnout(1, 8, t, sizeof(t));
	assert_string_equal(t, "12.50");
	tly_central_turnout(1, 3, t, sizeof(t));
	assert_string_equal(t, "33.33");
	tly_central_turnout(2, 3, t, sizeof(t));
	assert_string_equal(t, "66.67");
	tly_central_turnout(1, 20000, t, sizeof(t));	/* 0.005: half up */
	assert_string_equal(t, "0.01");
	tly_central_turnout(1, 20001, t, sizeof(t));	/* just under */
	assert_string_equal(t, "0.00");
	tly_central_turnout(9968, 10000, t, sizeof(t));
	assert_string_equal(t, "99.68");
	tly_central_turnout(UINT64_MAX, UINT64_MAX, t, sizeof(t));
	assert_string_equal(t, "100.00");
	tly_central_turnout(0, 7, t, sizeof(t));
	assert_string_equal(t, "0.00");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_sets_version,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_future_version_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_and_head,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_conflict,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_and_chain,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_persists,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejections,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_current,
		    setup, teardown),
		cmocka_unit_test(test_turnout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
