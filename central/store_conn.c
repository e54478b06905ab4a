/*
 * store_conn.c: the central's SQLite database: its two connections, the
 * writer's statements and transactions.
 *
 * Every statement is prepared once at open and uses bound parameters.
 * The schema and its migrations are in store_schema.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"

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
	    " (pos, id, device, seq, prev, bytes, received_at, receipt)"
	    " VALUES (" TLY_CSTORE_FEED_NEXT ", ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[W_INSERT_RECORD] = "INSERT INTO records"
	    " (id, batch, device, seq, idx, area, level, constituency, round,"
	    "  counts, body)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
	[W_DEC_BY_ID] = "SELECT pos FROM decisions WHERE id = ?1",
	[W_INSERT_DEC] = "INSERT INTO decisions"
	    " (pos, id, kind, signer, device, batch, seq, area, level, round,"
	    "  record, issued, bytes, received_at, over, receipt)"
	    " VALUES (" TLY_CSTORE_FEED_NEXT ", ?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    "  ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[W_REC_KEY] = "SELECT area, level, round FROM records WHERE id = ?1",
};
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
	s->walfd = -1;
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
	if (pthread_mutex_init(&s->walmu, NULL) != 0) {
		r = TLY_E_NOMEM;
		goto out;
	}
	s->locks = 3;
	if ((s->path = strdup(path)) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}

	if (sqlite3_open_v2(path, &s->w, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		r = tly_fail(TLY_E_DB, "%s: %s", path, s->w != NULL ?
		    sqlite3_errmsg(s->w) : "cannot open");
		goto out;
	}
	sqlite3_extended_result_codes(s->w, 1);
	/* PROTOCOL.md 8.5: a lock held elsewhere turns into 503 busy. */
	sqlite3_busy_timeout(s->w, BUSY_TIMEOUT_MS);
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
	/* NORMAL: each commit is synced by tly_cstore_sync (store_wal.c). */
	if ((r = tly_cstore_db_exec(s->w, "PRAGMA synchronous = NORMAL",
	    path)) != TLY_OK ||
	    (r = tly_cstore_db_exec(s->w, "PRAGMA temp_store = MEMORY",
	    path)) != TLY_OK ||
	    (r = tly_cstore_db_exec(s->w, "PRAGMA journal_size_limit = "
	    TLY_CSTORE_WAL_KEEP, path)) != TLY_OK ||
	    (r = tly_cstore_migrate(s->w, path)) != TLY_OK ||
	    (r = db_prepare(s->w, wsql, s->ws, W_COUNT_)) != TLY_OK)
		goto out;

	if (sqlite3_open_v2(path, &s->r, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		r = tly_fail(TLY_E_DB, "%s: %s", path, s->r != NULL ?
		    sqlite3_errmsg(s->r) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(s->r, BUSY_TIMEOUT_MS);
	if ((r = db_prepare(s->r, rsql, s->rs, R_COUNT_)) != TLY_OK ||
	    (r = tly_cstore_ckpt_start(s, path)) != TLY_OK)
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
	tly_cstore_ckpt_stop(s);
	tly_cstore_log_destroy(s->log);
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
	if (s->locks > 2)
		pthread_mutex_destroy(&s->walmu);
	if (s->walfd >= 0)
		close(s->walfd);
	free(s->path);
	free(s);
}

int
tly_cstore_user_version(struct tly_cstore *s, int *v)
{
	int	r;

	pthread_mutex_lock(&s->wlock);
	r = tly_cstore_schema_version(s->w, v);
	pthread_mutex_unlock(&s->wlock);
	return r;
}

/* ---- Transactions -------------------------------------------------------- */

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

	if ((r = tly_cstore_commit_lazy(s)) != TLY_OK)
		return r;
	return tly_cstore_sync(s);
}

int
tly_cstore_commit_lazy(struct tly_cstore *s)
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
