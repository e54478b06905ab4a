/*
 * store_merge.c: records and the per-device state on the writer
 * connection.  A device's applied chain, freeze and equivocation proofs
 * (PROTOCOL.md 12.2, 12.3) are recomputed by the merge engine (merge/)
 * from its held batch headers and kept decisions alone, so that they
 * never depend on arrival order; this file only loads and saves them.
 * Storing a batch and opening the store (with its one-time rebuild)
 * live here too, above the connection layer of store_conn.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"
#include "common/json.h"
#include "merge/merge.h"

#define COUNTS_MAX	8192		/* a counts string */
#define BODY_MAX	(64 * 1024)	/* a record's JSON */

/* One device's inputs to the merge engine. */
struct dev {
	struct tly_merge_batch	*b;		/* its held batch headers */
	size_t			 n;		/* entries used */
	size_t			 cap;		/* entries allocated */
	uint8_t			(*kept)[TLY_HASH_LEN];	/* ids its kept
						   decisions name */
	size_t			 nkept;		/* entries used */
	size_t			 capk;		/* entries allocated */
};

int
tly_cstore_rows(const struct tly_batch *b, struct tly_cstore_rows *rows)
{
	struct tly_jw	w;
	size_t		i;
	int		r = TLY_OK;

	tly_buf_init(&rows->text, (BODY_MAX + COUNTS_MAX) * TLY_RECORDS_MAX);
	for (i = 0; i < b->nrecords && r == TLY_OK; i++) {
		tly_jw_init(&w, &rows->text);
		tly_record_to_json(&b->records[i], &w);
		if ((r = tly_jw_finish(&w)) == TLY_OK &&
		    (r = tly_buf_add(&rows->text, "", 1)) == TLY_OK)
			r = tly_merge_counts(&b->records[i], &rows->text);
	}
	if (r != TLY_OK)
		tly_cstore_rows_free(rows);
	return r;
}

void
tly_cstore_rows_free(struct tly_cstore_rows *rows)
{
	tly_buf_free(&rows->text);
}

/*
 * Insert record i of batch b and its explicit supersedes; *text is its
 * JSON then its counts string (tly_cstore_rows), and is moved past them.
 */
static int
put_record(struct tly_cstore *s, const struct tly_batch *b, size_t i,
    const char **text, const char *end)
{
	const struct tly_record	*rec = &b->records[i];
	sqlite3_stmt		*st = s->ws[W_INSERT_RECORD];
	const char		*body, *counts;
	char			 rid[96];
	size_t			 j, blen, clen;
	int			 r;

	body = *text;
	if ((blen = strnlen(body, (size_t)(end - body))) == (size_t)(end - body))
		return tly_fail(TLY_E_INVAL, "record %zu: no stored form", i);
	counts = body + blen + 1;
	if ((clen = strnlen(counts, (size_t)(end - counts))) ==
	    (size_t)(end - counts))
		return tly_fail(TLY_E_INVAL, "record %zu: no counts", i);
	*text = counts + clen + 1;
	tly_record_id(b->id, i, rid, sizeof(rid));
	if (sqlite3_bind_text(st, 1, rid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, b->id, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 3, b->device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 4, b->seq) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 5, i) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, rec->area, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 7, rec->level, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 8, rec->constituency, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    tly_cstore_bind_u64(st, 9, rec->round) != SQLITE_OK ||
	    sqlite3_bind_text(st, 10, counts, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 11, body, (int)blen, SQLITE_STATIC) !=
	    SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind record");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "insert record")) != TLY_OK)
		return r;
	st = s->ws[W_INSERT_SUP];
	for (j = 0; j < rec->nsupersedes; j++) {
		if (sqlite3_bind_text(st, 1, rid, -1, SQLITE_STATIC) !=
		    SQLITE_OK || sqlite3_bind_text(st, 2, rec->supersedes[j],
		    -1, SQLITE_STATIC) != SQLITE_OK) {
			tly_cstore_st_done(st);
			return tly_cstore_db_fail(s->w, "bind supersedes");
		}
		if ((r = tly_cstore_st_exec(s->w, st, "insert supersedes")) !=
		    TLY_OK)
			return r;
	}
	return TLY_OK;
}

