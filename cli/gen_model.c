/*
 * gen_model.c: the model of a generated election (see gen.h): places,
 * levels, constituencies with seats, candidates and planned outcome,
 * polling areas with their voters and turnout.
 *
 * The province size follows Thai Nguyen 2021 (law-2015, four levels):
 * 1,439 polling areas in 9 districts and 178 communes, constituencies
 * 3 / 27 / 88 / 1,358 with 7 / 66 / 319 / 4,073 seats, about 938,000
 * voters.  Its turnout is set from integers so that the National
 * Assembly's rounds to 99.68% and the councils' to 99.67%, and 83 commune
 * constituencies are planned short of winners: 11 below two thirds of
 * their seats (an additional election, Art. 79) and 72 one seat short
 * (a vacancy), 91 seats unfilled in all.
 *
 * The national sizes have 85,000 polling areas in 63 provinces, 705
 * districts and 10,600 communes: three levels (National Assembly,
 * province, district; the 2026 shape) or, for national-2021, a fourth
 * with 31,800 commune council constituencies.  Both exist for benchmarks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gen.h"
#include "common/err.h"
#include "election/election.h"

/* The province: its districts and how many communes each has. */
static const struct {
	const char	*name;		/* district display name */
	unsigned	 communes;	/* communes in it */
} tn_districts[] = {
	{ "Thành phố Thái Nguyên", 32 },
	{ "Thành phố Sông Công", 10 },
	{ "Thị xã Phổ Yên", 18 },
	{ "Huyện Định Hóa", 23 },
	{ "Huyện Võ Nhai", 15 },
	{ "Huyện Phú Lương", 15 },
	{ "Huyện Đồng Hỷ", 15 },
	{ "Huyện Đại Từ", 30 },
	{ "Huyện Phú Bình", 20 },
};

/* Syllables for commune names. */
static const char *const syl[] = {
	"Tân", "Hòa", "Bình", "Minh", "Phú", "Xuân", "Hùng", "Sơn", "Yên",
	"Lạc", "Đồng", "Tiến", "Thịnh", "Quang", "Vinh", "Cát", "Nê", "Lâm",
	"Hà", "Thượng", "Trung", "Kim", "Phúc", "An", "Khánh", "Thành",
};
/* Family, middle and given names for candidates. */
static const char *const fam[] = {
	"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ",
	"Hồ", "Ngô", "Dương", "Lý", "Ma", "Hà", "Lương", "Triệu", "Nông",
};
static const char *const mid[] = {
	"Văn", "Thị", "Đức", "Minh", "Thanh", "Quang", "Ngọc", "Hữu", "Thu",
	"Kim", "Xuân", "Mạnh",
};
static const char *const giv[] = {
	"Hà", "Minh", "Lan", "Huy", "Thắng", "Hồng", "Tuấn", "Hương", "Dũng",
	"Hạnh", "Nam", "Thủy", "Long", "Mai", "Sơn", "Trang", "Hải", "Linh",
	"Cường", "Yến", "Bình", "Phương", "Quân", "Thảo",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

uint64_t
gen_rand(struct gen_rng *r)
{
	uint64_t	z;

	z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
gen_range(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + gen_rand(r) % (hi - lo + 1);
}

/* Status names, indexed by enum gen_plan. */
static const char *const plan_names[] = {
	"DETERMINED", "NEEDS_ADDITIONAL_ELECTION", "NEEDS_REELECTION",
	"MANUAL_TIEBREAK",
};

const char *
gen_plan_name(int plan)
{
	return plan >= 0 && (size_t)plan < NELEM(plan_names) ?
	    plan_names[plan] : "?";
}

int
gen_plan_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < NELEM(plan_names); i++)
		if (strcmp(name, plan_names[i]) == 0)
			return (int)i;
	return -1;
}

/* Digits of n, at least min. */
static int
width(size_t n, int min)
{
	int	w = 1;

	while (n >= 10) {
		n /= 10;
		w++;
	}
	return w < min ? min : w;
}

/*
 * Split total over n parts in proportion to weights w, each part at
 * least 1 and, when cap is set, at most w[i].  Needs n <= total (and
 * total <= sum of w with cap).
 */
