/*
 * syncer.c: the background thread that delivers the device's batches
 * (and relayed ones) to the central, and counts a batch as delivered
 * only when it holds a receipt that verifies (PROTOCOL.md 6).
 *
 * The thread sleeps on a condition variable until there is new work, an
 * explicit request (POST /v1/sync), a change of the network, or the
 * backoff deadline; it never polls while idle.
 *
 * One "run" first resumes from what the central already holds, then
 * sends passes of batches for as long as passes make progress (the
 * requests of both are in deliver.c); a run that ends with batches still
 * unacknowledged backs off exponentially with full jitter, and honours
 * Retry-After.
 *
 * While it backs off with batches pending, a cheap probe (GET
 * /v1/devices/{key}/head with a short timeout) every SYNC_PROBE_S
 * seconds notices a link that healed without a network event, and
 * starts the run at once; the heavy backoff stays for the upload.
 *
 * Every byte on the wire (headers and bodies, both ways) is counted
 * against the records acknowledged, for GET /v1/status; the counters
 * and the failure streak are saved in the store's meta table.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "sync/api.h"
#include "sync/head.h"
#include "sync/http.h"
#include "sync/link.h"
#include "daemon/tallyd.h"
#include "daemon/syncstate.h"

#define SYNC_RETRY_AFTER_MAX	86400		/* cap on Retry-After */
#define SYNC_PROBE_S		10	/* probe this often while backing off */
#define SYNC_PROBE_TIMEOUT_S	5	/* a probe's whole call */
#define SYNC_LINK_TIMEOUT_S	15	/* a link check's whole call */

/* A monotonic time sec seconds from now. */
static struct timespec
mono_in(uint64_t sec)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)sec;
	return t;
}

/* a < b for monotonic times. */
static int
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The backoff after the n-th failure in a row: full jitter. */
static uint64_t
sync_backoff(const struct tly_dconf *c, unsigned failures)
{
	uint64_t	hi = c->backoff_min;
	unsigned	i;

	for (i = 0; i < failures && hi < c->backoff_max; i++)
		hi *= 2;
	if (hi > c->backoff_max)
		hi = c->backoff_max;
	if (hi - c->backoff_min >= UINT32_MAX)
		hi = c->backoff_min + UINT32_MAX - 1;
	return c->backoff_min +
	    tly_random_uniform((uint32_t)(hi - c->backoff_min + 1));
}

/* Save the counters and the last contact in the store if they changed. */
static void
sync_save(struct tly_dsync *s)
{
	static const char *const keys[] = { "last_contact", "wire_up",
	    "wire_down", "wire_records", "fail_since", "last_proven" };
	char		 v[6][24];
	const char	*vals[6];
	size_t		 i;
	int		 dirty;

	pthread_mutex_lock(&s->mu);
	dirty = s->dirty;
	s->dirty = 0;
	snprintf(v[0], sizeof(v[0]), "%" PRId64, s->last_contact);
	snprintf(v[1], sizeof(v[1]), "%" PRIu64, s->wire_up);
	snprintf(v[2], sizeof(v[2]), "%" PRIu64, s->wire_down);
	snprintf(v[3], sizeof(v[3]), "%" PRIu64, s->wire_records);
	snprintf(v[4], sizeof(v[4]), "%" PRId64, s->since);
	snprintf(v[5], sizeof(v[5]), "%" PRId64, s->last_proven);
	pthread_mutex_unlock(&s->mu);
	if (!dirty)
		return;
	for (i = 0; i < 6; i++)
		vals[i] = v[i];
	if (tly_dstore_meta_set_n(s->d->store, keys, vals, 6) != TLY_OK)
		tly_log_warn("sync: cannot save the counters: %s",
		    tly_errdetail());
}

/* Read a saved integer meta value; def when unset or malformed. */
static int64_t
sync_load_one(struct tly_dsync *s, const char *k, int64_t def)
{
	char		 v[32], *end;
	long long	 x;

	if (tly_dstore_meta_get(s->d->store, k, v, sizeof(v)) != TLY_OK)
		return def;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0)
		return def;
	return (int64_t)x;
}

