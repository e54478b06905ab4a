/*
 * heads.c: versions of one count record (PROTOCOL.md 12.4): which
 * applied records supersede which, the heads of each record key, its
 * winner, its confirmations and whether it is in conflict, and the
 * resolve decisions that choose the winner of a conflict; and the
 * counts string of 12.1 that decides when two heads agree.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "election/election.h"
#include "merge/merge.h"

/* One explicit supersede between records, by index. */
struct edge {
	size_t	from;			/* the superseding record */
	size_t	to;			/* the superseded record */
};

/* An index into the records, with its id, to sort without context. */
struct byid {
	const char	*id;		/* r[ix].id */
	size_t		 ix;		/* the index */
};

/* The working state of one computation. */
struct work {
	struct tly_merge_rec	*r;	/* the records, sorted */
	size_t			 nr;
	struct edge		*e;	/* explicit edges, sorted by from */
	size_t			 ne;
	struct byid		*byid;	/* records sorted by id */
};

int
tly_merge_counts(const struct tly_record *rec, struct tly_buf *out)
{
	size_t	order[TLY_CAND_MAX], i, j, k, n;
	int	r;

	r = tly_buf_addf(out, "%llu %llu %llu %llu %llu %llu",
	    (unsigned long long)rec->registered,
	    (unsigned long long)rec->voted, (unsigned long long)rec->issued,
	    (unsigned long long)rec->received, (unsigned long long)rec->valid,
	    (unsigned long long)rec->invalid);
	n = rec->nvotes < TLY_CAND_MAX ? rec->nvotes : TLY_CAND_MAX;
	/* Insertion sort of the candidates by id, bytewise. */
	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && strcmp(rec->votes[order[j - 1]].cand,
		    rec->votes[i].cand) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < n && r == TLY_OK; i++)
		r = tly_buf_addf(out, " %s=%llu", rec->votes[order[i]].cand,
		    (unsigned long long)rec->votes[order[i]].votes);
	if (r == TLY_OK && rec->nmarks > 0) {
		r = tly_buf_addstr(out, " marks=");
		for (k = 0; k < rec->nmarks && k < TLY_SEATS_MAX &&
		    r == TLY_OK; k++)
			r = tly_buf_addf(out, "%s%llu", k > 0 ? "," : "",
			    (unsigned long long)rec->marks[k]);
	}
	if (r == TLY_OK)
		r = tly_buf_add(out, "", 1);	/* NUL */
	return r;
}

/* One decimal integer of section 1 at *p (before end), no leading zero. */
static int
counts_uint(const char **p, const char *end, uint64_t *v)
{
	const char	*q = *p;
	uint64_t	 x = 0;

	if (q >= end || *q < '0' || *q > '9' || (*q == '0' && q + 1 < end &&
	    q[1] >= '0' && q[1] <= '9'))
		return TLY_E_INVAL;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		x = x * 10 + (uint64_t)(*q - '0');
		if (x > TLY_JSON_INT_MAX)
			return TLY_E_INVAL;
	}
	*p = q;
	*v = x;
	return TLY_OK;
}

int
tly_merge_counts_parse(const char *s, size_t len, struct tly_record *rec)
{
	uint64_t	*head[6] = { &rec->registered, &rec->voted,
			    &rec->issued, &rec->received, &rec->valid,
			    &rec->invalid };
	const char	*p = s, *end = s + len, *id;
	size_t		 i, n;

	for (i = 0; i < 6; i++)
		if ((i > 0 && (p >= end || *p++ != ' ')) ||
		    counts_uint(&p, end, head[i]) != TLY_OK)
			return TLY_E_INVAL;
	rec->nvotes = rec->nmarks = 0;
	while (p < end) {
		if (*p++ != ' ')
			return TLY_E_INVAL;
		if ((size_t)(end - p) >= 6 && memcmp(p, "marks=", 6) == 0)
			break;
		for (id = p; p < end && *p != '=' && *p != ' '; p++)
			;
		n = (size_t)(p - id);
		if (n == 0 || n > TLY_ID_MAX || p >= end || *p++ != '=' ||
		    rec->nvotes >= TLY_CAND_MAX)
			return TLY_E_INVAL;
		memcpy(rec->votes[rec->nvotes].cand, id, n);
		rec->votes[rec->nvotes].cand[n] = '\0';
		if (strlen(rec->votes[rec->nvotes].cand) != n ||
		    !tly_json_valid_id(rec->votes[rec->nvotes].cand))
			return TLY_E_INVAL;	/* a candidate id (record.c) */
		if (rec->nvotes > 0 && strcmp(rec->votes[rec->nvotes - 1].cand,
		    rec->votes[rec->nvotes].cand) >= 0)
			return TLY_E_INVAL;
		if (counts_uint(&p, end, &rec->votes[rec->nvotes].votes) !=
		    TLY_OK)
			return TLY_E_INVAL;
		rec->nvotes++;
	}
	if (p >= end)
		return TLY_OK;
	for (p += 6; ; p++) {	/* "marks=" n_1,...,n_S */
		if (rec->nmarks >= TLY_SEATS_MAX ||
		    counts_uint(&p, end, &rec->marks[rec->nmarks]) != TLY_OK)
			return TLY_E_INVAL;
		rec->nmarks++;
		if (p >= end)
			return TLY_OK;
		if (*p != ',')
			return TLY_E_INVAL;
	}
}

