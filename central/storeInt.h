/*
 * storeInt.h: internals shared by the files of the central's store, in
 * layers, each calling only the ones below it:
 *
 *	store_keys.c	the heads of the keys a commit changed (reader)
 *	store_heads.c	record versions, heads and the state hash (reader)
 *	store_decision.c signed decisions (PROTOCOL.md 13.6): storing one,
 *			refusing one, loading the resolutions for heads
 *	store_merge.c	open (with the rebuild), storing a batch, records,
 *			kept decisions: loads and saves around merge/
 *	store_read.c	the reader connection's statements and queries
 *	store_ops.c	counts for /metrics, the online backup (reader)
 *	store_check.c	step 8 checks, rejections, trust objects
 *	store_conn.c	connections, the writer's statements, transactions
 *	store_wal.c	the WAL: syncs, and checkpoints on a thread
 *	store_schema.c	the schema and its migrations
 *	store_changes.c	what the writer changed, noted for the readers
 *	store.c		SQL helpers: errors, binding, columns, locks
 *
 * Nothing outside central/store*.c includes this.
 */
#ifndef TLY_CENTRAL_STORE_INT_H
#define TLY_CENTRAL_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "central/store.h"
#include "merge/merge.h"

/* The WAL file is cut back to this size (bytes) when it restarts. */
#define TLY_CSTORE_WAL_KEEP	"134217728"

/* Wait for a lock held by another process, then TLY_E_BUSY (8.5). */
#define BUSY_TIMEOUT_MS	(TLY_CSTORE_LOCK_S * 1000)

/*
 * The next audit feed position (PROTOCOL.md 12.7), an SQL expression:
 * batches and decisions share one sequence, without gaps.
 */
#define TLY_CSTORE_FEED_NEXT \
	"(SELECT 1 + max((SELECT coalesce(max(pos), 0) FROM batches)," \
	" (SELECT coalesce(max(pos), 0) FROM decisions)))"

/* Statements of the writer connection (SQL in store_conn.c). */
enum {
	W_BEGIN, W_COMMIT, W_ROLLBACK, W_SAVEPOINT, W_RELEASE, W_ROLLBACK_TO,
	W_BATCH_BY_ID, W_COUNT_SEQ, W_DEV, W_INSERT_BATCH, W_INSERT_RECORD,
	W_INSERT_SUP, W_INSERT_REJECT, W_DEV_BATCHES,
	W_DEV_KEPT, W_CHAIN_DEL, W_CHAIN_INS, W_EVID_DEL, W_EVID_INS,
	W_SET_DEV, W_GEN_BUMP, W_INSERT_KEPT, W_META_GET, W_META_SET,
	W_ALL_BATCHES, W_ALL_DEVICES, W_BATCH_SEQ, W_REJ_REPEAT,
	W_REJ_COUNT_SRC, W_REJ_DROP, W_TRUST_PUT, W_TRUST_ALL,
	W_DEC_BY_ID, W_INSERT_DEC, W_REC_KEY,
	W_COUNT_
};

struct tly_cstore_ckpt;

/* Statements of the reader connection (SQL in store_read.c). */
enum {
	R_BEGIN, R_END, R_DEV, R_PENDING, R_RECEIPTS, R_FEED, R_FEED_MORE,
	R_EVID, R_FROZEN, R_KEPT, R_BATCH, R_NREJ, R_GEN, R_DEVICES_ALL,
	R_EVID_ALL, R_APPLIED_RECS, R_APPLIED_SUP, R_BODY, R_NBATCHES,
	R_NAPPLIED, R_RESOLVES, R_BATCH_KEYS, R_DEVICE_KEYS, R_KEY_RECS,
	R_KEY_SUP, R_CROSS_SUP, R_KEY_LINKS,
	R_COUNT_
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
	int		 locks;		/* mutexes initialised (0..3) */
	char		*path;		/* the database file */
	pthread_mutex_t	 walmu;		/* guards walfd's opening */
	int		 walfd;		/* the WAL file, for syncs; -1 */
	atomic_uint_fast64_t nsyncs;	/* syncs done (for /metrics) */
	atomic_uint_fast64_t nckpts;	/* checkpoints done (for /metrics) */
	struct tly_cstore_ckpt *ckpt;	/* the checkpointer, or NULL */
	struct tly_cstore_log *log;	/* the writer's notes (store_changes.c) */
};

/*
 * Set a detail from the connection's last error; returns it: TLY_E_BUSY
 * for SQLITE_BUSY or SQLITE_LOCKED (a lock held elsewhere), else
 * TLY_E_DB.
 */
