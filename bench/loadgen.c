/*
 * loadgen.c: a load generator for tally-central, for `make bench`.
 *
 *	loadgen -u URL -e ELECTION -d RECORDS [-n N] [-s SKIP] [-r R]
 *	    [-c CONC] [-z] [-k] [-b] [-S MS] [-W SECS] [-T SECS]
 *	    [-I ADDR] [-A forged|oversize -t SECS]
 *
 * Before the clock starts it signs, with one fresh key per polling area,
 * one batch (seq 1) for each of N polling areas, taken in name order
 * from the files RECORDS/<area>.json that `tally gen` writes (after the
 * first SKIP), holding the first R records of the area (1 to 256; R = 4
 * with a four-level election is one batch per area with all its levels).
 * Then it posts them to URL/v1/batches as one-entry bundles, CONC at a
 * time, with libcurl's multi interface in this one thread, and prints
 * batches/s, records/s, the latency p50/p99, the answers by entry status,
 * the failures by kind (among them "server returned nothing"), and its
 * own CPU share (getrusage), then one line
 *
 *	RESULT key=value ...
 *
 * for scripts (bench/run.sh).  -z gzips the bodies, -k keeps connections
 * alive (default: a new connection per batch, as from many laptops), -b
 * posts again, up to 5 times, a batch answered 503 busy or with no
 * answer at all (refused, reset, timed out, "server returned nothing"),
 * as a device would; each such failure is then counted apart.  -K
 * derives each area's key from its file name and seals at a fixed time,
 * so that two runs post the same bytes (to compare two centrals).
 * -S MS samples GET /v1/results and GET /v1/results/constituencies/{id}
 * one at a time, each at most every MS milliseconds, while the posts run.
 * -W SECS then polls GET /v1/results until every level has every polling
 * area reporting and no constituency INCOMPLETE, at most SECS seconds,
 * and reports the seconds from the first POST.  -T SECS stops posting
 * after SECS seconds; the batches not answered by then count as not
 * stored (the rate is of those answered).  -I ADDR posts from that local
 * address (127.0.0.2: another client on loopback).
 *
 * -A MODE makes it an attacker instead, for -t SECS (or until SIGTERM):
 * "forged" posts the batches with one signature bit flipped, "oversize"
 * posts bodies of 8 MiB + 1 byte of junk with no Expect (slowloris.c is
 * the third attacker).
 *
 * The bodies are signed in loadgen_body.c (loadgen.h); this file is the
 * run that posts them.  This is a bench program, not product code: it is
 * the one libcurl user outside sync/http.c, and its multi-handle driver
 * below is kept here, out of the product tree, on purpose.  It shares no
 * code path with the central beyond the library's wire and crypto
 * functions used to sign.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"
#include "sync/api.h"
#include "sync/wire.h"

#include "bench/loadgen.h"

#define ANSWER_MAX	(256UL * 1024)		/* one response body */
#define CONC_MAX	4096			/* -c */
#define OVERSIZE	(TLY_POST_MAX + 1)	/* -A oversize body */
#define TRIES_MAX	5			/* -b: posts again at most */

/* Failure kinds, as printed. */
enum fail_kind {
	F_NOTHING, F_TIMEOUT, F_CONNECT, F_SEND, F_RECV, F_CURL, F_BUSY,
	F_HTTP4, F_HTTP5, F_BADANSWER, F_NOTSTORED, F_NKINDS
};
static const char *const fail_names[F_NKINDS] = {
	"nothing", "timeout", "connect", "send", "recv", "curl_other",
	"busy", "http_4xx", "http_5xx", "bad_answer", "not_stored",
};

/* One transfer slot of the multi driver. */
struct slot {
	CURL		*h;		/* its easy handle, reused */
	long		 job;		/* body index; -1 free; -2, -3 samples */
	double		 t0;		/* when it was started */
	struct tly_buf	 ans;		/* the answer body */
};

/* Latencies of one kind of request. */
struct lat {
	double		*v;		/* seconds */
	size_t		 n, cap;
};

