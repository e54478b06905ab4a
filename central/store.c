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
	[W_BATCH_BY_SEQ] =
	    "SELECT id FROM batches WHERE device = ?1 AND seq = ?2",
	[W_HEAD] = "SELECT head, head_id FROM devices WHERE device = ?1",
	[W_INSERT_BATCH] = "INSERT INTO batches"
	    " (id, device, seq, bytes, received_at, receipt)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[W_INSERT_RECORD] = "INSERT INTO records"
	    " (id, batch, device, seq, idx, area, level, constituency, round,"
	    "  registered, voted, issued, received, valid, invalid)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    "  ?14, ?15)",
	[W_INSERT_VOTE] = "INSERT INTO votes (record, candidate, votes)"
	    " VALUES (?1, ?2, ?3)",
	[W_SET_HEAD] = "INSERT INTO devices (device, head, head_id)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (device) DO UPDATE"
	    " SET head = excluded.head, head_id = excluded.head_id"
	    " WHERE excluded.head = devices.head + 1",
	[W_INSERT_REJECT] = "INSERT INTO rejections"
	    " (at, entry, code, message, batch, bytes)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
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
tly_cstore_open(const char *path, struct tly_cstore **sp)
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
	if ((r = db_exec(s->w, "PRAGMA synchronous = FULL", path)) != TLY_OK ||
	    (r = db_exec(s->w, "PRAGMA foreign_keys = ON", path)) != TLY_OK ||
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
	if ((r = db_prepare(s->r, tly_cstore_rsql, s->rs, R_COUNT_)) != TLY_OK)
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
tly_cstore_begin(struct tly_cstore *s)
{
	int	r;

	pthread_mutex_lock(&s->wlock);
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
static int
bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	if (v > (uint64_t)INT64_MAX)
		return SQLITE_RANGE;
	return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/* Id of the device's batch seq into id: TLY_OK or TLY_E_NOTFOUND. */
static int
batch_at(struct tly_cstore *s, const uint8_t *device, uint64_t seq,
    uint8_t id[TLY_HASH_LEN])
{
	sqlite3_stmt	*st = s->ws[W_BATCH_BY_SEQ];
	int		 rc, r;

	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK ||
	    bind_u64(st, 2, seq) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = TLY_E_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW ||
	    sqlite3_column_bytes(st, 0) != TLY_HASH_LEN) {
		r = tly_cstore_db_fail(s->w, "batch by seq");
		goto out;
	}
	memcpy(id, sqlite3_column_blob(st, 0), TLY_HASH_LEN);
	r = TLY_OK;
 out:
	tly_cstore_st_done(st);
	return r;
}

/* The device's head and head id from the writer connection. */
int
tly_cstore_head_at(sqlite3 *db, sqlite3_stmt *st, const uint8_t *device,
    uint64_t *head, uint8_t id[TLY_HASH_LEN])
{
	int	rc, r;

	*head = 0;
	memset(id, 0, TLY_HASH_LEN);
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(db, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = TLY_OK;
		goto out;
	}
	if (rc != SQLITE_ROW || sqlite3_column_int64(st, 0) < 0 ||
	    sqlite3_column_bytes(st, 1) != TLY_HASH_LEN) {
		r = tly_cstore_db_fail(db, "device head");
		goto out;
	}
	*head = (uint64_t)sqlite3_column_int64(st, 0);
	memcpy(id, sqlite3_column_blob(st, 1), TLY_HASH_LEN);
	r = TLY_OK;
 out:
	tly_cstore_st_done(st);
	return r;
}

int
tly_cstore_check(struct tly_cstore *s, const struct tly_batch *b,
    struct tly_buf *receipt)
{
	static const uint8_t	 zero[TLY_HASH_LEN];
	sqlite3_stmt		*st = s->ws[W_BATCH_BY_ID];
	uint8_t			 id[TLY_HASH_LEN], hid[TLY_HASH_LEN];
	char			 hex[TLY_HEX_HASH];
	uint64_t		 head;
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
			r = TLY_CSTORE_DUPLICATE;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->w, "batch by id");
		goto out;
	}
	tly_cstore_st_done(st);

	/* Another batch with this seq: equivocation, kept as evidence. */
	if ((r = batch_at(s, b->device, b->seq, id)) == TLY_OK) {
		r = tly_fail(TLY_E_SEQ_CONFLICT, "seq %llu is held as batch %s",
		    (unsigned long long)b->seq, tly_hex(id, sizeof(id), hex));
		goto out;
	}
	if (r != TLY_E_NOTFOUND)
		goto out;

	if ((r = tly_cstore_head_at(s->w, s->ws[W_HEAD], b->device, &head,
	    hid)) != TLY_OK)
		goto out;
	if (b->seq > head + 1) {
		r = tly_fail(TLY_E_SEQ_GAP, "seq %llu but head is %llu; send "
		    "batch %llu first", (unsigned long long)b->seq,
		    (unsigned long long)head, (unsigned long long)head + 1);
		goto out;
	}

	/* prev must name batch seq - 1 (zeros for the first batch). */
	if (b->seq == 1) {
		if (memcmp(b->prev, zero, TLY_HASH_LEN) != 0) {
			r = tly_fail(TLY_E_CHAIN, "seq 1 must have a zero prev");
			goto out;
		}
	} else {
		if ((r = batch_at(s, b->device, b->seq - 1, id)) ==
		    TLY_E_NOTFOUND) {
			r = tly_fail(TLY_E_SEQ_GAP, "batch %llu is not held",
			    (unsigned long long)b->seq - 1);
			goto out;
		}
		if (r != TLY_OK)
			goto out;
		if (memcmp(b->prev, id, TLY_HASH_LEN) != 0) {
			r = tly_fail(TLY_E_CHAIN, "prev is not batch %llu (%s)",
			    (unsigned long long)b->seq - 1,
			    tly_hex(id, sizeof(id), hex));
			goto out;
		}
	}
	r = TLY_OK;
 out:
	tly_cstore_st_done(st);
	return r;
}

