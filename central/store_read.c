/*
 * store_read.c: the reader connection of the central's store: device
 * logs, receipts, the audit feed, evidence, held batches and the
 * rejection count.  Runs beside a writer transaction (WAL mode) without
 * waiting for it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"
#include "common/json.h"
#include "merge/merge.h"
#include "sync/api.h"
#include "sync/feed.h"

/* The applied records and their supersede edges (store_heads.c). */
#define APPLIED_JOIN \
	" FROM chain AS c JOIN records AS r ON r.device = c.device" \
	" AND r.seq = c.seq AND r.batch = c.batch"

const char *const tly_cstore_rsql[R_COUNT_] = {
	[R_BEGIN] = "BEGIN",
	[R_END] = "COMMIT",
	[R_DEV] = "SELECT head, head_id, applied, frozen FROM devices"
	    " WHERE device = ?1",
	[R_PENDING] = "SELECT DISTINCT seq FROM batches WHERE device = ?1"
	    " AND seq > ?2 ORDER BY seq LIMIT ?3",
	[R_RECEIPTS] = "SELECT seq, id, receipt FROM batches"
	    " WHERE device = ?1 AND seq >= ?2 ORDER BY seq, id",
	[R_FEED] = "SELECT pos, id, device, seq, bytes, 0, receipt FROM batches"
	    " WHERE pos > ?1 UNION ALL"
	    " SELECT pos, id, signer, 0, bytes, 1, receipt FROM decisions"
	    " WHERE pos > ?1 ORDER BY pos LIMIT ?2",
	[R_FEED_MORE] = "SELECT (SELECT count(*) FROM (SELECT 1 FROM batches"
	    " WHERE pos > ?1 LIMIT 1)) + (SELECT count(*) FROM (SELECT 1"
	    " FROM decisions WHERE pos > ?1 LIMIT 1))",
	[R_EVID] = "SELECT e.device, e.seq, e.kind, e.a, e.b, e.resolved,"
	    " ba.bytes, bb.bytes FROM evidence AS e"
	    " JOIN batches AS ba ON ba.id = e.a"
	    " JOIN batches AS bb ON bb.id = e.b"
	    " ORDER BY e.device, e.seq, e.a, e.b LIMIT ?1",
	[R_FROZEN] = "SELECT device, frozen FROM devices WHERE frozen > 0"
	    " ORDER BY device",
	[R_KEPT] = "SELECT device, min(batch), seq FROM kept"
	    " GROUP BY device, seq ORDER BY device, 2",
	[R_BATCH] = "SELECT bytes, receipt FROM batches WHERE id = ?1",
	[R_NREJ] = "SELECT count(*) FROM rejections",
	[R_GEN] = "SELECT value FROM meta WHERE name = 'generation'",
	[R_DEVICES_ALL] = "SELECT device, head, applied, frozen FROM devices"
	    " ORDER BY device",
	[R_EVID_ALL] = "SELECT device, seq, kind, a, b FROM evidence"
	    " ORDER BY device, seq, a, b",
	[R_APPLIED_RECS] = "SELECT r.id, r.device, r.seq, r.idx, r.area,"
	    " r.level, r.round, r.counts, substr(b.bytes, -64)"
	    APPLIED_JOIN " JOIN batches AS b ON b.id = c.batch"
	    " ORDER BY r.area, r.level, r.round, r.id",
	[R_APPLIED_SUP] = "SELECT s.record, s.target" APPLIED_JOIN
	    " JOIN supersedes AS s ON s.record = r.id",
	[R_BODY] = "SELECT body FROM records WHERE id = ?1",
	[R_NBATCHES] = "SELECT count(*) FROM batches",
	[R_NAPPLIED] = "SELECT count(*) FROM chain",
	[R_RESOLVES] = "SELECT area, level, round, record, issued, id, over"
	    " FROM decisions WHERE kind = 'resolve'",
	[R_BATCH_KEYS] = "SELECT DISTINCT area, level, round FROM records"
	    " WHERE device = ?1 AND seq = ?2 AND batch = ?3",
	[R_DEVICE_KEYS] = "SELECT DISTINCT area, level, round FROM records"
	    " WHERE device = ?1",
	[R_KEY_RECS] = "SELECT r.id, r.device, r.seq, r.idx, r.area,"
	    " r.level, r.round, r.counts, substr(b.bytes, -64)"
	    APPLIED_JOIN " JOIN batches AS b ON b.id = c.batch"
	    " WHERE r.area = ?1 AND r.level = ?2 AND r.round = ?3"
	    " ORDER BY r.id",
	[R_KEY_SUP] = "SELECT s.record, s.target FROM records AS r"
	    " JOIN supersedes AS s ON s.record = r.id"
	    " WHERE r.area = ?1 AND r.level = ?2 AND r.round = ?3",
	/* 0: no explicit supersede, 1: all within keys, 2: one across. */
	[R_CROSS_SUP] = "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM supersedes)"
	    " THEN 0 WHEN EXISTS (SELECT 1 FROM supersedes AS s"
	    " JOIN records AS r ON r.id = s.record"
	    " JOIN records AS t ON t.id = s.target"
	    " WHERE r.area != t.area OR r.level != t.level"
	    " OR r.round != t.round) THEN 2 ELSE 1 END",
	/* The keys whose records supersede, or are superseded by, a
	 * record of one key. */
	[R_KEY_LINKS] = "SELECT t.area, t.level, t.round FROM records AS r"
	    " JOIN supersedes AS s ON s.record = r.id"
	    " JOIN records AS t ON t.id = s.target"
	    " WHERE r.area = ?1 AND r.level = ?2 AND r.round = ?3"
	    " UNION SELECT r.area, r.level, r.round FROM records AS t"
	    " JOIN supersedes AS s ON s.target = t.id"
	    " JOIN records AS r ON r.id = s.record"
	    " WHERE t.area = ?1 AND t.level = ?2 AND t.round = ?3",
};

