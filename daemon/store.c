/*
 * store.c: the field daemon's SQLite database: opening it, the schema
 * and its migrations, meta values, the own chain of batches and their
 * records, and the SQL helpers the other store files share (storeInt.h).
 * store_relay.c takes in relayed batches; store_sync.c holds the queries
 * of the sync loop.  See store.h for the tables and the durability
 * promise.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/store.h"
#include "daemon/storeInt.h"

#define STORE_BUSY_MS	10000	/* busy_timeout */


/* Schema version 1. */
static const char schema_v1[] =
	"CREATE TABLE batches ("
	" seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	" id BLOB NOT NULL UNIQUE CHECK (length(id) = 32),"
	" bytes BLOB NOT NULL,"
	" created INTEGER NOT NULL,"
	" nrecords INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'sealed'"
	"  CHECK (state IN ('sealed', 'sent', 'acknowledged')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT,"
	" acked_at INTEGER,"
	" receipt BLOB);"
	"CREATE TABLE records ("
	" id TEXT PRIMARY KEY,"
	" seq INTEGER NOT NULL REFERENCES batches(seq),"
	" idx INTEGER NOT NULL,"
	" area TEXT NOT NULL,"
	" level TEXT NOT NULL,"
	" constituency TEXT NOT NULL,"
	" round INTEGER NOT NULL,"
	" json TEXT NOT NULL);"
	"CREATE INDEX records_area ON records(area, level, round);"
	"CREATE TABLE relay ("
	" id BLOB PRIMARY KEY CHECK (length(id) = 32),"
	" device BLOB NOT NULL CHECK (length(device) = 32),"
	" seq INTEGER NOT NULL,"
	" bytes BLOB NOT NULL,"
	" received INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'sealed'"
	"  CHECK (state IN ('sealed', 'sent', 'acknowledged')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT,"
	" acked_at INTEGER,"
	" receipt BLOB);"
	"CREATE UNIQUE INDEX relay_order ON relay(device, seq);"
	"CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	/* Signed bytes never change and batches are never removed. */
	"CREATE TRIGGER batches_fixed BEFORE UPDATE OF seq, id, bytes, created,"
	" nrecords ON batches BEGIN"
	" SELECT RAISE(ABORT, 'sealed batches are immutable'); END;"
	"CREATE TRIGGER batches_kept BEFORE DELETE ON batches BEGIN"
	" SELECT RAISE(ABORT, 'sealed batches are never deleted'); END;"
	"CREATE TRIGGER relay_fixed BEFORE UPDATE OF id, device, seq, bytes"
	" ON relay BEGIN"
	" SELECT RAISE(ABORT, 'relayed batches are immutable'); END;"
	"CREATE TRIGGER relay_kept BEFORE DELETE ON relay BEGIN"
	" SELECT RAISE(ABORT, 'relayed batches are never deleted'); END;";

/* Schema version 2: relayed batches know their record count. */
static const char schema_v2[] =
	"ALTER TABLE relay ADD COLUMN nrecords INTEGER NOT NULL DEFAULT 0;";

/*
 * Schema version 3: an own batch keeps the idempotency key of the
 * request that sealed it and the hash of that request's body
 * (PROTOCOL.md 9), so a repeated request finds it.
 */
static const char schema_v3[] =
	"ALTER TABLE batches ADD COLUMN idem TEXT;"
	"ALTER TABLE batches ADD COLUMN idem_body BLOB;"
	"CREATE UNIQUE INDEX batches_idem ON batches(idem);";

/*
 * Schema version 4: a batch the central refused for good keeps its code
 * and message and is never sent again (state "rejected", storeInt.h).
 */
static const char schema_v4[] =
	"ALTER TABLE batches ADD COLUMN reject_code TEXT;"
	"ALTER TABLE batches ADD COLUMN reject_message TEXT;"
	"ALTER TABLE relay ADD COLUMN reject_code TEXT;"
	"ALTER TABLE relay ADD COLUMN reject_message TEXT;";

/*
 * Schema version 5: the photos of signed paper records, by hash
 * (PROTOCOL.md 9: POST /v1/photos).
 */