static void
split(struct gen_rng *rng, uint64_t total, const uint64_t *w, uint64_t *out,
    size_t n, int cap)
{
	uint64_t	 wsum = 0, used = 0, rem;
	size_t		 i;

	for (i = 0; i < n; i++)
		wsum += cap ? w[i] - 1 : w[i];
	rem = total - n;
	for (i = 0; i < n; i++) {
		out[i] = 1;
		if (wsum > 0)
			out[i] += rem * (cap ? w[i] - 1 : w[i]) / wsum;
		used += out[i];
	}
	i = (size_t)gen_range(rng, 0, n - 1);
	while (used < total) {
		if (!cap || out[i] < w[i]) {
			out[i]++;
			used++;
		}
		i = (i + 1) % n;
	}
}

/* Shuffle n indexes in place. */
static void
shuffle(struct gen_rng *rng, size_t *v, size_t n)
{
	size_t	i, j, t;

	for (i = n; i > 1; i--) {
		j = (size_t)gen_range(rng, 0, i - 1);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* A random date of birth between 1956 and 1996. */
static void
born(struct gen_rng *rng, char out[11])
{
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)gen_range(rng, 1956,
	    1996), (unsigned)gen_range(rng, 1, 12),
	    (unsigned)gen_range(rng, 1, 28));
}

/* The places of the model: provinces, districts, communes, areas. */
static int
build_places(struct gen_model *m, struct gen_rng *rng)
{
	uint64_t	*w = NULL, *n = NULL;
	size_t		 p, d, c, a, nd, nc;
	int		 r = TLY_E_NOMEM;

	if (m->size == GEN_COMMUNE) {
		m->nprov = m->ndist = m->ncomm = 1;
		m->nareas = 9;
	} else if (m->size == GEN_PROVINCE) {
		m->nprov = 1;
		m->ndist = NELEM(tn_districts);
		m->ncomm = 178;
		m->nareas = 1439;
	} else {	/* both national sizes */
		m->nprov = 63;
		m->ndist = 705;
		m->ncomm = 10600;
		m->nareas = 85000;
	}
	m->prov = calloc(m->nprov, sizeof(*m->prov));
	m->dist = calloc(m->ndist, sizeof(*m->dist));
	m->comm = calloc(m->ncomm, sizeof(*m->comm));
	m->areas = calloc(m->nareas, sizeof(*m->areas));
	nd = m->ndist > m->ncomm ? m->ndist : m->ncomm;
	w = calloc(nd, sizeof(*w));
	n = calloc(nd, sizeof(*n));
	if (m->prov == NULL || m->dist == NULL || m->comm == NULL ||
	    m->areas == NULL || w == NULL || n == NULL)
		goto out;

	/* Districts per province. */
	for (p = 0; p < m->nprov; p++)
		w[p] = 1;
	split(rng, m->ndist, w, n, m->nprov, 0);
	for (p = 0, d = 0; p < m->nprov; p++) {
		if (m->nprov == 1)
			snprintf(m->prov[p].name, sizeof(m->prov[p].name),
			    "Tỉnh Thái Nguyên");
		else
			snprintf(m->prov[p].name, sizeof(m->prov[p].name),
			    "Tỉnh số %02zu", p + 1);
		m->prov[p].first = d;
		m->prov[p].nchild = (size_t)n[p];
		for (nd = 0; nd < n[p]; nd++, d++)
			m->dist[d].parent = p;
	}
	/* Communes per district. */
	for (d = 0; d < m->ndist; d++)
		w[d] = m->size == GEN_PROVINCE ? tn_districts[d].communes :
		    gen_range(rng, 8, 22);
	split(rng, m->ncomm, w, n, m->ndist, 0);
	for (d = 0, c = 0; d < m->ndist; d++) {
		if (m->size == GEN_PROVINCE)
			snprintf(m->dist[d].name, sizeof(m->dist[d].name),
			    "%s", tn_districts[d].name);
		else if (m->size == GEN_COMMUNE)
			snprintf(m->dist[d].name, sizeof(m->dist[d].name),
			    "Huyện Đại Từ");
		else
			snprintf(m->dist[d].name, sizeof(m->dist[d].name),
			    "Huyện %s %s số %zu", syl[d % NELEM(syl)],
			    syl[(d / NELEM(syl) + 3) % NELEM(syl)], d + 1);
		m->dist[d].first = c;
		m->dist[d].nchild = (size_t)n[d];
		for (nc = 0; nc < n[d]; nc++, c++) {
			m->comm[c].parent = d;
			snprintf(m->comm[c].name, sizeof(m->comm[c].name),
			    "%s %s %s", d == 0 && m->size == GEN_PROVINCE ?
			    "Phường" : "Xã", syl[gen_rand(rng) % NELEM(syl)],
			    syl[gen_rand(rng) % NELEM(syl)]);
		}
	}
	/* Areas per commune. */
	for (c = 0; c < m->ncomm; c++)
		w[c] = gen_range(rng, 5, 11);
	split(rng, m->nareas, w, n, m->ncomm, 0);
	for (c = 0, a = 0; c < m->ncomm; c++) {
		m->comm[c].first = a;
		m->comm[c].nchild = (size_t)n[c];
		for (nc = 0; nc < n[c]; nc++, a++) {
			m->areas[a].commune = c;
			m->areas[a].number = (unsigned)nc + 1;
			snprintf(m->areas[a].id, sizeof(m->areas[a].id),
			    "KV-%0*zu", width(m->nareas, 4) & 7,
			    (a + 1) % 10000000);
		}
	}
	r = TLY_OK;
 out:
	free(w);
	free(n);
	return r;
}

