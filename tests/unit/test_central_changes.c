/*
 * test_central_changes.c: the heads of the changed record keys
 * (tly_cstore_head_changes).  A mirror kept up to date from the changes
 * alone must equal a walk of every head after each step: batches,
 * corrections, a gap filled, an equivocation that replaces a chain, a
 * resolve and an unfreeze decision (no new batch), explicit supersedes
 * across keys (the keys they link are read together), and a second
 * writer on the same file.
 */

#include "central_store_fixture.h"

#define KEYS_MAX	16

/* One key as a walk reports it. */
struct mkey {
	char		key[96];	/* area, level, round */
	char		id[80];		/* winner */
	unsigned	conf;		/* confirmations */
	int		disputed;
	unsigned	walk;		/* the walk that last named it */
};

/* A set of keys, with the last change walk's verdict. */
struct mirror {
	struct mkey	k[KEYS_MAX];
	size_t		n;
	uint64_t	gen;		/* generation it shows */
	int		full;		/* the last walk named every key */
	size_t		named;		/* keys the last walk named */
	unsigned	walk;		/* walks made */
};

/* Find key or add an empty one. */
static struct mkey *
mirror_key(struct mirror *m, const struct tly_cstore_head *h)
{
	char	key[96];
	size_t	i;

	snprintf(key, sizeof(key), "%s/%s/%llu", h->area, h->level,
	    (unsigned long long)h->round);
	for (i = 0; i < m->n; i++)
		if (strcmp(m->k[i].key, key) == 0)
			return &m->k[i];
	assert_true(m->n < KEYS_MAX);
	memset(&m->k[m->n], 0, sizeof(m->k[0]));
	snprintf(m->k[m->n].key, sizeof(m->k[0].key), "%s", key);
	return &m->k[m->n++];
}

/* tly_cstore_head_fn: apply one head to the mirror. */
static int
on_head(void *arg, const struct tly_cstore_head *h)
{
	struct mirror	*m = arg;
	struct mkey	*k = mirror_key(m, h);

	assert_null(h->rec);
	snprintf(k->id, sizeof(k->id), "%s", h->record_id);
	k->conf = h->confirmations;
	k->disputed = h->disputed;
	k->walk = m->walk;
	m->named++;
	return 0;
}

/* Bring m up to date from the changes, as results.c does. */
static void
catch_up(struct fx *f, struct mirror *m)
{
	uint64_t	gen;
	size_t		i;

	m->named = 0;
	m->walk++;
	assert_int_equal(tly_cstore_head_changes(f->s,
	    TLY_CSTORE_READER_RESULTS, m->gen, &gen, &m->full, on_head, m),
	    TLY_OK);
	assert_true(gen != 0);
	m->gen = gen;
	for (i = 0; m->full && i < m->n; i++)
		if (m->k[i].walk != m->walk)
			m->k[i].id[0] = '\0';	/* not named: no head */
}

/* tly_cstore_head_fn: collect every head into a fresh mirror. */
static void
walk_all(struct fx *f, struct mirror *w)
{
	memset(w, 0, sizeof(*w));
	assert_int_equal(tly_cstore_head_ids(f->s, on_head, w), TLY_OK);
}

/* The keys of m with a winner equal those of a walk of every head. */
static void
check(struct fx *f, struct mirror *m)
{
	struct mirror	 w;
	struct mkey	*a;
	size_t		 i, j, have = 0;

	catch_up(f, m);
	walk_all(f, &w);
	for (i = 0; i < m->n; i++) {
		a = &m->k[i];
		if (a->id[0] == '\0')
			continue;
		have++;
		for (j = 0; j < w.n; j++)
			if (strcmp(w.k[j].key, a->key) == 0)
				break;
		assert_true(j < w.n);
		assert_string_equal(a->id, w.k[j].id);
		assert_int_equal(a->conf, w.k[j].conf);
		assert_int_equal(a->disputed, w.k[j].disputed);
	}
	assert_int_equal(have, w.n);
}

