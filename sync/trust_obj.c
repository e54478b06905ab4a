/*
 * trust_obj.c: the authority's signed objects (PROTOCOL.md 13.1-13.6):
 * definition statements, enrollment requests, device and central
 * certificates, revocation lists and decisions.  Parse, verify, seal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "sync/trust_obj.h"
#include "sync/wire.h"

/* Names of each body, in the order a signer writes them. */
static const char *const cert_names[] = { "serial", "device", "role",
    "election", "areas", "levels", "not_before", "not_after", "name",
    NULL };
static const char *const ccert_names[] = { "serial", "central",
    "election", "not_before", "not_after", "name", NULL };
static const char *const rev_names[] = { "election", "serial", "issued",
    "revoked", NULL };
static const char *const rev_entry_names[] = { "serial", "at", NULL };
static const char *const unfreeze_names[] = { "kind", "election",
    "device", "batch", "seq", "issued", "note", NULL };
static const char *const resolve_names[] = { "kind", "election", "area",
    "level", "round", "record", "over", "issued", "note", NULL };
static const char *const enroll_names[] = { "device", "name", "created",
    NULL };
static const char *const def_names[] = { "election", "issued", NULL };

/*
 * Verify message m under ctx (and, when authority is not NULL, that key)
 * and parse its body into *rootp.  Body errors are TLY_E_CERT.
 */
static int
obj_open(const uint8_t *m, size_t len, const char *ctx,
    const uint8_t *authority, struct tly_envelope *env,
    struct tly_json **rootp)
{
	int	r;

	*rootp = NULL;
	if ((r = tly_envelope_verify(m, len, ctx, env)) != TLY_OK)
		return r;
	if (authority != NULL && memcmp(env->signer, authority, TLY_PK_LEN))
		return tly_fail(TLY_E_NOT_CERTIFIED, "%s: not signed by the "
		    "authority", ctx);
	if (tly_json_parse(env->body, env->bodylen, rootp) != TLY_OK ||
	    !tly_json_is_object(*rootp))
		return tly_fail(TLY_E_CERT, "%s: body: %s", ctx,
		    *rootp == NULL ? tly_errdetail() : "not an object");
	return TLY_OK;
}

/* Turn a JSON reading error into TLY_E_CERT naming the object. */
static int
body_fail(const char *ctx)
{
	return tly_fail(TLY_E_CERT, "%s: body: %s", ctx, tly_errdetail());
}

/* Seal the body in b with ctx; reset b first when it fails. */
static int
obj_seal(const struct tly_key *key, const char *ctx, struct tly_jw *w,
    struct tly_buf *body, struct tly_buf *out)
{
	int	r;

	if ((r = tly_jw_finish(w)) != TLY_OK)
		return r;
	return tly_envelope_seal(key, ctx, body->p, body->len, out);
}

/*
 * Read member name of obj: the string "*" (*all = 1) or an array of
 * 1..max ids in strictly ascending bytewise order, copied to *listp
 * (new, free()) or, when fixed is not NULL, into fixed.
 */
static int
id_set(const struct tly_json *obj, const char *name, size_t max,
    int *all, char (**listp)[TLY_ID_MAX + 1], char (*fixed)[TLY_ID_MAX + 1],
    size_t *np)
{
	const struct tly_json	*n = tly_json_get(obj, name), *e;
	const char		*s;
	char			 (*list)[TLY_ID_MAX + 1] = fixed;
	char			 where[48];
	size_t			 i, cnt;
	int			 r;

	*all = 0;
	*np = 0;
	if (listp != NULL)
		*listp = NULL;
	if ((s = tly_json_string(n)) != NULL && strcmp(s, "*") == 0) {
		*all = 1;
		return TLY_OK;
	}
	cnt = tly_json_is_array(n) ? tly_json_count(n) : 0;
	if (cnt == 0 || cnt > max)
		return tly_fail(TLY_E_JSON, "%s: must be \"*\" or an array of "
		    "1 to %zu ids", name, max);
	if (list == NULL && (list = calloc(cnt, sizeof(*list))) == NULL)
		return TLY_E_NOMEM;
	for (i = 0, e = tly_json_first(n); e != NULL;
	    i++, e = tly_json_next(e)) {
		tly_json_path_index(where, sizeof(where), name, i);
		if ((r = tly_json_id(e, where, list[i])) != TLY_OK)
			goto fail;
		if (i > 0 && strcmp(list[i - 1], list[i]) >= 0) {
			r = tly_fail(TLY_E_JSON, "%s: not in strictly "
			    "ascending order", where);
			goto fail;
		}
	}
	*np = cnt;
	if (listp != NULL)
		*listp = list;
	return TLY_OK;
 fail:
	if (fixed == NULL)
		free(list);
	return r;
}

