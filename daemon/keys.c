/*
 * keys.c: the keys and certificates tallyd holds (tallyd.conf(5)).
 *
 * The device key, unlocked with a passphrase read from a file descriptor
 * when it is encrypted; the device's own certificate beside it (shown in
 * GET /v1/status); the central's key, taken from its certificate when an
 * authority is configured, so that only receipts of a certified central
 * count (PROTOCOL.md 9.3).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/daemon.h"
#include "common/err.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "sync/trust.h"
#include "sync/wire.h"
#include "daemon/tallyd.h"

/* "<key without .key><ext>", as tally enroll names the siblings. */
static int
keys_sibling(const char *key, const char *ext, char *out, size_t outlen)
{
	size_t	n = strlen(key);

	if (n > 4 && strcmp(key + n - 4, ".key") == 0)
		n -= 4;
	if ((size_t)snprintf(out, outlen, "%.*s%s", (int)n, key, ext) >=
	    outlen)
		return tly_fail(TLY_E_CONFIG, "%s: path too long", key);
	return TLY_OK;
}

/* Load or create the device key, unlocking it with passphrase-fd. */
static int
keys_device(struct tallyd *d)
{
	char	*pass = NULL;
	size_t	 passlen = 0;
	int	 r, enc;

	if ((r = tly_daemon_key_private(d->conf.key)) != TLY_OK)
		return r;
	if (access(d->conf.key, F_OK) != 0) {
		if (d->conf.passphrase_fd >= 0)
			return tly_fail(TLY_E_KEY, "%s: no key, and tallyd does "
			    "not create an encrypted one; create it with "
			    "'tally enroll request -P FD -k %s'", d->conf.key,
			    d->conf.key);
		r = tly_key_load_or_create(d->conf.key, &d->key);
		d->key_created = r == TLY_OK;
		goto out;
	}
	if ((enc = tly_key_file_encrypted(d->conf.key)) < 0)
		return enc;
	if (enc && d->conf.passphrase_fd < 0)
		return tly_fail(TLY_E_KEY, "%s is encrypted: give its "
		    "passphrase on a file descriptor ('passphrase-fd N' in %s)",
		    d->conf.key, d->conf.path);
	if (enc && (r = tly_passphrase_read_fd(d->conf.passphrase_fd, &pass,
	    &passlen)) != TLY_OK)
		return tly_fail(r, "passphrase-fd %d: %s", d->conf.passphrase_fd,
		    tly_errdetail());
	r = tly_key_load_pass(d->conf.key, pass, passlen, &d->key);
 out:
	tly_passphrase_free(pass);
	if (d->conf.passphrase_fd > 2)
		close(d->conf.passphrase_fd);
	if (r == TLY_OK)
		r = tly_daemon_key_private(d->conf.key);
	return r;
}

/*
 * The key's ".fresh" stamp written by tally enroll request (PROTOCOL.md
 * 9.5): when it names this key, the key has never signed.
 */
static int
keys_fresh(struct tallyd *d)
{
	struct tly_buf	 b = TLY_BUF_INIT(TLY_HEX_PK + 1);
	char		 path[PATH_MAX], hex[TLY_HEX_PK];
	int		 r;

	if ((r = keys_sibling(d->conf.key, ".fresh", path, sizeof(path))) !=
	    TLY_OK)
		return r;
	if (d->key_created || access(path, F_OK) != 0)
		return TLY_OK;
	tly_hex(d->device, TLY_PK_LEN, hex);
	if (tly_buf_read_file(path, TLY_HEX_PK + 1, &b) == TLY_OK &&
	    b.len >= TLY_HEX_PK - 1 &&
	    memcmp(b.p, hex, TLY_HEX_PK - 1) == 0 &&
	    (b.len == TLY_HEX_PK - 1 ||
	    (b.len == TLY_HEX_PK && b.p[TLY_HEX_PK - 1] == '\n')))
		d->key_created = 1;
	else
		tly_log_warn("%s does not name this key (%s): ignored", path,
		    hex);
	tly_buf_free(&b);
	return TLY_OK;
}

