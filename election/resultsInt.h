/*
 * resultsInt.h: what results.c (the decisions), results_input.c (the
 * slim inputs), results_live.c (live results, sums and copies) and
 * results_json.c (the JSON bodies) share, and nobody
 * else: the layout of struct tly_results and the helpers they use.  Only
 * the files of election/ include this.
 */
#ifndef TLY_RESULTS_INT_H
#define TLY_RESULTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "election/election.h"
#include "election/results.h"

typedef unsigned __int128 u128;

/* The deciding figures of one polling area at one level. */
struct alev {
	uint64_t	 R, T, W, X;	/* registered, voted, valid, invalid */
	uint8_t		 reporting;	/* a record for the deciding round */
	uint8_t		 disputed;	/* that record is disputed */
};

/* One constituency's result. */
struct cres {
	uint64_t	 round;		/* the round whose records decide it */
	uint64_t	 R, T, W, X;	/* sums over its deciding records */
	size_t		 voff;		/* its candidates' votes in votes[] */
	uint32_t	 nareas;	/* polling areas */
	uint32_t	 reporting;	/* areas with a deciding record */
	uint8_t		 status;	/* enum tly_status */
	uint8_t		 phase2;	/* decided by an additional election */
	uint8_t		 nw1;		/* first-round winners (phase 2) */
	uint8_t		 nwin;		/* entries used in win[] */
	uint8_t		 win[TLY_SEATS_MAX]; /* candidate indexes, rank order */
};

/* Totals of one level, or of one level within a place. */
struct lsum {
	uint64_t	 cons;		/* constituencies */
	uint64_t	 areas;		/* polling areas */
	uint64_t	 reporting;	/* areas with a deciding record */
	uint64_t	 seats;		/* seats */
	uint64_t	 filled;	/* seats filled */
	uint64_t	 R, T, W, X;	/* sums */
	uint64_t	 st[TLY_ST_COUNT_]; /* constituencies per status */
};

/* The level sums as they are added up: exact, clamped when shown. */
struct lacc {
	uint64_t	 cons, areas, reporting, seats, filled;
	u128		 R, T, W, X;
	uint64_t	 st[TLY_ST_COUNT_];
};

struct area_round;
struct item;

/* What updating needs besides the results: kept by tly_results_create(). */
struct upd {
	uint64_t		*cmain;	/* per constituency: re-election round */
	uint64_t		*cadd;	/* per constituency: additional round */
	uint64_t		*creadd; /* per constituency: re-election of
					   the additional election, or 0 */
	struct area_round	*ar;	/* re-elections naming an area */
	size_t			 nar;	/* entries in ar[] */
	const struct item	**main;	/* per area of c: main-phase record */
	const struct item	**add;	/* per area of c: additional record */
	uint8_t			*mdup;	/* per area of c: key given twice */
	uint8_t			*adup;	/* same, additional round */
	uint64_t		*cver;	/* per constituency: the update
					   (ver) that last decided it */
	struct lacc		 acc[TLY_LEVELS_MAX]; /* the level sums */
};

struct tly_results {
	const struct tly_election *e;	/* borrowed: must outlive this */
	size_t		 ncons;		/* constituencies */
	size_t		 nareas;	/* polling areas */
	size_t		 nlevels;	/* levels */
	struct cres	*c;		/* per constituency, definition order */
	uint64_t	*votes;		/* deciding votes per candidate */
	size_t		 nvotes;	/* entries in votes[] */
	struct alev	*al;		/* [area * nlevels + level] */
	size_t		*coff;		/* areas of c: carea[coff[c]..coff[c+1]) */
	size_t		*carea;		/* area indexes, ascending */
	struct lsum	 lv[TLY_LEVELS_MAX]; /* per level */
	struct upd	*u;		/* work space to update; NULL in copies */
	uint64_t	 serial;	/* of the live results (copies: the
					   ones they were copied from) */
	uint64_t	 ver;		/* updates made (copies: when copied) */
};

/* Outcome of deciding seats among some candidates. */
struct decision {
	size_t	 n;			/* candidates considered */
	size_t	 cand[TLY_CAND_MAX];	/* them, in rank order */
	size_t	 eligible;		/* rank prefix with 2 * v > W */
	size_t	 nwin;			/* rank prefix elected */
	size_t	 tie_lo, tie_hi;	/* cand[lo..hi): unresolved tie */
};

/* results.c */

/* *acc += v, saturating (sums of checked records never get near). */
void	elec_sat_add(uint64_t *acc, uint64_t v);
/*
 * Decide m seats among the candidates of ci for which skip[c] is 0, with
 * votes v and W valid ballots (Art. 78(2)-(4)).
 */
void	elec_decide(const struct tly_election *e, size_t ci,
	    const uint64_t *v, uint64_t W, unsigned m, const uint8_t *skip,
	    struct decision *d);
/* Free the work space u; NULL-safe. */
void	elec_upd_free(struct upd *u);
/* tly_results_create() without the level sums. */
int	elec_results_new(const struct tly_election *e,
	    struct tly_results **rp);
/* tly_results_update() without the level sums. */
int	elec_results_decide(struct tly_results *r, size_t ci,
	    const struct tly_result_slim *const *in, size_t n);

/* results_live.c */

/* Add constituency c's result to the level sums s. */
void	elec_lsum_add_cons(const struct tly_results *res, size_t c,
	    struct lsum *s);
/* Add up res's level sums again and free its work space: the end of
 * tly_results_compute(), after which res cannot be updated. */
void	elec_results_finish(struct tly_results *res);


#endif /* TLY_RESULTS_INT_H */
