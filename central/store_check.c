/*
 * store_check.c: what the central's store decides before a batch is
 * stored (PROTOCOL.md section 10, step 8: duplicates, gaps, repeated
 * seqs), the rejection log, deduplicated and bounded per source, and
 * the trust objects of POST /v1/trust.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"

int
tly_cstore_check(struct tly_cstore *s, const struct tly_batch *b,
    struct tly_buf *receipt)
{
	static const uint8_t	 zero[TLY_HASH_LEN];
	sqlite3_stmt		*st = s->ws[W_BATCH_BY_ID];
	uint64_t		 head, n;
	int			 rc, r;

	/* The same batch id: a duplicate, answered with the old receipt. */
	if (tly_cstore_bind_blob(st, 1, b->id, TLY_HASH_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r = tly_buf_add(receipt, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
		if (r == TLY_OK)
			r = TLY_E_DUPLICATE;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->w, "batch by id");
		goto out;
	}
	tly_cstore_st_done(st);
	if (b->seq == 1 && memcmp(b->prev, zero, TLY_HASH_LEN) != 0) {
		r = tly_fail(TLY_E_CHAIN, "seq 1 must have a zero prev");
		goto out;
	}
	st = s->ws[W_DEV];
	if (tly_cstore_bind_blob(st, 1, b->device, TLY_PK_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	if ((r = tly_cstore_one_u64(s->w, st, &head, "device head")) != TLY_OK)
		goto out;
	if (b->seq > head + TLY_CSTORE_AHEAD_MAX) {
		r = tly_fail(TLY_E_SEQ_GAP, "seq %llu but head is %llu; send "
		    "batch %llu first", (unsigned long long)b->seq,
		    (unsigned long long)head, (unsigned long long)head + 1);
		goto out;
	}
	st = s->ws[W_COUNT_SEQ];
	if (tly_cstore_bind_blob(st, 1, b->device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 2, b->seq) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	if ((r = tly_cstore_one_u64(s->w, st, &n, "count seq")) != TLY_OK)
		goto out;
	if (n >= TLY_CSTORE_SAME_SEQ_MAX) {
		r = tly_fail(TLY_E_SEQ_CONFLICT, "%llu different batches with "
		    "seq %llu are held already", (unsigned long long)n,
		    (unsigned long long)b->seq);
		goto out;
	}
	r = TLY_OK;
 out:
	tly_cstore_st_done(st);
	return r;
}

/*
 * Count a repeat of the rejected bytes whose hash is h, or (*counted 0)
 * say that they are new.
 */
static int
reject_repeat(struct tly_cstore *s, const uint8_t h[TLY_HASH_LEN], time_t at,
    int *counted)
{
	sqlite3_stmt	*st = s->ws[W_REJ_REPEAT];
	int		 r;

	*counted = 0;
	if (tly_cstore_bind_blob(st, 1, h, TLY_HASH_LEN) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)at) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind rejection repeat");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "count rejection repeat")) !=
	    TLY_OK)
		return r;
	*counted = sqlite3_changes(s->w) > 0;
	return TLY_OK;
}

/*
 * When source src (len bytes) holds its share of rows already, count the
 * entry in rejections_dropped and set *dropped.
 */
static int
reject_bound(struct tly_cstore *s, const uint8_t *src, size_t len,
    time_t at, int *dropped)
{
	sqlite3_stmt	*st = s->ws[W_REJ_COUNT_SRC];
	uint64_t	 n = 0;
	int		 r;

	*dropped = 0;
	if (tly_cstore_bind_blob(st, 1, src, len) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind rejection source");
	}
	if ((r = tly_cstore_one_u64(s->w, st, &n, "count rejections of a "
	    "source")) != TLY_OK)
		return r;
	if (n < TLY_CSTORE_REJECT_PER_SOURCE)
		return TLY_OK;
	*dropped = 1;
	st = s->ws[W_REJ_DROP];
	if (tly_cstore_bind_blob(st, 1, src, len) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)at) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind dropped rejection");
	}
	return tly_cstore_st_exec(s->w, st, "count dropped rejection");
}

int
tly_cstore_reject(struct tly_cstore *s, time_t at, size_t entry,
    const char *code, const char *message, const uint8_t *batch,
    const uint8_t *source, const uint8_t *m, size_t mlen)
{
	sqlite3_stmt	*st = s->ws[W_INSERT_REJECT];
	uint8_t		 h[TLY_HASH_LEN];
	size_t		 slen = source != NULL ? TLY_PK_LEN : 0;
	int		 rc, r, done;

	tly_hash(m != NULL ? m : (const uint8_t *)"", m != NULL ? mlen : 0, h);
	if ((r = reject_repeat(s, h, at, &done)) != TLY_OK || done)
		return r;
	if ((r = reject_bound(s, source != NULL ? source :
	    (const uint8_t *)"", slen, at, &done)) != TLY_OK || done)
		return r;
	rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)at);
	if (rc == SQLITE_OK)
		rc = tly_cstore_bind_u64(st, 2, entry);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, code, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, message, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = batch != NULL ? tly_cstore_bind_blob(st, 5, batch, TLY_HASH_LEN) :
		    sqlite3_bind_null(st, 5);
	if (rc == SQLITE_OK)
		rc = m != NULL ? tly_cstore_bind_blob(st, 6, m, mlen) :
		    sqlite3_bind_zeroblob(st, 6, 0);
	if (rc == SQLITE_OK)
		rc = tly_cstore_bind_blob(st, 7, h, TLY_HASH_LEN);
	if (rc == SQLITE_OK)
		rc = tly_cstore_bind_blob(st, 8, source != NULL ? source :
		    (const uint8_t *)"", slen);
	if (rc != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind rejection");
	}
	return tly_cstore_st_exec(s->w, st, "insert rejection");
}
int
tly_cstore_trust_put(struct tly_cstore *s, const uint8_t *m, size_t len,
    time_t at)
{
	sqlite3_stmt	*st = s->ws[W_TRUST_PUT];
	uint8_t		 h[TLY_HASH_LEN];
	int		 r;

	tly_hash(m, len, h);
	if ((r = tly_cstore_begin(s)) != TLY_OK)
		return r;
	if (tly_cstore_bind_blob(st, 1, h, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, m, len) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, (sqlite3_int64)at) != SQLITE_OK) {
		tly_cstore_st_done(st);
		r = tly_cstore_db_fail(s->w, "bind trust object");
		tly_cstore_rollback(s);
		return r;
	}
	if ((r = tly_cstore_st_exec(s->w, st, "insert trust object")) !=
	    TLY_OK) {
		tly_cstore_rollback(s);
		return r;
	}
	return tly_cstore_commit(s);
}

int
tly_cstore_trust_each(struct tly_cstore *s,
    int (*fn)(void *, const uint8_t *, size_t), void *arg)
{
	sqlite3_stmt	*st = s->ws[W_TRUST_ALL];
	int		 rc, r = TLY_OK;

	if ((r = tly_cstore_lock(&s->wlock)) != TLY_OK)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && r == TLY_OK)
		r = fn(arg, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
	if (r == TLY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = tly_cstore_db_fail(s->w, "read trust objects");
	sqlite3_reset(st);
	pthread_mutex_unlock(&s->wlock);
	return r;
}
