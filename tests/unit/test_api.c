/*
 * test_api.c: the HTTP API's upload results (sync/api.h): what the
 * servers write, the clients read back the same; malformed results are
 * refused; a receipt belongs to exactly one (device, seq, batch); the
 * error object is read as it is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "sync/api.h"
#include "sync/wire.h"

/* Parse body and read its only result into *r (receipt into rb). */
static int
read_one(const char *body, struct tly_api_result *r, struct tly_buf *rb,
    struct tly_json **rootp)
{
	const struct tly_json	*a;

	assert_int_equal(tly_json_parse((const uint8_t *)body, strlen(body),
	    rootp), TLY_OK);
	assert_non_null(a = tly_api_results_get(*rootp));
	return tly_api_result_read(tly_json_first(a), r, rb);
}

/* Every status written by the servers' writer is read back unchanged. */
static void
test_roundtrip(void **state)
{
	static const uint8_t	 receipt[] = "TALLYSIG receipt bytes";
	static const char *const names[] = { "stored", "pending", "duplicate",
	    "equivocation", "rejected" };
	struct tly_buf		 out = TLY_BUF_INIT(1 << 16);
	struct tly_buf		 rb = TLY_BUF_INIT(1024);
	struct tly_jw		 w;
	struct tly_api_result	 in[TLY_API_NSTATUS], r;
	struct tly_json		*root = NULL;
	const struct tly_json	*a, *el;
	size_t			 i;

	memset(in, 0, sizeof(in));
	tly_jw_init(&w, &out);
	tly_api_results_begin(&w);
	for (i = 0; i < TLY_API_NSTATUS; i++) {
		in[i].index = i;
		in[i].status = (enum tly_api_status)i;
		in[i].has_batch = 1;
		memset(in[i].batch, 0xa0 + (int)i, TLY_HASH_LEN);
		if (i != TLY_API_REJECTED) {
			in[i].has_device = 1;
			memset(in[i].device, 0x11, TLY_PK_LEN);
			in[i].seq = 7 + i;
			in[i].receipt = receipt;
			in[i].receipt_len = sizeof(receipt);
		}
		if (i == TLY_API_REJECTED || i == TLY_API_EQUIVOCATION) {
			in[i].code = i == TLY_API_REJECTED ? "bad_record" :
			    "equivocation";
			in[i].message = "a \"quoted\" message";
		}
		assert_int_equal(tly_api_result_write(&w, &in[i]), TLY_OK);
	}
	tly_api_results_end(&w);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);

	assert_int_equal(tly_json_parse(out.p, out.len, &root), TLY_OK);
	assert_non_null(a = tly_api_results_get(root));
	for (i = 0, el = tly_json_first(a); el != NULL;
	    i++, el = tly_json_next(el)) {
		assert_int_equal(tly_api_result_read(el, &r, &rb), TLY_OK);
		assert_int_equal(r.index, i);
		assert_int_equal(r.status, in[i].status);
		assert_int_equal(r.has_batch, 1);
		assert_memory_equal(r.batch, in[i].batch, TLY_HASH_LEN);
		assert_int_equal(r.has_device, in[i].has_device);
		if (r.has_device) {
			assert_memory_equal(r.device, in[i].device,
			    TLY_PK_LEN);
			assert_int_equal(r.seq, in[i].seq);
			assert_int_equal(r.receipt_len, sizeof(receipt));
			assert_memory_equal(r.receipt, receipt,
			    sizeof(receipt));
		} else
			assert_null(r.receipt);
		if (in[i].code != NULL) {
			assert_string_equal(r.code, in[i].code);
			assert_string_equal(r.message, in[i].message);
		} else
			assert_null(r.code);
	}
	assert_int_equal(i, TLY_API_NSTATUS);
	for (i = 0; i < TLY_API_NSTATUS; i++)
		assert_string_equal(tly_api_status_name(
		    (enum tly_api_status)i), names[i]);
	tly_json_free(root);
	tly_buf_free(&rb);
	tly_buf_free(&out);
}

