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
 * posted as one bundle by the upload client (sync/upload.h), which
 * checks the answer: a captive portal or a busy central (with its
 * Retry-After) delivers nothing, and a batch counts as delivered only
 * when the answer holds a receipt that verifies for it.  The policy is
 * here: a receipt is stored; a final rejection (a verdict on the batch
 * itself, sync/verify.h) makes the batch "rejected", never sent again;
 * any other rejection is stored as the batch's last error and the batch
 * is sent again later.  A failure is carried as its code and detail.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/log.h"
#include "sync/api.h"
#include "sync/head.h"
#include "sync/http.h"
#include "sync/upload.h"
#include "sync/verify.h"
#include "sync/wire.h"
#include "daemon/tallyd.h"
#include "daemon/syncstate.h"

#define SYNC_RESP_MAX		TLY_RESP_MAX	/* answer cap */
#define SYNC_GZIP_OVER		1024		/* gzip bodies above this */
#define SYNC_DEVICES_MAX	4096		/* devices resumed per run */
#define SYNC_PAGES_MAX		1024		/* receipt pages per device */

/*
 * Record the pass's failure unless one is recorded already: the code
 * err and its detail (tly_errmsg(err) when detail is NULL), escaped, as
 * peers send some of it.
 */
static void
pass_fail(struct tly_dsync_pass *p, int err, const char *detail)
{
	if (p->err != TLY_OK)
		return;
	if (detail == NULL)
		detail = tly_errmsg(err);
	p->err = err;
	tly_log_escape(detail, strlen(detail), p->detail, sizeof(p->detail));
}

/* Store msg as the last error of every item not done. */
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

/* The state of one pass, for the upload client's callbacks. */
struct pass_ctx {
	struct tly_dsync		*s;
	const struct tly_dstore_item	*items;
	size_t				 n;
	unsigned char			*done;	/* items accounted for */
	struct tly_dsync_pass		*p;
};

/* Verify a receipt under the central's key (upload.h verify). */
static int
pass_verify(void *arg, const uint8_t *m, size_t len, struct tly_receipt *rc)
{
	struct pass_ctx	*c = arg;

	return tly_dkeys_receipt(c->s->d, m, len, rc);
}

/* Mark the items of a request sent (upload.h sending). */
static int
pass_sending(void *arg, size_t from, size_t to)
{
	struct pass_ctx	*c = arg;

	return tly_dstore_mark_sent(c->s->d->store, c->items + from,
	    to - from);
}

/* Count a call's bytes (upload.h account). */
static void
pass_account(void *arg, const struct tly_http_result *res, int answered)
{
	struct pass_ctx	*c = arg;

	tly_dsync_account(c->s, res, answered);
}

/* A rejection: final ones are kept, never sent again (9.1). */
static void
pass_rejected(struct pass_ctx *c, const struct tly_dstore_item *it,
    const struct tly_upload_result *r)
{
	const char	*msg = r->message != NULL ? r->message : "";
	char		 text[512], esc[400];
	int		 e;

	if (tly_verify_code_final(r->code)) {
		tly_log_escape(msg, strlen(msg), esc, sizeof(esc));
		if ((e = tly_dstore_reject(c->s->d->store, it->kind, it->id,
		    r->code, esc)) != TLY_OK) {
			pass_fail(c->p, e, NULL);
			return;
		}
		tly_log_warn("sync: %sbatch seq %llu rejected for good by the "
		    "central, not sent again: %s: %s", it->kind ==
		    TLY_DKIND_RELAY ? "relayed " : "",
		    (unsigned long long)it->seq, r->code, esc);
		c->p->rejected++;
		c->done[r->item] = 1;
		return;
	}
	snprintf(text, sizeof(text), "%s: %s", r->code ? r->code : "rejected",
	    msg);
	tly_log_escape(text, strlen(text), esc, sizeof(esc));
	(void)tly_dstore_set_error(c->s->d->store, it->kind, it->id, esc);
	tly_log_warn("sync: %sbatch seq %llu rejected: %s", it->kind ==
	    TLY_DKIND_RELAY ? "relayed " : "", (unsigned long long)it->seq,
	    esc);
	e = r->err != TLY_OK ? r->err : TLY_E_HTTP;
	(void)tly_fail(e, "batch seq %llu rejected: %s",
	    (unsigned long long)it->seq, esc);
	pass_fail(c->p, e, NULL);
	c->done[r->item] = 1;
}

/*
 * One checked result (upload.h result): store the receipt, or the
 * rejection.  done[item] is set once the item is accounted for.
 */
