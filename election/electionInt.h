/*
 * electionInt.h: what the files of the election definition share, and
 * nobody else: the parsed definition's layout and the parser's helpers.
 * Only the files of election/ include this; everyone else uses
 * election.h.
 *
 *   definition.c        the parser: top level, levels, constituencies,
 *                       candidates and areas; tly_election_parse,
 *                       tly_election_validate (every error) and free
 *   definition_round.c  "rounds" (Art. 79, 80; W7), called by definition.c
 *   definition_read.c   the helpers both build on: errors, arena, ids,
 *                       texts, dates, deadlines, arrays
 *   definition_get.c    the accessors of election.h (binary searches)
 *   definition_stream.c a definition read in chunks, keeping some areas
 *                       (tly_election_read_scope); calls definition.c
 *
 * Calls go downwards only: definition_stream.c -> definition.c ->
 * definition_round.c -> definition_read.c, and any of them ->
 * definition_get.c.
 *
 * The parsed definition keeps levels in the order given, and
 * constituencies, candidates and polling areas sorted by id, so that
 * every lookup is a binary search.  All strings live in a small arena
 * owned by the definition.
 */
#ifndef TLY_ELECTION_INT_H
#define TLY_ELECTION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "election/election.h"

#define PATH_MAX_PARTS	4	/* province, district, commune, ... */
#define WHERE_LEN	192	/* room for a JSON path in messages */

enum level_kind { KIND_NA = TLY_LEVEL_NA, KIND_COUNCIL = TLY_LEVEL_COUNCIL };
enum rules { RULES_LAW_2015, RULES_AMEND_2025 };
enum round_kind { ROUND_FIRST = TLY_ROUND_FIRST,
    ROUND_ADDITIONAL = TLY_ROUND_ADDITIONAL,
    ROUND_REELECTION = TLY_ROUND_REELECTION,
    ROUND_READDITIONAL = TLY_ROUND_READDITIONAL };

/* One block of the string arena. */
struct block {
	struct block	*next;	/* older block */
	size_t		 used;	/* bytes handed out */
	size_t		 size;	/* bytes in data[] */
	char		 data[];	/* the strings */
};

/* A level (National Assembly, province, ...). */
struct level {
	const char	*id;	/* level id */
	const char	*name;	/* display name */
	int		 kind;	/* enum level_kind */
};

/* A candidate on a constituency's list. */
struct cand {
	const char	*id;		/* candidate id */
	const char	*name;		/* full name */
	char		 born[11];	/* date of birth, YYYY-MM-DD */
	size_t		 pos;		/* index in the JSON array, for errors */
};

/* A constituency (one election board's area) at one level. */
struct cons {
	const char	*id;		/* constituency id */
	const char	*name;		/* display name */
	size_t		 level;		/* index into levels[] */
	unsigned	 seats;		/* seats to fill */
	size_t		 ncand;		/* candidates */
	struct cand	*cand;		/* into the election's cands[]; by id */
	size_t		 nareas;	/* polling areas that belong to it */
	size_t		 pos;		/* index in the JSON array, for errors */
};

/* A polling area. */
struct area {
	const char	*id;			/* area id */
	const char	*name;			/* display name */
	size_t		 npath;			/* entries used in path[] */
	const char	*path[PATH_MAX_PARTS];	/* province ... commune */
	int		 remote;		/* exempt from the size rule */
	size_t		 cons[TLY_LEVELS_MAX];	/* constituency per level */
	uint64_t	 registered[TLY_LEVELS_MAX]; /* voters per level */
	unsigned	 has_registered;	/* bit l: registered[l] given */
	size_t		 pos;			/* index in the JSON array */
};

/* A round announced in the definition. */
struct round {
	uint64_t	 round;		/* round number, 1.. */
	int		 kind;		/* enum round_kind */
	const char	*constituency;	/* constituency id or NULL */
	const char	*area;		/* area id or NULL */
	long		 ci;		/* constituency index or -1 */
	long		 ai;		/* area index or -1 */
	uint64_t	 repeats;	/* ROUND_READDITIONAL: the additional
					   round it repeats; else 0 */
	int		 has_deadline;	/* deadline given */
	uint64_t	 deadline;	/* W7 deadline, Unix seconds */
	size_t		 pos;		/* index in the JSON array */
};

