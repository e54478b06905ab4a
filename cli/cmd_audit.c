/*
 * cmd_audit.c: tally audit --feed URL|FILE --authority KEY: recompute
 * every constituency from the central's audit feed (PROTOCOL.md 12.7)
 * with nothing but the authority's public key, and compare with what
 * the central publishes (GET /v1/results, per level, and GET
 * /v1/state-hash).  The trust objects come from GET /v1/trust and are
 * each verified under the authority (section 13); the definition from
 * --election or GET /v1/election, checked against the authority's
 * definition statement (13.1).  audit_state.c recomputes.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"
#include "election/results.h"
#include "sync/feed.h"
#include "sync/http.h"
#include "sync/trust.h"

#define FEED_PAGE	1000		/* entries asked per feed page */
#define PROGRESS_MIN	10000		/* entries before progress shows */
#define DIFF_SHOW	200		/* differences printed at most */
#define WHERE_MAX	512		/* a difference's place */

/* One audit. */
struct aud {
	const char		*feed;		/* --feed */
	const char		*base;		/* the central's base URL */
	const char		*defpath;	/* --election, or NULL */
	const char		*authpath;	/* --authority */
	uint8_t			 authority[TLY_PK_LEN];
	struct tly_buf		 defraw;	/* the definition's bytes */
	struct tly_election	*def;
	struct tly_trust	*trust;
	struct tly_feed	 f;
	struct audit_run	 run;
	struct tly_json		*summary;	/* the central's GET /v1/results */
	char			 mode[8];	/* its mode */
	size_t			 diffs;		/* differences found */
	size_t			 bad_trust;	/* trust objects refused */
	int			 statement;	/* a good definition statement */
};

