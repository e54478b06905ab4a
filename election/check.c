/*
 * check.c: the checks of PROTOCOL.md 5.1 on one count record.
 *
 * Integers only: ratios are compared by cross-multiplying, never by
 * dividing.  Sums and products are taken in 128 bits, so no input can
 * overflow them (at most 64 terms of at most 64 bits, times at most 16).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "election/election.h"

typedef unsigned __int128 u128;

/* State of one tly_record_check() call. */
struct ctx {
	struct tly_problems	*out;		/* where problems go */
	size_t			 index;		/* record index */
	int			 blocked;	/* a blocking problem seen */
	int			 raised[TLY_WARN_COUNT];
					/* W1 .. W7 raised */
	char			 first[sizeof(((struct tly_problem *)0)->message)];
					/* message of the first blocker */
};

/* Format v in decimal into buf (at least 40 bytes); returns buf. */
static const char *
u128_str(u128 v, char *buf, size_t len)
{
	char	 tmp[40];
	size_t	 n = 0;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0 && n < sizeof(tmp));
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return buf;
}

/*
 * Record a problem.  rule is "H2" ...; fields a comma-separated list;
 * explained is -1 for a hard rule, else whether the warning has an
 * explanation.  The message is rule, ": ", then the formatted text.
 */
static void __attribute__((format(printf, 5, 6)))
add(struct ctx *c, const char *rule, const char *fields, int explained,
    const char *fmt, ...)
{
	struct tly_problem	 p;
	va_list			 ap;
	size_t			 n;
	int			 blocking;

	memset(&p, 0, sizeof(p));
	p.index = c->index;
	snprintf(p.rule, sizeof(p.rule), "%s", rule);
	p.warning = rule[0] == 'W';
	p.explained = explained > 0;
	snprintf(p.fields, sizeof(p.fields), "%s", fields);
	n = (size_t)snprintf(p.message, sizeof(p.message), "%s: ", rule);
	va_start(ap, fmt);
	vsnprintf(p.message + n, sizeof(p.message) - n, fmt, ap);
	va_end(ap);
	blocking = !p.warning || !p.explained;
	if (p.warning && rule[1] >= '1' && rule[1] <= '7')
		c->raised[rule[1] - '1'] = 1;
	if (p.warning && !p.explained) {
		n = strlen(p.message);
		snprintf(p.message + n, sizeof(p.message) - n,
		    "; an explanation is required to sign");
	}
	if (blocking && !c->blocked) {
		c->blocked = 1;
		memcpy(c->first, p.message, sizeof(c->first));
	}
	if (c->out->n < TLY_PROBLEMS_MAX)
		c->out->p[c->out->n++] = p;
	else
		c->out->dropped++;
}

/* H1: one count must be an integer in the range of section 1. */
static void
check_int(struct ctx *c, const char *field, uint64_t v)
{
	if (v > TLY_JSON_INT_MAX)
		add(c, "H1", field, -1, "%s = %llu is not an integer in "
		    "0..9007199254740991", field, (unsigned long long)v);
}

/* H1: the candidates named in votes are exactly constituency ci's (in
 * an additional election, some of them: the ballot the board drew up). */
static void
check_candidates(struct ctx *c, const struct tly_election *e, size_t ci,
    const struct tly_record *r, size_t nvotes, int subset)
{
	const char	*cid;
	char		 fields[96];
	size_t		 i, j, ncand;

	ncand = tly_constituency_ncandidates(e, ci);
	for (i = 0; i < nvotes; i++) {
		const char *name = r->votes[i].cand;

		snprintf(fields, sizeof(fields), "votes.%s", name);
		for (j = 0; j < i; j++)
			if (strcmp(r->votes[j].cand, name) == 0)
				break;
		if (j < i) {
			add(c, "H1", fields, -1, "votes names candidate '%s' "
			    "twice", name);
			continue;
		}
		if (tly_constituency_find_candidate(e, ci, name) < 0)
			add(c, "H1", fields, -1, "votes names '%s', who is "
			    "not a candidate in constituency '%s'", name,
			    r->constituency);
	}
	if (subset) {
		if (nvotes == 0)
			add(c, "H1", "votes", -1, "votes names no candidate");
		return;
	}
	for (j = 0; j < ncand; j++) {
		cid = tly_constituency_candidate(e, ci, j);
		for (i = 0; i < nvotes; i++)
			if (strcmp(r->votes[i].cand, cid) == 0)
				break;
		if (i == nvotes) {
			snprintf(fields, sizeof(fields), "votes.%s", cid);
			add(c, "H1", fields, -1, "votes lacks candidate '%s' "
			    "of constituency '%s'", cid, r->constituency);
		}
	}
}

