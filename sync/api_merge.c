/*
 * api_merge.c: the answers of the merge state (PROTOCOL.md 8.7): the
 * state hash and status, conflicts and evidence, written by the central
 * and read back by its clients.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "sync/api_merge.h"
#include "sync/wire.h"

int
tly_api_state_write(const struct tly_api_state *st, int full,
    struct tly_jw *w)
{
	tly_jw_obj_open(w);
	if (full) {
		tly_jw_key(w, "key");
		tly_jw_str(w, st->key);
		tly_jw_key(w, "election");
		tly_jw_str(w, st->election);
		tly_jw_key(w, "mode");
		tly_jw_str(w, st->mode);
	} else {
		tly_jw_key(w, "state_hash");
		tly_jw_hex(w, st->state_hash, TLY_HASH_LEN);
	}
	tly_jw_key(w, "devices");
	tly_jw_uint(w, st->devices);
	if (full) {
		tly_jw_key(w, "batches");
		tly_jw_uint(w, st->batches);
		tly_jw_key(w, "applied");
		tly_jw_uint(w, st->applied);
		tly_jw_key(w, "pending");
		tly_jw_uint(w, st->batches - st->applied);
		tly_jw_key(w, "frozen");
		tly_jw_uint(w, st->frozen);
		tly_jw_key(w, "evidence");
		tly_jw_uint(w, st->evidence);
		tly_jw_key(w, "conflicts");
		tly_jw_uint(w, st->conflicts);
		tly_jw_key(w, "keys");
		tly_jw_uint(w, st->keys);
		tly_jw_key(w, "state_hash");
		tly_jw_hex(w, st->state_hash, TLY_HASH_LEN);
	} else {
		tly_jw_key(w, "keys");
		tly_jw_uint(w, st->keys);
		tly_jw_key(w, "conflicts");
		tly_jw_uint(w, st->conflicts);
		tly_jw_key(w, "frozen");
		tly_jw_uint(w, st->frozen);
	}
	tly_jw_obj_close(w);
	return w->err;
}

/* Copy text member name of obj into out[max]; TLY_E_HTTP if too long. */
static int
get_name(const struct tly_json *obj, const char *name, char *out, size_t max)
{
	char	*t = NULL;
	int	 r;

	if ((r = tly_json_get_text(obj, "status", name, &t)) != TLY_OK)
		return r;
	if (strlen(t) >= max)
		r = tly_fail(TLY_E_HTTP, "status.%s: too long", name);
	else
		memcpy(out, t, strlen(t) + 1);
	free(t);
	return r;
}

int
tly_api_state_read(const struct tly_json *root, struct tly_api_state *st)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} ints[] = {
		{ "devices", offsetof(struct tly_api_state, devices) },
		{ "batches", offsetof(struct tly_api_state, batches) },
		{ "applied", offsetof(struct tly_api_state, applied) },
		{ "frozen", offsetof(struct tly_api_state, frozen) },
		{ "evidence", offsetof(struct tly_api_state, evidence) },
		{ "keys", offsetof(struct tly_api_state, keys) },
		{ "conflicts", offsetof(struct tly_api_state, conflicts) },
	};
	size_t	i;
	int	r;

	memset(st, 0, sizeof(*st));
	if (!tly_json_is_object(root))
		return tly_fail(TLY_E_HTTP, "status: not an object");
	if ((r = get_name(root, "key", st->key, sizeof(st->key))) != TLY_OK ||
	    (r = get_name(root, "election", st->election,
	    sizeof(st->election))) != TLY_OK ||
	    (r = get_name(root, "mode", st->mode, sizeof(st->mode))) !=
	    TLY_OK ||
	    (r = tly_json_get_hash(root, "status", "state_hash",
	    st->state_hash)) != TLY_OK)
		return r;
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if ((r = tly_json_get_int(root, "status", ints[i].name,
		    (uint64_t *)((char *)st + ints[i].off))) != TLY_OK)
			return r;
	return TLY_OK;
}

