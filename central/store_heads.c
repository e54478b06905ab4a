/*
 * store_heads.c: versions of one count record (PROTOCOL.md 12.4) and the
 * state hash (12.6) on the reader connection: one consistent snapshot of
 * the applied records, devices, proofs and decisions is loaded and handed
 * to the merge engine (merge/), which decides.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"
#include "election/election.h"
#include "merge/merge.h"

/* Free everything h holds. */
void
tly_cstore_hstate_free(struct tly_cstore_hstate *h)
{
	size_t	i;

	for (i = 0; i < h->nr; i++) {
		free((char *)h->r[i].area);
		free((char *)h->r[i].level);
		free((char *)h->r[i].counts);
	}
	for (i = 0; i < h->ne; i++) {
		free((char *)h->e[i].from);
		free((char *)h->e[i].to);
	}
	for (i = 0; h->body != NULL && i < h->h.nk; i++)
		free(h->body[i]);
	free(h->body);
	tly_merge_heads_finish(&h->h);
	tly_cstore_resolves_free(&h->res);
	free(h->r);
	free(h->e);
	memset(h, 0, sizeof(*h));
}

/* Append the records of st (R_APPLIED_RECS' columns) to h; resets st. */
int
tly_cstore_hstate_recs(struct tly_cstore *s, sqlite3_stmt *st,
    struct tly_cstore_hstate *h)
{
	struct tly_merge_rec	*a;
	int			 rc, r;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&h->r, &h->capr,
		    h->nr, sizeof(*h->r), TLY_MERGE_RECS_MAX,
		    "applied state")) != TLY_OK)
			goto out;
		a = &h->r[h->nr];
		memset(a, 0, sizeof(*a));
		h->nr++;
		snprintf(a->id, sizeof(a->id), "%s", tly_cstore_col_text(st, 0));
		if (tly_cstore_col_id(st, 1, a->device) != 0 ||
		    sqlite3_column_bytes(st, 8) != TLY_SIG_LEN) {
			r = tly_fail(TLY_E_DB, "applied record %s", a->id);
			goto out;
		}
		memcpy(a->sig, sqlite3_column_blob(st, 8), TLY_SIG_LEN);
		a->seq = tly_cstore_col_u64(st, 2);
		a->idx = tly_cstore_col_u64(st, 3);
		a->round = tly_cstore_col_u64(st, 6);
		if ((a->area = strdup(tly_cstore_col_text(st, 4))) == NULL ||
		    (a->level = strdup(tly_cstore_col_text(st, 5))) == NULL ||
		    (a->counts = strdup(tly_cstore_col_text(st, 7))) == NULL) {
			r = TLY_E_NOMEM;
			goto out;
		}
	}
	r = rc == SQLITE_DONE ? TLY_OK :
	    tly_cstore_db_fail(s->r, "applied records");
 out:
	tly_cstore_st_done(st);
	return r;
}

/* Append the supersedes of st (record, target) to h; resets st. */
int
tly_cstore_hstate_sups(struct tly_cstore *s, sqlite3_stmt *st,
    struct tly_cstore_hstate *h)
{
	struct tly_merge_sup	*e;
	int			 rc, r;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&h->e, &h->cape,
		    h->ne, sizeof(*h->e), TLY_MERGE_RECS_MAX,
		    "applied state")) != TLY_OK)
			goto out;
		e = &h->e[h->ne];
		memset(e, 0, sizeof(*e));
		h->ne++;
		if ((e->from = strdup(tly_cstore_col_text(st, 0))) == NULL ||
		    (e->to = strdup(tly_cstore_col_text(st, 1))) == NULL) {
			r = TLY_E_NOMEM;
			goto out;
		}
	}
	r = rc == SQLITE_DONE ? TLY_OK :
	    tly_cstore_db_fail(s->r, "supersedes");
 out:
	tly_cstore_st_done(st);
	return r;
}

/* Load the applied records and explicit supersedes (inside a read tx). */
static int
load(struct tly_cstore *s, struct tly_cstore_hstate *h)
{
	int	r;

	if ((r = tly_cstore_hstate_recs(s, s->rs[R_APPLIED_RECS], h)) != TLY_OK)
		return r;
	return tly_cstore_hstate_sups(s, s->rs[R_APPLIED_SUP], h);
}

/* Compute h inside an open read transaction. */
static int
compute(struct tly_cstore *s, struct tly_cstore_hstate *h)
{
	int	r;

	memset(h, 0, sizeof(*h));
	if ((r = load(s, h)) != TLY_OK ||
	    (r = tly_merge_heads(h->r, h->nr, h->e, h->ne, &h->h)) != TLY_OK ||
	    (r = tly_cstore_resolves_load(s, &h->res)) != TLY_OK ||
	    (r = tly_merge_resolve(&h->h, h->res.x, h->res.n)) != TLY_OK)
		tly_cstore_hstate_free(h);
	return r;
}

