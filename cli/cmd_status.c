/*
 * cmd_status.c: tally status and tally sync: what the daemon holds and
 * has delivered, and a delivery attempt on demand (PROTOCOL.md 9).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/trust.h"
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

/*
 * "3 sealed, 0 sent, 12 acknowledged" from a counts object, then
 * ", 1 REJECTED" when the central refused some for good.
 */
static void
print_counts(const struct tly_json *c)
{
	printf("%llu sealed, %llu sent, %llu acknowledged",
	    count_of(c, "sealed"), count_of(c, "sent"),
	    count_of(c, "acknowledged"));
	if (count_of(c, "rejected") > 0)
		printf(", %llu REJECTED", count_of(c, "rejected"));
}

/* The wire's error codes (PROTOCOL.md 8.6) in a clerk's words. */
static const struct {
	const char	*code;
	const char	*words;
} code_words[] = {
	{ "wrong_election", "the central counts another election "
	  "definition than this laptop's" },
	{ "wrong_mode", "the central runs in the other mode (live or test)" },
	{ "unknown_device", "the central does not know this laptop's key" },
	{ "bad_record", "the central found a record that fails the checks" },
	{ "seq_conflict", "the central holds other batches of this laptop "
	  "for that place in its chain" },
	{ "seq_gap", "the central lacks earlier batches of this laptop" },
	{ "chain_broken", "the batch does not link to this laptop's chain" },
	{ "equivocation", "the central holds another batch this laptop "
	  "signed for the same place in its chain" },
	{ "bad_signature", "the batch's signature does not verify" },
	{ "too_large", "the batch is too large for the central" },
	{ "busy", "the central is busy" },
	{ "internal", "the central failed" },
};

/*
 * Copy text to out with a leading wire code ("wrong_election: ...")
 * replaced by its words; other text unchanged.
 */
static const char *
in_words(const char *text, char *out, size_t outlen)
{
	size_t	i, n;

	for (i = 0; i < sizeof(code_words) / sizeof(code_words[0]); i++) {
		n = strlen(code_words[i].code);
		if (strncmp(text, code_words[i].code, n) == 0 &&
		    (text[n] == '\0' || text[n] == ':')) {
			snprintf(out, outlen, "%s%s", code_words[i].words,
			    text + n);
			return out;
		}
	}
	snprintf(out, outlen, "%s", text);
	return out;
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
	char		 esc[1024], head[512], when[64], dur[64], words[1200];
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
	if (colon != NULL) {
		/* "batch seq 3 rejected: wrong_election: ..." */
		printf(" (%s)", in_words(colon + 2, words, sizeof(words)));
	}
	if (cli_juint(root, "next_attempt", &next)) {
		if (next > now)
			printf(", retrying in %s", duration(next - now, dur,
			    sizeof(dur)));
		else
			printf(", retrying now");
	}
	printf("\n");
}

/*
 * The device's own certificate (scope and expiry), and whether the
 * central's receipts are checked against its certificate.
 */
