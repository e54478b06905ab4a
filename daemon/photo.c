/*
 * photo.c: POST /v1/photos, the image of a signed paper record
 * (PROTOCOL.md 9).  The daemon hashes it (BLAKE2b-256, in crypto/) and
 * keeps it; the hash is what a record's "photo" names, so the numbers
 * are signed with the hash and never wait for the image.
 */
#include <string.h>

#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "daemon/tallyd.h"

#define PHOTO_JSON_MAX	256	/* the answer */

/* Do the bytes p[0..len) start as an image of type ct? */
static int
photo_looks_like(const char *ct, const uint8_t *p, size_t len)
{
	if (strcmp(ct, "image/jpeg") == 0)
		return len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff;
	if (strcmp(ct, "image/png") == 0)
		return len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0;
	if (strcmp(ct, "image/webp") == 0)
		return len >= 12 && memcmp(p, "RIFF", 4) == 0 &&
		    memcmp(p + 8, "WEBP", 4) == 0;
	return 0;
}

void
tly_dphoto_post(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tallyd	*d = arg;
	uint8_t		 hash[TLY_HASH_LEN];
	struct tly_jw	 w;
	int		 r, added;

	if (req->content_type == NULL ||
	    !photo_looks_like(req->content_type, req->body, req->bodylen)) {
		tly_http_resp_error(resp, 415, "unsupported_media_type",
		    "send a JPEG, PNG or WebP image with its Content-Type");
		return;
	}
	if (req->bodylen > TLY_DSTORE_PHOTO_MAX) {
		tly_http_resp_error(resp, 413, "too_large", "a photo is at "
		    "most %lu bytes: scale it down", TLY_DSTORE_PHOTO_MAX);
		return;
	}
	tly_hash(req->body, req->bodylen, hash);
	tly_errclear();
	if ((r = tly_dstore_photo_put(d->store, hash, req->body,
	    req->bodylen, &added)) != TLY_OK) {
		tly_log_error("photo: %s", tly_errdetail());
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	tly_http_resp_begin(resp, added ? 201 : 200, PHOTO_JSON_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "photo");
	tly_jw_hex(&w, hash, TLY_HASH_LEN);
	tly_jw_key(&w, "bytes");
	tly_jw_uint(&w, req->bodylen);
	tly_jw_obj_close(&w);
	if ((r = tly_http_resp_finish(resp, &w, TLY_OK)) != TLY_OK)
		tly_log_answer("photo", r);
	else if (added) {
		tly_log_info("photo kept: %zu bytes", req->bodylen);
		tly_dphoto_wake(d->photos);
	}
}
