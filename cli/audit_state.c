/*
 * audit_state.c: tally audit's recomputation.  Each entry of the audit
 * feed goes through the one verifier (sync/verify) with the trust of
 * 13.7 at its receipt time, the held batches through the pure merge
 * engine (merge/: chains, proofs, freezes, heads, winners, the state
 * hash) and the current records through the pure results engine
 * (election/results): the same engines the central runs over its store.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "common/err.h"
#include "election/results.h"
#include "merge/merge.h"
#include "sync/api.h"
#include "sync/companion.h"
#include "sync/trust.h"
#include "sync/wire.h"

#define COUNTS_MAX	8192	/* a counts string (12.1) */

/*
 * The receipt time of entry e (13.7): the stored time of its receipt when
 * that verifies under a central key certified at that time and names
 * the entry's batch; else a (the clock), counted in a->own_clock.
 */
static uint64_t
receipt_time(struct audit_run *a, const struct tly_feed_entry *e)
{
	struct tly_receipt	rc;
	uint8_t			signer[TLY_PK_LEN];

	if (e->receipt.len > 0 &&
	    tly_companion_receipt(a->trust, e->receipt.p, e->receipt.len,
	    &rc, signer) == TLY_OK &&
	    tly_api_receipt_match(&rc, e->device, e->seq, e->batch) == TLY_OK)
		return rc.stored;
	a->own_clock++;
	return a->now;
}

/* Print why entry e is refused. */
static void __attribute__((format(printf, 4, 5)))
refuse(struct audit_run *a, const struct tly_feed_entry *e, const char *code,
    const char *fmt, ...)
{
	va_list	ap;
	char	tmp[1024], esc[1024], h1[TLY_HEX_HASH], h2[TLY_HEX_PK];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (e->decision)
		printf("REFUSED feed position %llu decision %s signer %s: %s: "
		    "%s\n", (unsigned long long)e->pos, tly_hex(e->batch,
		    TLY_HASH_LEN, h1), tly_hex(e->device, TLY_PK_LEN, h2),
		    code, cli_esc(tmp, esc, sizeof(esc)));
	else
		printf("REFUSED feed position %llu batch %s device %s seq %llu: "
		    "%s: %s\n", (unsigned long long)e->pos, tly_hex(e->batch,
		    TLY_HASH_LEN, h1), tly_hex(e->device, TLY_PK_LEN, h2),
		    (unsigned long long)e->seq, code, cli_esc(tmp, esc,
		    sizeof(esc)));
	a->refused++;
}

/* The decisions of the feed that pass (13.6, 13.7), as merge input. */
struct decs {
	struct tly_decision		**d;	/* parsed, owned */
	size_t				 n;
	struct tly_merge_decision	*kept;	/* unfreeze: kept batches */
	size_t				 nkept;
	struct tly_merge_resolution	*res;	/* resolve: chosen records */
	size_t				 nres;
};

/* Free what ds holds. */
static void
decs_free(struct decs *ds)
{
	size_t	i;

	for (i = 0; i < ds->n; i++)
		tly_decision_free(ds->d[i]);
	for (i = 0; i < ds->nres; i++)
		free((void *)ds->res[i].over);
	free(ds->d);
	free(ds->kept);
	free(ds->res);
}

/* The heads resolve decision d chose among (13.6 over), for x. */
static int
over_of(const struct tly_decision *d, struct tly_merge_resolution *x)
{
	const char	**v;
	size_t		  i;

	if (d->nover == 0)
		return TLY_OK;
	if ((v = calloc(d->nover, sizeof(*v))) == NULL)
		return TLY_E_NOMEM;
	for (i = 0; i < d->nover; i++)
		v[i] = d->over[i];
	x->over = v;
	x->nover = d->nover;
	return TLY_OK;
}

/*
 * The receipt time of decision d (13.7 rule 2): the stored time of the
 * decision receipt of its entry when that names d and comes from a
 * certified central; else a->now, counted in a->own_clock.
 */
static uint64_t
decision_time(struct audit_run *a, const struct tly_feed_entry *e,
    const struct tly_decision *d)
{
	uint64_t	t;

	if (e->receipt.len > 0 && tly_trust_decision_time(a->trust,
	    e->receipt.p, e->receipt.len, d->id, &t) == TLY_OK)
		return t;
	a->own_clock++;
	return a->now;
}

/*
 * Every decision entry of f: signed by an adjudicator the trust certifies
 * at its receipt time and in scope; the good ones become kept batches
 * and resolutions.
 */
static int
verify_decisions(struct audit_run *a, const struct tly_feed *f,
    struct decs *ds)
{
	const struct tly_feed_entry	*e;
	struct tly_decision		*d;
	size_t				 i;
	int				 r;

