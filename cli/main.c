/*
 * main.c: the tally command line: global options and dispatch.
 *
 *	tally [-s socket] command [arguments]
 *
 * Each command lives in a cmd_*.c file and parses its own options.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/trust.h"
#include "common/log.h"
#include "crypto/crypto.h"

const char	*cli_socket = NULL;

/* Every subcommand, with its usage; the man page follows this table. */
static const struct cli_cmd commands[] = {
	{ "keygen", cmd_keygen, "-o prefix [--json]",
	  "  -o, --out PREFIX  write PREFIX.key (mode 0600) and PREFIX.pub\n"
	  "      --json        print the result as JSON\n",
	  "Generate an Ed25519 key pair and print its key id.  An existing\n"
	  "key file is never overwritten.\n",
	  "generate a device or central key pair" },
	{ "record", cmd_record, "[--json] file",
	  "      --json        print the daemon's answer as JSON\n",
	  "Send the count record(s) in FILE (\"-\" for standard input; one\n"
	  "JSON object or an array of them, at most 1 MiB) to tallyd, which\n"
	  "checks them and seals them into one signed batch.\n",
	  "check, sign and queue count records" },
	{ "status", cmd_status, "[--central url] [--json]",
	  "      --central URL  show a central instead: batches applied and\n"
	  "                     pending, frozen devices and their evidence,\n"
	  "                     records in conflict, the state hash\n"
	  "      --json         print the answer as JSON\n",
	  "Show the device, its central, the state of every batch and the\n"
	  "last delivery problem in plain words; or, with --central, what a\n"
	  "central holds.\n",
	  "show what the daemon (or a central) holds and has delivered" },
	{ "sync", cmd_sync, "[--json]",
	  "      --json        print the outcome as JSON\n",
	  "Ask tallyd to deliver pending batches now and wait (up to 30 s)\n"
	  "for the attempt.  Exits 1 unless every batch was delivered.\n",
	  "deliver pending batches to the central now" },
	{ "check-link", cmd_check_link,
	  "[--central url --central-key pubfile] [--json]",
	  "      --central URL      check this central instead of tallyd's\n"
	  "      --central-key FILE the public key it must sign with\n"
	  "      --json             print the outcome as JSON\n",
	  "Prove the link to the central: it signs a random challenge with\n"
	  "its key, checked against the configured key.  Through tallyd, the\n"
	  "time is kept and shown by 'tally status'.\n",
	  "prove the address, key and path of the central" },
	{ "export", cmd_export, "--out file",
	  "  -o, --out FILE    the bundle file to write\n",
	  "Write every batch tallyd holds to a bundle file, for carrying to\n"
	  "the committee by hand.\n",
	  "write every batch held to a bundle file" },
	{ "import", cmd_import,
	  "[--central url [--central-key pubfile]] [--json] file",
	  "      --central URL      upload to the central at URL instead of\n"
	  "                         handing the bundle to tallyd\n"
	  "      --central-key FILE verify every receipt with this public key\n"
	  "      --json             print the per-entry results as JSON\n",
	  "Check the bundle FILE, then give its batches to tallyd for\n"
	  "forwarding, or upload them straight to a central.\n",
	  "hand a bundle file to tallyd or a central" },
	{ "verify", cmd_verify, "[--election deffile] [--json] file",
	  "  -e, --election FILE  also check the election hash and every\n"
	  "                       record against this definition\n"
	  "      --json           print the per-entry results as JSON\n",
	  "Verify a bundle file offline: its integrity, every batch's\n"
	  "signature and body, and the hash chains among its batches.\n",
	  "verify a bundle file offline" },
	{ "election", cmd_election, "check [--json] file\n"
	  "       tally election sign --authority key [--out sig] file",
	  "      --json        print the outcome as JSON\n",
	  "Validate the election definition FILE and report every error,\n"
	  "each naming its JSON path.  Exits 0 when it is valid, 1 when not.\n",
	  "validate an election definition" },
	{ "gen", cmd_gen,
	  "[--seed n] [--size commune|province|national]\n"
	  "           [--target id=status]... [--json] [--force] --out dir",
	  "      --seed N            seed of the generator (default 1)\n"
	  "      --size SIZE         commune (default), province or national\n"
	  "  -o, --out DIR           write DIR/election.json and DIR/records/\n"
	  "      --target C=STATUS   constituency C ends with STATUS: DETERMINED,\n"
	  "                          NEEDS_ADDITIONAL_ELECTION, NEEDS_REELECTION\n"
	  "                          or MANUAL_TIEBREAK (repeatable)\n"
	  "      --json              print the summary as JSON\n"
	  "      --force             replace an earlier output in DIR\n",
	  "Generate an election definition and the count record of every\n"
	  "polling area at every level; the same seed gives the same files.\n"
	  "DIR/records/AREA.json holds one area's records for 'tally record'.\n"
	  "A DIR that is not empty is refused unless --force, which first\n"
	  "removes DIR/election.json and DIR/records/*.json.\n",
	  "generate an election and its count records" },
	{ "results", cmd_results,
	  "--central url [--level l | --constituency id | --area path] [--json]",
	  "      --central URL       the central to ask\n"
	  "  -l, --level L           the constituencies of level L\n"
	  "  -c, --constituency ID   one constituency: candidates, winners, status\n"
	  "  -a, --area PATH         totals of an administrative area, as\n"
	  "                          Province/District/Commune (a prefix)\n"
	  "      --json              print the central's answer as JSON\n",
	  "Show the results a central computes from its verified records:\n"
	  "turnout, winners and each constituency's status (Art. 78-80).\n",
	  "show a central's results" },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

const struct cli_cmd *
cli_find(const char *name)
{
	const struct cli_cmd	*c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	for (c = cli_trust_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void
cli_usage(const struct cli_cmd *cmd, FILE *fp)
{
	const struct cli_cmd	*c;

	if (cmd != NULL) {
		fprintf(fp, "usage: tally [-s socket] %s %s\n\n%s"
		    "  -h, --help        print this help\n\n%s",
		    cmd->name, cmd->synopsis, cmd->options, cmd->about);
		return;
	}
	fprintf(fp, "usage: tally [-s socket] command [arguments]\n"
	    "       tally help command\n\n"
	    "  -s, --socket PATH  tallyd's socket (default: $TALLY_SOCKET,\n"
	    "                     else " CLI_DEFAULT_SOCKET ")\n"
	    "  -h, --help         print this help\n\ncommands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	for (c = cli_trust_commands; c->name != NULL; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "socket",	required_argument,	NULL, 's' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const struct cli_cmd		*cmd;
	const char			*env;
	int				 c;

	tly_log_init("tally", TLY_LOG_WARN);
	if ((env = getenv("TALLY_SOCKET")) != NULL && *env != '\0')
		cli_socket = env;
	else
		cli_socket = CLI_DEFAULT_SOCKET;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			cli_socket = optarg;
			break;
		case 'h':
			cli_usage(NULL, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		default:
			if (c == ':')
				cli_err("%s: needs an argument",
				    argv[optind - 1]);
			else
				cli_err("unknown option '%s'",
				    argv[optind - 1]);
			cli_usage(NULL, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cli_err("no command given");
		cli_usage(NULL, stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1) {
			cli_usage(NULL, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		}
		if (argc > 2) {
			cli_err("help: give one command");
			cli_usage(NULL, stderr);
			return CLI_EXIT_USAGE;
		}
		if ((cmd = cli_find(argv[1])) == NULL) {
			cli_err("help: %s: no such command", argv[1]);
			cli_usage(NULL, stderr);
			return CLI_EXIT_USAGE;
		}
		return cli_help(cmd->name);
	}
	if ((cmd = cli_find(argv[0])) == NULL) {
		cli_err("%s: no such command", argv[0]);
		cli_usage(NULL, stderr);
		return CLI_EXIT_USAGE;
	}
	if (tly_crypto_init() != 0) {
		cli_err("cannot initialise the crypto library");
		return CLI_EXIT_FAIL;
	}
	optind = 0;		/* glibc: start afresh for the subcommand */
	return cli_finish_stdout(cmd->fn(argc, argv));
}
