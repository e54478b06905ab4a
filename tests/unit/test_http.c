/*
 * test_http.c: the HTTP server (common/httpd.c) and client (sync/http.c)
 * against each other, on 127.0.0.1 and on a Unix socket in a temp dir.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "sync/compress.h"
#include "sync/http.h"

#define BODY_MAX	(64u * 1024)	/* server's request body cap */

/* What the handler saw last (the test thread reads it after a call). */
static pthread_mutex_t	 seen_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct tly_buf	 seen_body = TLY_BUF_INIT(BODY_MAX);
static int		 seen_calls;

/*
 * /stall: the handler sets stall_cancel (the client's cancel flag) and
 * then waits for stall_release, so the only way for the client's call
 * to return before stall_done is set is to be cancelled.
 */
static pthread_cond_t	 stall_cv = PTHREAD_COND_INITIALIZER;
static volatile int	 stall_cancel;		/* the client's flag */
static int		 stall_release;		/* handler may return */
static int		 stall_done;		/* handler returned */

/* Shared fixture. */
struct fixture {
	struct tly_httpd	*tcp;		/* server on 127.0.0.1 */
	unsigned		 port;
	char			 base[64];	/* "http://127.0.0.1:port" */
	char			 dir[64];	/* temp dir for the socket */
	char			 sock[96];	/* Unix socket path */
};

/* Handler: routes for the tests. */
static void
test_handler(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	struct tly_jw	 w;
	const char	*n;
	size_t		 i, want;

	pthread_mutex_lock(&seen_mtx);
	seen_calls++;
	tly_buf_reset(&seen_body);
	if (req->bodylen > 0)
		(void)tly_buf_add(&seen_body, req->body, req->bodylen);
	pthread_mutex_unlock(&seen_mtx);

	if (strcmp(req->path, "/busy") == 0) {
		tly_http_resp_error(resp, 503, "busy", "try later");
		resp->retry_after = 7;
		return;
	}
	if (strcmp(req->path, "/big") == 0) {
		n = tly_http_req_query(req, "n");
		want = n != NULL ? strtoul(n, NULL, 10) : 0;
		for (i = 0; i < want; i++)
			(void)tly_buf_add_u8(&resp->body, 'x');
		resp->content_type = "text/plain";
		return;
	}
	if (strcmp(req->path, "/stall") == 0) {
		struct timespec	until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 60;	/* a bound, never reached when passing */
		pthread_mutex_lock(&seen_mtx);
		stall_cancel = 1;
		while (!stall_release)
			if (pthread_cond_timedwait(&stall_cv, &seen_mtx,
			    &until) == ETIMEDOUT)
				break;
		stall_done = 1;
		pthread_mutex_unlock(&seen_mtx);
		tly_http_resp_error(resp, 500, "internal", "stalled");
		return;
	}
	if (strcmp(req->path, "/nostatus") == 0) {
		resp->status = 0;
		return;
	}
	if (strcmp(req->path, "/empty404") == 0) {
		resp->status = 404;
		return;
	}
	if (strcmp(req->path, "/echo") != 0) {
		tly_http_resp_error(resp, 404, "not_found", "no such path");
		return;
	}
	tly_jw_init(&w, &resp->body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "method");
	tly_jw_str(&w, req->method);
	tly_jw_key(&w, "path");
	tly_jw_str(&w, req->path);
	tly_jw_key(&w, "ctype");
	tly_jw_str(&w, req->content_type);
	tly_jw_key(&w, "cenc");
	tly_jw_str(&w, req->content_encoding);
	tly_jw_key(&w, "q");
	tly_jw_str(&w, tly_http_req_query(req, "x"));
	tly_jw_key(&w, "host");
	tly_jw_str(&w, tly_http_req_header(req, "host"));
	tly_jw_key(&w, "bodylen");
	tly_jw_uint(&w, req->bodylen);
	tly_jw_key(&w, "nullbody");
	tly_jw_bool(&w, req->body == NULL);
	tly_jw_obj_close(&w);
	if (tly_jw_finish(&w) != TLY_OK)
		tly_http_resp_error(resp, 500, "internal", "echo too long");
}

