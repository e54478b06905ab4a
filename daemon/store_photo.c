/*
 * store_photo.c: the photos of signed paper records, kept by their
 * BLAKE2b-256 (the "photo" of a count record, PROTOCOL.md 5 and 9).
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "common/err.h"
#include "daemon/store.h"
#include "daemon/storeInt.h"

int
tly_dstore_photo_put(struct tly_dstore *s, const uint8_t hash[TLY_HASH_LEN],
    const void *p, size_t len, int *added)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	*added = 0;
	if (len == 0 || len > TLY_DSTORE_PHOTO_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "a photo holds 1 to %lu bytes",
		    TLY_DSTORE_PHOTO_MAX);
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "INSERT OR IGNORE INTO photos "
	    "(hash, data, added) VALUES (?, ?, ?)", &st)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 1, hash, TLY_HASH_LEN)) !=
	    TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 2, p, len)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 3, (uint64_t)time(NULL))) !=
	    TLY_OK ||
	    (r = tly_dstore_db_done(s, st)) != TLY_OK)
		goto out;
	*added = sqlite3_changes(s->db) > 0;
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_photo_count(struct tly_dstore *s, uint64_t *n, uint64_t *uploaded)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	*n = *uploaded = 0;
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "SELECT count(*), "
	    "coalesce(sum(uploaded), 0) FROM photos", &st)) != TLY_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = tly_dstore_db_fail(s->db, "photo count");
		goto out;
	}
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	*uploaded = (uint64_t)sqlite3_column_int64(st, 1);
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_photo_pending(struct tly_dstore *s, size_t max,
    uint8_t (*hashes)[TLY_HASH_LEN], size_t *n)
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc;

	*n = 0;
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "SELECT hash FROM photos WHERE "
	    "uploaded = 0 ORDER BY added, hash LIMIT ?", &st)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 1, max)) != TLY_OK)
		goto out;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != TLY_HASH_LEN)
			continue;
		memcpy(hashes[(*n)++], sqlite3_column_blob(st, 0),
		    TLY_HASH_LEN);
	}
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_photo_get(struct tly_dstore *s, const uint8_t hash[TLY_HASH_LEN],
    struct tly_buf *b)
{
	tly_buf_reset(b);
	return tly_dstore_blob(s, "SELECT data FROM photos WHERE hash = ?",
	    hash, 0, b);
}

int
tly_dstore_photo_uploaded(struct tly_dstore *s,
    const uint8_t hash[TLY_HASH_LEN])
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "UPDATE photos SET uploaded = 1 "
	    "WHERE hash = ?", &st)) == TLY_OK &&
	    (r = tly_dstore_bind_blob(s, st, 1, hash, TLY_HASH_LEN)) == TLY_OK)
		r = tly_dstore_db_done(s, st);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}
