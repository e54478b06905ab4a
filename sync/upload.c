/*
 * upload.c: the one upload client (upload.h): bundles under the post
 * limit, gzip, busy answers, captive portals and the check of every
 * result against the batch it answers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/limits.h"
#include "sync/api.h"
#include "sync/http.h"
#include "sync/upload.h"
#include "sync/wire.h"

#define BUNDLE_OVERHEAD	52	/* header 12 + end 4 + count 4 + hash 32 */
#define ENTRY_OVERHEAD	4	/* the length before each entry */

int
tly_upload_answer_check(const char *peer, const struct tly_http_result *res)
{
	struct tly_json	*root = NULL;
	const char	*p = (const char *)res->body.p, *code = NULL;
	const char	*msg = NULL;
	size_t		 i = 0;
	int		 json, r;

	json = strncasecmp(res->content_type, "application/json", 16) == 0 &&
	    tly_json_parse(res->body.p, res->body.len, &root) == TLY_OK &&
	    tly_json_is_object(root);
	if (json && res->status >= 200 && res->status < 300) {
		tly_json_free(root);
		return TLY_OK;
	}
	if (res->status >= 400) {
		if (json)
			(void)tly_http_error_get(tly_json_get(root, "error"),
			    &code, &msg);
		if (res->status == 429 || res->status == 503)
			r = tly_fail(TLY_E_BUSY, "%s busy (HTTP %ld)%s%.300s",
			    peer, res->status, msg ? ": " : "", msg ? msg : "");
		else if (code != NULL)
			r = tly_fail(TLY_E_HTTP, "%s answered HTTP %ld: %.64s: "
			    "%.300s", peer, res->status, code, msg ? msg : "");
		else
			r = tly_fail(TLY_E_HTTP, "%s answered HTTP %ld without "
			    "an error body", peer, res->status);
		tly_json_free(root);
		return r;
	}
	tly_json_free(root);
	/* A 1xx, 2xx or 3xx that is not the peer's JSON: a portal. */
	while (i < res->body.len && (p[i] == ' ' || p[i] == '\t' ||
	    p[i] == '\r' || p[i] == '\n'))
		i++;
	if (strcasestr(res->content_type, "html") != NULL ||
	    (i < res->body.len && p[i] == '<'))
		return tly_fail(TLY_E_HTTP, "captive portal detected: the %s's "
		    "address answered with HTML, not a signed receipt", peer);
	if (res->status >= 300)
		return tly_fail(TLY_E_HTTP, "captive portal detected: the %s's "
		    "address answered with a redirect (HTTP %ld), not a signed "
		    "receipt", peer, res->status);
	return tly_fail(TLY_E_HTTP, "captive portal detected: the %s's "
	    "address answered HTTP %ld with something other than the %s's "
	    "JSON", peer, res->status, peer);
}

/* Check result r (read from the answer) against the item it names. */
static int
check_result(const struct tly_upload *u, const struct tly_upload_item *it,
    const struct tly_api_result *r)
{
	struct tly_receipt	rc;
	char			hex[TLY_HEX_HASH], why[TLY_UPLOAD_DETAIL];
	int			e;

	if (r->status == TLY_API_REJECTED)
		return TLY_OK;
	if (!r->has_batch || memcmp(r->batch, it->id, TLY_HASH_LEN) != 0)
		return tly_fail(TLY_E_RECEIPT, "answer names batch %s, not the "
		    "one sent", r->has_batch ? tly_hex(r->batch, TLY_HASH_LEN,
		    hex) : "(none)");
	if (u->verify == NULL)
		return TLY_OK;
	if (r->receipt == NULL)
		return tly_fail(TLY_E_RECEIPT, "no receipt in the answer");
	tly_errclear();
	if ((e = u->verify(u->arg, r->receipt, r->receipt_len, &rc)) !=
	    TLY_OK) {
		snprintf(why, sizeof(why), "%s", tly_errmsg(e));
		return tly_fail(e, "receipt does not verify: %s", why);
	}
	if (!it->known)
		return tly_fail(TLY_E_RECEIPT, "receipt for a batch that does "
		    "not parse here");
	return tly_api_receipt_match(&rc, it->device, it->seq, it->id);
}

/*
 * Read the answer to the request of items[0..n) and hand each result
 * that names one of them, once, to u->result.
 */
