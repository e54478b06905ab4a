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
web_post_ok(const struct tly_http_req *req, const char *host)
{
	const char	*origin = tly_http_req_header(req, "Origin");
	const char	*ct = req->content_type;
	char		 want[WEB_HOST_MAX + 8];

	snprintf(want, sizeof(want), "http://%s", host);
	if (origin != NULL && strcmp(origin, want) != 0)
		return 0;
	/* The types a form may post across sites without a preflight. */
	if (ct == NULL || strncasecmp(ct, "text/plain", 10) == 0 ||
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 ||
	    strncasecmp(ct, "multipart/form-data", 19) == 0)
		return 0;
	return 1;
}

/* Answer an asset, or 404. */
static void
web_asset(const char *path, struct tly_http_resp *resp)
{
	const struct tly_dweb_asset	*a;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
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
		    !web_post_ok(req, host)) {
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
	web_asset(req->path, resp);
}
