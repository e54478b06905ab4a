/*
 * test_daemon_store.c: the field daemon's database (daemon/store*.c) on a
 * real SQLite file in a fresh temporary directory.
 *
 * The store keeps signed bytes as opaque blobs, so most batches here are
 * short stand-in messages whose id is their BLAKE2b-256, as for a real
 * batch; one test stores a real sealed batch and reads it back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/store.h"
#include "sync/wire.h"

/* One test's world: a temp dir and its database. */
struct fx {
	char			 dir[64];	/* mkdtemp directory */
	char			 db[128];	/* dir/tallyd.db */
	struct tly_dstore	*s;		/* the open store */
};

/* A stand-in batch: bytes and their id. */
struct tb {
	uint8_t		bytes[64];	/* the "signed message" */
	size_t		len;		/* bytes used */
	uint8_t		id[TLY_HASH_LEN];	/* hash of bytes */
};

static int
setup(void **state)
{
	struct fx	*f;
	const char	*tmp = getenv("TMPDIR");

	assert_int_equal(tly_crypto_init(), TLY_OK);
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/tly-dstore.XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/tallyd.db", f->dir);
	assert_int_equal(tly_dstore_open(f->db, &f->s), TLY_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	char		 p[160];

	tly_dstore_close(f->s);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	unlink(p);
	unlink(f->db);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Make stand-in batch number n (distinct bytes for distinct tag). */
static void
tb_make(struct tb *t, const char *tag, unsigned n)
{
	int	len;

	len = snprintf((char *)t->bytes, sizeof(t->bytes), "TALLYSIG-%s-%u",
	    tag, n);
	assert_true(len > 0 && (size_t)len < sizeof(t->bytes));
	t->len = (size_t)len;
	tly_hash(t->bytes, t->len, t->id);
}

/* Append t as seq with one record. */
static int
tb_append(struct fx *f, const struct tb *t, uint64_t seq)
{
	struct tly_dstore_rec	rec;
	char			rid[80];

	tly_record_id(t->id, 0, rid, sizeof(rid));
	rec.id = rid;
	rec.area = "A01";
	rec.level = "na";
	rec.constituency = "NA-1";
	rec.round = 1;
	rec.json = "{\"area\":\"A01\"}";
	return tly_dstore_append(f->s, seq, t->id, t->bytes, t->len, 1000 + seq,
	    &rec, 1);
}

/* Collects tly_dstore_foreach_batch() output. */
struct seen {
	size_t			n;		/* batches seen */
	struct tly_dstore_info	info[8];	/* copies */
	char			err[8][64];	/* last_error copies */
};

static int
collect(void *arg, const struct tly_dstore_info *info)
{
	struct seen	*s = arg;

	if (s->n == 8)
		return 1;
	s->info[s->n] = *info;
	snprintf(s->err[s->n], sizeof(s->err[0]), "%s",
	    info->last_error ? info->last_error : "");
	s->info[s->n].last_error = NULL;
	s->n++;
	return 0;
}

/* A new file is at the current schema version; a newer one is refused. */
static void
test_user_version(void **state)
{
	struct fx	*f = *state;
	uint8_t		 v[4] = { 0, 0, 0, 99 };
	int		 ver = -1, fd;

	assert_int_equal(tly_dstore_user_version(f->s, &ver), TLY_OK);
	assert_int_equal(ver, TLY_DSTORE_VERSION);
	/* Reopening an up-to-date file changes nothing. */
	tly_dstore_close(f->s);
	assert_int_equal(tly_dstore_open(f->db, &f->s), TLY_OK);
	assert_int_equal(tly_dstore_user_version(f->s, &ver), TLY_OK);
	assert_int_equal(ver, TLY_DSTORE_VERSION);
	tly_dstore_close(f->s);		/* checkpoints and drops the WAL */
	f->s = NULL;
	/* user_version is the big-endian integer at offset 60 of the file. */
	fd = open(f->db, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, v, sizeof(v), 60), (ssize_t)sizeof(v));
	close(fd);
	assert_int_equal(tly_dstore_open(f->db, &f->s), TLY_E_VERSION);
	assert_null(f->s);
}

/* Appending moves the head; only head + 1 is accepted. */
static void
test_append_head(void **state)
{
	struct fx	*f = *state;
	struct tb	 b1, b2, b3;
	struct tly_buf	 got = TLY_BUF_INIT(TLY_MSG_MAX);
	uint8_t		 id[TLY_HASH_LEN], zero[TLY_HASH_LEN] = { 0 };
	uint64_t	 head = 99;

	tb_make(&b1, "own", 1);
	tb_make(&b2, "own", 2);
	tb_make(&b3, "own", 3);
	assert_int_equal(tly_dstore_head(f->s, &head, id), TLY_OK);
	assert_int_equal(head, 0);
	assert_memory_equal(id, zero, TLY_HASH_LEN);

	assert_int_equal(tb_append(f, &b2, 2), TLY_E_SEQ_CONFLICT);
	assert_int_equal(tb_append(f, &b1, 1), TLY_OK);
	assert_int_equal(tly_dstore_head(f->s, &head, id), TLY_OK);
	assert_int_equal(head, 1);
	assert_memory_equal(id, b1.id, TLY_HASH_LEN);

	/* The same seq again, a gap, and a reused id are all refused. */
	assert_int_equal(tb_append(f, &b2, 1), TLY_E_SEQ_CONFLICT);
	assert_int_equal(tb_append(f, &b3, 3), TLY_E_SEQ_CONFLICT);
	assert_int_equal(tb_append(f, &b1, 2), TLY_E_DB);
	assert_int_equal(tly_dstore_head(f->s, &head, id), TLY_OK);
	assert_int_equal(head, 1);

	assert_int_equal(tb_append(f, &b2, 2), TLY_OK);
	assert_int_equal(tly_dstore_head(f->s, &head, id), TLY_OK);
	assert_int_equal(head, 2);
	assert_memory_equal(id, b2.id, TLY_HASH_LEN);

	/* Bytes come back exactly. */
	assert_int_equal(tly_dstore_batch_bytes(f->s, 1, &got), TLY_OK);
	assert_int_equal(got.len, b1.len);
	assert_memory_equal(got.p, b1.bytes, b1.len);
	tly_buf_reset(&got);
	assert_int_equal(tly_dstore_batch_bytes(f->s, 3, &got),
	    TLY_E_NOTFOUND);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_OWN, b2.id, NULL),
	    TLY_OK);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_OWN, b3.id, NULL),
	    TLY_E_NOTFOUND);
	tly_buf_free(&got);
}

