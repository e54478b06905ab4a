/*
 * verify_trust.c: tally verify's companions (PROTOCOL.md 7.2): each
 * receipt (section 6) and trust object (13.1, 13.3 - 13.5) found in the
 * FILEs is judged, and with --authority the trust of 13.7 is built from
 * them by sync/trust, for the one verifier (sync/verify) to apply to
 * every batch at its receipt time.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/verify.h"
#include "common/err.h"
#include "election/election.h"
#include "sync/companion.h"
#include "sync/trust.h"
#include "sync/wire.h"

void
cli_ver_bad(struct ver_entry *e, const char *code, const char *fmt, ...)
{
	va_list	ap;
	char	tmp[1024];

	if (e->bad)
		return;
	e->bad = 1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	e->detail = strdup(tmp);
}

void
cli_ver_skip(struct ver *v, const char *fmt, ...)
{
	va_list	ap;

	if (v->nskipped == sizeof(v->skipped) / sizeof(v->skipped[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(v->skipped[v->nskipped++], sizeof(v->skipped[0]), fmt, ap);
	va_end(ap);
}

/* Set o's verdict: bad with code r when r is not TLY_OK, and its text. */
static void __attribute__((format(printf, 3, 4)))
obj_say(struct ver_obj *o, int r, const char *fmt, ...)
{
	va_list	ap;
	char	tmp[1024], esc[1024];

	if (o->bad)
		return;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	free(o->detail);
	o->detail = strdup(cli_esc(tmp, esc, sizeof(esc)));
	if (r != TLY_OK) {
		o->bad = 1;
		o->code = tly_err_code(r);
	}
}

/* The date of unix time t, as YYYY-MM-DD, in out[11]. */
static const char *
day(uint64_t t, char out[11])
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (t > 253402300799ULL || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, 11, "-");
	else
		strftime(out, 11, "%Y-%m-%d", &tm);
	return out;
}

/* A definition statement (13.1): signer, and the bytes of --election. */
static void
judge_statement(struct ver *v, struct ver_obj *o)
{
	struct tly_envelope		env;
	struct tly_definition_sig	ds;
	char				h[TLY_HEX_HASH];
	int				r;

	tly_errclear();
	if ((r = tly_envelope_verify(o->m, o->mlen, TLY_CTX_DEFINITION,
	    &env)) != TLY_OK) {
		obj_say(o, r, "%s", tly_errdetail());
		return;
	}
	if (v->authpath != NULL && memcmp(env.signer, v->authority,
	    TLY_PK_LEN) != 0) {
		obj_say(o, TLY_E_NOT_CERTIFIED, "not signed by the authority");
		return;
	}
	/* The envelope verified: a failure now is the body or the hash. */
	r = tly_definition_verify(o->m, o->mlen, NULL, v->def != NULL ?
	    v->defraw.p : NULL, v->def != NULL ? v->defraw.len : 0, &ds);
	if (r != TLY_OK && (v->def != NULL || r != TLY_E_SIGNATURE)) {
		obj_say(o, r, "%s", tly_errdetail());
		return;
	}
	if (v->authpath != NULL && !v->statement) {
		v->statement = 1;
		if (v->def == NULL) {
			memcpy(v->trust_election, ds.election, TLY_HASH_LEN);
			v->trust_from = "the definition statement";
		}
	}
	obj_say(o, TLY_OK, "definition statement for election %s%s",
	    tly_hex(ds.election, TLY_HASH_LEN, h), v->def != NULL ?
	    ", the definition given" : "");
}

/* A certificate (13.3, 13.4): signed by the authority, for the election. */
static void
judge_cert(struct ver *v, struct ver_obj *o)
{
	struct tly_cert	*c = NULL;
	char		 h[TLY_HEX_PK], sh[CLI_SHORT_HEX + 1];
	char		 d1[11], d2[11];
	int		 r;

	tly_errclear();
	if ((r = tly_cert_parse(o->m, o->mlen, v->authpath != NULL ?
	    v->authority : NULL, &c)) != TLY_OK) {
		obj_say(o, r, "%s", tly_errdetail());
		goto out;
	}
	if (v->trust != NULL && (r = tly_trust_add_cert(v->trust, o->m,
	    o->mlen)) != TLY_OK) {
		obj_say(o, r, "serial %llu: %s", (unsigned long long)c->serial,
		    tly_errdetail());
		goto out;
	}
	obj_say(o, TLY_OK, "%s serial %llu for %s%s%s%s, valid %s .. %s",
	    c->kind == TLY_CERT_CENTRAL ? "central certificate" :
	    c->role == TLY_ROLE_ADJUDICATOR ? "adjudicator certificate" :
	    "clerk certificate", (unsigned long long)c->serial,
	    cli_short(tly_hex(c->key, TLY_PK_LEN, h), sh),
	    c->name[0] != '\0' ? " (" : "", c->name,
	    c->name[0] != '\0' ? ")" : "", day(c->not_before, d1),
	    day(c->not_after, d2));
 out:
	tly_cert_free(c);
}

/* A revocation list (13.5): the newest one counts. */
static void
judge_revocations(struct ver *v, struct ver_obj *o)
{
	struct tly_revocations	*rv = NULL;
	int			 r;

	tly_errclear();
	if ((r = tly_revocations_parse(o->m, o->mlen, v->authpath != NULL ?
	    v->authority : NULL, &rv)) != TLY_OK ||
	    (v->trust != NULL && (r = tly_trust_set_revocations(v->trust,
	    o->m, o->mlen)) != TLY_OK)) {
		obj_say(o, r, "%s", tly_errdetail());
		goto out;
	}
	obj_say(o, TLY_OK, "revocation list serial %llu (%zu revoked)",
	    (unsigned long long)rv->serial, rv->n);
 out:
	tly_revocations_free(rv);
}

