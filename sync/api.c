/*
 * api.c: the HTTP API's upload results (PROTOCOL.md 8.1, 9) and the
 * receipt-to-batch check.
 */
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "crypto/crypto.h"
#include "sync/api.h"
#include "sync/wire.h"

/* Wire names, indexed by enum tly_api_status. */
static const char *const status_names[TLY_API_NSTATUS] = {
	"stored", "pending", "duplicate", "equivocation", "rejected"
};

const char *
tly_api_status_name(enum tly_api_status st)
{
	if ((unsigned)st >= TLY_API_NSTATUS)
		return status_names[TLY_API_REJECTED];
	return status_names[st];
}

int
tly_api_status_parse(const char *name, enum tly_api_status *st)
{
	size_t	i;

	for (i = 0; name != NULL && i < TLY_API_NSTATUS; i++)
		if (strcmp(name, status_names[i]) == 0) {
			*st = (enum tly_api_status)i;
			return TLY_OK;
		}
	return tly_fail(TLY_E_HTTP, "result: unknown status '%.40s'",
	    name != NULL ? name : "(none)");
}

void
tly_api_results_begin(struct tly_jw *w)
{
	tly_jw_obj_open(w);
	tly_jw_key(w, "results");
	tly_jw_arr_open(w);
}

int
tly_api_result_write(struct tly_jw *w, const struct tly_api_result *r)
{
	struct tly_buf	 b64 = TLY_BUF_INIT(2 * TLY_MSG_MAX);
	int		 ret = TLY_OK;

	tly_jw_obj_open(w);
	tly_jw_key(w, "index");
	tly_jw_uint(w, r->index);
	tly_jw_key(w, "status");
	tly_jw_str(w, tly_api_status_name(r->status));
	tly_jw_key(w, "batch");
	if (r->has_batch)
		tly_jw_hex(w, r->batch, TLY_HASH_LEN);
	else
		tly_jw_null(w);
	if (r->has_device) {
		tly_jw_key(w, "device");
		tly_jw_hex(w, r->device, TLY_PK_LEN);
		tly_jw_key(w, "seq");
		tly_jw_uint(w, r->seq);
	}
	if (r->receipt != NULL) {
		if ((ret = tly_b64_encode(r->receipt, r->receipt_len, &b64)) !=
		    TLY_OK) {
			w->err = ret;
			goto out;
		}
		tly_jw_key(w, "receipt");
		tly_jw_str(w, (const char *)b64.p);
	}
	if (r->code != NULL) {
		tly_jw_key(w, "error");
		tly_http_jw_error(w, r->code, r->message != NULL ?
		    r->message : "");
	}
	tly_jw_obj_close(w);
	ret = w->err;
 out:
	tly_buf_free(&b64);
	return ret;
}

void
tly_api_results_end(struct tly_jw *w)
{
	tly_jw_arr_close(w);
	tly_jw_obj_close(w);
}

const struct tly_json *
tly_api_results_get(const struct tly_json *root)
{
	const struct tly_json	*a;

	if (root == NULL || !tly_json_is_object(root) ||
	    (a = tly_json_get(root, "results")) == NULL ||
	    !tly_json_is_array(a))
		return NULL;
	return a;
}

/* Read optional hex member name of el into out[0..n); 1 when set. */
static int
get_hex(const struct tly_json *el, const char *name, uint8_t *out, size_t n,
    int *ok)
{
	const char	*s = tly_json_string(tly_json_get(el, name));

	if (s == NULL)
		return 0;
	if (strlen(s) != 2 * n || tly_unhex(s, 2 * n, out, n) != TLY_OK)
		*ok = 0;
	return *ok;
}

int
tly_api_result_read(const struct tly_json *el, struct tly_api_result *r,
    struct tly_buf *receipt)
{
	const char	*s;
	int		 ok = 1;

	memset(r, 0, sizeof(*r));
	tly_buf_reset(receipt);
	if (el == NULL || !tly_json_is_object(el) ||
	    tly_json_get_int(el, "results[]", "index", &r->index) != TLY_OK)
		return tly_fail(TLY_E_HTTP, "result: no index");
	if (tly_api_status_parse(tly_json_string(tly_json_get(el, "status")),
	    &r->status) != TLY_OK)
		return TLY_E_HTTP;
	r->has_batch = get_hex(el, "batch", r->batch, TLY_HASH_LEN, &ok);
	if (get_hex(el, "device", r->device, TLY_PK_LEN, &ok) &&
	    tly_json_get_int(el, "results[]", "seq", &r->seq) == TLY_OK)
		r->has_device = 1;
	if (!ok)
		return tly_fail(TLY_E_HTTP, "result %llu: a key or id is not "
		    "hex", (unsigned long long)r->index);
	if ((s = tly_json_string(tly_json_get(el, "receipt"))) != NULL) {
		if (tly_b64_decode(s, strlen(s), receipt) != TLY_OK)
			return tly_fail(TLY_E_HTTP, "result %llu: receipt is "
			    "not valid base64", (unsigned long long)r->index);
		r->receipt = receipt->p;
		r->receipt_len = receipt->len;
	}
	if (tly_json_get(el, "error") != NULL &&
	    tly_http_error_get(tly_json_get(el, "error"), &r->code,
	    &r->message) != TLY_OK)
		return tly_fail(TLY_E_HTTP, "result %llu: malformed error",
		    (unsigned long long)r->index);
	if ((r->status == TLY_API_REJECTED ||
	    r->status == TLY_API_EQUIVOCATION) && r->code == NULL)
		return tly_fail(TLY_E_HTTP, "result %llu: %s without an error",
		    (unsigned long long)r->index, tly_api_status_name(r->status));
	return TLY_OK;
}

int
tly_api_receipt_match(const struct tly_receipt *rc,
    const uint8_t device[TLY_PK_LEN], uint64_t seq,
    const uint8_t id[TLY_HASH_LEN])
{
	if (memcmp(rc->device, device, TLY_PK_LEN) != 0)
		return tly_fail(TLY_E_RECEIPT, "receipt names another device");
	if (rc->seq != seq)
		return tly_fail(TLY_E_RECEIPT, "receipt names another seq");
	if (memcmp(rc->batch, id, TLY_HASH_LEN) != 0)
		return tly_fail(TLY_E_RECEIPT, "receipt names another batch");
	return TLY_OK;
}