/* A batch of one record for area (round 1) with first votes v1. */
static void
batch1(struct tb *t, const struct tly_key *k, uint64_t seq,
    const struct tb *prev, const char *area, uint64_t v1, const char *sup)
{
	struct tly_record	r;

	make_record(&r, area, 1, 1000, 900, v1, 898 - v1);
	if (sup != NULL) {
		r.nsupersedes = 1;
		snprintf(r.supersedes[0], sizeof(r.supersedes[0]), "%s", sup);
	}
	make_batch(t, k, seq, prev != NULL ? prev->b->id : NULL, seq, &r, 1);
	tly_record_finish(&r);
}

static void
test_changes(void **state)
{
	struct fx		*f = *state;
	struct tly_key		*c = NULL;
	struct tb		 a1, a2, a3, b1, b2, c1, c2, c3, x2, d1, e1, e2, e3,
				 g1, g2, g3;
	struct tly_buf		 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_decision	 dec;
	struct mirror		 m;
	char			 ida1[80], idb2[80], ida3[80], idd1[80],
				 idg1[80];
	uint64_t		 pos;

	memset(&m, 0, sizeof(m));
	assert_int_equal(tly_key_generate(&c), TLY_OK);
	/* The first walk names every key: there is no earlier one. */
	check(f, &m);
	assert_int_equal(m.full, 1);

	/* Double entry, then B corrects: a conflict. */
	batch1(&a1, f->dev, 1, NULL, "A01", 500, NULL);
	batch1(&b1, f->central, 1, NULL, "A01", 500, NULL);
	assert_int_equal(submit(f, &a1, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 1);
	assert_int_equal(submit(f, &b1, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.k[0].conf, 2);
	batch1(&b2, f->central, 2, &b1, "A01", 501, NULL);
	assert_int_equal(submit(f, &b2, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.k[0].disputed, 1);
	/* Nothing changed: nothing named. */
	check(f, &m);
	assert_int_equal(m.named, 0);

	/* A resolve decision changes the head without a batch. */
	tly_record_id(a1.b->id, 0, ida1, sizeof(ida1));
	tly_record_id(b2.b->id, 0, idb2, sizeof(idb2));
	make_resolve(&dec, "resolve A01 for a1", "A01", ida1);
	resolve_over(&dec, ida1, idb2);
	assert_int_equal(put_decision(f, &dec, "resolve", &pos), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 1);
	assert_int_equal(m.k[0].disputed, 0);
	assert_string_equal(m.k[0].id, ida1);

	/* A's seq 3 waits for seq 2; then both apply (a correction). */
	batch1(&a2, f->dev, 2, &a1, "A02", 100, NULL);
	batch1(&a3, f->dev, 3, &a2, "A01", 502, NULL);
	assert_int_equal(submit(f, &a3, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.named, 0);		/* pending: no head moved */
	assert_int_equal(submit(f, &a2, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 2);
	tly_record_id(a3.b->id, 0, ida3, sizeof(ida3));

	/* C equivocates at seq 2: its chain is cut, A03 loses its head. */
	batch1(&c1, c, 1, NULL, "A03", 300, NULL);
	batch1(&c2, c, 2, &c1, "A04", 300, NULL);
	batch1(&x2, c, 2, &c1, "A05", 301, NULL);
	assert_int_equal(submit(f, &c1, &rc), TLY_OK);
	assert_int_equal(submit(f, &c2, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(submit(f, &x2, &rc), TLY_OK);
	assert_int_equal(f->st, TLY_CSTORE_EQUIVOCATION);
	check(f, &m);
	assert_int_equal(m.full, 0);

	/* Keeping x2 applies it: A05 gets a head, by decision alone. */
	make_decision(&dec, "unfreeze x2");
	dec.kind = TLY_DECISION_UNFREEZE;
	memcpy(dec.device, tly_key_public(c), TLY_PK_LEN);
	memcpy(dec.batch, x2.b->id, TLY_HASH_LEN);
	dec.seq = 2;
	assert_int_equal(put_decision(f, &dec, "unfreeze x2", &pos), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);

	/* An explicit supersede within its key: still by key. */
	batch1(&c3, c, 3, &x2, "A01", 503, ida3);
	assert_int_equal(submit(f, &c3, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 1);

	/*
	 * An explicit supersede across keys: the keys it links are read
	 * together, and only they (A06, and A01 whose record it names).
	 */
	batch1(&d1, f->central, 3, &b2, "A06", 7, ida3);
	assert_int_equal(submit(f, &d1, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 2);
	tly_record_id(d1.b->id, 0, idd1, sizeof(idd1));

	/* A key no supersede links: alone. */
	batch1(&e1, f->central, 4, &d1, "A02", 120, NULL);
	assert_int_equal(submit(f, &e1, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 1);

	/* A01 names A06's record in turn: both again, a chain of keys. */
	batch1(&e2, f->dev, 4, &a3, "A01", 503, idd1);
	assert_int_equal(submit(f, &e2, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 2);

	/* A06 corrected by its own device: A01 is read with it. */
	batch1(&e3, f->central, 5, &e1, "A06", 9, NULL);
	assert_int_equal(submit(f, &e3, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 2);

	/* A07, then A03 names its record, then A07 is corrected: the key
	 * whose record another names is read with that one too. */
	batch1(&g1, f->dev, 5, &e2, "A07", 11, NULL);
	assert_int_equal(submit(f, &g1, &rc), TLY_OK);
	tly_record_id(g1.b->id, 0, idg1, sizeof(idg1));
	batch1(&g2, f->central, 6, &e3, "A03", 310, idg1);
	assert_int_equal(submit(f, &g2, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.named, 2);		/* A07 and A03 */
	batch1(&g3, f->dev, 6, &g1, "A07", 12, NULL);
	assert_int_equal(submit(f, &g3, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 2);

	tb_free(&a1);
	tb_free(&a2);
	tb_free(&a3);
	tb_free(&b1);
	tb_free(&b2);
	tb_free(&c1);
	tb_free(&c2);
	tb_free(&c3);
	tb_free(&x2);
	tb_free(&d1);
	tb_free(&e1);
	tb_free(&e2);
	tb_free(&e3);
	tb_free(&g1);
	tb_free(&g2);
	tb_free(&g3);
	tly_key_free(c);
	tly_buf_free(&rc);
}

/*
 * Another writer of the same file (or an earlier process) noted
 * nothing here: the next walk names every key, then changes again.
 */
static void
test_other_writer(void **state)
{
	struct fx	*f = *state;
	struct fx	 g;
	struct tb	 a1, a2, b1;
	struct tly_buf	 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	struct mirror	 m;

	memset(&m, 0, sizeof(m));
	memset(&g, 0, sizeof(g));
	g.central = f->central;
	assert_int_equal(tly_cstore_open(f->db, &g.s), TLY_OK);
	batch1(&a1, f->dev, 1, NULL, "A01", 500, NULL);
	batch1(&a2, f->dev, 2, &a1, "A02", 500, NULL);
	batch1(&b1, f->central, 1, NULL, "A03", 500, NULL);
	assert_int_equal(submit(f, &a1, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 1);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(submit(&g, &a2, &rc), TLY_OK);	/* not noted in f */
	check(f, &m);
	assert_int_equal(m.full, 1);
	assert_int_equal(submit(f, &b1, &rc), TLY_OK);
	check(f, &m);
	assert_int_equal(m.full, 0);
	assert_int_equal(m.named, 1);

	/* A restart: the changes before it were not noted by this one. */
	tly_cstore_close(g.s);
	assert_int_equal(tly_cstore_open(f->db, &g.s), TLY_OK);
	m.gen--;			/* a reader one change behind */
	assert_int_equal(tly_cstore_head_changes(g.s,
	    TLY_CSTORE_READER_TURNOUT, m.gen, &m.gen, &m.full, on_head, &m),
	    TLY_OK);
	assert_int_equal(m.full, 1);
	/* A reader ahead of the file (it was replaced): every head again. */
	assert_int_equal(tly_cstore_head_changes(g.s,
	    TLY_CSTORE_READER_TURNOUT, m.gen + 5, &m.gen, &m.full, on_head,
	    &m), TLY_OK);
	assert_int_equal(m.full, 1);
	tly_cstore_close(g.s);
	tb_free(&a1);
	tb_free(&a2);
	tb_free(&b1);
	tly_buf_free(&rc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_writer, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
