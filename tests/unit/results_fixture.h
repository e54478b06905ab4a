/*
 * results_fixture.h: what the results unit tests share.  A small
 * election built here:
 *
 *   level na (National Assembly): N1, 2 seats, candidates n1..n4
 *   level c  (council):           C1, 3 seats, candidates c1..c5
 *   polling areas X1 (P / D1 / W1) and X2 (P / D2 / W2), both in N1, C1
 *
 * Rounds are appended per test.  Each test program is a single .c file,
 * so everything here is static inline: a program uses what it needs.
 */
#ifndef TALLY_TESTS_RESULTS_FIXTURE_H
#define TALLY_TESTS_RESULTS_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "election/election.h"
#include "election/results.h"

#define DEF_HEAD \
	"{\"format\": \"tally-election/1\", \"id\": \"t\", \"name\": \"T\"," \
	" \"date\": \"2021-05-23\", \"rules\": \"law-2015\", \"levels\": [" \
	"{\"id\": \"na\", \"name\": \"Quốc hội\", \"kind\": \"na\"}," \
	"{\"id\": \"c\", \"name\": \"Xã\", \"kind\": \"council\"}]," \
	" \"constituencies\": [" \
	"{\"id\": \"N1\", \"level\": \"na\", \"name\": \"Đơn vị 1\"," \
	" \"seats\": 2, \"candidates\": [" \
	"{\"id\": \"n1\", \"name\": \"An\", \"born\": \"1970-01-01\"}," \
	"{\"id\": \"n2\", \"name\": \"Bình\", \"born\": \"%s\"}," \
	"{\"id\": \"n3\", \"name\": \"Cúc\", \"born\": \"1980-01-01\"}," \
	"{\"id\": \"n4\", \"name\": \"Dũng\", \"born\": \"1990-01-01\"}]}," \
	"{\"id\": \"C1\", \"level\": \"c\", \"name\": \"Đơn vị xã 1\"," \
	" \"seats\": 3, \"candidates\": [" \
	"{\"id\": \"c1\", \"name\": \"E\", \"born\": \"1971-01-01\"}," \
	"{\"id\": \"c2\", \"name\": \"G\", \"born\": \"1972-01-01\"}," \
	"{\"id\": \"c3\", \"name\": \"H\", \"born\": \"1973-01-01\"}," \
	"{\"id\": \"c4\", \"name\": \"K\", \"born\": \"1974-01-01\"}," \
	"{\"id\": \"c5\", \"name\": \"L\", \"born\": \"1975-01-01\"}]}]," \
	" \"areas\": [" \
	"{\"id\": \"X1\", \"name\": \"x1\", \"path\": [\"P\", \"D1\", \"W1\"]," \
	" \"constituencies\": {\"na\": \"N1\", \"c\": \"C1\"}}," \
	"{\"id\": \"X2\", \"name\": \"x2\", \"path\": [\"P\", \"D2\", \"W2\"]," \
	" \"constituencies\": {\"na\": \"N1\", \"c\": \"C1\"}}]"

#define NREC_MAX	16

/* The election of one test and its inputs. */
struct fx {
	struct tly_election	*e;
	struct tly_record	*rec;		/* NREC_MAX records */
	struct tly_result_input	 in[NREC_MAX];
	size_t			 n;		/* inputs used */
	struct tly_results	*res;
};

/* Parse the test election; rounds is the text of "rounds" or NULL, and
 * born n2's date of birth. */
static inline void
fx_open(struct fx *f, const char *rounds, const char *born)
{
	char	 text[8192];
	int	 n;

	memset(f, 0, sizeof(*f));
	n = snprintf(text, sizeof(text), DEF_HEAD "%s%s%s}",
	    born != NULL ? born : "1960-01-01",
	    rounds != NULL ? ", \"rounds\": [" : "",
	    rounds != NULL ? rounds : "", rounds != NULL ? "]" : "");
	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (tly_election_parse(text, (size_t)n, &f->e) != TLY_OK)
		fail_msg("%s", tly_errdetail());
	f->rec = calloc(NREC_MAX, sizeof(*f->rec));
	assert_non_null(f->rec);
}

