/*
 * http.c: the HTTP client over TCP or a Unix socket, with libcurl.  The
 * only libcurl user.
 *
 * Each call uses its own easy handle, so calls from several threads need
 * no locking.  The response body goes into a bounded buffer; passing the
 * cap aborts the transfer.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "sync/compress.h"
#include "sync/http.h"

#define HTTP_RESP_MAX_DEFAULT	TLY_RESP_MAX	/* resp_max 0 */
#define HTTP_CONNECT_DEFAULT	10L	/* seconds, connect_timeout_s 0 */
#define HTTP_LOW_SPEED_DEFAULT	30L	/* seconds, low_speed_time_s 0 */
#define HTTP_RETRY_AFTER_MAX	999999999L	/* larger values are ignored */

/* State shared with the curl callbacks during one call. */
struct http_xfer {
	struct tly_http_result	*res;		/* where results go */
	int			 too_large;	/* body passed resp_max */
	int			 head_done;	/* the blank line ending the
						   last response's headers
						   arrived */
	const volatile int	*cancel;	/* the caller's flag, or NULL */
};

/*
 * What a transport failure means, in the words a clerk reads (tally
 * status, tally sync).  Codes not listed keep curl's own text.
 */
static const struct {
	CURLcode	 code;
	const char	*words;		/* before the request went out */
	const char	*words_sent;	/* after it (or part of it) went out */
} http_words[] = {
	{ CURLE_UNSUPPORTED_PROTOCOL, "the address is not an http:// or "
	  "https:// URL", NULL },
	{ CURLE_URL_MALFORMAT, "the address is not a valid URL", NULL },
	{ CURLE_COULDNT_RESOLVE_PROXY, "the proxy's name does not resolve",
	  NULL },
	{ CURLE_COULDNT_RESOLVE_HOST, "the central's host name does not "
	  "resolve (no DNS, or a wrong name)", NULL },
	{ CURLE_COULDNT_CONNECT, "cannot connect", NULL },
	{ CURLE_WEIRD_SERVER_REPLY, "the answer was not HTTP", NULL },
	{ CURLE_PARTIAL_FILE, "the link broke: the answer was cut off", NULL },
	{ CURLE_OPERATION_TIMEDOUT, "the connection timed out: no answer "
	  "from the host", "the link stalled: no data moved for too long" },
	{ CURLE_SSL_CONNECT_ERROR, "the secure (TLS) connection could not be "
	  "set up", NULL },
	{ CURLE_PEER_FAILED_VERIFICATION, "the server's TLS certificate was "
	  "not accepted", NULL },
	{ CURLE_GOT_NOTHING, "the link broke: the connection closed without "
	  "an answer", NULL },
	{ CURLE_SEND_ERROR, "the link broke while sending", NULL },
	{ CURLE_RECV_ERROR, "the link broke while receiving the answer",
	  NULL },
	{ CURLE_BAD_CONTENT_ENCODING, "the answer's encoding is broken",
	  NULL },
	{ CURLE_ABORTED_BY_CALLBACK, "cancelled", NULL },
};

static pthread_once_t	 http_once = PTHREAD_ONCE_INIT;
static int		 http_init_rc = TLY_E_NET;	/* result of the once */

/* Run curl_global_init() exactly once. */
static void
http_init_once(void)
{
	http_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ?
	    TLY_OK : TLY_E_NET;
}

int
tly_http_global_init(void)
{
	if (pthread_once(&http_once, http_init_once) != 0)
		return TLY_E_NET;
	return http_init_rc;
}

/* curl write callback: append the response body, up to the cap. */
static size_t
http_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer	*x = arg;
	size_t			 n = size * nmemb;	/* size is always 1 */

	if (tly_buf_add(&x->res->body, p, n) != TLY_OK) {
		x->too_large = 1;
		return 0;	/* makes curl abort with CURLE_WRITE_ERROR */
	}
	return n;
}

/*
 * If line (n bytes, no NUL) is the header name: value, return a pointer
 * to the value with surrounding blanks removed and set *vlenp.
 */
static const char *
header_value(const char *line, size_t n, const char *name, size_t *vlenp)
{
	size_t	 nl = strlen(name), s, e;

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	s = nl + 1;
	e = n;
	while (s < e && (line[s] == ' ' || line[s] == '\t'))
		s++;
	while (e > s && (line[e - 1] == '\r' || line[e - 1] == '\n' ||
	    line[e - 1] == ' ' || line[e - 1] == '\t'))
		e--;
	*vlenp = e - s;
	return line + s;
}

/* Parse a Retry-After value in delta-seconds form; -1 for anything else. */
static long
parse_retry_after(const char *v, size_t n)
{
	long	 sec = 0;
	size_t	 i;

	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		sec = sec * 10 + (v[i] - '0');
	}
	return sec <= HTTP_RETRY_AFTER_MAX ? sec : -1;
}

