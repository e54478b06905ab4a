/*
 * test_common.c: bounded buffers, config files, strict JSON, the JSON
 * writer, log escaping and error details.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/log.h"

static char tmpdir[] = "/tmp/tally-test-common.XXXXXX";

static const char *
write_tmp(const char *name, const char *text)
{
	static char	path[512];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_buf_cap(void **state)
{
	struct tly_buf	b = TLY_BUF_INIT(8);

	assert_int_equal(tly_buf_add(&b, "12345", 5), TLY_OK);
	assert_int_equal(tly_buf_add(&b, "6789", 4), TLY_E_TOO_LARGE);
	assert_int_equal(b.len, 5);		/* unchanged on failure */
	assert_string_equal((char *)b.p, "12345");
	assert_int_equal(tly_buf_addf(&b, "%d", 678), TLY_OK);
	assert_string_equal((char *)b.p, "12345678");
	assert_int_equal(tly_buf_add_u8(&b, 1), TLY_E_TOO_LARGE);
	tly_buf_free(&b);
	tly_buf_free(NULL);
}

static void
test_buf_files(void **state)
{
	struct tly_buf	b = TLY_BUF_INIT(100);
	char		path[512];
	struct stat	st;

	snprintf(path, sizeof(path), "%s/atomic", tmpdir);
	assert_int_equal(tly_file_write_atomic(path, "hello", 5, 0640), TLY_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(tly_buf_read_file(path, 100, &b), TLY_OK);
	assert_int_equal(b.len, 5);
	tly_buf_free(&b);
	tly_buf_init(&b, 4);
	assert_int_equal(tly_buf_read_file(path, 4, &b), TLY_E_TOO_LARGE);
	assert_non_null(strstr(tly_errdetail(), path));
	tly_buf_free(&b);
	tly_buf_init(&b, 4);
	assert_int_equal(tly_buf_read_file("/nonexistent/x", 4, &b), TLY_E_IO);
	assert_non_null(strstr(tly_errdetail(), "/nonexistent/x"));
	tly_buf_free(&b);
}

static void
test_config(void **state)
{
	static const char *const known[] = { "datadir", "port", NULL };
	struct tly_config	*c = NULL;
	const char		*p;
	uint64_t		 v;

	p = write_tmp("ok.conf", "# comment\n\ndatadir  /var/lib/x  \nport 80\n");
	assert_int_equal(tly_config_load(p, known, &c), TLY_OK);
	assert_string_equal(tly_config_get(c, "datadir"), "/var/lib/x");
	assert_int_equal(tly_config_get_uint(c, "port", 1, 65535, 9, &v), 0);
	assert_int_equal(v, 80);
	assert_int_equal(tly_config_get_uint(c, "port", 100, 200, 9, &v),
	    TLY_E_CONFIG);
	assert_non_null(strstr(tly_errdetail(), "ok.conf:4"));
	tly_config_free(c);

	p = write_tmp("bad.conf", "datadir /x\nlisten 1\n");
	assert_int_equal(tly_config_load(p, known, &c), TLY_E_CONFIG);
	assert_null(c);
	assert_non_null(strstr(tly_errdetail(), "bad.conf:2: unknown key 'listen'"));

	p = write_tmp("dup.conf", "datadir /x\ndatadir /y\n");
	assert_int_equal(tly_config_load(p, known, &c), TLY_E_CONFIG);
	assert_non_null(strstr(tly_errdetail(), "dup.conf:2"));

	p = write_tmp("empty.conf", "port\n");
	assert_int_equal(tly_config_load(p, known, &c), TLY_E_CONFIG);
	assert_non_null(strstr(tly_errdetail(), "needs a value"));
}

static void
test_json_strict(void **state)
{
	static const char *const names[] = { "a", "b", NULL };
	struct tly_json	*j = NULL;
	uint64_t	 v;
	char		 id[TLY_ID_MAX + 1];
	uint8_t		 h[32];

	{
		const char *t = "{\"a\":1,\"b\":\"x\"}";
		assert_int_equal(tly_json_parse(t, strlen(t), &j), 0);
	}
	assert_int_equal(tly_json_check_names(j, "", names), TLY_OK);
	assert_int_equal(tly_json_get_int(j, "", "a", &v), TLY_OK);
	assert_int_equal(v, 1);
	assert_int_equal(tly_json_get_int(j, "rec", "b", &v), TLY_E_JSON);
	assert_string_equal(tly_errdetail(), "rec.b: not an integer");
	assert_int_equal(tly_json_get_int(j, "rec", "c", &v), TLY_E_JSON);
	assert_string_equal(tly_errdetail(), "rec.c: missing");
	tly_json_free(j);

#define REJECT_PARSE(s) do { j = NULL; \
	assert_int_equal(tly_json_parse(s, sizeof(s) - 1, &j), TLY_E_JSON); \
	assert_null(j); } while (0)
	REJECT_PARSE("{\"a\":1} x");
	REJECT_PARSE("{\"a\":1");
	REJECT_PARSE("");
	REJECT_PARSE("{\"a\":\"x\\u0000y\"}");
	REJECT_PARSE("{\"a\":\0}");
	REJECT_PARSE("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");

#define REJECT_CHECK(s) do { \
	assert_int_equal(tly_json_parse(s, sizeof(s) - 1, &j), TLY_OK); \
	assert_int_equal(tly_json_check_names(j, "", names), TLY_E_JSON); \
	tly_json_free(j); } while (0)
	REJECT_CHECK("{\"a\":1,\"a\":2}");
	REJECT_CHECK("{\"a\":1,\"z\":2}");
	REJECT_CHECK("[1]");