/* Restore what sync_save() saved (at start). */
static void
sync_load(struct tly_dsync *s)
{
	int64_t	x;

	s->last_contact = sync_load_one(s, "last_contact", -1);
	s->since = sync_load_one(s, "fail_since", -1);
	s->last_proven = sync_load_one(s, "last_proven", -1);
	if ((x = sync_load_one(s, "wire_up", 0)) > 0)
		s->wire_up = (uint64_t)x;
	if ((x = sync_load_one(s, "wire_down", 0)) > 0)
		s->wire_down = (uint64_t)x;
	if ((x = sync_load_one(s, "wire_records", 0)) > 0)
		s->wire_records = (uint64_t)x;
}

/* Has the stop flag been raised? */
static int
sync_stopping(struct tly_dsync *s)
{
	int	stop;

	pthread_mutex_lock(&s->mu);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/*
 * A cheap probe of the central: GET /v1/devices/{own key}/head with a
 * short timeout.  TLY_OK when the central's JSON came back; otherwise
 * TLY_E_NET and why in err.  The bytes count as any call's.
 */
static int
sync_probe(struct tly_dsync *s, char *err, size_t errlen)
{
	struct tly_head_call	 c;
	struct tly_http_result	 res;
	struct tly_api_head	 head;
	int			 r;

	memset(&c, 0, sizeof(c));
	c.central = s->d->conf.central;
	c.device = s->d->device;
	c.connect_timeout_s = (long)s->d->conf.connect_timeout <
	    SYNC_PROBE_TIMEOUT_S ? (long)s->d->conf.connect_timeout :
	    SYNC_PROBE_TIMEOUT_S;
	c.timeout_s = SYNC_PROBE_TIMEOUT_S;
	c.low_speed_time_s = SYNC_PROBE_TIMEOUT_S;
	c.cancel = &s->cancel;
	r = tly_head_fetch(&c, &head, &res);
	tly_dsync_account(s, &res, r != TLY_E_NET);
	if (r == TLY_E_NET)
		snprintf(err, errlen, "%s", tly_errmsg(r));
	else if (r != TLY_OK) {
		snprintf(err, errlen, "the central's address answered, but "
		    "not with the central's JSON (HTTP %ld)", res.status);
		r = TLY_E_NET;
	} else {
		tly_dfreeze_head(s->d, &head);
		if (tly_drestore_head(s->d, &head) != TLY_OK)
			tly_log_warn("sync: %s", tly_errdetail());
	}
	tly_http_result_free(&res);
	return r;
}

/*
 * One run: the resume step, then passes while batches remain and passes
 * make progress.  Fills res and returns the seconds to wait before
 * retrying (0: no retry) and in *retry_afterp what the central asked.
 */
static uint64_t
sync_run(struct tly_dsync *s, struct tly_dsync_result *res,
    long *retry_afterp)
{
	const struct tly_dconf	*c = &s->d->conf;
	struct tly_dstore_item	*items = NULL;
	struct tly_dsync_pass	 p;
	uint64_t		 delay = 0, frozen;
	size_t			 n;
	int			 finished = 0, resumed = 0, probe;
	long			 retry_after = -1;

	memset(res, 0, sizeof(*res));
	for (;;) {
		if (sync_stopping(s)) {
			snprintf(res->error, sizeof(res->error),
			    "shutting down");
			break;
		}
		if (!resumed) {
			resumed = 1;
			if (tly_dsync_resume(s, &p) != TLY_OK) {
				res->acknowledged += p.acked;
				retry_after = p.retry_after;
				snprintf(res->error, sizeof(res->error), "%s",
				    p.detail[0] ? p.detail : SYNC_NO_RECEIPT);
				break;
			}
			res->acknowledged += p.acked;
			if (p.acked > 0)
				tly_log_info("sync: %llu batches acknowledged "
				    "from receipts held by the central",
				    (unsigned long long)p.acked);
			continue;
		}
		if (tly_dstore_pending(s->d->store, c->batch_max,
		    TLY_D_UPLOAD_BYTES, &items, &n) != TLY_OK) {
			snprintf(res->error, sizeof(res->error), "%s",
			    tly_errdetail());
			break;
		}
		if (n == 0) {
			finished = 1;	/* everything acknowledged */
			break;
		}
		tly_dsync_send(s, items, n, &p);
		tly_dstore_items_free(items, n);
		items = NULL;
		res->acknowledged += p.acked;
		if (p.acked > 0)
			tly_log_info("sync: %llu batches acknowledged",
			    (unsigned long long)p.acked);
		if (p.retry_after > retry_after)
			retry_after = p.retry_after;
		/* A final rejection is progress: the batch left the queue. */
		if (p.acked == 0 && p.rejected == 0) {	/* back off */
			snprintf(res->error, sizeof(res->error), "%s",
			    p.detail[0] ? p.detail : SYNC_NO_RECEIPT);
			break;
		}
	}
	/*
	 * Asked to sync with nothing to send: "everything is acknowledged"
	 * needs the central to have answered in this attempt.
	 */
	pthread_mutex_lock(&s->mu);
	probe = finished && s->run_forced;	/* also learns a freeze */
	pthread_mutex_unlock(&s->mu);
	if (probe && sync_probe(s, res->error, sizeof(res->error)) != TLY_OK)
		finished = 0;
	if (s->run_contact) {	/* the authority's news (trustsync.c) */
		struct tly_http_result	wire;

		tly_dtrust_sync(s->d, &s->cancel, &wire);
		tly_dsync_account(s, &wire, wire.status != 0);
	}
	/* Batches sealed meanwhile count as pending; they woke us again. */
	if (tly_dstore_unacked(s->d->store, &res->pending) != TLY_OK &&
	    finished) {
		snprintf(res->error, sizeof(res->error), "%s", tly_errdetail());
		finished = 0;
	}
	res->outcome = finished ? "ok" : "failed";
	if (tly_dfreeze_get(s->d, &frozen)) {
		res->outcome = "frozen";
		tly_dfreeze_words(frozen, res->error, sizeof(res->error));
	}
	if (retry_after > SYNC_RETRY_AFTER_MAX)
		retry_after = SYNC_RETRY_AFTER_MAX;
	*retry_afterp = retry_after;
	pthread_mutex_lock(&s->mu);
	if (finished) {
		s->failures = 0;
		s->last_error[0] = '\0';
		if (s->since >= 0)
			s->dirty = 1;
		s->since = -1;
	} else if (!s->stop) {
		if (s->failures < 64)
			s->failures++;
		if (s->since < 0) {
			s->since = tly_dsync_wall_now();
			s->dirty = 1;
		}
		delay = sync_backoff(c, s->failures);
		if (retry_after > 0 && (uint64_t)retry_after > delay)
			delay = (uint64_t)retry_after;
		snprintf(s->last_error, sizeof(s->last_error), "%s",
		    res->error);
	}
	pthread_mutex_unlock(&s->mu);
	sync_save(s);
	if (delay > 0)
		tly_log_warn("sync: %s; %llu pending, next attempt in %llu s",
		    res->error, (unsigned long long)res->pending,
		    (unsigned long long)delay);
	return delay;
}

/* Has the backoff deadline passed?  Caller holds s->mu. */
static int
deadline_passed(const struct tly_dsync *s)
{
	struct timespec	now;

	if (!s->has_deadline)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return !ts_before(&now, &s->deadline);
}

/*
 * Set the next deadline to t (monotonic), as wall time too.  Caller
 * holds s->mu.
 */
static void
set_deadline(struct tly_dsync *s, struct timespec t)
{
	struct timespec	now;
	int64_t		ahead;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ahead = (int64_t)(t.tv_sec - now.tv_sec) +
	    (t.tv_nsec > now.tv_nsec ? 1 : 0);
	s->deadline = t;
	s->has_deadline = 1;
	s->next_attempt = tly_dsync_wall_now() + (ahead > 0 ? ahead : 0);
}

/*
 * The earliest time a network change may start a run: a second after
 * the last run began, and never before Retry-After.  Caller holds s->mu.
 */
static struct timespec
net_earliest(const struct tly_dsync *s)
{
	struct timespec	t = s->started, now;

	t.tv_sec += 1;
	if (ts_before(&t, &s->not_before))
		t = s->not_before;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return ts_before(&t, &now) ? now : t;
}

/*
 * Is the cheap probe worth it: backing off with batches pending, and
 * the next attempt further away than a probe?  Caller holds s->mu.
 */
static int
probe_wanted(const struct tly_dsync *s)
{
	return s->has_deadline && s->failures > 0 && s->last.pending > 0 &&
	    !s->stop;
}

/* Is a probe wanted and due now?  Caller holds s->mu. */
static int
probe_due(const struct tly_dsync *s)
{
	struct timespec	now;

	if (!probe_wanted(s))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return !ts_before(&now, &s->next_probe) &&
	    ts_before(&s->next_probe, &s->deadline);
}

/*
 * Probe the central (unlocking s->mu meanwhile); when it answers, the
 * link healed: run at once.  Never before Retry-After.  Caller holds
 * s->mu.
 */
static void
sync_probe_now(struct tly_dsync *s)
{
	struct timespec	now;
	char		err[512];
	int		ok;

	s->next_probe = mono_in(SYNC_PROBE_S);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ts_before(&now, &s->not_before))
		return;
	pthread_mutex_unlock(&s->mu);
	ok = sync_probe(s, err, sizeof(err)) == TLY_OK;
	pthread_mutex_lock(&s->mu);
	if (ok && !s->stop && s->has_deadline) {
		tly_log_info("sync: the central answers again; delivering now");
		set_deadline(s, now);
	} else if (!ok)
		tly_log_debug("sync: probe: %s", err);
}

