/*
 * test_merge.c: the merge engine (merge/, PROTOCOL.md 12) on plain
 * arrays, without SQLite: per-device logs, proofs, the freeze, kept
 * decisions, versions of one record, and the state-hash text.
 *
 * A batch is named by its fork letter and seq ('A', 3): its id is that
 * pair padded with zeros, and its prev the id of (fork of prev, seq - 1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "election/election.h"
#include "merge/merge.h"

#define MAXB	64

/* The id of batch (fork, seq). */
static void
bid(uint8_t fork, uint64_t seq, uint8_t id[TLY_HASH_LEN])
{
	memset(id, 0, TLY_HASH_LEN);
	if (fork == 0)
		return;			/* seq 0: the zero prev */
	id[0] = fork;
	id[1] = (uint8_t)seq;
}

/* Batch (fork, seq) whose prev is (pfork, seq - 1); 0 for zeros. */
static struct tly_merge_batch
mk(uint8_t fork, uint64_t seq, uint8_t pfork)
{
	struct tly_merge_batch	b;

	memset(&b, 0, sizeof(b));
	bid(fork, seq, b.id);
	bid(seq == 1 ? 0 : pfork, seq - 1, b.prev);
	b.seq = seq;
	b.tag = ((size_t)fork << 8) | (size_t)seq;
	return b;
}

/* Index of batch (fork, seq) in the engine's sorted b[], or NONE. */
static size_t
ix(const struct tly_merge_batch *b, size_t n, uint8_t fork, uint64_t seq)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (b[i].tag == (((size_t)fork << 8) | (size_t)seq))
			return i;
	return TLY_MERGE_NONE;
}

/* Reverse b[] in place, to feed the engine another order. */
static void
reverse(struct tly_merge_batch *b, size_t n)
{
	struct tly_merge_batch	t;
	size_t			i;

	for (i = 0; i < n / 2; i++) {
		t = b[i];
		b[i] = b[n - 1 - i];
		b[n - 1 - i] = t;
	}
}

/* A clean chain applies whole, in any input order. */
static void
test_clean_chain(void **state)
{
	struct tly_merge_batch	b[5];
	struct tly_merge_dev	d;
	size_t			i;

	(void)state;
	for (i = 0; i < 5; i++)
		b[i] = mk('A', i + 1, 'A');
	reverse(b, 5);
	assert_int_equal(tly_merge_device(b, 5, NULL, 0, &d), TLY_OK);
	assert_int_equal(d.head, 5);
	assert_int_equal(d.applied, 5);
	assert_int_equal(d.frozen, 0);
	assert_int_equal(d.nproofs, 0);
	assert_int_equal(d.head_ix, ix(b, 5, 'A', 5));
	for (i = 0; i < 5; i++) {
		assert_int_equal(b[d.chain[i]].seq, i + 1);
		assert_true(b[i].applied);
		assert_int_equal(b[i].link, TLY_MERGE_LINK_OK);
	}
	tly_merge_dev_finish(&d);
}

/* A gap: batches past it are held but pending. */
static void
test_gap_is_pending(void **state)
{
	struct tly_merge_batch	b[3] = { mk('A', 1, 'A'), mk('A', 2, 'A'),
				    mk('A', 4, 'A') };
	struct tly_merge_dev	d;

	(void)state;
	assert_int_equal(tly_merge_device(b, 3, NULL, 0, &d), TLY_OK);
	assert_int_equal(d.head, 2);
	assert_int_equal(d.applied, 2);
	assert_int_equal(d.frozen, 0);
	assert_false(b[ix(b, 3, 'A', 4)].applied);
	assert_int_equal(b[ix(b, 3, 'A', 4)].link, TLY_MERGE_LINK_UNKNOWN);
	tly_merge_dev_finish(&d);

	/* Seq 3 arrives: everything applies, no upload needed. */
	struct tly_merge_batch	c[4] = { mk('A', 4, 'A'), mk('A', 2, 'A'),
				    mk('A', 3, 'A'), mk('A', 1, 'A') };
	assert_int_equal(tly_merge_device(c, 4, NULL, 0, &d), TLY_OK);
	assert_int_equal(d.applied, 4);
	tly_merge_dev_finish(&d);
}

