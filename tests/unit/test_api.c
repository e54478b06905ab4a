/*
 * test_api.c: the HTTP API's upload results (sync/api.h): what the
 * servers write, the clients read back the same; malformed results are
 * refused; a receipt belongs to exactly one (device, seq, batch); the
 * error object is read as it is written; a head (8.2) and a page of
 * receipts (8.2.1) are read back as written, and malformed ones refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/limits.h"
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

/*
 * Parse body and read it as a head answer into *h, or as a page of
 * receipts into *p, whichever is not NULL.
 */
static int
read_body(const char *body, struct tly_api_head *h,
    struct tly_api_receipts *p)
{
	struct tly_json	*root = NULL;
	int		 r;

	assert_int_equal(tly_json_parse((const uint8_t *)body, strlen(body),
	    &root), TLY_OK);
	r = h != NULL ? tly_api_head_read(root, h) :
	    tly_api_receipts_read(root, p);
	tly_json_free(root);
	return r;
}

#define head_of(body, h)	read_body((body), (h), NULL)
#define page_of(body, p)	read_body((body), NULL, (p))

#define HEX64(c)	c c c c c c c c c c c c c c c c \
			c c c c c c c c c c c c c c c c
#define DEV		"\"device\":\"" HEX64("01") "\""

/* A head is read back as written: batch, pending and frozen both ways. */
static void
test_head_roundtrip(void **state)
{
	struct tly_buf		 out = TLY_BUF_INIT(1 << 16);
	struct tly_jw		 w;
	struct tly_api_head	 in, h;
	struct tly_json		*root = NULL;
	size_t			 i;

	memset(&in, 0, sizeof(in));
	memset(in.device, 0x22, TLY_PK_LEN);
	in.head = 7;
	in.has_batch = 1;
	memset(in.batch, 0xab, TLY_HASH_LEN);
	in.applied = 5;
	in.npending = TLY_API_PENDING_MAX;
	for (i = 0; i < in.npending; i++)
		in.pending[i] = 9 + 2 * i;
	in.has_frozen = 1;
	in.frozen = 6;
	tly_jw_init(&w, &out);
	assert_int_equal(tly_api_head_write(&w, &in), TLY_OK);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	assert_int_equal(tly_json_parse(out.p, out.len, &root), TLY_OK);
	assert_int_equal(tly_api_head_read(root, &h), TLY_OK);
	assert_memory_equal(&h, &in, sizeof(h));
	tly_json_free(root);
	root = NULL;

	/* Nothing held: batch and frozen are null, pending empty. */
	memset(&in, 0, sizeof(in));
	in.has_frozen = 1;
	tly_buf_reset(&out);
	tly_jw_init(&w, &out);
	assert_int_equal(tly_api_head_write(&w, &in), TLY_OK);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	assert_non_null(strstr((const char *)out.p, "\"batch\":null"));
	assert_non_null(strstr((const char *)out.p, "\"frozen\":null"));
	assert_int_equal(tly_json_parse(out.p, out.len, &root), TLY_OK);
	assert_int_equal(tly_api_head_read(root, &h), TLY_OK);
	assert_memory_equal(&h, &in, sizeof(h));
	tly_json_free(root);

	/* Too many pending seqs are never written. */
	in.npending = TLY_API_PENDING_MAX + 1;
	assert_int_equal(tly_api_head_write(&w, &in), TLY_E_INVAL);
	tly_buf_free(&out);
}

