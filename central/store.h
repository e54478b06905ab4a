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
 *	for each request:
 *		tly_cstore_savepoint(s);
 *		for each entry:
 *			tly_cstore_check(s, b, &receipt)  PROTOCOL.md 10 step 8
 *			tly_cstore_put(s, ...)  or  tly_cstore_reject(s, ...)
 *		tly_cstore_release(s);	or tly_cstore_rollback_to(s)
 *	tly_cstore_commit(s);		or tly_cstore_rollback(s); drops the lock
 *
 * tly_cstore_commit() returns once the transaction is on disk.  The
 * upload writer instead calls tly_cstore_commit_lazy(), lets the next
 * transaction begin, and calls tly_cstore_sync() before it answers.
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
#include "common/limits.h"
#include "crypto/crypto.h"
#include "sync/api_merge.h"
#include "sync/wire.h"

#define TLY_CSTORE_VERSION	10	/* PRAGMA user_version of the schema */
#define TLY_CSTORE_REJECT_PER_SOURCE	256	/* rejection rows per source */
#define TLY_CSTORE_AHEAD_MAX	TLY_AHEAD_MAX	/* seqs past head held as pending */
#define TLY_CSTORE_SAME_SEQ_MAX	TLY_SAME_SEQ_MAX	/* different batches kept per seq */
#define TLY_CSTORE_LOCK_S	5	/* wait for a lock, then TLY_E_BUSY */

/* What became of a stored batch (PROTOCOL.md 8.1 and 12.2). */
enum tly_cstore_state {
	TLY_CSTORE_APPLIED,		/* in its device's applied chain */
	TLY_CSTORE_PENDING,		/* held, not applied */
	TLY_CSTORE_EQUIVOCATION		/* one batch of an equivocation proof */
};

struct tly_cstore;

/*
 * Open (creating if needed) the database at path and migrate its schema
 * to TLY_CSTORE_VERSION; a database of version 1 is migrated and its
 * derived tables rebuilt from the held batch bytes.  A database from a
 * newer version is refused (TLY_E_VERSION).  *sp: new, close with
 * tly_cstore_close().
 */
int	tly_cstore_open(const char *path, struct tly_cstore **sp);
/* Close both connections.  NULL-safe; must not be inside a transaction. */
void	tly_cstore_close(struct tly_cstore *s);

/* The schema version stored in the file (PRAGMA user_version). */
int	tly_cstore_user_version(struct tly_cstore *s, int *v);

/*
 * Take the writer lock (waiting at most TLY_CSTORE_LOCK_S seconds, else
 * TLY_E_BUSY) and BEGIN IMMEDIATE.  On failure the lock is free.
 */
int	tly_cstore_begin(struct tly_cstore *s);
/*
 * COMMIT, drop the lock and sync the WAL: TLY_OK once the transaction
 * is durable.  On failure of the COMMIT, roll back (nothing applied);
 * on failure of the sync, the transaction is applied but may not
 * survive a crash: report it as failed (a client sends it again and is
 * answered "duplicate" with its receipt).
 */
int	tly_cstore_commit(struct tly_cstore *s);
/*
 * COMMIT and drop the lock without waiting for the disk: the
 * transaction is visible but durable only after a later
 * tly_cstore_sync() (store_wal.c).  Nothing may be reported to anyone
 * before that.
 */
int	tly_cstore_commit_lazy(struct tly_cstore *s);
/* Sync the WAL: every transaction committed before the call is durable. */
int	tly_cstore_sync(struct tly_cstore *s);
/* ROLLBACK and drop the lock. */
void	tly_cstore_rollback(struct tly_cstore *s);
/* A transaction is open (SQLite may end one on some errors). */
int	tly_cstore_in_tx(struct tly_cstore *s);
/* SAVEPOINT for one entry; then release it or roll back to it. */
int	tly_cstore_savepoint(struct tly_cstore *s);
int	tly_cstore_release(struct tly_cstore *s);
int	tly_cstore_rollback_to(struct tly_cstore *s);

/*
 * PROTOCOL.md 10 step 8 for parsed batch b, inside a transaction.
 * Returns TLY_OK when b may be stored; TLY_E_DUPLICATE when b's id is
 * held, with the original receipt bytes appended to receipt; or
 * TLY_E_CHAIN, TLY_E_SEQ_GAP, TLY_E_SEQ_CONFLICT (detail set), TLY_E_DB.
 */
int	tly_cstore_check(struct tly_cstore *s, const struct tly_batch *b,
	    struct tly_buf *receipt);

/*
 * The records of a batch as the store keeps them: each one's JSON
 * (canonical order) and counts string (PROTOCOL.md 12.1).  Made without
 * the store, so that request threads make them in parallel and the
 * writer only inserts them.
 */