/* Everything a run needs. */
struct run {
	const char	*url;		/* base URL */
	const char	*iface;		/* -I: source address, or NULL */
	struct bodies	 bs;		/* the pre-signed bodies */
	long		*queue;		/* bodies to post, a ring */
	size_t		 qhead, qlen, qcap;
	size_t		 conc;		/* -c */
	int		 gzip, keep, retry_busy, attack;
	int		 fixed;		/* -K: keys and times from the area */
	double		 deadline;	/* -T: stop posting after, 0: never */
	double		 sample_ms;	/* -S, 0: none */
	/* results */
	size_t		 done, ok, records, retried;
	size_t		 fails[F_NKINDS];
	size_t		 again[F_NKINDS];	/* -b: failures posted again */
	size_t		 status[TLY_API_NSTATUS];	/* answers by entry
					   status (enum tly_api_status) */
	long		 http[600];	/* attack mode: answers by status */
	struct lat	 post, results, cons;
	size_t		 sample_fails;	/* -S samples not answered 200 */
};

static volatile sig_atomic_t stop_flag;

static void
on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_seconds(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int
usage(void)
{
	fprintf(stderr, "usage: loadgen -u url -e election -d recordsdir "
	    "[-n n] [-s skip] [-r records] [-K]\n"
	    "               [-c conc] [-z] [-k] [-b] [-S ms] [-W secs] "
	    "[-I addr]\n               [-A forged|oversize|slowloris -t secs]\n");
	return 2;
}

static void
lat_add(struct lat *l, double v)
{
	double	*nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL)
			return;
		l->v = nv;
	}
	l->v[l->n++] = v;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of l in milliseconds; 0 when empty. */
static double
lat_ms(struct lat *l, double q)
{
	size_t	i;

	if (l->n == 0)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), cmp_double);
	i = (size_t)(q * (double)(l->n - 1) + 0.5);
	return l->v[i] * 1000.0;
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct tly_buf	*b = arg;

	if (tly_buf_add(b, p, size * n) != TLY_OK)
		return 0;
	return size * n;
}

/* Count the entry statuses of a POST answer; 0 when all are stored. */
static int
tally_answer(struct run *rn, const struct tly_buf *b)
{
	struct tly_json		*root = NULL;
	const struct tly_json	*res, *el;
	enum tly_api_status	 st;
	int			 bad = 0;

	if (b->len == 0 || tly_json_parse(b->p, b->len, &root) != TLY_OK ||
	    (res = tly_api_results_get(root)) == NULL ||
	    tly_json_count(res) == 0) {
		tly_json_free(root);
		return -1;
	}
	for (el = tly_json_first(res); el != NULL; el = tly_json_next(el)) {
		if (tly_api_status_parse(tly_json_string(tly_json_get(el,
		    "status")), &st) == TLY_OK)
			rn->status[st]++;
		else
			st = TLY_API_NSTATUS;
		if (st != TLY_API_STORED)
			bad = 1;
	}
	tly_json_free(root);
	return bad;
}

/* Start body job (or a sample when job is -2) on slot s. */
static int
slot_start(struct run *rn, CURLM *mh, struct slot *s, long job,
    struct curl_slist *hdrs)
{
	char	url[4200];

	tly_buf_reset(&s->ans);
	curl_easy_reset(s->h);
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, &s->ans);
	curl_easy_setopt(s->h, CURLOPT_FORBID_REUSE, rn->keep ? 0L : 1L);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	if (rn->iface != NULL)
		curl_easy_setopt(s->h, CURLOPT_INTERFACE, rn->iface);
	if (job == -2) {
		static unsigned	 turn;
		int		 whole = turn++ % 2 == 0 || rn->bs.nids == 0;
		if (whole)
			snprintf(url, sizeof(url), "%s/v1/results", rn->url);
		else
			snprintf(url, sizeof(url), "%s/v1/results/"
			    "constituencies/%s", rn->url,
			    rn->bs.ids[tly_random_uniform((uint32_t)rn->bs.nids)]);
		curl_easy_setopt(s->h, CURLOPT_URL, url);
		s->job = whole ? -2 : -3;
	} else {
		snprintf(url, sizeof(url), "%s/v1/batches", rn->url);
		curl_easy_setopt(s->h, CURLOPT_URL, url);
		curl_easy_setopt(s->h, CURLOPT_POST, 1L);
		curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, rn->bs.bodies[job].p);
		curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rn->bs.bodies[job].len);
		curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, hdrs);
		s->job = job;
	}
	s->t0 = now();
	return curl_multi_add_handle(mh, s->h) == CURLM_OK ? 0 : -1;
}