static void
print_certs(const struct tly_json *root)
{
	struct tly_buf	 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	struct tly_cert	*c = NULL;
	const char	*s = cli_jstr(root, "certificate");
	uint64_t	 now = (uint64_t)time(NULL), at, serial;
	char		 t[32];
	int		 certified = 0;

	if (s == NULL)
		printf("certificate:  none: this laptop is not enrolled "
		    "(tally enroll request, then tally enroll install)\n");
	else if (tly_b64_decode(s, strlen(s), &b) != TLY_OK ||
	    tly_cert_parse(b.p, b.len, NULL, &c) != TLY_OK)
		printf("certificate:  unreadable\n");
	else {
		printf("certificate:  ");
		cli_cert_print(c);
		if (c->not_after < now)
			printf("              EXPIRED since %s: the central "
			    "refuses its batches\n", cli_fmt_time(c->not_after,
			    t, sizeof(t)));
		else if (c->not_after - now < 86400)
			printf("              EXPIRES SOON, at %s (in %llu "
			    "h): the central refuses the batches it receives "
			    "after that; ask the authority for a renewal\n",
			    cli_fmt_time(c->not_after, t, sizeof(t)),
			    (unsigned long long)((c->not_after - now) / 3600));
		if (cli_juint(root, "certificate_revoked", &at))
			printf("              REVOKED: the authority revoked "
			    "this laptop's certificate for the batches the "
			    "central receives from %s on; the central refuses "
			    "them.  Do not record more with this laptop; call "
			    "the committee.\n", cli_fmt_time(at, t, sizeof(t)));
	}
	/* PROTOCOL.md 9.7: the newest list fetched from the central. */
	if (cli_juint(root, "revocations", &serial) && serial > 0)
		printf("revocations:  list %llu, from the central\n",
		    (unsigned long long)serial);
	else if (cli_juint(root, "revocations", &serial))
		printf("revocations:  none received from the central yet\n");
	(void)tly_json_bool(tly_json_get(root, "central_certified"), "status",
	    &certified);
	if (cli_jstr(root, "central") != NULL)
		printf("central key:  %s\n", certified ? "certified by the authority "
		    "(central-cert)" : "not certified: receipts are checked "
		    "against central-key only");
	tly_cert_free(c);
	tly_buf_free(&b);
}

/* The device's freeze (PROTOCOL.md 9.4) in plain words. */
static void
print_frozen(uint64_t seq)
{
	printf("FROZEN:       the central has frozen this laptop's key at seq "
	    "%llu: two different batches were signed with it for the same "
	    "place in its chain (the key was used on two laptops, or "
	    "restored onto an empty store).  Its batches from there on do "
	    "not count until the authority decides.  Do not record more "
	    "with this key; call the committee.\n", (unsigned long long)seq);
}

