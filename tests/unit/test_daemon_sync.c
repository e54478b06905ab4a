/*
 * test_daemon_sync.c: the field daemon's delivery (daemon/syncer.c and
 * deliver.c) against the small fake central of daemon_fixture.h.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "daemon_fixture.h"
#include "daemon/syncstate.h"
#include "sync/head.h"
#include "sync/http.h"
#include "sync/upload.h"

/*
 * The answer to an upload is cut after the central stored it: the next
 * run collects the receipts and sends none of those batches again.
 */
static void
test_resume_after_cut(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct fc_view		 v;
	size_t			 i;

	for (i = 0; i < 4; i++)
		seal_one(w, i);
	pthread_mutex_lock(&C.mu);
	C.cut_posts = 1;	/* the first POST (batches 1 and 2) is cut */
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	/* Whichever runs happened, finish with one more. */
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	assert_int_equal(res.pending, 0);
	assert_int_equal(acked(w), 4);
	fc_view(&v);
	assert_int_equal(v.n, 4);
	assert_int_equal(v.entries, 4);	/* each batch sent once */
	assert_int_equal(v.dups, 0);
	assert_true(v.receipt_gets >= 1);
}

/*
 * A batch the central already holds (carried there on a bundle) is
 * acknowledged from its receipt and never uploaded.
 */
static void
test_held_elsewhere(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_buf		 m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_batch	*b = NULL;
	struct fc_view		 v;
	const char		*status;

	seal_one(w, 0);
	seal_one(w, 1);
	assert_int_equal(tly_dstore_batch_bytes(w->d.store, 1, &m), TLY_OK);
	assert_int_equal(tly_batch_parse(m.p, m.len, &b), TLY_OK);
	pthread_mutex_lock(&C.mu);
	(void)fc_store(b, &status);
	pthread_mutex_unlock(&C.mu);
	tly_batch_free(b);
	tly_buf_free(&m);

	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	assert_int_equal(acked(w), 2);
	fc_view(&v);
	assert_int_equal(v.entries, 1);	/* only seq 2 was uploaded */
	assert_int_equal(v.order[0], 2);
	assert_int_equal(v.dups, 0);
}

/*
 * Relayed batches go in (device, seq) order; a batch ahead of a gap is
 * answered "pending" with a receipt and counts as delivered.  Taking in
 * the same bundle twice changes nothing.
 */