/* Per level: how constituencies are laid out and their seats. */
struct level_spec {
	const char	*id;		/* level id */
	const char	*name;		/* level name */
	int		 na;		/* kind na */
	const char	*prefix;	/* constituency id prefix */
	int		 container;	/* 0 province, 1 district, 2 commune */
	size_t		 ncons;		/* constituencies */
	unsigned	 seats[4][2];	/* {seats, how many} */
};

/* The levels of each size. */
static const struct level_spec specs[3][GEN_LEVELS] = {
	{	/* commune */
		{ "na", "Quốc hội", 1, "NA-", 0, 1, { { 2, 1 } } },
		{ "province", "HĐND tỉnh", 0, "P-", 1, 1, { { 2, 1 } } },
		{ "district", "HĐND huyện", 0, "D-", 1, 1, { { 3, 1 } } },
		{ "commune", "HĐND xã", 0, "C-", 2, 4, { { 3, 2 }, { 2, 2 } } },
	},
	{	/* province */
		{ "na", "Quốc hội", 1, "NA-", 0, 3, { { 3, 1 }, { 2, 2 } } },
		{ "province", "HĐND tỉnh", 0, "P-", 1, 27,
		    { { 3, 12 }, { 2, 15 } } },
		{ "district", "HĐND huyện", 0, "D-", 1, 88,
		    { { 4, 55 }, { 3, 33 } } },
		{ "commune", "HĐND xã", 0, "C-", 2, 1358,
		    { { 2, 151 }, { 3, 1082 }, { 4, 100 }, { 5, 25 } } },
	},
	{	/* national */
		{ "na", "Quốc hội", 1, "NA-", 0, 184,
		    { { 3, 132 }, { 2, 52 } } },
		{ "province", "HĐND tỉnh", 0, "P-", 1, 1260,
		    { { 3, 1206 }, { 2, 54 } } },
		{ "district", "HĐND huyện", 0, "D-", 1, 6000,
		    { { 4, 4952 }, { 3, 1048 } } },
		{ NULL, NULL, 0, NULL, 0, 0, { { 0, 0 } } },
	},
};
/* national-2021: the national levels, then the commune councils. */
static const struct level_spec commune_2021 = { "commune", "HĐND xã", 0,
    "C-", 2, 31800, { { 3, 25000 }, { 2, 4000 }, { 4, 2000 }, { 5, 800 } } };

/*
 * The unit an area falls in within the container of a level: the
 * province's districts, the district's communes, the commune's areas.
 * *cont gets the container's index, *unit the unit's position in it.
 */
static void
area_unit(const struct gen_model *m, size_t a, int container, size_t *cont,
    size_t *unit)
{
	size_t	c = m->areas[a].commune, d = m->comm[c].parent;

	if (container == 0) {
		*cont = m->dist[d].parent;
		*unit = d - m->prov[*cont].first;
	} else if (container == 1) {
		*cont = d;
		*unit = c - m->dist[d].first;
	} else {
		*cont = c;
		*unit = a - m->comm[c].first;
	}
}

