/*
 * seal.c: checking count records and sealing them into the device's
 * chain of batches; taking in other devices' batches from bundles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/json.h"
#include "sync/api.h"
#include "sync/verify.h"
#include "sync/wire.h"
#include "daemon/tallyd.h"

/*
 * Copy the blocking problems of src (record checks) to the end of dst,
 * or every problem when all is set; return the number that block.
 */
static size_t
seal_blocking(const struct tly_problems *src, int all,
    struct tly_problems *dst)
{
	size_t	i, added = 0;

	for (i = 0; i < src->n; i++) {
		if (src->p[i].warning && src->p[i].explained) {
			if (!all)
				continue;
		} else
			added++;
		if (dst->n < TLY_PROBLEMS_MAX)
			dst->p[dst->n++] = src->p[i];
		else
			dst->dropped++;
	}
	return added;
}

/* Add a problem with no rule, for a failure the checker did not list. */
static void
seal_problem(struct tly_problems *dst, size_t index, const char *msg)
{
	struct tly_problem	*p;

	if (dst->n == TLY_PROBLEMS_MAX) {
		dst->dropped++;
		return;
	}
	p = &dst->p[dst->n++];
	memset(p, 0, sizeof(*p));
	p->index = index;
	snprintf(p->message, sizeof(p->message), "%s", msg);
}

/* Adding stored figures to a check context (tly_dstore_area_records()). */
struct seal_peers {
	struct tly_check_ctx	*ctx;		/* being filled */
	const struct tly_record	*rec;		/* the record checked */
	struct tly_record	 tmp;		/* a peer being added */
};

/* Is there a peer of area and level in ctx already? */
static int
seal_has_peer(const struct tly_check_ctx *ctx, const char *area,
    const char *level)
{
	size_t	i;

	for (i = 0; i < ctx->npeers; i++)
		if (strcmp(ctx->peers[i].area, area) == 0 &&
		    strcmp(ctx->peers[i].level, level) == 0)
			return 1;
	return 0;
}

/* Add one stored record's turnout unless its level is known already. */
static int
seal_peer(void *arg, const char *level, uint64_t voted)
{
	struct seal_peers	*sp = arg;

	/* Newest first: an older version of a level is superseded. */
	if (strcmp(level, sp->rec->level) == 0 ||
	    seal_has_peer(sp->ctx, sp->rec->area, level) ||
	    strlen(level) >= sizeof(sp->tmp.level))
		return 0;
	snprintf(sp->tmp.area, sizeof(sp->tmp.area), "%s", sp->rec->area);
	snprintf(sp->tmp.level, sizeof(sp->tmp.level), "%s", level);
	sp->tmp.round = sp->rec->round;
	sp->tmp.voted = voted;
	/* A full context stops the walk; the checks use what it holds. */
	return tly_check_ctx_add(sp->ctx, &sp->tmp) != TLY_OK;
}

/*
 * The context for checking records[i] (W4, W7): the time now, the other
 * records of the same batch, then the newest stored record of each
 * other level for the same area and round.
 */
static int
seal_ctx(const struct tallyd *d, const struct tly_record *records,
    size_t n, size_t i, uint64_t now, struct seal_peers *sp)
{
	size_t	k;
	int	r;

	tly_check_ctx_init(sp->ctx, now);
	for (k = 0; k < n; k++)
		if (k != i && strcmp(records[k].area, records[i].area) == 0 &&
		    records[k].round == records[i].round &&
		    !seal_has_peer(sp->ctx, records[k].area, records[k].level))
			(void)tly_check_ctx_add(sp->ctx, &records[k]);
	sp->rec = &records[i];
	r = tly_dstore_area_records(d->store, records[i].area,
	    records[i].round, seal_peer, sp);
	return r < 0 ? r : TLY_OK;
}

/*
 * Run the checks of 5.1 on records[0..n), with their context (other
 * levels' figures for the same area, the time now); blocking problems go
 * to probs (every problem when all is set).  TLY_E_RECORD if there is a
 * blocking one, TLY_OK if all may be signed.
 */
