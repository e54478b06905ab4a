/*
 * bench_results.c: the results engine at the size of a national election.
 * Prints figures; asserts nothing about time.
 *
 * Builds in memory a definition with 85,000 polling areas on three levels
 * (184 National Assembly constituencies of about 460 areas, 700 provincial
 * of about 120, 8,500 commune-sized of 10) and one record per area and
 * level (255,000 records), then times: parsing the definition, deciding
 * every constituency, and writing the summary and one level's JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "election/election.h"
#include "election/results.h"

#define AREAS		85000
#define NLEVELS		3

static const struct {
	const char	*id, *kind;
	unsigned	 ncons, seats, ncand;
} levels[NLEVELS] = {
	{ "na", "na", 184, 3, 5 },
	{ "prov", "council", 700, 5, 8 },
	{ "dist", "council", 8500, 3, 5 },
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Append the definition's JSON to b. */
static void
build_definition(struct tly_buf *b)
{
	unsigned	l, c, k, a;

	tly_buf_addstr(b, "{\"format\":\"tally-election/1\",\"id\":\"bench\","
	    "\"name\":\"bench\",\"date\":\"2026-03-15\",\"rules\":"
	    "\"amend-2025\",\"levels\":[");
	for (l = 0; l < NLEVELS; l++)
		tly_buf_addf(b, "%s{\"id\":\"%s\",\"name\":\"%s\",\"kind\":"
		    "\"%s\"}", l ? "," : "", levels[l].id, levels[l].id,
		    levels[l].kind);
	tly_buf_addstr(b, "],\"constituencies\":[");
	for (l = 0; l < NLEVELS; l++)
		for (c = 0; c < levels[l].ncons; c++) {
			tly_buf_addf(b, "%s{\"id\":\"%s-%u\",\"level\":\"%s\","
			    "\"name\":\"c\",\"seats\":%u,\"candidates\":[",
			    l || c ? "," : "", levels[l].id, c, levels[l].id,
			    levels[l].seats);
			for (k = 0; k < levels[l].ncand; k++)
				tly_buf_addf(b, "%s{\"id\":\"k%u\",\"name\":"
				    "\"n\",\"born\":\"1970-01-%02u\"}",
				    k ? "," : "", k, k + 1);
			tly_buf_addstr(b, "]}");
		}
	tly_buf_addstr(b, "],\"areas\":[");
	for (a = 0; a < AREAS; a++) {
		tly_buf_addf(b, "%s{\"id\":\"A%u\",\"name\":\"a\",\"path\":"
		    "[\"P%u\",\"D%u\"],\"constituencies\":{", a ? "," : "", a,
		    a % 63, a % 700);
		for (l = 0; l < NLEVELS; l++)
			tly_buf_addf(b, "%s\"%s\":\"%s-%u\"", l ? "," : "",
			    levels[l].id, levels[l].id,
			    a % levels[l].ncons);
		tly_buf_addstr(b, "},\"registered\":{");
		for (l = 0; l < NLEVELS; l++)
			tly_buf_addf(b, "%s\"%s\":1000", l ? "," : "",
			    levels[l].id);
		tly_buf_addstr(b, "}}");
	}
	tly_buf_addstr(b, "]}");
}

/* A plausible record for area a at level l. */
static void
make_record(struct tly_record *r, unsigned a, unsigned l)
{
	unsigned	k, n = levels[l].ncand;

	tly_record_init(r);
	snprintf(r->area, sizeof(r->area), "A%u", a);
	snprintf(r->level, sizeof(r->level), "%s", levels[l].id);
	snprintf(r->constituency, sizeof(r->constituency), "%s-%u",
	    levels[l].id, a % levels[l].ncons);
	r->round = 1;
	r->registered = 1000;
	r->voted = r->issued = r->received = 990;
	r->invalid = 10;
	r->valid = 980;
	r->nvotes = n;
	for (k = 0; k < n; k++) {
		snprintf(r->votes[k].cand, sizeof(r->votes[k].cand), "k%u", k);
		r->votes[k].votes = 980 - 100 * k - (a + k) % 50;
	}
}

int
main(void)
{
	struct tly_buf		 def = TLY_BUF_INIT(256UL << 20);
	struct tly_buf		 out = TLY_BUF_INIT(256UL << 20);
	struct tly_election	*e = NULL;
	struct tly_results	*res = NULL;
	struct tly_record	*recs;
	struct tly_result_input	*in;
	struct tly_jw		 w;
	size_t			 n = (size_t)AREAS * NLEVELS, i = 0;
	unsigned		 a, l;
	double			 t0, t_parse, t_compute, t_json;

	build_definition(&def);
	t0 = now();
	if (tly_election_parse(def.p, def.len, &e) != 0) {
		fprintf(stderr, "definition: %s\n", tly_errdetail());
		return 1;
	}
	t_parse = now() - t0;

	recs = calloc(n, sizeof(*recs));
	in = calloc(n, sizeof(*in));
	if (recs == NULL || in == NULL)
		return 1;
	for (a = 0; a < AREAS; a++)
		for (l = 0; l < NLEVELS; l++, i++) {
			make_record(&recs[i], a, l);
			in[i].rec = &recs[i];
			in[i].confirmations = 1;
		}

	t0 = now();
	if (tly_results_compute(e, in, n, &res) != 0) {
		fprintf(stderr, "compute: %s\n", tly_errdetail());
		return 1;
	}
	t_compute = now() - t0;

	t0 = now();
	tly_jw_init(&w, &out);
	tly_jw_obj_open(&w);
	if (tly_results_summary_json(res, "dist", &w) != 0)
		return 1;
	tly_jw_obj_close(&w);
	if (tly_jw_finish(&w) != 0)
		return 1;
	t_json = now() - t0;

	printf("definition: %u areas, %zu constituencies, %zu bytes\n",
	    AREAS, tly_election_nconstituencies(e), def.len);
	printf("parse definition:  %6.2f s\n", t_parse);
	printf("decide %zu records: %6.2f s  (%.0f records/s)\n", n,
	    t_compute, (double)n / t_compute);
	printf("JSON of one level (%u constituencies, %zu bytes): %.2f s\n",
	    levels[2].ncons, out.len, t_json);

	tly_results_free(res);
	tly_election_free(e);
	free(recs);
	free(in);
	tly_buf_free(&def);
	tly_buf_free(&out);
	return 0;
}
