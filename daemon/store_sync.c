/*
 * store_sync.c: the queries of the field daemon's sync loop: pending
 * batches, marking them sent, acknowledging them with their receipts,
 * their errors, the counts by state, lookups of one batch and the
 * devices with unacknowledged batches, own and relayed alike.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/err.h"
#include "daemon/store.h"
#include "daemon/storeInt.h"

void
tly_dstore_items_free(struct tly_dstore_item *items, size_t n)
{
	size_t	i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++)
		free(items[i].bytes);
	free(items);
}

int
tly_dstore_pending(struct tly_dstore *s, size_t max_n, size_t max_bytes,
    struct tly_dstore_item **itemsp, size_t *np)
{
	sqlite3_stmt		*st = NULL;
	struct tly_dstore_item	*items = NULL, *it;
	size_t			 n = 0, total = 0, blen;
	int			 r, rc;

	*itemsp = NULL;
	*np = 0;
	if (max_n == 0)
		return TLY_OK;
	if ((items = calloc(max_n, sizeof(*items))) == NULL)
		return TLY_E_NOMEM;
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s,
	    "SELECT k, seq, id, bytes, n FROM ("
	    " SELECT 0 AS k, x'' AS d, seq, id, bytes, nrecords AS n"
	    "  FROM batches WHERE " TLY_DSTORE_OPEN_SQL
	    " UNION ALL"
	    " SELECT 1, device, seq, id, bytes, nrecords FROM relay"
	    "  WHERE " TLY_DSTORE_OPEN_SQL ")"
	    " ORDER BY k, d, seq LIMIT ?", &st)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 1, max_n)) != TLY_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		blen = (size_t)sqlite3_column_bytes(st, 3);
		if (n > 0 && (blen > max_bytes || total > max_bytes - blen))
			break;
		if (sqlite3_column_bytes(st, 2) != TLY_HASH_LEN) {
			r = tly_fail(TLY_E_DB, "store: malformed batch id");
			goto out;
		}
		it = &items[n];
		it->kind = sqlite3_column_int(st, 0) ? TLY_DKIND_RELAY :
		    TLY_DKIND_OWN;
		it->seq = (uint64_t)sqlite3_column_int64(st, 1);
		memcpy(it->id, sqlite3_column_blob(st, 2), TLY_HASH_LEN);
		if ((it->bytes = malloc(blen > 0 ? blen : 1)) == NULL) {
			r = TLY_E_NOMEM;
			goto out;
		}
		memcpy(it->bytes, sqlite3_column_blob(st, 3), blen);
		it->len = blen;
		it->nrecords = (uint64_t)sqlite3_column_int64(st, 4);
		total += blen;
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = tly_dstore_db_fail(s->db, "pending");
		goto out;
	}
	if (n == 0) {
		free(items);
		items = NULL;
	}
	*itemsp = items;
	*np = n;
	items = NULL;		/* transferred */
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	tly_dstore_items_free(items, n);
	return r;
}

int
tly_dstore_mark_sent(struct tly_dstore *s, const struct tly_dstore_item *items,
    size_t n)
{
	sqlite3_stmt	*st[2] = { NULL, NULL };
	sqlite3_stmt	*q;
	size_t		 i;
	int		 r, intx = 0;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_begin(s, &intx)) != TLY_OK ||
	    (r = tly_dstore_db_prep(s, "UPDATE batches "
	    "SET attempts = attempts + 1, "
	    "state = CASE state WHEN 'acknowledged' THEN state ELSE 'sent' END "
	    "WHERE id = ?", &st[0])) != TLY_OK ||
	    (r = tly_dstore_db_prep(s, "UPDATE relay "
	    "SET attempts = attempts + 1, "
	    "state = CASE state WHEN 'acknowledged' THEN state ELSE 'sent' END "
	    "WHERE id = ?", &st[1])) != TLY_OK)
		goto out;
	for (i = 0; i < n; i++) {
		q = st[items[i].kind == TLY_DKIND_RELAY];
		sqlite3_reset(q);
		if ((r = tly_dstore_bind_blob(s, q, 1, items[i].id,
		    TLY_HASH_LEN)) != TLY_OK ||
		    (r = tly_dstore_db_done(s, q)) != TLY_OK)
			goto out;
	}
 out:
	sqlite3_finalize(st[0]);
	sqlite3_finalize(st[1]);
	r = tly_dstore_db_end(s, intx, r);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_ack(struct tly_dstore *s, enum tly_dkind kind,
    const uint8_t id[TLY_HASH_LEN], const uint8_t *receipt, size_t len,
    uint64_t acked_at)
{
	sqlite3_stmt	*st = NULL;
	char		 sql[200];
	int		 r;

	snprintf(sql, sizeof(sql), "UPDATE %s SET state = 'acknowledged', "
	    "receipt = coalesce(receipt, ?), acked_at = coalesce(acked_at, ?), "
	    "last_error = NULL, reject_code = NULL, reject_message = NULL "
	    "WHERE id = ?", tly_dstore_kind_table(kind));
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, sql, &st)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 1, receipt, len)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 2, acked_at)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 3, id, TLY_HASH_LEN)) != TLY_OK ||
	    (r = tly_dstore_db_done(s, st)) != TLY_OK)
		goto out;
	if (sqlite3_changes(s->db) == 0)
		r = TLY_E_NOTFOUND;
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/*
 * Run sql, an UPDATE of one row "... WHERE id = ?" whose other
 * parameters are the texts t[0..n) (NULL binds NULL), then the id.
 * TLY_E_NOTFOUND when no row changed.
 */
