/*
 * store_public.c: the reader queries behind the public view
 * (PROTOCOL.md 8.10): the records held for one polling area.
 */
#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"
#include "common/json.h"

/* Every record held for area ?1, at most ?2 rows. */
static const char area_sql[] =
    "SELECT r.id, r.batch, r.device, r.seq, r.idx, r.level, r.round,"
    " EXISTS (SELECT 1 FROM chain AS c WHERE c.device = r.device"
    " AND c.seq = r.seq AND c.batch = r.batch)"
    " FROM records AS r WHERE r.area = ?1"
    " ORDER BY r.level, r.round, r.id LIMIT ?2";

int
tly_cstore_area_json(struct tly_cstore *s, const char *area, size_t max,
    struct tly_jw *w)
{
	sqlite3_stmt	*st = NULL;
	size_t		 n = 0;
	int		 rc, r;

	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if (sqlite3_prepare_v2(s->r, area_sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, area, -1, SQLITE_STATIC) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 2, (uint64_t)max + 1) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->r, "area records");
		goto out;
	}
	tly_jw_key(w, "records");
	tly_jw_arr_open(w);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		tly_jw_obj_open(w);
		tly_jw_key(w, "record");
		tly_jw_str(w, tly_cstore_col_text(st, 0));
		tly_jw_key(w, "batch");
		tly_jw_hex(w, sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1));
		tly_jw_key(w, "device");
		tly_jw_hex(w, sqlite3_column_blob(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2));
		tly_jw_key(w, "seq");
		tly_jw_uint(w, tly_cstore_col_u64(st, 3));
		tly_jw_key(w, "index");
		tly_jw_uint(w, tly_cstore_col_u64(st, 4));
		tly_jw_key(w, "level");
		tly_jw_str(w, tly_cstore_col_text(st, 5));
		tly_jw_key(w, "round");
		tly_jw_uint(w, tly_cstore_col_u64(st, 6));
		tly_jw_key(w, "applied");
		tly_jw_bool(w, sqlite3_column_int(st, 7) != 0);
		tly_jw_obj_close(w);
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->r, "area records");
		goto out;
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "more");
	tly_jw_bool(w, rc == SQLITE_ROW);
	r = TLY_OK;
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->rlock);
	return r;
}
