/*
 * web.c: the central's pages (PROTOCOL.md 8.9).  The committee's
 * dashboard at "/", the public view at "/public" when the configuration
 * says "public yes", and their files under "/web/".  The pages read only
 * the documented endpoints of section 8; nothing here is an API.  Also
 * the ETag of JSON answers, so that polling pages get 304 when nothing
 * changed.
 */
#include <stdio.h>
#include <string.h>

#include "central/central.h"
#include "central/web.h"
#include "common/err.h"

#define ETAG_BYTES	16	/* BLAKE2b-256 of the body, truncated */

/* The asset named name[0..len), or NULL. */
static const struct tly_web_asset *
asset_find(const char *name, size_t len)
{
	const struct tly_web_asset	*a;

	for (a = tly_web_assets; a->name != NULL; a++)
		if (strlen(a->name) == len && memcmp(a->name, name, len) == 0)
			return a;
	return NULL;
}

/* Answer with asset a, or 304 when the client holds it already. */
static void
asset_serve(const struct tly_http_req *req, const struct tly_web_asset *a,
    struct tly_http_resp *resp)
{
	if (a == NULL) {
		tly_http_resp_error(resp, 404, "not_found", "no such page");
		return;
	}
	if (tly_buf_add(&resp->body, a->data, a->len) != TLY_OK) {
		tly_http_resp_error(resp, 500, "internal", "out of memory");
		return;
	}
	resp->content_type = a->type;
	tly_central_etag(req, resp);
}

void
tly_central_etag(const struct tly_http_req *req, struct tly_http_resp *resp)
{
	uint8_t		 h[TLY_HASH_LEN];
	char		 hex[2 * ETAG_BYTES + 1];
	const char	*inm;

	if (resp->status != 200)
		return;
	tly_hash(resp->body.p != NULL ? resp->body.p : (const uint8_t *)"",
	    resp->body.len, h);
	tly_hex(h, ETAG_BYTES, hex);
	snprintf(resp->etag, sizeof(resp->etag), "\"%s\"", hex);
	inm = tly_http_req_header(req, "If-None-Match");
	if (inm != NULL && strcmp(inm, resp->etag) == 0) {
		resp->status = 304;
		tly_buf_reset(&resp->body);
	}
}

void
tly_central_get_dashboard(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	asset_serve(req, asset_find("dashboard.html", 14), resp);
}

void
tly_central_get_public(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;

	if (!c->conf.public_view) {
		tly_http_resp_error(resp, 404, "not_found", "the public view "
		    "is off (public yes in tally-central.conf turns it on)");
		return;
	}
	asset_serve(req, asset_find("public.html", 11), resp);
}

void
tly_central_get_asset(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	asset_serve(req, asset_find(rp->p[0], rp->len[0]), resp);
}
