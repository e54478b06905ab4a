/*
 * store.h: the field daemon's durable state, in one SQLite file.
 *
 * store*.c are the only SQL in the daemon (store.c: open, schema, meta,
 * own batches; store_relay.c: relayed batches; store_sync.c: the sync
 * loop's queries; storeInt.h: what they share).  The database runs in
 * WAL mode with synchronous=FULL, so a call that returns TLY_OK after a
 * write has committed it to disk.  One connection is shared by every thread and
 * guarded by a mutex inside the store; each function is atomic.
 *
 * Tables (schema version 6, PRAGMA user_version):
 *   batches  the device's own signed batches, by seq; their bytes are
 *            never updated or deleted (triggers enforce it); version 3
 *            adds the idempotency key of the request that sealed each
 *   records  the records of each own batch, for lookups by area
 *   relay    batches of other devices received in bundles, unchanged
 *            (version 2 adds their record count)
 *            Version 4 adds to both batches and relay the central's final
 *            rejection (reject_code, reject_message): state "rejected".
 *   photos   (version 5) the images of signed paper records, by their
 *            BLAKE2b-256 (the record's "photo"), each at most
 *            TLY_DSTORE_PHOTO_MAX bytes (store_photo.c)
 *   trust    (version 6) the authority's objects fetched from the
 *            central and verified: the newest revocation list and the
 *            central's certificates (store_trust.c, PROTOCOL.md 9.7)
 *   meta     key/value settings (device key id, election hash) and the
 *            syncer's counters (last contact, bytes on the wire)
 */
#ifndef TLY_DAEMON_STORE_H
#define TLY_DAEMON_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "crypto/crypto.h"

#define TLY_DSTORE_VERSION	6	/* schema version this code writes */
#define TLY_DSTORE_PHOTO_MAX	(1024UL * 1024)	/* bytes of one photo */

/* Delivery state of a batch (own or relayed). */
enum tly_dstate {
	TLY_DSTATE_SEALED = 0,	/* committed (or received), not yet sent */
	TLY_DSTATE_SENT = 1,	/* transmitted at least once, no receipt */
	TLY_DSTATE_ACKED = 2,	/* a valid receipt is stored */
	TLY_DSTATE_REJECTED = 3	/* the central refused it for good: final,
				   never sent again (PROTOCOL.md 9.1) */
};

#define TLY_DSTATE_N	4	/* number of states, for counts[] */

/* Where a batch lives. */
enum tly_dkind {
	TLY_DKIND_OWN = 0,	/* signed by this device */
	TLY_DKIND_RELAY = 1	/* another device's, carried in a bundle */
};

/* Outcome of tly_dstore_relay_add(). */
enum tly_drelay {
	TLY_DRELAY_STORED = 0,		/* newly stored */
	TLY_DRELAY_DUPLICATE = 1,	/* the same batch id was held */
	TLY_DRELAY_CONFLICT = 2		/* another batch with that device/seq */
};

struct tly_dstore;	/* opaque: the connection and its mutex */

/* One record of a batch being appended (all strings owned by the caller). */
struct tly_dstore_rec {
	const char	*id;		/* record id "<batch hex>:<index>" */
	const char	*area;		/* polling area id */
	const char	*level;		/* level id */
	const char	*constituency;	/* constituency id */
	uint64_t	 round;		/* round number */
	const char	*json;		/* the record as compact JSON */
};

/* The idempotency key of a request that seals a batch (PROTOCOL.md 9). */
struct tly_dstore_idem {
	const char	*key;			/* the key, 1..64 characters */
	uint8_t		 body[TLY_HASH_LEN];	/* BLAKE2b of the request body */
};

/* The batch an idempotency key sealed (tly_dstore_idem_find()). */
struct tly_dstore_idem_hit {
	uint64_t	 seq;			/* its seq */
	uint8_t		 id[TLY_HASH_LEN];	/* its batch id */
	uint64_t	 nrecords;		/* records in it */
	uint8_t		 body[TLY_HASH_LEN];	/* hash of the request body */
};

/* A summary of one own batch, for status listings. */
struct tly_dstore_info {
	uint64_t	 seq;			/* position in the chain */
	uint8_t		 id[TLY_HASH_LEN];	/* batch id */
	uint64_t	 created;		/* sealing time */
	uint64_t	 nrecords;		/* records in the batch */
	enum tly_dstate	 state;			/* delivery state */
	uint64_t	 attempts;		/* transmissions so far */
	const char	*last_error;		/* or NULL; valid in callback */
	const char	*reject_code;		/* rejected: the central's code,
						   else NULL; valid in callback */
	uint64_t	 acked_at;		/* receipt time, 0 if none */
};

