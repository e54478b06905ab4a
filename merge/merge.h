/*
 * merge.h: the merge rules of PROTOCOL.md section 12 as a pure engine.
 *
 * merge/ owns the rules that fix what a central makes of the batches it
 * holds: per-device logs, equivocation proofs, kept decisions and the
 * freeze (12.2, 12.3, in chain.c), versions of one count record, heads,
 * winners, conflicts and their resolutions (12.1 counts strings and
 * 12.4, in heads.c), and
 * the lines of the state hash (12.6, in statehash.c).  It is pure code,
 * as election/ is: functions over plain arrays, with no I/O, no SQL, no
 * JSON, no hashing and no clock.  The central's store loads the arrays
 * from its tables, calls the engine and saves what it returns; `tally
 * verify` calls the same per-device function among a bundle's entries.
 *
 * Every result depends only on the set of inputs, never on their order:
 * the engine sorts what it is given.  The per-device function needs only
 * that device's batches and decisions, so a caller may recompute one
 * device at a time.
 */
#ifndef TLY_MERGE_H
#define TLY_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "crypto/crypto.h"

#define TLY_MERGE_NONE		((size_t)-1)	/* no index */
#define TLY_MERGE_HELD_MAX	(1UL << 24)	/* held batches of one device */
#define TLY_MERGE_RECS_MAX	(1UL << 24)	/* applied records in one call */
#define TLY_MERGE_RID_MAX	80		/* a record id, with its NUL */

/* ---- Per-device logs, proofs and the freeze (12.2, 12.3): chain.c ------- */

/* How a batch's prev meets the held batches one seq below (10 step 8). */
enum tly_merge_link {
	TLY_MERGE_LINK_UNKNOWN,		/* nothing held at seq - 1 */
	TLY_MERGE_LINK_OK,		/* a batch at seq - 1 has id prev, or
					   seq 1 with 64 zero prev bytes */
	TLY_MERGE_LINK_BROKEN		/* seq 1 with another prev, or no
					   batch held at seq - 1 has id prev */
};

/* One held batch of a device: its header in, what the rules make of it out. */
struct tly_merge_batch {
	uint8_t			id[TLY_HASH_LEN];	/* in: batch id */
	uint8_t			prev[TLY_HASH_LEN];	/* in: its prev */
	uint64_t		seq;		/* in: its seq (>= 1) */
	size_t			tag;		/* in: the caller's, kept as is */
	int			kept;		/* out: kept by a counting
						   decision (12.3) */
	int			over;		/* out: overruled (12.3) */
	int			applied;	/* out: in the applied chain */
	enum tly_merge_link	link;		/* out: see the enum */
};

/* The two kinds of equivocation proof (12.2). */
enum tly_merge_kind {
	TLY_MERGE_SAME_SEQ,		/* a.seq = b.seq, a.id < b.id */
	TLY_MERGE_PREV_MISMATCH		/* b.seq = a.seq + 1, b.prev != a.id */
};

/* One equivocation proof (a, b) of a device. */
struct tly_merge_proof {
	enum tly_merge_kind	kind;		/* same_seq or prev_mismatch */
	uint64_t		seq;		/* a's seq */
	size_t			a;		/* index of a in the batches */
	size_t			b;		/* index of b in the batches */
	int			resolved;	/* a or b is overruled */
};

/* What the rules make of one device's log (8.2, 12.2, 12.3). */
struct tly_merge_dev {
	uint64_t		 head;		/* every seq 1..head held */
	size_t			 head_ix;	/* the batch at head: the applied
						   one, else the smallest id;
						   TLY_MERGE_NONE when head 0 */
	uint64_t		 applied;	/* applied chain length n */
	size_t			*chain;		/* chain[k - 1]: index of c_k */
	uint64_t		 frozen;	/* freeze seq f, 0: not frozen */
	struct tly_merge_proof	*proofs;	/* every proof, by (seq, a, b) */
	size_t			 nproofs;	/* entries in proofs */
};