#define REJECT_INT(s) do { \
	assert_int_equal(tly_json_parse(s, sizeof(s) - 1, &j), TLY_OK); \
	assert_int_equal(tly_json_get_int(j, "", "a", &v), TLY_E_JSON); \
	tly_json_free(j); } while (0)
	/* Numbers other than integers do not even parse (section 1). */
	REJECT_PARSE("{\"a\":1.5}");
	REJECT_PARSE("{\"a\":-1}");
	REJECT_PARSE("{\"a\":9007199254740992}");
	REJECT_PARSE("{\"a\":1e400}");
	REJECT_INT("{\"a\":\"1\"}");
	REJECT_INT("{\"a\":true}");

	{
		const char *t = "{\"a\":9007199254740991}";
		assert_int_equal(tly_json_parse(t, strlen(t), &j), 0);
	}
	assert_int_equal(tly_json_get_int(j, "", "a", &v), TLY_OK);
	assert_true(v == 9007199254740991ULL);
	tly_json_free(j);

	{
		const char *t = "{\"a\":\"A-1.x_y\",\"b\":\"a b\"}";
		assert_int_equal(tly_json_parse(t, strlen(t), &j), TLY_OK);
	}
	assert_int_equal(tly_json_get_id(j, "", "a", id), TLY_OK);
	assert_string_equal(id, "A-1.x_y");
	assert_int_equal(tly_json_get_id(j, "", "b", id), TLY_E_JSON);
	assert_int_equal(tly_json_get_hash(j, "", "a", h), TLY_E_JSON);
	tly_json_free(j);
}

