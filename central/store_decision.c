/*
 * store_decision.c: signed decisions (PROTOCOL.md 13.6) in the
 * central's store.  A decision that POST /v1/decisions took is kept
 * byte for byte in the decisions table, at the next position of the
 * audit feed (12.7), which batches and decisions share.  An unfreeze
 * decision also becomes a kept row, the merge input of 12.3, and its
 * device is recomputed (store_merge.c); resolve decisions are loaded
 * with the record versions and applied by the merge engine (12.4).
 * Refused decisions go to the rejection log like refused batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"
#include "merge/merge.h"
#include "sync/trust.h"

/* *pos gets the feed position of decision id, or 0 when not held. */
static int
held_pos(struct tly_cstore *s, const uint8_t id[TLY_HASH_LEN], uint64_t *pos)
{
	sqlite3_stmt	*st = s->ws[W_DEC_BY_ID];

	if (tly_cstore_bind_blob(st, 1, id, TLY_HASH_LEN) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind");
	}
	return tly_cstore_one_u64(s->w, st, pos, "decision by id");
}

/* An unfreeze must name a held batch of its device at its seq. */
static int
check_unfreeze(struct tly_cstore *s, const struct tly_decision *d)
{
	sqlite3_stmt	*st = s->ws[W_BATCH_SEQ];
	char		 dh[TLY_HEX_PK], bh[TLY_HEX_HASH];
	uint64_t	 seq = 0;
	int		 rc;

	if (tly_cstore_bind_blob(st, 1, d->device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, d->batch, TLY_HASH_LEN) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind");
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		seq = tly_cstore_col_u64(st, 0);
	tly_cstore_st_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tly_cstore_db_fail(s->w, "batch seq");
	tly_hex(d->device, TLY_PK_LEN, dh);
	tly_hex(d->batch, TLY_HASH_LEN, bh);
	if (rc == SQLITE_DONE)
		return tly_fail(TLY_E_NOT_HELD, "the central holds no batch "
		    "%s of device %s", bh, dh);
	if (seq != d->seq)
		return tly_fail(TLY_E_NOT_HELD, "batch %s of device %s has "
		    "seq %llu, not %llu", bh, dh, (unsigned long long)seq,
		    (unsigned long long)d->seq);
	return TLY_OK;
}

/* Record id must be a held record of d's record key. */
static int
check_record(struct tly_cstore *s, const struct tly_decision *d,
    const char *id)
{
	sqlite3_stmt	*st = s->ws[W_REC_KEY];
	int		 rc, r = TLY_OK;

	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind");
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = tly_fail(TLY_E_NOT_HELD, "the central holds no record %s",
		    id);
	else if (rc != SQLITE_ROW)
		r = tly_cstore_db_fail(s->w, "record key");
	else if (strcmp(tly_cstore_col_text(st, 0), d->area) != 0 ||
	    strcmp(tly_cstore_col_text(st, 1), d->level) != 0 ||
	    tly_cstore_col_u64(st, 2) != d->round)
		r = tly_fail(TLY_E_NOT_HELD, "record %s is of area %s level "
		    "%s round %llu, not of the decision's key", id,
		    tly_cstore_col_text(st, 0), tly_cstore_col_text(st, 1),
		    (unsigned long long)tly_cstore_col_u64(st, 2));
	tly_cstore_st_done(st);
	return r;
}

/* A resolve must name held records of its record key (8.14 step 4). */
static int
check_resolve(struct tly_cstore *s, const struct tly_decision *d)
{
	size_t	i;
	int	r;

	if ((r = check_record(s, d, d->record)) != TLY_OK)
		return r;
	for (i = 0; i < d->nover && i < TLY_DECISION_OVER_MAX; i++)
		if ((r = check_record(s, d, d->over[i])) != TLY_OK)
			return r;
	return TLY_OK;
}

/* Bind d's over to parameter ix of st: ids joined by spaces, or NULL. */
static int
bind_over(sqlite3_stmt *st, int ix, const struct tly_decision *d)
{
	char	*text, *p;
	size_t	 i;
	int	 rc;

	if (d->nover == 0)
		return sqlite3_bind_null(st, ix);
	if ((text = malloc(d->nover * sizeof(d->over[0]))) == NULL)
		return SQLITE_NOMEM;
	for (i = 0, p = text; i < d->nover; i++)
		p += sprintf(p, "%s%s", i > 0 ? " " : "", d->over[i]);
	rc = sqlite3_bind_text(st, ix, text, -1, SQLITE_TRANSIENT);
	free(text);
	return rc;
}

/* Insert the decisions row of d (bytes m) at the next feed position. */
static int
insert(struct tly_cstore *s, const struct tly_decision *d, const uint8_t *m,
    size_t mlen, const uint8_t *rc_, size_t rclen, time_t at)
{
	sqlite3_stmt	*st = s->ws[W_INSERT_DEC];
	int		 rc, u = d->kind == TLY_DECISION_UNFREEZE;

	rc = tly_cstore_bind_blob(st, 1, d->id, TLY_HASH_LEN);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, u ? "unfreeze" : "resolve", -1,
		    SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = tly_cstore_bind_blob(st, 3, d->signer, TLY_PK_LEN);
	if (rc == SQLITE_OK && u)
		rc = tly_cstore_bind_blob(st, 4, d->device, TLY_PK_LEN);
	if (rc == SQLITE_OK && u)
		rc = tly_cstore_bind_blob(st, 5, d->batch, TLY_HASH_LEN);
	if (rc == SQLITE_OK && u)
		rc = tly_cstore_bind_u64(st, 6, d->seq);
	if (rc == SQLITE_OK && !u)
		rc = sqlite3_bind_text(st, 7, d->area, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && !u)
		rc = sqlite3_bind_text(st, 8, d->level, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && !u)
		rc = tly_cstore_bind_u64(st, 9, d->round);
	if (rc == SQLITE_OK && !u)
		rc = sqlite3_bind_text(st, 10, d->record, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = tly_cstore_bind_u64(st, 11, d->issued);
	if (rc == SQLITE_OK)
		rc = tly_cstore_bind_blob(st, 12, m, mlen);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 13, (sqlite3_int64)at);
	if (rc == SQLITE_OK && !u)
		rc = bind_over(st, 14, d);
	if (rc == SQLITE_OK)
		rc = tly_cstore_bind_blob(st, 15, rc_, rclen);
	if (rc != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind decision");
	}
	return tly_cstore_st_exec(s->w, st, "insert decision");
}

/* The kept row of unfreeze decision d (12.3), then its device again. */
static int
keep(struct tly_cstore *s, const struct tly_decision *d, time_t at)
{
	sqlite3_stmt	*st = s->ws[W_INSERT_KEPT];
	int		 r;

	if (tly_cstore_bind_blob(st, 1, d->batch, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, d->device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 3, d->seq) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, (sqlite3_int64)at) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind kept");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "insert kept")) != TLY_OK)
		return r;
	return tly_cstore_recompute(s, d->device);
}

int
tly_cstore_decision_put(struct tly_cstore *s, const struct tly_decision *d,
    const uint8_t *m, size_t mlen, const uint8_t *rc, size_t rclen,
    time_t at, uint64_t *pos)
{
	int	r;

	*pos = 0;
	if ((r = tly_cstore_begin(s)) != TLY_OK)
		return r;
	if ((r = held_pos(s, d->id, pos)) != TLY_OK)
		goto out;
	if (*pos > 0) {
		r = TLY_E_DUPLICATE;
		goto out;
	}
	if ((r = d->kind == TLY_DECISION_UNFREEZE ? check_unfreeze(s, d) :
	    check_resolve(s, d)) != TLY_OK ||
	    (r = insert(s, d, m, mlen, rc, rclen, at)) != TLY_OK ||
	    (r = held_pos(s, d->id, pos)) != TLY_OK ||
	    (d->kind == TLY_DECISION_UNFREEZE && (r = keep(s, d, at)) !=
	    TLY_OK) ||
	    (r = tly_cstore_st_exec(s->w, s->ws[W_GEN_BUMP], "generation")) !=
	    TLY_OK)
		goto out;
	if (d->kind != TLY_DECISION_UNFREEZE)
		tly_cstore_note_key(s, d->area, d->level, d->round);
	tly_cstore_note_publish(s);
	return tly_cstore_commit(s);
 out:
	tly_cstore_rollback(s);
	return r;
}

int
tly_cstore_decision_held(struct tly_cstore *s, const uint8_t id[TLY_HASH_LEN],
    uint64_t *pos)
{
	int	r;

	*pos = 0;
	if ((r = tly_cstore_lock(&s->wlock)) != TLY_OK)
		return r;
	r = held_pos(s, id, pos);
	pthread_mutex_unlock(&s->wlock);
	return r;
}

int
tly_cstore_decision_reject(struct tly_cstore *s, time_t at, const char *code,
    const char *message, const uint8_t *signer, const uint8_t *m,
    size_t mlen)
{
	int	r;

	if ((r = tly_cstore_begin(s)) != TLY_OK)
		return r;
	if ((r = tly_cstore_reject(s, at, 0, code, message, NULL, signer, m,
	    mlen)) != TLY_OK) {
		tly_cstore_rollback(s);
		return r;
	}
	return tly_cstore_commit(s);
}

void
tly_cstore_resolves_free(struct tly_cstore_resolves *rs)
{
	size_t	i;

	for (i = 0; i < rs->n; i++) {
		free((char *)rs->x[i].area);
		free((char *)rs->x[i].level);
		free((char *)rs->x[i].record);
		if (rs->x[i].over != NULL)
			free((char *)rs->x[i].over[0]);
		free((char **)rs->x[i].over);
	}
	free(rs->x);
	memset(rs, 0, sizeof(*rs));
}

/* x->over from text: record ids joined by single spaces (schema 6). */
static int
over_load(const char *text, struct tly_merge_resolution *x)
{
	char	**v, *p;
	size_t	  n = 1, i;

	for (p = (char *)text; *p != '\0'; p++)
		n += *p == ' ';
	if (n > TLY_DECISION_OVER_MAX)
		return tly_fail(TLY_E_DB, "a decision lists too many heads");
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return TLY_E_NOMEM;
	if ((v[0] = strdup(text)) == NULL) {
		free(v);
		return TLY_E_NOMEM;
	}
	for (i = 1, p = v[0]; (p = strchr(p, ' ')) != NULL; i++) {
		*p++ = '\0';
		v[i] = p;
	}
	x->over = (const char *const *)v;
	x->nover = n;
	return TLY_OK;
}

int
tly_cstore_resolves_load(struct tly_cstore *s, struct tly_cstore_resolves *rs)
{
	sqlite3_stmt			*st = s->rs[R_RESOLVES];
	struct tly_merge_resolution	*x;
	int				 rc, r = TLY_OK;

	memset(rs, 0, sizeof(*rs));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&rs->x, &rs->cap, rs->n,
		    sizeof(*rs->x), TLY_MERGE_RECS_MAX, "resolutions")) !=
		    TLY_OK)
			break;
		x = &rs->x[rs->n];
		memset(x, 0, sizeof(*x));
		rs->n++;
		if (tly_cstore_col_id(st, 5, x->id) != 0) {
			r = tly_fail(TLY_E_DB, "a decision has a bad id");
			break;
		}
		x->round = tly_cstore_col_u64(st, 2);
		x->issued = tly_cstore_col_u64(st, 4);
		if ((x->area = strdup(tly_cstore_col_text(st, 0))) == NULL ||
		    (x->level = strdup(tly_cstore_col_text(st, 1))) == NULL ||
		    (x->record = strdup(tly_cstore_col_text(st, 3))) == NULL) {
			r = TLY_E_NOMEM;
			break;
		}
		if (sqlite3_column_type(st, 6) != SQLITE_NULL &&
		    (r = over_load(tly_cstore_col_text(st, 6), x)) != TLY_OK)
			break;
	}
	tly_cstore_st_done(st);
	if (r == TLY_OK && rc != SQLITE_DONE)
		r = tly_cstore_db_fail(s->r, "resolutions");
	if (r != TLY_OK)
		tly_cstore_resolves_free(rs);
	return r;
}
