/*
 * link.h: the link check (PROTOCOL.md 8.8): a client sends a random
 * nonce to GET /v1/link, the central signs it with its receipt key under
 * the context tally/link/v1, and the client verifies the answer against
 * the central key it was configured with.  It proves the address, the
 * key and the whole path before a batch has to travel it.
 */
#ifndef TLY_LINK_H
#define TLY_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/limits.h"
#include "crypto/crypto.h"

#define TLY_LINK_NONCE_LEN	32	/* bytes of the client's nonce */

/*
 * Sign the link answer body {"nonce":"<hex>","time":t} with the central's
 * key; the signed message is appended to out.
 */
int	tly_link_seal(const struct tly_key *central,
	    const uint8_t nonce[TLY_LINK_NONCE_LEN], uint64_t t,
	    struct tly_buf *out);

/*
 * Verify m[0..len) as a link answer signed by central_pk for nonce:
 * context, signature, signer, exactly the names nonce and time, and the
 * nonce.  *tp gets the central's time.  TLY_E_SIGNATURE (with a detail
 * naming the signer) when another key signed it; TLY_E_CONTEXT,
 * TLY_E_JSON or TLY_E_INVAL (the nonce differs) otherwise.
 */
int	tly_link_verify(const uint8_t *m, size_t len,
	    const uint8_t central_pk[TLY_PK_LEN],
	    const uint8_t nonce[TLY_LINK_NONCE_LEN], uint64_t *tp);

/* What one link check found (tly_link_check()). */
struct tly_link_result {
	uint64_t	central_time;	/* the central's clock, when proven */
	uint64_t	ms;		/* round trip in milliseconds */
	uint64_t	wire_up;	/* bytes sent (headers and body) */
	uint64_t	wire_down;	/* bytes received */
	int		answered;	/* an HTTP answer of any kind came */
	char		error[512];	/* why it failed, in plain words */
};

/*
 * Check the link to the central at base URL base ("http://host:port"),
 * whose key must be central_pk: a fresh nonce, GET /v1/link, verify.
 * TLY_OK when proven.  Otherwise res->error says why: TLY_E_NET (no
 * answer), TLY_E_HTTP (an answer that is not a link answer: an older
 * central, a portal), TLY_E_SIGNATURE (signed by another key).  Timeouts
 * in seconds (0: the client's defaults); cancel as in tly_http_call.
 */
int	tly_link_check(const char *base, const uint8_t central_pk[TLY_PK_LEN],
	    long connect_timeout_s, long timeout_s, const volatile int *cancel,
	    struct tly_link_result *res);

#endif /* TLY_LINK_H */
