/*
 * fuzz_api.c: libFuzzer target for the readers of the HTTP API's
 * messages (sync/api.h): an upload answer's results, each element read
 * with its receipt decoded, a device's head (8.2), a page of receipts
 * (8.2.1), the head tallyd learned from a bundle (9.5), and the error
 * object (common/httpd.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/httpd.h"
#include "common/json.h"
#include "sync/api.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tly_buf		 rb = TLY_BUF_INIT(65536);
	struct tly_json		*root = NULL;
	struct tly_api_result	 r;
	struct tly_api_head	 h;
	struct tly_api_receipts	 page;
	struct tly_api_learned	 l;
	const struct tly_json	*a, *el;
	const char		*code, *msg;

	if (tly_json_parse(data, size, &root) != 0)
		return 0;
	(void)tly_http_error_get(tly_json_get(root, "error"), &code, &msg);
	if ((a = tly_api_results_get(root)) != NULL)
		for (el = tly_json_first(a); el != NULL; el = tly_json_next(el))
			(void)tly_api_result_read(el, &r, &rb);
	(void)tly_api_head_read(root, &h);
	(void)tly_api_learned_read(root, &l);
	(void)tly_api_receipts_read(root, &page);
	tly_api_receipts_finish(&page);
	tly_json_free(root);
	tly_buf_free(&rb);
	return 0;
}