int
tly_cstore_device(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN],
    struct tly_cstore_dev *d)
{
	sqlite3_stmt	*st = s->rs[R_DEV];
	int		 rc, r;

	memset(d, 0, sizeof(*d));
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->r, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	r = TLY_OK;
	if (rc == SQLITE_ROW) {
		d->head = tly_cstore_col_u64(st, 0);
		if (tly_cstore_col_id(st, 1, d->head_id) != 0)
			r = tly_fail(TLY_E_DB, "device head id");
		d->applied = tly_cstore_col_u64(st, 2);
		d->frozen = tly_cstore_col_u64(st, 3);
	} else if (rc != SQLITE_DONE)
		r = tly_cstore_db_fail(s->r, "device");
 out:
	tly_cstore_st_done(st);
	pthread_mutex_unlock(&s->rlock);
	return r;
}

int
tly_cstore_head(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN],
    uint64_t *head, uint8_t id[TLY_HASH_LEN])
{
	struct tly_cstore_dev	d;
	int			r;

	r = tly_cstore_device(s, device, &d);
	*head = d.head;
	memcpy(id, d.head_id, TLY_HASH_LEN);
	return r;
}

int
tly_cstore_device_head(struct tly_cstore *s,
    const uint8_t device[TLY_PK_LEN], struct tly_api_head *h)
{
	sqlite3_stmt		*st = s->rs[R_PENDING];
	struct tly_cstore_dev	 d;
	int			 rc, r;

	memset(h, 0, sizeof(*h));
	memcpy(h->device, device, TLY_PK_LEN);
	if ((r = tly_cstore_device(s, device, &d)) != TLY_OK)
		return r;
	h->head = d.head;
	h->has_batch = d.head > 0;
	memcpy(h->batch, d.head_id, TLY_HASH_LEN);
	h->applied = d.applied;
	h->has_frozen = 1;
	h->frozen = d.frozen;
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 2, d.head) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 3, TLY_API_PENDING_MAX) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->r, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    h->npending < TLY_API_PENDING_MAX)
		h->pending[h->npending++] = tly_cstore_col_u64(st, 0);
	r = rc == SQLITE_DONE || rc == SQLITE_ROW ? TLY_OK :
	    tly_cstore_db_fail(s->r, "pending");
 out:
	tly_cstore_st_done(st);
	pthread_mutex_unlock(&s->rlock);
	return r;
}

int
tly_cstore_receipts(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN],
    uint64_t from, struct tly_api_receipts *p)
{
	sqlite3_stmt	*st = s->rs[R_RECEIPTS];
	uint64_t	 seq, last = 0;
	uint8_t		 id[TLY_HASH_LEN];
	int		 rc, r;

	tly_api_receipts_init(p, device);
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 2, from) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->r, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = tly_cstore_col_u64(st, 0);
		/* Stop at a seq boundary once a page is full. */
		if (p->n >= TLY_API_RECEIPTS_PAGE && seq != last) {
			p->next = seq;
			break;
		}
		if (tly_cstore_col_id(st, 1, id) != 0) {
			r = tly_fail(TLY_E_DB, "receipts: batch id");
			goto out;
		}
		if ((r = tly_api_receipts_add(p, seq, id,
		    sqlite3_column_blob(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2))) != TLY_OK)
			goto out;
		last = seq;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = tly_cstore_db_fail(s->r, "receipts");
 out:
	tly_cstore_st_done(st);
	pthread_mutex_unlock(&s->rlock);
	return r;
}

