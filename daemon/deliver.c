/*
 * deliver.c: the requests of one sync run (syncer.c runs them).
 *
 * The resume step: for every device with unacknowledged batches (its
 * own chain, then each relayed device) ask the central's head and, when
 * the central may hold some of them (an answer cut on the way back, a
 * pending batch ahead of a gap), collect their receipts with
 * GET /v1/devices/{key}/receipts, so nothing the central acknowledged is
 * sent again.
 *
 * A pass: up to batch-max batches (about 1 MiB) in (device, seq) order,
 * posted as one bundle.  A batch counts as delivered only when the
 * answer holds a receipt that verifies for it.  A final rejection (a
 * verdict on the batch itself, sync/verify.h) makes the batch
 * "rejected", never sent again; any other rejection is stored as the
 * batch's last error and the batch is sent again later.  An answer that is not the central's (HTML, a
 * redirect, a 2xx without a JSON object) is reported as a captive
 * portal, and 429 or 503 as a busy central with its Retry-After.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/log.h"
#include "sync/api.h"
#include "sync/http.h"
#include "sync/verify.h"
#include "sync/wire.h"
#include "daemon/tallyd.h"
#include "daemon/syncstate.h"

#define SYNC_RESP_MAX		TLY_RESP_MAX	/* answer cap */
#define SYNC_RECEIPT_MAX	TLY_RECEIPT_MAX	/* decoded receipt cap */
#define SYNC_GZIP_OVER		1024		/* gzip bodies above this */
#define SYNC_DEVICES_MAX	4096		/* devices resumed per run */
#define SYNC_PAGES_MAX		1024		/* receipt pages per device */
#define SYNC_PORTAL_HTML	"captive portal detected: the central's " \
	"address answered with HTML, not a signed receipt"

/* Set a pass error unless one is set already; peer text is escaped. */
static void
pass_error(struct tly_dsync_pass *p, const char *msg)
{
	if (p->error[0] == '\0')
		tly_log_escape(msg, strlen(msg), p->error, sizeof(p->error));
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
	tly_dsync_account(s, res, r != TLY_E_NET);
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
pass_other(const struct tly_http_result *res, struct tly_dsync_pass *p)
{
	struct tly_json		*root = NULL;
	const char		*code = NULL, *msg = NULL;
	char			 text[512];

	if (sync_portal(res, text, sizeof(text))) {
		pass_error(p, text);
		return;
	}
	if (tly_json_parse(res->body.p, res->body.len, &root) == TLY_OK)
		(void)tly_http_error_get(tly_json_get(root, "error"), &code,
		    &msg);
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
    struct tly_dsync_pass *p)
{
	struct tly_buf		 rb = TLY_BUF_INIT(SYNC_RECEIPT_MAX);
	struct tly_envelope	 env;
	struct tly_receipt	 rc;
	struct tly_api_result	 res;
	const struct tly_dstore_item *it;
	const char		*code, *msg;
	char			 text[512], esc[400];

	if (tly_api_result_read(el, &res, &rb) != TLY_OK ||
	    res.index >= n || done[res.index])
		goto out;
	it = &items[res.index];
	if (res.receipt != NULL) {
		if (tly_dkeys_receipt(s->d, rb.p, rb.len, &rc) != TLY_OK) {
			tly_log_warn("sync: invalid receipt for batch seq "
			    "%llu: %s", (unsigned long long)it->seq,
			    tly_errdetail());
			pass_error(p, tly_errdetail());
			goto out;	/* not delivery */
		}
		if (tly_envelope_parse(it->bytes, it->len, &env) != TLY_OK ||
		    tly_api_receipt_match(&rc, env.signer, it->seq, it->id) !=
		    TLY_OK) {
			tly_log_warn("sync: invalid receipt for batch %s seq "
			    "%llu", it->kind == TLY_DKIND_OWN ? "own" :
			    "relayed", (unsigned long long)it->seq);
			goto out;	/* not delivery */
		}
		if (tly_dstore_ack(s->d->store, it->kind, it->id, rb.p, rb.len,
		    (uint64_t)tly_dsync_wall_now()) != TLY_OK) {
			tly_log_error("sync: %s", tly_errdetail());
			pass_error(p, tly_errdetail());
			goto out;
		}
		done[res.index] = 1;
		p->acked++;
		tly_dsync_acked_records(s, it->nrecords);
		if (it->kind == TLY_DKIND_OWN &&
		    res.status == TLY_API_EQUIVOCATION)
			tly_dfreeze_equivocation(s->d, it->seq);
		goto out;
	}
	if (res.status != TLY_API_REJECTED)
		goto out;
	code = res.code;
	msg = res.message;
	if (tly_verify_code_final(code)) {
		/* Final: kept with its code, never sent again (9.1). */
		tly_log_escape(msg ? msg : "", strlen(msg ? msg : ""), esc,
		    sizeof(esc));
		if (tly_dstore_reject(s->d->store, it->kind, it->id, code,
		    esc) != TLY_OK) {
			pass_error(p, tly_errdetail());
			goto out;
		}
		tly_log_warn("sync: %sbatch seq %llu rejected for good by the "
		    "central, not sent again: %s: %s", it->kind ==
		    TLY_DKIND_RELAY ? "relayed " : "",
		    (unsigned long long)it->seq, code, esc);
		p->rejected++;
		done[res.index] = 1;
		goto out;
	}
	snprintf(text, sizeof(text), "%s: %s", code ? code : "rejected",
	    msg ? msg : "");
	tly_log_escape(text, strlen(text), esc, sizeof(esc));
	(void)tly_dstore_set_error(s->d->store, it->kind, it->id, esc);
	snprintf(text, sizeof(text), "batch seq %llu rejected: %s",
	    (unsigned long long)it->seq, esc);
	tly_log_warn("sync: %s%s", it->kind == TLY_DKIND_RELAY ?
	    "relayed " : "", text);
	pass_error(p, text);
	done[res.index] = 1;
 out:
	tly_buf_free(&rb);
}

/* Read an answer of status 200 or 422: {"results": [...]}. */
static void
pass_answer(struct tly_dsync *s, const struct tly_dstore_item *items,
    size_t n, const struct tly_http_result *res, struct tly_dsync_pass *p)
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
	    (results = tly_api_results_get(root)) != NULL)
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
void
tly_dsync_send(struct tly_dsync *s, const struct tly_dstore_item *items,
    size_t n, struct tly_dsync_pass *p)
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
	call.content_type = TLY_BUNDLE_TYPE;
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
    struct tly_dsync_pass *p)
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
    const uint8_t key[TLY_PK_LEN], const struct tly_api_held *e,
    uint64_t *seqp, struct tly_dsync_pass *p)
{
	struct tly_receipt	 rc;
	struct tly_dstore_found	 f;

	if (tly_dkeys_receipt(s->d, e->receipt, e->receipt_len, &rc) !=
	    TLY_OK || memcmp(rc.device, key, TLY_PK_LEN) != 0) {
		tly_log_warn("sync: a receipt in the central's list does not "
		    "verify under its key for this device; ignored");
		if (e->receipt_len > 0)
			pass_error(p, tly_errdetail());
		return 0;
	}
	/* Another batch of that seq (not held here) is none of ours. */
	if (tly_dstore_find(s->d->store, kind, rc.batch, &f) != TLY_OK ||
	    f.seq != rc.seq ||
	    (kind == TLY_DKIND_RELAY && memcmp(f.device, key, TLY_PK_LEN) != 0))
		return 0;
	*seqp = rc.seq;
	if (f.state == TLY_DSTATE_ACKED)
		return 1;
	if (tly_dstore_ack(s->d->store, kind, rc.batch, e->receipt,
	    e->receipt_len, (uint64_t)tly_dsync_wall_now()) != TLY_OK) {
		pass_error(p, tly_errdetail());
		return 0;
	}
	p->acked++;
	tly_dsync_acked_records(s, f.nrecords);
	return 1;
}

