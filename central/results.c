/*
 * results.c: the results API (docs/RESULTS.md): GET /v1/results,
 * /v1/results?level=L, /v1/results/constituencies/{id} and
 * /v1/results/areas/{path}.
 *
 * The store's merge layer names each record key's current record
 * (tly_cstore_head_ids); the pure engine in election/results.c decides
 * the constituencies whose records changed, from slim inputs kept here
 * between passes (below).  The computed results are cached and
 * recomputed only when the store's generation changes, one recompute at
 * a time.  During ingest, queries are served the last answer at once and
 * a thread of its own recomputes, so a flood of readers on election
 * night never waits behind a recomputation.  That thread also computes
 * the first answer at start and, once a query came, follows every
 * commit, so a query between uploads finds little left to compute.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "election/results.h"
#include "merge/merge.h"

/*
 * One computed answer, shared by the queries that write from it; freed
 * when the last of them is done and a newer answer has replaced it.
 */
struct snap {
	struct tly_results	*r;	/* the engine's results */
	uint64_t		 gen;	/* store generation they were computed at */
	unsigned		 refs;	/* holders, the cache included */
};

/*
 * The cached answer.  One recompute at a time (computing); while uploads
 * are in progress, queries are served the previous answer meanwhile,
 * without touching the store.  The lock is never held while computing
 * or while the JSON is written.
 */
static struct {
	pthread_mutex_t		 lock;
	pthread_cond_t		 done;	/* signalled when computing ends */
	pthread_cond_t		 kick;	/* signalled to wake the recomputer */
	int			 computing;	/* a recompute is running */
	struct snap		*cur;	/* the newest answer, or NULL */
	int			 kicked;	/* the recomputer should look */
	int			 publish;	/* ... and make a new answer */
	int			 asked;	/* a query came: keep up with commits */
	int			 started;	/* the recomputer thread runs */
	int			 stopping;	/* the recomputer should end */
	pthread_t		 th;	/* the recomputer */
	struct tly_results	*spare;	/* an answer no one reads: its
					   memory takes the next copy */
} cache = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
    PTHREAD_COND_INITIALIZER, 0, NULL, 0, 0, 0, 0, 0, 0, NULL };

/*
 * The results are kept up to date incrementally.  Each pass asks the
 * store for the heads of the record keys changed since the generation
 * of the last pass (tly_cstore_head_changes); a key whose winner is new
 * is read and made slim once (records are immutable), and only the
 * constituencies whose inputs changed are decided again, from their own
 * inputs.  The first pass, and any the store cannot answer by key, walk
 * every head.  The answer served is a copy of the live results, so
 * readers never see a half-updated state.  A failed pass drops
 * everything, and the next one starts again from the store.
 */

/* One record key with a winner, and its slim input. */
struct ent {
	char			 id[80];	/* the winner's record id */
	struct tly_result_slim	*s;	/* its slim input; NULL: ignored */
	uint64_t		 pass;	/* the pass that last saw it */
	struct ent		*next;	/* hash chain */
	struct ent		*cprev, *cnext;	/* its constituency's, with s */
	char			 key[];	/* area, level, round; NUL-ended */
};

/* The incremental state: only recompute() touches it (one at a time). */
static struct {
	struct tly_results	*live;	/* updated in place; never served */
	struct ent		**tab;	/* keys by hash of key */
	size_t			 nb;	/* buckets: 0 or a power of 2 */
	size_t			 n;	/* entries */
	uint64_t		 pass;	/* passes made */
	uint64_t		 gen;	/* store generation of the last pass */
	int			 fresh;	/* live changed since the last copy;
					   0 only while cache.cur is one */
	struct ent		**cons;	/* per constituency: its inputs */
	uint8_t			*dirty;	/* per constituency: inputs changed */
	size_t			*dlist;	/* the constituencies marked */
	size_t			 ndirty; /* constituencies marked */
	size_t			 ncons;	/* constituencies (dirty[]'s size) */
} inc;

