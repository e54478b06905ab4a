/*
 * ingest.c: POST /v1/batches (PROTOCOL.md 8.1), verifying each entry as
 * PROTOCOL.md section 10 says.
 *
 * Steps 1-7 (envelope, signature, body, election, mode, device list and
 * trust policy, record checks) are the one verifier's (sync/verify.h); they need no
 * database, so they run before the store lock is taken, for as
 * many entries as fit a memory budget; the rest are verified by the
 * writer.  Step 8 and storing are the writer's, in order, by the group
 * commit of group.c, which calls apply_one() for each request of a
 * group; each is answered only once its group is durable.  A request
 * whose storing fails is lost alone.  Rejected entries are logged and
 * kept in the rejection table.
 * The store applies the merge rules (PROTOCOL.md 12) as each batch is
 * put, and says whether it was applied, is pending or is equivocation.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "central/central.h"
#include "central/ctrust.h"
#include "central/group.h"
#include "central/guard.h"
#include "central/store.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/log.h"
#include "sync/api.h"
#include "sync/compress.h"
#include "sync/verify.h"
#include "sync/wire.h"

#define PREPARSE_RECORDS 256	/* records held verified before locking:
				   with 64 uploads in progress (threads 32),
				   16,384 at most */
#define MSG_MAX		600	/* a rejection message, escaped */

/* One entry of the bundle and what became of it. */
struct entry {
	const uint8_t		*m;		/* the signed message */
	size_t			 mlen;
	int			 verified;	/* steps 1-7 done */
	int			 late;		/* verified by the writer (past
						   the budget); freed once
						   stored, verified again by a
						   second pass */
	uint64_t		 rtime;		/* receipt time (13.7): the
						   clock at verification, the
						   receipt's "stored" */
	struct tly_batch	*b;		/* passed steps 1-7, or NULL */
	struct tly_buf		 receipt;	/* its receipt, sealed with b
						   outside the writer; used
						   unless it is a duplicate */
	struct tly_cstore_rows	 rows;		/* b's records as stored, made
						   outside the writer too */
	int			 err;		/* rejection code, or 0 */
	char			*msg;		/* rejection message (escaped) */
	int			 has_id;	/* id below is known */
	uint8_t			 id[TLY_HASH_LEN];	/* batch id */
	int			 stored;	/* newly stored (for the log) */
	enum tly_api_status	 status;	/* stored, pending, equivocation */
	uint8_t			 other[TLY_HASH_LEN];	/* equivocation partner */
	uint8_t			 device[TLY_PK_LEN];	/* if has_device */
	int			 has_device;	/* the body parsed (steps 1-5) */
	uint64_t		 seq;		/* if stored */
	size_t			 nrecords;	/* if stored */
};

/* The state of one request. */
struct ingest {
	struct tly_central	*c;		/* the central */
	struct tly_verify_ctx	 vctx;		/* steps 1-7 (sync/verify.h) */
	struct entry		*e;		/* the entries, in order */
	size_t			 n;		/* number of entries */
	struct tly_buf		 out;		/* the response body */
	struct tly_jw		 w;		/* writer over out */
	size_t			 nstored;	/* newly stored */
	size_t			 ndup;		/* already held */
	size_t			 nrejected;	/* rejected */
	size_t			 nequiv;	/* stored as equivocation */
	struct tly_group_item	 gi;		/* in the group commit */
};

/* Free the parsed batch of e, its receipt and its rows. */
static void
entry_clear(struct entry *e)
{
	tly_batch_free(e->b);
	e->b = NULL;
	tly_buf_free(&e->receipt);
	tly_cstore_rows_free(&e->rows);
}

/*
 * Seal e's receipt (13.7) for its batch b, received at e->rtime, and
 * make the rows of its records: neither depends on the store, so
 * request threads do it in parallel, and the writer only stores them.
 */