static const char schema_v5[] =
	"CREATE TABLE photos (hash BLOB PRIMARY KEY, data BLOB NOT NULL,"
	" added INTEGER NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0);";

/*
 * Schema version 6: the authority's objects fetched from the central,
 * verified (PROTOCOL.md 9.7): the newest revocation list and the
 * central's certificates (store_trust.c).
 */
static const char schema_v6[] =
	"CREATE TABLE trust (id BLOB PRIMARY KEY, kind TEXT NOT NULL,"
	" serial INTEGER NOT NULL, bytes BLOB NOT NULL,"
	" received INTEGER NOT NULL);";

/* Migrations: migrations[v] brings the schema from version v to v + 1. */
static const char *const migrations[] = { schema_v1, schema_v2, schema_v3,
	schema_v4, schema_v5, schema_v6 };

static const char *const state_names[TLY_DSTATE_N] = { "sealed", "sent",
	"acknowledged", "rejected" };

const char *
tly_dstate_name(enum tly_dstate st)
{
	if ((unsigned)st >= TLY_DSTATE_N)
		return "unknown";
	return state_names[st];
}

/* Parse a state column; unknown text reads as sealed. */
enum tly_dstate
tly_dstore_state_parse(const unsigned char *t)
{
	if (t == NULL)
		return TLY_DSTATE_SEALED;
	if (strcmp((const char *)t, "sent") == 0)
		return TLY_DSTATE_SENT;
	if (strcmp((const char *)t, "acknowledged") == 0)
		return TLY_DSTATE_ACKED;
	if (strcmp((const char *)t, "rejected") == 0)
		return TLY_DSTATE_REJECTED;
	return TLY_DSTATE_SEALED;
}

/* Record the SQLite error of db as the detail of a TLY_E_DB failure. */
int
tly_dstore_db_fail(sqlite3 *db, const char *what)
{
	return tly_fail(TLY_E_DB, "store: %s: %s", what,
	    db != NULL ? sqlite3_errmsg(db) : "no database");
}

/* Run SQL text without results. */
int
tly_dstore_db_exec(struct tly_dstore *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return tly_dstore_db_fail(s->db, sql);
	return TLY_OK;
}

/* Prepare one statement. */
int
tly_dstore_db_prep(struct tly_dstore *s, const char *sql, sqlite3_stmt **st)
{
	*st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return tly_dstore_db_fail(s->db, "prepare");
	return TLY_OK;
}

/* Step a statement that returns no rows. */
int
tly_dstore_db_done(struct tly_dstore *s, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		return tly_dstore_db_fail(s->db, "step");
	return TLY_OK;
}

/* Begin a write transaction; *intx is set once it is open. */
int
tly_dstore_db_begin(struct tly_dstore *s, int *intx)
{
	int	r;

	if ((r = tly_dstore_db_exec(s, "BEGIN IMMEDIATE")) == TLY_OK)
		*intx = 1;
	return r;
}

/* Commit when r is TLY_OK, else roll back an open transaction. */
int
tly_dstore_db_end(struct tly_dstore *s, int intx, int r)
{
	if (intx && r == TLY_OK)
		r = tly_dstore_db_exec(s, "COMMIT");
	/* A failed COMMIT may leave the transaction open: end it. */
	if (intx && r != TLY_OK && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Bind helpers that map SQLite failures to TLY_E_DB. */
int
tly_dstore_bind_blob(struct tly_dstore *s, sqlite3_stmt *st, int i,
    const void *p, size_t n)
{
	if (n > INT32_MAX ||
	    sqlite3_bind_blob(st, i, p, (int)n, SQLITE_STATIC) != SQLITE_OK)
		return tly_dstore_db_fail(s->db, "bind");
	return TLY_OK;
}

/* Bind a NUL-terminated text. */
int
tly_dstore_bind_text(struct tly_dstore *s, sqlite3_stmt *st, int i,
    const char *t)
{
	if (sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC) != SQLITE_OK)
		return tly_dstore_db_fail(s->db, "bind");
	return TLY_OK;
}

/* Bind an integer up to INT64_MAX. */
int
tly_dstore_bind_u64(struct tly_dstore *s, sqlite3_stmt *st, int i,
    uint64_t v)
{
	if (v > INT64_MAX ||
	    sqlite3_bind_int64(st, i, (sqlite3_int64)v) != SQLITE_OK)
		return tly_dstore_db_fail(s->db, "bind");
	return TLY_OK;
}

/* The table of a kind. */
const char *
tly_dstore_kind_table(enum tly_dkind kind)
{
	return kind == TLY_DKIND_RELAY ? "relay" : "batches";
}

/* Read the schema version. */
static int
store_version(struct tly_dstore *s, int *out)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	*out = 0;
	if ((r = tly_dstore_db_prep(s, "PRAGMA user_version", &st)) != TLY_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = tly_dstore_db_fail(s->db, "user_version");
		goto out;
	}
	*out = sqlite3_column_int(st, 0);
 out:
	sqlite3_finalize(st);
	return r;
}

