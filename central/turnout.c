/*
 * turnout.c: GET /v1/turnout (PROTOCOL.md 8.13), turnout by polling
 * area for one level, in a form that stays small at 85,000 areas: how
 * many areas fall in each turnout band, the areas with the lowest
 * turnout, and with ?constituency=C every area of C.  It is read from
 * the current records: each area's record of the highest round it has
 * at that level.  The table is kept up to date from the record keys
 * changed since it was last brought up to date
 * (tly_cstore_head_changes), reading R and T from the winner's counts
 * string, so a dashboard polling during ingest never makes the store
 * walk every record; only the first query, and one after changes the
 * store cannot tell by key, walks every head.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/json.h"

typedef unsigned __int128 u128;

#define LOWEST_MAX	10	/* areas listed by lowest turnout */
#define NBANDS		7	/* the bands of band_name[] */
#define ROUNDS_MAX	64	/* rounds kept per area and level */

/* Lower bounds of the bands, in percent; the last band is exactly 100%. */
static const unsigned band_from[NBANDS] = { 0, 50, 70, 90, 95, 99, 100 };
static const char *const band_name[NBANDS] = { "0-50", "50-70", "70-90",
    "90-95", "95-99", "99-100", "100" };

/* One area's count at one level and round. */
struct cell {
	uint64_t	round;		/* 0: no record */
	uint64_t	registered;	/* R */
	uint64_t	voted;		/* T */
	uint32_t	walk;		/* the walk that last named it */
};

/* The rounds of one area at one level that have a winner. */
struct rounds {
	struct cell	*v;		/* entries, any order */
	uint32_t	 n;		/* entries used */
};

/*
 * The table: cells[area * nlevels + level] is the highest round's count,
 * from rounds[] at the same index.
 */
static struct {
	pthread_mutex_t	 lock;
	struct cell	*cells;		/* NULL until first built */
	struct rounds	*rounds;	/* per cell: every round's count */
	size_t		 nareas;	/* areas of the definition */
	size_t		 nlevels;	/* levels of the definition */
	uint64_t	 gen;		/* store generation it shows */
	uint32_t	 walk;		/* walks made */
} tab = { PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0, 0, 0, 0 };

/* Drop the table (tab.lock held). */
static void
tab_free(void)
{
	size_t	i;

	for (i = 0; tab.rounds != NULL && i < tab.nareas * tab.nlevels; i++)
		free(tab.rounds[i].v);
	free(tab.rounds);
	free(tab.cells);
	tab.rounds = NULL;
	tab.cells = NULL;
	tab.gen = 0;
}

/* Set cell i to its highest round (tab.lock held). */
static void
cell_top(size_t i)
{
	const struct rounds	*rs = &tab.rounds[i];
	struct cell		*cl = &tab.cells[i];
	uint32_t		 j;

	memset(cl, 0, sizeof(*cl));
	for (j = 0; j < rs->n; j++)
		if (rs->v[j].round >= cl->round)
			*cl = rs->v[j];
}

/* tly_cstore_head_fn: one key's winner (or none) into its cell. */
static int
on_head(void *arg, const struct tly_cstore_head *h)
{
	struct tly_central	*c = arg;
	struct rounds		*rs;
	struct cell		*v, x;
	long			 a, l;
	uint32_t		 j;
	size_t			 i;

	if ((a = tly_election_find_area(c->election, h->area)) < 0 ||
	    (l = tly_election_find_level(c->election, h->level)) < 0)
		return TLY_OK;
	i = (size_t)a * tab.nlevels + (size_t)l;
	rs = &tab.rounds[i];
	for (j = 0; j < rs->n && rs->v[j].round != h->round; j++)
		;
	if (h->record_id[0] == '\0' || h->counts == NULL) {
		if (j < rs->n)		/* no winner any more */
			rs->v[j] = rs->v[--rs->n];
		cell_top(i);
		return TLY_OK;
	}
	memset(&x, 0, sizeof(x));
	x.round = h->round;
	x.walk = tab.walk;
	if (sscanf(h->counts, "%" SCNu64 " %" SCNu64, &x.registered,
	    &x.voted) != 2)
		return tly_fail(TLY_E_DB, "turnout: counts of %s",
		    h->record_id);
	if (j == rs->n) {
		if (rs->n >= ROUNDS_MAX)
			return tly_fail(TLY_E_TOO_LARGE, "turnout: rounds");
		if ((v = realloc(rs->v, (rs->n + 1) * sizeof(*v))) == NULL)
			return tly_fail(TLY_E_NOMEM, "turnout: out of memory");
		rs->v = v;
		rs->n++;
	}
	rs->v[j] = x;
	cell_top(i);
	return TLY_OK;
}

