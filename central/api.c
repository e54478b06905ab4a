/*
 * api.c: the central's HTTP router (PROTOCOL.md section 8) and the small
 * GET endpoints: the central key and results (the merge state endpoints
 * are in api_merge.c).
 */
#include <string.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"

#define DEVICES_PREFIX	"/v1/devices/"
#define SMALL_MAX	4096	/* body cap of the small answers */

/* Put a finished JSON document from b into resp (200). */
static void
resp_json(struct tly_http_resp *resp, struct tly_buf *b)
{
	tly_buf_free(&resp->body);
	resp->body = *b;
	tly_buf_init(b, b->max);	/* transferred */
	resp->status = 200;
	resp->content_type = "application/json";
}

/* Answer 500 after logging what failed. */
static void
resp_internal(struct tly_http_resp *resp, const char *what, int err)
{
	tly_log_error("%s: %s: %s", what, tly_strerror(err), tly_errdetail());
	tly_http_resp_error(resp, 500, "internal", "the central failed");
}

/* GET /v1/key (8.3). */
static void
get_key(struct tly_central *c, struct tly_http_resp *resp)
{
	struct tly_buf	b = TLY_BUF_INIT(SMALL_MAX);
	struct tly_jw	w;
	int		r;

	tly_jw_init(&w, &b);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "key");
	tly_jw_str(&w, c->keyhex);
	tly_jw_obj_close(&w);
	if ((r = tly_jw_finish(&w)) != TLY_OK)
		resp_internal(resp, "key", r);
	else
		resp_json(resp, &b);
	tly_buf_free(&b);
}

/* 1 if the method is m; otherwise answer 405 and return 0. */
static int
want_method(const struct tly_http_req *req, struct tly_http_resp *resp,
    const char *m)
{
	if (strcmp(req->method, m) == 0)
		return 1;
	tly_http_resp_error(resp, 405, "method_not_allowed",
	    "%s needs %s", req->path, m);
	return 0;
}

/* Route one request. */
static void
route(struct tly_central *c, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	const char	*path = req->path, *dev, *slash;
	size_t		 plen = strlen(DEVICES_PREFIX);

	if (strcmp(path, "/v1/batches") == 0) {
		if (want_method(req, resp, "POST"))
			tly_central_post_batches(c, req, resp);
		return;
	}
	if (strcmp(path, "/v1/link") == 0) {
		if (want_method(req, resp, "GET"))
			tly_central_link(c, req, resp);
		return;
	}
	if (strcmp(path, "/v1/key") == 0) {
		if (want_method(req, resp, "GET"))
			get_key(c, resp);
		return;
	}
	if (strcmp(path, "/v1/results") == 0 ||
	    strncmp(path, "/v1/results/", 12) == 0) {
		if (want_method(req, resp, "GET"))
			tly_central_results_serve(c, req, resp);
		return;
	}
	if (strncmp(path, DEVICES_PREFIX, plen) == 0) {
		dev = path + plen;
		if ((slash = strchr(dev, '/')) != NULL &&
		    tly_central_get_device(c, dev, (size_t)(slash - dev),
		    slash, req, resp))
			return;
	}
	if (tly_central_get_merge(c, req, resp))
		return;
	tly_http_resp_error(resp, 404, "not_found", "no such path");
}

void
tly_central_handle(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	char	path[160];

	route(arg, req, resp);
	tly_log_debug("%s %s: %d", req->method, tly_log_escape(req->path,
	    strlen(req->path), path, sizeof(path)), resp->status);
}
