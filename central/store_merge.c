/*
 * store_merge.c: the per-device merge rules of PROTOCOL.md 12.2 and 12.3
 * on the writer connection: each device's applied chain, its freeze and
 * its equivocation proofs are recomputed from the held batches and the
 * kept decisions alone, so that they never depend on arrival order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"
#include "common/json.h"

#define COUNTS_MAX	8192		/* a counts string */
#define BODY_MAX	(64 * 1024)	/* a record's JSON */
#define HELD_MAX	(1UL << 24)	/* held batches of one device */

/* One held batch of the device being recomputed. */
struct held {
	uint8_t		id[TLY_HASH_LEN];	/* batch id */
	uint8_t		prev[TLY_HASH_LEN];	/* its prev */
	uint64_t	seq;			/* its seq */
	int		over;			/* overruled (12.3) */
	int		kept;			/* named by a counting decision */
};

/* The held batches of one device, sorted by (seq, id). */
struct dev {
	struct held	*h;		/* the batches */
	size_t		 n;		/* entries used */
	size_t		 cap;		/* entries allocated */
};

/* Append the counts string (PROTOCOL.md 12.1) of rec to out. */
static int
counts_string(const struct tly_record *rec, struct tly_buf *out)
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

/* Insert record i of batch b, its votes and its explicit supersedes. */
static int
put_record(struct tly_cstore *s, const struct tly_batch *b, size_t i,
    struct tly_buf *counts, struct tly_buf *body)
{
	const struct tly_record	*rec = &b->records[i];
	sqlite3_stmt		*st = s->ws[W_INSERT_RECORD];
	sqlite3_stmt		*vs = s->ws[W_INSERT_VOTE];
	struct tly_jw		 w;
	char			 rid[96];
	size_t			 j;
	int			 r;

	tly_buf_reset(counts);
	tly_buf_reset(body);
	tly_jw_init(&w, body);
	tly_record_to_json(rec, &w);
	if ((r = tly_jw_finish(&w)) != TLY_OK ||
	    (r = counts_string(rec, counts)) != TLY_OK)
		return r;
	tly_record_id(b->id, i, rid, sizeof(rid));
	if (sqlite3_bind_text(st, 1, rid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, b->id, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 3, b->device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 4, b->seq) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 5, i) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, rec->area, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 7, rec->level, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 8, rec->constituency, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    tly_cstore_bind_u64(st, 9, rec->round) != SQLITE_OK ||
	    sqlite3_bind_text(st, 10, (const char *)counts->p, -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 11, (const char *)body->p, (int)body->len,
	    SQLITE_STATIC) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind record");
	}
	if ((r = tly_cstore_st_exec(s->w, st, "insert record")) != TLY_OK)
		return r;
	for (j = 0; j < rec->nvotes && j < TLY_CAND_MAX; j++) {
		if (sqlite3_bind_text(vs, 1, rid, -1, SQLITE_STATIC) !=
		    SQLITE_OK ||
		    sqlite3_bind_text(vs, 2, rec->votes[j].cand, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    tly_cstore_bind_u64(vs, 3, rec->votes[j].votes) !=
		    SQLITE_OK) {
			tly_cstore_st_done(vs);
			return tly_cstore_db_fail(s->w, "bind vote");
		}
		if ((r = tly_cstore_st_exec(s->w, vs, "insert vote")) != TLY_OK)
			return r;
	}
	st = s->ws[W_INSERT_SUP];
	for (j = 0; j < rec->nsupersedes; j++) {
		if (sqlite3_bind_text(st, 1, rid, -1, SQLITE_STATIC) !=
		    SQLITE_OK || sqlite3_bind_text(st, 2, rec->supersedes[j],
		    -1, SQLITE_STATIC) != SQLITE_OK) {
			tly_cstore_st_done(st);
			return tly_cstore_db_fail(s->w, "bind supersedes");
		}
		if ((r = tly_cstore_st_exec(s->w, st, "insert supersedes")) !=
		    TLY_OK)
			return r;
	}
	return TLY_OK;
}