/* Compare record keys (12.1): area, level (bytewise), then round. */
static int
key_cmp(const char *a1, const char *l1, uint64_t r1, const char *a2,
    const char *l2, uint64_t r2)
{
	int	c;

	if ((c = strcmp(a1, a2)) != 0 || (c = strcmp(l1, l2)) != 0)
		return c;
	return r1 < r2 ? -1 : r1 > r2;
}

/* qsort: records by key (area, level, round), then id. */
static int
cmp_key_id(const void *a, const void *b)
{
	const struct tly_merge_rec	*x = a, *y = b;
	int				 c;

	if ((c = key_cmp(x->area, x->level, x->round, y->area, y->level,
	    y->round)) != 0)
		return c;
	return strcmp(x->id, y->id);
}

/* qsort: byid entries by id. */
static int
cmp_byid(const void *a, const void *b)
{
	return strcmp(((const struct byid *)a)->id,
	    ((const struct byid *)b)->id);
}

/* qsort: record pointers by (device, seq, idx). */
static int
cmp_own(const void *a, const void *b)
{
	const struct tly_merge_rec *const	*pa = a, *const *pb = b;
	const struct tly_merge_rec		*x = *pa, *y = *pb;
	int					 c;

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

/* Same record key. */
static int
same_key(const struct tly_merge_rec *a, const struct tly_merge_rec *b)
{
	return key_cmp(a->area, a->level, a->round, b->area, b->level,
	    b->round) == 0;
}

/* Index of the record with this id, or TLY_MERGE_NONE. */
static size_t
find_rec(const struct work *w, const char *id)
{
	size_t	lo = 0, hi = w->nr, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(w->byid[mid].id, id);
		if (c == 0)
			return w->byid[mid].ix;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return TLY_MERGE_NONE;
}

/* First edge index with from == v (or ne). */
static size_t
first_edge(const struct work *w, size_t v)
{
	size_t	lo = 0, hi = w->ne, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->e[mid].from < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Sort the records, index them by id and resolve the explicit edges. */
static int
load(struct work *w, const struct tly_merge_sup *sup, size_t nsup)
{
	size_t	i, from, to;

	if (w->nr > 1)
		qsort(w->r, w->nr, sizeof(*w->r), cmp_key_id);
	if ((w->byid = calloc(w->nr > 0 ? w->nr : 1, sizeof(*w->byid))) ==
	    NULL || (w->e = calloc(nsup > 0 ? nsup : 1, sizeof(*w->e))) ==
	    NULL)
		return TLY_E_NOMEM;
	for (i = 0; i < w->nr; i++) {
		w->r[i].superseded = 0;
		w->r[i].chain = 0;
		w->r[i].own = TLY_MERGE_NONE;
		w->r[i].done = 0;
		w->byid[i].id = w->r[i].id;
		w->byid[i].ix = i;
	}
	if (w->nr > 1)
		qsort(w->byid, w->nr, sizeof(*w->byid), cmp_byid);
	for (i = 0; i < nsup; i++) {
		if ((to = find_rec(w, sup[i].to)) == TLY_MERGE_NONE ||
		    (from = find_rec(w, sup[i].from)) == TLY_MERGE_NONE ||
		    from == to)
			continue;	/* names no applied record */
		w->e[w->ne].from = from;
		w->e[w->ne].to = to;
		w->ne++;
	}
	if (w->ne > 1)
		qsort(w->e, w->ne, sizeof(*w->e), cmp_edge);
	return TLY_OK;
}

/* Supersede chain lengths of every record, without recursion. */
static int
chains(struct work *w)
{
	struct tly_merge_rec	*r = w->r;
	size_t			*stack, sp, v, j, c, cap, i;
	uint64_t		 best;
	int			 any;

	cap = 2 * (w->nr + w->ne) + 2;
	if ((stack = malloc(cap * sizeof(*stack))) == NULL)
		return TLY_E_NOMEM;
	for (i = 0; i < w->nr; i++) {
		if (r[i].done)
			continue;
		sp = 0;
		stack[sp++] = i;
		while (sp > 0) {
			v = stack[sp - 1];
			if (r[v].done == 0) {
				r[v].done = 1;
				/* Children first; each is pushed at most once. */
				if ((c = r[v].own) != TLY_MERGE_NONE &&
				    r[c].done == 0 && sp < cap)
					stack[sp++] = c;
				for (j = first_edge(w, v); j < w->ne &&
				    w->e[j].from == v; j++)
					if (r[w->e[j].to].done == 0 && sp < cap)
						stack[sp++] = w->e[j].to;
				continue;
			}
			sp--;
			if (r[v].done == 2)
				continue;
			best = 0;
			any = 0;
			if ((c = r[v].own) != TLY_MERGE_NONE) {
				any = 1;
				best = r[c].chain;
			}
			for (j = first_edge(w, v); j < w->ne &&
			    w->e[j].from == v; j++) {
				any = 1;
				if (r[w->e[j].to].chain > best)
					best = r[w->e[j].to].chain;
			}
			r[v].chain = any ? best + 1 : 0;
			r[v].done = 2;
		}
	}
	free(stack);
	return TLY_OK;
}

/* 1 if record a beats record b as winner (12.4). */
static int
beats(const struct tly_merge_rec *a, const struct tly_merge_rec *b)
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

/* The conflict flag and confirmations of key k, given its winner. */
static void
confirm(const struct tly_merge_rec *r, struct tly_merge_key *k)
{
	size_t	j, m;

	k->conflict = 0;
	k->conf = 0;
	/* Distinct devices among heads with the winner's counts. */
	for (j = k->first; j < k->first + k->n; j++) {
		if (r[j].superseded)
			continue;
		if (strcmp(r[j].counts, r[k->winner].counts) != 0) {
			k->conflict = 1;
			continue;
		}
		for (m = k->first; m < j; m++)
			if (!r[m].superseded && strcmp(r[m].counts,
			    r[j].counts) == 0 && memcmp(r[m].device,
			    r[j].device, TLY_PK_LEN) == 0)
				break;
		if (m == j)
			k->conf++;
	}
}

/* The winner, conflict and confirmations of key k. */
static void
decide_key(const struct tly_merge_rec *r, struct tly_merge_key *k)
{
	size_t	j;

	k->winner = TLY_MERGE_NONE;
	k->stale = TLY_MERGE_NONE;
	for (j = k->first; j < k->first + k->n; j++)
		if (!r[j].superseded && (k->winner == TLY_MERGE_NONE ||
		    beats(&r[j], &r[k->winner])))
			k->winner = j;
	if (k->winner == TLY_MERGE_NONE)
		return;		/* every record superseded elsewhere */
	confirm(r, k);
}

/* Group the keys, apply supersedes, pick winners (12.4). */
static int
decide(struct work *w, struct tly_merge_heads *h)
{
	struct tly_merge_rec	**tmp = NULL;
	size_t			  i, j, m, n;
	int			  r;

	if ((tmp = calloc(w->nr > 0 ? w->nr : 1, sizeof(*tmp))) == NULL ||
	    (h->k = calloc(w->nr > 0 ? w->nr : 1, sizeof(*h->k))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	/* Keys, and the implicit supersedes of own earlier versions. */
	for (i = 0; i < w->nr; i = j) {
		for (j = i; j < w->nr && same_key(&w->r[i], &w->r[j]); j++)
			tmp[j - i] = &w->r[j];
		n = j - i;
		if (n > 1)
			qsort(tmp, n, sizeof(*tmp), cmp_own);
		for (m = 1; m < n; m++)
			if (memcmp(tmp[m]->device, tmp[m - 1]->device,
			    TLY_PK_LEN) == 0) {
				tmp[m]->own = (size_t)(tmp[m - 1] - w->r);
				tmp[m - 1]->superseded = 1;
			}
		h->k[h->nk].first = i;
		h->k[h->nk].n = n;
		h->nk++;
	}
	for (i = 0; i < w->ne; i++)
		w->r[w->e[i].to].superseded = 1;
	if ((r = chains(w)) != TLY_OK)
		goto out;
	for (i = 0; i < h->nk; i++)
		decide_key(w->r, &h->k[i]);
	r = TLY_OK;
 out:
	free(tmp);
	return r;
}

int
tly_merge_heads(struct tly_merge_rec *r, size_t nr,
    const struct tly_merge_sup *sup, size_t nsup, struct tly_merge_heads *h)
{
	struct work	w;
	int		ret;

	memset(h, 0, sizeof(*h));
	memset(&w, 0, sizeof(w));
	if (nr > TLY_MERGE_RECS_MAX || nsup > TLY_MERGE_RECS_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "too many applied records");
	w.r = r;
	w.nr = nr;
	h->r = r;
	h->nr = nr;
	if ((ret = load(&w, sup, nsup)) != TLY_OK ||
	    (ret = decide(&w, h)) != TLY_OK)
		tly_merge_heads_finish(h);
	free(w.byid);
	free(w.e);
	return ret;
}

void
tly_merge_heads_finish(struct tly_merge_heads *h)
{
	if (h == NULL)
		return;
	free(h->k);
	memset(h, 0, sizeof(*h));
}

/* qsort: resolutions by key, then issued descending, then id. */
static int
cmp_res(const void *a, const void *b)
{
	const struct tly_merge_resolution	*x = a, *y = b;
	int					 c;

	if ((c = key_cmp(x->area, x->level, x->round, y->area, y->level,
	    y->round)) != 0)
		return c;
	if (x->issued != y->issued)
		return x->issued > y->issued ? -1 : 1;
	return memcmp(x->id, y->id, TLY_HASH_LEN);
}

/* Compare resolution x's key with record w's: <0, 0, >0. */
static int
cmp_res_key(const struct tly_merge_resolution *x,
    const struct tly_merge_rec *w)
{
	return key_cmp(x->area, x->level, x->round, w->area, w->level,
	    w->round);
}

/* The head of key k whose record id is id, or TLY_MERGE_NONE. */
static size_t
head_named(const struct tly_merge_heads *h, const struct tly_merge_key *k,
    const char *id)
{
	size_t	j;

	for (j = k->first; j < k->first + k->n; j++)
		if (!h->r[j].superseded && strcmp(h->r[j].id, id) == 0)
			return j;
	return TLY_MERGE_NONE;
}

/* 1 if every head of key k is named in x's over (12.4). */
static int
covers(const struct tly_merge_heads *h, const struct tly_merge_key *k,
    const struct tly_merge_resolution *x)
{
	size_t	j, m;

	for (j = k->first; j < k->first + k->n; j++) {
		if (h->r[j].superseded)
			continue;
		for (m = 0; m < x->nover; m++)
			if (strcmp(x->over[m], h->r[j].id) == 0)
				break;
		if (m == x->nover)
			return 0;
	}
	return 1;
}

int
tly_merge_resolve(struct tly_merge_heads *h, struct tly_merge_resolution *res,
    size_t n)
{
	struct tly_merge_key	*k;
	size_t			 i, x = 0, j;

	if (n > TLY_MERGE_RECS_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "too many resolutions");
	for (i = 0; i < n; i++)
		res[i].counts = res[i].stale = 0;
	for (i = 0; i < h->nk; i++)
		h->k[i].stale = TLY_MERGE_NONE;
	if (n > 1)
		qsort(res, n, sizeof(*res), cmp_res);
	/* Keys and resolutions are both in key order: one merge walk. */
	for (i = 0; i < h->nk && x < n; i++) {
		k = &h->k[i];
		if (k->winner == TLY_MERGE_NONE)
			continue;
		while (x < n && cmp_res_key(&res[x], &h->r[k->winner]) < 0)
			x++;
		if (!k->conflict)
			continue;	/* agreed: a resolution changes nothing */
		/*
		 * The latest issued resolution naming a head counts, when
		 * it chose among every head; a later head reopens the key.
		 */
		for (; x < n && cmp_res_key(&res[x], &h->r[k->winner]) == 0;
		    x++) {
			if ((j = head_named(h, k, res[x].record)) ==
			    TLY_MERGE_NONE)
				continue;
			if (!covers(h, k, &res[x])) {
				res[x].stale = 1;
				k->stale = x;
				break;
			}
			res[x].counts = 1;
			k->winner = j;
			confirm(h->r, k);
			k->conflict = 0;
			k->resolved = 1;
			break;
		}
	}
	return TLY_OK;
}