static int
store_update(struct tly_dstore *s, const char *sql, const char *const *t,
    int n, const uint8_t id[TLY_HASH_LEN])
{
	sqlite3_stmt	*st = NULL;
	int		 i, r;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, sql, &st)) != TLY_OK)
		goto out;
	for (i = 0; i < n && r == TLY_OK; i++)
		if (t[i] != NULL)
			r = tly_dstore_bind_text(s, st, i + 1, t[i]);
		else if (sqlite3_bind_null(st, i + 1) != SQLITE_OK)
			r = tly_dstore_db_fail(s->db, "bind");
	if (r != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, n + 1, id, TLY_HASH_LEN)) !=
	    TLY_OK || (r = tly_dstore_db_done(s, st)) != TLY_OK)
		goto out;
	if (sqlite3_changes(s->db) == 0)
		r = TLY_E_NOTFOUND;
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_reject(struct tly_dstore *s, enum tly_dkind kind,
    const uint8_t id[TLY_HASH_LEN], const char *code, const char *message)
{
	const char	*t[3];
	char		 sql[200], last[600];

	snprintf(last, sizeof(last), "%s: %s", code, message);
	snprintf(sql, sizeof(sql), "UPDATE %s SET reject_code = ?, "
	    "reject_message = ?, last_error = ? WHERE state != "
	    "'acknowledged' AND id = ?", tly_dstore_kind_table(kind));
	t[0] = code;
	t[1] = message;
	t[2] = last;
	return store_update(s, sql, t, 3, id);
}

int
tly_dstore_set_error(struct tly_dstore *s, enum tly_dkind kind,
    const uint8_t id[TLY_HASH_LEN], const char *msg)
{
	char	sql[80];

	snprintf(sql, sizeof(sql), "UPDATE %s SET last_error = ? WHERE id = ?",
	    tly_dstore_kind_table(kind));
	return store_update(s, sql, &msg, 1, id);
}

/* Sum column 1 of a (state, n) query into counts by state. */
static int
store_state_sums(struct tly_dstore *s, const char *sql,
    uint64_t counts[TLY_DSTATE_N])
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc;

	memset(counts, 0, TLY_DSTATE_N * sizeof(counts[0]));
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, sql, &st)) != TLY_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		counts[tly_dstore_state_parse(sqlite3_column_text(st, 0))] +=
		    (uint64_t)sqlite3_column_int64(st, 1);
	if (rc != SQLITE_DONE)
		r = tly_dstore_db_fail(s->db, "counts");
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_counts(struct tly_dstore *s, uint64_t counts[TLY_DSTATE_N])
{
	return store_state_sums(s, "SELECT " TLY_DSTORE_STATE_SQL
	    ", count(*) FROM batches GROUP BY 1", counts);
}

int
tly_dstore_record_counts(struct tly_dstore *s, uint64_t counts[TLY_DSTATE_N])
{
	return store_state_sums(s, "SELECT " TLY_DSTORE_STATE_SQL
	    ", sum(nrecords) FROM batches GROUP BY 1", counts);
}

int
tly_dstore_relay_counts(struct tly_dstore *s, uint64_t counts[TLY_DSTATE_N])
{
	return store_state_sums(s, "SELECT " TLY_DSTORE_STATE_SQL
	    ", count(*) FROM relay GROUP BY 1", counts);
}