int
tly_cstore_put_records(struct tly_cstore *s, const struct tly_batch *b)
{
	struct tly_buf	counts = TLY_BUF_INIT(COUNTS_MAX);
	struct tly_buf	body = TLY_BUF_INIT(BODY_MAX);
	size_t		i;
	int		r = TLY_OK;

	for (i = 0; i < b->nrecords && r == TLY_OK; i++)
		r = put_record(s, b, i, &counts, &body);
	tly_buf_free(&counts);
	tly_buf_free(&body);
	return r;
}

/* Load the device's held batches (sorted by seq, id) into d. */
static int
load_held(struct tly_cstore *s, const uint8_t *device, struct dev *d)
{
	sqlite3_stmt	*st = s->ws[W_DEV_BATCHES];
	struct held	*nh;
	int		 rc, r;

	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (d->n == d->cap) {
			if (d->cap >= HELD_MAX) {
				r = tly_fail(TLY_E_TOO_LARGE, "too many "
				    "batches of one device");
				goto out;
			}
			d->cap = d->cap ? 2 * d->cap : 64;
			if ((nh = realloc(d->h, d->cap * sizeof(*nh))) ==
			    NULL) {
				r = TLY_E_NOMEM;
				goto out;
			}
			d->h = nh;
		}
		memset(&d->h[d->n], 0, sizeof(d->h[d->n]));
		if (tly_cstore_col_id(st, 0, d->h[d->n].id) != 0 ||
		    tly_cstore_col_id(st, 2, d->h[d->n].prev) != 0) {
			r = tly_fail(TLY_E_DB, "a held batch has a bad id");
			goto out;
		}
		d->h[d->n].seq = tly_cstore_col_u64(st, 1);
		d->n++;
	}
	r = rc == SQLITE_DONE ? TLY_OK : tly_cstore_db_fail(s->w, "held");
 out:
	tly_cstore_st_done(st);
	return r;
}

/* Index of the held batch with this id, or -1. */
static long
find_id(const struct dev *d, const uint8_t *id)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		if (memcmp(d->h[i].id, id, TLY_HASH_LEN) == 0)
			return (long)i;
	return -1;
}

/* Mark the batches the counting kept decisions overrule (12.3). */
static int
overrule(struct tly_cstore *s, const uint8_t *device, struct dev *d)
{
	sqlite3_stmt	*st = s->ws[W_DEV_KEPT];
	uint8_t		 id[TLY_HASH_LEN];
	size_t		 i, j, k;
	long		 x;
	int		 rc, r, changed;

	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	/* Rows come by batch id: the first per seq is the one that counts. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (tly_cstore_col_id(st, 0, id) != 0 ||
		    (x = find_id(d, id)) < 0)
			continue;
		for (j = 0; j < d->n; j++)
			if (d->h[j].kept && d->h[j].seq == d->h[x].seq)
				break;
		if (j == d->n)
			d->h[x].kept = 1;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->w, "kept");
		goto out;
	}
	for (i = 0; i < d->n; i++) {
		if (!d->h[i].kept)
			continue;
		for (j = 0; j < d->n; j++) {
			if (d->h[j].seq == d->h[i].seq && j != i)
				d->h[j].over = 1;
			if (d->h[j].seq == d->h[i].seq + 1 &&
			    memcmp(d->h[j].prev, d->h[i].id, TLY_HASH_LEN) != 0)
				d->h[j].over = 1;
			if (d->h[j].seq + 1 == d->h[i].seq &&
			    memcmp(d->h[j].id, d->h[i].prev, TLY_HASH_LEN) != 0)
				d->h[j].over = 1;
		}
	}
	/* Descendants of overruled batches; kept ones never. */
	do {
		changed = 0;
		for (j = 0; j < d->n; j++) {
			if (d->h[j].kept)
				d->h[j].over = 0;
			if (d->h[j].over || d->h[j].kept)
				continue;
			for (k = 0; k < d->n; k++)
				if (d->h[k].over && d->h[k].seq + 1 ==
				    d->h[j].seq && memcmp(d->h[k].id,
				    d->h[j].prev, TLY_HASH_LEN) == 0) {
					d->h[j].over = changed = 1;
					break;
				}
		}
	} while (changed);
	r = TLY_OK;
 out:
	tly_cstore_st_done(st);
	return r;
}

