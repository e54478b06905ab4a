/*
 * api.c: the local HTTP API on the Unix socket (PROTOCOL.md 9).
 *
 *   POST /v1/records   check, seal and commit records as one batch
 *                      (?dry-run=1: only check them)
 *   GET  /v1/election  the election definition the daemon holds
 *   POST /v1/photos    keep the photo of a paper record (photo.c)
 *   GET  /v1/status    the device, its batches and the sync state
 *   POST /v1/sync      sync now and report the attempt
 *   POST /v1/check-link  prove the link to the central (a signed nonce)
 *   GET  /v1/bundle    every batch held, as a bundle file
 *   POST /v1/bundle    take in a bundle of other devices' batches
 *   POST /v1/head      learn a restored key's head from its own bundle
 *                      (restore.c)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "sync/link.h"
#include "sync/wire.h"
#include "daemon/tallyd.h"

#define API_JSON_MAX	(4UL * 1024 * 1024)	/* other JSON answers */
#define API_IDEM_HEADER	"Idempotency-Key"	/* POST /v1/records */
#define API_IDEM_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789._-"

/*
 * Write "problems": [...] for probs; with all, each also says whether it
 * is a "warning" and whether it is "explained" (the dry run).
 */
static void
jw_problems(struct tly_jw *w, const struct tly_problems *probs, int all)
{
	const struct tly_problem	*p;
	char				 fields[sizeof(p->fields)], *f, *save;
	size_t				 i;

	tly_jw_key(w, "problems");
	tly_jw_arr_open(w);
	for (i = 0; i < probs->n; i++) {
		p = &probs->p[i];
		tly_jw_obj_open(w);
		tly_jw_key(w, "index");
		tly_jw_uint(w, p->index);
		tly_jw_key(w, "rule");
		tly_jw_str(w, p->rule);
		tly_jw_key(w, "fields");
		tly_jw_arr_open(w);
		snprintf(fields, sizeof(fields), "%s", p->fields);
		for (f = strtok_r(fields, ", ", &save); f != NULL;
		    f = strtok_r(NULL, ", ", &save))
			tly_jw_str(w, f);
		tly_jw_arr_close(w);
		tly_jw_key(w, "message");
		tly_jw_str(w, p->message);
		if (all) {
			tly_jw_key(w, "warning");
			tly_jw_bool(w, p->warning);
			tly_jw_key(w, "explained");
			tly_jw_bool(w, p->explained);
		}
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
}

/* Write the 422 check_failed answer for probs. */
static void
api_check_failed(struct tly_http_resp *resp, const struct tly_problems *probs)
{
	struct tly_jw	w;
	char		msg[512];

	if (probs->n > 0)
		snprintf(msg, sizeof(msg), "record %zu: %s%s",
		    probs->p[0].index, probs->p[0].message,
		    probs->n + probs->dropped > 1 ? " (and more)" : "");
	else
		snprintf(msg, sizeof(msg), "a record fails the checks");
	tly_http_resp_begin(resp, 422, API_JSON_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "error");
	tly_http_jw_error(&w, "check_failed", msg);
	jw_problems(&w, probs, 0);
	tly_jw_obj_close(&w);
	tly_log_answer("api: response", tly_http_resp_finish(resp, &w,
	    TLY_OK));
}

/* Answer POST /v1/records?dry-run=1: every problem, nothing sealed. */
static void
api_dry_run(struct tallyd *d, const struct tly_record *recs, size_t n,
    struct tly_problems *probs, struct tly_http_resp *resp)
{
	struct tly_jw	w;
	int		r;

	tly_errclear();
	r = tly_dseal_check(d, recs, n, probs);
	if (r != TLY_OK && r != TLY_E_RECORD) {
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	tly_http_resp_begin(resp, 200, API_JSON_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "ok");
	tly_jw_bool(&w, r == TLY_OK);
	jw_problems(&w, probs, 1);
	tly_jw_obj_close(&w);
	tly_log_answer("api: response", tly_http_resp_finish(resp, &w,
	    TLY_OK));
}

/*
 * The Idempotency-Key of a request into *idem (PROTOCOL.md 9): 0 when
 * there is none, 1 when there is a valid one, -1 (answered 400) when it
 * is malformed.
 */
static int
api_idem(const struct tly_http_req *req, struct tly_http_resp *resp,
    struct tly_dstore_idem *idem)
{
	const char	*k = tly_http_req_header(req, API_IDEM_HEADER);
	size_t		 i, n;

	if (k == NULL)
		return 0;
	n = strlen(k);
	for (i = 0; i < n; i++)
		if (strchr(API_IDEM_CHARS, k[i]) == NULL)
			break;
	if (n < TLY_IDEM_MIN || n > TLY_IDEM_MAX || i < n) {
		tly_http_resp_error(resp, 400, "bad_request", "%s: %d to %d "
		    "characters of A-Z a-z 0-9 . _ -", API_IDEM_HEADER,
		    TLY_IDEM_MIN, TLY_IDEM_MAX);
		return -1;
	}
	idem->key = k;
	tly_hash(req->body, req->bodylen, idem->body);
	return 1;
}

/* POST /v1/records */
static void
api_records(struct tallyd *d, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	struct tly_json		*root = NULL;
	const struct tly_json	*el;
	struct tly_record	*recs = NULL;
	struct tly_problems	*probs = NULL;
	struct tly_dseal_result	 sr;
	struct tly_dstore_idem	 idem;
	struct tly_jw		 w;
	const char		*dry;
	char			 where[32], rid[80];
	size_t			 n = 0, i;
	int			 r, has_idem;

	tly_errclear();
	if ((has_idem = api_idem(req, resp, &idem)) < 0)
		goto out;
	if (req->bodylen == 0 ||
	    tly_json_parse(req->body, req->bodylen, &root) != TLY_OK) {
		tly_http_resp_error(resp, 400, "bad_request", "%s",
		    req->bodylen == 0 ? "empty body" : tly_errdetail());
		goto out;
	}
	if (tly_json_is_array(root)) {
		n = tly_json_count(root);
		if (n == 0 || n > TLY_RECORDS_MAX) {
			tly_http_resp_error(resp, 400, "bad_request",
			    "records: an array of 1 to %d records",
			    TLY_RECORDS_MAX);
			goto out;
		}
	} else if (tly_json_is_object(root))
		n = 1;
	else {
		tly_http_resp_error(resp, 400, "bad_request", "the body must "
		    "be a record object or an array of records");
		goto out;
	}
	if ((recs = calloc(n, sizeof(*recs))) == NULL ||
	    (probs = calloc(1, sizeof(*probs))) == NULL) {
		tly_http_resp_error(resp, 500, "internal", "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		tly_record_init(&recs[i]);
	el = n == 1 && tly_json_is_object(root) ? root : tly_json_first(root);
	for (i = 0; i < n && el != NULL; i++, el = tly_json_next(el)) {
		if (tly_json_is_array(root))
			snprintf(where, sizeof(where), "[%zu]", i);
		else
			where[0] = '\0';
		tly_errclear();
		if (tly_record_from_json(el, where, &recs[i]) != TLY_OK) {
			tly_http_resp_error(resp, 400, "bad_request", "%s",
			    tly_errdetail());
			goto out;
		}
	}
	dry = tly_http_req_query(req, "dry-run");
	if (dry != NULL && strcmp(dry, "1") == 0) {
		api_dry_run(d, recs, n, probs, resp);
		goto out;
	}
	tly_errclear();
	r = tly_dseal_records_idem(d, recs, n, has_idem ? &idem : NULL, probs,
	    &sr);
	if (r == TLY_E_RECORD) {
		api_check_failed(resp, probs);
		goto out;
	}
	if (r == TLY_E_SEQ_CONFLICT) {
		tly_http_resp_error(resp, 409, "head_unknown", "%s",
		    tly_errdetail());
		goto out;
	}
	if (r == TLY_E_INVAL && has_idem) {
		tly_http_resp_error(resp, 422, "idempotency_conflict", "%s",
		    tly_errdetail());
		goto out;
	}
	if (r != TLY_OK) {
		tly_log_error("api: sealing failed: %s", tly_errdetail());
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		goto out;
	}
	if (sr.replayed)
		tly_log_info("repeated request: batch seq %llu was sealed "
		    "before", (unsigned long long)sr.seq);
	else {
		tly_log_info("sealed batch seq %llu with %zu records",
		    (unsigned long long)sr.seq, n);
		tly_dsync_wake(d->sync);
	}
	tly_http_resp_begin(resp, sr.replayed ? 200 : 201, API_JSON_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "batch");
	tly_jw_hex(&w, sr.id, TLY_HASH_LEN);
	tly_jw_key(&w, "seq");
	tly_jw_uint(&w, sr.seq);
	tly_jw_key(&w, "records");
	tly_jw_arr_open(&w);
	for (i = 0; i < sr.nrecords; i++) {
		tly_record_id(sr.id, i, rid, sizeof(rid));
		tly_jw_str(&w, rid);
	}
	tly_jw_arr_close(&w);
	if (sr.replayed) {
		tly_jw_key(&w, "replayed");
		tly_jw_bool(&w, 1);
	}
	tly_jw_obj_close(&w);
	tly_log_answer("api: response", tly_http_resp_finish(resp, &w,
	    TLY_OK));
 out:
	if (recs != NULL)
		for (i = 0; i < n; i++)
			tly_record_finish(&recs[i]);
	free(recs);
	free(probs);
	tly_json_free(root);
}

/* Write a time member, null when t < 0. */
static void
jw_time(struct tly_jw *w, const char *key, int64_t t)
{
	tly_jw_key(w, key);
	if (t < 0)
		tly_jw_null(w);
	else
		tly_jw_int(w, t);
}

/* One entry of "batches" in GET /v1/status. */
static int
status_batch(void *arg, const struct tly_dstore_info *info)
{
	struct tly_jw	*w = arg;

	tly_jw_obj_open(w);
	tly_jw_key(w, "seq");
	tly_jw_uint(w, info->seq);
	tly_jw_key(w, "batch");
	tly_jw_hex(w, info->id, TLY_HASH_LEN);
	tly_jw_key(w, "records");
	tly_jw_uint(w, info->nrecords);
	tly_jw_key(w, "state");
	tly_jw_str(w, tly_dstate_name(info->state));
	tly_jw_key(w, "attempts");
	tly_jw_uint(w, info->attempts);
	tly_jw_key(w, "last_error");
	tly_jw_str(w, info->last_error);
	tly_jw_key(w, "reject_code");
	tly_jw_str(w, info->reject_code);
	jw_time(w, "acknowledged_at", info->state == TLY_DSTATE_ACKED ?
	    (int64_t)info->acked_at : -1);
	tly_jw_obj_close(w);
	return w->err;
}

/* Write {"sealed": n, "sent": n, "acknowledged": n, "rejected": n}. */
static void
jw_counts(struct tly_jw *w, const char *key,
    const uint64_t counts[TLY_DSTATE_N])
{
	tly_jw_key(w, key);
	tly_jw_obj_open(w);
	tly_jw_key(w, "sealed");
	tly_jw_uint(w, counts[TLY_DSTATE_SEALED]);
	tly_jw_key(w, "sent");
	tly_jw_uint(w, counts[TLY_DSTATE_SENT]);
	tly_jw_key(w, "acknowledged");
	tly_jw_uint(w, counts[TLY_DSTATE_ACKED]);
	tly_jw_key(w, "rejected");
	tly_jw_uint(w, counts[TLY_DSTATE_REJECTED]);
	tly_jw_obj_close(w);
}

/* Write bytes / records rounded half up, or null without records. */
static void
jw_per_record(struct tly_jw *w, const char *key, uint64_t bytes,
    uint64_t records)
{
	tly_jw_key(w, key);
	if (records == 0)
		tly_jw_null(w);
	else
		tly_jw_uint(w, bytes / records +
		    (bytes % records >= records - bytes % records ? 1 : 0));
}

/* GET /v1/status */
static void
api_status(struct tallyd *d, struct tly_http_resp *resp)
{
	struct tly_dsync_status	 st;
	struct tly_jw		 w;
	struct tly_buf		 b64 = TLY_BUF_INIT(2 * TLY_MSG_MAX);
	uint64_t		 counts[TLY_DSTATE_N], records[TLY_DSTATE_N];
	uint64_t		 relayed[TLY_DSTATE_N], frozen;
	uint64_t		 photos, photos_sent, rev_serial, revoked_at;
	int			 r, revoked;

	memset(&st, 0, sizeof(st));
	st.last_contact = st.next_attempt = st.since = st.last_proven = -1;
	if (d->sync != NULL)
		tly_dsync_get_status(d->sync, &st);
	if ((r = tly_dstore_photo_count(d->store, &photos, &photos_sent)) !=
	    TLY_OK ||
	    (r = tly_dstore_counts(d->store, counts)) != TLY_OK ||
	    (r = tly_dstore_record_counts(d->store, records)) != TLY_OK ||
	    (r = tly_dstore_relay_counts(d->store, relayed)) != TLY_OK) {
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	tly_http_resp_begin(resp, 200, TLY_RESP_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "device");
	tly_jw_hex(&w, d->device, TLY_PK_LEN);
	tly_jw_key(&w, "central");
	tly_jw_str(&w, d->conf.central);
	tly_jw_key(&w, "frozen");
	if (tly_dfreeze_get(d, &frozen))
		tly_jw_uint(&w, frozen);
	else
		tly_jw_null(&w);
	tly_jw_key(&w, "central_certified");
	tly_jw_bool(&w, d->has_central && d->conf.central_cert != NULL);
	tly_jw_key(&w, "certificate");
	if (d->cert_msg.len > 0 && tly_b64_encode(d->cert_msg.p,
	    d->cert_msg.len, &b64) == TLY_OK)
		tly_jw_strn(&w, (const char *)b64.p, b64.len);
	else
		tly_jw_null(&w);
	tly_buf_free(&b64);
	tly_dtrust_status(d, &rev_serial, &revoked, &revoked_at);
	tly_jw_key(&w, "revocations");		/* PROTOCOL.md 9.7 */
	tly_jw_uint(&w, rev_serial);
	tly_jw_key(&w, "certificate_revoked");
	if (revoked)
		tly_jw_uint(&w, revoked_at);
	else
		tly_jw_null(&w);
	tly_jw_key(&w, "election");
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "id");
	tly_jw_str(&w, tly_election_id(d->election));
	tly_jw_key(&w, "name");
	tly_jw_str(&w, tly_election_name(d->election));
	tly_jw_key(&w, "hash");
	tly_jw_hex(&w, d->election_hash, TLY_HASH_LEN);
	tly_jw_obj_close(&w);
	jw_counts(&w, "counts", counts);
	jw_counts(&w, "records", records);
	jw_counts(&w, "relayed", relayed);
	tly_jw_key(&w, "photos");
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "held");
	tly_jw_uint(&w, photos);
	tly_jw_key(&w, "sent");
	tly_jw_uint(&w, photos_sent);
	tly_jw_obj_close(&w);
	jw_time(&w, "last_contact", st.last_contact);
	jw_time(&w, "last_proven", st.last_proven);
	tly_jw_key(&w, "last_error");
	tly_jw_str(&w, st.last_error[0] ? st.last_error : NULL);
	jw_time(&w, "since", st.last_error[0] ? st.since : -1);
	jw_time(&w, "next_attempt", st.next_attempt);
	tly_jw_key(&w, "wire");
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "bytes_up");
	tly_jw_uint(&w, st.wire_up);
	tly_jw_key(&w, "bytes_down");
	tly_jw_uint(&w, st.wire_down);
	tly_jw_key(&w, "records");
	tly_jw_uint(&w, st.wire_records);
	jw_per_record(&w, "up_per_record", st.wire_up, st.wire_records);
	jw_per_record(&w, "down_per_record", st.wire_down, st.wire_records);
	tly_jw_obj_close(&w);
	tly_jw_key(&w, "batches");
	tly_jw_arr_open(&w);
	if ((r = tly_dstore_foreach_batch(d->store, status_batch, &w)) !=
	    TLY_OK && w.err == 0) {
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	tly_log_answer("api: response", tly_http_resp_finish(resp, &w,
	    TLY_OK));
}

/* POST /v1/sync */
static void
api_sync(struct tallyd *d, struct tly_http_resp *resp)
{
	struct tly_dsync_result	 res;
	struct tly_jw		 w;
	uint64_t		 own[TLY_DSTATE_N], relayed[TLY_DSTATE_N];

	memset(&res, 0, sizeof(res));
	if (d->sync == NULL) {
		res.outcome = "no_central";
		(void)tly_dstore_unacked(d->store, &res.pending);
	} else
		tly_dsync_now(d->sync, TLY_D_SYNC_WAIT_S, &res);
	/* Every batch the central refused for good, not only this run's. */
	if (tly_dstore_counts(d->store, own) != TLY_OK ||
	    tly_dstore_relay_counts(d->store, relayed) != TLY_OK)
		own[TLY_DSTATE_REJECTED] = relayed[TLY_DSTATE_REJECTED] = 0;
	tly_http_resp_begin(resp, 200, API_JSON_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "outcome");
	tly_jw_str(&w, res.outcome);
	tly_jw_key(&w, "acknowledged");
	tly_jw_uint(&w, res.acknowledged);
	tly_jw_key(&w, "pending");
	tly_jw_uint(&w, res.pending);
	tly_jw_key(&w, "rejected");
	tly_jw_uint(&w, own[TLY_DSTATE_REJECTED] + relayed[TLY_DSTATE_REJECTED]);
	tly_jw_key(&w, "error");
	tly_jw_str(&w, res.error[0] ? res.error : NULL);
	tly_jw_obj_close(&w);
	tly_log_answer("api: response", tly_http_resp_finish(resp, &w,
	    TLY_OK));
}

/* POST /v1/check-link (PROTOCOL.md 9, 8.8) */
static void
api_check_link(struct tallyd *d, struct tly_http_resp *resp)
{
	struct tly_link_result	 lr;
	struct tly_jw		 w;
	char			 hex[TLY_HEX_PK];
	int			 r = TLY_E_INVAL;

	memset(&lr, 0, sizeof(lr));
	if (d->sync == NULL)
		snprintf(lr.error, sizeof(lr.error), "no central is "
		    "configured");
	else
		r = tly_dsync_check_link(d->sync, &lr);
	tly_http_resp_begin(resp, 200, API_JSON_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "ok");
	tly_jw_bool(&w, r == TLY_OK);
	tly_jw_key(&w, "central");
	tly_jw_str(&w, d->conf.central);
	tly_jw_key(&w, "key");
	tly_jw_str(&w, d->has_central ? tly_hex(d->central_pk, TLY_PK_LEN,
	    hex) : NULL);
	jw_time(&w, "central_time", r == TLY_OK ?
	    (int64_t)lr.central_time : -1);
	tly_jw_key(&w, "ms");
	tly_jw_uint(&w, lr.ms);
	tly_jw_key(&w, "error");
	tly_jw_str(&w, r == TLY_OK ? NULL : lr.error);
	tly_jw_obj_close(&w);
	tly_log_answer("api: response", tly_http_resp_finish(resp, &w,
	    TLY_OK));
}

/* GET /v1/bundle */
static void
api_bundle_get(struct tallyd *d, struct tly_http_resp *resp)
{
	tly_http_resp_begin(resp, 200, TLY_BUNDLE_FILE_MAX);
	tly_errclear();
	if (tly_dexport_bundle(d, &resp->body) != TLY_OK) {
		tly_http_resp_begin(resp, 500, API_JSON_MAX);
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	resp->content_type = TLY_BUNDLE_TYPE;
}

/* POST /v1/bundle */
static void
api_bundle_post(struct tallyd *d, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	struct tly_jw	w;
	size_t		stored, rejected;
	int		r;

	if (req->content_type != NULL &&
	    strcmp(req->content_type, TLY_BUNDLE_TYPE) != 0 &&
	    strcmp(req->content_type, "application/octet-stream") != 0) {
		tly_http_resp_error(resp, 415, "unsupported_media_type",
		    "send a bundle as %s", TLY_BUNDLE_TYPE);
		return;
	}
	if (req->content_encoding != NULL &&
	    strcmp(req->content_encoding, "identity") != 0) {
		tly_http_resp_error(resp, 415, "unsupported_encoding",
		    "the local API takes bundles unencoded");
		return;
	}
	tly_http_resp_begin(resp, 200, API_JSON_MAX);
	tly_jw_init(&w, &resp->body);
	tly_errclear();
	r = tly_dseal_bundle(d, req->body, req->bodylen, &w, &stored,
	    &rejected);
	if (r == TLY_E_BUNDLE || r == TLY_E_TRUNCATED) {
		tly_http_resp_begin(resp, 400, API_JSON_MAX);
		tly_http_resp_error(resp, 400, "bad_bundle", "%s",
		    tly_errdetail());
		return;
	}
	if (r != TLY_OK) {
		tly_http_resp_begin(resp, 500, API_JSON_MAX);
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	if (stored > 0) {
		tly_log_info("relay: stored %zu batches from a bundle", stored);
		tly_dsync_wake(d->sync);
	}
	resp->status = rejected > 0 ? 422 : 200;
}

/* GET /v1/election: the definition file the daemon loaded, as is. */
static void
route_election(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	const struct tallyd	*d = arg;

	tly_http_resp_begin(resp, 200, d->election_def.len + 1);
	if (tly_buf_add(&resp->body, d->election_def.p,
	    d->election_def.len) != TLY_OK) {
		tly_http_resp_begin(resp, 500, API_JSON_MAX);
		tly_http_resp_error(resp, 500, "internal", "out of memory");
	}
}

/* POST /v1/records. */
static void
route_records(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	api_records(arg, req, resp);
}

/* GET /v1/status. */
static void
route_status(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	api_status(arg, resp);
}

/* POST /v1/sync. */
static void
route_sync(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	api_sync(arg, resp);
}

/* POST /v1/check-link. */
static void
route_check_link(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	api_check_link(arg, resp);
}

/* GET /v1/bundle. */
static void
route_bundle_get(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	api_bundle_get(arg, resp);
}

/* POST /v1/bundle. */
static void
route_bundle_post(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	api_bundle_post(arg, req, resp);
}

/* tallyd's local API (tallyd(8)); every GET also answers HEAD. */
static const struct tly_route dapi_routes[] = {
	{ "POST", "/v1/records",	route_records },
	{ "GET",  "/v1/status",		route_status },
	{ "POST", "/v1/sync",		route_sync },
	{ "POST", "/v1/check-link",	route_check_link },
	{ "GET",  "/v1/bundle",		route_bundle_get },
	{ "POST", "/v1/bundle",		route_bundle_post },
	{ "GET",  "/metrics",		tly_dapi_get_metrics },
	{ "GET",  "/v1/election",	route_election },
	{ "POST", "/v1/photos",		tly_dphoto_post },
	{ "POST", "/v1/head",		tly_drestore_post_head },
	{ "GET",  "/v1/pairings",	tly_dpair_get },
	{ "POST", "/v1/pairings/code",	tly_dpair_post_code },
	{ "DELETE", "/v1/pairings/*",	tly_dpair_delete },
};

void
tly_dapi_handle(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	/* Only a bundle may be large: it is capped by the server itself. */
	if (req->bodylen > TLY_LOCAL_BODY_MAX &&
	    !(strcmp(req->method, "POST") == 0 &&
	    (strcmp(req->path, "/v1/bundle") == 0 ||
	    strcmp(req->path, "/v1/head") == 0))) {
		tly_http_resp_error(resp, 413, "too_large", "the body is over "
		    "%lu bytes", TLY_LOCAL_BODY_MAX);
		return;
	}
	tly_route_dispatch(dapi_routes, sizeof(dapi_routes) /
	    sizeof(dapi_routes[0]), arg, req, resp);
}
