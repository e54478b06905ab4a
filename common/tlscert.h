/*
 * tlscert.h: the TLS identity of a listener on the team's Wi-Fi
 * (tallyd's lan-listen, PROTOCOL.md 9.6): a self-signed certificate and
 * its key, made on first start and kept beside the store.  The only
 * GnuTLS user; libmicrohttpd (common/httpd.c) serves with it.
 */
#ifndef TLY_TLSCERT_H
#define TLY_TLSCERT_H

#include "common/buf.h"

#define TLY_TLS_PEM_MAX	16384	/* bytes of a PEM certificate or key */
#define TLY_TLS_FP_LEN	96	/* "AB:CD:..." of 32 bytes, and a NUL */

/* A certificate and its key, in PEM (NUL-terminated), and who it is. */
struct tly_tls_id {
	struct tly_buf	cert;		/* the certificate, PEM */
	struct tly_buf	key;		/* its private key, PEM; wiped */
	char		fingerprint[TLY_TLS_FP_LEN];	/* SHA-256 of the
					   certificate's DER, as browsers
					   show it: 32 hex pairs and ':' */
	int		created;	/* made by this call */
};

/*
 * Load the certificate and key at certpath and keypath, or, when
 * neither exists, make an ECDSA P-256 key and a certificate for the
 * IPv4 address ip (subject alternative name; valid ten years) and write
 * them there (the key with mode 0600).  id must be zeroed; free it with
 * tly_tls_id_finish().  TLY_E_CONFIG when only one exists or they do not
 * parse.
 */
int	tly_tls_id_load_or_create(const char *certpath, const char *keypath,
	    const char *ip, struct tly_tls_id *id);
void	tly_tls_id_finish(struct tly_tls_id *id);	/* NULL-safe */

#endif /* TLY_TLSCERT_H */