/* Insert one proof (a, b) of kind at seq; track the freeze seq. */
static int
add_proof(struct tly_cstore *s, const uint8_t *device, const struct held *a,
    const struct held *b, const char *kind, uint64_t *f)
{
	sqlite3_stmt	*st = s->ws[W_EVID_INS];
	int		 resolved = a->over || b->over;

	if (!resolved && (*f == 0 || a->seq < *f))
		*f = a->seq;
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 2, a->seq) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 4, a->id, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 5, b->id, TLY_HASH_LEN) != SQLITE_OK ||
	    sqlite3_bind_int(st, 6, resolved) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind evidence");
	}
	return tly_cstore_st_exec(s->w, st, "insert evidence");
}

/*
 * Write every proof of d (12.2) and find the freeze seq *f (0: none).
 * When id is in a proof, *inproof is set and other gets its partner.
 */
static int
proofs(struct tly_cstore *s, const uint8_t *device, const struct dev *d,
    const uint8_t *id, int *inproof, uint8_t *other, uint64_t *f)
{
	const struct held	*a, *b;
	size_t			 i, j;
	int			 r;

	*f = 0;
	for (i = 0; i < d->n; i++) {
		a = &d->h[i];
		for (j = i + 1; j < d->n && d->h[j].seq <= a->seq + 1; j++) {
			b = &d->h[j];
			if (b->seq == a->seq)
				r = add_proof(s, device, a, b, "same_seq", f);
			else if (memcmp(b->prev, a->id, TLY_HASH_LEN) != 0)
				r = add_proof(s, device, a, b, "prev_mismatch",
				    f);
			else
				continue;
			if (r != TLY_OK)
				return r;
			if (id != NULL && !*inproof &&
			    (memcmp(a->id, id, TLY_HASH_LEN) == 0 ||
			    memcmp(b->id, id, TLY_HASH_LEN) == 0)) {
				*inproof = 1;
				memcpy(other, memcmp(a->id, id, TLY_HASH_LEN) ==
				    0 ? b->id : a->id, TLY_HASH_LEN);
			}
		}
	}
	return TLY_OK;
}

/* Insert chain rows seq from..n of the device from c[]. */
static int
chain_insert(struct tly_cstore *s, const uint8_t *device,
    const struct dev *d, const size_t *c, uint64_t from, uint64_t n)
{
	sqlite3_stmt	*st = s->ws[W_CHAIN_INS];
	uint64_t	 k;
	int		 r;

	for (k = from; k <= n; k++) {
		if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) !=
		    SQLITE_OK || tly_cstore_bind_u64(st, 2, k) != SQLITE_OK ||
		    tly_cstore_bind_blob(st, 3, d->h[c[k - 1]].id,
		    TLY_HASH_LEN) != SQLITE_OK) {
			tly_cstore_st_done(st);
			return tly_cstore_db_fail(s->w, "bind chain");
		}
		if ((r = tly_cstore_st_exec(s->w, st, "insert chain")) != TLY_OK)
			return r;
	}
	return TLY_OK;
}

/* The device's stored applied length and last applied id (zeros). */
static int
old_applied(struct tly_cstore *s, const uint8_t *device, uint64_t *n,
    uint8_t id[TLY_HASH_LEN])
{
	sqlite3_stmt	*st = s->ws[W_DEV];
	int		 rc;

	*n = 0;
	memset(id, 0, TLY_HASH_LEN);
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		tly_cstore_st_done(st);
		return tly_cstore_db_fail(s->w, "bind");
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = tly_cstore_col_u64(st, 2);
		if (tly_cstore_col_id(st, 3, id) != 0)
			*n = 0;
	}
	tly_cstore_st_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tly_cstore_db_fail(s->w, "device");
	return TLY_OK;
}