/* sealed -> sent -> acknowledged, with attempts, errors and receipts. */
static void
test_states(void **state)
{
	struct fx		*f = *state;
	struct tb		 b1, b2;
	struct tly_dstore_item	*items = NULL;
	struct tly_buf		 rc = TLY_BUF_INIT(TLY_MSG_MAX);
	struct seen		 seen;
	enum tly_dstate		 st;
	uint64_t		 counts[TLY_DSTATE_N], n;
	size_t			 ni;

	tb_make(&b1, "own", 1);
	tb_make(&b2, "own", 2);
	assert_int_equal(tb_append(f, &b1, 1), TLY_OK);
	assert_int_equal(tb_append(f, &b2, 2), TLY_OK);
	assert_int_equal(tly_dstore_counts(f->s, counts), TLY_OK);
	assert_int_equal(counts[TLY_DSTATE_SEALED], 2);
	assert_int_equal(counts[TLY_DSTATE_SENT], 0);

	assert_int_equal(tly_dstore_pending(f->s, 64, 1 << 20, &items, &ni),
	    TLY_OK);
	assert_int_equal(ni, 2);
	assert_int_equal(items[0].kind, TLY_DKIND_OWN);
	assert_int_equal(items[0].seq, 1);
	assert_memory_equal(items[0].id, b1.id, TLY_HASH_LEN);
	assert_int_equal(items[0].len, b1.len);
	assert_memory_equal(items[0].bytes, b1.bytes, b1.len);
	assert_int_equal(items[1].seq, 2);

	assert_int_equal(tly_dstore_mark_sent(f->s, items, ni), TLY_OK);
	assert_int_equal(tly_dstore_counts(f->s, counts), TLY_OK);
	assert_int_equal(counts[TLY_DSTATE_SEALED], 0);
	assert_int_equal(counts[TLY_DSTATE_SENT], 2);
	assert_int_equal(tly_dstore_set_error(f->s, TLY_DKIND_OWN, b2.id,
	    "central unreachable: refused"), TLY_OK);

	/* A receipt for batch 1 acknowledges it; the first receipt stays. */
	assert_int_equal(tly_dstore_ack(f->s, TLY_DKIND_OWN, b1.id,
	    (const uint8_t *)"receipt-1", 9, 5000), TLY_OK);
	assert_int_equal(tly_dstore_ack(f->s, TLY_DKIND_OWN, b1.id,
	    (const uint8_t *)"receipt-X", 9, 6000), TLY_OK);
	assert_int_equal(tly_dstore_receipt(f->s, TLY_DKIND_OWN, b1.id, &rc),
	    TLY_OK);
	assert_int_equal(rc.len, 9);
	assert_memory_equal(rc.p, "receipt-1", 9);
	tly_buf_reset(&rc);
	assert_int_equal(tly_dstore_receipt(f->s, TLY_DKIND_OWN, b2.id, &rc),
	    TLY_E_NOTFOUND);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_OWN, b1.id, &st),
	    TLY_OK);
	assert_int_equal(st, TLY_DSTATE_ACKED);

	/* Sending again never demotes an acknowledged batch. */
	assert_int_equal(tly_dstore_mark_sent(f->s, items, ni), TLY_OK);
	assert_int_equal(tly_dstore_counts(f->s, counts), TLY_OK);
	assert_int_equal(counts[TLY_DSTATE_SENT], 1);
	assert_int_equal(counts[TLY_DSTATE_ACKED], 1);
	tly_dstore_items_free(items, ni);
	items = NULL;

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(tly_dstore_foreach_batch(f->s, collect, &seen),
	    TLY_OK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.info[0].state, TLY_DSTATE_ACKED);
	assert_int_equal(seen.info[0].acked_at, 5000);
	assert_int_equal(seen.info[0].attempts, 2);
	assert_int_equal(seen.info[0].nrecords, 1);
	assert_int_equal(seen.info[0].created, 1001);
	assert_string_equal(seen.err[0], "");
	assert_int_equal(seen.info[1].state, TLY_DSTATE_SENT);
	assert_int_equal(seen.info[1].attempts, 2);
	assert_string_equal(seen.err[1], "central unreachable: refused");

	/* Only batch 2 is left to send. */
	assert_int_equal(tly_dstore_unacked(f->s, &n), TLY_OK);
	assert_int_equal(n, 1);
	assert_int_equal(tly_dstore_pending(f->s, 64, 1 << 20, &items, &ni),
	    TLY_OK);
	assert_int_equal(ni, 1);
	assert_int_equal(items[0].seq, 2);
	tly_dstore_items_free(items, ni);

	/* Unknown ids are reported. */
	assert_int_equal(tly_dstore_ack(f->s, TLY_DKIND_RELAY, b2.id,
	    (const uint8_t *)"r", 1, 1), TLY_E_NOTFOUND);
	assert_int_equal(tly_dstore_set_error(f->s, TLY_DKIND_RELAY, b2.id,
	    "x"), TLY_E_NOTFOUND);
	tly_buf_free(&rc);
}

