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
#include "common/limits.h"
#include "crypto/crypto.h"

#define PUB_WORD	"tally-ed25519-public "
#define SEC_WORD	"tally-ed25519-secret "
#define PUB_LINE_LEN	(sizeof(PUB_WORD) - 1 + 2 * TLY_PK_LEN + 1)
#define SEC_LINE_LEN	(sizeof(SEC_WORD) - 1 + 4 * TLY_PK_LEN + 1)
#define ENC_WORD	"tally-ed25519-encrypted "
#define ENC_ALG		"argon2id13"
#define ENC_BOX_LEN	(crypto_secretbox_MACBYTES + crypto_sign_SECRETKEYBYTES)
/* The word, pk, alg, two 20-digit numbers, salt, nonce, box, 7 separators. */
#define ENC_LINE_LEN	(sizeof(ENC_WORD) - 1 + 2 * TLY_PK_LEN + \
			 sizeof(ENC_ALG) - 1 + 2 * 20 + \
			 2 * crypto_pwhash_SALTBYTES + \
			 2 * crypto_secretbox_NONCEBYTES + 2 * ENC_BOX_LEN + 7)
#define ENC_OPS_MAX	16			/* a reader's cap */
#define ENC_MEM_MAX	(1024ULL * 1024 * 1024)	/* a reader's cap: 1 GiB */

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

static int	key_from_sk(const uint8_t *, const char *, struct tly_key **);

