/*
 * head.c: GET /v1/devices/{key}/head, asked and read (head.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "sync/api.h"
#include "sync/head.h"
#include "sync/http.h"
#include "sync/upload.h"

int
tly_head_fetch(const struct tly_head_call *c, struct tly_api_head *h,
    struct tly_http_result *res)
{
	struct tly_http_call	 call;
	struct tly_json		*root = NULL;
	char			 url[1200], hex[TLY_HEX_PK];
	int			 r;

	tly_hex(c->device, TLY_PK_LEN, hex);
	if ((size_t)snprintf(url, sizeof(url), "%s/v1/devices/%s/head",
	    c->central, hex) >= sizeof(url)) {
		memset(res, 0, sizeof(*res));
		res->retry_after = -1;
		return tly_fail(TLY_E_INVAL, "the central's URL is too long");
	}
	memset(&call, 0, sizeof(call));
	call.url = url;
	call.method = "GET";
	call.connect_timeout_s = c->connect_timeout_s;
	call.low_speed_time_s = c->low_speed_time_s;
	call.timeout_s = c->timeout_s;
	call.resp_max = TLY_SMALL_RESP_MAX;
	call.cancel = c->cancel;
	r = tly_http_request(&call, res);
	if (r == TLY_E_NET)
		return tly_fail(TLY_E_NET, "central unreachable: %s",
		    res->error[0] ? res->error : "no answer");
	if (r == TLY_E_TOO_LARGE)
		return tly_fail(r, "the central's head answer is over %lu "
		    "bytes", (unsigned long)TLY_SMALL_RESP_MAX);
	if (r != TLY_OK || (r = tly_upload_answer_check("central", res)) !=
	    TLY_OK)
		return r;
	if (res->status != 200)
		return tly_fail(TLY_E_JSON, "the central answered its head "
		    "with HTTP %ld, not 200", res->status);
	if (tly_json_parse(res->body.p, res->body.len, &root) != TLY_OK)
		r = tly_fail(TLY_E_JSON, "the central's head answer is not "
		    "JSON");
	else if (tly_api_head_read(root, h) != TLY_OK)
		r = tly_fail(TLY_E_JSON, "%s", tly_errdetail());
	tly_json_free(root);
	return r;
}
