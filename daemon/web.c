/*
 * web.c: the entry page on 127.0.0.1 (web-listen, tallyd.conf(5)).
 *
 * Serves the files of web/field/, built into the binary, and passes
 * every /v1/ request to the local API (api.c) unchanged: the page uses
 * exactly the API the command line uses (PROTOCOL.md 9).  As a TCP port
 * on 127.0.0.1 is open to any page the browser loads, requests must name
 * this listener in Host (no DNS rebinding), and a POST must come from
 * this page: an Origin, when sent, of this listener, and a Content-Type
 * a cross-site form cannot send without asking first (PROTOCOL.md 9.6).
 * With lan-listen, the same page over HTTPS to paired phones on the
 * team's Wi-Fi, and only the pairing form to anyone else (pair.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/httpd.h"
#include "daemon/tallyd.h"

#define WEB_HOST_MAX	64	/* "127.0.0.1:65535" and more */

/* Is host ("127.0.0.1:PORT" or "localhost:PORT") this listener? */
static int
web_host_ok(const char *host, unsigned port)
{
	char	want[WEB_HOST_MAX];

	if (host == NULL)
		return 0;
	snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	if (strcmp(host, want) == 0)
		return 1;
	snprintf(want, sizeof(want), "localhost:%u", port);
	return strcmp(host, want) == 0;
}

/* May a POST with this Origin and Content-Type come from our page? */
static int
web_post_ok(const struct tly_http_req *req, const char *scheme,
    const char *host)
{
	const char	*origin = tly_http_req_header(req, "Origin");
	const char	*ct = req->content_type;
	char		 want[WEB_HOST_MAX + 16];

	snprintf(want, sizeof(want), "%s://%s", scheme, host);
	if (origin != NULL && strcmp(origin, want) != 0)
		return 0;
	/* The types a form may post across sites without a preflight. */
	if (ct == NULL || strncasecmp(ct, "text/plain", 10) == 0 ||
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 ||
	    strncasecmp(ct, "multipart/form-data", 19) == 0)
		return 0;
	return 1;
}

/* Answer an asset, or 404; "/" is home. */
static void
web_asset(const char *path, const char *home, struct tly_http_resp *resp)
{
	const struct tly_dweb_asset	*a;

	if (strcmp(path, "/") == 0)
		path = home;
	for (a = tly_dweb_assets; a->name != NULL; a++)
		if (strcmp(a->name, path + 1) == 0)
			break;
	if (a->name == NULL) {
		tly_http_resp_error(resp, 404, "not_found", "no such page");
		return;
	}
	tly_buf_free(&resp->body);
	tly_buf_init(&resp->body, a->len + 1);
	if (tly_buf_add(&resp->body, a->data, a->len) != 0) {
		tly_http_resp_error(resp, 500, "internal", "out of memory");
		return;
	}
	resp->status = 200;
	resp->content_type = a->type;
}

void
tly_dweb_handle(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	const struct tallyd	*d = arg;
	const char		*host = tly_http_req_header(req, "Host");

	if (!web_host_ok(host, d->web_port)) {
		tly_http_resp_error(resp, 421, "misdirected", "open the page "
		    "as http://127.0.0.1:%u/", d->web_port);
		return;
	}
	if (strncmp(req->path, "/v1/", 4) == 0) {
		if (strcmp(req->method, "GET") != 0 &&
		    strcmp(req->method, "HEAD") != 0 &&
		    !web_post_ok(req, "http", host)) {
			tly_http_resp_error(resp, 403, "forbidden", "only the "
			    "page served here may post to it");
			return;
		}
		tly_dapi_handle(arg, req, resp);
		return;
	}
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		tly_http_resp_error(resp, 405, "method_not_allowed",
		    "pages answer GET");
		return;
	}
	web_asset(req->path, "/index.html", resp);
}

/* The files a browser without a pairing may fetch on the phones' port. */
static int
lan_public(const char *path)
{
	return strcmp(path, "/") == 0 || strcmp(path, "/pair.html") == 0 ||
	    strcmp(path, "/pair.js") == 0 || strcmp(path, "/app.css") == 0;
}

void
tly_dweb_lan_handle(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	struct tallyd	*d = arg;
	const char	*host = tly_http_req_header(req, "Host");
	const char	*get = strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0 ? req->method : NULL;
	char		 want[WEB_HOST_MAX];

	snprintf(want, sizeof(want), "%s:%u", d->conf.lan_host, d->lan_port);
	if (host == NULL || strcmp(host, want) != 0) {
		tly_http_resp_error(resp, 421, "misdirected", "open the page "
		    "as https://%s/", want);
		return;
	}
	if (get == NULL && !web_post_ok(req, "https", host)) {
		tly_http_resp_error(resp, 403, "forbidden", "only the page "
		    "served here may post to it");
		return;
	}
	if (strcmp(req->path, "/v1/pair") == 0) {
		if (get != NULL)
			tly_http_resp_error(resp, 405, "method_not_allowed",
			    "POST a code");
		else
			tly_dpair_redeem(arg, req, resp);
		return;
	}
	if (!tly_dpair_check(d->pair, tly_http_req_header(req, "Cookie"))) {
		if (get != NULL && lan_public(req->path))
			web_asset(req->path, "/pair.html", resp);
		else
			tly_http_resp_error(resp, 401, "unpaired", "pair this "
			    "browser first: open https://%s/", want);
		return;
	}
	if (strncmp(req->path, "/v1/pairings", 12) == 0) {
		tly_http_resp_error(resp, 403, "forbidden", "pairings are "
		    "managed on the laptop's own page");
		return;
	}
	if (strncmp(req->path, "/v1/", 4) == 0) {
		tly_dapi_handle(arg, req, resp);
		return;
	}
	if (get == NULL) {
		tly_http_resp_error(resp, 405, "method_not_allowed",
		    "pages answer GET");
		return;
	}
	web_asset(req->path, "/index.html", resp);
}
