/*
 * verify.h: the one verifier of an entry, PROTOCOL.md section 10 steps
 * 1-7.  It is the only code that decides whether a signed message is a
 * valid batch for an election: the central, a relaying daemon, tally
 * verify and tally import all call it.  Pure: no I/O, no clock, no SQL.
 */
#ifndef TLY_VERIFY_H
#define TLY_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"
#include "sync/wire.h"

/* The bounds of a batch's "created" (PROTOCOL.md 4): [MIN, MAX). */

#define TLY_VERIFY_DETAIL_MAX	640	/* bytes of a verdict's detail */

/* The mode a verifier requires (step 6). */
enum tly_verify_mode {
	TLY_VERIFY_MODE_ANY = 0,	/* no mode check (an offline verifier) */
	TLY_VERIFY_MODE_LIVE = 1,	/* require "live" */
	TLY_VERIFY_MODE_TEST = 2	/* require "test" */
};

struct tly_trust;

/*
 * Which devices may report (step 6): a device list and the trust policy
 * of PROTOCOL.md 13.7.  A zeroed policy admits every device.
 */
struct tly_verify_policy {
	const uint8_t	*devices;	/* sorted device keys, TLY_PK_LEN
					   bytes each; NULL: any device */
	size_t		 ndevices;	/* keys in devices (0 with NULL) */
	const struct tly_trust *trust;	/* certificates and revocations, or
					   NULL: no trust check */
	uint64_t	 receipt_time;	/* the batch's receipt time (13.7)
					   for the trust check */
};

/* What an entry is verified against. */
struct tly_verify_ctx {
	const struct tly_election *election;	/* the definition E, or NULL:
						   steps 6 (election) and 7
						   are skipped */
	uint8_t		 election_hash[TLY_HASH_LEN];	/* BLAKE2b-256(E);
						   used when election set */
	enum tly_verify_mode	 mode;		/* required mode */
	struct tly_verify_policy policy;	/* device policy */
};

/* The verdict on one entry. */
struct tly_verify_result {
	int		 has_id;	/* the envelope parses: id is valid */
	uint8_t		 id[TLY_HASH_LEN];	/* the batch id, BLAKE2b(m) */
	int		 parsed;	/* steps 1-5 passed: the header below
					   is valid even if 6-7 failed */
	uint8_t		 device[TLY_PK_LEN];	/* the batch's device */
	uint64_t	 seq;		/* its seq */
	uint8_t		 prev[TLY_HASH_LEN];	/* its prev */
	size_t		 nrecords;	/* its records */
	struct tly_batch *batch;	/* on TLY_OK: the parsed batch, owned
					   by the caller (tly_batch_free) */
	size_t		 bad_records;	/* step 7: records that fail */
	char		 detail[TLY_VERIFY_DETAIL_MAX];	/* why, on failure;
					   raw peer text, escape to print */
};

/*
 * Verify the signed message m[0..len) as PROTOCOL.md 10 steps 1-7 say,
 * against ctx; res is cleared first.  Returns TLY_OK with res->batch set,
 * or the entry's rejection as a negative code whose wire name is
 * tly_err_code() (TLY_E_TRUNCATED .. TLY_E_SIGNATURE, TLY_E_BATCH,
 * TLY_E_RECORD, TLY_E_ELECTION, TLY_E_MODE, TLY_E_DEVICE, and with a trust
 * policy TLY_E_NOT_CERTIFIED, TLY_E_REVOKED, TLY_E_EXPIRED,
 * TLY_E_OUT_OF_SCOPE) with
 * res->detail saying why.  TLY_E_NOMEM and TLY_E_CRYPTO are failures of
 * the verifier itself, not verdicts on the entry.  res->has_id and
 * res->id are set whenever the envelope parses, res->parsed and the
 * header whenever the body does (steps 1-5).
 */
int	tly_verify_entry(const struct tly_verify_ctx *ctx, const uint8_t *m,
	    size_t len, struct tly_verify_result *res);

/* 1 when the policy admits device (PROTOCOL.md 10 step 6). */
int	tly_verify_device_allowed(const struct tly_verify_policy *pol,
	    const uint8_t device[TLY_PK_LEN]);

/*
 * 1 when the wire code of a central's rejection (PROTOCOL.md 8.6) is
 * final: a verdict on the batch's own bytes and the definition it names,
 * which no resend can change (PROTOCOL.md 9.1).  0 for the codes that
 * depend on the central's configuration or state (wrong_election,
 * wrong_mode, unknown_device, seq_gap) and for any other text.
 */
int	tly_verify_code_final(const char *code);

#endif /* TLY_VERIFY_H */
