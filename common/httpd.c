/*
 * httpd.c: a small HTTP server over TCP or a Unix socket, with
 * libmicrohttpd.  The only libmicrohttpd user.
 *
 * We create and bind the listening socket ourselves (so a Unix socket gets
 * mode 0600 before anyone can connect) and hand it to MHD, which runs a
 * pool of polling threads.  Each request body is gathered into a bounded
 * per-connection buffer; the handler is called once, with the whole body.
 *
 * In a pool, each polling thread serves all its connections in turn, so
 * a handler that blocks (an upload waiting for its group's COMMIT)
 * stalls every other connection of that thread: at 256 concurrent
 * uploads the last of a thread's share waited past the connection
 * timeout and were closed unanswered.  A server whose handlers block
 * asks for a thread per connection instead (opts.blocking): a blocked
 * handler then holds only its own connection.
 *
 * A refused request (opts.admit, or a Content-Length over the cap) is
 * answered from the first call of the access handler, when only the
 * headers are in: MHD then discards the request and closes the
 * connection after the answer, so the body is never received.  An
 * answer with a delay (a tarpit for a client that is refused) waits on
 * its connection's own thread, holding no lock; tly_httpd_stop() cuts
 * the wait short.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/limits.h"

#define HTTPD_THREADS_DEFAULT	1	/* opts.threads 0 */
#define HTTPD_STACK_SIZE	(512UL * 1024)	/* per connection thread (blocking):
						   glibc keeps a few hundred */
#define HTTPD_CONN_DEFAULT	256	/* opts.conn_max 0 */
#define HTTPD_TIMEOUT_DEFAULT	30	/* opts.timeout_s 0 */
#define HTTPD_ERR_MSG_MAX	512	/* bytes of an error message */
#define HTTPD_ERR_BODY_MAX	4096	/* cap of a bare error body */
#define HTTPD_BACKLOG		1024	/* listen(2) backlog */

/* A running server. */
struct tly_httpd {
	struct MHD_Daemon	*d;		/* the MHD daemon */
	unsigned		 port;		/* bound TCP port, 0 for Unix */
	char			*unix_path;	/* socket to remove, or NULL */
	size_t			 body_max;	/* request body cap */
	unsigned		 timeout;	/* idle timeout once headers are in */
	unsigned		 header_timeout;	/* idle timeout before */
	tly_httpd_fn		 fn;		/* request handler */
	tly_httpd_admit_fn	 admit;		/* admission, or NULL */
	void			*arg;		/* their argument */
	int			 blocking;	/* a thread per connection */
	int			 sync;		/* mu and cv are initialised */
	pthread_mutex_t		 mu;		/* guards stopping */
	pthread_cond_t		 cv;		/* signalled when stopping */
	int			 stopping;	/* tly_httpd_stop() began */
};

/* Per-request state, kept in MHD's con_cls between callbacks. */
struct httpd_conn {
	struct tly_buf	 body;		/* request body so far */
	size_t		 dropped;	/* body bytes thrown away past the cap */
	int		 too_large;	/* the body passed body_max */
	int		 answered;	/* a response was queued */
};

/* MHD log sink: the library never prints. */
static void
httpd_quiet_log(void *cls, const char *fmt, va_list ap)
{
}

/* The wire error code that goes with an HTTP status (PROTOCOL.md 8.6). */
static const char *
status_code_name(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 413: return "too_large";
	case 415: return "unsupported_media_type";
	case 503: return "busy";
	default: return status < 500 ? "bad_request" : "internal";
	}
}

void
tly_http_jw_error(struct tly_jw *w, const char *code, const char *msg)
{
	tly_jw_obj_open(w);
	tly_jw_key(w, "code");
	tly_jw_str(w, code);
	tly_jw_key(w, "message");
	tly_jw_str(w, msg);
	tly_jw_obj_close(w);
}

int
tly_http_error_get(const struct tly_json *err, const char **codep,
    const char **msgp)
{
	*codep = *msgp = NULL;
	if (err == NULL || !tly_json_is_object(err) ||
	    (*codep = tly_json_string(tly_json_get(err, "code"))) == NULL)
		return TLY_E_HTTP;
	*msgp = tly_json_string(tly_json_get(err, "message"));
	return TLY_OK;
}

/* Write {"error":{"code":code,"message":msg}} into b (emptied first). */
static int
error_body(struct tly_buf *b, const char *code, const char *msg)
{
	struct tly_jw	 w;

	tly_buf_reset(b);
	tly_jw_init(&w, b);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "error");
	tly_http_jw_error(&w, code, msg);
	tly_jw_obj_close(&w);
	return tly_jw_finish(&w);
}