/* curl header callback: keep Content-Type and Retry-After of the answer. */
static size_t
http_header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer	*x = arg;
	struct tly_http_result	*res = x->res;
	size_t			 n = size * nmemb, vlen;
	const char		*v;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue): forget the last one. */
		res->content_type[0] = '\0';
		res->retry_after = -1;
		x->head_done = 0;
	} else if ((n == 2 && p[0] == '\r' && p[1] == '\n') ||
	    (n == 1 && p[0] == '\n'))
		x->head_done = 1;
	else if ((v = header_value(p, n, "Content-Type", &vlen)) != NULL) {
		if (vlen >= sizeof(res->content_type))
			vlen = sizeof(res->content_type) - 1;
		memcpy(res->content_type, v, vlen);
		res->content_type[vlen] = '\0';
	} else if ((v = header_value(p, n, "Retry-After", &vlen)) != NULL)
		res->retry_after = parse_retry_after(v, vlen);
	return n;
}

/* curl progress callback: a nonzero return aborts the transfer. */
static int
http_xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_xfer	*x = arg;

	if (x->cancel != NULL && *x->cancel) {
		x->res->cancelled = 1;
		return 1;
	}
	return 0;
}

/* Why a connect failed, from its errno, or NULL. */
static const char *
connect_why(long os_errno)
{
	switch (os_errno) {
	case ECONNREFUSED:
		return "connection refused: nothing listens there";
	case EHOSTUNREACH:
	case ENETUNREACH:
		return "no route to the host: is the network up?";
	case ETIMEDOUT:
		return "the host does not answer";
	default:
		return NULL;
	}
}

/*
 * Put a transport error into res->error in plain words (http_words);
 * curl's own text only for codes the table does not list.
 */
static void
set_error(struct tly_http_result *res, const char *errbuf, CURLcode cc,
    long os_errno)
{
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(http_words) / sizeof(http_words[0]); i++) {
		if (http_words[i].code != cc)
			continue;
		if (cc == CURLE_COULDNT_CONNECT &&
		    (why = connect_why(os_errno)) != NULL)
			snprintf(res->error, sizeof(res->error), "cannot "
			    "connect: %s", why);
		else
			snprintf(res->error, sizeof(res->error), "%s",
			    res->sent && http_words[i].words_sent != NULL ?
			    http_words[i].words_sent : http_words[i].words);
		return;
	}
	snprintf(res->error, sizeof(res->error), "network error: %s",
	    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
}

/* Add one header line to *listp; TLY_E_NOMEM on failure. */
static int
add_header(struct curl_slist **listp, const char *h)
{
	struct curl_slist	*l;

	if ((l = curl_slist_append(*listp, h)) == NULL)
		return TLY_E_NOMEM;
	*listp = l;
	return TLY_OK;
}

int
tly_http_request(const struct tly_http_call *call,
    struct tly_http_result *res)
{
	CURL			*c = NULL;
	struct curl_slist	*hdrs = NULL;
	struct tly_buf		 zbody = TLY_BUF_INIT(0);
	struct http_xfer	 x;
	char			 errbuf[CURL_ERROR_SIZE], ct[160];
	const uint8_t		*body;
	size_t			 bodylen, zmax;
	curl_off_t		 up = 0, down = 0;
	long			 hup = 0, hdown = 0, os_errno = 0;
	CURLcode		 cc;
	int			 r = TLY_OK, post;

	memset(res, 0, sizeof(*res));
	res->retry_after = -1;
	tly_buf_init(&res->body, call->resp_max ? call->resp_max :
	    HTTP_RESP_MAX_DEFAULT);
	memset(&x, 0, sizeof(x));
	x.res = res;
	x.cancel = call->cancel;
	errbuf[0] = '\0';

	if (call->url == NULL || call->method == NULL ||
	    (call->body == NULL && call->bodylen > 0)) {
		r = TLY_E_INVAL;
		goto out;
	}
	if ((r = tly_http_global_init()) != TLY_OK)
		goto out;
	if (call->cancel != NULL && *call->cancel) {
		res->cancelled = 1;
		snprintf(res->error, sizeof(res->error), "cancelled");
		r = TLY_E_NET;
		goto out;
	}

