/*
 * storeInt.h: internals shared by the files of the central's store
 * (store.c: open, schema, transactions, writing; store_read.c: the
 * reader connection).  Nothing outside central/store*.c includes this.
 */
#ifndef TLY_CENTRAL_STORE_INT_H
#define TLY_CENTRAL_STORE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "central/store.h"

#define BUSY_TIMEOUT_MS	10000	/* wait for a lock held by another process */

/* Statements of the writer connection. */
enum {
	W_BEGIN, W_COMMIT, W_ROLLBACK, W_SAVEPOINT, W_RELEASE, W_ROLLBACK_TO,
	W_BATCH_BY_ID, W_BATCH_BY_SEQ, W_HEAD, W_INSERT_BATCH,
	W_INSERT_RECORD, W_INSERT_VOTE, W_SET_HEAD, W_INSERT_REJECT,
	W_COUNT_
};

/* Statements of the reader connection (SQL in store_read.c). */
enum {
	R_BEGIN, R_END, R_HEAD, R_BATCH, R_NREJ, R_SUMS, R_VOTES, R_COUNT_
};

/* The SQL of each reader statement, indexed by R_*. */
extern const char *const tly_cstore_rsql[R_COUNT_];

/* The store: two connections, each with its statements and lock. */
struct tly_cstore {
	sqlite3		*w;		/* writer connection */
	sqlite3_stmt	*ws[W_COUNT_];	/* its prepared statements */
	pthread_mutex_t	 wlock;		/* held from begin to commit */
	int		 in_tx;		/* a write transaction is open */
	sqlite3		*r;		/* read-only connection */
	sqlite3_stmt	*rs[R_COUNT_];	/* its prepared statements */
	pthread_mutex_t	 rlock;		/* guards r */
	int		 locks;		/* mutexes initialised (0..2) */
};

/* Set a TLY_E_DB detail from the connection's last error; returns it. */
int	tly_cstore_db_fail(sqlite3 *db, const char *what);
/* Reset a statement for its next use. */
void	tly_cstore_st_done(sqlite3_stmt *st);
/* Run a statement that returns no rows, then reset it. */
int	tly_cstore_st_exec(sqlite3 *db, sqlite3_stmt *st, const char *what);
/* Bind a blob that outlives the statement's step (SQLITE_STATIC). */
int	tly_cstore_bind_blob(sqlite3_stmt *st, int i, const void *p,
	    size_t n);
/*
 * Run st, a "SELECT head, head_id FROM devices WHERE device = ?1" of
 * db, for device: *head and id, or 0 and zeros when the device is new.
 */
int	tly_cstore_head_at(sqlite3 *db, sqlite3_stmt *st,
	    const uint8_t *device, uint64_t *head, uint8_t id[32]);

#endif /* TLY_CENTRAL_STORE_INT_H */
