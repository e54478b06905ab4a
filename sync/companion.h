/*
 * companion.h: the companions of a version 2 bundle file (PROTOCOL.md
 * 7.2): the receipts and trust objects that travel beside the batches,
 * so that an offline verifier holding only the authority's key can judge
 * them.  An entry's kind is told by its envelope's context alone.
 */
#ifndef TLY_COMPANION_H
#define TLY_COMPANION_H

#include <stddef.h>
#include <stdint.h>

/* What an entry of a bundle file is (7.2). */
enum tly_companion {
	TLY_COMPANION_NONE = 0,		/* a batch entry (section 10 judges it) */
	TLY_COMPANION_RECEIPT,		/* tally/receipt/v1 (6) */
	TLY_COMPANION_DEFINITION,	/* tally/definition/v1 (13.1) */
	TLY_COMPANION_CERT,		/* tally/cert/v1 (13.3) */
	TLY_COMPANION_CENTRAL_CERT,	/* tally/central-cert/v1 (13.4) */
	TLY_COMPANION_REVOCATIONS	/* tally/revocations/v1 (13.5) */
};

/*
 * The kind of entry m[0..len) in a bundle of version `version`
 * (TLY_BUNDLE_VERSION, TLY_BUNDLE_VERSION_2, or 0 for an entry salvaged
 * from a damaged file, 7.1): in version 1 every entry is a batch entry;
 * otherwise an entry whose envelope layout parses (section 3, signature
 * not checked) with one of the contexts above is that companion, and any
 * other entry is a batch entry.
 */
enum tly_companion tly_companion_kind(const uint8_t *m, size_t len,
	    unsigned version);

struct tly_receipt;
struct tly_trust;

/*
 * A receipt judged as a companion, and rule 2 of PROTOCOL.md 13.7: it
 * verifies under its own signer (section 6); with trust, that signer is
 * a central key certified at the receipt's stored time (13.4), so that
 * rc->stored is the receipt time of the batch it names.  TLY_OK with *rc
 * and signer filled; else the code (section 3, 6 or 13.7) with a detail.
 */
int	tly_companion_receipt(const struct tly_trust *trust, const uint8_t *m,
	    size_t len, struct tly_receipt *rc, uint8_t signer[32]);

/* A short English name of kind ("receipt", "device certificate", ...). */
const char *tly_companion_name(enum tly_companion kind);

#endif /* TLY_COMPANION_H */
