/*
 * cmd_results.c: tally results --central URL: the results a central
 * computes (docs/RESULTS.md): a summary per level, the constituencies of
 * one level, one constituency's candidates, or one administrative area.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"

#define RESULTS_PATH_MAX	4096	/* request path cap */

/* The statuses in the order they are printed (docs/RESULTS.md). */
static const char *const statuses[] = {
	"DETERMINED", "NEEDS_ADDITIONAL_ELECTION", "NEEDS_REELECTION",
	"RECOGNISED_LOW_TURNOUT", "MANUAL_TIEBREAK", "DISPUTED", "INCOMPLETE",
	NULL
};

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

/* A string member, escaped for the terminal, "-" when absent. */
static const char *
str(const struct tly_json *obj, const char *name, char *out, size_t outlen)
{
	const char	*s = cli_jstr(obj, name);

	return cli_esc(s != NULL ? s : "-", out, outlen);
}

/* A percentage member ("99.68") as "99.68%", or "-". */
static const char *
pct(const struct tly_json *obj, const char *name, char *out, size_t outlen)
{
	const char	*s = cli_jstr(obj, name);
	char		 esc[64];

	if (s == NULL || strcmp(s, "-") == 0)
		snprintf(out, outlen, "-");
	else
		snprintf(out, outlen, "%s%%", cli_esc(s, esc, sizeof(esc)));
	return out;
}

