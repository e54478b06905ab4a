/*
 * election_fixture.h: what the election unit tests share.  The small
 * election of tests/vectors/election-small.json, loaded once per test
 * group; copies of its text with one edit; the base count record and the
 * table changes applied to it.  Each test program is a single .c file, so
 * everything here is static inline: a program uses what it needs.
 */
#ifndef TALLY_TESTS_ELECTION_FIXTURE_H
#define TALLY_TESTS_ELECTION_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "election/election.h"

#define ELECTION_SMALL	TLY_SRCDIR "/tests/vectors/election-small.json"
#define RECORDS_SMALL	TLY_SRCDIR "/tests/vectors/records-small"

static struct tly_election *E;		/* the small election */
static char	*E_text;		/* its JSON text */
static size_t	 E_len;			/* bytes in E_text */

/* ---- utilities ---------------------------------------------------------- */

/* Read a whole file into a new NUL-terminated buffer. */
static inline char *
slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*p = NULL;
	long	 n = 0;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size %s", path);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*lenp = (size_t)n;
	return p;
}

/* Load the small election once for the whole run. */
static inline int
setup_election(void **state)
{
	E_text = slurp(ELECTION_SMALL, &E_len);
	if (tly_election_parse(E_text, E_len, &E) != TLY_OK) {
		fprintf(stderr, "%s: %s\n", ELECTION_SMALL, tly_errdetail());
		return -1;
	}
	return 0;
}

static inline int
teardown_election(void **state)
{
	tly_election_free(E);
	free(E_text);
	return 0;
}

/* A copy of the small election's text with the first `from` replaced. */
static inline char *
edit_text(const char *from, const char *to, size_t *lenp)
{
	const char	*at = strstr(E_text, from);
	char		*s;
	size_t		 pre, flen = strlen(from), tlen = strlen(to);

	if (at == NULL)
		fail_msg("'%s' is not in %s", from, ELECTION_SMALL);
	pre = (size_t)(at - E_text);
	s = malloc(E_len - flen + tlen + 1);
	assert_non_null(s);
	memcpy(s, E_text, pre);
	memcpy(s + pre, to, tlen);
	memcpy(s + pre + tlen, at + flen, E_len - pre - flen + 1);
	*lenp = E_len - flen + tlen;
	return s;
}

/*
 * The base record: area A01, National Assembly level, 2 seats, fully
 * consistent and without warnings.  R 1180, T = I = B = 990,
 * W 975 + X 15, votes 600 + 550 + 400 + 300 = 1850 marks, with
 * n_1 = 100, n_2 = 875 (100 + 2 * 875 = 1850).
 */
static inline void
base_record(struct tly_record *r)
{
	static const char *const cand[] = { "NA1.1", "NA1.2", "NA1.3", "NA1.4" };
	static const uint64_t votes[] = { 600, 550, 400, 300 };
	size_t	 i;

	tly_record_init(r);
	strcpy(r->area, "A01");
	strcpy(r->level, "na");
	strcpy(r->constituency, "NA-1");
	r->round = 1;
	r->registered = 1180;
	r->voted = r->issued = r->received = 990;
	r->valid = 975;
	r->invalid = 15;
	for (i = 0; i < 4; i++) {
		strcpy(r->votes[i].cand, cand[i]);
		r->votes[i].votes = votes[i];
	}
	r->nvotes = 4;
	r->marks[0] = 100;
	r->marks[1] = 875;
	r->nmarks = 2;
}

/* Index of the vote entry for cand, or nvotes. */
static inline size_t
vote_index(const struct tly_record *r, const char *cand)
{
	size_t	 i;

	for (i = 0; i < r->nvotes; i++)
		if (strcmp(r->votes[i].cand, cand) == 0)
			break;
	return i;
}

/*
 * One change to the base record: a field name and a number or a string.
 * Names are the record's fields; "votes.<id>" sets (adding if needed) a
 * candidate's votes, "-votes.<id>" removes it, "marks.<k>" sets n_k,
 * "nmarks" the number of marks, "explain.<Wn>" an explanation.
 */
struct set {
	const char	*field;	/* what to change; NULL ends the list */
	uint64_t	 v;	/* the number */
	const char	*s;	/* or the string */
};

/* Apply one change to r. */
static inline void
apply(struct tly_record *r, const struct set *c)
{
	const char	*f = c->field;
	size_t		 i;

	if (strcmp(f, "area") == 0)
		strcpy(r->area, c->s);
	else if (strcmp(f, "level") == 0)
		strcpy(r->level, c->s);
	else if (strcmp(f, "constituency") == 0)
		strcpy(r->constituency, c->s);
	else if (strcmp(f, "round") == 0)
		r->round = c->v;
	else if (strcmp(f, "registered") == 0)
		r->registered = c->v;
	else if (strcmp(f, "voted") == 0)
		r->voted = c->v;
	else if (strcmp(f, "issued") == 0)
		r->issued = c->v;
	else if (strcmp(f, "received") == 0)
		r->received = c->v;
	else if (strcmp(f, "valid") == 0)
		r->valid = c->v;
	else if (strcmp(f, "invalid") == 0)
		r->invalid = c->v;
	else if (strcmp(f, "nmarks") == 0)
		r->nmarks = (size_t)c->v;
	else if (strncmp(f, "marks.", 6) == 0)
		r->marks[atoi(f + 6) - 1] = c->v;
	else if (strncmp(f, "votes.", 6) == 0) {
		i = vote_index(r, f + 6);
		if (i == r->nvotes) {
			assert_true(r->nvotes < TLY_CAND_MAX);
			strcpy(r->votes[r->nvotes++].cand, f + 6);
		}
		r->votes[i].votes = c->v;
	} else if (strncmp(f, "-votes.", 7) == 0) {
		i = vote_index(r, f + 7);
		assert_true(i < r->nvotes);
		memmove(&r->votes[i], &r->votes[i + 1],
		    (r->nvotes - i - 1) * sizeof(r->votes[0]));
		r->nvotes--;
	} else if (strncmp(f, "explain.W", 9) == 0) {
		i = (size_t)atoi(f + 9) - 1;
		free(r->explanations[i]);
		r->explanations[i] = strdup(c->s);
	} else
		fail_msg("unknown field %s in a test case", f);
}

/* Parse a variant of the small election; fails the test on error. */
static inline struct tly_election *
parse_variant(const char *from, const char *to)
{
	struct tly_election	*e = NULL;
	char			*t;
	size_t			 len;

	t = edit_text(from, to, &len);
	if (tly_election_parse(t, len, &e) != TLY_OK)
		fail_msg("variant '%s': %s", to, tly_errdetail());
	free(t);
	return e;
}

#endif /* TALLY_TESTS_ELECTION_FIXTURE_H */