/* Print the human form of GET /v1/status. */
static int
print_status(const struct tly_json *root)
{
	struct tly_json	*counts, *records, *relayed, *wire, *batches, *b;
	struct tly_json	*election;
	uint64_t	 v, up, down, seq, nrec, attempts;
	int		 proven, frozen;
	uint64_t	 now = (uint64_t)time(NULL);
	char		 esc[1024], when[64], dur[64], sh[CLI_SHORT_HEX + 1];
	char		 state[32];
	unsigned long long rejected;

	printf("device:       %s\n", cli_esc(cli_jstr(root, "device"), esc,
	    sizeof(esc)));
	printf("central:      %s\n", cli_jstr(root, "central") != NULL ?
	    cli_esc(cli_jstr(root, "central"), esc, sizeof(esc)) :
	    "none configured (batches stay here until exported)");
	election = tly_json_get(root, "election");
	if (cli_jstr(election, "name") != NULL) {
		printf("election:     %s", cli_esc(cli_jstr(election, "name"),
		    esc, sizeof(esc)));
		printf(" (id %s)\n", cli_esc(cli_jstr(election, "id"), esc,
		    sizeof(esc)));
	}
	print_certs(root);
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
	    count_of(relayed, "sent") + count_of(relayed, "acknowledged") +
	    count_of(relayed, "rejected") > 0) {
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
	/* Proven: a receipt or a link check verified under its key. */
	proven = cli_juint(root, "last_proven", &v);
	if (proven)
		printf("proven:       %s (%s ago): the central answered with "
		    "its key\n", local_time(v, when, sizeof(when)),
		    duration(now > v ? now - v : 0, dur, sizeof(dur)));
	else if (cli_jstr(root, "central") != NULL)
		printf("proven:       never: run 'tally check-link' to prove "
		    "the address, the key and the path\n");
	proven |= count_of(counts, "acknowledged") > 0;
	rejected = count_of(counts, "rejected") + count_of(relayed, "rejected");
	if ((frozen = cli_juint(root, "frozen", &v)))
		print_frozen(v);
	if (rejected > 0)
		printf("rejected:     %llu batch%s refused for good by the "
		    "central, never sent again (see the error below)\n",
		    rejected, rejected == 1 ? "" : "es");
	if (cli_jstr(root, "last_error") != NULL)
		print_problem(root, now);
	else if (cli_juint(root, "next_attempt", &v))
		printf("next attempt: %s\n", v > now ? duration(v - now, dur,
		    sizeof(dur)) : "now");
	else if (cli_jstr(root, "central") != NULL &&
	    count_of(counts, "sealed") + count_of(counts, "sent") +
	    count_of(relayed, "sealed") + count_of(relayed, "sent") == 0) {
		/* Never "everything is acknowledged" without proof, nor
		 * while the central refused a batch for good. */
		if (count_of(counts, "acknowledged") +
		    count_of(relayed, "acknowledged") == 0 && rejected == 0)
			printf("delivery:     nothing to deliver yet\n");
		else if (proven && rejected == 0 && !frozen)
			printf("delivery:     everything is acknowledged\n");
	}
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
	uint64_t		 acked, pending, rejected;
	char			 esc[1024], words[1200];
	int			 json, ret, ok;

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
	if (!cli_juint(root, "rejected", &rejected))
		rejected = 0;
	ok = strcmp(outcome, "ok") == 0;
	if (json) {
		if (cli_print_buf(&res.body) != CLI_EXIT_OK)
			goto out;
	} else if (ok && pending == 0 && rejected > 0)
		printf("sync: ok: the central answered; nothing left to send "
		    "(%llu batches acknowledged in this attempt), but %llu "
		    "batch%s rejected for good by the central: see tally "
		    "status\n", (unsigned long long)acked,
		    (unsigned long long)rejected,
		    rejected == 1 ? " was" : "es were");
	else if (ok && pending == 0)
		printf("sync: ok: the central answered; everything is "
		    "acknowledged (%llu batches in this attempt)\n",
		    (unsigned long long)acked);
	else if (strcmp(outcome, "no_central") != 0 &&
	    strcmp(outcome, "frozen") != 0)
		printf("sync: %s: %llu acknowledged in this attempt, %llu "
		    "still pending\n", ok ? "ok" : "not delivered",
		    (unsigned long long)acked, (unsigned long long)pending);
	if (ok) {
		ret = CLI_EXIT_OK;
		goto out;
	}
	if (strcmp(outcome, "no_central") == 0)
		cli_err("sync: no central is configured; %llu batches wait "
		    "here: use tally export to carry them on a bundle file",
		    (unsigned long long)pending);
	else
		cli_err("sync: %s", cli_esc(cli_jstr(root, "error") != NULL ?
		    in_words(cli_jstr(root, "error"), words, sizeof(words)) :
		    "delivery did not complete", esc, sizeof(esc)));
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}

/* tally status (tally(1)). */
const struct tly_cmd_entry cmd_status_entry = {
	.name = "status",
	.exec = cmd_status,
	.usage = "[--central url] [--json]",
	.options = "      --central URL  show a central instead: batches applied and\n"
	    "                     pending, frozen devices and their evidence,\n"
	    "                     records in conflict, the state hash\n"
	    "      --json         print the answer as JSON\n",
	.about = "Show the device, its central, the state of every batch and the\n"
	    "last delivery problem in plain words; or, with --central, what a\n"
	    "central holds.\n",
	.summary = "show what the daemon (or a central) holds and has delivered",
};

/* tally sync (tally(1)). */
const struct tly_cmd_entry cmd_sync_entry = {
	.name = "sync",
	.exec = cmd_sync,
	.usage = "[--json]",
	.options = "      --json        print the outcome as JSON\n",
	.about = "Ask tallyd to deliver pending batches now and wait (up to 30 s)\n"
	    "for the attempt.  Exits 1 unless every batch was delivered.\n",
	.summary = "deliver pending batches to the central now",
};