struct tly_cstore_rows {
	struct tly_buf	text;	/* per record: JSON, NUL, counts, NUL */
};

/* Make rows for batch b (store_merge.c); free with tly_cstore_rows_free. */
int	tly_cstore_rows(const struct tly_batch *b, struct tly_cstore_rows *rows);
/* Free rows; NULL-safe inside, may be called again. */
void	tly_cstore_rows_free(struct tly_cstore_rows *rows);

/*
 * Store batch b, whose exact bytes are m[0..mlen) and whose records are
 * rows (tly_cstore_rows), with its receipt, then recompute its device's
 * state by the merge rules (PROTOCOL.md 12).  *state tells what became
 * of b; for TLY_CSTORE_EQUIVOCATION, other gets the id of the other
 * batch of the proof.  Call only after tly_cstore_check() returned
 * TLY_OK, inside a transaction.
 */
int	tly_cstore_put(struct tly_cstore *s, const struct tly_batch *b,
	    const struct tly_cstore_rows *rows, const uint8_t *m, size_t mlen,
	    time_t received,
	    const uint8_t *receipt, size_t rlen, enum tly_cstore_state *state,
	    uint8_t other[TLY_HASH_LEN]);

struct tly_decision;

/*
 * Keep the signed decision d (PROTOCOL.md 13.6), whose exact bytes are
 * m[0..mlen), received at time at and judged at the stored time of the
 * decision receipt rc[0..rclen) (6.1), in its own transaction, at the
 * next audit feed position (*pos).  An unfreeze must name a held batch of its
 * device at its seq, a resolve a held record of its key, else
 * TLY_E_NOT_HELD (detail set).  An unfreeze becomes a kept decision
 * (12.3) and its device is recomputed.  The caller has verified d.
 * TLY_E_DUPLICATE, with *pos, when d's id is held already (store_decision.c).
 */
int	tly_cstore_decision_put(struct tly_cstore *s,
	    const struct tly_decision *d, const uint8_t *m, size_t mlen,
	    const uint8_t *rc, size_t rclen, time_t at, uint64_t *pos);
/* *pos: the feed position of the held decision id, 0 when not held. */
int	tly_cstore_decision_held(struct tly_cstore *s,
	    const uint8_t id[TLY_HASH_LEN], uint64_t *pos);
/*
 * Keep a refused decision in the rejection log (as tly_cstore_reject,
 * source: its signer or NULL), in its own transaction.
 */
int	tly_cstore_decision_reject(struct tly_cstore *s, time_t at,
	    const char *code, const char *message, const uint8_t *signer,
	    const uint8_t *m, size_t mlen);

/*
 * Keep a rejected entry for auditors: when, its index in the request,
 * the error code and message, its batch id (or NULL), its source (the
 * device key of its body, or NULL when the body did not parse) and its
 * bytes.  The same bytes are kept once: a repeat only counts (repeats,
 * last_at).  A source holds at most TLY_CSTORE_REJECT_PER_SOURCE rows;
 * beyond, new entries are only counted in rejections_dropped.  Inside a
 * transaction.
 */
int	tly_cstore_reject(struct tly_cstore *s, time_t at, size_t entry,
	    const char *code, const char *message, const uint8_t *batch,
	    const uint8_t *source, const uint8_t *m, size_t mlen);

/*
 * Keep the trust object m[0..len) (PROTOCOL.md 13) that POST /v1/trust
 * accepted at time at, once; its own transaction.
 */
int	tly_cstore_trust_put(struct tly_cstore *s, const uint8_t *m,
	    size_t len, time_t at);
/* Call fn(arg, m, len) for every kept trust object, oldest first. */
int	tly_cstore_trust_each(struct tly_cstore *s,
	    int (*fn)(void *, const uint8_t *, size_t), void *arg);

/* A device's log as PROTOCOL.md 8.2 shows it. */
struct tly_cstore_dev {
	uint64_t	head;		/* every seq 1..head held */
	uint8_t		head_id[TLY_HASH_LEN];	/* batch at head (8.2) */
	uint64_t	applied;	/* length of the applied chain */
	uint64_t	frozen;		/* freeze seq, 0: not frozen */
};

/*
 * The device's state (all zero for an unknown device).  Reader
 * connection; not inside a transaction.
 */
int	tly_cstore_device(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN],
	    struct tly_cstore_dev *d);

/*
 * The device's head and the id of batch head (see tly_cstore_device).
 * *head = 0 when none is held (id left zero).
 */
int	tly_cstore_head(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN],
	    uint64_t *head, uint8_t id[TLY_HASH_LEN]);

