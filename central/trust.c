/*
 * trust.c: the central's trust policy (PROTOCOL.md 13): the authority
 * key, the signed definition statement, the certificates, the newest
 * revocation list and the central's own certificate, loaded at start
 * from the files tally-central.conf(5) names.
 *
 * A live central needs an authority; a test central without one runs
 * open (every device may report) and says so in its log and in every
 * results answer.  The raw objects are kept for GET /v1/trust.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "central/central.h"
#include "central/ctrust.h"
#include "central/store.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "sync/trust.h"

#define CERT_SUFFIX	".cert"		/* certificate files in a directory */

/* Read the signed object file path (one signed message) into b. */
static int
obj_read(const char *key, const char *path, struct tly_buf *b)
{
	char	msg[400];
	int	r;

	tly_buf_reset(b);
	tly_errclear();
	if ((r = tly_buf_read_file(path, TLY_TRUST_OBJ_MAX, b)) != TLY_OK) {
		snprintf(msg, sizeof(msg), "%s", tly_errdetail());
		return tly_fail(TLY_E_CONFIG, "%s %s: %s", key, path, msg);
	}
	return TLY_OK;
}

/* Append a copy of m[0..len) to the raw objects of ct. */
static int
keep_raw(struct tly_central_trust *ct, const uint8_t *m, size_t len)
{
	struct tly_buf	*nb;
	size_t		 i;

	for (i = 0; i < ct->nraw; i++)
		if (ct->raw[i].len == len && memcmp(ct->raw[i].p, m, len) == 0)
			return TLY_OK;
	if (ct->nraw == ct->capraw) {
		if ((nb = reallocarray(ct->raw, ct->capraw ? ct->capraw * 2 :
		    64, sizeof(*nb))) == NULL)
			return TLY_E_NOMEM;
		ct->raw = nb;
		ct->capraw = ct->capraw ? ct->capraw * 2 : 64;
	}
	ct->raw[ct->nraw] = (struct tly_buf)TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	if (tly_buf_add(&ct->raw[ct->nraw], m, len) != TLY_OK)
		return TLY_E_NOMEM;
	ct->nraw++;
	return TLY_OK;
}

/* Add the certificate file path; key names the configuration key. */
static int
add_cert_file(struct tly_central_trust *ct, const char *key,
    const char *path, struct tly_buf *b)
{
	char	msg[400];
	int	r;

	if ((r = obj_read(key, path, b)) != TLY_OK)
		return r;
	tly_errclear();
	if ((r = tly_trust_add_cert(ct->t, b->p, b->len)) != TLY_OK) {
		snprintf(msg, sizeof(msg), "%s", tly_errdetail());
		return tly_fail(TLY_E_CONFIG, "%s %s: %s%s%s", key, path,
		    tly_err_code(r), *msg ? ": " : "", msg);
	}
	return keep_raw(ct, b->p, b->len);
}

/* Load the certificates: one file, or every *.cert file of a directory. */
static int
load_certs(struct tly_central_trust *ct, const char *path,
    struct tly_buf *b)
{
	struct stat	  st;
	struct dirent	**ents = NULL;
	char		  fp[PATH_MAX];
	size_t		  sl = strlen(CERT_SUFFIX), nl;
	int		  n = 0, i, r = TLY_OK;