int
tly_cstore_recompute(struct tly_cstore *s, const uint8_t *device,
    const uint8_t *id, enum tly_cstore_state *state, uint8_t *other)
{
	static const uint8_t	 zero[TLY_HASH_LEN];
	struct dev		 d = { NULL, 0, 0 };
	size_t			*c = NULL, i, j, live, pick = 0;
	uint64_t		 f, n, head, n0;
	uint8_t			 prev[TLY_HASH_LEN], id0[TLY_HASH_LEN];
	const uint8_t		*hid;
	sqlite3_stmt		*st;
	int			 r, inproof = 0, applied = 0;

	if ((r = load_held(s, device, &d)) != TLY_OK ||
	    (r = overrule(s, device, &d)) != TLY_OK)
		goto out;
	st = s->ws[W_EVID_DEL];
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		tly_cstore_st_done(st);
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	if ((r = tly_cstore_st_exec(s->w, st, "delete evidence")) != TLY_OK ||
	    (r = proofs(s, device, &d, id, &inproof, other, &f)) != TLY_OK)
		goto out;
	if ((c = calloc(d.n > 0 ? d.n : 1, sizeof(*c))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}

	/* Contiguous held head, and the applied chain (12.2). */
	head = 0;
	n = 0;
	memcpy(prev, zero, TLY_HASH_LEN);
	for (i = 0; i < d.n; i = j) {
		for (j = i, live = 0; j < d.n && d.h[j].seq == d.h[i].seq; j++)
			if (!d.h[j].over) {
				live++;
				pick = j;
			}
		if (d.h[i].seq != head + 1)
			break;
		head++;
		if (n + 1 == head && (f == 0 || head < f) && live == 1 &&
		    memcmp(d.h[pick].prev, prev, TLY_HASH_LEN) == 0) {
			c[n++] = pick;
			memcpy(prev, d.h[pick].id, TLY_HASH_LEN);
		}
	}
	for (i = 0; i < n; i++)
		if (id != NULL && memcmp(d.h[c[i]].id, id, TLY_HASH_LEN) == 0)
			applied = 1;

	/* The chain table: append when the old chain is a prefix. */
	if ((r = old_applied(s, device, &n0, id0)) != TLY_OK)
		goto out;
	if (n0 > 0 && n0 <= n &&
	    memcmp(d.h[c[n0 - 1]].id, id0, TLY_HASH_LEN) == 0) {
		r = chain_insert(s, device, &d, c, n0 + 1, n);
	} else {
		st = s->ws[W_CHAIN_DEL];
		if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) !=
		    SQLITE_OK) {
			tly_cstore_st_done(st);
			r = tly_cstore_db_fail(s->w, "bind");
			goto out;
		}
		if ((r = tly_cstore_st_exec(s->w, st, "delete chain")) ==
		    TLY_OK)
			r = chain_insert(s, device, &d, c, 1, n);
	}
	if (r != TLY_OK)
		goto out;

	/* head_id: the chain's batch at head, else the smallest id there. */
	hid = zero;
	if (head > 0 && head <= n)
		hid = d.h[c[head - 1]].id;
	else if (head > 0)
		for (i = 0; i < d.n; i++)
			if (d.h[i].seq == head) {
				hid = d.h[i].id;
				break;
			}
	st = s->ws[W_SET_DEV];
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 2, head) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 3, hid, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 4, n) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 5, n > 0 ? d.h[c[n - 1]].id : zero,
	    TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 6, f) != SQLITE_OK) {
		tly_cstore_st_done(st);
		r = tly_cstore_db_fail(s->w, "bind device");
		goto out;
	}
	if ((r = tly_cstore_st_exec(s->w, st, "set device")) != TLY_OK)
		goto out;
	if (state != NULL)
		*state = inproof ? TLY_CSTORE_EQUIVOCATION : applied ?
		    TLY_CSTORE_APPLIED : TLY_CSTORE_PENDING;
 out:
	free(c);
	free(d.h);
	return r;
}