/* Two batches at one seq: a same_seq proof and a freeze there. */
static void
test_same_seq_freezes(void **state)
{
	struct tly_merge_batch	b[4] = { mk('A', 1, 'A'), mk('B', 2, 'A'),
				    mk('A', 2, 'A'), mk('A', 3, 'A') };
	struct tly_merge_dev	d;

	(void)state;
	assert_int_equal(tly_merge_device(b, 4, NULL, 0, &d), TLY_OK);
	assert_int_equal(d.frozen, 2);
	assert_int_equal(d.applied, 1);
	assert_int_equal(d.head, 3);
	assert_int_equal(d.nproofs, 2);
	/* same_seq: the smaller id first ('A' < 'B'). */
	assert_int_equal(d.proofs[0].kind, TLY_MERGE_SAME_SEQ);
	assert_int_equal(d.proofs[0].seq, 2);
	assert_int_equal(d.proofs[0].a, ix(b, 4, 'A', 2));
	assert_int_equal(d.proofs[0].b, ix(b, 4, 'B', 2));
	assert_false(d.proofs[0].resolved);
	/* A3 names A2 as prev: against B2 that is a prev_mismatch. */
	assert_int_equal(d.proofs[1].kind, TLY_MERGE_PREV_MISMATCH);
	assert_int_equal(d.proofs[1].a, ix(b, 4, 'B', 2));
	assert_int_equal(d.proofs[1].b, ix(b, 4, 'A', 3));
	/* Linked to one of the seq 2 batches: not broken. */
	assert_int_equal(b[ix(b, 4, 'A', 3)].link, TLY_MERGE_LINK_OK);
	assert_string_equal(tly_merge_kind_name(d.proofs[1].kind),
	    "prev_mismatch");
	tly_merge_dev_finish(&d);
}

/* A prev that is not the id of seq - 1: prev_mismatch, frozen at seq - 1. */
static void
test_prev_mismatch_freezes(void **state)
{
	struct tly_merge_batch	b[4] = { mk('A', 1, 'A'), mk('A', 2, 'A'),
				    mk('A', 3, 'Z'), mk('A', 4, 'A') };
	struct tly_merge_dev	d;

	(void)state;
	assert_int_equal(tly_merge_device(b, 4, NULL, 0, &d), TLY_OK);
	assert_int_equal(d.nproofs, 1);
	assert_int_equal(d.proofs[0].kind, TLY_MERGE_PREV_MISMATCH);
	assert_int_equal(d.proofs[0].seq, 2);
	assert_int_equal(d.frozen, 2);
	/* The batch at the freeze seq is not applied either. */
	assert_int_equal(d.applied, 1);
	assert_int_equal(d.head, 4);
	assert_int_equal(b[ix(b, 4, 'A', 3)].link, TLY_MERGE_LINK_BROKEN);
	tly_merge_dev_finish(&d);

	/* Seq 1 with a prev that is not zeros is broken too. */
	b[0] = mk('A', 1, 'A');
	b[0].prev[5] = 1;
	assert_int_equal(tly_merge_device(b, 1, NULL, 0, &d), TLY_OK);
	assert_int_equal(b[0].link, TLY_MERGE_LINK_BROKEN);
	assert_int_equal(d.applied, 0);
	assert_int_equal(d.head, 1);
	tly_merge_dev_finish(&d);
}

/* The freeze seq is the smallest equivocation seq. */
static void
test_freeze_is_smallest(void **state)
{
	struct tly_merge_batch	b[6] = { mk('A', 1, 'A'), mk('A', 2, 'A'),
				    mk('A', 3, 'A'), mk('B', 3, 'A'),
				    mk('A', 4, 'A'), mk('C', 2, 'A') };
	struct tly_merge_dev	d;

	(void)state;
	assert_int_equal(tly_merge_device(b, 6, NULL, 0, &d), TLY_OK);
	assert_int_equal(d.frozen, 2);
	assert_int_equal(d.applied, 1);
	tly_merge_dev_finish(&d);
}

