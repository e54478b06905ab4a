/*
 * test_api_merge.c: the answers of the merge state (sync/api_merge.h):
 * the central writes them in the order of PROTOCOL.md 8.7, and the
 * clients read back what was written; what is not that answer is
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "sync/api_merge.h"

/* Finish w over b and return b as a NUL-terminated string (b keeps it). */
static const char *
text(struct tly_jw *w, struct tly_buf *b)
{
	assert_int_equal(tly_jw_finish(w), TLY_OK);
	assert_int_equal(tly_buf_add(b, "", 1), TLY_OK);
	return (const char *)b->p;
}

/* A state with every member set to a distinct value. */
static void
sample_state(struct tly_api_state *st)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->key, "ab01");
	strcpy(st->election, "cd02");
	strcpy(st->mode, "test");
	st->devices = 3;
	st->batches = 10;
	st->applied = 7;
	st->frozen = 1;
	st->evidence = 2;
	st->keys = 5;
	st->conflicts = 4;
	memset(st->state_hash, 0x11, TLY_HASH_LEN);
}

/* The two forms of the state, member by member, as PROTOCOL.md 8.7. */
static void
test_state_forms(void **state)
{
	struct tly_buf		 b = TLY_BUF_INIT(4096);
	struct tly_jw		 w;
	struct tly_api_state	 st;
	char			 want[512], h[2 * TLY_HASH_LEN + 1];

	sample_state(&st);
	memset(h, '1', 2 * TLY_HASH_LEN);
	h[2 * TLY_HASH_LEN] = '\0';
	tly_jw_init(&w, &b);
	assert_int_equal(tly_api_state_write(&st, 0, &w), TLY_OK);
	snprintf(want, sizeof(want), "{\"state_hash\":\"%s\",\"devices\":3,"
	    "\"keys\":5,\"conflicts\":4,\"frozen\":1}", h);
	assert_string_equal(text(&w, &b), want);
	tly_buf_free(&b);
	tly_jw_init(&w, &b);
	assert_int_equal(tly_api_state_write(&st, 1, &w), TLY_OK);
	snprintf(want, sizeof(want), "{\"key\":\"ab01\",\"election\":\"cd02\","
	    "\"mode\":\"test\",\"devices\":3,\"batches\":10,\"applied\":7,"
	    "\"pending\":3,\"frozen\":1,\"evidence\":2,\"conflicts\":4,"
	    "\"keys\":5,\"state_hash\":\"%s\"}", h);
	assert_string_equal(text(&w, &b), want);
	tly_buf_free(&b);
}

/* The full state is read back as written; a missing member is refused. */
static void
test_state_roundtrip(void **state)
{
	struct tly_buf		 b = TLY_BUF_INIT(4096);
	struct tly_jw		 w;
	struct tly_json		*root = NULL;
	struct tly_api_state	 st, back;
	const char		*s;

	sample_state(&st);
	tly_jw_init(&w, &b);
	assert_int_equal(tly_api_state_write(&st, 1, &w), TLY_OK);
	s = text(&w, &b);
	assert_int_equal(tly_json_parse(s, strlen(s), &root), TLY_OK);
	assert_int_equal(tly_api_state_read(root, &back), TLY_OK);
	assert_memory_equal(&st, &back, sizeof(st));
	tly_json_free(root);
	/* The short form lacks the full form's members. */
	tly_buf_free(&b);
	tly_jw_init(&w, &b);
	assert_int_equal(tly_api_state_write(&st, 0, &w), TLY_OK);
	s = text(&w, &b);
	assert_int_equal(tly_json_parse(s, strlen(s), &root), TLY_OK);
	assert_int_not_equal(tly_api_state_read(root, &back), TLY_OK);
	tly_json_free(root);
	tly_buf_free(&b);
}