/* Start a server on 127.0.0.1, port 0. */
static struct tly_httpd *
start_tcp(unsigned *portp)
{
	struct tly_httpd_opts	 o;
	struct tly_httpd	*h = NULL;

	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.body_max = BODY_MAX;
	o.threads = 2;
	o.conn_max = 16;
	o.timeout_s = 10;
	o.fn = test_handler;
	assert_int_equal(tly_httpd_start(&o, &h), TLY_OK);
	assert_non_null(h);
	*portp = tly_httpd_port(h);
	assert_true(*portp > 0);
	return h;
}

/* Start the TCP server and make the temp dir. */
static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	if (tly_http_global_init() != TLY_OK)
		return -1;
	f->tcp = start_tcp(&f->port);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%u", f->port);
	snprintf(f->dir, sizeof(f->dir), "/tmp/tly-http-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/api.sock", f->dir);
	*state = f;
	return 0;
}

/* Stop the server and remove the temp dir. */
static int
teardown(void **state)
{
	struct fixture	*f = *state;

	tly_httpd_stop(f->tcp);
	unlink(f->sock);
	rmdir(f->dir);
	free(f);
	tly_buf_free(&seen_body);
	return 0;
}

/* Perform a call to path on the TCP server. */
static int
call_tcp(struct fixture *f, const char *method, const char *path,
    struct tly_http_call *c, struct tly_http_result *res)
{
	char	 url[256];

	snprintf(url, sizeof(url), "%s%s", f->base, path);
	c->url = url;
	c->method = method;
	return tly_http_request(c, res);
}

/* Parse res->body as JSON; the caller frees the tree. */
static struct tly_json *
body_json(const struct tly_http_result *res)
{
	struct tly_json	*j = NULL;

	assert_int_equal(tly_json_parse(res->body.p, res->body.len, &j),
	    TLY_OK);
	assert_non_null(j);
	return j;
}

/* Member name of object j must be the string want (NULL: JSON null). */
static void
assert_member(const struct tly_json *j, const char *name, const char *want)
{
	struct tly_json	*m = tly_json_get(j, name);

	assert_non_null(m);
	if (want == NULL)
		assert_true(tly_json_is_null(m));
	else {
		assert_non_null(tly_json_string(m));
		assert_string_equal(tly_json_string(m), want);
	}
}

/* The error code in an error body. */
static void
assert_error_code(const struct tly_http_result *res, const char *code)
{
	struct tly_json	*j = body_json(res);
	struct tly_json	*e = tly_json_get(j, "error");

	assert_non_null(e);
	assert_member(e, "code", code);
	assert_non_null(tly_json_string(tly_json_get(e, "message")));
	tly_json_free(j);
}

/* GET with a query: method, path, query, Host and type come through. */
static void
test_get(void **state)
{
	struct fixture		*f = *state;
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	struct tly_json		*j;
	uint64_t		 n;
	char			 host[64];

	memset(&c, 0, sizeof(c));
	assert_int_equal(call_tcp(f, "GET", "/echo?x=hello%20world&y=2", &c,
	    &res), TLY_OK);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.content_type, "application/json");
	assert_int_equal(res.retry_after, -1);
	assert_string_equal(res.error, "");
	assert_int_equal(res.bytes_up, 0);
	assert_int_equal(res.bytes_down, res.body.len);
	j = body_json(&res);
	assert_member(j, "method", "GET");
	assert_member(j, "path", "/echo");
	assert_member(j, "ctype", NULL);
	assert_member(j, "cenc", NULL);
	assert_member(j, "q", "hello world");
	snprintf(host, sizeof(host), "127.0.0.1:%u", f->port);
	assert_member(j, "host", host);
	assert_int_equal(tly_json_get_int(j, "", "bodylen", &n), TLY_OK);
	assert_int_equal(n, 0);
	tly_json_free(j);
	tly_http_result_free(&res);
}

