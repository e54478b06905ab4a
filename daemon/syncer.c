/*
 * syncer.c: the background thread that delivers the device's batches
 * (and relayed ones) to the central, and counts a batch as delivered
 * only when it holds a receipt that verifies (PROTOCOL.md 6).
 *
 * The thread sleeps on a condition variable until there is new work, an
 * explicit request (POST /v1/sync), or the backoff deadline; it never
 * polls while idle.  One "run" sends passes of up to batch-max batches
 * (about 1 MiB) for as long as passes make progress; a run that ends
 * with batches still unacknowledged backs off exponentially with full
 * jitter, and honours Retry-After.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "sync/http.h"
#include "sync/wire.h"
#include "daemon/tallyd.h"

#define SYNC_LOW_SPEED_S	30		/* abort a stalled transfer */
#define SYNC_RESP_MAX		(4UL * 1024 * 1024)	/* answer cap */
#define SYNC_RECEIPT_MAX	8192		/* decoded receipt cap */
#define SYNC_GZIP_OVER		1024		/* gzip bodies above this */
#define SYNC_RETRY_AFTER_MAX	86400		/* cap on Retry-After */
#define SYNC_NO_RECEIPT	"no valid receipt in the answer (captive portal?)"

struct tly_dsync {
	struct tallyd		*d;		/* the daemon */
	pthread_t		 thread;	/* the sync thread */
	pthread_mutex_t		 mu;		/* guards the fields below */
	pthread_cond_t		 cv;		/* wakes the thread */
	pthread_cond_t		 done_cv;	/* a run finished */
	int			 stop;		/* shut down */
	int			 force;		/* run now, ignore backoff */
	int			 work;		/* new batches committed */
	uint64_t		 runs_started;	/* runs begun */
	uint64_t		 runs_done;	/* runs finished */
	unsigned		 failures;	/* failed runs in a row */
	int			 has_deadline;	/* backing off until deadline */
	struct timespec		 deadline;	/* CLOCK_MONOTONIC */
	int64_t			 next_attempt;	/* wall time, -1 none */
	int64_t			 last_contact;	/* wall time, -1 never */
	char			 last_error[512];	/* "" none */
	struct tly_dsync_result	 last;		/* result of the last run */
};

/* What one pass (one HTTP request) achieved. */
struct sync_pass {
	uint64_t	acked;		/* batches newly acknowledged */
	long		retry_after;	/* seconds asked for, -1 none */
	char		error[512];	/* why not everything was delivered */
};

/* Seconds since the epoch, never negative. */
static int64_t
wall_now(void)
{
	time_t	t = time(NULL);

	return t > 0 ? (int64_t)t : 0;
}

/* Record a contact with the central (any HTTP answer). */
static void
sync_contact(struct tly_dsync *s)
{
	pthread_mutex_lock(&s->mu);
	s->last_contact = wall_now();
	pthread_mutex_unlock(&s->mu);
}

/* Set a pass error unless one is set already; peer text is escaped. */
static void
pass_error(struct sync_pass *p, const char *msg)
{
	if (p->error[0] == '\0')
		tly_log_escape(msg, strlen(msg), p->error, sizeof(p->error));
}

/* Store msg as the last error of every item. */
static void
items_error(struct tly_dsync *s, const struct tly_dstore_item *items,
    size_t n, const unsigned char *done, const char *msg)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (done == NULL || !done[i])
			(void)tly_dstore_set_error(s->d->store, items[i].kind,
			    items[i].id, msg);
}

/*
 * Check result el against the batch sent at its index; store the receipt
 * or the rejection.  done[index] is set once the entry is accounted for.
 */
static void
pass_result(struct tly_dsync *s, const struct tly_dstore_item *items,
    size_t n, const struct tly_json *el, unsigned char *done,
    struct sync_pass *p)
{
	struct tly_buf		 rb = TLY_BUF_INIT(SYNC_RECEIPT_MAX);
	struct tly_envelope	 env;
	struct tly_receipt	 rc;
	const struct tly_json	*j, *err;
	const struct tly_dstore_item *it;
	const char		*str, *code, *msg;
	char			 text[512], esc[400];
	uint64_t		 index;