static void
test_relay_order_and_idempotent_bundle(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_key		*ka = NULL, *kb = NULL, *tmp;
	struct tly_buf		 bundle = TLY_BUF_INIT(1 << 20);
	struct tly_buf		 m[4], out = TLY_BUF_INIT(1 << 20);
	struct tly_buf		 dump1 = TLY_BUF_INIT(1 << 20);
	struct tly_buf		 dump2 = TLY_BUF_INIT(1 << 20);
	struct tly_jw		 jw;
	struct fc_view		 v;
	uint8_t			 ida[3][TLY_HASH_LEN], idb[TLY_HASH_LEN];
	uint64_t		 before[TLY_DSTATE_N], after[TLY_DSTATE_N];
	size_t			 stored, rejected, i;

	assert_int_equal(tly_key_generate(&ka), TLY_OK);
	do {
		tly_key_free(kb);
		assert_int_equal(tly_key_generate(&kb), TLY_OK);
	} while (tly_key_public(ka)[0] == tly_key_public(kb)[0]);
	if (tly_key_public(ka)[0] > tly_key_public(kb)[0]) {
		tmp = ka;	/* ka sorts first */
		ka = kb;
		kb = tmp;
	}
	for (i = 0; i < 4; i++)
		tly_buf_init(&m[i], TLY_MSG_MAX);
	/* Device A: seq 1, 2, 3.  Device B: seq 2 only (a gap before it). */
	foreign_batch(w, ka, 1, NULL, 0, &m[0], ida[0]);
	foreign_batch(w, ka, 2, ida[0], 1, &m[1], ida[1]);
	foreign_batch(w, ka, 3, ida[1], 2, &m[2], ida[2]);
	memset(idb, 0x11, sizeof(idb));
	foreign_batch(w, kb, 2, idb, 3, &m[3], idb);
	/* In the bundle out of order: B2, A3, A1, A2. */
	assert_int_equal(tly_bundle_begin(&bundle), TLY_OK);
	assert_int_equal(tly_bundle_add(&bundle, m[3].p, m[3].len), TLY_OK);
	assert_int_equal(tly_bundle_add(&bundle, m[2].p, m[2].len), TLY_OK);
	assert_int_equal(tly_bundle_add(&bundle, m[0].p, m[0].len), TLY_OK);
	assert_int_equal(tly_bundle_add(&bundle, m[1].p, m[1].len), TLY_OK);
	assert_int_equal(tly_bundle_end(&bundle, 4), TLY_OK);

	tly_jw_init(&jw, &out);
	assert_int_equal(tly_dseal_bundle(&w->d, bundle.p, bundle.len, &jw,
	    &stored, &rejected), TLY_OK);
	assert_int_equal(stored, 4);
	assert_int_equal(rejected, 0);
	assert_int_equal(tly_dstore_relay_counts(w->d.store, before), TLY_OK);
	assert_int_equal(before[TLY_DSTATE_SEALED], 4);
	assert_int_equal(tly_dstore_foreach_bytes(w->d.store, dump_bytes,
	    &dump1), TLY_OK);

	/* The same bundle again: all duplicates, the store unchanged. */
	tly_buf_reset(&out);
	tly_jw_init(&jw, &out);
	assert_int_equal(tly_dseal_bundle(&w->d, bundle.p, bundle.len, &jw,
	    &stored, &rejected), TLY_OK);
	assert_int_equal(stored, 0);
	assert_int_equal(rejected, 0);
	assert_non_null(memmem(out.p, out.len, "\"duplicate\"", 11));
	assert_null(memmem(out.p, out.len, "\"stored\"", 8));
	assert_int_equal(tly_dstore_relay_counts(w->d.store, after), TLY_OK);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(tly_dstore_foreach_bytes(w->d.store, dump_bytes,
	    &dump2), TLY_OK);
	assert_int_equal(dump1.len, dump2.len);
	assert_memory_equal(dump1.p, dump2.p, dump1.len);

	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	assert_int_equal(tly_dstore_relay_counts(w->d.store, after), TLY_OK);
	assert_int_equal(after[TLY_DSTATE_ACKED], 4);
	fc_view(&v);
	assert_int_equal(v.entries, 4);
	assert_int_equal(v.dups, 0);
	/* (device, seq) order: A1, A2, A3, B2. */
	assert_int_equal(v.order_dev[0], tly_key_public(ka)[0]);
	assert_int_equal(v.order[0], 1);
	assert_int_equal(v.order[1], 2);
	assert_int_equal(v.order[2], 3);
	assert_int_equal(v.order_dev[3], tly_key_public(kb)[0]);
	assert_int_equal(v.order[3], 2);

	for (i = 0; i < 4; i++)
		tly_buf_free(&m[i]);
	tly_buf_free(&bundle);
	tly_buf_free(&out);
	tly_buf_free(&dump1);
	tly_buf_free(&dump2);
	tly_key_free(ka);
	tly_key_free(kb);
}

/*
 * A captive portal answers HTML: nothing is delivered, and the error
 * says so in words; once the portal is gone, delivery completes.
 */
static void
test_captive_portal(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_dsync_status	 st;

	seal_one(w, 0);
	pthread_mutex_lock(&C.mu);
	C.portal = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "failed");
	assert_non_null(strstr(res.error, "captive portal detected"));
	assert_non_null(strstr(res.error, "HTML"));
	assert_int_equal(acked(w), 0);
	tly_dsync_get_status(w->d.sync, &st);
	assert_non_null(strstr(st.last_error, "captive portal detected"));
	assert_true(st.since > 0);
	assert_true(st.last_contact > 0);	/* something did answer */
	assert_true(st.next_attempt > 0);

	pthread_mutex_lock(&C.mu);
	C.portal = 0;
	pthread_mutex_unlock(&C.mu);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	assert_int_equal(acked(w), 1);
	tly_dsync_get_status(w->d.sync, &st);
	assert_string_equal(st.last_error, "");
	assert_int_equal(st.since, -1);
	assert_true(st.wire_records == 1);
	assert_true(st.wire_up > 0 && st.wire_down > 0);
}

