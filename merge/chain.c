/*
 * chain.c: one device's log (PROTOCOL.md 12.2 and 12.3): kept decisions
 * and what they overrule, equivocation proofs, the freeze seq, the
 * applied chain and the head, from that device's held batches alone.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "merge/merge.h"

/* The seq groups of sorted batches: b[lo[i] .. hi[i]) share b[i].seq. */
struct groups {
	size_t	*lo;		/* first index of i's group */
	size_t	*hi;		/* one past its last */
};

/* qsort: batches by (seq, id). */
static int
cmp_batch(const void *a, const void *b)
{
	const struct tly_merge_batch	*x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return memcmp(x->id, y->id, TLY_HASH_LEN);
}

/* Fill g for the n sorted batches b[]. */
static int
groups_make(const struct tly_merge_batch *b, size_t n, struct groups *g)
{
	size_t	i, j, k;

	g->lo = calloc(n > 0 ? n : 1, sizeof(*g->lo));
	g->hi = calloc(n > 0 ? n : 1, sizeof(*g->hi));
	if (g->lo == NULL || g->hi == NULL)
		return TLY_E_NOMEM;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && b[j].seq == b[i].seq; j++)
			;
		for (k = i; k < j; k++) {
			g->lo[k] = i;
			g->hi[k] = j;
		}
	}
	return TLY_OK;
}

/* The group one seq below i's: [*lo, *hi), empty when none is held. */
static void
group_below(const struct tly_merge_batch *b, const struct groups *g,
    size_t i, size_t *lo, size_t *hi)
{
	size_t	p = g->lo[i];

	*lo = *hi = p;
	if (p > 0 && b[p - 1].seq + 1 == b[i].seq) {
		*lo = g->lo[p - 1];
		*hi = p;
	}
}

/* The index in [lo, hi) of the batch with this id, or TLY_MERGE_NONE. */
static size_t
find_in(const struct tly_merge_batch *b, size_t lo, size_t hi,
    const uint8_t *id)
{
	for (; lo < hi; lo++)
		if (memcmp(b[lo].id, id, TLY_HASH_LEN) == 0)
			return lo;
	return TLY_MERGE_NONE;
}

/*
 * The kept set (12.3): per seq, the smallest named id counts; then,
 * repeatedly, the batch one seq below whose id is a kept batch's prev.
 */
static void
mark_kept(struct tly_merge_batch *b, size_t n, const struct groups *g,
    const uint8_t (*kept)[TLY_HASH_LEN], size_t nkept)
{
	size_t	i, j, x, lo, hi;

	for (i = 0; i < nkept; i++)
		for (x = 0; x < n; x++)
			if (memcmp(b[x].id, kept[i], TLY_HASH_LEN) == 0)
				b[x].kept = 1;
	/* A group is sorted by id: its first named batch counts. */
	for (x = 0; x < n; x++)
		if (b[x].kept)
			for (j = x + 1; j < g->hi[x]; j++)
				b[j].kept = 0;
	for (i = n; i-- > 0;) {
		if (!b[i].kept)
			continue;
		group_below(b, g, i, &lo, &hi);
		if ((x = find_in(b, lo, hi, b[i].prev)) != TLY_MERGE_NONE)
			b[x].kept = 1;
	}
}

/* Mark what the kept set overrules (12.3). */
static void
overrule(struct tly_merge_batch *b, size_t n, const struct groups *g)
{
	size_t	i, j, lo, hi, x;

	for (i = 0; i < n; i++) {
		if (!b[i].kept)
			continue;
		for (j = g->lo[i]; j < g->hi[i]; j++)
			if (j != i)
				b[j].over = 1;
		for (j = g->hi[i]; j < n && b[j].seq == b[i].seq + 1; j++)
			if (memcmp(b[j].prev, b[i].id, TLY_HASH_LEN) != 0)
				b[j].over = 1;
		group_below(b, g, i, &lo, &hi);
		for (j = lo; j < hi; j++)
			if (memcmp(b[j].id, b[i].prev, TLY_HASH_LEN) != 0)
				b[j].over = 1;
	}
	/* Kept batches never; descendants of overruled ones, in seq order. */
	for (i = 0; i < n; i++)
		if (b[i].kept)
			b[i].over = 0;
	for (i = 0; i < n; i++) {
		if (b[i].kept || b[i].over)
			continue;
		group_below(b, g, i, &lo, &hi);
		if ((x = find_in(b, lo, hi, b[i].prev)) != TLY_MERGE_NONE &&
		    b[x].over)
			b[i].over = 1;
	}
}

/* Append proof (a, b) of kind to d. */
static int
add_proof(struct tly_merge_dev *d, size_t *cap, const struct tly_merge_batch *b,
    size_t a, size_t bi, enum tly_merge_kind kind)
{
	struct tly_merge_proof	*np;
	size_t			 nc;

	if (d->nproofs == *cap) {
		if (*cap >= TLY_MERGE_HELD_MAX)
			return tly_fail(TLY_E_TOO_LARGE, "too many proofs");
		nc = *cap ? 2 * *cap : 8;
		if ((np = realloc(d->proofs, nc * sizeof(*np))) == NULL)
			return TLY_E_NOMEM;
		d->proofs = np;
		*cap = nc;
	}
	np = &d->proofs[d->nproofs++];
	np->kind = kind;
	np->seq = b[a].seq;
	np->a = a;
	np->b = bi;
	np->resolved = b[a].over || b[bi].over;
	if (!np->resolved && (d->frozen == 0 || np->seq < d->frozen))
		d->frozen = np->seq;
	return TLY_OK;
}

