/*
 * main.c: the tally command line: global options and dispatch.
 *
 *	tally [-s socket] command [arguments]
 *
 * Each command lives in a cmd_*.c file, with its entry (struct
 * tly_cmd_entry: name, usage, options, handler), and parses its own
 * options; cmd_table[] lists the entries and is handed to util.c
 * (cli_commands) for the per-command usage.  This file is the top layer
 * of cli/: nothing calls into it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/trust.h"
#include "common/log.h"
#include "crypto/crypto.h"

/*
 * Every subcommand: each file cmd_*.c holds its entry (name, usage,
 * options, handler) beside its code; the man page follows this order.
 */
static const struct tly_cmd_entry *const cmd_table[] = {
	&cmd_keygen_entry,
	&cmd_record_entry,
	&cmd_status_entry,
	&cmd_sync_entry,
	&cmd_check_link_entry,
	&cmd_export_entry,
	&cmd_import_entry,
	&cmd_verify_entry,
	&cmd_audit_entry,
	&cmd_election_entry,
	&cmd_gen_entry,
	&cmd_results_entry,
	&cmd_pair_entry,
	&cmd_authority_entry,
	&cmd_enroll_entry,
	&cmd_cert_entry,
	&cmd_revoke_entry,
	&cmd_decision_entry,
	&cmd_trust_entry,
	NULL
};

/*
 * Print tally's usage to fp.  The command list is generated from
 * cmd_table: each command's name and usage line as typed, then what it
 * does.
 */
static void
tally_usage(FILE *fp)
{
	const struct tly_cmd_entry *const	*c;
	const char				*nl;

	fprintf(fp, "usage: tally [-s socket] command [arguments]\n"
	    "       tally help command\n\n"
	    "  -s, --socket PATH  tallyd's socket (default: $TALLY_SOCKET,\n"
	    "                     else " CLI_DEFAULT_SOCKET ")\n"
	    "  -h, --help         print this help\n\ncommands:\n");
	for (c = cmd_table; *c != NULL; c++) {
		/* The first line of the usage: the rest is more options. */
		nl = strchr((*c)->usage, '\n');
		fprintf(fp, "  %s %.*s\n        %s\n", (*c)->name,
		    nl != NULL ? (int)(nl - (*c)->usage) :
		    (int)strlen((*c)->usage), (*c)->usage, (*c)->summary);
	}
	fprintf(fp, "\nExit status: 0 success, 1 runtime or verification "
	    "failure,\n2 usage error (tally(1)).\n");
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "socket",	required_argument,	NULL, 's' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const struct tly_cmd_entry	*cmd;
	const char			*env;
	int				 c;

	tly_log_init("tally", TLY_LOG_WARN);
	cli_commands = cmd_table;
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
			tally_usage(stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		default:
			if (c == ':')
				cli_err("%s: needs an argument",
				    argv[optind - 1]);
			else
				cli_err("unknown option '%s'",
				    argv[optind - 1]);
			tally_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cli_err("no command given");
		tally_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1) {
			tally_usage(stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		}
		if (argc > 2) {
			cli_err("help: give one command");
			tally_usage(stderr);
			return CLI_EXIT_USAGE;
		}
		if ((cmd = cli_cmd_find(argv[1])) == NULL) {
			cli_err("help: %s: no such command", argv[1]);
			tally_usage(stderr);
			return CLI_EXIT_USAGE;
		}
		return cli_help(cmd->name);
	}
	if ((cmd = cli_cmd_find(argv[0])) == NULL) {
		cli_err("%s: no such command", argv[0]);
		tally_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (tly_crypto_init() != 0) {
		cli_err("cannot initialise the crypto library");
		return CLI_EXIT_FAIL;
	}
	optind = 0;		/* glibc: start afresh for the subcommand */
	return cli_finish_stdout(cmd->exec(argc, argv));
}
