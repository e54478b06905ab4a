/*
 * checks_fixture.h: what the record-check unit tests share: tables of
 * changes to the base record of election_fixture.h and what the checks
 * must say of each.  Everything here is static inline.
 */
#ifndef TALLY_TESTS_CHECKS_FIXTURE_H
#define TALLY_TESTS_CHECKS_FIXTURE_H

#include "election_fixture.h"

#define SETS_MAX	6

/* One table row: changes to the base record and what the checks say. */
struct kase {
	const char	*what;		/* description for failure messages */
	struct set	 sets[SETS_MAX];	/* changes, ending with a NULL */
	int		 raised;	/* 1 if the rule must be raised */
	int		 clean;		/* 1 if no problem at all is expected */
};

/* Whether out holds a problem for rule; *pp gets the first such. */
static inline int
has_rule(const struct tly_problems *out, const char *rule,
    const struct tly_problem **pp)
{
	size_t	 i;

	for (i = 0; i < out->n; i++)
		if (strcmp(out->p[i].rule, rule) == 0) {
			if (pp != NULL)
				*pp = &out->p[i];
			return 1;
		}
	return 0;
}

/*
 * Run the table for one rule: apply each row to the base record, check,
 * and compare.  Also verify that the return value agrees with the list:
 * TLY_E_RECORD exactly when some problem is hard or unexplained.
 */
static inline void
run_table(const char *rule, const struct kase *k, size_t n)
{
	struct tly_problems	 out;
	struct tly_record	 r;
	const struct tly_problem *p = NULL;
	size_t			 i, j;
	int			 rv, blocking;

	for (i = 0; i < n; i++) {
		base_record(&r);
		for (j = 0; j < SETS_MAX && k[i].sets[j].field != NULL; j++)
			apply(&r, &k[i].sets[j]);
		memset(&out, 0, sizeof(out));
		tly_errclear();
		rv = tly_record_check(E, &r, 7, &out);
		if (has_rule(&out, rule, &p) != k[i].raised)
			fail_msg("%s, case '%s': rule %s %s raised", rule,
			    k[i].what, rule, k[i].raised ? "not" : "wrongly");
		if (k[i].clean && out.n != 0)
			fail_msg("%s, case '%s': unexpected %s", rule,
			    k[i].what, out.p[0].message);
		blocking = 0;
		for (j = 0; j < out.n; j++) {
			assert_int_equal(out.p[j].index, 7);
			assert_int_equal(out.p[j].warning,
			    out.p[j].rule[0] == 'W');
			assert_true(strncmp(out.p[j].message, out.p[j].rule,
			    strlen(out.p[j].rule)) == 0);
			assert_true(out.p[j].fields[0] != '\0');
			if (!out.p[j].warning || !out.p[j].explained)
				blocking = 1;
		}
		if (blocking) {
			assert_int_equal(rv, TLY_E_RECORD);
			assert_non_null(strstr(tly_errdetail(), "record 7: "));
		} else
			assert_int_equal(rv, TLY_OK);
		if (k[i].raised)
			assert_true(strncmp(p->message, rule, 2) == 0);
		tly_record_finish(&r);
	}
}

#define RUN(rule, table) run_table(rule, table, sizeof(table) / sizeof(table[0]))

#endif /* TALLY_TESTS_CHECKS_FIXTURE_H */
