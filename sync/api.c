/*
 * api.c: the HTTP API's upload results (PROTOCOL.md 8.1, 9), a device's
 * head (8.2) and its receipt pages (8.2.1), the head tallyd learned from
 * a bundle (9.5), and the receipt-to-batch check.
 */
#include <stdlib.h>
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

/* Write an optional seq: the integer, or null for 0. */
static void
jw_seq_or_null(struct tly_jw *w, uint64_t seq)
{
	if (seq > 0)
		tly_jw_uint(w, seq);
	else
		tly_jw_null(w);
}

int
tly_api_head_write(struct tly_jw *w, const struct tly_api_head *h)
{
	size_t	i;

	if (h->npending > TLY_API_PENDING_MAX)
		return tly_fail(TLY_E_INVAL, "head: %zu pending seqs",
		    h->npending);
	tly_jw_obj_open(w);
	tly_jw_key(w, "device");
	tly_jw_hex(w, h->device, TLY_PK_LEN);
	tly_jw_key(w, "head");
	tly_jw_uint(w, h->head);
	tly_jw_key(w, "batch");
	if (h->has_batch)
		tly_jw_hex(w, h->batch, TLY_HASH_LEN);
	else
		tly_jw_null(w);
	tly_jw_key(w, "applied");
	tly_jw_uint(w, h->applied);
	tly_jw_key(w, "pending");
	tly_jw_arr_open(w);
	for (i = 0; i < h->npending; i++)
		tly_jw_uint(w, h->pending[i]);
	tly_jw_arr_close(w);
	tly_jw_key(w, "frozen");
	jw_seq_or_null(w, h->frozen);
	tly_jw_obj_close(w);
	return w->err;
}

/*
 * Read member name of obj: a hash (*set = 1), or null or absent when
 * nullable (*set = 0).  TLY_OK or TLY_E_HTTP (detail set).
 */
static int
get_hash_or_null(const struct tly_json *obj, const char *where,
    const char *name, int nullable, uint8_t out[TLY_HASH_LEN], int *set)
{
	const struct tly_json	*m = tly_json_get(obj, name);

	*set = 0;
	if (nullable && (m == NULL || tly_json_is_null(m)))
		return TLY_OK;
	if (tly_json_get_hash(obj, where, name, out) != TLY_OK)
		return tly_fail(TLY_E_HTTP, "%s.%s: not a hash or key in hex",
		    where, name);
	*set = 1;
	return TLY_OK;
}

/* Read integer member name of obj, or fail naming it. */
static int
get_uint(const struct tly_json *obj, const char *where, const char *name,
    uint64_t *out)
{
	if (tly_json_get_int(obj, where, name, out) != TLY_OK)
		return tly_fail(TLY_E_HTTP, "%s.%s: not an integer", where,
		    name);
	return TLY_OK;
}

int
tly_api_head_read(const struct tly_json *root, struct tly_api_head *h)
{
	const struct tly_json	*a, *el, *f;
	uint64_t		 seq;
	int			 set, r;

	memset(h, 0, sizeof(*h));
	if (root == NULL || !tly_json_is_object(root))
		return tly_fail(TLY_E_HTTP, "head: not a JSON object");
	if ((r = get_hash_or_null(root, "head", "device", 0, h->device,
	    &set)) != TLY_OK ||
	    (r = get_uint(root, "head", "head", &h->head)) != TLY_OK ||
	    (r = get_hash_or_null(root, "head", "batch", 1, h->batch,
	    &h->has_batch)) != TLY_OK ||
	    (r = get_uint(root, "head", "applied", &h->applied)) != TLY_OK)
		return r;
	if (tly_json_get(root, "batch") == NULL)
		return tly_fail(TLY_E_HTTP, "head.batch: missing");
	if ((a = tly_json_get(root, "pending")) == NULL ||
	    !tly_json_is_array(a))
		return tly_fail(TLY_E_HTTP, "head.pending: not an array");
	for (el = tly_json_first(a); el != NULL; el = tly_json_next(el)) {
		if (h->npending >= TLY_API_PENDING_MAX)
			return tly_fail(TLY_E_HTTP, "head.pending: over %d "
			    "seqs", TLY_API_PENDING_MAX);
		if (tly_json_int(el, "head.pending[]", &seq) != TLY_OK ||
		    seq <= (h->npending > 0 ? h->pending[h->npending - 1] :
		    h->head))
			return tly_fail(TLY_E_HTTP, "head.pending: not seqs "
			    "above head in ascending order");
		h->pending[h->npending++] = seq;
	}
	if ((f = tly_json_get(root, "frozen")) != NULL) {
		h->has_frozen = 1;
		if (!tly_json_is_null(f) && (get_uint(root, "head", "frozen",
		    &h->frozen) != TLY_OK || h->frozen == 0))
			return tly_fail(TLY_E_HTTP, "head.frozen: not a seq "
			    "or null");
	}
	return TLY_OK;
}