/* H1 and H9: the record against the definition.  *seatsp gets the seats
 * of the record's constituency, 0 when it is unknown. */
static void
check_definition(struct ctx *c, const struct tly_election *e,
    const struct tly_record *r, size_t nvotes, unsigned *seatsp)
{
	const char	*ac;
	long		 ai, ci, li;
	int		 level_ok, kind = -1;

	*seatsp = 0;
	if ((ai = tly_election_find_area(e, r->area)) < 0)
		add(c, "H1", "area", -1, "area '%s' is not in the election "
		    "definition", r->area);
	li = tly_election_find_level(e, r->level);
	level_ok = li >= 0;
	if (!level_ok)
		add(c, "H1", "level", -1, "level '%s' is not in the election "
		    "definition", r->level);
	if (ai >= 0 && level_ok && r->round >= 1)
		kind = tly_election_round_covers(e, r->round, (size_t)ai,
		    (size_t)li);
	if ((ci = tly_election_find_constituency(e, r->constituency)) < 0)
		add(c, "H1", "constituency", -1, "constituency '%s' is not in "
		    "the election definition", r->constituency);
	else {
		*seatsp = tly_constituency_seats(e, (size_t)ci);
		check_candidates(c, e, (size_t)ci, r, nvotes,
		    kind == TLY_ROUND_ADDITIONAL ||
		    kind == TLY_ROUND_READDITIONAL);
		if (r->nmarks > 0 && r->nmarks != *seatsp)
			add(c, "H1", "marks", -1, "marks has %zu entries, but "
			    "constituency '%s' has %u seats", r->nmarks,
			    r->constituency, *seatsp);
	}
	if (ai >= 0 && level_ok) {
		ac = tly_area_constituency(e, (size_t)ai, r->level);
		if (ac == NULL || strcmp(ac, r->constituency) != 0)
			add(c, "H9", "area,level,constituency", -1,
			    "area '%s' belongs to constituency '%s' at level "
			    "'%s', not to '%s'", r->area, ac ? ac : "(none)",
			    r->level, r->constituency);
		if (r->round >= 1 && kind < 0)
			add(c, "H9", "round", -1, "round %llu is not announced "
			    "for area '%s' at level '%s' (election definition, "
			    "rounds)", (unsigned long long)r->round, r->area,
			    r->level);
	}
}

/* W4: T against the same area's other levels in the same round. */
static void
check_spread(struct ctx *c, const struct tly_election *e,
    const struct tly_record *r, const struct tly_check_ctx *x)
{
	const struct tly_check_peer	*p;
	uint64_t			 q, d, m;
	size_t				 i, n;

	q = tly_election_turnout_spread_warn_percent(e);
	n = x->npeers < TLY_CHECK_PEERS_MAX ? x->npeers : TLY_CHECK_PEERS_MAX;
	for (i = 0; i < n; i++) {
		p = &x->peers[i];
		if (p->round != r->round || strcmp(p->area, r->area) != 0 ||
		    strcmp(p->level, r->level) == 0)
			continue;
		d = p->voted > r->voted ? p->voted - r->voted :
		    r->voted - p->voted;
		m = p->voted > r->voted ? p->voted : r->voted;
		if ((u128)100 * d > (u128)q * m)
			add(c, "W4", "voted", r->explanations[3] != NULL,
			    "voted = %llu differs from voted = %llu at level "
			    "'%s' of the same area by more than %llu%%",
			    (unsigned long long)r->voted,
			    (unsigned long long)p->voted, p->level,
			    (unsigned long long)q);
	}
}

