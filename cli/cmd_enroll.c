/*
 * cmd_enroll.c: the keys at both ends of enrollment (PROTOCOL.md 13.2).
 *
 *	tally authority init -o PREFIX [--passphrase-fd N]
 *	tally enroll request --key KEY [--name NAME] [--out REQ]
 *	    [--passphrase-fd N] [--no-qr]
 *	tally enroll install --key KEY [--authority PUB] [--passphrase-fd N]
 *	    CERT
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/trust.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "sync/trust.h"

/* tallyd's key with the packaged datadir (tallyd.conf(5) 'key'). */
#define ENROLL_DEFAULT_KEY	"/var/lib/tallyd/device.key"

/* path with its ".key" suffix (if any) replaced by ext, into out. */
static void
sibling(const char *path, const char *ext, char *out, size_t outlen)
{
	size_t	n = strlen(path);

	if (n > 4 && strcmp(path + n - 4, ".key") == 0)
		n -= 4;
	snprintf(out, outlen, "%.*s%s", (int)n, path, ext);
}

/* Generate a key at sec (and pub), encrypted when passfd >= 0. */
static int
key_create(const char *what, const char *sec, const char *pub, int passfd,
    struct tly_key **keyp)
{
	char	*pass = NULL, why[600];
	size_t	 passlen = 0;
	int	 r;

