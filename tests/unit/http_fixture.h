/*
 * http_fixture.h: what the HTTP tests share: a server (common/httpd.c)
 * on 127.0.0.1 with the routes the tests call, what its handler saw,
 * and helpers to call it with the client (sync/http.c) and read the
 * answer.  Each test program is a single .c file, so the functions here
 * are static inline: a program uses what it needs.
 */
#ifndef TALLY_TESTS_HTTP_FIXTURE_H
#define TALLY_TESTS_HTTP_FIXTURE_H

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
static inline void
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
static inline struct tly_httpd *
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
static inline int
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
static inline int
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
static inline int
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
static inline struct tly_json *
body_json(const struct tly_http_result *res)
{
	struct tly_json	*j = NULL;

	assert_int_equal(tly_json_parse(res->body.p, res->body.len, &j),
	    TLY_OK);
	assert_non_null(j);
	return j;
}

/* Member name of object j must be the string want (NULL: JSON null). */
static inline void
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
static inline void
assert_error_code(const struct tly_http_result *res, const char *code)
{
	struct tly_json	*j = body_json(res);
	struct tly_json	*e = tly_json_get(j, "error");

	assert_non_null(e);
	assert_member(e, "code", code);
	assert_non_null(tly_json_string(tly_json_get(e, "message")));
	tly_json_free(j);
}

#endif /* TALLY_TESTS_HTTP_FIXTURE_H */