/* Insert the records of parsed batch b (and their supersedes). */
static int
put_records(struct tly_cstore *s, const struct tly_batch *b,
    const struct tly_cstore_rows *rows)
{
	const char	*text = (const char *)rows->text.p;
	const char	*end = text + rows->text.len;
	size_t		 i;
	int		 r = TLY_OK;

	for (i = 0; i < b->nrecords && r == TLY_OK; i++)
		r = put_record(s, b, i, &text, end);
	return r;
}

/* Load the device's held batch headers and its kept decisions. */
static int
load_device(struct tly_cstore *s, const uint8_t *device, struct dev *d)
{
	sqlite3_stmt	*st = s->ws[W_DEV_BATCHES];
	int		 rc, r;

	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&d->b, &d->cap, d->n,
		    sizeof(*d->b), TLY_MERGE_HELD_MAX, "held batches")) !=
		    TLY_OK)
			goto out;
		memset(&d->b[d->n], 0, sizeof(d->b[d->n]));
		if (tly_cstore_col_id(st, 0, d->b[d->n].id) != 0 ||
		    tly_cstore_col_id(st, 2, d->b[d->n].prev) != 0) {
			r = tly_fail(TLY_E_DB, "a held batch has a bad id");
			goto out;
		}
		d->b[d->n].seq = tly_cstore_col_u64(st, 1);
		d->n++;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->w, "held");
		goto out;
	}
	tly_cstore_st_done(st);
	st = s->ws[W_DEV_KEPT];
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&d->kept, &d->capk,
		    d->nkept, sizeof(*d->kept), TLY_MERGE_HELD_MAX,
		    "kept decisions")) != TLY_OK)
			goto out;
		if (tly_cstore_col_id(st, 0, d->kept[d->nkept]) == 0)
			d->nkept++;
	}
	r = rc == SQLITE_DONE ? TLY_OK : tly_cstore_db_fail(s->w, "kept");
 out:
	tly_cstore_st_done(st);
	return r;
}

/* Replace the device's proofs by those of m. */
static int
save_proofs(struct tly_cstore *s, const uint8_t *device, const struct dev *d,
    const struct tly_merge_dev *m)
{
	const struct tly_merge_proof	*p;
	sqlite3_stmt			*st = s->ws[W_EVID_DEL];
	size_t				 i;
	int				 r;

	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "delete evidence")) != TLY_OK)
		return r;
	st = s->ws[W_EVID_INS];
	for (i = 0; i < m->nproofs; i++) {
		p = &m->proofs[i];
		if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) !=
		    SQLITE_OK || tly_cstore_bind_u64(st, 2, p->seq) !=
		    SQLITE_OK || sqlite3_bind_text(st, 3,
		    tly_merge_kind_name(p->kind), -1, SQLITE_STATIC) !=
		    SQLITE_OK || tly_cstore_bind_blob(st, 4, d->b[p->a].id,
		    TLY_HASH_LEN) != SQLITE_OK || tly_cstore_bind_blob(st, 5,
		    d->b[p->b].id, TLY_HASH_LEN) != SQLITE_OK ||
		    sqlite3_bind_int(st, 6, p->resolved) != SQLITE_OK) {
			tly_cstore_st_done(st);
			return tly_cstore_db_fail(s->w, "bind evidence");
		}
		if ((r = tly_cstore_st_exec(s->w, st, "insert evidence")) !=
		    TLY_OK)
			return r;
	}
	return TLY_OK;
}

/* Insert chain rows seq from..m->applied of the device. */
static int
chain_insert(struct tly_cstore *s, const uint8_t *device,
    const struct dev *d, const struct tly_merge_dev *m, uint64_t from)
{
	sqlite3_stmt	*st = s->ws[W_CHAIN_INS];
	uint64_t	 k;
	int		 r;

	for (k = from; k <= m->applied; k++) {
		if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) !=
		    SQLITE_OK || tly_cstore_bind_u64(st, 2, k) != SQLITE_OK ||
		    tly_cstore_bind_blob(st, 3, d->b[m->chain[k - 1]].id,
		    TLY_HASH_LEN) != SQLITE_OK) {
			tly_cstore_st_done(st);
			return tly_cstore_db_fail(s->w, "bind chain");
		}
		if ((r = tly_cstore_st_exec(s->w, st, "insert chain")) != TLY_OK)
			return r;
		tly_cstore_note_batch(s, device, k, d->b[m->chain[k - 1]].id);
	}
	return TLY_OK;
}