	*keyp = NULL;
	tly_errclear();
	if ((passfd >= 0 &&
	    (r = tly_passphrase_read_fd(passfd, &pass, &passlen)) != TLY_OK) ||
	    (r = tly_key_generate(keyp)) != TLY_OK ||
	    (r = tly_key_save_pass(*keyp, sec, pub, pass, passlen)) != TLY_OK) {
		cli_err("%s: %s", what, cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		tly_key_free(*keyp);
		*keyp = NULL;
	}
	tly_passphrase_free(pass);
	return r;
}

/*
 * Beside a new device key, its ".fresh" stamp (PROTOCOL.md 9.5): the
 * key's public hex, saying that it has never signed.
 */
static int
fresh_stamp(const char *keypath, const struct tly_key *key)
{
	char	path[TLY_FILE_PATH_MAX + 8], hex[TLY_HEX_PK + 1], why[600];
	int	r;

	sibling(keypath, ".fresh", path, sizeof(path));
	tly_hex(tly_key_public(key), TLY_PK_LEN, hex);
	strcat(hex, "\n");
	tly_errclear();
	if ((r = tly_file_write_atomic(path, hex, strlen(hex), 0600)) !=
	    TLY_OK)
		cli_err("enroll: %s: %s", path, cli_esc(tly_errdetail(), why,
		    sizeof(why)));
	return r;
}

/* tally authority init -o PREFIX [--passphrase-fd N] */
static int
authority_init(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "out",		required_argument,	NULL, 'o' },
		{ "passphrase-fd",	required_argument,	NULL, 'p' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 }
	};
	struct tly_key	*key = NULL;
	struct stat	 st;
	const char	*prefix = NULL;
	char		 sec[TLY_FILE_PATH_MAX + 8], pub[TLY_FILE_PATH_MAX + 8];
	char		 hex[TLY_HEX_PK], fp[96];
	int		 c, passfd = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			prefix = optarg;
			break;
		case 'p':
			if (cli_parse_fd("authority", optarg, &passfd) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			return cli_help("authority");
		default:
			return cli_bad_option("authority", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error("authority", "unexpected argument "
		    "'%s'", argv[optind]);
	if (prefix == NULL || *prefix == '\0' ||
	    strlen(prefix) > TLY_FILE_PATH_MAX)
		return cli_usage_error("authority", "-o PREFIX is required");
	snprintf(sec, sizeof(sec), "%s.key", prefix);
	snprintf(pub, sizeof(pub), "%s.pub", prefix);
	if (lstat(sec, &st) == 0 || lstat(pub, &st) == 0) {
		cli_err("authority: %s: already exists; refusing to overwrite "
		    "a key", lstat(sec, &st) == 0 ? sec : pub);
		return CLI_EXIT_FAIL;
	}
	if (key_create("authority", sec, pub, passfd, &key) != TLY_OK)
		return CLI_EXIT_FAIL;
	printf("authority key: %s\nfingerprint:\n%s\n"
	    "Keep %s offline; give %s to every central and verifier.\n",
	    tly_hex(tly_key_public(key), TLY_PK_LEN, hex),
	    cli_fingerprint(tly_key_public(key), fp), sec, pub);
	tly_key_free(key);
	return CLI_EXIT_OK;
}

int
cmd_authority(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		return cli_help("authority");
	if (argc < 2 || strcmp(argv[1], "init") != 0)
		return cli_usage_error("authority", "a verb is required "
		    "(init)");
	return authority_init(argc - 1, argv + 1);
}

/* tally enroll request: make the key if needed, then the request. */
static int
enroll_request(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "key",		required_argument,	NULL, 'k' },
		{ "name",		required_argument,	NULL, 'n' },
		{ "out",		required_argument,	NULL, 'o' },
		{ "passphrase-fd",	required_argument,	NULL, 'p' },
		{ "no-qr",		no_argument,		NULL, 'q' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 }
	};
	struct tly_key	*key = NULL;
	struct tly_buf	 req = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	const char	*keypath = NULL, *name = NULL, *out = NULL;
	char		 reqpath[TLY_FILE_PATH_MAX + 8], pub[TLY_FILE_PATH_MAX + 8];
	char		 host[TLY_ID_MAX + 1], hex[TLY_HEX_PK], fp[96], why[600];
	int		 c, passfd = -1, qr = 1, ret = CLI_EXIT_FAIL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:n:o:h", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'k':
			keypath = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			if (cli_parse_fd("enroll", optarg, &passfd) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'q':
			qr = 0;
			break;
		case 'h':
			return cli_help("enroll");
		default:
			return cli_bad_option("enroll", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error("enroll", "unexpected argument '%s'",
		    argv[optind]);
	if (keypath == NULL)
		keypath = ENROLL_DEFAULT_KEY;
	if (strlen(keypath) > TLY_FILE_PATH_MAX)
		return cli_usage_error("enroll", "--key KEY is too long");
	if (name == NULL) {
		if (gethostname(host, sizeof(host)) != 0 ||
		    !tly_json_valid_id(host))
			strcpy(host, "device");
		name = host;
	}
	if (!tly_json_valid_id(name))
		return cli_usage_error("enroll", "--name: 1 to 64 of "
		    "A-Z a-z 0-9 . _ -");
	if (out == NULL) {
		sibling(keypath, ".req", reqpath, sizeof(reqpath));
		out = reqpath;
	}
	sibling(keypath, ".pub", pub, sizeof(pub));
	if (access(keypath, F_OK) != 0) {
		if (key_create("enroll", keypath, pub, passfd, &key) != TLY_OK ||
		    fresh_stamp(keypath, key) != TLY_OK)
			goto out;
		printf("new device key: %s\n", keypath);
	} else if (cli_key_load("enroll", keypath, passfd, &key) != TLY_OK)
		goto out;
	tly_errclear();
	if (tly_enroll_seal(key, name, (uint64_t)time(NULL), &req) !=
	    TLY_OK) {
		cli_err("enroll: %s", cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		goto out;
	}
	if (cli_obj_write("enroll", out, &req) != TLY_OK)
		goto out;
	printf("device key: %s\nname: %s\nrequest: %s\n"
	    "fingerprint (read it to the authority):\n%s\n",
	    tly_hex(tly_key_public(key), TLY_PK_LEN, hex), name, out,
	    cli_fingerprint(tly_key_public(key), fp));
	if (qr)
		cli_obj_qr("enroll", req.p, req.len);
	ret = CLI_EXIT_OK;
 out:
	tly_key_free(key);
	tly_buf_free(&req);
	return ret;
}

/* tally enroll install --key KEY [--authority PUB] CERT */
static int
enroll_install(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "key",		required_argument,	NULL, 'k' },
		{ "authority",		required_argument,	NULL, 'a' },
		{ "passphrase-fd",	required_argument,	NULL, 'p' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 }
	};
	struct tly_key	*key = NULL;
	struct tly_cert	*cert = NULL;
	struct tly_buf	 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	const char	*keypath = NULL, *authpath = NULL;
	char		 dst[TLY_FILE_PATH_MAX + 8], why[600];
	uint8_t		 apk[TLY_PK_LEN];
	int		 c, passfd = -1, ret = CLI_EXIT_FAIL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:a:h", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'k':
			keypath = optarg;
			break;
		case 'a':
			authpath = optarg;
			break;
		case 'p':
			if (cli_parse_fd("enroll", optarg, &passfd) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			return cli_help("enroll");
		default:
			return cli_bad_option("enroll", argv, c);
		}
	}
	if (keypath == NULL)
		keypath = ENROLL_DEFAULT_KEY;
	if (strlen(keypath) > TLY_FILE_PATH_MAX || optind + 1 != argc)
		return cli_usage_error("enroll", "install needs one "
		    "certificate file");
	if (authpath != NULL && tly_pubkey_load(authpath, apk) != TLY_OK) {
		cli_err("enroll: %s", cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		goto out;
	}
	if (cli_key_load("enroll", keypath, passfd, &key) != TLY_OK ||
	    cli_obj_read("enroll", argv[optind], &b) != TLY_OK)
		goto out;
	tly_errclear();
	if (tly_cert_parse(b.p, b.len, authpath != NULL ? apk : NULL,
	    &cert) != TLY_OK) {
		cli_err("enroll: %s: %s", argv[optind],
		    cli_esc(tly_errdetail(), why, sizeof(why)));
		goto out;
	}
	if (cert->kind != TLY_CERT_DEVICE) {
		cli_err("enroll: %s: not a device certificate", argv[optind]);
		goto out;
	}
	if (memcmp(cert->key, tly_key_public(key), TLY_PK_LEN) != 0) {
		cli_err("enroll: %s: the certificate is for another key than "
		    "%s", argv[optind], keypath);
		goto out;
	}
	if (cert->not_after < (uint64_t)time(NULL)) {
		cli_err("enroll: %s: expired: certificate %llu ended %s",
		    argv[optind], (unsigned long long)cert->serial,
		    cli_fmt_time(cert->not_after, why, sizeof(why)));
		goto out;
	}
	sibling(keypath, ".cert", dst, sizeof(dst));
	if (cli_obj_write("enroll", dst, &b) != TLY_OK)
		goto out;
	printf("installed %s\n", dst);
	cli_cert_print(cert);
	ret = CLI_EXIT_OK;
 out:
	tly_cert_free(cert);
	tly_key_free(key);
	tly_buf_free(&b);
	return ret;
}