/* Constituencies of level l: layout, seats, candidates, default plan. */
static int
build_level(struct gen_model *m, struct gen_rng *rng, unsigned l,
    const struct level_spec *s, size_t base)
{
	const struct gen_place	*pl;
	uint64_t		*w = NULL, *n = NULL, *first = NULL;
	size_t			*perm = NULL, ncont, i, j, k, cont, unit, nu;
	struct gen_const	*c;
	int			 r = TLY_E_NOMEM;

	pl = s->container == 0 ? m->prov : s->container == 1 ? m->dist :
	    m->comm;
	ncont = s->container == 0 ? m->nprov : s->container == 1 ?
	    m->ndist : m->ncomm;
	if ((w = calloc(ncont, sizeof(*w))) == NULL ||
	    (n = calloc(ncont, sizeof(*n))) == NULL ||
	    (first = calloc(ncont, sizeof(*first))) == NULL ||
	    (perm = calloc(s->ncons, sizeof(*perm))) == NULL)
		goto out;
	for (i = 0; i < ncont; i++)
		w[i] = pl[i].nchild;
	split(rng, s->ncons, w, n, ncont, 1);
	for (i = 0, k = 0; i < ncont; i++) {
		first[i] = k;
		k += n[i];
	}
	for (i = 0; i < m->nareas; i++) {
		area_unit(m, i, s->container, &cont, &unit);
		nu = pl[cont].nchild;
		m->areas[i].cons[l] = base + first[cont] + unit * n[cont] / nu;
		m->cons[m->areas[i].cons[l]].nareas++;
	}
	/* Seats, shuffled over the constituencies. */
	for (i = 0; i < s->ncons; i++)
		perm[i] = i;
	shuffle(rng, perm, s->ncons);
	for (i = 0, k = 0, j = 0; i < s->ncons; i++) {
		while (k >= s->seats[j][1]) {
			j++;
			k = 0;
		}
		m->cons[base + perm[i]].seats = s->seats[j][0];
		k++;
	}
	for (i = 0; i < s->ncons; i++) {
		c = &m->cons[base + i];
		c->level = l;
		snprintf(c->id, sizeof(c->id), "%s%0*zu", s->prefix,
		    width(s->ncons, 2) & 7, (i + 1) % 10000000);
		c->ncand = (unsigned)tly_election_min_candidates(s->na ?
		    TLY_LEVEL_NA : TLY_LEVEL_COUNCIL, c->seats);
		c->plan = GEN_DETERMINED;
		c->winners = c->seats;
		for (j = 0; j < GEN_CAND; j++) {
			snprintf(c->cand[j].id, sizeof(c->cand[j].id),
			    "%s.%zu", c->id, j + 1);
			snprintf(c->cand[j].name, sizeof(c->cand[j].name),
			    "%s %s %s", fam[gen_rand(rng) % NELEM(fam)],
			    mid[gen_rand(rng) % NELEM(mid)],
			    giv[gen_rand(rng) % NELEM(giv)]);
			born(rng, c->cand[j].born);
		}
	}
	/* Names, after the areas: a commune constituency names its commune. */
	for (i = 0; i < m->nareas; i++) {
		c = &m->cons[m->areas[i].cons[l]];
		if (c->name[0] != '\0')
			continue;
		cont = m->areas[i].commune;
		snprintf(c->name, sizeof(c->name), "Đơn vị bầu cử số %zu "
		    "(%s, %s)", m->areas[i].cons[l] - base + 1, s->name,
		    s->container == 2 ? m->comm[cont].name :
		    s->container == 1 ? m->dist[m->comm[cont].parent].name :
		    m->prov[m->dist[m->comm[cont].parent].parent].name);
	}
	r = TLY_OK;
 out:
	free(w);
	free(n);
	free(first);
	free(perm);
	return r;
}

/* Give constituency c its plan: roles of the candidates. */
static void
set_roles(struct gen_rng *rng, struct gen_const *c)
{
	size_t	perm[GEN_CAND], i;

	for (i = 0; i < c->ncand; i++)
		perm[i] = i;
	shuffle(rng, perm, c->ncand);
	for (i = 0; i < c->ncand; i++)
		c->cand[perm[i]].role = i < c->winners ? GEN_ROLE_WINNER :
		    c->plan == GEN_TIEBREAK && i < c->winners + 2 ?
		    GEN_ROLE_TIE : GEN_ROLE_LOSER;
	if (c->plan == GEN_TIEBREAK)	/* the same day: no older one */
		memcpy(c->cand[perm[c->winners + 1]].born,
		    c->cand[perm[c->winners]].born, 11);
}

/*
 * Plan constituency c for status plan with k winners (k is ignored
 * except for DETERMINED and ADDITIONAL).  Fails when the plan cannot be
 * met with its seats.
 */
