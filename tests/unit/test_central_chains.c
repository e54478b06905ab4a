/*
 * test_central_chains.c: the central's database (central/store*.c) on a
 * real SQLite file: device chains (equivocation, pending batches and
 * gaps), decisions, the heads walk and the state hash.  The schema and
 * plain storing are in test_central_store.c.
 */

#include "central_store_fixture.h"
#include "sync/feed.h"

/*
 * Two batches with one seq: equivocation.  Both are held as evidence,
 * the device freezes at that seq (neither branch applies), its later
 * batches are held but not applied, and a kept decision lifts it.
 */
static void
test_equivocation(void **state)
{
	struct fx		*f = *state;
	struct tb		 b1, b2, x2, b3, b4;
	struct tly_buf		 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_api_evidence	 ev;
	struct tly_buf		 fb = TLY_BUF_INIT(1 << 20);
	struct tly_cstore_metrics m;
	struct tly_feed		 feed = { 0 };
	struct tly_jw		 w;
	struct tly_cstore_dev	 d;
	struct tly_cstore_stats	 st;
	struct tly_decision	 dec;
	uint64_t		 pos, pos2;

	simple_batch(&b1, f->dev, 1, NULL, 100);
	simple_batch(&b2, f->dev, 2, b1.b->id, 200);
	simple_batch(&x2, f->dev, 2, b1.b->id, 201);
	simple_batch(&b3, f->dev, 3, b2.b->id, 300);
	assert_int_equal(submit(f, &b1, &rc), TLY_OK);
	assert_int_equal(submit(f, &b2, &rc), TLY_OK);
	assert_int_equal(f->st, TLY_CSTORE_APPLIED);
	assert_int_equal(dev_state(f, f->dev).applied, 2);
	assert_int_equal(submit(f, &x2, &rc), TLY_OK);
	assert_int_equal(f->st, TLY_CSTORE_EQUIVOCATION);
	assert_memory_equal(f->other, b2.b->id, TLY_HASH_LEN);
	d = dev_state(f, f->dev);
	assert_int_equal(d.frozen, 2);
	assert_int_equal(d.applied, 1);		/* b2 no longer applies */
	assert_int_equal(d.head, 2);
	/* b3 names b2 as prev: it contradicts x2 too (prev_mismatch). */
	assert_int_equal(submit(f, &b3, &rc), TLY_OK);
	assert_int_equal(f->st, TLY_CSTORE_EQUIVOCATION);
	assert_memory_equal(f->other, x2.b->id, TLY_HASH_LEN);
	assert_int_equal(dev_state(f, f->dev).head, 3);
	assert_int_equal(dev_state(f, f->dev).applied, 1);
	/* Both batches stay fetchable: the proof. */
	assert_int_equal(tly_cstore_batch(f->s, x2.b->id, NULL, NULL), TLY_OK);
	assert_int_equal(tly_cstore_evidence(f->s, 10, 1 << 20, &ev), TLY_OK);
	assert_int_equal(ev.nproofs, 2);
	/* x2 against b2 (same_seq), b3 against x2 (prev_mismatch). */
	assert_true(strcmp(ev.proofs[0].kind, "same_seq") == 0 ||
	    strcmp(ev.proofs[1].kind, "same_seq") == 0);
	assert_true(strcmp(ev.proofs[0].kind, "prev_mismatch") == 0 ||
	    strcmp(ev.proofs[1].kind, "prev_mismatch") == 0);
	assert_int_equal(ev.proofs[0].resolved, 0);
	assert_int_equal(ev.nfrozen, 1);
	assert_int_equal(ev.frozen[0].seq, 2);
	assert_int_equal(ev.more, 0);
	tly_api_evidence_free(&ev);
	/* One proof at most: the answer says there are more. */
	assert_int_equal(tly_cstore_evidence(f->s, 1, 1 << 20, &ev), TLY_OK);
	assert_int_equal(ev.nproofs, 1);
	assert_int_equal(ev.more, 1);
	tly_api_evidence_free(&ev);
	/* The bytes of the proofs are capped. */
	assert_int_equal(tly_cstore_evidence(f->s, 10, 100, &ev),
	    TLY_E_TOO_LARGE);
	assert_int_equal(ev.nproofs, 0);
	assert_int_equal(tly_cstore_stats(f->s, &st), TLY_OK);
	assert_int_equal(st.frozen, 1);
	assert_int_equal(st.evidence, 2);

	/* An unfreeze naming a batch the device does not hold is refused. */
	make_decision(&dec, "unfreeze x2 of another device");
	dec.kind = TLY_DECISION_UNFREEZE;
	memcpy(dec.device, tly_key_public(f->central), TLY_PK_LEN);
	memcpy(dec.batch, x2.b->id, TLY_HASH_LEN);
	dec.seq = 2;
	assert_int_equal(put_decision(f, &dec, "x", &pos), TLY_E_NOT_HELD);
	memcpy(dec.device, tly_key_public(f->dev), TLY_PK_LEN);
	dec.seq = 3;			/* x2's seq is 2 */
	assert_int_equal(put_decision(f, &dec, "x", &pos), TLY_E_NOT_HELD);
	assert_int_equal(dev_state(f, f->dev).frozen, 2);

	/* Keep x2: x2 applies; b2 and b3 are overruled evidence. */
	make_decision(&dec, "unfreeze x2");
	dec.kind = TLY_DECISION_UNFREEZE;
	memcpy(dec.device, tly_key_public(f->dev), TLY_PK_LEN);
	memcpy(dec.batch, x2.b->id, TLY_HASH_LEN);
	dec.seq = 2;
	assert_int_equal(put_decision(f, &dec, "unfreeze x2", &pos), TLY_OK);
	assert_int_equal(pos, 5);	/* after the four batches */
	d = dev_state(f, f->dev);
	assert_int_equal(d.applied, 2);	/* b1, x2; b3 links to b2 */
	assert_int_equal(d.frozen, 0);
	/* A replay is held already, at the same feed position. */
	assert_int_equal(put_decision(f, &dec, "unfreeze x2", &pos2),
	    TLY_E_DUPLICATE);
	assert_int_equal(pos2, pos);
	assert_int_equal(tly_cstore_decision_held(f->s, dec.id, &pos2),
	    TLY_OK);
	assert_int_equal(pos2, pos);
	/* The feed carries it after the batches, byte for byte. */
	tly_jw_init(&w, &fb);
	assert_int_equal(tly_cstore_feed(f->s, 4, 10, 1 << 20, &feed),
	    TLY_OK);
	assert_int_equal(tly_feed_write(&feed, 4, &w), TLY_OK);
	tly_feed_free(&feed);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	assert_non_null(strstr((const char *)fb.p, "\"pos\":5,\"kind\":"
	    "\"decision\""));
	assert_non_null(strstr((const char *)fb.p, "\"next\":5"));
	/* Batches after it take the next positions. */
	simple_batch(&b4, f->central, 1, NULL, 400);
	assert_int_equal(submit(f, &b4, &rc), TLY_OK);
	assert_int_equal(tly_cstore_metrics(f->s, &m), TLY_OK);
	assert_int_equal(m.feed_pos, 6);
	assert_int_equal(m.batches, 5);
	assert_int_equal(tly_cstore_stats(f->s, &st), TLY_OK);
	assert_int_equal(st.evidence, 2);	/* proofs stay */
	assert_int_equal(st.frozen, 0);
	tb_free(&b1);
	tb_free(&b2);
	tb_free(&x2);
	tb_free(&b3);
	tb_free(&b4);
	tly_buf_free(&rc);
	tly_buf_free(&fb);
}