struct tly_election {
	const char	*id;		/* election id */
	const char	*name;		/* display name */
	char		 date[11];	/* election day, YYYY-MM-DD */
	int		 rules;		/* enum rules */
	uint64_t	 warn;		/* invalid_warn_percent (W3) */
	uint64_t	 spread;	/* turnout_spread_warn_percent (W4) */
	int		 has_deadline;	/* top-level deadline given */
	uint64_t	 deadline;	/* round 1's W7 deadline, Unix seconds */
	size_t		 nlevels;	/* entries used in levels[] */
	struct level	 levels[TLY_LEVELS_MAX];	/* in the order given */
	size_t		 ncons;		/* constituencies */
	struct cons	*cons;		/* sorted by id */
	size_t		 ncands;	/* candidates over all constituencies */
	struct cand	*cands;		/* every candidate list, end to end */
	size_t		 nareas;	/* polling areas */
	struct area	*areas;		/* sorted by id */
	size_t		 nrounds;	/* entries in rounds[] */
	struct round	*rounds;	/* in the order given */
	struct block	*arena;		/* newest string block */
	int		 partial;	/* read for a scope that left
					   something out (definition_stream.c) */
	/* Set only while tly_election_validate() runs: */
	void		(*report)(void *, const char *); /* error sink */
	void		*rarg;		/* its argument */
	size_t		 nerrors;	/* errors reported */
	int		 area_reported;	/* the current area's errors are out */
	int		 quiet;		/* the next error follows from one
					   already reported: drop it */
	const char	**failed;	/* ids of dropped elements, "c:" or
					   "a:" then the id */
	size_t		 nfailed;	/* entries used in failed[] */
	size_t		 failedcap;	/* entries allocated */
};

/* definition_read.c: below definition.c and definition_round.c */

/*
 * In validation mode, report the error r just failed with and return
 * TLY_OK so the caller carries on with the next element; otherwise (or
 * for errors that are not about content) return r unchanged.
 */
int		 elec_soft(struct tly_election *e, int r);
/* Copy s into the election's arena; NULL when out of memory. */
const char	*elec_arena_strdup(struct tly_election *e, const char *s);
/*
 * Validation mode: remember that the element of kind 'c' (constituency)
 * or 'a' (area) with this id was dropped for an error already reported,
 * so that references to it are not reported again.  A no-op otherwise.
 */
int		 elec_note_failed(struct tly_election *e, char kind,
		    const char *id);
/*
 * 1 if id of kind 'c' or 'a' was dropped (elec_note_failed); then the
 * caller's next error is a follow-on, which elec_soft() drops.
 */
int		 elec_follows(struct tly_election *e, char kind,
		    const char *id);
/* 1 if s is a calendar date written YYYY-MM-DD (years 1000..9999). */
int		 elec_valid_date(const char *s);
/* Read required member name of obj as an id copied into the arena. */
int		 elec_get_id(struct tly_election *e, const struct tly_json *obj,
		    const char *where, const char *name, const char **out);
/* A definition's text t (at path) is one line without bidi controls. */
int		 elec_text_rule(const char *path, const char *t);
/* Read required member name of obj as a text (one line, no bidi
 * controls) copied into the arena. */
int		 elec_get_text(struct tly_election *e,
		    const struct tly_json *obj, const char *where,
		    const char *name, const char **out);
/* Read required member name of obj as a YYYY-MM-DD date into out. */
int		 elec_get_date(const struct tly_json *obj, const char *where,
		    const char *name, char out[11]);
/*
 * Require member name of obj to be a non-empty array of at most max
 * elements; *np gets it.  With optional set, a missing member gives
 * *np = NULL.
 */
int		 elec_get_array(const struct tly_json *obj, const char *where,
		    const char *name, size_t max, int optional,
		    const struct tly_json **np);
/*
 * Read a deadline (member name of obj at where): an integer (Unix
 * seconds) or a string "YYYY-MM-DDTHH:MM:SS" followed by "Z" or an
 * offset "+HH:MM" / "-HH:MM".
 */
int		 elec_get_deadline(const struct tly_json *obj,
		    const char *where, const char *name, uint64_t *tp);

/* definition_round.c: called by definition.c */

/* Parse the optional "rounds". */
int		 elec_parse_rounds(struct tly_election *e,
		    const struct tly_json *root);

/* definition_get.c */

/* Index of level id in e, or -1. */
long		 elec_level_index(const struct tly_election *e, const char *id);

/*
 * Arrays of levels, candidates, constituencies and areas are sorted by id
 * and searched through their first member, `const char *id`.
 */
_Static_assert(offsetof(struct cand, id) == 0, "id first in struct cand");
_Static_assert(offsetof(struct cons, id) == 0, "id first in struct cons");
_Static_assert(offsetof(struct area, id) == 0, "id first in struct area");

/* qsort comparator for any of those structs: by id. */
int	elec_cmp_id(const void *a, const void *b);
/* Index of id in base[0..n) (elements of size bytes, sorted by id), or -1. */
long	elec_find_id(const void *base, size_t n, size_t size, const char *id);

#endif /* TLY_ELECTION_INT_H */
