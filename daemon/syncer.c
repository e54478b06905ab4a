/*
 * syncer.c: the background thread that delivers the device's batches
 * (and relayed ones) to the central, and counts a batch as delivered
 * only when it holds a receipt that verifies (PROTOCOL.md 6).
 *
 * The thread sleeps on a condition variable until there is new work, an
 * explicit request (POST /v1/sync), a change of the network, or the
 * backoff deadline; it never polls while idle.
 *
 * One "run" first resumes: for every device with unacknowledged batches
 * (its own chain, then each relayed device) it asks the central's head
 * and, when the central may hold some of them (an answer cut on the way
 * back, a pending batch ahead of a gap), collects their receipts with
 * GET /v1/devices/{key}/receipts, so nothing the central acknowledged is
 * sent again.  Then it sends passes of up to batch-max batches (about
 * 1 MiB) in (device, seq) order for as long as passes make progress; a
 * run that ends with batches still unacknowledged backs off
 * exponentially with full jitter, and honours Retry-After.
 *
 * Every byte on the wire (headers and bodies, both ways) is counted
 * against the records acknowledged, for GET /v1/status.
 */
#include <errno.h>
#include <inttypes.h>
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

#define SYNC_RESP_MAX		(4UL * 1024 * 1024)	/* answer cap */
#define SYNC_RECEIPT_MAX	8192		/* decoded receipt cap */
#define SYNC_GZIP_OVER		1024		/* gzip bodies above this */
#define SYNC_RETRY_AFTER_MAX	86400		/* cap on Retry-After */
#define SYNC_DEVICES_MAX	4096		/* devices resumed per run */
#define SYNC_PAGES_MAX		1024		/* receipt pages per device */
#define SYNC_NO_RECEIPT	"no valid receipt in the answer"
#define SYNC_PORTAL_HTML	"captive portal detected: the central's " \
	"address answered with HTML, not a signed receipt"

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
	uint64_t		 wire_up;	/* bytes sent, cumulative */
	uint64_t		 wire_down;	/* bytes received, cumulative */
	uint64_t		 wire_records;	/* records acknowledged */
	int			 dirty;		/* the above need saving */
	char			 last_error[512];	/* "" none */
	struct tly_dsync_result	 last;		/* result of the last run */
	struct tly_netwatch	*nw;		/* network watcher, or NULL */
};

/* What one pass (one HTTP request, or the resume step) achieved. */
struct sync_pass {
	uint64_t	acked;		/* batches newly acknowledged */
	long		retry_after;	/* seconds asked for, -1 none */
	char		error[512];	/* why not everything was delivered */
};

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

/* Seconds since the epoch, never negative. */
static int64_t
wall_now(void)
{
	time_t	t = time(NULL);

	return t > 0 ? (int64_t)t : 0;
}

/* Set a pass error unless one is set already; peer text is escaped. */
static void
pass_error(struct sync_pass *p, const char *msg)
{
	if (p->error[0] == '\0')
		tly_log_escape(msg, strlen(msg), p->error, sizeof(p->error));
}

/* Count the bytes of a call; an HTTP answer is a contact. */
static void
sync_account(struct tly_dsync *s, const struct tly_http_result *res,
    int answered)
{
	pthread_mutex_lock(&s->mu);
	s->wire_up += res->bytes_up + res->header_up;
	s->wire_down += res->bytes_down + res->header_down;
	if (answered)
		s->last_contact = wall_now();
	s->dirty = 1;
	pthread_mutex_unlock(&s->mu);
}

/* Count the records of a batch acknowledged. */
static void
sync_acked_records(struct tly_dsync *s, uint64_t nrecords)
{
	pthread_mutex_lock(&s->mu);
	s->wire_records += nrecords;
	s->dirty = 1;
	pthread_mutex_unlock(&s->mu);
}

/*
 * One call to the central with the syncer's timeouts and cancel flag.
 * Returns as tly_http_request(); the bytes are counted either way.
 */
static int
sync_call(struct tly_dsync *s, struct tly_http_call *call,
    struct tly_http_result *res)
{
	int	r;

