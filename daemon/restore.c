/*
 * restore.c: a key restored onto an empty store learns its head before
 * it signs (PROTOCOL.md 9.5).
 *
 * When the daemon opens a new store with a device key that existed
 * before (restored from a backup, or a reinstalled laptop) and no
 * ".fresh" stamp says it never signed (keys.c), the key may have signed
 * batches that this store does not hold: signing seq 1 again would fork
 * the chain and freeze the device.  The store's meta "chain"
 * is then "unknown" until the daemon learns the head from the central
 * (GET /v1/devices/{key}/head); the head becomes the store's chain base
 * ("chain_base": "<seq> <hex id>"), so the next batch is head + 1 with
 * prev the head's id.
 *
 * A laptop that never reaches the central learns it instead from a
 * bundle holding its own batches (POST /v1/head, tally import
 * --head-from): each entry verified as a relay verifies it, the key's
 * own batches checked for a fork and for their links, and the highest
 * one taken as the base.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "sync/api.h"
#include "sync/companion.h"
#include "sync/head.h"
#include "sync/http.h"
#include "sync/verify.h"
#include "sync/wire.h"
#include "daemon/tallyd.h"

#define RESTORE_TIMEOUT_S	10	/* the head request at record time */
#define RESTORE_JSON_MAX	512	/* the answer of POST /v1/head */

int
tly_drestore_open(struct tallyd *d, int store_new)
{
	if (!store_new || d->key_created)
		return TLY_OK;
	tly_log_warn("a new store for a device key that existed before: "
	    "nothing is signed until the daemon learns the key's head from "
	    "the central");
	return tly_dstore_meta_set(d->store, "chain", "unknown");
}

int
tly_drestore_unknown(struct tallyd *d)
{
	char	buf[16];

	return tly_dstore_meta_get(d->store, "chain", buf, sizeof(buf)) ==
	    TLY_OK && strcmp(buf, "unknown") == 0;
}

int
tly_drestore_head(struct tallyd *d, const struct tly_api_head *head)
{
	static const char *const keys[] = { "chain", "chain_base" };
	char			 base[32 + TLY_HEX_HASH], hex[TLY_HEX_HASH];
	const char		*vals[2];

	if (!tly_drestore_unknown(d))
		return TLY_OK;
	if (head->npending > 0)
		return tly_fail(TLY_E_SEQ_CONFLICT, "the central holds "
		    "batches of this key above a gap (after seq %" PRIu64 "): "
		    "continuing here would fork its chain", head->head);
	vals[0] = "known";
	vals[1] = "";
	if (head->head > 0) {
		if (!head->has_batch)
			return tly_fail(TLY_E_HTTP, "the central's head answer "
			    "has no batch id for seq %" PRIu64, head->head);
		snprintf(base, sizeof(base), "%" PRIu64 " %s", head->head,
		    tly_hex(head->batch, TLY_HASH_LEN, hex));
		vals[1] = base;
	}
	if (tly_dstore_meta_set_n(d->store, keys, vals, 2) != TLY_OK)
		return TLY_E_DB;
	tly_log_info("learned this key's head from the central: seq %" PRIu64
	    "; the next batch is seq %" PRIu64, head->head, head->head + 1);
	return TLY_OK;
}

