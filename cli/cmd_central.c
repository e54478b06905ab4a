/*
 * cmd_central.c: tally status --central URL: what a central holds, for
 * its operators and for auditors: batches applied and pending, frozen
 * devices with their equivocation evidence, and conflicting records.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"


/* GET path from the central into *rootp (and keep the raw body in res). */
static int
get_json(const char *url, const char *path, struct tly_http_result *res,
    struct tly_json **rootp)
{
	char	what[96];

	*rootp = NULL;
	snprintf(what, sizeof(what), "status: %s", path);
	if (cli_central(url, "GET", path, NULL, NULL, 0, 0, TLY_RESP_MAX,
	    res) != TLY_OK)
		return TLY_E_NET;
	if (res->status != 200) {
		cli_http_fail(what, res);
		return TLY_E_HTTP;
	}
	return cli_json_body(what, res, rootp);
}

/* An integer member, or 0. */
static unsigned long long
u(const struct tly_json *obj, const char *name)
{
	uint64_t	v;

	return cli_juint(obj, name, &v) ? (unsigned long long)v : 0;
}

/* Print the human view of status st and evidence ev. */
static void
print_central(const char *url, const struct tly_json *st,
    const struct tly_json *ev)
{
	const struct tly_json	*f, *e, *b;
	char			 esc[256], sh[CLI_SHORT_HEX + 1];
	char			 sa[CLI_SHORT_HEX + 1], sb[CLI_SHORT_HEX + 1];
	const char		*ids[2];
	int			 i, resolved;

	printf("central:      %s\n", cli_esc(url, esc, sizeof(esc)));
	printf("key:          %s\n", cli_esc(cli_jstr(st, "key"), esc,
	    sizeof(esc)));
	printf("election:     %s (%s)\n", cli_esc(cli_jstr(st, "election"),
	    esc, sizeof(esc)), cli_jstr(st, "mode") ? cli_jstr(st, "mode") :
	    "-");
	printf("devices:      %llu\n", u(st, "devices"));
	printf("batches:      %llu held: %llu applied, %llu pending "
	    "(waiting for earlier batches or frozen)\n", u(st, "batches"),
	    u(st, "applied"), u(st, "pending"));
	printf("record keys:  %llu, %llu in conflict%s\n", u(st, "keys"),
	    u(st, "conflicts"), u(st, "conflicts") ? " (their constituencies "
	    "are DISPUTED; see GET /v1/conflicts)" : "");
	printf("state hash:   %s\n", cli_esc(cli_jstr(st, "state_hash"), esc,
	    sizeof(esc)));
	printf("evidence:     %llu equivocation proof%s, %llu frozen "
	    "device%s\n", u(st, "evidence"), u(st, "evidence") == 1 ? "" : "s",
	    u(st, "frozen"), u(st, "frozen") == 1 ? "" : "s");
	for (f = tly_json_first(tly_json_get(ev, "frozen")); f != NULL;
	    f = tly_json_next(f))
		printf("  FROZEN  device %s from seq %llu: its later batches "
		    "are stored, not applied\n", cli_short(cli_jstr(f, "device"),
		    sh), u(f, "seq"));
	for (e = tly_json_first(tly_json_get(ev, "evidence")); e != NULL;
	    e = tly_json_next(e)) {
		b = tly_json_first(tly_json_get(e, "batches"));
		for (i = 0; i < 2; i++, b = tly_json_next(b))
			ids[i] = tly_json_string(b);
		resolved = 0;
		if (tly_json_get(e, "resolved") != NULL)
			(void)tly_json_bool(tly_json_get(e, "resolved"),
			    "resolved", &resolved);
		printf("  proof   device %s seq %llu (%s): batches %s and %s%s\n",
		    cli_short(cli_jstr(e, "device"), sh), u(e, "seq"),
		    cli_esc(cli_jstr(e, "kind"), esc, sizeof(esc)),
		    cli_short(ids[0], sa), cli_short(ids[1], sb),
		    resolved ? " (resolved by an unfreeze decision)" : "");
	}
}

int
cli_central_status(const char *url, int json)
{
	struct tly_http_result	 rs, re;
	struct tly_json		*st = NULL, *ev = NULL;
	int			 ret = CLI_EXIT_FAIL;

	memset(&rs, 0, sizeof(rs));
	memset(&re, 0, sizeof(re));
	if (get_json(url, "/v1/status", &rs, &st) != TLY_OK ||
	    get_json(url, "/v1/evidence", &re, &ev) != TLY_OK)
		goto out;
	if (json) {
		printf("{\"status\":%.*s,\"evidence\":%.*s}\n", (int)rs.body.len,
		    (const char *)rs.body.p, (int)re.body.len,
		    (const char *)re.body.p);
		ret = cli_finish_stdout(CLI_EXIT_OK);
	} else {
		print_central(url, st, ev);
		ret = cli_finish_stdout(CLI_EXIT_OK);
	}
 out:
	tly_json_free(st);
	tly_json_free(ev);
	tly_http_result_free(&rs);
	tly_http_result_free(&re);
	return ret;
}
