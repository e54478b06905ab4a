/*
 * fuzz_api_merge.c: libFuzzer target for the readers of the merge
 * state's answers (sync/api_merge.h): GET /v1/status and GET
 * /v1/evidence, each read back and written again.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"
#include "sync/api_merge.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tly_buf		 b = TLY_BUF_INIT(1 << 20);
	struct tly_jw		 w;
	struct tly_json		*root = NULL;
	struct tly_api_state	 st;
	struct tly_api_evidence	 ev;

	if (tly_json_parse(data, size, &root) != 0)
		return 0;
	if (tly_api_state_read(root, &st) == 0) {
		tly_jw_init(&w, &b);
		(void)tly_api_state_write(&st, 1, &w);
		tly_buf_reset(&b);
	}
	if (tly_api_evidence_read(root, 64, &ev) == 0) {
		tly_jw_init(&w, &b);
		(void)tly_api_evidence_write(&ev, &w);
		tly_api_evidence_free(&ev);
	}
	tly_json_free(root);
	tly_buf_free(&b);
	return 0;
}