/* A kept decision overrules the other history and lifts the freeze. */
static void
test_kept_overrules(void **state)
{
	struct tly_merge_batch	b[4];
	struct tly_merge_dev	d;
	uint8_t			k[2][TLY_HASH_LEN];
	size_t			i;

	(void)state;
	b[0] = mk('A', 1, 'A');
	b[1] = mk('A', 2, 'A');
	b[2] = mk('B', 2, 'A');
	b[3] = mk('A', 3, 'A');
	bid('A', 2, k[0]);
	assert_int_equal(tly_merge_device(b, 4, k, 1, &d), TLY_OK);
	assert_int_equal(d.frozen, 0);
	assert_int_equal(d.applied, 3);
	assert_true(b[ix(b, 4, 'B', 2)].over);
	assert_true(b[ix(b, 4, 'A', 2)].kept);
	assert_true(b[ix(b, 4, 'A', 1)].kept);	/* its ancestor */
	assert_int_equal(d.nproofs, 2);
	for (i = 0; i < d.nproofs; i++)
		assert_true(d.proofs[i].resolved);	/* evidence stays */
	tly_merge_dev_finish(&d);

	/* Keep the other one: A2 and its descendant A3 are overruled. */
	bid('B', 2, k[0]);
	assert_int_equal(tly_merge_device(b, 4, k, 1, &d), TLY_OK);
	assert_int_equal(d.frozen, 0);
	assert_int_equal(d.applied, 2);
	assert_true(b[ix(b, 4, 'A', 2)].over);
	assert_true(b[ix(b, 4, 'A', 3)].over);
	assert_int_equal(b[d.chain[1]].tag, ((size_t)'B' << 8) | 2);
	tly_merge_dev_finish(&d);

	/* Two decisions at one seq: the smaller id counts, any order. */
	bid('B', 2, k[0]);
	bid('A', 2, k[1]);
	assert_int_equal(tly_merge_device(b, 4, k, 2, &d), TLY_OK);
	assert_int_equal(d.applied, 3);
	assert_true(b[ix(b, 4, 'B', 2)].over);
	tly_merge_dev_finish(&d);
}

/*
 * A device restored from a backup signs a second history from seq 1
 * (B1..B3 beside A1..A9).  Keeping the old head keeps the whole chain
 * through it, A1..A9, and lifts the freeze; keeping B3 keeps B1..B3.
 */
static void
test_keep_head_of_fork_at_seq_1(void **state)
{
	struct tly_merge_batch	b[12];
	struct tly_merge_dev	d;
	uint8_t			k[1][TLY_HASH_LEN];
	size_t			i, n = 0;

	(void)state;
	for (i = 1; i <= 9; i++)
		b[n++] = mk('A', i, 'A');
	for (i = 1; i <= 3; i++)
		b[n++] = mk('B', i, 'B');
	assert_int_equal(tly_merge_device(b, n, NULL, 0, &d), TLY_OK);
	assert_int_equal(d.frozen, 1);
	assert_int_equal(d.applied, 0);
	tly_merge_dev_finish(&d);

	bid('A', 9, k[0]);
	assert_int_equal(tly_merge_device(b, n, k, 1, &d), TLY_OK);
	assert_int_equal(d.frozen, 0);
	assert_int_equal(d.applied, 9);
	for (i = 1; i <= 3; i++)
		assert_true(b[ix(b, n, 'B', i)].over);
	tly_merge_dev_finish(&d);

	bid('B', 3, k[0]);
	assert_int_equal(tly_merge_device(b, n, k, 1, &d), TLY_OK);
	assert_int_equal(d.frozen, 0);
	assert_int_equal(d.applied, 3);
	assert_int_equal(b[d.chain[2]].tag, ((size_t)'B' << 8) | 3);
	tly_merge_dev_finish(&d);
}

