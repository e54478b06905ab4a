/*
 * cli.h: shared parts of the tally command line.
 *
 * Layers, top down (a file calls only the layers below it):
 *   main.c     the global options, cmd_table[] and the top-level usage
 *   cmd_*.c    one command each, with its struct tly_cmd_entry
 *   gen_*.c    the election generator behind 'tally gen' (gen.h)
 *   util.c     per-command usage (from cli_commands, set by main.c),
 *              output, the calls to tallyd and a central, JSON helpers
 *
 * main.c parses the global options and dispatches to one cmd_<name>()
 * per subcommand.  Each subcommand parses its own options with
 * getopt_long(), prints its results to stdout, and returns the process
 * exit status: CLI_EXIT_OK, CLI_EXIT_FAIL (runtime or verification
 * failure) or CLI_EXIT_USAGE.  Errors go to stderr as
 * "tally: <what>: <why>" through cli_err().
 */
#ifndef TLY_CLI_H
#define TLY_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/daemon.h"
#include "common/json.h"
#include "common/limits.h"
#include "sync/http.h"

#define CLI_EXIT_OK	0	/* success */
#define CLI_EXIT_FAIL	1	/* runtime or verification failure */
#define CLI_EXIT_USAGE	2	/* bad usage */

#define CLI_DEFAULT_SOCKET	TLY_TALLYD_SOCKET
#define CLI_SHORT_HEX		16	/* hex characters in a short id */

/*
 * One subcommand's entry, defined beside its code in cmd_*.c as
 * cmd_<name>_entry and listed in main.c's cmd_table[] (as tmux does).
 */
struct tly_cmd_entry {
	const char	*name;		/* as typed: "record" */
	const char	*usage;		/* the arguments; first line is shown
					   in the command list */
	const char	*options;	/* one line per option */
	const char	*about;		/* what the command does */
	const char	*summary;	/* one line for the command list */
	int		(*exec)(int, char **);	/* argv[0] is the name */
};

/* The entries, one per cmd_*.c command. */
extern const struct tly_cmd_entry cmd_keygen_entry, cmd_record_entry,
	    cmd_status_entry, cmd_sync_entry, cmd_check_link_entry,
	    cmd_export_entry,
	    cmd_import_entry, cmd_verify_entry, cmd_election_entry,
	    cmd_gen_entry, cmd_results_entry, cmd_pair_entry,
	    cmd_audit_entry;

/* The handlers, in cmd_*.c. */
int	cmd_keygen(int, char **);
int	cmd_record(int, char **);
int	cmd_status(int, char **);
int	cmd_sync(int, char **);
int	cmd_check_link(int, char **);
int	cmd_export(int, char **);
int	cmd_import(int, char **);
int	cmd_verify(int, char **);
int	cmd_audit(int, char **);
int	cmd_results(int, char **);
int	cmd_gen(int, char **);
int	cmd_election(int, char **);
int	cmd_pair(int, char **);

/*
 * tally import --head-from FILE (cmd_head.c): hand the bundle FILE to
 * tallyd's POST /v1/head so that a restored key learns its head from its
 * own batches; json: print the answer.  Returns the exit status.
 */
int	cli_import_head(const char *path, int json);

/* tally status --central URL (cmd_central.c); json: print the JSON. */
int	cli_central_status(const char *url, int json);

/* ---- util.c: usage, output, the daemon and central calls, JSON ---------- */

/* The command table, NULL-terminated; main.c sets it to its cmd_table. */
extern const struct tly_cmd_entry *const *cli_commands;
/* The entry of cli_commands called name, or NULL. */
const struct tly_cmd_entry *cli_cmd_find(const char *name);

/*
 * Report a usage error for command name ("tally: name: why"), then its
 * usage, on stderr.  Returns CLI_EXIT_USAGE.
 */
