/*
 * pair.c: phones on the team's Wi-Fi (lan-listen, PROTOCOL.md 9.6).
 *
 * The laptop's own page (127.0.0.1) asks for a short code; the clerk
 * types it into the phone's pairing form; the phone gets a cookie whose
 * token only it holds (the daemon keeps its BLAKE2b-256).  Nothing else
 * is served on the Wi-Fi listener to a browser without one.  Pairings
 * are kept in DATADIR/pairings, one line each ("id hash created
 * label"), rewritten whole on every change, and can be listed and
 * revoked from the laptop.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/pairtext.h"
#include "crypto/crypto.h"
#include "daemon/tallyd.h"

#define PAIR_MAX	64	/* pairings kept */
#define PAIR_CODE_S	300	/* seconds a code may be used */
#define PAIR_TRIES	5	/* wrong codes before a code is void */
#define PAIR_FILE_MAX	(PAIR_MAX * 160)

/* One paired browser. */
struct pairing {
	char		id[TLY_PAIR_ID_LEN + 1];	/* hex, names it in the API */
	uint8_t		hash[TLY_HASH_LEN];	/* BLAKE2b-256 of its token */
	uint64_t	created;		/* when it was paired */
	char		label[TLY_PAIR_LABEL_MAX + 1];	/* what the phone said */
};

struct tly_dpair {
	pthread_mutex_t	 mu;		/* guards everything below */
	char		*path;		/* DATADIR/pairings */
	char		*url;		/* "https://IP:PORT/" */
	char		 fingerprint[TLY_TLS_FP_LEN];	/* of the TLS cert */
	struct pairing	 p[PAIR_MAX];	/* the pairings */
	size_t		 n;		/* how many */
	char		 code[8];	/* the open code, "" for none */
	time_t		 code_until;	/* its end */
	unsigned	 tries;		/* wrong codes against it */
};

/* Write the pairings file (p->mu held). */
static int
pair_save(struct tly_dpair *p)
{
	struct tly_buf	b = TLY_BUF_INIT(PAIR_FILE_MAX);
	char		hex[2 * TLY_HASH_LEN + 1];
	size_t		i;
	int		r = TLY_OK;

	for (i = 0; i < p->n && r == TLY_OK; i++) {
		tly_hex(p->p[i].hash, TLY_HASH_LEN, hex);
		r = tly_buf_addf(&b, "%s %s %llu %s\n", p->p[i].id, hex,
		    (unsigned long long)p->p[i].created, p->p[i].label);
	}
	if (r == TLY_OK)
		r = tly_file_write_atomic(p->path, b.len ? (const void *)b.p :
		    "", b.len, 0600);
	tly_buf_free(&b);
	return r;
}

/* Read the pairings file, if there is one (at open). */
static int
pair_load(struct tly_dpair *p)
{
	struct tly_buf	 b = TLY_BUF_INIT(PAIR_FILE_MAX);
	struct pairing	*q;
	char		*line, *save = NULL, hex[TLY_PAIR_TOKEN_HEX + 1];
	int		 r;
	FILE		*f;

	if ((f = fopen(p->path, "r")) == NULL)
		return TLY_OK;		/* none yet */
	fclose(f);
	if ((r = tly_buf_read_file(p->path, PAIR_FILE_MAX, &b)) != TLY_OK)
		return r;
	for (line = strtok_r((char *)b.p, "\n", &save); line != NULL &&
	    b.len > 0; line = strtok_r(NULL, "\n", &save)) {
		if (p->n == PAIR_MAX)
			break;
		q = &p->p[p->n];
		if (!tly_pair_line(line, q->id, hex, &q->created, q->label) ||
		    tly_unhex(hex, TLY_PAIR_TOKEN_HEX, q->hash, TLY_HASH_LEN) !=
		    TLY_OK) {
			r = tly_fail(TLY_E_CONFIG, "%s: a line does not read; "
			    "remove the file to forget every pairing", p->path);
			break;
		}
		p->n++;
	}
	tly_buf_free(&b);
	return r;
}

int
tly_dpair_open(const char *datadir, const char *url, const char *fp,
    struct tly_dpair **pp)
{
	struct tly_dpair	*p;
	int			 r;

