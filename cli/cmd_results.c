/*
 * cmd_results.c: tally results --central URL: the per-constituency
 * totals a central holds (PROTOCOL.md 8.4), as a table per level.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"

#define RESULTS_RESP_MAX	(256UL * 1024 * 1024)	/* answer cap */
#define LEVELS_SHOWN		64	/* distinct levels grouped */

/* An integer member as text, "-" when absent. */
static const char *
num(const struct tly_json *obj, const char *name, char *out, size_t outlen)
{
	uint64_t	v;

	if (cli_juint(obj, name, &v))
		snprintf(out, outlen, "%llu", (unsigned long long)v);
	else
		snprintf(out, outlen, "-");
	return out;
}

/* Print one constituency row and its candidates. */
static void
print_constituency(const struct tly_json *c)
{
	struct tly_json	*cands, *k;
	const char	*turnout = cli_jstr(c, "turnout");
	char		 id[256], seats[24], rep[24], areas[24], reg[24];
	char		 voted[24], valid[24], inval[24], votes[24], pct[32];
	char		 cid[256], share[48];

	if (turnout == NULL || strcmp(turnout, "-") == 0)
		snprintf(pct, sizeof(pct), "-");
	else
		snprintf(pct, sizeof(pct), "%s%%",
		    cli_esc(turnout, id, sizeof(id)));
	snprintf(share, sizeof(share), "%s/%s", num(c, "reporting", rep,
	    sizeof(rep)), num(c, "areas", areas, sizeof(areas)));
	printf("%-20s %5s %11s %12s %12s %8s %12s %9s\n",
	    cli_esc(cli_jstr(c, "id"), id, sizeof(id)),
	    num(c, "seats", seats, sizeof(seats)), share,
	    num(c, "registered", reg, sizeof(reg)),
	    num(c, "voted", voted, sizeof(voted)), pct,
	    num(c, "valid", valid, sizeof(valid)),
	    num(c, "invalid", inval, sizeof(inval)));
	cands = tly_json_get(c, "candidates");
	for (k = tly_json_first(cands); k != NULL; k = tly_json_next(k))
		printf("    %-30s %12s\n",
		    cli_esc(cli_jstr(k, "id"), cid, sizeof(cid)),
		    num(k, "votes", votes, sizeof(votes)));
}

/* 1 if constituency c belongs to level (always, when level is NULL). */
static int
at_level(const struct tly_json *c, const char *level)
{
	const char	*l = cli_jstr(c, "level");

	return level == NULL || (l != NULL && strcmp(l, level) == 0);
}

/* Print the tables, one per level in order of first appearance. */
static int
print_results(const struct tly_json *root, const char *only)
{
	struct tly_json	*cs, *c;
	const char	*levels[LEVELS_SHOWN], *l;
	size_t		 nlev = 0, i, shown = 0;
	char		 esc[256], esc2[256];

	cs = tly_json_get(root, "constituencies");
	if (!tly_json_is_array(cs)) {
		cli_err("results: bad response: no constituencies");
		return CLI_EXIT_FAIL;
	}
	printf("election %s, mode %s\n",
	    cli_esc(cli_jstr(root, "election"), esc, sizeof(esc)),
	    cli_esc(cli_jstr(root, "mode"), esc2, sizeof(esc2)));
	for (c = tly_json_first(cs); c != NULL; c = tly_json_next(c)) {
		if (!at_level(c, only) || (l = cli_jstr(c, "level")) == NULL)
			continue;
		for (i = 0; i < nlev; i++)
			if (strcmp(levels[i], l) == 0)
				break;
		if (i == nlev && nlev < LEVELS_SHOWN)
			levels[nlev++] = l;
	}
	for (i = 0; i < nlev; i++) {
		printf("\nlevel %s\n", cli_esc(levels[i], esc, sizeof(esc)));
		printf("%-20s %5s %11s %12s %12s %8s %12s %9s\n",
		    "constituency", "seats", "reporting", "registered",
		    "voted", "turnout", "valid", "invalid");
		for (c = tly_json_first(cs); c != NULL; c = tly_json_next(c))
			if (at_level(c, levels[i])) {
				print_constituency(c);
				shown++;
			}
	}
	if (shown == 0)
		printf("\nno constituencies%s%s\n", only != NULL ?
		    " at level " : "", only != NULL ? cli_esc(only, esc,
		    sizeof(esc)) : "");
	return CLI_EXIT_OK;
}

