/*
 * http.h: the HTTP client, over TCP or a Unix socket.  The only libcurl
 * user.
 */
#ifndef TLY_HTTP_H
#define TLY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Call once per process before any thread uses the client. */
int	tly_http_global_init(void);

struct tly_http_call {
	const char	*url;		/* "http://127.0.0.1:8080/v1/x", or
					   "http://localhost/v1/x" with unix_socket */
	const char	*unix_socket;	/* path, or NULL for TCP */
	const char	*method;	/* "GET", "POST" */
	const char	*content_type;	/* request body type, or NULL */
	const uint8_t	*body;		/* request body, or NULL */
	size_t		 bodylen;
	int		 gzip;		/* send body gzip-encoded */
	long		 connect_timeout_s;	/* 0: 10 s */
	long		 low_speed_time_s;	/* abort below 1 byte/s for this long; 0: 30 s */
	long		 timeout_s;	/* whole call; 0: none */
	size_t		 resp_max;	/* cap on the response body; 0: 16 MiB */
	const volatile int *cancel;	/* abort the call (about once a
					   second checked) once *cancel is
					   nonzero; NULL: never */
	const char	*header;	/* one more request header line
					   ("Name: value"), or NULL */
};

struct tly_http_result {
	long		status;		/* HTTP status, 0 if none */
	struct tly_buf	body;		/* response body */
	char		content_type[128];	/* response type, "" if none */
	long		retry_after;	/* Retry-After seconds, -1 if none */
	uint64_t	bytes_up;	/* request bytes on the wire (body) */
	uint64_t	bytes_down;	/* response bytes on the wire (body) */
	uint64_t	header_up;	/* request header bytes sent */
	uint64_t	header_down;	/* response header bytes received */
	int		cancelled;	/* the call was aborted by *cancel */
	int		sent;		/* the request (or part of it) went
					   out: after a TLY_E_NET the peer
					   may have acted on it */
	char		error[256];	/* transport error in plain words
					   ("the link stalled"), "" if none */
};

/*
 * Perform one call.  TLY_OK when a whole HTTP response arrived (any
 * status); TLY_E_NET when none did, or one was cut off before the end of
 * its headers or body (res->error says why in plain words: refused, the
 * link stalled, the answer was cut off ...;
 * res->cancelled when *call->cancel stopped it, before or during the call);
 * TLY_E_TOO_LARGE when the response passed resp_max.  res is initialised
 * here; always release it with tly_http_result_free().
 */
int	tly_http_request(const struct tly_http_call *call,
	    struct tly_http_result *res);
void	tly_http_result_free(struct tly_http_result *res);

#endif /* TLY_HTTP_H */