int	tly_cstore_db_fail(sqlite3 *db, const char *what);
/* Run SQL text without parameters (pragmas, migrations); errors as above. */
int	tly_cstore_db_exec(sqlite3 *db, const char *sql, const char *what);
/* Reset a statement for its next use. */
void	tly_cstore_st_done(sqlite3_stmt *st);
/* Run a statement that returns no rows, then reset it. */
int	tly_cstore_st_exec(sqlite3 *db, sqlite3_stmt *st, const char *what);
/*
 * Bind a blob that outlives the statement's step (SQLITE_STATIC):
 * TLY_OK, TLY_E_TOO_LARGE or TLY_E_DB, with detail.
 */
int	tly_cstore_bind_blob(sqlite3_stmt *st, int i, const void *p,
	    size_t n);
/*
 * Bind an integer of PROTOCOL.md section 1 (at most 2^53 - 1): TLY_OK,
 * TLY_E_INVAL (over INT64_MAX) or TLY_E_DB, with detail.
 */
int	tly_cstore_bind_u64(sqlite3_stmt *st, int i, uint64_t v);
/* A non-negative integer column. */
uint64_t tly_cstore_col_u64(sqlite3_stmt *st, int i);
/* A text column, never NULL. */
const char *tly_cstore_col_text(sqlite3_stmt *st, int i);
/* Copy a 32-byte blob column into out: TLY_OK, or TLY_E_DB if it is not. */
int	tly_cstore_col_id(sqlite3_stmt *st, int i, uint8_t out[32]);
/* Run a one-integer query st (already bound) into *v (0 if no row). */
int	tly_cstore_one_u64(sqlite3 *db, sqlite3_stmt *st, uint64_t *v,
	    const char *what);
/*
 * Take a store mutex, waiting at most TLY_CSTORE_LOCK_S seconds:
 * TLY_OK or TLY_E_BUSY.
 */
int	tly_cstore_lock(pthread_mutex_t *m);
/*
 * Grow the array *p of *cap elements of size sz to hold n + 1 of them;
 * TLY_E_TOO_LARGE (naming what) when n reaches max, or TLY_E_NOMEM.
 */
int	tly_cstore_grow(void **p, size_t *cap, size_t n, size_t sz, size_t max,
	    const char *what);
/* Read PRAGMA user_version of db into *v. */
int	tly_cstore_schema_version(sqlite3 *db, int *v);
/*
 * Bring the schema of db (the file at path, for messages) up to
 * TLY_CSTORE_VERSION in one transaction; TLY_E_VERSION when it is newer.
 */
int	tly_cstore_migrate(sqlite3 *db, const char *path);
/*
 * Open both connections to the database at path, migrate the schema and
 * prepare the writer's statements and the reader's rsql[R_COUNT_], but
 * rebuild nothing (tly_cstore_open() does, in store_merge.c).  *sp: new,
 * close with tly_cstore_close().
 */
int	tly_cstore_connect(const char *path, const char *const *rsql,
	    struct tly_cstore **sp);
/*
 * Start s's checkpointer (store_wal.c): a connection to path and a
 * thread that checkpoints the WAL when the writer's commits have grown
 * it, so that no COMMIT does.  TLY_OK or an error with detail.
 */
int	tly_cstore_ckpt_start(struct tly_cstore *s, const char *path);
/* Stop and free s's checkpointer, if it runs. */
void	tly_cstore_ckpt_stop(struct tly_cstore *s);

/*
 * Recompute device's applied chain, freeze and evidence from its held
 * batches and kept decisions (store_merge.c), inside a transaction.
 */
int	tly_cstore_recompute(struct tly_cstore *s,
	    const uint8_t device[TLY_PK_LEN]);

struct tly_merge_resolution;

/* The resolve decisions of one snapshot, for the merge engine. */
struct tly_cstore_resolves {
	struct tly_merge_resolution	*x;	/* strings strdup'd */
	size_t				 n;	/* entries used */
	size_t				 cap;	/* entries allocated */
};

/*
 * Load every resolve decision into *rs (store_decision.c); reader
 * connection, inside its read transaction.  *rs: free with
 * tly_cstore_resolves_free() (also cleared on failure).
 */
int	tly_cstore_resolves_load(struct tly_cstore *s,
	    struct tly_cstore_resolves *rs);
/* Free what rs holds and clear it. */
void	tly_cstore_resolves_free(struct tly_cstore_resolves *rs);

/* ---- The heads of one snapshot (store_heads.c) -------------------------- */