/* Apply every migration the file lacks, each in its own transaction. */
static int
store_migrate(struct tly_dstore *s)
{
	char	 sql[64];
	int	 v, r, intx;
	size_t	 nmig = sizeof(migrations) / sizeof(migrations[0]);

	if ((r = store_version(s, &v)) != TLY_OK)
		return r;
	if (v < 0 || (size_t)v > nmig)
		return tly_fail(TLY_E_VERSION, "store: schema version %d is "
		    "newer than this tallyd (%zu)", v, nmig);
	for (; (size_t)v < nmig; v++) {
		intx = 0;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((r = tly_dstore_db_begin(s, &intx)) == TLY_OK &&
		    (r = tly_dstore_db_exec(s, migrations[v])) == TLY_OK)
			r = tly_dstore_db_exec(s, sql);
		if ((r = tly_dstore_db_end(s, intx, r)) != TLY_OK)
			return r;
	}
	return TLY_OK;
}

int
tly_dstore_open(const char *path, struct tly_dstore **sp)
{
	struct tly_dstore	*s = NULL;
	sqlite3_stmt		*st = NULL;
	const unsigned char	*mode;
	int			 r;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return TLY_E_NOMEM;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return TLY_E_NOMEM;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		r = tly_fail(TLY_E_DB, "store: %s: %s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	/* journal_mode answers with the mode in force: require WAL. */
	if ((r = tly_dstore_db_prep(s, "PRAGMA journal_mode = WAL", &st)) !=
	    TLY_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (mode = sqlite3_column_text(st, 0)) == NULL ||
	    strcmp((const char *)mode, "wal") != 0) {
		r = tly_fail(TLY_E_DB, "store: %s: cannot enable WAL mode",
		    path);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = tly_dstore_db_exec(s, "PRAGMA synchronous = FULL")) !=
	    TLY_OK ||
	    (r = tly_dstore_db_exec(s, "PRAGMA foreign_keys = ON")) != TLY_OK ||
	    (r = store_migrate(s)) != TLY_OK)
		goto out;
	*sp = s;
	s = NULL;		/* transferred */
 out:
	sqlite3_finalize(st);
	tly_dstore_close(s);
	return r;
}