static int
entry_seal(struct tly_central *c, struct entry *e)
{
	struct tly_receipt	rc;
	int			r;

	memset(&rc, 0, sizeof(rc));
	memcpy(rc.device, e->b->device, TLY_PK_LEN);
	rc.seq = e->b->seq;
	memcpy(rc.batch, e->b->id, TLY_HASH_LEN);
	rc.stored = e->rtime;
	tly_buf_init(&e->receipt, TLY_MSG_MAX);
	if ((r = tly_receipt_seal(c->key, &rc, &e->receipt)) != TLY_OK)
		return r;
	return tly_cstore_rows(e->b, &e->rows);
}

/*
 * Mark e rejected with err and a message (printf-style); the message is
 * escaped so it is safe for the log and for JSON.  Returns TLY_OK: a
 * rejection is not a failure of the request.
 */
static int __attribute__((format(printf, 3, 4)))
entry_reject(struct entry *e, int err, const char *fmt, ...)
{
	char	raw[MSG_MAX], esc[MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	tly_log_escape(raw, strlen(raw), esc, sizeof(esc));
	entry_clear(e);
	free(e->msg);
	e->msg = strdup(esc);	/* NULL is answered with the error's text */
	e->err = err;
	return TLY_OK;
}

/*
 * PROTOCOL.md 10 steps 1-7 for e, by the one verifier.  Returns TLY_OK
 * (e verified or rejected) or an error of the central itself (out of
 * memory).
 */
static int
verify_entry(struct ingest *in, struct entry *e)
{
	struct tly_verify_result	res;
	int				r;

	e->verified = 1;
	e->rtime = (uint64_t)time(NULL);
	in->vctx.policy.receipt_time = e->rtime;
	if (in->c->trust != NULL) {
		pthread_rwlock_rdlock(&in->c->trust->lock);
		in->vctx.policy.trust = in->c->trust->t;
	}
	r = tly_verify_entry(&in->vctx, e->m, e->mlen, &res);
	if (in->c->trust != NULL) {
		in->vctx.policy.trust = NULL;
		pthread_rwlock_unlock(&in->c->trust->lock);
	}
	if (r == TLY_E_NOMEM || r == TLY_E_CRYPTO)
		return r;
	if (res.has_id) {
		memcpy(e->id, res.id, TLY_HASH_LEN);
		e->has_id = 1;
	}
	if (res.parsed) {
		memcpy(e->device, res.device, TLY_PK_LEN);
		e->has_device = 1;
	}
	if (r != TLY_OK)
		return entry_reject(e, r, "%s", res.detail);
	e->b = res.batch;	/* transferred; entry_reject() frees it */
	return entry_seal(in->c, e);
}

/*
 * Step 8 and storing, inside the group's transaction (group.c).
 * Appends the receipt to receipt and returns TLY_OK with *dup set, or
 * rejects e (step 8 writes nothing); any other error is a failure of
 * the central, which loses the whole request (the group is applied
 * again, each request in a savepoint), so an entry needs no savepoint
 * of its own.
 */
static int
store_entry(struct ingest *in, struct entry *e, struct tly_buf *receipt,
    int *dup)
{
	struct tly_central	*c = in->c;
	struct tly_batch	*b = e->b;
	enum tly_cstore_state	 state;
	int			 r;

	*dup = 0;
	tly_errclear();
	r = tly_cstore_check(c->store, b, receipt);
	if (r == TLY_E_DUPLICATE) {
		*dup = 1;
		return TLY_OK;
	}
	if (r == TLY_E_SEQ_CONFLICT || r == TLY_E_SEQ_GAP ||
	    r == TLY_E_CHAIN)	/* 10 step 8 */
		return entry_reject(e, r, "%s", tly_errmsg(r));
	if (r != TLY_OK)
		return r;
	if ((r = tly_buf_add(receipt, e->receipt.p, e->receipt.len)) !=
	    TLY_OK ||
	    (r = tly_cstore_put(c->store, b, &e->rows, e->m, e->mlen,
	    (time_t)e->rtime,
	    receipt->p, receipt->len, &state, e->other)) != TLY_OK)
		return r;
	e->status = state == TLY_CSTORE_APPLIED ? TLY_API_STORED :
	    state == TLY_CSTORE_PENDING ? TLY_API_PENDING :
	    TLY_API_EQUIVOCATION;
	return TLY_OK;
}

/* Set the message of an equivocating entry: the other batch. */
static void
equiv_message(struct entry *e)
{
	char	hex[TLY_HEX_HASH], msg[200];

	snprintf(msg, sizeof(msg), "device signed batch %s, which "
	    "conflicts with this one; device frozen",
	    tly_hex(e->other, TLY_HASH_LEN, hex));
	free(e->msg);
	e->msg = strdup(msg);	/* NULL is answered with a fixed text */
}

/* Append the result of entry i to the response (PROTOCOL.md 8.1). */
static int
emit_result(struct ingest *in, size_t i, enum tly_api_status status,
    const struct tly_buf *receipt)
{
	struct entry		*e = &in->e[i];
	struct tly_api_result	 res;

	memset(&res, 0, sizeof(res));
	res.index = i;
	res.status = status;
	if ((res.has_batch = e->has_id))
		memcpy(res.batch, e->id, TLY_HASH_LEN);
	if (e->err == 0) {
		res.has_device = 1;
		memcpy(res.device, e->b->device, TLY_PK_LEN);
		res.seq = e->b->seq;
		res.receipt = receipt->p;
		res.receipt_len = receipt->len;
		if (status == TLY_API_EQUIVOCATION) {
			res.code = "equivocation";
			res.message = e->msg != NULL ? e->msg :
			    "the device signed a conflicting batch";
		}
	} else {
		res.code = tly_err_code(e->err);
		res.message = e->msg != NULL ? e->msg : tly_strerror(e->err);
	}
	return tly_api_result_write(&in->w, &res);
}

/* Log a rejected entry, with everything a peer sent escaped. */
static void
log_rejection(const struct entry *e, size_t i)
{
	char	hex[TLY_HEX_HASH];

	tly_log_warn("rejected entry %zu batch %s: %s: %s", i,
	    e->has_id ? tly_hex(e->id, TLY_HASH_LEN, hex) : "-",
	    tly_err_code(e->err), e->msg != NULL ? e->msg :
	    tly_strerror(e->err));
}

/* Log a stored batch; an equivocation is a warning. */
static void
log_stored(const struct entry *e)
{
	char	h1[TLY_HEX_HASH], h2[TLY_HEX_PK], h3[TLY_HEX_HASH];

	if (e->status == TLY_API_EQUIVOCATION)
		tly_log_warn("equivocation: device %s seq %llu: batch %s "
		    "conflicts with batch %s; device frozen, evidence kept",
		    tly_hex(e->device, TLY_PK_LEN, h2),
		    (unsigned long long)e->seq,
		    tly_hex(e->id, TLY_HASH_LEN, h1),
		    tly_hex(e->other, TLY_HASH_LEN, h3));
	else
		tly_log_info("%s batch %s device %s seq %llu records %zu",
		    tly_api_status_name(e->status),
		    tly_hex(e->id, TLY_HASH_LEN, h1),
		    tly_hex(e->device, TLY_PK_LEN, h2),
		    (unsigned long long)e->seq, e->nrecords);
}

/*
 * Steps 8-9 for every entry of in, answering in order, inside the
 * group's transaction; when safe, in a savepoint of its own.  Returns
 * TLY_OK, or an error: with nothing of in applied when safe, and with
 * the transaction to be rolled back when not.  It may run again for the
 * same in (group_commit): it keeps each entry's parsed batch and starts
 * its answer afresh.
 */
static int
apply_one(struct ingest *in, int safe)
{
	struct tly_cstore	*s = in->c->store;
	struct tly_buf		 receipt = TLY_BUF_INIT(TLY_MSG_MAX);
	struct entry		*e;
	time_t			 now;
	size_t			 i;
	int			 r, dup;

	if (safe && (r = tly_cstore_savepoint(s)) != TLY_OK)
		return r;
	in->nstored = in->ndup = in->nrejected = in->nequiv = 0;
	tly_buf_reset(&in->out);
	tly_jw_init(&in->w, &in->out);
	tly_api_results_begin(&in->w);
	for (i = 0; i < in->n; i++) {
		e = &in->e[i];
		tly_buf_reset(&receipt);
		dup = 0;
		e->stored = 0;
		if (e->late) {		/* by an earlier pass */
			e->verified = 0;
			e->err = 0;
			free(e->msg);
			e->msg = NULL;
		}
		if (!e->verified) {
			e->late = 1;
			if ((r = verify_entry(in, e)) != TLY_OK)
				goto fail;
		}
		if (e->b != NULL &&
		    (r = store_entry(in, e, &receipt, &dup)) != TLY_OK)
			goto fail;
		if (e->err != 0) {
			now = time(NULL);
			if ((r = tly_cstore_reject(s, now, i,
			    tly_err_code(e->err), e->msg != NULL ? e->msg :
			    tly_strerror(e->err), e->has_id ? e->id : NULL,
			    e->has_device ? e->device : NULL, e->m, e->mlen)) !=
			    TLY_OK)
				goto fail;
			in->nrejected++;
			r = emit_result(in, i, TLY_API_REJECTED, NULL);
		} else {
			if (dup)
				in->ndup++;
			else
				in->nstored++;
			if (!dup && e->status == TLY_API_EQUIVOCATION) {
				in->nequiv++;
				equiv_message(e);
			}
			r = emit_result(in, i, dup ? TLY_API_DUPLICATE :
			    e->status, &receipt);
		}
		if (r != TLY_OK)
			goto fail;
		if (e->err == 0 && !dup) {
			e->stored = 1;
			memcpy(e->device, e->b->device, TLY_PK_LEN);
			e->seq = e->b->seq;
			e->nrecords = e->b->nrecords;
		}
		if (e->late)		/* within the memory budget */
			entry_clear(e);
	}
	tly_api_results_end(&in->w);
	if ((r = tly_jw_finish(&in->w)) != TLY_OK)
		goto fail;
	r = safe ? tly_cstore_release(s) : TLY_OK;
	goto out;
 fail:
	if (safe)
		tly_cstore_rollback_to(s);
 out:
	tly_buf_free(&receipt);
	return r;
}

/* Log and count (for /metrics) what was committed for in. */
static void
log_committed(const struct ingest *in)
{
	const struct entry	*e;
	size_t			 i;

	for (i = 0; i < in->n; i++) {
		e = &in->e[i];
		if (e->err != 0)
			log_rejection(e, i);
		else if (e->stored)
			log_stored(e);
		tly_central_metrics_entry(e->err != 0 ? TLY_CM_REJECTED :
		    !e->stored ? TLY_CM_DUPLICATE :
		    e->status == TLY_API_STORED ? TLY_CM_APPLIED :
		    e->status == TLY_API_PENDING ? TLY_CM_PENDING :
		    TLY_CM_EQUIVOCATION, e->err, e->nrecords);
	}
}

/* apply_one() as the group commit calls it. */
static int
apply_item(struct tly_group_item *it, int safe)
{
	return apply_one((struct ingest *)(void *)((char *)it -
	    offsetof(struct ingest, gi)), safe);
}

int
tly_central_ingest_init(struct tly_central *c)
{
	int	r;

	if ((r = tly_group_create(c->store, apply_item, 2 * c->conf.threads,
	    &c->group)) != TLY_OK)
		return r;
	if (tly_guard_create(&c->guard) != TLY_OK) {
		tly_central_ingest_fini(c);
		return TLY_E_NOMEM;
	}
	return TLY_OK;
}

void
tly_central_ingest_fini(struct tly_central *c)
{
	tly_guard_destroy(c->guard);
	c->guard = NULL;
	tly_group_destroy(c->group);
	c->group = NULL;
}

/* Content-Type is the bundle type, ignoring case and parameters. */
static int
is_bundle_type(const char *ct)
{
	size_t	n = strlen(TLY_BUNDLE_TYPE);

	if (ct == NULL || strncasecmp(ct, TLY_BUNDLE_TYPE, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

/* Entry e failed steps 1-5 (envelope, signature, body): forged or junk. */
static int
entry_forged(const struct entry *e)
{
	return e->verified && e->err != 0 && !e->has_device;
}

/* Free everything a request held. */
static void
ingest_free(struct ingest *in)
{
	size_t	i;

	if (in->e != NULL)
		for (i = 0; i < in->n; i++) {
			entry_clear(&in->e[i]);
			free(in->e[i].msg);
		}
	free(in->e);
	tly_buf_free(&in->out);
}

/* Decode the body (section 8.1) into plain, or answer an error. */
static int
decode_body(const struct tly_http_req *req, struct tly_http_resp *resp,
    struct tly_buf *plain, const uint8_t **p, size_t *len)
{
	const char	*enc = req->content_encoding;
	int		 r;

	*p = req->body;
	*len = req->bodylen;
	if (enc == NULL || *enc == '\0')
		return TLY_OK;
	if (strcasecmp(enc, "gzip") != 0) {
		tly_http_resp_error(resp, 415, "unsupported_encoding",
		    "Content-Encoding must be gzip or absent");
		return TLY_E_ENCODING;
	}
	tly_errclear();
	r = tly_gunzip(req->body, req->bodylen, TLY_POST_MAX, plain);
	if (r == TLY_E_TOO_LARGE) {
		tly_http_resp_error(resp, 413, "too_large",
		    "the body inflates to more than %lu bytes", TLY_POST_MAX);
		return r;
	}
	if (r != TLY_OK) {
		tly_http_resp_error(resp, 400, "bad_encoding",
		    "the gzip body does not inflate");
		return r;
	}
	*p = plain->p;
	*len = plain->len;
	return TLY_OK;
}

void
tly_central_post_batches(struct tly_central *c,
    const struct tly_http_req *req, struct tly_http_resp *resp)
{
	struct ingest			 in;
	struct tly_buf			 plain = TLY_BUF_INIT(TLY_POST_MAX);
	struct tly_bundle_reader	 br;
	const uint8_t			*body, *m;
	char				 esc[MSG_MAX], peer[TLY_HTTP_PEER_MAX];
	size_t				 len, mlen, i, pre, budget = 0;
	unsigned			 forged = 0;
	int				 r, slot = 0, held = 0;

	memset(&in, 0, sizeof(in));
	in.c = c;
	in.vctx.election = c->election;
	memcpy(in.vctx.election_hash, c->ehash, TLY_HASH_LEN);
	in.vctx.mode = c->conf.test ? TLY_VERIFY_MODE_TEST :
	    TLY_VERIFY_MODE_LIVE;
	in.vctx.policy.devices = c->devices;
	in.vctx.policy.ndevices = c->ndevices;
	tly_buf_init(&in.out, TLY_CENTRAL_RESP_MAX);

	atomic_fetch_add(&c->inflight, 1);
	/* PROTOCOL.md 8.5: a forger is refused before anything is verified. */
	tly_http_req_peer(req, peer, sizeof(peer));
	if (tly_central_admit_upload(c, peer, &held, resp))
		goto out;
	if (tly_group_slot_take(c->group) != TLY_OK) {
		tly_http_resp_busy(resp, TLY_HTTP_BUSY_S,
		    "too many uploads in progress");
		goto out;
	}
	slot = 1;
	if (!is_bundle_type(req->content_type)) {
		tly_http_resp_error(resp, 415, "unsupported_media_type",
		    "Content-Type must be %s", TLY_BUNDLE_TYPE);
		goto out;
	}
	if ((r = decode_body(req, resp, &plain, &body, &len)) != TLY_OK) {
		if (r == TLY_E_TOO_LARGE) {	/* as a body over the limit */
			tly_central_charge(c, peer, 1, &held);
			tly_central_metrics_refused(413);
		}
		goto out;
	}
	tly_errclear();
	if (body == NULL || tly_bundle_open(body, len, &br) != TLY_OK) {
		tly_log_escape(tly_errmsg(TLY_E_BUNDLE),
		    strlen(tly_errmsg(TLY_E_BUNDLE)), esc, sizeof(esc));
		tly_log_warn("rejected upload: bad bundle: %s", esc);
		tly_http_resp_error(resp, 400, "bad_bundle", "%s", esc);
		tly_central_charge(c, peer, 1, &held);
		goto out;
	}

	in.n = br.count;
	if ((in.e = calloc(in.n > 0 ? in.n : 1, sizeof(*in.e))) == NULL) {
		r = TLY_E_NOMEM;
		goto fail;
	}
	for (i = 0; i < in.n && tly_bundle_next(&br, &m, &mlen); i++) {
		in.e[i].m = m;
		in.e[i].mlen = mlen;
	}
	if (i != in.n) {
		r = tly_fail(TLY_E_BUNDLE, "bundle reader stopped early");
		goto fail;
	}

	/*
	 * Steps 1-7 without the lock, within the memory budget.  Each
	 * forged entry is charged to the peer at once; once its bucket is
	 * empty, the rest of the request is not verified (nothing of it
	 * was applied yet).
	 */
	for (i = 0; i < in.n && budget < PREPARSE_RECORDS; i++) {
		if (forged > 0 && tly_central_recheck(c, peer, resp))
			goto out;
		if ((r = verify_entry(&in, &in.e[i])) != TLY_OK)
			goto fail;
		if (in.e[i].b != NULL)
			budget += in.e[i].b->nrecords;
		if (entry_forged(&in.e[i])) {
			forged++;
			tly_central_charge(c, peer, 1, &held);
		}
	}
	pre = i;
	tly_errclear();
	if ((r = tly_group_run(c->group, &in.gi)) != TLY_OK)
		goto fail;
	log_committed(&in);
	if (in.nstored > 0)
		tly_central_results_changed(c);
	for (forged = 0, i = pre; i < in.n; i++) /* the writer verified */
		forged += entry_forged(&in.e[i]);
	tly_central_charge(c, peer, forged, &held);

	tly_buf_free(&resp->body);
	resp->body = in.out;
	tly_buf_init(&in.out, TLY_CENTRAL_RESP_MAX);	/* transferred */
	resp->status = in.nrejected > 0 || in.nequiv > 0 ? 422 : 200;
	resp->content_type = "application/json";
	tly_log_info("upload: %zu entries: %zu stored, %zu duplicate, "
	    "%zu rejected", in.n, in.nstored, in.ndup, in.nrejected);
	goto out;
 fail:
	if (r == TLY_E_BUSY) {
		tly_log_warn("upload: store busy; answered 503");
		(void)tly_http_resp_fail(resp, r);
		goto out;
	}
	tly_log_escape(tly_errmsg(r), strlen(tly_errmsg(r)), esc, sizeof(esc));
	tly_log_error("upload failed, nothing applied: %s: %s",
	    tly_strerror(r), esc);
	tly_http_resp_error(resp, 500, "internal",
	    "the central failed; nothing was applied");
 out:
	tly_central_refund(c, peer, &held);	/* nothing failed: it was lent */
	if (slot)
		tly_group_slot_give(c->group);
	atomic_fetch_sub(&c->inflight, 1);
	ingest_free(&in);
	tly_buf_free(&plain);
}
