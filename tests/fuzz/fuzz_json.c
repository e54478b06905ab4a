/*
 * fuzz_json.c: libFuzzer target for the strict JSON scanner and tree
 * builder (common/json_scan.c).  On success it walks the tree through
 * every accessor and checks the scanner's promises: integers are at
 * most 2^53-1, strings hold no NUL and are as long as they say.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Visit n and everything under it. */
static void
walk(const struct tly_json *n, int depth)
{
	const struct tly_json	*c;
	uint64_t		 v;
	size_t			 k = 0;
	char			*text = NULL;
	char			 id[TLY_ID_MAX + 1];
	uint8_t			 h[32];
	int			 b;

	if (depth > TLY_JSON_DEPTH_MAX)
		abort();
	if (tly_json_int(n, "x", &v) == 0 && v > TLY_JSON_INT_MAX)
		abort();
	if (tly_json_is_string(n)) {
		(void)tly_json_id(n, "x", id);
		(void)tly_json_hash(n, "x", h);
		if (tly_json_text(n, "x", &text) == 0)
			free(text);
	}
	(void)tly_json_bool(n, "x", &b);
	(void)tly_json_is_null(n);
	if (tly_json_is_object(n)) {
		(void)tly_json_check_names(n, "x", NULL);
		for (c = tly_json_first(n); c != NULL; c = tly_json_next(c))
			if (tly_json_get(n, tly_json_name(c)) == NULL)
				abort();
	}
	for (c = tly_json_first(n); c != NULL; c = tly_json_next(c), k++)
		walk(c, depth + 1);
	if (k != tly_json_count(n))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tly_json	*root = NULL;

	if (tly_json_parse(data, size, &root) != 0) {
		if (root != NULL)
			abort();
		return 0;
	}
	walk(root, 1);
	tly_json_free(root);
	return 0;
}
