/*
 * cmd_pair.c: tally pair: the team's phones on tallyd's lan-listen
 * (PROTOCOL.md 9.6), for a clerk without the browser.
 *
 *	tally pair code [--no-qr] [--json]
 *	tally pair list [--json]
 *	tally pair revoke ID [--json]
 *
 * code opens a pairing code and shows it with the phones' address and
 * the certificate's fingerprint (and a QR code of the address); list
 * shows the paired phones; revoke forgets one.  All through tallyd's
 * local API: GET /v1/pairings, POST /v1/pairings/code and DELETE
 * /v1/pairings/{id}.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/trust.h"
#include "common/err.h"
#include "common/json.h"
#include "common/pairtext.h"

#define PAIR_RESP_MAX	(64 * 1024)	/* the largest answer read */
#define PAIR_WAIT_S	15		/* tallyd's answer */

/*
 * Call tallyd (method path), require 200, and parse the answer into
 * *rootp; what names the command in errors.  TLY_OK or an error
 * (reported).  res is the caller's to free.
 */
static int
pair_call(const char *what, const char *method, const char *path,
    struct tly_http_result *res, struct tly_json **rootp)
{
	int	r;

	*rootp = NULL;
	if ((r = cli_daemon(method, path, NULL, NULL, 0, PAIR_RESP_MAX,
	    PAIR_WAIT_S, res)) != TLY_OK)
		return r;
	if (res->status != 200) {
		cli_http_fail(what, res);
		return TLY_E_NET;
	}
	return cli_json_body(what, res, rootp);
}

/* tally pair code: open a code and show how to pair a phone. */
static int
pair_code(int qr, int json)
{
	struct tly_http_result	 res, res2;
	struct tly_json		*info = NULL, *code = NULL;
	struct tly_buf		 b = TLY_BUF_INIT(PAIR_RESP_MAX);
	struct tly_jw		 w;
	const char		*url, *fp, *c;
	uint64_t		 until;
	char			 eu[256], ef[128], ec[16], t[64];
	int			 ret = CLI_EXIT_FAIL;

	memset(&res2, 0, sizeof(res2));
	if (pair_call("pair code", "GET", "/v1/pairings", &res, &info) !=
	    TLY_OK)
		goto out;
	if ((url = cli_jstr(info, "url")) == NULL ||
	    (fp = cli_jstr(info, "fingerprint")) == NULL) {
		cli_err("pair code: bad response: no url or fingerprint");
		goto out;
	}
	if (pair_call("pair code", "POST", "/v1/pairings/code", &res2,
	    &code) != TLY_OK)
		goto out;
	if ((c = cli_jstr(code, "code")) == NULL ||
	    !cli_juint(code, "expires", &until)) {
		cli_err("pair code: bad response: no code or expiry");
		goto out;
	}
	cli_esc(url, eu, sizeof(eu));
	cli_esc(fp, ef, sizeof(ef));
	cli_esc(c, ec, sizeof(ec));
	if (json) {
		/* The two answers joined in one object. */
		tly_jw_init(&w, &b);
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "url");
		tly_jw_str(&w, url);
		tly_jw_key(&w, "fingerprint");
		tly_jw_str(&w, fp);
		tly_jw_key(&w, "code");
		tly_jw_str(&w, c);
		tly_jw_key(&w, "expires");
		tly_jw_uint(&w, until);
		tly_jw_obj_close(&w);
		if (tly_jw_finish(&w) == TLY_OK)
			ret = cli_print_buf(&b);
		else
			cli_err("pair code: out of memory");
		goto out;
	}
	printf("To pair a phone on the team's Wi-Fi:\n"
	    "  1. open %s in its browser;\n"
	    "  2. check that the certificate's SHA-256 fingerprint is\n"
	    "     %s\n"
	    "  3. type the code %s and a name for the phone.\n"
	    "The code is good for one phone until %s (5 wrong tries void "
	    "it).\n", eu, ef, ec, cli_fmt_time(until, t, sizeof(t)));
	if (qr) {
		printf("\nThe address as a QR code:\n");
		if (cli_qr_print(stdout, url) != 0)
			cli_err("pair code: the address is too long for a QR "
			    "code");
	}
	ret = CLI_EXIT_OK;
 out:
	tly_buf_free(&b);
	tly_json_free(info);
	tly_json_free(code);
	tly_http_result_free(&res);
	tly_http_result_free(&res2);
	return ret;
}

