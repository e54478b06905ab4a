/*
 * link.c: GET /v1/link?nonce=<hex> (PROTOCOL.md 8.8): the central signs
 * a client's nonce with its receipt key, so the client can prove the
 * address, the key and the path before election night.
 */
#include <string.h>
#include <time.h>

#include "central/central.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "sync/link.h"

void
tly_central_link(struct tly_central *c, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	struct tly_buf	 m = TLY_BUF_INIT(TLY_LINK_ANSWER_MAX);
	struct tly_buf	 b64 = TLY_BUF_INIT(TLY_LINK_ANSWER_MAX);
	struct tly_jw	 w;
	const char	*hex = tly_http_req_query(req, "nonce");
	uint8_t		 nonce[TLY_LINK_NONCE_LEN];
	time_t		 now = time(NULL);
	int		 r;

	if (hex == NULL || tly_unhex(hex, strlen(hex), nonce,
	    sizeof(nonce)) != TLY_OK) {
		tly_http_resp_error(resp, 400, "bad_request", "nonce: %d "
		    "lowercase hex characters", 2 * TLY_LINK_NONCE_LEN);
		goto out;
	}
	if ((r = tly_link_seal(c->key, nonce, now > 0 ? (uint64_t)now : 0,
	    &m)) != TLY_OK ||
	    (r = tly_b64_encode(m.p, m.len, &b64)) != TLY_OK) {
		tly_log_error("link: %s", tly_strerror(r));
		tly_http_resp_error(resp, 500, "internal", "the central failed");
		goto out;
	}
	tly_buf_free(&resp->body);
	tly_buf_init(&resp->body, TLY_LINK_ANSWER_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "link");
	tly_jw_str(&w, (const char *)b64.p);
	tly_jw_obj_close(&w);
	if ((r = tly_jw_finish(&w)) != TLY_OK) {
		tly_http_resp_error(resp, 500, "internal", "the central failed");
		goto out;
	}
	resp->status = 200;
	resp->content_type = "application/json";
 out:
	tly_buf_free(&m);
	tly_buf_free(&b64);
}