/* Account for a finished transfer on slot s. */
static void
slot_done(struct run *rn, struct slot *s, CURLcode cc)
{
	double	 dt = now() - s->t0;
	long	 code = 0, job = s->job;
	int	 kind = -1, a;

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	s->job = -1;
	if (job < 0) {		/* a sample */
		if (cc == CURLE_OK && code == 200)
			lat_add(job == -2 ? &rn->results : &rn->cons, dt);
		else
			rn->sample_fails++;
		return;
	}
	if (rn->attack) {
		rn->done++;
		if (cc != CURLE_OK)
			rn->fails[cc == CURLE_GOT_NOTHING ? F_NOTHING :
			    F_CURL]++;
		else if (code > 0 && code < 600)
			rn->http[code]++;
		rn->queue[(rn->qhead + rn->qlen++) % rn->qcap] = job;
		return;
	}
	if (cc == CURLE_GOT_NOTHING)
		kind = F_NOTHING;
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		kind = F_TIMEOUT;
	else if (cc == CURLE_COULDNT_CONNECT)
		kind = F_CONNECT;
	else if (cc == CURLE_SEND_ERROR)
		kind = F_SEND;
	else if (cc == CURLE_RECV_ERROR)
		kind = F_RECV;
	else if (cc != CURLE_OK)
		kind = F_CURL;
	else if (code == 503)
		kind = F_BUSY;
	else if (code != 200 && code != 422)
		kind = code >= 500 ? F_HTTP5 : F_HTTP4;
	else if ((a = tally_answer(rn, &s->ans)) < 0)
		kind = F_BADANSWER;
	else if (a > 0)
		kind = F_NOTSTORED;
	if (kind >= 0 && kind <= F_BUSY && rn->retry_busy &&
	    rn->bs.bodies[job].tries++ < TRIES_MAX) {
		rn->retried++;
		rn->again[kind]++;
		rn->queue[(rn->qhead + rn->qlen++) % rn->qcap] = job;
		return;
	}
	rn->done++;
	if (kind >= 0) {
		rn->fails[kind]++;
		return;
	}
	rn->ok++;
	rn->records += rn->bs.bodies[job].nrec;
	lat_add(&rn->post, dt);
}

/*
 * The multi driver: post every queued body, rn->conc at a time (for
 * secs seconds in attack mode, reposting), with one sample in flight
 * at most every sample_ms.  Returns the wall seconds.
 */