static void
pass_result(void *arg, const struct tly_upload_result *r)
{
	struct pass_ctx			*c = arg;
	const struct tly_dstore_item	*it = &c->items[r->item];
	int				 e;

	if (r->status == TLY_API_REJECTED) {
		pass_rejected(c, it, r);
		return;
	}
	if (r->check != TLY_OK) {	/* not delivery */
		tly_log_warn("sync: invalid receipt for %s batch seq %llu: %s",
		    it->kind == TLY_DKIND_OWN ? "own" : "relayed",
		    (unsigned long long)it->seq, tly_errmsg(r->check));
		pass_fail(c->p, r->check, NULL);
		return;
	}
	if ((e = tly_dstore_ack(c->s->d->store, it->kind, it->id, r->receipt,
	    r->receipt_len, (uint64_t)tly_dsync_wall_now())) != TLY_OK) {
		tly_log_error("sync: %s", tly_errmsg(e));
		pass_fail(c->p, e, NULL);
		return;
	}
	c->done[r->item] = 1;
	c->p->acked++;
	tly_dsync_acked_records(c->s, it->nrecords);
	if (it->kind == TLY_DKIND_OWN && r->status == TLY_API_EQUIVOCATION)
		tly_dfreeze_equivocation(c->s->d, it->seq);
}

