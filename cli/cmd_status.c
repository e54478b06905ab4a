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

/* A time of day "14:02", with the date when it is not today. */
static const char *
clock_time(uint64_t t, uint64_t now, char *out, size_t outlen)
{
	struct tm	tm, tn;
	time_t		tt = (time_t)t, tnow = (time_t)now;

	if (localtime_r(&tt, &tm) == NULL || localtime_r(&tnow, &tn) == NULL ||
	    strftime(out, outlen, tm.tm_year == tn.tm_year &&
	    tm.tm_yday == tn.tm_yday ? "%H:%M" : "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, outlen, "%llu", (unsigned long long)t);
	return out;
}

/* n of obj's member name, 0 when absent. */
static unsigned long long
count_of(const struct tly_json *obj, const char *name)
{
	uint64_t	v;

	return cli_juint(obj, name, &v) ? (unsigned long long)v : 0;
}

/* "3 sealed, 0 sent, 12 acknowledged" from a counts object. */
static void
print_counts(const struct tly_json *c)
{
	printf("%llu sealed, %llu sent, %llu acknowledged",
	    count_of(c, "sealed"), count_of(c, "sent"),
	    count_of(c, "acknowledged"));
}

/*
 * The delivery problem in plain words: "central unreachable since 14:02
 * (connection refused), retrying in 3 min".  The error's text before its
 * first ": " is the headline, the rest the detail.
 */
static void
print_problem(const struct tly_json *root, uint64_t now)
{
	const char	*err = cli_jstr(root, "last_error"), *colon;
	char		 esc[1024], head[512], when[64], dur[64];
	uint64_t	 since, next;
	size_t		 n;

	cli_esc(err, esc, sizeof(esc));
	colon = strstr(esc, ": ");
	n = colon != NULL ? (size_t)(colon - esc) : strlen(esc);
	if (n >= sizeof(head))
		n = sizeof(head) - 1;
	memcpy(head, esc, n);
	head[n] = '\0';
	printf("problem:      %s", head);
	if (cli_juint(root, "since", &since))
		printf(" since %s", clock_time(since, now, when,
		    sizeof(when)));
	if (colon != NULL)
		printf(" (%s)", colon + 2);
	if (cli_juint(root, "next_attempt", &next)) {
		if (next > now)
			printf(", retrying in %s", duration(next - now, dur,
			    sizeof(dur)));
		else
			printf(", retrying now");
	}
	printf("\n");
}

/* Print the human form of GET /v1/status. */
static int
print_status(const struct tly_json *root)
{
	struct tly_json	*counts, *records, *relayed, *wire, *batches, *b;
	uint64_t	 v, up, down, seq, nrec, attempts;
	uint64_t	 now = (uint64_t)time(NULL);
	char		 esc[1024], when[64], dur[64], sh[CLI_SHORT_HEX + 1];
	char		 state[32];

	printf("device:       %s\n", cli_esc(cli_jstr(root, "device"), esc,
	    sizeof(esc)));
	printf("central:      %s\n", cli_jstr(root, "central") != NULL ?
	    cli_esc(cli_jstr(root, "central"), esc, sizeof(esc)) :
	    "none configured (batches stay here until exported)");
	counts = tly_json_get(root, "counts");
	records = tly_json_get(root, "records");
	relayed = tly_json_get(root, "relayed");
	if (records != NULL) {
		printf("records:      ");
		print_counts(records);
		printf("\n");
	}
	printf("batches:      ");
	print_counts(counts);
	printf("\n");
	if (relayed != NULL && count_of(relayed, "sealed") +
	    count_of(relayed, "sent") + count_of(relayed, "acknowledged") > 0) {
		printf("relayed:      ");
		print_counts(relayed);
		printf(" (batches of other devices)\n");
	}
	if (cli_juint(root, "last_contact", &v))
		printf("last contact: %s (%s ago)\n",
		    local_time(v, when, sizeof(when)),
		    duration(now > v ? now - v : 0, dur, sizeof(dur)));
	else
		printf("last contact: never\n");
	if (cli_jstr(root, "last_error") != NULL)
		print_problem(root, now);
	else if (cli_juint(root, "next_attempt", &v))
		printf("next attempt: %s\n", v > now ? duration(v - now, dur,
		    sizeof(dur)) : "now");
	else if (cli_jstr(root, "central") != NULL &&
	    count_of(counts, "sealed") + count_of(counts, "sent") +
	    count_of(relayed, "sealed") + count_of(relayed, "sent") == 0)
		printf("delivery:     everything is acknowledged\n");
	wire = tly_json_get(root, "wire");
	if (cli_juint(wire, "records", &v) && v > 0 &&
	    cli_juint(wire, "up_per_record", &up) &&
	    cli_juint(wire, "down_per_record", &down))
		printf("on the wire:  %llu bytes up, %llu down per record "
		    "(%llu records acknowledged)\n", (unsigned long long)up,
		    (unsigned long long)down, (unsigned long long)v);

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
	static const struct option	 longopts[] = {
		{ "central",	required_argument,	NULL, 'C' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	const char		*central = NULL;
	int			 c, json = 0, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			central = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help("status");
		default:
			return cli_bad_option("status", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error("status", "unexpected argument '%s'",
		    argv[optind]);
	if (central != NULL)
		return cli_central_status(central, json);

	memset(&res, 0, sizeof(res));
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