static void
test_json_text(void **state)
{
	assert_true(tly_json_valid_text("Quất Lâm\tok\n", strlen("Quất Lâm\tok\n")));
	assert_false(tly_json_valid_text("", 0));
	assert_false(tly_json_valid_text("a\rb", 3));
	assert_false(tly_json_valid_text("a\x1b", 2));
	assert_false(tly_json_valid_text("\xc3", 1));		/* truncated */
	assert_false(tly_json_valid_text("\xc0\xaf", 2));	/* overlong */
	assert_false(tly_json_valid_text("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(tly_json_valid_text("\xc2\x85", 2));	/* C1 */
	assert_true(tly_json_valid_id("NA-01"));
	assert_false(tly_json_valid_id(""));
	assert_false(tly_json_valid_id("a/b"));
	assert_false(tly_json_valid_id(
	    "0123456789012345678901234567890123456789012345678901234567890123x"));
}

static void
test_json_writer(void **state)
{
	struct tly_buf	b = TLY_BUF_INIT(256);
	struct tly_jw	w;
	const uint8_t	bytes[2] = { 0xab, 0x01 };

	tly_jw_init(&w, &b);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "s");
	tly_jw_str(&w, "a\"b\\c\n\x01");
	tly_jw_key(&w, "n");
	tly_jw_uint(&w, 42);
	tly_jw_key(&w, "a");
	tly_jw_arr_open(&w);
	tly_jw_int(&w, -1);
	tly_jw_bool(&w, 1);
	tly_jw_null(&w);
	tly_jw_hex(&w, bytes, 2);
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	assert_string_equal((char *)b.p,
	    "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":42,"
	    "\"a\":[-1,true,null,\"ab01\"]}");
	tly_buf_free(&b);

	/* Over the cap: the error sticks. */
	tly_buf_init(&b, 8);
	tly_jw_init(&w, &b);
	tly_jw_str(&w, "0123456789");
	assert_int_equal(tly_jw_finish(&w), TLY_E_TOO_LARGE);
	tly_buf_free(&b);

	/* Unbalanced. */
	tly_buf_init(&b, 64);
	tly_jw_init(&w, &b);
	tly_jw_obj_open(&w);
	assert_int_equal(tly_jw_finish(&w), TLY_E_INVAL);
	tly_buf_free(&b);
}

static void
test_log_escape(void **state)
{
	char	out[16];

	tly_log_escape("ab\ncd", 5, out, sizeof(out));
	assert_string_equal(out, "ab\\x0acd");
	tly_log_escape("0123456789abcdefghij", 20, out, sizeof(out));
	assert_string_equal(out, "0123456789ab...");
	assert_true(strlen(out) < sizeof(out));
}

static void
test_daemon_helpers(void **state)
{
	char		path[512], line[16] = { 0 };
	int		fds[2];
	enum tly_drop	what;

	/* A key only its owner can read passes; a readable one does not. */
	snprintf(path, sizeof(path), "%s/k.key", tmpdir);
	assert_int_equal(tly_daemon_key_private(path), TLY_OK);	/* missing */
	assert_int_equal(tly_file_write_atomic(path, "k", 1, 0600), TLY_OK);
	assert_int_equal(tly_daemon_key_private(path), TLY_OK);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(tly_daemon_key_private(path), TLY_E_KEY);
	assert_non_null(strstr(tly_errdetail(), "chmod 600"));

	/* Readiness: the line arrives and the fd is closed. */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(tly_daemon_ready(fds[1], "READY\n"), TLY_OK);
	assert_int_equal(read(fds[0], line, sizeof(line) - 1), 6);
	assert_string_equal(line, "READY\n");
	assert_int_equal(read(fds[0], line, 1), 0);		/* EOF */
	close(fds[0]);

	/* Without root nothing changes; as root an unknown user is refused. */
	if (geteuid() != 0) {
		assert_int_equal(tly_daemon_drop_privileges("nobody", "x:1",
		    &what), TLY_OK);
		assert_int_equal(what, TLY_DROP_NOT_ROOT);
	} else {
		assert_int_equal(tly_daemon_drop_privileges(
		    "no-such-user-tally", "tally.conf:3", &what), TLY_E_CONFIG);
		assert_non_null(strstr(tly_errdetail(), "tally.conf:3"));
		assert_int_equal(tly_daemon_drop_privileges(NULL, "x", &what),
		    TLY_OK);
		assert_int_equal(what, TLY_DROP_KEPT_ROOT);
	}
}

/* sd_notify without libsystemd: one "READY=1" datagram, or nothing. */
static void
test_daemon_notify(void **state)
{
	struct sockaddr_un	sun;
	char			buf[32] = { 0 };
	int			fd;

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(tly_daemon_notify("READY=1"), TLY_OK);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify", tmpdir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	assert_int_equal(tly_daemon_notify("READY=1"), TLY_OK);
	assert_int_equal(recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT), 7);
	assert_string_equal(buf, "READY=1");
	close(fd);
	unlink(sun.sun_path);
	/* Nobody listening, or not a path: an error, never a crash. */
	assert_int_equal(tly_daemon_notify("READY=1"), TLY_E_IO);
	setenv("NOTIFY_SOCKET", "relative", 1);
	assert_int_equal(tly_daemon_notify("READY=1"), TLY_E_CONFIG);
	unsetenv("NOTIFY_SOCKET");
}