/*
 * Apply 12.2 and 12.3 to the n held batches b[] of one device, given the
 * ids of the batches its kept decisions name (nkept of them, any order;
 * ids that name no batch of b[] are ignored).  b[] is sorted in place by
 * (seq, id) and its out fields set; the indexes in *d refer to that
 * order (tag tells the caller's).  b[] must hold distinct ids and seqs
 * >= 1, else TLY_E_INVAL; more than TLY_MERGE_HELD_MAX is TLY_E_TOO_LARGE.
 * *d: caller storage, filled; release with tly_merge_dev_finish().
 */
int	tly_merge_device(struct tly_merge_batch *b, size_t n,
	    const uint8_t (*kept)[TLY_HASH_LEN], size_t nkept,
	    struct tly_merge_dev *d);
/* Free what tly_merge_device() put in d and clear it.  NULL-safe. */
void	tly_merge_dev_finish(struct tly_merge_dev *d);
/* The wire name of a proof kind: "same_seq" or "prev_mismatch". */
const char *tly_merge_kind_name(enum tly_merge_kind kind);
/* The kind named s, or -1. */
int	tly_merge_kind_parse(const char *s);

/* ---- Versions of one count record (12.1, 12.4): heads.c ----------------- */

struct tly_record;

/*
 * Append the counts string (12.1) of rec to out, with a NUL.  Returns
 * TLY_OK or the buffer's error (TLY_E_TOO_LARGE at its cap).
 */
int	tly_merge_counts(const struct tly_record *rec, struct tly_buf *out);
/*
 * Parse the counts string s[0..len) (12.1) into rec's registered,
 * voted, issued, received, valid, invalid, votes and marks, leaving its
 * other fields alone.  Only the exact form tly_merge_counts() writes is
 * accepted: decimal integers of section 1 without leading zeros, single
 * spaces, candidates in strictly ascending bytewise order.  TLY_OK or
 * TLY_E_INVAL (rec's counts then undefined).
 */
int	tly_merge_counts_parse(const char *s, size_t len,
	    struct tly_record *rec);

/* One applied record: its facts in, its standing out. */
struct tly_merge_rec {
	char		 id[TLY_MERGE_RID_MAX];	/* in: record id */
	uint8_t		 device[TLY_PK_LEN];	/* in: its device */
	uint64_t	 seq;			/* in: its batch's seq */
	uint64_t	 idx;			/* in: its index in the batch */
	const char	*area;			/* in: key; the caller owns it */
	const char	*level;			/* in: key; the caller owns it */
	uint64_t	 round;			/* in: key */
	const char	*counts;		/* in: counts string; caller's */
	uint8_t		 sig[TLY_SIG_LEN];	/* in: its batch's signature */
	size_t		 tag;			/* in: the caller's, kept as is */
	int		 superseded;		/* out: not a head */
	uint64_t	 chain;			/* out: supersede chain length */
	size_t		 own;			/* engine: own earlier version */
	int		 done;			/* engine: chain walk state */
};

/* One explicit supersede: record from names record to (section 5). */
struct tly_merge_sup {
	const char	*from;			/* the superseding record id */
	const char	*to;			/* the id it names */
};

/* One record key's outcome (12.4). */
struct tly_merge_key {
	size_t		first;		/* its records: r[first .. first + n) */
	size_t		n;		/* records with this key */
	size_t		winner;		/* index into r, TLY_MERGE_NONE when
					   every record is superseded */
	int		conflict;	/* heads with different counts, and
					   no resolution counts */
	int		resolved;	/* a resolution chose the winner among
					   heads with different counts */
	unsigned	conf;		/* confirmations */
	size_t		stale;		/* index into the resolutions of the
					   latest one naming a head of this
					   key in conflict that no longer
					   counts (a head outside its over),
					   else TLY_MERGE_NONE */
};

/* The heads of every key. */
struct tly_merge_heads {
	struct tly_merge_rec	*r;	/* the caller's records, sorted by key
					   then record id */
	size_t			 nr;	/* entries in r */
	struct tly_merge_key	*k;	/* keys in key order (12.1) */
	size_t			 nk;	/* entries in k */
};

/*
 * Apply 12.4 to the nr applied records r[] (distinct ids) and the nsup
 * explicit supersedes sup[] among them (names of no record in r[] are
 * ignored).  r[] is sorted in place and its out fields set; h->r points
 * at it (the caller still owns it).  *h: caller storage; release with
 * tly_merge_heads_finish().  TLY_E_TOO_LARGE over TLY_MERGE_RECS_MAX.
 */