/* Write one constituency back as JSON (for --json with --level). */
static void
write_constituency(struct tly_jw *w, const struct tly_json *c)
{
	static const char *const ints[] = { "seats", "areas", "reporting",
	    "registered", "voted", "valid", "invalid", NULL };
	struct tly_json	*k;
	uint64_t	 v;
	size_t		 i;

	tly_jw_obj_open(w);
	tly_jw_key(w, "id");
	tly_jw_str(w, cli_jstr(c, "id"));
	tly_jw_key(w, "level");
	tly_jw_str(w, cli_jstr(c, "level"));
	for (i = 0; ints[i] != NULL; i++)
		if (cli_juint(c, ints[i], &v)) {
			tly_jw_key(w, ints[i]);
			tly_jw_uint(w, v);
		}
	tly_jw_key(w, "turnout");
	tly_jw_str(w, cli_jstr(c, "turnout"));
	tly_jw_key(w, "candidates");
	tly_jw_arr_open(w);
	for (k = tly_json_first(tly_json_get(c, "candidates")); k != NULL;
	    k = tly_json_next(k)) {
		tly_jw_obj_open(w);
		tly_jw_key(w, "id");
		tly_jw_str(w, cli_jstr(k, "id"));
		tly_jw_key(w, "votes");
		if (cli_juint(k, "votes", &v))
			tly_jw_uint(w, v);
		else
			tly_jw_null(w);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_obj_close(w);
}

/* --json --level: the answer with only that level's constituencies. */
static int
print_filtered_json(const struct tly_json *root, const char *level)
{
	struct tly_buf	 out = TLY_BUF_INIT(RESULTS_RESP_MAX);
	struct tly_jw	 w;
	struct tly_json	*c;
	int		 ret = CLI_EXIT_FAIL;

	tly_jw_init(&w, &out);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "election");
	tly_jw_str(&w, cli_jstr(root, "election"));
	tly_jw_key(&w, "mode");
	tly_jw_str(&w, cli_jstr(root, "mode"));
	tly_jw_key(&w, "constituencies");
	tly_jw_arr_open(&w);
	for (c = tly_json_first(tly_json_get(root, "constituencies"));
	    c != NULL; c = tly_json_next(c))
		if (at_level(c, level))
			write_constituency(&w, c);
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	if (tly_jw_finish(&w) != TLY_OK)
		cli_err("results: cannot write JSON");
	else
		ret = cli_print_buf(&out);
	tly_buf_free(&out);
	return ret;
}

int
cmd_results(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "central",	required_argument,	NULL, 'C' },
		{ "level",	required_argument,	NULL, 'l' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct tly_http_result		 res;
	struct tly_json			*root = NULL;
	const char			*central = NULL, *level = NULL;
	int				 c, json = 0, ret = CLI_EXIT_FAIL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			central = optarg;
			break;
		case 'l':
			level = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help("results");
		default:
			return cli_bad_option("results", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error("results", "unexpected argument '%s'",
		    argv[optind]);
	if (central == NULL || *central == '\0')
		return cli_usage_error("results", "--central URL is required");

	if (cli_central(central, "GET", "/v1/results", NULL, NULL, 0, 0,
	    RESULTS_RESP_MAX, &res) != TLY_OK)
		goto out;
	if (res.status != 200) {
		cli_http_fail("results", &res);
		goto out;
	}
	if (cli_json_body("results", &res, &root) != TLY_OK)
		goto out;
	if (json && level == NULL)
		ret = cli_print_buf(&res.body);
	else if (json)
		ret = print_filtered_json(root, level);
	else
		ret = print_results(root, level);
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}
