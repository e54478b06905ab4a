/*
 * storeInt.h: internals shared by the files of the field daemon's store
 * (store.c: open, schema, migrations, meta, own batches and records, and
 * the helpers below; store_relay.c: relayed batches taken in; store_sync.c:
 * the queries of the sync loop: pending batches, delivery states, counts,
 * lookups).  Nothing outside daemon/store*.c includes this, and those
 * files are the only SQL in the daemon.
 */
#ifndef TLY_DAEMON_STORE_INT_H
#define TLY_DAEMON_STORE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "daemon/store.h"

struct tly_dstore {
	sqlite3		*db;	/* the one connection */
	pthread_mutex_t	 mu;	/* serialises every use of db */
};

/*
 * The delivery state of a row of batches or relay, as SQL: the state
 * column, or 'rejected' once the central refused the batch for good
 * (schema version 3 keeps that as reject_code, beside the state).
 */
#define TLY_DSTORE_STATE_SQL \
	"CASE WHEN reject_code IS NULL THEN state ELSE 'rejected' END"
/* A row still to be delivered: neither acknowledged nor rejected. */
#define TLY_DSTORE_OPEN_SQL \
	"(state != 'acknowledged' AND reject_code IS NULL)"

/* Parse a state column; unknown text reads as sealed. */
enum tly_dstate tly_dstore_state_parse(const unsigned char *t);
/* The table of a kind: "relay" or "batches". */
const char *tly_dstore_kind_table(enum tly_dkind kind);

/* Record the SQLite error of db as the detail of a TLY_E_DB failure. */
int	tly_dstore_db_fail(sqlite3 *db, const char *what);
/* Run SQL text without results. */
int	tly_dstore_db_exec(struct tly_dstore *s, const char *sql);
/* Prepare one statement. */
int	tly_dstore_db_prep(struct tly_dstore *s, const char *sql,
	    sqlite3_stmt **st);
/* Step a statement that returns no rows. */
int	tly_dstore_db_done(struct tly_dstore *s, sqlite3_stmt *st);
/* Begin a write transaction; *intx is set once it is open. */
int	tly_dstore_db_begin(struct tly_dstore *s, int *intx);
/* Commit when r is TLY_OK, else roll back an open transaction. */
int	tly_dstore_db_end(struct tly_dstore *s, int intx, int r);

/*
 * Append to out the blob of column 0 of a one-row query whose one
 * parameter is id (TLY_HASH_LEN bytes) or, when id is NULL, seq.
 * TLY_E_NOTFOUND when there is no row or the column is NULL.
 */
int	tly_dstore_blob(struct tly_dstore *s, const char *sql,
	    const uint8_t *id, uint64_t seq, struct tly_buf *out);
/* Bind a blob (static, n bytes); SQLite failures map to TLY_E_DB. */
int	tly_dstore_bind_blob(struct tly_dstore *s, sqlite3_stmt *st, int i,
	    const void *p, size_t n);
/* Bind a NUL-terminated text (static); failures map to TLY_E_DB. */
int	tly_dstore_bind_text(struct tly_dstore *s, sqlite3_stmt *st, int i,
	    const char *t);
/* Bind an integer up to INT64_MAX; failures map to TLY_E_DB. */
int	tly_dstore_bind_u64(struct tly_dstore *s, sqlite3_stmt *st, int i,
	    uint64_t v);

#endif /* TLY_DAEMON_STORE_INT_H */