static int
seal_check(const struct tallyd *d, const struct tly_record *records,
    size_t n, int all, struct tly_problems *probs)
{
	struct tly_problems	*one;
	struct tly_check_ctx	*ctx = NULL;
	struct seal_peers	*sp = NULL;
	time_t			 t = time(NULL);
	size_t			 i;
	int			 r, blocked = 0;

	memset(probs, 0, sizeof(*probs));
	if ((one = malloc(sizeof(*one))) == NULL ||
	    (ctx = malloc(sizeof(*ctx))) == NULL ||
	    (sp = calloc(1, sizeof(*sp))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	tly_record_init(&sp->tmp);
	sp->ctx = ctx;
	for (i = 0; i < n; i++) {
		memset(one, 0, sizeof(*one));
		if ((r = seal_ctx(d, records, n, i, t > 0 ? (uint64_t)t : 0,
		    sp)) != TLY_OK)
			goto out;
		tly_errclear();
		r = tly_record_check_ctx(d->election, &records[i], i, ctx,
		    one);
		if (r == TLY_OK) {
			if (all)
				(void)seal_blocking(one, all, probs);
			continue;
		}
		if (r != TLY_E_RECORD)
			goto out;
		blocked = 1;
		if (seal_blocking(one, all, probs) == 0)
			seal_problem(probs, i, tly_errdetail());
		probs->dropped += one->dropped;
	}
	r = blocked ? TLY_E_RECORD : TLY_OK;
 out:
	free(one);
	free(ctx);
	free(sp);
	return r;
}

/* Free the JSON texts made for the records table. */
static void
seal_recs_free(struct tly_dstore_rec *recs, char (*ids)[80], size_t n)
{
	size_t	i;

	if (recs != NULL)
		for (i = 0; i < n; i++)
			free((char *)recs[i].json);
	free(recs);
	free(ids);
}

/* Fill recs[i] (for the records table) from records[i] of batch id. */
static int
seal_recs(const struct tly_record *records, size_t n,
    const uint8_t id[TLY_HASH_LEN], struct tly_dstore_rec *recs,
    char (*ids)[80])
{
	struct tly_buf	 b;
	struct tly_jw	 w;
	size_t		 i;
	int		 r;

	for (i = 0; i < n; i++) {
		tly_buf_init(&b, TLY_BODY_MAX);
		tly_jw_init(&w, &b);
		tly_record_to_json(&records[i], &w);
		if ((r = tly_jw_finish(&w)) != TLY_OK) {
			tly_buf_free(&b);
			return r;
		}
		tly_record_id(id, i, ids[i], sizeof(ids[i]));
		recs[i].id = ids[i];
		recs[i].area = records[i].area;
		recs[i].level = records[i].level;
		recs[i].constituency = records[i].constituency;
		recs[i].round = records[i].round;
		recs[i].json = (const char *)b.p;	/* transferred */
	}
	return TLY_OK;
}

int
tly_dseal_check(struct tallyd *d, const struct tly_record *records,
    size_t n, struct tly_problems *probs)
{
	if (n == 0 || n > TLY_RECORDS_MAX)
		return tly_fail(TLY_E_INVAL, "a batch holds 1 to %d records",
		    TLY_RECORDS_MAX);
	return seal_check(d, records, n, 1, probs);
}

int
tly_dseal_records(struct tallyd *d, const struct tly_record *records,
    size_t n, struct tly_problems *probs, struct tly_dseal_result *res)
{
	return tly_dseal_records_idem(d, records, n, NULL, probs, res);
}

/*
 * The batch idem sealed before: TLY_OK with *res filled (replayed),
 * TLY_E_NOTFOUND when the key is new, TLY_E_INVAL when it came with
 * another body.
 */
static int
seal_replay(struct tallyd *d, const struct tly_dstore_idem *idem,
    struct tly_dseal_result *res)
{
	struct tly_dstore_idem_hit	hit;
	int				r;

	if (idem == NULL)
		return TLY_E_NOTFOUND;
	if ((r = tly_dstore_idem_find(d->store, idem->key, &hit)) != TLY_OK)
		return r;
	if (!tly_memeq(hit.body, idem->body, TLY_HASH_LEN))
		return tly_fail(TLY_E_INVAL, "idempotency key %s was used for "
		    "other records (batch %llu)", idem->key,
		    (unsigned long long)hit.seq);
	res->seq = hit.seq;
	memcpy(res->id, hit.id, TLY_HASH_LEN);
	res->nrecords = hit.nrecords;
	res->replayed = 1;
	return TLY_OK;
}

int
tly_dseal_records_idem(struct tallyd *d, const struct tly_record *records,
    size_t n, const struct tly_dstore_idem *idem, struct tly_problems *probs,
    struct tly_dseal_result *res)
{
	struct tly_buf		 msg = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_dstore_rec	*recs = NULL;
	char			(*ids)[80] = NULL;
	uint8_t			 head_id[TLY_HASH_LEN];
	uint64_t		 head;
	time_t			 now;
	int			 r, locked = 0;

	memset(res, 0, sizeof(*res));
	if (n == 0 || n > TLY_RECORDS_MAX)
		return tly_fail(TLY_E_INVAL, "a batch holds 1 to %d records",
		    TLY_RECORDS_MAX);
	/* A repeat is answered before the checks: time may have moved. */
	if ((r = seal_replay(d, idem, res)) != TLY_E_NOTFOUND)
		return r;
	/* A batch created outside these bounds is refused (PROTOCOL.md 4). */
	now = time(NULL);
	if (now < (time_t)TLY_CREATED_MIN || now >= (time_t)TLY_CREATED_MAX)
		return tly_fail(TLY_E_INVAL, "this computer's clock says %lld, "
		    "which is not between 2020 and 2100: set the date and "
		    "time before recording", (long long)now);
	if ((r = seal_check(d, records, n, 0, probs)) != TLY_OK)
		return r;
	/* A restored key signs nothing before it knows its head. */
	if ((r = tly_drestore_ensure(d)) != TLY_OK)
		return r;
	if ((recs = calloc(n, sizeof(*recs))) == NULL ||
	    (ids = calloc(n, sizeof(*ids))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	/* The head must not move between reading it and appending. */
	pthread_mutex_lock(&d->seal_mu);
	locked = 1;
	/* The same key may have sealed meanwhile, in another request. */
	if ((r = seal_replay(d, idem, res)) != TLY_E_NOTFOUND)
		goto out;
	if ((r = tly_dstore_head(d->store, &head, head_id)) != TLY_OK)
		goto out;
	now = time(NULL);
	if ((r = tly_batch_seal(d->key, head + 1, head > 0 ? head_id : NULL,
	    now > 0 ? (uint64_t)now : 0, d->conf.test, d->election_hash,
	    records, n, &msg, res->id)) != TLY_OK ||
	    (r = seal_recs(records, n, res->id, recs, ids)) != TLY_OK)
		goto out;
	if ((r = tly_dstore_append_idem(d->store, head + 1, res->id, msg.p,
	    msg.len, now > 0 ? (uint64_t)now : 0, recs, n, idem)) != TLY_OK)
		goto out;
	res->seq = head + 1;
	res->nrecords = n;
 out:
	if (locked)
		pthread_mutex_unlock(&d->seal_mu);
	seal_recs_free(recs, ids, n);
	tly_buf_free(&msg);
	return r;
}

/* Write one rejected entry of a bundle (PROTOCOL.md 9, 8.1). */
static void
bundle_reject(struct tly_jw *w, size_t index, const uint8_t *id,
    const char *code, const char *message)
{
	struct tly_api_result	 res;

	memset(&res, 0, sizeof(res));
	res.index = index;
	res.status = TLY_API_REJECTED;
	if ((res.has_batch = id != NULL))
		memcpy(res.batch, id, TLY_HASH_LEN);
	res.code = code;
	res.message = message;
	(void)tly_api_result_write(w, &res);	/* errors kept in w */
}

/* Write one stored or duplicate entry of a bundle: no receipt (9). */
static void
bundle_accept(struct tly_jw *w, size_t index, const struct tly_batch *b,
    enum tly_api_status status)
{
	struct tly_api_result	 res;

	memset(&res, 0, sizeof(res));
	res.index = index;
	res.status = status;
	res.has_batch = res.has_device = 1;
	memcpy(res.batch, b->id, TLY_HASH_LEN);
	memcpy(res.device, b->device, TLY_PK_LEN);
	res.seq = b->seq;
	(void)tly_api_result_write(w, &res);	/* errors kept in w */
}

/*
 * Verify one bundle entry (PROTOCOL.md 10 steps 1-7, by the one
 * verifier) and keep it if it is another device's batch.  Writes the
 * entry's result; *stored or *rejected is incremented.
 */
static void
bundle_entry(struct tallyd *d, const struct tly_verify_ctx *vctx,
    size_t index, const uint8_t *m, size_t mlen, struct tly_jw *w,
    size_t *stored, size_t *rejected)
{
	struct tly_verify_result res;
	struct tly_batch	*b = NULL;
	enum tly_drelay		 rel;
	time_t			 now;
	int			 r;

	if ((r = tly_verify_entry(vctx, m, mlen, &res)) != TLY_OK) {
		bundle_reject(w, index, res.has_id ? res.id : NULL,
		    tly_err_code(r), r == TLY_E_NOMEM || r == TLY_E_CRYPTO ?
		    tly_strerror(r) : res.detail);
		goto reject;
	}
	b = res.batch;
	if (memcmp(b->device, d->device, TLY_PK_LEN) == 0) {
		/* Our own chain lives only in the batches table. */
		r = tly_dstore_state(d->store, TLY_DKIND_OWN, b->id, NULL);
		if (r == TLY_OK)
			bundle_accept(w, index, b, TLY_API_DUPLICATE);
		else if (r == TLY_E_NOTFOUND) {
			bundle_reject(w, index, b->id,
			    tly_err_code(TLY_E_SEQ_CONFLICT), "signed with "
			    "this device's key but not in its chain");
			goto reject;
		} else {
			bundle_reject(w, index, b->id, tly_err_code(r),
			    tly_errmsg(r));
			goto reject;
		}
		goto out;
	}
	now = time(NULL);
	if ((r = tly_dstore_relay_add(d->store, b->id, b->device, b->seq, m,
	    mlen, b->nrecords, now > 0 ? (uint64_t)now : 0, &rel)) != TLY_OK) {
		bundle_reject(w, index, b->id, tly_err_code(r),
		    tly_errmsg(r));
		goto reject;
	}
	switch (rel) {
	case TLY_DRELAY_STORED:
		bundle_accept(w, index, b, TLY_API_STORED);
		(*stored)++;
		break;
	case TLY_DRELAY_DUPLICATE:
		bundle_accept(w, index, b, TLY_API_DUPLICATE);
		break;
	default:
		bundle_reject(w, index, b->id,
		    tly_err_code(TLY_E_SEQ_CONFLICT), "a different batch "
		    "with this device and seq is held");
		goto reject;
	}
	goto out;
 reject:
	(*rejected)++;
 out:
	tly_batch_free(b);
}

int
tly_dseal_bundle(struct tallyd *d, const uint8_t *p, size_t len,
    struct tly_jw *w, size_t *stored, size_t *rejected)
{
	struct tly_bundle_reader	 rd;
	struct tly_verify_ctx		 vctx;
	const uint8_t			*m;
	size_t				 mlen, index = 0;
	int				 r;

	*stored = *rejected = 0;
	tly_errclear();
	if ((r = tly_bundle_open(p, len, &rd)) != TLY_OK)
		return r;
	/* A relay applies exactly the central's steps 1-7 (PROTOCOL.md 9). */
	memset(&vctx, 0, sizeof(vctx));
	vctx.election = d->election;
	memcpy(vctx.election_hash, d->election_hash, TLY_HASH_LEN);
	vctx.mode = d->conf.test ? TLY_VERIFY_MODE_TEST : TLY_VERIFY_MODE_LIVE;
	tly_api_results_begin(w);
	while (tly_bundle_next(&rd, &m, &mlen))
		bundle_entry(d, &vctx, index++, m, mlen, w, stored, rejected);
	tly_api_results_end(w);
	return tly_jw_finish(w);
}