	call->connect_timeout_s = (long)s->d->conf.connect_timeout;
	call->low_speed_time_s = (long)s->d->conf.low_speed_time;
	call->resp_max = SYNC_RESP_MAX;
	call->cancel = &s->cancel;
	r = tly_http_request(call, res);
	sync_account(s, res, r != TLY_E_NET);
	return r;
}

/*
 * Is res an answer that is not the central's: a 2xx or 3xx whose body
 * is not a JSON object?  Then write why into msg and return 1.
 */
static int
sync_portal(const struct tly_http_result *res, char *msg, size_t msglen)
{
	struct tly_json	*root = NULL;
	const char	*p = (const char *)res->body.p;
	size_t		 i = 0;
	int		 json;

	if (res->status < 200 || res->status >= 400)
		return 0;
	json = res->status < 300 &&
	    strncasecmp(res->content_type, "application/json", 16) == 0 &&
	    tly_json_parse(res->body.p, res->body.len, &root) == TLY_OK &&
	    tly_json_is_object(root);
	tly_json_free(root);
	if (json)
		return 0;
	while (i < res->body.len && (p[i] == ' ' || p[i] == '\t' ||
	    p[i] == '\r' || p[i] == '\n'))
		i++;
	if (strcasestr(res->content_type, "html") != NULL ||
	    (i < res->body.len && p[i] == '<'))
		snprintf(msg, msglen, "%s", SYNC_PORTAL_HTML);
	else if (res->status >= 300)
		snprintf(msg, msglen, "captive portal detected: the central's "
		    "address answered with a redirect (HTTP %ld), not a "
		    "signed receipt", res->status);
	else
		snprintf(msg, msglen, "captive portal detected: the central's "
		    "address answered HTTP %ld with something other than the "
		    "central's JSON", res->status);
	return 1;
}

/*
 * Describe an answer that is not what was asked for in p->error (busy,
 * a portal, an error body).  Sets p->retry_after on 429 and 503.
 */