/*
 * A batch ahead of a gap is held as pending and applied when the gap
 * fills; far ahead is a gap.
 */
static void
test_pending_gap_fill(void **state)
{
	struct fx	*f = *state;
	struct tb	 b1, b2, b3, far;
	struct tly_buf	 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_api_head	 h;
	struct tly_api_receipts	 page;
	uint8_t		 wrong[TLY_HASH_LEN] = { 1 };

	simple_batch(&b1, f->dev, 1, NULL, 100);
	simple_batch(&b2, f->dev, 2, b1.b->id, 200);
	simple_batch(&b3, f->dev, 3, b2.b->id, 300);
	assert_int_equal(submit(f, &b3, &rc), TLY_OK);
	assert_int_equal(f->st, TLY_CSTORE_PENDING);
	assert_int_equal(submit(f, &b1, &rc), TLY_OK);
	assert_int_equal(f->st, TLY_CSTORE_APPLIED);
	assert_int_equal(dev_state(f, f->dev).head, 1);
	assert_int_equal(dev_state(f, f->dev).applied, 1);
	assert_int_equal(tly_cstore_device_head(f->s, tly_key_public(f->dev),
	    &h), TLY_OK);
	assert_int_equal(h.head, 1);
	assert_int_equal(h.npending, 1);
	assert_int_equal(h.pending[0], 3);
	assert_int_equal(submit(f, &b2, &rc), TLY_OK);
	assert_int_equal(f->st, TLY_CSTORE_APPLIED);
	assert_int_equal(dev_state(f, f->dev).applied, 3);
	assert_int_equal(dev_state(f, f->dev).head, 3);

	simple_batch(&far, f->central, TLY_CSTORE_AHEAD_MAX + 1, wrong, 100);
	assert_int_equal(submit(f, &far, &rc), TLY_E_SEQ_GAP);
	/* Receipts of seq >= 2 can be collected again. */
	assert_int_equal(tly_cstore_receipts(f->s, tly_key_public(f->dev), 2,
	    &page), TLY_OK);
	assert_int_equal(page.n, 2);
	assert_int_equal(page.e[0].seq, 2);
	assert_int_equal(page.e[1].seq, 3);
	assert_memory_equal(page.e[0].batch, b2.b->id, TLY_HASH_LEN);
	assert_int_equal(page.next, 0);
	tly_api_receipts_finish(&page);
	tb_free(&b1);
	tb_free(&b2);
	tb_free(&b3);
	tb_free(&far);
	tly_buf_free(&rc);
}