/* Derive the secretbox key from the passphrase (PROTOCOL.md 2.1). */
static int
pass_key(const char *pass, size_t passlen, const uint8_t *salt,
    unsigned long long ops, size_t mem, uint8_t *k)
{
	if (crypto_pwhash(k, crypto_secretbox_KEYBYTES, pass, passlen, salt,
	    ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return tly_fail(TLY_E_NOMEM, "not enough memory to derive the "
		    "key from the passphrase");
	return TLY_OK;
}

/* The encrypted key line of key under pass, into line (ENC_LINE_LEN + 1). */
static int
key_encrypt(const struct tly_key *key, const char *pass, size_t passlen,
    char *line, size_t *lenp)
{
	uint8_t		 salt[crypto_pwhash_SALTBYTES];
	uint8_t		 nonce[crypto_secretbox_NONCEBYTES];
	uint8_t		 box[ENC_BOX_LEN], *k;
	char		 pk[TLY_HEX_PK], hs[2 * sizeof(salt) + 1];
	char		 hn[2 * sizeof(nonce) + 1], hb[2 * sizeof(box) + 1];
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t		 mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	int		 r, n;

	if (passlen == 0 || passlen > TLY_PASS_MAX)
		return tly_fail(TLY_E_INVAL, "a passphrase has 1 to %d bytes",
		    TLY_PASS_MAX);
	if ((k = sodium_malloc(crypto_secretbox_KEYBYTES)) == NULL)
		return TLY_E_NOMEM;
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if ((r = pass_key(pass, passlen, salt, ops, mem, k)) != TLY_OK)
		goto out;
	crypto_secretbox_easy(box, key->sk, crypto_sign_SECRETKEYBYTES, nonce,
	    k);
	n = snprintf(line, ENC_LINE_LEN + 1, "%s%s %s %llu %zu %s %s %s\n",
	    ENC_WORD, tly_hex(key->pk, TLY_PK_LEN, pk), ENC_ALG, ops, mem,
	    tly_hex(salt, sizeof(salt), hs), tly_hex(nonce, sizeof(nonce), hn),
	    tly_hex(box, sizeof(box), hb));
	if (n < 0 || (size_t)n > ENC_LINE_LEN) {
		r = tly_fail(TLY_E_INVAL, "encrypted key line too long");
		goto out;
	}
	*lenp = (size_t)n;
	r = TLY_OK;
 out:
	sodium_free(k);
	return r;
}

/*
 * Read a decimal number without leading zeros up to the next space:
 * TLY_OK, or TLY_E_KEY with a detail.
 */
static int
dec_field(const char **sp, unsigned long long max, unsigned long long *out)
{
	const char		*s = *sp;
	unsigned long long	 v = 0;
	size_t			 i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i >= 20 || (i == 1 && s[0] == '0'))
			return tly_fail(TLY_E_KEY, "key file: a number is "
			    "malformed");
		if (v > (max - (unsigned long long)(s[i] - '0')) / 10)
			return tly_fail(TLY_E_KEY, "key file: a number is over "
			    "%llu", max);
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (i == 0 || s[i] != ' ')
		return tly_fail(TLY_E_KEY, "key file: a number is missing");
	*sp = s + i + 1;
	*out = v;
	return TLY_OK;
}

/* Read n bytes of hex followed by the byte end: TLY_OK or TLY_E_KEY. */
static int
hex_field(const char **sp, uint8_t *out, size_t n, char end)
{
	const char	*s = *sp;

	if (strnlen(s, 2 * n + 1) < 2 * n + 1 || s[2 * n] != end ||
	    tly_unhex(s, 2 * n, out, n) != TLY_OK)
		return tly_fail(TLY_E_KEY, "key file: a field is not %zu "
		    "bytes of hex", n);
	*sp = s + 2 * n + 1;
	return TLY_OK;
}

/* Decrypt the encrypted key line[0..n) with pass. */
static int
key_decrypt(const char *path, const char *line, size_t n, const char *pass,
    size_t passlen, struct tly_key **keyp)
{
	uint8_t		 pk[TLY_PK_LEN], salt[crypto_pwhash_SALTBYTES];
	uint8_t		 nonce[crypto_secretbox_NONCEBYTES], box[ENC_BOX_LEN];
	uint8_t		*k = NULL, *sk = NULL;
	const char	*s = line + sizeof(ENC_WORD) - 1;
	unsigned long long ops, mem;
	int		 r;

	if (line[n - 1] != '\n' || strlen(line) != n ||
	    hex_field(&s, pk, sizeof(pk), ' ') != 0 ||
	    strncmp(s, ENC_ALG " ", sizeof(ENC_ALG)) != 0 ||
	    (s += sizeof(ENC_ALG), dec_field(&s, ENC_OPS_MAX, &ops)) != 0 ||
	    dec_field(&s, ENC_MEM_MAX, &mem) != 0 ||
	    ops < crypto_pwhash_OPSLIMIT_MIN ||
	    mem < crypto_pwhash_MEMLIMIT_MIN ||
	    hex_field(&s, salt, sizeof(salt), ' ') != 0 ||
	    hex_field(&s, nonce, sizeof(nonce), ' ') != 0 ||
	    hex_field(&s, box, sizeof(box), '\n') != 0 || *s != '\0')
		return tly_fail(TLY_E_KEY, "%s: not a tally encrypted key file",
		    path);
	if ((k = sodium_malloc(crypto_secretbox_KEYBYTES)) == NULL ||
	    (sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	if ((r = pass_key(pass, passlen, salt, ops, (size_t)mem, k)) !=
	    TLY_OK)
		goto out;
	if (crypto_secretbox_open_easy(sk, box, sizeof(box), nonce, k) != 0) {
		r = tly_fail(TLY_E_KEY, "%s: wrong passphrase (or a damaged "
		    "key file)", path);
		goto out;
	}
	if ((r = key_from_sk(sk, path, keyp)) == TLY_OK &&
	    memcmp(pk, (*keyp)->pk, TLY_PK_LEN) != 0) {
		tly_key_free(*keyp);
		*keyp = NULL;
		r = tly_fail(TLY_E_KEY, "%s: the public key in clear does not "
		    "match the sealed key", path);
	}
 out:
	sodium_free(k);
	sodium_free(sk);
	return r;
}

int
tly_key_file_encrypted(const char *path)
{
	char	buf[sizeof(ENC_WORD) - 1];
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "re")) == NULL)
		return tly_fail(TLY_E_IO, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return n == sizeof(buf) && memcmp(buf, ENC_WORD, n) == 0;
}

int
tly_passphrase_read_fd(int fd, char **passp, size_t *lenp)
{
	char	*p;
	size_t	 n = 0;
	ssize_t	 k;

	*passp = NULL;
	*lenp = 0;
	if ((p = sodium_malloc(TLY_PASS_MAX + 2)) == NULL)
		return TLY_E_NOMEM;
	for (;;) {
		k = read(fd, p + n, TLY_PASS_MAX + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			sodium_free(p);
			return tly_fail(TLY_E_IO, "passphrase fd %d: %s", fd,
			    strerror(errno));
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > TLY_PASS_MAX) {
			sodium_free(p);
			return tly_fail(TLY_E_TOO_LARGE, "passphrase: more "
			    "than %d bytes", TLY_PASS_MAX);
		}
	}
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0) {
		sodium_free(p);
		return tly_fail(TLY_E_INVAL, "passphrase fd %d: empty", fd);
	}
	p[n] = '\0';
	*passp = p;
	*lenp = n;
	return TLY_OK;
}