static void
pass_other(const struct tly_http_result *res, struct sync_pass *p)
{
	struct tly_json		*root = NULL;
	const struct tly_json	*err;
	const char		*code = NULL, *msg = NULL;
	char			 text[512];

	if (sync_portal(res, text, sizeof(text))) {
		pass_error(p, text);
		return;
	}
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
		snprintf(text, sizeof(text), "central answered HTTP %ld "
		    "without an error body", res->status);
	pass_error(p, text);
	tly_json_free(root);
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
		sync_acked_records(s, it->nrecords);
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
	tly_log_debug("sync: sending %zu batches, %zu bytes", n, body.len);
	r = sync_call(s, &call, &res);
	if (r == TLY_E_NET) {
		snprintf(text, sizeof(text), "central unreachable: %s",
		    res.error[0] ? res.error : "no answer");
		pass_error(p, text);
		items_error(s, items, n, NULL, p->error);
		goto out;
	}
	if (r != TLY_OK) {
		pass_error(p, SYNC_NO_RECEIPT);
		items_error(s, items, n, NULL, SYNC_NO_RECEIPT);
		goto out;
	}
	if ((res.status == 200 || res.status == 422) &&
	    !sync_portal(&res, text, sizeof(text)))
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

/*
 * GET a path of the central into *res and check the answer is a 200
 * JSON object (*rootp).  TLY_OK; TLY_E_NET (p->error says why: the run
 * should stop); TLY_E_NOTFOUND when the central answered something else
 * that is not a reason to stop (an older central without the path).
 */
static int
sync_get(struct tly_dsync *s, const char *path, struct tly_json **rootp,
    struct sync_pass *p)
{
	struct tly_http_call	 call;
	struct tly_http_result	 res;
	char			 url[1024], text[512];
	int			 r;

	*rootp = NULL;
	snprintf(url, sizeof(url), "%s%s", s->d->conf.central, path);
	memset(&call, 0, sizeof(call));
	call.url = url;
	call.method = "GET";
	r = sync_call(s, &call, &res);
	if (r == TLY_E_NET) {
		snprintf(text, sizeof(text), "central unreachable: %s",
		    res.error[0] ? res.error : "no answer");
		pass_error(p, text);
		goto out;
	}
	if (r != TLY_OK) {
		pass_error(p, res.error);
		r = TLY_E_NET;
		goto out;
	}
	if (res.status == 200 && !sync_portal(&res, text, sizeof(text)) &&
	    tly_json_parse(res.body.p, res.body.len, rootp) == TLY_OK) {
		r = TLY_OK;
		goto out;
	}
	if (res.status == 429 || res.status == 503 ||
	    sync_portal(&res, text, sizeof(text))) {
		pass_other(&res, p);
		r = TLY_E_NET;
		goto out;
	}
	tly_log_debug("sync: GET %s: HTTP %ld; going on without it", path,
	    res.status);
	r = TLY_E_NOTFOUND;
 out:
	tly_http_result_free(&res);
	return r;
}

/*
 * Verify one receipt of GET .../receipts for device key against the
 * batch of kind it names, and store it.  1 and *seqp when it is ours.
 */
static int
resume_receipt(struct tly_dsync *s, enum tly_dkind kind,
    const uint8_t key[TLY_PK_LEN], const struct tly_json *el,
    uint64_t *seqp, struct sync_pass *p)
{
	struct tly_buf		 rb = TLY_BUF_INIT(SYNC_RECEIPT_MAX);
	struct tly_receipt	 rc;
	struct tly_dstore_found	 f;
	const char		*str;
	int			 ok = 0;

	if ((str = tly_json_string(tly_json_get(el, "receipt"))) == NULL ||
	    tly_b64_decode(str, strlen(str), &rb) != TLY_OK ||
	    tly_receipt_verify(rb.p, rb.len, s->d->central_pk, &rc) != TLY_OK ||
	    memcmp(rc.device, key, TLY_PK_LEN) != 0) {
		tly_log_warn("sync: a receipt in the central's list does not "
		    "verify under its key for this device; ignored");
		goto out;
	}
	/* Another batch of that seq (not held here) is none of ours. */
	if (tly_dstore_find(s->d->store, kind, rc.batch, &f) != TLY_OK ||
	    f.seq != rc.seq ||
	    (kind == TLY_DKIND_RELAY && memcmp(f.device, key, TLY_PK_LEN) != 0))
		goto out;
	*seqp = rc.seq;
	ok = 1;
	if (f.state == TLY_DSTATE_ACKED)
		goto out;
	if (tly_dstore_ack(s->d->store, kind, rc.batch, rb.p, rb.len,
	    (uint64_t)wall_now()) != TLY_OK) {
		pass_error(p, tly_errdetail());
		ok = 0;
		goto out;
	}
	p->acked++;
	sync_acked_records(s, f.nrecords);
 out:
	tly_buf_free(&rb);
	return ok;
}

/*
 * Resume one device: ask the central's head and, when it may hold some
 * of the unacknowledged batches, collect their receipts.  TLY_E_NET when
 * the run should stop (p->error says why).
 */
static int
resume_device(struct tly_dsync *s, const struct tly_dstore_dev *dv,
    struct sync_pass *p)
{
	struct tly_json		*root = NULL;
	const struct tly_json	*list, *el, *next;
	const uint8_t		*key = dv->kind == TLY_DKIND_OWN ?
				    s->d->device : dv->device;
	char			 hex[TLY_HEX_PK], path[256];
	uint64_t		 head = 0, from, nfrom = 0, seq, top;
	unsigned		 page;
	int			 r, held_above, more;

	tly_hex(key, TLY_PK_LEN, hex);
	snprintf(path, sizeof(path), "/v1/devices/%s/head", hex);
	if ((r = sync_get(s, path, &root, p)) == TLY_E_NET)
		return r;
	if (r == TLY_OK && tly_json_get_int(root, "head", "head", &head) !=
	    TLY_OK)
		head = 0;
	/* Batches held above a gap are listed in "pending" (8.2). */
	list = r == TLY_OK ? tly_json_get(root, "pending") : NULL;
	held_above = tly_json_is_array(list) && tly_json_count(list) > 0;
	tly_json_free(root);
	root = NULL;
	/* Never sent and not held: the central lacks them all. */
	if (dv->nsent == 0 && head < dv->min_seq && !held_above)
		return TLY_OK;
	for (from = dv->min_seq, page = 0; page < SYNC_PAGES_MAX &&
	    from <= dv->max_seq; page++) {
		snprintf(path, sizeof(path), "/v1/devices/%s/receipts?from=%"
		    PRIu64, hex, from);
		if ((r = sync_get(s, path, &root, p)) != TLY_OK)
			return r == TLY_E_NET ? r : TLY_OK;
		top = 0;
		list = tly_json_get(root, "receipts");
		if (tly_json_is_array(list))
			for (el = tly_json_first(list); el != NULL;
			    el = tly_json_next(el))
				if (resume_receipt(s, dv->kind, key, el,
				    &seq, p) && seq > top)
					top = seq;
		/* "next" pages on (8.2.1); without it, go on after top. */
		next = tly_json_get(root, "next");
		if (next == NULL) {
			more = top >= from;
			nfrom = top + 1;
		} else
			more = !tly_json_is_null(next) &&
			    tly_json_get_int(root, "receipts", "next",
			    &nfrom) == TLY_OK && nfrom > from;
		tly_json_free(root);
		root = NULL;
		if (!more)
			break;
		from = nfrom;
	}
	return TLY_OK;
}

/*
 * The resume step of a run, for every device with unacknowledged
 * batches.  TLY_E_NET when the run should stop.
 */
static int
sync_resume(struct tly_dsync *s, struct sync_pass *p)
{
	struct tly_dstore_dev	*devs = NULL;
	size_t			 n, i;
	int			 r = TLY_OK;

	memset(p, 0, sizeof(*p));
	p->retry_after = -1;
	if (tly_dstore_unacked_devices(s->d->store, SYNC_DEVICES_MAX, &devs,
	    &n) != TLY_OK) {
		pass_error(p, tly_errdetail());
		return TLY_E_NET;
	}
	for (i = 0; i < n && !s->cancel; i++)
		if ((r = resume_device(s, &devs[i], p)) != TLY_OK)
			break;
	free(devs);
	return r;
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
	    "wire_down", "wire_records", "fail_since" };
	char		 v[5][24];
	const char	*vals[5];
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
	pthread_mutex_unlock(&s->mu);
	if (!dirty)
		return;
	for (i = 0; i < 5; i++)
		vals[i] = v[i];
	if (tly_dstore_meta_set_n(s->d->store, keys, vals, 5) != TLY_OK)
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
	struct sync_pass	 p;
	uint64_t		 delay = 0;
	size_t			 n;
	int			 finished = 0, resumed = 0;
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
			if (sync_resume(s, &p) != TLY_OK) {
				res->acknowledged += p.acked;
				retry_after = p.retry_after;
				snprintf(res->error, sizeof(res->error), "%s",
				    p.error[0] ? p.error : SYNC_NO_RECEIPT);
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
			s->since = wall_now();
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
	s->next_attempt = wall_now() + (ahead > 0 ? ahead : 0);
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
			if (s->has_deadline)
				(void)pthread_cond_timedwait(&s->cv, &s->mu,
				    &s->deadline);
			else
				(void)pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
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
			    wall_now()));
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

void
tly_dsync_get_status(struct tly_dsync *s, struct tly_dsync_status *st)
{
	pthread_mutex_lock(&s->mu);
	st->last_contact = s->last_contact;
	st->next_attempt = s->has_deadline ? s->next_attempt : -1;
	st->since = s->failures > 0 ? s->since : -1;
	st->wire_up = s->wire_up;
	st->wire_down = s->wire_down;
	st->wire_records = s->wire_records;
	snprintf(st->last_error, sizeof(st->last_error), "%s", s->last_error);
	pthread_mutex_unlock(&s->mu);
}
