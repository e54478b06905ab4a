/*
 * store.c: the central's SQLite database.  The only SQL of the central.
 *
 * Every statement is prepared once at open and uses bound parameters.
 * The schema is migrated step by step, keyed on PRAGMA user_version.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"

/*
 * Schema migrations: migrations[i] brings user_version i to i + 1.
 * Never edit a released step; append a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE batches ("
	"  id          BLOB PRIMARY KEY,"	/* batch id (32 bytes) */
	"  device      BLOB NOT NULL,"		/* device key id */
	"  seq         INTEGER NOT NULL,"	/* position in the chain */
	"  bytes       BLOB NOT NULL,"		/* the signed message, exact */
	"  received_at INTEGER NOT NULL,"	/* unix seconds */
	"  receipt     BLOB NOT NULL,"		/* the receipt we issued */
	"  UNIQUE (device, seq));"
	"CREATE TABLE devices ("
	"  device  BLOB PRIMARY KEY,"		/* device key id */
	"  head    INTEGER NOT NULL,"		/* every batch 1..head held */
	"  head_id BLOB NOT NULL);"		/* id of batch head */
	"CREATE TABLE records ("
	"  id           TEXT PRIMARY KEY,"	/* <batch hex>:<index> */
	"  batch        BLOB NOT NULL REFERENCES batches (id),"
	"  device       BLOB NOT NULL,"
	"  seq          INTEGER NOT NULL,"
	"  idx          INTEGER NOT NULL,"	/* index within the batch */
	"  area         TEXT NOT NULL,"
	"  level        TEXT NOT NULL,"
	"  constituency TEXT NOT NULL,"
	"  round        INTEGER NOT NULL,"
	"  registered   INTEGER NOT NULL,"	/* R */
	"  voted        INTEGER NOT NULL,"	/* T */
	"  issued       INTEGER NOT NULL,"	/* I */
	"  received     INTEGER NOT NULL,"	/* B */
	"  valid        INTEGER NOT NULL,"	/* W */
	"  invalid      INTEGER NOT NULL);"	/* X */
	"CREATE INDEX records_current ON records"
	"  (area, level, round, device, seq, idx);"
	"CREATE TABLE votes ("
	"  record    TEXT NOT NULL REFERENCES records (id),"
	"  candidate TEXT NOT NULL,"
	"  votes     INTEGER NOT NULL,"
	"  PRIMARY KEY (record, candidate)) WITHOUT ROWID;"
	"CREATE TABLE rejections ("
	"  id      INTEGER PRIMARY KEY,"
	"  at      INTEGER NOT NULL,"		/* unix seconds */
	"  entry   INTEGER NOT NULL,"		/* index in the request */
	"  code    TEXT NOT NULL,"		/* PROTOCOL.md 8.6 code */
	"  message TEXT NOT NULL,"
	"  batch   BLOB,"			/* batch id if the envelope parsed */
	"  bytes   BLOB NOT NULL);"		/* the entry as received */
	"CREATE TRIGGER batches_no_update BEFORE UPDATE ON batches"
	"  BEGIN SELECT RAISE(ABORT, 'batches are immutable'); END;"
	"CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches"
	"  BEGIN SELECT RAISE(ABORT, 'batches are immutable'); END;"
	"CREATE TRIGGER records_no_update BEFORE UPDATE ON records"
	"  BEGIN SELECT RAISE(ABORT, 'records are immutable'); END;"
	"CREATE TRIGGER records_no_delete BEFORE DELETE ON records"
	"  BEGIN SELECT RAISE(ABORT, 'records are immutable'); END;"
	"CREATE TRIGGER rejections_no_update BEFORE UPDATE ON rejections"
	"  BEGIN SELECT RAISE(ABORT, 'rejections are immutable'); END;",
	/*
	 * 1 -> 2: merge rules (PROTOCOL.md 12).  batches loses UNIQUE
	 * (device, seq) and gains its feed position and prev; the tables
	 * derived from batch bytes are rebuilt at open ("rebuild" in meta).
	 */
	"CREATE TABLE batches2 ("
	"  pos         INTEGER PRIMARY KEY,"	/* feed position, 1.. */
	"  id          BLOB NOT NULL UNIQUE,"	/* batch id (32 bytes) */
	"  device      BLOB NOT NULL,"		/* device key id */
	"  seq         INTEGER NOT NULL,"	/* position in the chain */
	"  prev        BLOB NOT NULL,"		/* the batch's prev */
	"  bytes       BLOB NOT NULL,"		/* the signed message, exact */
	"  received_at INTEGER NOT NULL,"	/* unix seconds */
	"  receipt     BLOB NOT NULL);"		/* the receipt we issued */
	"INSERT INTO batches2 (id, device, seq, prev, bytes, received_at,"
	"  receipt) SELECT b.id, b.device, b.seq, coalesce((SELECT p.id"
	"  FROM batches AS p WHERE p.device = b.device AND"
	"  p.seq = b.seq - 1), zeroblob(32)), b.bytes, b.received_at,"
	"  b.receipt FROM batches AS b ORDER BY b.rowid;"
	"DROP TABLE votes;"
	"DROP TABLE records;"
	"DROP TABLE devices;"
	"DROP TABLE batches;"
	"ALTER TABLE batches2 RENAME TO batches;"
	"CREATE INDEX batches_device ON batches (device, seq, id);"
	"CREATE TRIGGER batches_no_update BEFORE UPDATE ON batches"
	"  BEGIN SELECT RAISE(ABORT, 'batches are immutable'); END;"
	"CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches"
	"  BEGIN SELECT RAISE(ABORT, 'batches are immutable'); END;"
	/* Derived from the batches (and kept): recomputed, never trusted. */
	"CREATE TABLE devices ("
	"  device     BLOB PRIMARY KEY,"	/* device key id */
	"  head       INTEGER NOT NULL,"	/* every seq 1..head held */
	"  head_id    BLOB NOT NULL,"		/* batch at head (8.2) */
	"  applied    INTEGER NOT NULL,"	/* applied chain length */
	"  applied_id BLOB NOT NULL,"		/* its last batch, or zeros */
	"  frozen     INTEGER NOT NULL);"	/* freeze seq, 0: none */
	"CREATE TABLE chain ("			/* the applied chains */
	"  device BLOB NOT NULL,"
	"  seq    INTEGER NOT NULL,"
	"  batch  BLOB NOT NULL,"
	"  PRIMARY KEY (device, seq)) WITHOUT ROWID;"
	"CREATE TABLE records ("			/* of every held batch */
	"  id           TEXT PRIMARY KEY,"	/* <batch hex>:<index> */
	"  batch        BLOB NOT NULL,"
	"  device       BLOB NOT NULL,"
	"  seq          INTEGER NOT NULL,"
	"  idx          INTEGER NOT NULL,"	/* index within the batch */
	"  area         TEXT NOT NULL,"
	"  level        TEXT NOT NULL,"
	"  constituency TEXT NOT NULL,"
	"  round        INTEGER NOT NULL,"
	"  counts       TEXT NOT NULL,"		/* counts string (12.1) */
	"  body         TEXT NOT NULL);"	/* record JSON, canonical order */
	"CREATE INDEX records_batch ON records (device, seq, batch);"
	"CREATE TABLE votes ("
	"  record    TEXT NOT NULL,"
	"  candidate TEXT NOT NULL,"
	"  votes     INTEGER NOT NULL,"
	"  PRIMARY KEY (record, candidate)) WITHOUT ROWID;"
	"CREATE TABLE supersedes ("		/* explicit supersedes */
	"  record TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  PRIMARY KEY (record, target)) WITHOUT ROWID;"
	"CREATE TABLE evidence ("		/* equivocation proofs */
	"  device   BLOB NOT NULL,"
	"  seq      INTEGER NOT NULL,"
	"  kind     TEXT NOT NULL,"		/* same_seq, prev_mismatch */
	"  a        BLOB NOT NULL,"
	"  b        BLOB NOT NULL,"
	"  resolved INTEGER NOT NULL,"
	"  PRIMARY KEY (device, seq, a, b)) WITHOUT ROWID;"
	/* Operators' unfreeze decisions: kept for ever. */
	"CREATE TABLE kept ("
	"  batch  BLOB PRIMARY KEY,"
	"  device BLOB NOT NULL,"
	"  seq    INTEGER NOT NULL,"
	"  at     INTEGER NOT NULL);"
	"CREATE TRIGGER kept_no_update BEFORE UPDATE ON kept"
	"  BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;"
	"CREATE TRIGGER kept_no_delete BEFORE DELETE ON kept"
	"  BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;"
	"CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT INTO meta VALUES ('generation', 1), ('rebuild', 1);",
	/*
	 * 2 -> 3: the rejection log is deduplicated by bytes and bounded
	 * per source (tly_cstore_reject).  Only the counters of a row
	 * change.
	 */
	"ALTER TABLE rejections ADD COLUMN hash BLOB;"	/* BLAKE2b of bytes */
	"ALTER TABLE rejections ADD COLUMN source BLOB NOT NULL DEFAULT x'';"
	"ALTER TABLE rejections ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE rejections ADD COLUMN last_at INTEGER;"
	"DROP TRIGGER rejections_no_update;"
	"CREATE TRIGGER rejections_no_update BEFORE UPDATE OF id, at, entry,"
	"  code, message, batch, bytes, hash, source ON rejections"
	"  BEGIN SELECT RAISE(ABORT, 'rejections are immutable'); END;"
	"CREATE UNIQUE INDEX rejections_hash ON rejections (hash);"
	"CREATE INDEX rejections_source ON rejections (source);"
	"CREATE TABLE rejections_dropped ("	/* beyond the bound */
	"  source  BLOB PRIMARY KEY,"
	"  n       INTEGER NOT NULL,"
	"  last_at INTEGER NOT NULL);",
	/* 3 -> 4: the trust objects of POST /v1/trust (PROTOCOL.md 8.11). */
	"CREATE TABLE trust ("
	"  pos   INTEGER PRIMARY KEY,"		/* arrival order */
	"  id    BLOB NOT NULL UNIQUE,"		/* BLAKE2b-256 of bytes */
	"  bytes BLOB NOT NULL,"		/* the signed object, exact */
	"  at    INTEGER NOT NULL);"		/* unix seconds */
	"CREATE TRIGGER trust_no_update BEFORE UPDATE ON trust"
	"  BEGIN SELECT RAISE(ABORT, 'trust objects are immutable'); END;"
	"CREATE TRIGGER trust_no_delete BEFORE DELETE ON trust"
	"  BEGIN SELECT RAISE(ABORT, 'trust objects are immutable'); END;",
};