/* Begin a read transaction on the reader connection (lock taken). */
int
tly_cstore_read_begin(struct tly_cstore *s)
{
	int	r;

	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if ((r = tly_cstore_st_exec(s->r, s->rs[R_BEGIN], "begin read")) !=
	    TLY_OK)
		pthread_mutex_unlock(&s->rlock);
	return r;
}

/* End the read transaction and drop the lock. */
void
tly_cstore_read_end(struct tly_cstore *s)
{
	tly_cstore_st_exec(s->r, s->rs[R_END], "end read");
	pthread_mutex_unlock(&s->rlock);
}

/* Append the stored JSON of record id to *out (a new string). */
static int
load_body(struct tly_cstore *s, const char *id, char **out)
{
	sqlite3_stmt	*st = s->rs[R_BODY];
	int		 rc, r = TLY_OK;

	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
		r = tly_cstore_db_fail(s->r, "bind");
	else if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		r = tly_cstore_db_fail(s->r, "record body");
	else if ((*out = strdup(tly_cstore_col_text(st, 0))) == NULL)
		r = TLY_E_NOMEM;
	tly_cstore_st_done(st);
	return r;
}

/*
 * Load h for tly_cstore_hstate_emit() inside the open read transaction:
 * every key's heads, and with bodies each winner's stored JSON.
 */
int
tly_cstore_hstate_walk(struct tly_cstore *s, struct tly_cstore_hstate *h,
    int bodies)
{
	size_t	i;
	int	r;

	if ((r = compute(s, h)) != TLY_OK)
		return r;
	if ((h->body = calloc(h->h.nk > 0 ? h->h.nk : 1, sizeof(*h->body))) ==
	    NULL)
		r = TLY_E_NOMEM;
	for (i = 0; bodies && i < h->h.nk && r == TLY_OK; i++)
		if (h->h.k[i].winner != TLY_MERGE_NONE)
			r = load_body(s, h->r[h->h.k[i].winner].id, &h->body[i]);
	if (r != TLY_OK)
		tly_cstore_hstate_free(h);
	return r;
}

/*
 * Call fn once per key of h with a winner (outside the read lock); with
 * bodies, each winner's JSON is parsed for fn, else h->rec is NULL.
 * Frees h.
 */
int
tly_cstore_hstate_emit(struct tly_cstore_hstate *h, tly_cstore_head_fn fn,
    void *arg, int bodies)
{
	struct tly_cstore_head		 out;
	struct tly_record		 rec;
	const struct tly_merge_key	*k;
	const struct tly_merge_rec	*w;
	size_t				 i;
	int				 r = TLY_OK;

	for (i = 0; i < h->h.nk && r == TLY_OK; i++) {
		k = &h->h.k[i];
		if (k->winner == TLY_MERGE_NONE)
			continue;
		w = &h->r[k->winner];
		tly_record_init(&rec);
		if (bodies && (r = tly_record_parse(h->body[i],
		    strlen(h->body[i]), &rec)) != TLY_OK) {
			r = tly_fail(TLY_E_DB, "stored record %s does not "
			    "parse", w->id);
			break;
		}
		memset(&out, 0, sizeof(out));
		out.rec = bodies ? &rec : NULL;
		snprintf(out.record_id, sizeof(out.record_id), "%s", w->id);
		out.confirmations = k->conf;
		out.disputed = k->conflict;
		out.area = w->area;
		out.level = w->level;
		out.round = w->round;
		out.counts = w->counts;
		r = fn(arg, &out);
		tly_record_finish(&rec);
	}
	tly_cstore_hstate_free(h);
	return r;
}

/* Call fn once per key with a winner, from one snapshot (see
 * tly_cstore_hstate_emit). */
static int
walk(struct tly_cstore *s, tly_cstore_head_fn fn, void *arg, int bodies)
{
	struct tly_cstore_hstate	h;
	int		r;

	if ((r = tly_cstore_read_begin(s)) != TLY_OK)
		return r;
	r = tly_cstore_hstate_walk(s, &h, bodies);
	tly_cstore_read_end(s);
	if (r != TLY_OK)
		return r;
	return tly_cstore_hstate_emit(&h, fn, arg, bodies);
}

int
tly_cstore_heads(struct tly_cstore *s, tly_cstore_head_fn fn, void *arg)
{
	return walk(s, fn, arg, 1);
}