/*
 * A batch the central rejected for good (PROTOCOL.md 9.1) is "rejected":
 * counted apart, never pending, its code and message kept; an
 * acknowledged batch cannot be rejected.
 */
static void
test_rejected(void **state)
{
	struct fx		*f = *state;
	struct tb		 b1, b2;
	struct tly_dstore_item	*items = NULL;
	struct tly_dstore_found	 fd;
	struct seen		 seen;
	enum tly_dstate		 st;
	uint64_t		 counts[TLY_DSTATE_N], recs[TLY_DSTATE_N], n;
	size_t			 ni;

	tb_make(&b1, "own", 1);
	tb_make(&b2, "own", 2);
	assert_int_equal(tb_append(f, &b1, 1), TLY_OK);
	assert_int_equal(tb_append(f, &b2, 2), TLY_OK);
	assert_int_equal(tly_dstore_pending(f->s, 64, 1 << 20, &items, &ni),
	    TLY_OK);
	assert_int_equal(tly_dstore_mark_sent(f->s, items, ni), TLY_OK);
	tly_dstore_items_free(items, ni);

	assert_int_equal(tly_dstore_reject(f->s, TLY_DKIND_OWN, b2.id,
	    "bad_record", "record 0: W3: ..."), TLY_OK);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_OWN, b2.id, &st),
	    TLY_OK);
	assert_int_equal(st, TLY_DSTATE_REJECTED);
	assert_int_equal(tly_dstore_find(f->s, TLY_DKIND_OWN, b2.id, &fd),
	    TLY_OK);
	assert_int_equal(fd.state, TLY_DSTATE_REJECTED);
	assert_string_equal(tly_dstate_name(TLY_DSTATE_REJECTED), "rejected");
	assert_int_equal(tly_dstore_counts(f->s, counts), TLY_OK);
	assert_int_equal(counts[TLY_DSTATE_SENT], 1);
	assert_int_equal(counts[TLY_DSTATE_REJECTED], 1);
	assert_int_equal(tly_dstore_record_counts(f->s, recs), TLY_OK);
	assert_int_equal(recs[TLY_DSTATE_REJECTED], 1);

	/* Only batch 1 is left to send. */
	assert_int_equal(tly_dstore_unacked(f->s, &n), TLY_OK);
	assert_int_equal(n, 1);
	assert_int_equal(tly_dstore_pending(f->s, 64, 1 << 20, &items, &ni),
	    TLY_OK);
	assert_int_equal(ni, 1);
	assert_int_equal(items[0].seq, 1);
	tly_dstore_items_free(items, ni);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(tly_dstore_foreach_batch(f->s, collect, &seen),
	    TLY_OK);
	assert_int_equal(seen.info[1].state, TLY_DSTATE_REJECTED);
	assert_string_equal(seen.err[1], "bad_record: record 0: W3: ...");

	/* An acknowledged batch stays acknowledged. */
	assert_int_equal(tly_dstore_ack(f->s, TLY_DKIND_OWN, b1.id,
	    (const uint8_t *)"receipt-1", 9, 5000), TLY_OK);
	assert_int_equal(tly_dstore_reject(f->s, TLY_DKIND_OWN, b1.id,
	    "bad_record", "late"), TLY_E_NOTFOUND);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_OWN, b1.id, &st),
	    TLY_OK);
	assert_int_equal(st, TLY_DSTATE_ACKED);
	assert_int_equal(tly_dstore_unacked(f->s, &n), TLY_OK);
	assert_int_equal(n, 0);
	assert_int_equal(tly_dstore_reject(f->s, TLY_DKIND_RELAY, b2.id,
	    "bad_record", "x"), TLY_E_NOTFOUND);
}