/* Evidence with one of each entry is read back as written. */
static void
test_evidence_roundtrip(void **state)
{
	static uint8_t		 a[] = "TALLYSIG a", bb[] = "TALLYSIG bee";
	struct tly_buf		 b = TLY_BUF_INIT(1 << 16);
	struct tly_jw		 w;
	struct tly_json		*root = NULL;
	struct tly_api_frozen	 fr = { { 1 }, 4 };
	struct tly_api_kept	 kp = { { 2 }, { 3 }, 5 };
	struct tly_api_proof	 pr;
	struct tly_api_evidence	 ev = { &fr, 1, &kp, 1, &pr, 1, 1 }, back;
	const char		*s;

	memset(&pr, 0, sizeof(pr));
	memset(pr.device, 7, sizeof(pr.device));
	pr.seq = 9;
	strcpy(pr.kind, "same_seq");
	memset(pr.batch[0], 8, TLY_HASH_LEN);
	memset(pr.batch[1], 9, TLY_HASH_LEN);
	pr.bytes[0] = a;
	pr.len[0] = sizeof(a) - 1;
	pr.bytes[1] = bb;
	pr.len[1] = sizeof(bb) - 1;
	pr.resolved = 1;
	tly_jw_init(&w, &b);
	assert_int_equal(tly_api_evidence_write(&ev, &w), TLY_OK);
	s = text(&w, &b);
	assert_non_null(strstr(s, "{\"frozen\":[{\"device\":\"0100"));
	assert_non_null(strstr(s, "\"more\":true}"));
	assert_int_equal(tly_json_parse(s, strlen(s), &root), TLY_OK);
	assert_int_equal(tly_api_evidence_read(root, 8, &back), TLY_OK);
	assert_int_equal(back.nfrozen, 1);
	assert_memory_equal(&back.frozen[0], &fr, sizeof(fr));
	assert_int_equal(back.nkept, 1);
	assert_memory_equal(&back.kept[0], &kp, sizeof(kp));
	assert_int_equal(back.nproofs, 1);
	assert_memory_equal(back.proofs[0].device, pr.device, TLY_PK_LEN);
	assert_int_equal(back.proofs[0].seq, 9);
	assert_string_equal(back.proofs[0].kind, "same_seq");
	assert_memory_equal(back.proofs[0].batch, pr.batch,
	    sizeof(pr.batch));
	assert_int_equal(back.proofs[0].len[0], pr.len[0]);
	assert_memory_equal(back.proofs[0].bytes[0], a, pr.len[0]);
	assert_int_equal(back.proofs[0].len[1], pr.len[1]);
	assert_memory_equal(back.proofs[0].bytes[1], bb, pr.len[1]);
	assert_int_equal(back.proofs[0].resolved, 1);
	assert_int_equal(back.more, 1);
	tly_api_evidence_free(&back);
	/* A list longer than the reader's cap is refused, and freed. */
	assert_int_equal(tly_api_evidence_read(root, 0, &back), TLY_E_HTTP);
	assert_null(back.frozen);
	tly_json_free(root);
	tly_buf_free(&b);
}

/* Answers that are not evidence are refused, with nothing left held. */
static void
test_evidence_refused(void **state)
{
	static const char *const bad[] = {
		"{}",
		"{\"frozen\":[],\"kept\":[],\"evidence\":[]}",
		"{\"frozen\":{},\"kept\":[],\"evidence\":[],\"more\":false}",
		"{\"frozen\":[{\"device\":\"zz\",\"seq\":1}],\"kept\":[],"
		    "\"evidence\":[],\"more\":false}",
		"{\"frozen\":[],\"kept\":[],\"evidence\":[{\"device\":\""
		    "0000000000000000000000000000000000000000000000000000000000"
		    "000000\",\"seq\":1,\"kind\":\"same_seq\",\"batches\":[],"
		    "\"bytes\":[]}],\"more\":false}",
	};
	struct tly_json		*root;
	struct tly_api_evidence	 ev;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		root = NULL;
		assert_int_equal(tly_json_parse(bad[i], strlen(bad[i]), &root),
		    TLY_OK);
		assert_int_not_equal(tly_api_evidence_read(root, 8, &ev),
		    TLY_OK);
		assert_null(ev.frozen);
		assert_null(ev.proofs);
		tly_json_free(root);
	}
}

/* Conflicts: keys, heads and bodies as PROTOCOL.md 8.7 shows them. */
static void
test_conflicts_write(void **state)
{
	struct tly_buf		 b = TLY_BUF_INIT(4096);
	struct tly_jw		 w;
	struct tly_api_cfhead	 h = { "r1", { 0 }, 2, 1, "c1", "{\"x\":1}" };
	struct tly_api_conflict	 c;
	struct tly_api_conflicts cf = { &c, 1, 0 };
	char			 want[512], dev[2 * TLY_PK_LEN + 1];
	char			*over[2] = { "r0", "r1" };

	memset(&c, 0, sizeof(c));
	c.area = "A01";
	c.level = "na";
	c.round = 1;
	c.winner = "r1";
	c.heads = &h;
	c.nheads = 1;
	memset(dev, '0', 2 * TLY_PK_LEN);
	dev[2 * TLY_PK_LEN] = '\0';
	tly_jw_init(&w, &b);
	assert_int_equal(tly_api_conflicts_write(&cf, &w), TLY_OK);
	snprintf(want, sizeof(want), "{\"conflicts\":[{\"area\":\"A01\","
	    "\"level\":\"na\",\"round\":1,\"winner\":\"r1\",\"heads\":["
	    "{\"record\":\"r1\",\"device\":\"%s\",\"seq\":2,\"chain\":1,"
	    "\"counts\":\"c1\",\"body\":{\"x\":1}}]}],\"more\":false}", dev);
	assert_string_equal(text(&w, &b), want);

	/* A key a later head reopened shows the decision that chose. */
	c.stale_record = "r0";
	c.stale_id[0] = 0xab;
	c.stale_issued = 7;
	c.stale_over = over;
	c.nstale_over = 2;
	tly_buf_reset(&b);
	tly_jw_init(&w, &b);
	assert_int_equal(tly_api_conflicts_write(&cf, &w), TLY_OK);
	snprintf(want, sizeof(want), "\"body\":{\"x\":1}}],\"stale\":{"
	    "\"decision\":\"ab%062d\",\"record\":\"r0\",\"issued\":7,"
	    "\"over\":[\"r0\",\"r1\"]}}],", 0);
	assert_non_null(strstr(text(&w, &b), want));
	tly_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_forms),
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_evidence_roundtrip),
		cmocka_unit_test(test_evidence_refused),
		cmocka_unit_test(test_conflicts_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
