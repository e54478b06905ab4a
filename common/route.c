/*
 * route.c: route tables for the servers of httpd.h: match a request's
 * method and path against { method, pattern, handler } entries and call
 * the handler, or answer 404 or 405.  Pure matching; no I/O of its own.
 */
#include <string.h>

#include "common/err.h"
#include "common/httpd.h"

/*
 * Match one pattern against path; fill *rp.  1 on a match, else 0.
 * Segments are compared one at a time; a "*" takes one non-empty segment
 * and a final "**" the non-empty rest.
 */
static int
route_path_match(const char *pat, const char *path,
    struct tly_route_params *rp)
{
	const char	*pe, *se;
	size_t		 plen, slen;

	rp->n = 0;
	for (;;) {
		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		pe = strchr(pat, '/');
		plen = pe != NULL ? (size_t)(pe - pat) : strlen(pat);
		se = strchr(path, '/');
		slen = se != NULL ? (size_t)(se - path) : strlen(path);
		if (plen == 2 && pat[0] == '*' && pat[1] == '*' && pe == NULL) {
			if (*path == '\0' || rp->n == TLY_ROUTE_PARAMS_MAX)
				return 0;
			rp->p[rp->n] = path;
			rp->len[rp->n++] = strlen(path);
			return 1;
		}
		if (plen == 1 && pat[0] == '*') {
			if (slen == 0 || rp->n == TLY_ROUTE_PARAMS_MAX)
				return 0;
			rp->p[rp->n] = path;
			rp->len[rp->n++] = slen;
		} else if (plen != slen || memcmp(pat, path, plen) != 0)
			return 0;
		pat += plen;
		path += slen;
		if (*pat == '\0' || *path == '\0')
			return *pat == '\0' && *path == '\0';
	}
}

int
tly_route_match(const struct tly_route *table, size_t n, const char *method,
    const char *path, struct tly_route_params *rp)
{
	size_t	i;
	int	found = 0;

	memset(rp, 0, sizeof(*rp));
	if (strcmp(method, "HEAD") == 0)
		method = "GET";		/* the same answer, without a body */
	for (i = 0; i < n; i++) {
		if (!route_path_match(table[i].pattern, path, rp))
			continue;
		if (strcmp(table[i].method, method) == 0)
			return (int)i;
		found = 1;
	}
	memset(rp, 0, sizeof(*rp));
	return found ? TLY_E_INVAL : TLY_E_NOTFOUND;
}

void
tly_route_dispatch(const struct tly_route *table, size_t n, void *arg,
    const struct tly_http_req *req, struct tly_http_resp *resp)
{
	struct tly_route_params	 rp;
	int			 i;

	i = tly_route_match(table, n, req->method, req->path, &rp);
	if (i == TLY_E_NOTFOUND)
		tly_http_resp_error(resp, 404, "not_found", "no such path");
	else if (i < 0)
		tly_http_resp_error(resp, 405, "method_not_allowed",
		    "%s is not allowed on this path", req->method);
	else
		table[i].fn(arg, req, &rp, resp);
}