/* pending() honours its count and byte limits but always takes one. */
static void
test_pending_limits(void **state)
{
	struct fx		*f = *state;
	struct tb		 b[3];
	struct tly_dstore_item	*items = NULL;
	size_t			 ni, i;

	for (i = 0; i < 3; i++) {
		tb_make(&b[i], "own", (unsigned)i + 1);
		assert_int_equal(tb_append(f, &b[i], i + 1), TLY_OK);
	}
	assert_int_equal(tly_dstore_pending(f->s, 2, 1 << 20, &items, &ni),
	    TLY_OK);
	assert_int_equal(ni, 2);
	tly_dstore_items_free(items, ni);
	assert_int_equal(tly_dstore_pending(f->s, 64, b[0].len + b[1].len,
	    &items, &ni), TLY_OK);
	assert_int_equal(ni, 2);
	tly_dstore_items_free(items, ni);
	assert_int_equal(tly_dstore_pending(f->s, 64, 1, &items, &ni), TLY_OK);
	assert_int_equal(ni, 1);
	assert_int_equal(items[0].seq, 1);
	tly_dstore_items_free(items, ni);
	assert_int_equal(tly_dstore_pending(f->s, 0, 1 << 20, &items, &ni),
	    TLY_OK);
	assert_int_equal(ni, 0);
	assert_null(items);
}

/* Collects the order of tly_dstore_foreach_bytes(). */
struct order {
	size_t	n;		/* entries seen */
	char	tag[8][64];	/* their bytes, as text */
};

