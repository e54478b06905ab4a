/*
 * cmd_link.c: tally check-link: prove the link to the central before
 * election night (PROTOCOL.md 8.8): a random nonce that the central signs
 * with its key, checked against the key the laptop is configured with.
 * Through tallyd (its central and key; the time is remembered as the
 * last proven contact) or straight to --central URL with --central-key.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"
#include "crypto/crypto.h"
#include "sync/link.h"

#define LINK_TIMEOUT_S	15	/* the check's whole call */
#define LINK_WAIT_S	45	/* tallyd's answer, which includes it */

/* Print a proven link. */
static void
print_ok(const char *url, const char *keyhex, uint64_t ms)
{
	char	esc[1024], k[TLY_HEX_PK + 4];

	printf("link: ok: the central at %s answered and signed with its "
	    "key %s (%llu ms)\n", cli_esc(url, esc, sizeof(esc)),
	    cli_esc(keyhex, k, sizeof(k)), (unsigned long long)ms);
}

/* tally check-link --central URL --central-key FILE */
static int
link_direct(const char *url, const char *keyfile, int json)
{
	struct tly_link_result	 lr;
	uint8_t			 pk[TLY_PK_LEN];
	char			 hex[TLY_HEX_PK], esc[1024];
	int			 r;

	if (tly_pubkey_load(keyfile, pk) != TLY_OK) {
		cli_err("check-link: %s: %s", cli_esc(keyfile, esc,
		    sizeof(esc)), tly_errdetail());
		return CLI_EXIT_FAIL;
	}
	if (tly_http_global_init() != TLY_OK) {
		cli_err("cannot initialise the HTTP client");
		return CLI_EXIT_FAIL;
	}
	r = tly_link_check(url, pk, 0, LINK_TIMEOUT_S, NULL, &lr);
	tly_hex(pk, TLY_PK_LEN, hex);
	if (json) {
		printf("{\"ok\":%s,\"ms\":%llu}\n", r == TLY_OK ? "true" :
		    "false", (unsigned long long)lr.ms);
	} else if (r == TLY_OK)
		print_ok(url, hex, lr.ms);
	if (r != TLY_OK)
		cli_err("check-link: %s", cli_esc(lr.error, esc, sizeof(esc)));
	return r == TLY_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* tally check-link, through tallyd. */
static int
link_daemon(int json)
{
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	uint64_t		 ms;
	char			 esc[1024];
	int			 ret = CLI_EXIT_FAIL, ok = 0;

	if (cli_daemon("POST", "/v1/check-link", NULL, NULL, 0, 0,
	    LINK_WAIT_S, &res) != TLY_OK)
		goto out;
	if (res.status != 200) {
		cli_http_fail("check-link", &res);
		goto out;
	}
	if (cli_json_body("check-link", &res, &root) != TLY_OK)
		goto out;
	if (tly_json_bool(tly_json_get(root, "ok"), "ok", &ok) != TLY_OK)
		ok = 0;
	if (json && cli_print_buf(&res.body) != CLI_EXIT_OK)
		goto out;
	if (!ok) {
		cli_err("check-link: %s", cli_esc(cli_jstr(root, "error") ?
		    cli_jstr(root, "error") : "the link is not proven", esc,
		    sizeof(esc)));
		goto out;
	}
	if (!json) {
		if (!cli_juint(root, "ms", &ms))
			ms = 0;
		print_ok(cli_jstr(root, "central"), cli_jstr(root, "key"), ms);
	}
	ret = CLI_EXIT_OK;
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}

int
cmd_check_link(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "central",	 required_argument,	NULL, 'C' },
		{ "central-key", required_argument,	NULL, 'K' },
		{ "json",	 no_argument,		NULL, 'j' },
		{ "help",	 no_argument,		NULL, 'h' },
		{ NULL,		 0,			NULL, 0 }
	};
	const char			*url = NULL, *keyfile = NULL;
	int				 c, json = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			url = optarg;
			break;
		case 'K':
			keyfile = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help("check-link");
		default:
			return cli_bad_option("check-link", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error("check-link", "unexpected argument '%s'",
		    argv[optind]);
	if ((url == NULL) != (keyfile == NULL))
		return cli_usage_error("check-link", "--central and "
		    "--central-key go together");
	if (url != NULL)
		return link_direct(url, keyfile, json);
	return link_daemon(json);
}

/* tally check-link (tally(1)). */
const struct tly_cmd_entry cmd_check_link_entry = {
	.name = "check-link",
	.exec = cmd_check_link,
	.usage = "[--central url --central-key pubfile] [--json]",
	.options = "      --central URL      check this central instead of tallyd's\n"
	    "      --central-key FILE the public key it must sign with\n"
	    "      --json             print the outcome as JSON\n",
	.about = "Prove the link to the central: it signs a random challenge with\n"
	    "its key, checked against the configured key.  Through tallyd, the\n"
	    "time is kept and shown by 'tally status'.\n",
	.summary = "prove the address, key and path of the central",
};