/* A head answer that breaks 8.2 is refused; "frozen" may be absent. */
static void
test_head_malformed(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"head\":1,\"batch\":null,\"applied\":0,\"pending\":[]}",
		"{" DEV ",\"batch\":null,\"applied\":0,\"pending\":[]}",
		"{" DEV ",\"head\":\"1\",\"batch\":null,\"applied\":0,"
		    "\"pending\":[]}",
		"{" DEV ",\"head\":0,\"applied\":0,\"pending\":[]}",
		"{" DEV ",\"head\":0,\"batch\":\"ab\",\"applied\":0,"
		    "\"pending\":[]}",
		"{" DEV ",\"head\":0,\"batch\":null,\"pending\":[]}",
		"{" DEV ",\"head\":0,\"batch\":null,\"applied\":0}",
		"{" DEV ",\"head\":0,\"batch\":null,\"applied\":0,"
		    "\"pending\":{}}",
		"{" DEV ",\"head\":3,\"batch\":null,\"applied\":0,"
		    "\"pending\":[3]}",
		"{" DEV ",\"head\":0,\"batch\":null,\"applied\":0,"
		    "\"pending\":[5,4]}",
		"{" DEV ",\"head\":0,\"batch\":null,\"applied\":0,"
		    "\"pending\":[\"5\"]}",
		"{" DEV ",\"head\":0,\"batch\":null,\"applied\":0,"
		    "\"pending\":[],\"frozen\":0}",
		"{" DEV ",\"head\":0,\"batch\":null,\"applied\":0,"
		    "\"pending\":[],\"frozen\":\"1\"}",
	};
	struct tly_api_head	h;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tly_errclear();
		if (head_of(bad[i], &h) != TLY_E_HTTP)
			fail_msg("accepted: %s", bad[i]);
	}
	assert_int_equal(head_of("{" DEV ",\"head\":2,\"batch\":\""
	    HEX64("cd") "\",\"applied\":2,\"pending\":[4,9]}", &h), TLY_OK);
	assert_int_equal(h.head, 2);
	assert_true(h.has_batch);
	assert_int_equal(h.npending, 2);
	assert_int_equal(h.pending[1], 9);
	assert_false(h.has_frozen);
	assert_int_equal(head_of("{" DEV ",\"head\":2,\"batch\":null,"
	    "\"applied\":2,\"pending\":[],\"frozen\":2}", &h), TLY_OK);
	assert_true(h.has_frozen);
	assert_int_equal(h.frozen, 2);
}

/* A page of receipts is read back as written, bytes and all. */
static void
test_receipts_roundtrip(void **state)
{
	struct tly_buf		 out = TLY_BUF_INIT(TLY_RESP_MAX);
	struct tly_jw		 w;
	struct tly_api_receipts	 in, p;
	struct tly_json		*root = NULL;
	uint8_t			 dev[TLY_PK_LEN], id[TLY_HASH_LEN];
	uint8_t			 rc[TLY_RECEIPT_MAX + 1];
	size_t			 i;

	memset(dev, 0x33, sizeof(dev));
	memset(rc, 'r', sizeof(rc));
	tly_api_receipts_init(&in, dev);
	for (i = 0; i < TLY_API_RECEIPTS_MAX; i++) {
		memset(id, (int)i, sizeof(id));
		assert_int_equal(tly_api_receipts_add(&in, 3 + i / 2, id, rc,
		    i == 0 ? TLY_RECEIPT_MAX : 1 + i), TLY_OK);
	}
	/* Bounded: entries and the size of one receipt. */
	assert_int_equal(tly_api_receipts_add(&in, 999, id, rc, 1),
	    TLY_E_TOO_LARGE);
	in.n--;
	free(in.e[in.n].receipt);
	assert_int_equal(tly_api_receipts_add(&in, 999, id, rc,
	    TLY_RECEIPT_MAX + 1), TLY_E_TOO_LARGE);
	in.next = 140;
	tly_jw_init(&w, &out);
	assert_int_equal(tly_api_receipts_write(&w, &in), TLY_OK);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	assert_int_equal(tly_json_parse(out.p, out.len, &root), TLY_OK);
	assert_int_equal(tly_api_receipts_read(root, &p), TLY_OK);
	assert_memory_equal(p.device, dev, TLY_PK_LEN);
	assert_int_equal(p.n, in.n);
	assert_true(p.has_next);
	assert_int_equal(p.next, 140);
	for (i = 0; i < p.n; i++) {
		assert_int_equal(p.e[i].seq, in.e[i].seq);
		assert_memory_equal(p.e[i].batch, in.e[i].batch, TLY_HASH_LEN);
		assert_int_equal(p.e[i].receipt_len, in.e[i].receipt_len);
		assert_memory_equal(p.e[i].receipt, in.e[i].receipt,
		    p.e[i].receipt_len);
	}
	tly_api_receipts_finish(&p);
	tly_json_free(root);
	root = NULL;

	/* An empty last page: next is null. */
	tly_api_receipts_finish(&in);
	tly_api_receipts_init(&in, dev);
	tly_buf_reset(&out);
	tly_jw_init(&w, &out);
	assert_int_equal(tly_api_receipts_write(&w, &in), TLY_OK);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	assert_non_null(strstr((const char *)out.p,
	    "\"receipts\":[],\"next\":null"));
	assert_int_equal(tly_json_parse(out.p, out.len, &root), TLY_OK);
	assert_int_equal(tly_api_receipts_read(root, &p), TLY_OK);
	assert_int_equal(p.n, 0);
	assert_true(p.has_next);
	assert_int_equal(p.next, 0);
	tly_api_receipts_finish(&p);
	tly_api_receipts_finish(NULL);
	tly_json_free(root);
	tly_buf_free(&out);
}

