/*
 * httpd.h: a small HTTP server over TCP or a Unix socket, for tallyd's
 * local API and tally-central.  The only libmicrohttpd user.
 *
 * The handler gets the whole request body, already capped at body_max
 * (a larger body is answered 413 too_large without calling it), and
 * fills a response.  Handlers run on the server's worker threads, each
 * of which serves many connections in turn, or, with opts.blocking, on
 * a thread of each connection's own.
 *
 * An admission function (opts.admit) may refuse a request on its
 * headers alone, before any of its body is received: the answer is sent
 * at once (after its delay_ms, a tarpit) and the connection is closed,
 * so a refused body is never read or copied.  A Content-Length over
 * body_max is answered 413 the same way.
 */
#ifndef TLY_HTTPD_H
#define TLY_HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/json.h"

struct tly_http_req {
	const char	*method;	/* "GET", "POST", ... */
	const char	*path;		/* "/v1/batches" (no query) */
	const char	*content_type;		/* or NULL */
	const char	*content_encoding;	/* or NULL */
	const uint8_t	*body;		/* NULL when empty */
	size_t		 bodylen;
	void		*conn_;		/* private */
};

struct tly_http_resp {
	int		 status;	/* default 200 */
	const char	*content_type;	/* default "application/json" */
	struct tly_buf	 body;		/* set by the handler */
	unsigned	 retry_after;	/* Retry-After seconds if > 0 */
	char		 etag[72];	/* ETag header value, "" for none */
	char		 set_cookie[160];	/* Set-Cookie value, "" for
					   none */
	unsigned	 delay_ms;	/* hold the answer this long first (a
					   tarpit), capped at
					   TLY_HTTP_DELAY_MAX_MS; only a
					   blocking server waits */
	int		 close;		/* 1: Connection: close after it */
};

#define TLY_HTTP_DELAY_MAX_MS	5000	/* cap of tly_http_resp.delay_ms */

typedef void (*tly_httpd_fn)(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp);

/*
 * An admission function: called once a request's headers are in, before
 * any of its body is read, with req->body NULL, and too_large 1 when its
 * Content-Length passes body_max.  It refuses the request by setting
 * resp->status (400 or more; the body is then as for a handler's error):
 * the server sends that answer without reading the body, after
 * resp->delay_ms, and closes the connection.  Left at status 0, a
 * too_large request is answered 413 too_large in the same way, and any
 * other is read and handed to the handler.  It runs where the handler
 * runs and must not block, but for locks held briefly.
 */
typedef void (*tly_httpd_admit_fn)(void *arg, const struct tly_http_req *req,
    int too_large, struct tly_http_resp *resp);

struct tly_httpd_opts {
	const char	*host;		/* "127.0.0.1" for TCP, or NULL */
	unsigned	 port;		/* 0 = ephemeral */
	const char	*unix_path;	/* Unix socket path, or NULL */
	unsigned	 unix_mode;	/* its mode, 0: 0600 */
	int		 unix_chgrp;	/* 1: give the socket to unix_gid */
	gid_t		 unix_gid;	/* its group when unix_chgrp */
	size_t		 body_max;	/* request body cap */
	unsigned	 threads;	/* worker threads, 0: 1; unused
					   with blocking */
	int		 blocking;	/* 1: handlers may block for long:
					   one thread per connection */
	unsigned	 conn_max;	/* concurrent connections, 0: 256 */
	unsigned	 timeout_s;	/* idle connection timeout, 0: 30 */
	unsigned	 header_timeout_s; /* idle timeout until a request's
					   headers are in, 0: timeout_s */
	unsigned	 per_ip_max;	/* connections from one address,
					   0: no limit */
	const char	*tls_cert;	/* PEM: serve HTTPS only, or NULL */
	const char	*tls_key;	/* PEM key of tls_cert */
	tly_httpd_fn	 fn;		/* the request handler */
	tly_httpd_admit_fn admit;	/* on the headers, or NULL: admit
					   every request */
	void		*arg;		/* the argument of fn and admit */
};

struct tly_httpd;

/* Start serving.  *hp: new, stop with tly_httpd_stop(). */
int	tly_httpd_start(const struct tly_httpd_opts *o, struct tly_httpd **hp);
/* The TCP port actually bound (for port 0), or 0 for a Unix socket. */
unsigned tly_httpd_port(const struct tly_httpd *h);
/* Stop, wait for handlers to return, remove the Unix socket.  NULL-safe. */
void	tly_httpd_stop(struct tly_httpd *h);

/* A query parameter of the request, or NULL. */
const char *tly_http_req_query(const struct tly_http_req *req,
	    const char *name);
/* A request header, or NULL. */
const char *tly_http_req_header(const struct tly_http_req *req,
	    const char *name);