/* An unacknowledged batch to send (tly_dstore_pending()). */
struct tly_dstore_item {
	enum tly_dkind	 kind;			/* own or relayed */
	uint64_t	 seq;			/* the batch's seq */
	uint8_t		 id[TLY_HASH_LEN];	/* batch id */
	uint8_t		*bytes;			/* signed message (malloc) */
	size_t		 len;			/* bytes in it */
	uint64_t	 nrecords;		/* records in the batch */
};

/* One device with unacknowledged batches (tly_dstore_unacked_devices()). */
struct tly_dstore_dev {
	enum tly_dkind	 kind;			/* own or relayed */
	uint8_t		 device[TLY_PK_LEN];	/* relayed: its key; own: zero */
	uint64_t	 min_seq;		/* lowest unacknowledged seq */
	uint64_t	 max_seq;		/* highest unacknowledged seq */
	uint64_t	 nunacked;		/* unacknowledged batches */
	uint64_t	 nsent;			/* of which sent at least once */
};

/* What the store knows of one batch (tly_dstore_find()). */
struct tly_dstore_found {
	uint64_t	 seq;			/* its seq */
	uint8_t		 device[TLY_PK_LEN];	/* relayed: its key; own: zero */
	uint64_t	 nrecords;		/* records in it */
	enum tly_dstate	 state;			/* delivery state */
};

/*
 * Open (creating if needed) the database at path and bring its schema
 * to TLY_DSTORE_VERSION.  A database from a newer version is refused
 * with TLY_E_VERSION.  *sp: new, close with tly_dstore_close().
 */
int	tly_dstore_open(const char *path, struct tly_dstore **sp);
void	tly_dstore_close(struct tly_dstore *s);		/* NULL-safe */

/* The schema version stored in the file (PRAGMA user_version). */
int	tly_dstore_user_version(struct tly_dstore *s, int *out);

/* Read a meta value into out (NUL-terminated); TLY_E_NOTFOUND if unset. */
int	tly_dstore_meta_get(struct tly_dstore *s, const char *k, char *out,
	    size_t outlen);
/* Set a meta value (insert or replace) and commit. */
int	tly_dstore_meta_set(struct tly_dstore *s, const char *k,
	    const char *v);
/* Set n meta values in one transaction and commit. */
int	tly_dstore_meta_set_n(struct tly_dstore *s, const char *const *k,
	    const char *const *v, size_t n);

/*
 * The head of the own chain: *seq is the highest seq and id its batch
 * id; when the store holds no own batch, the chain base learned for a
 * restored key (PROTOCOL.md 9.5), else 0 and a zeroed id.
 */
int	tly_dstore_head(struct tly_dstore *s, uint64_t *seq,
	    uint8_t id[TLY_HASH_LEN]);

/*
 * Append an own batch and its records in one transaction and commit.
 * seq must be head + 1 (else TLY_E_SEQ_CONFLICT, nothing written).
 * bytes are stored unchanged and never updated afterwards.
 */
int	tly_dstore_append(struct tly_dstore *s, uint64_t seq,
	    const uint8_t id[TLY_HASH_LEN], const uint8_t *bytes, size_t len,
	    uint64_t created, const struct tly_dstore_rec *recs, size_t nrecs);

/*
 * tly_dstore_append() that also keeps idem (may be NULL) with the batch,
 * in the same transaction.  A key already held fails with TLY_E_DB and
 * writes nothing (callers look it up first, under their sealing lock).
 */
int	tly_dstore_append_idem(struct tly_dstore *s, uint64_t seq,
	    const uint8_t id[TLY_HASH_LEN], const uint8_t *bytes, size_t len,
	    uint64_t created, const struct tly_dstore_rec *recs, size_t nrecs,
	    const struct tly_dstore_idem *idem);

/*
 * The own batch sealed by the request with idempotency key key: TLY_OK
 * and *hit, or TLY_E_NOTFOUND (store_idem.c).
 */
int	tly_dstore_idem_find(struct tly_dstore *s, const char *key,
	    struct tly_dstore_idem_hit *hit);

/*
 * Look up a batch by id in kind's table: TLY_OK and *state (may be NULL),
 * or TLY_E_NOTFOUND.
 */