int
tly_drestore_ensure(struct tallyd *d)
{
	struct tly_head_call	 c;
	struct tly_http_result	 res;
	struct tly_api_head	 head;
	char			 why[512];
	int			 r;

	if (!tly_drestore_unknown(d))
		return TLY_OK;
	memset(&res, 0, sizeof(res));
	if (!d->has_central) {
		r = TLY_E_NET;
		snprintf(why, sizeof(why), "no central is configured");
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.central = d->conf.central;
	c.device = d->device;
	c.connect_timeout_s = (long)d->conf.connect_timeout <
	    RESTORE_TIMEOUT_S ? (long)d->conf.connect_timeout :
	    RESTORE_TIMEOUT_S;
	c.timeout_s = RESTORE_TIMEOUT_S;
	if ((r = tly_head_fetch(&c, &head, &res)) == TLY_OK) {
		tly_dfreeze_head(d, &head);
		r = tly_drestore_head(d, &head);
	}
	if (r != TLY_OK)
		snprintf(why, sizeof(why), "%s", tly_errmsg(r));
 out:
	tly_http_result_free(&res);
	if (r != TLY_OK)
		r = tly_fail(TLY_E_SEQ_CONFLICT, "not signed: this store is new "
		    "but the device key existed before (restored from a backup "
		    "or reinstalled), so it may have signed batches this store "
		    "does not hold, and signing now could fork its chain; the "
		    "daemon could not learn the key's head from the central "
		    "(%s); connect to the central and run 'tally sync', then "
		    "record again (or, with no link, give it this key's newest "
		    "bundle: 'tally import --head-from FILE')", why);
	return r;
}

/* The key's own batches found in a bundle (restore_scan()). */
struct own_batch {
	uint64_t	seq;			/* its seq */
	uint8_t		id[TLY_HASH_LEN];	/* its batch id */
	uint8_t		prev[TLY_HASH_LEN];	/* its prev */
};

/* qsort comparator: by seq, then id. */
static int
own_cmp(const void *a, const void *b)
{
	const struct own_batch	*x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return memcmp(x->id, y->id, TLY_HASH_LEN);
}

/*
 * The own batches of bundle p[0..len) that pass section 10 steps 1-7,
 * sorted by seq: *ownp (new, free() it), *np of them; *skipped counts
 * the other entries (other devices', or failing).
 */
static int
restore_scan(struct tallyd *d, const uint8_t *p, size_t len,
    struct own_batch **ownp, size_t *np, size_t *skipped)
{
	struct tly_bundle_reader	 rd;
	struct tly_verify_ctx		 vctx;
	struct tly_verify_result	 vr;
	struct own_batch		*own = NULL, *o;
	const uint8_t			*m;
	size_t				 mlen, n = 0, cap = 0;
	int				 r;

	*ownp = NULL;
	*np = *skipped = 0;
	if ((r = tly_bundle_open_file(p, len, &rd)) != TLY_OK)
		return r;
	memset(&vctx, 0, sizeof(vctx));
	vctx.election = d->election;
	memcpy(vctx.election_hash, d->election_hash, TLY_HASH_LEN);
	vctx.mode = d->conf.test ? TLY_VERIFY_MODE_TEST : TLY_VERIFY_MODE_LIVE;
	while (tly_bundle_next(&rd, &m, &mlen)) {
		/* An exported file's receipts and certificates (7.2). */
		if (tly_companion_kind(m, mlen, rd.version) !=
		    TLY_COMPANION_NONE)
			continue;
		r = tly_verify_entry(&vctx, m, mlen, &vr);
		tly_batch_free(vr.batch);
		if (r == TLY_E_NOMEM || r == TLY_E_CRYPTO)
			goto out;
		if (r != TLY_OK ||
		    memcmp(vr.device, d->device, TLY_PK_LEN) != 0) {
			(*skipped)++;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((o = reallocarray(own, cap, sizeof(*own))) ==
			    NULL) {
				r = TLY_E_NOMEM;
				goto out;
			}
			own = o;
		}
		own[n].seq = vr.seq;
		memcpy(own[n].id, vr.id, TLY_HASH_LEN);
		memcpy(own[n].prev, vr.prev, TLY_HASH_LEN);
		n++;
	}
	if (n > 0)
		qsort(own, n, sizeof(*own), own_cmp);
	*ownp = own;
	own = NULL;		/* transferred */
	*np = n;
	r = TLY_OK;
 out:
	free(own);
	return r;
}

/*
 * Check the own batches own[0..n) (sorted) as one chain: no two at one
 * seq (TLY_E_SEQ_CONFLICT), each one's prev the id of the one before it
 * when that seq is present (TLY_E_CHAIN).
 */
static int
restore_chain(const struct own_batch *own, size_t n)
{
	char	hex[TLY_HEX_HASH];
	size_t	i;

	for (i = 1; i < n; i++) {
		if (own[i].seq == own[i - 1].seq && memcmp(own[i].id,
		    own[i - 1].id, TLY_HASH_LEN) != 0)
			return tly_fail(TLY_E_SEQ_CONFLICT, "the bundle holds two "
			    "different batches of this key for seq %" PRIu64
			    ": the key's chain is forked already; call the "
			    "committee", own[i].seq);
		if (own[i].seq == own[i - 1].seq + 1 && memcmp(own[i].prev,
		    own[i - 1].id, TLY_HASH_LEN) != 0)
			return tly_fail(TLY_E_CHAIN, "the bundle's batch seq %"
			    PRIu64 " does not follow its seq %" PRIu64 " (prev "
			    "is not %s)", own[i].seq, own[i - 1].seq,
			    tly_hex(own[i - 1].id, TLY_HASH_LEN, hex));
	}
	return TLY_OK;
}

/* Answer POST /v1/head with the head learned (9.5 step 5). */
static void
restore_answer(struct tly_http_resp *resp, const struct own_batch *head,
    size_t own, size_t skipped)
{
	struct tly_api_learned	l;
	struct tly_jw		w;

	tly_buf_free(&resp->body);
	tly_buf_init(&resp->body, RESTORE_JSON_MAX);
	resp->status = 200;
	resp->content_type = "application/json";
	memset(&l, 0, sizeof(l));
	l.head = head->seq;
	memcpy(l.batch, head->id, TLY_HASH_LEN);
	l.own = own;
	l.skipped = skipped;
	tly_jw_init(&w, &resp->body);
	if (tly_api_learned_write(&w, &l) != TLY_OK ||
	    tly_jw_finish(&w) != TLY_OK)
		tly_http_resp_error(resp, 500, "internal", "response");
}

void
tly_drestore_post_head(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	static const char *const keys[] = { "chain", "chain_base" };
	struct tallyd		*d = arg;
	struct own_batch	*own = NULL, *h;
	const char		*vals[2];
	char			 base[32 + TLY_HEX_HASH], hex[TLY_HEX_HASH];
	size_t			 n = 0, skipped = 0;
	int			 r;

	if (req->content_type != NULL &&
	    strcmp(req->content_type, TLY_BUNDLE_TYPE) != 0 &&
	    strcmp(req->content_type, "application/octet-stream") != 0) {
		tly_http_resp_error(resp, 415, "unsupported_media_type",
		    "send a bundle as %s", TLY_BUNDLE_TYPE);
		return;
	}
	pthread_mutex_lock(&d->seal_mu);	/* nothing is sealed meanwhile */
	tly_errclear();
	if (!tly_drestore_unknown(d)) {
		tly_http_resp_error(resp, 409, "head_known", "this daemon "
		    "knows its chain's head already; nothing changed");
		goto out;
	}
	if ((r = restore_scan(d, req->body, req->bodylen, &own, &n,
	    &skipped)) != TLY_OK) {
		if (r == TLY_E_NOMEM || r == TLY_E_CRYPTO)
			tly_http_resp_error(resp, 500, "internal", "%s",
			    tly_strerror(r));
		else
			tly_http_resp_error(resp, 400, "bad_bundle", "%s",
			    tly_errdetail());
		goto out;
	}
	if (n == 0) {
		tly_http_resp_error(resp, 422, "no_own_batches", "the bundle "
		    "holds no valid batch of this device's key (%zu other "
		    "entries): nothing learned", skipped);
		goto out;
	}
	if ((r = restore_chain(own, n)) != TLY_OK) {
		tly_http_resp_error(resp, r == TLY_E_SEQ_CONFLICT ? 409 : 422,
		    r == TLY_E_SEQ_CONFLICT ? "equivocation" : "chain_broken",
		    "%s", tly_errdetail());
		goto out;
	}
	h = &own[n - 1];
	snprintf(base, sizeof(base), "%" PRIu64 " %s", h->seq,
	    tly_hex(h->id, TLY_HASH_LEN, hex));
	vals[0] = "known";
	vals[1] = base;
	if (tly_dstore_meta_set_n(d->store, keys, vals, 2) != TLY_OK) {
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		goto out;
	}
	tly_log_info("learned this key's head from a bundle: seq %" PRIu64
	    "; the next batch is seq %" PRIu64, h->seq, h->seq + 1);
	restore_answer(resp, h, n, skipped);
 out:
	pthread_mutex_unlock(&d->seal_mu);
	free(own);
}
