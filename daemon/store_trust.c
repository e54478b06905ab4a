/*
 * store_trust.c: the authority's objects a field daemon fetched from the
 * central and verified (PROTOCOL.md 9.7): the newest revocation list and
 * the central's certificates, kept so that they apply from the start
 * after a restart.  The verifying is done by the caller (trustsync.c);
 * this only keeps bytes.
 */
#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#include "common/err.h"
#include "daemon/store.h"
#include "daemon/storeInt.h"

/* The kind column's text of each kind. */
static const char *const kind_names[] = { "revocations", "central-cert" };

int
tly_dstore_trust_put(struct tly_dstore *s, enum tly_dtrust_kind kind,
    const uint8_t id[TLY_HASH_LEN], uint64_t serial, const uint8_t *m,
    size_t len, uint64_t received, int *added)
{
	sqlite3_stmt	*st = NULL;
	int		 r, intx = 0;

	*added = 0;
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_begin(s, &intx)) != TLY_OK)
		goto out;
	if (kind == TLY_DTRUST_REVOCATIONS) {
		/* A list as new as this one is held: keep that. */
		if ((r = tly_dstore_db_prep(s, "SELECT 1 FROM trust WHERE "
		    "kind = 'revocations' AND serial >= ?", &st)) != TLY_OK ||
		    (r = tly_dstore_bind_u64(s, st, 1, serial)) != TLY_OK)
			goto out;
		if ((r = sqlite3_step(st)) == SQLITE_ROW) {
			r = TLY_OK;
			goto out;
		}
		if (r != SQLITE_DONE) {
			r = tly_dstore_db_fail(s->db, "trust");
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
		if ((r = tly_dstore_db_exec(s, "DELETE FROM trust WHERE "
		    "kind = 'revocations'")) != TLY_OK)
			goto out;
	}
	if ((r = tly_dstore_db_prep(s, "INSERT OR IGNORE INTO trust (id, kind, "
	    "serial, bytes, received) VALUES (?, ?, ?, ?, ?)", &st)) !=
	    TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 1, id, TLY_HASH_LEN)) != TLY_OK ||
	    (r = tly_dstore_bind_text(s, st, 2, kind_names[kind])) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 3, serial)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 4, m, len)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 5, received)) != TLY_OK ||
	    (r = tly_dstore_db_done(s, st)) != TLY_OK)
		goto out;
	*added = sqlite3_changes(s->db) > 0;
 out:
	sqlite3_finalize(st);
	r = tly_dstore_db_end(s, intx, r);
	pthread_mutex_unlock(&s->mu);
	if (r != TLY_OK)
		*added = 0;
	return r;
}

int
tly_dstore_trust_each(struct tly_dstore *s,
    int (*fn)(void *arg, enum tly_dtrust_kind kind, const uint8_t *m,
    size_t len), void *arg)
{
	sqlite3_stmt	*st = NULL;
	const char	*k;
	int		 r, rc;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "SELECT kind, bytes FROM trust ORDER BY "
	    "kind = 'central-cert', serial", &st)) != TLY_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		if ((r = fn(arg, k != NULL && strcmp(k, "revocations") == 0 ?
		    TLY_DTRUST_REVOCATIONS : TLY_DTRUST_CENTRAL_CERT,
		    sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1))) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = tly_dstore_db_fail(s->db, "trust");
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}