int
tly_dkeys_fresh_done(struct tallyd *d)
{
	char	path[PATH_MAX], *slash;
	int	fd, r = TLY_OK;

	if ((r = keys_sibling(d->conf.key, ".fresh", path, sizeof(path))) !=
	    TLY_OK)
		return r;
	if (unlink(path) != 0)
		return errno == ENOENT ? TLY_OK : tly_fail(TLY_E_IO,
		    "%s: %s", path, strerror(errno));
	if ((slash = strrchr(path, '/')) == NULL)
		strcpy(path, ".");
	else if (slash == path)
		path[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(fd) != 0)
		r = tly_fail(TLY_E_IO, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

/* The device's own certificate beside its key, when there is one. */
static int
keys_own_cert(struct tallyd *d)
{
	struct tly_buf	 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	char		 path[PATH_MAX];
	int		 r;

	if ((r = keys_sibling(d->conf.key, ".cert", path, sizeof(path))) !=
	    TLY_OK)
		return r;
	if (access(path, F_OK) != 0)
		return TLY_OK;
	if ((r = tly_buf_read_file(path, TLY_TRUST_OBJ_MAX, &b)) != TLY_OK ||
	    (r = tly_cert_parse(b.p, b.len, d->has_authority ? d->authority :
	    NULL, &d->cert)) != TLY_OK) {
		r = tly_fail(TLY_E_CONFIG, "%s: %s", path, tly_errdetail());
		goto out;
	}
	if (d->cert->kind != TLY_CERT_DEVICE ||
	    memcmp(d->cert->key, d->device, TLY_PK_LEN) != 0) {
		r = tly_fail(TLY_E_CONFIG, "%s is not a device certificate "
		    "for this key (%s)", path, d->conf.key);
		goto out;
	}
	if (d->cert->not_after < (uint64_t)time(NULL))
		tly_log_warn("%s: this device's certificate has expired",
		    path);
	d->cert_msg = b;
	b = (struct tly_buf)TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
 out:
	tly_buf_free(&b);
	return r;
}

/*
 * The central's key: from central-cert (checked against the authority
 * and this election) and, when both are set, central-key must agree.
 */
static int
keys_central(struct tallyd *d)
{
	struct tly_buf	 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	struct tly_cert	*c = NULL;
	uint8_t		 pk[TLY_PK_LEN];
	char		 h1[TLY_HEX_PK], h2[TLY_HEX_PK];
	int		 r;

	if (d->conf.central_cert == NULL) {
		r = tly_pubkey_load(d->conf.central_key, d->central_pk);
		goto out;
	}
	if ((r = tly_buf_read_file(d->conf.central_cert, TLY_TRUST_OBJ_MAX,
	    &b)) != TLY_OK)
		goto out;
	if ((r = tly_trust_add_cert(d->trust, b.p, b.len)) != TLY_OK ||
	    (r = tly_cert_parse(b.p, b.len, d->authority, &c)) != TLY_OK) {
		r = tly_fail(TLY_E_CONFIG, "%s: %s", d->conf.central_cert,
		    tly_errdetail());
		goto out;
	}
	if (c->kind != TLY_CERT_CENTRAL) {
		r = tly_fail(TLY_E_CONFIG, "%s is not a central certificate",
		    d->conf.central_cert);
		goto out;
	}
	if ((r = tly_trust_check_central(d->trust, c->key,
	    (uint64_t)time(NULL))) != TLY_OK) {
		r = tly_fail(TLY_E_CONFIG, "%s: %s", d->conf.central_cert,
		    tly_errdetail());
		goto out;
	}
	memcpy(d->central_pk, c->key, TLY_PK_LEN);
	if (d->conf.central_key != NULL) {
		if ((r = tly_pubkey_load(d->conf.central_key, pk)) != TLY_OK)
			goto out;
		if (memcmp(pk, c->key, TLY_PK_LEN) != 0) {
			r = tly_fail(TLY_E_CONFIG, "%s certifies the central "
			    "key %s, but central-key %s holds %s: drop "
			    "central-key or give the right file",
			    d->conf.central_cert, tly_hex(c->key, TLY_PK_LEN,
			    h1), d->conf.central_key, tly_hex(pk, TLY_PK_LEN,
			    h2));
			goto out;
		}
	}
 out:
	tly_cert_free(c);
	tly_buf_free(&b);
	return r;
}

int
tly_dkeys_load(struct tallyd *d)
{
	int	r;

	if (pthread_mutex_init(&d->trust_mu, NULL) != 0)
		return tly_fail(TLY_E_NOMEM, "cannot create a mutex");
	d->trust_mu_init = 1;
	if ((r = keys_device(d)) != TLY_OK)
		return r;
	memcpy(d->device, tly_key_public(d->key), TLY_PK_LEN);
	if ((r = keys_fresh(d)) != TLY_OK)
		return r;
	if (d->conf.authority != NULL) {
		if ((r = tly_pubkey_load(d->conf.authority, d->authority)) !=
		    TLY_OK ||
		    (r = tly_trust_create(d->authority, d->election_hash,
		    &d->trust)) != TLY_OK)
			return r;
		d->has_authority = 1;
	}
	if ((r = keys_own_cert(d)) != TLY_OK)
		return r;
	if (d->conf.central != NULL) {
		if ((r = keys_central(d)) != TLY_OK)
			return r;
		d->has_central = 1;
	}
	return TLY_OK;
}

void
tly_dkeys_free(struct tallyd *d)
{
	tly_cert_free(d->cert);
	d->cert = NULL;
	tly_buf_free(&d->cert_msg);
	tly_trust_destroy(d->trust);
	d->trust = NULL;
	tly_revocations_free(d->revocations);
	d->revocations = NULL;
	if (d->trust_mu_init)
		pthread_mutex_destroy(&d->trust_mu);
	d->trust_mu_init = 0;
	tly_key_free(d->key);
	d->key = NULL;
}

int
tly_dkeys_receipt(const struct tallyd *d, const uint8_t *m, size_t len,
    struct tly_receipt *rc)
{
	struct tly_envelope	env;
	char			h1[TLY_HEX_PK], h2[TLY_HEX_PK];
	int			r;

	if ((r = tly_receipt_verify(m, len, d->central_pk, rc)) != TLY_OK) {
		if (tly_envelope_parse(m, len, &env) == TLY_OK &&
		    memcmp(env.signer, d->central_pk, TLY_PK_LEN) != 0)
			return tly_fail(TLY_E_RECEIPT, "the central signs its "
			    "receipts with key %s, not with the configured "
			    "central key %s (%s): the central's key does not "
			    "match the one configured",
			    tly_hex(env.signer, TLY_PK_LEN, h1),
			    tly_hex(d->central_pk, TLY_PK_LEN, h2),
			    d->conf.central_cert != NULL ?
			    d->conf.central_cert : d->conf.central_key);
		return r;
	}
	if (d->trust != NULL && d->conf.central_cert != NULL) {
		/* trustsync.c may take a revocation meanwhile. */
		pthread_mutex_lock((pthread_mutex_t *)&d->trust_mu);
		r = tly_trust_check_central(d->trust, d->central_pk,
		    rc->stored);
		pthread_mutex_unlock((pthread_mutex_t *)&d->trust_mu);
		if (r != TLY_OK)
			return tly_fail(TLY_E_RECEIPT, "receipt from a central "
			    "not certified at its time: %s", tly_errdetail());
	}
	return TLY_OK;
}