/* The thread: wait for a reason to run, run, repeat until stopped. */
static void *
sync_main(void *arg)
{
	struct tly_dsync	*s = arg;
	struct tly_dsync_result	 res;
	struct timespec		 t;
	uint64_t		 delay;
	long			 retry_after;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		if (!s->force && !(s->work && s->failures == 0) &&
		    !deadline_passed(s)) {
			if (probe_due(s)) {
				sync_probe_now(s);
				continue;
			}
			if (s->has_deadline)
				(void)pthread_cond_timedwait(&s->cv, &s->mu,
				    probe_wanted(s) && ts_before(&s->next_probe,
				    &s->deadline) ? &s->next_probe :
				    &s->deadline);
			else
				(void)pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		s->run_forced = s->force;
		s->run_contact = 0;
		s->force = s->work = s->net = 0;
		s->has_deadline = 0;
		s->next_attempt = -1;
		s->runs_started++;
		s->running = 1;
		clock_gettime(CLOCK_MONOTONIC, &s->started);
		pthread_mutex_unlock(&s->mu);
		delay = sync_run(s, &res, &retry_after);
		pthread_mutex_lock(&s->mu);
		s->running = 0;
		s->not_before = mono_in(retry_after > 0 ?
		    (uint64_t)retry_after : 0);
		if (delay > 0 && !s->stop) {
			t = mono_in(delay);
			/* The network changed meanwhile: retry soon. */
			if (s->net) {
				struct timespec	e = net_earliest(s);

				if (ts_before(&e, &t))
					t = e;
			}
			set_deadline(s, t);
		}
		s->next_probe = mono_in(SYNC_PROBE_S);
		s->net = 0;
		s->last = res;
		s->runs_done++;
		pthread_cond_broadcast(&s->done_cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

void
tly_dsync_netchange(void *arg)
{
	struct tly_dsync	*s = arg;
	struct timespec		 t;

	pthread_mutex_lock(&s->mu);
	if (s->running)
		s->net = 1;
	else if (s->failures > 0 && !s->stop) {
		t = net_earliest(s);
		if (!s->has_deadline || ts_before(&t, &s->deadline)) {
			set_deadline(s, t);
			tly_log_info("sync: the network changed; next attempt "
			    "in %lld s", (long long)(s->next_attempt -
			    tly_dsync_wall_now()));
			pthread_cond_signal(&s->cv);
		}
	}
	pthread_mutex_unlock(&s->mu);
}

int
tly_dsync_start(struct tallyd *d, struct tly_dsync **sp)
{
	struct tly_dsync	*s;
	pthread_condattr_t	 ca;
	int			 r = TLY_OK, have_cv = 0, have_done = 0;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return TLY_E_NOMEM;
	s->d = d;
	s->next_attempt = -1;
	sync_load(s);
	/* Start with a run: batches may be waiting from a previous life. */
	s->work = 1;
	if (pthread_condattr_init(&ca) != 0)
		goto nomem;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_mutex_init(&s->mu, NULL) != 0) {
		pthread_condattr_destroy(&ca);
		goto nomem;
	}
	have_cv = pthread_cond_init(&s->cv, &ca) == 0;
	have_done = pthread_cond_init(&s->done_cv, &ca) == 0;
	pthread_condattr_destroy(&ca);
	if (!have_cv || !have_done ||
	    pthread_create(&s->thread, NULL, sync_main, s) != 0) {
		if (have_cv)
			pthread_cond_destroy(&s->cv);
		if (have_done)
			pthread_cond_destroy(&s->done_cv);
		pthread_mutex_destroy(&s->mu);
		goto nomem;
	}
	if (d->conf.netwatch &&
	    tly_netwatch_start(tly_dsync_netchange, s, &s->nw) != TLY_OK)
		tly_log_warn("sync: not watching the network: %s",
		    tly_errdetail());
	*sp = s;
	return r;
 nomem:
	free(s);
	return tly_fail(TLY_E_NOMEM, "cannot start the sync thread");
}

void
tly_dsync_quit(struct tly_dsync *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	s->cancel = 1;		/* do not wait out a stalled transfer */
	pthread_cond_broadcast(&s->cv);
	pthread_cond_broadcast(&s->done_cv);
	pthread_mutex_unlock(&s->mu);
}

void
tly_dsync_stop(struct tly_dsync *s)
{
	if (s == NULL)
		return;
	tly_dsync_quit(s);
	tly_netwatch_stop(s->nw);	/* it calls into s: stop it first */
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->done_cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void
tly_dsync_wake(struct tly_dsync *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->work = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
tly_dsync_now(struct tly_dsync *s, unsigned wait_s,
    struct tly_dsync_result *res)
{
	struct timespec	until;
	uint64_t	target;
	int		done, stopping;

	memset(res, 0, sizeof(*res));
	until = mono_in(wait_s);
	pthread_mutex_lock(&s->mu);
	/* The next run to start is one that began after this request. */
	target = s->runs_started + 1;
	s->force = 1;
	pthread_cond_signal(&s->cv);
	while (s->runs_done < target && !s->stop)
		if (pthread_cond_timedwait(&s->done_cv, &s->mu, &until) ==
		    ETIMEDOUT)
			break;
	done = s->runs_done >= target;
	stopping = s->stop;
	if (done)
		*res = s->last;
	pthread_mutex_unlock(&s->mu);
	if (!done) {
		res->outcome = "failed";
		snprintf(res->error, sizeof(res->error), "%s", stopping ?
		    "shutting down" : "the attempt is still running");
		(void)tly_dstore_unacked(s->d->store, &res->pending);
	}
}

int
tly_dsync_check_link(struct tly_dsync *s, struct tly_link_result *lr)
{
	struct tly_http_result	acc;
	int			r;

	r = tly_link_check(s->d->conf.central, s->d->central_pk,
	    (long)s->d->conf.connect_timeout, SYNC_LINK_TIMEOUT_S, &s->cancel,
	    lr);
	memset(&acc, 0, sizeof(acc));
	acc.bytes_up = lr->wire_up;
	acc.bytes_down = lr->wire_down;
	tly_dsync_account(s, &acc, lr->answered);
	pthread_mutex_lock(&s->mu);
	if (r == TLY_OK) {
		s->last_proven = tly_dsync_wall_now();
		s->dirty = 1;
		/* The path is proven: deliver what waits without backoff. */
		if (s->failures > 0 && s->last.pending > 0) {
			s->force = 1;
			pthread_cond_signal(&s->cv);
		}
	}
	pthread_mutex_unlock(&s->mu);
	sync_save(s);
	return r;
}

void
tly_dsync_get_status(struct tly_dsync *s, struct tly_dsync_status *st)
{
	pthread_mutex_lock(&s->mu);
	st->last_contact = s->last_contact;
	st->last_proven = s->last_proven;
	st->next_attempt = s->has_deadline ? s->next_attempt : -1;
	st->since = s->failures > 0 ? s->since : -1;
	st->wire_up = s->wire_up;
	st->wire_down = s->wire_down;
	st->wire_records = s->wire_records;
	snprintf(st->last_error, sizeof(st->last_error), "%s", s->last_error);
	pthread_mutex_unlock(&s->mu);
}
