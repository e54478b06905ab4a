/*
 * store_heads.c: versions of one count record (PROTOCOL.md 12.4) and the
 * state hash (12.6), computed on the reader connection from one
 * consistent snapshot of the applied records.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"
#include "common/json.h"
#include "election/election.h"

#define RECS_MAX	(1UL << 24)	/* applied records in one snapshot */
#define NONE		((size_t)-1)	/* no record */

/* One applied record. */
struct arec {
	char		 id[80];	/* record id */
	uint8_t		 device[TLY_PK_LEN];	/* its device */
	uint64_t	 seq;		/* its batch's seq */
	uint64_t	 idx;		/* its index in the batch */
	char		*area;		/* key: area */
	char		*level;		/* key: level */
	uint64_t	 round;		/* key: round */
	char		*counts;	/* counts string (12.1) */
	uint8_t		 sig[TLY_SIG_LEN];	/* its batch's signature */
	int		 superseded;	/* some applied record supersedes it */
	size_t		 own;		/* previous own version, or NONE */
	uint64_t	 chain;		/* supersede chain length */
	int		 done;		/* 0 new, 1 in progress, 2 chain known */
};

/* One explicit supersede between applied records. */
struct edge {
	size_t	from;			/* the superseding record */
	size_t	to;			/* the superseded record */
};

/* One record key's outcome. */
struct hkey {
	size_t		 first;		/* its records: recs[first..first+n) */
	size_t		 n;
	size_t		 winner;	/* index into recs */
	int		 conflict;	/* heads differ */
	unsigned	 conf;		/* confirmations */
	char		*body;		/* winner's JSON (heads walk only) */
};

/* The whole computation. */
struct heads {
	struct arec	*r;		/* records, in key then id order */
	size_t		 nr, capr;
	struct edge	*e;		/* explicit edges, sorted by from */
	size_t		 ne, cape;
	size_t		*byid;		/* indexes of r sorted by id */
	struct hkey	*k;		/* keys, in key order */
	size_t		 nk;
};

/* Free everything h holds. */
static void
heads_free(struct heads *h)
{
	size_t	i;

	for (i = 0; i < h->nr; i++) {
		free(h->r[i].area);
		free(h->r[i].level);
		free(h->r[i].counts);
	}
	for (i = 0; i < h->nk; i++)
		free(h->k[i].body);
	free(h->r);
	free(h->e);
	free(h->byid);
	free(h->k);
	memset(h, 0, sizeof(*h));
}

/* Grow an array *p of *cap elements of size sz to hold n + 1. */
static int
grow(void **p, size_t *cap, size_t n, size_t sz)
{
	void	*np;
	size_t	 nc;

	if (n < *cap)
		return TLY_OK;
	if (n >= RECS_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "too many applied records");
	nc = *cap ? 2 * *cap : 256;
	if ((np = realloc(*p, nc * sz)) == NULL)
		return TLY_E_NOMEM;
	*p = np;
	*cap = nc;
	return TLY_OK;
}

/* The heads qsort compares in; every compute runs under the reader lock. */
static const struct heads *sort_h;

/* qsort: record indexes by record id. */
static int
cmp_byid(const void *a, const void *b)
{
	return strcmp(sort_h->r[*(const size_t *)a].id,
	    sort_h->r[*(const size_t *)b].id);
}

