/*
 * syncstate.h: the syncer's state, shared by syncer.c (the sync thread,
 * its wake-ups, backoff and status) and deliver.c (the requests of one
 * run: resume via head and receipts, bundles posted and their receipts
 * checked, captive-portal detection).  syncer.c calls deliver.c; both
 * count through syncstate.c, which calls neither.  Nothing else
 * includes this, but their unit test.
 */
#ifndef TLY_DAEMON_SYNCSTATE_H
#define TLY_DAEMON_SYNCSTATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/tallyd.h"

#define SYNC_NO_RECEIPT	"no valid receipt in the answer"

struct tly_http_result;

/* The syncer (opaque outside syncer.c and deliver.c). */
struct tly_dsync {
	struct tallyd		*d;		/* the daemon */
	pthread_t		 thread;	/* the sync thread */
	pthread_mutex_t		 mu;		/* guards the fields below */
	pthread_cond_t		 cv;		/* wakes the thread */
	pthread_cond_t		 done_cv;	/* a run finished */
	int			 stop;		/* shut down */
	volatile int		 cancel;	/* aborts the transfer in flight */
	int			 force;		/* run now, ignore backoff */
	int			 work;		/* new batches committed */
	int			 running;	/* a run is under way */
	int			 net;		/* the network changed meanwhile */
	uint64_t		 runs_started;	/* runs begun */
	uint64_t		 runs_done;	/* runs finished */
	unsigned		 failures;	/* failed runs in a row */
	int			 has_deadline;	/* backing off until deadline */
	struct timespec		 deadline;	/* CLOCK_MONOTONIC */
	struct timespec		 not_before;	/* Retry-After, monotonic */
	struct timespec		 started;	/* start of the last run */
	int64_t			 next_attempt;	/* wall time, -1 none */
	int64_t			 last_contact;	/* wall time, -1 never */
	int64_t			 since;		/* first failure of the streak */
	int64_t			 last_proven;	/* wall time of the last receipt
						   or link check that verified
						   under the central's key, -1
						   never */
	int			 run_contact;	/* an answer came in this run */
	int			 run_forced;	/* this run was asked for */
	struct timespec		 next_probe;	/* monotonic: the next cheap
						   probe while backing off */
	uint64_t		 wire_up;	/* bytes sent, cumulative */
	uint64_t		 wire_down;	/* bytes received, cumulative */
	uint64_t		 wire_records;	/* records acknowledged */
	int			 dirty;		/* the above need saving */
	char			 last_error[512];	/* "" none */
	struct tly_dsync_result	 last;		/* result of the last run */
	struct tly_netwatch	*nw;		/* network watcher, or NULL */
};

/* What one pass (one HTTP request, or the resume step) achieved. */
struct tly_dsync_pass {
	uint64_t	acked;		/* batches newly acknowledged */
	uint64_t	rejected;	/* batches newly rejected for good */
	long		retry_after;	/* seconds asked for, -1 none */
	int		err;		/* TLY_OK, or the first failure: why
					   not everything was delivered */
	char		detail[512];	/* err's detail, escaped; "" none */
};

/* Seconds since the epoch, never negative (syncstate.c). */
int64_t	tly_dsync_wall_now(void);
/* Count the bytes of a call; an HTTP answer is a contact (syncstate.c). */
void	tly_dsync_account(struct tly_dsync *s,
	    const struct tly_http_result *res, int answered);
/* Count the records of a batch acknowledged (syncstate.c). */
void	tly_dsync_acked_records(struct tly_dsync *s, uint64_t nrecords);

/*
 * Send items[0..n) as one bundle and process the answer: store receipts
 * that verify and rejections, fill *p (deliver.c).
 */
void	tly_dsync_send(struct tly_dsync *s,
	    const struct tly_dstore_item *items, size_t n,
	    struct tly_dsync_pass *p);
/*
 * The resume step of a run, for every device with unacknowledged
 * batches.  TLY_OK, or the failure that should stop the run, with its
 * code: TLY_E_DB for the store, TLY_E_NET, TLY_E_BUSY or TLY_E_HTTP for
 * the central (deliver.c).
 */
int	tly_dsync_resume(struct tly_dsync *s, struct tly_dsync_pass *p);

#endif /* TLY_DAEMON_SYNCSTATE_H */
