/*
 * trustsync.c: the authority's objects reach the laptop through sync
 * (PROTOCOL.md 9.7).
 *
 * After a delivery run in which the central answered, the daemon asks
 * GET /v1/trust?for=device with the ETag of the last answer it took, so
 * that an unchanged answer costs a 304.  It verifies every object under
 * its own authority key, whatever the central says, and keeps the newest
 * revocation list and the certificates of its configured central, in
 * the store (store_trust.c) and in its trust policy: a revoked central's
 * receipts then stop counting (9.3), and GET /v1/status shows the list's
 * serial and whether the device's own certificate is revoked.
 *
 * d->trust and d->revocations are read by the sync thread (receipts)
 * and the API (status) and written here: d->trust_mu guards both.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "sync/http.h"
#include "sync/trust.h"
#include "daemon/tallyd.h"

#define TRUST_PATH	"/v1/trust?for=device"
#define TRUST_TIMEOUT_S	60	/* the whole call */
#define TRUST_ETAG_KEY	"trust_etag"	/* meta: the ETag of the last answer
					   taken */
#define TRUST_ETAG_BYTES 16	/* PROTOCOL.md 8.9: BLAKE2b-256, cut */

/*
 * Take one object m[0..len) that verified as kind: into the policy, the
 * store (unless from_store) and, for a newer revocation list, as the
 * list held.  Caller holds d->trust_mu.  TLY_OK also when it is not new.
 */
static int
take_object(struct tallyd *d, enum tly_dtrust_kind kind, const uint8_t *m,
    size_t len, int from_store)
{
	struct tly_revocations	*rv = NULL;
	struct tly_cert		*c = NULL;
	const struct tly_revoked *own;
	uint8_t			 id[TLY_HASH_LEN];
	uint64_t		 serial;
	int			 r, added = 0;

	if (kind == TLY_DTRUST_REVOCATIONS) {
		if ((r = tly_revocations_parse(m, len, d->authority, &rv)) !=
		    TLY_OK)
			goto out;
		if (memcmp(rv->election, d->election_hash, TLY_HASH_LEN) != 0) {
			r = tly_fail(TLY_E_ELECTION, "a revocation list for "
			    "another election");
			goto out;
		}
		if (d->revocations != NULL &&
		    rv->serial <= d->revocations->serial)
			goto out;	/* not newer: nothing to take */
		serial = rv->serial;
	} else {
		if ((r = tly_cert_parse(m, len, d->authority, &c)) != TLY_OK)
			goto out;
		if (c->kind != TLY_CERT_CENTRAL ||
		    memcmp(c->election, d->election_hash, TLY_HASH_LEN) != 0 ||
		    memcmp(c->key, d->central_pk, TLY_PK_LEN) != 0)
			goto out;	/* not about this laptop's central */
		serial = c->serial;
	}
	tly_hash(m, len, id);
	if (!from_store && (r = tly_dstore_trust_put(d->store, kind, id,
	    serial, m, len, (uint64_t)time(NULL), &added)) != TLY_OK)
		goto out;
	if (kind == TLY_DTRUST_CENTRAL_CERT) {
		r = tly_trust_add_cert(d->trust, m, len);
		if (added)
			tly_log_info("trust: took central certificate %" PRIu64,
			    serial);
		goto out;
	}
	if ((r = tly_trust_set_revocations(d->trust, m, len)) != TLY_OK)
		goto out;
	tly_revocations_free(d->revocations);
	d->revocations = rv;
	rv = NULL;		/* transferred */
	if (!from_store)
		tly_log_info("trust: took revocation list %" PRIu64 " (%zu "
		    "certificates revoked)", serial, d->revocations->n);
	if (d->cert != NULL && (own = tly_revocations_find(d->revocations,
	    d->cert->serial)) != NULL)
		tly_log_error("trust: the authority revoked this device's "
		    "certificate (serial %" PRIu64 ") from Unix time %" PRIu64
		    ": the central refuses its batches received from then on",
		    d->cert->serial, own->at);
 out:
	tly_revocations_free(rv);
	tly_cert_free(c);
	return r;
}

/* tly_dstore_trust_each() callback: take a kept object back. */
static int
load_one(void *arg, enum tly_dtrust_kind kind, const uint8_t *m, size_t len)
{
	struct tallyd	*d = arg;

	if (take_object(d, kind, m, len, 1) != TLY_OK)
		tly_log_warn("trust: a kept object no longer applies: %s",
		    tly_errdetail());
	return 0;
}

int
tly_dtrust_load(struct tallyd *d)
{
	int	r;

	if (!d->has_authority)
		return TLY_OK;
	pthread_mutex_lock(&d->trust_mu);
	r = tly_dstore_trust_each(d->store, load_one, d);
	pthread_mutex_unlock(&d->trust_mu);
	return r;
}

/*
 * Take every object of the central's answer root that verifies; objects
 * of other kinds are skipped.  Returns how many failed to verify.
 */
