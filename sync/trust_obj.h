/*
 * trust_obj.h: the authority's signed objects (PROTOCOL.md section 13).
 *
 * An offline authority key signs the election definition, device and
 * central certificates and revocation lists; an adjudicator's device key
 * signs decisions; a device signs its enrollment request.  Each object
 * is a signed message (section 3) with its own context.  Everything here
 * is pure: callers pass bytes and times in, nothing reads a file or the
 * clock.  The trust policy over these objects is trust.h's.
 */
#ifndef TLY_TRUST_OBJ_H
#define TLY_TRUST_OBJ_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"
#include "sync/wire.h"

#define TLY_CTX_DEFINITION	"tally/definition/v1"
#define TLY_CTX_CERT		"tally/cert/v1"
#define TLY_CTX_CENTRAL_CERT	"tally/central-cert/v1"
#define TLY_CTX_REVOCATIONS	"tally/revocations/v1"
#define TLY_CTX_DECISION	"tally/decision/v1"
#define TLY_CTX_DECISION_RECEIPT "tally/decision-receipt/v1"
#define TLY_CTX_ENROLL		"tally/enroll-request/v1"

#define TLY_TRUST_OBJ_MAX	TLY_MSG_MAX	/* one object file */

/* Kinds of certificate: the context it was signed under. */
#define TLY_CERT_DEVICE		0	/* tally/cert/v1 */
#define TLY_CERT_CENTRAL	1	/* tally/central-cert/v1 */

/* Roles of a device certificate. */
#define TLY_ROLE_CLERK		0	/* signs batches for its scope */
#define TLY_ROLE_ADJUDICATOR	1	/* signs decisions for its scope */

/* A certificate, device or central (PROTOCOL.md 13.3, 13.4). */
struct tly_cert {
	int		 kind;		/* TLY_CERT_DEVICE or _CENTRAL */
	uint8_t		 id[TLY_HASH_LEN];	/* BLAKE2b-256 of the message */
	uint8_t		 authority[TLY_PK_LEN];	/* the envelope's signer */
	uint64_t	 serial;	/* 1..; unique per authority */
	uint8_t		 key[TLY_PK_LEN];	/* the certified key */
	uint8_t		 election[TLY_HASH_LEN];	/* definition hash */
	uint64_t	 not_before;	/* first valid second */
	uint64_t	 not_after;	/* last valid second */
	char		 name[TLY_ID_MAX + 1];	/* label; "" for none */
	/* Device certificates only: */
	int		 role;		/* TLY_ROLE_* */
	int		 all_areas;	/* "areas": "*" */
	size_t		 nareas;	/* entries in areas, strictly sorted */
	char		(*areas)[TLY_ID_MAX + 1];	/* owned */
	int		 all_levels;	/* "levels": "*" */
	size_t		 nlevels;	/* entries in levels, strictly sorted */
	char		 levels[TLY_LEVELS_MAX][TLY_ID_MAX + 1];
};

/* One entry of a revocation list. */
struct tly_revoked {
	uint64_t	serial;		/* the revoked certificate's serial */
	uint64_t	at;		/* revoked for receipt times >= at */
};

/* A revocation list (PROTOCOL.md 13.5). */
struct tly_revocations {
	uint8_t		 authority[TLY_PK_LEN];	/* the envelope's signer */
	uint8_t		 election[TLY_HASH_LEN];
	uint64_t	 serial;	/* list number; higher replaces lower */
	uint64_t	 issued;	/* when the authority signed it */
	size_t		 n;		/* entries, sorted by serial */
	struct tly_revoked *entries;	/* owned */
};

/* Record ids a resolve decision's over may list (PROTOCOL.md 13.6). */
#define TLY_DECISION_OVER_MAX	64

/* Kinds of decision. */
#define TLY_DECISION_UNFREEZE	0	/* keep batch K of a frozen device */
#define TLY_DECISION_RESOLVE	1	/* choose the head of a conflict */

/* A decision (PROTOCOL.md 13.6), signed by an adjudicator's key. */
struct tly_decision {
	int		 kind;		/* TLY_DECISION_* */
	uint8_t		 id[TLY_HASH_LEN];	/* BLAKE2b-256 of the message */
	uint8_t		 signer[TLY_PK_LEN];	/* the adjudicator's key */
	uint8_t		 election[TLY_HASH_LEN];
	uint64_t	 issued;	/* the signer's clock; a claim only */
	char		*note;		/* reason, or NULL; owned */
	/* unfreeze: */
	uint8_t		 device[TLY_PK_LEN];	/* the frozen device */
	uint8_t		 batch[TLY_HASH_LEN];	/* the batch kept */
	uint64_t	 seq;		/* that batch's seq */
	/* resolve: */
	char		 area[TLY_ID_MAX + 1];	/* the record key */
	char		 level[TLY_ID_MAX + 1];
	uint64_t	 round;
	char		 record[80];	/* the record id that counts */
	char		 over[TLY_DECISION_OVER_MAX][80];	/* the heads
					   it chose among, ascending, record
					   among them */
	size_t		 nover;		/* entries in over; 0: none given */
};