/*
 * The answer of 8.2 for device into *h: its state, as
 * tly_cstore_device(), and up to TLY_API_PENDING_MAX held seqs above
 * its head, ascending.  Reader connection; not inside a transaction.
 */
struct tly_api_head;
int	tly_cstore_device_head(struct tly_cstore *s,
	    const uint8_t device[TLY_PK_LEN], struct tly_api_head *h);

/*
 * The answer of 8.2.1 into *p (initialised here; release with
 * tly_api_receipts_finish() whatever the result): the device's receipts
 * with seq >= from, at most TLY_API_RECEIPTS_PAGE and then the rest of
 * the last seq, and the seq to ask next (0: none).
 */
struct tly_api_receipts;
int	tly_cstore_receipts(struct tly_cstore *s,
	    const uint8_t device[TLY_PK_LEN], uint64_t from,
	    struct tly_api_receipts *p);

struct tly_feed;
/*
 * Load one page of the audit feed (8.7) into *f (empty, from
 * sync/feed.h): held batches and decisions at feed positions > after, at
 * most max entries and about maxbytes of their bytes, with f->next and
 * f->more.  *f: free with tly_feed_free(), also on error.
 */
int	tly_cstore_feed(struct tly_cstore *s, uint64_t after, size_t max,
	    size_t maxbytes, struct tly_feed *f);

/*
 * Load the answer of GET /v1/evidence (8.7) into *ev from one snapshot:
 * frozen devices, kept decisions and at most max proofs, whose bytes
 * together stay under maxbytes (else TLY_E_TOO_LARGE).  *ev: free with
 * tly_api_evidence_free() (also zeroed on failure).
 */
int	tly_cstore_evidence(struct tly_cstore *s, size_t max, size_t maxbytes,
	    struct tly_api_evidence *ev);

/* Counts for GET /v1/status and GET /v1/state-hash. */
struct tly_cstore_stats {
	uint64_t	devices;	/* devices with a held batch */
	uint64_t	batches;	/* held batches */
	uint64_t	applied;	/* batches in applied chains */
	uint64_t	frozen;		/* frozen devices */
	uint64_t	evidence;	/* equivocation proofs */
	uint64_t	keys;		/* record keys with an applied record */
	uint64_t	conflicts;	/* keys in conflict */
	uint8_t		state_hash[TLY_HASH_LEN];	/* PROTOCOL.md 12.6 */
};

/* Fill st from one consistent snapshot (reader connection). */
int	tly_cstore_stats(struct tly_cstore *s, struct tly_cstore_stats *st);

/*
 * Load the answer of GET /v1/conflicts (8.7) into *cf from one snapshot:
 * at most max keys in conflict, each with its heads and their bodies.
 * *cf: free with tly_api_conflicts_free() (also zeroed on failure).
 */
int	tly_cstore_conflicts(struct tly_cstore *s, size_t max,
	    struct tly_api_conflicts *cf);

/* One record key's current state (PROTOCOL.md 12.4), for results. */
struct tly_cstore_head {
	const struct tly_record	*rec;		/* agreed record or provisional winner */
	char			 record_id[80];	/* its record id; "" when the
						   key has no winner (changes) */
	unsigned		 confirmations;	/* distinct agreeing devices */
	int			 disputed;	/* the key is in conflict */
	const char		*area;		/* the record key (12.1) */
	const char		*level;
	uint64_t		 round;
	const char		*counts;	/* the winner's counts string
						   (12.1), NULL without one */
};

typedef int (*tly_cstore_head_fn)(void *arg, const struct tly_cstore_head *h);

/*
 * Call fn once per record key (area, level, round) that has an applied
 * record, in key order, from a consistent snapshot.  fn returning
 * non-zero stops the walk and is returned.
 */
int	tly_cstore_heads(struct tly_cstore *s, tly_cstore_head_fn fn, void *arg);
/* The same walk without the records: h->rec is NULL (ids and standing). */
int	tly_cstore_head_ids(struct tly_cstore *s, tly_cstore_head_fn fn,
	    void *arg);
/* The readers of tly_cstore_head_changes, each with its own position. */
enum tly_cstore_reader {
	TLY_CSTORE_READER_RESULTS,	/* central/results.c */
	TLY_CSTORE_READER_TURNOUT,	/* central/turnout.c */
	TLY_CSTORE_READERS
};

