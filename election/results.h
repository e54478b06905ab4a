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