	if (tly_json_get_int(el, "results[]", "index", &index) != TLY_OK ||
	    index >= n || done[index])
		goto out;
	it = &items[index];
	if ((str = tly_json_string(tly_json_get(el, "receipt"))) != NULL) {
		if (tly_b64_decode(str, strlen(str), &rb) != TLY_OK ||
		    tly_receipt_verify(rb.p, rb.len, s->d->central_pk, &rc) !=
		    TLY_OK ||
		    tly_envelope_parse(it->bytes, it->len, &env) != TLY_OK ||
		    memcmp(rc.device, env.signer, TLY_PK_LEN) != 0 ||
		    rc.seq != it->seq ||
		    memcmp(rc.batch, it->id, TLY_HASH_LEN) != 0) {
			tly_log_warn("sync: invalid receipt for batch %s seq "
			    "%llu", it->kind == TLY_DKIND_OWN ? "own" :
			    "relayed", (unsigned long long)it->seq);
			goto out;	/* not delivery */
		}
		if (tly_dstore_ack(s->d->store, it->kind, it->id, rb.p, rb.len,
		    (uint64_t)wall_now()) != TLY_OK) {
			tly_log_error("sync: %s", tly_errdetail());
			pass_error(p, tly_errdetail());
			goto out;
		}
		done[index] = 1;
		p->acked++;
		goto out;
	}
	str = tly_json_string(tly_json_get(el, "status"));
	if (str == NULL || strcmp(str, "rejected") != 0)
		goto out;
	err = tly_json_get(el, "error");
	code = (j = tly_json_get(err, "code")) ? tly_json_string(j) : NULL;
	msg = (j = tly_json_get(err, "message")) ? tly_json_string(j) : NULL;
	snprintf(text, sizeof(text), "%s: %s", code ? code : "rejected",
	    msg ? msg : "");
	tly_log_escape(text, strlen(text), esc, sizeof(esc));
	(void)tly_dstore_set_error(s->d->store, it->kind, it->id, esc);
	snprintf(text, sizeof(text), "batch seq %llu rejected: %s",
	    (unsigned long long)it->seq, esc);
	tly_log_warn("sync: %s%s", it->kind == TLY_DKIND_RELAY ?
	    "relayed " : "", text);
	pass_error(p, text);
	done[index] = 1;
 out:
	tly_buf_free(&rb);
}

/* Read an answer of status 200 or 422: {"results": [...]}. */
static void
pass_answer(struct tly_dsync *s, const struct tly_dstore_item *items,
    size_t n, const struct tly_http_result *res, struct sync_pass *p)
{
	struct tly_json		*root = NULL;
	const struct tly_json	*results, *el;
	unsigned char		*done;
	size_t			 i, missing = 0;

	if ((done = calloc(n, 1)) == NULL) {
		pass_error(p, "out of memory");
		return;
	}
	if (tly_json_parse(res->body.p, res->body.len, &root) == TLY_OK &&
	    (results = tly_json_get(root, "results")) != NULL &&
	    tly_json_is_array(results))
		for (el = tly_json_first(results); el != NULL;
		    el = tly_json_next(el))
			pass_result(s, items, n, el, done, p);
	/* Entries neither acknowledged nor rejected were not delivered. */
	for (i = 0; i < n; i++)
		missing += !done[i];
	if (missing > 0) {
		items_error(s, items, n, done, SYNC_NO_RECEIPT);
		pass_error(p, SYNC_NO_RECEIPT);
	}
	tly_json_free(root);
	free(done);
}

/* Describe an answer other than 200/422 in p->error. */
static void
pass_other(const struct tly_http_result *res, struct sync_pass *p)
{
	struct tly_json		*root = NULL;
	const struct tly_json	*err;
	const char		*code = NULL, *msg = NULL;
	char			 text[512];

	if (tly_json_parse(res->body.p, res->body.len, &root) == TLY_OK &&
	    (err = tly_json_get(root, "error")) != NULL) {
		code = tly_json_string(tly_json_get(err, "code"));
		msg = tly_json_string(tly_json_get(err, "message"));
	}
	if (res->status == 429 || res->status == 503) {
		p->retry_after = res->retry_after;
		snprintf(text, sizeof(text), "central busy (HTTP %ld)%s%s",
		    res->status, msg ? ": " : "", msg ? msg : "");
	} else if (code != NULL)
		snprintf(text, sizeof(text), "central answered HTTP %ld: %s: "
		    "%s", res->status, code, msg ? msg : "");
	else
		snprintf(text, sizeof(text), "%s", SYNC_NO_RECEIPT);
	pass_error(p, text);
	tly_json_free(root);
}