/* W5 and W6: R against the voter list and Art. 11; counts above R. */
static void
check_registered(struct ctx *c, const struct tly_election *e,
    const struct tly_record *r)
{
	uint64_t	 list;
	long		 ai, li;

	ai = tly_election_find_area(e, r->area);
	li = tly_election_find_level(e, r->level);
	if (ai < 0 || li < 0)
		return;
	if (tly_area_registered_at(e, (size_t)ai, (size_t)li, &list) &&
	    list != r->registered)
		add(c, "W5", "registered", r->explanations[4] != NULL,
		    "registered = %llu differs from the voter list's %llu "
		    "for area '%s' at level '%s'",
		    (unsigned long long)r->registered,
		    (unsigned long long)list, r->area, r->level);
	if (r->issued > r->registered || r->received > r->registered)
		add(c, "W6", "issued,received,registered",
		    r->explanations[5] != NULL, "issued = %llu or received = "
		    "%llu is more than registered = %llu",
		    (unsigned long long)r->issued,
		    (unsigned long long)r->received,
		    (unsigned long long)r->registered);
	if (!tly_area_remote(e, (size_t)ai) &&
	    (r->registered < 1 || r->registered > 4000))
		add(c, "W6", "registered", r->explanations[5] != NULL,
		    "registered = %llu is outside 1..4000 for an area not "
		    "marked remote (Art. 11)",
		    (unsigned long long)r->registered);
}

/* The W7 deadline of r's own key (area, level, round), when it has one. */
static int
record_deadline(const struct tly_election *e, const struct tly_record *r,
    uint64_t *tp)
{
	long	 ai, li;

	if ((ai = tly_election_find_area(e, r->area)) < 0 ||
	    (li = tly_election_find_level(e, r->level)) < 0)
		return 0;
	return tly_election_deadline(e, r->round, (size_t)ai, (size_t)li,
	    tp);
}

/*
 * H10 (PROTOCOL.md 5.1, 5.2): each explanation is a text that explains
 * (a letter or a digit, one line, no bidi control), given for a warning
 * the record raises.  W4 and W7 are judged only with their context (x,
 * and x->now for W7); without it their explanations are taken as given.
 */
static void
check_explanations(struct ctx *c, const struct tly_record *r,
    const struct tly_check_ctx *x)
{
	char		 fields[32];
	const char	*why;
	size_t		 i;

	for (i = 0; i < TLY_WARN_COUNT; i++) {
		if (r->explanations[i] == NULL)
			continue;
		snprintf(fields, sizeof(fields), "explanations.W%zu", i + 1);
		if ((why = tly_text_fault(r->explanations[i],
		    TLY_TEXT_LINE | TLY_TEXT_EXPLAINS)) != NULL)
			add(c, "H10", fields, -1, "the explanation of W%zu "
			    "holds %s; write what happened, on one line",
			    i + 1, why);
		else if (!c->raised[i] && !(i == 3 && x == NULL) &&
		    !(i == 6 && (x == NULL || x->now == 0)))
			add(c, "H10", fields, -1, "an explanation of W%zu is "
			    "given, but the record does not raise W%zu; "
			    "remove it", i + 1, i + 1);
	}
}

/* Zero ctx and set its time; see election.h. */
void
tly_check_ctx_init(struct tly_check_ctx *ctx, uint64_t now)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->now = now;
}

