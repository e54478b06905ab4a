/*
 * election.h: election definitions, count records and the checks the law
 * requires.  Pure code: no I/O, no clock, no randomness; callers pass the
 * bytes and the time in.
 *
 * The definition format is in docs/ELECTION.md; the record format and
 * checks in docs/PROTOCOL.md section 5.
 */
#ifndef TLY_ELECTION_H
#define TLY_ELECTION_H

#include <stddef.h>
#include <stdint.h>

#include "common/json.h"

#define TLY_CAND_MAX	64	/* candidates per constituency */
#define TLY_SEATS_MAX	16	/* seats per constituency */
#define TLY_LEVELS_MAX	8	/* levels per election */
#define TLY_WARN_COUNT	7	/* W1 .. W7 */

/* ---- Election definition ------------------------------------------------ */

struct tly_election;	/* opaque, immutable once parsed */

/*
 * Parse a definition from p[0..len).  On success *ep is new: free with
 * tly_election_free().  On failure the detail names the JSON path of the
 * first error, e.g. "areas[3].constituencies.na: unknown constituency".
 */
int	tly_election_parse(const void *p, size_t len, struct tly_election **ep);
void	tly_election_free(struct tly_election *e);	/* NULL-safe */

const char *tly_election_id(const struct tly_election *e);
/* W3 threshold p: warn when 100 * invalid > p * received. */
uint64_t tly_election_invalid_warn_percent(const struct tly_election *e);

size_t	tly_election_nlevels(const struct tly_election *e);
const char *tly_election_level(const struct tly_election *e, size_t i);

size_t	tly_election_nconstituencies(const struct tly_election *e);
/* Constituencies are kept sorted by id.  Index or -1. */
long	tly_election_find_constituency(const struct tly_election *e,
	    const char *id);
const char *tly_constituency_id(const struct tly_election *e, size_t i);
const char *tly_constituency_level(const struct tly_election *e, size_t i);
unsigned tly_constituency_seats(const struct tly_election *e, size_t i);
size_t	tly_constituency_ncandidates(const struct tly_election *e, size_t i);
/* Candidates are kept sorted by id. */
const char *tly_constituency_candidate(const struct tly_election *e,
	    size_t i, size_t c);
/* Number of polling areas that belong to constituency i. */
size_t	tly_constituency_nareas(const struct tly_election *e, size_t i);

size_t	tly_election_nareas(const struct tly_election *e);
/* Areas are kept sorted by id.  Index or -1. */
long	tly_election_find_area(const struct tly_election *e, const char *id);
const char *tly_area_id(const struct tly_election *e, size_t a);
/* The area's constituency id at level, or NULL if it has none. */
const char *tly_area_constituency(const struct tly_election *e, size_t a,
	    const char *level);
/* Registered voters loaded for the area at level; 0 if not given. */
uint64_t tly_area_registered(const struct tly_election *e, size_t a,
	    const char *level);

/* ---- Count records ------------------------------------------------------- */

struct tly_vote {
	char		cand[TLY_ID_MAX + 1];	/* candidate id */
	uint64_t	votes;			/* votes on valid ballots */
};

/* One count record (PROTOCOL.md 5).  Strings are owned by the record. */
struct tly_record {
	char		area[TLY_ID_MAX + 1];		/* polling area id */
	char		level[TLY_ID_MAX + 1];		/* level id */
	char		constituency[TLY_ID_MAX + 1];	/* constituency id */
	uint64_t	round;		/* 1 = first round */
	uint64_t	registered;	/* R */
	uint64_t	voted;		/* T */
	uint64_t	issued;		/* I */
	uint64_t	received;	/* B */
	uint64_t	valid;		/* W */
	uint64_t	invalid;	/* X */
	size_t		nvotes;		/* entries used in votes[] */
	struct tly_vote	votes[TLY_CAND_MAX];	/* in the order given */
	size_t		nmarks;		/* 0 = no n_k breakdown given */
	uint64_t	marks[TLY_SEATS_MAX];	/* marks[k-1] = n_k */
	int		has_complaints;	/* complaints object present */
	uint64_t	c_received;	/* complaints received */
	uint64_t	c_settled;	/* complaints settled */
	uint64_t	c_forwarded;	/* complaints forwarded to the board */
	char		*c_outcome;	/* settlement outcome text or NULL */
	char		*explanations[TLY_WARN_COUNT];	/* [0] = W1; or NULL */
	int		has_photo;	/* photo hash present */
	uint8_t		photo[32];	/* BLAKE2b-256 of the paper photo */
	char		*note;		/* free text or NULL */
};

/* Zero a record for use. */
void	tly_record_init(struct tly_record *r);
/* Free the strings a record owns and zero it.  NULL-safe. */
void	tly_record_finish(struct tly_record *r);

/*
 * Read one record object (PROTOCOL.md 5) at node n; where is the path
 * prefix for errors ("records[3]").  Syntax and types only, no checks
 * against a definition.  r must be initialised; on error it is finished.
 */
int	tly_record_from_json(const struct tly_json *n, const char *where,
	    struct tly_record *r);
/* Parse one record from JSON text (used by the record fuzzer). */
int	tly_record_parse(const void *p, size_t len, struct tly_record *r);
/* Append the record as compact JSON in the canonical field order. */
void	tly_record_to_json(const struct tly_record *r, struct tly_jw *w);

/* ---- Checks (PROTOCOL.md 5.1) ------------------------------------------- */

struct tly_problem {
	size_t	index;		/* record index within the batch or request */
	char	rule[4];	/* "H2", "W1", ... */
	int	warning;	/* 1 for W rules */
	int	explained;	/* warning with an explanation given */
	char	fields[96];	/* comma-separated field names at fault */
	char	message[320];	/* human text with the numbers */
};

#define TLY_PROBLEMS_MAX	64

struct tly_problems {
	size_t			n;		/* entries used */
	size_t			dropped;	/* problems past the cap */
	struct tly_problem	p[TLY_PROBLEMS_MAX];
};

/*
 * Check record r (at position index) against definition e.  Appends
 * every problem found to out (which the caller zeroes first).  Returns
 * TLY_OK when the record may be signed: no hard failure and every warning
 * explained; otherwise TLY_E_RECORD with the detail set to the first
 * blocking problem ("record 0: H2: valid + invalid ...").
 */
int	tly_record_check(const struct tly_election *e,
	    const struct tly_record *r, size_t index, struct tly_problems *out);

#endif /* TLY_ELECTION_H */
