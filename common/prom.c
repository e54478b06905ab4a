/*
 * prom.c: Prometheus text exposition helpers (see prom.h).
 */
#include <time.h>

#include "common/err.h"
#include "common/prom.h"

/* Upper bounds of the finite buckets, in seconds. */
static const double prom_le[TLY_PROM_NBUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10
};

double
tly_prom_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
tly_prom_observe(struct tly_prom_hist *h, double seconds)
{
	size_t	i;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < TLY_PROM_NBUCKETS && seconds > prom_le[i]; i++)
		;
	atomic_fetch_add(&h->bucket[i], 1);
	atomic_fetch_add(&h->sum_us, (uint_fast64_t)(seconds * 1e6));
}

int
tly_prom_head(struct tly_buf *b, const char *name, const char *type,
    const char *help)
{
	return tly_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

int
tly_prom_hist(struct tly_buf *b, const char *name, const char *help,
    const struct tly_prom_hist *h)
{
	uint64_t	cum = 0;
	size_t		i;
	int		r;

	if ((r = tly_prom_head(b, name, "histogram", help)) != TLY_OK)
		return r;
	for (i = 0; i <= TLY_PROM_NBUCKETS; i++) {
		cum += atomic_load(&h->bucket[i]);
		if (i < TLY_PROM_NBUCKETS)
			r = tly_buf_addf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
			    prom_le[i], (unsigned long long)cum);
		else
			r = tly_buf_addf(b, "%s_bucket{le=\"+Inf\"} %llu\n",
			    name, (unsigned long long)cum);
		if (r != TLY_OK)
			return r;
	}
	/* count is the +Inf bucket, so the two agree under concurrency. */
	return tly_buf_addf(b, "%s_sum %.6f\n%s_count %llu\n", name,
	    (double)atomic_load(&h->sum_us) / 1e6, name,
	    (unsigned long long)cum);
}