int	cli_usage_error(const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Report the option getopt_long() refused (it returned '?' or ':') for
 * command name, with argv and the current optind.  Returns CLI_EXIT_USAGE.
 */
int	cli_bad_option(const char *name, char **argv, int c);
/* Print the usage of command name to stdout.  Returns CLI_EXIT_OK. */
int	cli_help(const char *name);

/* The daemon's socket: -s, else $TALLY_SOCKET, else the default. */
extern const char	*cli_socket;

/* Print "tally: " fmt "\n" to stderr. */
void	cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Call the daemon on cli_socket: method, path ("/v1/status"), an optional
 * body with its type, a response cap and a whole-call timeout (0: none).
 * res must be released with tly_http_result_free() whatever the result.
 * When no response arrives, prints why (naming the socket) and returns
 * the error.
 */
int	cli_daemon(const char *method, const char *path, const char *ctype,
	    const void *body, size_t len, size_t resp_max, long timeout_s,
	    struct tly_http_result *res);
/*
 * cli_daemon() with one more request header line (header may be NULL),
 * that prints nothing: report a failure with cli_daemon_report().
 */
int	cli_daemon_quiet(const char *method, const char *path,
	    const char *ctype, const void *body, size_t len,
	    const char *header, size_t resp_max, long timeout_s,
	    struct tly_http_result *res);
/* Print why a cli_daemon_quiet() call that returned r failed. */
void	cli_daemon_report(const char *method, const char *path, int r,
	    const struct tly_http_result *res);
/*
 * The same against a central at base URL base ("http://host:port"), with
 * optional gzip of the request body.
 */
int	cli_central(const char *base, const char *method, const char *path,
	    const char *ctype, const void *body, size_t len, int gzip,
	    size_t resp_max, struct tly_http_result *res);

/*
 * Report an unexpected HTTP answer as "tally: what: HTTP <status>:
 * <code>: <message>", taking code and message from an error body
 * (PROTOCOL.md 8) when there is one.
 */
void	cli_http_fail(const char *what, const struct tly_http_result *res);

/*
 * Parse a JSON response body into *rootp (free with tly_json_free());
 * reports "tally: what: bad response: why" on failure.
 */
int	cli_json_body(const char *what, const struct tly_http_result *res,
	    struct tly_json **rootp);

/* String member name of obj, or NULL if absent, null or not a string. */
const char *cli_jstr(const struct tly_json *obj, const char *name);
/* Integer member name of obj into *out: 1 if present and valid, else 0. */
int	cli_juint(const struct tly_json *obj, const char *name, uint64_t *out);

/*
 * s made safe for a terminal (bytes outside 0x20..0x7e escaped) in
 * out[0..outlen); "-" when s is NULL.  Returns out.
 */
const char *cli_esc(const char *s, char *out, size_t outlen);
/* s padded with spaces to at least width display columns
 * (tly_text_width()) into out (outlen bytes, truncated at a byte
 * boundary when too small); returns out.  cli/text.c. */
const char *cli_pad(const char *s, size_t width, char *out, size_t outlen);

/* The first CLI_SHORT_HEX characters of hex text s into out (or "-"). */
const char *cli_short(const char *s, char out[CLI_SHORT_HEX + 1]);


/* Write b's bytes and a newline to stdout; CLI_EXIT_FAIL on error. */
int	cli_print_buf(const struct tly_buf *b);

/* Flush stdout and turn a write error into CLI_EXIT_FAIL. */
int	cli_finish_stdout(int status);

/*
 * Read a file (or stdin when path is "-") of at most max bytes into b,
 * which must be empty.  Reports "tally: what: path: why" on failure.
 */
int	cli_read_input(const char *what, const char *path, size_t max,
	    struct tly_buf *b);

/* One entry of a bundle file (cli_bundle_entries()). */
struct cli_entry {
	const uint8_t	*m;		/* the signed message, in the file */
	size_t		 len;		/* its length */
	size_t		 skipped;	/* damaged bytes just before it */
	size_t		 index;		/* its index among the file's entries */
	int		 companion;	/* enum tly_companion (PROTOCOL.md 7.2);
					   0: a batch entry */
};

/*
 * The entries of the bundle file path, p[0..len): all of them when the
 * file is whole; else *damaged is set, why says what is wrong with the
 * file (also reported as "tally: what: path: ..."), and the entries are
 * those salvage finds (PROTOCOL.md 7.1), still to be verified one by
 * one.  *ep: new array of *np entries, free() it.  TLY_E_BUNDLE when
 * not one entry can be found (reported), TLY_E_NOMEM.
 */
int	cli_bundle_entries(const char *what, const char *path,
	    const uint8_t *p, size_t len, struct cli_entry **ep, size_t *np,
	    int *damaged, char *why, size_t whylen);
/*
 * As cli_bundle_entries(), but a bundle file of version 2 is read too
 * and, with companions set, its companions (receipts and trust objects,
 * PROTOCOL.md 7.2) are among the entries, each with its kind; without,
 * they are left out (cli_bundle_entries() leaves them out).
 */
/*
 * Say what tally export wrote to path: "exported N batches to PATH",
 * with the companions (7.2) counted apart.  rd: the bundle, opened.
 */
struct tly_bundle_reader;
void	cli_export_say(const struct tly_bundle_reader *rd, const char *path);
int	cli_bundle_read(const char *what, const char *path,
	    const uint8_t *p, size_t len, int companions,
	    struct cli_entry **ep, size_t *np, int *damaged, char *why,
	    size_t whylen);

#endif /* TLY_CLI_H */