/* After a walk of every head: drop the rounds it did not name. */
static void
sweep(void)
{
	struct rounds	*rs;
	size_t		 i;
	uint32_t	 j;

	for (i = 0; i < tab.nareas * tab.nlevels; i++) {
		rs = &tab.rounds[i];
		for (j = 0; j < rs->n;)
			if (rs->v[j].walk != tab.walk)
				rs->v[j] = rs->v[--rs->n];
			else
				j++;
		cell_top(i);
	}
}

/* Bring the table up to date with the store (tab.lock held). */
static int
refresh(struct tly_central *c)
{
	uint64_t	gen;
	size_t		na, nl;
	int		r, full;

	if (tab.cells != NULL && (gen = tly_cstore_generation(c->store)) !=
	    0 && gen == tab.gen)
		return TLY_OK;
	if (tab.cells == NULL) {
		na = tly_election_nareas(c->election);
		nl = tly_election_nlevels(c->election);
		if ((tab.cells = calloc(na * nl + 1, sizeof(*tab.cells))) ==
		    NULL || (tab.rounds = calloc(na * nl + 1,
		    sizeof(*tab.rounds))) == NULL) {
			free(tab.cells);
			tab.cells = NULL;
			return tly_fail(TLY_E_NOMEM, "turnout: out of memory");
		}
		tab.nareas = na;
		tab.nlevels = nl;
		tab.gen = 0;
	}
	tab.walk++;
	if ((r = tly_cstore_head_changes(c->store, TLY_CSTORE_READER_TURNOUT,
	    tab.gen, &gen, &full, on_head, c)) != TLY_OK) {
		tab_free();	/* the next query starts again */
		return r;
	}
	if (full)
		sweep();
	tab.gen = gen;
	return TLY_OK;
}

/* cl's turnout is below other's (T/R compared exactly; R > 0 both). */
static int
lower(const struct cell *cl, const struct cell *other)
{
	return (u128)cl->voted * other->registered <
	    (u128)other->voted * cl->registered;
}

/* The band of cl (R > 0 and T <= R, as check H4 makes sure). */
static int
band_of(const struct cell *cl)
{
	int	b;

	if (cl->voted >= cl->registered)
		return NBANDS - 1;
	for (b = NBANDS - 2; b > 0; b--)
		if ((u128)cl->voted * 100 >= (u128)band_from[b] *
		    cl->registered)
			break;
	return b;
}

/* Write area a's object: id, name, constituency, round, R, T, turnout. */
static void
area_json(const struct tly_election *e, size_t a, size_t l,
    const struct cell *cl, struct tly_jw *w)
{
	char	pct[32];
	u128	q;

	tly_jw_obj_open(w);
	tly_jw_key(w, "area");
	tly_jw_str(w, tly_area_id(e, a));
	tly_jw_key(w, "name");
	tly_jw_str(w, tly_area_name(e, a));
	tly_jw_key(w, "constituency");
	tly_jw_str(w, tly_constituency_id(e,
	    tly_area_constituency_index(e, a, l)));
	if (cl->round > 0) {
		tly_jw_key(w, "round");
		tly_jw_uint(w, cl->round);
		tly_jw_key(w, "registered");
		tly_jw_uint(w, cl->registered);
		tly_jw_key(w, "voted");
		tly_jw_uint(w, cl->voted);
		tly_jw_key(w, "turnout");
		if (cl->registered == 0)
			tly_jw_str(w, "-");
		else {
			/* docs/RESULTS.md 4: two decimals, half up. */
			q = ((u128)20000 * cl->voted + cl->registered) /
			    ((u128)2 * cl->registered);
			snprintf(pct, sizeof(pct), "%llu.%02llu",
			    (unsigned long long)(q / 100),
			    (unsigned long long)(q % 100));
			tly_jw_str(w, pct);
		}
	}
	tly_jw_obj_close(w);
}

