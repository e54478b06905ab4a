/*
 * guard.c: a token bucket per source address for failed verifications
 * (guard.h, PROTOCOL.md 8.5).  The buckets live in a fixed table of
 * TLY_VERIFY_FAIL_ADDRS entries, in sets of WAYS by a hash of the
 * address: a new address takes the fullest bucket of its set, so an
 * address that has recovered is forgotten before one that is limited.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/guard.h"
#include "common/err.h"
#include "common/limits.h"

#define WAYS		8		/* buckets per set */
#define ADDR_MAX	48		/* an address as text, with its NUL */
#define MILLI		1000		/* tokens are counted in thousandths */

/* One address's bucket. */
struct bucket {
	char		addr[ADDR_MAX];	/* the address; "" when unused */
	uint64_t	tokens;		/* thousandths of a token */
	uint64_t	at_ms;		/* when tokens was last brought up to date */
};

struct tly_guard {
	pthread_mutex_t	 mu;		/* guards b[] */
	struct bucket	*b;		/* TLY_VERIFY_FAIL_ADDRS buckets */
	size_t		 nsets;		/* sets of WAYS buckets */
};

int
tly_guard_create(struct tly_guard **gp)
{
	struct tly_guard	*g;

	*gp = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return TLY_E_NOMEM;
	g->nsets = TLY_VERIFY_FAIL_ADDRS / WAYS;
	if ((g->b = calloc(g->nsets * WAYS, sizeof(*g->b))) == NULL ||
	    pthread_mutex_init(&g->mu, NULL) != 0) {
		free(g->b);
		free(g);
		return TLY_E_NOMEM;
	}
	*gp = g;
	return TLY_OK;
}

void
tly_guard_destroy(struct tly_guard *g)
{
	if (g == NULL)
		return;
	pthread_mutex_destroy(&g->mu);
	free(g->b);
	free(g);
}

/* Bring bucket k's tokens up to now_ms. */
static void
refill(struct bucket *k, uint64_t now_ms)
{
	uint64_t	full = (uint64_t)TLY_VERIFY_FAIL_BURST * MILLI;

	if (now_ms > k->at_ms) {
		k->tokens += (now_ms - k->at_ms) * TLY_VERIFY_FAIL_RATE;
		if (k->tokens > full)
			k->tokens = full;
	}
	k->at_ms = now_ms;
}

/*
 * The bucket of addr (lock held), or NULL when it has none and create
 * is 0; a new bucket starts full.
 */
static struct bucket *
find(struct tly_guard *g, const char *addr, uint64_t now_ms, int create)
{
	struct bucket	*set, *best = NULL;
	uint64_t	 h = 14695981039346656037ULL;
	const char	*p;
	size_t		 i;

	for (p = addr; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	set = &g->b[(h % g->nsets) * WAYS];
	for (i = 0; i < WAYS; i++) {
		if (set[i].addr[0] != '\0' &&
		    strncmp(set[i].addr, addr, ADDR_MAX - 1) == 0) {
			refill(&set[i], now_ms);
			return &set[i];
		}
		if (set[i].addr[0] == '\0')
			set[i].tokens = UINT64_MAX;	/* unused: first */
		else
			refill(&set[i], now_ms);
		if (best == NULL || set[i].tokens > best->tokens)
			best = &set[i];
	}
	if (!create)
		return NULL;
	snprintf(best->addr, sizeof(best->addr), "%s", addr);
	best->tokens = (uint64_t)TLY_VERIFY_FAIL_BURST * MILLI;
	best->at_ms = now_ms;
	return best;
}

/* Seconds until bucket k holds a token (lock held); 0 if it does. */
static unsigned
wait_s(const struct bucket *k)
{
	uint64_t	 need, per_s = (uint64_t)TLY_VERIFY_FAIL_RATE * MILLI;

	if (k == NULL || k->tokens >= MILLI)
		return 0;
	need = MILLI - k->tokens;	/* thousandths to wait for */
	return need < per_s ? 1 : (unsigned)((need + per_s - 1) / per_s);
}

unsigned
tly_guard_check(struct tly_guard *g, const char *addr, uint64_t now_ms)
{
	unsigned	 s;

	pthread_mutex_lock(&g->mu);
	s = wait_s(find(g, addr, now_ms, 0));
	pthread_mutex_unlock(&g->mu);
	return s;
}

unsigned
tly_guard_admit(struct tly_guard *g, const char *addr, uint64_t now_ms,
    int *held)
{
	struct bucket	*k;
	unsigned	 s;

	*held = 0;
	pthread_mutex_lock(&g->mu);
	k = find(g, addr, now_ms, 0);
	if ((s = wait_s(k)) == 0 && k != NULL &&
	    k->tokens < (uint64_t)TLY_VERIFY_FAIL_BURST * MILLI / 2) {
		k->tokens -= MILLI;
		*held = 1;
	}
	pthread_mutex_unlock(&g->mu);
	return s;
}

void
tly_guard_refund(struct tly_guard *g, const char *addr, uint64_t now_ms)
{
	struct bucket	*k;
	uint64_t	 full = (uint64_t)TLY_VERIFY_FAIL_BURST * MILLI;

	pthread_mutex_lock(&g->mu);
	if ((k = find(g, addr, now_ms, 0)) != NULL)
		k->tokens = k->tokens + MILLI < full ? k->tokens + MILLI : full;
	pthread_mutex_unlock(&g->mu);
}

int
tly_guard_charge(struct tly_guard *g, const char *addr, unsigned n,
    uint64_t now_ms)
{
	struct bucket	*k;
	uint64_t	 take = (uint64_t)n * MILLI;
	int		 emptied;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&g->mu);
	k = find(g, addr, now_ms, 1);
	emptied = k->tokens >= MILLI;
	k->tokens = k->tokens > take ? k->tokens - take : 0;
	emptied = emptied && k->tokens < MILLI;
	pthread_mutex_unlock(&g->mu);
	return emptied;
}
