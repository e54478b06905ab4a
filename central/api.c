/*
 * api.c: the central's route table (PROTOCOL.md section 8) and the
 * small GET /v1/key; the merge state endpoints are in api_merge.c, the
 * results in results.c, POST /v1/batches in ingest.c.
 */
#include <string.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/prom.h"

#define SMALL_MAX	TLY_SMALL_RESP_MAX	/* body cap of the small answers */

/* GET /v1/key (8.3). */
static void
get_key(struct tly_central *c, struct tly_http_resp *resp)
{
	struct tly_jw	w;

	tly_http_resp_begin(resp, 200, SMALL_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "key");
	tly_jw_str(&w, c->keyhex);
	tly_jw_obj_close(&w);
	tly_log_answer("key", tly_http_resp_finish(resp, &w, TLY_OK));
}

/* POST /v1/batches (8.1). */
static void
post_batches(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	tly_central_post_batches(arg, req, resp);
}

/* GET /v1/link (8.8). */
static void
route_link(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	tly_central_link(arg, req, resp);
}

/* GET /v1/key (8.3). */
static void
route_key(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	get_key(arg, resp);
}

/* The central's endpoints (PROTOCOL.md 8); every GET also answers HEAD. */
static const struct tly_route central_routes[] = {
	{ "POST", "/v1/batches",			post_batches },
	{ "GET",  "/v1/link",				route_link },
	{ "GET",  "/v1/key",				route_key },
	{ "GET",  "/v1/results",			tly_central_get_results },
	{ "GET",  "/v1/results/constituencies/**",	tly_central_get_constituency },
	{ "GET",  "/v1/results/areas/**",		tly_central_get_area },
	{ "GET",  "/v1/devices/*/head",			tly_central_get_head },
	{ "GET",  "/v1/devices/*/receipts",		tly_central_get_receipts },
	{ "GET",  "/v1/state-hash",			tly_central_get_state_hash },
	{ "GET",  "/v1/status",				tly_central_get_status },
	{ "GET",  "/v1/conflicts",			tly_central_get_conflicts },
	{ "GET",  "/v1/evidence",			tly_central_get_evidence },
	{ "GET",  "/v1/feed",				tly_central_get_feed },
	{ "GET",  "/v1/batches/*",			tly_central_get_batch },
	{ "GET",  "/v1/batches/*/receipt",		tly_central_get_batch_receipt },
	{ "GET",  "/v1/areas/*",			tly_central_get_area_records },
	{ "GET",  "/v1/turnout",			tly_central_get_turnout },
	{ "GET",  "/v1/election",			tly_central_get_election },
	{ "GET",  "/v1/trust",				tly_central_get_trust },
	{ "POST", "/v1/trust",				tly_central_post_trust },
	{ "POST", "/v1/decisions",			tly_central_post_decision },
	{ "GET",  "/v1/photos/*",			tly_central_get_photo },
	{ "PUT",  "/v1/photos/*",			tly_central_put_photo },
	{ "GET",  "/v1/photos/*/image",			tly_central_get_photo_image },
	{ "GET",  "/",					tly_central_get_dashboard },
	{ "GET",  "/public",				tly_central_get_public },
	{ "GET",  "/web/*",				tly_central_get_asset },
	{ "GET",  "/metrics",				tly_central_get_metrics },
};

void
tly_central_handle(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	char	path[160];
	double	t0 = tly_prom_now();

	tly_route_dispatch(central_routes, sizeof(central_routes) /
	    sizeof(central_routes[0]), arg, req, resp);
	tly_central_metrics_request(req, tly_prom_now() - t0);
	tly_log_debug("%s %s: %d", req->method, tly_log_escape(req->path,
	    strlen(req->path), path, sizeof(path)), resp->status);
}