static int
read_answer(const struct tly_upload *u, const struct tly_upload_item *items,
    size_t n, size_t base, const struct tly_http_result *res)
{
	struct tly_buf		 rb = TLY_BUF_INIT(TLY_RECEIPT_MAX);
	struct tly_json		*root = NULL;
	const struct tly_json	*results, *el;
	struct tly_api_result	 ar;
	struct tly_upload_result ur;
	unsigned char		*seen = NULL;
	int			 r = TLY_OK;

	if ((seen = calloc(n > 0 ? n : 1, 1)) == NULL)
		return TLY_E_NOMEM;
	if (tly_json_parse(res->body.p, res->body.len, &root) != TLY_OK ||
	    (results = tly_api_results_get(root)) == NULL) {
		r = tly_fail(TLY_E_HTTP, "the %s's answer has no results",
		    u->peer);
		goto out;
	}
	for (el = tly_json_first(results); el != NULL; el = tly_json_next(el)) {
		/* An entry that is not a result, or names no item: none. */
		if (tly_api_result_read(el, &ar, &rb) != TLY_OK ||
		    ar.index >= n || seen[ar.index])
			continue;
		seen[ar.index] = 1;
		memset(&ur, 0, sizeof(ur));
		ur.item = base + ar.index;
		ur.status = ar.status;
		ur.code = ar.code;
		ur.message = ar.message;
		ur.err = ar.code != NULL ? tly_err_from_code(ar.code) : TLY_OK;
		ur.receipt = ar.receipt;
		ur.receipt_len = ar.receipt_len;
		tly_errclear();
		ur.check = check_result(u, &items[ar.index], &ar);
		u->result(u->arg, &ur);
	}
 out:
	tly_json_free(root);
	tly_buf_free(&rb);
	free(seen);
	return r;
}

/* Post items[0..n), the bundle body b, once its wait is over. */
static int
post_one(const struct tly_upload *u, const struct tly_upload_item *items,
    size_t n, size_t base, const struct tly_buf *b,
    struct tly_upload_report *rep)
{
	struct tly_http_call	 call;
	struct tly_http_result	 res;
	unsigned		 tries = 0;
	long			 wait;
	int			 r;

	memset(&res, 0, sizeof(res));
	memset(&call, 0, sizeof(call));
	call.url = u->url;
	call.unix_socket = u->unix_socket;
	call.method = "POST";
	call.content_type = TLY_BUNDLE_TYPE;
	call.body = b->p;
	call.bodylen = b->len;
	call.gzip = b->len > u->gzip_over;
	call.connect_timeout_s = u->connect_timeout_s;
	call.low_speed_time_s = u->low_speed_time_s;
	call.resp_max = u->resp_max > 0 ? u->resp_max : TLY_RESP_MAX;
	call.cancel = u->cancel;
 again:
	tly_http_result_free(&res);
	r = tly_http_request(&call, &res);
	if (u->account != NULL)
		u->account(u->arg, &res, r != TLY_E_NET);
	if (r == TLY_E_NET) {
		r = tly_fail(TLY_E_NET, "%s unreachable: %s", u->peer,
		    res.error[0] ? res.error : "no answer");
		goto out;
	}
	if (r == TLY_E_TOO_LARGE) {
		r = tly_fail(r, "the %s's answer is over %zu bytes", u->peer,
		    call.resp_max);
		goto out;
	}
	if (r != TLY_OK)
		goto out;
	/* 422: some entry was rejected; the body is results all the same. */
	if (res.status == 422) {
		r = read_answer(u, items, n, base, &res);
		goto out;
	}
	if ((r = tly_upload_answer_check(u->peer, &res)) == TLY_E_BUSY) {
		rep->retry_after = res.retry_after;
		if (tries++ < u->busy_retries) {
			wait = res.retry_after < 1 ? 1 : res.retry_after;
			if (wait > u->busy_wait_max)
				wait = u->busy_wait_max;
			if (u->busy != NULL)
				u->busy(u->arg, wait);
			sleep((unsigned)wait);
			goto again;
		}
	}
	if (r == TLY_OK)
		r = read_answer(u, items, n, base, &res);
 out:
	tly_http_result_free(&res);
	return r;
}

/* How many of items[0..n) go in one request: at least one. */
static size_t
upload_fit(const struct tly_upload_item *items, size_t n)
{
	size_t	i, size = BUNDLE_OVERHEAD;

	for (i = 0; i < n; i++) {
		if (i > 0 && size + ENTRY_OVERHEAD + items[i].len >
		    TLY_POST_MAX)
			break;
		size += ENTRY_OVERHEAD + items[i].len;
	}
	return i;
}

int
tly_upload_send(const struct tly_upload *u,
    const struct tly_upload_item *items, size_t n,
    struct tly_upload_report *rep)
{
	struct tly_buf	b = TLY_BUF_INIT(TLY_POST_MAX);
	size_t		from, k, i;
	int		r = TLY_OK;

	memset(rep, 0, sizeof(*rep));
	rep->retry_after = -1;
	for (from = 0; from < n && r == TLY_OK; from += k) {
		k = upload_fit(items + from, n - from);
		tly_buf_reset(&b);
		if ((r = tly_bundle_begin(&b)) != TLY_OK)
			break;
		for (i = from; i < from + k && r == TLY_OK; i++)
			r = tly_bundle_add(&b, items[i].m, items[i].len);
		if (r != TLY_OK || (r = tly_bundle_end(&b, k)) != TLY_OK)
			break;
		if (u->sending != NULL &&
		    (r = u->sending(u->arg, from, from + k)) != TLY_OK)
			break;
		tly_errclear();
		if ((r = post_one(u, items + from, k, from, &b, rep)) ==
		    TLY_OK)
			rep->sent = from + k;
	}
	rep->err = r;
	if (r != TLY_OK)
		snprintf(rep->detail, sizeof(rep->detail), "%s",
		    tly_errmsg(r));
	tly_buf_free(&b);
	return r;
}
