/*
 * cmd_record.c: tally record FILE: hand count records to tallyd, which
 * checks them and seals them into one signed batch (PROTOCOL.md 9,
 * POST /v1/records).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"

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
	for (n = tly_json_first(ids); n != NULL; n = tly_json_next(n))
		printf("  record %s\n", cli_esc(tly_json_string(n), esc,
		    sizeof(esc)));
	return CLI_EXIT_OK;
}

/* Print the problems of a 422 answer, with a hint for warnings. */
static void
print_problems(const char *file, const struct tly_json *root)
{
	struct tly_json	*probs, *p, *fields, *f, *e;
	const char	*rule, *msg;
	uint64_t	 index;
	size_t		 n;
	char		 esc[1024], rbuf[16];
	int		 first, hint = 0;

	probs = tly_json_get(root, "problems");
	e = tly_json_get(root, "error");
	if (tly_json_count(probs) > 0)
		cli_err("record: %s: %zu problem%s; nothing was signed", file,
		    tly_json_count(probs),
		    tly_json_count(probs) == 1 ? "" : "s");
	else
		cli_err("record: %s: %s; nothing was signed", file,
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
		fprintf(stderr, "record %llu: %s: %s",
		    (unsigned long long)index, rbuf,
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
			    "{\"%s\": \"...\"} entry to record %llu\n", rbuf,
			    (unsigned long long)index);
			hint = 1;
		}
	}
	if (hint)
		fprintf(stderr, "  (a warning may be signed only with the "
		    "clerk's explanation, which becomes part of the signed "
		    "record)\n");
}

int
cmd_record(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct tly_buf			 in = TLY_BUF_INIT(CLI_LOCAL_MAX);
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

	if (cli_read_input("record", file, CLI_LOCAL_MAX, &in) != TLY_OK)
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
	if (cli_daemon("POST", "/v1/records", "application/json", in.p,
	    in.len, 0, 60, &res) != TLY_OK)
		goto out;
	if (res.status != 201 && res.status != 422) {
		cli_http_fail("record", &res);
		goto out;
	}
	if (cli_json_body("record", &res, &ans) != TLY_OK)
		goto out;
	if (json) {
		if (cli_print_buf(&res.body) != CLI_EXIT_OK)
			goto out;
		if (res.status == 201)
			ret = CLI_EXIT_OK;
		else
			print_problems(name, ans);
		goto out;
	}
	if (res.status == 201)
		ret = print_recorded(ans);
	else
		print_problems(name, ans);
 out:
	tly_json_free(root);
	tly_json_free(ans);
	tly_http_result_free(&res);
	tly_buf_free(&in);
	return ret;
}
