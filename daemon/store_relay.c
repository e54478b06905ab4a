/*
 * store_relay.c: the relay table of the field daemon's store: batches of
 * other devices taken in from bundles, kept unchanged.  The queries that
 * deliver them are in store_sync.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/err.h"
#include "daemon/store.h"
#include "daemon/storeInt.h"

int
tly_dstore_relay_add(struct tly_dstore *s, const uint8_t id[TLY_HASH_LEN],
    const uint8_t device[TLY_PK_LEN], uint64_t seq, const uint8_t *bytes,
    size_t len, uint64_t nrecords, uint64_t received, enum tly_drelay *res)
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc, intx = 0;

	*res = TLY_DRELAY_STORED;
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_begin(s, &intx)) != TLY_OK)
		goto out;
	if ((r = tly_dstore_db_prep(s, "SELECT id = ? FROM relay "
	    "WHERE id = ? OR (device = ? AND seq = ?) ORDER BY 1 DESC LIMIT 1",
	    &st)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 1, id, TLY_HASH_LEN)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 2, id, TLY_HASH_LEN)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 3, device, TLY_PK_LEN)) !=
	    TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 4, seq)) != TLY_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*res = sqlite3_column_int(st, 0) ? TLY_DRELAY_DUPLICATE :
		    TLY_DRELAY_CONFLICT;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		r = tly_dstore_db_fail(s->db, "relay lookup");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = tly_dstore_db_prep(s, "INSERT INTO relay (id, device, seq, "
	    "bytes, received, nrecords) VALUES (?, ?, ?, ?, ?, ?)", &st)) !=
	    TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 1, id, TLY_HASH_LEN)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 2, device, TLY_PK_LEN)) !=
	    TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 3, seq)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 4, bytes, len)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 5, received)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 6, nrecords)) != TLY_OK)
		goto out;
	r = tly_dstore_db_done(s, st);
 out:
	sqlite3_finalize(st);
	r = tly_dstore_db_end(s, intx, r);
	pthread_mutex_unlock(&s->mu);
	return r;
}