int
tly_cstore_head_ids(struct tly_cstore *s, tly_cstore_head_fn fn, void *arg)
{
	return walk(s, fn, arg, 0);
}

int
tly_cstore_record(struct tly_cstore *s, const char *id,
    struct tly_record *rec)
{
	char	*body = NULL;
	int	 r;

	tly_record_init(rec);
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	r = load_body(s, id, &body);
	pthread_mutex_unlock(&s->rlock);
	if (r == TLY_OK && tly_record_parse(body, strlen(body), rec) !=
	    TLY_OK)
		r = tly_fail(TLY_E_DB, "stored record %s does not parse", id);
	free(body);
	return r;
}

/* The devices, proofs and decisions of one snapshot (12.6 input). */
struct logs {
	struct tly_merge_state	st;		/* arrays for the engine */
	size_t			capd, cape, capk;	/* their allocations */
};

/* Load the device, evidence and kept rows into l; count into st. */
static int
load_logs(struct tly_cstore *s, struct logs *l, struct tly_cstore_stats *st)
{
	struct tly_merge_devline	*d;
	struct tly_merge_evline		*e;
	struct tly_merge_decision	*k;
	sqlite3_stmt			*q;
	int				 rc, r = TLY_OK, kind;

	q = s->rs[R_DEVICES_ALL];
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&l->st.devs, &l->capd,
		    l->st.ndevs, sizeof(*d), TLY_MERGE_RECS_MAX,
		    "applied state")) != TLY_OK)
			break;
		d = &l->st.devs[l->st.ndevs];
		if (tly_cstore_col_id(q, 0, d->device) != 0)
			break;
		d->head = tly_cstore_col_u64(q, 1);
		d->applied = tly_cstore_col_u64(q, 2);
		d->frozen = tly_cstore_col_u64(q, 3);
		l->st.ndevs++;
		st->devices++;
		st->frozen += d->frozen > 0;
	}
	tly_cstore_st_done(q);
	if (r != TLY_OK || rc != SQLITE_DONE)
		return r != TLY_OK ? r : tly_cstore_db_fail(s->r, "devices");
	q = s->rs[R_EVID_ALL];
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&l->st.ev, &l->cape,
		    l->st.nev, sizeof(*e), TLY_MERGE_RECS_MAX,
		    "applied state")) != TLY_OK)
			break;
		e = &l->st.ev[l->st.nev];
		if (tly_cstore_col_id(q, 0, e->device) != 0 ||
		    tly_cstore_col_id(q, 3, e->a) != 0 ||
		    tly_cstore_col_id(q, 4, e->b) != 0 ||
		    (kind = tly_merge_kind_parse(tly_cstore_col_text(q, 2))) <
		    0)
			break;
		e->seq = tly_cstore_col_u64(q, 1);
		e->kind = (enum tly_merge_kind)kind;
		l->st.nev++;
		st->evidence++;
	}
	tly_cstore_st_done(q);
	if (r != TLY_OK || rc != SQLITE_DONE)
		return r != TLY_OK ? r : tly_cstore_db_fail(s->r, "evidence");
	q = s->rs[R_KEPT];
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&l->st.kept, &l->capk,
		    l->st.nkept, sizeof(*k), TLY_MERGE_RECS_MAX,
		    "applied state")) != TLY_OK)
			break;
		k = &l->st.kept[l->st.nkept];
		if (tly_cstore_col_id(q, 0, k->device) != 0 ||
		    tly_cstore_col_id(q, 1, k->batch) != 0)
			break;
		k->seq = tly_cstore_col_u64(q, 2);
		l->st.nkept++;
	}
	tly_cstore_st_done(q);
	if (r != TLY_OK || rc != SQLITE_DONE)
		return r != TLY_OK ? r : tly_cstore_db_fail(s->r, "kept");
	return TLY_OK;
}

/* tly_merge_text_fn into a hasher. */
static void
hash_text(void *arg, const void *p, size_t len)
{
	tly_hasher_update(arg, p, len);
}

