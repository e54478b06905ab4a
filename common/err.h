/*
 * err.h: error codes shared by every module.
 *
 * Functions return TLY_OK (0) or a negative enum tly_err.  A failing
 * function may also leave a human-readable detail, naming the field, file
 * or batch at fault, in a per-thread slot read with tly_errdetail().
 * Library code never prints: callers log the detail.
 */
#ifndef TLY_ERR_H
#define TLY_ERR_H

enum tly_err {
	TLY_OK			= 0,
	TLY_E_NOMEM		= -1,	/* allocation failed */
	TLY_E_IO		= -2,	/* file or socket I/O failed */
	TLY_E_TOO_LARGE		= -3,	/* input over its cap */
	TLY_E_TRUNCATED		= -4,	/* input shorter than it announces */
	TLY_E_MAGIC		= -5,	/* wrong magic bytes */
	TLY_E_VERSION		= -6,	/* unknown (future) version */
	TLY_E_CONTEXT		= -7,	/* wrong or malformed signing context */
	TLY_E_TRAILING		= -8,	/* bytes after the end */
	TLY_E_SIGNATURE		= -9,	/* signature does not verify */
	TLY_E_JSON		= -10,	/* malformed JSON */
	TLY_E_BATCH		= -11,	/* batch body violates PROTOCOL.md 4 */
	TLY_E_RECORD		= -12,	/* record fails a check (PROTOCOL.md 5) */
	TLY_E_ELECTION		= -13,	/* batch for another election */
	TLY_E_MODE		= -14,	/* live/test mode mismatch */
	TLY_E_SEQ_GAP		= -15,	/* seq above head + 1 */
	TLY_E_CHAIN		= -16,	/* prev does not link */
	TLY_E_SEQ_CONFLICT	= -17,	/* different batch with the same seq */
	TLY_E_BUNDLE		= -18,	/* malformed bundle file */
	TLY_E_KEY		= -19,	/* malformed key file */
	TLY_E_CONFIG		= -20,	/* bad configuration */
	TLY_E_DB		= -21,	/* database error */
	TLY_E_NET		= -22,	/* network error: unreachable, timeout */
	TLY_E_HTTP		= -23,	/* unexpected HTTP status or body */
	TLY_E_RECEIPT		= -24,	/* receipt missing or invalid */
	TLY_E_INVAL		= -25,	/* invalid argument */
	TLY_E_NOTFOUND		= -26,	/* no such object */
	TLY_E_ENCODING		= -27,	/* bad hex, base64 or gzip data */
	TLY_E_CRYPTO		= -28,	/* crypto library failure */
	TLY_E_DEFINITION	= -29,	/* bad election definition */
	TLY_E_BUSY		= -30,	/* peer or resource busy, try later */
	TLY_E_DEVICE		= -31,	/* device not on the device list */
	TLY_E_NOT_CERTIFIED	= -32,	/* no authority certificate for the key */
	TLY_E_OUT_OF_SCOPE	= -33,	/* a record outside the cert's scope */
	TLY_E_REVOKED		= -34,	/* the certificate is revoked */
	TLY_E_EXPIRED		= -35,	/* outside the certificate's window */
	TLY_E_CERT		= -36,	/* malformed trust object (PROTOCOL 13) */
	TLY_E_DUPLICATE		= -37,	/* the object is already held */
	TLY_E_NOT_HELD		= -38,	/* a decision names a batch or record
					   that is not held */
	TLY_E_MAX_		= -39	/* one past the last code */
};

/* Static English text for an error code; never NULL. */
const char	*tly_strerror(int err);

/*
 * Stable machine-readable code for the wire (PROTOCOL.md 8.6), such as
 * "bad_signature"; never NULL ("internal" for codes with no wire name).
 */
const char	*tly_err_code(int err);

/*
 * The error a wire code names, back from the wire: the first enum
 * tly_err (nearest to 0) whose tly_err_code() is code, so that
 * tly_err_code(tly_err_from_code(c)) is c for every code listed.
 * TLY_E_HTTP for NULL, "ok", and a code no error of this build has.
 */
int		 tly_err_from_code(const char *code);

/*
 * Record a detail message for the current thread and return err, so that
 * callers can write: return tly_fail(TLY_E_BATCH, "seq: %s", why);
 * The message is truncated to 512 bytes.
 */
int		 tly_fail(int err, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * The detail of err: the message of the last tly_fail(err, ...) on this
 * thread when that failure carried this same code and tly_errclear() has
 * not been called since; otherwise tly_strerror(err).  Never NULL.  Use
 * this to report a code with its detail: the code and its message travel
 * together.
 */
const char	*tly_errmsg(int err);

/*
 * The message of the last tly_fail() on this thread, whatever its code,
 * or "no detail" when there is none since tly_errclear().  Prefer
 * tly_errmsg(), which falls back to the code's own text.
 */
const char	*tly_errdetail(void);

/* Forget the detail (call before an operation whose detail you read). */
void		 tly_errclear(void);

#endif /* TLY_ERR_H */