int	tly_merge_heads(struct tly_merge_rec *r, size_t nr,
	    const struct tly_merge_sup *sup, size_t nsup,
	    struct tly_merge_heads *h);
/* Free the keys of h (not its records) and clear it.  NULL-safe. */
void	tly_merge_heads_finish(struct tly_merge_heads *h);

/* One resolve decision (PROTOCOL.md 13.6): the record that counts. */
struct tly_merge_resolution {
	const char	*area;			/* in: key; the caller owns it */
	const char	*level;			/* in: key; the caller owns it */
	uint64_t	 round;			/* in: key */
	const char	*record;		/* in: the chosen record id */
	const char *const *over;		/* in: the heads it chose among
						   (13.6 over), the caller's;
						   NULL when it names none */
	size_t		 nover;			/* in: entries in over */
	uint64_t	 issued;		/* in: the decision's issued */
	uint8_t		 id[TLY_HASH_LEN];	/* in: the decision's id */
	size_t		 tag;			/* in: the caller's, kept as is */
	int		 counts;		/* out: it chose a winner */
	int		 stale;			/* out: the latest naming a head,
						   but a head is outside over */
};

/*
 * Apply the resolve decisions res[] (12.4) to h, after tly_merge_heads():
 * for every key in conflict, the resolution of that key whose record is
 * one of its heads with the greatest issued (then the smallest id,
 * bytewise) is the key's latest.  It counts only when every head of the
 * key is in its over (it chose among all of them): its record becomes
 * the winner, the key is no longer in conflict but resolved, and its
 * confirmations are counted against that record.  Otherwise a head came
 * after it: the key stays in conflict, the resolution is stale and the
 * key's stale names it.  Resolutions of an agreed key, or naming no
 * head, change nothing.  res[] is sorted in place and its counts and
 * stale set.  TLY_E_TOO_LARGE over TLY_MERGE_RECS_MAX.
 */
int	tly_merge_resolve(struct tly_merge_heads *h,
	    struct tly_merge_resolution *res, size_t n);

/* ---- The state hash (12.6): statehash.c -------------------------------- */

/* One device's line 2 of 12.6. */
struct tly_merge_devline {
	uint8_t		device[TLY_PK_LEN];	/* device key id */
	uint64_t	head;			/* as in 8.2 */
	uint64_t	applied;		/* applied chain length */
	uint64_t	frozen;			/* freeze seq, 0: not frozen */
};

/* One proof's line 3 of 12.6. */
struct tly_merge_evline {
	uint8_t			device[TLY_PK_LEN];	/* its device */
	uint64_t		seq;			/* a's seq */
	enum tly_merge_kind	kind;			/* its kind */
	uint8_t			a[TLY_HASH_LEN];	/* batch a */
	uint8_t			b[TLY_HASH_LEN];	/* batch b */
};

/* One kept decision, counting or not (12.3). */
struct tly_merge_decision {
	uint8_t		device[TLY_PK_LEN];	/* the device */
	uint8_t		batch[TLY_HASH_LEN];	/* the batch it keeps */
	uint64_t	seq;			/* that batch's seq */
};

/* The whole applied state, in any order; the engine sorts the arrays. */
struct tly_merge_state {
	struct tly_merge_devline	*devs;		/* devices with a batch */
	size_t				 ndevs;
	struct tly_merge_evline		*ev;		/* every proof */
	size_t				 nev;
	struct tly_merge_decision	*kept;		/* every decision */
	size_t				 nkept;
	const struct tly_merge_heads	*heads;		/* from tly_merge_heads */
};

/* Receives the state text piece by piece; lines end in LF. */
typedef void (*tly_merge_text_fn)(void *arg, const void *p, size_t len);

/*
 * Emit the lines of 12.6 for st through fn, in their order (the hash is
 * BLAKE2b-256 of the concatenation).  Sorts st's arrays in place; only
 * the decisions that count (the smallest batch id per device and seq)
 * make a line, and st->kept keeps just those (st->nkept is updated).
 */
void	tly_merge_state_text(struct tly_merge_state *st, tly_merge_text_fn fn,
	    void *arg);

#endif /* TLY_MERGE_H */