int
tly_dstore_find(struct tly_dstore *s, enum tly_dkind kind,
    const uint8_t id[TLY_HASH_LEN], struct tly_dstore_found *f)
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc;

	memset(f, 0, sizeof(*f));
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, kind == TLY_DKIND_RELAY ?
	    "SELECT seq, device, nrecords, " TLY_DSTORE_STATE_SQL
	    " FROM relay WHERE id = ?" :
	    "SELECT seq, x'', nrecords, " TLY_DSTORE_STATE_SQL
	    " FROM batches WHERE id = ?",
	    &st)) != TLY_OK ||
	    (r = tly_dstore_bind_blob(s, st, 1, id, TLY_HASH_LEN)) != TLY_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = TLY_E_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = tly_dstore_db_fail(s->db, "find");
		goto out;
	}
	f->seq = (uint64_t)sqlite3_column_int64(st, 0);
	if (sqlite3_column_bytes(st, 1) == TLY_PK_LEN)
		memcpy(f->device, sqlite3_column_blob(st, 1), TLY_PK_LEN);
	f->nrecords = (uint64_t)sqlite3_column_int64(st, 2);
	f->state = tly_dstore_state_parse(sqlite3_column_text(st, 3));
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_unacked_devices(struct tly_dstore *s, size_t max_n,
    struct tly_dstore_dev **devsp, size_t *np)
{
	sqlite3_stmt		*st = NULL;
	struct tly_dstore_dev	*devs = NULL, *dv;
	size_t			 n = 0;
	int			 r, rc;

	*devsp = NULL;
	*np = 0;
	if (max_n == 0)
		return TLY_OK;
	if ((devs = calloc(max_n, sizeof(*devs))) == NULL)
		return TLY_E_NOMEM;
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s,
	    "SELECT k, d, mn, n, ns, mx FROM ("
	    " SELECT 0 AS k, x'' AS d, min(seq) AS mn, count(*) AS n,"
	    "  sum(state = 'sent') AS ns, max(seq) AS mx FROM batches"
	    "  WHERE " TLY_DSTORE_OPEN_SQL
	    " UNION ALL"
	    " SELECT 1, device, min(seq), count(*), sum(state = 'sent'),"
	    "  max(seq) FROM relay WHERE " TLY_DSTORE_OPEN_SQL
	    "  GROUP BY device)"
	    " WHERE n > 0 ORDER BY k, d LIMIT ?", &st)) != TLY_OK ||
	    (r = tly_dstore_bind_u64(s, st, 1, max_n)) != TLY_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dv = &devs[n++];
		dv->kind = sqlite3_column_int(st, 0) ? TLY_DKIND_RELAY :
		    TLY_DKIND_OWN;
		if (sqlite3_column_bytes(st, 1) == TLY_PK_LEN)
			memcpy(dv->device, sqlite3_column_blob(st, 1),
			    TLY_PK_LEN);
		dv->min_seq = (uint64_t)sqlite3_column_int64(st, 2);
		dv->nunacked = (uint64_t)sqlite3_column_int64(st, 3);
		dv->nsent = (uint64_t)sqlite3_column_int64(st, 4);
		dv->max_seq = (uint64_t)sqlite3_column_int64(st, 5);
	}
	if (rc != SQLITE_DONE) {
		r = tly_dstore_db_fail(s->db, "unacked devices");
		goto out;
	}
	if (n > 0) {
		*devsp = devs;
		*np = n;
		devs = NULL;
	}
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	free(devs);
	return r;
}

int
tly_dstore_unacked(struct tly_dstore *s, uint64_t *n)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	*n = 0;
	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s, "SELECT (SELECT count(*) FROM batches "
	    "WHERE " TLY_DSTORE_OPEN_SQL ") + (SELECT count(*) FROM relay "
	    "WHERE " TLY_DSTORE_OPEN_SQL ")", &st)) != TLY_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = tly_dstore_db_fail(s->db, "unacked");
		goto out;
	}
	*n = (uint64_t)sqlite3_column_int64(st, 0);
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
tly_dstore_foreach_receipt(struct tly_dstore *s,
    int (*fn)(void *arg, const uint8_t *m, size_t len), void *arg)
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc;

	pthread_mutex_lock(&s->mu);
	if ((r = tly_dstore_db_prep(s,
	    "SELECT 0 AS k, x'' AS d, seq, receipt FROM batches"
	    " WHERE receipt IS NOT NULL"
	    " UNION ALL SELECT 1, device, seq, receipt FROM relay"
	    " WHERE receipt IS NOT NULL ORDER BY k, d, seq", &st)) != TLY_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = fn(arg, sqlite3_column_blob(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3))) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = tly_dstore_db_fail(s->db, "receipts");
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}