static int
collect_bytes(void *arg, enum tly_dkind kind, const uint8_t *m, size_t len)
{
	struct order	*o = arg;

	if (o->n == 8 || len >= sizeof(o->tag[0]))
		return 1;
	memcpy(o->tag[o->n], m, len);
	o->tag[o->n][len] = '\0';
	o->n++;
	return 0;
}

/* Relayed batches: stored once, duplicates and conflicts told apart. */
static void
test_relay(void **state)
{
	struct fx		*f = *state;
	struct tb		 own, a1, a2, a2x, b2;
	struct tly_dstore_item	*items = NULL;
	struct tly_dstore_dev	*devs = NULL;
	struct tly_dstore_found	 fd;
	struct order		 o;
	uint8_t			 devA[TLY_PK_LEN], devB[TLY_PK_LEN];
	enum tly_drelay		 res;
	enum tly_dstate		 st;
	uint64_t		 counts[TLY_DSTATE_N], n;
	size_t			 ni;

	memset(devA, 0xaa, sizeof(devA));
	memset(devB, 0xbb, sizeof(devB));
	tb_make(&own, "own", 1);
	tb_make(&a1, "A", 1);
	tb_make(&a2, "A", 2);
	tb_make(&a2x, "A-other", 2);
	tb_make(&b2, "B", 2);
	assert_int_equal(tb_append(f, &own, 1), TLY_OK);

	/* Out of order on purpose: B2, A2, A1. */
	assert_int_equal(tly_dstore_relay_add(f->s, b2.id, devB, 2, b2.bytes,
	    b2.len, 2, 7, &res), TLY_OK);
	assert_int_equal(res, TLY_DRELAY_STORED);
	assert_int_equal(tly_dstore_relay_add(f->s, a2.id, devA, 2, a2.bytes,
	    a2.len, 2, 7, &res), TLY_OK);
	assert_int_equal(res, TLY_DRELAY_STORED);
	assert_int_equal(tly_dstore_relay_add(f->s, a1.id, devA, 1, a1.bytes,
	    a1.len, 2, 7, &res), TLY_OK);
	assert_int_equal(res, TLY_DRELAY_STORED);
	assert_int_equal(tly_dstore_relay_add(f->s, a2.id, devA, 2, a2.bytes,
	    a2.len, 2, 8, &res), TLY_OK);
	assert_int_equal(res, TLY_DRELAY_DUPLICATE);
	assert_int_equal(tly_dstore_relay_add(f->s, a2x.id, devA, 2, a2x.bytes,
	    a2x.len, 2, 8, &res), TLY_OK);
	assert_int_equal(res, TLY_DRELAY_CONFLICT);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_RELAY, a2x.id, NULL),
	    TLY_E_NOTFOUND);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_RELAY, a1.id, &st),
	    TLY_OK);
	assert_int_equal(st, TLY_DSTATE_SEALED);
	/* Relayed batches are not the device's own. */
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_OWN, a1.id, NULL),
	    TLY_E_NOTFOUND);
	assert_int_equal(tly_dstore_counts(f->s, counts), TLY_OK);
	assert_int_equal(counts[TLY_DSTATE_SEALED], 1);
	assert_int_equal(tly_dstore_unacked(f->s, &n), TLY_OK);
	assert_int_equal(n, 4);

	/* Own first, then relayed in device and seq order. */
	assert_int_equal(tly_dstore_pending(f->s, 64, 1 << 20, &items, &ni),
	    TLY_OK);
	assert_int_equal(ni, 4);
	assert_int_equal(items[0].kind, TLY_DKIND_OWN);
	assert_int_equal(items[1].kind, TLY_DKIND_RELAY);
	assert_memory_equal(items[1].id, a1.id, TLY_HASH_LEN);
	assert_memory_equal(items[2].id, a2.id, TLY_HASH_LEN);
	assert_memory_equal(items[3].id, b2.id, TLY_HASH_LEN);
	assert_int_equal(items[3].seq, 2);
	assert_int_equal(tly_dstore_mark_sent(f->s, items, ni), TLY_OK);
	tly_dstore_items_free(items, ni);

	memset(&o, 0, sizeof(o));
	assert_int_equal(tly_dstore_foreach_bytes(f->s, collect_bytes, &o),
	    TLY_OK);
	assert_int_equal(o.n, 4);
	assert_string_equal(o.tag[0], "TALLYSIG-own-1");
	assert_string_equal(o.tag[1], "TALLYSIG-A-1");
	assert_string_equal(o.tag[2], "TALLYSIG-A-2");
	assert_string_equal(o.tag[3], "TALLYSIG-B-2");

	assert_int_equal(tly_dstore_ack(f->s, TLY_DKIND_RELAY, a1.id,
	    (const uint8_t *)"rA1", 3, 9), TLY_OK);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_RELAY, a1.id, &st),
	    TLY_OK);
	assert_int_equal(st, TLY_DSTATE_ACKED);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_RELAY, b2.id, &st),
	    TLY_OK);
	assert_int_equal(st, TLY_DSTATE_SENT);
	assert_int_equal(tly_dstore_unacked(f->s, &n), TLY_OK);
	assert_int_equal(n, 3);

	/* Per device: own (1 sent), A (seq 2 sent), B (seq 2 sent). */
	assert_int_equal(tly_dstore_unacked_devices(f->s, 16, &devs, &ni),
	    TLY_OK);
	assert_int_equal(ni, 3);
	assert_int_equal(devs[0].kind, TLY_DKIND_OWN);
	assert_int_equal(devs[0].min_seq, 1);
	assert_int_equal(devs[0].nunacked, 1);
	assert_int_equal(devs[0].nsent, 1);
	assert_int_equal(devs[1].kind, TLY_DKIND_RELAY);
	assert_memory_equal(devs[1].device, devA, TLY_PK_LEN);
	assert_int_equal(devs[1].min_seq, 2);
	assert_int_equal(devs[1].max_seq, 2);
	assert_int_equal(devs[1].nunacked, 1);
	assert_memory_equal(devs[2].device, devB, TLY_PK_LEN);
	assert_int_equal(devs[2].min_seq, 2);
	free(devs);
	assert_int_equal(tly_dstore_unacked_devices(f->s, 1, &devs, &ni),
	    TLY_OK);
	assert_int_equal(ni, 1);
	assert_int_equal(devs[0].kind, TLY_DKIND_OWN);
	free(devs);

	/* Lookups by id tell seq, device, record count and state. */
	assert_int_equal(tly_dstore_find(f->s, TLY_DKIND_RELAY, a2.id, &fd),
	    TLY_OK);
	assert_int_equal(fd.seq, 2);
	assert_memory_equal(fd.device, devA, TLY_PK_LEN);
	assert_int_equal(fd.nrecords, 2);
	assert_int_equal(fd.state, TLY_DSTATE_SENT);
	assert_int_equal(tly_dstore_find(f->s, TLY_DKIND_OWN, a2.id, &fd),
	    TLY_E_NOTFOUND);
	assert_int_equal(tly_dstore_find(f->s, TLY_DKIND_OWN, own.id, &fd),
	    TLY_OK);
	assert_int_equal(fd.seq, 1);
	assert_int_equal(fd.nrecords, 1);

	assert_int_equal(tly_dstore_relay_counts(f->s, counts), TLY_OK);
	assert_int_equal(counts[TLY_DSTATE_SEALED], 0);
	assert_int_equal(counts[TLY_DSTATE_SENT], 2);
	assert_int_equal(counts[TLY_DSTATE_ACKED], 1);
	assert_int_equal(tly_dstore_record_counts(f->s, counts), TLY_OK);
	assert_int_equal(counts[TLY_DSTATE_SENT], 1);
	assert_int_equal(counts[TLY_DSTATE_ACKED], 0);

	/* Everything acknowledged: no device left. */
	assert_int_equal(tly_dstore_ack(f->s, TLY_DKIND_OWN, own.id,
	    (const uint8_t *)"r", 1, 9), TLY_OK);
	assert_int_equal(tly_dstore_ack(f->s, TLY_DKIND_RELAY, a2.id,
	    (const uint8_t *)"r", 1, 9), TLY_OK);
	assert_int_equal(tly_dstore_ack(f->s, TLY_DKIND_RELAY, b2.id,
	    (const uint8_t *)"r", 1, 9), TLY_OK);
	assert_int_equal(tly_dstore_unacked_devices(f->s, 16, &devs, &ni),
	    TLY_OK);
	assert_int_equal(ni, 0);
	assert_null(devs);
	assert_int_equal(tly_dstore_record_counts(f->s, counts), TLY_OK);
	assert_int_equal(counts[TLY_DSTATE_ACKED], 1);
}

