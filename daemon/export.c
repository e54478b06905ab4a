/*
 * export.c: GET /v1/bundle, the bundle file of everything the daemon
 * holds (PROTOCOL.md 7, 7.2, 9): every batch, own and relayed, then, as
 * companions, the trust objects it was configured with (its own
 * certificate, the central's certificate) and every receipt it holds, so
 * that an offline verifier given only the authority's key can judge them;
 * and the trust objects fetched from the central (the newest revocation
 * list, the central's certificates: PROTOCOL.md 9.7).
 * With no companion the file is a version 1 bundle, as before.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "sync/trust.h"
#include "sync/wire.h"
#include "daemon/store.h"
#include "daemon/tallyd.h"

/* What is being written: the bundle, and the companions gathered first. */
struct export {
	struct tly_buf	*out;	/* the bundle */
	struct tly_buf	 comp;	/* companion entries, length-prefixed */
	struct tly_buf	 ccert;	/* the configured central certificate */
	size_t		 nbatches;	/* batch entries written */
	size_t		 ncomp;	/* companion entries in comp */
};

/* Add one companion entry to x->comp. */
static int
add_companion(void *arg, const uint8_t *m, size_t len)
{
	struct export	*x = arg;
	int		 r;

	if ((r = tly_bundle_add(&x->comp, m, len)) == TLY_OK)
		x->ncomp++;
	return r;
}

/* Add one batch to the bundle. */
static int
add_batch(void *arg, enum tly_dkind kind, const uint8_t *m, size_t len)
{
	struct export	*x = arg;
	int		 r;

	if ((r = tly_bundle_add(x->out, m, len)) == TLY_OK)
		x->nbatches++;
	return r;
}

/* The central's certificate file, as configured (central-cert). */
static int
add_central_cert(struct tallyd *d, struct export *x)
{
	int	r;

	if (d->conf.central_cert == NULL)
		return TLY_OK;
	if ((r = tly_buf_read_file(d->conf.central_cert, TLY_TRUST_OBJ_MAX,
	    &x->ccert)) == TLY_OK)
		r = add_companion(x, x->ccert.p, x->ccert.len);
	return r;
}

/* One trust object kept from the central, unless it is the configured one. */
static int
add_kept(void *arg, enum tly_dtrust_kind kind, const uint8_t *m, size_t len)
{
	struct export	*x = arg;

	if (len == x->ccert.len && memcmp(m, x->ccert.p, len) == 0)
		return TLY_OK;
	return add_companion(x, m, len);
}

int
tly_dexport_bundle(struct tallyd *d, struct tly_buf *out)
{
	struct export	x;
	int		r;

	memset(&x, 0, sizeof(x));
	x.out = out;
	x.comp = (struct tly_buf)TLY_BUF_INIT(TLY_BUNDLE_FILE_MAX);
	x.ccert = (struct tly_buf)TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	if (d->cert_msg.len > 0 && (r = add_companion(&x, d->cert_msg.p,
	    d->cert_msg.len)) != TLY_OK)
		goto out;
	if ((r = add_central_cert(d, &x)) != TLY_OK ||
	    (r = tly_dstore_trust_each(d->store, add_kept, &x)) != TLY_OK ||
	    (r = tly_dstore_foreach_receipt(d->store, add_companion, &x)) !=
	    TLY_OK)
		goto out;
	if ((r = tly_bundle_begin_version(out, x.ncomp > 0 ?
	    TLY_BUNDLE_VERSION_2 : TLY_BUNDLE_VERSION)) != TLY_OK ||
	    (r = tly_dstore_foreach_bytes(d->store, add_batch, &x)) != TLY_OK)
		goto out;
	if (x.ncomp > 0 && (r = tly_buf_add(out, x.comp.p, x.comp.len)) !=
	    TLY_OK)
		goto out;
	r = tly_bundle_end(out, x.nbatches + x.ncomp);
 out:
	tly_buf_free(&x.comp);
	tly_buf_free(&x.ccert);
	return r;
}
