/*
 * ctrust.h: the central's trust state (central/trust.c), shared by the
 * verifying handlers (ingest.c, the trust endpoints).  Private to
 * central/.
 */
#ifndef TLY_CENTRAL_CTRUST_H
#define TLY_CENTRAL_CTRUST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "sync/trust.h"

/*
 * The trust policy of a closed central.  lock guards t, raw and
 * rev_serial: readers (verifying a batch) take it shared, an accepted
 * POST /v1/trust takes it exclusive.
 */
struct tly_central_trust {
	pthread_rwlock_t	 lock;		/* guards the fields below */
	uint8_t			 authority[TLY_PK_LEN];	/* authority key */
	struct tly_trust	*t;		/* certificates, revocations */
	uint64_t		 rev_serial;	/* serial of the list held */
	struct tly_buf		*raw;		/* every object accepted, as
						   signed, for GET /v1/trust */
	size_t			 nraw;		/* entries in raw */
	size_t			 capraw;	/* allocated entries */
};

/*
 * Take the trust object m[0..len): a device or central certificate
 * (added) or a revocation list (held when its serial is higher).
 * *added is 1 when the central holds something new.  Errors as
 * tly_trust_add_cert() and tly_trust_set_revocations(), TLY_E_CONTEXT
 * for another kind of object.  Takes the write lock.
 */
int	tly_central_trust_apply(struct tly_central_trust *ct,
	    const uint8_t *m, size_t len, int *added);

#endif /* TLY_CENTRAL_CTRUST_H */
