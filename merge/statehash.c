/*
 * statehash.c: the text of the state hash (PROTOCOL.md 12.6): one line
 * per device, per equivocation proof, per counting kept decision and
 * per record key, each group in its fixed order, whatever the order of
 * the inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge/merge.h"

/* qsort: device lines by device. */
static int
cmp_dev(const void *a, const void *b)
{
	return memcmp(((const struct tly_merge_devline *)a)->device,
	    ((const struct tly_merge_devline *)b)->device, TLY_PK_LEN);
}

/* qsort: proofs by device, seq, a, b. */
static int
cmp_ev(const void *a, const void *b)
{
	const struct tly_merge_evline	*x = a, *y = b;
	int				 c;

	if ((c = memcmp(x->device, y->device, TLY_PK_LEN)) != 0)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if ((c = memcmp(x->a, y->a, TLY_HASH_LEN)) != 0)
		return c;
	return memcmp(x->b, y->b, TLY_HASH_LEN);
}

/* qsort: decisions by device, seq, batch. */
static int
cmp_kept_seq(const void *a, const void *b)
{
	const struct tly_merge_decision	*x = a, *y = b;
	int				 c;

	if ((c = memcmp(x->device, y->device, TLY_PK_LEN)) != 0)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return memcmp(x->batch, y->batch, TLY_HASH_LEN);
}

/* qsort: decisions by device, batch. */
static int
cmp_kept_id(const void *a, const void *b)
{
	const struct tly_merge_decision	*x = a, *y = b;
	int				 c;

	if ((c = memcmp(x->device, y->device, TLY_PK_LEN)) != 0)
		return c;
	return memcmp(x->batch, y->batch, TLY_HASH_LEN);
}

/* Keep only the counting decisions at the front; returns their number. */
static size_t
counting(struct tly_merge_decision *k, size_t n)
{
	size_t	i, m = 0;

	if (n > 1)
		qsort(k, n, sizeof(*k), cmp_kept_seq);
	for (i = 0; i < n; i++) {
		if (m > 0 && memcmp(k[m - 1].device, k[i].device,
		    TLY_PK_LEN) == 0 && k[m - 1].seq == k[i].seq)
			continue;	/* a larger id at the same seq */
		k[m++] = k[i];
	}
	if (m > 1)
		qsort(k, m, sizeof(*k), cmp_kept_id);
	return m;
}

/* The status word of a key line. */
static const char *
status(const struct tly_merge_key *k)
{
	return k->conflict ? "conflict" : k->resolved ? "resolved" : "agreed";
}

/* The key lines (5 of 12.6). */
static void
key_lines(const struct tly_merge_heads *h, tly_merge_text_fn fn, void *arg)
{
	const struct tly_merge_key	*k;
	const struct tly_merge_rec	*w;
	char				 line[512];
	size_t				 i, j;
	int				 n;

	for (i = 0; h != NULL && i < h->nk; i++) {
		k = &h->k[i];
		if (k->winner == TLY_MERGE_NONE)
			continue;
		w = &h->r[k->winner];
		n = snprintf(line, sizeof(line), "key %s %s %llu %s %u %s",
		    w->area, w->level, (unsigned long long)w->round,
		    status(k), k->conf, w->id);
		if (n < 0 || (size_t)n >= sizeof(line)) {
			/* Long names: the same text in pieces. */
			fn(arg, "key ", 4);
			fn(arg, w->area, strlen(w->area));
			fn(arg, " ", 1);
			fn(arg, w->level, strlen(w->level));
			n = snprintf(line, sizeof(line), " %llu %s %u %s",
			    (unsigned long long)w->round, status(k), k->conf,
			    w->id);
		}
		fn(arg, line, (size_t)n);
		for (j = k->first; j < k->first + k->n; j++)
			if (!h->r[j].superseded) {
				fn(arg, " ", 1);
				fn(arg, h->r[j].id, strlen(h->r[j].id));
			}
		fn(arg, "\n", 1);
	}
}

void
tly_merge_state_text(struct tly_merge_state *st, tly_merge_text_fn fn,
    void *arg)
{
	static const char	 magic[] = "tally-state-v1\n";
	char			 line[400], h1[TLY_HEX_PK], h2[TLY_HEX_HASH];
	char			 h3[TLY_HEX_HASH];
	size_t			 i;
	int			 n;

	fn(arg, magic, sizeof(magic) - 1);
	if (st->ndevs > 1)
		qsort(st->devs, st->ndevs, sizeof(*st->devs), cmp_dev);
	for (i = 0; i < st->ndevs; i++) {
		n = snprintf(line, sizeof(line), "device %s head %llu applied "
		    "%llu frozen %llu\n", tly_hex(st->devs[i].device, TLY_PK_LEN, h1),
		    (unsigned long long)st->devs[i].head,
		    (unsigned long long)st->devs[i].applied,
		    (unsigned long long)st->devs[i].frozen);
		fn(arg, line, (size_t)n);
	}
	if (st->nev > 1)
		qsort(st->ev, st->nev, sizeof(*st->ev), cmp_ev);
	for (i = 0; i < st->nev; i++) {
		n = snprintf(line, sizeof(line), "evidence %s %llu %s %s %s\n",
		    tly_hex(st->ev[i].device, TLY_PK_LEN, h1),
		    (unsigned long long)st->ev[i].seq,
		    tly_merge_kind_name(st->ev[i].kind),
		    tly_hex(st->ev[i].a, TLY_HASH_LEN, h2),
		    tly_hex(st->ev[i].b, TLY_HASH_LEN, h3));
		fn(arg, line, (size_t)n);
	}
	st->nkept = counting(st->kept, st->nkept);
	for (i = 0; i < st->nkept; i++) {
		n = snprintf(line, sizeof(line), "kept %s %s\n",
		    tly_hex(st->kept[i].device, TLY_PK_LEN, h1),
		    tly_hex(st->kept[i].batch, TLY_HASH_LEN, h2));
		fn(arg, line, (size_t)n);
	}
	key_lines(st->heads, fn, arg);
}