/* The same batch twice, or seq 0, is refused. */
static void
test_bad_input(void **state)
{
	struct tly_merge_batch	b[2] = { mk('A', 1, 'A'), mk('A', 1, 'A') };
	struct tly_merge_dev	d;

	(void)state;
	assert_int_equal(tly_merge_device(b, 2, NULL, 0, &d), TLY_E_INVAL);
	b[1].seq = 0;
	assert_int_equal(tly_merge_device(b, 2, NULL, 0, &d), TLY_E_INVAL);
	assert_int_equal(tly_merge_device(NULL, 0, NULL, 0, &d), TLY_OK);
	assert_int_equal(d.head, 0);
	assert_int_equal(d.head_ix, TLY_MERGE_NONE);
	tly_merge_dev_finish(&d);
}

/* An applied record of key (area, "na", 1). */
static struct tly_merge_rec
rec(const char *id, uint8_t dev, uint64_t seq, const char *area,
    const char *counts)
{
	struct tly_merge_rec	r;

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s", id);
	r.device[0] = dev;
	r.seq = seq;
	r.area = area;
	r.level = "na";
	r.round = 1;
	r.counts = counts;
	r.sig[0] = (uint8_t)(dev + seq);
	return r;
}

/* The key of area in h, or NULL. */
static const struct tly_merge_key *
key_of(const struct tly_merge_heads *h, const char *area)
{
	size_t	i;

	for (i = 0; i < h->nk; i++)
		if (strcmp(h->r[h->k[i].first].area, area) == 0)
			return &h->k[i];
	return NULL;
}

/* Corrections, double entry, conflicts and a resolution (12.4). */
static void
test_versions_and_conflicts(void **state)
{
	struct tly_merge_rec		r[7];
	struct tly_merge_sup		sup[2];
	struct tly_merge_heads		h;
	const struct tly_merge_key	*k;

	(void)state;
	/* X1: device 1 corrects itself; device 2 agrees: 2 confirmations. */
	r[0] = rec("r10", 1, 1, "X1", "10 9 9 9 9 0 c1=9");
	r[1] = rec("r11", 1, 2, "X1", "10 9 9 9 9 0 c1=8");
	r[2] = rec("r20", 2, 1, "X1", "10 9 9 9 9 0 c1=8");
	/* X2: two devices disagree; a third resolves it explicitly. */
	r[3] = rec("r30", 3, 1, "X2", "5 5 5 5 5 0 c1=5");
	r[4] = rec("r40", 4, 1, "X2", "5 5 5 5 5 0 c1=4");
	/* X3: a conflict left open. */
	r[5] = rec("r50", 5, 1, "X3", "1 1 1 1 1 0 c1=1");
	r[6] = rec("r60", 6, 1, "X3", "1 1 1 1 1 0 c1=0");
	assert_int_equal(tly_merge_heads(r, 7, NULL, 0, &h), TLY_OK);
	assert_int_equal(h.nk, 3);
	k = key_of(&h, "X1");
	assert_false(k->conflict);
	assert_int_equal(k->conf, 2);
	/* The correction has chain length 1: it wins. */
	assert_string_equal(h.r[k->winner].id, "r11");
	assert_int_equal(h.r[k->winner].chain, 1);
	k = key_of(&h, "X2");
	assert_true(k->conflict);
	assert_int_equal(k->conf, 1);
	tly_merge_heads_finish(&h);

	/* r30 is replaced by a record naming both heads of X2. */
	r[3] = rec("r31", 3, 2, "X2", "5 5 5 5 5 0 c1=4");
	sup[0].from = "r31";
	sup[0].to = "r30x";		/* names no applied record */
	sup[1].from = "r31";
	sup[1].to = "r40";
	assert_int_equal(tly_merge_heads(r, 7, sup, 2, &h), TLY_OK);
	k = key_of(&h, "X2");
	assert_false(k->conflict);
	assert_string_equal(h.r[k->winner].id, "r31");
	assert_int_equal(h.r[k->winner].chain, 1);
	k = key_of(&h, "X3");
	assert_true(k->conflict);
	tly_merge_heads_finish(&h);
}

static void	sink(void *arg, const void *p, size_t len);

/* The heads of X1 in test_resolve, which its decisions chose among. */
static const char *const x1_heads[] = { "r10", "r20", "r30" };

/*
 * A resolve decision of key (area, na, 1) choosing record among the
 * heads of X1 (over), by id byte.
 */