/*
 * GET path, a device's head (8.2) into *h or a page of its receipts
 * (8.2.1) into *page, whichever is not NULL (a page is released by the
 * caller whatever the result).  TLY_OK; TLY_E_NET when the run should
 * stop; TLY_E_NOTFOUND when there is no usable answer.
 */
static int
resume_get(struct tly_dsync *s, const char *path, struct tly_api_head *h,
    struct tly_api_receipts *page, struct tly_dsync_pass *p)
{
	struct tly_json	*root = NULL;
	int		 r;

	if (page != NULL)
		tly_api_receipts_init(page, NULL);
	if ((r = sync_get(s, path, &root, p)) == TLY_OK &&
	    (h != NULL ? tly_api_head_read(root, h) :
	    tly_api_receipts_read(root, page)) != TLY_OK) {
		tly_log_warn("sync: GET %s: %s; going on without it", path,
		    tly_errdetail());
		r = TLY_E_NOTFOUND;
	}
	tly_json_free(root);
	return r;
}

/*
 * Resume one device: ask the central's head and, when it may hold some
 * of the unacknowledged batches, collect their receipts.  TLY_E_NET when
 * the run should stop (p->error says why).
 */
static int
resume_device(struct tly_dsync *s, const struct tly_dstore_dev *dv,
    struct tly_dsync_pass *p)
{
	struct tly_api_head	 h;
	struct tly_api_receipts	 page;
	const uint8_t		*key = dv->kind == TLY_DKIND_OWN ?
				    s->d->device : dv->device;
	char			 hex[TLY_HEX_PK], path[256];
	uint64_t		 head = 0, from, nfrom, seq, top;
	size_t			 i;
	unsigned		 pageno;
	int			 r, held_above = 0, more;

	tly_hex(key, TLY_PK_LEN, hex);
	snprintf(path, sizeof(path), "/v1/devices/%s/head", hex);
	if ((r = resume_get(s, path, &h, NULL, p)) == TLY_E_NET)
		return r;
	if (r == TLY_OK) {
		head = h.head;
		/* Batches held above a gap are listed in "pending" (8.2). */
		held_above = h.npending > 0;
		if (dv->kind == TLY_DKIND_OWN)
			tly_dfreeze_head(s->d, &h);
	}
	/* Never sent and not held: the central lacks them all. */
	if (dv->nsent == 0 && head < dv->min_seq && !held_above)
		return TLY_OK;
	for (from = dv->min_seq, pageno = 0; pageno < SYNC_PAGES_MAX &&
	    from <= dv->max_seq; pageno++) {
		snprintf(path, sizeof(path), "/v1/devices/%s/receipts?from=%"
		    PRIu64, hex, from);
		if ((r = resume_get(s, path, NULL, &page, p)) != TLY_OK) {
			tly_api_receipts_finish(&page);
			return r == TLY_E_NET ? r : TLY_OK;
		}
		top = 0;
		for (i = 0; i < page.n; i++)
			if (resume_receipt(s, dv->kind, key, &page.e[i], &seq,
			    p) && seq > top)
				top = seq;
		/* "next" pages on (8.2.1); without it, go on after top. */
		if (!page.has_next) {
			more = top >= from;
			nfrom = top + 1;
		} else {
			nfrom = page.next;
			more = nfrom > from;
		}
		tly_api_receipts_finish(&page);
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
int
tly_dsync_resume(struct tly_dsync *s, struct tly_dsync_pass *p)
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