/*
 * Call fn once per record key whose head may have changed since
 * generation after (as reader, which is then at *gen, the generation of
 * the snapshot read), with h->rec NULL, and h->record_id "" for a key
 * that no longer has a winner; keys not named kept their heads.  When
 * that cannot be told (after is 0, the changes were not all noted by
 * this process, or explicit supersedes link too many keys), *full is
 * set and fn is called for every key with a winner, as
 * tly_cstore_head_ids() does: keys fn did not name then have none.
 * Keys that explicit supersedes link (12.4) are decided together.  fn
 * returning non-zero stops the walk and is returned.
 */
int	tly_cstore_head_changes(struct tly_cstore *s,
	    enum tly_cstore_reader reader, uint64_t after, uint64_t *gen,
	    int *full, tly_cstore_head_fn fn, void *arg);
/*
 * Parse the stored record id into *rec (initialised here; the caller
 * ends it with tly_record_finish() whatever this returns).  Records are
 * immutable, so any snapshot reads the same.  Reader connection.
 */
int	tly_cstore_record(struct tly_cstore *s, const char *id,
	    struct tly_record *rec);

/*
 * Changes whenever the applied state changes, also by another process
 * (results are cached on it).  0 if it cannot be read.
 */
uint64_t tly_cstore_generation(struct tly_cstore *s);

/*
 * Look up a held batch by id: TLY_OK with its bytes and receipt appended
 * to the buffers (either may be NULL), or TLY_E_NOTFOUND.  Reader
 * connection.
 */
int	tly_cstore_batch(struct tly_cstore *s, const uint8_t id[TLY_HASH_LEN],
	    struct tly_buf *bytes, struct tly_buf *receipt);

/*
 * Append to w the members "records" and "more" of GET /v1/areas/{area}
 * (PROTOCOL.md 8.10): every record held for area, at most max.  Reader
 * connection (store_public.c).
 */
int	tly_cstore_area_json(struct tly_cstore *s, const char *area,
	    size_t max, struct tly_jw *w);

/* Number of rows in the rejection log (for tests and auditors). */
int	tly_cstore_nrejections(struct tly_cstore *s, uint64_t *n);

/* What GET /metrics reports of the store, from one read snapshot. */
struct tly_cstore_metrics {
	uint64_t	batches;	/* held batches */
	uint64_t	applied;	/* batches in applied chains */
	uint64_t	devices;	/* devices with a held batch */
	uint64_t	frozen;		/* frozen devices */
	uint64_t	evidence;	/* equivocation proofs */
	uint64_t	rejections;	/* rows in the rejection log */
	uint64_t	feed_pos;	/* the last audit feed position (8.7) */
	uint64_t	bytes;		/* database size (pages * page size) */
	uint64_t	syncs;		/* WAL syncs since open */
	uint64_t	checkpoints;	/* checkpoints since open, by the
					   checkpointer or the writer */
};

/* Fill m (store_ops.c).  Reader connection; no state hash. */
int	tly_cstore_metrics(struct tly_cstore *s, struct tly_cstore_metrics *m);

/*
 * Copy the database, as committed now, to the new file out (refused if
 * it exists) with SQLite's online backup API, while the central keeps
 * serving; the copy is a complete database (no WAL), fsynced.  Restore:
 * stop the central, put the copy at DATADIR/central.db, start it.
 */
int	tly_cstore_backup(struct tly_cstore *s, const char *out);

/* ---- Photos of paper records (store_photo.c, PROTOCOL.md 8.12) ---------- */

#define TLY_CPHOTO_MAX	(1024UL * 1024)	/* bytes of one photo */

/* *named = 1 when a stored record's "photo" is hex (64 lowercase hex). */
int	tly_cstore_photo_named(struct tly_cstore *s, const char *hex,
	    int *named);
/*
 * What dir (the data directory) holds of photo hex: *stored bytes, and
 * *complete = 1 when the whole photo is there and checked.
 */
int	tly_cphoto_state(const char *dir, const char *hex, uint64_t *stored,
	    int *complete);
/*
 * Read the whole photo hex (complete and checked) into out, which must
 * be empty; TLY_E_NOTFOUND while it is not complete.
 */
int	tly_cphoto_read(const char *dir, const char *hex, struct tly_buf *out);
/*
 * Append p[0..n), the bytes at off of a photo of total bytes whose
 * BLAKE2b-256 is hash, and make them durable.  TLY_E_INVAL (detail: the
 * next byte wanted) unless off is what is stored.  Sets *stored and
 * *complete: 1 when the last byte came and the hash matched (the photo
 * is kept), -1 when it did not (what came is discarded), else 0.
 */
int	tly_cphoto_append(const char *dir, const char *hex,
	    const uint8_t hash[TLY_HASH_LEN], uint64_t off, const void *p,
	    size_t n, uint64_t total, uint64_t *stored, int *complete);

#endif /* TLY_CENTRAL_STORE_H */
