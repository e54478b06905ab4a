/*
 * group.c: group commit of uploads.
 *
 * A request thread queues its request; the first queued thread that
 * finds no writer at work becomes the writer, takes every request
 * queued so far and applies them, in queue order, in one transaction,
 * then COMMITs without waiting for the disk (tly_cstore_commit_lazy).
 * It then gives up the writer's role, so that the next group is applied
 * while it syncs the WAL (tly_cstore_sync), and only then wakes the
 * threads of its group, which answer.  Each waiting thread has a
 * condition of its own and is woken only when its group is done or it
 * is to write the next one: with 64 uploads in progress, waking them
 * all at each COMMIT cost more in switches than the writer's work.
 *
 * The requests are first applied without savepoints, which cost the
 * writer about a tenth of its time.  When one of them fails (a failure
 * of the central, never a rejection), the transaction is rolled back and
 * the group applied again, each request in a savepoint of its own, so
 * that only the failing one is lost.  Both passes apply the same
 * requests in the same order to the same state, so they decide alike.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "central/central.h"
#include "central/group.h"
#include "common/err.h"
#include "common/log.h"

#define SLOT_WAIT_S	5	/* an upload waits this long for a slot */

/* The group commit: requests waiting for the writer. */
struct tly_group {
	struct tly_cstore	*s;		/* the store */
	tly_group_apply_fn	 apply;		/* applies one request */
	unsigned		 slots;		/* requests in progress, at most */
	pthread_mutex_t		 mu;		/* guards the fields below */
	struct tly_group_item	*head;		/* queued, oldest first */
	struct tly_group_item	**tail;		/* where the next one goes */
	int			 writing;	/* a thread is the writer */
	unsigned		 active;	/* uploads holding a slot */
	pthread_cond_t		 slot_cv;	/* signalled when one ends */
};

/* Set it's result r, keeping this thread's detail for its own thread. */
static void
result(struct tly_group_item *it, int r)
{
	it->res = r;
	if (r != TLY_OK)
		snprintf(it->detail, sizeof(it->detail), "%s", tly_errmsg(r));
}

/*
 * The writer's work: apply the requests of the list first in one
 * transaction and COMMIT it without waiting for the disk, setting each
 * one's result.  Returns 1 when it committed: the caller syncs before
 * any of them is answered.
 */
static int
commit(struct tly_group *g, struct tly_group_item *first)
{
	struct tly_cstore	*s = g->s;
	struct tly_group_item	*it;
	int			 r, safe;

	for (safe = 0; safe < 2; safe++) {
		tly_errclear();
		if ((r = tly_cstore_begin(s)) != TLY_OK) {
			for (it = first; it != NULL; it = it->next)
				result(it, r);
			return 0;
		}
		for (it = first; it != NULL; it = it->next) {
			tly_errclear();
			result(it, g->apply(it, safe));
			if (it->res != TLY_OK && (!safe ||
			    !tly_cstore_in_tx(s)))
				break;	/* SQLite ended the transaction:
					   none holds */
		}
		if (it == NULL || safe)
			break;
		tly_log_warn("upload failed in a group of uploads: %s; "
		    "applying the group again, each upload alone",
		    it->detail);
		tly_cstore_rollback(s);
	}
	tly_errclear();
	if (it != NULL)
		r = it->res;
	else if ((r = tly_cstore_commit_lazy(s)) == TLY_OK)
		return 1;
	else
		s = NULL;	/* commit dropped the lock */
	if (s != NULL)
		tly_cstore_rollback(s);
	for (it = first; it != NULL; it = it->next)
		result(it, r);
	return 0;
}