/* Everything survives closing and reopening the file. */
static void
test_persistence(void **state)
{
	struct fx		*f = *state;
	struct tly_key		*key = NULL;
	struct tly_record	 rec;
	struct tly_buf		 msg = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 got = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_batch	*parsed = NULL;
	struct tly_dstore_item	 it;
	struct tb		 r1;
	uint8_t			 id[TLY_HASH_LEN], head_id[TLY_HASH_LEN];
	uint8_t			 election[TLY_HASH_LEN] = { 0xe1 };
	uint64_t		 head, counts[TLY_DSTATE_N];
	enum tly_drelay		 res;
	static const char *const mk[2] = { "last_contact", "wire_up" };
	static const char *const mv[2] = { "1700000000", "12345" };
	char			 v[80];

	/* A real sealed batch as seq 1. */
	assert_int_equal(tly_key_generate(&key), TLY_OK);
	tly_record_init(&rec);
	snprintf(rec.area, sizeof(rec.area), "A01");
	snprintf(rec.level, sizeof(rec.level), "na");
	snprintf(rec.constituency, sizeof(rec.constituency), "NA-1");
	rec.round = 1;
	rec.registered = 10;
	rec.voted = rec.issued = rec.received = 8;
	rec.valid = 8;
	rec.nvotes = 1;
	snprintf(rec.votes[0].cand, sizeof(rec.votes[0].cand), "C1");
	rec.votes[0].votes = 8;
	assert_int_equal(tly_batch_seal(key, 1, NULL, 1234, 0, election, &rec,
	    1, &msg, id), TLY_OK);
	{
		struct tly_dstore_rec	dr = { "x:0", "A01", "na", "NA-1", 1,
		    "{}" };

		assert_int_equal(tly_dstore_append(f->s, 1, id, msg.p, msg.len,
		    1234, &dr, 1), TLY_OK);
	}
	memset(&it, 0, sizeof(it));
	it.kind = TLY_DKIND_OWN;
	it.seq = 1;
	memcpy(it.id, id, TLY_HASH_LEN);
	assert_int_equal(tly_dstore_mark_sent(f->s, &it, 1), TLY_OK);
	assert_int_equal(tly_dstore_ack(f->s, TLY_DKIND_OWN, id,
	    (const uint8_t *)"rcpt", 4, 77), TLY_OK);
	tb_make(&r1, "R", 1);
	assert_int_equal(tly_dstore_relay_add(f->s, r1.id, election, 1,
	    r1.bytes, r1.len, 1, 5, &res), TLY_OK);
	assert_int_equal(tly_dstore_meta_set(f->s, "device", "abc"), TLY_OK);
	assert_int_equal(tly_dstore_meta_set_n(f->s, mk, mv, 2), TLY_OK);

	tly_dstore_close(f->s);
	f->s = NULL;
	assert_int_equal(tly_dstore_open(f->db, &f->s), TLY_OK);

	assert_int_equal(tly_dstore_head(f->s, &head, head_id), TLY_OK);
	assert_int_equal(head, 1);
	assert_memory_equal(head_id, id, TLY_HASH_LEN);
	assert_int_equal(tly_dstore_batch_bytes(f->s, 1, &got), TLY_OK);
	assert_int_equal(got.len, msg.len);
	assert_memory_equal(got.p, msg.p, msg.len);
	/* The stored bytes still verify as the batch that was sealed. */
	assert_int_equal(tly_batch_parse(got.p, got.len, &parsed), TLY_OK);
	assert_int_equal(parsed->seq, 1);
	assert_memory_equal(parsed->id, id, TLY_HASH_LEN);
	assert_int_equal(tly_dstore_counts(f->s, counts), TLY_OK);
	assert_int_equal(counts[TLY_DSTATE_ACKED], 1);
	tly_buf_reset(&got);
	assert_int_equal(tly_dstore_receipt(f->s, TLY_DKIND_OWN, id, &got),
	    TLY_OK);
	assert_int_equal(got.len, 4);
	assert_memory_equal(got.p, "rcpt", 4);
	assert_int_equal(tly_dstore_state(f->s, TLY_DKIND_RELAY, r1.id, NULL),
	    TLY_OK);
	assert_int_equal(tly_dstore_meta_get(f->s, "device", v, sizeof(v)),
	    TLY_OK);
	assert_string_equal(v, "abc");
	assert_int_equal(tly_dstore_meta_get(f->s, "last_contact", v,
	    sizeof(v)), TLY_OK);
	assert_string_equal(v, "1700000000");
	assert_int_equal(tly_dstore_meta_get(f->s, "wire_up", v, sizeof(v)),
	    TLY_OK);
	assert_string_equal(v, "12345");
	assert_int_equal(tly_dstore_meta_get(f->s, "nothing", v, sizeof(v)),
	    TLY_E_NOTFOUND);
	assert_int_equal(tly_dstore_meta_get(f->s, "device", v, 3),
	    TLY_E_TOO_LARGE);

	tly_batch_free(parsed);
	tly_record_finish(&rec);
	tly_key_free(key);
	tly_buf_free(&msg);
	tly_buf_free(&got);
}