int	tly_dstore_state(struct tly_dstore *s, enum tly_dkind kind,
	    const uint8_t id[TLY_HASH_LEN], enum tly_dstate *state);

/*
 * Copy the signed bytes of an own batch, by seq, into out (appended).
 * TLY_E_NOTFOUND if there is none.
 */
int	tly_dstore_batch_bytes(struct tly_dstore *s, uint64_t seq,
	    struct tly_buf *out);

/*
 * Store another device's batch of nrecords records unchanged (state
 * sealed) and commit, unless the same id is held (*res = DUPLICATE) or a
 * different batch with the same device and seq is (*res = CONFLICT).
 */
int	tly_dstore_relay_add(struct tly_dstore *s,
	    const uint8_t id[TLY_HASH_LEN], const uint8_t device[TLY_PK_LEN],
	    uint64_t seq, const uint8_t *bytes, size_t len, uint64_t nrecords,
	    uint64_t received, enum tly_drelay *res);

/*
 * Look up a batch by id in kind's table and fill *f; TLY_E_NOTFOUND when
 * it is not held.
 */
int	tly_dstore_find(struct tly_dstore *s, enum tly_dkind kind,
	    const uint8_t id[TLY_HASH_LEN], struct tly_dstore_found *f);

/*
 * The devices with unacknowledged batches: the own chain first (if it
 * has any), then relayed devices in key order, at most max_n of them.
 * *devsp: new array of *np entries (NULL when none), free() it.
 */
int	tly_dstore_unacked_devices(struct tly_dstore *s, size_t max_n,
	    struct tly_dstore_dev **devsp, size_t *np);

/*
 * Up to max_n unacknowledged batches, own ones in seq order first, then
 * relayed ones in device and seq order, while their total size stays
 * within max_bytes (the first one is always taken).  *itemsp: new array
 * of *np entries, free with tly_dstore_items_free().
 */
int	tly_dstore_pending(struct tly_dstore *s, size_t max_n,
	    size_t max_bytes, struct tly_dstore_item **itemsp, size_t *np);
void	tly_dstore_items_free(struct tly_dstore_item *items, size_t n);

/*
 * Mark items sent: state sent (acknowledged ones stay acknowledged),
 * attempts + 1; one transaction, committed.
 */
int	tly_dstore_mark_sent(struct tly_dstore *s,
	    const struct tly_dstore_item *items, size_t n);

/*
 * Store a verified receipt for a batch and mark it acknowledged at
 * acked_at; clears its last error.  A batch already acknowledged keeps
 * its first receipt.  TLY_E_NOTFOUND if the batch is unknown.
 */
int	tly_dstore_ack(struct tly_dstore *s, enum tly_dkind kind,
	    const uint8_t id[TLY_HASH_LEN], const uint8_t *receipt,
	    size_t len, uint64_t acked_at);

/*
 * Mark a batch rejected for good by the central (PROTOCOL.md 9.1): store
 * its wire code and message (also as the last error), and commit.  It is
 * then never pending again.  An acknowledged batch stays acknowledged.
 * TLY_E_NOTFOUND if the batch is unknown.
 */
int	tly_dstore_reject(struct tly_dstore *s, enum tly_dkind kind,
	    const uint8_t id[TLY_HASH_LEN], const char *code,
	    const char *message);

/* Set (or with msg NULL clear) a batch's last error. */
int	tly_dstore_set_error(struct tly_dstore *s, enum tly_dkind kind,
	    const uint8_t id[TLY_HASH_LEN], const char *msg);

/*
 * Copy a batch's stored receipt into out (appended); TLY_E_NOTFOUND when
 * the batch is unknown or has none.
 */
int	tly_dstore_receipt(struct tly_dstore *s, enum tly_dkind kind,
	    const uint8_t id[TLY_HASH_LEN], struct tly_buf *out);

/* Own batches per state: counts[TLY_DSTATE_SEALED] etc. */
int	tly_dstore_counts(struct tly_dstore *s,
	    uint64_t counts[TLY_DSTATE_N]);
/* Records of own batches, by the state of their batch. */
int	tly_dstore_record_counts(struct tly_dstore *s,
	    uint64_t counts[TLY_DSTATE_N]);
/* Relayed batches per state. */
int	tly_dstore_relay_counts(struct tly_dstore *s,
	    uint64_t counts[TLY_DSTATE_N]);
/* Batches still to deliver (neither acknowledged nor rejected), own and
 * relayed together. */
