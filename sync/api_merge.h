/*
 * api_merge.h: the answers of the merge state (PROTOCOL.md 8.7):
 * GET /v1/state-hash and /v1/status, /v1/conflicts and /v1/evidence.
 * One writer per answer, which the central serves with, and one reader
 * for the answers that a client parses (status, evidence).  The central's
 * store fills these structs; it writes no JSON for them.
 */
#ifndef TLY_API_MERGE_H
#define TLY_API_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "crypto/crypto.h"

#define TLY_API_KIND_MAX	32	/* bytes of a proof's kind, with NUL */
#define TLY_API_NAME_MAX	80	/* bytes of key, election, mode */

/* GET /v1/state-hash (short) and GET /v1/status (full), PROTOCOL.md 8.7. */
struct tly_api_state {
	char		key[TLY_API_NAME_MAX];	/* full: central key, hex */
	char		election[TLY_API_NAME_MAX]; /* full: definition hash */
	char		mode[TLY_API_NAME_MAX];	/* full: "test" or "live" */
	uint64_t	devices;	/* devices with a held batch */
	uint64_t	batches;	/* full: held batches */
	uint64_t	applied;	/* full: batches in applied chains */
	uint64_t	frozen;		/* frozen devices */
	uint64_t	evidence;	/* full: equivocation proofs */
	uint64_t	keys;		/* record keys with an applied record */
	uint64_t	conflicts;	/* keys in conflict */
	uint8_t		state_hash[TLY_HASH_LEN];	/* PROTOCOL.md 12.6 */
};

/*
 * Write st as the object of GET /v1/status (full) or GET /v1/state-hash
 * (!full), members in the order of PROTOCOL.md 8.7.  Returns w's error.
 */
int	tly_api_state_write(const struct tly_api_state *st, int full,
	    struct tly_jw *w);

/*
 * Read the object of GET /v1/status (root) into *st.  Returns TLY_OK,
 * or TLY_E_HTTP (detail set) when a member is missing or of another type.
 */
int	tly_api_state_read(const struct tly_json *root,
	    struct tly_api_state *st);

/* One frozen device of GET /v1/evidence. */
struct tly_api_frozen {
	uint8_t		device[TLY_PK_LEN];	/* the device key */
	uint64_t	seq;			/* frozen from this seq */
};

/* One kept decision of GET /v1/evidence. */
struct tly_api_kept {
	uint8_t		device[TLY_PK_LEN];	/* the device key */
	uint8_t		batch[TLY_HASH_LEN];	/* the batch kept */
	uint64_t	seq;			/* its seq */
};

/* One equivocation proof of GET /v1/evidence. */
struct tly_api_proof {
	uint8_t		 device[TLY_PK_LEN];	/* the signer of both */
	uint64_t	 seq;			/* the seq they share */
	char		 kind[TLY_API_KIND_MAX];	/* same_seq, prev_mismatch */
	uint8_t		 batch[2][TLY_HASH_LEN];	/* the two batch ids */
	uint8_t		*bytes[2];		/* their bytes (owned) */
	size_t		 len[2];		/* bytes in each */
	int		 resolved;		/* an unfreeze decided it */
};

/* GET /v1/evidence: everything owned; free with tly_api_evidence_free(). */
struct tly_api_evidence {
	struct tly_api_frozen	*frozen;	/* frozen devices */
	size_t			 nfrozen;
	struct tly_api_kept	*kept;		/* kept decisions */
	size_t			 nkept;
	struct tly_api_proof	*proofs;	/* equivocation proofs */
	size_t			 nproofs;
	int			 more;		/* more proofs than these */
};

/* Free what ev holds and zero it (ev itself is the caller's). */
void	tly_api_evidence_free(struct tly_api_evidence *ev);

/*
 * Write ev as the object of GET /v1/evidence: "frozen", "kept",
 * "evidence" (bytes in base64), "more".  Returns w's error, or
 * TLY_E_NOMEM.
 */
int	tly_api_evidence_write(const struct tly_api_evidence *ev,
	    struct tly_jw *w);

/*
 * Read the object of GET /v1/evidence (root) into *ev, at most max
 * entries per list (zeroed first; free with tly_api_evidence_free()).
 * Returns TLY_OK, or TLY_E_HTTP (detail set) for what is not that
 * answer.
 */
int	tly_api_evidence_read(const struct tly_json *root, size_t max,
	    struct tly_api_evidence *ev);

/* One head (current version) of a conflicting record key. */
struct tly_api_cfhead {
	char		*record;		/* record id (owned) */
	uint8_t		 device[TLY_PK_LEN];	/* its device */
	uint64_t	 seq;			/* its batch's seq */
	uint64_t	 chain;			/* supersede chain length */
	char		*counts;		/* counts string (owned) */
	char		*body;			/* the record's JSON (owned) */
};

/* One record key in conflict (PROTOCOL.md 12.4). */
struct tly_api_conflict {
	char			*area;		/* key: area (owned) */
	char			*level;		/* key: level (owned) */
	uint64_t		 round;		/* key: round */
	char			*winner;	/* provisional winner (owned) */
	struct tly_api_cfhead	*heads;		/* the heads, in key order */
	size_t			 nheads;
	/* The latest resolve decision, when a later head reopened the key: */
	char			*stale_record;	/* the record it chose (owned),
						   NULL: none */
	uint8_t			 stale_id[TLY_HASH_LEN];	/* its id */
	uint64_t		 stale_issued;	/* its issued */
	char			**stale_over;	/* the heads it chose among */
	size_t			 nstale_over;	/* entries in stale_over */
};

/* GET /v1/conflicts: owned; free with tly_api_conflicts_free(). */
struct tly_api_conflicts {
	struct tly_api_conflict	*c;		/* the keys in conflict */
	size_t			 n;
	int			 more;		/* more keys than these */
};

/* Free what cf holds and zero it. */
void	tly_api_conflicts_free(struct tly_api_conflicts *cf);

/*
 * Write cf as the object of GET /v1/conflicts: "conflicts", "more".
 * Each head's body is written as it is (it is a stored record's JSON).
 * Returns w's error.
 */
int	tly_api_conflicts_write(const struct tly_api_conflicts *cf,
	    struct tly_jw *w);

#endif /* TLY_API_MERGE_H */