/* The device's stored applied length and last applied id (zeros). */
static int
old_applied(struct tly_cstore *s, const uint8_t *device, uint64_t *n,
    uint8_t id[TLY_HASH_LEN])
{
	sqlite3_stmt	*st = s->ws[W_DEV];
	int		 rc;

	*n = 0;
	memset(id, 0, TLY_HASH_LEN);
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind");
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = tly_cstore_col_u64(st, 2);
		if (tly_cstore_col_id(st, 3, id) != 0)
			*n = 0;
	}
	tly_cstore_st_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tly_cstore_db_fail(s->w, "device");
	return TLY_OK;
}

/* Save the applied chain: append when the stored one is a prefix. */
static int
save_chain(struct tly_cstore *s, const uint8_t *device, const struct dev *d,
    const struct tly_merge_dev *m)
{
	sqlite3_stmt	*st;
	uint64_t	 n0;
	uint8_t		 id0[TLY_HASH_LEN];
	int		 r;

	if ((r = old_applied(s, device, &n0, id0)) != TLY_OK)
		return r;
	if (n0 > 0 && n0 <= m->applied &&
	    memcmp(d->b[m->chain[n0 - 1]].id, id0, TLY_HASH_LEN) == 0)
		return chain_insert(s, device, d, m, n0 + 1);
	st = s->ws[W_CHAIN_DEL];
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "delete chain")) != TLY_OK)
		return r;
	tly_cstore_note_device(s, device);
	return chain_insert(s, device, d, m, 1);
}

/* What became of batch id (8.1), and the other batch of its proof. */
static enum tly_cstore_state
batch_state(const struct dev *d, const struct tly_merge_dev *m,
    const uint8_t *id, uint8_t *other)
{
	const struct tly_merge_proof	*p;
	size_t				 i;

	for (i = 0; i < m->nproofs; i++) {
		p = &m->proofs[i];
		if (memcmp(d->b[p->a].id, id, TLY_HASH_LEN) == 0) {
			memcpy(other, d->b[p->b].id, TLY_HASH_LEN);
			return TLY_CSTORE_EQUIVOCATION;
		}
		if (memcmp(d->b[p->b].id, id, TLY_HASH_LEN) == 0) {
			memcpy(other, d->b[p->a].id, TLY_HASH_LEN);
			return TLY_CSTORE_EQUIVOCATION;
		}
	}
	for (i = 0; i < m->applied; i++)
		if (memcmp(d->b[m->chain[i]].id, id, TLY_HASH_LEN) == 0)
			return TLY_CSTORE_APPLIED;
	return TLY_CSTORE_PENDING;
}

/*
 * Recompute device's applied chain, freeze and evidence (PROTOCOL.md
 * 12.2, 12.3) on the writer connection, inside a transaction.  When id
 * is not NULL, *state gets what became of that batch and other the
 * other batch of its proof when it is one.
 */
static int
recompute(struct tly_cstore *s, const uint8_t *device, const uint8_t *id,
    enum tly_cstore_state *state, uint8_t *other)
{
	static const uint8_t	 zero[TLY_HASH_LEN];
	struct dev		 d;
	struct tly_merge_dev	 m;
	sqlite3_stmt		*st;
	int			 r;

	memset(&d, 0, sizeof(d));
	memset(&m, 0, sizeof(m));
	if ((r = load_device(s, device, &d)) != TLY_OK ||
	    (r = tly_merge_device(d.b, d.n, (const uint8_t (*)[TLY_HASH_LEN])
	    d.kept, d.nkept, &m)) != TLY_OK ||
	    (r = save_proofs(s, device, &d, &m)) != TLY_OK ||
	    (r = save_chain(s, device, &d, &m)) != TLY_OK)
		goto out;
	st = s->ws[W_SET_DEV];
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 2, m.head) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 3, m.head_ix != TLY_MERGE_NONE ?
	    d.b[m.head_ix].id : zero, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 4, m.applied) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 5, m.applied > 0 ?
	    d.b[m.chain[m.applied - 1]].id : zero, TLY_HASH_LEN) !=
	    SQLITE_OK || tly_cstore_bind_u64(st, 6, m.frozen) != SQLITE_OK) {
		tly_cstore_st_done(st);
		r = tly_cstore_db_fail(s->w, "bind device");
		goto out;
	}
	if ((r = tly_cstore_st_exec(s->w, st, "set device")) != TLY_OK)
		goto out;
	if (state != NULL && id != NULL)
		*state = batch_state(&d, &m, id, other);
 out:
	tly_merge_dev_finish(&m);
	free(d.b);
	free(d.kept);
	return r;
}