static int
plan(struct gen_model *m, struct gen_const *c, int p, unsigned k)
{
	int	na = m->level[c->level].na;

	c->plan = p;
	c->winners = c->seats;
	if (p == GEN_ADDITIONAL) {
		if (k == (unsigned)-1)
			k = na ? c->seats - 1 : (2 * c->seats - 1) / 3;
		c->winners = k;
		if (k == 0 && c->ncand < 3)	/* nobody above half */
			c->ncand = 3;
	} else if (p == GEN_TIEBREAK) {
		if (c->seats < 2)
			return tly_fail(TLY_E_INVAL, "%s: a tie at the cut-off "
			    "needs at least 2 seats, it has %u", c->id,
			    c->seats);
		c->winners = c->seats - 1;
	} else if (p == GEN_DETERMINED && k != (unsigned)-1)
		c->winners = k;
	return TLY_OK;
}

/* Thai Nguyen's commune councils: 11 additional elections, 72 vacancies. */
static void
plan_province(struct gen_model *m, const struct level_spec *s, size_t base)
{
	/* {seats, winners, plan, how many} */
	static const unsigned short want[][4] = {
		{ 3, 1, GEN_ADDITIONAL, 4 }, { 2, 1, GEN_ADDITIONAL, 3 },
		{ 4, 2, GEN_ADDITIONAL, 2 }, { 5, 3, GEN_ADDITIONAL, 2 },
		{ 3, 2, GEN_DETERMINED, 60 }, { 4, 3, GEN_DETERMINED, 8 },
		{ 5, 4, GEN_DETERMINED, 4 },
	};
	size_t		 i, j, got;
	struct gen_const *c;

	for (j = 0; j < NELEM(want); j++) {
		/* Spread them: every 11th constituency of those seats. */
		for (i = j, got = 0; got < want[j][3];
		    i = (i + 11) % s->ncons) {
			c = &m->cons[base + i];
			if (c->seats != want[j][0] || c->plan != GEN_DETERMINED
			    || c->winners != c->seats)
				continue;
			plan(m, c, want[j][2], want[j][1]);
			got++;
		}
	}
}

/* Voters and turnout of every area. */
static int
build_turnout(struct gen_model *m, struct gen_rng *rng)
{
	uint64_t	 tot = 0, target, non, wsum = 0, t_na, t_co, d;
	uint64_t	*w;
	size_t		 a, i;
	unsigned	 l;

	for (a = 0; a < m->nareas; a++) {
		m->areas[a].registered = m->size >= GEN_NATIONAL ?
		    gen_range(rng, 400, 1200) : gen_range(rng, 350, 950);
		tot += m->areas[a].registered;
	}
	if (m->size == GEN_PROVINCE) {	/* about 938,000 voters */
		for (target = 938000; tot != target; ) {
			a = (size_t)gen_range(rng, 0, m->nareas - 1);
			if (tot < target && m->areas[a].registered < 1500) {
				m->areas[a].registered++;
				tot++;
			} else if (tot > target &&
			    m->areas[a].registered > 300) {
				m->areas[a].registered--;
				tot--;
			}
		}
	}
	/*
	 * Non-voters: spread in proportion to a weight 0..4 (0: every voter
	 * voted, as in thousands of areas).  For the province, the totals
	 * are set so that 100 * voted / registered rounds to 99.68 at the
	 * National Assembly and 99.67 at the councils: voted is the least
	 * integer at or above 99.68% (99.67%) of registered, the middle of
	 * the rounding interval.
	 */
	if ((w = calloc(m->nareas, sizeof(*w))) == NULL)
		return TLY_E_NOMEM;
	tot = 0;
	for (a = 0; a < m->nareas; a++) {
		if (m->areas[a].low)
			continue;
		w[a] = gen_range(rng, 0, 4);
		wsum += w[a];
		tot += m->areas[a].registered;
	}
	t_na = (tot * 9968 + 9999) / 10000;
	t_co = (tot * 9967 + 9999) / 10000;
	if (m->size != GEN_PROVINCE) {
		t_na = tot - tot * gen_range(rng, 15, 40) / 10000;
		t_co = t_na - t_na / 20000;
	}
	non = tot - t_na;
	if (wsum == 0)		/* nobody stayed home */
		non = 0;
	for (a = 0, d = 0; a < m->nareas; a++) {
		struct gen_area *ar = &m->areas[a];
		uint64_t n = wsum ? non * w[a] / wsum : 0;

		if (ar->low) {
			n = ar->registered - ar->registered *
			    gen_range(rng, 35, 48) / 100;
		} else
			d += n;
		for (l = 0; l < m->nlevels; l++)
			ar->voted[l] = ar->registered - n;
	}
	for (i = (size_t)gen_range(rng, 0, m->nareas - 1); d < non;
	    i = (i + 1) % m->nareas) {
		if (w[i] == 0 || m->areas[i].voted[0] < 2)
			continue;
		for (l = 0; l < m->nlevels; l++)
			m->areas[i].voted[l]--;
		d++;
	}
	/* Councils: a voter here and there took only the NA ballot. */
	for (d = t_na - t_co; d > 0; ) {
		a = (size_t)gen_range(rng, 0, m->nareas - 1);
		if (m->areas[a].low || m->areas[a].voted[0] !=
		    m->areas[a].voted[1] || m->areas[a].voted[0] < 2)
			continue;
		for (l = 0; l < m->nlevels; l++)
			if (!m->level[l].na)
				m->areas[a].voted[l]--;
		d--;
	}
	free(w);
	return TLY_OK;
}