int
tly_cstore_keep(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN],
    const uint8_t id[TLY_HASH_LEN], time_t at, uint64_t *wasfrozen,
    uint64_t *frozen)
{
	sqlite3_stmt	*st = s->ws[W_BATCH_SEQ];
	uint64_t	 seq, f0 = 0, f1 = 0;
	int		 rc, r;

	if ((r = tly_cstore_begin(s)) != TLY_OK)
		return r;
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, id, TLY_HASH_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = tly_fail(TLY_E_NOTFOUND, "the device holds no such batch");
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = tly_cstore_db_fail(s->w, "batch seq");
		goto out;
	}
	seq = tly_cstore_col_u64(st, 0);
	tly_cstore_st_done(st);
	st = s->ws[W_DEV];
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		f0 = tly_cstore_col_u64(st, 4);
	tly_cstore_st_done(st);
	st = s->ws[W_INSERT_KEPT];
	if (tly_cstore_bind_blob(st, 1, id, TLY_HASH_LEN) != SQLITE_OK ||
	    tly_cstore_bind_blob(st, 2, device, TLY_PK_LEN) != SQLITE_OK ||
	    tly_cstore_bind_u64(st, 3, seq) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, (sqlite3_int64)at) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	if ((r = tly_cstore_st_exec(s->w, st, "insert kept")) != TLY_OK ||
	    (r = tly_cstore_recompute(s, device, NULL, NULL, NULL)) != TLY_OK ||
	    (r = tly_cstore_st_exec(s->w, s->ws[W_GEN_BUMP], "generation")) !=
	    TLY_OK)
		goto out;
	st = s->ws[W_DEV];
	if (tly_cstore_bind_blob(st, 1, device, TLY_PK_LEN) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		f1 = tly_cstore_col_u64(st, 4);
	tly_cstore_st_done(st);
	st = NULL;
	if ((r = tly_cstore_commit(s)) != TLY_OK)
		return r;
	if (wasfrozen != NULL)
		*wasfrozen = f0;
	if (frozen != NULL)
		*frozen = f1;
	return TLY_OK;
 out:
	if (st != NULL)
		tly_cstore_st_done(st);
	tly_cstore_rollback(s);
	return r;
}

int
tly_cstore_rebuild(struct tly_cstore *s)
{
	sqlite3_stmt		*st = s->ws[W_META_GET];
	struct tly_batch	*b = NULL;
	uint8_t			 dev[TLY_PK_LEN];
	uint64_t		 flag;
	int			 rc, r;

	if (sqlite3_bind_text(st, 1, "rebuild", -1, SQLITE_STATIC) != SQLITE_OK)
		return tly_cstore_db_fail(s->w, "bind");
	if ((r = tly_cstore_one_u64(s->w, st, &flag, "meta")) != TLY_OK || flag == 0)
		return r;
	if ((r = tly_cstore_begin(s)) != TLY_OK)
		return r;
	st = s->ws[W_ALL_BATCHES];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = tly_batch_parse(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &b)) != TLY_OK ||
		    (r = tly_cstore_put_records(s, b)) != TLY_OK)
			goto out;
		tly_batch_free(b);
		b = NULL;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->w, "rebuild");
		goto out;
	}
	tly_cstore_st_done(st);
	st = s->ws[W_ALL_DEVICES];
	/* Recomputing writes other tables only; the cursor stays valid. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (tly_cstore_col_id(st, 0, dev) != 0) {
			r = tly_fail(TLY_E_DB, "rebuild: bad device id");
			goto out;
		}
		if ((r = tly_cstore_recompute(s, dev, NULL, NULL, NULL)) !=
		    TLY_OK)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = tly_cstore_db_fail(s->w, "rebuild");
		goto out;
	}
	tly_cstore_st_done(st);
	st = s->ws[W_META_SET];
	if (sqlite3_bind_text(st, 1, "rebuild", -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_int64(st, 2, 0) != SQLITE_OK) {
		r = tly_cstore_db_fail(s->w, "bind");
		goto out;
	}
	if ((r = tly_cstore_st_exec(s->w, st, "meta")) != TLY_OK)
		goto out;
	st = NULL;
	return tly_cstore_commit(s);
 out:
	if (st != NULL)
		tly_cstore_st_done(st);
	tly_batch_free(b);
	tly_cstore_rollback(s);
	return r;
}