/*
 * The client's address as text into buf[0..len) ("127.0.0.1", "::1"),
 * or "local" for a Unix socket or a request made without a connection.
 * len of TLY_HTTP_PEER_MAX holds any.
 */
void	tly_http_req_peer(const struct tly_http_req *req, char *buf,
	    size_t len);
#define TLY_HTTP_PEER_MAX	48	/* bytes of an address as text */

/*
 * Route tables.  A server lists its endpoints as { method, pattern,
 * handler } beside the handlers; tly_route_dispatch() finds the entry
 * and answers 404 or 405 itself.  A pattern is a path whose segments are
 * literal, or "*" (one non-empty segment without '/'), or, as the last
 * segment only, "**" (the non-empty rest of the path, '/' included).
 * What the stars matched is handed to the handler as parameters.  HEAD
 * is answered by the GET entry, and the server sends no body for it.
 */
#define TLY_ROUTE_PARAMS_MAX	2	/* stars in one pattern */

/* What the stars of a pattern matched: slices of the request path. */
struct tly_route_params {
	size_t		 n;				/* slices set */
	const char	*p[TLY_ROUTE_PARAMS_MAX];	/* start, in req->path */
	size_t		 len[TLY_ROUTE_PARAMS_MAX];	/* length, > 0 */
};

/* An endpoint's handler; rp holds what its pattern's stars matched. */
typedef void (*tly_route_fn)(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp);

/* One entry of a route table. */
struct tly_route {
	const char	*method;	/* "GET" (also serves HEAD), "POST" */
	const char	*pattern;	/* a path pattern, as above */
	tly_route_fn	 fn;		/* the handler */
};

/*
 * Find the entry of table[0..n) for method and path.  Returns its index
 * (>= 0) with *rp filled; TLY_E_NOTFOUND when no pattern matches path;
 * TLY_E_INVAL when one does, but not for this method (HTTP 405).  Pure:
 * no I/O, no allocation; path must be a NUL-terminated string.
 */
int	tly_route_match(const struct tly_route *table, size_t n,
	    const char *method, const char *path, struct tly_route_params *rp);
/*
 * Route req through table[0..n): call the entry's handler with arg, or
 * answer 404 not_found or 405 method_not_allowed.
 */
void	tly_route_dispatch(const struct tly_route *table, size_t n, void *arg,
	    const struct tly_http_req *req, struct tly_http_resp *resp);

/*
 * Set an error response: status, and the body
 * {"error":{"code":code,"message":message}} (PROTOCOL.md 8).
 */
void	tly_http_resp_error(struct tly_http_resp *resp, int status,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * Write the error object {"code":code,"message":msg} as the next value
 * of w (PROTOCOL.md 8.6); the one writer of it, beside a key "error".
 * Errors are kept in w.
 */
void	tly_http_jw_error(struct tly_jw *w, const char *code, const char *msg);

/*
 * Read the error object err (the value of an "error" member, may be
 * NULL): *codep and *msgp point into err, *msgp NULL when absent.
 * Returns TLY_OK, or TLY_E_HTTP when err is not an object with a string
 * code (both pointers NULL).
 */
int	tly_http_error_get(const struct tly_json *err, const char **codep,
	    const char **msgp);

/*
 * Answer 503 busy with Retry-After: retry_s and a message naming what is
 * busy (PROTOCOL.md 8.5).
 */
void	tly_http_resp_busy(struct tly_http_resp *resp, unsigned retry_s,
	    const char *what);

#define TLY_HTTP_BUSY_S	2	/* Retry-After of tly_http_resp_fail() */

/*
 * Start resp's body afresh for a JSON answer: status, a body cap of max
 * bytes, content type application/json.  Write it with a tly_jw over
 * resp->body, then call tly_http_resp_finish().
 */
void	tly_http_resp_begin(struct tly_http_resp *resp, int status,
	    size_t max);

/*
 * Answer the failure r in place of what resp holds: 503 busy with
 * Retry-After TLY_HTTP_BUSY_S for TLY_E_BUSY, else 500 internal.  The
 * detail is not sent.  Returns r, for the caller to log.
 */
int	tly_http_resp_fail(struct tly_http_resp *resp, int r);

/*
 * Finish the answer that w wrote over resp->body since
 * tly_http_resp_begin().  When r (the caller's result) or the writer
 * failed, answer that failure instead (tly_http_resp_fail()).  Returns
 * TLY_OK, or the failure for the caller to log (detail in
 * tly_errdetail()): library code never logs.
 */
int	tly_http_resp_finish(struct tly_http_resp *resp, struct tly_jw *w,
	    int r);

#endif /* TLY_HTTPD_H */