void
tly_dstore_close(struct tly_dstore *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL)
		sqlite3_close_v2(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int
tly_dstore_user_version(struct tly_dstore *s, int *out)
{
	int	r;

	pthread_mutex_lock(&s->mu);
	r = store_version(s, out);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* tly_dstore_meta_get() for a caller holding s->mu. */
static int
store_meta_get(struct tly_dstore *s, const char *k, char *out, size_t outlen)
{
	sqlite3_stmt		*st = NULL;
	const unsigned char	*v;
	int			 r;

	if (outlen == 0)
		return TLY_E_INVAL;
	out[0] = '\0';
	if ((r = tly_dstore_db_prep(s, "SELECT v FROM meta WHERE k = ?",
	    &st)) != TLY_OK ||
	    (r = tly_dstore_bind_text(s, st, 1, k)) != TLY_OK)
		goto out;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		if ((v = sqlite3_column_text(st, 0)) == NULL)
			v = (const unsigned char *)"";
		if (strlen((const char *)v) >= outlen) {
			r = tly_fail(TLY_E_TOO_LARGE, "store: meta %s too long",
			    k);
			goto out;
		}
		strcpy(out, (const char *)v);
		break;
	case SQLITE_DONE:
		r = TLY_E_NOTFOUND;
		break;
	default:
		r = tly_dstore_db_fail(s->db, "meta");
	}
 out:
	sqlite3_finalize(st);
	return r;
}

int
tly_dstore_meta_get(struct tly_dstore *s, const char *k, char *out,
    size_t outlen)
{
	int	r;

	pthread_mutex_lock(&s->mu);
	r = store_meta_get(s, k, out, outlen);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_meta_set(struct tly_dstore *s, const char *k, const char *v)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "INSERT OR REPLACE INTO meta (k, v) "
	    "VALUES (?, ?)", &st)) != TLY_OK ||
	    (r = tly_dstore_bind_text(s, st, 1, k)) != TLY_OK ||
	    (r = tly_dstore_bind_text(s, st, 2, v)) != TLY_OK)
		goto out;
	r = tly_dstore_db_done(s, st);
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_meta_set_n(struct tly_dstore *s, const char *const *k,
    const char *const *v, size_t n)
{
	sqlite3_stmt	*st = NULL;
	size_t		 i;
	int		 r, intx = 0;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_begin(s, &intx)) != TLY_OK ||
	    (r = tly_dstore_db_prep(s, "INSERT OR REPLACE INTO meta (k, v) "
	    "VALUES (?, ?)", &st)) != TLY_OK)
		goto out;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		if ((r = tly_dstore_bind_text(s, st, 1, k[i])) != TLY_OK ||
		    (r = tly_dstore_bind_text(s, st, 2, v[i])) != TLY_OK ||
		    (r = tly_dstore_db_done(s, st)) != TLY_OK)
			goto out;
	}
 out:
	sqlite3_finalize(st);
	r = tly_dstore_db_end(s, intx, r);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* Head of the own chain; caller holds the lock. */
/*
 * The chain base of a restored key (meta "chain_base": "<seq> <hex id>",
 * PROTOCOL.md 9.5), the head while the store holds no own batch.
 */
static int
store_base(struct tly_dstore *s, uint64_t *seq, uint8_t id[TLY_HASH_LEN])
{
	char	buf[32 + 2 * TLY_HASH_LEN], *end;
	int	r;

	if ((r = store_meta_get(s, "chain_base", buf, sizeof(buf))) ==
	    TLY_E_NOTFOUND || (r == TLY_OK && buf[0] == '\0'))
		return TLY_OK;
	if (r != TLY_OK)
		return r;
	*seq = strtoull(buf, &end, 10);
	if (*seq == 0 || *end != ' ' || strlen(end + 1) != 2 * TLY_HASH_LEN ||
	    tly_unhex(end + 1, 2 * TLY_HASH_LEN, id, TLY_HASH_LEN) != TLY_OK) {
		*seq = 0;
		memset(id, 0, TLY_HASH_LEN);
		return tly_fail(TLY_E_DB, "store: malformed chain_base");
	}
	return TLY_OK;
}

static int
store_head(struct tly_dstore *s, uint64_t *seq, uint8_t id[TLY_HASH_LEN])
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc;

	*seq = 0;
	memset(id, 0, TLY_HASH_LEN);
	if ((r = tly_dstore_db_prep(s, "SELECT seq, id FROM batches "
	    "ORDER BY seq DESC LIMIT 1", &st)) != TLY_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = store_base(s, seq, id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = tly_dstore_db_fail(s->db, "head");
		goto out;
	}
	if (sqlite3_column_bytes(st, 1) != TLY_HASH_LEN) {
		r = tly_fail(TLY_E_DB, "store: malformed batch id at head");
		goto out;
	}
	*seq = (uint64_t)sqlite3_column_int64(st, 0);
	memcpy(id, sqlite3_column_blob(st, 1), TLY_HASH_LEN);
 out:
	sqlite3_finalize(st);
	return r;
}