/* Send items[0..n) as one bundle and process the answer. */
static void
sync_pass(struct tly_dsync *s, const struct tly_dstore_item *items,
    size_t n, struct sync_pass *p)
{
	struct tly_buf		 body = TLY_BUF_INIT(TLY_POST_MAX);
	struct tly_http_call	 call;
	struct tly_http_result	 res;
	char			 url[1024], text[512];
	size_t			 i;
	int			 r;

	memset(p, 0, sizeof(*p));
	p->retry_after = -1;
	memset(&res, 0, sizeof(res));
	if ((r = tly_bundle_begin(&body)) != TLY_OK)
		goto fail;
	for (i = 0; i < n; i++)
		if ((r = tly_bundle_add(&body, items[i].bytes, items[i].len)) !=
		    TLY_OK)
			goto fail;
	if ((r = tly_bundle_end(&body, n)) != TLY_OK)
		goto fail;
	if ((r = tly_dstore_mark_sent(s->d->store, items, n)) != TLY_OK)
		goto fail;
	snprintf(url, sizeof(url), "%s/v1/batches", s->d->conf.central);
	memset(&call, 0, sizeof(call));
	call.url = url;
	call.method = "POST";
	call.content_type = "application/vnd.tally.bundle";
	call.body = body.p;
	call.bodylen = body.len;
	call.gzip = body.len > SYNC_GZIP_OVER;
	call.connect_timeout_s = (long)s->d->conf.connect_timeout;
	call.low_speed_time_s = SYNC_LOW_SPEED_S;
	call.resp_max = SYNC_RESP_MAX;
	tly_log_debug("sync: sending %zu batches, %zu bytes", n, body.len);
	r = tly_http_request(&call, &res);
	if (r == TLY_E_NET) {
		snprintf(text, sizeof(text), "central unreachable: %s",
		    res.error[0] ? res.error : "no answer");
		pass_error(p, text);
		items_error(s, items, n, NULL, p->error);
		goto out;
	}
	sync_contact(s);
	if (r != TLY_OK) {
		pass_error(p, SYNC_NO_RECEIPT);
		items_error(s, items, n, NULL, SYNC_NO_RECEIPT);
		goto out;
	}
	if (res.status == 200 || res.status == 422)
		pass_answer(s, items, n, &res, p);
	else {
		pass_other(&res, p);
		items_error(s, items, n, NULL, p->error);
	}
	goto out;
 fail:
	pass_error(p, tly_errdetail());
 out:
	tly_http_result_free(&res);
	tly_buf_free(&body);
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

/*
 * One run: passes while batches remain and passes make progress.  Fills
 * res and returns the seconds to wait before retrying (0: no retry).
 */
static uint64_t
sync_run(struct tly_dsync *s, struct tly_dsync_result *res)
{
	const struct tly_dconf	*c = &s->d->conf;
	struct tly_dstore_item	*items = NULL;
	struct sync_pass	 p;
	uint64_t		 delay = 0;
	size_t			 n;
	int			 finished = 0, stop;
	long			 retry_after = -1;

	memset(res, 0, sizeof(*res));
	for (;;) {
		pthread_mutex_lock(&s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop) {
			snprintf(res->error, sizeof(res->error),
			    "shutting down");
			break;
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
		sync_pass(s, items, n, &p);
		tly_dstore_items_free(items, n);
		items = NULL;
		res->acknowledged += p.acked;
		if (p.acked > 0)
			tly_log_info("sync: %llu batches acknowledged",
			    (unsigned long long)p.acked);
		if (p.retry_after > retry_after)
			retry_after = p.retry_after;
		if (p.acked == 0) {	/* no progress: back off */
			snprintf(res->error, sizeof(res->error), "%s",
			    p.error[0] ? p.error : SYNC_NO_RECEIPT);
			break;
		}
	}
	/* Batches sealed meanwhile count as pending; they woke us again. */
	if (tly_dstore_unacked(s->d->store, &res->pending) != TLY_OK &&
	    finished) {
		snprintf(res->error, sizeof(res->error), "%s", tly_errdetail());
		finished = 0;
	}
	res->outcome = finished ? "ok" : "failed";
	pthread_mutex_lock(&s->mu);
	if (strcmp(res->outcome, "ok") == 0) {
		s->failures = 0;
		s->last_error[0] = '\0';
	} else {
		if (s->failures < 64)
			s->failures++;
		delay = sync_backoff(c, s->failures);
		if (retry_after > SYNC_RETRY_AFTER_MAX)
			retry_after = SYNC_RETRY_AFTER_MAX;
		if (retry_after > 0 && (uint64_t)retry_after > delay)
			delay = (uint64_t)retry_after;
		snprintf(s->last_error, sizeof(s->last_error), "%s",
		    res->error);
	}
	pthread_mutex_unlock(&s->mu);
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
	return now.tv_sec > s->deadline.tv_sec ||
	    (now.tv_sec == s->deadline.tv_sec &&
	    now.tv_nsec >= s->deadline.tv_nsec);
}

/* The thread: wait for a reason to run, run, repeat until stopped. */
static void *
sync_main(void *arg)
{
	struct tly_dsync	*s = arg;
	struct tly_dsync_result	 res;
	uint64_t		 delay;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		if (!s->force && !(s->work && s->failures == 0) &&
		    !deadline_passed(s)) {
			if (s->has_deadline)
				(void)pthread_cond_timedwait(&s->cv, &s->mu,
				    &s->deadline);
			else
				(void)pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		s->force = s->work = 0;
		s->has_deadline = 0;
		s->next_attempt = -1;
		s->runs_started++;
		pthread_mutex_unlock(&s->mu);
		delay = sync_run(s, &res);
		pthread_mutex_lock(&s->mu);
		if (delay > 0 && !s->stop) {
			clock_gettime(CLOCK_MONOTONIC, &s->deadline);
			s->deadline.tv_sec += (time_t)delay;
			s->has_deadline = 1;
			s->next_attempt = wall_now() + (int64_t)delay;
		}
		s->last = res;
		s->runs_done++;
		pthread_cond_broadcast(&s->done_cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
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
	s->last_contact = -1;
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
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_s;
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

void
tly_dsync_get_status(struct tly_dsync *s, struct tly_dsync_status *st)
{
	pthread_mutex_lock(&s->mu);
	st->last_contact = s->last_contact;
	st->next_attempt = s->has_deadline ? s->next_attempt : -1;
	snprintf(st->last_error, sizeof(st->last_error), "%s", s->last_error);
	pthread_mutex_unlock(&s->mu);
}
