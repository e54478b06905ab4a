/*
 * photos.c: the photos of signed paper records (PROTOCOL.md 8.12).
 *
 *   GET /v1/photos/{hash}  how many bytes of it are stored, and whether
 *                          it is whole
 *   PUT /v1/photos/{hash}  the next bytes, with Content-Range
 *
 * A photo is taken only when a stored record names it in "photo", and
 * kept only when its bytes hash to the name (store_photo.c).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "central/central.h"
#include "central/store.h"

#define PHOTO_CHUNK_MAX	(256UL * 1024)	/* bytes of one PUT */
#define PHOTO_JSON_MAX	256

/* One writer of photo files at a time. */
static pthread_mutex_t photo_mu = PTHREAD_MUTEX_INITIALIZER;

/*
 * The {hash} of the path as 64 lowercase hex in hex and bytes in hash:
 * TLY_OK, or TLY_E_INVAL after answering 400.
 */
static int
photo_name(const struct tly_route_params *rp, char hex[TLY_HEX_HASH],
    uint8_t hash[TLY_HASH_LEN], struct tly_http_resp *resp)
{
	if (rp->n < 1 || rp->len[0] != 2 * TLY_HASH_LEN ||
	    tly_unhex(rp->p[0], rp->len[0], hash, TLY_HASH_LEN) != TLY_OK)
		goto bad;
	memcpy(hex, rp->p[0], rp->len[0]);
	hex[rp->len[0]] = '\0';
	return TLY_OK;
 bad:
	tly_http_resp_error(resp, 400, "bad_request", "a photo is named by "
	    "its BLAKE2b-256 in 64 lowercase hex digits");
	return tly_fail(TLY_E_INVAL, "photo name: not 64 hex digits");
}

/* Answer {"photo", "stored", "complete"} with status. */
static void
photo_answer(struct tly_http_resp *resp, int status, const char *hex,
    uint64_t stored, int complete)
{
	struct tly_jw	w;

	tly_http_resp_begin(resp, status, PHOTO_JSON_MAX);
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "photo");
	tly_jw_str(&w, hex);
	tly_jw_key(&w, "stored");
	tly_jw_uint(&w, stored);
	tly_jw_key(&w, "complete");
	tly_jw_bool(&w, complete == 1);
	tly_jw_obj_close(&w);
	tly_log_answer("photo", tly_http_resp_finish(resp, &w, TLY_OK));
}

void
tly_central_get_photo(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;
	char			 hex[TLY_HEX_HASH];
	uint8_t			 hash[TLY_HASH_LEN];
	uint64_t		 stored;
	int			 complete;

	if (photo_name(rp, hex, hash, resp) != TLY_OK)
		return;
	if (tly_cphoto_state(c->conf.datadir, hex, &stored, &complete) !=
	    TLY_OK) {
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	photo_answer(resp, 200, hex, stored, complete);
}

void
tly_central_get_photo_image(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;
	char			 hex[TLY_HEX_HASH];
	uint8_t			 hash[TLY_HASH_LEN];
	int			 r;

	if (photo_name(rp, hex, hash, resp) != TLY_OK)
		return;
	tly_buf_free(&resp->body);
	tly_buf_init(&resp->body, TLY_CPHOTO_MAX);
	if ((r = tly_cphoto_read(c->conf.datadir, hex, &resp->body)) !=
	    TLY_OK) {
		tly_buf_reset(&resp->body);
		if (r == TLY_E_NOTFOUND)
			tly_http_resp_error(resp, 404, "not_found", "the "
			    "photo is not held whole");
		else
			tly_http_resp_error(resp, 500, "internal", "%s",
			    tly_errdetail());
		return;
	}
	resp->status = 200;
	resp->content_type = "application/octet-stream";
	tly_central_etag(req, resp);
}

/* Parse "bytes A-B/T" into off, n = B - A + 1 and total. */
static int
photo_range(const char *v, uint64_t *off, uint64_t *n, uint64_t *total)
{
	uint64_t	a, b, t;
	int		used = 0;

	if (v == NULL || sscanf(v, "bytes %" SCNu64 "-%" SCNu64 "/%" SCNu64
	    "%n", &a, &b, &t, &used) != 3 || v[used] != '\0' || a > b ||
	    b >= t)
		return -1;
	*off = a;
	*n = b - a + 1;
	*total = t;
	return 0;
}

void
tly_central_put_photo(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;
	char			 hex[TLY_HEX_HASH];
	uint8_t			 hash[TLY_HASH_LEN];
	uint64_t		 off, n, total, stored;
	int			 complete, named, r;

	if (photo_name(rp, hex, hash, resp) != TLY_OK)
		return;
	if (photo_range(tly_http_req_header(req, "Content-Range"), &off, &n,
	    &total) != 0 || n != req->bodylen) {
		tly_http_resp_error(resp, 400, "bad_request", "send "
		    "Content-Range: bytes A-B/TOTAL for a body of B - A + 1 "
		    "bytes");
		return;
	}
	if (total > TLY_CPHOTO_MAX || n > PHOTO_CHUNK_MAX) {
		tly_http_resp_error(resp, 413, "too_large", "a photo is at "
		    "most %lu bytes, sent at most %lu at a time",
		    TLY_CPHOTO_MAX, PHOTO_CHUNK_MAX);
		return;
	}
	if ((r = tly_cstore_photo_named(c->store, hex, &named)) != TLY_OK) {
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	if (!named) {
		tly_http_resp_error(resp, 404, "unknown_photo", "no record "
		    "names this photo: send the record first");
		return;
	}
	pthread_mutex_lock(&photo_mu);
	tly_errclear();
	r = tly_cphoto_append(c->conf.datadir, hex, hash, off, req->body,
	    (size_t)n, total, &stored, &complete);
	pthread_mutex_unlock(&photo_mu);
	if (r == TLY_E_INVAL) {
		tly_http_resp_error(resp, 409, "range_mismatch", "%s",
		    tly_errdetail());
		return;
	}
	if (r != TLY_OK) {
		tly_log_error("photo %s: %s", hex, tly_errdetail());
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	if (complete < 0) {
		tly_http_resp_error(resp, 422, "hash_mismatch", "the bytes "
		    "do not hash to the photo's name; send it again");
		return;
	}
	if (complete)
		tly_log_info("photo %s: %" PRIu64 " bytes kept", hex, stored);
	photo_answer(resp, 200, hex, stored, complete);
}