	*pp = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return TLY_E_NOMEM;
	pthread_mutex_init(&p->mu, NULL);
	snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", fp);
	if (asprintf(&p->path, "%s/pairings", datadir) < 0 ||
	    (p->url = strdup(url)) == NULL) {
		p->path = NULL;
		tly_dpair_close(p);
		return TLY_E_NOMEM;
	}
	if ((r = pair_load(p)) != TLY_OK) {
		tly_dpair_close(p);
		return r;
	}
	*pp = p;
	return TLY_OK;
}

void
tly_dpair_close(struct tly_dpair *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->mu);
	free(p->path);
	free(p->url);
	tly_memzero(p, sizeof(*p));
	free(p);
}

int
tly_dpair_check(struct tly_dpair *p, const char *cookies)
{
	char		 id[TLY_PAIR_ID_LEN + 1], hex[TLY_PAIR_TOKEN_HEX + 1];
	uint8_t		 tok[TLY_HASH_LEN], h[TLY_HASH_LEN];
	size_t		 i;
	int		 ok = 0;

	if (p == NULL || !tly_pair_cookie(cookies, id, hex) ||
	    tly_unhex(hex, TLY_PAIR_TOKEN_HEX, tok, sizeof(tok)) != TLY_OK)
		return 0;
	tly_hash(tok, sizeof(tok), h);
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n; i++)
		if (strcmp(p->p[i].id, id) == 0 &&
		    tly_memeq(p->p[i].hash, h, sizeof(h)))
			ok = 1;
	pthread_mutex_unlock(&p->mu);
	tly_memzero(tok, sizeof(tok));
	tly_memzero(hex, sizeof(hex));
	return ok;
}

/* The struct tly_dpair of arg (a struct tallyd), or answer 404. */
static struct tly_dpair *
pair_of(void *arg, struct tly_http_resp *resp)
{
	struct tallyd	*d = arg;

	if (d->pair == NULL)
		tly_http_resp_error(resp, 404, "not_found", "no phones: "
		    "lan-listen is not set (tallyd.conf(5))");
	return d->pair;
}

void
tly_dpair_redeem(void *arg, const struct tly_http_req *req,
    struct tly_http_resp *resp)
{
	struct tly_dpair	*p;
	struct tly_json		*j = NULL;
	const struct tly_json	*jc, *jl;
	struct pairing		*q;
	uint8_t			 tok[TLY_HASH_LEN], raw[TLY_PAIR_ID_LEN / 2];
	char			 hex[2 * TLY_HASH_LEN + 1];
	time_t			 now = time(NULL);
	int			 r;

	if ((p = pair_of(arg, resp)) == NULL)
		return;
	if (tly_json_parse(req->body, req->bodylen, &j) != TLY_OK ||
	    (jc = tly_json_get(j, "code")) == NULL ||
	    (jl = tly_json_get(j, "label")) == NULL ||
	    tly_json_string(jc) == NULL || tly_json_string(jl) == NULL ||
	    !tly_pair_label_ok(tly_json_string(jl))) {
		tly_http_resp_error(resp, 400, "bad_request", "a body "
		    "{\"code\": \"123456\", \"label\": \"phone 1\"} (label: "
		    "letters, digits, space, . _ -; at most %d)",
		    TLY_PAIR_LABEL_MAX);
		goto out;
	}
	pthread_mutex_lock(&p->mu);
	if (p->code[0] == '\0' || now > p->code_until) {
		pthread_mutex_unlock(&p->mu);
		tly_http_resp_error(resp, 403, "bad_code", "no pairing code "
		    "is open: show one on the laptop's page");
		goto out;
	}
	if (strcmp(p->code, tly_json_string(jc)) != 0) {
		if (++p->tries >= PAIR_TRIES)
			p->code[0] = '\0';	/* void: show a new one */
		pthread_mutex_unlock(&p->mu);
		tly_http_resp_error(resp, 403, "bad_code", "that is not the "
		    "code the laptop shows");
		goto out;
	}
	p->code[0] = '\0';		/* used once */
	if (p->n == PAIR_MAX) {
		pthread_mutex_unlock(&p->mu);
		tly_http_resp_error(resp, 409, "too_many", "%d phones are "
		    "paired: revoke one on the laptop first", PAIR_MAX);
		goto out;
	}
	q = &p->p[p->n];
	tly_random_bytes(raw, sizeof(raw));
	tly_hex(raw, sizeof(raw), q->id);
	tly_random_bytes(tok, sizeof(tok));
	tly_hash(tok, sizeof(tok), q->hash);
	q->created = (uint64_t)now;
	snprintf(q->label, sizeof(q->label), "%s", tly_json_string(jl));
	p->n++;
	if ((r = pair_save(p)) != TLY_OK) {
		p->n--;
		pthread_mutex_unlock(&p->mu);
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		goto out;
	}
	tly_hex(tok, sizeof(tok), hex);
	snprintf(resp->set_cookie, sizeof(resp->set_cookie), TLY_PAIR_COOKIE
	    "%s.%s; Path=/; Secure; HttpOnly; SameSite=Strict; "
	    "Max-Age=31536000", q->id, hex);
	tly_memzero(tok, sizeof(tok));
	tly_memzero(hex, sizeof(hex));
	tly_buf_addf(&resp->body, "{\"paired\":\"%s\"}", q->id);
	pthread_mutex_unlock(&p->mu);
	resp->status = 200;
 out:
	tly_json_free(j);
}