/* Add r's turnout figure to ctx; see election.h. */
int
tly_check_ctx_add(struct tly_check_ctx *ctx, const struct tly_record *r)
{
	struct tly_check_peer	*p;

	if (ctx->npeers >= TLY_CHECK_PEERS_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "check context full (%d "
		    "records)", TLY_CHECK_PEERS_MAX);
	p = &ctx->peers[ctx->npeers++];
	memcpy(p->area, r->area, sizeof(p->area));
	memcpy(p->level, r->level, sizeof(p->level));
	p->area[TLY_ID_MAX] = p->level[TLY_ID_MAX] = '\0';
	p->round = r->round;
	p->voted = r->voted;
	return TLY_OK;
}

/* Check r against e without context; see election.h. */
int
tly_record_check(const struct tly_election *e, const struct tly_record *r,
    size_t index, struct tly_problems *out)
{
	return tly_record_check_ctx(e, r, index, NULL, out);
}

/* Check r against e, with context x (or NULL); see election.h. */
int
tly_record_check_ctx(const struct tly_election *e,
    const struct tly_record *r, size_t index,
    const struct tly_check_ctx *x, struct tly_problems *out)
{
	struct ctx	 c;
	char		 a[40], b[40], d[40];
	char		 fields[96];
	u128		 sum = 0, msum = 0, ksum = 0, p;
	size_t		 i, nvotes, nmarks;
	unsigned	 seats;
	uint64_t	 deadline;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.index = index;

	/* H1: counts are integers of section 1; round is 1 or more. */
	nvotes = r->nvotes;
	if (nvotes > TLY_CAND_MAX) {
		add(&c, "H1", "votes", -1, "votes has %zu entries, at most %d",
		    nvotes, TLY_CAND_MAX);
		nvotes = TLY_CAND_MAX;
	}
	nmarks = r->nmarks;
	if (nmarks > TLY_SEATS_MAX) {
		add(&c, "H1", "marks", -1, "marks has %zu entries, at most %d",
		    nmarks, TLY_SEATS_MAX);
		nmarks = TLY_SEATS_MAX;
	}
	if (r->round < 1)
		add(&c, "H1", "round", -1, "round = 0, must be 1 or more");
	check_int(&c, "round", r->round);
	check_int(&c, "registered", r->registered);
	check_int(&c, "voted", r->voted);
	check_int(&c, "issued", r->issued);
	check_int(&c, "received", r->received);
	check_int(&c, "valid", r->valid);
	check_int(&c, "invalid", r->invalid);
	for (i = 0; i < nvotes; i++) {
		snprintf(fields, sizeof(fields), "votes.%s", r->votes[i].cand);
		check_int(&c, fields, r->votes[i].votes);
	}
	for (i = 0; i < nmarks; i++) {
		snprintf(fields, sizeof(fields), "marks[%zu]", i);
		check_int(&c, fields, r->marks[i]);
	}
	if (r->has_complaints) {
		check_int(&c, "complaints.received", r->c_received);
		check_int(&c, "complaints.settled", r->c_settled);
		check_int(&c, "complaints.forwarded", r->c_forwarded);
	}
	/* H1 (names exist, candidates, marks length) and H9. */
	check_definition(&c, e, r, nvotes, &seats);

	/* H2 */
	if ((u128)r->valid + r->invalid != r->received)
		add(&c, "H2", "valid,invalid,received", -1,
		    "valid + invalid = %llu + %llu = %s, but received = %llu",
		    (unsigned long long)r->valid,
		    (unsigned long long)r->invalid,
		    u128_str((u128)r->valid + r->invalid, a, sizeof(a)),
		    (unsigned long long)r->received);
	/* H3 */
	if (r->received > r->issued)
		add(&c, "H3", "received,issued", -1,
		    "received = %llu is more than issued = %llu",
		    (unsigned long long)r->received,
		    (unsigned long long)r->issued);
	/* H4 */
	if (r->voted > r->registered)
		add(&c, "H4", "voted,registered", -1,
		    "voted = %llu is more than registered = %llu",
		    (unsigned long long)r->voted,
		    (unsigned long long)r->registered);
	/* H5 */
	for (i = 0; i < nvotes; i++) {
		sum += r->votes[i].votes;
		if (r->votes[i].votes > r->valid) {
			snprintf(fields, sizeof(fields), "votes.%s,valid",
			    r->votes[i].cand);
			add(&c, "H5", fields, -1, "votes for '%s' = %llu is "
			    "more than valid = %llu", r->votes[i].cand,
			    (unsigned long long)r->votes[i].votes,
			    (unsigned long long)r->valid);
		}
	}
	/* H6, when the seats are known. */
	p = (u128)seats * r->valid;
	if (seats > 0 && sum > p)
		add(&c, "H6", "votes,valid", -1, "sum of votes = %s is more "
		    "than seats * valid = %u * %llu = %s",
		    u128_str(sum, a, sizeof(a)), seats,
		    (unsigned long long)r->valid, u128_str(p, b, sizeof(b)));
	/* H7 */
	if (r->valid > 0 && sum < r->valid)
		add(&c, "H7", "votes,valid", -1, "sum of votes = %s is less "
		    "than valid = %llu (each valid ballot leaves a name)",
		    u128_str(sum, a, sizeof(a)), (unsigned long long)r->valid);
	/* H8 */
	if (nmarks > 0) {
		for (i = 0; i < nmarks; i++) {
			msum += r->marks[i];
			ksum += (u128)(i + 1) * r->marks[i];
		}
		if (msum != r->valid)
			add(&c, "H8", "marks,valid", -1, "sum of marks n_k = "
			    "%s, but valid = %llu", u128_str(msum, a,
			    sizeof(a)), (unsigned long long)r->valid);
		if (ksum != sum)
			add(&c, "H8", "marks,votes", -1, "sum of k * n_k = "
			    "%s, but sum of votes = %s", u128_str(ksum, a,
			    sizeof(a)), u128_str(sum, b, sizeof(b)));
	}

	/* W1 */
	if (r->issued != r->voted)
		add(&c, "W1", "issued,voted", r->explanations[0] != NULL,
		    "issued = %llu differs from voted = %llu",
		    (unsigned long long)r->issued,
		    (unsigned long long)r->voted);
	/* W2 */
	if (r->received != r->voted)
		add(&c, "W2", "received,voted", r->explanations[1] != NULL,
		    "received = %llu differs from voted = %llu",
		    (unsigned long long)r->received,
		    (unsigned long long)r->voted);
	/* W3: 100 * invalid > p * received. */
	p = (u128)tly_election_invalid_warn_percent(e) * r->received;
	if ((u128)100 * r->invalid > p)
		add(&c, "W3", "invalid,received", r->explanations[2] != NULL,
		    "invalid = %llu is more than %llu%% of received = %llu "
		    "(100 * %llu = %s > %llu * %llu = %s)",
		    (unsigned long long)r->invalid,
		    (unsigned long long)tly_election_invalid_warn_percent(e),
		    (unsigned long long)r->received,
		    (unsigned long long)r->invalid,
		    u128_str((u128)100 * r->invalid, a, sizeof(a)),
		    (unsigned long long)tly_election_invalid_warn_percent(e),
		    (unsigned long long)r->received,
		    u128_str(p, d, sizeof(d)));
	/* W4, with context. */
	if (x != NULL)
		check_spread(&c, e, r, x);
	/* W5, W6 */
	check_registered(&c, e, r);
	/* W7, with context: strictly after the deadline of the record's
	 * own rounds entry. */
	if (x != NULL && x->now != 0 && record_deadline(e, r, &deadline) &&
	    x->now > deadline)
		add(&c, "W7", "round", r->explanations[6] != NULL,
		    "submitted at %llu, after round %llu's deadline %llu "
		    "(Unix seconds, Art. 75(3))", (unsigned long long)x->now,
		    (unsigned long long)r->round,
		    (unsigned long long)deadline);

	/* H10: every explanation explains, and only a warning raised. */
	check_explanations(&c, r, x);

	if (c.blocked)
		return tly_fail(TLY_E_RECORD, "record %zu: %s", index,
		    c.first);
	return TLY_OK;
}
