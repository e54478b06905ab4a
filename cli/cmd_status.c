/*
 * cmd_status.c: tally status and tally sync: what the daemon holds and
 * has delivered, and a delivery attempt on demand (PROTOCOL.md 9).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"

/* Parse the options of a command that takes only --json and --help. */
static int
json_only_options(const char *name, int argc, char **argv, int *json)
{
	static const struct option	 longopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	int				 c;

	*json = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = 1;
			break;
		case 'h':
			return cli_help(name);
		default:
			return cli_bad_option(name, argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error(name, "unexpected argument '%s'",
		    argv[optind]);
	return -1;
}

/* A time as local "YYYY-MM-DD HH:MM:SS ZONE" into out. */
static const char *
local_time(uint64_t t, char *out, size_t outlen)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(out, outlen, "%llu", (unsigned long long)t);
	return out;
}

/* A duration in words: "45 s", "3 min", "2 h 5 min". */
static const char *
duration(uint64_t s, char *out, size_t outlen)
{
	if (s < 60)
		snprintf(out, outlen, "%llu s", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, outlen, "%llu min",
		    (unsigned long long)((s + 30) / 60));
	else
		snprintf(out, outlen, "%llu h %llu min",
		    (unsigned long long)(s / 3600),
		    (unsigned long long)(s % 3600 / 60));
	return out;
}

/* Print the human form of GET /v1/status. */
static int
print_status(const struct tly_json *root)
{
	struct tly_json	*counts, *batches, *b;
	uint64_t	 v, seq, nrec, attempts, now = (uint64_t)time(NULL);
	char		 esc[1024], when[64], dur[64], sh[CLI_SHORT_HEX + 1];
	char		 state[32];

	printf("device:       %s\n", cli_esc(cli_jstr(root, "device"), esc,
	    sizeof(esc)));
	printf("central:      %s\n", cli_jstr(root, "central") != NULL ?
	    cli_esc(cli_jstr(root, "central"), esc, sizeof(esc)) :
	    "none configured (batches stay here until exported)");
	counts = tly_json_get(root, "counts");
	printf("batches:      ");
	printf("%llu sealed, ", (unsigned long long)(cli_juint(counts,
	    "sealed", &v) ? v : 0));
	printf("%llu sent, ", (unsigned long long)(cli_juint(counts,
	    "sent", &v) ? v : 0));
	printf("%llu acknowledged\n", (unsigned long long)(cli_juint(counts,
	    "acknowledged", &v) ? v : 0));
	if (cli_juint(root, "last_contact", &v))
		printf("last contact: %s (%s ago)\n",
		    local_time(v, when, sizeof(when)),
		    duration(now > v ? now - v : 0, dur, sizeof(dur)));
	else
		printf("last contact: never\n");
	if (cli_jstr(root, "last_error") != NULL)
		printf("last error:   %s\n", cli_esc(cli_jstr(root,
		    "last_error"), esc, sizeof(esc)));
	if (cli_juint(root, "next_attempt", &v)) {
		if (v > now)
			printf("next attempt: retrying in %s (%s)\n",
			    duration(v - now, dur, sizeof(dur)),
			    local_time(v, when, sizeof(when)));
		else
			printf("next attempt: now\n");
	}

	batches = tly_json_get(root, "batches");
	if (tly_json_count(batches) == 0) {
		printf("\nno batches yet\n");
		return CLI_EXIT_OK;
	}
	printf("\n%6s  %-12s %7s %8s  %-16s  %s\n", "seq", "state",
	    "records", "attempts", "batch", "last error");
	for (b = tly_json_first(batches); b != NULL; b = tly_json_next(b)) {
		if (!cli_juint(b, "seq", &seq))
			seq = 0;
		if (!cli_juint(b, "records", &nrec))
			nrec = 0;
		if (!cli_juint(b, "attempts", &attempts))
			attempts = 0;
		printf("%6llu  %-12s %7llu %8llu  %-16s  %s\n",
		    (unsigned long long)seq,
		    cli_esc(cli_jstr(b, "state"), state, sizeof(state)),
		    (unsigned long long)nrec, (unsigned long long)attempts,
		    cli_short(cli_jstr(b, "batch"), sh),
		    cli_jstr(b, "last_error") != NULL ?
		    cli_esc(cli_jstr(b, "last_error"), esc, sizeof(esc)) :
		    "");
	}
	return CLI_EXIT_OK;
}

int
cmd_status(int argc, char **argv)
{
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	int			 json, ret;

	if ((ret = json_only_options("status", argc, argv, &json)) >= 0)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (cli_daemon("GET", "/v1/status", NULL, NULL, 0, 0, 30,
	    &res) != TLY_OK)
		goto out;
	if (res.status != 200) {
		cli_http_fail("status", &res);
		goto out;
	}
	if (cli_json_body("status", &res, &root) != TLY_OK)
		goto out;
	if (json)
		ret = cli_print_buf(&res.body);
	else
		ret = print_status(root);
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}

int
cmd_sync(int argc, char **argv)
{
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	const char		*outcome;
	uint64_t		 acked, pending;
	char			 esc[1024], oc[32];
	int			 json, ret;

	if ((ret = json_only_options("sync", argc, argv, &json)) >= 0)
		return ret;
	ret = CLI_EXIT_FAIL;
	/* The daemon waits up to 30 s for the attempt; allow for that. */
	if (cli_daemon("POST", "/v1/sync", NULL, NULL, 0, 0, 45,
	    &res) != TLY_OK)
		goto out;
	if (res.status != 200) {
		cli_http_fail("sync", &res);
		goto out;
	}
	if (cli_json_body("sync", &res, &root) != TLY_OK)
		goto out;
	if ((outcome = cli_jstr(root, "outcome")) == NULL) {
		cli_err("sync: bad response from tallyd: no outcome");
		goto out;
	}
	if (!cli_juint(root, "acknowledged", &acked))
		acked = 0;
	if (!cli_juint(root, "pending", &pending))
		pending = 0;
	if (json) {
		if (cli_print_buf(&res.body) != CLI_EXIT_OK)
			goto out;
	} else if (strcmp(outcome, "ok") == 0 && pending == 0)
		printf("sync: ok: everything is acknowledged (%llu batches "
		    "in this attempt)\n", (unsigned long long)acked);
	else
		printf("sync: %s: %llu acknowledged in this attempt, %llu "
		    "still pending\n", cli_esc(outcome, oc, sizeof(oc)),
		    (unsigned long long)acked, (unsigned long long)pending);
	if (strcmp(outcome, "ok") == 0) {
		ret = CLI_EXIT_OK;
		goto out;
	}
	if (strcmp(outcome, "no_central") == 0)
		cli_err("sync: no central is configured; use tally export "
		    "to carry the batches on a bundle file");
	else
		cli_err("sync: %s: %s", cli_esc(outcome, oc, sizeof(oc)),
		    cli_esc(cli_jstr(root, "error") != NULL ?
		    cli_jstr(root, "error") : "delivery did not complete",
		    esc, sizeof(esc)));
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}
