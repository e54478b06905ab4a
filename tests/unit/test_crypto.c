/*
 * test_crypto.c: Ed25519 against RFC 8032 section 7.1, BLAKE2b-256
 * against RFC 7693 / reference values, key files, encodings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "crypto/crypto.h"

struct rfc8032 {
	const char	*seed, *pk, *msg, *sig;
};

/* RFC 8032 section 7.1, Ed25519 tests 1, 2, 3 and SHA(abc). */
static const struct rfc8032 vectors[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	  "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	{ "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
	  "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
	  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	  "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};

static void
unhex_or_die(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(tly_unhex(hex, strlen(hex), out, n), TLY_OK);
}

static void
test_rfc8032_sign_and_verify(void **state)
{
	size_t	i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct rfc8032 *v = &vectors[i];
		uint8_t seed[32], pk[32], sig[64], want[64], msg[64];
		size_t mlen = strlen(v->msg) / 2;
		struct tly_key *k = NULL;

		unhex_or_die(v->seed, seed, 32);
		unhex_or_die(v->pk, pk, 32);
		unhex_or_die(v->sig, want, 64);
		if (mlen)
			unhex_or_die(v->msg, msg, mlen);
		assert_int_equal(tly_key_from_seed(seed, &k), TLY_OK);
		assert_memory_equal(tly_key_public(k), pk, 32);
		assert_int_equal(tly_key_sign(k, msg, mlen, sig), TLY_OK);
		assert_memory_equal(sig, want, 64);
		assert_int_equal(tly_sig_verify(pk, msg, mlen, sig), TLY_OK);
		tly_key_free(k);
	}
}

/* Required failures: flipped byte in message or signature, wrong key. */
static void
test_rfc8032_required_failures(void **state)
{
	const struct rfc8032 *v = &vectors[2];
	uint8_t pk[32], sig[64], msg[2], other[32];

	unhex_or_die(v->pk, pk, 32);
	unhex_or_die(v->sig, sig, 64);
	unhex_or_die(v->msg, msg, 2);
	unhex_or_die(vectors[1].pk, other, 32);

	msg[0] ^= 1;
	assert_int_equal(tly_sig_verify(pk, msg, 2, sig), TLY_E_SIGNATURE);
	msg[0] ^= 1;
	sig[10] ^= 0x80;
	assert_int_equal(tly_sig_verify(pk, msg, 2, sig), TLY_E_SIGNATURE);
	sig[10] ^= 0x80;
	assert_int_equal(tly_sig_verify(other, msg, 2, sig), TLY_E_SIGNATURE);
	/* Truncated message (one byte short). */
	assert_int_equal(tly_sig_verify(pk, msg, 1, sig), TLY_E_SIGNATURE);
	/* Non-canonical S (S + L) must be rejected: set the top bits of S. */
	sig[63] |= 0xf0;
	assert_int_equal(tly_sig_verify(pk, msg, 2, sig), TLY_E_SIGNATURE);
}