/* Write a set of ids as "*" or an array. */
static void
jw_id_set(struct tly_jw *w, const char *name, int all,
    char (*list)[TLY_ID_MAX + 1], size_t n)
{
	size_t	i;

	tly_jw_key(w, name);
	if (all) {
		tly_jw_str(w, "*");
		return;
	}
	tly_jw_arr_open(w);
	for (i = 0; i < n; i++)
		tly_jw_str(w, list[i]);
	tly_jw_arr_close(w);
}

/* Optional id member "name" into out ("" when absent). */
static int
opt_id(const struct tly_json *obj, const char *name, char *out)
{
	out[0] = '\0';
	if (tly_json_get(obj, name) == NULL)
		return TLY_OK;
	return tly_json_get_id(obj, "", name, out);
}

/* ---- Certificates --------------------------------------------------------- */

void
tly_cert_free(struct tly_cert *c)
{
	if (c == NULL)
		return;
	free(c->areas);
	free(c);
}

/* Body of a device (kind 0) or central (kind 1) certificate. */
static int
cert_body(const struct tly_json *root, struct tly_cert *c)
{
	const char	*role;
	int		 r;

	if (c->kind == TLY_CERT_CENTRAL) {
		if ((r = tly_json_check_names(root, "", ccert_names)) !=
		    TLY_OK ||
		    (r = tly_json_get_hash(root, "", "central", c->key)) !=
		    TLY_OK)
			return r;
	} else {
		if ((r = tly_json_check_names(root, "", cert_names)) !=
		    TLY_OK ||
		    (r = tly_json_get_hash(root, "", "device", c->key)) !=
		    TLY_OK)
			return r;
		role = tly_json_string(tly_json_get(root, "role"));
		if (role != NULL && strcmp(role, "clerk") == 0)
			c->role = TLY_ROLE_CLERK;
		else if (role != NULL && strcmp(role, "adjudicator") == 0)
			c->role = TLY_ROLE_ADJUDICATOR;
		else
			return tly_fail(TLY_E_JSON, "role: must be \"clerk\" "
			    "or \"adjudicator\"");
		if ((r = id_set(root, "areas", TLY_CERT_AREAS_MAX,
		    &c->all_areas, &c->areas, NULL, &c->nareas)) != TLY_OK ||
		    (r = id_set(root, "levels", TLY_LEVELS_MAX,
		    &c->all_levels, NULL, c->levels, &c->nlevels)) != TLY_OK)
			return r;
	}
	if ((r = tly_json_get_int(root, "", "serial", &c->serial)) != TLY_OK ||
	    (r = tly_json_get_hash(root, "", "election", c->election)) !=
	    TLY_OK ||
	    (r = tly_json_get_int(root, "", "not_before", &c->not_before)) !=
	    TLY_OK ||
	    (r = tly_json_get_int(root, "", "not_after", &c->not_after)) !=
	    TLY_OK ||
	    (r = opt_id(root, "name", c->name)) != TLY_OK)
		return r;
	if (c->serial == 0)
		return tly_fail(TLY_E_JSON, "serial: must be 1 or more");
	if (c->not_after < c->not_before)
		return tly_fail(TLY_E_JSON, "not_after: before not_before");
	return TLY_OK;
}

