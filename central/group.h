/*
 * group.h: group commit of uploads (PROTOCOL.md 8.1, 8.5).  Requests are
 * queued; the first queued thread that finds no writer at work becomes
 * the writer, applies every request queued so far in one transaction,
 * COMMITs, hands the writer's role on, syncs, and only then are the
 * requests of its group answered.
 */
#ifndef TLY_CENTRAL_GROUP_H
#define TLY_CENTRAL_GROUP_H

#include <pthread.h>

#include "central/store.h"

#define TLY_GROUP_DETAIL_MAX	300	/* a failure's detail, carried across */

/* One queued request, embedded in the caller's own. */
struct tly_group_item {
	struct tly_group_item	*next;		/* next in the queue */
	pthread_cond_t		 cv;		/* wakes its thread alone */
	int			 done;		/* its group is durable */
	int			 res;		/* its result, once done */
	char			 detail[TLY_GROUP_DETAIL_MAX];	/* of res */
};

/*
 * Apply one request inside the group's transaction: when safe, in a
 * savepoint of its own, so that its failure loses nothing else; when
 * not, a failure means that the group is applied again, safely.  It
 * may thus run twice for one request, and must start afresh each time.
 */
typedef int (*tly_group_apply_fn)(struct tly_group_item *it, int safe);

struct tly_group;

/*
 * A group commit over store s, applying with fn, that lets slots
 * requests be in progress at once.  TLY_OK or TLY_E_NOMEM.
 */
int	tly_group_create(struct tly_cstore *s, tly_group_apply_fn fn,
	    unsigned slots, struct tly_group **gp);
/* Free g (nothing may be in progress).  NULL-safe. */
void	tly_group_destroy(struct tly_group *g);
/*
 * Take one of the slots, waiting up to 5 seconds for one: TLY_OK, or
 * TLY_E_BUSY when none came free.
 */
int	tly_group_slot_take(struct tly_group *g);
/* Give back a slot of tly_group_slot_take(). */
void	tly_group_slot_give(struct tly_group *g);
/*
 * Queue it and wait until its group is committed and durable; this
 * thread may be the writer.  Returns it's result, with the detail set
 * again in this thread on failure.
 */
int	tly_group_run(struct tly_group *g, struct tly_group_item *it);

#endif