int
tly_cstore_stats(struct tly_cstore *s, struct tly_cstore_stats *st)
{
	struct tly_hasher	*hs = NULL;
	struct tly_cstore_hstate		 h;
	struct logs		 l;
	size_t			 i;
	int			 r, have = 0;

	memset(st, 0, sizeof(*st));
	memset(&h, 0, sizeof(h));
	memset(&l, 0, sizeof(l));
	if ((r = tly_hasher_create(&hs)) != TLY_OK)
		return r;
	if ((r = tly_cstore_read_begin(s)) != TLY_OK)
		goto out;
	if ((r = load_logs(s, &l, st)) != TLY_OK ||
	    (r = tly_cstore_one_u64(s->r, s->rs[R_NBATCHES], &st->batches,
	    "batches")) != TLY_OK ||
	    (r = tly_cstore_one_u64(s->r, s->rs[R_NAPPLIED], &st->applied,
	    "applied")) != TLY_OK ||
	    (r = compute(s, &h)) != TLY_OK) {
		tly_cstore_read_end(s);
		goto out;
	}
	have = 1;
	tly_cstore_read_end(s);
	for (i = 0; i < h.h.nk; i++) {
		if (h.h.k[i].winner == TLY_MERGE_NONE)
			continue;
		st->keys++;
		st->conflicts += h.h.k[i].conflict != 0;
	}
	l.st.heads = &h.h;
	tly_merge_state_text(&l.st, hash_text, hs);
	tly_hasher_final(hs, st->state_hash);
 out:
	if (have)
		tly_cstore_hstate_free(&h);
	free(l.st.devs);
	free(l.st.ev);
	free(l.st.kept);
	tly_hasher_destroy(hs);
	return r;
}

/* Copy the head a (of a conflicting key) into *o, with its body. */
static int
conflict_head(struct tly_cstore *s, const struct tly_merge_rec *a,
    struct tly_api_cfhead *o)
{
	memcpy(o->device, a->device, TLY_PK_LEN);
	o->seq = a->seq;
	o->chain = a->chain;
	if ((o->record = strdup(a->id)) == NULL ||
	    (o->counts = strdup(a->counts)) == NULL)
		return TLY_E_NOMEM;
	return load_body(s, a->id, &o->body);
}

/* Copy the resolve decision x, which no longer counts, into c (12.4). */
static int
conflict_stale(const struct tly_merge_resolution *x,
    struct tly_api_conflict *c)
{
	size_t	i;

	memcpy(c->stale_id, x->id, TLY_HASH_LEN);
	c->stale_issued = x->issued;
	if ((c->stale_record = strdup(x->record)) == NULL ||
	    (x->nover > 0 && (c->stale_over = calloc(x->nover,
	    sizeof(*c->stale_over))) == NULL))
		return TLY_E_NOMEM;
	for (i = 0; i < x->nover; i++, c->nstale_over++)
		if ((c->stale_over[i] = strdup(x->over[i])) == NULL)
			return TLY_E_NOMEM;
	return TLY_OK;
}

/* Copy key k of h (in conflict) into *c, its heads with their bodies. */
static int
conflict_key(struct tly_cstore *s, const struct tly_cstore_hstate *h,
    const struct tly_merge_key *k, struct tly_api_conflict *c)
{
	const struct tly_merge_rec	*win = &h->r[k->winner];
	size_t				 j;
	int				 r = TLY_OK;

	c->round = win->round;
	if ((c->area = strdup(win->area)) == NULL ||
	    (c->level = strdup(win->level)) == NULL ||
	    (c->winner = strdup(win->id)) == NULL ||
	    (c->heads = calloc(k->n, sizeof(*c->heads))) == NULL)
		return TLY_E_NOMEM;
	for (j = k->first; j < k->first + k->n && r == TLY_OK; j++)
		if (!h->r[j].superseded)
			r = conflict_head(s, &h->r[j], &c->heads[c->nheads++]);
	if (r == TLY_OK && k->stale != TLY_MERGE_NONE)
		r = conflict_stale(&h->res.x[k->stale], c);
	return r;
}

int
tly_cstore_conflicts(struct tly_cstore *s, size_t max,
    struct tly_api_conflicts *cf)
{
	struct tly_cstore_hstate			 h;
	const struct tly_merge_key	*k;
	size_t				 i;
	int				 r;

	memset(cf, 0, sizeof(*cf));
	if ((r = tly_cstore_read_begin(s)) != TLY_OK)
		return r;
	if ((r = compute(s, &h)) != TLY_OK) {
		tly_cstore_read_end(s);
		return r;
	}
	if (max > 0 && (cf->c = calloc(max, sizeof(*cf->c))) == NULL)
		r = TLY_E_NOMEM;
	for (i = 0; i < h.h.nk && r == TLY_OK; i++) {
		k = &h.h.k[i];
		if (k->winner == TLY_MERGE_NONE || !k->conflict)
			continue;
		if (cf->n == max) {
			cf->more = 1;
			break;
		}
		r = conflict_key(s, &h, k, &cf->c[cf->n++]);
	}
	tly_cstore_read_end(s);
	tly_cstore_hstate_free(&h);
	if (r != TLY_OK)
		tly_api_conflicts_free(cf);
	return r;
}