/* Percent-encode s (RFC 3986: unreserved characters and '/' kept). */
static int
urlencode(const char *s, char *out, size_t outlen)
{
	static const char	 hexd[] = "0123456789ABCDEF";
	size_t			 o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == '/';

		if (o + (keep ? 1 : 3) >= outlen)
			return -1;
		if (keep)
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hexd[c >> 4];
			out[o++] = hexd[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/* 1 if boolean member name of obj is present and true. */
static int
jtrue(const struct tly_json *obj, const char *name)
{
	int	v = 0;

	if (tly_json_get(obj, name) == NULL ||
	    tly_json_bool(tly_json_get(obj, name), name, &v) != TLY_OK)
		return 0;
	return v;
}

/* One level's summary row and its status counts. */
static void
print_level(const struct tly_json *l)
{
	const struct tly_json	*st = tly_json_get(l, "status");
	char			 a[128], b[24], c[24], d[24], e[24], f[24];
	char			 g[24], h[24], i[24], j[24], k2[24], share[48];
	size_t			 k;
	uint64_t		 n;

	snprintf(share, sizeof(share), "%s/%s", num(l, "reporting", b,
	    sizeof(b)), num(l, "areas", c, sizeof(c)));
	printf("%-10s %-8s %6s %6s %6s %13s %11s %11s %8s %11s %9s\n",
	    str(l, "level", a, sizeof(a)), str(l, "kind", k2, sizeof(k2)),
	    num(l, "constituencies", d, sizeof(d)),
	    num(l, "seats", e, sizeof(e)), num(l, "seats_filled", f, sizeof(f)),
	    share, num(l, "registered", g, sizeof(g)),
	    num(l, "voted", h, sizeof(h)), pct(l, "turnout", i, sizeof(i)),
	    num(l, "valid", j, sizeof(j)), num(l, "invalid", b, sizeof(b)));
	printf("%10s", jtrue(l, "provisional") ? "provisional" : "");
	for (k = 0; statuses[k] != NULL; k++)
		if (cli_juint(st, statuses[k], &n) && n > 0)
			printf(" %s %llu", statuses[k], (unsigned long long)n);
	printf("\n");
}

static void
print_levels_header(void)
{
	printf("%-10s %-8s %6s %6s %6s %13s %11s %11s %8s %11s %9s\n",
	    "level", "kind", "const", "seats", "filled", "reporting",
	    "registered", "voted", "turnout", "valid", "invalid");
}

/* The summary: one row per level. */
static void
print_summary(const struct tly_json *root)
{
	const struct tly_json	*l;
	char			 e[96], m[16];

	printf("election %s, mode %s\n\n", str(root, "election", e, sizeof(e)),
	    str(root, "mode", m, sizeof(m)));
	print_levels_header();
	for (l = tly_json_first(tly_json_get(root, "levels")); l != NULL;
	    l = tly_json_next(l))
		print_level(l);
}

/* The winners of a constituency summary, comma-separated. */
static const char *
winners(const struct tly_json *c, char *out, size_t outlen)
{
	const struct tly_json	*w;
	size_t			 o = 0;
	char			 esc[160];

	out[0] = '\0';
	for (w = tly_json_first(tly_json_get(c, "winners")); w != NULL;
	    w = tly_json_next(w)) {
		int n = snprintf(out + o, outlen - o, "%s%s", o ? "," : "",
		    cli_esc(tly_json_string(w) ? tly_json_string(w) : "?",
		    esc, sizeof(esc)));
		if (n < 0 || (size_t)n >= outlen - o)
			break;
		o += (size_t)n;
	}
	return o ? out : "-";
}

/* The constituencies of one level. */
static void
print_constituencies(const struct tly_json *root)
{
	const struct tly_json	*c;
	char			 id[128], st[40], a[24], b[24], s[24], f[24];
	char			 t[24], w[512], share[48];

	print_summary(root);
	printf("\n%-16s %5s %6s %-26s %11s %8s  %s\n", "constituency",
	    "seats", "filled", "status", "reporting", "turnout", "winners");
	for (c = tly_json_first(tly_json_get(root, "constituencies"));
	    c != NULL; c = tly_json_next(c)) {
		snprintf(share, sizeof(share), "%s/%s", num(c, "reporting", a,
		    sizeof(a)), num(c, "areas", b, sizeof(b)));
		printf("%-16s %5s %6s %-26s %11s %8s  %s\n",
		    str(c, "id", id, sizeof(id)), num(c, "seats", s, sizeof(s)),
		    num(c, "seats_filled", f, sizeof(f)),
		    str(c, "status", st, sizeof(st)), share,
		    pct(c, "turnout", t, sizeof(t)), winners(c, w, sizeof(w)));
	}
}

/* The ids of array member name of obj, comma-separated, into out. */
static const char *
id_list(const struct tly_json *obj, const char *name, char *out,
    size_t outlen)
{
	const struct tly_json	*m;
	size_t			 o = 0;
	char			 esc[160];
	int			 n;

	out[0] = '\0';
	for (m = tly_json_first(tly_json_get(obj, name)); m != NULL;
	    m = tly_json_next(m)) {
		n = snprintf(out + o, outlen - o, "%s%s", o ? ", " : "",
		    cli_esc(tly_json_string(m), esc, sizeof(esc)));
		if (n < 0 || (size_t)n >= outlen - o)
			break;
		o += (size_t)n;
	}
	return o ? out : "-";
}

/* One constituency and its candidates. */
static void
print_constituency(const struct tly_json *c)
{
	const struct tly_json	*k, *add;
	char			 a[160], b[160], d[32], v[24], p[24], r[24];
	char			 s[48], f[24], x[24], y[24], z[24], t[24];
	char			 nm[200], ids[1024];
	int			 el, ok;

	printf("constituency %s (%s), level %s: %s\n",
	    str(c, "id", a, sizeof(a)), str(c, "name", b, sizeof(b)),
	    str(c, "level", d, sizeof(d)), str(c, "status", s, sizeof(s)));
	printf("seats %s, filled %s; reporting %s/%s; registered %s, voted %s"
	    " (%s); valid %s, invalid %s\n\n",
	    num(c, "seats", f, sizeof(f)), num(c, "seats_filled", v, sizeof(v)),
	    num(c, "reporting", x, sizeof(x)), num(c, "areas", y, sizeof(y)),
	    num(c, "registered", z, sizeof(z)), num(c, "voted", r, sizeof(r)),
	    pct(c, "turnout", t, sizeof(t)), num(c, "valid", p, sizeof(p)),
	    num(c, "invalid", d, sizeof(d)));
	/* Names are padded by display width, not bytes: Vietnamese
	 * letters take two or three bytes and one column. */
	printf("%4s %-14s %s %-10s %10s %8s  %s\n", "rank", "candidate",
	    cli_pad("name", 30, nm, sizeof(nm)), "born", "votes", "% valid",
	    "");
	for (k = tly_json_first(tly_json_get(c, "candidates")); k != NULL;
	    k = tly_json_next(k)) {
		el = jtrue(k, "elected");
		ok = jtrue(k, "eligible");
		printf("%4s %-14s %s %-10s %10s %8s  %s\n",
		    num(k, "rank", r, sizeof(r)), str(k, "id", a, sizeof(a)),
		    cli_pad(str(k, "name", b, sizeof(b)), 30, nm, sizeof(nm)),
		    str(k, "born", d, sizeof(d)),
		    num(k, "votes", v, sizeof(v)),
		    pct(k, "percent_valid", p, sizeof(p)),
		    el ? "elected" : ok ? "more than half" : "");
	}
	if (tly_json_get(c, "tie") != NULL)
		printf("\ntie (Art. 78(4): same votes, same date of birth): "
		    "%s; a manual decision is needed\n",
		    id_list(c, "tie", ids, sizeof(ids)));
	if ((add = tly_json_get(c, "additional_election")) != NULL)
		printf("\nadditional election (Art. 79): %s seats, "
		    "candidates %s\n", num(add, "seats", f, sizeof(f)),
		    id_list(add, "candidates", ids, sizeof(ids)));
}

/* One administrative area's roll-up. */
static void
print_area(const struct tly_json *root)
{
	const struct tly_json	*l, *p;
	char			 esc[256];

	printf("area");
	for (p = tly_json_first(tly_json_get(root, "path")); p != NULL;
	    p = tly_json_next(p))
		printf(" / %s", cli_esc(tly_json_string(p) ?
		    tly_json_string(p) : "?", esc, sizeof(esc)));
	printf("\n\n");
	print_levels_header();
	for (l = tly_json_first(tly_json_get(root, "levels")); l != NULL;
	    l = tly_json_next(l))
		print_level(l);
}

int
cmd_results(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "central",	  required_argument,	NULL, 'C' },
		{ "level",	  required_argument,	NULL, 'l' },
		{ "constituency", required_argument,	NULL, 'c' },
		{ "area",	  required_argument,	NULL, 'a' },
		{ "json",	  no_argument,		NULL, 'j' },
		{ "help",	  no_argument,		NULL, 'h' },
		{ NULL,		  0,			NULL, 0 }
	};
	struct tly_http_result		 res;
	struct tly_json			*root = NULL;
	const char			*central = NULL, *level = NULL;
	const char			*cons = NULL, *area = NULL;
	char				 path[RESULTS_PATH_MAX + 64];
	char				 enc[RESULTS_PATH_MAX];
	int				 c, json = 0, ret = CLI_EXIT_FAIL;

	memset(&res, 0, sizeof(res));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":l:c:a:h", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'C':
			central = optarg;
			break;
		case 'l':
			level = optarg;
			break;
		case 'c':
			cons = optarg;
			break;
		case 'a':
			area = optarg;
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
	if ((level != NULL) + (cons != NULL) + (area != NULL) > 1)
		return cli_usage_error("results", "give at most one of "
		    "--level, --constituency and --area");

	if (cons != NULL || area != NULL || level != NULL) {
		if (urlencode(cons ? cons : area ? area : level, enc,
		    sizeof(enc)) != 0)
			return cli_usage_error("results", "argument too long");
	}
	if (cons != NULL)
		snprintf(path, sizeof(path), "/v1/results/constituencies/%s", enc);
	else if (area != NULL)
		snprintf(path, sizeof(path), "/v1/results/areas/%s", enc);
	else if (level != NULL)
		snprintf(path, sizeof(path), "/v1/results?level=%s", enc);
	else
		snprintf(path, sizeof(path), "/v1/results");

	if (cli_central(central, "GET", path, NULL, NULL, 0, 0,
	    TLY_RESP_MAX, &res) != TLY_OK)
		goto out;
	if (res.status != 200) {
		cli_http_fail("results", &res);
		goto out;
	}
	if (cli_json_body("results", &res, &root) != TLY_OK)
		goto out;
	if (json)
		ret = cli_print_buf(&res.body);
	else {
		if (cons != NULL)
			print_constituency(root);
		else if (area != NULL)
			print_area(root);
		else if (level != NULL)
			print_constituencies(root);
		else
			print_summary(root);
		ret = cli_finish_stdout(CLI_EXIT_OK);
	}
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}

/* tally results (tally(1)). */
const struct tly_cmd_entry cmd_results_entry = {
	.name = "results",
	.exec = cmd_results,
	.usage = "--central url [--level l | --constituency id | --area path] [--json]",
	.options = "      --central URL       the central to ask\n"
	    "  -l, --level L           the constituencies of level L\n"
	    "  -c, --constituency ID   one constituency: candidates, winners, status\n"
	    "  -a, --area PATH         totals of an administrative area, as\n"
	    "                          Province/District/Commune (a prefix)\n"
	    "      --json              print the central's answer as JSON\n",
	.about = "Show the results a central computes from its verified records:\n"
	    "turnout, winners and each constituency's status (Art. 78-80).\n",
	.summary = "show a central's results",
};