static double
drive(struct run *rn, double secs)
{
	struct curl_slist	*hdrs = NULL;
	struct slot		*slots;
	CURLM			*mh;
	CURLMsg			*msg;
	double			 t0, last_sample = 0;
	size_t			 i, nslots = rn->conc + 1, active = 0;
	int			 running, left, sampling = 0;

	hdrs = curl_slist_append(hdrs,
	    "Content-Type: application/vnd.tally.bundle");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (rn->gzip)
		hdrs = curl_slist_append(hdrs, "Content-Encoding: gzip");
	mh = curl_multi_init();
	slots = calloc(nslots, sizeof(*slots));
	if (hdrs == NULL || mh == NULL || slots == NULL)
		return -1;
	curl_multi_setopt(mh, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)nslots);
	for (i = 0; i < nslots; i++) {
		slots[i].h = curl_easy_init();
		slots[i].job = -1;
		tly_buf_init(&slots[i].ans, ANSWER_MAX);
	}
	t0 = now();
	for (;;) {
		for (i = 0; i < rn->conc && rn->qlen > 0 && !stop_flag; i++) {
			if (slots[i].job != -1)
				continue;
			long job = rn->queue[rn->qhead];
			rn->qhead = (rn->qhead + 1) % rn->qcap;
			rn->qlen--;
			if (slot_start(rn, mh, &slots[i], job, hdrs) == 0)
				active++;
		}
		if (rn->sample_ms > 0 && !sampling &&
		    (now() - last_sample) * 1000 >= rn->sample_ms) {
			last_sample = now();
			if (slot_start(rn, mh, &slots[rn->conc], -2, NULL) == 0)
				sampling = 1;
		}
		if (active == 0 && (rn->qlen == 0 || stop_flag))
			break;
		if (rn->attack && (stop_flag || now() - t0 >= secs))
			break;
		if (rn->deadline > 0 && now() - t0 >= rn->deadline)
			break;
		curl_multi_perform(mh, &running);
		while ((msg = curl_multi_info_read(mh, &left)) != NULL) {
			struct slot *s;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			curl_multi_remove_handle(mh, s->h);
			if (s == &slots[rn->conc])
				sampling = 0;
			else
				active--;
			slot_done(rn, s, msg->data.result);
		}
		curl_multi_poll(mh, NULL, 0, 20, NULL);
	}
	t0 = now() - t0;
	for (i = 0; i < nslots; i++) {
		curl_multi_remove_handle(mh, slots[i].h);
		curl_easy_cleanup(slots[i].h);
		tly_buf_free(&slots[i].ans);
	}
	free(slots);
	curl_multi_cleanup(mh);
	curl_slist_free_all(hdrs);
	return t0;
}

/* GET url into b; 0 on a 200. */
static int
get_once(const char *url, struct tly_buf *b)
{
	CURL	*h = curl_easy_init();
	long	 code = 0;
	int	 ok;

	tly_buf_reset(b);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	ok = curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
	    code == 200;
	curl_easy_cleanup(h);
	return ok ? 0 : -1;
}

/* 1 when the results summary b shows every level complete. */
static int
complete(const struct tly_buf *b)
{
	struct tly_json	*root = NULL, *lv, *el, *st;
	uint64_t	 rep, areas, inc;
	int		 yes = 0;

	if (tly_json_parse(b->p, b->len, &root) != TLY_OK ||
	    (lv = tly_json_get(root, "levels")) == NULL ||
	    tly_json_count(lv) == 0)
		goto out;
	for (el = tly_json_first(lv); el != NULL; el = tly_json_next(el)) {
		inc = 0;
		if (tly_json_get_int(el, "level", "reporting", &rep) != TLY_OK ||
		    tly_json_get_int(el, "level", "areas", &areas) != TLY_OK ||
		    rep != areas)
			goto out;
		if ((st = tly_json_get(el, "status")) != NULL &&
		    tly_json_get(st, "INCOMPLETE") != NULL &&
		    (tly_json_get_int(st, "status", "INCOMPLETE", &inc) !=
		    TLY_OK || inc != 0))
			goto out;
	}
	yes = 1;
 out:
	tly_json_free(root);
	return yes;
}

