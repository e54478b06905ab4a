/*
 * trust.h: the trust policy built from the authority's signed objects
 * (PROTOCOL.md section 13; the objects are trust_obj.h's, included here).
 *
 * struct tly_trust gathers, for one election, the authority key, the
 * certificates by key and the newest revocation list, and answers the
 * policy questions a verifier asks: may this batch be applied
 * (tly_trust_check_batch), may this decision (tly_trust_check_decision),
 * is this a certified central key (tly_trust_check_central).  Pure, as
 * the objects are.
 */
#ifndef TLY_TRUST_H
#define TLY_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "sync/trust_obj.h"
#include "sync/wire.h"

/* ---- Policy (trust.c) ------------------------------------------------------ */

struct tly_trust;	/* opaque: authority, certificates, revocations */

/* The receipt time to use when none is known (see tly_trust_check_batch). */
#define TLY_TRUST_NO_TIME	UINT64_MAX

/* New empty trust for one authority key and one election hash. */
int	tly_trust_create(const uint8_t authority[TLY_PK_LEN],
	    const uint8_t election[TLY_HASH_LEN], struct tly_trust **tp);
void	tly_trust_destroy(struct tly_trust *t);		/* NULL-safe */
const uint8_t *tly_trust_authority(const struct tly_trust *t);

/*
 * Add a certificate (device or central, told by its context) signed by
 * the trust's authority for its election: TLY_E_NOT_CERTIFIED for
 * another signer, TLY_E_ELECTION for another election.  A key may hold
 * several certificates (a renewal); the same message twice is kept once.
 */
int	tly_trust_add_cert(struct tly_trust *t, const uint8_t *m, size_t len);
/*
 * Take a revocation list: it replaces the one held when its serial is
 * higher, and is ignored (TLY_OK) when not higher.
 */
int	tly_trust_set_revocations(struct tly_trust *t, const uint8_t *m,
	    size_t len);
/* Serial of the revocation list held (0 for none). */
uint64_t tly_trust_revocations_serial(const struct tly_trust *t);

/*
 * May batch b be applied?  time is its receipt time (PROTOCOL.md 13.7):
 * the certified central's clock when it commits the batch, the stored
 * time of a receipt that verifies under a certified central key, or, with
 * neither, the verifier's own clock.  TLY_OK, or TLY_E_ELECTION (another
 * election than the trust's), TLY_E_NOT_CERTIFIED (no
 * clerk certificate for the device), TLY_E_REVOKED, TLY_E_EXPIRED or
 * TLY_E_OUT_OF_SCOPE (the detail names the record index, area and
 * level), as 13.7 orders them.
 */
int	tly_trust_check_batch(const struct tly_trust *t,
	    const struct tly_batch *b, uint64_t time);
/*
 * May decision d be applied at time (as above)?  Its signer needs an
 * adjudicator certificate; a resolve decision's key must be in its scope.
 */
int	tly_trust_check_decision(const struct tly_trust *t,
	    const struct tly_decision *d, uint64_t time);
/*
 * The receipt time (13.7 rule 2) of decision id decision from the
 * decision receipt m[0..len): its stored time, when it verifies, names
 * that decision and its signer is a certified central key at that time
 * (13.4); else TLY_E_RECEIPT, naming why (trust_receipt.c).
 */
int	tly_trust_decision_time(const struct tly_trust *t, const uint8_t *m,
	    size_t len, const uint8_t decision[TLY_HASH_LEN], uint64_t *time);
/* Is pk a certified central key at time?  TLY_OK or as above. */
int	tly_trust_check_central(const struct tly_trust *t,
	    const uint8_t pk[TLY_PK_LEN], uint64_t time);

#endif /* TLY_TRUST_H */