static size_t
take_answer(struct tallyd *d, const struct tly_json *objs)
{
	const struct tly_json	*o;
	struct tly_buf		 m = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	const char		*s;
	char			 ctx[TLY_CTX_MAX + 1];
	size_t			 i = 0, bad = 0;
	int			 r;

	pthread_mutex_lock(&d->trust_mu);
	for (o = tly_json_first(objs); o != NULL; o = tly_json_next(o), i++) {
		tly_buf_reset(&m);
		tly_errclear();
		if ((s = tly_json_string(o)) == NULL)
			r = tly_fail(TLY_E_ENCODING, "not a string");
		else if ((r = tly_b64_decode(s, strlen(s), &m)) == TLY_OK &&
		    (r = tly_trust_context(m.p, m.len, ctx, sizeof(ctx))) ==
		    TLY_OK) {
			if (strcmp(ctx, TLY_CTX_REVOCATIONS) == 0)
				r = take_object(d, TLY_DTRUST_REVOCATIONS,
				    m.p, m.len, 0);
			else if (strcmp(ctx, TLY_CTX_CENTRAL_CERT) == 0)
				r = take_object(d, TLY_DTRUST_CENTRAL_CERT,
				    m.p, m.len, 0);
		}
		if (r != TLY_OK) {
			bad++;
			tly_log_warn("trust: the central's object %zu does not "
			    "verify under this laptop's authority: %s: %s", i,
			    tly_err_code(r), tly_errdetail());
		}
	}
	pthread_mutex_unlock(&d->trust_mu);
	tly_buf_free(&m);
	return bad;
}

/* Check and take a 200 answer; TLY_OK when it may be remembered. */
static int
take_body(struct tallyd *d, const struct tly_http_result *res)
{
	struct tly_json	*root = NULL;
	const char	*auth;
	char		 mine[TLY_HEX_PK], esc[TLY_HEX_PK + 8];
	int		 r = TLY_E_HTTP;

	tly_hex(d->authority, TLY_PK_LEN, mine);
	if (strncasecmp(res->content_type, "application/json", 16) != 0 ||
	    tly_json_parse(res->body.p, res->body.len, &root) != TLY_OK ||
	    !tly_json_is_object(root) ||
	    !tly_json_is_array(tly_json_get(root, "objects"))) {
		tly_log_warn("trust: GET /v1/trust: not the central's JSON");
		goto out;
	}
	if ((auth = tly_json_string(tly_json_get(root, "authority"))) ==
	    NULL || strcmp(auth, mine) != 0) {
		tly_log_escape(auth != NULL ? auth : "none", auth != NULL ?
		    strlen(auth) : 4, esc, sizeof(esc));
		tly_log_error("trust: the central's authority is %s, this "
		    "laptop's is %s: nothing taken", esc, mine);
		goto out;
	}
	(void)take_answer(d, tly_json_get(root, "objects"));
	r = TLY_OK;
 out:
	tly_json_free(root);
	return r;
}

void
tly_dtrust_sync(struct tallyd *d, const volatile int *cancel,
    struct tly_http_result *wire)
{
	struct tly_http_call	 call;
	struct tly_http_result	 res;
	uint8_t			 h[TLY_HASH_LEN];
	char			 url[1200], etag[2 * TRUST_ETAG_BYTES + 4];
	char			 hdr[sizeof(etag) + 32];
	char			 hex[2 * TRUST_ETAG_BYTES + 1];
	int			 r;

	memset(wire, 0, sizeof(*wire));
	if (!d->has_authority || !d->has_central)
		return;
	snprintf(url, sizeof(url), "%s%s", d->conf.central, TRUST_PATH);
	memset(&call, 0, sizeof(call));
	call.url = url;
	call.method = "GET";
	call.connect_timeout_s = (long)d->conf.connect_timeout;
	call.low_speed_time_s = (long)d->conf.low_speed_time;
	call.timeout_s = TRUST_TIMEOUT_S;
	call.resp_max = TLY_RESP_MAX;
	call.cancel = cancel;
	if (tly_dstore_meta_get(d->store, TRUST_ETAG_KEY, etag,
	    sizeof(etag)) == TLY_OK && etag[0] != '\0') {
		snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
		call.header = hdr;
	}
	r = tly_http_request(&call, &res);
	wire->bytes_up = res.bytes_up;
	wire->bytes_down = res.bytes_down;
	wire->header_up = res.header_up;
	wire->header_down = res.header_down;
	wire->status = res.status;
	if (r != TLY_OK)
		tly_log_debug("trust: GET /v1/trust: %s", res.error[0] ?
		    res.error : tly_strerror(r));
	else if (res.status == 304)
		tly_log_debug("trust: the central's trust objects are "
		    "unchanged");
	else if (res.status == 409 || res.status == 404)
		tly_log_debug("trust: the central serves no trust objects "
		    "(HTTP %ld: open, or older)", res.status);
	else if (res.status != 200)
		tly_log_warn("trust: GET /v1/trust answered HTTP %ld",
		    res.status);
	else if (take_body(d, &res) == TLY_OK) {
		tly_hash(res.body.p != NULL ? res.body.p : (const uint8_t *)"",
		    res.body.len, h);
		tly_hex(h, TRUST_ETAG_BYTES, hex);
		snprintf(etag, sizeof(etag), "\"%s\"", hex);
		if (tly_dstore_meta_set(d->store, TRUST_ETAG_KEY, etag) !=
		    TLY_OK)
			tly_log_warn("trust: %s", tly_errdetail());
	}
	tly_http_result_free(&res);
}

void
tly_dtrust_status(struct tallyd *d, uint64_t *serial, int *revoked,
    uint64_t *revoked_at)
{
	const struct tly_revoked	*own = NULL;

	*serial = *revoked_at = 0;
	*revoked = 0;
	if (!d->trust_mu_init)
		return;		/* no keys loaded: nothing held */
	pthread_mutex_lock(&d->trust_mu);
	*serial = d->revocations != NULL ? d->revocations->serial : 0;
	if (d->revocations != NULL && d->cert != NULL)
		own = tly_revocations_find(d->revocations, d->cert->serial);
	*revoked = own != NULL;
	*revoked_at = own != NULL ? own->at : 0;
	pthread_mutex_unlock(&d->trust_mu);
}