void
tly_passphrase_free(char *pass)
{
	sodium_free(pass);	/* NULL-safe; wipes */
}

/* Build a key from the 64 secret bytes sk64 (seed, then public key),
 * checking that the public half matches the seed. */
static int
key_from_sk(const uint8_t *sk64, const char *path, struct tly_key **keyp)
{
	struct tly_key	*k = NULL;
	uint8_t		 pk[TLY_PK_LEN], seed[TLY_SEED_LEN], sk2[64];
	int		 r;

	*keyp = NULL;
	if ((r = key_alloc(&k)) != TLY_OK)
		return r;
	memcpy(k->sk, sk64, crypto_sign_SECRETKEYBYTES);
	crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
	crypto_sign_ed25519_sk_to_seed(seed, k->sk);
	crypto_sign_seed_keypair(pk, sk2, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk2, sizeof(sk2));
	if (memcmp(pk, k->pk, TLY_PK_LEN) != 0) {
		tly_key_free(k);
		return tly_fail(TLY_E_KEY, "%s: public half does not match the "
		    "seed", path);
	}
	*keyp = k;
	return TLY_OK;
}

/* Read the whole key file (at most max bytes) into sodium memory. */
static int
key_read(const char *path, char **linep, size_t *lenp, size_t max)
{
	char	*line;
	FILE	*f;
	size_t	 n;
	int	 c;

	*linep = NULL;
	*lenp = 0;
	if ((line = sodium_malloc(max + 1)) == NULL)
		return TLY_E_NOMEM;
	if ((f = fopen(path, "re")) == NULL) {
		sodium_free(line);
		return tly_fail(TLY_E_IO, "%s: %s", path, strerror(errno));
	}
	setvbuf(f, NULL, _IONBF, 0);	/* no stdio copy of the secret */
	n = fread(line, 1, max, f);
	c = fgetc(f);
	fclose(f);
	if (c != EOF) {
		sodium_free(line);
		return tly_fail(TLY_E_KEY, "%s: not a tally secret key file",
		    path);
	}
	line[n] = '\0';
	*linep = line;
	*lenp = n;
	return TLY_OK;
}

int
tly_key_load(const char *path, struct tly_key **keyp)
{
	return tly_key_load_pass(path, NULL, 0, keyp);
}

int
tly_key_load_pass(const char *path, const char *pass, size_t passlen,
    struct tly_key **keyp)
{
	char	*line = NULL;
	size_t	 n;
	int	 r;

	*keyp = NULL;
	if ((r = key_read(path, &line, &n, ENC_LINE_LEN)) != TLY_OK)
		return r;
	r = tly_key_parse(path, line, n, pass, passlen, keyp);
	sodium_free(line);
	return r;
}