void
tly_api_evidence_free(struct tly_api_evidence *ev)
{
	size_t	i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nproofs; i++) {
		free(ev->proofs[i].bytes[0]);
		free(ev->proofs[i].bytes[1]);
	}
	free(ev->proofs);
	free(ev->frozen);
	free(ev->kept);
	memset(ev, 0, sizeof(*ev));
}

int
tly_api_evidence_write(const struct tly_api_evidence *ev, struct tly_jw *w)
{
	const struct tly_api_proof	*p;
	size_t				 i;
	int				 r = TLY_OK;

	tly_jw_obj_open(w);
	tly_jw_key(w, "frozen");
	tly_jw_arr_open(w);
	for (i = 0; i < ev->nfrozen; i++) {
		tly_jw_obj_open(w);
		tly_jw_key(w, "device");
		tly_jw_hex(w, ev->frozen[i].device, TLY_PK_LEN);
		tly_jw_key(w, "seq");
		tly_jw_uint(w, ev->frozen[i].seq);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "kept");
	tly_jw_arr_open(w);
	for (i = 0; i < ev->nkept; i++) {
		tly_jw_obj_open(w);
		tly_jw_key(w, "device");
		tly_jw_hex(w, ev->kept[i].device, TLY_PK_LEN);
		tly_jw_key(w, "batch");
		tly_jw_hex(w, ev->kept[i].batch, TLY_HASH_LEN);
		tly_jw_key(w, "seq");
		tly_jw_uint(w, ev->kept[i].seq);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "evidence");
	tly_jw_arr_open(w);
	for (i = 0; i < ev->nproofs && r == TLY_OK; i++) {
		p = &ev->proofs[i];
		tly_jw_obj_open(w);
		tly_jw_key(w, "device");
		tly_jw_hex(w, p->device, TLY_PK_LEN);
		tly_jw_key(w, "seq");
		tly_jw_uint(w, p->seq);
		tly_jw_key(w, "kind");
		tly_jw_str(w, p->kind);
		tly_jw_key(w, "batches");
		tly_jw_arr_open(w);
		tly_jw_hex(w, p->batch[0], TLY_HASH_LEN);
		tly_jw_hex(w, p->batch[1], TLY_HASH_LEN);
		tly_jw_arr_close(w);
		tly_jw_key(w, "bytes");
		tly_jw_arr_open(w);
		if ((r = tly_jw_b64(w, p->bytes[0], p->len[0])) == TLY_OK)
			r = tly_jw_b64(w, p->bytes[1], p->len[1]);
		tly_jw_arr_close(w);
		tly_jw_key(w, "resolved");
		tly_jw_bool(w, p->resolved);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "more");
	tly_jw_bool(w, ev->more);
	tly_jw_obj_close(w);
	return r != TLY_OK ? r : w->err;
}

/* The array member name of root, with at most max elements, into *arr. */
static int
get_list(const struct tly_json *root, const char *name, size_t max,
    const struct tly_json **arr, size_t *n)
{
	*arr = tly_json_get(root, name);
	if (*arr == NULL || !tly_json_is_array(*arr))
		return tly_fail(TLY_E_HTTP, "evidence.%s: not an array", name);
	if ((*n = tly_json_count(*arr)) > max)
		return tly_fail(TLY_E_HTTP, "evidence.%s: more than %zu",
		    name, max);
	return TLY_OK;
}

/* Read one proof el (at where) into *p. */
static int
read_proof(const struct tly_json *el, const char *where,
    struct tly_api_proof *p)
{
	const struct tly_json	*ids, *bytes, *b;
	struct tly_buf		 raw = TLY_BUF_INIT(TLY_MSG_MAX);
	char			*kind = NULL;
	const char		*s;
	int			 i, r;