/* Copy row st of R_FEED into entry e. */
static int
feed_entry(sqlite3_stmt *st, struct tly_feed_entry *e)
{
	int	r;

	memset(e, 0, sizeof(*e));
	tly_buf_init(&e->bytes, TLY_MSG_MAX);
	tly_buf_init(&e->receipt, TLY_RECEIPT_MAX);
	e->pos = tly_cstore_col_u64(st, 0);
	e->decision = sqlite3_column_int(st, 5) != 0;
	if (tly_cstore_col_id(st, 1, e->batch) != 0 ||
	    sqlite3_column_bytes(st, 2) != TLY_PK_LEN)
		return tly_fail(TLY_E_DB, "feed position %llu: ids",
		    (unsigned long long)e->pos);
	memcpy(e->device, sqlite3_column_blob(st, 2), TLY_PK_LEN);
	e->seq = tly_cstore_col_u64(st, 3);
	if ((r = tly_buf_add(&e->bytes, sqlite3_column_blob(st, 4),
	    (size_t)sqlite3_column_bytes(st, 4))) != TLY_OK)
		return r;
	/* Its receipt, for its receipt time (12.7, 13.7). */
	if (sqlite3_column_type(st, 6) == SQLITE_BLOB &&
	    (r = tly_buf_add(&e->receipt, sqlite3_column_blob(st, 6),
	    (size_t)sqlite3_column_bytes(st, 6))) != TLY_OK)
		return r;
	return TLY_OK;
}

int
tly_cstore_feed(struct tly_cstore *s, uint64_t after, size_t max,
    size_t maxbytes, struct tly_feed *f)
{
	sqlite3_stmt	*st = s->rs[R_FEED];
	uint64_t	 more = 0;
	size_t		 bytes = 0, len;
	int		 rc, r, began = 0;

	f->next = after;
	f->more = 0;
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if ((r = tly_cstore_st_exec(s->r, s->rs[R_BEGIN], "begin read")) !=
	    TLY_OK)
		goto out;
	began = 1;
	if (tly_cstore_bind_u64(st, 1, after) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 2, max) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->r, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		len = (size_t)sqlite3_column_bytes(st, 4);
		if (f->n > 0 && bytes + len > maxbytes)
			break;
		bytes += len;
		if ((r = tly_feed_reserve(f)) != TLY_OK)
			goto out;
		r = feed_entry(st, &f->e[f->n]);
		f->n++;		/* freed by tly_feed_free() */
		if (r != TLY_OK)
			goto out;
		f->next = f->e[f->n - 1].pos;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->r, "feed");
		goto out;
	}
	tly_cstore_st_done(st);
	st = s->rs[R_FEED_MORE];
	if (tly_cstore_bind_u64(st, 1, f->next) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->r, "bind");
		goto out;
	}
	if ((r = tly_cstore_one_u64(s->r, st, &more, "feed")) != TLY_OK)
		goto out;
	f->more = more > 0;
 out:
	tly_cstore_st_done(st);
	if (began)
		tly_cstore_st_exec(s->r, s->rs[R_END], "end read");
	pthread_mutex_unlock(&s->rlock);
	return r;
}

/* Copy blob column i of st (at most max bytes) into *p, *len. */
static int
col_dup(struct tly_cstore *s, sqlite3_stmt *st, int i, size_t max,
    uint8_t **p, size_t *len)
{
	size_t	n = (size_t)sqlite3_column_bytes(st, i);

	if (n > max)
		return tly_fail(TLY_E_TOO_LARGE, "evidence over %zu bytes",
		    max);
	if ((*p = malloc(n + 1)) == NULL)
		return TLY_E_NOMEM;
	if (n > 0)
		memcpy(*p, sqlite3_column_blob(st, i), n);
	*len = n;
	return TLY_OK;
}

/* Load the frozen devices and kept decisions of ev (inside a read tx). */
static int
evidence_lists(struct tly_cstore *s, struct tly_api_evidence *ev)
{
	sqlite3_stmt	*st = s->rs[R_FROZEN];
	size_t		 cap = 0;
	int		 rc, r = TLY_OK;

	while (r == TLY_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&ev->frozen, &cap,
		    ev->nfrozen, sizeof(*ev->frozen), TLY_MERGE_RECS_MAX,
		    "frozen devices")) != TLY_OK)
			break;
		if ((r = tly_cstore_col_id(st, 0,
		    ev->frozen[ev->nfrozen].device)) != TLY_OK)
			break;
		ev->frozen[ev->nfrozen++].seq = tly_cstore_col_u64(st, 1);
	}
	tly_cstore_st_done(st);
	if (r != TLY_OK)
		return r;
	if (rc != SQLITE_DONE)
		return tly_cstore_db_fail(s->r, "frozen");
	st = s->rs[R_KEPT];
	cap = 0;
	while (r == TLY_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&ev->kept, &cap, ev->nkept,
		    sizeof(*ev->kept), TLY_MERGE_RECS_MAX, "kept decisions")) !=
		    TLY_OK ||
		    (r = tly_cstore_col_id(st, 0, ev->kept[ev->nkept].device)) !=
		    TLY_OK ||
		    (r = tly_cstore_col_id(st, 1, ev->kept[ev->nkept].batch)) !=
		    TLY_OK)
			break;
		ev->kept[ev->nkept++].seq = tly_cstore_col_u64(st, 2);
	}
	tly_cstore_st_done(st);
	if (r != TLY_OK)
		return r;
	if (rc != SQLITE_DONE)
		return tly_cstore_db_fail(s->r, "kept");
	return TLY_OK;
}