	if ((ds->d = calloc(f->n + 1, sizeof(*ds->d))) == NULL ||
	    (ds->kept = calloc(f->n + 1, sizeof(*ds->kept))) == NULL ||
	    (ds->res = calloc(f->n + 1, sizeof(*ds->res))) == NULL)
		return TLY_E_NOMEM;
	for (i = 0; i < f->n; i++) {
		e = &f->e[i];
		if (!e->decision)
			continue;
		d = NULL;
		tly_errclear();
		if ((r = tly_decision_parse(e->bytes.p, e->bytes.len, &d)) !=
		    TLY_OK || (r = tly_trust_check_decision(a->trust, d,
		    decision_time(a, e, d))) != TLY_OK) {
			refuse(a, e, tly_err_code(r), "%s", tly_errdetail());
			tly_decision_free(d);
			continue;
		}
		ds->d[ds->n++] = d;
		a->decisions++;
		if (d->kind == TLY_DECISION_UNFREEZE) {
			memcpy(ds->kept[ds->nkept].device, d->device,
			    TLY_PK_LEN);
			memcpy(ds->kept[ds->nkept].batch, d->batch,
			    TLY_HASH_LEN);
			ds->kept[ds->nkept++].seq = d->seq;
		} else {
			ds->res[ds->nres].area = d->area;
			ds->res[ds->nres].level = d->level;
			ds->res[ds->nres].round = d->round;
			ds->res[ds->nres].record = d->record;
			if ((r = over_of(d, &ds->res[ds->nres])) != TLY_OK)
				return r;
			ds->res[ds->nres].issued = d->issued;
			memcpy(ds->res[ds->nres].id, d->id, TLY_HASH_LEN);
			ds->res[ds->nres].tag = ds->nres;
			ds->nres++;
		}
	}
	return TLY_OK;
}

/* Step one: every entry through the one verifier; b[i] the good ones. */
static int
verify_all(struct audit_run *a, const struct tly_feed *f,
    struct tly_batch **b)
{
	struct tly_verify_ctx		ctx;
	struct tly_verify_result	res;
	const struct tly_feed_entry	*e;
	size_t				i;
	int				r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.election = a->def;
	memcpy(ctx.election_hash, a->ehash, TLY_HASH_LEN);
	ctx.mode = a->mode;
	ctx.policy.trust = a->trust;
	for (i = 0; i < f->n; i++) {
		e = &f->e[i];
		if (e->decision)
			continue;
		ctx.policy.receipt_time = receipt_time(a, e);
		r = tly_verify_entry(&ctx, e->bytes.p, e->bytes.len, &res);
		if (r == TLY_E_NOMEM || r == TLY_E_CRYPTO)
			return r;
		if (r != TLY_OK) {
			refuse(a, e, tly_err_code(r), "%s", res.detail);
			continue;
		}
		if (memcmp(res.id, e->batch, TLY_HASH_LEN) != 0 ||
		    memcmp(res.device, e->device, TLY_PK_LEN) != 0 ||
		    res.seq != e->seq) {
			refuse(a, e, "bad_feed", "the entry's batch, device or "
			    "seq is not that of its bytes");
			tly_batch_free(res.batch);
			continue;
		}
		b[i] = res.batch;
		a->batches++;
	}
	return TLY_OK;
}

/* Order of the good batches: device, then id. */
static struct tly_batch	**sort_b;

static int
dev_cmp(const void *x, const void *y)
{
	const struct tly_batch	*p = sort_b[*(const size_t *)x];
	const struct tly_batch	*q = sort_b[*(const size_t *)y];
	int			 c;

	if ((c = memcmp(p->device, q->device, TLY_PK_LEN)) != 0)
		return c;
	return memcmp(p->id, q->id, TLY_HASH_LEN);
}

/* Where one applied record lies: batch index, record index. */
struct recref {
	size_t	bi;
	size_t	ri;
};

/* Everything the merge engine is given and gives back. */
struct merged {
	struct tly_merge_devline	*devs;
	size_t				 ndevs;
	struct tly_merge_evline		*ev;
	size_t				 nev, capev;
	struct tly_merge_rec		*r;
	size_t				 nr, capr;
	struct recref			*ref;
	struct tly_merge_sup		*sup;
	size_t				 nsup, capsup;
	struct tly_merge_heads		 h;
};

/* Free what m holds. */
static void
merged_free(struct merged *m)
{
	size_t	i;

	for (i = 0; i < m->nr; i++)
		free((char *)m->r[i].counts);
	for (i = 0; i < m->nsup; i++) {
		free((char *)m->sup[i].from);
		free((char *)m->sup[i].to);
	}
	tly_merge_heads_finish(&m->h);
	free(m->devs);
	free(m->ev);
	free(m->r);
	free(m->ref);
	free(m->sup);
}