/* 503 with Retry-After: the next automatic attempt waits that long. */
static void
test_retry_after(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_dsync_status	 st;
	int64_t			 t0;

	w->d.conf.backoff_min = 1;	/* the backoff alone stays short */
	w->d.conf.backoff_max = 2;
	seal_one(w, 0);
	pthread_mutex_lock(&C.mu);
	C.busy = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	t0 = (int64_t)time(NULL);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "failed");
	assert_non_null(strstr(res.error, "busy"));
	tly_dsync_get_status(w->d.sync, &st);
	assert_true(st.next_attempt >= t0 + 120);
	/* A network change does not override the central's request. */
	tly_dsync_netchange(w->d.sync);
	tly_dsync_get_status(w->d.sync, &st);
	assert_true(st.next_attempt >= t0 + 120);
}

/*
 * After a failure the syncer backs off for an hour; a change of the
 * network starts a run at once.
 */
static void
test_netchange_retries(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_dsync_status	 st;
	struct timespec		 until;
	struct fc_view		 v;
	unsigned		 seen;
	int64_t			 t0;

	seal_one(w, 0);
	pthread_mutex_lock(&C.mu);
	C.portal = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	t0 = (int64_t)time(NULL);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "failed");
	tly_dsync_get_status(w->d.sync, &st);
	assert_true(st.next_attempt >= t0 + 3600);

	pthread_mutex_lock(&C.mu);
	C.portal = 0;
	seen = C.requests;
	pthread_mutex_unlock(&C.mu);
	tly_dsync_netchange(w->d.sync);
	/* Wait (bounded) for the run the change started. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_S;
	pthread_mutex_lock(&C.mu);
	while (C.requests == seen)
		if (pthread_cond_timedwait(&C.cv, &C.mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&C.mu);
	fc_view(&v);
	assert_true(v.requests > seen);
}

/* Stopping the syncer does not wait for a stalled upload to end. */
static void
test_stop_cancels_stalled_upload(void **state)
{
	struct world	*w = *state;
	struct timespec	 until;
	struct fc_view	 v;
	int		 done;

	seal_one(w, 0);
	pthread_mutex_lock(&C.mu);
	C.stall = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	/* Wait (bounded) until the upload is held by the central. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_S;
	pthread_mutex_lock(&C.mu);
	while (C.requests < 2)	/* head, then the held POST */
		if (pthread_cond_timedwait(&C.cv, &C.mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&C.mu);
	fc_view(&v);
	assert_true(v.requests >= 2);
	tly_dsync_stop(w->d.sync);
	w->d.sync = NULL;
	pthread_mutex_lock(&C.mu);
	done = C.stall_done;
	C.stall_release = 1;
	pthread_cond_broadcast(&C.cv);
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(done, 0);	/* stopped during the stall */
	assert_int_equal(acked(w), 0);
}

/* Counters and the last contact survive a restart of the syncer. */
static void
test_counters_persist(void **state)
{
	struct world		*w = *state;
	struct tly_dsync_result	 res;
	struct tly_dsync_status	 st1, st2;

	seal_one(w, 0);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_now(w->d.sync, WAIT_S, &res);
	assert_string_equal(res.outcome, "ok");
	tly_dsync_get_status(w->d.sync, &st1);
	assert_true(st1.last_contact > 0);
	assert_int_equal(st1.wire_records, 1);
	tly_dsync_stop(w->d.sync);
	w->d.sync = NULL;
	pthread_mutex_lock(&C.mu);
	C.portal = 1;	/* the next run fails: nothing new is counted */
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_dsync_start(&w->d, &w->d.sync), TLY_OK);
	tly_dsync_get_status(w->d.sync, &st2);
	assert_true(st2.last_contact >= st1.last_contact);
	assert_int_equal(st2.wire_records, 1);
	assert_true(st2.wire_up >= st1.wire_up);
	assert_true(st2.wire_down >= st1.wire_down);
}