	body = call->body;
	bodylen = call->bodylen;
	if (call->gzip) {
		/* Deflate never grows data by more than this (zlib docs). */
		zmax = bodylen + bodylen / 1000 + 4096;
		if (zmax < bodylen) {
			r = TLY_E_TOO_LARGE;
			goto out;
		}
		tly_buf_init(&zbody, zmax);
		if ((r = tly_gzip(body, bodylen, &zbody)) != TLY_OK)
			goto out;
		body = zbody.p;
		bodylen = zbody.len;
		if ((r = add_header(&hdrs, "Content-Encoding: gzip")) != TLY_OK)
			goto out;
	}
	post = body != NULL || strcmp(call->method, "POST") == 0;
	if (post) {
		/* An empty "Content-Type:" removes curl's form default. */
		snprintf(ct, sizeof(ct), "Content-Type: %s",
		    call->content_type ? call->content_type : "");
		if ((r = add_header(&hdrs, ct)) != TLY_OK)
			goto out;
	}
	if (call->header != NULL &&
	    (r = add_header(&hdrs, call->header)) != TLY_OK)
		goto out;

	if ((c = curl_easy_init()) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	cc = CURLE_OK;
#define SETOPT(o, v)	do { if (cc == CURLE_OK) \
			    cc = curl_easy_setopt(c, (o), (v)); } while (0)
	SETOPT(CURLOPT_URL, call->url);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_CONNECTTIMEOUT, call->connect_timeout_s > 0 ?
	    call->connect_timeout_s : HTTP_CONNECT_DEFAULT);
	SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SETOPT(CURLOPT_LOW_SPEED_TIME, call->low_speed_time_s > 0 ?
	    call->low_speed_time_s : HTTP_LOW_SPEED_DEFAULT);
	if (call->timeout_s > 0)
		SETOPT(CURLOPT_TIMEOUT, call->timeout_s);
	if (call->unix_socket != NULL) {
		SETOPT(CURLOPT_UNIX_SOCKET_PATH, call->unix_socket);
		SETOPT(CURLOPT_PROXY, "");
	}
	SETOPT(CURLOPT_WRITEFUNCTION, http_write_cb);
	SETOPT(CURLOPT_WRITEDATA, &x);
	SETOPT(CURLOPT_HEADERFUNCTION, http_header_cb);
	SETOPT(CURLOPT_HEADERDATA, &x);
	if (call->cancel != NULL) {
		SETOPT(CURLOPT_XFERINFOFUNCTION, http_xferinfo_cb);
		SETOPT(CURLOPT_XFERINFODATA, &x);
		SETOPT(CURLOPT_NOPROGRESS, 0L);
	}
	if (post) {
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
		SETOPT(CURLOPT_POSTFIELDS, body != NULL ? (const void *)body :
		    (const void *)"");
		if (strcmp(call->method, "POST") != 0)
			SETOPT(CURLOPT_CUSTOMREQUEST, call->method);
	} else if (strcmp(call->method, "HEAD") == 0)
		SETOPT(CURLOPT_NOBODY, 1L);
	else if (strcmp(call->method, "GET") != 0)
		SETOPT(CURLOPT_CUSTOMREQUEST, call->method);
	if (hdrs != NULL)
		SETOPT(CURLOPT_HTTPHEADER, hdrs);
#undef SETOPT
	if (cc != CURLE_OK) {
		set_error(res, errbuf, cc, 0);
		r = TLY_E_INVAL;
		goto out;
	}

	cc = curl_easy_perform(c);
	(void)curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up);
	(void)curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &down);
	res->bytes_up = up > 0 ? (uint64_t)up : 0;
	res->bytes_down = down > 0 ? (uint64_t)down : 0;
	(void)curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &hup);
	(void)curl_easy_getinfo(c, CURLINFO_HEADER_SIZE, &hdown);
	res->header_up = hup > 0 ? (uint64_t)hup : 0;
	res->header_down = hdown > 0 ? (uint64_t)hdown : 0;
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	(void)curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	res->sent = hup > 0 || up > 0;
	if (x.too_large) {
		snprintf(res->error, sizeof(res->error),
		    "response body larger than %zu bytes", res->body.max);
		r = TLY_E_TOO_LARGE;
		goto out;
	}
	if (cc != CURLE_OK) {
		if (res->cancelled)
			snprintf(res->error, sizeof(res->error), "cancelled");
		else
			set_error(res, errbuf, cc, os_errno);
		r = TLY_E_NET;
		goto out;
	}
	/*
	 * curl takes a connection closed inside the headers for a whole
	 * answer: it is a broken link, not an answer (nor a portal).
	 */
	if (!x.head_done) {
		snprintf(res->error, sizeof(res->error), "the link broke: the "
		    "answer was cut off in its headers");
		r = TLY_E_NET;
		goto out;
	}
 out:
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	tly_buf_free(&zbody);
	return r;
}

void
tly_http_result_free(struct tly_http_result *res)
{
	if (res == NULL)
		return;
	tly_buf_free(&res->body);
}
