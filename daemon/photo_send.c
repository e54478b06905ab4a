/*
 * photo_send.c: the thread that sends the photos the daemon keeps to the
 * central (PROTOCOL.md 8.12), apart from the batches so that a photo
 * never delays the numbers: it asks how much of each photo the central
 * holds, then sends the rest in chunks, each with its Content-Range, so
 * a cut link resumes where it stopped.  A photo whose record the
 * central does not hold yet is tried again after backoff-max seconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "sync/http.h"
#include "daemon/tallyd.h"

#define SEND_CHUNK	(64UL * 1024)	/* bytes per PUT */
#define SEND_BATCH	16		/* photos per look at the store */

struct tly_dphoto_sender {
	struct tallyd	*d;		/* the daemon */
	pthread_t	 th;		/* the thread */
	pthread_mutex_t	 mu;		/* guards quit and wake */
	pthread_cond_t	 cv;		/* signalled on either */
	int		 quit;		/* stop */
	int		 wake;		/* look at the store now */
	volatile int	 cancel;	/* abort a call in progress */
};

/* One call to the central; *stored and *complete from its answer. */
static int
send_call(struct tly_dphoto_sender *p, const char *url, const char *method,
    const char *range, const uint8_t *body, size_t len, uint64_t *stored,
    int *complete)
{
	struct tly_http_call	 call;
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	char			 header[96];
	int			 r;

	memset(&call, 0, sizeof(call));
	call.url = url;
	call.method = method;
	call.connect_timeout_s = (long)p->d->conf.connect_timeout;
	call.low_speed_time_s = (long)p->d->conf.low_speed_time;
	call.resp_max = 4096;
	call.cancel = &p->cancel;
	if (range != NULL) {
		snprintf(header, sizeof(header), "Content-Range: %s", range);
		call.header = header;
		call.content_type = "application/octet-stream";
		call.body = body;
		call.bodylen = len;
	}
	if ((r = tly_http_request(&call, &res)) != TLY_OK)
		r = tly_fail(r, "%s", res.error[0] ? res.error : "no answer");
	else if (res.status == 404 && range != NULL)
		r = tly_fail(TLY_E_NOTFOUND, "the central holds no record "
		    "naming this photo yet");
	else if (res.status != 200)
		r = tly_fail(TLY_E_HTTP, "the central answered %ld",
		    res.status);
	else if ((r = tly_json_parse(res.body.p, res.body.len, &root)) ==
	    TLY_OK && ((r = tly_json_get_int(root, "", "stored", stored)) !=
	    TLY_OK || tly_json_get(root, "complete") == NULL ||
	    (r = tly_json_bool(tly_json_get(root, "complete"), "complete",
	    complete)) != TLY_OK))
		r = tly_fail(TLY_E_HTTP, "the central's answer: %s",
		    tly_errdetail());
	tly_json_free(root);
	tly_http_result_free(&res);
	return r;
}

/* Send one photo; TLY_OK once the central holds it whole. */
static int
send_one(struct tly_dphoto_sender *p, const uint8_t hash[TLY_HASH_LEN],
    struct tly_buf *img)
{
	char		hex[TLY_HEX_HASH], url[4096], range[80];
	uint64_t	stored = 0;
	size_t		n;
	int		complete = 0, r;

	tly_hex(hash, TLY_HASH_LEN, hex);
	if ((size_t)snprintf(url, sizeof(url), "%s/v1/photos/%s",
	    p->d->conf.central, hex) >= sizeof(url))
		return tly_fail(TLY_E_CONFIG, "central URL too long");
	if ((r = tly_dstore_photo_get(p->d->store, hash, img)) != TLY_OK ||
	    (r = send_call(p, url, "GET", NULL, NULL, 0, &stored,
	    &complete)) != TLY_OK)
		return r;
	while (!complete) {
		if (stored >= img->len)
			return tly_fail(TLY_E_HTTP, "the central holds %" PRIu64
			    " bytes of a photo of %zu", stored, img->len);
		n = img->len - stored < SEND_CHUNK ? img->len - stored :
		    SEND_CHUNK;
		snprintf(range, sizeof(range), "bytes %" PRIu64 "-%" PRIu64
		    "/%zu", stored, stored + n - 1, img->len);
		if ((r = send_call(p, url, "PUT", range, img->p + stored, n,
		    &stored, &complete)) != TLY_OK)
			return r;
	}
	tly_log_info("photo %.12s… held by the central", hex);
	return tly_dstore_photo_uploaded(p->d->store, hash);
}

/* Send every photo pending; 1 when some are left for later. */
static int
send_all(struct tly_dphoto_sender *p)
{
	uint8_t		hashes[SEND_BATCH][TLY_HASH_LEN];
	struct tly_buf	img = TLY_BUF_INIT(TLY_DSTORE_PHOTO_MAX);
	size_t		n = 0, i;
	int		left = 0;

	if (tly_dstore_photo_pending(p->d->store, SEND_BATCH, hashes, &n) !=
	    TLY_OK) {
		tly_log_warn("photos: %s", tly_errdetail());
		return 1;
	}
	for (i = 0; i < n && !p->cancel; i++) {
		tly_errclear();
		if (send_one(p, hashes[i], &img) != TLY_OK) {
			tly_log_debug("photo not sent: %s", tly_errdetail());
			left = 1;
		}
	}
	tly_buf_free(&img);
	return left || n == SEND_BATCH;
}

static void *
send_thread(void *arg)
{
	struct tly_dphoto_sender	*p = arg;
	struct timespec			 until;
	int				 left = 1;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)p->d->conf.backoff_max;
		while (!p->quit && !p->wake)
			if (left) {
				if (pthread_cond_timedwait(&p->cv, &p->mu,
				    &until) == ETIMEDOUT)
					break;
			} else
				pthread_cond_wait(&p->cv, &p->mu);
		p->wake = 0;
		if (p->quit) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
		left = send_all(p);
	}
	return NULL;
}

int
tly_dphoto_start(struct tallyd *d, struct tly_dphoto_sender **pp)
{
	struct tly_dphoto_sender	*p;

	*pp = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return TLY_E_NOMEM;
	p->d = d;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, send_thread, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return tly_fail(TLY_E_NOMEM, "photo thread");
	}
	*pp = p;
	return TLY_OK;
}

void
tly_dphoto_wake(struct tly_dphoto_sender *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->wake = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
tly_dphoto_stop(struct tly_dphoto_sender *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	p->cancel = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
