/*
 * api.h: the messages of the HTTP API (PROTOCOL.md 8.1, 8.2, 8.2.1 and
 * 9): the per-entry results of POST /v1/batches and of the daemon's
 * POST /v1/bundle, a device's head, a page of its receipts, the head
 * tallyd learned from a bundle (POST /v1/head), and the check that a
 * receipt belongs to a batch.
 * One writer and one reader per message: the servers write with it, the
 * clients and the tests' fake central read with it.  The error object
 * {"code","message"} is common/httpd.h's (tly_http_jw_error()).
 */
#ifndef TLY_API_H
#define TLY_API_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "sync/wire.h"

/* The status of one entry of an upload (PROTOCOL.md 8.1). */
enum tly_api_status {
	TLY_API_STORED,		/* committed and applied */
	TLY_API_PENDING,	/* committed, not applied yet */
	TLY_API_DUPLICATE,	/* already held; the original receipt */
	TLY_API_EQUIVOCATION,	/* committed as evidence; device frozen */
	TLY_API_REJECTED,	/* not stored; error says why */
	TLY_API_NSTATUS		/* one past the last status */
};

/* One entry's result; the pointers are borrowed, never owned. */
struct tly_api_result {
	uint64_t		 index;		/* entry index in the bundle */
	enum tly_api_status	 status;
	int			 has_batch;	/* batch is set (else null) */
	uint8_t			 batch[TLY_HASH_LEN];	/* batch id */
	int			 has_device;	/* device and seq are set */
	uint8_t			 device[TLY_PK_LEN];	/* signer */
	uint64_t		 seq;		/* the batch's seq */
	const uint8_t		*receipt;	/* receipt bytes, or NULL */
	size_t			 receipt_len;
	const char		*code;		/* error code, or NULL */
	const char		*message;	/* error message, or NULL */
};

/* The wire name of st ("stored"...); "rejected" for an unknown value. */
const char	*tly_api_status_name(enum tly_api_status st);

/*
 * Parse a wire status name into *st.  Returns TLY_OK, or TLY_E_HTTP
 * (detail set) for NULL or an unknown name.
 */
int		 tly_api_status_parse(const char *name,
		    enum tly_api_status *st);

/* Open the answer: {"results": [ .  Errors are kept in w. */
void		 tly_api_results_begin(struct tly_jw *w);

/*
 * Append result r to the open answer: index, status, batch, then device,
 * seq and receipt (base64) when set, then error when code is set
 * (message NULL: the code's own words are not known here, "").
 * Returns TLY_OK or TLY_E_NOMEM/TLY_E_TOO_LARGE (also kept in w).
 */
int		 tly_api_result_write(struct tly_jw *w,
		    const struct tly_api_result *r);

/* Close the answer opened by tly_api_results_begin(). */
void		 tly_api_results_end(struct tly_jw *w);

/*
 * The results array of a parsed answer, or NULL when root is not
 * {"results": [...]}.  Borrowed from root.
 */
const struct tly_json *tly_api_results_get(const struct tly_json *root);

/*
 * Read one element of the results array into *r.  Strings point into el;
 * a receipt is decoded into receipt (reset first, whose cap bounds it) and
 * r->receipt points there.  Returns TLY_OK, or TLY_E_HTTP (detail set)
 * for an element that is not a result: no index, an unknown status, a
 * batch that is not hex, a receipt that is not base64, a rejected or
 * equivocation entry without an error object.
 */
int		 tly_api_result_read(const struct tly_json *el,
		    struct tly_api_result *r, struct tly_buf *receipt);

/*
 * Does receipt rc belong to exactly the batch (device, seq, id)?
 * Returns TLY_OK, or TLY_E_RECEIPT with a detail naming the field that
 * differs.  rc must already verify under the central's key.
 */
int		 tly_api_receipt_match(const struct tly_receipt *rc,
		    const uint8_t device[TLY_PK_LEN], uint64_t seq,
		    const uint8_t id[TLY_HASH_LEN]);

/* ---- GET /v1/devices/{key}/head (PROTOCOL.md 8.2) ---------------------- */

#define TLY_API_PENDING_MAX	1024	/* 8.2: seqs in a head's "pending" */

/* A device's head at the central: the whole answer of 8.2. */
struct tly_api_head {
	uint8_t		device[TLY_PK_LEN];	/* the device key */
	uint64_t	head;		/* highest seq held with no gap below */
	int		has_batch;	/* batch is set (else null) */
	uint8_t		batch[TLY_HASH_LEN];	/* id of the batch at head */
	uint64_t	applied;	/* length of the applied chain */
	size_t		npending;	/* entries of pending */
	uint64_t	pending[TLY_API_PENDING_MAX];	/* seqs held above
					   head, ascending */
	int		has_frozen;	/* the answer has "frozen" (written
					   always; an older central had none) */
	uint64_t	frozen;		/* the freeze seq, 0: not frozen */
};

