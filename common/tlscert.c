/*
 * tlscert.c: a self-signed TLS certificate for tallyd's listener on the
 * team's Wi-Fi (tlscert.h).  Browsers cannot check it against anyone:
 * the laptop's own page shows its fingerprint, so that a clerk can
 * compare it with what the phone shows before pairing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "common/err.h"
#include "common/tlscert.h"

#define TLS_DAYS	3650	/* validity of a new certificate */

/* Wipe and free a buffer that held a secret. */
static void
buf_wipe(struct tly_buf *b)
{
	volatile uint8_t	*p = b->p;
	size_t			 i;

	for (i = 0; p != NULL && i < b->cap; i++)
		p[i] = 0;
	tly_buf_free(b);
}

/* id->fingerprint from the certificate crt. */
static int
fingerprint(gnutls_x509_crt_t crt, struct tly_tls_id *id)
{
	unsigned char	fp[32];
	size_t		n = sizeof(fp), i;

	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
	    &n) != 0 || n != sizeof(fp))
		return tly_fail(TLY_E_CONFIG, "TLS certificate: no "
		    "fingerprint");
	for (i = 0; i < n; i++)
		snprintf(id->fingerprint + 3 * i, 4, i + 1 < n ? "%02X:" :
		    "%02X", fp[i]);
	return TLY_OK;
}

/* Make a key and a certificate for ip into id (PEM). */
static int
create(const char *ip, struct tly_tls_id *id)
{
	gnutls_x509_privkey_t	 key = NULL;
	gnutls_x509_crt_t	 crt = NULL;
	gnutls_datum_t		 d = { NULL, 0 };
	unsigned char		 addr[4], serial[16];
	time_t			 now = time(NULL);
	int			 r = TLY_E_CONFIG;

	if (inet_pton(AF_INET, ip, addr) != 1)
		return tly_fail(TLY_E_CONFIG, "%s: not an IPv4 address", ip);
	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) != 0)
		return tly_fail(TLY_E_CONFIG, "TLS: no randomness");
	serial[0] &= 0x7f;		/* a positive serial */
	if (gnutls_x509_privkey_init(&key) != 0 ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) != 0 ||
	    gnutls_x509_crt_init(&crt) != 0 ||
	    gnutls_x509_crt_set_version(crt, 3) != 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) != 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 86400) != 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now +
	    (time_t)TLS_DAYS * 86400) != 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
	    0, "tallyd", 6) != 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
	    addr, sizeof(addr), GNUTLS_FSAN_SET) != 0 ||
	    gnutls_x509_crt_set_key(crt, key) != 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) != 0 ||
	    gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE) != 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
	    0) != 0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) != 0) {
		tly_fail(TLY_E_CONFIG, "TLS: cannot make a certificate");
		goto out;
	}
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) != 0 ||
	    tly_buf_add(&id->cert, d.data, d.size) != TLY_OK) {
		tly_fail(TLY_E_CONFIG, "TLS: cannot write the certificate");
		goto out;
	}
	gnutls_free(d.data);
	d.data = NULL;
	if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) != 0 ||
	    tly_buf_add(&id->key, d.data, d.size) != TLY_OK) {
		tly_fail(TLY_E_CONFIG, "TLS: cannot write the key");
		goto out;
	}
	r = fingerprint(crt, id);
 out:
	if (d.data != NULL) {
		memset(d.data, 0, d.size);
		gnutls_free(d.data);
	}
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return r;
}

/* Parse id's PEM: the certificate and the key must read, and match. */
static int
check(const char *certpath, struct tly_tls_id *id)
{
	gnutls_x509_crt_t	 crt = NULL;
	gnutls_x509_privkey_t	 key = NULL;
	gnutls_datum_t		 c = { id->cert.p, (unsigned)id->cert.len };
	gnutls_datum_t		 k = { id->key.p, (unsigned)id->key.len };
	unsigned char		 a[64], b[64];
	size_t			 na = sizeof(a), nb = sizeof(b);
	int			 r = TLY_E_CONFIG;

	if (gnutls_x509_crt_init(&crt) != 0 ||
	    gnutls_x509_crt_import(crt, &c, GNUTLS_X509_FMT_PEM) != 0 ||
	    gnutls_x509_privkey_init(&key) != 0 ||
	    gnutls_x509_privkey_import(key, &k, GNUTLS_X509_FMT_PEM) != 0) {
		tly_fail(TLY_E_CONFIG, "%s or its key does not parse",
		    certpath);
		goto out;
	}
	if (gnutls_x509_crt_get_key_id(crt, 0, a, &na) != 0 ||
	    gnutls_x509_privkey_get_key_id(key, 0, b, &nb) != 0 ||
	    na != nb || memcmp(a, b, na) != 0) {
		tly_fail(TLY_E_CONFIG, "%s: the key beside it is not its key",
		    certpath);
		goto out;
	}
	r = fingerprint(crt, id);
 out:
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return r;
}

int
tly_tls_id_load_or_create(const char *certpath, const char *keypath,
    const char *ip, struct tly_tls_id *id)
{
	struct stat	st;
	int		hc, hk, r;

	tly_buf_init(&id->cert, TLY_TLS_PEM_MAX);
	tly_buf_init(&id->key, TLY_TLS_PEM_MAX);
	id->created = 0;
	hc = stat(certpath, &st) == 0;
	hk = stat(keypath, &st) == 0;
	if (hc != hk)
		return tly_fail(TLY_E_CONFIG, "%s: %s is missing (remove "
		    "both to make new ones)", hc ? keypath : certpath,
		    strerror(ENOENT));
	if (hc) {
		if ((r = tly_buf_read_file(certpath, TLY_TLS_PEM_MAX,
		    &id->cert)) != TLY_OK ||
		    (r = tly_buf_read_file(keypath, TLY_TLS_PEM_MAX,
		    &id->key)) != TLY_OK)
			return r;
		return check(certpath, id);
	}
	if ((r = create(ip, id)) != TLY_OK ||
	    (r = tly_file_write_atomic(keypath, id->key.p, id->key.len,
	    0600)) != TLY_OK ||
	    (r = tly_file_write_atomic(certpath, id->cert.p, id->cert.len,
	    0644)) != TLY_OK)
		return r;
	id->created = 1;
	return TLY_OK;
}

void
tly_tls_id_finish(struct tly_tls_id *id)
{
	if (id == NULL)
		return;
	tly_buf_free(&id->cert);
	buf_wipe(&id->key);
}
