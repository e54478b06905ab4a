/*
 * gen.h: the model behind `tally gen`, a generator of realistic elections.
 *
 * gen_model.c builds the geography, the levels, the constituencies with
 * their seats, candidates and planned outcome, and the polling areas with
 * their voters and turnout.  gen_votes.c turns the plan into the count
 * record of every polling area at every level, and checks, by the rules
 * of Art. 78-80, that the records sum to the planned outcome.
 * cmd_gen.c parses the options and writes the files.
 *
 * Everything is a function of the seed: the same seed and size give the
 * same bytes on every machine (integer arithmetic and a fixed generator).
 */
#ifndef TLY_CLI_GEN_H
#define TLY_CLI_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "election/election.h"

#define GEN_LEVELS	4	/* levels at most (law-2015) */
#define GEN_CAND	12	/* candidates per constituency at most */
#define GEN_SEATS	5	/* seats per constituency at most */

/* Sizes of election. */
enum gen_size {
	GEN_COMMUNE,		/* one commune, a few polling areas */
	GEN_PROVINCE,		/* Thai Nguyen 2021 */
	GEN_NATIONAL,		/* the whole country, three levels (2026) */
	GEN_NATIONAL_2021	/* the whole country, four levels (2021) */
};

/* Planned outcome of a constituency (the central's status names). */
enum gen_plan {
	GEN_DETERMINED,		/* winners fill the seats, or a vacancy */
	GEN_ADDITIONAL,			/* NEEDS_ADDITIONAL_ELECTION */
	GEN_REELECTION,			/* NEEDS_REELECTION: turnout <= 50% */
	GEN_TIEBREAK			/* MANUAL_TIEBREAK at the cut-off */
};

/* A deterministic pseudo-random generator (splitmix64). */
struct gen_rng {
	uint64_t	s;		/* state */
};

/* One candidate. */
struct gen_cand {
	char		id[32];		/* "<constituency>.<n>" */
	char		name[96];	/* full name, UTF-8 */
	char		born[11];	/* YYYY-MM-DD */
	int		role;		/* GEN_ROLE_* below */
};

#define GEN_ROLE_LOSER	0	/* planned not eligible: 2 * V <= W */
#define GEN_ROLE_WINNER	1	/* planned eligible and elected */
#define GEN_ROLE_TIE	2	/* eligible, tied at the cut-off */

/* One constituency. */
struct gen_const {
	char		id[24];		/* "NA-01", "P-01", "D-01", "C-0001" */
	char		name[128];	/* display name */
	unsigned	level;		/* index into the model's levels */
	unsigned	seats;		/* S */
	unsigned	ncand;		/* candidates */
	struct gen_cand	cand[GEN_CAND];	/* numbered from 1, in order */
	int		plan;		/* enum gen_plan */
	unsigned	winners;	/* planned winners k */
	int		targeted;	/* named by --target */
	size_t		nareas;		/* polling areas in it */
	/* Sums over the generated records, for the self-check. */
	uint64_t	sum_r;		/* registered */
	uint64_t	sum_t;		/* voted */
	uint64_t	sum_w;		/* valid */
	uint64_t	sum_v[GEN_CAND];	/* votes per candidate */
};

/* One polling area. */
struct gen_area {
	char		id[16];		/* "KV-0001" */
	unsigned	number;		/* its number within the commune */
	size_t		commune;	/* index into the model's communes */
	size_t		cons[GEN_LEVELS];	/* constituency per level */
	uint64_t	registered;	/* R, the same at every level */
	uint64_t	voted[GEN_LEVELS];	/* T per level */
	int		low;		/* turnout below half (re-election) */
};

/* A place: province, district or commune. */
struct gen_place {
	char		name[64];	/* display name, UTF-8 */
	size_t		parent;		/* index of the enclosing place */
	size_t		first;		/* first child: district, commune, area */
	size_t		nchild;		/* children */
};

/* One level of the election. */
struct gen_level {
	const char	*id;		/* "na", "province", ... */
	const char	*name;		/* display name */
	int		na;		/* kind na (else council) */
};

/* The whole generated election. */
struct gen_model {
	int		size;		/* enum gen_size */
	uint64_t	seed;		/* --seed */
	char		id[48];		/* election id */
	unsigned	nlevels;	/* levels */
	struct gen_level level[GEN_LEVELS];	/* levels in display order */
	size_t		nprov, ndist, ncomm;	/* places of each kind */
	struct gen_place *prov;		/* provinces */
	struct gen_place *dist;		/* districts */
	struct gen_place *comm;		/* communes */
	size_t		nconst;		/* constituencies */
	struct gen_const *cons;		/* sorted by level, then id */
	size_t		nareas;		/* polling areas */
	struct gen_area	*areas;		/* sorted by id */
};

/* One --target: a constituency and the status it must end with. */
struct gen_target {
	const char	*cons;		/* constituency id */
	int		plan;		/* enum gen_plan */
};

/* ---- gen_model.c --------------------------------------------------------- */

/* Next pseudo-random number; a number in lo..hi (inclusive). */
uint64_t gen_rand(struct gen_rng *r);
uint64_t gen_range(struct gen_rng *r, uint64_t lo, uint64_t hi);

/* The status name of a plan ("DETERMINED", ...). */
const char *gen_plan_name(int plan);
/* The plan of a status name, or -1. */
int	gen_plan_parse(const char *name);

/*
 * Build the model of size for seed, then apply the targets.  On error
 * the detail says why (an unknown constituency, a target that cannot be
 * met).  Free with gen_model_free().
 */
int	gen_model_build(int size, uint64_t seed, const struct gen_target *t,
	    size_t nt, struct gen_model **mp);
void	gen_model_free(struct gen_model *m);	/* NULL-safe */

/* Index of constituency id, or -1. */
long	gen_model_find(const struct gen_model *m, const char *id);

/* ---- gen_votes.c --------------------------------------------------------- */

/*
 * Fill r with the count record of area a at level l, round 1, and add
 * it to the constituency's sums.  r must be initialised.
 */
int	gen_record(struct gen_model *m, size_t a, unsigned l,
	    struct tly_record *r);

/*
 * Decide every constituency from the sums by Art. 78-80 and compare
 * with the plan.  TLY_E_INVAL with the detail naming the first
 * constituency that does not come out as planned.
 */
int	gen_verify(const struct gen_model *m);

#endif /* TLY_CLI_GEN_H */