/* Insert record i of batch b and its votes. */
static int
put_record(struct tly_cstore *s, const struct tly_batch *b, size_t i)
{
	const struct tly_record	*rec = &b->records[i];
	sqlite3_stmt		*st = s->ws[W_INSERT_RECORD];
	sqlite3_stmt		*vs = s->ws[W_INSERT_VOTE];
	char			 rid[96];
	size_t			 j;
	int			 r;

	tly_record_id(b->id, i, rid, sizeof(rid));
	if (sqlite3_bind_text(st, 1, rid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, b->id, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 3, b->device, TLY_PK_LEN) != SQLITE_OK ||
	    bind_u64(st, 4, b->seq) != SQLITE_OK ||
	    bind_u64(st, 5, i) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, rec->area, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 7, rec->level, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 8, rec->constituency, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    bind_u64(st, 9, rec->round) != SQLITE_OK ||
	    bind_u64(st, 10, rec->registered) != SQLITE_OK ||
	    bind_u64(st, 11, rec->voted) != SQLITE_OK ||
	    bind_u64(st, 12, rec->issued) != SQLITE_OK ||
	    bind_u64(st, 13, rec->received) != SQLITE_OK ||
	    bind_u64(st, 14, rec->valid) != SQLITE_OK ||
	    bind_u64(st, 15, rec->invalid) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind record");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "insert record")) != TLY_OK)
		return r;
	for (j = 0; j < rec->nvotes && j < TLY_CAND_MAX; j++) {
		if (sqlite3_bind_text(vs, 1, rid, -1, SQLITE_STATIC) !=
		    SQLITE_OK ||
		    sqlite3_bind_text(vs, 2, rec->votes[j].cand, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    bind_u64(vs, 3, rec->votes[j].votes) != SQLITE_OK) {
			tly_cstore_st_done(vs);
			return tly_cstore_db_fail(s->w, "bind vote");
		}
		if ((r = tly_cstore_st_exec(s->w, vs, "insert vote")) != TLY_OK)
			return r;
	}
	return TLY_OK;
}

int
tly_cstore_put(struct tly_cstore *s, const struct tly_batch *b,
    const uint8_t *m, size_t mlen, time_t received,
    const uint8_t *receipt, size_t rlen)
{
	sqlite3_stmt	*st = s->ws[W_INSERT_BATCH];
	size_t		 i;
	int		 r;

	if (tly_cstore_bind_blob(st, 1, b->id, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, b->device, TLY_PK_LEN) != SQLITE_OK ||
	    bind_u64(st, 3, b->seq) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 4, m, mlen) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, (sqlite3_int64)received) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 6, receipt, rlen) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind batch");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "insert batch")) != TLY_OK)
		return r;
	for (i = 0; i < b->nrecords; i++)
		if ((r = put_record(s, b, i)) != TLY_OK)
			return r;

	st = s->ws[W_SET_HEAD];
	if (tly_cstore_bind_blob(st, 1, b->device, TLY_PK_LEN) != SQLITE_OK ||
	    bind_u64(st, 2, b->seq) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 3, b->id, TLY_HASH_LEN) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind head");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "set head")) != TLY_OK)
		return r;
	/* The head must have moved to this batch (check() ensured it). */
	if (sqlite3_changes(s->w) != 1)
		return tly_fail(TLY_E_DB, "head of the device did not advance");
	return TLY_OK;
}

int
tly_cstore_reject(struct tly_cstore *s, time_t at, size_t entry,
    const char *code, const char *message, const uint8_t *batch,
    const uint8_t *m, size_t mlen)
{
	sqlite3_stmt	*st = s->ws[W_INSERT_REJECT];
	int		 rc;

	rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)at);
	if (rc == SQLITE_OK)
		rc = bind_u64(st, 2, entry);
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
	if (rc != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind rejection");
	}
	return tly_cstore_st_exec(s->w, st, "insert rejection");
}