/* Nanoseconds of clock id. */
static uint64_t
clock_ns(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* commit(), timed for /metrics. */
static int
commit_timed(struct tly_group *g, struct tly_group_item *first)
{
	struct tly_group_item	*it;
	uint64_t		 t0, c0;
	size_t			 n = 0;
	int			 committed;

	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	committed = commit(g, first);
	for (it = first; it != NULL; it = it->next)
		n++;
	tly_central_metrics_commit(n, clock_ns(CLOCK_MONOTONIC) - t0,
	    clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0);
	return committed;
}

/*
 * Make the committed group first durable.  When the sync fails, the
 * batches are applied but perhaps not on disk: their requests fail, and
 * a device sending them again is answered "duplicate" with the receipt.
 */
static void
sync_group(struct tly_group *g, struct tly_group_item *first)
{
	struct tly_group_item	*it;
	int			 r;

	tly_errclear();
	if ((r = tly_cstore_sync(g->s)) == TLY_OK)
		return;
	for (it = first; it != NULL; it = it->next)
		if (it->res == TLY_OK)
			result(it, r);
}

int
tly_group_run(struct tly_group *g, struct tly_group_item *it)
{
	struct tly_group_item	*batch, *x;
	int			 committed;

	if (pthread_cond_init(&it->cv, NULL) != 0)
		return tly_fail(TLY_E_NOMEM, "cannot queue the upload");
	pthread_mutex_lock(&g->mu);
	it->next = NULL;
	it->done = 0;
	*g->tail = it;
	g->tail = &it->next;
	while (!it->done) {
		if (g->writing || g->head != it) {	/* or it is syncing */
			pthread_cond_wait(&it->cv, &g->mu);
			continue;
		}
		g->writing = 1;
		batch = g->head;
		g->head = NULL;
		g->tail = &g->head;
		pthread_mutex_unlock(&g->mu);
		committed = commit_timed(g, batch);
		pthread_mutex_lock(&g->mu);
		g->writing = 0;
		if (g->head != NULL)	/* the next writer */
			pthread_cond_signal(&g->head->cv);
		pthread_mutex_unlock(&g->mu);
		if (committed)
			sync_group(g, batch);
		pthread_mutex_lock(&g->mu);
		for (x = batch; x != NULL; x = x->next) {
			x->done = 1;
			if (x != it)
				pthread_cond_signal(&x->cv);
		}
	}
	pthread_mutex_unlock(&g->mu);
	pthread_cond_destroy(&it->cv);
	if (it->res != TLY_OK)
		return tly_fail(it->res, "%s", it->detail);
	return TLY_OK;
}

int
tly_group_slot_take(struct tly_group *g)
{
	struct timespec	until;
	int		r = TLY_OK;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SLOT_WAIT_S;
	pthread_mutex_lock(&g->mu);
	while (g->active >= g->slots)
		if (pthread_cond_timedwait(&g->slot_cv, &g->mu, &until) != 0 &&
		    g->active >= g->slots) {
			r = TLY_E_BUSY;
			break;
		}
	if (r == TLY_OK)
		g->active++;
	pthread_mutex_unlock(&g->mu);
	return r;
}

void
tly_group_slot_give(struct tly_group *g)
{
	pthread_mutex_lock(&g->mu);
	g->active--;
	pthread_cond_signal(&g->slot_cv);
	pthread_mutex_unlock(&g->mu);
}

int
tly_group_create(struct tly_cstore *s, tly_group_apply_fn fn, unsigned slots,
    struct tly_group **gp)
{
	struct tly_group	*g;

	*gp = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return TLY_E_NOMEM;
	if (pthread_mutex_init(&g->mu, NULL) != 0) {
		free(g);
		return TLY_E_NOMEM;
	}
	if (pthread_cond_init(&g->slot_cv, NULL) != 0) {
		pthread_mutex_destroy(&g->mu);
		free(g);
		return TLY_E_NOMEM;
	}
	g->s = s;
	g->apply = fn;
	g->slots = slots;
	g->tail = &g->head;
	*gp = g;
	return TLY_OK;
}

void
tly_group_destroy(struct tly_group *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->slot_cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