#define NMIGRATIONS	(sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == TLY_CSTORE_VERSION,
    "one migration per schema version");

static const char *const wsql[W_COUNT_] = {
	[W_BEGIN] = "BEGIN IMMEDIATE",
	[W_COMMIT] = "COMMIT",
	[W_ROLLBACK] = "ROLLBACK",
	[W_SAVEPOINT] = "SAVEPOINT entry",
	[W_RELEASE] = "RELEASE entry",
	[W_ROLLBACK_TO] = "ROLLBACK TO entry",
	[W_BATCH_BY_ID] = "SELECT receipt FROM batches WHERE id = ?1",
	[W_COUNT_SEQ] =
	    "SELECT count(*) FROM batches WHERE device = ?1 AND seq = ?2",
	[W_DEV] = "SELECT head, head_id, applied, applied_id, frozen"
	    " FROM devices WHERE device = ?1",
	[W_INSERT_BATCH] = "INSERT INTO batches"
	    " (id, device, seq, prev, bytes, received_at, receipt)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[W_INSERT_RECORD] = "INSERT INTO records"
	    " (id, batch, device, seq, idx, area, level, constituency, round,"
	    "  counts, body)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[W_INSERT_VOTE] = "INSERT INTO votes (record, candidate, votes)"
	    " VALUES (?1, ?2, ?3)",
	[W_INSERT_SUP] = "INSERT OR IGNORE INTO supersedes (record, target)"
	    " VALUES (?1, ?2)",
	[W_INSERT_REJECT] = "INSERT INTO rejections"
	    " (at, entry, code, message, batch, bytes, hash, source)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[W_REJ_REPEAT] = "UPDATE rejections SET repeats = repeats + 1,"
	    " last_at = ?2 WHERE hash = ?1",
	[W_REJ_COUNT_SRC] = "SELECT count(*) FROM rejections WHERE source = ?1",
	[W_TRUST_PUT] = "INSERT OR IGNORE INTO trust (id, bytes, at)"
	    " VALUES (?1, ?2, ?3)",
	[W_TRUST_ALL] = "SELECT bytes FROM trust ORDER BY pos",
	[W_REJ_DROP] = "INSERT INTO rejections_dropped (source, n, last_at)"
	    " VALUES (?1, 1, ?2) ON CONFLICT (source) DO UPDATE"
	    " SET n = n + 1, last_at = excluded.last_at",
	[W_DEV_BATCHES] = "SELECT id, seq, prev FROM batches"
	    " WHERE device = ?1 ORDER BY seq, id",
	[W_DEV_KEPT] = "SELECT batch FROM kept WHERE device = ?1"
	    " ORDER BY batch",
	[W_CHAIN_DEL] = "DELETE FROM chain WHERE device = ?1",
	[W_CHAIN_INS] = "INSERT INTO chain (device, seq, batch)"
	    " VALUES (?1, ?2, ?3)",
	[W_EVID_DEL] = "DELETE FROM evidence WHERE device = ?1",
	[W_EVID_INS] = "INSERT OR IGNORE INTO evidence"
	    " (device, seq, kind, a, b, resolved)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[W_SET_DEV] = "INSERT OR REPLACE INTO devices"
	    " (device, head, head_id, applied, applied_id, frozen)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[W_GEN_BUMP] = "UPDATE meta SET value = value + 1"
	    " WHERE name = 'generation'",
	[W_INSERT_KEPT] = "INSERT OR IGNORE INTO kept (batch, device, seq, at)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[W_META_GET] = "SELECT value FROM meta WHERE name = ?1",
	[W_META_SET] = "UPDATE meta SET value = ?2 WHERE name = ?1",
	[W_ALL_BATCHES] = "SELECT bytes FROM batches ORDER BY pos",
	[W_ALL_DEVICES] = "SELECT DISTINCT device FROM batches ORDER BY device",
	[W_BATCH_SEQ] = "SELECT seq FROM batches WHERE device = ?1 AND id = ?2",
};