/* A decision receipt (PROTOCOL.md 6.1), signed by a central's key. */
struct tly_decision_receipt {
	uint8_t		signer[TLY_PK_LEN];	/* the central's key */
	uint8_t		decision[TLY_HASH_LEN];	/* the decision's id */
	uint64_t	stored;		/* when the central took it: the
					   decision's receipt time (13.7) */
};

/* An enrollment request (PROTOCOL.md 13.2), signed by the device key. */
struct tly_enroll_request {
	uint8_t		device[TLY_PK_LEN];	/* = the envelope's signer */
	char		name[TLY_ID_MAX + 1];	/* the laptop's label */
	uint64_t	created;	/* the device's clock */
};

/* A signed definition statement (PROTOCOL.md 13.1). */
struct tly_definition_sig {
	uint8_t		authority[TLY_PK_LEN];	/* the envelope's signer */
	uint8_t		election[TLY_HASH_LEN];	/* hash of the definition */
	uint64_t	issued;		/* when the authority signed it */
};


/*
 * Each parse function verifies the envelope (layout, context, signature
 * by its own signer) and the body.  When authority is not NULL the
 * signer must also be that key, else TLY_E_NOT_CERTIFIED.  Body errors
 * are TLY_E_CERT with a detail naming the field.  *outp, where there is
 * one, is new: free it with the matching free function.
 */
int	tly_cert_parse(const uint8_t *m, size_t len,
	    const uint8_t *authority, struct tly_cert **cp);
void	tly_cert_free(struct tly_cert *c);		/* NULL-safe */
/*
 * Seal c (kind, serial, key, election, window, name; role and scope for
 * a device certificate) with the authority key into out.  Areas and
 * levels must be strictly sorted; fills nothing in c.
 */
int	tly_cert_seal(const struct tly_key *authority,
	    const struct tly_cert *c, struct tly_buf *out);
/* 1 when device certificate c covers (area, level), else 0. */
int	tly_cert_covers(const struct tly_cert *c, const char *area,
	    const char *level);

int	tly_revocations_parse(const uint8_t *m, size_t len,
	    const uint8_t *authority, struct tly_revocations **rp);
void	tly_revocations_free(struct tly_revocations *r);	/* NULL-safe */
/* Seal r (entries sorted by serial, each serial once) into out. */
int	tly_revocations_seal(const struct tly_key *authority,
	    const struct tly_revocations *r, struct tly_buf *out);
/* The entry revoking serial, or NULL. */
const struct tly_revoked *tly_revocations_find(
	    const struct tly_revocations *r, uint64_t serial);

/* authority is not checked for decisions: the signer is an adjudicator. */
int	tly_decision_parse(const uint8_t *m, size_t len,
	    struct tly_decision **dp);
void	tly_decision_free(struct tly_decision *d);	/* NULL-safe */
int	tly_decision_seal(const struct tly_key *adjudicator,
	    const struct tly_decision *d, struct tly_buf *out);

/*
 * Decision receipts (trust_receipt.c).  parse verifies the envelope
 * under its own signer (TLY_E_RECEIPT for any fault, detail set); who
 * that signer may be is tly_trust_decision_time()'s question.
 */
int	tly_decision_receipt_parse(const uint8_t *m, size_t len,
	    struct tly_decision_receipt *rc);
int	tly_decision_receipt_seal(const struct tly_key *central,
	    const uint8_t decision[TLY_HASH_LEN], uint64_t stored,
	    struct tly_buf *out);

/* The signer must be the device named in the body. */
int	tly_enroll_parse(const uint8_t *m, size_t len,
	    struct tly_enroll_request *rq);
int	tly_enroll_seal(const struct tly_key *device, const char *name,
	    uint64_t created, struct tly_buf *out);

/*
 * Verify sig[0..siglen) as the authority's statement over the definition
 * def[0..deflen): TLY_E_NOT_CERTIFIED for another signer, TLY_E_SIGNATURE
 * when the hash of def is not the one signed.  ds (may be NULL) is filled.
 */
int	tly_definition_verify(const uint8_t *sig, size_t siglen,
	    const uint8_t *authority, const uint8_t *def, size_t deflen,
	    struct tly_definition_sig *ds);
int	tly_definition_seal(const struct tly_key *authority,
	    const uint8_t *def, size_t deflen, uint64_t issued,
	    struct tly_buf *out);

/*
 * The context of signed message m, as a NUL-terminated string in
 * out[0..outlen), after checking only its layout; for tools that show
 * any object.  TLY_E_* of tly_envelope_parse() on failure.
 */
int	tly_trust_context(const uint8_t *m, size_t len, char *out,
	    size_t outlen);

#endif /* TLY_TRUST_OBJ_H */
