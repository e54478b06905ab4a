/*
 * test_http_client.c: the HTTP client (sync/http.c) against the test
 * server of http_fixture.h and against sockets that misbehave: answers
 * too large, refused, cut short, busy, cancelled calls.
 */
#include "http_fixture.h"

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

/* Run the tests against one shared TCP server. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resp_too_large),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_cut_in_headers),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