void
tly_http_resp_error(struct tly_http_resp *resp, int status,
    const char *code, const char *fmt, ...)
{
	char	 msg[HTTPD_ERR_MSG_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp->status = status;
	if (resp->body.max == 0 && resp->body.p == NULL)
		tly_buf_init(&resp->body, HTTPD_ERR_BODY_MAX);
	if (error_body(&resp->body, code, msg) != TLY_OK &&
	    error_body(&resp->body, code, "error") != TLY_OK)
		tly_buf_reset(&resp->body);	/* send() fills a bare body */
}

void
tly_http_resp_busy(struct tly_http_resp *resp, unsigned retry_s,
    const char *what)
{
	tly_http_resp_error(resp, 503, "busy", "%s; retry in %u s", what,
	    retry_s);
	resp->retry_after = retry_s;
}

void
tly_http_resp_begin(struct tly_http_resp *resp, int status, size_t max)
{
	tly_buf_free(&resp->body);
	tly_buf_init(&resp->body, max);
	resp->status = status;
	resp->content_type = "application/json";
}

int
tly_http_resp_fail(struct tly_http_resp *resp, int r)
{
	tly_http_resp_begin(resp, 500, HTTPD_ERR_BODY_MAX);
	if (r == TLY_E_BUSY)
		tly_http_resp_busy(resp, TLY_HTTP_BUSY_S, "the server is busy");
	else
		tly_http_resp_error(resp, 500, "internal", "the server failed; "
		    "see its log");
	return r;
}

int
tly_http_resp_finish(struct tly_http_resp *resp, struct tly_jw *w, int r)
{
	if (r == TLY_OK)
		r = tly_jw_finish(w);
	if (r != TLY_OK)
		return tly_http_resp_fail(resp, r);
	return TLY_OK;
}

/*
 * Queue resp on conn (its status, content type, body and headers; the
 * delay is the caller's).  Never fails silently towards the client: if
 * MHD refuses the response, the connection is closed.
 */
static enum MHD_Result
send_raw(struct MHD_Connection *conn, const struct tly_http_resp *resp)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	const char		*ctype = resp->content_type != NULL ?
				    resp->content_type : "application/json";
	char			 ra[16];

	r = MHD_create_response_from_buffer(resp->body.len, (void *)(uintptr_t)
	    (resp->body.p != NULL ? resp->body.p : (uint8_t *)""),
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    ctype) != MHD_YES &&
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json") != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	if (resp->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%u", resp->retry_after);
		if (MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER,
		    ra) != MHD_YES) {
			MHD_destroy_response(r);
			return MHD_NO;
		}
	}
	if ((resp->etag[0] != '\0' && MHD_add_response_header(r,
	    MHD_HTTP_HEADER_ETAG, resp->etag) != MHD_YES) ||
	    (resp->set_cookie[0] != '\0' && MHD_add_response_header(r,
	    MHD_HTTP_HEADER_SET_COOKIE, resp->set_cookie) != MHD_YES) ||
	    (resp->close && MHD_add_response_header(r,
	    MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Wait ms (at most TLY_HTTP_DELAY_MAX_MS) before an answer, or less if
 * the server stops.  Only a blocking server waits: its connection has a
 * thread of its own, and no lock is held.
 */
static void
tarpit(struct tly_httpd *h, unsigned ms)
{
	struct timespec	 until;

	if (ms == 0 || !h->blocking)
		return;
	if (ms > TLY_HTTP_DELAY_MAX_MS)
		ms = TLY_HTTP_DELAY_MAX_MS;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->mu);
	while (!h->stopping &&
	    pthread_cond_timedwait(&h->cv, &h->mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&h->mu);
}

/*
 * Send resp on conn after its delay: a valid status (else 500) and, for
 * an error without a body, the error body of its status.
 */
static enum MHD_Result
answer(struct tly_httpd *h, struct MHD_Connection *conn,
    struct tly_http_resp *resp)
{
	if (resp->status < 100 || resp->status > 599) {
		tly_http_resp_error(resp, 500, "internal",
		    "the handler gave no valid status");
		resp->content_type = NULL;
	}
	if (resp->status >= 400 && resp->body.len == 0) {
		tly_buf_free(&resp->body);
		tly_buf_init(&resp->body, HTTPD_ERR_BODY_MAX);
		tly_http_resp_error(resp, resp->status,
		    status_code_name(resp->status), "HTTP status %d",
		    resp->status);
		resp->content_type = NULL;
	}
	tarpit(h, resp->delay_ms);
	return send_raw(conn, resp);
}

/* Fill req with what conn's request has before its body. */
static void
req_init(struct tly_http_req *req, struct MHD_Connection *conn,
    const char *url, const char *method)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->path = url;
	req->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	req->content_encoding = MHD_lookup_connection_value(conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
	req->conn_ = conn;
}

/* A fresh response for a handler: 200, an empty body of cap max. */
static void
resp_init(struct tly_http_resp *resp, int status, size_t max)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = status;
	tly_buf_init(&resp->body, max);
}

/* Parse a Content-Length value: TLY_OK, or TLY_E_HTTP if not plain decimal. */
static int
parse_length(const char *s, unsigned long long *out)
{
	unsigned long long	 v = 0;

	if (*s == '\0')
		return TLY_E_HTTP;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return TLY_E_HTTP;
		if (v > (~0ULL - 9) / 10)
			v = ~0ULL;	/* saturate: certainly too large */
		else
			v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return TLY_OK;
}

/* Call the handler for a complete request and queue its response. */
static enum MHD_Result
dispatch(struct tly_httpd *h, struct MHD_Connection *conn, const char *url,
    const char *method, struct httpd_conn *hc)
{
	struct tly_http_req	 req;
	struct tly_http_resp	 resp;
	enum MHD_Result		 ret;

	req_init(&req, conn, url, method);
	req.body = hc->body.len > 0 ? hc->body.p : NULL;
	req.bodylen = hc->body.len;
	resp_init(&resp, 200, TLY_RESP_MAX);
	h->fn(h->arg, &req, &resp);
	ret = answer(h, conn, &resp);
	tly_buf_free(&resp.body);
	return ret;
}

/*
 * Admission, on the headers alone (opts.admit, and the body cap): 1
 * with a refusal queued on conn (*retp is MHD's result), or 0 to read
 * the body.  A refused connection is closed after its answer.
 */
static int
admit(struct tly_httpd *h, struct MHD_Connection *conn, const char *url,
    const char *method, enum MHD_Result *retp)
{
	struct tly_http_req	 req;
	struct tly_http_resp	 resp;
	const char		*cl;
	unsigned long long	 len;
	int			 too_large;

	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	too_large = cl != NULL && parse_length(cl, &len) == TLY_OK &&
	    len > h->body_max;
	if (h->admit == NULL && !too_large)
		return 0;
	req_init(&req, conn, url, method);
	resp_init(&resp, 0, HTTPD_ERR_BODY_MAX);
	if (h->admit != NULL)
		h->admit(h->arg, &req, too_large, &resp);
	if (resp.status == 0 && too_large)
		tly_http_resp_error(&resp, 413, "too_large",
		    "request body over the limit");
	if (resp.status == 0) {
		tly_buf_free(&resp.body);
		return 0;
	}
	resp.close = 1;
	*retp = answer(h, conn, &resp);
	tly_buf_free(&resp.body);
	return 1;
}

/* MHD access handler: gather the body, then dispatch. */
static enum MHD_Result
httpd_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct tly_httpd	*h = cls;
	struct httpd_conn	*hc = *con_cls;
	struct tly_http_resp	 resp;
	enum MHD_Result		 ret;

	if (hc == NULL) {
		/* First call: headers are in, no body read yet. */
		if ((hc = calloc(1, sizeof(*hc))) == NULL)
			return MHD_NO;
		tly_buf_init(&hc->body, h->body_max);
		*con_cls = hc;
		/*
		 * Until here a connection lives only as long as it sends
		 * headers at a good pace (a slow-loris sends a byte now and
		 * then); from here the body and the answer get the longer
		 * timeout.  A kept-alive connection keeps the longer one.
		 */
		if (h->header_timeout != h->timeout)
			MHD_set_connection_option(conn,
			    MHD_CONNECTION_OPTION_TIMEOUT, h->timeout);
		if (admit(h, conn, url, method, &ret)) {
			hc->answered = 1;
			return ret;
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (hc->answered) {
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (!hc->too_large && tly_buf_add(&hc->body, upload_data,
		    *upload_data_size) != TLY_OK) {
			hc->too_large = 1;
			tly_buf_free(&hc->body);
		}
		if (hc->too_large) {
			/*
			 * Read on to the end so the client sees the 413, but
			 * not forever: past another body_max, hang up.
			 */
			if (*upload_data_size > h->body_max - hc->dropped)
				return MHD_NO;
			hc->dropped += *upload_data_size;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (hc->answered)
		return MHD_YES;
	hc->answered = 1;
	if (!hc->too_large)
		return dispatch(h, conn, url, method, hc);
	resp_init(&resp, 0, HTTPD_ERR_BODY_MAX);
	tly_http_resp_error(&resp, 413, "too_large",
	    "request body over the limit");
	ret = send_raw(conn, &resp);
	tly_buf_free(&resp.body);
	return ret;
}

/* MHD completion callback: free the per-request state. */
static void
httpd_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct httpd_conn	*hc = *con_cls;

	if (hc == NULL)
		return;
	tly_buf_free(&hc->body);
	free(hc);
	*con_cls = NULL;
}

/* Bind a listening TCP socket on host:port; *portp gets the bound port. */
static int
listen_tcp(const char *host, unsigned port, int *fdp, unsigned *portp)
{
	struct addrinfo		 hints, *ai = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 serv[16];
	int			 fd = -1, one = 1, r = TLY_OK;

	*fdp = -1;
	if (port > 65535)
		return tly_fail(TLY_E_CONFIG, "port %u out of range", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%u", port);
	if (getaddrinfo(host, serv, &hints, &ai) != 0 || ai == NULL) {
		r = tly_fail(TLY_E_CONFIG, "cannot resolve listen address %s",
		    host);
		goto out;
	}
	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, HTTPD_BACKLOG) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		r = tly_fail(TLY_E_IO, "listen on %s port %u: %s", host, port,
		    strerror(errno));
		goto out;
	}
	if (ss.ss_family == AF_INET)
		*portp = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		*portp = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	*fdp = fd;
	fd = -1;	/* transferred */
 out:
	if (fd != -1)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	return r;
}

/*
 * Bind a listening Unix socket at path with mode (and group gid when
 * chgrp).  A stale socket (nobody accepting) is removed; a live one or any
 * other file is an error.
 */
static int
listen_unix(const char *path, unsigned mode, int chgrp, gid_t gid,
    int *fdp)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd = -1, probe, r = TLY_OK;

	*fdp = -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return tly_fail(TLY_E_CONFIG, "socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path));

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return tly_fail(TLY_E_CONFIG,
			    "%s exists and is not a socket", path);
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1)
			return tly_fail(TLY_E_IO, "socket: %s", strerror(errno));
		if (connect(probe, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0) {
			close(probe);
			return tly_fail(TLY_E_BUSY,
			    "%s: another server is listening", path);
		}
		close(probe);
		if (unlink(path) == -1 && errno != ENOENT)
			return tly_fail(TLY_E_IO, "unlink %s: %s", path,
			    strerror(errno));
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		r = tly_fail(TLY_E_IO, "socket: %s", strerror(errno));
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		r = tly_fail(TLY_E_IO, "bind %s: %s", path, strerror(errno));
		goto out;
	}
	/* Nobody can connect before listen(), so this leaves no window. */
	if (chgrp && chown(path, (uid_t)-1, gid) == -1) {
		r = tly_fail(TLY_E_CONFIG, "%s: cannot give the socket to group "
		    "%lu: %s", path, (unsigned long)gid, strerror(errno));
		unlink(path);
		goto out;
	}
	if (chmod(path, mode) == -1 || listen(fd, HTTPD_BACKLOG) == -1) {
		r = tly_fail(TLY_E_IO, "listen on %s: %s", path,
		    strerror(errno));
		unlink(path);
		goto out;
	}
	*fdp = fd;
	fd = -1;	/* transferred */
 out:
	if (fd != -1)
		close(fd);
	return r;
}

/* Set up h's stop signal, its cv on the monotonic clock (tarpit()). */
static int
stop_sync_init(struct tly_httpd *h)
{
	pthread_condattr_t	 ca;
	int			 ok;

	if (pthread_condattr_init(&ca) != 0)
		return TLY_E_NOMEM;
	ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&h->cv, &ca) == 0;
	pthread_condattr_destroy(&ca);
	if (!ok)
		return TLY_E_NOMEM;
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		pthread_cond_destroy(&h->cv);
		return TLY_E_NOMEM;
	}
	h->sync = 1;
	return TLY_OK;
}