	if ((r = tly_json_get_hash(el, where, "device", p->device)) !=
	    TLY_OK ||
	    (r = tly_json_get_int(el, where, "seq", &p->seq)) != TLY_OK ||
	    (r = tly_json_get_text(el, where, "kind", &kind)) != TLY_OK)
		goto out;
	if (strlen(kind) >= sizeof(p->kind)) {
		r = tly_fail(TLY_E_HTTP, "%s.kind: too long", where);
		goto out;
	}
	memcpy(p->kind, kind, strlen(kind) + 1);
	ids = tly_json_get(el, "batches");
	bytes = tly_json_get(el, "bytes");
	if (tly_json_count(ids) != 2 || !tly_json_is_array(ids) ||
	    tly_json_count(bytes) != 2 || !tly_json_is_array(bytes)) {
		r = tly_fail(TLY_E_HTTP, "%s: batches and bytes must be "
		    "pairs", where);
		goto out;
	}
	for (i = 0, b = tly_json_first(ids); i < 2; i++, b = tly_json_next(b))
		if ((r = tly_json_hash(b, where, p->batch[i])) != TLY_OK)
			goto out;
	for (i = 0, b = tly_json_first(bytes); i < 2;
	    i++, b = tly_json_next(b)) {
		tly_buf_reset(&raw);
		if ((s = tly_json_string(b)) == NULL ||
		    tly_b64_decode(s, strlen(s), &raw) != TLY_OK) {
			r = tly_fail(TLY_E_HTTP, "%s.bytes: not base64", where);
			goto out;
		}
		if ((p->bytes[i] = malloc(raw.len + 1)) == NULL) {
			r = TLY_E_NOMEM;
			goto out;
		}
		memcpy(p->bytes[i], raw.p, raw.len);
		p->len[i] = raw.len;
	}
	r = TLY_OK;
	if (tly_json_get(el, "resolved") != NULL)
		r = tly_json_bool(tly_json_get(el, "resolved"), where,
		    &p->resolved);
 out:
	free(kind);
	tly_buf_free(&raw);
	return r;
}

int
tly_api_evidence_read(const struct tly_json *root, size_t max,
    struct tly_api_evidence *ev)
{
	const struct tly_json	*a, *el;
	char			 where[48];
	size_t			 n;
	int			 r;