int
cmd_enroll(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		return cli_help("enroll");
	if (argc >= 2 && strcmp(argv[1], "request") == 0)
		return enroll_request(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "install") == 0)
		return enroll_install(argc - 1, argv + 1);
	return cli_usage_error("enroll", "a verb is required (request, "
	    "install)");
}

/* tally authority (tally(1)). */
const struct tly_cmd_entry cmd_authority_entry = {
	.name = "authority",
	.exec = cmd_authority,
	.usage = "init -o prefix [--passphrase-fd n]",
	.options = "  -o, --out PREFIX       write PREFIX.key (mode 0600) and PREFIX.pub\n"
	    "      --passphrase-fd N  encrypt the key under the passphrase read\n"
	    "                         from file descriptor N\n",
	.about = "Make the authority's key pair.  Keep the secret key offline: it\n"
	    "signs the definition, the certificates and the revocation lists.\n",
	.summary = "make the offline authority key",
};

/* tally enroll (tally(1)). */
const struct tly_cmd_entry cmd_enroll_entry = {
	.name = "enroll",
	.exec = cmd_enroll,
	.usage = "request [--key key] [--name name] [--out req] [--no-qr]\n"
	    "       tally enroll install [--key key] [--authority pub] cert",
	.options = "  -k, --key KEY          the device key (request makes it if absent;\n"
	    "                         default " ENROLL_DEFAULT_KEY ",\n"
	    "                         where tallyd looks by default)\n"
	    "  -n, --name NAME        the device's label (default: host name)\n"
	    "  -o, --out REQ          the request file (default: KEY's .req)\n"
	    "      --no-qr            do not draw the request as a QR code\n"
	    "      --authority PUB    install: check the certificate's signer\n"
	    "      --passphrase-fd N  the key's passphrase from descriptor N\n",
	.about = "request: write a signed enrollment request, print the key's\n"
	    "fingerprint and a QR code of the request.  install: check that\n"
	    "CERT certifies KEY and put it beside KEY (KEY's .cert).\n",
	.summary = "request and install a device certificate",
};