/* Send items[0..n) as one bundle and process the answer. */
void
tly_dsync_send(struct tly_dsync *s, const struct tly_dstore_item *items,
    size_t n, struct tly_dsync_pass *p)
{
	struct tly_upload		 u;
	struct tly_upload_report	 rep;
	struct tly_upload_item		*ui = NULL;
	struct tly_envelope		 env;
	struct pass_ctx			 c;
	char				 url[1024];
	size_t				 i, missing = 0;

	memset(p, 0, sizeof(*p));
	p->retry_after = -1;
	memset(&c, 0, sizeof(c));
	if ((ui = calloc(n > 0 ? n : 1, sizeof(*ui))) == NULL ||
	    (c.done = calloc(n > 0 ? n : 1, 1)) == NULL) {
		pass_fail(p, TLY_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		ui[i].m = items[i].bytes;
		ui[i].len = items[i].len;
		memcpy(ui[i].id, items[i].id, TLY_HASH_LEN);
		ui[i].seq = items[i].seq;
		if (tly_envelope_parse(items[i].bytes, items[i].len, &env) ==
		    TLY_OK) {
			ui[i].known = 1;
			memcpy(ui[i].device, env.signer, TLY_PK_LEN);
		}
	}
	c.s = s;
	c.items = items;
	c.n = n;
	c.p = p;
	snprintf(url, sizeof(url), "%s/v1/batches", s->d->conf.central);
	memset(&u, 0, sizeof(u));
	u.url = url;
	u.peer = "central";
	u.gzip_over = SYNC_GZIP_OVER;
	u.connect_timeout_s = (long)s->d->conf.connect_timeout;
	u.low_speed_time_s = (long)s->d->conf.low_speed_time;
	u.resp_max = SYNC_RESP_MAX;
	u.cancel = &s->cancel;
	u.verify = pass_verify;
	u.sending = pass_sending;
	u.account = pass_account;
	u.result = pass_result;
	u.arg = &c;
	tly_log_debug("sync: sending %zu batches", n);
	if (tly_upload_send(&u, ui, n, &rep) != TLY_OK) {
		p->retry_after = rep.retry_after;
		pass_fail(p, rep.err, rep.detail);
		items_error(s, items, n, c.done, p->detail);
		goto out;
	}
	/* Entries neither acknowledged nor rejected were not delivered. */
	for (i = 0; i < n; i++)
		missing += !c.done[i];
	if (missing > 0) {
		items_error(s, items, n, c.done, SYNC_NO_RECEIPT);
		pass_fail(p, TLY_E_RECEIPT, SYNC_NO_RECEIPT);
	}
 out:
	free(c.done);
	free(ui);
}

/*
 * What the resume GET of what (a path, or the head) came to, r: count
 * its bytes and release res.  TLY_OK; TLY_E_NOTFOUND when the central
 * answered an error status, not a reason to stop (an older central
 * without the path), or r was TLY_E_NOTFOUND already; else r, the
 * failure that should stop the run (p says why).
 */
static int
resume_answered(struct tly_dsync *s, const char *what, int r,
    struct tly_http_result *res, struct tly_dsync_pass *p)
{
	tly_dsync_account(s, res, r != TLY_E_NET);
	if (r == TLY_E_HTTP && res->status >= 400) {
		tly_log_debug("sync: GET %s: HTTP %ld; going on without it",
		    what, res->status);
		r = TLY_E_NOTFOUND;
	} else if (r != TLY_OK && r != TLY_E_NOTFOUND) {
		if (r == TLY_E_BUSY)
			p->retry_after = res->retry_after;
		pass_fail(p, r, NULL);
	}
	tly_http_result_free(res);
	return r;
}

/*
 * GET a path of the central and check the answer is a 200 JSON object
 * (*rootp).  As resume_answered().
 */
static int
sync_get(struct tly_dsync *s, const char *path, struct tly_json **rootp,
    struct tly_dsync_pass *p)
{
	struct tly_http_call	 call;
	struct tly_http_result	 res;
	char			 url[1024];
	int			 r;

	*rootp = NULL;
	snprintf(url, sizeof(url), "%s%s", s->d->conf.central, path);
	memset(&call, 0, sizeof(call));
	call.url = url;
	call.method = "GET";
	call.connect_timeout_s = (long)s->d->conf.connect_timeout;
	call.low_speed_time_s = (long)s->d->conf.low_speed_time;
	call.resp_max = SYNC_RESP_MAX;
	call.cancel = &s->cancel;
	r = tly_http_request(&call, &res);
	if (r == TLY_E_NET)
		r = tly_fail(TLY_E_NET, "central unreachable: %s",
		    res.error[0] ? res.error : "no answer");
	else if (r == TLY_OK && (r = tly_upload_answer_check("central",
	    &res)) == TLY_OK && (r = tly_json_parse(res.body.p, res.body.len,
	    rootp)) != TLY_OK)
		r = tly_fail(TLY_E_HTTP, "GET %s: the answer is not JSON", path);
	return resume_answered(s, path, r, &res, p);
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
	int			 r;

	if (tly_dkeys_receipt(s->d, e->receipt, e->receipt_len, &rc) !=
	    TLY_OK || memcmp(rc.device, key, TLY_PK_LEN) != 0) {
		tly_log_warn("sync: a receipt in the central's list does not "
		    "verify under its key for this device; ignored");
		if (e->receipt_len > 0)
			pass_fail(p, TLY_E_RECEIPT, tly_errdetail());
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
	if ((r = tly_dstore_ack(s->d->store, kind, rc.batch, e->receipt,
	    e->receipt_len, (uint64_t)tly_dsync_wall_now())) != TLY_OK) {
		pass_fail(p, r, NULL);
		return 0;
	}
	p->acked++;
	tly_dsync_acked_records(s, f.nrecords);
	return 1;
}

/*
 * GET path, a page of a device's receipts (8.2.1) into *page (released
 * by the caller whatever the result).  TLY_OK; another code when the
 * run should stop (p says why); TLY_E_NOTFOUND when there is no usable
 * answer.
 */
static int
resume_page(struct tly_dsync *s, const char *path,
    struct tly_api_receipts *page, struct tly_dsync_pass *p)
{
	struct tly_json	*root = NULL;
	int		 r;

	tly_api_receipts_init(page, NULL);
	if ((r = sync_get(s, path, &root, p)) == TLY_OK &&
	    tly_api_receipts_read(root, page) != TLY_OK) {
		tly_log_warn("sync: GET %s: %s; going on without it", path,
		    tly_errdetail());
		r = TLY_E_NOTFOUND;
	}
	tly_json_free(root);
	return r;
}

/*
 * The central's head of device key into *h (8.2).  TLY_OK; another code
 * when the run should stop (p says why); TLY_E_NOTFOUND when there is no
 * usable answer (an error status: an older central; not a head).
 */
static int
resume_head(struct tly_dsync *s, const uint8_t key[TLY_PK_LEN],
    struct tly_api_head *h, struct tly_dsync_pass *p)
{
	struct tly_head_call	 c;
	struct tly_http_result	 res;
	int			 r;

	memset(&c, 0, sizeof(c));
	c.central = s->d->conf.central;
	c.device = key;
	c.connect_timeout_s = (long)s->d->conf.connect_timeout;
	c.low_speed_time_s = (long)s->d->conf.low_speed_time;
	c.cancel = &s->cancel;
	if ((r = tly_head_fetch(&c, h, &res)) == TLY_E_JSON ||
	    r == TLY_E_TOO_LARGE) {
		tly_log_warn("sync: the central's head: %s; going on without "
		    "it", tly_errmsg(r));
		r = TLY_E_NOTFOUND;
	}
	return resume_answered(s, "the head", r, &res, p);
}

/*
 * Resume one device: ask the central's head and, when it may hold some
 * of the unacknowledged batches, collect their receipts.  TLY_OK, or the
 * failure that should stop the run (p says why).
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
	if ((r = resume_head(s, key, &h, p)) != TLY_OK && r != TLY_E_NOTFOUND)
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
		if ((r = resume_page(s, path, &page, p)) != TLY_OK) {
			tly_api_receipts_finish(&page);
			return r == TLY_E_NOTFOUND ? TLY_OK : r;
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
 * batches.  TLY_OK, or the failure that should stop the run: the
 * store's own code, or the central's answer's (p says why).
 */
int
tly_dsync_resume(struct tly_dsync *s, struct tly_dsync_pass *p)
{
	struct tly_dstore_dev	*devs = NULL;
	size_t			 n, i;
	int			 r = TLY_OK;

	memset(p, 0, sizeof(*p));
	p->retry_after = -1;
	if ((r = tly_dstore_unacked_devices(s->d->store, SYNC_DEVICES_MAX,
	    &devs, &n)) != TLY_OK) {
		pass_fail(p, r, NULL);
		return r;
	}
	for (i = 0; i < n && !s->cancel; i++)
		if ((r = resume_device(s, &devs[i], p)) != TLY_OK)
			break;
	free(devs);
	return r;
}

