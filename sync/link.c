/*
 * link.c: the link check (PROTOCOL.md 8.8): the signed answer to a
 * client's nonce, and the client's whole exchange.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/json.h"
#include "sync/http.h"
#include "sync/link.h"
#include "sync/wire.h"

#define LINK_BODY_MAX	256	/* bytes of the signed body */
#define LINK_MSG_MAX	(TLY_ENV_OVERHEAD + TLY_CTX_MAX + LINK_BODY_MAX)

int
tly_link_seal(const struct tly_key *central,
    const uint8_t nonce[TLY_LINK_NONCE_LEN], uint64_t t, struct tly_buf *out)
{
	char	hex[2 * TLY_LINK_NONCE_LEN + 1], body[LINK_BODY_MAX];
	int	n;

	tly_hex(nonce, TLY_LINK_NONCE_LEN, hex);
	n = snprintf(body, sizeof(body), "{\"nonce\":\"%s\",\"time\":%llu}",
	    hex, (unsigned long long)t);
	if (n < 0 || (size_t)n >= sizeof(body))
		return TLY_E_TOO_LARGE;
	return tly_envelope_seal(central, TLY_CTX_LINK, (const uint8_t *)body,
	    (size_t)n, out);
}

int
tly_link_verify(const uint8_t *m, size_t len,
    const uint8_t central_pk[TLY_PK_LEN],
    const uint8_t nonce[TLY_LINK_NONCE_LEN], uint64_t *tp)
{
	static const char *const names[] = { "nonce", "time", NULL };
	struct tly_envelope	 env;
	struct tly_json		*root = NULL;
	uint8_t			 got[TLY_LINK_NONCE_LEN];
	char			 hex[TLY_HEX_PK];
	int			 r;

	*tp = 0;
	if (len > LINK_MSG_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "link answer: over %d bytes",
		    LINK_MSG_MAX);
	if ((r = tly_envelope_verify(m, len, TLY_CTX_LINK, &env)) != TLY_OK)
		return tly_fail(r, "link answer: %s", tly_errdetail());
	if (memcmp(env.signer, central_pk, TLY_PK_LEN) != 0)
		return tly_fail(TLY_E_SIGNATURE, "the central's address "
		    "answered with another key (%s) than the configured one",
		    tly_hex(env.signer, TLY_PK_LEN, hex));
	/* The nonce is a hash-sized value: read it as one. */
	if ((r = tly_json_parse(env.body, env.bodylen, &root)) != TLY_OK ||
	    (r = tly_json_check_names(root, "", names)) != TLY_OK ||
	    (r = tly_json_get_hash(root, "", "nonce", got)) != TLY_OK ||
	    (r = tly_json_get_int(root, "", "time", tp)) != TLY_OK) {
		r = tly_fail(TLY_E_JSON, "link answer body: %s",
		    tly_errdetail());
		goto out;
	}
	if (!tly_memeq(got, nonce, TLY_LINK_NONCE_LEN))
		r = tly_fail(TLY_E_INVAL, "link answer: signed for another "
		    "nonce (a replayed answer)");
 out:
	tly_json_free(root);
	return r;
}

/* Milliseconds on the monotonic clock. */
static uint64_t
link_ms(void)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Read the answer body {"link": "<base64>"} and verify it. */
static int
link_answer(const struct tly_http_result *hr,
    const uint8_t central_pk[TLY_PK_LEN],
    const uint8_t nonce[TLY_LINK_NONCE_LEN], struct tly_link_result *res)
{
	struct tly_json	*root = NULL;
	struct tly_buf	 m = TLY_BUF_INIT(LINK_MSG_MAX);
	const char	*b64;
	int		 r;

	if (hr->status != 200 ||
	    tly_json_parse(hr->body.p, hr->body.len, &root) != TLY_OK ||
	    (b64 = tly_json_string(tly_json_get(root, "link"))) == NULL) {
		snprintf(res->error, sizeof(res->error), "the central's address "
		    "answered HTTP %ld without a signed link answer (an older "
		    "central, or not the central at all)", hr->status);
		r = TLY_E_HTTP;
		goto out;
	}
	tly_errclear();
	if ((r = tly_b64_decode(b64, strlen(b64), &m)) != TLY_OK ||
	    (r = tly_link_verify(m.p, m.len, central_pk, nonce,
	    &res->central_time)) != TLY_OK) {
		snprintf(res->error, sizeof(res->error), "%s",
		    tly_errdetail());
		if (r != TLY_E_SIGNATURE)
			r = TLY_E_HTTP;
	}
 out:
	tly_json_free(root);
	tly_buf_free(&m);
	return r;
}

int
tly_link_check(const char *base, const uint8_t central_pk[TLY_PK_LEN],
    long connect_timeout_s, long timeout_s, const volatile int *cancel,
    struct tly_link_result *res)
{
	struct tly_http_call	 call;
	struct tly_http_result	 hr;
	uint8_t			 nonce[TLY_LINK_NONCE_LEN];
	char			 hex[2 * TLY_LINK_NONCE_LEN + 1], url[1200];
	size_t			 n = strlen(base);
	uint64_t		 t0;
	int			 r;

	memset(res, 0, sizeof(res[0]));
	while (n > 0 && base[n - 1] == '/')
		n--;
	tly_random_bytes(nonce, sizeof(nonce));
	tly_hex(nonce, sizeof(nonce), hex);
	if (n > 1000 || snprintf(url, sizeof(url), "%.*s/v1/link?nonce=%s",
	    (int)n, base, hex) >= (int)sizeof(url)) {
		snprintf(res->error, sizeof(res->error), "the central's URL "
		    "is too long");
		return TLY_E_INVAL;
	}
	memset(&call, 0, sizeof(call));
	call.url = url;
	call.method = "GET";
	call.connect_timeout_s = connect_timeout_s;
	call.low_speed_time_s = timeout_s;
	call.timeout_s = timeout_s;
	call.resp_max = TLY_LINK_ANSWER_MAX;
	call.cancel = cancel;
	t0 = link_ms();
	r = tly_http_request(&call, &hr);
	res->ms = link_ms() - t0;
	res->wire_up = hr.bytes_up + hr.header_up;
	res->wire_down = hr.bytes_down + hr.header_down;
	if (r == TLY_OK) {
		res->answered = 1;
		r = link_answer(&hr, central_pk, nonce, res);
	} else if (r == TLY_E_TOO_LARGE) {
		res->answered = 1;
		snprintf(res->error, sizeof(res->error), "the central's address "
		    "answered with something too large to be a link answer");
		r = TLY_E_HTTP;
	} else {
		snprintf(res->error, sizeof(res->error), "central unreachable: "
		    "%s", hr.error[0] ? hr.error : "no answer");
		r = TLY_E_NET;
	}
	tly_http_result_free(&hr);
	return r;
}