/* Grow array *p of *cap elements of size sz to hold n + 1. */
static int
grow(void **p, size_t *cap, size_t n, size_t sz)
{
	void	*q;
	size_t	 c;

	if (n < *cap)
		return TLY_OK;
	c = *cap > 0 ? 2 * *cap : 256;
	if ((q = reallocarray(*p, c, sz)) == NULL)
		return TLY_E_NOMEM;
	*p = q;
	*cap = c;
	return TLY_OK;
}

/* Add the records of applied batch bi (and their supersedes) to m. */
static int
add_records(struct merged *m, struct tly_batch **b, size_t bi,
    const struct tly_feed *f)
{
	const struct tly_batch	*bt = b[bi];
	const struct tly_record	*rec;
	struct tly_merge_rec	*a;
	struct tly_buf		 counts = TLY_BUF_INIT(COUNTS_MAX);
	struct recref		*nref;
	size_t			 j, k, oldcap;
	char			 h[TLY_HEX_HASH];
	int			 r = TLY_OK;

	for (j = 0; j < bt->nrecords && r == TLY_OK; j++) {
		rec = &bt->records[j];
		oldcap = m->capr;
		if ((r = grow((void **)&m->r, &m->capr, m->nr,
		    sizeof(*m->r))) != TLY_OK)
			break;
		if (m->capr != oldcap) {
			if ((nref = reallocarray(m->ref, m->capr,
			    sizeof(*m->ref))) == NULL) {
				r = TLY_E_NOMEM;
				break;
			}
			m->ref = nref;
		}
		a = &m->r[m->nr];
		memset(a, 0, sizeof(*a));
		snprintf(a->id, sizeof(a->id), "%s:%zu", tly_hex(bt->id,
		    TLY_HASH_LEN, h), j);
		memcpy(a->device, bt->device, TLY_PK_LEN);
		a->seq = bt->seq;
		a->idx = j;
		a->area = rec->area;
		a->level = rec->level;
		a->round = rec->round;
		memcpy(a->sig, f->e[bi].bytes.p + f->e[bi].bytes.len -
		    TLY_SIG_LEN, TLY_SIG_LEN);
		a->tag = m->nr;
		tly_buf_reset(&counts);
		if ((r = tly_merge_counts(rec, &counts)) != TLY_OK)
			break;
		if ((a->counts = strdup((const char *)counts.p)) == NULL) {
			r = TLY_E_NOMEM;
			break;
		}
		m->ref[m->nr].bi = bi;
		m->ref[m->nr].ri = j;
		m->nr++;
		for (k = 0; k < rec->nsupersedes && r == TLY_OK; k++) {
			if ((r = grow((void **)&m->sup, &m->capsup, m->nsup,
			    sizeof(*m->sup))) != TLY_OK)
				break;
			m->sup[m->nsup].from = strdup(a->id);
			m->sup[m->nsup].to = strdup(rec->supersedes[k]);
			m->nsup++;
			if (m->sup[m->nsup - 1].from == NULL ||
			    m->sup[m->nsup - 1].to == NULL)
				r = TLY_E_NOMEM;
		}
	}
	tly_buf_free(&counts);
	return r;
}

/*
 * 12.2 and 12.3 for the good batches of one device, ix[0..n) (indexes
 * into b, sorted by id): its state line, proofs and applied records.
 */
static int
merge_device(struct audit_run *a, struct merged *m, struct tly_batch **b,
    const size_t *ix, size_t n, const struct tly_feed *f,
    const struct decs *ds)
{
	struct tly_merge_batch	*mb;
	struct tly_merge_dev	 d;
	struct tly_merge_evline	*ev;
	uint8_t			(*kept)[TLY_HASH_LEN] = NULL;
	size_t			 i, nkept = 0;
	int			 r;

	if ((mb = calloc(n, sizeof(*mb))) == NULL ||
	    (kept = calloc(ds->nkept + 1, sizeof(*kept))) == NULL) {
		free(mb);
		return TLY_E_NOMEM;
	}
	/* The device's kept decisions (12.3). */
	for (i = 0; i < ds->nkept; i++)
		if (memcmp(ds->kept[i].device, b[ix[0]]->device,
		    TLY_PK_LEN) == 0)
			memcpy(kept[nkept++], ds->kept[i].batch, TLY_HASH_LEN);
	for (i = 0; i < n; i++) {
		memcpy(mb[i].id, b[ix[i]]->id, TLY_HASH_LEN);
		memcpy(mb[i].prev, b[ix[i]]->prev, TLY_HASH_LEN);
		mb[i].seq = b[ix[i]]->seq;
		mb[i].tag = ix[i];
	}
	if ((r = tly_merge_device(mb, n, (const uint8_t (*)[TLY_HASH_LEN])kept,
	    nkept, &d)) != TLY_OK)
		goto out;
	m->devs[m->ndevs].head = d.head;
	m->devs[m->ndevs].applied = d.applied;
	m->devs[m->ndevs].frozen = d.frozen;
	memcpy(m->devs[m->ndevs].device, b[ix[0]]->device, TLY_PK_LEN);
	m->ndevs++;
	a->applied += d.applied;
	a->frozen += d.frozen > 0;
	for (i = 0; i < d.nproofs && r == TLY_OK; i++) {
		if ((r = grow((void **)&m->ev, &m->capev, m->nev,
		    sizeof(*m->ev))) != TLY_OK)
			break;
		ev = &m->ev[m->nev++];
		memcpy(ev->device, b[ix[0]]->device, TLY_PK_LEN);
		ev->seq = d.proofs[i].seq;
		ev->kind = d.proofs[i].kind;
		memcpy(ev->a, mb[d.proofs[i].a].id, TLY_HASH_LEN);
		memcpy(ev->b, mb[d.proofs[i].b].id, TLY_HASH_LEN);
	}
	for (i = 0; i < d.applied && r == TLY_OK; i++)
		r = add_records(m, b, mb[d.chain[i]].tag, f);
	tly_merge_dev_finish(&d);
 out:
	free(kept);
	free(mb);
	return r;
}

