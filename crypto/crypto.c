/*
 * crypto.c: Ed25519 keys and signatures, BLAKE2b, encodings, randomness.
 * The only libsodium user.  Key file formats: PROTOCOL.md section 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/err.h"
#include "crypto/crypto.h"

#define PUB_WORD	"tally-ed25519-public "
#define SEC_WORD	"tally-ed25519-secret "
#define PUB_LINE_LEN	(sizeof(PUB_WORD) - 1 + 2 * TLY_PK_LEN + 1)
#define SEC_LINE_LEN	(sizeof(SEC_WORD) - 1 + 4 * TLY_PK_LEN + 1)

_Static_assert(crypto_sign_PUBLICKEYBYTES == TLY_PK_LEN, "pk size");
_Static_assert(crypto_sign_SECRETKEYBYTES == 64, "sk size");
_Static_assert(crypto_sign_BYTES == TLY_SIG_LEN, "sig size");
_Static_assert(crypto_sign_SEEDBYTES == TLY_SEED_LEN, "seed size");

struct tly_key {
	uint8_t	 pk[TLY_PK_LEN];	/* public key = key id */
	uint8_t	*sk;			/* 64 bytes in sodium_malloc memory */
};

struct tly_hasher {
	crypto_generichash_state st;	/* BLAKE2b state */
};

int
tly_crypto_init(void)
{
	if (sodium_init() < 0)
		return tly_fail(TLY_E_CRYPTO, "libsodium failed to initialise");
	return TLY_OK;
}

