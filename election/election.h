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

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"

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
/*
 * Validate a definition and report every error found, not only the first:
 * report(arg, "path: message") is called once per error, in file order
 * within each part.  Returns TLY_OK when the definition is valid,
 * TLY_E_VERSION for an unknown format, TLY_E_DEFINITION otherwise
 * (TLY_E_NOMEM when memory runs out).  Errors are capped at
 * TLY_VALIDATE_MAX reports; the last one then says how many were left out.
 */
#define TLY_VALIDATE_MAX	1000
int	tly_election_validate(const void *p, size_t len,
	    void (*report)(void *arg, const char *path_and_message), void *arg);

const char *tly_election_id(const struct tly_election *e);
const char *tly_election_name(const struct tly_election *e);
/* Election day, "YYYY-MM-DD". */
const char *tly_election_date(const struct tly_election *e);
/* "law-2015" or "amend-2025". */
const char *tly_election_rules(const struct tly_election *e);
/* W3 threshold p: warn when 100 * invalid > p * received. */
uint64_t tly_election_invalid_warn_percent(const struct tly_election *e);
/* W4 threshold q: warn when 100 * |T_a - T_b| > q * max(T_a, T_b). */
uint64_t tly_election_turnout_spread_warn_percent(
	    const struct tly_election *e);

/* Kind of a level. */
#define TLY_LEVEL_NA		0	/* National Assembly */
#define TLY_LEVEL_COUNCIL	1	/* People's Council */

size_t	tly_election_nlevels(const struct tly_election *e);
const char *tly_election_level(const struct tly_election *e, size_t i);
/* Index of level id, or -1. */
long	tly_election_find_level(const struct tly_election *e, const char *id);
const char *tly_level_name(const struct tly_election *e, size_t i);
/* TLY_LEVEL_NA or TLY_LEVEL_COUNCIL (-1 when out of range). */
int	tly_level_kind(const struct tly_election *e, size_t i);
/*
 * Fewest candidates the law allows for a constituency of seats seats at a
 * level of kind (TLY_LEVEL_NA or TLY_LEVEL_COUNCIL): Art. 57 and 58.
 */
size_t	tly_election_min_candidates(int kind, unsigned seats);

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
const char *tly_constituency_name(const struct tly_election *e, size_t i);
/* Index of the level of constituency i (in tly_election_level order). */
size_t	tly_constituency_level_index(const struct tly_election *e, size_t i);
/* Name and date of birth ("YYYY-MM-DD") of candidate c of constituency i. */
const char *tly_candidate_name(const struct tly_election *e, size_t i,
	    size_t c);
const char *tly_candidate_born(const struct tly_election *e, size_t i,
	    size_t c);
/* Index of candidate id in constituency i (binary search), or -1. */
long	tly_constituency_find_candidate(const struct tly_election *e,
	    size_t i, const char *id);

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
/* 1 and *np set when a voter-list figure is loaded for area a at level
 * index l (W5); else 0. */
int	tly_area_registered_at(const struct tly_election *e, size_t a,
	    size_t l, uint64_t *np);
const char *tly_area_name(const struct tly_election *e, size_t a);
/* 1 when area a is marked remote (exempt from W6's 1..4,000 rule). */
int	tly_area_remote(const struct tly_election *e, size_t a);
/* Administrative path of area a: npath components, largest first. */
size_t	tly_area_npath(const struct tly_election *e, size_t a);
const char *tly_area_path(const struct tly_election *e, size_t a, size_t k);
/* Index of area a's constituency at level index l. */
size_t	tly_area_constituency_index(const struct tly_election *e, size_t a,
	    size_t l);

/* ---- A definition read as a stream (definition_stream.c) ---------------- */

/*
 * Where the bytes of a definition come from, for a reader that keeps no
 * copy of the file: read() puts up to max bytes into buf and sets *got
 * (0 at the end of the file); rewind() starts again at the first byte.
 * Both return TLY_OK or an error, which ends the reading.  Every pass
 * reads the whole file once, so a caller that hashes what read() hands
 * out can check that each pass saw the same bytes.
 */
struct tly_election_source {
	int	(*read)(void *arg, void *buf, size_t max, size_t *got);
					/* the next bytes */
	int	(*rewind)(void *arg);	/* back to the first byte */
	void	*arg;			/* their argument */
};

/* The polling areas a reader keeps. */
struct tly_election_scope {
	int		 all;		/* every area (then areas is unused) */
	size_t		 nareas;	/* entries in areas */
	const char	(*areas)[TLY_ID_MAX + 1];
					/* area ids, sorted by strcmp */
};

/*
 * Read a definition from src keeping only the areas of scope, their
 * constituencies (with their candidates) and the rounds entries that
 * name one of those or nothing, besides the top level and the levels.
 * Every byte passes the JSON rules of PROTOCOL.md 1; what is kept is
 * then read by tly_election_parse(), with every rule of docs/ELECTION.md.
 * A top-level member or an element of "constituencies", "areas" or
 * "rounds" over TLY_ELECTION_PIECE_MAX bytes is refused.
 *
 * doc (emptied first; its cap bounds the result) gets the kept text: the
 * exact bytes of the kept members and elements, in file order (with
 * scope->all, the file itself, byte for byte).  *ep is
 * new, parsed from doc: free with tly_election_free().  Two passes over
 * src (one when scope->all).  A scope that names no area of the file is
 * TLY_E_DEFINITION.  Errors as tly_election_parse(), or the source's.
 */