int
tly_cstore_recompute(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN])
{
	return recompute(s, device, NULL, NULL, NULL);
}

/*
 * After migrating a version 1 file: rebuild the derived tables from the
 * held batch bytes, once ("rebuild" in meta), in one transaction.
 */
static int
rebuild(struct tly_cstore *s)
{
	sqlite3_stmt		*st = s->ws[W_META_GET];
	struct tly_batch	*b = NULL;
	struct tly_cstore_rows	 rows;
	uint8_t			 dev[TLY_PK_LEN];
	uint64_t		 flag;
	int			 rc, r;

	if (sqlite3_bind_text(st, 1, "rebuild", -1, SQLITE_STATIC) != SQLITE_OK)
		return tly_cstore_db_fail(s->w, "bind");
	if ((r = tly_cstore_one_u64(s->w, st, &flag, "meta")) != TLY_OK || flag == 0)
		return r;
	if ((r = tly_cstore_begin(s)) != TLY_OK)
		return r;
	st = s->ws[W_ALL_BATCHES];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_batch_parse(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &b)) != TLY_OK ||
		    (r = tly_cstore_rows(b, &rows)) != TLY_OK)
			goto out;
		r = put_records(s, b, &rows);
		tly_cstore_rows_free(&rows);
		if (r != TLY_OK)
			goto out;
		tly_batch_free(b);
		b = NULL;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->w, "rebuild");
		goto out;
	}
	tly_cstore_st_done(st);
	st = s->ws[W_ALL_DEVICES];
	/* Recomputing writes other tables only; the cursor stays valid. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (tly_cstore_col_id(st, 0, dev) != 0) {
			r = tly_fail(TLY_E_DB, "rebuild: bad device id");
			goto out;
		}
		if ((r = recompute(s, dev, NULL, NULL, NULL)) !=
		    TLY_OK)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->w, "rebuild");
		goto out;
	}
	tly_cstore_st_done(st);
	st = s->ws[W_META_SET];
	if (sqlite3_bind_text(st, 1, "rebuild", -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_int64(st, 2, 0) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	if ((r = tly_cstore_st_exec(s->w, st, "meta")) != TLY_OK)
		goto out;
	st = NULL;
	return tly_cstore_commit(s);
 out:
	if (st != NULL)
		tly_cstore_st_done(st);
	tly_batch_free(b);
	tly_cstore_rollback(s);
	return r;
}

int
tly_cstore_put(struct tly_cstore *s, const struct tly_batch *b,
    const struct tly_cstore_rows *rows, const uint8_t *m, size_t mlen,
    time_t received,
    const uint8_t *receipt, size_t rlen, enum tly_cstore_state *state,
    uint8_t other[TLY_HASH_LEN])
{
	sqlite3_stmt	*st = s->ws[W_INSERT_BATCH];
	int		 r;

	if (tly_cstore_bind_blob(st, 1, b->id, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, b->device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 3, b->seq) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 4, b->prev, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 5, m, mlen) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, (sqlite3_int64)received) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 7, receipt, rlen) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind batch");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "insert batch")) != TLY_OK ||
	    (r = put_records(s, b, rows)) != TLY_OK ||
	    (r = recompute(s, b->device, b->id, state, other)) !=
	    TLY_OK)
		return r;
	if ((r = tly_cstore_st_exec(s->w, s->ws[W_GEN_BUMP], "generation")) ==
	    TLY_OK)
		tly_cstore_note_publish(s);
	return r;
}

int
tly_cstore_open(const char *path, struct tly_cstore **sp)
{
	struct tly_cstore	*s;
	int			 r;

	*sp = NULL;
	if ((r = tly_cstore_connect(path, tly_cstore_rsql, &s)) != TLY_OK)
		return r;
	if ((r = rebuild(s)) != TLY_OK ||
	    (r = tly_cstore_log_create(&s->log, tly_cstore_generation(s))) !=
	    TLY_OK) {
		tly_cstore_close(s);
		return r;
	}
	*sp = s;
	return TLY_OK;
}
