/*
 * wire.h: the signed formats of PROTOCOL.md: envelopes (3), batches (4),
 * receipts (6) and bundle files (7).
 */
#ifndef TLY_WIRE_H
#define TLY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"

#define TLY_SIG_MAGIC		"TALLYSIG"
#define TLY_SIG_VERSION		1
#define TLY_ENV_OVERHEAD	110	/* magic..len + signature, no ctx */
#define TLY_MSG_MAX		(TLY_ENV_OVERHEAD + TLY_CTX_MAX + TLY_BODY_MAX)
#define TLY_CTX_BATCH		"tally/batch/v1"
#define TLY_CTX_RECEIPT		"tally/receipt/v1"
#define TLY_CTX_LINK		"tally/link/v1"	/* link.h */

#define TLY_BUNDLE_MAGIC	"TALLYBDL"
#define TLY_BUNDLE_VERSION	1	/* 7: batches only (request bodies) */
#define TLY_BUNDLE_VERSION_2	2	/* 7.2: batches and companions (files) */
#define TLY_BUNDLE_TYPE		"application/vnd.tally.bundle"	/* 7, 8.1 */

/* ---- Envelope ----------------------------------------------------------- */

/* A parsed envelope: pointers into the caller's message bytes. */
struct tly_envelope {
	const uint8_t	*msg;		/* the whole signed message */
	size_t		 msglen;
	const char	*ctx;		/* context, not NUL-terminated */
	size_t		 ctxlen;
	const uint8_t	*signer;	/* TLY_PK_LEN bytes */
	const uint8_t	*body;
	size_t		 bodylen;
	const uint8_t	*sig;		/* TLY_SIG_LEN bytes */
};

/* Check the layout of m[0..len) (not the signature) and fill env. */
int	tly_envelope_parse(const uint8_t *m, size_t len,
	    struct tly_envelope *env);
/* Parse, require context ctx, and verify the signature. */
int	tly_envelope_verify(const uint8_t *m, size_t len, const char *ctx,
	    struct tly_envelope *env);
/* Append a new signed message over body with ctx to out. */
int	tly_envelope_seal(const struct tly_key *key, const char *ctx,
	    const uint8_t *body, size_t bodylen, struct tly_buf *out);

/* ---- Batches ------------------------------------------------------------ */

struct tly_batch {
	uint8_t			 id[TLY_HASH_LEN];	/* batch id */
	uint8_t			 device[TLY_PK_LEN];	/* signer */
	uint64_t		 seq;		/* 1.. */
	uint8_t			 prev[TLY_HASH_LEN];	/* previous batch id */
	uint64_t		 created;	/* unix seconds */
	int			 test;		/* mode "test" */
	uint8_t			 election[TLY_HASH_LEN];
	size_t			 nrecords;
	struct tly_record	*records;	/* nrecords entries */
};

/*
 * Verify and parse a batch message (PROTOCOL.md 10 steps 1-5): layout,
 * context, signature, body.  *bp is new: free with tly_batch_free().
 * Errors: TLY_E_TRUNCATED .. TLY_E_SIGNATURE, TLY_E_JSON, TLY_E_BATCH,
 * with a detail naming the field.
 */
int	tly_batch_parse(const uint8_t *m, size_t len, struct tly_batch **bp);
/*
 * The batch in an envelope that tly_envelope_parse() filled, WITHOUT
 * checking its signature: for tly_batch_parse(), which has checked it,
 * and for the fuzz targets.  Refuses another context.  *bp as above.
 */
int	tly_batch_from_envelope(const struct tly_envelope *env,
	    struct tly_batch **bp);
void	tly_batch_free(struct tly_batch *b);		/* NULL-safe */

/*
 * Seal records[0..n) into a new signed batch appended to out; fills
 * *idout (may be NULL) with its batch id.  prev is NULL for seq 1.
 */
int	tly_batch_seal(const struct tly_key *key, uint64_t seq,
	    const uint8_t prev[TLY_HASH_LEN], uint64_t created, int test,
	    const uint8_t election[TLY_HASH_LEN],
	    const struct tly_record *records, size_t n, struct tly_buf *out,
	    uint8_t idout[TLY_HASH_LEN]);