int
tly_cert_parse(const uint8_t *m, size_t len, const uint8_t *authority,
    struct tly_cert **cp)
{
	struct tly_envelope	 env;
	struct tly_json		*root = NULL;
	struct tly_cert		*c = NULL;
	char			 ctx[TLY_CTX_MAX + 1];
	int			 r;

	*cp = NULL;
	if ((r = tly_trust_context(m, len, ctx, sizeof(ctx))) != TLY_OK)
		return r;
	if (strcmp(ctx, TLY_CTX_CENTRAL_CERT) != 0)
		strcpy(ctx, TLY_CTX_CERT);	/* anything else must be this */
	if ((r = obj_open(m, len, ctx, authority, &env, &root)) != TLY_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	c->kind = strcmp(ctx, TLY_CTX_CERT) == 0 ? TLY_CERT_DEVICE :
	    TLY_CERT_CENTRAL;
	if (cert_body(root, c) != TLY_OK) {
		r = body_fail(ctx);
		goto out;
	}
	tly_hash(m, len, c->id);
	memcpy(c->authority, env.signer, TLY_PK_LEN);
	*cp = c;
	c = NULL;		/* transferred */
 out:
	tly_cert_free(c);
	tly_json_free(root);
	return r;
}

int
tly_cert_seal(const struct tly_key *authority, const struct tly_cert *c,
    struct tly_buf *out)
{
	struct tly_buf	body = TLY_BUF_INIT(TLY_BODY_MAX);
	struct tly_jw	w;
	int		r;

