/*
 * feed.c: the writer and the reader of the audit feed's pages
 * (PROTOCOL.md 8.7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "sync/feed.h"
#include "sync/wire.h"

/* Names of a feed entry's members. */
static const char *const entry_names[] = { "pos", "kind", "batch",
	"device", "seq", "bytes", "receipt", NULL };

/* Names of a decision entry's members. */
static const char *const decision_names[] = { "pos", "kind", "decision",
	"signer", "bytes", "receipt", NULL };

/* Names of a page's members. */
static const char *const page_names[] = { "after", "next", "more",
	"entries", NULL };

/* Read the base64 member name of obj (required or not) into out. */
static int
b64_member(const struct tly_json *obj, const char *where, const char *name,
    int required, size_t max, struct tly_buf *out)
{
	const struct tly_json	*n;
	const char		*s;

	*out = (struct tly_buf)TLY_BUF_INIT(max);
	if ((n = tly_json_get(obj, name)) == NULL && !required)
		return TLY_OK;
	if ((s = tly_json_string(n)) == NULL)
		return tly_fail(TLY_E_JSON, "%s.%s: not a string", where,
		    name);
	if (tly_b64_decode(s, strlen(s), out) != TLY_OK)
		return tly_fail(TLY_E_JSON, "%s.%s: not base64 of at most %zu "
		    "bytes", where, name, max);
	return TLY_OK;
}

/* The kind of entry n: "batch" (also when absent) or "decision". */
static const char *
entry_kind(const struct tly_json *n)
{
	const struct tly_json	*k;
	const char		*s;

	if ((k = tly_json_get(n, "kind")) == NULL)
		return "batch";
	if ((s = tly_json_string(k)) == NULL ||
	    (strcmp(s, "batch") != 0 && strcmp(s, "decision") != 0))
		return NULL;
	return s;
}

/* Read one entry at n into e. */
static int
read_entry(const struct tly_json *n, const char *where,
    struct tly_feed_entry *e)
{
	const char	*kind;
	int		 r;

	memset(e, 0, sizeof(*e));
	kind = entry_kind(n);
	if (kind == NULL)
		return tly_fail(TLY_E_JSON, "%s.kind: not \"batch\" or "
		    "\"decision\"", where);
	if (strcmp(kind, "decision") == 0) {
		e->decision = 1;
		if ((r = tly_json_check_names(n, where, decision_names)) !=
		    TLY_OK ||
		    (r = tly_json_get_int(n, where, "pos", &e->pos)) != TLY_OK ||
		    (r = tly_json_get_hash(n, where, "decision", e->batch)) !=
		    TLY_OK ||
		    (r = tly_json_get_hash(n, where, "signer", e->device)) !=
		    TLY_OK ||
		    (r = b64_member(n, where, "bytes", 1, TLY_MSG_MAX,
		    &e->bytes)) != TLY_OK ||
		    (r = b64_member(n, where, "receipt", 0, TLY_RECEIPT_MAX,
		    &e->receipt)) != TLY_OK) {
			tly_buf_free(&e->bytes);
			tly_buf_free(&e->receipt);
			return r != TLY_E_NOMEM ? TLY_E_JSON : r;
		}
		return TLY_OK;
	}
	if ((r = tly_json_check_names(n, where, entry_names)) != TLY_OK ||
	    (r = tly_json_get_int(n, where, "pos", &e->pos)) != TLY_OK ||
	    (r = tly_json_get_hash(n, where, "batch", e->batch)) != TLY_OK ||
	    (r = tly_json_get_hash(n, where, "device", e->device)) != TLY_OK ||
	    (r = tly_json_get_int(n, where, "seq", &e->seq)) != TLY_OK ||
	    (r = b64_member(n, where, "bytes", 1, TLY_MSG_MAX, &e->bytes)) !=
	    TLY_OK ||
	    (r = b64_member(n, where, "receipt", 0, TLY_RECEIPT_MAX,
	    &e->receipt)) != TLY_OK) {
		tly_buf_free(&e->bytes);
		tly_buf_free(&e->receipt);
		return r != TLY_E_NOMEM ? TLY_E_JSON : r;
	}
	return TLY_OK;
}

