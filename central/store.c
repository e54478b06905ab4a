/*
 * store.c: the central store's SQL helpers, under every other store
 * file: errors, statements, binding and reading columns, arrays that
 * grow, and the store's mutexes.  The central's SQL is in store*.c
 * only; the tour of those files is in storeInt.h.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"

/* The error of SQLite result code rc: a lock held elsewhere is busy. */
static int
db_err(int rc)
{
	rc &= 0xff;	/* the primary code of an extended one */
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? TLY_E_BUSY :
	    TLY_E_DB;
}

/*
 * Set a detail from the connection's last error: TLY_E_BUSY when a lock
 * held elsewhere outlasted the busy timeout (answered 503, PROTOCOL.md
 * 8.5), else TLY_E_DB.
 */
int
tly_cstore_db_fail(sqlite3 *db, const char *what)
{
	return tly_fail(db_err(db != NULL ? sqlite3_errcode(db) :
	    SQLITE_NOMEM), "%s: %s", what,
	    db != NULL ? sqlite3_errmsg(db) : "cannot allocate");
}

/* Reset a statement for its next use. */
void
tly_cstore_st_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Run a statement that returns no rows. */
int
tly_cstore_st_exec(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int	rc;

	rc = sqlite3_step(st);
	tly_cstore_st_done(st);
	if (rc != SQLITE_DONE)
		return tly_cstore_db_fail(db, what);
	return TLY_OK;
}

/* Run SQL text without parameters (pragmas, migrations). */
int
tly_cstore_db_exec(sqlite3 *db, const char *sql, const char *what)
{
	char	*msg = NULL;
	int	 r = TLY_OK, rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK)
		r = tly_fail(db_err(rc), "%s: %s", what,
		    msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return r;
}

int
tly_cstore_lock(pthread_mutex_t *m)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += TLY_CSTORE_LOCK_S;
	if (pthread_mutex_timedlock(m, &ts) != 0)
		return tly_fail(TLY_E_BUSY, "the store is busy");
	return TLY_OK;
}

/* Bind a blob that outlives the statement's step. */
int
tly_cstore_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	if (n > (size_t)INT32_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "bind: %zu bytes", n);
	if (sqlite3_bind_blob(st, i, p, (int)n, SQLITE_STATIC) != SQLITE_OK)
		return tly_cstore_db_fail(sqlite3_db_handle(st), "bind");
	return TLY_OK;
}

/* Bind an integer of PROTOCOL.md section 1 (at most 2^53 - 1). */
int
tly_cstore_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	if (v > (uint64_t)INT64_MAX)
		return tly_fail(TLY_E_INVAL, "bind: %llu is out of range",
		    (unsigned long long)v);
	if (sqlite3_bind_int64(st, i, (sqlite3_int64)v) != SQLITE_OK)
		return tly_cstore_db_fail(sqlite3_db_handle(st), "bind");
	return TLY_OK;
}

uint64_t
tly_cstore_col_u64(sqlite3_stmt *st, int i)
{
	sqlite3_int64	v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (uint64_t)v;
}

const char *
tly_cstore_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char	*t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

int
tly_cstore_col_id(sqlite3_stmt *st, int i, uint8_t out[32])
{
	if (sqlite3_column_bytes(st, i) != 32)
		return tly_fail(TLY_E_DB, "column %d is not a 32-byte id", i);
	memcpy(out, sqlite3_column_blob(st, i), 32);
	return TLY_OK;
}

int
tly_cstore_grow(void **p, size_t *cap, size_t n, size_t sz, size_t max,
    const char *what)
{
	void	*np;
	size_t	 nc;

	if (n < *cap)
		return TLY_OK;
	if (n >= max)
		return tly_fail(TLY_E_TOO_LARGE, "more than %zu %s", max, what);
	nc = *cap ? 2 * *cap : 64;
	if (nc > max)
		nc = max;
	if (nc > SIZE_MAX / sz || (np = realloc(*p, nc * sz)) == NULL)
		return TLY_E_NOMEM;
	*p = np;
	*cap = nc;
	return TLY_OK;
}

int
tly_cstore_one_u64(sqlite3 *db, sqlite3_stmt *st, uint64_t *v, const char *what)
{
	int	rc;

	*v = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = tly_cstore_col_u64(st, 0);
	tly_cstore_st_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tly_cstore_db_fail(db, what);
	return TLY_OK;
}