/* Overwrite the file at path, whole, with bytes that are no database. */
static void
damage_file(const char *path)
{
	struct stat	 st;
	uint8_t		 junk[4096];
	off_t		 off;
	int		 fd;

	memset(junk, 0x07, sizeof(junk));
	if ((fd = open(path, O_RDWR)) == -1)
		return;		/* no such file (no WAL yet) */
	assert_int_equal(fstat(fd, &st), 0);
	for (off = 0; off < st.st_size; off += (off_t)sizeof(junk))
		assert_true(pwrite(fd, junk, sizeof(junk), off) > 0);
	close(fd);
}

/*
 * A database failure in the resume step is reported as what it is, a
 * database failure with its detail, not as an unreachable central.
 */
static void
test_resume_db_failure(void **state)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	struct world		*w = *state;
	struct tly_dsync	 s;
	struct tly_dsync_pass	 p;
	char			 path[1100];
	size_t			 i;

	seal_one(w, 0);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(path, sizeof(path), "%s/tallyd.db%s", w->dir, sfx[i]);
		damage_file(path);
	}
	memset(&s, 0, sizeof(s));
	s.d = &w->d;
	assert_int_equal(pthread_mutex_init(&s.mu, NULL), 0);
	assert_int_equal(tly_dsync_resume(&s, &p), TLY_E_DB);
	assert_int_equal(p.err, TLY_E_DB);
	assert_non_null(strstr(p.detail, "unacked devices"));
	pthread_mutex_destroy(&s.mu);
}

/* What the upload client handed back, per item (test_upload_client). */
struct up_seen {
	int	results;		/* results handed over */
	int	check[2];		/* their checks, by item */
	int	status[2];		/* their statuses, by item */
};

/* Verify a receipt under the fake central's key (upload.h verify). */
static int
up_verify(void *arg, const uint8_t *m, size_t len, struct tly_receipt *rc)
{
	return tly_receipt_verify(m, len, tly_key_public(C.key), rc);
}

/* Note one result (upload.h result). */
static void
up_result(void *arg, const struct tly_upload_result *r)
{
	struct up_seen	*seen = arg;

	assert_true(r->item < 2);
	seen->results++;
	seen->check[r->item] = r->check;
	seen->status[r->item] = (int)r->status;
}

/*
 * The upload client, alone: a receipt counts only for exactly the
 * batch it names; a busy central, a captive portal and no central at
 * all deliver nothing and say so with their own codes.
 */
