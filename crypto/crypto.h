/*
 * crypto.h: keys, signatures, hashes, encodings and randomness.
 *
 * This module is the only user of libsodium.  Secret key bytes live in
 * sodium_malloc() memory, are never logged, and are wiped on free.
 * Formats are in PROTOCOL.md sections 1 and 2.
 */
#ifndef TLY_CRYPTO_H
#define TLY_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/hex.h"

#define TLY_PK_LEN	32	/* Ed25519 public key = key id */
#define TLY_SEED_LEN	32	/* Ed25519 seed */
#define TLY_SIG_LEN	64	/* Ed25519 signature */
#define TLY_HASH_LEN	32	/* BLAKE2b-256 digest */
#define TLY_HEX_PK	(2 * TLY_PK_LEN + 1)	/* hex text incl. NUL */
#define TLY_HEX_HASH	(2 * TLY_HASH_LEN + 1)

/* Initialise libsodium; call once before anything else.  Idempotent. */
int	tly_crypto_init(void);

struct tly_key;		/* opaque; the secret lives in sodium memory */

/* New random key pair.  *keyp: new, free with tly_key_free(). */
int	tly_key_generate(struct tly_key **keyp);
/* Key pair from a 32-byte seed (RFC 8032 test vectors). */
int	tly_key_from_seed(const uint8_t seed[TLY_SEED_LEN],
	    struct tly_key **keyp);
/*
 * Load a secret key file (PROTOCOL.md 2) into sodium memory.  It only
 * parses; permission checks are the caller's.  Errors name the file.
 */
int	tly_key_load(const char *path, struct tly_key **keyp);
/*
 * Write the secret file (mode 0600) and, if pubpath is not NULL, the
 * public file (mode 0644), each atomically.  Fails with TLY_E_IO if the
 * secret file already exists (never overwrite a key).
 */
int	tly_key_save(const struct tly_key *key, const char *secpath,
	    const char *pubpath);
/*
 * The same for a key file that may be encrypted (PROTOCOL.md 2.1): pass
 * (passlen bytes) unlocks an encrypted file; NULL refuses one with
 * TLY_E_KEY ("a passphrase is needed").  A wrong passphrase is TLY_E_KEY.
 * tly_key_load(path, keyp) is tly_key_load_pass(path, NULL, 0, keyp).
 */
int	tly_key_load_pass(const char *path, const char *pass, size_t passlen,
	    struct tly_key **keyp);
/*
 * Parse the bytes line[0..n) of a secret key file (PROTOCOL.md 2 and
 * 2.1), plain or, given pass, encrypted: the whole file, newline
 * included, followed by a NUL.  Errors begin with name.  *keyp: new,
 * free with tly_key_free().  The caller wipes line.
 */
int	tly_key_parse(const char *name, const char *line, size_t n,
	    const char *pass, size_t passlen, struct tly_key **keyp);
/*
 * tly_key_save(), but with pass not NULL the secret file is encrypted
 * under it (Argon2id, then XSalsa20-Poly1305; PROTOCOL.md 2.1).
 */
int	tly_key_save_pass(const struct tly_key *key, const char *secpath,
	    const char *pubpath, const char *pass, size_t passlen);
/* 1 if the key file at path is encrypted, 0 if not, or TLY_E_IO. */
int	tly_key_file_encrypted(const char *path);
/*
 * Read a passphrase from fd until EOF (at most 1024 bytes; one final
 * LF or CRLF is dropped) into sodium memory.  *passp is new: free it with
 * tly_passphrase_free(), which wipes it.
 */
int	tly_passphrase_read_fd(int fd, char **passp, size_t *lenp);
void	tly_passphrase_free(char *pass);		/* NULL-safe */
/* Load secpath, or generate and save it there if it does not exist. */
int	tly_key_load_or_create(const char *secpath, struct tly_key **keyp);
/* The 32-byte public key; owned by key. */
const uint8_t *tly_key_public(const struct tly_key *key);
void	tly_key_free(struct tly_key *key);		/* NULL-safe; wipes */

/* Detached Ed25519 signature over m[0..len). */
int	tly_key_sign(const struct tly_key *key, const uint8_t *m, size_t len,
	    uint8_t sig[TLY_SIG_LEN]);
/* TLY_OK if sig is a valid signature of m by pk, else TLY_E_SIGNATURE. */
int	tly_sig_verify(const uint8_t pk[TLY_PK_LEN], const uint8_t *m,
	    size_t len, const uint8_t sig[TLY_SIG_LEN]);

/* Load a public key file, or parse its one line from text. */
int	tly_pubkey_load(const char *path, uint8_t pk[TLY_PK_LEN]);
/* Parse a public key given as 64 hex characters or as a file's line. */
int	tly_pubkey_parse(const char *text, uint8_t pk[TLY_PK_LEN]);
/* Parse the bytes p[0..len) of a public key file: exactly its one line. */
int	tly_pubkey_parse_file(const uint8_t *p, size_t len,
	    uint8_t pk[TLY_PK_LEN]);

/* BLAKE2b-256 of p[0..len). */
void	tly_hash(const void *p, size_t len, uint8_t out[TLY_HASH_LEN]);
/* Incremental BLAKE2b-256. */
struct tly_hasher;
int	tly_hasher_create(struct tly_hasher **hp);
void	tly_hasher_update(struct tly_hasher *h, const void *p, size_t len);
void	tly_hasher_final(struct tly_hasher *h, uint8_t out[TLY_HASH_LEN]);
void	tly_hasher_destroy(struct tly_hasher *h);	/* NULL-safe */

/* tly_hex() and tly_unhex() are common/hex.h's, included above. */

/* RFC 4648 base64 with padding, appended to out (NUL-terminated). */
int	tly_b64_encode(const uint8_t *p, size_t n, struct tly_buf *out);
/* Decode base64 text into out (appended). */
int	tly_b64_decode(const char *s, size_t n, struct tly_buf *out);

void	tly_random_bytes(void *p, size_t n);
/* Uniform in [0, upper); 0 when upper is 0. */
uint32_t tly_random_uniform(uint32_t upper);
/* Wipe memory the compiler may not optimise away. */
void	tly_memzero(void *p, size_t n);
/* Constant-time equality of two n-byte buffers: 1 if equal. */
int	tly_memeq(const void *a, const void *b, size_t n);

#endif /* TLY_CRYPTO_H */
