/*
 * test_central_store.c: the central's database (central/store*.c) on a
 * real SQLite file in a fresh temporary directory: the schema, storing
 * batches, duplicates, persistence and rejections.  The device chains,
 * decisions and heads are in test_central_chains.c.
 */

#include "central_store_fixture.h"

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
	assert_int_equal(submit(f, &b1, &rc2), TLY_E_DUPLICATE);
	assert_int_equal(rc2.len, rc1.len);
	assert_memory_equal(rc2.p, rc1.p, rc1.len);
	assert_int_equal(tly_cstore_head(f->s, tly_key_public(f->dev), &head,
	    id), TLY_OK);
	assert_int_equal(head, 1);
	tb_free(&b1);
	tly_buf_free(&rc1);
	tly_buf_free(&rc2);
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
	assert_int_equal(tly_cstore_reject(f->s, 5, 0, "bad_signature", "x", NULL,
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
	    NULL, NULL, (const uint8_t *)"abc", 3), TLY_OK);
	assert_int_equal(tly_cstore_reject(f->s, 1, 1, "seq_gap", "m", id,
	    NULL, (const uint8_t *)"def", 3), TLY_OK);
	assert_int_equal(tly_cstore_commit(f->s), TLY_OK);
	assert_int_equal(tly_cstore_nrejections(f->s, &n), TLY_OK);
	assert_int_equal(n, 2);
	assert_int_equal(tly_cstore_begin(f->s), TLY_OK);
	assert_int_equal(tly_cstore_reject(f->s, 1, 0, "bad_magic", "m",
	    NULL, NULL, (const uint8_t *)"abc", 3), TLY_OK);
	tly_cstore_rollback(f->s);
	assert_int_equal(tly_cstore_nrejections(f->s, &n), TLY_OK);
	assert_int_equal(n, 2);
}

/*
 * The rejection log keeps the same bytes once (with a count of repeats)
 * and at most TLY_CSTORE_REJECT_PER_SOURCE rows per source.
 */
static void
test_rejections_bounded(void **state)
{
	struct fx	*f = *state;
	uint8_t		 dev[TLY_PK_LEN] = { 9 }, other[TLY_PK_LEN] = { 8 };
	uint8_t		 m[8];
	uint64_t	 n = 0, i;

	assert_int_equal(tly_cstore_begin(f->s), TLY_OK);
	for (i = 0; i < 5; i++)
		assert_int_equal(tly_cstore_reject(f->s, 1, 0, "revoked", "m",
		    NULL, dev, (const uint8_t *)"same", 4), TLY_OK);
	assert_int_equal(tly_cstore_commit(f->s), TLY_OK);
	assert_int_equal(tly_cstore_nrejections(f->s, &n), TLY_OK);
	assert_int_equal(n, 1);

	assert_int_equal(tly_cstore_begin(f->s), TLY_OK);
	for (i = 0; i < TLY_CSTORE_REJECT_PER_SOURCE + 40; i++) {
		memcpy(m, &i, sizeof(m));
		assert_int_equal(tly_cstore_reject(f->s, 2, 0, "revoked", "m",
		    NULL, dev, m, sizeof(m)), TLY_OK);
	}
	assert_int_equal(tly_cstore_reject(f->s, 2, 0, "revoked", "m", NULL,
	    other, (const uint8_t *)"x", 1), TLY_OK);
	assert_int_equal(tly_cstore_commit(f->s), TLY_OK);
	assert_int_equal(tly_cstore_nrejections(f->s, &n), TLY_OK);
	assert_int_equal(n, TLY_CSTORE_REJECT_PER_SOURCE + 1);
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
		cmocka_unit_test_setup_teardown(test_persists,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejections_bounded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejections,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