static void
test_upload_client(void **state)
{
	struct world			*w = *state;
	struct tly_buf			 m[2];
	struct tly_upload		 u;
	struct tly_upload_item		 it[2];
	struct tly_upload_report	 rep;
	struct tly_envelope		 env;
	struct up_seen			 seen;
	char				 url[128];
	size_t				 i;

	for (i = 0; i < 2; i++) {
		seal_one(w, i);
		tly_buf_init(&m[i], TLY_MSG_MAX);
		assert_int_equal(tly_dstore_batch_bytes(w->d.store, i + 1,
		    &m[i]), TLY_OK);
		memset(&it[i], 0, sizeof(it[i]));
		it[i].m = m[i].p;
		it[i].len = m[i].len;
		tly_hash(m[i].p, m[i].len, it[i].id);
		assert_int_equal(tly_envelope_parse(m[i].p, m[i].len, &env),
		    TLY_OK);
		memcpy(it[i].device, env.signer, TLY_PK_LEN);
		it[i].known = 1;
		it[i].seq = i + 1;
	}
	it[1].seq = 7;		/* its receipt names seq 2: not this one */
	snprintf(url, sizeof(url), "%s/v1/batches", w->url);
	memset(&u, 0, sizeof(u));
	u.url = url;
	u.peer = "central";
	u.gzip_over = 0;
	u.verify = up_verify;
	u.result = up_result;
	u.arg = &seen;

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(tly_upload_send(&u, it, 2, &rep), TLY_OK);
	assert_int_equal(rep.sent, 2);
	assert_int_equal(seen.results, 2);
	assert_int_equal(seen.status[0], TLY_API_STORED);
	assert_int_equal(seen.check[0], TLY_OK);
	assert_int_equal(seen.check[1], TLY_E_RECEIPT);

	pthread_mutex_lock(&C.mu);
	C.busy = 1;
	pthread_mutex_unlock(&C.mu);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(tly_upload_send(&u, it, 2, &rep), TLY_E_BUSY);
	assert_int_equal(rep.retry_after, 120);
	assert_int_equal(rep.sent, 0);
	assert_int_equal(seen.results, 0);
	assert_non_null(strstr(rep.detail, "central busy (HTTP 503)"));

	pthread_mutex_lock(&C.mu);
	C.busy = 0;
	C.portal = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_upload_send(&u, it, 2, &rep), TLY_E_HTTP);
	assert_non_null(strstr(rep.detail, "captive portal detected"));
	assert_int_equal(seen.results, 0);

	/* Nothing listens on port 1. */
	u.url = "http://127.0.0.1:1/v1/batches";
	assert_int_equal(tly_upload_send(&u, it, 2, &rep), TLY_E_NET);
	assert_non_null(strstr(rep.detail, "central unreachable: "));
	assert_int_equal(seen.results, 0);
	for (i = 0; i < 2; i++)
		tly_buf_free(&m[i]);
}

/*
 * The one head client: the fake central's head of a device, then a busy
 * central, a captive portal, an address with no central and an error
 * status, each with its own code.
 */
static void
test_head_fetch(void **state)
{
	struct world		*w = *state;
	struct tly_head_call	 c;
	struct tly_http_result	 res;
	struct tly_api_head	 h;
	char			 base[128];

	memset(&c, 0, sizeof(c));
	c.central = w->url;
	c.device = w->d.device;
	assert_int_equal(tly_head_fetch(&c, &h, &res), TLY_OK);
	assert_memory_equal(h.device, w->d.device, TLY_PK_LEN);
	assert_int_equal(h.head, 0);
	assert_int_equal(h.npending, 0);
	assert_int_equal(res.status, 200);
	assert_true(res.bytes_down > 0);
	tly_http_result_free(&res);

	pthread_mutex_lock(&C.mu);
	C.busy = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_head_fetch(&c, &h, &res), TLY_E_BUSY);
	assert_int_equal(res.retry_after, 120);
	tly_http_result_free(&res);

	pthread_mutex_lock(&C.mu);
	C.busy = 0;
	C.portal = 1;
	pthread_mutex_unlock(&C.mu);
	assert_int_equal(tly_head_fetch(&c, &h, &res), TLY_E_HTTP);
	assert_non_null(strstr(tly_errmsg(TLY_E_HTTP),
	    "captive portal detected"));
	tly_http_result_free(&res);
	pthread_mutex_lock(&C.mu);
	C.portal = 0;
	pthread_mutex_unlock(&C.mu);

	/* A path the fake central does not have: its 404. */
	snprintf(base, sizeof(base), "%s/x", w->url);
	c.central = base;
	assert_int_equal(tly_head_fetch(&c, &h, &res), TLY_E_HTTP);
	assert_int_equal(res.status, 404);
	assert_non_null(strstr(tly_errmsg(TLY_E_HTTP), "not_found"));
	tly_http_result_free(&res);

	c.central = "http://127.0.0.1:1";	/* nothing listens here */
	assert_int_equal(tly_head_fetch(&c, &h, &res), TLY_E_NET);
	assert_non_null(strstr(tly_errmsg(TLY_E_NET), "central unreachable: "));
	tly_http_result_free(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upload_client, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_head_fetch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resume_db_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_cut, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_held_elsewhere, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_relay_order_and_idempotent_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_captive_portal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_after, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_netchange_retries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_stop_cancels_stalled_upload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_persist, setup,
		    teardown),
	};
	int	rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tly_key_free(C.key);
	return rc;
}