/* tly_dstore_trust_each() callback: note each object's kind and size. */
static int
trust_seen(void *arg, enum tly_dtrust_kind kind, const uint8_t *m,
    size_t len)
{
	char	*out = arg;
	size_t	 n = strlen(out);

	snprintf(out + n, 128 - n, "%s%c%zu", n ? "," : "",
	    kind == TLY_DTRUST_REVOCATIONS ? 'r' : 'c', len);
	return 0;
}

/* Trust objects: the newest revocation list only, certificates once. */
static void
test_trust(void **state)
{
	struct fx	*f = *state;
	uint8_t		 id[TLY_HASH_LEN];
	const uint8_t	 m2[] = "list 2", m1[] = "list 1..", m3[] = "list 3...";
	const uint8_t	 c[] = "a central certificate";
	char		 seen[128] = "";
	int		 added;

	tly_hash(m2, sizeof(m2), id);
	assert_int_equal(tly_dstore_trust_put(f->s, TLY_DTRUST_REVOCATIONS,
	    id, 2, m2, sizeof(m2), 100, &added), TLY_OK);
	assert_int_equal(added, 1);
	/* An older list, and the same list again, are not kept. */
	tly_hash(m1, sizeof(m1), id);
	assert_int_equal(tly_dstore_trust_put(f->s, TLY_DTRUST_REVOCATIONS,
	    id, 1, m1, sizeof(m1), 101, &added), TLY_OK);
	assert_int_equal(added, 0);
	tly_hash(m2, sizeof(m2), id);
	assert_int_equal(tly_dstore_trust_put(f->s, TLY_DTRUST_REVOCATIONS,
	    id, 2, m2, sizeof(m2), 102, &added), TLY_OK);
	assert_int_equal(added, 0);
	tly_hash(c, sizeof(c), id);
	assert_int_equal(tly_dstore_trust_put(f->s, TLY_DTRUST_CENTRAL_CERT,
	    id, 100, c, sizeof(c), 103, &added), TLY_OK);
	assert_int_equal(added, 1);
	assert_int_equal(tly_dstore_trust_put(f->s, TLY_DTRUST_CENTRAL_CERT,
	    id, 100, c, sizeof(c), 104, &added), TLY_OK);
	assert_int_equal(added, 0);
	/* A newer list replaces the one held. */
	tly_hash(m3, sizeof(m3), id);
	assert_int_equal(tly_dstore_trust_put(f->s, TLY_DTRUST_REVOCATIONS,
	    id, 3, m3, sizeof(m3), 105, &added), TLY_OK);
	assert_int_equal(added, 1);
	/* Lists first, each object once, after a reopen too. */
	tly_dstore_close(f->s);
	assert_int_equal(tly_dstore_open(f->db, &f->s), TLY_OK);
	assert_int_equal(tly_dstore_trust_each(f->s, trust_seen, seen),
	    TLY_OK);
	assert_string_equal(seen, "r10,c22");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_version, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_append_head, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pending_limits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trust, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
