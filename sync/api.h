/*
 * api.h: the messages of the HTTP API (PROTOCOL.md 8.1 and 9): the
 * per-entry results of POST /v1/batches and of the daemon's
 * POST /v1/bundle, and the check that a receipt belongs to a batch.
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

#endif /* TLY_API_H */