static inline void
fx_close(struct fx *f)
{
	size_t	 i;

	tly_results_free(f->res);
	for (i = 0; i < NREC_MAX; i++)
		tly_record_finish(&f->rec[i]);
	free(f->rec);
	tly_election_free(f->e);
}

/*
 * Add a record: area, level ("na" or "c"), round, R, T, W (X = T - W),
 * then the votes of the level's candidates in id order (4 for na, 5 for
 * c).  Returns the input, to set disputed.
 */
static inline struct tly_result_input *
add(struct fx *f, const char *area, const char *level, uint64_t round,
    uint64_t R, uint64_t T, uint64_t W, ...)
{
	struct tly_record	*r;
	va_list			 ap;
	size_t			 i, nc;
	int			 na = strcmp(level, "na") == 0;

	assert_true(f->n < NREC_MAX);
	r = &f->rec[f->n];
	tly_record_init(r);
	strcpy(r->area, area);
	strcpy(r->level, level);
	strcpy(r->constituency, na ? "N1" : "C1");
	r->round = round;
	r->registered = R;
	r->voted = r->issued = r->received = T;
	r->valid = W;
	r->invalid = T - W;
	nc = na ? 4 : 5;
	va_start(ap, W);
	for (i = 0; i < nc; i++) {
		snprintf(r->votes[i].cand, sizeof(r->votes[i].cand), "%c%zu",
		    na ? 'n' : 'c', i + 1);
		r->votes[i].votes = va_arg(ap, uint64_t);
	}
	va_end(ap);
	r->nvotes = nc;
	f->in[f->n].rec = r;
	f->in[f->n].confirmations = 1;
	f->in[f->n].disputed = 0;
	return &f->in[f->n++];
}

#define V(x)	((uint64_t)(x))

/* Compute the results of f's inputs. */
static inline void
compute(struct fx *f)
{
	tly_results_free(f->res);
	f->res = NULL;
	assert_int_equal(tly_results_compute(f->e, f->in, f->n, &f->res),
	    TLY_OK);
}

/* Status name of constituency id. */
static inline const char *
status(struct fx *f, const char *id)
{
	long	 c = tly_election_find_constituency(f->e, id);

	assert_true(c >= 0);
	return tly_status_name(tly_results_status(f->res, (size_t)c));
}

/* Seats filled in constituency id. */
static inline unsigned
filled(struct fx *f, const char *id)
{
	return tly_results_seats_filled(f->res,
	    (size_t)tly_election_find_constituency(f->e, id));
}

/* Which writer to run. */
enum which { W_SUMMARY, W_LEVEL, W_CONS, W_AREA };

/* Run one writer; returns a new NUL-terminated string. */
static inline char *
json(const struct tly_results *res, enum which which, const char *arg)
{
	struct tly_buf	 b;
	struct tly_jw	 w;
	char		*s;
	int		 r = TLY_OK;

	tly_buf_init(&b, 1 << 20);
	tly_jw_init(&w, &b);
	switch (which) {
	case W_SUMMARY:
	case W_LEVEL:
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "election");
		tly_jw_str(&w, "h");
		tly_jw_key(&w, "mode");
		tly_jw_str(&w, "live");
		r = tly_results_summary_json(res,
		    which == W_LEVEL ? arg : NULL, &w);
		tly_jw_obj_close(&w);
		break;
	case W_CONS:
		r = tly_results_constituency_json(res, arg, &w);
		break;
	case W_AREA:
		r = tly_results_area_json(res, arg, &w);
		break;
	}
	assert_int_equal(r, TLY_OK);
	assert_int_equal(tly_jw_finish(&w), TLY_OK);
	s = malloc(b.len + 1);
	assert_non_null(s);
	memcpy(s, b.p, b.len);
	s[b.len] = '\0';
	tly_buf_free(&b);
	return s;
}

/* Assert that the detail JSON of id contains needle. */
static inline void
cons_has(struct fx *f, const char *id, const char *needle)
{
	char	*s = json(f->res, W_CONS, id);

	if (strstr(s, needle) == NULL)
		fail_msg("%s lacks %s", s, needle);
	free(s);
}

#endif /* TALLY_TESTS_RESULTS_FIXTURE_H */
