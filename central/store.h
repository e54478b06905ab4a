/*
 * store.h: the central's database (SQLite), the only SQL of the central.
 *
 * One writer connection guarded by a mutex carries every change; a
 * second, read-only connection with its own mutex answers GET requests so
 * that readers never wait for a long upload (WAL mode lets both run at
 * once).  Batch bytes, records and receipts are never updated or deleted:
 * triggers refuse it.
 *
 * Writing goes through a transaction:
 *
 *	tly_cstore_begin(s);		takes the writer lock
 *	for each entry:
 *		tly_cstore_savepoint(s);
 *		tly_cstore_check(s, b, &receipt)	PROTOCOL.md 10 step 8
 *		tly_cstore_put(s, ...)  or  tly_cstore_reject(s, ...)
 *		tly_cstore_release(s);	or tly_cstore_rollback_to(s)
 *	tly_cstore_commit(s);		or tly_cstore_rollback(s); drops the lock
 *
 * Functions between begin and commit/rollback must be called by the
 * thread that called begin.
 */
#ifndef TLY_CENTRAL_STORE_H
#define TLY_CENTRAL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "sync/wire.h"

#define TLY_CSTORE_VERSION	1	/* PRAGMA user_version of the schema */
#define TLY_CSTORE_DUPLICATE	1	/* tly_cstore_check: batch already held */

struct tly_cstore;

/*
 * Open (creating if needed) the database at path and migrate its schema
 * to TLY_CSTORE_VERSION.  A database from a newer version is refused
 * (TLY_E_VERSION).  *sp: new, close with tly_cstore_close().
 */
int	tly_cstore_open(const char *path, struct tly_cstore **sp);
/* Close both connections.  NULL-safe; must not be inside a transaction. */
void	tly_cstore_close(struct tly_cstore *s);

/* The schema version stored in the file (PRAGMA user_version). */
int	tly_cstore_user_version(struct tly_cstore *s, int *v);

/* Take the writer lock and BEGIN IMMEDIATE.  On failure the lock is free. */
int	tly_cstore_begin(struct tly_cstore *s);
/* COMMIT and drop the lock; on failure roll back (nothing applied). */
int	tly_cstore_commit(struct tly_cstore *s);
/* ROLLBACK and drop the lock. */
void	tly_cstore_rollback(struct tly_cstore *s);
/* SAVEPOINT for one entry; then release it or roll back to it. */
int	tly_cstore_savepoint(struct tly_cstore *s);
int	tly_cstore_release(struct tly_cstore *s);
int	tly_cstore_rollback_to(struct tly_cstore *s);

/*
 * PROTOCOL.md 10 step 8 for parsed batch b, inside a transaction.
 * Returns TLY_OK when b may be stored; TLY_CSTORE_DUPLICATE when b's id is
 * held, with the original receipt bytes appended to receipt; or
 * TLY_E_SEQ_CONFLICT, TLY_E_SEQ_GAP, TLY_E_CHAIN (detail set), TLY_E_DB.
 */
int	tly_cstore_check(struct tly_cstore *s, const struct tly_batch *b,
	    struct tly_buf *receipt);

/*
 * Store batch b, whose exact bytes are m[0..mlen), with its receipt;
 * apply its records and advance the device's head.  Call only after
 * tly_cstore_check() returned TLY_OK, inside a transaction.
 */
int	tly_cstore_put(struct tly_cstore *s, const struct tly_batch *b,
	    const uint8_t *m, size_t mlen, time_t received,
	    const uint8_t *receipt, size_t rlen);

/*
 * Keep a rejected entry for auditors: when, its index in the request,
 * the error code and message, its batch id (or NULL) and its bytes.
 * Inside a transaction.
 */
int	tly_cstore_reject(struct tly_cstore *s, time_t at, size_t entry,
	    const char *code, const char *message, const uint8_t *batch,
	    const uint8_t *m, size_t mlen);

/*
 * The device's head (highest seq held with every batch 1..head) and the
 * id of batch head.  *head = 0 when none is held (id left zero).  Uses
 * the reader connection; not inside a transaction.
 */
int	tly_cstore_head(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN],
	    uint64_t *head, uint8_t id[TLY_HASH_LEN]);

/*
 * Look up a held batch by id: TLY_OK with its bytes and receipt appended
 * to the buffers (either may be NULL), or TLY_E_NOTFOUND.  Reader
 * connection.
 */
int	tly_cstore_batch(struct tly_cstore *s, const uint8_t id[TLY_HASH_LEN],
	    struct tly_buf *bytes, struct tly_buf *receipt);

/* Number of rows in the rejection log (for tests and auditors). */
int	tly_cstore_nrejections(struct tly_cstore *s, uint64_t *n);

/*
 * Sums over the current records, in one consistent snapshot (reader
 * connection).  The current record of an (area, level) is the one of the
 * highest round, then the highest (device, seq, index).
 *
 * sum_fn gets, per (constituency, level): the number of current records
 * and the sums of registered, voted, valid and invalid.  vote_fn gets,
 * per (constituency, level, candidate): the summed votes.  A callback
 * returning non-zero stops the walk and that value is returned.
 */
struct tly_cstore_sum {
	const char	*constituency;	/* constituency id */
	const char	*level;		/* level id */
	uint64_t	 reporting;	/* current records (areas reporting) */
	uint64_t	 registered;	/* sum of R */
	uint64_t	 voted;		/* sum of T */
	uint64_t	 valid;		/* sum of W */
	uint64_t	 invalid;	/* sum of X */
};

typedef int (*tly_cstore_sum_fn)(void *arg, const struct tly_cstore_sum *sum);
typedef int (*tly_cstore_vote_fn)(void *arg, const char *constituency,
    const char *level, const char *candidate, uint64_t votes);

int	tly_cstore_results(struct tly_cstore *s, tly_cstore_sum_fn sum_fn,
	    tly_cstore_vote_fn vote_fn, void *arg);

#endif /* TLY_CENTRAL_STORE_H */