int
tly_cstore_evidence(struct tly_cstore *s, size_t max, size_t maxbytes,
    struct tly_api_evidence *ev)
{
	sqlite3_stmt		*st = s->rs[R_EVID];
	struct tly_api_proof	*p;
	size_t			 bytes = 0, cap = 0;
	int			 rc = SQLITE_DONE, r, began = 0;

	memset(ev, 0, sizeof(*ev));
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if ((r = tly_cstore_st_exec(s->r, s->rs[R_BEGIN], "begin read")) !=
	    TLY_OK)
		goto out;
	began = 1;
	if ((r = evidence_lists(s, ev)) != TLY_OK)
		goto out;
	if ((r = tly_cstore_bind_u64(st, 1, max + 1)) != TLY_OK)
		goto out;
	while (ev->nproofs < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&ev->proofs, &cap,
		    ev->nproofs, sizeof(*ev->proofs), max, "proofs")) !=
		    TLY_OK)
			goto out;
		p = &ev->proofs[ev->nproofs++];
		memset(p, 0, sizeof(*p));
		snprintf(p->kind, sizeof(p->kind), "%s",
		    tly_cstore_col_text(st, 2));
		p->seq = tly_cstore_col_u64(st, 1);
		p->resolved = sqlite3_column_int(st, 5) != 0;
		if ((r = tly_cstore_col_id(st, 0, p->device)) != TLY_OK ||
		    (r = tly_cstore_col_id(st, 3, p->batch[0])) != TLY_OK ||
		    (r = tly_cstore_col_id(st, 4, p->batch[1])) != TLY_OK ||
		    (r = col_dup(s, st, 6, maxbytes - bytes, &p->bytes[0],
		    &p->len[0])) != TLY_OK ||
		    (r = col_dup(s, st, 7, maxbytes - bytes - p->len[0],
		    &p->bytes[1], &p->len[1])) != TLY_OK)
			goto out;
		bytes += p->len[0] + p->len[1];
	}
	/* One row past max means more. */
	if (ev->nproofs == max)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->r, "evidence");
		goto out;
	}
	ev->more = rc == SQLITE_ROW;
	r = TLY_OK;
 out:
	tly_cstore_st_done(st);
	if (began)
		tly_cstore_st_exec(s->r, s->rs[R_END], "end read");
	pthread_mutex_unlock(&s->rlock);
	if (r != TLY_OK)
		tly_api_evidence_free(ev);
	return r;
}

int
tly_cstore_batch(struct tly_cstore *s, const uint8_t id[TLY_HASH_LEN],
    struct tly_buf *bytes, struct tly_buf *receipt)
{
	sqlite3_stmt	*st = s->rs[R_BATCH];
	int		 rc, r;

	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if (tly_cstore_bind_blob(st, 1, id, TLY_HASH_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->r, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = TLY_E_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = tly_cstore_db_fail(s->r, "batch");
		goto out;
	}
	r = TLY_OK;
	if (bytes != NULL)
		r = tly_buf_add(bytes, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
	if (r == TLY_OK && receipt != NULL)
		r = tly_buf_add(receipt, sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1));
 out:
	tly_cstore_st_done(st);
	pthread_mutex_unlock(&s->rlock);
	return r;
}

int
tly_cstore_nrejections(struct tly_cstore *s, uint64_t *n)
{
	int	r;

	*n = 0;
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	r = tly_cstore_one_u64(s->r, s->rs[R_NREJ], n, "count rejections");
	pthread_mutex_unlock(&s->rlock);
	return r;
}

uint64_t
tly_cstore_generation(struct tly_cstore *s)
{
	uint64_t	g = 0;

	if (tly_cstore_lock(&s->rlock) != TLY_OK)
		return 0;
	if (tly_cstore_one_u64(s->r, s->rs[R_GEN], &g, "generation") != TLY_OK)
		g = 0;
	pthread_mutex_unlock(&s->rlock);
	return g;
}