	if (stat(path, &st) != 0)
		return tly_fail(TLY_E_CONFIG, "certificates %s: %s", path,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return add_cert_file(ct, "certificates", path, b);
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0)
		return tly_fail(TLY_E_CONFIG, "certificates %s: %s", path,
		    strerror(errno));
	for (i = 0; i < n && r == TLY_OK; i++) {
		nl = strlen(ents[i]->d_name);
		if (ents[i]->d_name[0] == '.' || nl <= sl ||
		    strcmp(ents[i]->d_name + nl - sl, CERT_SUFFIX) != 0)
			continue;
		if ((size_t)snprintf(fp, sizeof(fp), "%s/%s", path,
		    ents[i]->d_name) >= sizeof(fp))
			r = tly_fail(TLY_E_CONFIG, "certificates %s: path too "
			    "long", path);
		else
			r = add_cert_file(ct, "certificates", fp, b);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return r;
}

/* The definition statement: signed by the authority over def. */
static int
check_definition(struct tly_central *c, struct tly_central_trust *ct,
    const uint8_t *def, size_t deflen, struct tly_buf *b)
{
	char	msg[400];
	int	r;

	if (c->conf.defsig == NULL)
		return tly_fail(TLY_E_CONFIG, "%s: authority is set: "
		    "definition-signature is required (tally election sign)",
		    c->conf.awhere);
	if ((r = obj_read("definition-signature", c->conf.defsig, b)) !=
	    TLY_OK)
		return r;
	tly_errclear();
	if ((r = tly_definition_verify(b->p, b->len, ct->authority, def,
	    deflen, NULL)) != TLY_OK) {
		snprintf(msg, sizeof(msg), "%s", tly_errdetail());
		return tly_fail(TLY_E_CONFIG, "definition-signature %s: %s: "
		    "%s%s%s", c->conf.defsig, r == TLY_E_SIGNATURE ?
		    "the election definition was altered after signing" :
		    "not a definition statement by the authority",
		    tly_err_code(r), *msg ? ": " : "", msg);
	}
	return keep_raw(ct, b->p, b->len);
}

/* The central's certificate must certify this central's key. */
static int
check_central_cert(struct tly_central *c, struct tly_central_trust *ct,
    struct tly_buf *b)
{
	struct tly_cert	*cert = NULL;
	int		 r;