/* POST with a body (including a NUL byte), and without one. */
static void
test_post(void **state)
{
	struct fixture		*f = *state;
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	struct tly_json		*j;
	uint64_t		 n;
	const char		*body = "some \0 bytes";

	memset(&c, 0, sizeof(c));
	c.content_type = "application/vnd.tally.bundle";
	c.body = (const uint8_t *)body;
	c.bodylen = 12;
	assert_int_equal(call_tcp(f, "POST", "/echo", &c, &res), TLY_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.bytes_up, 12);
	j = body_json(&res);
	assert_member(j, "method", "POST");
	assert_member(j, "ctype", "application/vnd.tally.bundle");
	assert_member(j, "cenc", NULL);
	assert_int_equal(tly_json_get_int(j, "", "bodylen", &n), TLY_OK);
	assert_int_equal(n, 12);
	tly_json_free(j);
	pthread_mutex_lock(&seen_mtx);
	assert_int_equal(seen_body.len, 12);
	assert_memory_equal(seen_body.p, body, 12);
	pthread_mutex_unlock(&seen_mtx);
	tly_http_result_free(&res);

	/* A POST without a body reaches the handler with body NULL. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(call_tcp(f, "POST", "/echo", &c, &res), TLY_OK);
	assert_int_equal(res.status, 200);
	j = body_json(&res);
	assert_int_equal(tly_json_get_int(j, "", "bodylen", &n), TLY_OK);
	assert_int_equal(n, 0);
	assert_member(j, "ctype", NULL);
	tly_json_free(j);
	tly_http_result_free(&res);
}

/* A body of exactly body_max bytes is accepted. */
static void
test_post_at_limit(void **state)
{
	struct fixture		*f = *state;
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	uint8_t			*p = malloc(BODY_MAX);

	assert_non_null(p);
	memset(p, 'a', BODY_MAX);
	memset(&c, 0, sizeof(c));
	c.content_type = "application/octet-stream";
	c.body = p;
	c.bodylen = BODY_MAX;
	assert_int_equal(call_tcp(f, "POST", "/echo", &c, &res), TLY_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.bytes_up, BODY_MAX);
	pthread_mutex_lock(&seen_mtx);
	assert_int_equal(seen_body.len, BODY_MAX);
	pthread_mutex_unlock(&seen_mtx);
	tly_http_result_free(&res);
	free(p);
}

/* gzip POST: the handler sees the compressed bytes and "gzip". */
static void
test_gzip_post(void **state)
{
	struct fixture		*f = *state;
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	struct tly_buf		 plain = TLY_BUF_INIT(1 << 20);
	struct tly_json		*j;
	uint8_t			 p[20000];
	size_t			 i;

	for (i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)"vote count "[i % 11];
	memset(&c, 0, sizeof(c));
	c.content_type = "application/vnd.tally.bundle";
	c.body = p;
	c.bodylen = sizeof(p);
	c.gzip = 1;
	assert_int_equal(call_tcp(f, "POST", "/echo", &c, &res), TLY_OK);
	assert_int_equal(res.status, 200);
	j = body_json(&res);
	assert_member(j, "cenc", "gzip");
	tly_json_free(j);
	pthread_mutex_lock(&seen_mtx);
	/* The handler saw the compressed bytes, as counted by bytes_up. */
	assert_int_equal(res.bytes_up, seen_body.len);
	assert_true(seen_body.len < sizeof(p) / 4);
	assert_int_equal(tly_gunzip(seen_body.p, seen_body.len, sizeof(p),
	    &plain), TLY_OK);
	pthread_mutex_unlock(&seen_mtx);
	assert_int_equal(plain.len, sizeof(p));
	assert_memory_equal(plain.p, p, sizeof(p));
	tly_buf_free(&plain);
	tly_http_result_free(&res);
}

/* After a bad request the server still answers. */
static void
assert_still_serving(struct fixture *f)
{
	struct tly_http_call	 c;
	struct tly_http_result	 res;

	memset(&c, 0, sizeof(c));
	assert_int_equal(call_tcp(f, "GET", "/echo", &c, &res), TLY_OK);
	assert_int_equal(res.status, 200);
	tly_http_result_free(&res);
}

/* Content-Length over body_max: 413 too_large, handler not called. */
static void
test_too_large(void **state)
{
	struct fixture		*f = *state;
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	size_t			 sizes[] = { BODY_MAX + 1, 4u << 20 }, i;
	uint8_t			*p = calloc(1, 4u << 20);
	int			 calls;

	assert_non_null(p);
	for (i = 0; i < 2; i++) {
		pthread_mutex_lock(&seen_mtx);
		calls = seen_calls;
		pthread_mutex_unlock(&seen_mtx);
		memset(&c, 0, sizeof(c));
		c.content_type = "application/octet-stream";
		c.body = p;
		c.bodylen = sizes[i];
		assert_int_equal(call_tcp(f, "POST", "/echo", &c, &res),
		    TLY_OK);
		assert_int_equal(res.status, 413);
		assert_string_equal(res.content_type, "application/json");
		assert_error_code(&res, "too_large");
		tly_http_result_free(&res);
		pthread_mutex_lock(&seen_mtx);
		assert_int_equal(seen_calls, calls);
		pthread_mutex_unlock(&seen_mtx);
		assert_still_serving(f);
	}
	free(p);
}

/* Connect a raw TCP socket to the fixture's server. */
static int
raw_connect(struct fixture *f)
{
	struct sockaddr_in	 sin;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)f->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Send s, then read the reply until the server closes or it is complete. */
static void
raw_exchange(int fd, const void *s, size_t n, char *out, size_t outlen)
{
	size_t	 got = 0;
	ssize_t	 r;

	if (n > 0)
		assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
	while (got + 1 < outlen) {
		r = recv(fd, out + got, outlen - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	out[got] = '\0';
}

/* A chunked body that grows past body_max gets 413 too. */
static void
test_chunked_too_large(void **state)
{
	struct fixture	*f = *state;
	struct tly_buf	 req = TLY_BUF_INIT(4u << 20);
	char		 reply[4096];
	size_t		 sent;
	int		 fd;

	assert_int_equal(tly_buf_addstr(&req, "POST /echo HTTP/1.1\r\n"
	    "Host: test\r\nConnection: close\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), TLY_OK);
	for (sent = 0; sent <= BODY_MAX; sent += 4096) {
		assert_int_equal(tly_buf_addstr(&req, "1000\r\n"), TLY_OK);
		assert_int_equal(tly_buf_add(&req, reply, 4096), TLY_OK);
		assert_int_equal(tly_buf_addstr(&req, "\r\n"), TLY_OK);
	}
	assert_int_equal(tly_buf_addstr(&req, "0\r\n\r\n"), TLY_OK);
	fd = raw_connect(f);
	raw_exchange(fd, req.p, req.len, reply, sizeof(reply));
	close(fd);
	assert_true(strncmp(reply, "HTTP/1.1 413 ", 13) == 0);
	assert_non_null(strstr(reply, "\"too_large\""));
	tly_buf_free(&req);
	assert_still_serving(f);
}

/* Garbage, a bad Content-Length and a half request do not stop it. */
static void
test_malformed(void **state)
{
	struct fixture	*f = *state;
	const char	*bad[] = {
		"GARBAGE\r\n\r\n",
		"GET /echo HTTP/9.9\r\nHost: x\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\n"
		    "Content-Length: 99999999999999999999999\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\n"
		    "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\n",	/* unfinished */
		"\x16\x03\x01\x00\xa5\x01\0\0\xa1\r\n\r\n",	/* TLS */
	};
	char		 reply[4096];
	size_t		 i, n;
	int		 fd, slow;

	/* A slow client holds a connection open the whole time. */
	slow = raw_connect(f);
	assert_int_equal(send(slow, "GET /echo HTTP/1.1\r\n", 20,
	    MSG_NOSIGNAL), 20);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = raw_connect(f);
		n = strlen(bad[i]);
		if (i == sizeof(bad) / sizeof(bad[0]) - 1)
			n = 13;
		assert_int_equal(send(fd, bad[i], n, MSG_NOSIGNAL), (ssize_t)n);
		if (i == 5) {
			/* Hang up in the middle of the headers. */
			close(fd);
			assert_still_serving(f);
			continue;
		}
		/* Half-close so that nothing waits for more input. */
		shutdown(fd, SHUT_WR);
		raw_exchange(fd, NULL, 0, reply, sizeof(reply));
		if (getenv("TEST_HTTP_VERBOSE") != NULL)
			fprintf(stderr, "case %zu: %.40s\n", i, reply);
		/* Anything answered must be an HTTP error. */
		if (reply[0] != '\0')
			assert_true(strncmp(reply, "HTTP/1.", 7) == 0 &&
			    reply[9] >= '4');
		close(fd);
		assert_still_serving(f);
	}
	close(slow);
}

/* A response over resp_max aborts with TLY_E_TOO_LARGE. */
static void
test_resp_too_large(void **state)
{
	struct fixture		*f = *state;
	struct tly_http_call	 c;
	struct tly_http_result	 res;

	memset(&c, 0, sizeof(c));
	c.resp_max = 1000;
	assert_int_equal(call_tcp(f, "GET", "/big?n=1000", &c, &res), TLY_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.body.len, 1000);
	assert_string_equal(res.content_type, "text/plain");
	tly_http_result_free(&res);
	assert_int_equal(call_tcp(f, "GET", "/big?n=200000", &c, &res),
	    TLY_E_TOO_LARGE);
	assert_true(res.body.len <= 1000);
	assert_string_not_equal(res.error, "");
	tly_http_result_free(&res);
}

/*
 * A TCP socket bound to 127.0.0.1 on a free port; url gets
 * "http://127.0.0.1:<port>" and path.
 */
static int
loopback_bound(const char *path, char *url, size_t urllen)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(url, urllen, "http://127.0.0.1:%u%s", ntohs(sin.sin_port),
	    path);
	return fd;
}

/* Nothing listening: TLY_E_NET with the reason in words. */
static void
test_refused(void **state)
{
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	char			 url[64];

	/* A port that was just free: bound, then closed, never listened. */
	close(loopback_bound("/echo", url, sizeof(url)));
	memset(&c, 0, sizeof(c));
	c.url = url;
	c.method = "GET";
	assert_int_equal(tly_http_request(&c, &res), TLY_E_NET);
	assert_int_equal(res.status, 0);
	assert_string_not_equal(res.error, "");
	assert_non_null(strstr(res.error, "onnect"));
	assert_false(res.sent);
	tly_http_result_free(&res);
}

/* A server that answers one request with the head of an answer cut short. */
static void *
cut_server(void *arg)
{
	static const char	 part[] =
	    "HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\n";
	int			 lfd = *(int *)arg, fd;
	char			 buf[4096];

	if ((fd = accept(lfd, NULL, NULL)) >= 0) {
		(void)read(fd, buf, sizeof(buf));
		(void)write(fd, part, sizeof(part) - 1);
		close(fd);
	}
	return NULL;
}

/*
 * An answer cut inside its headers is a broken link (TLY_E_NET, the
 * request went out), not an HTTP 200 with an empty body.
 */
static void
test_cut_in_headers(void **state)
{
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	pthread_t		 th;
	char			 url[64];
	int			 lfd;

	lfd = loopback_bound("/v1/batches", url, sizeof(url));
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(pthread_create(&th, NULL, cut_server, &lfd), 0);
	memset(&c, 0, sizeof(c));
	c.url = url;
	c.method = "POST";
	c.body = (const uint8_t *)"x";
	c.bodylen = 1;
	assert_int_equal(tly_http_request(&c, &res), TLY_E_NET);
	assert_true(res.sent);
	assert_non_null(strstr(res.error, "cut off"));
	tly_http_result_free(&res);
	pthread_join(th, NULL);
	close(lfd);
	(void)state;
}

/* 503 with Retry-After: the client reads the seconds. */
static void
test_retry_after(void **state)
{
	struct fixture		*f = *state;
	struct tly_http_call	 c;
	struct tly_http_result	 res;

	memset(&c, 0, sizeof(c));
	assert_int_equal(call_tcp(f, "GET", "/busy", &c, &res), TLY_OK);
	assert_int_equal(res.status, 503);
	assert_int_equal(res.retry_after, 7);
	assert_error_code(&res, "busy");
	tly_http_result_free(&res);
}

/*
 * A call whose flag is raised while the server stalls returns without
 * waiting for the server; a call whose flag is already up never starts.
 */
static void
test_cancel(void **state)
{
	struct fixture		*f = *state;
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	int			 calls, done;

	memset(&c, 0, sizeof(c));
	c.cancel = &stall_cancel;
	c.low_speed_time_s = 120;	/* only the flag can end the call */
	assert_int_equal(call_tcp(f, "GET", "/stall", &c, &res), TLY_E_NET);
	assert_true(res.cancelled);
	assert_string_equal(res.error, "cancelled");
	assert_int_equal(res.status, 0);
	pthread_mutex_lock(&seen_mtx);
	done = stall_done;
	stall_release = 1;
	pthread_cond_broadcast(&stall_cv);
	pthread_mutex_unlock(&seen_mtx);
	assert_int_equal(done, 0);	/* returned while the server stalled */
	tly_http_result_free(&res);

	/* The flag is still up: nothing is sent at all. */
	pthread_mutex_lock(&seen_mtx);
	calls = seen_calls;
	pthread_mutex_unlock(&seen_mtx);
	assert_int_equal(call_tcp(f, "GET", "/echo", &c, &res), TLY_E_NET);
	assert_true(res.cancelled);
	pthread_mutex_lock(&seen_mtx);
	assert_int_equal(seen_calls, calls);
	pthread_mutex_unlock(&seen_mtx);
	tly_http_result_free(&res);

	/* A lowered flag changes nothing. */
	stall_cancel = 0;
	assert_int_equal(call_tcp(f, "GET", "/echo", &c, &res), TLY_OK);
	assert_int_equal(res.status, 200);
	assert_false(res.cancelled);
	assert_true(res.header_up > 0);
	assert_true(res.header_down > 0);
	tly_http_result_free(&res);
}

/* Handlers that forget the status or the error body still answer. */
static void
test_handler_defaults(void **state)
{
	struct fixture		*f = *state;
	struct tly_http_call	 c;
	struct tly_http_result	 res;

	memset(&c, 0, sizeof(c));
	assert_int_equal(call_tcp(f, "GET", "/nostatus", &c, &res), TLY_OK);
	assert_int_equal(res.status, 500);
	assert_error_code(&res, "internal");
	tly_http_result_free(&res);
	assert_int_equal(call_tcp(f, "GET", "/empty404", &c, &res), TLY_OK);
	assert_int_equal(res.status, 404);
	assert_string_equal(res.content_type, "application/json");
	assert_error_code(&res, "not_found");
	tly_http_result_free(&res);
	assert_int_equal(call_tcp(f, "DELETE", "/nowhere", &c, &res), TLY_OK);
	assert_int_equal(res.status, 404);
	assert_error_code(&res, "not_found");
	tly_http_result_free(&res);
}

/* 1 if some open socket in the system is bound to path. */
static int
unix_bound(const char *path)
{
	FILE	*fp = fopen("/proc/net/unix", "r");
	char	 line[512];
	size_t	 n, pl = strlen(path);
	int	 found = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		n = strcspn(line, "\n");
		if (n > pl && line[n - pl - 1] == ' ' &&
		    memcmp(line + n - pl, path, pl) == 0)
			found = 1;
	}
	fclose(fp);
	return found;
}

/* Start a server on f->sock. */
static int
start_unix(struct fixture *f, struct tly_httpd **hp)
{
	struct tly_httpd_opts	 o;

	memset(&o, 0, sizeof(o));
	o.unix_path = f->sock;
	o.body_max = BODY_MAX;
	o.fn = test_handler;
	return tly_httpd_start(&o, hp);
}

/* Unix socket: stale path replaced, mode 0600, removed on stop. */
static void
test_unix(void **state)
{
	struct fixture		*f = *state;
	struct tly_httpd	*h = NULL, *h2 = NULL;
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	struct sockaddr_un	 sun;
	struct stat		 st;
	struct tly_json		*j;
	int			 fd;

	/* A stale socket left by a dead server is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(stat(f->sock, &st), 0);

	assert_int_equal(start_unix(f, &h), TLY_OK);
	assert_true(unix_bound(f->sock));
	assert_int_equal(tly_httpd_port(h), 0);
	assert_int_equal(stat(f->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	/* A live one is not taken over. */
	assert_int_equal(start_unix(f, &h2), TLY_E_BUSY);
	assert_null(h2);

	memset(&c, 0, sizeof(c));
	c.url = "http://localhost/echo?x=1";
	c.unix_socket = f->sock;
	c.method = "POST";
	c.content_type = "application/json";
	c.body = (const uint8_t *)"{}";
	c.bodylen = 2;
	assert_int_equal(tly_http_request(&c, &res), TLY_OK);
	assert_int_equal(res.status, 200);
	j = body_json(&res);
	assert_member(j, "path", "/echo");
	assert_member(j, "q", "1");
	assert_member(j, "ctype", "application/json");
	tly_json_free(j);
	tly_http_result_free(&res);

	tly_httpd_stop(h);
	assert_int_equal(lstat(f->sock, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_false(unix_bound(f->sock));	/* the socket is closed */

	/* Nobody listening now. */
	assert_int_equal(tly_http_request(&c, &res), TLY_E_NET);
	assert_string_not_equal(res.error, "");
	tly_http_result_free(&res);

	/* A path that is not a socket is never removed. */
	fd = open(f->sock, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(start_unix(f, &h2), TLY_E_CONFIG);
	assert_int_equal(stat(f->sock, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(f->sock);
}

/* Bad options are refused. */
static void
test_bad_opts(void **state)
{
	struct tly_httpd_opts	 o;
	struct tly_httpd	*h = (struct tly_httpd *)&o;

	memset(&o, 0, sizeof(o));
	o.fn = test_handler;
	assert_int_equal(tly_httpd_start(&o, &h), TLY_E_INVAL);
	assert_null(h);
	o.host = "127.0.0.1";
	o.unix_path = "/nonexistent/sock";
	assert_int_equal(tly_httpd_start(&o, &h), TLY_E_INVAL);
	o.unix_path = NULL;
	o.port = 70000;
	assert_int_not_equal(tly_httpd_start(&o, &h), TLY_OK);
	assert_null(h);
	tly_httpd_stop(NULL);
}

/* Run the tests against one shared TCP server. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_post),
		cmocka_unit_test(test_post_at_limit),
		cmocka_unit_test(test_gzip_post),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_chunked_too_large),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_resp_too_large),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_cut_in_headers),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_handler_defaults),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_bad_opts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