	tly_jw_init(&w, &body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "serial");
	tly_jw_uint(&w, c->serial);
	tly_jw_key(&w, c->kind == TLY_CERT_CENTRAL ? "central" : "device");
	tly_jw_hex(&w, c->key, TLY_PK_LEN);
	if (c->kind == TLY_CERT_DEVICE) {
		tly_jw_key(&w, "role");
		tly_jw_str(&w, c->role == TLY_ROLE_ADJUDICATOR ?
		    "adjudicator" : "clerk");
	}
	tly_jw_key(&w, "election");
	tly_jw_hex(&w, c->election, TLY_HASH_LEN);
	if (c->kind == TLY_CERT_DEVICE) {
		jw_id_set(&w, "areas", c->all_areas, c->areas, c->nareas);
		jw_id_set(&w, "levels", c->all_levels,
		    (char (*)[TLY_ID_MAX + 1])c->levels, c->nlevels);
	}
	tly_jw_key(&w, "not_before");
	tly_jw_uint(&w, c->not_before);
	tly_jw_key(&w, "not_after");
	tly_jw_uint(&w, c->not_after);
	if (c->name[0] != '\0') {
		tly_jw_key(&w, "name");
		tly_jw_str(&w, c->name);
	}
	tly_jw_obj_close(&w);
	r = obj_seal(authority, c->kind == TLY_CERT_CENTRAL ?
	    TLY_CTX_CENTRAL_CERT : TLY_CTX_CERT, &w, &body, out);
	tly_buf_free(&body);
	return r;
}

/* bsearch comparator over an id array. */
static int
id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
tly_cert_covers(const struct tly_cert *c, const char *area,
    const char *level)
{
	size_t	i;
	int	lev = c->all_levels;

	if (c->kind != TLY_CERT_DEVICE)
		return 0;
	for (i = 0; !lev && i < c->nlevels; i++)
		lev = strcmp(c->levels[i], level) == 0;
	if (!lev)
		return 0;
	return c->all_areas || (c->nareas > 0 && bsearch(area, c->areas,
	    c->nareas, sizeof(*c->areas), id_cmp) != NULL);
}

/* ---- Revocation lists ----------------------------------------------------- */

void
tly_revocations_free(struct tly_revocations *r)
{
	if (r == NULL)
		return;
	free(r->entries);
	free(r);
}

/* Body of a revocation list. */
static int
rev_body(const struct tly_json *root, struct tly_revocations *rv)
{
	const struct tly_json	*list, *e;
	char			 where[48];
	size_t			 i;
	int			 r;

	if ((r = tly_json_check_names(root, "", rev_names)) != TLY_OK ||
	    (r = tly_json_get_hash(root, "", "election", rv->election)) !=
	    TLY_OK ||
	    (r = tly_json_get_int(root, "", "serial", &rv->serial)) != TLY_OK ||
	    (r = tly_json_get_int(root, "", "issued", &rv->issued)) != TLY_OK)
		return r;
	if (rv->serial == 0)
		return tly_fail(TLY_E_JSON, "serial: must be 1 or more");
	list = tly_json_get(root, "revoked");
	if (!tly_json_is_array(list) || tly_json_count(list) > TLY_REVOKED_MAX)
		return tly_fail(TLY_E_JSON, "revoked: must be an array of at "
		    "most %d entries", TLY_REVOKED_MAX);
	if (tly_json_count(list) > 0 && (rv->entries =
	    calloc(tly_json_count(list), sizeof(*rv->entries))) == NULL)
		return TLY_E_NOMEM;
	for (i = 0, e = tly_json_first(list); e != NULL;
	    i++, e = tly_json_next(e)) {
		tly_json_path_index(where, sizeof(where), "revoked", i);
		if ((r = tly_json_check_names(e, where, rev_entry_names)) !=
		    TLY_OK ||
		    (r = tly_json_get_int(e, where, "serial",
		    &rv->entries[i].serial)) != TLY_OK ||
		    (r = tly_json_get_int(e, where, "at",
		    &rv->entries[i].at)) != TLY_OK)
			return r;
		if (rv->entries[i].serial == 0 || (i > 0 &&
		    rv->entries[i - 1].serial >= rv->entries[i].serial))
			return tly_fail(TLY_E_JSON, "%s.serial: serials must "
			    "be 1 or more, strictly ascending", where);
		rv->n = i + 1;
	}
	return TLY_OK;
}

int
tly_revocations_parse(const uint8_t *m, size_t len,
    const uint8_t *authority, struct tly_revocations **rp)
{
	struct tly_envelope	 env;
	struct tly_json		*root = NULL;
	struct tly_revocations	*rv = NULL;
	int			 r;

	*rp = NULL;
	if ((r = obj_open(m, len, TLY_CTX_REVOCATIONS, authority, &env,
	    &root)) != TLY_OK)
		goto out;
	if ((rv = calloc(1, sizeof(*rv))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	if (rev_body(root, rv) != TLY_OK) {
		r = body_fail(TLY_CTX_REVOCATIONS);
		goto out;
	}
	memcpy(rv->authority, env.signer, TLY_PK_LEN);
	*rp = rv;
	rv = NULL;		/* transferred */
 out:
	tly_revocations_free(rv);
	tly_json_free(root);
	return r;
}

int
tly_revocations_seal(const struct tly_key *authority,
    const struct tly_revocations *rv, struct tly_buf *out)
{
	struct tly_buf	body = TLY_BUF_INIT(TLY_BODY_MAX);
	struct tly_jw	w;
	size_t		i;
	int		r;

	tly_jw_init(&w, &body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "election");
	tly_jw_hex(&w, rv->election, TLY_HASH_LEN);
	tly_jw_key(&w, "serial");
	tly_jw_uint(&w, rv->serial);
	tly_jw_key(&w, "issued");
	tly_jw_uint(&w, rv->issued);
	tly_jw_key(&w, "revoked");
	tly_jw_arr_open(&w);
	for (i = 0; i < rv->n; i++) {
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "serial");
		tly_jw_uint(&w, rv->entries[i].serial);
		tly_jw_key(&w, "at");
		tly_jw_uint(&w, rv->entries[i].at);
		tly_jw_obj_close(&w);
	}
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	r = obj_seal(authority, TLY_CTX_REVOCATIONS, &w, &body, out);
	tly_buf_free(&body);
	return r;
}

const struct tly_revoked *
tly_revocations_find(const struct tly_revocations *rv, uint64_t serial)
{
	size_t	lo = 0, hi, mid;

	if (rv == NULL)
		return NULL;
	hi = rv->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (rv->entries[mid].serial == serial)
			return &rv->entries[mid];
		if (rv->entries[mid].serial < serial)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- Decisions ------------------------------------------------------------ */

void
tly_decision_free(struct tly_decision *d)
{
	if (d == NULL)
		return;
	free(d->note);
	free(d);
}

/*
 * The over array of a resolve decision (13.6): 1 to
 * TLY_DECISION_OVER_MAX record ids in strictly ascending bytewise order,
 * the decision's record among them.
 */
static int
decision_over(const struct tly_json *a, struct tly_decision *d)
{
	const struct tly_json	*el;
	const char		*s;
	int			 has = 0;

	if (!tly_json_is_array(a) || tly_json_count(a) == 0 ||
	    tly_json_count(a) > TLY_DECISION_OVER_MAX)
		return tly_fail(TLY_E_JSON, "over: 1 to %d record ids",
		    TLY_DECISION_OVER_MAX);
	for (el = tly_json_first(a); el != NULL; el = tly_json_next(el)) {
		s = tly_json_string(el);
		if (s == NULL || strlen(s) >= sizeof(d->over[0]) ||
		    !tly_record_id_valid(s))
			return tly_fail(TLY_E_JSON, "over[%zu]: not a record "
			    "id", d->nover);
		if (d->nover > 0 && strcmp(d->over[d->nover - 1], s) >= 0)
			return tly_fail(TLY_E_JSON, "over: not in strictly "
			    "ascending order");
		has |= strcmp(s, d->record) == 0;
		strcpy(d->over[d->nover++], s);
	}
	if (!has)
		return tly_fail(TLY_E_JSON, "over: does not list record");
	return TLY_OK;
}

/* Body of a decision. */
static int
decision_body(const struct tly_json *root, struct tly_decision *d)
{
	const char	*kind = tly_json_string(tly_json_get(root, "kind"));
	const char	*rec;
	int		 r;

	if (kind != NULL && strcmp(kind, "unfreeze") == 0)
		d->kind = TLY_DECISION_UNFREEZE;
	else if (kind != NULL && strcmp(kind, "resolve") == 0)
		d->kind = TLY_DECISION_RESOLVE;
	else
		return tly_fail(TLY_E_JSON, "kind: must be \"unfreeze\" or "
		    "\"resolve\"");
	if ((r = tly_json_check_names(root, "", d->kind ==
	    TLY_DECISION_UNFREEZE ? unfreeze_names : resolve_names)) !=
	    TLY_OK ||
	    (r = tly_json_get_hash(root, "", "election", d->election)) !=
	    TLY_OK ||
	    (r = tly_json_get_int(root, "", "issued", &d->issued)) != TLY_OK)
		return r;
	if (tly_json_get(root, "note") != NULL &&
	    (r = tly_json_get_text(root, "", "note", &d->note)) != TLY_OK)
		return r;
	if (d->kind == TLY_DECISION_UNFREEZE) {
		if ((r = tly_json_get_hash(root, "", "device", d->device)) !=
		    TLY_OK ||
		    (r = tly_json_get_hash(root, "", "batch", d->batch)) !=
		    TLY_OK ||
		    (r = tly_json_get_int(root, "", "seq", &d->seq)) != TLY_OK)
			return r;
		if (d->seq == 0)
			return tly_fail(TLY_E_JSON, "seq: must be 1 or more");
		return TLY_OK;
	}
	if ((r = tly_json_get_id(root, "", "area", d->area)) != TLY_OK ||
	    (r = tly_json_get_id(root, "", "level", d->level)) != TLY_OK ||
	    (r = tly_json_get_int(root, "", "round", &d->round)) != TLY_OK)
		return r;
	if (d->round == 0)
		return tly_fail(TLY_E_JSON, "round: must be 1 or more");
	rec = tly_json_string(tly_json_get(root, "record"));
	if (rec == NULL || strlen(rec) >= sizeof(d->record) ||
	    !tly_record_id_valid(rec))
		return tly_fail(TLY_E_JSON, "record: not a record id");
	strcpy(d->record, rec);
	if (tly_json_get(root, "over") != NULL)
		return decision_over(tly_json_get(root, "over"), d);
	return TLY_OK;
}

int
tly_decision_parse(const uint8_t *m, size_t len, struct tly_decision **dp)
{
	struct tly_envelope	 env;
	struct tly_json		*root = NULL;
	struct tly_decision	*d = NULL;
	int			 r;

	*dp = NULL;
	if ((r = obj_open(m, len, TLY_CTX_DECISION, NULL, &env, &root)) !=
	    TLY_OK)
		goto out;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	if (decision_body(root, d) != TLY_OK) {
		r = body_fail(TLY_CTX_DECISION);
		goto out;
	}
	tly_hash(m, len, d->id);
	memcpy(d->signer, env.signer, TLY_PK_LEN);
	*dp = d;
	d = NULL;		/* transferred */
 out:
	tly_decision_free(d);
	tly_json_free(root);
	return r;
}

int
tly_decision_seal(const struct tly_key *adjudicator,
    const struct tly_decision *d, struct tly_buf *out)
{
	struct tly_buf	body = TLY_BUF_INIT(TLY_BODY_MAX);
	struct tly_jw	w;
	size_t		i;
	int		r;

	tly_jw_init(&w, &body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "kind");
	tly_jw_str(&w, d->kind == TLY_DECISION_UNFREEZE ? "unfreeze" :
	    "resolve");
	tly_jw_key(&w, "election");
	tly_jw_hex(&w, d->election, TLY_HASH_LEN);
	if (d->kind == TLY_DECISION_UNFREEZE) {
		tly_jw_key(&w, "device");
		tly_jw_hex(&w, d->device, TLY_PK_LEN);
		tly_jw_key(&w, "batch");
		tly_jw_hex(&w, d->batch, TLY_HASH_LEN);
		tly_jw_key(&w, "seq");
		tly_jw_uint(&w, d->seq);
	} else {
		tly_jw_key(&w, "area");
		tly_jw_str(&w, d->area);
		tly_jw_key(&w, "level");
		tly_jw_str(&w, d->level);
		tly_jw_key(&w, "round");
		tly_jw_uint(&w, d->round);
		tly_jw_key(&w, "record");
		tly_jw_str(&w, d->record);
		if (d->nover > 0) {
			tly_jw_key(&w, "over");
			tly_jw_arr_open(&w);
			for (i = 0; i < d->nover && i < TLY_DECISION_OVER_MAX;
			    i++)
				tly_jw_str(&w, d->over[i]);
			tly_jw_arr_close(&w);
		}
	}
	tly_jw_key(&w, "issued");
	tly_jw_uint(&w, d->issued);
	if (d->note != NULL) {
		tly_jw_key(&w, "note");
		tly_jw_str(&w, d->note);
	}
	tly_jw_obj_close(&w);
	r = obj_seal(adjudicator, TLY_CTX_DECISION, &w, &body, out);
	tly_buf_free(&body);
	return r;
}

/* ---- Enrollment requests -------------------------------------------------- */

int
tly_enroll_parse(const uint8_t *m, size_t len, struct tly_enroll_request *rq)
{
	struct tly_envelope	 env;
	struct tly_json		*root = NULL;
	int			 r;

	memset(rq, 0, sizeof(*rq));
	if ((r = obj_open(m, len, TLY_CTX_ENROLL, NULL, &env, &root)) !=
	    TLY_OK)
		goto out;
	if (tly_json_check_names(root, "", enroll_names) != TLY_OK ||
	    tly_json_get_hash(root, "", "device", rq->device) != TLY_OK ||
	    tly_json_get_id(root, "", "name", rq->name) != TLY_OK ||
	    tly_json_get_int(root, "", "created", &rq->created) != TLY_OK) {
		r = body_fail(TLY_CTX_ENROLL);
		goto out;
	}
	if (memcmp(rq->device, env.signer, TLY_PK_LEN) != 0)
		r = tly_fail(TLY_E_CERT, "%s: body: device is not the signer",
		    TLY_CTX_ENROLL);
 out:
	tly_json_free(root);
	return r;
}

int
tly_enroll_seal(const struct tly_key *device, const char *name,
    uint64_t created, struct tly_buf *out)
{
	struct tly_buf	body = TLY_BUF_INIT(4096);
	struct tly_jw	w;
	int		r;

	if (!tly_json_valid_id(name))
		return tly_fail(TLY_E_INVAL, "name: not an id (1 to 64 of "
		    "A-Z a-z 0-9 . _ -)");
	tly_jw_init(&w, &body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "device");
	tly_jw_hex(&w, tly_key_public(device), TLY_PK_LEN);
	tly_jw_key(&w, "name");
	tly_jw_str(&w, name);
	tly_jw_key(&w, "created");
	tly_jw_uint(&w, created);
	tly_jw_obj_close(&w);
	r = obj_seal(device, TLY_CTX_ENROLL, &w, &body, out);
	tly_buf_free(&body);
	return r;
}

/* ---- Definition statements ------------------------------------------------ */

int
tly_definition_verify(const uint8_t *sig, size_t siglen,
    const uint8_t *authority, const uint8_t *def, size_t deflen,
    struct tly_definition_sig *ds)
{
	struct tly_envelope	 env;
	struct tly_json		*root = NULL;
	struct tly_definition_sig tmp;
	uint8_t			 h[TLY_HASH_LEN];
	int			 r;

	memset(&tmp, 0, sizeof(tmp));
	if ((r = obj_open(sig, siglen, TLY_CTX_DEFINITION, authority, &env,
	    &root)) != TLY_OK)
		goto out;
	if (tly_json_check_names(root, "", def_names) != TLY_OK ||
	    tly_json_get_hash(root, "", "election", tmp.election) != TLY_OK ||
	    tly_json_get_int(root, "", "issued", &tmp.issued) != TLY_OK) {
		r = body_fail(TLY_CTX_DEFINITION);
		goto out;
	}
	memcpy(tmp.authority, env.signer, TLY_PK_LEN);
	tly_hash(def, deflen, h);
	if (memcmp(h, tmp.election, TLY_HASH_LEN) != 0)
		r = tly_fail(TLY_E_SIGNATURE, "the election definition is "
		    "not the one the authority signed (altered after signing)");
 out:
	if (ds != NULL)
		*ds = tmp;
	tly_json_free(root);
	return r;
}

int
tly_definition_seal(const struct tly_key *authority, const uint8_t *def,
    size_t deflen, uint64_t issued, struct tly_buf *out)
{
	struct tly_buf	body = TLY_BUF_INIT(4096);
	struct tly_jw	w;
	uint8_t		h[TLY_HASH_LEN];
	int		r;

	tly_hash(def, deflen, h);
	tly_jw_init(&w, &body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "election");
	tly_jw_hex(&w, h, TLY_HASH_LEN);
	tly_jw_key(&w, "issued");
	tly_jw_uint(&w, issued);
	tly_jw_obj_close(&w);
	r = obj_seal(authority, TLY_CTX_DEFINITION, &w, &body, out);
	tly_buf_free(&body);
	return r;
}

int
tly_trust_context(const uint8_t *m, size_t len, char *out, size_t outlen)
{
	struct tly_envelope	env;
	int			r;

	if (outlen > 0)
		out[0] = '\0';
	if ((r = tly_envelope_parse(m, len, &env)) != TLY_OK)
		return r;
	if (env.ctxlen >= outlen)
		return tly_fail(TLY_E_CONTEXT, "context too long");
	memcpy(out, env.ctx, env.ctxlen);
	out[env.ctxlen] = '\0';
	return TLY_OK;
}
