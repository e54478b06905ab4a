/*
 * head.h: the one client of GET /v1/devices/{key}/head (PROTOCOL.md
 * 8.2): tallyd's resume step, its probe of the central, and a restored
 * key learning its head (9.5) all ask and read a head through it.
 */
#ifndef TLY_HEAD_H
#define TLY_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "sync/api.h"

struct tly_http_result;

/* Whose head to ask, where, and how long to wait. */
struct tly_head_call {
	const char	*central;	/* the central's base URL, no "/" at
					   the end */
	const uint8_t	*device;	/* the device key, TLY_PK_LEN bytes */
	long		 connect_timeout_s;	/* as struct tly_http_call */
	long		 low_speed_time_s;	/* as struct tly_http_call */
	long		 timeout_s;	/* the whole call; 0: none */
	const volatile int *cancel;	/* aborts the call, or NULL */
};

/*
 * Ask the central for c->device's head and read it into *h.  The
 * answer is capped at TLY_SMALL_RESP_MAX (a head of 1024 pending seqs
 * fits in a third of it).  res is the call's, for the caller to count
 * its bytes and read its status and Retry-After; release it with
 * tly_http_result_free() whatever the result.  Returns TLY_OK; else,
 * with a detail in words:
 * TLY_E_NET when no answer came ("central unreachable: ...");
 * TLY_E_BUSY or TLY_E_HTTP when the answer is not the central's JSON
 * (tly_upload_answer_check(): busy, an error status, a captive portal);
 * TLY_E_JSON when it is the central's JSON but not a head of 8.2 (or
 * a status other than 200); TLY_E_TOO_LARGE for an answer over the cap.
 */
int	tly_head_fetch(const struct tly_head_call *c, struct tly_api_head *h,
	    struct tly_http_result *res);

#endif /* TLY_HEAD_H */
