/*
 * results.h: deciding constituencies (Art. 78-80 of Law 85/2015/QH13)
 * from the current count records, and the results API bodies.
 *
 * Pure code: integers only, no I/O, no clock.  The rules as implemented
 * and the JSON are in docs/RESULTS.md.
 */
#ifndef TLY_RESULTS_H
#define TLY_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "election/election.h"

/* One record key's current state, as the central's merge decides it. */
struct tly_result_input {
	const struct tly_record *rec;	/* agreed record, or the provisional
					   winner; only borrowed */
	unsigned	confirmations;	/* distinct devices whose heads agree
					   (double entry) */
	int		disputed;	/* the key's heads differ */
};

/*
 * The slim input of one record key: only what deciding reads, placed in
 * the definition (tly_results_slim_create() makes it from a record).
 * About a twentieth of a struct tly_record at national scale.
 */
struct tly_result_slim {
	uint64_t	round;		/* round number */
	uint64_t	R, T, W, X;	/* registered, voted, valid, invalid */
	uint32_t	area;		/* area index (definition order) */
	uint32_t	cons;		/* constituency index */
	uint32_t	confirmations;	/* as in struct tly_result_input */
	uint8_t		disputed;	/* as in struct tly_result_input */
	uint8_t		nv;		/* entries in v[]: cons's candidates */
	uint64_t	v[];		/* votes per candidate index of cons */
};

/* Constituency statuses; the JSON strings are the names without TLY_ST_. */
enum tly_status {
	TLY_ST_INCOMPLETE,		/* some polling area has no record */
	TLY_ST_NEEDS_REELECTION,	/* Art. 80: 2*T <= R */
	TLY_ST_RECOGNISED_LOW_TURNOUT,	/* 2*T <= R in a re-election: stands */
	TLY_ST_DETERMINED,		/* final */
	TLY_ST_NEEDS_ADDITIONAL_ELECTION, /* Art. 79 */
	TLY_ST_MANUAL_TIEBREAK,		/* Art. 78(4) tie, same birth date */
	TLY_ST_DISPUTED,		/* an input is disputed */
	TLY_ST_COUNT_			/* number of statuses */
};

/* JSON name of status s ("DETERMINED", ...), or NULL when out of range. */
const char *tly_status_name(int s);

struct tly_results;	/* opaque */

/*
 * Pure and deterministic: the output depends only on the SET of inputs,
 * never their order.  Inputs whose record names an area, level or
 * constituency the definition lacks (or that does not match it), or a
 * round that does not cover the area, are ignored.  The records are only
 * read during the call; *rp holds no pointer to them, but keeps e, which
 * must outlive it.  *rp: new, free
 * with tly_results_free().  Cost O(n log n) in inputs plus definition.
 */
int	tly_results_compute(const struct tly_election *e,
	    const struct tly_result_input *in, size_t n,
	    struct tly_results **rp);
void	tly_results_free(struct tly_results *r);	/* NULL-safe */

/*
 * The slim input of in->rec with in's confirmations and dispute, placed
 * in e: votes for names that are not candidates of its constituency are
 * dropped.  *sp: new, free with tly_results_slim_destroy().  Returns
 * TLY_E_NOTFOUND (*sp NULL) for an input tly_results_compute() ignores.
 */
int	tly_results_slim_create(const struct tly_election *e,
	    const struct tly_result_input *in, struct tly_result_slim **sp);
void	tly_results_slim_destroy(struct tly_result_slim *s);	/* NULL-safe */

/*
 * Incremental results.  tly_results_create() makes the results of no
 * input at all; tly_results_update() decides constituency ci again from
 * its n slim inputs (those of another constituency are ignored), in
 * O(n log n + areas of ci), and keeps the level sums up to date.  Serve
 * a tly_results_copy(), never r itself.  After
 * updating every constituency from its inputs, the copy is byte for
 * byte what tly_results_compute() gives for all of them.  Inputs are only
 * read during the call.  One update at a time on one r (it keeps its
 * work space); copies cannot be updated (TLY_E_INVAL).
 * *rp, *cp: new, free with tly_results_free(); e must outlive them.
 */
int	tly_results_create(const struct tly_election *e,
	    struct tly_results **rp);
int	tly_results_update(struct tly_results *r, size_t ci,
	    const struct tly_result_slim *const *in, size_t n);
int	tly_results_copy(const struct tly_results *r, struct tly_results **cp);
/*
 * Copy r again into cp, an earlier copy of results of the same
 * definition that nothing reads any more, reusing its memory: cp is
 * then what tly_results_copy() would give.  When cp was copied from r
 * itself, only the constituencies updated since are copied.
 * TLY_E_INVAL when cp is not such a copy (it is left as it was).
 */
int	tly_results_copy_into(const struct tly_results *r,
	    struct tly_results *cp);

/* Status of constituency index ci (definition order); -1 out of range. */
int	tly_results_status(const struct tly_results *r, size_t ci);
/* Seats filled in constituency ci so far (see docs/RESULTS.md). */
unsigned tly_results_seats_filled(const struct tly_results *r, size_t ci);

/*
 * JSON bodies of the results API (docs/RESULTS.md), appended to w.
 *
 * tly_results_summary_json() appends MEMBERS to an object the caller has
 * opened (after writing "election" and "mode"): "levels", and with level
 * non-NULL only that level plus "constituencies" (TLY_E_NOTFOUND for an
 * unknown level).  The caller closes the object.
 * The other two append one complete object each.
 * Return TLY_OK, TLY_E_NOTFOUND (nothing written), or the writer's
 * first error; the caller ends with tly_jw_finish() as usual.
 */
int	tly_results_summary_json(const struct tly_results *r,
	    const char *level, struct tly_jw *w);
int	tly_results_constituency_json(const struct tly_results *r,
	    const char *id, struct tly_jw *w);
/* path: administrative path components joined by "/" (already decoded);
 * "" is the whole election. */
int	tly_results_area_json(const struct tly_results *r, const char *path,
	    struct tly_jw *w);

#endif /* TLY_RESULTS_H */