int	tly_election_read_scope(const struct tly_election_source *src,
	    const struct tly_election_scope *scope, struct tly_buf *doc,
	    struct tly_election **ep);
/*
 * 1 when e was read with a scope that left some areas (or constituencies,
 * or rounds entries) out: a lookup that fails may name something of the
 * file that is not held.  0 for tly_election_parse().
 */
int	tly_election_partial(const struct tly_election *e);

/* ---- Rounds (docs/ELECTION.md section 5) -------------------------------- */

#define TLY_ROUND_FIRST		0	/* round 1, everywhere */
#define TLY_ROUND_ADDITIONAL	1	/* Art. 79, one constituency */
#define TLY_ROUND_REELECTION	2	/* Art. 80, a constituency or one area */
#define TLY_ROUND_READDITIONAL	3	/* Art. 80 after Art. 79: the additional
					   election of one constituency again */

/* Entries of "rounds" as given (round 1 is implicit when not listed). */
size_t	tly_election_nrounds(const struct tly_election *e);
uint64_t tly_round_number(const struct tly_election *e, size_t i);
int	tly_round_kind(const struct tly_election *e, size_t i);
/* Constituency / area index the entry names, or -1 when not given. */
long	tly_round_constituency(const struct tly_election *e, size_t i);
long	tly_round_area(const struct tly_election *e, size_t i);
/* For TLY_ROUND_READDITIONAL: the additional round it repeats; else 0. */
uint64_t tly_round_repeats(const struct tly_election *e, size_t i);
/*
 * Kind of round number round for the record key (area a, level index l):
 * TLY_ROUND_FIRST for round 1, the kind of the entry covering that key
 * otherwise, or -1 when no announced round covers it.
 */
int	tly_election_round_covers(const struct tly_election *e,
	    uint64_t round, size_t a, size_t l);
/*
 * Submission deadline (W7) of the record key (round, area a, level index
 * l), as Unix seconds: that of the one entry covering the key (for round
 * 1: the top-level "deadline" or the "first" entry's, never both).  1 and
 * *tp set when that entry gives one; 0 otherwise, also when no entry
 * covers the key.  Siblings of the same round number never lend theirs.
 */
int	tly_election_deadline(const struct tly_election *e, uint64_t round,
	    size_t a, size_t l, uint64_t *tp);

/* ---- Texts (PROTOCOL.md 5.2) --------------------------------------------- */

#define TLY_TEXT_LINE		1	/* one line: no TAB, LF or other control */
#define TLY_TEXT_EXPLAINS	2	/* holds at least one letter or digit */

/*
 * What is wrong with text s (NUL-terminated, already a text of
 * PROTOCOL.md section 1), or NULL when nothing is.  Bidi controls
 * (U+202A-202E, U+2066-2069, U+200E, U+200F, U+061C) are always
 * refused; flags add TLY_TEXT_LINE and TLY_TEXT_EXPLAINS.  The answer
 * is a static phrase for messages ("a bidi control character ...").
 */
const char *tly_text_fault(const char *s, int flags);
/*
 * Decode the UTF-8 code point at s; *np gets its length in bytes (1 for
 * an invalid byte, which decodes as U+FFFD).  s must hold a complete
 * sequence or a NUL.
 */
uint32_t tly_text_decode(const char *s, size_t *np);
/*
 * Display width of UTF-8 text s in terminal columns: one per code point,
 * none for combining marks (Mn) and format characters, two for wide East
 * Asian characters.
 */
size_t	tly_text_width(const char *s);

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
	size_t		nsupersedes;	/* entries used in supersedes[] */
	char		supersedes[TLY_SUPERSEDES_MAX][80];
					/* record ids this record replaces */
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
/* 1 if s is a record id: 64 lowercase hex, ':', an index 0..255 written
 * without leading zeros (PROTOCOL.md 4); else 0. */
int	tly_record_id_valid(const char *s);
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

/*
 * What a check needs beyond one record (W4, W7).  Initialise with
 * tly_check_ctx_init(), then add the records the caller holds for the
 * same polling area (other levels, same round): those of the same batch
 * and those already stored.  Entries for other areas, other rounds or the
 * record's own level are ignored, so adding every record of a batch is
 * fine.
 */
#define TLY_CHECK_PEERS_MAX	32

/* One other record's turnout figure. */
struct tly_check_peer {
	char		area[TLY_ID_MAX + 1];	/* polling area id */
	char		level[TLY_ID_MAX + 1];	/* level id */
	uint64_t	round;			/* round number */
	uint64_t	voted;			/* its T */
};

struct tly_check_ctx {
	uint64_t	now;		/* submission time, Unix seconds;
					   0 = unknown, no W7 */
	size_t		npeers;		/* entries used in peers[] */
	struct tly_check_peer peers[TLY_CHECK_PEERS_MAX];
					/* other levels' figures (W4) */
};

/* Zero ctx and set its time (Unix seconds, 0 for none). */
void	tly_check_ctx_init(struct tly_check_ctx *ctx, uint64_t now);
/* Add record r's figures; TLY_E_TOO_LARGE when ctx is full. */
int	tly_check_ctx_add(struct tly_check_ctx *ctx,
	    const struct tly_record *r);

/*
 * tly_record_check() with context: also W4 (against ctx's peers) and W7
 * (ctx->now after the round's deadline).  ctx may be NULL, which is
 * exactly tly_record_check().
 */
int	tly_record_check_ctx(const struct tly_election *e,
	    const struct tly_record *r, size_t index,
	    const struct tly_check_ctx *ctx, struct tly_problems *out);

#endif /* TLY_ELECTION_H */