/* Write the answer for level l (and constituency ci, or -1). */
static void
turnout_json(const struct tly_election *e, size_t l, long ci,
    struct tly_jw *w)
{
	size_t		 bands[NBANDS] = { 0 }, low[LOWEST_MAX];
	size_t		 a, i, nlow = 0, reporting = 0;
	size_t		 unknown = 0;
	const struct cell *cl;

	for (a = 0; a < tab.nareas; a++) {
		cl = &tab.cells[a * tab.nlevels + l];
		if (cl->round == 0)
			continue;
		reporting++;
		if (cl->registered == 0) {
			unknown++;
			continue;
		}
		bands[band_of(cl)]++;
		/* Insert into the lowest, kept sorted (ties: area order). */
		for (i = nlow; i > 0 && lower(cl,
		    &tab.cells[low[i - 1] * tab.nlevels + l]); i--)
			if (i < LOWEST_MAX)
				low[i] = low[i - 1];
		if (i < LOWEST_MAX) {
			low[i] = a;
			if (nlow < LOWEST_MAX)
				nlow++;
		}
	}
	tly_jw_obj_open(w);
	tly_jw_key(w, "level");
	tly_jw_str(w, tly_election_level(e, l));
	tly_jw_key(w, "areas");
	tly_jw_uint(w, tab.nareas);
	tly_jw_key(w, "reporting");
	tly_jw_uint(w, reporting);
	tly_jw_key(w, "bands");
	tly_jw_arr_open(w);
	for (i = 0; i < NBANDS; i++) {
		tly_jw_obj_open(w);
		tly_jw_key(w, "band");
		tly_jw_str(w, band_name[i]);
		tly_jw_key(w, "areas");
		tly_jw_uint(w, bands[i]);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "unknown");
	tly_jw_uint(w, unknown);
	tly_jw_key(w, "lowest");
	tly_jw_arr_open(w);
	for (i = 0; i < nlow; i++)
		area_json(e, low[i], l, &tab.cells[low[i] * tab.nlevels + l],
		    w);
	tly_jw_arr_close(w);
	if (ci >= 0) {
		tly_jw_key(w, "constituency");
		tly_jw_str(w, tly_constituency_id(e, (size_t)ci));
		tly_jw_key(w, "list");
		tly_jw_arr_open(w);
		for (a = 0; a < tab.nareas; a++)
			if (tly_area_constituency_index(e, a, l) ==
			    (size_t)ci)
				area_json(e, a, l,
				    &tab.cells[a * tab.nlevels + l], w);
		tly_jw_arr_close(w);
	}
	tly_jw_obj_close(w);
}

void
tly_central_get_turnout(void *arg, const struct tly_http_req *req,
    const struct tly_route_params *rp, struct tly_http_resp *resp)
{
	struct tly_central	*c = arg;
	struct tly_jw		 w;
	const char		*lv, *cs;
	long			 l, ci = -1;
	int			 r;

	lv = tly_http_req_query(req, "level");
	cs = tly_http_req_query(req, "constituency");
	if (lv == NULL || (l = tly_election_find_level(c->election, lv)) < 0) {
		tly_http_resp_error(resp, 404, "not_found", "no such level");
		return;
	}
	if (cs != NULL && ((ci = tly_election_find_constituency(c->election,
	    cs)) < 0 || strcmp(tly_constituency_level(c->election,
	    (size_t)ci), lv) != 0)) {
		tly_http_resp_error(resp, 404, "not_found", "no such "
		    "constituency at that level");
		return;
	}
	pthread_mutex_lock(&tab.lock);
	if ((r = refresh(c)) == TLY_OK) {
		tly_jw_init(&w, &resp->body);
		turnout_json(c->election, (size_t)l, ci, &w);
		r = tly_jw_finish(&w);
	}
	pthread_mutex_unlock(&tab.lock);
	if (r != TLY_OK) {
		tly_buf_reset(&resp->body);
		tly_http_resp_error(resp, r == TLY_E_BUSY ? 503 : 500,
		    r == TLY_E_BUSY ? "busy" : "internal", "turnout: %s",
		    tly_strerror(r));
		return;
	}
	resp->status = 200;
	tly_central_etag(req, resp);
}

void
tly_central_turnout_reset(void)
{
	pthread_mutex_lock(&tab.lock);
	tab_free();
	pthread_mutex_unlock(&tab.lock);
}