/* What the heads walk saw, one entry per key. */
struct hseen {
	size_t		n;		/* keys */
	char		id[8][80];	/* winner record ids */
	uint64_t	v1[8];		/* winner's first candidate votes */
	unsigned	conf[8];	/* confirmations */
	int		disputed[8];
};

static int
hseen_fn(void *arg, const struct tly_cstore_head *h)
{
	struct hseen	*z = arg;

	assert_true(z->n < 8);
	snprintf(z->id[z->n], sizeof(z->id[0]), "%s", h->record_id);
	z->v1[z->n] = h->rec->votes[0].votes;
	z->conf[z->n] = h->confirmations;
	z->disputed[z->n] = h->disputed;
	z->n++;
	return 0;
}

/* Walk the heads into z. */
static void
heads_of(struct fx *f, struct hseen *z)
{
	memset(z, 0, sizeof(*z));
	assert_int_equal(tly_cstore_heads(f->s, hseen_fn, z), TLY_OK);
}

/*
 * Double entry confirms; a device's correction supersedes its own
 * record and leaves a conflict with the other device, won by the longer
 * supersede chain; a record superseding every head resolves it.
 */
static void
test_versions(void **state)
{
	struct fx		*f = *state;
	struct tly_record	 r;
	struct tb		 a1, b1, b2, a2;
	struct tly_buf		 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_api_conflicts cf;
	struct tly_cstore_stats	 st;
	struct hseen		 z;
	char			 ida1[80], idb2[80], ida2[80];
	uint64_t		 g0, pos;
	struct tly_decision	 dec;

	make_record(&r, "A01", 1, 1000, 900, 500, 398);
	make_batch(&a1, f->dev, 1, NULL, 100, &r, 1);
	make_batch(&b1, f->central, 1, NULL, 100, &r, 1);
	tly_record_finish(&r);
	g0 = tly_cstore_generation(f->s);
	assert_int_equal(submit(f, &a1, &rc), TLY_OK);
	assert_true(tly_cstore_generation(f->s) != g0);
	assert_int_equal(submit(f, &b1, &rc), TLY_OK);
	heads_of(f, &z);
	assert_int_equal(z.n, 1);
	assert_int_equal(z.conf[0], 2);		/* two devices agree */
	assert_int_equal(z.disputed[0], 0);

	/* Device B corrects its record: B's first one is superseded. */
	make_record(&r, "A01", 1, 1000, 900, 501, 397);
	make_batch(&b2, f->central, 2, b1.b->id, 200, &r, 1);
	tly_record_finish(&r);
	assert_int_equal(submit(f, &b2, &rc), TLY_OK);
	tly_record_id(b2.b->id, 0, idb2, sizeof(idb2));
	heads_of(f, &z);
	assert_int_equal(z.n, 1);
	assert_int_equal(z.disputed[0], 1);
	assert_string_equal(z.id[0], idb2);	/* chain 1 beats chain 0 */
	assert_int_equal(z.v1[0], 501);
	assert_int_equal(z.conf[0], 1);
	assert_int_equal(tly_cstore_conflicts(f->s, 10, &cf), TLY_OK);
	assert_int_equal(cf.n, 1);
	assert_int_equal(cf.more, 0);
	assert_string_equal(cf.c[0].area, "A01");
	assert_string_equal(cf.c[0].winner, idb2);
	assert_int_equal(cf.c[0].nheads, 2);
	tly_record_id(a1.b->id, 0, ida1, sizeof(ida1));
	assert_true(strcmp(cf.c[0].heads[0].record, ida1) == 0 ||
	    strcmp(cf.c[0].heads[1].record, ida1) == 0);
	assert_non_null(strstr(cf.c[0].heads[0].body, "\"votes\""));
	tly_api_conflicts_free(&cf);
	assert_int_equal(tly_cstore_conflicts(f->s, 0, &cf), TLY_OK);
	assert_int_equal(cf.n, 0);
	assert_int_equal(cf.more, 1);
	tly_api_conflicts_free(&cf);
	assert_int_equal(tly_cstore_stats(f->s, &st), TLY_OK);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(st.keys, 1);

	/* An adjudicator resolves it for A's record: no longer disputed. */
	make_resolve(&dec, "resolve A01 for a1", "A01", ida1);
	snprintf(dec.level, sizeof(dec.level), "prov");	/* another key */
	assert_int_equal(put_decision(f, &dec, "r", &pos), TLY_E_NOT_HELD);
	snprintf(dec.level, sizeof(dec.level), "na");
	snprintf(dec.record, sizeof(dec.record), "%.64s:7", ida1);
	assert_int_equal(put_decision(f, &dec, "r", &pos), TLY_E_NOT_HELD);
	snprintf(dec.record, sizeof(dec.record), "%s", ida1);
	/* It chose among both heads (13.6 over), in ascending order. */
	resolve_over(&dec, ida1, idb2);
	/* Every record it chose among must be held, of that key. */
	snprintf(dec.over[2], sizeof(dec.over[2]), "%.64s:7", ida1);
	dec.nover = 3;
	assert_int_equal(put_decision(f, &dec, "r", &pos), TLY_E_NOT_HELD);
	dec.nover = 2;
	g0 = tly_cstore_generation(f->s);
	assert_int_equal(put_decision(f, &dec, "resolve", &pos), TLY_OK);
	assert_true(tly_cstore_generation(f->s) != g0);
	heads_of(f, &z);
	assert_int_equal(z.n, 1);
	assert_int_equal(z.disputed[0], 0);
	assert_string_equal(z.id[0], ida1);
	assert_int_equal(z.v1[0], 500);
	assert_int_equal(tly_cstore_stats(f->s, &st), TLY_OK);
	assert_int_equal(st.conflicts, 0);

	/* Device A resolves: its record supersedes both heads. */
	make_record(&r, "A01", 1, 1000, 900, 499, 399);
	r.nsupersedes = 2;
	snprintf(r.supersedes[0], sizeof(r.supersedes[0]), "%s", ida1);
	snprintf(r.supersedes[1], sizeof(r.supersedes[1]), "%s", idb2);
	make_batch(&a2, f->dev, 2, a1.b->id, 300, &r, 1);
	tly_record_finish(&r);
	assert_int_equal(submit(f, &a2, &rc), TLY_OK);
	tly_record_id(a2.b->id, 0, ida2, sizeof(ida2));
	heads_of(f, &z);
	assert_int_equal(z.n, 1);
	assert_int_equal(z.disputed[0], 0);
	assert_string_equal(z.id[0], ida2);
	assert_int_equal(z.v1[0], 499);
	assert_int_equal(tly_cstore_stats(f->s, &st), TLY_OK);
	assert_int_equal(st.conflicts, 0);
	tb_free(&a1);
	tb_free(&b1);
	tb_free(&b2);
	tb_free(&a2);
	tly_buf_free(&rc);
}