int
tly_dstore_head(struct tly_dstore *s, uint64_t *seq, uint8_t id[TLY_HASH_LEN])
{
	int	r;

	pthread_mutex_lock(&s->mu);
	r = store_head(s, seq, id);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_append(struct tly_dstore *s, uint64_t seq,
    const uint8_t id[TLY_HASH_LEN], const uint8_t *bytes, size_t len,
    uint64_t created, const struct tly_dstore_rec *recs, size_t nrecs)
{
	return tly_dstore_append_idem(s, seq, id, bytes, len, created, recs,
	    nrecs, NULL);
}

int
tly_dstore_append_idem(struct tly_dstore *s, uint64_t seq,
    const uint8_t id[TLY_HASH_LEN], const uint8_t *bytes, size_t len,
    uint64_t created, const struct tly_dstore_rec *recs, size_t nrecs,
    const struct tly_dstore_idem *idem)
{
	sqlite3_stmt	*st = NULL;
	uint8_t		 hid[TLY_HASH_LEN];
	uint64_t	 head;
	size_t		 i;
	int		 r, intx = 0;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_begin(s, &intx)) != TLY_OK ||
	    (r = store_head(s, &head, hid)) != TLY_OK)
		goto out;
	if (seq != head + 1) {
		r = tly_fail(TLY_E_SEQ_CONFLICT, "store: seq %llu is not "
		    "head + 1 (%llu)", (unsigned long long)seq,
		    (unsigned long long)head + 1);
		goto out;
	}
	/* Unbound idem columns stay NULL: no key. */
	if ((r = tly_dstore_db_prep(s, "INSERT INTO batches (seq, id, bytes, "
	    "created, nrecords, idem, idem_body) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    &st)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 1, seq)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 2, id, TLY_HASH_LEN)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 3, bytes, len)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 4, created)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 5, nrecs)) != TLY_OK ||
	    (idem != NULL &&
	    ((r = tly_dstore_bind_text(s, st, 6, idem->key)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 7, idem->body, TLY_HASH_LEN)) !=
	    TLY_OK)) ||
	    (r = tly_dstore_db_done(s, st)) != TLY_OK)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((r = tly_dstore_db_prep(s, "INSERT INTO records (id, seq, idx, "
	    "area, level, constituency, round, json) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st)) != TLY_OK)
		goto out;
	for (i = 0; i < nrecs; i++) {
		sqlite3_reset(st);
		if ((r = tly_dstore_bind_text(s, st, 1, recs[i].id)) !=
		    TLY_OK ||
		    (r = tly_dstore_bind_u64(s, st, 2, seq)) != TLY_OK ||
		    (r = tly_dstore_bind_u64(s, st, 3, i)) != TLY_OK ||
		    (r = tly_dstore_bind_text(s, st, 4, recs[i].area)) !=
		    TLY_OK ||
		    (r = tly_dstore_bind_text(s, st, 5, recs[i].level)) !=
		    TLY_OK ||
		    (r = tly_dstore_bind_text(s, st, 6,
		    recs[i].constituency)) != TLY_OK ||
		    (r = tly_dstore_bind_u64(s, st, 7, recs[i].round)) !=
		    TLY_OK ||
		    (r = tly_dstore_bind_text(s, st, 8, recs[i].json)) !=
		    TLY_OK ||
		    (r = tly_dstore_db_done(s, st)) != TLY_OK)
			goto out;
	}
 out:
	sqlite3_finalize(st);
	r = tly_dstore_db_end(s, intx, r);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_state(struct tly_dstore *s, enum tly_dkind kind,
    const uint8_t id[TLY_HASH_LEN], enum tly_dstate *state)
{
	sqlite3_stmt	*st = NULL;
	char		 sql[160];
	int		 r, rc;

	snprintf(sql, sizeof(sql), "SELECT " TLY_DSTORE_STATE_SQL
	    " FROM %s WHERE id = ?", tly_dstore_kind_table(kind));
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, sql, &st)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 1, id, TLY_HASH_LEN)) != TLY_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = TLY_E_NOTFOUND;
	else if (rc != SQLITE_ROW)
		r = tly_dstore_db_fail(s->db, "state");
	else if (state != NULL)
		*state = tly_dstore_state_parse(sqlite3_column_text(st, 0));
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* Append the blob of column 0 of a one-row query on id or seq to out. */
int
tly_dstore_blob(struct tly_dstore *s, const char *sql, const uint8_t *id,
    uint64_t seq, struct tly_buf *out)
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, sql, &st)) != TLY_OK)
		goto out;
	if (id != NULL)
		r = tly_dstore_bind_blob(s, st, 1, id, TLY_HASH_LEN);
	else
		r = tly_dstore_bind_u64(s, st, 1, seq);
	if (r != TLY_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE ||
	    (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL))
		r = TLY_E_NOTFOUND;
	else if (rc != SQLITE_ROW)
		r = tly_dstore_db_fail(s->db, "read");
	else
		r = tly_buf_add(out, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_batch_bytes(struct tly_dstore *s, uint64_t seq, struct tly_buf *out)
{
	return tly_dstore_blob(s, "SELECT bytes FROM batches WHERE seq = ?", NULL,
	    seq, out);
}

int
tly_dstore_receipt(struct tly_dstore *s, enum tly_dkind kind,
    const uint8_t id[TLY_HASH_LEN], struct tly_buf *out)
{
	return tly_dstore_blob(s, kind == TLY_DKIND_RELAY ?
	    "SELECT receipt FROM relay WHERE id = ?" :
	    "SELECT receipt FROM batches WHERE id = ?", id, 0, out);
}

int
tly_dstore_foreach_batch(struct tly_dstore *s,
    int (*fn)(void *arg, const struct tly_dstore_info *info), void *arg)
{
	sqlite3_stmt		*st = NULL;
	struct tly_dstore_info	 info;
	int			 r, rc;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "SELECT seq, id, created, nrecords, "
	    TLY_DSTORE_STATE_SQL ", attempts, last_error, acked_at, "
	    "reject_code FROM batches ORDER BY seq", &st)) != TLY_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&info, 0, sizeof(info));
		info.seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == TLY_HASH_LEN)
			memcpy(info.id, sqlite3_column_blob(st, 1),
			    TLY_HASH_LEN);
		info.created = (uint64_t)sqlite3_column_int64(st, 2);
		info.nrecords = (uint64_t)sqlite3_column_int64(st, 3);
		info.state = tly_dstore_state_parse(sqlite3_column_text(st, 4));
		info.attempts = (uint64_t)sqlite3_column_int64(st, 5);
		info.last_error = (const char *)sqlite3_column_text(st, 6);
		info.acked_at = (uint64_t)sqlite3_column_int64(st, 7);
		info.reject_code = (const char *)sqlite3_column_text(st, 8);
		if ((r = fn(arg, &info)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = tly_dstore_db_fail(s->db, "list");
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_foreach_bytes(struct tly_dstore *s,
    int (*fn)(void *arg, enum tly_dkind kind, const uint8_t *m, size_t len),
    void *arg)
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s,
	    "SELECT 0 AS k, x'' AS d, seq, bytes FROM batches"
	    " UNION ALL SELECT 1, device, seq, bytes FROM relay"
	    " ORDER BY k, d, seq", &st)) != TLY_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = fn(arg, sqlite3_column_int(st, 0) ? TLY_DKIND_RELAY :
		    TLY_DKIND_OWN, sqlite3_column_blob(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3))) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = tly_dstore_db_fail(s->db, "bundle");
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_area_records(struct tly_dstore *s, const char *area,
    uint64_t round, int (*fn)(void *arg, const char *level, uint64_t voted),
    void *arg)
{
	sqlite3_stmt		*st = NULL;
	const unsigned char	*level;
	sqlite3_int64		 voted;
	int			 r, rc;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "SELECT level, "
	    "json_extract(json, '$.voted') "
	    "FROM records WHERE area = ? AND round = ? "
	    "ORDER BY seq DESC, idx DESC", &st)) != TLY_OK ||
	    (r = tly_dstore_bind_text(s, st, 1, area)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 2, round)) != TLY_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		level = sqlite3_column_text(st, 0);
		if (level == NULL ||
		    sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
		    (voted = sqlite3_column_int64(st, 1)) < 0)
			continue;
		if ((r = fn(arg, (const char *)level, (uint64_t)voted)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = tly_dstore_db_fail(s->db, "area records");
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}
