/*
 * guard.h: failed verifications per source address (PROTOCOL.md 8.5).
 *
 * Each address has a token bucket of TLY_VERIFY_FAIL_BURST tokens,
 * refilled at TLY_VERIFY_FAIL_RATE per second; every entry that fails
 * steps 1-5 of section 10 (envelope, signature, body) takes one, and so
 * does a body over the limit.  An address whose bucket is empty is
 * answered 429 on the headers of its uploads, before anything of them
 * is read or verified.  At most TLY_VERIFY_FAIL_ADDRS addresses are
 * tracked; a full bucket is forgotten first.  Thread-safe.
 */
#ifndef TLY_CENTRAL_GUARD_H
#define TLY_CENTRAL_GUARD_H

#include <stdint.h>

struct tly_guard;	/* opaque */

/* A new guard: *gp, free with tly_guard_destroy().  TLY_E_NOMEM. */
int	tly_guard_create(struct tly_guard **gp);
void	tly_guard_destroy(struct tly_guard *g);	/* NULL-safe */

/*
 * 0 when addr may be served at now_ms (milliseconds, any monotonic
 * origin), else the whole seconds until its bucket holds a token again
 * (for Retry-After, at least 1).
 */
unsigned tly_guard_check(struct tly_guard *g, const char *addr,
	    uint64_t now_ms);
/*
 * Admission of an upload from addr: tly_guard_check(), and when addr's
 * bucket is below half (it failed lately) a token is taken at once
 * (*held = 1), so that many uploads at a time cannot all pass on the
 * last token.  The first entry of the upload that fails then uses the
 * held token instead of a charge; if none fails, the caller gives it
 * back with tly_guard_refund().
 */
unsigned tly_guard_admit(struct tly_guard *g, const char *addr,
	    uint64_t now_ms, int *held);
void	tly_guard_refund(struct tly_guard *g, const char *addr,
	    uint64_t now_ms);
/*
 * Take n tokens from addr's bucket at now_ms (it never goes below 0).
 * Returns 1 when this emptied it (for one log line per episode), else 0.
 */
int	tly_guard_charge(struct tly_guard *g, const char *addr, unsigned n,
	    uint64_t now_ms);

#endif /* TLY_CENTRAL_GUARD_H */