static int
key_alloc(struct tly_key **keyp)
{
	struct tly_key	*k;

	*keyp = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return TLY_E_NOMEM;
	if ((k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		free(k);
		return TLY_E_NOMEM;
	}
	*keyp = k;
	return TLY_OK;
}

void
tly_key_free(struct tly_key *key)
{
	if (key == NULL)
		return;
	sodium_free(key->sk);	/* wipes */
	free(key);
}

int
tly_key_generate(struct tly_key **keyp)
{
	struct tly_key	*k;
	int		 r;

	if ((r = key_alloc(&k)) != TLY_OK)
		return r;
	crypto_sign_keypair(k->pk, k->sk);
	*keyp = k;
	return TLY_OK;
}

int
tly_key_from_seed(const uint8_t seed[TLY_SEED_LEN], struct tly_key **keyp)
{
	struct tly_key	*k;
	int		 r;

	if ((r = key_alloc(&k)) != TLY_OK)
		return r;
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	*keyp = k;
	return TLY_OK;
}

const uint8_t *
tly_key_public(const struct tly_key *key)
{
	return key->pk;
}

int
tly_key_load(const char *path, struct tly_key **keyp)
{
	struct tly_key	*k = NULL;
	uint8_t		 pk[TLY_PK_LEN];
	char		*line = NULL;
	FILE		*f = NULL;
	size_t		 n;
	int		 r, c;

	*keyp = NULL;
	/* Read the line straight into sodium memory; no stdio buffering. */
	if ((line = sodium_malloc(SEC_LINE_LEN + 1)) == NULL)
		return TLY_E_NOMEM;
	if ((f = fopen(path, "re")) == NULL) {
		r = tly_fail(TLY_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	setvbuf(f, NULL, _IONBF, 0);
	n = fread(line, 1, SEC_LINE_LEN, f);
	c = fgetc(f);
	if (n != SEC_LINE_LEN || c != EOF ||
	    memcmp(line, SEC_WORD, sizeof(SEC_WORD) - 1) != 0 ||
	    line[SEC_LINE_LEN - 1] != '\n') {
		r = tly_fail(TLY_E_KEY, "%s: not a tally secret key file", path);
		goto out;
	}
	if ((r = key_alloc(&k)) != TLY_OK)
		goto out;
	if (tly_unhex(line + sizeof(SEC_WORD) - 1, 4 * TLY_PK_LEN, k->sk,
	    crypto_sign_SECRETKEYBYTES) != TLY_OK) {
		r = tly_fail(TLY_E_KEY, "%s: bad hex in secret key", path);
		goto out;
	}
	/* The public half must match the seed. */
	crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
	{
		uint8_t seed[TLY_SEED_LEN], sk2[64];
		crypto_sign_ed25519_sk_to_seed(seed, k->sk);
		crypto_sign_seed_keypair(pk, sk2, seed);
		sodium_memzero(seed, sizeof(seed));
		sodium_memzero(sk2, sizeof(sk2));
	}
	if (memcmp(pk, k->pk, TLY_PK_LEN) != 0) {
		r = tly_fail(TLY_E_KEY, "%s: public half does not match the "
		    "seed", path);
		goto out;
	}
	*keyp = k;
	k = NULL;		/* transferred */
	r = TLY_OK;
 out:
	if (f != NULL)
		fclose(f);
	sodium_free(line);
	tly_key_free(k);
	return r;
}

int
tly_key_save(const struct tly_key *key, const char *secpath,
    const char *pubpath)
{
	char	*line = NULL, pub[PUB_LINE_LEN + 1];
	int	 r;

	if (access(secpath, F_OK) == 0)
		return tly_fail(TLY_E_IO, "%s: exists; refusing to overwrite "
		    "a key", secpath);
	if ((line = sodium_malloc(SEC_LINE_LEN + 1)) == NULL)
		return TLY_E_NOMEM;
	memcpy(line, SEC_WORD, sizeof(SEC_WORD) - 1);
	sodium_bin2hex(line + sizeof(SEC_WORD) - 1, 4 * TLY_PK_LEN + 1,
	    key->sk, crypto_sign_SECRETKEYBYTES);
	line[SEC_LINE_LEN - 1] = '\n';
	line[SEC_LINE_LEN] = '\0';
	if ((r = tly_file_write_atomic(secpath, line, SEC_LINE_LEN, 0600)) !=
	    TLY_OK)
		goto out;
	if (pubpath != NULL) {
		memcpy(pub, PUB_WORD, sizeof(PUB_WORD) - 1);
		tly_hex(key->pk, TLY_PK_LEN, pub + sizeof(PUB_WORD) - 1);
		pub[PUB_LINE_LEN - 1] = '\n';
		pub[PUB_LINE_LEN] = '\0';
		r = tly_file_write_atomic(pubpath, pub, PUB_LINE_LEN, 0644);
	}
 out:
	sodium_free(line);
	return r;
}

int
tly_key_load_or_create(const char *secpath, struct tly_key **keyp)
{
	struct tly_key	*k = NULL;
	int		 r;

	*keyp = NULL;
	if (access(secpath, F_OK) == 0)
		return tly_key_load(secpath, keyp);
	if ((r = tly_key_generate(&k)) != TLY_OK)
		return r;
	if ((r = tly_key_save(k, secpath, NULL)) != TLY_OK) {
		tly_key_free(k);
		return r;
	}
	*keyp = k;
	return TLY_OK;
}

int
tly_key_sign(const struct tly_key *key, const uint8_t *m, size_t len,
    uint8_t sig[TLY_SIG_LEN])
{
	if (crypto_sign_detached(sig, NULL, m, len, key->sk) != 0)
		return tly_fail(TLY_E_CRYPTO, "signing failed");
	return TLY_OK;
}

int
tly_sig_verify(const uint8_t pk[TLY_PK_LEN], const uint8_t *m, size_t len,
    const uint8_t sig[TLY_SIG_LEN])
{
	if (crypto_sign_verify_detached(sig, m, len, pk) != 0)
		return TLY_E_SIGNATURE;
	return TLY_OK;
}

int
tly_pubkey_parse(const char *text, uint8_t pk[TLY_PK_LEN])
{
	size_t	len = strlen(text);

	if (strncmp(text, PUB_WORD, sizeof(PUB_WORD) - 1) == 0) {
		text += sizeof(PUB_WORD) - 1;
		len -= sizeof(PUB_WORD) - 1;
		if (len > 0 && text[len - 1] == '\n')
			len--;
	}
	if (tly_unhex(text, len, pk, TLY_PK_LEN) != TLY_OK)
		return tly_fail(TLY_E_KEY, "not a public key (64 lowercase "
		    "hex characters)");
	return TLY_OK;
}

int
tly_pubkey_load(const char *path, uint8_t pk[TLY_PK_LEN])
{
	struct tly_buf	b = TLY_BUF_INIT(PUB_LINE_LEN);
	int		r;

	if ((r = tly_buf_read_file(path, PUB_LINE_LEN, &b)) != TLY_OK) {
		if (r == TLY_E_TOO_LARGE)
			r = tly_fail(TLY_E_KEY, "%s: not a tally public key "
			    "file", path);
		goto out;
	}
	if (b.len != PUB_LINE_LEN ||
	    memcmp(b.p, PUB_WORD, sizeof(PUB_WORD) - 1) != 0 ||
	    b.p[b.len - 1] != '\n' ||
	    tly_pubkey_parse((const char *)b.p, pk) != TLY_OK) {
		r = tly_fail(TLY_E_KEY, "%s: not a tally public key file", path);
		goto out;
	}
 out:
	tly_buf_free(&b);
	return r;
}

void
tly_hash(const void *p, size_t len, uint8_t out[TLY_HASH_LEN])
{
	crypto_generichash(out, TLY_HASH_LEN, p, len, NULL, 0);
}

int
tly_hasher_create(struct tly_hasher **hp)
{
	struct tly_hasher *h;

	*hp = NULL;
	if ((h = malloc(sizeof(*h))) == NULL)
		return TLY_E_NOMEM;
	crypto_generichash_init(&h->st, NULL, 0, TLY_HASH_LEN);
	*hp = h;
	return TLY_OK;
}

void
tly_hasher_update(struct tly_hasher *h, const void *p, size_t len)
{
	crypto_generichash_update(&h->st, p, len);
}

void
tly_hasher_final(struct tly_hasher *h, uint8_t out[TLY_HASH_LEN])
{
	crypto_generichash_final(&h->st, out, TLY_HASH_LEN);
}

void
tly_hasher_destroy(struct tly_hasher *h)
{
	free(h);
}

char *
tly_hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
	return out;
}

int
tly_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t outlen)
{
	size_t	i, bin = 0;

	if (hexlen != 2 * outlen)
		return TLY_E_ENCODING;
	for (i = 0; i < hexlen; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return TLY_E_ENCODING;
	if (sodium_hex2bin(out, outlen, hex, hexlen, NULL, &bin, NULL) != 0 ||
	    bin != outlen)
		return TLY_E_ENCODING;
	return TLY_OK;
}

int
tly_b64_encode(const uint8_t *p, size_t n, struct tly_buf *out)
{
	const int	 v = sodium_base64_VARIANT_ORIGINAL;
	size_t		 need;
	char		*tmp;
	int		 r;

	if (n > out->max)
		return tly_fail(TLY_E_TOO_LARGE, "base64 input too large");
	need = sodium_base64_ENCODED_LEN(n, v);		/* includes the NUL */
	if ((tmp = malloc(need)) == NULL)
		return TLY_E_NOMEM;
	sodium_bin2base64(tmp, need, p, n, v);
	r = tly_buf_add(out, tmp, need - 1);
	free(tmp);
	return r;
}

int
tly_b64_decode(const char *s, size_t n, struct tly_buf *out)
{
	uint8_t		*tmp;
	size_t		 bin = 0, cap = n / 4 * 3 + 3;
	const char	*end = NULL;
	int		 r;

	if ((tmp = malloc(cap ? cap : 1)) == NULL)
		return TLY_E_NOMEM;
	if (sodium_base642bin(tmp, cap, s, n, NULL, &bin, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n) {
		free(tmp);
		return tly_fail(TLY_E_ENCODING, "bad base64");
	}
	r = tly_buf_add(out, tmp, bin);
	free(tmp);
	return r;
}

void
tly_random_bytes(void *p, size_t n)
{
	randombytes_buf(p, n);
}

uint32_t
tly_random_uniform(uint32_t upper)
{
	return upper == 0 ? 0 : randombytes_uniform(upper);
}

void
tly_memzero(void *p, size_t n)
{
	sodium_memzero(p, n);
}

int
tly_memeq(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}