int	tly_dstore_unacked(struct tly_dstore *s, uint64_t *n);

/*
 * Call fn for every own batch in seq order, under the store's lock (fn
 * must not call the store).  A nonzero return from fn stops the walk and
 * is returned.
 */
int	tly_dstore_foreach_batch(struct tly_dstore *s,
	    int (*fn)(void *arg, const struct tly_dstore_info *info),
	    void *arg);

/*
 * Call fn with the signed bytes of every batch held: own ones in seq
 * order, then relayed ones in device and seq order.  Same rules as
 * tly_dstore_foreach_batch().
 */
int	tly_dstore_foreach_bytes(struct tly_dstore *s,
	    int (*fn)(void *arg, enum tly_dkind kind, const uint8_t *m,
	    size_t len), void *arg);

/*
 * Call fn with every receipt held (PROTOCOL.md 6), in the order of
 * tly_dstore_foreach_bytes(); batches without one are passed over.
 * Same rules as tly_dstore_foreach_batch().
 */
int	tly_dstore_foreach_receipt(struct tly_dstore *s,
	    int (*fn)(void *arg, const uint8_t *m, size_t len), void *arg);

/*
 * Call fn(arg, level, voted) for the stored records of area in round,
 * newest first (by seq, then index), under the store's lock (fn must not
 * call the store).  A nonzero return from fn stops the walk.
 */
int	tly_dstore_area_records(struct tly_dstore *s, const char *area,
	    uint64_t round, int (*fn)(void *arg, const char *level,
	    uint64_t voted), void *arg);

/* Static name of a state: "sealed", "sent", "acknowledged", "rejected". */
const char *tly_dstate_name(enum tly_dstate st);

/* ---- Photos of the paper records (store_photo.c) ------------------------ */

/*
 * Keep the image p[0..len) under its hash (BLAKE2b-256 of the bytes,
 * computed by the caller); a photo held already is left as it is and
 * *added set to 0, else 1.  TLY_E_TOO_LARGE above TLY_DSTORE_PHOTO_MAX.
 */
int	tly_dstore_photo_put(struct tly_dstore *s,
	    const uint8_t hash[TLY_HASH_LEN], const void *p, size_t len,
	    int *added);
/* The number of photos held, and of those the central holds whole. */
int	tly_dstore_photo_count(struct tly_dstore *s, uint64_t *n,
	    uint64_t *uploaded);
/*
 * Up to max hashes of photos the central does not hold yet, oldest
 * first, into hashes[]; *n of them.
 */
int	tly_dstore_photo_pending(struct tly_dstore *s, size_t max,
	    uint8_t (*hashes)[TLY_HASH_LEN], size_t *n);
/* The bytes of photo hash into b (reset first); TLY_E_NOTFOUND. */
int	tly_dstore_photo_get(struct tly_dstore *s,
	    const uint8_t hash[TLY_HASH_LEN], struct tly_buf *b);
/* Note that the central holds photo hash whole. */
int	tly_dstore_photo_uploaded(struct tly_dstore *s,
	    const uint8_t hash[TLY_HASH_LEN]);

/* ---- Trust objects from the central (store_trust.c) --------------------- */

/* Kinds of kept trust object. */
enum tly_dtrust_kind {
	TLY_DTRUST_REVOCATIONS = 0,	/* a revocation list: only the newest
					   (highest serial) is kept */
	TLY_DTRUST_CENTRAL_CERT = 1	/* a central certificate */
};

/*
 * Keep the verified trust object m[0..len) (id its BLAKE2b-256, serial
 * its serial) received at time received, and commit.  A revocation list
 * replaces every kept list of a lower serial and is not kept when one of
 * a serial as high is held (*added 0); an object held already is not
 * kept twice (*added 0).
 */
int	tly_dstore_trust_put(struct tly_dstore *s, enum tly_dtrust_kind kind,
	    const uint8_t id[TLY_HASH_LEN], uint64_t serial, const uint8_t *m,
	    size_t len, uint64_t received, int *added);
/*
 * Call fn(arg, kind, m, len) for every kept object, revocation lists
 * first, under the store's lock (fn must not call the store).  A nonzero
 * return from fn stops the walk and is returned.
 */
int	tly_dstore_trust_each(struct tly_dstore *s,
	    int (*fn)(void *arg, enum tly_dtrust_kind kind, const uint8_t *m,
	    size_t len), void *arg);

#endif /* TLY_DAEMON_STORE_H */