/* Print the figures of an honest run. */
static void
report(struct run *rn, double wall, double cpu, double done_s)
{
	size_t	 i, bytes = 0, recs = 0, fails = 0;

	for (i = 0; i < rn->bs.nbodies; i++) {
		bytes += rn->bs.bodies[i].len;
		recs += rn->bs.bodies[i].nrec;
	}
	for (i = 0; i < F_NKINDS; i++)
		fails += rn->fails[i];
	printf("loadgen: %zu batches, %zu records, c%zu, %s bodies of %.0f "
	    "bytes per record\n", rn->bs.nbodies, recs, rn->conc,
	    rn->gzip ? "gzip" : "plain", (double)bytes / (double)recs);
	printf("loadgen: %zu answered stored in %.2f s: %.0f batches/s, %.0f "
	    "records/s\n", rn->ok, wall, (double)rn->ok / wall,
	    (double)rn->records / wall);
	printf("loadgen: latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	    lat_ms(&rn->post, 0.5), lat_ms(&rn->post, 0.99),
	    lat_ms(&rn->post, 1));
	printf("loadgen: entries");
	for (i = 0; i < TLY_API_NSTATUS; i++)
		printf("%s %s %zu", i > 0 ? "," : "",
		    tly_api_status_name((enum tly_api_status)i), rn->status[i]);
	putchar('\n');
	printf("loadgen: failures %zu:", fails);
	for (i = 0; i < F_NKINDS; i++)
		printf(" %s %zu", fail_names[i], rn->fails[i]);
	if (rn->retried > 0) {
		printf("\nloadgen: posted again after a failure (-b) %zu:",
		    rn->retried);
		for (i = 0; i <= F_BUSY; i++)
			printf(" %s %zu", fail_names[i], rn->again[i]);
	}
	printf("\nloadgen: own CPU %.0f%% of one core\n", 100 * cpu / wall);
	if (rn->sample_ms > 0)
		printf("loadgen: during ingest GET /v1/results n=%zu p50 %.1f ms"
		    " p99 %.1f ms; one constituency n=%zu p50 %.1f ms p99 "
		    "%.1f ms\n", rn->results.n, lat_ms(&rn->results, 0.5),
		    lat_ms(&rn->results, 0.99), rn->cons.n,
		    lat_ms(&rn->cons, 0.5), lat_ms(&rn->cons, 0.99));
	if (done_s >= 0)
		printf("loadgen: results complete %.2f s after the first "
		    "POST\n", done_s);
	printf("RESULT batches=%zu ok=%zu fails=%zu nothing=%zu secs=%.3f "
	    "bps=%.1f rps=%.1f p50_ms=%.2f p99_ms=%.2f cpu=%.3f "
	    "bytes_per_record=%.1f results_n=%zu results_p50_ms=%.2f "
	    "results_p99_ms=%.2f cons_p50_ms=%.2f cons_p99_ms=%.2f "
	    "complete_s=%.2f sample_fails=%zu\n", rn->bs.nbodies, rn->ok, fails,
	    rn->fails[F_NOTHING], wall, (double)rn->ok / wall,
	    (double)rn->records / wall, lat_ms(&rn->post, 0.5),
	    lat_ms(&rn->post, 0.99), cpu / wall,
	    (double)bytes / (double)recs, rn->results.n,
	    lat_ms(&rn->results, 0.5), lat_ms(&rn->results, 0.99),
	    lat_ms(&rn->cons, 0.5), lat_ms(&rn->cons, 0.99), done_s,
	    rn->sample_fails);
}