static void
test_blake2b_256(void **state)
{
	uint8_t			 h[32], h2[32];
	char			 hex[65];
	struct tly_hasher	*st = NULL;

	tly_hash("", 0, h);
	assert_string_equal(tly_hex(h, 32, hex),
	    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	tly_hash("abc", 3, h);
	assert_string_equal(tly_hex(h, 32, hex),
	    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	/* Incremental hashing gives the same digest. */
	assert_int_equal(tly_hasher_create(&st), TLY_OK);
	tly_hasher_update(st, "a", 1);
	tly_hasher_update(st, "bc", 2);
	tly_hasher_final(st, h2);
	tly_hasher_destroy(st);
	assert_memory_equal(h, h2, 32);
}

static void
test_hex_strict(void **state)
{
	uint8_t	out[2];

	assert_int_equal(tly_unhex("0aff", 4, out, 2), TLY_OK);
	assert_int_equal(out[0], 0x0a);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(tly_unhex("0AFF", 4, out, 2), TLY_E_ENCODING);
	assert_int_equal(tly_unhex("0af", 3, out, 2), TLY_E_ENCODING);
	assert_int_equal(tly_unhex("0afg", 4, out, 2), TLY_E_ENCODING);
}

static void
test_base64(void **state)
{
	struct tly_buf	b = TLY_BUF_INIT(1024), d = TLY_BUF_INIT(1024);

	assert_int_equal(tly_b64_encode((const uint8_t *)"hello", 5, &b),
	    TLY_OK);
	assert_string_equal((char *)b.p, "aGVsbG8=");
	assert_int_equal(tly_b64_decode((char *)b.p, b.len, &d), TLY_OK);
	assert_int_equal(d.len, 5);
	assert_memory_equal(d.p, "hello", 5);
	tly_buf_reset(&d);
	assert_int_equal(tly_b64_decode("aGVsbG8", 7, &d), TLY_E_ENCODING);
	assert_int_equal(tly_b64_decode("aGV$bG8=", 8, &d), TLY_E_ENCODING);
	tly_buf_free(&b);
	tly_buf_free(&d);
}

static void
test_key_files(void **state)
{
	char		 dir[] = "/tmp/tally-test-key.XXXXXX", sec[256], pub[256];
	struct tly_key	*k = NULL, *k2 = NULL;
	uint8_t		 pk[32];
	struct stat	 st;
	FILE		*f;

	assert_non_null(mkdtemp(dir));
	snprintf(sec, sizeof(sec), "%s/k.key", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	assert_int_equal(tly_key_generate(&k), TLY_OK);
	assert_int_equal(tly_key_save(k, sec, pub), TLY_OK);
	assert_int_equal(stat(sec, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never overwrite a key. */
	assert_int_equal(tly_key_save(k, sec, pub), TLY_E_IO);
	assert_int_equal(tly_key_load(sec, &k2), TLY_OK);
	assert_memory_equal(tly_key_public(k2), tly_key_public(k), 32);
	assert_int_equal(tly_pubkey_load(pub, pk), TLY_OK);
	assert_memory_equal(pk, tly_key_public(k), 32);
	tly_key_free(k2);

	/* A secret file whose public half does not match is refused. */
	{
		char line[256];
		f = fopen(sec, "r");
		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		/* Change one hex digit of the public half. */
		char *c = &line[strlen("tally-ed25519-secret ") + 70];
		*c = *c == '0' ? '1' : '0';
		unlink(sec);
		f = fopen(sec, "w");
		fputs(line, f);
		fclose(f);
		k2 = NULL;
		assert_int_equal(tly_key_load(sec, &k2), TLY_E_KEY);
		assert_null(k2);
	}
	/* Trailing bytes, wrong word. */
	f = fopen(pub, "a");
	fputs("x", f);
	fclose(f);
	assert_int_equal(tly_pubkey_load(pub, pk), TLY_E_KEY);
	f = fopen(sec, "w");
	fputs("ssh-ed25519 AAAA\n", f);
	fclose(f);
	assert_int_equal(tly_key_load(sec, &k2), TLY_E_KEY);

	/* load_or_create creates once, then loads the same key. */
	unlink(sec);
	assert_int_equal(tly_key_load_or_create(sec, &k2), TLY_OK);
	{
		struct tly_key *k3 = NULL;
		assert_int_equal(tly_key_load_or_create(sec, &k3), TLY_OK);
		assert_memory_equal(tly_key_public(k2), tly_key_public(k3), 32);
		tly_key_free(k3);
	}
	tly_key_free(k2);
	tly_key_free(k);
	unlink(sec);
	unlink(pub);
	rmdir(dir);
}

/* Rewrite path with line (for damaging a key file). */
static void
write_line(const char *path, const char *line)
{
	FILE	*f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(line, f);
	fclose(f);
}

/* An encrypted key file: the right passphrase, the wrong one, none,
 * a damaged file, and a passphrase read from a file descriptor. */
static void
test_key_passphrase(void **state)
{
	char		 dir[] = "/tmp/tally-test-pass.XXXXXX", sec[256], pub[256];
	char		 line[1100], orig[1024], *pass = NULL, *c;
	struct tly_key	*k = NULL, *k2 = NULL;
	uint8_t		 pk[32];
	size_t		 plen;
	int		 fds[2];
	FILE		*f;

	assert_non_null(mkdtemp(dir));
	snprintf(sec, sizeof(sec), "%s/k.key", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	assert_int_equal(tly_key_generate(&k), TLY_OK);
	assert_int_equal(tly_key_save_pass(k, sec, pub, "open sesame", 11),
	    TLY_OK);
	assert_int_equal(tly_key_file_encrypted(sec), 1);
	assert_int_equal(tly_key_file_encrypted(pub), 0);
	assert_int_equal(tly_pubkey_load(pub, pk), TLY_OK);
	assert_memory_equal(pk, tly_key_public(k), 32);

	/* The file holds no secret in clear. */
	f = fopen(sec, "r");
	assert_non_null(f);
	assert_non_null(fgets(orig, sizeof(orig), f));
	fclose(f);
	assert_int_equal(strncmp(orig, "tally-ed25519-encrypted ", 24), 0);
	assert_non_null(strstr(orig, " argon2id13 "));

	assert_int_equal(tly_key_load_pass(sec, "open sesame", 11, &k2),
	    TLY_OK);
	assert_memory_equal(tly_key_public(k2), tly_key_public(k), 32);
	tly_key_free(k2);
	k2 = NULL;
	assert_int_equal(tly_key_load_pass(sec, "open sesamE", 11, &k2),
	    TLY_E_KEY);
	assert_non_null(strstr(tly_errdetail(), "wrong passphrase"));
	assert_null(k2);
	assert_int_equal(tly_key_load(sec, &k2), TLY_E_KEY);
	assert_non_null(strstr(tly_errdetail(), "passphrase is needed"));

	/* A flipped box byte, another public key in clear, trailing data. */
	strcpy(line, orig);
	c = line + strlen(line) - 5;
	*c = *c == '0' ? '1' : '0';
	write_line(sec, line);
	assert_int_equal(tly_key_load_pass(sec, "open sesame", 11, &k2),
	    TLY_E_KEY);
	strcpy(line, orig);
	c = line + 24 + 3;
	*c = *c == '0' ? '1' : '0';
	write_line(sec, line);
	assert_int_equal(tly_key_load_pass(sec, "open sesame", 11, &k2),
	    TLY_E_KEY);
	snprintf(line, sizeof(line), "%sx", orig);
	write_line(sec, line);
	assert_int_equal(tly_key_load_pass(sec, "open sesame", 11, &k2),
	    TLY_E_KEY);
	/* An opslimit over the reader's cap is refused before any work. */
	strcpy(line, orig);
	c = strstr(line, " argon2id13 ") + 12;
	assert_true(*c >= '1' && *c <= '9' && c[1] == ' ');
	memmove(c + 2, c, strlen(c) + 1);
	memcpy(c, "99", 2);
	write_line(sec, line);
	assert_int_equal(tly_key_load_pass(sec, "open sesame", 11, &k2),
	    TLY_E_KEY);
	assert_non_null(strstr(tly_errdetail(), "not a tally encrypted"));

	/* The passphrase from a pipe, with its final newline dropped. */
	write_line(sec, orig);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "open sesame\n", 12), 12);
	close(fds[1]);
	assert_int_equal(tly_passphrase_read_fd(fds[0], &pass, &plen), TLY_OK);
	close(fds[0]);
	assert_int_equal(plen, 11);
	assert_int_equal(tly_key_load_pass(sec, pass, plen, &k2), TLY_OK);
	tly_passphrase_free(pass);
	tly_key_free(k2);
	/* An empty passphrase is refused. */
	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	assert_int_equal(tly_passphrase_read_fd(fds[0], &pass, &plen),
	    TLY_E_INVAL);
	close(fds[0]);
	tly_key_free(k);
	unlink(sec);
	unlink(pub);
	rmdir(dir);
}

/* The key file parsers over bytes, as the fuzz target drives them. */
static void
test_key_parse_bytes(void **state)
{
	static const uint8_t	 seed[32] = { 1 };
	struct tly_key		*k = NULL, *k2 = NULL;
	char			 line[200], hex[65];
	uint8_t			 pk[32];
	size_t			 n;

	assert_int_equal(tly_key_from_seed(seed, &k), TLY_OK);
	tly_hex(tly_key_public(k), 32, hex);
	n = (size_t)snprintf(line, sizeof(line), "tally-ed25519-public %s\n",
	    hex);
	assert_int_equal(tly_pubkey_parse_file((uint8_t *)line, n, pk),
	    TLY_OK);
	assert_memory_equal(pk, tly_key_public(k), 32);
	/* No newline, a trailing byte, a bare hex line: not a file. */
	assert_int_equal(tly_pubkey_parse_file((uint8_t *)line, n - 1, pk),
	    TLY_E_KEY);
	line[n] = '\n';
	assert_int_equal(tly_pubkey_parse_file((uint8_t *)line, n + 1, pk),
	    TLY_E_KEY);
	assert_int_equal(tly_pubkey_parse_file((uint8_t *)hex, 64, pk),
	    TLY_E_KEY);
	/* A secret file is refused with any length but its own. */
	memcpy(line, "tally-ed25519-secret ", 22);
	assert_int_equal(tly_key_parse("x", line, 21, NULL, 0, &k2),
	    TLY_E_KEY);
	assert_null(k2);
	assert_string_equal(tly_errdetail(), "x: not a tally secret key file");
	assert_int_equal(tly_key_parse("x", line, 0, NULL, 0, &k2), TLY_E_KEY);
	assert_null(k2);
	tly_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8032_sign_and_verify),
		cmocka_unit_test(test_rfc8032_required_failures),
		cmocka_unit_test(test_blake2b_256),
		cmocka_unit_test(test_hex_strict),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_key_parse_bytes),
		cmocka_unit_test(test_key_passphrase),
	};

	if (tly_crypto_init() != TLY_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