/* A page that breaks 8.2.1 is refused; "next" may be absent. */
static void
test_receipts_malformed(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"receipts\":[],\"next\":null}",
		"{" DEV ",\"next\":null}",
		"{" DEV ",\"receipts\":{},\"next\":null}",
		"{" DEV ",\"receipts\":[1],\"next\":null}",
		"{" DEV ",\"receipts\":[{\"batch\":\"" HEX64("ab")
		    "\",\"receipt\":\"VEFMTFk=\"}],\"next\":null}",
		"{" DEV ",\"receipts\":[{\"seq\":1,\"batch\":\"ab\","
		    "\"receipt\":\"VEFMTFk=\"}],\"next\":null}",
		"{" DEV ",\"receipts\":[{\"seq\":1,\"batch\":\"" HEX64("ab")
		    "\"}],\"next\":null}",
		"{" DEV ",\"receipts\":[{\"seq\":1,\"batch\":\"" HEX64("ab")
		    "\",\"receipt\":\"not base64!\"}],\"next\":null}",
		"{" DEV ",\"receipts\":[],\"next\":0}",
		"{" DEV ",\"receipts\":[],\"next\":\"2\"}",
	};
	struct tly_api_receipts	p;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tly_errclear();
		if (page_of(bad[i], &p) != TLY_E_HTTP)
			fail_msg("accepted: %s", bad[i]);
		tly_api_receipts_finish(&p);
	}
	assert_int_equal(page_of("{" DEV ",\"receipts\":[{\"seq\":4,"
	    "\"batch\":\"" HEX64("ab") "\",\"receipt\":\"VEFMTFk=\"}]}",
	    &p), TLY_OK);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.e[0].seq, 4);
	assert_int_equal(p.e[0].receipt_len, 5);
	assert_memory_equal(p.e[0].receipt, "TALLY", 5);
	assert_false(p.has_next);
	tly_api_receipts_finish(&p);
}

/*
 * The answer of tallyd's POST /v1/head (9.5) is written in its bytes
 * and read back; one with a member missing or of the wrong kind is not.
 */
static void
test_learned(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"batch\":\"" HEX64("ab") "\",\"own\":1,\"skipped\":0}",
		"{\"head\":\"3\",\"batch\":\"" HEX64("ab") "\",\"own\":1,"
		    "\"skipped\":0}",
		"{\"head\":3,\"own\":1,\"skipped\":0}",
		"{\"head\":3,\"batch\":null,\"own\":1,\"skipped\":0}",
		"{\"head\":3,\"batch\":\"ab\",\"own\":1,\"skipped\":0}",
		"{\"head\":3,\"batch\":\"" HEX64("ab") "\",\"skipped\":0}",
		"{\"head\":3,\"batch\":\"" HEX64("ab") "\",\"own\":1}",
		"{\"head\":3,\"batch\":\"" HEX64("ab") "\",\"own\":true,"
		    "\"skipped\":0}",
	};
	struct tly_buf		 out = TLY_BUF_INIT(1024);
	struct tly_jw		 w;
	struct tly_api_learned	 in, l;
	struct tly_json		*root = NULL;
	size_t			 i;

	memset(&in, 0, sizeof(in));
	in.head = 3;
	memset(in.batch, 0xab, TLY_HASH_LEN);
	in.own = 2;
	in.skipped = 5;
	tly_jw_init(&w, &out);
	assert_int_equal(tly_api_learned_write(&w, &in), TLY_OK);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	assert_int_equal(out.len, strlen("{\"head\":3,\"batch\":\"" HEX64("ab")
	    "\",\"own\":2,\"skipped\":5}"));
	assert_memory_equal(out.p, "{\"head\":3,\"batch\":\"" HEX64("ab")
	    "\",\"own\":2,\"skipped\":5}", out.len);
	assert_int_equal(tly_json_parse(out.p, out.len, &root), TLY_OK);
	assert_int_equal(tly_api_learned_read(root, &l), TLY_OK);
	assert_memory_equal(&l, &in, sizeof(l));
	tly_json_free(root);
	tly_buf_free(&out);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		root = NULL;
		if (tly_json_parse(bad[i], strlen(bad[i]), &root) != TLY_OK)
			fail_msg("not JSON: %s", bad[i]);
		if (tly_api_learned_read(root, &l) != TLY_E_HTTP)
			fail_msg("accepted: %s", bad[i]);
		tly_json_free(root);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_receipt_match),
		cmocka_unit_test(test_error_object),
		cmocka_unit_test(test_head_roundtrip),
		cmocka_unit_test(test_head_malformed),
		cmocka_unit_test(test_receipts_roundtrip),
		cmocka_unit_test(test_receipts_malformed),
		cmocka_unit_test(test_learned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