/* Drop the incremental state: the next pass starts from the store. */
static void
inc_reset(void)
{
	struct ent	*e, *next;
	size_t		 i;

	for (i = 0; i < inc.nb; i++)
		for (e = inc.tab[i]; e != NULL; e = next) {
			next = e->next;
			tly_results_slim_destroy(e->s);
			free(e);
		}
	free(inc.tab);
	free(inc.cons);
	free(inc.dirty);
	free(inc.dlist);
	tly_results_free(inc.live);
	memset(&inc, 0, sizeof(inc));
}

/* FNV-1a of a key. */
static size_t
key_hash(const char *key)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return (size_t)h;
}

/* Mark constituency ci dirty. */
static void
mark(size_t ci)
{
	if (ci < inc.ncons && !inc.dirty[ci]) {
		inc.dirty[ci] = 1;
		inc.dlist[inc.ndirty++] = ci;
	}
}

/* Drop e's slim input, marking its constituency. */
static void
ent_unslim(struct ent *e)
{
	if (e->s == NULL)
		return;
	mark(e->s->cons);
	if (e->cprev != NULL)
		e->cprev->cnext = e->cnext;
	else
		inc.cons[e->s->cons] = e->cnext;
	if (e->cnext != NULL)
		e->cnext->cprev = e->cprev;
	e->cprev = e->cnext = NULL;
	tly_results_slim_destroy(e->s);
	e->s = NULL;
}

/* Give e the slim input s (transferred), marking its constituency. */
static void
ent_slim(struct ent *e, struct tly_result_slim *s)
{
	e->s = s;
	if (s == NULL)
		return;
	mark(s->cons);
	e->cprev = NULL;
	e->cnext = inc.cons[s->cons];
	if (e->cnext != NULL)
		e->cnext->cprev = e;
	inc.cons[s->cons] = e;
}

/* Double the hash table (or make it). */
static int
grow(void)
{
	struct ent	**nt, *e, *next;
	size_t		 nb = inc.nb ? inc.nb * 2 : 4096, i, b;

	if ((nt = calloc(nb, sizeof(*nt))) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	for (i = 0; i < inc.nb; i++)
		for (e = inc.tab[i]; e != NULL; e = next) {
			next = e->next;
			b = key_hash(e->key) & (nb - 1);
			e->next = nt[b];
			nt[b] = e;
		}
	free(inc.tab);
	inc.tab = nt;
	inc.nb = nb;
	return TLY_OK;
}

/*
 * Fill rec from h's counts string (12.1) and key, the constituency
 * being the area's at that level (an applied record passed H1 and H9):
 * all a slim input needs, without reading the record.  TLY_OK, or
 * TLY_E_NOTFOUND when h has no usable counts string.
 */
static int
rec_from_counts(const struct tly_election *e, const struct tly_cstore_head *h,
    struct tly_record *rec)
{
	const char	*cons;
	long		 a;

	tly_record_init(rec);
	if (h->counts == NULL || (a = tly_election_find_area(e, h->area)) < 0 ||
	    (cons = tly_area_constituency(e, (size_t)a, h->level)) == NULL ||
	    strlen(h->area) > TLY_ID_MAX || strlen(h->level) > TLY_ID_MAX ||
	    strlen(cons) > TLY_ID_MAX ||
	    tly_merge_counts_parse(h->counts, strlen(h->counts), rec) !=
	    TLY_OK)
		return TLY_E_NOTFOUND;
	strcpy(rec->area, h->area);	/* lengths checked above */
	strcpy(rec->level, h->level);
	strcpy(rec->constituency, cons);
	rec->round = h->round;
	return TLY_OK;
}

/*
 * The slim input of record id with h's standing into *sp (NULL:
 * ignored): from the counts string the head carries, or else from the
 * record itself.
 */
static int
slim_read(struct tly_central *c, const struct tly_cstore_head *h,
    struct tly_result_slim **sp)
{
	struct tly_result_input	 in;
	struct tly_record	 rec;
	int			 r;

	*sp = NULL;
	if ((r = rec_from_counts(c->election, h, &rec)) != TLY_OK) {
		tly_record_finish(&rec);
		r = tly_cstore_record(c->store, h->record_id, &rec);
	}
	if (r == TLY_OK) {
		in.rec = &rec;
		in.confirmations = h->confirmations;
		in.disputed = h->disputed;
		if ((r = tly_results_slim_create(c->election, &in, sp)) ==
		    TLY_E_NOTFOUND)
			r = TLY_OK;	/* not in the definition: ignored */
	}
	tly_record_finish(&rec);
	return r;
}

/* tly_cstore_head_fn: bring one key's entry up to date. */
static int
on_head(void *arg, const struct tly_cstore_head *h)
{
	struct tly_result_slim	*s;
	struct ent		*e, **pp;
	char			 key[2 * TLY_ID_MAX + 32];
	size_t			 b;
	int			 r;

	snprintf(key, sizeof(key), "%s\n%s\n%llu", h->area, h->level,
	    (unsigned long long)h->round);
	if (inc.n >= inc.nb && (r = grow()) != TLY_OK)
		return r;
	b = key_hash(key) & (inc.nb - 1);
	for (pp = &inc.tab[b]; (e = *pp) != NULL; pp = &e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (h->record_id[0] == '\0') {	/* no winner any more */
		if (e != NULL) {
			*pp = e->next;
			ent_unslim(e);
			free(e);
			inc.n--;
		}
		return TLY_OK;
	}
	if (e != NULL && strcmp(e->id, h->record_id) == 0) {
		e->pass = inc.pass;
		if (e->s != NULL &&
		    (e->s->confirmations != h->confirmations ||
		    e->s->disputed != (h->disputed != 0))) {
			e->s->confirmations = h->confirmations;
			e->s->disputed = h->disputed != 0;
			mark(e->s->cons);
		}
		return TLY_OK;
	}
	if ((r = slim_read(arg, h, &s)) != TLY_OK)
		return r;
	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e) + strlen(key) + 1)) == NULL) {
			tly_results_slim_destroy(s);
			return tly_fail(TLY_E_NOMEM, "out of memory");
		}
		memcpy(e->key, key, strlen(key) + 1);
		e->next = inc.tab[b];
		inc.tab[b] = e;
		inc.n++;
	}
	ent_unslim(e);
	snprintf(e->id, sizeof(e->id), "%s", h->record_id);
	e->pass = inc.pass;
	ent_slim(e, s);
	return TLY_OK;
}