/* stderr is the journal: "<N>" priority prefixes, no timestamp. */
static void
test_log_journal(void **state)
{
	struct stat	st;
	char		env[64], buf[128] = { 0 };
	int		fds[2], saved;

	assert_int_equal(tly_log_journal_stream(NULL, 0), 0);
	assert_int_equal(tly_log_journal_stream("12:x", 0), 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(fstat(fds[1], &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	assert_int_equal(tly_log_journal_stream(env, fds[1]), 1);
	assert_int_equal(tly_log_journal_stream(env, fds[0] + 100), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
	setenv("JOURNAL_STREAM", env, 1);
	tly_log_init("t", TLY_LOG_INFO);
	tly_log_warn("disk %d%% full", 91);
	tly_log_error("gone");
	unsetenv("JOURNAL_STREAM");
	tly_log_init("t", TLY_LOG_INFO);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fds[1]);
	assert_true(read(fds[0], buf, sizeof(buf) - 1) > 0);
	close(fds[0]);
	assert_string_equal(buf, "<4>warn: disk 91% full\n<3>error: gone\n");
}

static void
test_errors(void **state)
{
	int	e;

	for (e = 0; e > TLY_E_MAX_; e--) {
		assert_non_null(tly_strerror(e));
		assert_non_null(tly_err_code(e));
	}
	assert_string_equal(tly_err_code(TLY_E_SIGNATURE), "bad_signature");
	assert_string_equal(tly_err_code(TLY_E_SEQ_GAP), "seq_gap");
	/* Back from the wire: every code to the first error that has it. */
	for (e = -1; e > TLY_E_MAX_; e--)
		assert_string_equal(tly_err_code(tly_err_from_code(
		    tly_err_code(e))), tly_err_code(e));
	assert_int_equal(tly_err_from_code("seq_gap"), TLY_E_SEQ_GAP);
	assert_int_equal(tly_err_from_code("chain_broken"), TLY_E_CHAIN);
	assert_int_equal(tly_err_from_code("internal"), TLY_E_NOMEM);
	assert_int_equal(tly_err_from_code("bad_batch"), TLY_E_JSON);
	assert_int_equal(tly_err_from_code("no_such_code"), TLY_E_HTTP);
	assert_int_equal(tly_err_from_code("ok"), TLY_E_HTTP);
	assert_int_equal(tly_err_from_code(NULL), TLY_E_HTTP);
	assert_int_equal(tly_fail(TLY_E_BATCH, "seq %d", 3), TLY_E_BATCH);
	assert_string_equal(tly_errdetail(), "seq 3");
	/* The detail may be an argument of the next one. */
	tly_fail(TLY_E_BATCH, "outer: %s", tly_errdetail());
	assert_string_equal(tly_errdetail(), "outer: seq 3");
}

/* err.h: the detail of an error code falls back to its text. */
static void
test_errmsg(void **state)
{
	tly_errclear();
	/* No detail at all: the code's own text. */
	assert_string_equal(tly_errmsg(TLY_E_NOMEM), tly_strerror(TLY_E_NOMEM));
	/* A detail belongs to the code it was set with. */
	tly_fail(TLY_E_CHAIN, "prev is %s", "wrong");
	assert_string_equal(tly_errmsg(TLY_E_CHAIN), "prev is wrong");
	assert_string_equal(tly_errmsg(TLY_E_NOMEM), tly_strerror(TLY_E_NOMEM));
	tly_errclear();
	assert_string_equal(tly_errmsg(TLY_E_CHAIN), tly_strerror(TLY_E_CHAIN));
	assert_string_equal(tly_errmsg(1), tly_strerror(1));
}

/* Route handler that is never called: the matcher only gives indexes. */
static void
route_nop(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
}

/* tly_route_match: literals, '*', a final '**', HEAD as GET, 404 and 405. */
static void
test_route_match(void **state)
{
	static const struct tly_route t[] = {
		{ "POST", "/v1/batches", route_nop },
		{ "GET", "/v1/key", route_nop },
		{ "GET", "/v1/devices/*/head", route_nop },
		{ "GET", "/v1/results/areas/**", route_nop },
	};
	struct tly_route_params	rp;
	size_t			n = sizeof(t) / sizeof(t[0]);

	assert_int_equal(tly_route_match(t, n, "GET", "/v1/key", &rp), 1);
	assert_int_equal(rp.n, 0);
	assert_int_equal(tly_route_match(t, n, "HEAD", "/v1/key", &rp), 1);
	assert_int_equal(tly_route_match(t, n, "POST", "/v1/key", &rp),
	    TLY_E_INVAL);
	assert_int_equal(tly_route_match(t, n, "HEAD", "/v1/batches", &rp),
	    TLY_E_INVAL);
	assert_int_equal(tly_route_match(t, n, "GET", "/v1/key/", &rp),
	    TLY_E_NOTFOUND);
	assert_int_equal(tly_route_match(t, n, "GET", "/v1/ke", &rp),
	    TLY_E_NOTFOUND);
	assert_int_equal(tly_route_match(t, n, "GET", "/v1/devices/ab/head",
	    &rp), 2);
	assert_int_equal(rp.n, 1);
	assert_int_equal(rp.len[0], 2);
	assert_memory_equal(rp.p[0], "ab", 2);
	assert_int_equal(tly_route_match(t, n, "GET", "/v1/devices//head",
	    &rp), TLY_E_NOTFOUND);
	assert_int_equal(tly_route_match(t, n, "GET", "/v1/devices/a/b/head",
	    &rp), TLY_E_NOTFOUND);
	assert_int_equal(tly_route_match(t, n, "GET",
	    "/v1/results/areas/P/D/C", &rp), 3);
	assert_int_equal(rp.len[0], 5);
	assert_memory_equal(rp.p[0], "P/D/C", 5);
	assert_int_equal(tly_route_match(t, n, "GET", "/v1/results/areas/",
	    &rp), TLY_E_NOTFOUND);
	assert_int_equal(rp.n, 0);
}

/* Settings of every keyword type, for test_config_table. */
struct tc_conf {
	char		*dir;		/* required string */
	uint64_t	 n;		/* number with a default */
	unsigned	 u;		/* number without one */
	int		 mode;		/* choice */
};

/* Keyword tables: defaults, bounds, choices, required keys, file:line. */
static void
test_config_table(void **state)
{
	static const char *const modes[] = { "live", "test", NULL };
	static const struct tly_ckey keys[] = {
		{ "dir", TLY_CKEY_STR, offsetof(struct tc_conf, dir), 0, 0,
		    NULL, 1, NULL },
		{ "n", TLY_CKEY_UINT, offsetof(struct tc_conf, n), 1, 10, "5",
		    0, NULL },
		{ "u", TLY_CKEY_UNSIGNED, offsetof(struct tc_conf, u), 1, 9,
		    NULL, 0, NULL },
		{ "mode", TLY_CKEY_CHOICE, offsetof(struct tc_conf, mode), 0, 0,
		    "live", 0, modes },
		{ NULL, 0, 0, 0, 0, NULL, 0, NULL }
	};
	struct tc_conf	 c;
	const char	*ok = "# x\ndir /a\nu 3\nmode test\n";
	const char	*big = "dir /a\n\nn 11\n";
	const char	*nodir = "n 2\n";
	const char	*badmode = "dir /a\nmode maybe\n";

	memset(&c, 0, sizeof(c));
	assert_int_equal(tly_config_parse_table("t.conf", (const uint8_t *)ok,
	    strlen(ok), keys, &c, NULL), TLY_OK);
	assert_string_equal(c.dir, "/a");
	assert_int_equal(c.n, 5);
	assert_int_equal(c.u, 3);
	assert_int_equal(c.mode, 1);
	tly_config_table_free(keys, &c);
	assert_null(c.dir);

	memset(&c, 0, sizeof(c));
	assert_int_equal(tly_config_parse_table("t.conf",
	    (const uint8_t *)big, strlen(big), keys, &c, NULL), TLY_E_CONFIG);
	assert_non_null(strstr(tly_errdetail(), "t.conf:3: 'n' must be"));
	assert_null(c.dir);		/* freed on error */
	assert_int_equal(tly_config_parse_table("t.conf",
	    (const uint8_t *)nodir, strlen(nodir), keys, &c, NULL),
	    TLY_E_CONFIG);
	assert_string_equal(tly_errdetail(), "t.conf: 'dir' is required");
	assert_int_equal(tly_config_parse_table("t.conf",
	    (const uint8_t *)badmode, strlen(badmode), keys, &c, NULL),
	    TLY_E_CONFIG);
	assert_non_null(strstr(tly_errdetail(), "t.conf:2: mode must be"));
}

/*
 * Lowercase hex: every byte encodes as the C library prints it and
 * decodes back; each of the 256 characters is a digit exactly when it
 * is one of 0-9a-f; lengths must match.
 */
static void
test_hex(void **state)
{
	uint8_t	 all[256], back[256], one;
	char	 hex[2 * 256 + 1], want[3], pair[2];
	size_t	 i;
	int	 c, ok;

	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	assert_ptr_equal(tly_hex(all, 256, hex), hex);
	for (i = 0; i < 256; i++) {
		snprintf(want, sizeof(want), "%02x", (unsigned)i);
		assert_memory_equal(hex + 2 * i, want, 2);
	}
	assert_int_equal(hex[512], '\0');
	assert_int_equal(tly_unhex(hex, 512, back, 256), TLY_OK);
	assert_memory_equal(back, all, 256);
	for (c = 0; c < 256; c++) {
		pair[0] = '0';
		pair[1] = (char)c;
		ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		one = 0xee;
		assert_int_equal(tly_unhex(pair, 2, &one, 1),
		    ok ? TLY_OK : TLY_E_ENCODING);
		if (ok)
			assert_int_equal(one, c <= '9' ? c - '0' : c - 'a' + 10);
		else
			assert_int_equal(one, 0xee);	/* untouched */
	}
	assert_int_equal(tly_unhex("abc", 3, back, 1), TLY_E_ENCODING);
	assert_int_equal(tly_unhex("", 0, back, 0), TLY_OK);
	assert_ptr_equal(tly_hex(all, 0, hex), hex);
	assert_int_equal(hex[0], '\0');
}

/* -R FD: a decimal 0..65535, else TLY_E_INVAL with a detail. */
static void
test_parse_fd(void **state)
{
	int	fd = -1;

	assert_int_equal(tly_daemon_parse_fd("3", &fd), TLY_OK);
	assert_int_equal(fd, 3);
	assert_int_equal(tly_daemon_parse_fd("", &fd), TLY_E_INVAL);
	assert_int_equal(tly_daemon_parse_fd("3x", &fd), TLY_E_INVAL);
	assert_int_equal(tly_daemon_parse_fd("65536", &fd), TLY_E_INVAL);
	assert_non_null(strstr(tly_errdetail(), "65536"));
	assert_int_equal(fd, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_files),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_table),
		cmocka_unit_test(test_route_match),
		cmocka_unit_test(test_json_strict),
		cmocka_unit_test(test_json_text),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_daemon_helpers),
		cmocka_unit_test(test_daemon_notify),
		cmocka_unit_test(test_log_journal),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errmsg),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_parse_fd),
	};
	int	r;

	assert_non_null(mkdtemp(tmpdir));
	r = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		(void)!system(cmd);
	}
	return r;
}
