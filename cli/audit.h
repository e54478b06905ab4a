/*
 * audit.h: the state of one `tally audit` run, shared by cmd_audit.c
 * (options, the central's answers, the comparison) and audit_state.c
 * (the feed's entries through the one verifier and the trust checks,
 * then the merge engine and the results engine, as the central runs
 * them).
 */
#ifndef TLY_CLI_AUDIT_H
#define TLY_CLI_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"
#include "crypto/crypto.h"
#include "sync/feed.h"
#include "sync/verify.h"

struct tly_election;
struct tly_results;
struct tly_trust;

/* What the recomputation is given and what it finds. */
struct audit_run {
	const struct tly_election *def;		/* the definition */
	uint8_t		 ehash[TLY_HASH_LEN];	/* its hash */
	enum tly_verify_mode mode;		/* the central's mode */
	const struct tly_trust *trust;		/* built from the authority */
	uint64_t	 now;			/* this machine's clock */
	/* Out: */
	size_t		 batches;	/* batch entries that verified */
	size_t		 decisions;	/* decision entries that verified */
	size_t		 refused;	/* entries that did not (printed) */
	size_t		 own_clock;	/* judged at now: no good receipt */
	size_t		 devices;	/* devices with a batch */
	size_t		 applied;	/* batches in applied chains */
	size_t		 frozen;	/* frozen devices */
	size_t		 keys;		/* record keys with a head */
	size_t		 conflicts;	/* keys in conflict */
	uint8_t		 state_hash[TLY_HASH_LEN];	/* 12.6 */
	struct tly_results *results;	/* the engine's results: free */
};

/*
 * Verify every entry of f (PROTOCOL.md 10 steps 1-7 with the trust check
 * of 13.7 at the receipt time its receipt gives), printing one
 * "REFUSED" line per entry that fails; then apply the merge rules of
 * section 12 to the entries that pass and decide every constituency
 * (docs/RESULTS.md).  TLY_OK, or an error of the engines (reported by
 * the caller).
 */
int	cli_audit_compute(struct audit_run *a, const struct tly_feed *f);

#endif /* TLY_CLI_AUDIT_H */
