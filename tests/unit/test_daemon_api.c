/*
 * test_daemon_api.c: the field daemon's local API (daemon/api.c) served
 * on a Unix socket in a temp dir, without a central: repeated requests
 * with an idempotency key (PROTOCOL.md 9).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "crypto/crypto.h"
#include "sync/http.h"
#include "daemon/tallyd.h"

#define VEC	"tests/vectors/"
#define KEY_A	"Idempotency-Key: 0123456789abcdef0123456789abcdef"

/* One test's world: a daemon without a central, and its API. */
struct world {
	char			 dir[64];	/* temp dir */
	char			 sock[96];	/* the API's socket */
	struct tly_httpd	*httpd;		/* the local API */
	struct tallyd		 d;		/* the daemon */
	struct tly_buf		 rec1;		/* one record, as a file */
	struct tly_buf		 rec2;		/* another record */
};

/* Read a whole vector file into b. */
static void
read_vec(const char *name, struct tly_buf *b)
{
	char	path[256];

	snprintf(path, sizeof(path), VEC "%s", name);
	tly_buf_init(b, 1 << 20);
	assert_int_equal(tly_buf_read_file(path, 1 << 20, b), TLY_OK);
}

static int
setup(void **state)
{
	struct world		*w;
	struct tly_httpd_opts	 o;
	struct tly_buf		 def;
	char			 path[128];
	const char		*tmp = getenv("TMPDIR");

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(tly_crypto_init(), TLY_OK);
	assert_int_equal(tly_http_global_init(), TLY_OK);
	w = calloc(1, sizeof(*w));
	assert_non_null(w);
	snprintf(w->dir, sizeof(w->dir), "%s/tly-dapi.XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	assert_non_null(mkdtemp(w->dir));
	assert_int_equal(tly_key_generate(&w->d.key), TLY_OK);
	memcpy(w->d.device, tly_key_public(w->d.key), TLY_PK_LEN);
	read_vec("election-small.json", &def);
	tly_hash(def.p, def.len, w->d.election_hash);
	assert_int_equal(tly_election_parse(def.p, def.len, &w->d.election),
	    TLY_OK);
	tly_buf_free(&def);
	snprintf(path, sizeof(path), "%s/tallyd.db", w->dir);
	assert_int_equal(tly_dstore_open(path, &w->d.store), TLY_OK);
	assert_int_equal(pthread_mutex_init(&w->d.seal_mu, NULL), 0);
	read_vec("records-small/A01-na.json", &w->rec1);
	read_vec("records-small/A02-na.json", &w->rec2);

	snprintf(w->sock, sizeof(w->sock), "%s/tallyd.sock", w->dir);
	memset(&o, 0, sizeof(o));
	o.unix_path = w->sock;
	o.body_max = TLY_BUNDLE_BODY_MAX;
	o.threads = 2;
	o.fn = tly_dapi_handle;
	o.arg = &w->d;
	assert_int_equal(tly_httpd_start(&o, &w->httpd), TLY_OK);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world	*w = *state;
	char		 cmd[128];

	tly_httpd_stop(w->httpd);
	tly_dstore_close(w->d.store);
	pthread_mutex_destroy(&w->d.seal_mu);
	tly_election_free(w->d.election);
	tly_key_free(w->d.key);
	tly_buf_free(&w->rec1);
	tly_buf_free(&w->rec2);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
	return 0;
}

/* POST /v1/records with body and an optional header line; the status. */
static long
post_records(struct world *w, const struct tly_buf *body, const char *header,
    char batch[TLY_HEX_HASH])
{
	struct tly_http_call	 c;
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	const char		*b;
	long			 status;

	memset(&c, 0, sizeof(c));
	c.url = "http://localhost/v1/records";
	c.unix_socket = w->sock;
	c.method = "POST";
	c.content_type = "application/json";
	c.body = body->p;
	c.bodylen = body->len;
	c.header = header;
	assert_int_equal(tly_http_request(&c, &res), TLY_OK);
	status = res.status;
	batch[0] = '\0';
	if (tly_json_parse(res.body.p, res.body.len, &root) == TLY_OK &&
	    (b = tly_json_string(tly_json_get(root, "batch"))) != NULL &&
	    strlen(b) < TLY_HEX_HASH)
		strcpy(batch, b);
	tly_json_free(root);
	tly_http_result_free(&res);
	return status;
}

/* The head of the own chain. */
static uint64_t
head(struct world *w)
{
	uint64_t	seq;
	uint8_t		id[TLY_HASH_LEN];

	assert_int_equal(tly_dstore_head(w->d.store, &seq, id), TLY_OK);
	return seq;
}

/*
 * A request repeated with the same idempotency key (the answer to the
 * first was lost) gets the original batch back: one batch, not two.
 */
static void
test_idempotent_record(void **state)
{
	struct world	*w = *state;
	char		 b1[TLY_HEX_HASH], b2[TLY_HEX_HASH];

	assert_int_equal(post_records(w, &w->rec1, KEY_A, b1), 201);
	assert_int_equal(head(w), 1);
	assert_int_equal(post_records(w, &w->rec1, KEY_A, b2), 200);
	assert_string_equal(b1, b2);
	assert_int_equal(head(w), 1);
	/* The same key with other records is refused, and signs nothing. */
	assert_int_equal(post_records(w, &w->rec2, KEY_A, b2), 422);
	assert_int_equal(head(w), 1);
	/* Another key is another request. */
	assert_int_equal(post_records(w, &w->rec2,
	    "Idempotency-Key: fedcba9876543210", b2), 201);
	assert_int_equal(head(w), 2);
	/* Without a key, every request seals. */
	assert_int_equal(post_records(w, &w->rec1, NULL, b2), 201);
	assert_int_equal(head(w), 3);
	/* A malformed key is a bad request. */
	assert_int_equal(post_records(w, &w->rec1, "Idempotency-Key: short",
	    b2), 400);
	assert_int_equal(post_records(w, &w->rec1,
	    "Idempotency-Key: 0123456789abcdef/0123", b2), 400);
	assert_int_equal(head(w), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idempotent_record, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