static struct tly_merge_resolution
res_of(const char *area, const char *record, uint64_t issued, uint8_t id)
{
	struct tly_merge_resolution	x;

	memset(&x, 0, sizeof(x));
	x.area = area;
	x.level = "na";
	x.round = 1;
	x.record = record;
	x.over = x1_heads;
	x.nover = 3;
	x.issued = issued;
	x.id[0] = id;
	return x;
}

/* Resolve decisions: a conflict leaves DISPUTED, the chosen head counts. */
static void
test_resolve(void **state)
{
	struct tly_merge_rec		r[6];
	struct tly_merge_resolution	x[5];
	struct tly_merge_heads		h;
	struct tly_merge_state		st;
	struct tly_buf			out = TLY_BUF_INIT(65536);
	const struct tly_merge_key	*k;
	size_t				i;

	(void)state;
	/* X1: three devices, two agree on c1=4, one says c1=5. */
	r[0] = rec("r10", 1, 1, "X1", "5 5 5 5 5 0 c1=5");
	r[1] = rec("r20", 2, 1, "X1", "5 5 5 5 5 0 c1=4");
	r[2] = rec("r30", 3, 1, "X1", "5 5 5 5 5 0 c1=4");
	/* X2: agreed; X3: a conflict no decision names. */
	r[3] = rec("r40", 4, 1, "X2", "1 1 1 1 1 0 c1=1");
	r[4] = rec("r50", 5, 1, "X3", "1 1 1 1 1 0 c1=1");
	r[5] = rec("r60", 6, 1, "X3", "1 1 1 1 1 0 c1=0");
	x[0] = res_of("X1", "r10", 100, 7);	/* superseded by x[1] */
	x[1] = res_of("X1", "r20", 200, 9);	/* the latest: counts */
	x[2] = res_of("X1", "zz:0", 300, 1);	/* names no head */
	x[3] = res_of("X2", "r40", 100, 2);	/* an agreed key */
	x[4] = res_of("X9", "r99", 100, 3);	/* a key with no record */
	assert_int_equal(tly_merge_heads(r, 6, NULL, 0, &h), TLY_OK);
	k = key_of(&h, "X1");
	assert_true(k->conflict);
	/* Without decisions the provisional winner is r30 (greatest sig). */
	assert_string_equal(h.r[k->winner].id, "r30");
	assert_int_equal(tly_merge_resolve(&h, x, 5), TLY_OK);
	k = key_of(&h, "X1");
	assert_false(k->conflict);
	assert_true(k->resolved);
	assert_string_equal(h.r[k->winner].id, "r20");
	assert_int_equal(k->conf, 2);		/* r20 and r30 agree */
	k = key_of(&h, "X2");
	assert_false(k->conflict);
	assert_false(k->resolved);
	k = key_of(&h, "X3");
	assert_true(k->conflict);
	assert_false(k->resolved);
	for (i = 0; i < 5; i++)
		assert_int_equal(x[i].counts, strcmp(x[i].record, "r20") == 0);

	/* The state text says resolved, with the chosen winner. */
	memset(&st, 0, sizeof(st));
	st.heads = &h;
	tly_merge_state_text(&st, sink, &out);
	assert_int_equal(tly_buf_add(&out, "", 1), TLY_OK);
	assert_non_null(strstr((const char *)out.p,
	    "\nkey X1 na 1 resolved 2 r20 r10 r20 r30\n"));
	assert_non_null(strstr((const char *)out.p,
	    "\nkey X3 na 1 conflict 1 r60 r50 r60\n"));
	tly_merge_heads_finish(&h);

	/* Two decisions issued at the same second: the smaller id counts. */
	x[0] = res_of("X1", "r10", 200, 1);
	x[1] = res_of("X1", "r20", 200, 9);
	assert_int_equal(tly_merge_heads(r, 6, NULL, 0, &h), TLY_OK);
	assert_int_equal(tly_merge_resolve(&h, x, 2), TLY_OK);
	k = key_of(&h, "X1");
	assert_string_equal(h.r[k->winner].id, "r10");
	assert_int_equal(k->conf, 1);
	tly_merge_heads_finish(&h);
	tly_buf_free(&out);
}