/* What is not a result is refused, never half read. */
static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"{\"results\":[{\"status\":\"stored\"}]}",
		"{\"results\":[{\"index\":0,\"status\":\"kept\"}]}",
		"{\"results\":[{\"index\":0}]}",
		"{\"results\":[{\"index\":0,\"status\":\"stored\","
		    "\"batch\":\"zz\"}]}",
		"{\"results\":[{\"index\":0,\"status\":\"stored\","
		    "\"receipt\":\"***\"}]}",
		"{\"results\":[{\"index\":0,\"status\":\"rejected\","
		    "\"batch\":null}]}",
		"{\"results\":[{\"index\":0,\"status\":\"rejected\","
		    "\"batch\":null,\"error\":\"bad_record\"}]}",
		"{\"results\":[{\"index\":0,\"status\":\"equivocation\"}]}",
	};
	struct tly_buf		 rb = TLY_BUF_INIT(1024);
	struct tly_api_result	 r;
	struct tly_json		*root;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		root = NULL;
		assert_int_equal(read_one(bad[i], &r, &rb, &root), TLY_E_HTTP);
		tly_json_free(root);
	}
	root = NULL;
	assert_int_equal(read_one("{\"results\":[{\"index\":3,\"status\":"
	    "\"rejected\",\"batch\":null,\"error\":{\"code\":\"bad_record\","
	    "\"message\":\"W3\"}}]}", &r, &rb, &root), TLY_OK);
	assert_int_equal(r.index, 3);
	assert_int_equal(r.status, TLY_API_REJECTED);
	assert_false(r.has_batch);
	assert_string_equal(r.code, "bad_record");
	assert_string_equal(r.message, "W3");
	tly_json_free(root);
	assert_null(tly_api_results_get(NULL));
	tly_buf_free(&rb);
}

/* A receipt belongs to exactly one (device, seq, batch id). */
static void
test_receipt_match(void **state)
{
	struct tly_receipt	rc;
	uint8_t			dev[TLY_PK_LEN], id[TLY_HASH_LEN];

	memset(&rc, 0, sizeof(rc));
	memset(dev, 1, sizeof(dev));
	memset(id, 2, sizeof(id));
	memcpy(rc.device, dev, TLY_PK_LEN);
	memcpy(rc.batch, id, TLY_HASH_LEN);
	rc.seq = 5;
	assert_int_equal(tly_api_receipt_match(&rc, dev, 5, id), TLY_OK);
	assert_int_equal(tly_api_receipt_match(&rc, dev, 6, id),
	    TLY_E_RECEIPT);
	assert_non_null(strstr(tly_errmsg(TLY_E_RECEIPT), "seq"));
	dev[31] ^= 1;
	assert_int_equal(tly_api_receipt_match(&rc, dev, 5, id),
	    TLY_E_RECEIPT);
	assert_non_null(strstr(tly_errmsg(TLY_E_RECEIPT), "device"));
	dev[31] ^= 1;
	id[0] ^= 1;
	assert_int_equal(tly_api_receipt_match(&rc, dev, 5, id),
	    TLY_E_RECEIPT);
	assert_non_null(strstr(tly_errmsg(TLY_E_RECEIPT), "batch"));
}

/* The error object: one writer, one reader. */
static void
test_error_object(void **state)
{
	struct tly_buf	 out = TLY_BUF_INIT(1024);
	struct tly_jw	 w;
	struct tly_json	*root = NULL;
	const char	*code, *msg;

	tly_jw_init(&w, &out);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "error");
	tly_http_jw_error(&w, "busy", "retry in 2 s");
	tly_jw_obj_close(&w);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	assert_int_equal(tly_json_parse(out.p, out.len, &root), TLY_OK);
	assert_int_equal(tly_http_error_get(tly_json_get(root, "error"),
	    &code, &msg), TLY_OK);
	assert_string_equal(code, "busy");
	assert_string_equal(msg, "retry in 2 s");
	assert_int_equal(tly_http_error_get(tly_json_get(root, "none"),
	    &code, &msg), TLY_E_HTTP);
	assert_null(code);
	tly_json_free(root);
	tly_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_receipt_match),
		cmocka_unit_test(test_error_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