/* A receipt (6): its own signature, then (13.4) a certified central. */
static void
judge_receipt(struct ver *v, struct ver_obj *o)
{
	struct tly_receipt	rc;
	uint8_t			signer[TLY_PK_LEN];
	char			h[TLY_HEX_HASH], k[TLY_HEX_PK];
	char			sh[CLI_SHORT_HEX + 1];
	int			r;

	tly_errclear();
	r = tly_companion_receipt(v->trust, o->m, o->mlen, &rc, signer);
	/* Only the trust check's failures leave a receipt that was read. */
	if (r != TLY_OK && r != TLY_E_NOT_CERTIFIED && r != TLY_E_REVOKED &&
	    r != TLY_E_EXPIRED) {
		obj_say(o, r, "%s", tly_errdetail());
		return;
	}
	memcpy(o->batch, rc.batch, TLY_HASH_LEN);
	memcpy(o->device, rc.device, TLY_PK_LEN);
	o->seq = rc.seq;
	o->stored = rc.stored;
	if (r != TLY_OK) {
		obj_say(o, r, "receipt for batch %s by %s",
		    tly_hex(rc.batch, TLY_HASH_LEN, h), tly_errdetail());
		return;
	}
	o->receipt_ok = 1;
	obj_say(o, TLY_OK, "receipt for batch %s (seq %llu) by central %s, "
	    "stored %llu", tly_hex(rc.batch, TLY_HASH_LEN, h),
	    (unsigned long long)rc.seq, cli_short(tly_hex(signer,
	    TLY_PK_LEN, k), sh), (unsigned long long)rc.stored);
}

/*
 * Without --election or a statement, the election whose certificates
 * count is the one the first batch that parses names.
 */
static void
election_from_batches(struct ver *v)
{
	struct tly_batch	*b;
	size_t			 i;

	for (i = 0; i < v->n; i++) {
		b = NULL;
		if (tly_batch_parse(v->e[i].m, v->e[i].mlen, &b) == TLY_OK) {
			memcpy(v->trust_election, b->election, TLY_HASH_LEN);
			v->trust_from = "the first batch";
			tly_batch_free(b);
			return;
		}
	}
}

/* Order of the receipt index: by batch id, then file order. */
static const struct ver_obj	*rsort_base;

static int
receipt_cmp(const void *a, const void *b)
{
	size_t	i = *(const size_t *)a, j = *(const size_t *)b;
	int	c;

	if ((c = memcmp(rsort_base[i].batch, rsort_base[j].batch,
	    TLY_HASH_LEN)) != 0)
		return c;
	return i < j ? -1 : i > j;
}

/* Index the good receipts by batch id. */
static int
index_receipts(struct ver *v)
{
	size_t	i;

	if ((v->ridx = calloc(v->no + 1, sizeof(*v->ridx))) == NULL)
		return TLY_E_NOMEM;
	for (i = 0; i < v->no; i++)
		if (v->o[i].receipt_ok)
			v->ridx[v->nridx++] = i;
	rsort_base = v->o;
	qsort(v->ridx, v->nridx, sizeof(*v->ridx), receipt_cmp);
	return TLY_OK;
}

int
cli_ver_companions(struct ver *v)
{
	struct ver_obj	*o;
	size_t		 i, pass;
	int		 r;

	if (v->def != NULL) {
		memcpy(v->trust_election, v->defhash, TLY_HASH_LEN);
		v->trust_from = "--election";
	}
	/* Statements first: they may name the election. */
	for (i = 0; i < v->no; i++)
		if (v->o[i].kind == TLY_COMPANION_DEFINITION)
			judge_statement(v, &v->o[i]);
	if (v->authpath != NULL) {
		if (v->trust_from == NULL)
			election_from_batches(v);
		if ((r = tly_trust_create(v->authority, v->trust_election,
		    &v->trust)) != TLY_OK)
			return r;
	}
	/* Revocations and certificates, then the receipts they certify. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < v->no; i++) {
			o = &v->o[i];
			if (pass == 0 && o->kind == TLY_COMPANION_REVOCATIONS)
				judge_revocations(v, o);
			else if (pass == 0 && (o->kind == TLY_COMPANION_CERT ||
			    o->kind == TLY_COMPANION_CENTRAL_CERT))
				judge_cert(v, o);
			else if (pass == 1 && o->kind ==
			    TLY_COMPANION_RECEIPT)
				judge_receipt(v, o);
		}
	for (i = 0; i < v->no; i++)
		if (v->o[i].detail == NULL)
			return TLY_E_NOMEM;
	return index_receipts(v);
}

int
cli_ver_receipt(const struct ver *v, const uint8_t id[TLY_HASH_LEN],
    size_t *objp)
{
	size_t	lo = 0, hi = v->nridx, mid;
	int	c;

	*objp = (size_t)-1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(v->o[v->ridx[mid]].batch, id, TLY_HASH_LEN);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == v->nridx || memcmp(v->o[v->ridx[lo]].batch, id,
	    TLY_HASH_LEN) != 0)
		return 0;
	*objp = v->ridx[lo];
	return 1;
}