/*
 * A head that arrives after a resolve reopens the key: the decision
 * chose between r10 and r20 (its over); a third device's r70 is new
 * evidence nobody was shown, so the key is in conflict again and the
 * decision no longer counts, until one that chose among all three
 * (12.4).  A decision without over never counts.
 */
static void
test_resolve_new_head(void **state)
{
	static const char *const	two[] = { "r10", "r20" };
	struct tly_merge_rec		r[3];
	struct tly_merge_resolution	x[3];
	struct tly_merge_heads		h;
	const struct tly_merge_key	*k;

	(void)state;
	r[0] = rec("r10", 1, 1, "X1", "5 5 5 5 5 0 c1=5");
	r[1] = rec("r20", 2, 1, "X1", "5 5 5 5 5 0 c1=4");
	x[0] = res_of("X1", "r20", 100, 1);
	x[0].over = two;
	x[0].nover = 2;
	assert_int_equal(tly_merge_heads(r, 2, NULL, 0, &h), TLY_OK);
	assert_int_equal(tly_merge_resolve(&h, x, 1), TLY_OK);
	k = key_of(&h, "X1");
	assert_true(k->resolved);
	assert_false(k->conflict);
	assert_int_equal(k->stale, TLY_MERGE_NONE);
	tly_merge_heads_finish(&h);

	r[2] = rec("r70", 7, 1, "X1", "5 5 5 5 5 0 c1=3");
	assert_int_equal(tly_merge_heads(r, 3, NULL, 0, &h), TLY_OK);
	assert_int_equal(tly_merge_resolve(&h, x, 1), TLY_OK);
	k = key_of(&h, "X1");
	assert_true(k->conflict);
	assert_false(k->resolved);
	assert_false(x[0].counts);
	assert_true(x[0].stale);
	assert_int_equal(k->stale, 0);
	tly_merge_heads_finish(&h);

	/* An older decision that saw r70 does not override the latest. */
	x[1] = res_of("X1", "r10", 50, 2);
	x[1].over = (const char *const[]){ "r10", "r70" };
	x[1].nover = 2;
	assert_int_equal(tly_merge_heads(r, 3, NULL, 0, &h), TLY_OK);
	assert_int_equal(tly_merge_resolve(&h, x, 2), TLY_OK);
	k = key_of(&h, "X1");
	assert_true(k->conflict);
	assert_string_equal(x[k->stale].record, "r20");
	tly_merge_heads_finish(&h);

	/* A decision without over (none given) never counts. */
	x[0] = res_of("X1", "r20", 100, 1);
	x[0].over = NULL;
	x[0].nover = 0;
	assert_int_equal(tly_merge_heads(r, 2, NULL, 0, &h), TLY_OK);
	assert_int_equal(tly_merge_resolve(&h, x, 1), TLY_OK);
	k = key_of(&h, "X1");
	assert_true(k->conflict);
	assert_false(x[0].counts);
	tly_merge_heads_finish(&h);

	/* A later decision that chose among all three counts again. */
	x[0] = res_of("X1", "r20", 100, 1);
	x[0].over = two;
	x[0].nover = 2;
	x[1] = res_of("X1", "r70", 150, 3);
	x[1].over = (const char *const[]){ "r10", "r20", "r70" };
	x[1].nover = 3;
	assert_int_equal(tly_merge_heads(r, 3, NULL, 0, &h), TLY_OK);
	assert_int_equal(tly_merge_resolve(&h, x, 2), TLY_OK);
	k = key_of(&h, "X1");
	assert_true(k->resolved);
	assert_string_equal(h.r[k->winner].id, "r70");
	assert_int_equal(k->stale, TLY_MERGE_NONE);
	tly_merge_heads_finish(&h);
}