/* tly_merge_text_fn into a hasher. */
static void
hash_text(void *arg, const void *p, size_t len)
{
	tly_hasher_update(arg, p, len);
}

int
cli_audit_compute(struct audit_run *a, const struct tly_feed *f)
{
	struct tly_batch		**b = NULL;
	struct tly_result_input		*in = NULL;
	struct tly_merge_state		 st;
	struct decs			 ds;
	struct tly_hasher		*hs = NULL;
	struct merged			 m;
	const struct tly_merge_key	*k;
	size_t				*ix = NULL, n = 0, i, g, ni = 0;
	int				 r;

	memset(&m, 0, sizeof(m));
	memset(&ds, 0, sizeof(ds));
	if ((b = calloc(f->n + 1, sizeof(*b))) == NULL ||
	    (ix = calloc(f->n + 1, sizeof(*ix))) == NULL ||
	    (m.devs = calloc(f->n + 1, sizeof(*m.devs))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	if ((r = verify_all(a, f, b)) != TLY_OK ||
	    (r = verify_decisions(a, f, &ds)) != TLY_OK)
		goto out;
	for (i = 0; i < f->n; i++)
		if (b[i] != NULL)
			ix[n++] = i;
	sort_b = b;
	qsort(ix, n, sizeof(*ix), dev_cmp);
	/* The same batch twice in the feed counts once (12.1: a set). */
	for (i = 0, g = 0; i < n; i++)
		if (g == 0 || memcmp(b[ix[i]]->id, b[ix[g - 1]]->id,
		    TLY_HASH_LEN) != 0)
			ix[g++] = ix[i];
	n = g;
	for (i = 0; i < n && r == TLY_OK; i = g) {
		for (g = i + 1; g < n && memcmp(b[ix[g]]->device,
		    b[ix[i]]->device, TLY_PK_LEN) == 0; g++)
			;
		r = merge_device(a, &m, b, ix + i, g - i, f, &ds);
	}
	if (r != TLY_OK ||
	    (r = tly_merge_heads(m.r, m.nr, m.sup, m.nsup, &m.h)) != TLY_OK ||
	    (r = tly_merge_resolve(&m.h, ds.res, ds.nres)) != TLY_OK)
		goto out;
	a->devices = m.ndevs;
	if ((in = calloc(m.h.nk + 1, sizeof(*in))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	for (i = 0; i < m.h.nk; i++) {
		k = &m.h.k[i];
		if (k->winner == TLY_MERGE_NONE)
			continue;
		a->keys++;
		a->conflicts += k->conflict != 0;
		in[ni].rec = &b[m.ref[m.h.r[k->winner].tag].bi]->records[
		    m.ref[m.h.r[k->winner].tag].ri];
		in[ni].confirmations = k->conf;
		in[ni].disputed = k->conflict;
		ni++;
	}
	if ((r = tly_results_compute(a->def, in, ni, &a->results)) != TLY_OK)
		goto out;
	memset(&st, 0, sizeof(st));
	st.devs = m.devs;
	st.ndevs = m.ndevs;
	st.ev = m.ev;
	st.nev = m.nev;
	st.kept = ds.kept;
	st.nkept = ds.nkept;
	st.heads = &m.h;
	if ((r = tly_hasher_create(&hs)) != TLY_OK)
		goto out;
	tly_merge_state_text(&st, hash_text, hs);
	tly_hasher_final(hs, a->state_hash);
 out:
	tly_hasher_destroy(hs);
	merged_free(&m);
	decs_free(&ds);
	for (i = 0; b != NULL && i < f->n; i++)
		tly_batch_free(b[i]);
	free(b);
	free(ix);
	free(in);
	return r;
}
