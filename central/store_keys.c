/*
 * store_keys.c: the heads of the record keys a commit changed
 * (tly_cstore_head_changes), from the writer's notes (store_changes.c):
 * the keys the notes name, and those explicit supersedes link to them
 * (PROTOCOL.md 12.4), are read and decided together on the reader
 * connection, instead of every head.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"
#include "merge/merge.h"

#define LINKED_MAX	65536	/* keys linked by supersedes read together;
				   beyond, every head is walked */

/* One record key a note names, and its head in the snapshot. */
struct chg {
	char		*area;		/* the key; owned */
	char		*level;		/* owned */
	uint64_t	 round;
	char		 id[80];	/* its winner, "" for none */
	char		*counts;	/* the winner's counts; owned */
	unsigned	 conf;		/* its confirmations */
	int		 disputed;	/* in conflict */
	int		 linked;	/* its linked keys are in the set */
};

/* The keys the notes name, sorted, each once. */
struct chgs {
	struct chg	*v;
	size_t		 n, cap;
};

/* Free what c holds. */
static void
chgs_free(struct chgs *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].area);
		free(c->v[i].level);
		free(c->v[i].counts);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Append the keys st (bound: area, level, round) returns to c; resets st. */
static int
keys_add(struct tly_cstore *s, sqlite3_stmt *st, struct chgs *c)
{
	struct chg	*k;
	int		 rc, r = TLY_OK;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_cstore_grow((void **)&c->v, &c->cap, c->n,
		    sizeof(*c->v), TLY_MERGE_RECS_MAX, "changed keys")) !=
		    TLY_OK)
			break;
		k = &c->v[c->n];
		memset(k, 0, sizeof(*k));
		k->round = tly_cstore_col_u64(st, 2);
		if ((k->area = strdup(tly_cstore_col_text(st, 0))) == NULL ||
		    (k->level = strdup(tly_cstore_col_text(st, 1))) == NULL) {
			free(k->area);
			r = TLY_E_NOMEM;
			break;
		}
		c->n++;
	}
	tly_cstore_st_done(st);
	if (r == TLY_OK && rc != SQLITE_DONE)
		r = tly_cstore_db_fail(s->r, "changed keys");
	return r;
}

/* Append the key of note nt, or the keys of its records, to c. */
static int
note_keys(struct tly_cstore *s, const struct tly_cstore_note *nt,
    struct chgs *c)
{
	sqlite3_stmt	*st;
	struct chg	*k;
	int		 r;

	if (nt->kind == TLY_CSTORE_NOTE_KEY) {
		if ((r = tly_cstore_grow((void **)&c->v, &c->cap, c->n,
		    sizeof(*c->v), TLY_MERGE_RECS_MAX, "changed keys")) !=
		    TLY_OK)
			return r;
		k = &c->v[c->n];
		memset(k, 0, sizeof(*k));
		k->round = nt->round;
		if ((k->area = strdup(nt->area)) == NULL ||
		    (k->level = strdup(nt->level)) == NULL) {
			free(k->area);
			return TLY_E_NOMEM;
		}
		c->n++;
		return TLY_OK;
	}
	st = s->rs[nt->kind == TLY_CSTORE_NOTE_BATCH ? R_BATCH_KEYS :
	    R_DEVICE_KEYS];
	if (tly_cstore_bind_blob(st, 1, nt->device, TLY_PK_LEN) != SQLITE_OK ||
	    (nt->kind == TLY_CSTORE_NOTE_BATCH &&
	    (tly_cstore_bind_u64(st, 2, nt->seq) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 3, nt->batch, TLY_HASH_LEN) !=
	    SQLITE_OK))) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->r, "bind");
	}
	return keys_add(s, st, c);
}

/* qsort: keys in key order (12.1). */
static int
cmp_chg(const void *a, const void *b)
{
	const struct chg	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->area, y->area)) != 0 ||
	    (c = strcmp(x->level, y->level)) != 0)
		return c;
	return (x->round > y->round) - (x->round < y->round);
}

/* Sort c and drop its repeated keys. */
static void
keys_unique(struct chgs *c)
{
	size_t	i, j;

	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), cmp_chg);
	for (i = j = 0; i < c->n; i++) {
		if (j > 0 && cmp_chg(&c->v[j - 1], &c->v[i]) == 0) {
			c->v[j - 1].linked |= c->v[i].linked;
			free(c->v[i].area);
			free(c->v[i].level);
			continue;
		}
		c->v[j++] = c->v[i];
	}
	c->n = j;
}

/* Bind key k to the first three parameters of st. */
static int
bind_key(struct tly_cstore *s, sqlite3_stmt *st, const struct chg *k)
{
	if (sqlite3_bind_text(st, 1, k->area, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(st, 2, k->level, -1,
	    SQLITE_STATIC) != SQLITE_OK || tly_cstore_bind_u64(st, 3,
	    k->round) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->r, "bind key");
	}
	return TLY_OK;
}

/*
 * Add to c every key linked to one of its keys by explicit supersedes
 * (12.4), and every key linked to those, inside the read transaction; c
 * is then sorted, each key once.  TLY_E_NOTFOUND past LINKED_MAX keys.
 */
static int
keys_link(struct tly_cstore *s, struct chgs *c)
{
	sqlite3_stmt	*st = s->rs[R_KEY_LINKS];
	size_t		 i, n;
	int		 r, more = 1;

	while (more) {
		more = 0;
		for (i = 0, n = c->n; i < n; i++) {
			if (c->v[i].linked)
				continue;
			c->v[i].linked = more = 1;
			if ((r = bind_key(s, st, &c->v[i])) != TLY_OK ||
			    (r = keys_add(s, st, c)) != TLY_OK)
				return r;
			if (c->n > LINKED_MAX)
				return TLY_E_NOTFOUND;
		}
		keys_unique(c);
	}
	return TLY_OK;
}