/* The counts string of 12.1: candidates in bytewise order, then marks. */
static void
test_counts_string(void **state)
{
	struct tly_record	rec1;
	struct tly_buf		out = TLY_BUF_INIT(4096);

	(void)state;
	tly_record_init(&rec1);
	rec1.registered = 1000;
	rec1.voted = rec1.issued = rec1.received = 900;
	rec1.valid = 880;
	rec1.invalid = 20;
	rec1.nvotes = 2;
	snprintf(rec1.votes[0].cand, sizeof(rec1.votes[0].cand), "C2");
	rec1.votes[0].votes = 380;
	snprintf(rec1.votes[1].cand, sizeof(rec1.votes[1].cand), "C1");
	rec1.votes[1].votes = 500;
	rec1.nmarks = 1;
	rec1.marks[0] = 880;
	assert_int_equal(tly_merge_counts(&rec1, &out), TLY_OK);
	assert_string_equal((const char *)out.p,
	    "1000 900 900 900 880 20 C1=500 C2=380 marks=880");
	tly_buf_free(&out);
	tly_record_finish(&rec1);
}

/* The counts string read back: its exact form only. */
static void
test_counts_parse(void **state)
{
	static const char *const bad[] = {
		"", "1 2 3 4 5", "01 2 3 4 5 6", "1  2 3 4 5 6",
		"1 2 3 4 5 6 ", "1 2 3 4 5 6 C2=1 C1=2", "1 2 3 4 5 6 C1=1 C1=2",
		"1 2 3 4 5 6 =1", "1 2 3 4 5 6 C1=", "1 2 3 4 5 6 C1=01",
		"1 2 3 4 5 6 marks=", "1 2 3 4 5 6 marks=1,", "-1 2 3 4 5 6",
		"9007199254740992 2 3 4 5 6", "1 2 3 4 5 6 C1=1 marks=1 C2=2",
		"1 2 3 4 5 6 C\xff=1", "1 2 3 4 5 6 C+1=1",
	};
	/* A candidate id is of the id characters: no NUL inside it. */
	static const char	 nul[] = "1 2 3 4 5 6 B=1 C\0A=2";
	const char		*good = "1000 900 900 900 880 20 C1=500 "
	    "C2=380 marks=880";
	struct tly_record	 rec;
	struct tly_buf		 out = TLY_BUF_INIT(4096);
	size_t			 i;

	(void)state;
	tly_record_init(&rec);
	assert_int_equal(tly_merge_counts_parse(good, strlen(good), &rec),
	    TLY_OK);
	assert_int_equal(rec.registered, 1000);
	assert_int_equal(rec.invalid, 20);
	assert_int_equal(rec.nvotes, 2);
	assert_string_equal(rec.votes[1].cand, "C2");
	assert_int_equal(rec.votes[1].votes, 380);
	assert_int_equal(rec.nmarks, 1);
	assert_int_equal(tly_merge_counts(&rec, &out), TLY_OK);
	assert_string_equal((const char *)out.p, good);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tly_merge_counts_parse(bad[i], strlen(bad[i]), &rec) !=
		    TLY_E_INVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(tly_merge_counts_parse(nul, sizeof(nul) - 1, &rec),
	    TLY_E_INVAL);
	tly_buf_free(&out);
	tly_record_finish(&rec);
}

/* Text sink for tly_merge_state_text. */
static void
sink(void *arg, const void *p, size_t len)
{
	assert_int_equal(tly_buf_add(arg, p, len), TLY_OK);
}

/* Swap-shuffle n elements of size sz with a fixed seed. */
static void
shuffle(void *base, size_t n, size_t sz, unsigned *seed)
{
	unsigned char	*p = base, t[512];
	size_t		 i, j;

	assert_true(sz <= sizeof(t));
	for (i = n; i > 1; i--) {
		*seed = *seed * 1103515245u + 12345u;
		j = (*seed >> 16) % i;
		memcpy(t, p + (i - 1) * sz, sz);
		memcpy(p + (i - 1) * sz, p + j * sz, sz);
		memcpy(p + j * sz, t, sz);
	}
}

