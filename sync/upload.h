/*
 * upload.h: the one upload client (PROTOCOL.md 8.1 and 9), for tallyd's
 * delivery and for `tally import`.
 *
 * Signed batches go as bundles to a central's POST /v1/batches or to
 * tallyd's POST /v1/bundle, in requests under the post limit
 * (TLY_POST_MAX), gzip-encoded above a size.  A 429 or 503 answer is
 * waited out, as its Retry-After asks, a bounded number of times.  An
 * answer that is not the receiver's JSON (HTML, a redirect, a 2xx with
 * anything else: a captive portal) delivers nothing.  Each result is
 * checked against the batch at its index: the batch id it names and,
 * when the caller can verify receipts, a receipt that verifies and names
 * exactly that batch.  What to store or print is the caller's policy:
 * it is handed every checked result through a callback.
 */
#ifndef TLY_UPLOAD_H
#define TLY_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "sync/api.h"
#include "sync/wire.h"

struct tly_http_result;

/* One signed batch to send, and what its receipt must name. */
struct tly_upload_item {
	const uint8_t	*m;		/* the signed batch, borrowed */
	size_t		 len;		/* bytes in m */
	uint8_t		 id[TLY_HASH_LEN];	/* its batch id (hash of m) */
	int		 known;		/* device and seq are set: m parses */
	uint8_t		 device[TLY_PK_LEN];	/* its signer */
	uint64_t	 seq;		/* its seq */
};

/* The checked answer for one item; pointers last for the callback only. */
struct tly_upload_result {
	size_t			 item;		/* index into the items */
	enum tly_api_status	 status;	/* as the receiver answered */
	const char		*code;		/* error code, or NULL */
	const char		*message;	/* its message, or NULL */
	int			 err;		/* the error code names
						   (tly_err_from_code());
						   TLY_OK when code is NULL */
	const uint8_t		*receipt;	/* receipt bytes, or NULL */
	size_t			 receipt_len;	/* bytes in receipt */
	int			 check;		/* TLY_OK: a rejection, or a
						   receipt that names exactly
						   this batch (and verifies,
						   when verify is set); else
						   why not, a negative code
						   whose detail tly_errmsg()
						   gives in the callback */
};

/* Where to send, how, and the caller's policy. */
struct tly_upload {
	const char	*url;		/* the full URL of the POST */
	const char	*unix_socket;	/* a Unix socket path, or NULL */
	const char	*peer;		/* "central" or "tallyd", in details */
	size_t		 gzip_over;	/* gzip bodies of more bytes than this;
					   SIZE_MAX: never */
	long		 connect_timeout_s;	/* as struct tly_http_call */
	long		 low_speed_time_s;	/* as struct tly_http_call */
	size_t		 resp_max;	/* cap on an answer; 0: TLY_RESP_MAX */
	const volatile int *cancel;	/* aborts a call, or NULL */
	unsigned	 busy_retries;	/* 429/503 answers waited out per
					   request; 0: returned at once */
	long		 busy_wait_max;	/* longest wait, seconds */
	/*
	 * Verify receipt m[0..len) under the receiver's key into *rc:
	 * TLY_OK or a negative code with a detail.  NULL: receipts are not
	 * verified (only the batch id an entry names is checked).
	 */
	int		(*verify)(void *arg, const uint8_t *m, size_t len,
			    struct tly_receipt *rc);
	/* Before the request of items [from, to): TLY_OK, or stop. */
	int		(*sending)(void *arg, size_t from, size_t to);
	/* After every call: its bytes; answered when an HTTP answer came. */
	void		(*account)(void *arg, const struct tly_http_result *res,
			    int answered);
	/* Before waiting wait seconds for a busy receiver. */
	void		(*busy)(void *arg, long wait);
	/* Every result of an answer that is the receiver's, checked. */
	void		(*result)(void *arg, const struct tly_upload_result *r);
	void		*arg;		/* passed to the callbacks */
};

#define TLY_UPLOAD_DETAIL	512	/* bytes of a failure's detail */

/* What an upload achieved. */
struct tly_upload_report {
	int	err;		/* TLY_OK, or the failure that stopped it */
	char	detail[TLY_UPLOAD_DETAIL];	/* its detail ("" when none) */
	long	retry_after;	/* seconds a busy receiver asked, -1 none */
	size_t	sent;		/* items[0..sent) were in answered requests */
};

/*
 * Send items[0..n), in order, in as many requests as the post limit
 * needs, and hand each checked result to u->result.  Stops at the first
 * request that fails.  Returns rep->err: TLY_OK when every request was
 * answered by the receiver (results may still be rejections or fail
 * their check); else TLY_E_NET (no answer: unreachable, cut off,
 * cancelled), TLY_E_BUSY (still busy after busy_retries waits),
 * TLY_E_HTTP (an answer that is not the receiver's, or an error status),
 * TLY_E_TOO_LARGE (an answer over resp_max), or what a callback or
 * building the bundle returned.
 */
int	tly_upload_send(const struct tly_upload *u,
	    const struct tly_upload_item *items, size_t n,
	    struct tly_upload_report *rep);

/*
 * Is res, an HTTP answer of peer to a request for JSON, something else?
 * TLY_OK when it is a 2xx JSON object.  Else, with a detail in words:
 * TLY_E_HTTP for a captive portal (HTML, a redirect, another 2xx body)
 * or an error status (with the error object's code and message);
 * TLY_E_BUSY for 429 and 503.
 */
int	tly_upload_answer_check(const char *peer,
	    const struct tly_http_result *res);

#endif /* TLY_UPLOAD_H */
