/*
 * fuzz_route.c: libFuzzer target for the route matcher (common/httpd.c).
 * The input is "METHOD PATH"; it is matched against a table shaped like
 * the central's, and every parameter must be a non-empty slice of the
 * path, without '/' for a single star.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/httpd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Never called: the matcher only returns the index. */
static void
nop(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
}

static const struct tly_route table[] = {
	{ "POST", "/v1/batches", nop },
	{ "GET", "/v1/key", nop },
	{ "GET", "/v1/results", nop },
	{ "GET", "/v1/results/constituencies/**", nop },
	{ "GET", "/v1/results/areas/**", nop },
	{ "GET", "/v1/devices/*/head", nop },
	{ "GET", "/v1/devices/*/receipts", nop },
	{ "GET", "/v1/*/*/x", nop },
	{ "GET", "/*/**", nop },
	{ "POST", "/v1/bundle", nop },
	{ "GET", "/v1/bundle", nop },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tly_route_params	 rp;
	char			*s, *path;
	size_t			 i, n = sizeof(table) / sizeof(table[0]);
	int			 r;

	if (size > 4096 || (s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((path = strchr(s, ' ')) == NULL)
		path = s + strlen(s);
	else
		*path++ = '\0';
	r = tly_route_match(table, n, s, path, &rp);
	if (r >= 0) {
		if ((size_t)r >= n || rp.n > TLY_ROUTE_PARAMS_MAX)
			abort();
		for (i = 0; i < rp.n; i++) {
			if (rp.len[i] == 0 || rp.p[i] < path ||
			    rp.p[i] + rp.len[i] > path + strlen(path))
				abort();
			if (strstr(table[r].pattern, "**") == NULL &&
			    memchr(rp.p[i], '/', rp.len[i]) != NULL)
				abort();
		}
	} else if (r != TLY_E_NOTFOUND && r != TLY_E_INVAL)
		abort();
	else if (rp.n != 0)
		abort();
	free(s);
	return 0;
}