/* The state text of the fixed inputs, fed in a shuffled order. */
static void
state_text(unsigned seed, struct tly_buf *out)
{
	struct tly_merge_devline	dv[3];
	struct tly_merge_evline		ev[3];
	struct tly_merge_decision	kd[3];
	struct tly_merge_rec		r[5];
	struct tly_merge_sup		sup[1] = { { "r31", "r40" } };
	struct tly_merge_heads		h;
	struct tly_merge_state		st;
	size_t				i;

	memset(dv, 0, sizeof(dv));
	memset(ev, 0, sizeof(ev));
	memset(kd, 0, sizeof(kd));
	for (i = 0; i < 3; i++) {
		dv[i].device[0] = (uint8_t)(3 - i);
		dv[i].head = dv[i].applied = i + 1;
		ev[i].device[0] = 1;
		ev[i].seq = 2 + (i == 2);
		ev[i].kind = i == 0 ? TLY_MERGE_SAME_SEQ :
		    TLY_MERGE_PREV_MISMATCH;
		ev[i].a[0] = (uint8_t)(9 - i);
		ev[i].b[0] = (uint8_t)(20 + i);
		kd[i].device[0] = (uint8_t)(i == 2 ? 2 : 1);
		kd[i].batch[0] = (uint8_t)(40 - i);
		kd[i].seq = 2;		/* two for device 1 at seq 2 */
	}
	dv[0].frozen = 2;
	r[0] = rec("r10", 1, 1, "X1", "a");
	r[1] = rec("r11", 1, 2, "X1", "b");
	r[2] = rec("r20", 2, 1, "X1", "b");
	r[3] = rec("r31", 3, 2, "X2", "c");
	r[4] = rec("r40", 4, 1, "X2", "d");
	if (seed != 0) {
		shuffle(dv, 3, sizeof(dv[0]), &seed);
		shuffle(ev, 3, sizeof(ev[0]), &seed);
		shuffle(kd, 3, sizeof(kd[0]), &seed);
		shuffle(r, 5, sizeof(r[0]), &seed);
	}
	assert_int_equal(tly_merge_heads(r, 5, sup, 1, &h), TLY_OK);
	memset(&st, 0, sizeof(st));
	st.devs = dv;
	st.ndevs = 3;
	st.ev = ev;
	st.nev = 3;
	st.kept = kd;
	st.nkept = 3;
	st.heads = &h;
	tly_merge_state_text(&st, sink, out);
	assert_int_equal(st.nkept, 2);
	assert_int_equal(tly_buf_add(out, "", 1), TLY_OK);
	tly_merge_heads_finish(&h);
}

/* The state text depends on the set of inputs, not their order. */
static void
test_state_text_independent_of_order(void **state)
{
	struct tly_buf	a = TLY_BUF_INIT(65536), b = TLY_BUF_INIT(65536);
	const char	*t;
	char		 want[200];
	unsigned	 seed;

	(void)state;
	state_text(0, &a);
	t = (const char *)a.p;
	assert_true(strncmp(t, "tally-state-v1\ndevice 01", 24) == 0);
	assert_non_null(strstr(t, "\nkey X1 na 1 agreed 2 r11 r11 r20\n"));
	assert_non_null(strstr(t, "\nkey X2 na 1 agreed 1 r31 r31\n"));
	/* Of the two decisions of device 1 at seq 2, the smaller id. */
	snprintf(want, sizeof(want), "\nkept 01%062d 27%062d\n", 0, 0);
	assert_non_null(strstr(t, want));
	snprintf(want, sizeof(want), "\nkept 01%062d 28", 0);
	assert_null(strstr(t, want));
	assert_non_null(strstr(t, "\nkept 02"));
	assert_true(strstr(t, "kept 01") < strstr(t, "kept 02"));
	for (seed = 1; seed < 50; seed++) {
		tly_buf_reset(&b);
		state_text(seed, &b);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.p, b.p, a.len);
	}
	tly_buf_free(&a);
	tly_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_clean_chain),
		cmocka_unit_test(test_gap_is_pending),
		cmocka_unit_test(test_same_seq_freezes),
		cmocka_unit_test(test_prev_mismatch_freezes),
		cmocka_unit_test(test_freeze_is_smallest),
		cmocka_unit_test(test_kept_overrules),
		cmocka_unit_test(test_keep_head_of_fork_at_seq_1),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_versions_and_conflicts),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_new_head),
		cmocka_unit_test(test_counts_string),
		cmocka_unit_test(test_counts_parse),
		cmocka_unit_test(test_state_text_independent_of_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
