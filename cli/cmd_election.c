/*
 * cmd_election.c: tally election check [--json] FILE
 *
 * Validates an election definition (docs/ELECTION.md) and reports every
 * error found, each naming its JSON path, not only the first.  Exit 0
 * when the definition is valid, 1 when it is not (or cannot be read),
 * 2 on bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/trust.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"




/* What the validation callback needs. */
struct check {
	const char	*path;		/* the file, for messages */
	int		 json;		/* collect for JSON, else print */
	struct tly_jw	*w;		/* JSON writer, inside "errors" */
	size_t		 n;		/* errors seen */
};

/* tly_election_validate() callback: one error. */
static void
on_error(void *arg, const char *msg)
{
	struct check	*c = arg;
	char		 pesc[1024], mesc[1024];

	c->n++;
	if (c->json)
		tly_jw_str(c->w, msg);
	else
		printf("%s: %s\n", cli_esc(c->path, pesc, sizeof(pesc)),
		    cli_esc(msg, mesc, sizeof(mesc)));
}

/* Print a one-line summary of a valid definition e of hash h. */
static void
print_valid(const char *path, const struct tly_election *e,
    const uint8_t h[TLY_HASH_LEN], int json, struct tly_jw *w)
{
	char	 hex[TLY_HEX_HASH], esc[1024];

	tly_hex(h, TLY_HASH_LEN, hex);
	if (json) {
		tly_jw_key(w, "election");
		tly_jw_str(w, tly_election_id(e));
		tly_jw_key(w, "hash");
		tly_jw_str(w, hex);
		tly_jw_key(w, "rules");
		tly_jw_str(w, tly_election_rules(e));
		tly_jw_key(w, "levels");
		tly_jw_uint(w, tly_election_nlevels(e));
		tly_jw_key(w, "constituencies");
		tly_jw_uint(w, tly_election_nconstituencies(e));
		tly_jw_key(w, "areas");
		tly_jw_uint(w, tly_election_nareas(e));
		tly_jw_key(w, "rounds");
		tly_jw_uint(w, tly_election_nrounds(e));
		return;
	}
	printf("%s: valid: election %s (%s), %zu levels, %zu "
	    "constituencies, %zu polling areas, %zu announced rounds\n"
	    "hash %s\n", cli_esc(path, esc, sizeof(esc)),
	    tly_election_id(e), tly_election_rules(e),
	    tly_election_nlevels(e), tly_election_nconstituencies(e),
	    tly_election_nareas(e), tly_election_nrounds(e), hex);
}

/* tally election check [--json] FILE */
static int
election_check(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct tly_buf		 raw = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_buf		 out = TLY_BUF_INIT(64UL * 1024 * 1024);
	struct tly_election	*e = NULL;
	struct tly_jw		 w;
	struct check		 c;
	uint8_t			 h[TLY_HASH_LEN];
	char			 esc[1024];
	int			 ch, json = 0, r, ret = CLI_EXIT_FAIL;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help("election");
		default:
			return cli_bad_option("election check", argv, ch);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("election", argc - optind == 0 ?
		    "check: FILE is required" :
		    "check: only one FILE may be given");

	memset(&c, 0, sizeof(c));
	c.path = argv[optind];
	c.json = json;
	c.w = &w;
	if (cli_read_input("election check", c.path, TLY_ELECTION_FILE_MAX, &raw) !=
	    TLY_OK)
		goto out;
	tly_jw_init(&w, &out);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "file");
	tly_jw_str(&w, c.path);
	tly_jw_key(&w, "errors");
	tly_jw_arr_open(&w);
	tly_errclear();
	r = tly_election_validate(raw.p, raw.len, on_error, &c);
	tly_jw_arr_close(&w);
	if (r == TLY_E_NOMEM) {
		cli_err("election check: %s: out of memory",
		    cli_esc(c.path, esc, sizeof(esc)));
		goto out;
	}
	tly_jw_key(&w, "valid");
	tly_jw_bool(&w, r == TLY_OK);
	if (r == TLY_OK) {
		/* Valid: parse once more for the summary. */
		if ((r = tly_election_parse(raw.p, raw.len, &e)) != TLY_OK) {
			cli_err("election check: %s: %s",
			    cli_esc(c.path, esc, sizeof(esc)),
			    tly_errdetail());
			goto out;
		}
		tly_hash(raw.p, raw.len, h);
		print_valid(c.path, e, h, json, &w);
		ret = CLI_EXIT_OK;
	} else if (!json)
		printf("%s: invalid: %zu error%s\n",
		    cli_esc(c.path, esc, sizeof(esc)), c.n,
		    c.n == 1 ? "" : "s");
	tly_jw_obj_close(&w);
	if (json && tly_jw_finish(&w) == TLY_OK &&
	    cli_print_buf(&out) != CLI_EXIT_OK)
		ret = CLI_EXIT_FAIL;
 out:
	tly_election_free(e);
	tly_buf_free(&out);
	tly_buf_free(&raw);
	return cli_finish_stdout(ret);
}

/* tally election VERB ...: the election definition tools. */
int
cmd_election(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		return cli_help("election");
	if (argc < 2)
		return cli_usage_error("election", "a verb is required "
		    "(check)");
	if (strcmp(argv[1], "check") == 0)
		return election_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return cmd_election_sign(argc - 1, argv + 1);
	return cli_usage_error("election", "unknown verb '%s' (check)",
	    argv[1]);
}

/* tally election (tally(1)). */
const struct tly_cmd_entry cmd_election_entry = {
	.name = "election",
	.exec = cmd_election,
	.usage = "check [--json] file\n"
	    "       tally election sign --authority key [--out sig] file",
	.options = "      --json        check: print the outcome as JSON\n"
	    "      --authority KEY   sign: the authority's secret key\n"
	    "      --out SIG         sign: the statement (default: FILE.sig)\n"
	    "      --passphrase-fd N sign: the authority key's passphrase from\n"
	    "                        descriptor N\n",
	.about = "Validate the election definition FILE and report every error,\n"
	    "each naming its JSON path.  Exits 0 when it is valid, 1 when not.\n",
	.summary = "validate an election definition",
};