/* Submit the batches t[order[i]] to f in that order. */
static void
submit_all(struct fx *f, struct tb *t, const size_t *order, size_t n)
{
	struct tly_buf	rc = TLY_BUF_INIT(TLY_MSG_MAX);
	size_t		i;
	int		r;

	for (i = 0; i < n; i++) {
		tly_buf_reset(&rc);
		r = submit(f, &t[order[i]], &rc);
		assert_true(r == TLY_OK || r == TLY_E_DUPLICATE);
	}
	tly_buf_free(&rc);
}

/*
 * The same set of batches in different orders, with duplicates and a
 * restart, gives the same state hash; a different set does not.
 */
static void
test_state_hash_converges(void **state)
{
	struct fx		*f = *state;
	struct fx		 g;
	struct tly_record	 r;
	struct tb		 t[6];
	struct tly_cstore_stats	 s1, s2, s3;
	static const size_t	 o1[] = { 0, 1, 2, 3, 4, 5 };
	static const size_t	 o2[] = { 5, 3, 2, 2, 4, 1, 0, 3 };
	char			 p[192];

	/* dev: 1, 2, 3 and a second 3 (equivocation); other: 1, 2. */
	make_record(&r, "A01", 1, 1000, 900, 500, 398);
	make_batch(&t[0], f->dev, 1, NULL, 1, &r, 1);
	make_batch(&t[3], f->central, 1, NULL, 1, &r, 1);
	make_record(&r, "A01", 1, 1000, 900, 501, 397);
	make_batch(&t[1], f->dev, 2, t[0].b->id, 2, &r, 1);
	make_batch(&t[4], f->central, 2, t[3].b->id, 2, &r, 1);
	make_record(&r, "A02", 1, 500, 400, 100, 298);
	make_batch(&t[2], f->dev, 3, t[1].b->id, 3, &r, 1);
	make_batch(&t[5], f->dev, 3, t[1].b->id, 4, &r, 1);
	tly_record_finish(&r);

	memset(&g, 0, sizeof(g));
	g.central = f->central;
	snprintf(g.db, sizeof(g.db), "%s/other.db", f->dir);
	assert_int_equal(tly_cstore_open(g.db, &g.s), TLY_OK);

	submit_all(f, t, o1, 5);
	assert_int_equal(tly_cstore_stats(f->s, &s1), TLY_OK);
	submit_all(&g, t, o2, 8);
	assert_int_equal(tly_cstore_stats(g.s, &s2), TLY_OK);
	/* g holds t[5] as well: the sets differ, so do the hashes. */
	assert_memory_not_equal(s1.state_hash, s2.state_hash, TLY_HASH_LEN);
	assert_int_equal(s2.frozen, 1);
	submit_all(f, t, o1 + 5, 1);
	assert_int_equal(tly_cstore_stats(f->s, &s1), TLY_OK);
	assert_memory_equal(s1.state_hash, s2.state_hash, TLY_HASH_LEN);
	assert_int_equal(s1.frozen, 1);
	assert_int_equal(s1.keys, 1);	/* A02 is only in the frozen seq 3 */

	/* A restart changes nothing. */
	tly_cstore_close(g.s);
	assert_int_equal(tly_cstore_open(g.db, &g.s), TLY_OK);
	assert_int_equal(tly_cstore_stats(g.s, &s3), TLY_OK);
	assert_memory_equal(s3.state_hash, s2.state_hash, TLY_HASH_LEN);

	tly_cstore_close(g.s);
	unlink(g.db);
	snprintf(p, sizeof(p), "%s-wal", g.db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", g.db);
	unlink(p);
	for (size_t i = 0; i < 6; i++)
		tb_free(&t[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_equivocation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_gap_fill,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_hash_converges,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