/* Set a TLY_E_DB detail from the connection's last error. */
int
tly_cstore_db_fail(sqlite3 *db, const char *what)
{
	return tly_fail(TLY_E_DB, "%s: %s", what,
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
static int
db_exec(sqlite3 *db, const char *sql, const char *what)
{
	char	*msg = NULL;
	int	 r = TLY_OK;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		r = tly_fail(TLY_E_DB, "%s: %s", what,
		    msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return r;
}

/* Read PRAGMA user_version. */
static int
db_user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	*v = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK) {
		r = tly_cstore_db_fail(db, "user_version");
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = tly_cstore_db_fail(db, "user_version");
		goto out;
	}
	*v = sqlite3_column_int(st, 0);
	r = TLY_OK;
 out:
	sqlite3_finalize(st);
	return r;
}

/* Bring the schema of db up to TLY_CSTORE_VERSION, in one transaction. */
static int
db_migrate(sqlite3 *db, const char *path)
{
	char	 sql[64];
	int	 v, r;
	size_t	 i;

	if ((r = db_exec(db, "BEGIN IMMEDIATE", "migrate")) != TLY_OK)
		return r;
	if ((r = db_user_version(db, &v)) != TLY_OK)
		goto out;
	if (v < 0 || v > TLY_CSTORE_VERSION) {
		r = tly_fail(TLY_E_VERSION, "%s: schema version %d is newer "
		    "than this program's %d", path, v, TLY_CSTORE_VERSION);
		goto out;
	}
	for (i = (size_t)v; i < NMIGRATIONS; i++) {
		if ((r = db_exec(db, migrations[i], "migrate")) != TLY_OK)
			goto out;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if ((r = db_exec(db, sql, "migrate")) != TLY_OK)
			goto out;
	}
	r = db_exec(db, "COMMIT", "migrate");
 out:
	if (r != TLY_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Prepare n statements of db from sql[] into st[]. */
static int
db_prepare(sqlite3 *db, const char *const *sql, sqlite3_stmt **st, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st[i], NULL) != SQLITE_OK)
			return tly_cstore_db_fail(db, "prepare");
	return TLY_OK;
}

int
tly_cstore_connect(const char *path, const char *const *rsql,
    struct tly_cstore **sp)
{
	struct tly_cstore	*s;
	sqlite3_stmt		*st = NULL;
	int			 r;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return TLY_E_NOMEM;
	if (pthread_mutex_init(&s->wlock, NULL) != 0) {
		r = TLY_E_NOMEM;
		goto out;
	}
	s->locks = 1;
	if (pthread_mutex_init(&s->rlock, NULL) != 0) {
		r = TLY_E_NOMEM;
		goto out;
	}
	s->locks = 2;

	if (sqlite3_open_v2(path, &s->w, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		r = tly_fail(TLY_E_DB, "%s: %s", path, s->w != NULL ?
		    sqlite3_errmsg(s->w) : "cannot open");
		goto out;
	}
	sqlite3_extended_result_codes(s->w, 1);
	if ((r = db_exec(s->w, "PRAGMA busy_timeout = 10000",
	    path)) != TLY_OK)
		goto out;
	/* journal_mode answers the mode in force: it must be wal. */
	if (sqlite3_prepare_v2(s->w, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		r = tly_cstore_db_fail(s->w, path);
		goto out;
	}
	if (sqlite3_column_text(st, 0) == NULL ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
		r = tly_fail(TLY_E_DB, "%s: cannot use WAL mode", path);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* Foreign keys stay off: migration 2 rebuilds a referenced table. */
	/* Savepoints' statement journals in memory: no file per upload. */
	if ((r = db_exec(s->w, "PRAGMA synchronous = FULL", path)) != TLY_OK ||
	    (r = db_exec(s->w, "PRAGMA temp_store = MEMORY", path)) !=
	    TLY_OK ||
	    (r = db_migrate(s->w, path)) != TLY_OK ||
	    (r = db_prepare(s->w, wsql, s->ws, W_COUNT_)) != TLY_OK)
		goto out;

	if (sqlite3_open_v2(path, &s->r, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		r = tly_fail(TLY_E_DB, "%s: %s", path, s->r != NULL ?
		    sqlite3_errmsg(s->r) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(s->r, BUSY_TIMEOUT_MS);
	if ((r = db_prepare(s->r, rsql, s->rs, R_COUNT_)) != TLY_OK)
		goto out;
	*sp = s;
	s = NULL;		/* transferred */
	r = TLY_OK;
 out:
	sqlite3_finalize(st);
	tly_cstore_close(s);
	return r;
}

void
tly_cstore_close(struct tly_cstore *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < W_COUNT_; i++)
		sqlite3_finalize(s->ws[i]);
	for (i = 0; i < R_COUNT_; i++)
		sqlite3_finalize(s->rs[i]);
	sqlite3_close(s->r);
	sqlite3_close(s->w);
	if (s->locks > 0)
		pthread_mutex_destroy(&s->wlock);
	if (s->locks > 1)
		pthread_mutex_destroy(&s->rlock);
	free(s);
}

int
tly_cstore_user_version(struct tly_cstore *s, int *v)
{
	int	r;

	pthread_mutex_lock(&s->wlock);
	r = db_user_version(s->w, v);
	pthread_mutex_unlock(&s->wlock);
	return r;
}

/* ---- Transactions -------------------------------------------------------- */

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

int
tly_cstore_begin(struct tly_cstore *s)
{
	int	r;

	if ((r = tly_cstore_lock(&s->wlock)) != TLY_OK)
		return r;
	if ((r = tly_cstore_st_exec(s->w, s->ws[W_BEGIN], "begin")) != TLY_OK) {
		pthread_mutex_unlock(&s->wlock);
		return r;
	}
	s->in_tx = 1;
	return TLY_OK;
}

int
tly_cstore_commit(struct tly_cstore *s)
{
	int	r;

	if ((r = tly_cstore_st_exec(s->w, s->ws[W_COMMIT], "commit")) != TLY_OK) {
		/* A failed COMMIT may leave the transaction open. */
		if (!sqlite3_get_autocommit(s->w))
			tly_cstore_st_exec(s->w, s->ws[W_ROLLBACK], "rollback");
	}
	s->in_tx = 0;
	pthread_mutex_unlock(&s->wlock);
	return r;
}

void
tly_cstore_rollback(struct tly_cstore *s)
{
	if (!sqlite3_get_autocommit(s->w))
		tly_cstore_st_exec(s->w, s->ws[W_ROLLBACK], "rollback");
	s->in_tx = 0;
	pthread_mutex_unlock(&s->wlock);
}

int
tly_cstore_in_tx(struct tly_cstore *s)
{
	return !sqlite3_get_autocommit(s->w);
}

int
tly_cstore_savepoint(struct tly_cstore *s)
{
	return tly_cstore_st_exec(s->w, s->ws[W_SAVEPOINT], "savepoint");
}

int
tly_cstore_release(struct tly_cstore *s)
{
	return tly_cstore_st_exec(s->w, s->ws[W_RELEASE], "release");
}

int
tly_cstore_rollback_to(struct tly_cstore *s)
{
	int	r;

	/* ROLLBACK TO keeps the savepoint open; release it too. */
	if ((r = tly_cstore_st_exec(s->w, s->ws[W_ROLLBACK_TO], "rollback to")) !=
	    TLY_OK)
		return r;
	return tly_cstore_st_exec(s->w, s->ws[W_RELEASE], "release");
}

/* ---- Writing ------------------------------------------------------------- */

/* Bind a blob that outlives the statement's step. */
int
tly_cstore_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	if (n > (size_t)INT32_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_blob(st, i, p, (int)n, SQLITE_STATIC);
}

/* Bind an integer of PROTOCOL.md section 1 (at most 2^53 - 1). */
int
tly_cstore_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	if (v > (uint64_t)INT64_MAX)
		return SQLITE_RANGE;
	return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
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
		return -1;
	memcpy(out, sqlite3_column_blob(st, i), 32);
	return 0;
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