/* Every pair of 12.2, and the freeze seq. */
static int
proofs(const struct tly_merge_batch *b, size_t n, struct tly_merge_dev *d)
{
	size_t	i, j, cap = 0;
	int	r;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n && b[j].seq <= b[i].seq + 1; j++) {
			if (b[j].seq == b[i].seq)
				r = add_proof(d, &cap, b, i, j,
				    TLY_MERGE_SAME_SEQ);
			else if (memcmp(b[j].prev, b[i].id, TLY_HASH_LEN) != 0)
				r = add_proof(d, &cap, b, i, j,
				    TLY_MERGE_PREV_MISMATCH);
			else
				continue;
			if (r != TLY_OK)
				return r;
		}
	return TLY_OK;
}

/* Each batch's link to the seq below (10 step 8). */
static void
links(struct tly_merge_batch *b, size_t n, const struct groups *g)
{
	static const uint8_t	zero[TLY_HASH_LEN];
	size_t			i, lo, hi;

	for (i = 0; i < n; i++) {
		if (b[i].seq == 1) {
			b[i].link = memcmp(b[i].prev, zero, TLY_HASH_LEN) == 0 ?
			    TLY_MERGE_LINK_OK : TLY_MERGE_LINK_BROKEN;
			continue;
		}
		group_below(b, g, i, &lo, &hi);
		if (lo == hi)
			b[i].link = TLY_MERGE_LINK_UNKNOWN;
		else
			b[i].link = find_in(b, lo, hi, b[i].prev) !=
			    TLY_MERGE_NONE ? TLY_MERGE_LINK_OK :
			    TLY_MERGE_LINK_BROKEN;
	}
}

/* The contiguous head and the applied chain (12.2). */
static void
apply(struct tly_merge_batch *b, size_t n, const struct groups *g,
    struct tly_merge_dev *d)
{
	static const uint8_t	 zero[TLY_HASH_LEN];
	const uint8_t		*prev = zero;
	size_t			 i, j, live, pick = 0;

	for (i = 0; i < n; i = g->hi[i]) {
		if (b[i].seq != d->head + 1)
			break;
		d->head++;
		for (j = i, live = 0; j < g->hi[i]; j++)
			if (!b[j].over) {
				live++;
				pick = j;
			}
		if (d->applied + 1 == d->head &&
		    (d->frozen == 0 || d->head < d->frozen) && live == 1 &&
		    memcmp(b[pick].prev, prev, TLY_HASH_LEN) == 0) {
			d->chain[d->applied++] = pick;
			b[pick].applied = 1;
			prev = b[pick].id;
		}
	}
	/* The batch at head: the applied one, else the smallest id there. */
	d->head_ix = TLY_MERGE_NONE;
	if (d->head > 0 && d->head <= d->applied)
		d->head_ix = d->chain[d->head - 1];
	else if (d->head > 0)
		for (i = 0; i < n; i++)
			if (b[i].seq == d->head) {
				d->head_ix = i;
				break;
			}
}

int
tly_merge_device(struct tly_merge_batch *b, size_t n,
    const uint8_t (*kept)[TLY_HASH_LEN], size_t nkept,
    struct tly_merge_dev *d)
{
	struct groups	g = { NULL, NULL };
	size_t		i;
	int		r;

	memset(d, 0, sizeof(*d));
	d->head_ix = TLY_MERGE_NONE;
	if (n > TLY_MERGE_HELD_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "too many batches of one "
		    "device");
	if (n > 1)
		qsort(b, n, sizeof(*b), cmp_batch);
	for (i = 0; i < n; i++) {
		if (b[i].seq == 0 || (i > 0 && cmp_batch(&b[i - 1], &b[i]) ==
		    0))
			return tly_fail(TLY_E_INVAL, "merge: seq 0 or the same "
			    "batch twice");
		b[i].kept = b[i].over = b[i].applied = 0;
		b[i].link = TLY_MERGE_LINK_UNKNOWN;
	}
	if ((r = groups_make(b, n, &g)) != TLY_OK)
		goto out;
	if ((d->chain = calloc(n > 0 ? n : 1, sizeof(*d->chain))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	mark_kept(b, n, &g, kept, nkept);
	overrule(b, n, &g);
	if ((r = proofs(b, n, d)) != TLY_OK)
		goto out;
	links(b, n, &g);
	apply(b, n, &g, d);
 out:
	if (r != TLY_OK)
		tly_merge_dev_finish(d);
	free(g.lo);
	free(g.hi);
	return r;
}

void
tly_merge_dev_finish(struct tly_merge_dev *d)
{
	if (d == NULL)
		return;
	free(d->chain);
	free(d->proofs);
	memset(d, 0, sizeof(*d));
	d->head_ix = TLY_MERGE_NONE;
}

const char *
tly_merge_kind_name(enum tly_merge_kind kind)
{
	return kind == TLY_MERGE_SAME_SEQ ? "same_seq" : "prev_mismatch";
}

int
tly_merge_kind_parse(const char *s)
{
	if (strcmp(s, "same_seq") == 0)
		return TLY_MERGE_SAME_SEQ;
	if (strcmp(s, "prev_mismatch") == 0)
		return TLY_MERGE_PREV_MISMATCH;
	return -1;
}