long
gen_model_find(const struct gen_model *m, const char *id)
{
	size_t	i;

	for (i = 0; i < m->nconst; i++)
		if (strcmp(m->cons[i].id, id) == 0)
			return (long)i;
	return -1;
}

int
gen_model_build(int size, uint64_t seed, const struct gen_target *t,
    size_t nt, struct gen_model **mp)
{
	struct gen_model	*m;
	struct gen_rng		 rng = { seed ^ 0x7a11e1ec7a11e1ecULL };
	struct level_spec	 s[GEN_LEVELS];
	size_t			 base[GEN_LEVELS], i, a;
	long			 ci;
	unsigned		 l;
	int			 r;

	*mp = NULL;
	memcpy(s, specs[size == GEN_NATIONAL_2021 ? GEN_NATIONAL : size],
	    sizeof(s));
	if (size == GEN_NATIONAL_2021)
		s[3] = commune_2021;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return tly_fail(TLY_E_NOMEM, "out of memory");
	m->size = size;
	m->seed = seed;
	snprintf(m->id, sizeof(m->id), "%s-seed%llu", size == GEN_COMMUNE ?
	    "commune-2021" : size == GEN_PROVINCE ? "thai-nguyen-2021" :
	    size == GEN_NATIONAL ? "national-2026" : "national-2021",
	    (unsigned long long)seed);
	for (l = 0; l < GEN_LEVELS && s[l].id != NULL; l++) {
		m->level[l].id = s[l].id;
		m->level[l].name = s[l].name;
		m->level[l].na = s[l].na;
		base[l] = m->nconst;
		m->nconst += s[l].ncons;
	}
	m->nlevels = l;
	if ((r = build_places(m, &rng)) != TLY_OK)
		goto out;
	if ((m->cons = calloc(m->nconst, sizeof(*m->cons))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	for (l = 0; l < m->nlevels; l++)
		if ((r = build_level(m, &rng, l, &s[l], base[l])) != TLY_OK)
			goto out;
	if (size == GEN_PROVINCE)
		plan_province(m, &s[3], base[3]);
	for (i = 0; i < nt; i++) {
		if ((ci = gen_model_find(m, t[i].cons)) < 0) {
			r = tly_fail(TLY_E_INVAL, "%s: no such constituency",
			    t[i].cons);
			goto out;
		}
		if ((r = plan(m, &m->cons[ci], t[i].plan, (unsigned)-1)) !=
		    TLY_OK)
			goto out;
		m->cons[ci].targeted = 1;
		if (t[i].plan == GEN_REELECTION)
			for (a = 0; a < m->nareas; a++)
				if (m->areas[a].cons[m->cons[ci].level] ==
				    (size_t)ci)
					m->areas[a].low = 1;
	}
	for (i = 0; i < m->nconst; i++)
		set_roles(&rng, &m->cons[i]);
	if ((r = build_turnout(m, &rng)) != TLY_OK)
		goto out;
	*mp = m;
	m = NULL;
	r = TLY_OK;
 out:
	if (r != TLY_OK && r != TLY_E_INVAL)
		r = tly_fail(r, "out of memory");
	gen_model_free(m);
	return r;
}

void
gen_model_free(struct gen_model *m)
{
	if (m == NULL)
		return;
	free(m->prov);
	free(m->dist);
	free(m->comm);
	free(m->cons);
	free(m->areas);
	free(m);
}