/* After a walk of every head: drop the keys it did not name. */
static void
sweep(void)
{
	struct ent	**pp, *e;
	size_t		 i;

	for (i = 0; i < inc.nb; i++)
		for (pp = &inc.tab[i]; (e = *pp) != NULL;) {
			if (e->pass == inc.pass) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			ent_unslim(e);
			free(e);
			inc.n--;
		}
}

/* Double the array of inputs *vp of *capp entries. */
static int
grow_inputs(const struct tly_result_slim ***vp, size_t *capp)
{
	const struct tly_result_slim	**v;
	size_t				  cap = *capp ? *capp * 2 : 256;

	if ((v = realloc(*vp, cap * sizeof(*v))) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	*vp = v;
	*capp = cap;
	return TLY_OK;
}

/* Decide the dirty constituencies again from their inputs. */
static int
update_dirty(void)
{
	const struct tly_result_slim	**v = NULL;
	struct ent			 *e;
	size_t				  i, n, cap = 0, ci;
	int				  r = TLY_OK;

	for (i = 0; i < inc.ndirty && r == TLY_OK; i++) {
		ci = inc.dlist[i];
		n = 0;
		for (e = inc.cons[ci]; e != NULL && r == TLY_OK;
		    e = e->cnext) {
			if (n == cap && (r = grow_inputs(&v, &cap)) != TLY_OK)
				break;
			v[n++] = e->s;
		}
		if (r == TLY_OK)
			r = tly_results_update(inc.live, ci, v, n);
		inc.dirty[ci] = 0;
	}
	for (; i < inc.ndirty; i++)
		inc.dirty[inc.dlist[i]] = 0;
	inc.ndirty = 0;
	free(v);
	return r;
}

/* Make the empty live results and their per-constituency arrays. */
static int
inc_start(struct tly_central *c)
{
	size_t	ncons = tly_election_nconstituencies(c->election);
	int	r;

	if ((r = tly_results_create(c->election, &inc.live)) != TLY_OK)
		return r;
	inc.fresh = 1;
	if ((inc.dirty = calloc(ncons + 1, 1)) == NULL ||
	    (inc.dlist = calloc(ncons + 1, sizeof(*inc.dlist))) == NULL ||
	    (inc.cons = calloc(ncons + 1, sizeof(*inc.cons))) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	inc.ncons = ncons;
	return TLY_OK;
}

/*
 * Bring the live results up to date with the store, at the generation
 * put into *genp.  With publish, also a copy into *rp, left NULL when
 * live did not change since the last copy (the answer served: a copy
 * is only made to be served).
 */
static int
compute(struct tly_central *c, int publish, struct tly_results **rp,
    uint64_t *genp)
{
	uint64_t	gen;
	int		r, full;

	*rp = NULL;
	if (inc.live == NULL && (r = inc_start(c)) != TLY_OK)
		goto out;
	inc.pass++;
	if ((r = tly_cstore_head_changes(c->store, TLY_CSTORE_READER_RESULTS,
	    inc.gen, &gen, &full, on_head, c)) != TLY_OK)
		goto out;
	if (full)
		sweep();
	inc.gen = gen;
	*genp = gen;
	if (inc.ndirty > 0)
		inc.fresh = 1;
	if ((r = update_dirty()) != TLY_OK || !publish || !inc.fresh)
		goto out;		/* not asked for, or nothing changed */
	pthread_mutex_lock(&cache.lock);
	*rp = cache.spare;
	cache.spare = NULL;
	pthread_mutex_unlock(&cache.lock);
	if (*rp != NULL && tly_results_copy_into(inc.live, *rp) != TLY_OK) {
		tly_results_free(*rp);
		*rp = NULL;
	}
	if (*rp == NULL && (r = tly_results_copy(inc.live, rp)) != TLY_OK)
		goto out;
	inc.fresh = 0;
 out:
	if (r != TLY_OK)
		inc_reset();
	return r;
}

/* Writes one document from results r for central c. */
typedef int (*write_fn)(const struct tly_central *c,
    const struct tly_results *r, const char *arg, struct tly_jw *w);

/* Drop one reference to sn (cache lock held). */
static void
snap_drop(struct snap *sn)
{
	if (sn != NULL && --sn->refs == 0) {
		if (cache.spare == NULL)
			cache.spare = sn->r;	/* transferred */
		else
			tly_results_free(sn->r);
		free(sn);
	}
}

/*
 * Recompute the answer, at the store's generation then, and with
 * publish make it the cache's (the caller set cache.computing; the lock
 * is not held while computing).  Without publish, only the live results
 * are brought up to date, so that the next answer has little left to do.
 */
static int
recompute(struct tly_central *c, int publish)
{
	struct snap	*sn;
	int		 r;

	if ((sn = calloc(1, sizeof(*sn))) == NULL)
		r = TLY_E_NOMEM;
	else if ((r = compute(c, publish, &sn->r, &sn->gen)) != TLY_OK) {
		free(sn);
		sn = NULL;
	}
	pthread_mutex_lock(&cache.lock);
	if (sn != NULL && sn->r == NULL) {
		if (publish)		/* unchanged: the answer is newer now */
			cache.cur->gen = sn->gen;
		free(sn);
		sn = NULL;
	}
	if (sn != NULL) {
		sn->refs = 1;
		snap_drop(cache.cur);
		cache.cur = sn;
	}
	cache.computing = 0;
	pthread_cond_broadcast(&cache.done);
	pthread_mutex_unlock(&cache.lock);
	return r;
}

/*
 * The recomputer thread: after each kick, reads the store's generation
 * and brings the live results up to it, making a new answer when a query
 * asked for one.  Kicks that come while it computes make one more pass:
 * at most one recompute runs.
 */
static void *
recomputer(void *arg)
{
	struct tly_central	*c = arg;
	uint64_t		 gen;
	int			 publish;

	pthread_mutex_lock(&cache.lock);
	for (;;) {
		while (!cache.kicked && !cache.stopping)
			pthread_cond_wait(&cache.kick, &cache.lock);
		if (cache.stopping)
			break;
		while (cache.computing)
			pthread_cond_wait(&cache.done, &cache.lock);
		publish = cache.publish;
		cache.kicked = cache.publish = 0;
		cache.computing = 1;
		pthread_mutex_unlock(&cache.lock);
		gen = tly_cstore_generation(c->store);
		pthread_mutex_lock(&cache.lock);
		/* inc is only touched by the holder of computing. */
		if (gen != 0 && (publish ? cache.cur != NULL &&
		    cache.cur->gen == gen : inc.gen == gen)) {
			cache.computing = 0;	/* up to date already */
			pthread_cond_broadcast(&cache.done);
			continue;
		}
		pthread_mutex_unlock(&cache.lock);
		if (recompute(c, publish) != TLY_OK)
			tly_log_warn("results: %s", tly_errdetail());
		pthread_mutex_lock(&cache.lock);
	}
	pthread_mutex_unlock(&cache.lock);
	return NULL;
}

/*
 * Wake the recomputer, starting it the first time (cache lock held);
 * with publish, it makes a new answer.
 */
static void
kick(struct tly_central *c, int publish)
{
	cache.kicked = 1;
	if (publish)
		cache.publish = 1;
	if (!cache.started && !cache.stopping &&
	    pthread_create(&cache.th, NULL, recomputer, c) == 0)
		cache.started = 1;
	pthread_cond_signal(&cache.kick);
}

/*
 * Take a reference to the answer to serve into *sp (PROTOCOL.md 8.4).
 * While uploads are in progress, the last answer is served at once and
 * the recomputer thread is woken to bring it up to date (it lags the
 * newest commit by at most one recompute).  Otherwise the store's
 * generation is read and, if the answer is older, this query waits for
 * the recompute that runs, or makes one: an answer given when no upload
 * is in progress includes every commit made before it was asked for.
 */
static int
results_take(struct tly_central *c, struct snap **sp)
{
	uint64_t	gen;
	int		r;

	pthread_mutex_lock(&cache.lock);
	cache.asked = 1;
	for (;;) {
		if (cache.cur != NULL && atomic_load(&c->inflight) > 0) {
			kick(c, 1);
			break;
		}
		if (cache.computing) {
			pthread_cond_wait(&cache.done, &cache.lock);
			continue;
		}
		pthread_mutex_unlock(&cache.lock);
		/* Generation 0 means the store could not say: recompute. */
		gen = tly_cstore_generation(c->store);
		pthread_mutex_lock(&cache.lock);
		if (cache.cur != NULL && gen != 0 && cache.cur->gen == gen)
			break;
		if (cache.computing)
			continue;
		cache.computing = 1;
		pthread_mutex_unlock(&cache.lock);
		if ((r = recompute(c, 1)) != TLY_OK)
			return r;
		pthread_mutex_lock(&cache.lock);
		if (cache.cur != NULL)
			break;
	}
	cache.cur->refs++;
	*sp = cache.cur;
	pthread_mutex_unlock(&cache.lock);
	return TLY_OK;
}

void
tly_central_results_prepare(struct tly_central *c)
{
	pthread_mutex_lock(&cache.lock);
	kick(c, 1);
	pthread_mutex_unlock(&cache.lock);
}

void
tly_central_results_changed(struct tly_central *c)
{
	pthread_mutex_lock(&cache.lock);
	if (cache.asked && cache.cur != NULL)
		kick(c, 0);
	pthread_mutex_unlock(&cache.lock);
}

/* Run fn over the answer results_take gives, outside the cache lock. */
static int
with_results(struct tly_central *c, write_fn fn, const char *arg,
    struct tly_jw *w)
{
	struct snap	*sn;
	int		 r;

	if ((r = results_take(c, &sn)) != TLY_OK)
		return r;
	r = fn(c, sn->r, arg, w);
	pthread_mutex_lock(&cache.lock);
	snap_drop(sn);
	pthread_mutex_unlock(&cache.lock);
	return r;
}

/* The summary: the central's election and mode, then the engine's members. */
static int
write_summary(const struct tly_central *c, const struct tly_results *r,
    const char *level, struct tly_jw *w)
{
	size_t	start = w->b->len;
	int	r2;

	tly_jw_obj_open(w);
	tly_jw_key(w, "election");
	tly_jw_str(w, c->ehashhex);
	tly_jw_key(w, "mode");
	tly_jw_str(w, c->conf.test ? "test" : "live");
	if ((r2 = tly_results_summary_json(r, level, w)) != TLY_OK) {
		w->b->len = start;	/* nothing written on failure */
		return r2;
	}
	tly_jw_obj_close(w);
	return TLY_OK;
}

static int
write_constituency(const struct tly_central *c, const struct tly_results *r,
    const char *id, struct tly_jw *w)
{
	return tly_results_constituency_json(r, id, w);
}

static int
write_area(const struct tly_central *c, const struct tly_results *r,
    const char *path, struct tly_jw *w)
{
	return tly_results_area_json(r, path, w);
}

#define OPEN_MEMBERS	"\"open\":true,\"warning\":\"open central: no " \
	"authority; any device may report any area\","

/*
 * An open central (test mode, no authority: PROTOCOL.md 8.4) puts its
 * warning members first in the object of body.
 */
static int
mark_open(struct tly_buf *body)
{
	struct tly_buf	out = TLY_BUF_INIT(body->max);
	int		r;

	if (body->len < 2 || body->p[0] != '{')
		return TLY_E_INVAL;
	if ((r = tly_buf_add(&out, "{", 1)) != TLY_OK ||
	    (r = tly_buf_addstr(&out, OPEN_MEMBERS)) != TLY_OK ||
	    (r = tly_buf_add(&out, body->p + 1, body->len - 1)) != TLY_OK) {
		tly_buf_free(&out);
		return r;
	}
	tly_buf_free(body);
	*body = out;
	return TLY_OK;
}

/* Answer with the document fn writes from up-to-date results, with its ETag. */
static void
results_serve(struct tly_central *c, write_fn fn, const char *arg,
    const struct tly_http_req *req, struct tly_http_resp *resp)
{
	struct tly_jw	 w;
	int		 r;

	tly_jw_init(&w, &resp->body);		/* capped by the server */
	tly_errclear();
	if ((r = with_results(c, fn, arg, &w)) == TLY_OK)
		r = tly_jw_finish(&w);
	if (r == TLY_OK && c->trust == NULL)
		r = mark_open(&resp->body);
	if (r == TLY_E_NOTFOUND) {
		tly_buf_free(&resp->body);
		tly_http_resp_error(resp, 404, "not_found", "%s",
		    tly_errdetail());
		return;
	}
	if (r != TLY_OK) {
		tly_buf_free(&resp->body);
		tly_http_resp_error(resp, 500, "internal", "results: %s",
		    tly_strerror(r));
		return;
	}
	resp->status = 200;
	tly_central_etag(req, resp);
}

void
tly_central_get_results(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	const char	*level;

	level = tly_http_req_query(req, "level");
	results_serve(arg, write_summary, level != NULL && *level != '\0' ?
	    level : NULL, req, resp);
}

void
tly_central_get_constituency(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	results_serve(arg, write_constituency, rp->p[0], req, resp);
}

void
tly_central_get_area(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	results_serve(arg, write_area, rp->p[0], req, resp);
}

void
tly_central_results_reset(void)
{
	int	joined;

	pthread_mutex_lock(&cache.lock);
	cache.stopping = 1;
	pthread_cond_signal(&cache.kick);
	joined = cache.started;
	pthread_mutex_unlock(&cache.lock);
	if (joined)
		pthread_join(cache.th, NULL);
	pthread_mutex_lock(&cache.lock);
	cache.started = cache.stopping = cache.asked = 0;
	cache.kicked = cache.publish = 0;
	snap_drop(cache.cur);
	cache.cur = NULL;
	tly_results_free(cache.spare);
	cache.spare = NULL;
	inc_reset();
	pthread_mutex_unlock(&cache.lock);
}