int
main(int argc, char **argv)
{
	static struct run	 rn;
	struct tly_buf		 b = TLY_BUF_INIT(64UL * 1024 * 1024);
	const char		*election = NULL, *dir = NULL, *mode = NULL;
	char			 url[4200];
	size_t			 n = 1000, skip = 0, nrec = 4, i;
	double			 wait_s = 0, secs = 60, wall, cpu, t0;
	double			 done_s = -1;
	int			 ch, ret = 1;

	rn.conc = 64;
	while ((ch = getopt(argc, argv, "A:bc:d:e:I:Kkn:r:S:s:T:t:u:W:z")) !=
	    -1) {
		switch (ch) {
		case 'A': mode = optarg; break;
		case 'b': rn.retry_busy = 1; break;
		case 'c': rn.conc = strtoul(optarg, NULL, 10); break;
		case 'd': dir = optarg; break;
		case 'e': election = optarg; break;
		case 'I': rn.iface = optarg; break;
		case 'k': rn.keep = 1; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'r': nrec = strtoul(optarg, NULL, 10); break;
		case 'S': rn.sample_ms = atof(optarg); break;
		case 's': skip = strtoul(optarg, NULL, 10); break;
		case 'T': rn.deadline = atof(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'u': rn.url = optarg; break;
		case 'W': wait_s = atof(optarg); break;
		case 'z': rn.gzip = 1; break;
		case 'K': rn.fixed = 1; break;
		default: return usage();
		}
	}
	if (rn.url == NULL || rn.conc == 0 || rn.conc > CONC_MAX ||
	    nrec == 0 || nrec > TLY_RECORDS_MAX || strlen(rn.url) > 4000)
		return usage();
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	if (tly_crypto_init() != TLY_OK ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	if (mode != NULL && strcmp(mode, "oversize") == 0) {
		rn.attack = 1;
		if ((rn.bs.bodies = calloc(1, sizeof(*rn.bs.bodies))) == NULL ||
		    (rn.bs.bodies[0].p = malloc(OVERSIZE)) == NULL)
			return 1;
		memset(rn.bs.bodies[0].p, 'x', OVERSIZE);
		rn.bs.bodies[0].len = OVERSIZE;
		rn.bs.nbodies = 1;
	} else {
		if (mode != NULL && strcmp(mode, "forged") != 0)
			return usage();
		rn.attack = mode != NULL;
		if (election == NULL || dir == NULL)
			return usage();
		t0 = now();
		if (loadgen_presign(&rn.bs, election, dir, skip, n, nrec,
		    rn.fixed, rn.gzip, rn.attack) != TLY_OK) {
			fprintf(stderr, "loadgen: %s\n", tly_errdetail());
			return 1;
		}
		fprintf(stderr, "loadgen: signed %zu batches in %.2f s\n",
		    rn.bs.nbodies, now() - t0);
	}
	/* The queue: every body once; attackers cycle through it. */
	rn.qcap = rn.bs.nbodies + rn.conc + 1;
	if ((rn.queue = calloc(rn.qcap, sizeof(*rn.queue))) == NULL)
		return 1;
	for (i = 0; i < rn.bs.nbodies; i++)
		rn.queue[rn.qlen++] = (long)(rn.attack ? i % rn.bs.nbodies : i);
	if (rn.attack)		/* enough to keep conc in flight */
		for (; rn.qlen < rn.conc; )
			rn.queue[rn.qlen] = (long)(rn.qlen % rn.bs.nbodies),
			    rn.qlen++;
	cpu = cpu_seconds();
	t0 = now();
	wall = drive(&rn, secs);
	cpu = cpu_seconds() - cpu;
	if (rn.attack) {
		printf("loadgen: %s sent %zu requests in %.1f s; answers:",
		    mode, rn.done, wall);
		for (i = 0; i < 600; i++)
			if (rn.http[i])
				printf(" %zu=%ld", i, rn.http[i]);
		printf("; nothing %zu, other errors %zu\n",
		    rn.fails[F_NOTHING], rn.fails[F_CURL]);
		return 0;
	}
	if (wait_s > 0 && rn.ok < rn.bs.nbodies)
		fprintf(stderr, "loadgen: %zu batches not stored: the results "
		    "cannot be complete\n", rn.bs.nbodies - rn.ok);
	else if (wait_s > 0) {
		snprintf(url, sizeof(url), "%s/v1/results", rn.url);
		while (now() - t0 < wall + wait_s && !stop_flag) {
			if (get_once(url, &b) == 0 && complete(&b)) {
				done_s = now() - t0;
				break;
			}
			usleep(100 * 1000);
		}
		if (done_s < 0)
			fprintf(stderr, "loadgen: results not complete after "
			    "%.0f s\n", wait_s);
	}
	report(&rn, wall, cpu, done_s);
	ret = rn.ok == rn.bs.nbodies && (wait_s == 0 || done_s >= 0) ? 0 : 1;
	for (i = 0; i < rn.bs.nbodies; i++)
		free(rn.bs.bodies[i].p);
	free(rn.bs.bodies);
	free(rn.queue);
	free(rn.post.v);
	free(rn.results.v);
	free(rn.cons.v);
	tly_buf_free(&b);
	curl_global_cleanup();
	return ret;
}
