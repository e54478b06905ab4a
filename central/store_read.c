/*
 * store_read.c: the reader connection of the central's store: device
 * heads, held batches, the rejection count and the results sums.  Runs
 * beside a writer transaction (WAL mode) without waiting for it.
 */
#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"

/* The current record of each (area, level), as a common table. */
#define CURRENT_CTE \
	"WITH cur AS (SELECT id, constituency, level, registered, voted," \
	"  valid, invalid, row_number() OVER (PARTITION BY area, level" \
	"  ORDER BY round DESC, device DESC, seq DESC, idx DESC) AS rn" \
	"  FROM records) "

const char *const tly_cstore_rsql[R_COUNT_] = {
	[R_BEGIN] = "BEGIN",
	[R_END] = "COMMIT",
	[R_HEAD] = "SELECT head, head_id FROM devices WHERE device = ?1",
	[R_BATCH] = "SELECT bytes, receipt FROM batches WHERE id = ?1",
	[R_NREJ] = "SELECT count(*) FROM rejections",
	[R_SUMS] = CURRENT_CTE
	    "SELECT constituency, level, count(*), sum(registered),"
	    " sum(voted), sum(valid), sum(invalid) FROM cur WHERE rn = 1"
	    " GROUP BY constituency, level ORDER BY constituency, level",
	[R_VOTES] = CURRENT_CTE
	    "SELECT cur.constituency, cur.level, v.candidate, sum(v.votes)"
	    " FROM cur JOIN votes AS v ON v.record = cur.id WHERE cur.rn = 1"
	    " GROUP BY cur.constituency, cur.level, v.candidate"
	    " ORDER BY cur.constituency, cur.level, v.candidate",
};

int
tly_cstore_head(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN],
    uint64_t *head, uint8_t id[TLY_HASH_LEN])
{
	int	r;

	pthread_mutex_lock(&s->rlock);
	r = tly_cstore_head_at(s->r, s->rs[R_HEAD], device, head, id);
	pthread_mutex_unlock(&s->rlock);
	return r;
}

int
tly_cstore_batch(struct tly_cstore *s, const uint8_t id[TLY_HASH_LEN],
    struct tly_buf *bytes, struct tly_buf *receipt)
{
	sqlite3_stmt	*st = s->rs[R_BATCH];
	int		 rc, r;

	pthread_mutex_lock(&s->rlock);
	if (tly_cstore_bind_blob(st, 1, id, TLY_HASH_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->r, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = TLY_E_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = tly_cstore_db_fail(s->r, "batch");
		goto out;
	}
	r = TLY_OK;
	if (bytes != NULL)
		r = tly_buf_add(bytes, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
	if (r == TLY_OK && receipt != NULL)
		r = tly_buf_add(receipt, sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1));
 out:
	tly_cstore_st_done(st);
	pthread_mutex_unlock(&s->rlock);
	return r;
}

int
tly_cstore_nrejections(struct tly_cstore *s, uint64_t *n)
{
	sqlite3_stmt	*st = s->rs[R_NREJ];
	int		 r = TLY_OK;

	*n = 0;
	pthread_mutex_lock(&s->rlock);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		r = tly_cstore_db_fail(s->r, "count rejections");
	tly_cstore_st_done(st);
	pthread_mutex_unlock(&s->rlock);
	return r;
}

/* A non-negative integer column. */
static uint64_t
col_u64(sqlite3_stmt *st, int i)
{
	sqlite3_int64	v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (uint64_t)v;
}

/* A text column, never NULL. */
static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char	*t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

int
tly_cstore_results(struct tly_cstore *s, tly_cstore_sum_fn sum_fn,
    tly_cstore_vote_fn vote_fn, void *arg)
{
	struct tly_cstore_sum	 sum;
	sqlite3_stmt		*st = NULL;
	int			 rc, r, began = 0;

	pthread_mutex_lock(&s->rlock);
	/* One read transaction: both queries see the same snapshot. */
	if ((r = tly_cstore_st_exec(s->r, s->rs[R_BEGIN], "begin read")) != TLY_OK)
		goto out;
	began = 1;
	st = s->rs[R_SUMS];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sum.constituency = col_text(st, 0);
		sum.level = col_text(st, 1);
		sum.reporting = col_u64(st, 2);
		sum.registered = col_u64(st, 3);
		sum.voted = col_u64(st, 4);
		sum.valid = col_u64(st, 5);
		sum.invalid = col_u64(st, 6);
		if ((r = sum_fn(arg, &sum)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->r, "sums");
		goto out;
	}
	tly_cstore_st_done(st);
	st = s->rs[R_VOTES];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = vote_fn(arg, col_text(st, 0), col_text(st, 1),
		    col_text(st, 2), col_u64(st, 3))) != 0)
			goto out;
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->r, "votes");
		goto out;
	}
	r = TLY_OK;
 out:
	if (st != NULL)
		tly_cstore_st_done(st);
	if (began)
		tly_cstore_st_exec(s->r, s->rs[R_END], "end read");
	pthread_mutex_unlock(&s->rlock);
	return r;
}