	memset(ev, 0, sizeof(*ev));
	if ((r = get_list(root, "frozen", max, &a, &n)) != TLY_OK)
		goto out;
	if (n > 0 && (ev->frozen = calloc(n, sizeof(*ev->frozen))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	for (el = tly_json_first(a); el != NULL; el = tly_json_next(el)) {
		tly_json_path_index(where, sizeof(where), "frozen",
		    ev->nfrozen);
		if ((r = tly_json_get_hash(el, where, "device",
		    ev->frozen[ev->nfrozen].device)) != TLY_OK ||
		    (r = tly_json_get_int(el, where, "seq",
		    &ev->frozen[ev->nfrozen].seq)) != TLY_OK)
			goto out;
		ev->nfrozen++;
	}
	if ((r = get_list(root, "kept", max, &a, &n)) != TLY_OK)
		goto out;
	if (n > 0 && (ev->kept = calloc(n, sizeof(*ev->kept))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	for (el = tly_json_first(a); el != NULL; el = tly_json_next(el)) {
		tly_json_path_index(where, sizeof(where), "kept", ev->nkept);
		if ((r = tly_json_get_hash(el, where, "device",
		    ev->kept[ev->nkept].device)) != TLY_OK ||
		    (r = tly_json_get_hash(el, where, "batch",
		    ev->kept[ev->nkept].batch)) != TLY_OK ||
		    (r = tly_json_get_int(el, where, "seq",
		    &ev->kept[ev->nkept].seq)) != TLY_OK)
			goto out;
		ev->nkept++;
	}
	if ((r = get_list(root, "evidence", max, &a, &n)) != TLY_OK)
		goto out;
	if (n > 0 && (ev->proofs = calloc(n, sizeof(*ev->proofs))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	for (el = tly_json_first(a); el != NULL; el = tly_json_next(el)) {
		tly_json_path_index(where, sizeof(where), "evidence",
		    ev->nproofs);
		/* Counted first: a half-read proof is freed with the rest. */
		r = read_proof(el, where, &ev->proofs[ev->nproofs++]);
		if (r != TLY_OK)
			goto out;
	}
	if ((el = tly_json_get(root, "more")) == NULL) {
		r = tly_fail(TLY_E_HTTP, "evidence.more: missing");
		goto out;
	}
	r = tly_json_bool(el, "evidence.more", &ev->more);
 out:
	if (r != TLY_OK)
		tly_api_evidence_free(ev);
	return r;
}

void
tly_api_conflicts_free(struct tly_api_conflicts *cf)
{
	struct tly_api_conflict	*c;
	size_t			 i, j;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->n; i++) {
		c = &cf->c[i];
		for (j = 0; j < c->nheads; j++) {
			free(c->heads[j].record);
			free(c->heads[j].counts);
			free(c->heads[j].body);
		}
		free(c->heads);
		for (j = 0; j < c->nstale_over; j++)
			free(c->stale_over[j]);
		free(c->stale_over);
		free(c->stale_record);
		free(c->area);
		free(c->level);
		free(c->winner);
	}
	free(cf->c);
	memset(cf, 0, sizeof(*cf));
}

/* The "stale" member of a conflict: the decision a later head reopened. */
static void
stale_write(const struct tly_api_conflict *c, struct tly_jw *w)
{
	size_t	i;

	tly_jw_key(w, "stale");
	tly_jw_obj_open(w);
	tly_jw_key(w, "decision");
	tly_jw_hex(w, c->stale_id, TLY_HASH_LEN);
	tly_jw_key(w, "record");
	tly_jw_str(w, c->stale_record);
	tly_jw_key(w, "issued");
	tly_jw_uint(w, c->stale_issued);
	tly_jw_key(w, "over");
	tly_jw_arr_open(w);
	for (i = 0; i < c->nstale_over; i++)
		tly_jw_str(w, c->stale_over[i]);
	tly_jw_arr_close(w);
	tly_jw_obj_close(w);
}

int
tly_api_conflicts_write(const struct tly_api_conflicts *cf,
    struct tly_jw *w)
{
	const struct tly_api_conflict	*c;
	const struct tly_api_cfhead	*h;
	size_t				 i, j;

	tly_jw_obj_open(w);
	tly_jw_key(w, "conflicts");
	tly_jw_arr_open(w);
	for (i = 0; i < cf->n; i++) {
		c = &cf->c[i];
		tly_jw_obj_open(w);
		tly_jw_key(w, "area");
		tly_jw_str(w, c->area);
		tly_jw_key(w, "level");
		tly_jw_str(w, c->level);
		tly_jw_key(w, "round");
		tly_jw_uint(w, c->round);
		tly_jw_key(w, "winner");
		tly_jw_str(w, c->winner);
		tly_jw_key(w, "heads");
		tly_jw_arr_open(w);
		for (j = 0; j < c->nheads; j++) {
			h = &c->heads[j];
			tly_jw_obj_open(w);
			tly_jw_key(w, "record");
			tly_jw_str(w, h->record);
			tly_jw_key(w, "device");
			tly_jw_hex(w, h->device, TLY_PK_LEN);
			tly_jw_key(w, "seq");
			tly_jw_uint(w, h->seq);
			tly_jw_key(w, "chain");
			tly_jw_uint(w, h->chain);
			tly_jw_key(w, "counts");
			tly_jw_str(w, h->counts);
			tly_jw_key(w, "body");
			tly_jw_raw(w, h->body, strlen(h->body));
			tly_jw_obj_close(w);
		}
		tly_jw_arr_close(w);
		if (c->stale_record != NULL)
			stale_write(c, w);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "more");
	tly_jw_bool(w, cf->more);
	tly_jw_obj_close(w);
	return w->err;
}
