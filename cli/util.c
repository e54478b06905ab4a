/*
 * util.c: helpers shared by the tally subcommands: messages, HTTP calls
 * to the daemon and the central, tolerant reading of JSON answers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/log.h"
#include "sync/companion.h"
#include "sync/wire.h"

const char	*cli_socket = CLI_DEFAULT_SOCKET;
const struct tly_cmd_entry *const *cli_commands;

void
cli_err(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("tally: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const struct tly_cmd_entry *
cli_cmd_find(const char *name)
{
	const struct tly_cmd_entry *const	*c;

	for (c = cli_commands; c != NULL && *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

/* Print the usage of the command called name to fp. */
static void
cmd_usage(const char *name, FILE *fp)
{
	const struct tly_cmd_entry	*cmd;

	if ((cmd = cli_cmd_find(name)) == NULL)
		return;
	fprintf(fp, "usage: tally [-s socket] %s %s\n\n%s"
	    "  -h, --help        print this help\n\n%s",
	    cmd->name, cmd->usage, cmd->options, cmd->about);
}

int
cli_usage_error(const char *name, const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fprintf(stderr, "tally: %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd_usage(name, stderr);
	return CLI_EXIT_USAGE;
}

int
cli_bad_option(const char *name, char **argv, int c)
{
	const char	*arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return cli_usage_error(name, "%s: needs an argument", arg);
	return cli_usage_error(name, "unknown option '%s'", arg);
}

int
cli_help(const char *name)
{
	cmd_usage(name, stdout);
	return CLI_EXIT_OK;
}

/* Initialise libcurl once, on first use. */
static int
http_init(void)
{
	static int	done;

	if (!done) {
		if (tly_http_global_init() != TLY_OK) {
			cli_err("cannot initialise the HTTP client");
			return TLY_E_NET;
		}
		done = 1;
	}
	return TLY_OK;
}

int
cli_daemon_quiet(const char *method, const char *path, const char *ctype,
    const void *body, size_t len, const char *header, size_t resp_max,
    long timeout_s, struct tly_http_result *res)
{
	struct tly_http_call	 call;
	char			 url[256];
	int			 r;

	memset(res, 0, sizeof(*res));
	if ((r = http_init()) != TLY_OK)
		return r;
	snprintf(url, sizeof(url), "http://localhost%s", path);
	memset(&call, 0, sizeof(call));
	call.url = url;
	call.unix_socket = cli_socket;
	call.method = method;
	call.content_type = ctype;
	call.body = body;
	call.bodylen = len;
	call.header = header;
	call.timeout_s = timeout_s;
	call.resp_max = resp_max;
	return tly_http_request(&call, res);
}

void
cli_daemon_report(const char *method, const char *path, int r,
    const struct tly_http_result *res)
{
	struct stat		 st;
	const char		*why;

	if (r == TLY_E_NET) {
		/* curl speaks of "localhost port 80"; say what is wrong. */
		if (stat(cli_socket, &st) == -1)
			why = strerror(errno);
		else if (!S_ISSOCK(st.st_mode))
			why = "not a socket";
		else if (access(cli_socket, R_OK | W_OK) == -1)
			why = strerror(errno);
		else if (strstr(res->error, "cannot connect") != NULL)
			why = "connection refused";
		else
			why = res->error[0] != '\0' ? res->error :
			    tly_strerror(r);
		cli_err("cannot reach tallyd at %s: %s (is tallyd running? "
		    "use -s or TALLY_SOCKET to name its socket)", cli_socket,
		    why);
	} else if (r == TLY_E_TOO_LARGE)
		cli_err("%s %s: tallyd's answer is over %zu bytes", method,
		    path, res->body.max);
	else if (r != TLY_OK)
		cli_err("%s %s: %s", method, path, tly_strerror(r));
}

int
cli_daemon(const char *method, const char *path, const char *ctype,
    const void *body, size_t len, size_t resp_max, long timeout_s,
    struct tly_http_result *res)
{
	int	r;

	r = cli_daemon_quiet(method, path, ctype, body, len, NULL, resp_max,
	    timeout_s, res);
	cli_daemon_report(method, path, r, res);
	return r;
}

int
cli_central(const char *base, const char *method, const char *path,
    const char *ctype, const void *body, size_t len, int gzip,
    size_t resp_max, struct tly_http_result *res)
{
	struct tly_http_call	 call;
	struct tly_buf		 url = TLY_BUF_INIT(4096);
	size_t			 n;
	int			 r;

	memset(res, 0, sizeof(*res));
	if ((r = http_init()) != TLY_OK)
		goto out;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if ((r = tly_buf_add(&url, base, n)) != TLY_OK ||
	    (r = tly_buf_addstr(&url, path)) != TLY_OK) {
		cli_err("%s: URL too long", base);
		goto out;
	}
	memset(&call, 0, sizeof(call));
	call.url = (const char *)url.p;
	call.method = method;
	call.content_type = ctype;
	call.body = body;
	call.bodylen = len;
	call.gzip = gzip;
	call.resp_max = resp_max;
	if ((r = tly_http_request(&call, res)) == TLY_E_NET)
		cli_err("cannot reach the central at %s: %s", call.url,
		    res->error[0] != '\0' ? res->error : tly_strerror(r));
	else if (r == TLY_E_TOO_LARGE)
		cli_err("%s: the central's answer is over %zu bytes",
		    call.url, resp_max);
	else if (r != TLY_OK)
		cli_err("%s: %s", call.url, tly_strerror(r));
 out:
	tly_buf_free(&url);
	return r;
}

void
cli_http_fail(const char *what, const struct tly_http_result *res)
{
	struct tly_json	*root = NULL, *e;
	char		 code[128], msg[1024];

	if (res->body.len > 0 &&
	    tly_json_parse(res->body.p, res->body.len, &root) == TLY_OK &&
	    (e = tly_json_get(root, "error")) != NULL &&
	    tly_json_is_object(e)) {
		cli_esc(cli_jstr(e, "code"), code, sizeof(code));
		cli_esc(cli_jstr(e, "message"), msg, sizeof(msg));
		cli_err("%s: HTTP %ld: %s: %s", what, res->status, code, msg);
	} else if (res->status == 503 && res->retry_after >= 0)
		cli_err("%s: HTTP 503: busy, retry after %ld s", what,
		    res->retry_after);
	else {
		cli_esc(res->content_type[0] != '\0' ? res->content_type :
		    "no type", code, sizeof(code));
		cli_err("%s: unexpected answer: HTTP %ld (%s, %zu bytes)",
		    what, res->status, code, res->body.len);
	}
	tly_json_free(root);
}

int
cli_json_body(const char *what, const struct tly_http_result *res,
    struct tly_json **rootp)
{
	char	why[600];
	int	r;

	*rootp = NULL;
	tly_errclear();
	if ((r = tly_json_parse(res->body.p, res->body.len, rootp)) !=
	    TLY_OK) {
		cli_err("%s: bad response: %s", what,
		    cli_esc(tly_errdetail(), why, sizeof(why)));
		return r;
	}
	if (!tly_json_is_object(*rootp)) {
		cli_err("%s: bad response: not a JSON object", what);
		tly_json_free(*rootp);
		*rootp = NULL;
		return TLY_E_HTTP;
	}
	return TLY_OK;
}

const char *
cli_jstr(const struct tly_json *obj, const char *name)
{
	return tly_json_string(tly_json_get(obj, name));
}

int
cli_juint(const struct tly_json *obj, const char *name, uint64_t *out)
{
	struct tly_json	*n;

	*out = 0;
	if ((n = tly_json_get(obj, name)) == NULL || tly_json_is_null(n))
		return 0;
	return tly_json_int(n, name, out) == TLY_OK;
}

const char *
cli_esc(const char *s, char *out, size_t outlen)
{
	const unsigned char	*p;
	size_t			 o = 0, in, olen, k;
	char			 tmp[8];

	if (s == NULL)
		s = "-";
	if (outlen == 0)
		return out;
	/*
	 * Keep valid UTF-8 (names are Vietnamese); escape control
	 * characters, C1 controls, DEL, backslash and invalid bytes, so a
	 * peer's text cannot drive the terminal.
	 */
	for (p = (const unsigned char *)s; *p != '\0'; p += in) {
		in = 1;				/* input bytes taken */
		if (*p >= 0xc2 && *p <= 0xf4) {
			size_t need = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
			for (k = 1; k < need && (p[k] & 0xc0) == 0x80; k++)
				;
			if (k == need && !(p[0] == 0xc2 && p[1] < 0xa0))
				in = need;
		}
		if (in > 1 || (*p >= 0x20 && *p < 0x7f && *p != '\\')) {
			memcpy(tmp, p, in);
			olen = in;
		} else
			olen = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
		if (o + olen + 4 > outlen) {	/* room for "..." and NUL */
			memcpy(out + o, "...", outlen - o >= 4 ? 3 : 0);
			o += outlen - o >= 4 ? 3 : 0;
			break;
		}
		memcpy(out + o, tmp, olen);
		o += olen;
	}
	out[o] = '\0';
	return out;
}

const char *
cli_short(const char *s, char out[CLI_SHORT_HEX + 1])
{
	size_t	i;

	if (s == NULL || *s == '\0') {
		strcpy(out, "-");
		return out;
	}
	for (i = 0; i < CLI_SHORT_HEX && s[i] != '\0'; i++)
		out[i] = (s[i] >= 0x21 && s[i] <= 0x7e) ? s[i] : '?';
	out[i] = '\0';
	return out;
}

int
cli_print_buf(const struct tly_buf *b)
{
	if ((b->len > 0 && fwrite(b->p, 1, b->len, stdout) != b->len) ||
	    putchar('\n') == EOF)
		return CLI_EXIT_FAIL;
	return CLI_EXIT_OK;
}

int
cli_finish_stdout(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "tally: standard output: %s\n",
		    strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return status;
}

int
cli_read_input(const char *what, const char *path, size_t max,
    struct tly_buf *b)
{
	char	why[600];
	int	r;

	tly_errclear();
	if (strcmp(path, "-") == 0) {
		if ((r = tly_buf_read_fd(STDIN_FILENO, max, b)) ==
		    TLY_E_TOO_LARGE)
			cli_err("%s: standard input: larger than %zu bytes",
			    what, max);
		else if (r != TLY_OK)
			cli_err("%s: standard input: %s", what,
			    cli_esc(tly_errdetail(), why, sizeof(why)));
	} else if ((r = tly_buf_read_file(path, max, b)) != TLY_OK)
		cli_err("%s: %s", what,
		    cli_esc(tly_errdetail(), why, sizeof(why)));
	return r;
}

/* Keep entry m of a file of version `version` in e[*np] as wanted. */
static void
keep_entry(struct cli_entry *e, size_t *np, size_t index, const uint8_t *m,
    size_t mlen, size_t skipped, unsigned version, int companions)
{
	int	kind;

	kind = (int)tly_companion_kind(m, mlen, version);
	if (kind != TLY_COMPANION_NONE && !companions)
		return;
	e[*np].m = m;
	e[*np].len = mlen;
	e[*np].skipped = skipped;
	e[*np].index = index;
	e[*np].companion = kind;
	(*np)++;
}

int
cli_bundle_read(const char *what, const char *path, const uint8_t *p,
    size_t len, int companions, struct cli_entry **ep, size_t *np,
    int *damaged, char *why, size_t whylen)
{
	struct tly_bundle_reader	 rd;
	struct cli_entry		*e = NULL, *grown;
	const uint8_t			*m;
	size_t				 n = 0, i, cap, mlen, skipped, off;
	int				 r = TLY_OK;

	*ep = NULL;
	*np = 0;
	*damaged = 0;
	why[0] = '\0';
	tly_errclear();
	if (tly_bundle_open_file(p, len, &rd) == TLY_OK) {
		if ((e = calloc(rd.count > 0 ? rd.count : 1, sizeof(*e))) ==
		    NULL)
			return TLY_E_NOMEM;
		for (i = 0; i < rd.count && tly_bundle_next(&rd, &m, &mlen);
		    i++)
			keep_entry(e, &n, i, m, mlen, 0, rd.version,
			    companions);
		goto done;
	}
	*damaged = 1;
	cli_esc(tly_errdetail(), why, whylen);
	cli_err("%s: %s: not a valid bundle: %s; salvaging the entries "
	    "that can be found", what, path, why);
	for (cap = 0, i = 0, off = TLY_BUNDLE_HEAD; i < TLY_BUNDLE_ENTRIES_MAX
	    && tly_bundle_salvage(p, len, &off, &m, &mlen, &skipped); i++) {
		if (n == cap) {
			cap = cap > 0 ? 2 * cap : 64;
			if ((grown = reallocarray(e, cap, sizeof(*e))) ==
			    NULL) {
				r = TLY_E_NOMEM;
				goto out;
			}
			e = grown;
		}
		keep_entry(e, &n, i, m, mlen, skipped, 0, companions);
	}
	if (n == 0) {
		cli_err("%s: %s: no entry could be salvaged", what, path);
		r = TLY_E_BUNDLE;
		goto out;
	}
 done:
	*ep = e;
	*np = n;
	e = NULL;		/* transferred */
 out:
	free(e);
	return r;
}

void
cli_export_say(const struct tly_bundle_reader *rd, const char *path)
{
	struct tly_bundle_reader	 it = *rd;
	const uint8_t			*m;
	size_t				 mlen, nb = 0, nc = 0;

	while (tly_bundle_next(&it, &m, &mlen)) {
		if (tly_companion_kind(m, mlen, it.version) ==
		    TLY_COMPANION_NONE)
			nb++;
		else
			nc++;
	}
	printf("exported %zu batch%s", nb, nb == 1 ? "" : "es");
	if (nc > 0)
		printf(" with %zu receipt%s and trust object%s", nc,
		    nc == 1 ? "" : "s", nc == 1 ? "" : "s");
	printf(" to %s\n", path);
}

int
cli_bundle_entries(const char *what, const char *path, const uint8_t *p,
    size_t len, struct cli_entry **ep, size_t *np, int *damaged, char *why,
    size_t whylen)
{
	return cli_bundle_read(what, path, p, len, 0, ep, np, damaged, why,
	    whylen);
}