/* tally pair list: the paired phones. */
static int
pair_list(int json)
{
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	const struct tly_json	*a, *e;
	uint64_t		 created;
	char			 id[64], label[160], t[64];
	int			 ret = CLI_EXIT_FAIL;

	if (pair_call("pair list", "GET", "/v1/pairings", &res, &root) !=
	    TLY_OK)
		goto out;
	if (!tly_json_is_array(a = tly_json_get(root, "pairings"))) {
		cli_err("pair list: bad response: no pairings");
		goto out;
	}
	if (json) {
		ret = cli_print_buf(&res.body);
		goto out;
	}
	if (tly_json_count(a) == 0)
		printf("no phone is paired\n");
	for (e = tly_json_first(a); e != NULL; e = tly_json_next(e)) {
		if (!cli_juint(e, "created", &created))
			created = 0;
		printf("%s  %s  %s\n", cli_esc(cli_jstr(e, "id"), id,
		    sizeof(id)), cli_fmt_time(created, t, sizeof(t)),
		    cli_esc(cli_jstr(e, "label"), label, sizeof(label)));
	}
	ret = CLI_EXIT_OK;
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}

/* 1 when s is a pairing id: TLY_PAIR_ID_LEN lowercase hex digits. */
static int
pair_id_ok(const char *s)
{
	return strlen(s) == TLY_PAIR_ID_LEN &&
	    strspn(s, "0123456789abcdef") == TLY_PAIR_ID_LEN;
}

/* tally pair revoke ID */
static int
pair_revoke(const char *id, int json)
{
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	char			 path[64];
	int			 ret = CLI_EXIT_FAIL;

	snprintf(path, sizeof(path), "/v1/pairings/%s", id);
	if (pair_call("pair revoke", "DELETE", path, &res, &root) != TLY_OK)
		goto out;
	if (json)
		ret = cli_print_buf(&res.body);
	else {
		printf("revoked: %s: that phone is no longer served\n", id);
		ret = CLI_EXIT_OK;
	}
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}

int
cmd_pair(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "no-qr",	no_argument,	NULL, 'q' },
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	const char			*verb;
	int				 c, json = 0, qr = 1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			qr = 0;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help("pair");
		default:
			return cli_bad_option("pair", argv, c);
		}
	}
	if (optind == argc)
		return cli_usage_error("pair", "give code, list or revoke");
	verb = argv[optind++];
	if (strcmp(verb, "revoke") == 0) {
		if (optind == argc)
			return cli_usage_error("pair", "revoke: give the "
			    "pairing's id (tally pair list)");
		if (!pair_id_ok(argv[optind]))
			return cli_usage_error("pair", "revoke: an id is %d "
			    "lowercase hex digits", TLY_PAIR_ID_LEN);
		if (optind + 1 != argc)
			return cli_usage_error("pair", "unexpected argument "
			    "'%s'", argv[optind + 1]);
		return pair_revoke(argv[optind], json);
	}
	if (optind != argc)
		return cli_usage_error("pair", "unexpected argument '%s'",
		    argv[optind]);
	if (strcmp(verb, "code") == 0)
		return pair_code(qr, json);
	if (strcmp(verb, "list") == 0)
		return pair_list(json);
	return cli_usage_error("pair", "unknown '%s': give code, list or "
	    "revoke", verb);
}

/* tally pair (tally(1)). */
const struct tly_cmd_entry cmd_pair_entry = {
	.name = "pair",
	.exec = cmd_pair,
	.usage = "code [--no-qr] [--json]\n"
	    "       tally pair list [--json]\n"
	    "       tally pair revoke id [--json]",
	.options = "      --no-qr            do not draw the address as a QR code\n"
	    "      --json             print tallyd's answer as JSON\n",
	.about = "Phones on the team's Wi-Fi (tallyd's lan-listen).  code: open a\n"
	    "pairing code, good for one phone for 5 minutes, and show the\n"
	    "phones' address and the certificate's fingerprint to compare.\n"
	    "list: the paired phones (id, when, name).  revoke: forget one;\n"
	    "its browser is refused at once.\n",
	.summary = "pair the team's phones, list and revoke them",
};