int
tly_api_learned_write(struct tly_jw *w, const struct tly_api_learned *l)
{
	tly_jw_obj_open(w);
	tly_jw_key(w, "head");
	tly_jw_uint(w, l->head);
	tly_jw_key(w, "batch");
	tly_jw_hex(w, l->batch, TLY_HASH_LEN);
	tly_jw_key(w, "own");
	tly_jw_uint(w, l->own);
	tly_jw_key(w, "skipped");
	tly_jw_uint(w, l->skipped);
	tly_jw_obj_close(w);
	return w->err;
}

int
tly_api_learned_read(const struct tly_json *root, struct tly_api_learned *l)
{
	int	set, r;

	memset(l, 0, sizeof(*l));
	if (root == NULL || !tly_json_is_object(root))
		return tly_fail(TLY_E_HTTP, "learned head: not a JSON object");
	if ((r = get_uint(root, "learned", "head", &l->head)) != TLY_OK ||
	    (r = get_hash_or_null(root, "learned", "batch", 0, l->batch,
	    &set)) != TLY_OK ||
	    (r = get_uint(root, "learned", "own", &l->own)) != TLY_OK ||
	    (r = get_uint(root, "learned", "skipped", &l->skipped)) != TLY_OK)
		return r;
	return TLY_OK;
}

void
tly_api_receipts_init(struct tly_api_receipts *p,
    const uint8_t device[TLY_PK_LEN])
{
	memset(p, 0, sizeof(*p));
	if (device != NULL)
		memcpy(p->device, device, TLY_PK_LEN);
}

void
tly_api_receipts_finish(struct tly_api_receipts *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free(p->e[i].receipt);
	free(p->e);
	p->e = NULL;
	p->n = p->alloc = 0;
}

int
tly_api_receipts_add(struct tly_api_receipts *p, uint64_t seq,
    const uint8_t batch[TLY_HASH_LEN], const uint8_t *receipt, size_t len)
{
	struct tly_api_held	*e;
	size_t			 na;

	if (p->n >= TLY_API_RECEIPTS_MAX || len > TLY_RECEIPT_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "receipts: over %d entries or "
		    "a receipt over %d bytes", TLY_API_RECEIPTS_MAX,
		    TLY_RECEIPT_MAX);
	if (p->n == p->alloc) {
		na = p->alloc == 0 ? 16 : 2 * p->alloc;
		if (na > TLY_API_RECEIPTS_MAX)
			na = TLY_API_RECEIPTS_MAX;
		if ((e = realloc(p->e, na * sizeof(*e))) == NULL)
			return TLY_E_NOMEM;
		p->e = e;
		p->alloc = na;
	}
	e = &p->e[p->n];
	if ((e->receipt = malloc(len > 0 ? len : 1)) == NULL)
		return TLY_E_NOMEM;
	memcpy(e->receipt, receipt, len);
	e->receipt_len = len;
	e->seq = seq;
	memcpy(e->batch, batch, TLY_HASH_LEN);
	p->n++;
	return TLY_OK;
}

