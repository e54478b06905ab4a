/*
 * cmd_record.c: tally record FILE: hand count records to tallyd, which
 * checks them and seals them into one signed batch (PROTOCOL.md 9,
 * POST /v1/records).  Each request carries an idempotency key, so the
 * one retry after a broken link never seals the records twice.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"
#include "crypto/crypto.h"

#define RECORD_IDEM_BYTES	16	/* random bytes of an idempotency key */
#define RECORD_TIMEOUT_S	60	/* one request to tallyd */
#define RECORD_RETRY_TRIES	40	/* waiting for tallyd to be back ... */
#define RECORD_RETRY_MS		250	/* ... this long between tries */

/* Print the record ids of a 201 answer. */
static int
print_recorded(const struct tly_json *root)
{
	struct tly_json	*ids, *n;
	const char	*batch;
	uint64_t	 seq;
	char		 esc[256];

	batch = cli_jstr(root, "batch");
	ids = tly_json_get(root, "records");
	if (batch == NULL || !cli_juint(root, "seq", &seq) ||
	    !tly_json_is_array(ids)) {
		cli_err("record: bad response from tallyd: missing batch, "
		    "seq or records");
		return CLI_EXIT_FAIL;
	}
	printf("recorded: batch %llu %s\n", (unsigned long long)seq,
	    cli_esc(batch, esc, sizeof(esc)));
	if (tly_json_get(root, "replayed") != NULL)
		printf("  (the first attempt had already recorded them; "
		    "nothing was signed twice)\n");
	for (n = tly_json_first(ids); n != NULL; n = tly_json_next(n))
		printf("  record %s\n", cli_esc(tly_json_string(n), esc,
		    sizeof(esc)));
	return CLI_EXIT_OK;
}

/*
 * Where record index of the input is, for messages: "FILE: record 2
 * (area A01, level na)", taking area and level from the input itself.
 */
static const char *
record_where(const char *file, const struct tly_json *in, uint64_t index,
    char *out, size_t outlen)
{
	const struct tly_json	*el = NULL;
	char			 f[512], a[160], l[160];
	uint64_t		 i;

	if (tly_json_is_array(in))
		for (el = tly_json_first(in), i = 0; el != NULL && i < index;
		    el = tly_json_next(el), i++)
			;
	else if (index == 0)
		el = in;
	cli_esc(file, f, sizeof(f));
	if (el != NULL && cli_jstr(el, "area") != NULL &&
	    cli_jstr(el, "level") != NULL)
		snprintf(out, outlen, "%s: record %llu (area %s, level %s)", f,
		    (unsigned long long)index,
		    cli_esc(cli_jstr(el, "area"), a, sizeof(a)),
		    cli_esc(cli_jstr(el, "level"), l, sizeof(l)));
	else
		snprintf(out, outlen, "%s: record %llu", f,
		    (unsigned long long)index);
	return out;
}

/*
 * A 400 answer: the message names the JSON path ("[2].valid: ..." or
 * "valid: ..."); say it as the file and the record's index.
 */
static void
print_bad_request(const char *file, const struct tly_json *in,
    const struct tly_http_result *res)
{
	struct tly_json	*root = NULL;
	const char	*msg = NULL;
	char		*end, where[1024], esc[1024];
	uint64_t	 index = 0;

	if (tly_json_parse(res->body.p, res->body.len, &root) == TLY_OK)
		msg = cli_jstr(tly_json_get(root, "error"), "message");
	if (msg == NULL) {
		cli_http_fail("record", res);
		tly_json_free(root);
		return;
	}
	if (msg[0] == '[') {
		index = strtoull(msg + 1, &end, 10);
		if (*end == ']') {
			msg = end + 1;
			if (*msg == '.')
				msg++;
		}
	}
	cli_err("record: %s: %s; nothing was signed", record_where(file, in,
	    index, where, sizeof(where)), cli_esc(msg, esc, sizeof(esc)));
	tly_json_free(root);
}

/* Print the problems of a 422 answer, with a hint for warnings. */
static void
print_problems(const char *file, const struct tly_json *in,
    const struct tly_json *root)
{
	struct tly_json	*probs, *p, *fields, *f, *e;
	const char	*rule, *msg;
	uint64_t	 index;
	size_t		 n;
	char		 esc[1024], rbuf[16], where[1024];
	int		 first, hint = 0;

	probs = tly_json_get(root, "problems");
	e = tly_json_get(root, "error");
	cli_esc(file, where, sizeof(where));
	if (tly_json_count(probs) > 0)
		cli_err("record: %s: %zu problem%s; nothing was signed", where,
		    tly_json_count(probs),
		    tly_json_count(probs) == 1 ? "" : "s");
	else
		cli_err("record: %s: %s; nothing was signed", where,
		    cli_esc(cli_jstr(e, "message") != NULL ?
		    cli_jstr(e, "message") : "the records fail the checks",
		    esc, sizeof(esc)));
	for (p = tly_json_first(probs); p != NULL; p = tly_json_next(p)) {
		rule = cli_jstr(p, "rule");
		cli_esc(rule, rbuf, sizeof(rbuf));
		if (!cli_juint(p, "index", &index))
			index = 0;
		/* Some messages already start with the rule. */
		msg = cli_jstr(p, "message");
		n = strlen(rbuf);
		if (msg != NULL && n > 0 && strncmp(msg, rbuf, n) == 0 &&
		    strncmp(msg + n, ": ", 2) == 0)
			msg += n + 2;
		fprintf(stderr, "%s: %s: %s", record_where(file, in, index,
		    where, sizeof(where)), rbuf,
		    cli_esc(msg, esc, sizeof(esc)));
		fields = tly_json_get(p, "fields");
		if (tly_json_count(fields) > 0) {
			fputs(" (fields: ", stderr);
			first = 1;
			for (f = tly_json_first(fields); f != NULL;
			    f = tly_json_next(f)) {
				fprintf(stderr, "%s%s", first ? "" : ", ",
				    cli_esc(tly_json_string(f), esc,
				    sizeof(esc)));
				first = 0;
			}
			fputc(')', stderr);
		}
		fputc('\n', stderr);
		if (rule != NULL && rule[0] == 'W') {
			fprintf(stderr, "  hint: if the paper record is "
			    "right, explain it: add an \"explanations\": "
			    "{\"%s\": \"...\"} entry to record %llu of "
			    "%s\n", rbuf, (unsigned long long)index,
			    cli_esc(file, esc, sizeof(esc)));
			hint = 1;
		}
	}
	if (hint)
		fprintf(stderr, "  (a warning may be signed only with the "
		    "clerk's explanation, which becomes part of the signed "
		    "record)\n");
}