/*
 * Decide the keys of c (sorted) from their applied records, their
 * supersedes (when sups: the store holds some) and the resolutions res,
 * inside the read transaction.  Exact when no explicit supersede links
 * a key of c to a key outside it (keys_link).
 */
static int
keys_heads(struct tly_cstore *s, struct chgs *c, int sups,
    struct tly_cstore_resolves *res)
{
	struct tly_cstore_hstate			 h;
	const struct tly_merge_key	*mk;
	const struct tly_merge_rec	*w;
	struct chg			 key, *k;
	size_t				 i;
	int				 r = TLY_OK;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < c->n && r == TLY_OK; i++)
		if ((r = bind_key(s, s->rs[R_KEY_RECS], &c->v[i])) ==
		    TLY_OK && (r = tly_cstore_hstate_recs(s, s->rs[R_KEY_RECS], &h)) ==
		    TLY_OK && sups && (r = bind_key(s, s->rs[R_KEY_SUP],
		    &c->v[i])) == TLY_OK)
			r = tly_cstore_hstate_sups(s, s->rs[R_KEY_SUP], &h);
	if (r != TLY_OK || (r = tly_merge_heads(h.r, h.nr, h.e, h.ne,
	    &h.h)) != TLY_OK || (r = tly_merge_resolve(&h.h, res->x,
	    res->n)) != TLY_OK)
		goto out;
	for (i = 0; i < h.h.nk && r == TLY_OK; i++) {
		if ((mk = &h.h.k[i])->winner == TLY_MERGE_NONE)
			continue;
		w = &h.r[mk->winner];
		memset(&key, 0, sizeof(key));
		key.area = (char *)w->area;
		key.level = (char *)w->level;
		key.round = w->round;
		if ((k = bsearch(&key, c->v, c->n, sizeof(*c->v),
		    cmp_chg)) == NULL)
			continue;	/* every record read is of a key of c */
		snprintf(k->id, sizeof(k->id), "%s", w->id);
		k->conf = mk->conf;
		k->disputed = mk->conflict;
		if ((k->counts = strdup(w->counts)) == NULL)
			r = TLY_E_NOMEM;
	}
 out:
	tly_cstore_hstate_free(&h);
	return r;
}

/*
 * The heads of the keys the notes of reader after generation after name,
 * into c (inside the read transaction at generation gen).  TLY_E_NOTFOUND
 * when they cannot be told by key.
 */
static int
changed_heads(struct tly_cstore *s, enum tly_cstore_reader reader,
    uint64_t after, uint64_t gen, struct chgs *c)
{
	struct tly_cstore_resolves	 res;
	struct tly_cstore_note		*nv = NULL;
	uint64_t			 cross = 0;
	size_t				 nn = 0, i;
	int				 r;

	memset(&res, 0, sizeof(res));
	if ((r = tly_cstore_notes_take(s, reader, after, gen, &nv, &nn)) !=
	    TLY_OK)
		return r;
	if ((r = tly_cstore_one_u64(s->r, s->rs[R_CROSS_SUP], &cross,
	    "supersedes")) != TLY_OK)
		goto out;
	for (i = 0; i < nn && r == TLY_OK; i++)
		r = note_keys(s, &nv[i], c);
	if (r != TLY_OK)
		goto out;
	keys_unique(c);
	/* Keys an explicit supersede links are decided together. */
	if (cross == 2 && (r = keys_link(s, c)) != TLY_OK)
		goto out;
	if (c->n > 0 && ((r = tly_cstore_resolves_load(s, &res)) != TLY_OK ||
	    (r = keys_heads(s, c, cross != 0, &res)) != TLY_OK))
		goto out;
 out:
	tly_cstore_resolves_free(&res);
	tly_cstore_notes_free(nv, nn);
	return r;
}

int
tly_cstore_head_changes(struct tly_cstore *s, enum tly_cstore_reader reader,
    uint64_t after, uint64_t *gen, int *full, tly_cstore_head_fn fn,
    void *arg)
{
	struct tly_cstore_hstate		h;
	struct chgs		c;
	struct tly_cstore_head	out;
	size_t			i;
	int			r;

	*gen = 0;
	*full = 0;
	memset(&c, 0, sizeof(c));
	if ((r = tly_cstore_read_begin(s)) != TLY_OK)
		return r;
	if ((r = tly_cstore_one_u64(s->r, s->rs[R_GEN], gen,
	    "generation")) == TLY_OK &&
	    (r = changed_heads(s, reader, after, *gen, &c)) == TLY_E_NOTFOUND) {
		*full = 1;
		r = tly_cstore_hstate_walk(s, &h, 0);
	}
	tly_cstore_read_end(s);
	if (r == TLY_OK && *full)
		return tly_cstore_hstate_emit(&h, fn, arg, 0);
	for (i = 0; i < c.n && r == TLY_OK; i++) {
		memset(&out, 0, sizeof(out));
		snprintf(out.record_id, sizeof(out.record_id), "%s", c.v[i].id);
		out.confirmations = c.v[i].conf;
		out.disputed = c.v[i].disputed;
		out.area = c.v[i].area;
		out.level = c.v[i].level;
		out.round = c.v[i].round;
		out.counts = c.v[i].counts;
		r = fn(arg, &out);
	}
	chgs_free(&c);
	return r;
}