/* Record id "<batch id hex>:<index>" into out (at least 80 bytes). */
void	tly_record_id(const uint8_t batch[TLY_HASH_LEN], size_t index,
	    char *out, size_t outlen);

/* ---- Receipts ----------------------------------------------------------- */

struct tly_receipt {
	uint8_t		device[TLY_PK_LEN];
	uint64_t	seq;
	uint8_t		batch[TLY_HASH_LEN];
	uint64_t	stored;		/* unix seconds */
};

int	tly_receipt_seal(const struct tly_key *central,
	    const struct tly_receipt *rc, struct tly_buf *out);
/* Verify m as a receipt signed by central_pk and parse it into *rc. */
int	tly_receipt_verify(const uint8_t *m, size_t len,
	    const uint8_t central_pk[TLY_PK_LEN], struct tly_receipt *rc);
/* As above, WITHOUT checking the signature (see tly_batch_from_envelope). */
int	tly_receipt_from_envelope(const struct tly_envelope *env,
	    const uint8_t central_pk[TLY_PK_LEN], struct tly_receipt *rc);

/* ---- Bundles ------------------------------------------------------------ */

/* Reads entries of a bundle that tly_bundle_open() accepted as a whole. */
struct tly_bundle_reader {
	const uint8_t	*p;		/* the bundle bytes */
	size_t		 len;
	size_t		 off;		/* next entry's length field */
	size_t		 count;		/* entries announced and present */
	size_t		 index;		/* entries returned so far */
	unsigned	 version;	/* TLY_BUNDLE_VERSION or _VERSION_2 */
};

/*
 * Check the whole of p[0..len) (magic, version, entry lengths, end
 * marker, count, final hash, no trailing bytes); TLY_E_BUNDLE with a
 * detail on failure.  The reader points into p, which must outlive it.
 */
int	tly_bundle_open(const uint8_t *p, size_t len,
	    struct tly_bundle_reader *r);
/*
 * As tly_bundle_open() for a bundle file, which may also be of version 2
 * (PROTOCOL.md 7.2: companions beside the batches); r->version says
 * which.  Request bodies (8.1, 9) are always version 1: tly_bundle_open().
 */
int	tly_bundle_open_file(const uint8_t *p, size_t len,
	    struct tly_bundle_reader *r);
/* Next entry: 1 and *m, *mlen set; 0 at the end. */
int	tly_bundle_next(struct tly_bundle_reader *r, const uint8_t **m,
	    size_t *mlen);

#define TLY_BUNDLE_HEAD		12	/* magic, version, reserved */

/*
 * Salvage (PROTOCOL.md 7.1): the entries of a bundle file that
 * tly_bundle_open() refused, found by their envelope magic.  Start with
 * *off = TLY_BUNDLE_HEAD and call until it returns 0; each 1 sets *m and
 * *mlen (pointing into p) and *skipped, the bytes passed over as damage
 * just before this entry's length field.  The entries still have to be
 * verified one by one (sync/verify.h).
 */
int	tly_bundle_salvage(const uint8_t *p, size_t len, size_t *off,
	    const uint8_t **m, size_t *mlen, size_t *skipped);

/*
 * Writing: begin, add each message, then end (which appends the trailer).
 * tly_bundle_begin() starts a version 1 bundle, tly_bundle_begin_version()
 * one of the version given (TLY_BUNDLE_VERSION or TLY_BUNDLE_VERSION_2).
 */
int	tly_bundle_begin(struct tly_buf *out);
int	tly_bundle_begin_version(struct tly_buf *out, unsigned version);
int	tly_bundle_add(struct tly_buf *out, const uint8_t *m, size_t mlen);
int	tly_bundle_end(struct tly_buf *out, size_t count);

/* ---- JSON ------------------------------------------------------------- */

struct tly_jw;
/*
 * Write p[0..n) to w as a base64 string (of at most 2 * TLY_MSG_MAX + 16
 * bytes), as the JSON answers carry signed messages.  TLY_OK, or the encoder's
 * error (nothing written).
 */
int	tly_jw_b64(struct tly_jw *w, const uint8_t *p, size_t n);

#endif /* TLY_WIRE_H */
