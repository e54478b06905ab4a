/*
 * store_idem.c: finding the batch a request with an idempotency key
 * sealed (PROTOCOL.md 9), so a repeated request gets the original batch
 * instead of a second one.  The key is written with the batch, in the
 * same transaction, by tly_dstore_append_idem() in store.c.
 */
#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#include "common/err.h"
#include "daemon/store.h"
#include "daemon/storeInt.h"

int
tly_dstore_idem_find(struct tly_dstore *s, const char *key,
    struct tly_dstore_idem_hit *hit)
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc;

	memset(hit, 0, sizeof(*hit));
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "SELECT seq, id, nrecords, idem_body "
	    "FROM batches WHERE idem = ?", &st)) != TLY_OK ||
	    (r = tly_dstore_bind_text(s, st, 1, key)) != TLY_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = TLY_E_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = tly_dstore_db_fail(s->db, "idempotency key");
		goto out;
	}
	if (sqlite3_column_bytes(st, 1) != TLY_HASH_LEN ||
	    sqlite3_column_bytes(st, 3) != TLY_HASH_LEN) {
		r = tly_fail(TLY_E_DB, "store: malformed idempotency row");
		goto out;
	}
	hit->seq = (uint64_t)sqlite3_column_int64(st, 0);
	memcpy(hit->id, sqlite3_column_blob(st, 1), TLY_HASH_LEN);
	hit->nrecords = (uint64_t)sqlite3_column_int64(st, 2);
	memcpy(hit->body, sqlite3_column_blob(st, 3), TLY_HASH_LEN);
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}