void
tly_dpair_get(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_dpair	*p;
	struct tly_jw		 w;
	size_t			 i;

	if ((p = pair_of(arg, resp)) == NULL)
		return;
	tly_jw_init(&w, &resp->body);
	pthread_mutex_lock(&p->mu);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "url");
	tly_jw_str(&w, p->url);
	tly_jw_key(&w, "fingerprint");
	tly_jw_str(&w, p->fingerprint);
	tly_jw_key(&w, "pairings");
	tly_jw_arr_open(&w);
	for (i = 0; i < p->n; i++) {
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "id");
		tly_jw_str(&w, p->p[i].id);
		tly_jw_key(&w, "label");
		tly_jw_str(&w, p->p[i].label);
		tly_jw_key(&w, "created");
		tly_jw_uint(&w, p->p[i].created);
		tly_jw_obj_close(&w);
	}
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	pthread_mutex_unlock(&p->mu);
	if (tly_jw_finish(&w) != TLY_OK) {
		tly_buf_reset(&resp->body);
		tly_http_resp_error(resp, 500, "internal", "out of memory");
	}
}

void
tly_dpair_post_code(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_dpair	*p;

	if ((p = pair_of(arg, resp)) == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	snprintf(p->code, sizeof(p->code), "%06u",
	    (unsigned)tly_random_uniform(1000000));
	p->code_until = time(NULL) + PAIR_CODE_S;
	p->tries = 0;
	tly_buf_addf(&resp->body, "{\"code\":\"%s\",\"expires\":%llu}",
	    p->code, (unsigned long long)p->code_until);
	pthread_mutex_unlock(&p->mu);
}

void
tly_dpair_delete(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_dpair	*p;
	struct pairing		 gone;
	size_t			 i;
	int			 r;

	if ((p = pair_of(arg, resp)) == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n; i++)
		if (strlen(p->p[i].id) == rp->len[0] &&
		    memcmp(p->p[i].id, rp->p[0], rp->len[0]) == 0)
			break;
	if (i == p->n) {
		pthread_mutex_unlock(&p->mu);
		tly_http_resp_error(resp, 404, "not_found", "no such pairing");
		return;
	}
	gone = p->p[i];
	memmove(&p->p[i], &p->p[i + 1], (p->n - i - 1) * sizeof(p->p[0]));
	p->n--;
	if ((r = pair_save(p)) != TLY_OK) {
		memmove(&p->p[i + 1], &p->p[i], (p->n - i) * sizeof(p->p[0]));
		p->p[i] = gone;
		p->n++;
		pthread_mutex_unlock(&p->mu);
		tly_http_resp_error(resp, 500, "internal", "%s",
		    tly_errdetail());
		return;
	}
	pthread_mutex_unlock(&p->mu);
	tly_buf_addf(&resp->body, "{\"revoked\":\"%s\"}", gone.id);
}
