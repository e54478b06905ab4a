/*
 * cmd_keygen.c: tally keygen -o PREFIX: make a key pair for a device or
 * a central (PROTOCOL.md 2).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"

/* The longest prefix accepted, leaving room for ".key". */

int
cmd_keygen(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "out",	required_argument,	NULL, 'o' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct tly_key			*key = NULL;
	struct tly_buf			 out = TLY_BUF_INIT(16384);
	struct tly_jw			 w;
	struct stat			 st;
	const char			*prefix = NULL;
	char				 sec[TLY_FILE_PATH_MAX + 8];
	char				 pub[TLY_FILE_PATH_MAX + 8];
	char				 hex[TLY_HEX_PK], why[600];
	int				 c, json = 0, r, ret = CLI_EXIT_FAIL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			prefix = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help("keygen");
		default:
			return cli_bad_option("keygen", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error("keygen", "unexpected argument '%s'",
		    argv[optind]);
	if (prefix == NULL || *prefix == '\0')
		return cli_usage_error("keygen", "-o PREFIX is required");
	if (strlen(prefix) > TLY_FILE_PATH_MAX)
		return cli_usage_error("keygen", "prefix too long");
	snprintf(sec, sizeof(sec), "%s.key", prefix);
	snprintf(pub, sizeof(pub), "%s.pub", prefix);

	/* Refuse before generating anything; tly_key_save checks again. */
	if (lstat(sec, &st) == 0 || lstat(pub, &st) == 0) {
		cli_err("keygen: %s: already exists; refusing to overwrite "
		    "a key", lstat(sec, &st) == 0 ? sec : pub);
		goto out;
	}
	tly_errclear();
	if ((r = tly_key_generate(&key)) != TLY_OK) {
		cli_err("keygen: %s", cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		goto out;
	}
	tly_errclear();
	if ((r = tly_key_save(key, sec, pub)) != TLY_OK) {
		cli_err("keygen: %s: %s", sec, cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		goto out;
	}
	tly_hex(tly_key_public(key), TLY_PK_LEN, hex);
	if (json) {
		tly_jw_init(&w, &out);
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "key");
		tly_jw_str(&w, hex);
		tly_jw_key(&w, "secret");
		tly_jw_str(&w, sec);
		tly_jw_key(&w, "public");
		tly_jw_str(&w, pub);
		tly_jw_obj_close(&w);
		if (tly_jw_finish(&w) != TLY_OK) {
			cli_err("keygen: cannot write JSON");
			goto out;
		}
		ret = cli_print_buf(&out);
	} else {
		printf("%s\n", hex);
		/* The trap: a key the servers never read (README "Using it"). */
		fprintf(stderr, "keygen: note: tally-central signs with "
		    "DATADIR/central.key and tallyd with DATADIR/device.key "
		    "unless their 'key' setting names %s\n", sec);
		ret = CLI_EXIT_OK;
	}
 out:
	tly_key_free(key);
	tly_buf_free(&out);
	return ret;
}

/* tally keygen (tally(1)). */
const struct tly_cmd_entry cmd_keygen_entry = {
	.name = "keygen",
	.exec = cmd_keygen,
	.usage = "-o prefix [--json]",
	.options = "  -o, --out PREFIX  write PREFIX.key (mode 0600) and PREFIX.pub\n"
	    "      --json        print the result as JSON\n",
	.about = "Generate an Ed25519 key pair and print its key id.  An existing\n"
	    "key file is never overwritten.  tally-central and tallyd create\n"
	    "their own keys in their data directories (DATADIR/central.key,\n"
	    "DATADIR/device.key) and use another file only when their 'key'\n"
	    "setting names it.\n",
	.summary = "generate a device or central key pair",
};