/*
 * POST the records of in to tallyd with a new idempotency key.  When the
 * link to tallyd breaks after the request went out, the records may or
 * may not have been sealed: wait a little for tallyd to be back and send
 * the same request with the same key once more, which answers the
 * original batch if there was one.  If the outcome still cannot be
 * known, say so plainly.  TLY_OK when res holds an answer.
 */
static int
send_records(const char *name, const struct tly_buf *in,
    struct tly_http_result *res)
{
	uint8_t		 raw[RECORD_IDEM_BYTES];
	char		 key[2 * RECORD_IDEM_BYTES + 1], hdr[96], esc[600];
	char		 first[256];
	struct timespec	 pause = { 0, RECORD_RETRY_MS * 1000000L };
	int		 r, tries;

	tly_random_bytes(raw, sizeof(raw));
	tly_hex(raw, sizeof(raw), key);
	snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", key);
	r = cli_daemon_quiet("POST", "/v1/records", "application/json", in->p,
	    in->len, hdr, 0, RECORD_TIMEOUT_S, res);
	if (r != TLY_E_NET || !res->sent) {
		cli_daemon_report("POST", "/v1/records", r, res);
		return r;
	}
	/* The request went out and no answer came back. */
	snprintf(first, sizeof(first), "%s", res->error);
	for (tries = 0; tries < RECORD_RETRY_TRIES; tries++) {
		tly_http_result_free(res);
		r = cli_daemon_quiet("POST", "/v1/records", "application/json",
		    in->p, in->len, hdr, 0, RECORD_TIMEOUT_S, res);
		if (r != TLY_E_NET || res->sent)
			break;
		nanosleep(&pause, NULL);	/* tallyd is restarting */
	}
	if (r == TLY_OK)
		return r;
	cli_err("record: %s: the outcome is unknown: tallyd stopped answering "
	    "after the records were sent (%s), and %s.  They may or may not "
	    "have been recorded: run 'tally status' to see whether a batch "
	    "holds them before recording them again", name,
	    cli_esc(first, esc, sizeof(esc)), r == TLY_E_NET && !res->sent ?
	    "it is not back" : "asking again did not get an answer");
	return r == TLY_OK ? TLY_E_NET : r;
}

int
cmd_record(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct tly_buf			 in = TLY_BUF_INIT(TLY_LOCAL_BODY_MAX);
	struct tly_http_result		 res;
	struct tly_json			*root = NULL, *ans = NULL;
	const char			*file, *name;
	char				 why[600];
	int				 c, json = 0, ret = CLI_EXIT_FAIL;

	memset(&res, 0, sizeof(res));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help("record");
		default:
			return cli_bad_option("record", argv, c);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("record", argc - optind == 0 ?
		    "FILE is required (\"-\" for standard input)" :
		    "only one FILE may be given");
	file = argv[optind];
	name = strcmp(file, "-") == 0 ? "standard input" : file;

	if (cli_read_input("record", file, TLY_LOCAL_BODY_MAX, &in) != TLY_OK)
		goto out;
	tly_errclear();
	if (tly_json_parse(in.p, in.len, &root) != TLY_OK) {
		cli_err("record: %s: not valid JSON: %s", name,
		    cli_esc(tly_errdetail(), why, sizeof(why)));
		goto out;
	}
	if (!tly_json_is_object(root) && !tly_json_is_array(root)) {
		cli_err("record: %s: expected a record object or an array "
		    "of them", name);
		goto out;
	}
	if (send_records(name, &in, &res) != TLY_OK)
		goto out;
	if (res.status == 400) {
		print_bad_request(name, root, &res);
		goto out;
	}
	if (res.status != 200 && res.status != 201 && res.status != 422) {
		cli_http_fail("record", &res);
		goto out;
	}
	if (cli_json_body("record", &res, &ans) != TLY_OK)
		goto out;
	if (json) {
		if (cli_print_buf(&res.body) != CLI_EXIT_OK)
			goto out;
		if (res.status != 422)
			ret = CLI_EXIT_OK;
		else
			print_problems(name, root, ans);
		goto out;
	}
	if (res.status != 422)
		ret = print_recorded(ans);
	else
		print_problems(name, root, ans);
 out:
	tly_json_free(root);
	tly_json_free(ans);
	tly_http_result_free(&res);
	tly_buf_free(&in);
	return ret;
}

/* tally record (tally(1)). */
const struct tly_cmd_entry cmd_record_entry = {
	.name = "record",
	.exec = cmd_record,
	.usage = "[--json] file",
	.options = "      --json        print the daemon's answer as JSON\n",
	.about = "Send the count record(s) in FILE (\"-\" for standard input; one\n"
	    "JSON object or an array of them, at most 1 MiB) to tallyd, which\n"
	    "checks them and seals them into one signed batch.\n",
	.summary = "check, sign and queue count records",
};