int
tly_httpd_start(const struct tly_httpd_opts *o, struct tly_httpd **hp)
{
	struct tly_httpd	*h = NULL;
	struct MHD_OptionItem	 tls[3] = {
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, NULL },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, NULL },
		{ MHD_OPTION_END, 0, NULL } };
	struct stat		 st, mst;
	unsigned		 threads, conn_max, timeout;
	int			 fd = -1, mfd, r = TLY_OK;

	*hp = NULL;
	if (o->fn == NULL || (o->host == NULL) == (o->unix_path == NULL))
		return tly_fail(TLY_E_INVAL,
		    "httpd needs a handler and exactly one of host, unix path");
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return TLY_E_NOMEM;
	h->body_max = o->body_max;
	h->fn = o->fn;
	h->admit = o->admit;
	h->arg = o->arg;
	h->blocking = o->blocking;
	if ((r = stop_sync_init(h)) != TLY_OK)
		goto out;
	threads = o->threads ? o->threads : HTTPD_THREADS_DEFAULT;
	conn_max = o->conn_max ? o->conn_max : HTTPD_CONN_DEFAULT;
	timeout = o->timeout_s ? o->timeout_s : HTTPD_TIMEOUT_DEFAULT;
	h->timeout = timeout;
	h->header_timeout = o->header_timeout_s ? o->header_timeout_s :
	    timeout;
	if (conn_max < threads && !o->blocking)
		conn_max = threads;	/* MHD shares the limit among threads */

	if (o->unix_path != NULL) {
		if ((h->unix_path = strdup(o->unix_path)) == NULL) {
			r = TLY_E_NOMEM;
			goto out;
		}
		if ((r = listen_unix(o->unix_path, o->unix_mode ?
		    o->unix_mode : 0600, o->unix_chgrp, o->unix_gid,
		    &fd)) != TLY_OK) {
			free(h->unix_path);
			h->unix_path = NULL;	/* not ours to remove */
			goto out;
		}
	} else if ((r = listen_tcp(o->host, o->port, &fd, &h->port)) !=
	    TLY_OK)
		goto out;

	/*
	 * MHD gets its own descriptor for the socket: it closes it when
	 * stopped, but may or may not have closed it when it fails to start.
	 */
	if (fstat(fd, &st) == -1 ||
	    (mfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		r = tly_fail(TLY_E_IO, "listening socket: %s", strerror(errno));
		goto out;
	}
	if (o->tls_cert != NULL) {	/* HTTPS only (tlscert.h) */
		tls[0].value = 0;
		tls[0].ptr_value = (void *)(uintptr_t)o->tls_key;
		tls[1].value = 0;
		tls[1].ptr_value = (void *)(uintptr_t)o->tls_cert;
	} else
		tls[0].option = MHD_OPTION_END;
	/* A pool of one is no pool: MHD then polls in one thread. */
	if (o->blocking)
		threads = 1;
	h->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC |
	    (o->tls_cert != NULL ? MHD_USE_TLS : 0) |
	    (o->blocking ? MHD_USE_THREAD_PER_CONNECTION : 0),
	    0, NULL, NULL, httpd_access, h,
	    MHD_OPTION_ARRAY, tls,
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_quiet_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)mfd,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_THREAD_STACK_SIZE, o->blocking ? (size_t)HTTPD_STACK_SIZE :
	    (size_t)0,
	    MHD_OPTION_CONNECTION_LIMIT, conn_max,
	    MHD_OPTION_CONNECTION_TIMEOUT, h->header_timeout,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip_max,
	    MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, NULL,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		/* Close mfd only if it still is our socket. */
		if (fstat(mfd, &mst) == 0 && mst.st_dev == st.st_dev &&
		    mst.st_ino == st.st_ino)
			close(mfd);
		r = tly_fail(TLY_E_IO, "cannot start the HTTP server");
		goto out;
	}
	*hp = h;
	h = NULL;	/* transferred */
 out:
	if (fd != -1)
		close(fd);
	tly_httpd_stop(h);
	return r;
}

unsigned
tly_httpd_port(const struct tly_httpd *h)
{
	return h != NULL ? h->port : 0;
}

void
tly_httpd_stop(struct tly_httpd *h)
{
	if (h == NULL)
		return;
	if (h->sync) {		/* cut every tarpit short */
		pthread_mutex_lock(&h->mu);
		h->stopping = 1;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
	}
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	if (h->sync) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
	}
	if (h->unix_path != NULL) {
		unlink(h->unix_path);
		free(h->unix_path);
	}
	free(h);
}

const char *
tly_http_req_query(const struct tly_http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND,
	    name);
}

const char *
tly_http_req_header(const struct tly_http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

void
tly_http_req_peer(const struct tly_http_req *req, char *buf, size_t len)
{
	const union MHD_ConnectionInfo	*ci = NULL;
	const struct sockaddr		*sa = NULL;
	const void			*a = NULL;

	if (req->conn_ != NULL)
		ci = MHD_get_connection_info(req->conn_,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL)
		sa = ci->client_addr;
	if (sa != NULL && sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, buf, (socklen_t)len) ==
	    NULL)
		snprintf(buf, len, "local");
}
