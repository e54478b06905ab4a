/*
 * test_http.c: the HTTP server (common/httpd.c), called by the client
 * (sync/http.c), on 127.0.0.1 and on a Unix socket in a temp dir: what
 * it accepts, what it refuses, and how it answers.
 */
#include "http_fixture.h"

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
/*
 * The answer helpers: a JSON answer written over resp->body is sent as
 * is; a failure of the caller or the writer becomes 503 busy or 500.
 */
static void
test_resp_helpers(void **state)
{
	struct tly_http_resp	 resp;
	struct tly_jw		 w;

	memset(&resp, 0, sizeof(resp));
	tly_http_resp_begin(&resp, 201, 64);
	tly_jw_init(&w, &resp.body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "ok");
	tly_jw_bool(&w, 1);
	tly_jw_obj_close(&w);
	assert_int_equal(tly_http_resp_finish(&resp, &w, TLY_OK), TLY_OK);
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.content_type, "application/json");
	assert_int_equal(resp.body.len, strlen("{\"ok\":true}"));
	assert_memory_equal(resp.body.p, "{\"ok\":true}", resp.body.len);

	/* The caller's failure: busy is 503 with Retry-After. */
	tly_http_resp_begin(&resp, 200, 64);
	tly_jw_init(&w, &resp.body);
	tly_jw_obj_open(&w);
	assert_int_equal(tly_http_resp_finish(&resp, &w, TLY_E_BUSY),
	    TLY_E_BUSY);
	assert_int_equal(resp.status, 503);
	assert_int_equal(resp.retry_after, TLY_HTTP_BUSY_S);
	assert_non_null(strstr((const char *)resp.body.p, "\"busy\""));

	/* The writer's failure (over the cap): 500, the detail not sent. */
	resp.retry_after = 0;
	tly_http_resp_begin(&resp, 200, 8);
	tly_jw_init(&w, &resp.body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "a long member name");
	tly_jw_obj_close(&w);
	assert_int_equal(tly_http_resp_finish(&resp, &w, TLY_OK),
	    TLY_E_TOO_LARGE);
	assert_int_equal(resp.status, 500);
	assert_non_null(strstr((const char *)resp.body.p, "\"internal\""));
	tly_buf_free(&resp.body);
}

/* The admission test's state: how often each side was called. */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 admitted;	/* admission calls */
	int		 handled;	/* handler calls */
} adm = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

/*
 * Admission: refuse /held with 429, held 300 ms, and /held-long, held
 * 5 s; count the calls.
 */
static void
held_admit(void *arg, const struct tly_http_req *req, int too_large,
    struct tly_http_resp *resp)
{
	pthread_mutex_lock(&adm.mu);
	adm.admitted++;
	pthread_cond_broadcast(&adm.cv);
	pthread_mutex_unlock(&adm.mu);
	assert_null(req->body);
	if (strncmp(req->path, "/held", 5) != 0)
		return;
	tly_http_resp_error(resp, 429, "rate_limited", "held");
	resp->retry_after = 7;
	resp->delay_ms = strcmp(req->path, "/held") == 0 ? 300 : 5000;
}

/* Handler of the admission test: count, then as test_handler. */
static void
held_handler(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	pthread_mutex_lock(&adm.mu);
	adm.handled++;
	pthread_mutex_unlock(&adm.mu);
	test_handler(arg, req, resp);
}

/* A raw request of the admission test, on a thread of its own. */
struct held_call {
	unsigned	 port;		/* the server's */
	const char	*path;		/* "/held" or "/held-long" */
	char		 out[2048];	/* what came back until the close */
};

/* Send the headers of a POST announcing 100 bytes, never sent. */
static void *
held_client(void *arg)
{
	struct held_call	*hc = arg;
	struct sockaddr_in	 sin;
	char			 q[128];
	size_t			 got = 0;
	ssize_t			 r;
	int			 fd;

	snprintf(q, sizeof(q), "POST %s HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 100\r\n\r\n", hc->path);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return NULL;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)hc->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    send(fd, q, strlen(q), MSG_NOSIGNAL) == (ssize_t)strlen(q))
		while (got + 1 < sizeof(hc->out) && (r = recv(fd,
		    hc->out + got, sizeof(hc->out) - 1 - got, 0)) > 0)
			got += (size_t)r;
	hc->out[got] = '\0';
	close(fd);
	return NULL;
}

/* Seconds since t0 on the monotonic clock. */
static double
since(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Admission (opts.admit) on a blocking server: a refused request is
 * answered on its headers, after its delay, its body never read and the
 * handler never called, with Retry-After and Connection: close; a delay
 * holds only its own connection, and stopping the server cuts it short.
 */
static void
test_admit_held(void **state)
{
	struct tly_httpd_opts	 o;
	struct tly_httpd	*h = NULL;
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	struct held_call	 hc;
	struct timespec		 t0;
	pthread_t		 th;
	char			 url[64];

	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.body_max = BODY_MAX;
	o.blocking = 1;
	o.conn_max = 16;
	o.timeout_s = 10;
	o.fn = held_handler;
	o.admit = held_admit;
	assert_int_equal(tly_httpd_start(&o, &h), TLY_OK);
	memset(&hc, 0, sizeof(hc));
	hc.port = tly_httpd_port(h);
	hc.path = "/held";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	held_client(&hc);
	assert_true(since(&t0) >= 0.29);
	assert_non_null(strstr(hc.out, "HTTP/1.1 429 "));
	assert_non_null(strcasestr(hc.out, "\r\nRetry-After: 7\r\n"));
	assert_non_null(strcasestr(hc.out, "\r\nConnection: close\r\n"));
	assert_non_null(strstr(hc.out, "\"rate_limited\""));

	hc.path = "/held-long";
	assert_int_equal(pthread_create(&th, NULL, held_client, &hc), 0);
	pthread_mutex_lock(&adm.mu);
	while (adm.admitted < 2)
		pthread_cond_wait(&adm.cv, &adm.mu);
	pthread_mutex_unlock(&adm.mu);

	/* Meanwhile another request is admitted and served. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/echo", hc.port);
	memset(&c, 0, sizeof(c));
	c.url = url;
	c.method = "GET";
	assert_int_equal(tly_http_request(&c, &res), TLY_OK);
	assert_int_equal(res.status, 200);
	tly_http_result_free(&res);

	/* Stopping ends the 5 s wait. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tly_httpd_stop(h);
	assert_true(since(&t0) < 4.0);
	assert_int_equal(pthread_join(th, NULL), 0);
	pthread_mutex_lock(&adm.mu);
	assert_int_equal(adm.admitted, 3);
	assert_int_equal(adm.handled, 1);	/* the GET only */
	pthread_mutex_unlock(&adm.mu);
}

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
		cmocka_unit_test(test_handler_defaults),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_resp_helpers),
		cmocka_unit_test(test_admit_held),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