/* Count one difference and print it (the first DIFF_SHOW of them). */
static void __attribute__((format(printf, 2, 3)))
say_diff(struct aud *a, const char *fmt, ...)
{
	va_list	ap;

	if (a->diffs++ >= DIFF_SHOW)
		return;
	printf("DIFF ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* 1 when s is an http(s) URL. */
static int
is_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* GET base + path into *res; 200 or a reported failure (TLY_E_HTTP). */
static int
get(struct aud *a, const char *path, size_t max,
    struct tly_http_result *res)
{
	int	r;

	if ((r = cli_central(a->base, "GET", path, NULL, NULL, 0, 0, max,
	    res)) != TLY_OK)
		return r;
	if (res->status != 200) {
		cli_http_fail("audit", res);
		return TLY_E_HTTP;
	}
	return TLY_OK;
}

/* GET base + path as JSON into *rootp. */
static int
get_json(struct aud *a, const char *path, size_t max, struct tly_json **rootp)
{
	struct tly_http_result	res;
	int			r;

	memset(&res, 0, sizeof(res));
	*rootp = NULL;
	if ((r = get(a, path, max, &res)) == TLY_OK)
		r = cli_json_body("audit", &res, rootp);
	tly_http_result_free(&res);
	return r;
}

/* The definition: --election, else the central's GET /v1/election. */
static int
load_definition(struct aud *a)
{
	struct tly_http_result	res;
	char			why[600];
	int			r;

	a->defraw = (struct tly_buf)TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	if (a->defpath != NULL) {
		if ((r = cli_read_input("audit", a->defpath,
		    TLY_ELECTION_FILE_MAX, &a->defraw)) != TLY_OK)
			return r;
	} else {
		memset(&res, 0, sizeof(res));
		if ((r = get(a, "/v1/election", TLY_ELECTION_FILE_MAX,
		    &res)) == TLY_OK)
			r = tly_buf_add(&a->defraw, res.body.p, res.body.len);
		tly_http_result_free(&res);
		if (r != TLY_OK)
			return r;
	}
	tly_hash(a->defraw.p, a->defraw.len, a->run.ehash);
	tly_errclear();
	if ((r = tly_election_parse(a->defraw.p, a->defraw.len, &a->def)) !=
	    TLY_OK)
		cli_err("audit: %s: bad election definition: %s",
		    a->defpath != NULL ? a->defpath : "the central's",
		    cli_esc(tly_errdetail(), why, sizeof(why)));
	return r;
}

/* One object of GET /v1/trust, verified under the authority (13). */
static void
trust_object(struct aud *a, size_t i, const uint8_t *m, size_t len)
{
	char	ctx[TLY_CTX_MAX + 1], esc[600];
	int	r;

	tly_errclear();
	if ((r = tly_trust_context(m, len, ctx, sizeof(ctx))) != TLY_OK)
		goto bad;
	if (strcmp(ctx, TLY_CTX_DEFINITION) == 0) {
		if ((r = tly_definition_verify(m, len, a->authority,
		    a->defraw.p, a->defraw.len, NULL)) != TLY_OK)
			goto bad;
		a->statement = 1;
	} else if (strcmp(ctx, TLY_CTX_CERT) == 0 ||
	    strcmp(ctx, TLY_CTX_CENTRAL_CERT) == 0) {
		if ((r = tly_trust_add_cert(a->trust, m, len)) != TLY_OK)
			goto bad;
	} else if (strcmp(ctx, TLY_CTX_REVOCATIONS) == 0) {
		if ((r = tly_trust_set_revocations(a->trust, m, len)) != TLY_OK)
			goto bad;
	} else {
		r = tly_fail(TLY_E_CONTEXT, "%s is not a trust object", ctx);
		goto bad;
	}
	return;
 bad:
	a->bad_trust++;
	printf("BAD  trust object %zu: %s: %s\n", i, tly_err_code(r),
	    cli_esc(tly_errdetail(), esc, sizeof(esc)));
}

/* The authority's objects the central holds (8.11). */
static int
load_trust(struct aud *a)
{
	struct tly_json		*root = NULL;
	const struct tly_json	*arr, *n;
	struct tly_buf		 m = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	const char		*s;
	size_t			 i;
	int			 r;

	if ((r = tly_trust_create(a->authority, a->run.ehash, &a->trust)) !=
	    TLY_OK)
		return r;
	if ((r = get_json(a, "/v1/trust", TLY_RESP_MAX, &root)) != TLY_OK)
		return r;
	if ((arr = tly_json_get(root, "objects")) == NULL ||
	    !tly_json_is_array(arr)) {
		cli_err("audit: GET /v1/trust: no \"objects\"");
		r = TLY_E_HTTP;
		goto out;
	}
	for (n = tly_json_first(arr), i = 0; n != NULL;
	    n = tly_json_next(n), i++) {
		tly_buf_reset(&m);
		if ((s = tly_json_string(n)) == NULL ||
		    tly_b64_decode(s, strlen(s), &m) != TLY_OK) {
			a->bad_trust++;
			printf("BAD  trust object %zu: not base64\n", i);
			continue;
		}
		trust_object(a, i, m.p, m.len);
	}
	if (!a->statement) {
		a->bad_trust++;
		printf("BAD  no definition statement of the authority over "
		    "this definition\n");
	}
 out:
	tly_buf_free(&m);
	tly_json_free(root);
	return r;
}

/* The feed: every page from the central, or a saved page from a file. */
static int
load_feed(struct aud *a)
{
	struct tly_buf	 file = TLY_BUF_INIT(TLY_BUNDLE_FILE_MAX);
	struct tly_json	*root = NULL;
	char		 path[64], why[600];
	uint64_t	 after = 0;
	int		 r, progress = isatty(STDERR_FILENO);

	if (!is_url(a->feed)) {
		if ((r = cli_read_input("audit", a->feed, TLY_BUNDLE_FILE_MAX,
		    &file)) != TLY_OK)
			goto out;
		tly_errclear();
		if ((r = tly_json_parse(file.p, file.len, &root)) != TLY_OK ||
		    (r = tly_feed_page(&a->f, root)) != TLY_OK)
			cli_err("audit: %s: not a feed: %s", a->feed,
			    cli_esc(tly_errdetail(), why, sizeof(why)));
		else if (a->f.more)
			cli_err("audit: %s: the saved feed says more entries "
			    "follow; auditing those it holds", a->feed);
		goto out;
	}
	do {
		snprintf(path, sizeof(path), "/v1/feed?after=%llu&limit=%d",
		    (unsigned long long)after, FEED_PAGE);
		tly_json_free(root);
		if ((r = get_json(a, path, TLY_RESP_MAX, &root)) != TLY_OK)
			goto out;
		tly_errclear();
		if ((r = tly_feed_page(&a->f, root)) != TLY_OK) {
			cli_err("audit: GET %s: %s", path,
			    cli_esc(tly_errdetail(), why, sizeof(why)));
			goto out;
		}
		if (a->f.more && a->f.next <= after) {
			cli_err("audit: GET %s: the feed does not advance",
			    path);
			r = TLY_E_HTTP;
			goto out;
		}
		after = a->f.next;
		if (progress || a->f.n >= PROGRESS_MIN)
			fprintf(stderr, "\raudit: feed: %zu entries read",
			    a->f.n);
	} while (a->f.more);
	if (progress || a->f.n >= PROGRESS_MIN)
		fprintf(stderr, "\n");
 out:
	tly_json_free(root);
	tly_buf_free(&file);
	return r;
}

/* Append the JSON text of node n to w. */
static void
render_node(const struct tly_json *n, struct tly_jw *w)
{
	const struct tly_json	*c;
	uint64_t		 v;
	int			 b;

	if (tly_json_is_object(n)) {
		tly_jw_obj_open(w);
		for (c = tly_json_first(n); c != NULL; c = tly_json_next(c)) {
			tly_jw_key(w, tly_json_name(c));
			render_node(c, w);
		}
		tly_jw_obj_close(w);
	} else if (tly_json_is_array(n)) {
		tly_jw_arr_open(w);
		for (c = tly_json_first(n); c != NULL; c = tly_json_next(c))
			render_node(c, w);
		tly_jw_arr_close(w);
	} else if (tly_json_is_string(n))
		tly_jw_str(w, tly_json_string(n));
	else if (tly_json_is_null(n))
		tly_jw_null(w);
	else if (tly_json_bool(n, "", &b) == TLY_OK)
		tly_jw_bool(w, b);
	else if (tly_json_int(n, "", &v) == TLY_OK)
		tly_jw_uint(w, v);
	else
		tly_jw_null(w);
}

/* The JSON text of n (or "(absent)") in out, shortened for a line. */
static const char *
render(const struct tly_json *n, char *out, size_t outlen)
{
	struct tly_buf	b = TLY_BUF_INIT(TLY_RESP_MAX);
	struct tly_jw	w;

	if (n == NULL) {
		snprintf(out, outlen, "(absent)");
		return out;
	}
	tly_jw_init(&w, &b);
	render_node(n, &w);
	if (tly_jw_finish(&w) != TLY_OK)
		snprintf(out, outlen, "(too large)");
	else if (b.len + 1 > outlen)
		snprintf(out, outlen, "%.*s...", (int)(outlen - 4),
		    (const char *)b.p);
	else
		snprintf(out, outlen, "%.*s", (int)b.len, (const char *)b.p);
	tly_buf_free(&b);
	return out;
}

/* 1 when nodes x and y have the same JSON text. */
static int
same(const struct tly_json *x, const struct tly_json *y)
{
	struct tly_buf	bx = TLY_BUF_INIT(TLY_RESP_MAX);
	struct tly_buf	by = TLY_BUF_INIT(TLY_RESP_MAX);
	struct tly_jw	wx, wy;
	int		eq;

	tly_jw_init(&wx, &bx);
	tly_jw_init(&wy, &by);
	render_node(x, &wx);
	render_node(y, &wy);
	eq = tly_jw_finish(&wx) == TLY_OK && tly_jw_finish(&wy) == TLY_OK &&
	    bx.len == by.len && memcmp(bx.p, by.p, bx.len) == 0;
	tly_buf_free(&bx);
	tly_buf_free(&by);
	return eq;
}

static void	diff_node(struct aud *, const char *, const struct tly_json *,
		    const struct tly_json *);

/* The element of array arr whose member key is the string id, or NULL. */
static const struct tly_json *
find_by(const struct tly_json *arr, const char *key, const char *id)
{
	const struct tly_json	*c;
	const char		*s;

	for (c = tly_json_first(arr); c != NULL; c = tly_json_next(c))
		if ((s = cli_jstr(c, key)) != NULL && strcmp(s, id) == 0)
			return c;
	return NULL;
}

/*
 * An array of objects named by their member key ("level" of levels,
 * "id" of constituencies): matched by that name, each side's extras
 * reported.
 */
static void
diff_keyed(struct aud *a, const char *where, const char *what,
    const char *key, const struct tly_json *cen, const struct tly_json *mine)
{
	const struct tly_json	*c, *o;
	const char		*id;
	char			 w2[WHERE_MAX], esc[128];

	for (c = tly_json_first(cen); c != NULL; c = tly_json_next(c)) {
		if ((id = cli_jstr(c, key)) == NULL)
			continue;
		snprintf(w2, sizeof(w2), "%s%s%s %s", where, *where ? ", " :
		    "", what, cli_esc(id, esc, sizeof(esc)));
		if ((o = find_by(mine, key, id)) == NULL)
			say_diff(a, "%s: published by the central, not in the "
			    "recomputed results", w2);
		else
			diff_node(a, w2, c, o);
	}
	for (o = tly_json_first(mine); o != NULL; o = tly_json_next(o))
		if ((id = cli_jstr(o, key)) != NULL &&
		    find_by(cen, key, id) == NULL)
			say_diff(a, "%s%s%s %s: recomputed, not published by "
			    "the central", where, *where ? ", " : "", what,
			    cli_esc(id, esc, sizeof(esc)));
}

/* Compare the central's node cen with the recomputed mine at where. */
static void
diff_node(struct aud *a, const char *where, const struct tly_json *cen,
    const struct tly_json *mine)
{
	const struct tly_json	*c, *o;
	const char		*name;
	char			 w2[WHERE_MAX], v1[256], v2[256];

	if (!tly_json_is_object(cen) || !tly_json_is_object(mine)) {
		if (!same(cen, mine))
			say_diff(a, "%s: central %s, recomputed %s", where,
			    render(cen, v1, sizeof(v1)), render(mine, v2,
			    sizeof(v2)));
		return;
	}
	for (c = tly_json_first(cen); c != NULL; c = tly_json_next(c)) {
		name = tly_json_name(c);
		o = tly_json_get(mine, name);
		if (*where != '\0' && strcmp(name, "levels") == 0 &&
		    strncmp(where, "level ", 6) == 0 && strchr(where, ',') ==
		    NULL)
			continue;	/* a level document's own summary */
		snprintf(w2, sizeof(w2), "%s%s%s", where, *where ? ", " : "",
		    name);
		if (o != NULL && tly_json_is_array(c) &&
		    tly_json_is_array(o) && strcmp(name, "levels") == 0)
			diff_keyed(a, where, "level", "level", c, o);
		else if (o != NULL && tly_json_is_array(c) &&
		    tly_json_is_array(o) && strcmp(name, "constituencies") == 0)
			diff_keyed(a, where, "constituency", "id", c, o);
		else if (o == NULL)
			say_diff(a, "%s: central %s, recomputed (absent)", w2,
			    render(c, v1, sizeof(v1)));
		else
			diff_node(a, w2, c, o);
	}
	for (o = tly_json_first(mine); o != NULL; o = tly_json_next(o))
		if (tly_json_get(cen, tly_json_name(o)) == NULL)
			say_diff(a, "%s%s%s: central (absent), recomputed %s",
			    where, *where ? ", " : "", tly_json_name(o),
			    render(o, v2, sizeof(v2)));
}

/*
 * Compare one results document of the central (GET /v1/results, with
 * ?level=L when level is not NULL) with the one written, as the central
 * writes it, from the recomputed results.
 */
static int
compare_doc(struct aud *a, const char *level)
{
	struct tly_buf	 mine = TLY_BUF_INIT(TLY_RESP_MAX);
	struct tly_jw	 w;
	struct tly_json	*cen = NULL, *loc = NULL;
	char		 path[128], h[TLY_HEX_HASH], where[128];
	int		 r;

	if (level == NULL)
		snprintf(path, sizeof(path), "/v1/results");
	else
		snprintf(path, sizeof(path), "/v1/results?level=%s", level);
	if ((r = get_json(a, path, TLY_RESP_MAX, &cen)) != TLY_OK)
		goto out;
	tly_jw_init(&w, &mine);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "election");
	tly_jw_str(&w, tly_hex(a->run.ehash, TLY_HASH_LEN, h));
	tly_jw_key(&w, "mode");
	tly_jw_str(&w, a->mode);
	if ((r = tly_results_summary_json(a->run.results, level, &w)) ==
	    TLY_E_NOTFOUND) {
		say_diff(a, "level %s: published by the central, not in the "
		    "definition", level);
		r = TLY_OK;
		goto out;
	}
	tly_jw_obj_close(&w);
	if (r != TLY_OK || (r = tly_jw_finish(&w)) != TLY_OK ||
	    (r = tly_json_parse(mine.p, mine.len, &loc)) != TLY_OK) {
		cli_err("audit: cannot write the recomputed results: %s",
		    tly_strerror(r));
		goto out;
	}
	/* A level's own document: its constituencies, under its name (its
	 * summary was compared with the summary document). */
	if (level != NULL)
		snprintf(where, sizeof(where), "level %s", level);
	else
		where[0] = '\0';
	diff_node(a, where, cen, loc);
 out:
	tly_json_free(cen);
	tly_json_free(loc);
	tly_buf_free(&mine);
	return r;
}

/* The state hash of 12.6, recomputed and published. */
static int
compare_state(struct aud *a)
{
	struct tly_json	*root = NULL;
	const char	*s;
	char		 h[TLY_HEX_HASH];
	int		 r;

	if ((r = get_json(a, "/v1/state-hash", TLY_SMALL_RESP_MAX, &root)) !=
	    TLY_OK)
		return r;
	tly_hex(a->run.state_hash, TLY_HASH_LEN, h);
	if ((s = cli_jstr(root, "state_hash")) == NULL || strcmp(s, h) != 0)
		say_diff(a, "state hash: central %s, recomputed %s",
		    s != NULL ? s : "(absent)", h);
	tly_json_free(root);
	return TLY_OK;
}

/* Every level the central publishes, and the summary. */
static int
compare_results(struct aud *a)
{
	const struct tly_json	*levels, *l;
	const char		*id;
	char			 esc[128];
	int			 r;

	if ((r = compare_doc(a, NULL)) != TLY_OK)
		return r;
	levels = tly_json_get(a->summary, "levels");
	for (l = tly_json_first(levels); l != NULL && r == TLY_OK;
	    l = tly_json_next(l)) {
		if ((id = cli_jstr(l, "level")) == NULL ||
		    !tly_json_valid_id(id)) {
			say_diff(a, "the central's summary names a level that "
			    "is not an id: %s", cli_esc(id, esc, sizeof(esc)));
			continue;
		}
		r = compare_doc(a, id);
	}
	return r;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "feed",	required_argument,	NULL, 'f' },
		{ "authority",	required_argument,	NULL, 'a' },
		{ "election",	required_argument,	NULL, 'e' },
		{ "central",	required_argument,	NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct aud			 a;
	const char			*mode;
	char				 h[TLY_HEX_HASH], esc[600];
	int				 c, r, ret = CLI_EXIT_FAIL;

	memset(&a, 0, sizeof(a));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:a:e:c:h", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'f':
			a.feed = optarg;
			break;
		case 'a':
			a.authpath = optarg;
			break;
		case 'e':
			a.defpath = optarg;
			break;
		case 'c':
			a.base = optarg;
			break;
		case 'h':
			return cli_help("audit");
		default:
			return cli_bad_option("audit", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error("audit", "unexpected argument '%s'",
		    argv[optind]);
	if (a.feed == NULL)
		return cli_usage_error("audit", "--feed URL|FILE is required");
	if (a.authpath == NULL)
		return cli_usage_error("audit", "--authority KEY is required");
	if (a.base == NULL && !is_url(a.feed))
		return cli_usage_error("audit", "a feed FILE needs --central "
		    "URL, the central whose results to compare");
	if (a.base == NULL)
		a.base = a.feed;
	if (!is_url(a.base))
		return cli_usage_error("audit", "--central: not an http(s) "
		    "URL: %s", cli_esc(a.base, esc, sizeof(esc)));
	if (tly_pubkey_load(a.authpath, a.authority) != TLY_OK) {
		cli_err("audit: --authority %s: %s", a.authpath,
		    cli_esc(tly_errdetail(), esc, sizeof(esc)));
		return CLI_EXIT_USAGE;
	}

	if (get_json(&a, "/v1/results", TLY_RESP_MAX, &a.summary) != TLY_OK)
		goto out;
	if ((mode = cli_jstr(a.summary, "mode")) == NULL ||
	    (strcmp(mode, "live") != 0 && strcmp(mode, "test") != 0)) {
		cli_err("audit: GET /v1/results: no mode");
		goto out;
	}
	snprintf(a.mode, sizeof(a.mode), "%s", mode);
	if (load_definition(&a) != TLY_OK || load_trust(&a) != TLY_OK ||
	    load_feed(&a) != TLY_OK)
		goto out;
	a.run.def = a.def;
	a.run.trust = a.trust;
	a.run.mode = strcmp(a.mode, "live") == 0 ? TLY_VERIFY_MODE_LIVE :
	    TLY_VERIFY_MODE_TEST;
	a.run.now = (uint64_t)time(NULL);
	if ((r = cli_audit_compute(&a.run, &a.f)) != TLY_OK) {
		cli_err("audit: %s", tly_strerror(r));
		goto out;
	}
	if (compare_results(&a) != TLY_OK || compare_state(&a) != TLY_OK)
		goto out;
	printf("feed: %zu entr%s, %zu batch%s verified, %zu refused",
	    a.f.n, a.f.n == 1 ? "y" : "ies", a.run.batches,
	    a.run.batches == 1 ? "" : "es", a.run.refused);
	if (a.run.decisions > 0)
		printf("; %zu decision%s verified",
		    a.run.decisions, a.run.decisions == 1 ? "" : "s");
	if (a.run.own_clock > 0)
		printf(" (%zu without a certified receipt, judged at this "
		    "machine's clock)", a.run.own_clock);
	printf("\nrecomputed: %zu device%s, %zu applied, %zu frozen, %zu "
	    "record key%s, %zu in conflict; state hash %s\n", a.run.devices,
	    a.run.devices == 1 ? "" : "s", a.run.applied, a.run.frozen,
	    a.run.keys, a.run.keys == 1 ? "" : "s", a.run.conflicts,
	    tly_hex(a.run.state_hash, TLY_HASH_LEN, h));
	if (a.diffs > DIFF_SHOW)
		printf("(%zu more differences not shown)\n",
		    a.diffs - DIFF_SHOW);
	if (a.diffs == 0 && a.run.refused == 0 && a.bad_trust == 0) {
		printf("results match\n");
		ret = CLI_EXIT_OK;
	} else
		printf("results differ: %zu difference%s, %zu entr%s refused, "
		    "%zu trust object%s refused\n", a.diffs,
		    a.diffs == 1 ? "" : "s", a.run.refused,
		    a.run.refused == 1 ? "y" : "ies", a.bad_trust,
		    a.bad_trust == 1 ? "" : "s");
 out:
	tly_results_free(a.run.results);
	tly_feed_free(&a.f);
	tly_json_free(a.summary);
	tly_trust_destroy(a.trust);
	tly_election_free(a.def);
	tly_buf_free(&a.defraw);
	return cli_finish_stdout(ret);
}

/* tally audit (tally(1)). */
const struct tly_cmd_entry cmd_audit_entry = {
	.name = "audit",
	.exec = cmd_audit,
	.usage = "--feed url|file --authority keyfile [--election deffile] "
	    "[--central url]",
	.options = "  -f, --feed URL|FILE   the central's audit feed (its base "
	    "URL), or\n"
	    "                        a saved GET /v1/feed answer\n"
	    "  -a, --authority KEY   the election authority's public key\n"
	    "  -e, --election FILE   the definition (else the central's, "
	    "checked\n"
	    "                        against the authority's statement)\n"
	    "  -c, --central URL     the central whose results to compare "
	    "(the\n"
	    "                        feed's URL by default)\n",
	.about = "Recompute every constituency from the signed batches of the\n"
	    "audit feed, with the same engines as the central, and compare\n"
	    "with the central's published results and state hash.\n"
	    "Exits 0 when they match, 1 naming each difference.\n",
	.summary = "recompute the results from the audit feed and compare",
};