int
tly_feed_reserve(struct tly_feed *f)
{
	struct tly_feed_entry	*grown;
	size_t			 cap;

	if (f->n < f->cap)
		return TLY_OK;
	if (f->cap >= TLY_BUNDLE_ENTRIES_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "more than %d feed entries",
		    TLY_BUNDLE_ENTRIES_MAX);
	cap = f->cap > 0 ? 2 * f->cap : 256;
	if ((grown = reallocarray(f->e, cap, sizeof(*f->e))) == NULL)
		return TLY_E_NOMEM;
	f->e = grown;
	f->cap = cap;
	return TLY_OK;
}

/* Write entry e as one object of "entries". */
static int
write_entry(const struct tly_feed_entry *e, struct tly_jw *w)
{
	int	r;

	tly_jw_obj_open(w);
	tly_jw_key(w, "pos");
	tly_jw_uint(w, e->pos);
	tly_jw_key(w, "kind");
	if (!e->decision) {
		tly_jw_str(w, "batch");
		tly_jw_key(w, "batch");
		tly_jw_hex(w, e->batch, TLY_HASH_LEN);
		tly_jw_key(w, "device");
		tly_jw_hex(w, e->device, TLY_PK_LEN);
		tly_jw_key(w, "seq");
		tly_jw_uint(w, e->seq);
	} else {
		tly_jw_str(w, "decision");
		tly_jw_key(w, "decision");
		tly_jw_hex(w, e->batch, TLY_HASH_LEN);
		tly_jw_key(w, "signer");
		tly_jw_hex(w, e->device, TLY_PK_LEN);
	}
	tly_jw_key(w, "bytes");
	if ((r = tly_jw_b64(w, e->bytes.p, e->bytes.len)) != TLY_OK)
		return r;
	/* Its receipt, for its receipt time (12.7, 13.7). */
	if (e->receipt.len > 0) {
		tly_jw_key(w, "receipt");
		if ((r = tly_jw_b64(w, e->receipt.p, e->receipt.len)) !=
		    TLY_OK)
			return r;
	}
	tly_jw_obj_close(w);
	return TLY_OK;
}

int
tly_feed_write(const struct tly_feed *f, uint64_t after, struct tly_jw *w)
{
	size_t	i;
	int	r;

	tly_jw_obj_open(w);
	tly_jw_key(w, "entries");
	tly_jw_arr_open(w);
	for (i = 0; i < f->n; i++)
		if ((r = write_entry(&f->e[i], w)) != TLY_OK)
			return r;
	tly_jw_arr_close(w);
	tly_jw_key(w, "after");
	tly_jw_uint(w, after);
	tly_jw_key(w, "next");
	tly_jw_uint(w, f->next);
	tly_jw_key(w, "more");
	tly_jw_bool(w, f->more);
	tly_jw_obj_close(w);
	return w->err;
}

int
tly_feed_page(struct tly_feed *f, const struct tly_json *root)
{
	const struct tly_json	*arr, *n;
	char			 where[64];
	size_t			 i;
	int			 r, more;

	if ((r = tly_json_check_names(root, "", page_names)) != TLY_OK)
		return TLY_E_JSON;
	if ((arr = tly_json_get(root, "entries")) == NULL ||
	    !tly_json_is_array(arr))
		return tly_fail(TLY_E_JSON, "entries: not an array");
	if (tly_json_get_int(root, "", "next", &f->next) != TLY_OK)
		return TLY_E_JSON;
	if ((n = tly_json_get(root, "more")) == NULL ||
	    tly_json_bool(n, "more", &more) != TLY_OK)
		return tly_fail(TLY_E_JSON, "more: not a boolean");
	f->more = more;
	for (n = tly_json_first(arr), i = 0; n != NULL;
	    n = tly_json_next(n), i++) {
		snprintf(where, sizeof(where), "entries[%zu]", i);
		if ((r = tly_feed_reserve(f)) != TLY_OK)
			return r;
		if ((r = read_entry(n, where, &f->e[f->n])) != TLY_OK)
			return r;
		f->n++;
	}
	return TLY_OK;
}

void
tly_feed_free(struct tly_feed *f)
{
	size_t	i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		tly_buf_free(&f->e[i].bytes);
		tly_buf_free(&f->e[i].receipt);
	}
	free(f->e);
	memset(f, 0, sizeof(*f));
}
