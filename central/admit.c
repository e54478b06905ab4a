/*
 * admit.c: admission of uploads (PROTOCOL.md 8.5), between the server
 * (common/httpd.h) and the ingest (ingest.c).  The guard (guard.h)
 * counts each address's failures: forged or corrupt entries, bodies
 * that are not bundles, bodies over the limit.  An address whose bucket
 * is empty is refused on the headers of its uploads, before their body
 * is read: answered 429, held TARPIT_MS on the connection's own thread,
 * and the connection closed, so that a flood gets one request a second
 * per connection and the central does almost nothing for it.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "central/central.h"
#include "central/guard.h"
#include "common/httpd.h"
#include "common/log.h"

#define WARN_EVERY_MS	10000	/* one warning of a 429 episode per 10 s */
#define TARPIT_MS	1000	/* a 429 waits this long (at most its
				   Retry-After, which is 1 s or more) */

/* Milliseconds of the monotonic clock, for the guard. */
static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Answer 429: peer has failed too many verifications (PROTOCOL.md 8.5).
 * The answer is held TARPIT_MS on the connection's own thread and the
 * connection is closed, so that one connection of a forger costs the
 * central at most one request a second.
 */
static void
rate_limited(struct tly_http_resp *resp, const char *peer, unsigned retry)
{
	tly_http_resp_error(resp, 429, "rate_limited", "too many entries "
	    "from %s failed verification; retry in %u s", peer, retry);
	resp->retry_after = retry;
	resp->delay_ms = TARPIT_MS;
	resp->close = 1;
	tly_central_metrics_refused(429);
}

void
tly_central_charge(struct tly_central *c, const char *peer, unsigned n,
    int *held)
{
	static _Atomic uint64_t	 warned;	/* now_ms() of the last, + 1 */
	uint64_t		 t = now_ms(), last;

	if (n > 0 && *held) {
		*held = 0;
		n--;
	}
	if (!tly_guard_charge(c->guard, peer, n, t))
		return;
	last = atomic_load(&warned);
	if ((last == 0 || t >= last - 1 + WARN_EVERY_MS) &&
	    atomic_compare_exchange_strong(&warned, &last, t + 1))
		tly_log_warn("%s: too many failed verifications or bodies "
		    "over the limit; its uploads are answered 429 for a while",
		    peer);
}

void
tly_central_admit(void *arg, const struct tly_http_req *req, int too_large,
    struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;
	char			 peer[TLY_HTTP_PEER_MAX];
	unsigned		 retry;
	int			 held = 0;

	if (!too_large && (strcmp(req->method, "POST") != 0 ||
	    strcmp(req->path, "/v1/batches") != 0))
		return;
	tly_http_req_peer(req, peer, sizeof(peer));
	if ((retry = tly_guard_check(c->guard, peer, now_ms())) > 0) {
		rate_limited(resp, peer, retry);
		return;
	}
	if (too_large) {	/* the server answers 413 */
		tly_central_charge(c, peer, 1, &held);
		tly_central_metrics_refused(413);
	}
}

int
tly_central_admit_upload(struct tly_central *c, const char *peer, int *held,
    struct tly_http_resp *resp)
{
	unsigned	 retry;

	if ((retry = tly_guard_admit(c->guard, peer, now_ms(), held)) == 0)
		return 0;
	rate_limited(resp, peer, retry);
	return 1;
}

int
tly_central_recheck(struct tly_central *c, const char *peer,
    struct tly_http_resp *resp)
{
	unsigned	 retry;

	if ((retry = tly_guard_check(c->guard, peer, now_ms())) == 0)
		return 0;
	rate_limited(resp, peer, retry);
	return 1;
}

void
tly_central_refund(struct tly_central *c, const char *peer, int *held)
{
	if (!*held)
		return;
	*held = 0;
	tly_guard_refund(c->guard, peer, now_ms());
}