/* qsort: record indexes by (device, seq, idx). */
static int
cmp_own(const void *a, const void *b)
{
	const struct arec	*x = &sort_h->r[*(const size_t *)a];
	const struct arec	*y = &sort_h->r[*(const size_t *)b];
	int			 c;

	if ((c = memcmp(x->device, y->device, TLY_PK_LEN)) != 0)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* qsort: edges by from. */
static int
cmp_edge(const void *a, const void *b)
{
	const struct edge	*x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

/* Index of the record with this id, or NONE. */
static size_t
find_rec(const struct heads *h, const char *id)
{
	size_t	lo = 0, hi = h->nr, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(h->r[h->byid[mid]].id, id);
		if (c == 0)
			return h->byid[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

/* Load the applied records and explicit edges (inside a read tx). */
static int
load(struct tly_cstore *s, struct heads *h)
{
	sqlite3_stmt	*st = s->rs[R_APPLIED_RECS];
	struct arec	*a;
	size_t		 i, to;
	int		 rc, r;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = grow((void **)&h->r, &h->capr, h->nr,
		    sizeof(*h->r))) != TLY_OK)
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
		a->own = NONE;
		if ((a->area = strdup(tly_cstore_col_text(st, 4))) == NULL ||
		    (a->level = strdup(tly_cstore_col_text(st, 5))) == NULL ||
		    (a->counts = strdup(tly_cstore_col_text(st, 7))) == NULL) {
			r = TLY_E_NOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->r, "applied records");
		goto out;
	}
	tly_cstore_st_done(st);
	if ((h->byid = calloc(h->nr > 0 ? h->nr : 1, sizeof(size_t))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	for (i = 0; i < h->nr; i++)
		h->byid[i] = i;
	sort_h = h;
	qsort(h->byid, h->nr, sizeof(size_t), cmp_byid);

	st = s->rs[R_APPLIED_SUP];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((to = find_rec(h, tly_cstore_col_text(st, 1))) == NONE)
			continue;	/* names no applied record */
		if ((r = grow((void **)&h->e, &h->cape, h->ne,
		    sizeof(*h->e))) != TLY_OK)
			goto out;
		h->e[h->ne].from = find_rec(h, tly_cstore_col_text(st, 0));
		h->e[h->ne].to = to;
		if (h->e[h->ne].from != NONE && h->e[h->ne].from != to)
			h->ne++;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->r, "supersedes");
		goto out;
	}
	if (h->ne > 1)
		qsort(h->e, h->ne, sizeof(*h->e), cmp_edge);
	r = TLY_OK;
 out:
	tly_cstore_st_done(st);
	return r;
}

/* Same record key. */
static int
same_key(const struct arec *a, const struct arec *b)
{
	return a->round == b->round && strcmp(a->area, b->area) == 0 &&
	    strcmp(a->level, b->level) == 0;
}

/* First edge index with from == v (or ne). */
static size_t
first_edge(const struct heads *h, size_t v)
{
	size_t	lo = 0, hi = h->ne, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->e[mid].from < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Supersede chain lengths of every record, without recursion. */
static int
chains(struct heads *h)
{
	size_t	*stack, sp, v, j, c, cap;
	uint64_t best;
	int	 any;

	cap = 2 * (h->nr + h->ne) + 2;
	if ((stack = malloc(cap * sizeof(*stack))) == NULL)
		return TLY_E_NOMEM;
	for (size_t i = 0; i < h->nr; i++) {
		if (h->r[i].done)
			continue;
		sp = 0;
		stack[sp++] = i;
		while (sp > 0) {
			v = stack[sp - 1];
			if (h->r[v].done == 0) {
				h->r[v].done = 1;
				/* Children first; each is pushed at most once. */
				if ((c = h->r[v].own) != NONE &&
				    h->r[c].done == 0 && sp < cap)
					stack[sp++] = c;
				for (j = first_edge(h, v); j < h->ne &&
				    h->e[j].from == v; j++)
					if (h->r[h->e[j].to].done == 0 &&
					    sp < cap)
						stack[sp++] = h->e[j].to;
				continue;
			}
			sp--;
			if (h->r[v].done == 2)
				continue;
			best = 0;
			any = 0;
			if ((c = h->r[v].own) != NONE) {
				any = 1;
				best = h->r[c].chain;
			}
			for (j = first_edge(h, v); j < h->ne &&
			    h->e[j].from == v; j++) {
				any = 1;
				if (h->r[h->e[j].to].chain > best)
					best = h->r[h->e[j].to].chain;
			}
			h->r[v].chain = any ? best + 1 : 0;
			h->r[v].done = 2;
		}
	}
	free(stack);
	return TLY_OK;
}

/* 1 if record a beats record b as winner (12.4). */
static int
beats(const struct arec *a, const struct arec *b)
{
	int	c;

	if (a->chain != b->chain)
		return a->chain > b->chain;
	if (a->seq != b->seq)
		return a->seq > b->seq;
	if ((c = memcmp(a->sig, b->sig, TLY_SIG_LEN)) != 0)
		return c > 0;
	return a->idx > b->idx;
}

/* Group the keys, apply supersedes, pick winners (12.4). */
static int
decide(struct heads *h)
{
	struct hkey	*k;
	size_t		*tmp = NULL, i, j, m, n;
	int		 r;

	if ((tmp = calloc(h->nr > 0 ? h->nr : 1, sizeof(*tmp))) == NULL ||
	    (h->k = calloc(h->nr > 0 ? h->nr : 1, sizeof(*h->k))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	/* Keys, and the implicit supersedes of own earlier versions. */
	sort_h = h;
	for (i = 0; i < h->nr; i = j) {
		for (j = i; j < h->nr && same_key(&h->r[i], &h->r[j]); j++)
			tmp[j - i] = j;
		n = j - i;
		qsort(tmp, n, sizeof(*tmp), cmp_own);
		for (m = 1; m < n; m++)
			if (memcmp(h->r[tmp[m]].device, h->r[tmp[m - 1]].device,
			    TLY_PK_LEN) == 0) {
				h->r[tmp[m]].own = tmp[m - 1];
				h->r[tmp[m - 1]].superseded = 1;
			}
		h->k[h->nk].first = i;
		h->k[h->nk].n = n;
		h->nk++;
	}
	for (i = 0; i < h->ne; i++)
		h->r[h->e[i].to].superseded = 1;
	if ((r = chains(h)) != TLY_OK)
		goto out;
	for (i = 0; i < h->nk; i++) {
		k = &h->k[i];
		k->winner = NONE;
		for (j = k->first; j < k->first + k->n; j++)
			if (!h->r[j].superseded && (k->winner == NONE ||
			    beats(&h->r[j], &h->r[k->winner])))
				k->winner = j;
		if (k->winner == NONE)
			continue;	/* every record superseded elsewhere */
		/* Distinct devices among heads with the winner's counts. */
		for (j = k->first; j < k->first + k->n; j++) {
			if (h->r[j].superseded)
				continue;
			if (strcmp(h->r[j].counts, h->r[k->winner].counts) != 0) {
				k->conflict = 1;
				continue;
			}
			for (m = k->first; m < j; m++)
				if (!h->r[m].superseded && strcmp(h->r[m].counts,
				    h->r[j].counts) == 0 && memcmp(h->r[m].device,
				    h->r[j].device, TLY_PK_LEN) == 0)
					break;
			if (m == j)
				k->conf++;
		}
	}
	r = TLY_OK;
 out:
	free(tmp);
	return r;
}

/* Compute h inside an open read transaction. */
static int
compute(struct tly_cstore *s, struct heads *h)
{
	int	r;

	memset(h, 0, sizeof(*h));
	if ((r = load(s, h)) != TLY_OK || (r = decide(h)) != TLY_OK)
		heads_free(h);
	return r;
}

/* Begin a read transaction on the reader connection (lock taken). */
static int
read_begin(struct tly_cstore *s)
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
static void
read_end(struct tly_cstore *s)
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

int
tly_cstore_heads(struct tly_cstore *s, tly_cstore_head_fn fn, void *arg)
{
	struct heads		 h;
	struct tly_cstore_head	 out;
	struct tly_record	 rec;
	const struct hkey	*k;
	size_t			 i;
	int			 r;

	if ((r = read_begin(s)) != TLY_OK)
		return r;
	if ((r = compute(s, &h)) != TLY_OK) {
		read_end(s);
		return r;
	}
	for (i = 0; i < h.nk && r == TLY_OK; i++)
		if (h.k[i].winner != NONE)
			r = load_body(s, h.r[h.k[i].winner].id, &h.k[i].body);
	read_end(s);
	/* The snapshot is in memory: callbacks run without the lock. */
	for (i = 0; i < h.nk && r == TLY_OK; i++) {
		k = &h.k[i];
		if (k->winner == NONE)
			continue;
		tly_record_init(&rec);
		if ((r = tly_record_parse(k->body, strlen(k->body), &rec)) !=
		    TLY_OK) {
			r = tly_fail(TLY_E_DB, "stored record %s does not "
			    "parse", h.r[k->winner].id);
			break;
		}
		memset(&out, 0, sizeof(out));
		out.rec = &rec;
		snprintf(out.record_id, sizeof(out.record_id), "%s",
		    h.r[k->winner].id);
		out.confirmations = k->conf;
		out.disputed = k->conflict;
		r = fn(arg, &out);
		tly_record_finish(&rec);
	}
	heads_free(&h);
	return r;
}

/* Hash the device, evidence and kept lines of 12.6; count into st. */
static int
hash_logs(struct tly_cstore *s, struct tly_hasher *hs,
    struct tly_cstore_stats *st)
{
	sqlite3_stmt	*q;
	char		 line[400], h1[TLY_HEX_PK], h2[TLY_HEX_HASH];
	char		 h3[TLY_HEX_HASH];
	uint8_t		 a[32], b[32], c[32];
	int		 rc, n;

	q = s->rs[R_DEVICES_ALL];
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (tly_cstore_col_id(q, 0, a) != 0)
			break;
		n = snprintf(line, sizeof(line), "device %s head %llu applied "
		    "%llu frozen %llu\n", tly_hex(a, 32, h1),
		    (unsigned long long)tly_cstore_col_u64(q, 1),
		    (unsigned long long)tly_cstore_col_u64(q, 2),
		    (unsigned long long)tly_cstore_col_u64(q, 3));
		tly_hasher_update(hs, line, (size_t)n);
		st->devices++;
		st->frozen += tly_cstore_col_u64(q, 3) > 0;
	}
	tly_cstore_st_done(q);
	if (rc != SQLITE_DONE)
		return tly_cstore_db_fail(s->r, "devices");
	q = s->rs[R_EVID_ALL];
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (tly_cstore_col_id(q, 0, a) != 0 ||
		    tly_cstore_col_id(q, 3, b) != 0 ||
		    tly_cstore_col_id(q, 4, c) != 0)
			break;
		n = snprintf(line, sizeof(line), "evidence %s %llu %s %s %s\n",
		    tly_hex(a, 32, h1),
		    (unsigned long long)tly_cstore_col_u64(q, 1),
		    tly_cstore_col_text(q, 2), tly_hex(b, 32, h2),
		    tly_hex(c, 32, h3));
		tly_hasher_update(hs, line, (size_t)n);
		st->evidence++;
	}
	tly_cstore_st_done(q);
	if (rc != SQLITE_DONE)
		return tly_cstore_db_fail(s->r, "evidence");
	q = s->rs[R_KEPT];
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (tly_cstore_col_id(q, 0, a) != 0 ||
		    tly_cstore_col_id(q, 1, b) != 0)
			break;
		n = snprintf(line, sizeof(line), "kept %s %s\n",
		    tly_hex(a, 32, h1), tly_hex(b, 32, h2));
		tly_hasher_update(hs, line, (size_t)n);
	}
	tly_cstore_st_done(q);
	if (rc != SQLITE_DONE)
		return tly_cstore_db_fail(s->r, "kept");
	return TLY_OK;
}

/* Hash the key lines of 12.6. */
static void
hash_keys(const struct heads *h, struct tly_hasher *hs,
    struct tly_cstore_stats *st)
{
	const struct hkey	*k;
	const struct arec	*w;
	char			 line[512];
	size_t			 i, j;
	int			 n;

	for (i = 0; i < h->nk; i++) {
		k = &h->k[i];
		if (k->winner == NONE)
			continue;
		w = &h->r[k->winner];
		n = snprintf(line, sizeof(line), "key %s %s %llu %s %u %s",
		    w->area, w->level, (unsigned long long)w->round,
		    k->conflict ? "conflict" : "agreed", k->conf, w->id);
		tly_hasher_update(hs, line, (size_t)n);
		for (j = k->first; j < k->first + k->n; j++)
			if (!h->r[j].superseded) {
				tly_hasher_update(hs, " ", 1);
				tly_hasher_update(hs, h->r[j].id,
				    strlen(h->r[j].id));
			}
		tly_hasher_update(hs, "\n", 1);
		st->keys++;
		st->conflicts += k->conflict != 0;
	}
}

int
tly_cstore_stats(struct tly_cstore *s, struct tly_cstore_stats *st)
{
	static const char	 magic[] = "tally-state-v1\n";
	struct tly_hasher	*hs = NULL;
	struct heads		 h;
	int			 r, have = 0;

	memset(st, 0, sizeof(*st));
	memset(&h, 0, sizeof(h));
	if ((r = tly_hasher_create(&hs)) != TLY_OK)
		return r;
	if ((r = read_begin(s)) != TLY_OK)
		goto out;
	tly_hasher_update(hs, magic, sizeof(magic) - 1);
	if ((r = hash_logs(s, hs, st)) != TLY_OK ||
	    (r = tly_cstore_one_u64(s->r, s->rs[R_NBATCHES], &st->batches,
	    "batches")) != TLY_OK ||
	    (r = tly_cstore_one_u64(s->r, s->rs[R_NAPPLIED], &st->applied,
	    "applied")) != TLY_OK ||
	    (r = compute(s, &h)) != TLY_OK) {
		read_end(s);
		goto out;
	}
	have = 1;
	read_end(s);
	hash_keys(&h, hs, st);
	tly_hasher_final(hs, st->state_hash);
 out:
	if (have)
		heads_free(&h);
	tly_hasher_destroy(hs);
	return r;
}

/* Write one head of a conflicting key. */
static int
conflict_head(struct tly_cstore *s, const struct arec *a, struct tly_jw *w)
{
	char	*body = NULL;
	int	 r;

	if ((r = load_body(s, a->id, &body)) != TLY_OK)
		return r;
	tly_jw_obj_open(w);
	tly_jw_key(w, "record");
	tly_jw_str(w, a->id);
	tly_jw_key(w, "device");
	tly_jw_hex(w, a->device, TLY_PK_LEN);
	tly_jw_key(w, "seq");
	tly_jw_uint(w, a->seq);
	tly_jw_key(w, "chain");
	tly_jw_uint(w, a->chain);
	tly_jw_key(w, "counts");
	tly_jw_str(w, a->counts);
	tly_jw_key(w, "body");
	tly_jw_raw(w, body, strlen(body));
	tly_jw_obj_close(w);
	free(body);
	return w->err;
}

int
tly_cstore_conflicts_json(struct tly_cstore *s, size_t max, struct tly_jw *w)
{
	struct heads		 h;
	const struct hkey	*k;
	const struct arec	*win;
	size_t			 i, j, n = 0;
	int			 r, more = 0;

	if ((r = read_begin(s)) != TLY_OK)
		return r;
	if ((r = compute(s, &h)) != TLY_OK) {
		read_end(s);
		return r;
	}
	tly_jw_key(w, "conflicts");
	tly_jw_arr_open(w);
	for (i = 0; i < h.nk && r == TLY_OK; i++) {
		k = &h.k[i];
		if (k->winner == NONE || !k->conflict)
			continue;
		if (n == max) {
			more = 1;
			break;
		}
		n++;
		win = &h.r[k->winner];
		tly_jw_obj_open(w);
		tly_jw_key(w, "area");
		tly_jw_str(w, win->area);
		tly_jw_key(w, "level");
		tly_jw_str(w, win->level);
		tly_jw_key(w, "round");
		tly_jw_uint(w, win->round);
		tly_jw_key(w, "winner");
		tly_jw_str(w, win->id);
		tly_jw_key(w, "heads");
		tly_jw_arr_open(w);
		for (j = k->first; j < k->first + k->n && r == TLY_OK; j++)
			if (!h.r[j].superseded)
				r = conflict_head(s, &h.r[j], w);
		tly_jw_arr_close(w);
		tly_jw_obj_close(w);
	}
	read_end(s);
	tly_jw_arr_close(w);
	tly_jw_key(w, "more");
	tly_jw_bool(w, more);
	heads_free(&h);
	return r != TLY_OK ? r : w->err;
}