/* The applied records of one snapshot and what the engine made of them. */
struct tly_cstore_hstate {
	struct tly_merge_rec	*r;	/* the records (strings strdup'd) */
	size_t			 nr, capr;
	struct tly_merge_sup	*e;	/* explicit supersedes (strdup'd) */
	size_t			 ne, cape;
	struct tly_merge_heads	 h;	/* the engine's keys */
	struct tly_cstore_resolves res;	/* the resolve decisions (12.4) */
	char			**body;	/* per key: winner's JSON or NULL
					   (heads walk only) */
};

/* Begin a read transaction on the reader connection (its lock taken). */
int	tly_cstore_read_begin(struct tly_cstore *s);
/* End the read transaction and drop the lock. */
void	tly_cstore_read_end(struct tly_cstore *s);
/* Free everything h holds. */
void	tly_cstore_hstate_free(struct tly_cstore_hstate *h);
/* Append the records st returns (R_APPLIED_RECS' columns) to h. */
int	tly_cstore_hstate_recs(struct tly_cstore *s, sqlite3_stmt *st,
	    struct tly_cstore_hstate *h);
/* Append the supersedes st returns (record, target) to h. */
int	tly_cstore_hstate_sups(struct tly_cstore *s, sqlite3_stmt *st,
	    struct tly_cstore_hstate *h);
/*
 * Every key's heads into h, inside the open read transaction; with
 * bodies, each winner's stored JSON too.
 */
int	tly_cstore_hstate_walk(struct tly_cstore *s,
	    struct tly_cstore_hstate *h, int bodies);
/*
 * Call fn once per key of h with a winner (outside the read lock); with
 * bodies, each winner's JSON is parsed for fn.  Frees h.
 */
int	tly_cstore_hstate_emit(struct tly_cstore_hstate *h,
	    tly_cstore_head_fn fn, void *arg, int bodies);

/* ---- What the writer changed (store_changes.c) ------------------------- */

/* What a note names. */
enum tly_cstore_note_kind {
	TLY_CSTORE_NOTE_BATCH,		/* a batch joined an applied chain */
	TLY_CSTORE_NOTE_DEVICE,		/* a device's applied chain was replaced */
	TLY_CSTORE_NOTE_KEY		/* a decision names a record key */
};

/* One note: the record keys whose heads it may have changed. */
struct tly_cstore_note {
	uint64_t		 gen;		/* stamp; 0: not yet */
	enum tly_cstore_note_kind kind;		/* what it names */
	uint8_t			 device[TLY_PK_LEN];	/* BATCH, DEVICE */
	uint64_t		 seq;			/* BATCH: its seq */
	uint8_t			 batch[TLY_HASH_LEN];	/* BATCH: its id */
	char			*area;		/* KEY: the key; owned */
	char			*level;		/* KEY; owned */
	uint64_t		 round;		/* KEY */
};

struct tly_cstore_log;

/*
 * A new, empty log of a store at generation gen (changes up to gen are
 * not noted).  *lp: free with tly_cstore_log_destroy() (NULL-safe).
 */
int	tly_cstore_log_create(struct tly_cstore_log **lp, uint64_t gen);
void	tly_cstore_log_destroy(struct tly_cstore_log *l);
/*
 * Notes of the writer, inside its transaction, before the generation
 * bump; they cannot fail (a note not kept makes a hole).
 */
void	tly_cstore_note_batch(struct tly_cstore *s,
	    const uint8_t device[TLY_PK_LEN], uint64_t seq,
	    const uint8_t batch[TLY_HASH_LEN]);
void	tly_cstore_note_device(struct tly_cstore *s,
	    const uint8_t device[TLY_PK_LEN]);
void	tly_cstore_note_key(struct tly_cstore *s, const char *area,
	    const char *level, uint64_t round);
/* Stamp the notes so far with the generation now (after each bump). */
void	tly_cstore_note_publish(struct tly_cstore *s);
/*
 * Copies of the notes of reader with after < stamp <= gen, where gen is
 * the generation of the reader's snapshot, into *vp (free with
 * tly_cstore_notes_free()); the reader is then at gen and notes no
 * reader needs are dropped.  TLY_E_NOTFOUND when after is 0, changes
 * after it may not be noted, or the generation went back (another
 * file): the reader must walk every head.
 */
int	tly_cstore_notes_take(struct tly_cstore *s, unsigned reader,
	    uint64_t after, uint64_t gen, struct tly_cstore_note **vp,
	    size_t *np);
/* Free n notes of v and v. */
void	tly_cstore_notes_free(struct tly_cstore_note *v, size_t n);
/* Free what note nt owns and clear it. */
void	tly_cstore_note_finish(struct tly_cstore_note *nt);

#endif /* TLY_CENTRAL_STORE_INT_H */