/*
 * Write h as the answer of 8.2: one whole object (has_frozen is not
 * looked at: frozen is written, null when 0).  Returns TLY_OK, or
 * TLY_E_NOMEM/TLY_E_TOO_LARGE (also kept in w); TLY_E_INVAL when
 * npending is over TLY_API_PENDING_MAX.
 */
int		 tly_api_head_write(struct tly_jw *w,
		    const struct tly_api_head *h);

/*
 * Read the answer of 8.2 from root into *h (cleared first).  Every
 * member is required but "frozen" (has_frozen tells); "batch" is hex or
 * null; "pending" holds at most TLY_API_PENDING_MAX seqs above head, in
 * ascending order.  Returns TLY_OK, or TLY_E_HTTP (detail set).
 */
int		 tly_api_head_read(const struct tly_json *root,
		    struct tly_api_head *h);

/* ---- tallyd's POST /v1/head (PROTOCOL.md 9.5 step 5) -------------------- */

/* The head a daemon learned from a bundle: the whole 200 answer. */
struct tly_api_learned {
	uint64_t	head;		/* the highest own seq of the bundle */
	uint8_t		batch[TLY_HASH_LEN];	/* the id of that batch */
	uint64_t	own;		/* own batches found in the bundle */
	uint64_t	skipped;	/* other entries, skipped */
};

/*
 * Write l as the 200 answer of POST /v1/head: {"head", "batch", "own",
 * "skipped"}.  Returns TLY_OK or TLY_E_NOMEM/TLY_E_TOO_LARGE (also kept
 * in w).
 */
int		 tly_api_learned_write(struct tly_jw *w,
		    const struct tly_api_learned *l);

/*
 * Read the 200 answer of POST /v1/head from root into *l (cleared
 * first).  Every member is required: "batch" is a hash in hex, the
 * others integers.  Returns TLY_OK, or TLY_E_HTTP (detail set).
 */
int		 tly_api_learned_read(const struct tly_json *root,
		    struct tly_api_learned *l);

/* ---- GET /v1/devices/{key}/receipts?from=N (PROTOCOL.md 8.2.1) ---------- */

#define TLY_API_RECEIPTS_PAGE	256	/* 8.2.1: receipts before a page
					   ends at the next seq boundary */
/* Entries of one page at most: the page, then the rest of its last seq. */
#define TLY_API_RECEIPTS_MAX	(TLY_API_RECEIPTS_PAGE + TLY_SAME_SEQ_MAX)

/* One stored receipt of a page. */
struct tly_api_held {
	uint64_t	 seq;		/* the batch's seq */
	uint8_t		 batch[TLY_HASH_LEN];	/* the batch id */
	uint8_t		*receipt;	/* the receipt's exact bytes, owned */
	size_t		 receipt_len;
};

/* A page of a device's receipts: the whole answer of 8.2.1. */
struct tly_api_receipts {
	uint8_t			 device[TLY_PK_LEN];	/* the device key */
	struct tly_api_held	*e;	/* n entries, owned */
	size_t			 n;
	size_t			 alloc;	/* entries allocated */
	int			 has_next;	/* the answer has "next"
					   (written always; an older central
					   had none) */
	uint64_t		 next;	/* seq to ask from next, 0: null */
};

/* Start an empty page of device's receipts in caller storage. */
void		 tly_api_receipts_init(struct tly_api_receipts *p,
		    const uint8_t device[TLY_PK_LEN]);

/* Release what p owns; p is empty again (NULL-safe). */
void		 tly_api_receipts_finish(struct tly_api_receipts *p);

/*
 * Append a copy of one receipt.  Returns TLY_OK, TLY_E_NOMEM, or
 * TLY_E_TOO_LARGE past TLY_API_RECEIPTS_MAX entries or for a receipt
 * over TLY_RECEIPT_MAX bytes.
 */
int		 tly_api_receipts_add(struct tly_api_receipts *p, uint64_t seq,
		    const uint8_t batch[TLY_HASH_LEN], const uint8_t *receipt,
		    size_t len);

/*
 * Write p as the answer of 8.2.1: one whole object ("next" null when 0;
 * has_next is not looked at).  Returns TLY_OK or TLY_E_NOMEM/
 * TLY_E_TOO_LARGE (also kept in w).
 */
int		 tly_api_receipts_write(struct tly_jw *w,
		    const struct tly_api_receipts *p);

/*
 * Read the answer of 8.2.1 from root into *p (initialised here; release
 * with tly_api_receipts_finish() whatever the result).  "device" and
 * "receipts" are required; every entry has a seq, a batch id in hex and
 * a receipt in base64 of at most TLY_RECEIPT_MAX bytes (not verified
 * here); "next" is an integer above 0, null, or absent (has_next).
 * Returns TLY_OK, TLY_E_NOMEM, or TLY_E_HTTP (detail set).
 */
int		 tly_api_receipts_read(const struct tly_json *root,
		    struct tly_api_receipts *p);

#endif /* TLY_API_H */