	if (c->conf.central_cert == NULL) {
		tly_log_warn("no central-cert: devices cannot check this "
		    "central's receipts against the authority");
		return TLY_OK;
	}
	if ((r = add_cert_file(ct, "central-cert", c->conf.central_cert, b)) !=
	    TLY_OK)
		return r;
	if ((r = tly_cert_parse(b->p, b->len, ct->authority, &cert)) !=
	    TLY_OK)
		return tly_fail(TLY_E_CONFIG, "central-cert %s: %s",
		    c->conf.central_cert, tly_err_code(r));
	if (cert->kind != TLY_CERT_CENTRAL ||
	    memcmp(cert->key, tly_key_public(c->key), TLY_PK_LEN) != 0)
		r = tly_fail(TLY_E_CONFIG, "central-cert %s: not a central "
		    "certificate for this central's key %s",
		    c->conf.central_cert, c->keyhex);
	tly_cert_free(cert);
	return r;
}

int
tly_central_trust_open(struct tly_central *c, const uint8_t *def,
    size_t deflen)
{
	struct tly_central_trust	*ct = NULL;
	struct tly_buf			 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	char				 msg[400];
	int				 r;

	if (c->conf.authority == NULL) {
		if (!c->conf.test)
			return tly_fail(TLY_E_CONFIG, "mode live needs an "
			    "authority public key: set 'authority' (and "
			    "'definition-signature', 'certificates'), or "
			    "'mode test' for an open test central");
		if (c->conf.defsig != NULL || c->conf.certs != NULL ||
		    c->conf.revocations != NULL || c->conf.central_cert != NULL)
			return tly_fail(TLY_E_CONFIG, "definition-signature, "
			    "certificates, revocations and central-cert need "
			    "'authority'");
		tly_log_warn("OPEN central (mode test, no authority): any "
		    "device may report any area; not for an election");
		return TLY_OK;
	}
	if ((ct = calloc(1, sizeof(*ct))) == NULL)
		return TLY_E_NOMEM;
	if (pthread_rwlock_init(&ct->lock, NULL) != 0) {
		free(ct);
		return TLY_E_NOMEM;
	}
	c->trust = ct;
	tly_errclear();
	if ((r = tly_pubkey_load(c->conf.authority, ct->authority)) !=
	    TLY_OK) {
		snprintf(msg, sizeof(msg), "%s", tly_errdetail());
		r = tly_fail(TLY_E_CONFIG, "%s: authority %s: %s",
		    c->conf.awhere, c->conf.authority, msg);
		goto out;
	}
	if ((r = tly_trust_create(ct->authority, c->ehash, &ct->t)) !=
	    TLY_OK ||
	    (r = check_definition(c, ct, def, deflen, &b)) != TLY_OK ||
	    (c->conf.certs != NULL &&
	    (r = load_certs(ct, c->conf.certs, &b)) != TLY_OK) ||
	    (r = check_central_cert(c, ct, &b)) != TLY_OK)
		goto out;
	if (c->conf.revocations != NULL) {
		if ((r = obj_read("revocations", c->conf.revocations, &b)) !=
		    TLY_OK)
			goto out;
		tly_errclear();
		if ((r = tly_trust_set_revocations(ct->t, b.p, b.len)) !=
		    TLY_OK) {
			snprintf(msg, sizeof(msg), "%s", tly_errdetail());
			r = tly_fail(TLY_E_CONFIG, "revocations %s: %s%s%s",
			    c->conf.revocations, tly_err_code(r),
			    *msg ? ": " : "", msg);
			goto out;
		}
		ct->rev_serial = tly_trust_revocations_serial(ct->t);
		if ((r = keep_raw(ct, b.p, b.len)) != TLY_OK)
			goto out;
	}
	r = TLY_OK;
 out:
	tly_buf_free(&b);
	if (r != TLY_OK)
		tly_central_trust_close(c);
	return r;
}

void
tly_central_trust_close(struct tly_central *c)
{
	struct tly_central_trust	*ct = c->trust;
	size_t				 i;

	if (ct == NULL)
		return;
	for (i = 0; i < ct->nraw; i++)
		tly_buf_free(&ct->raw[i]);
	free(ct->raw);
	tly_trust_destroy(ct->t);
	pthread_rwlock_destroy(&ct->lock);
	free(ct);
	c->trust = NULL;
}

int
tly_central_trust_apply(struct tly_central_trust *ct, const uint8_t *m,
    size_t len, int *added)
{
	char	ctx[64];
	size_t	before;
	int	r;

	*added = 0;
	tly_errclear();
	if ((r = tly_trust_context(m, len, ctx, sizeof(ctx))) != TLY_OK)
		return r;
	pthread_rwlock_wrlock(&ct->lock);
	before = ct->nraw;
	if (strcmp(ctx, TLY_CTX_CERT) == 0 ||
	    strcmp(ctx, TLY_CTX_CENTRAL_CERT) == 0)
		r = tly_trust_add_cert(ct->t, m, len);
	else if (strcmp(ctx, TLY_CTX_REVOCATIONS) == 0) {
		if ((r = tly_trust_set_revocations(ct->t, m, len)) == TLY_OK &&
		    tly_trust_revocations_serial(ct->t) == ct->rev_serial) {
			pthread_rwlock_unlock(&ct->lock);
			return TLY_OK;		/* not newer: ignored */
		}
		ct->rev_serial = tly_trust_revocations_serial(ct->t);
	} else
		r = tly_fail(TLY_E_CONTEXT, "context %s: POST /v1/trust takes "
		    "certificates and revocation lists", ctx);
	if (r == TLY_OK)
		r = keep_raw(ct, m, len);
	*added = r == TLY_OK && ct->nraw > before;
	pthread_rwlock_unlock(&ct->lock);
	return r;
}

/* tly_cstore_trust_each() callback: take a kept object back. */
static int
restore_one(void *arg, const uint8_t *m, size_t len)
{
	struct tly_central	*c = arg;
	int			 added, r;

	if ((r = tly_central_trust_apply(c->trust, m, len, &added)) ==
	    TLY_E_NOMEM)
		return r;
	if (r != TLY_OK)
		tly_log_warn("a kept trust object no longer applies: %s: %s",
		    tly_err_code(r), tly_errdetail());
	return TLY_OK;
}

int
tly_central_trust_restore(struct tly_central *c)
{
	if (c->trust == NULL)
		return TLY_OK;
	return tly_cstore_trust_each(c->store, restore_one, c);
}