int
tly_key_parse(const char *name, const char *line, size_t n,
    const char *pass, size_t passlen, struct tly_key **keyp)
{
	uint8_t	*sk = NULL;
	int	 r;

	*keyp = NULL;
	if (n > sizeof(ENC_WORD) - 1 &&
	    memcmp(line, ENC_WORD, sizeof(ENC_WORD) - 1) == 0) {
		if (pass == NULL)
			return tly_fail(TLY_E_KEY, "%s: the key is encrypted; "
			    "a passphrase is needed", name);
		return key_decrypt(name, line, n, pass, passlen, keyp);
	}
	if (n != SEC_LINE_LEN ||
	    memcmp(line, SEC_WORD, sizeof(SEC_WORD) - 1) != 0 ||
	    line[SEC_LINE_LEN - 1] != '\n')
		return tly_fail(TLY_E_KEY, "%s: not a tally secret key file",
		    name);
	if ((sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		return TLY_E_NOMEM;
	if (tly_unhex(line + sizeof(SEC_WORD) - 1, 4 * TLY_PK_LEN, sk,
	    crypto_sign_SECRETKEYBYTES) != TLY_OK)
		r = tly_fail(TLY_E_KEY, "%s: bad hex in secret key", name);
	else
		r = key_from_sk(sk, name, keyp);
	sodium_free(sk);
	return r;
}

/* Write the secret line (already built) and the public file. */
static int
key_write(const struct tly_key *key, const char *secpath,
    const char *pubpath, const char *line, size_t len)
{
	char	pub[PUB_LINE_LEN + 1];
	int	r;

	if ((r = tly_file_write_atomic(secpath, line, len, 0600)) != TLY_OK ||
	    pubpath == NULL)
		return r;
	memcpy(pub, PUB_WORD, sizeof(PUB_WORD) - 1);
	tly_hex(key->pk, TLY_PK_LEN, pub + sizeof(PUB_WORD) - 1);
	pub[PUB_LINE_LEN - 1] = '\n';
	pub[PUB_LINE_LEN] = '\0';
	return tly_file_write_atomic(pubpath, pub, PUB_LINE_LEN, 0644);
}

int
tly_key_save(const struct tly_key *key, const char *secpath,
    const char *pubpath)
{
	return tly_key_save_pass(key, secpath, pubpath, NULL, 0);
}

int
tly_key_save_pass(const struct tly_key *key, const char *secpath,
    const char *pubpath, const char *pass, size_t passlen)
{
	char	*line = NULL;
	size_t	 len;
	int	 r;

	if (access(secpath, F_OK) == 0)
		return tly_fail(TLY_E_IO, "%s: exists; refusing to overwrite "
		    "a key", secpath);
	if ((line = sodium_malloc(ENC_LINE_LEN + 1)) == NULL)
		return TLY_E_NOMEM;
	if (pass != NULL) {
		if ((r = key_encrypt(key, pass, passlen, line, &len)) != TLY_OK)
			goto out;
	} else {
		memcpy(line, SEC_WORD, sizeof(SEC_WORD) - 1);
		tly_hex(key->sk, crypto_sign_SECRETKEYBYTES,
		    line + sizeof(SEC_WORD) - 1);
		line[SEC_LINE_LEN - 1] = '\n';
		line[SEC_LINE_LEN] = '\0';
		len = SEC_LINE_LEN;
	}
	r = key_write(key, secpath, pubpath, line, len);
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
tly_pubkey_parse_file(const uint8_t *p, size_t len, uint8_t pk[TLY_PK_LEN])
{
	char	line[PUB_LINE_LEN + 1];

	if (len != PUB_LINE_LEN ||
	    memcmp(p, PUB_WORD, sizeof(PUB_WORD) - 1) != 0 ||
	    p[len - 1] != '\n')
		return tly_fail(TLY_E_KEY, "not a tally public key file");
	memcpy(line, p, len);
	line[len] = '\0';
	if (tly_pubkey_parse(line, pk) != TLY_OK)
		return tly_fail(TLY_E_KEY, "not a tally public key file");
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
	if ((r = tly_pubkey_parse_file(b.p, b.len, pk)) != TLY_OK)
		r = tly_fail(r, "%s: %s", path, tly_errdetail());
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