int
tly_api_receipts_write(struct tly_jw *w, const struct tly_api_receipts *p)
{
	struct tly_buf	b64 = TLY_BUF_INIT(2 * TLY_RECEIPT_MAX + 16);
	size_t		i;
	int		r;

	tly_jw_obj_open(w);
	tly_jw_key(w, "device");
	tly_jw_hex(w, p->device, TLY_PK_LEN);
	tly_jw_key(w, "receipts");
	tly_jw_arr_open(w);
	for (i = 0; i < p->n; i++) {
		tly_jw_obj_open(w);
		tly_jw_key(w, "seq");
		tly_jw_uint(w, p->e[i].seq);
		tly_jw_key(w, "batch");
		tly_jw_hex(w, p->e[i].batch, TLY_HASH_LEN);
		tly_jw_key(w, "receipt");
		tly_buf_reset(&b64);
		if ((r = tly_b64_encode(p->e[i].receipt, p->e[i].receipt_len,
		    &b64)) != TLY_OK) {
			w->err = r;
			goto out;
		}
		tly_jw_str(w, (const char *)b64.p);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "next");
	jw_seq_or_null(w, p->next);
	tly_jw_obj_close(w);
 out:
	tly_buf_free(&b64);
	return w->err;
}

int
tly_api_receipts_read(const struct tly_json *root, struct tly_api_receipts *p)
{
	struct tly_buf		 rb = TLY_BUF_INIT(TLY_RECEIPT_MAX);
	const struct tly_json	*a, *el, *nx;
	const char		*s;
	uint64_t		 seq;
	uint8_t			 id[TLY_HASH_LEN];
	int			 set, r;

	tly_api_receipts_init(p, NULL);
	if (root == NULL || !tly_json_is_object(root))
		return tly_fail(TLY_E_HTTP, "receipts: not a JSON object");
	if ((r = get_hash_or_null(root, "receipts", "device", 0, p->device,
	    &set)) != TLY_OK)
		return r;
	if ((a = tly_json_get(root, "receipts")) == NULL ||
	    !tly_json_is_array(a))
		return tly_fail(TLY_E_HTTP, "receipts.receipts: not an array");
	for (el = tly_json_first(a); el != NULL; el = tly_json_next(el)) {
		if (!tly_json_is_object(el) ||
		    (r = get_uint(el, "receipts[]", "seq", &seq)) != TLY_OK ||
		    (r = get_hash_or_null(el, "receipts[]", "batch", 0, id,
		    &set)) != TLY_OK ||
		    (s = tly_json_string(tly_json_get(el, "receipt"))) ==
		    NULL) {
			r = tly_fail(TLY_E_HTTP, "receipts[%zu]: not a seq, "
			    "batch and receipt", p->n);
			goto out;
		}
		tly_buf_reset(&rb);
		if (tly_b64_decode(s, strlen(s), &rb) != TLY_OK) {
			r = tly_fail(TLY_E_HTTP, "receipts[%zu]: the receipt "
			    "is not base64 of at most %d bytes", p->n,
			    TLY_RECEIPT_MAX);
			goto out;
		}
		if ((r = tly_api_receipts_add(p, seq, id, rb.p, rb.len)) !=
		    TLY_OK) {
			if (r == TLY_E_TOO_LARGE)
				r = tly_fail(TLY_E_HTTP, "receipts: over %d "
				    "entries", TLY_API_RECEIPTS_MAX);
			goto out;
		}
	}
	if ((nx = tly_json_get(root, "next")) != NULL) {
		p->has_next = 1;
		if (!tly_json_is_null(nx) && (get_uint(root, "receipts",
		    "next", &p->next) != TLY_OK || p->next == 0)) {
			r = tly_fail(TLY_E_HTTP, "receipts.next: not a seq "
			    "or null");
			goto out;
		}
	}
	r = TLY_OK;
 out:
	tly_buf_free(&rb);
	return r;
}
