/*
 * prom.h: the Prometheus text exposition format (version 0.0.4) for the
 * servers' GET /metrics: latency histograms kept in atomics, and the
 * "# HELP" / "# TYPE" lines.  No I/O; callers serve the buffer.
 */
#ifndef TLY_PROM_H
#define TLY_PROM_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/buf.h"

#define TLY_PROM_CTYPE	"text/plain; version=0.0.4"	/* Content-Type */
#define TLY_PROM_NBUCKETS	12	/* finite buckets, then +Inf */

/* A latency histogram in seconds; zero-initialised is empty. */
struct tly_prom_hist {
	atomic_uint_fast64_t	bucket[TLY_PROM_NBUCKETS + 1];	/* not cumulative */
	atomic_uint_fast64_t	sum_us;		/* sum of observations, in us */
};

/* Seconds on the monotonic clock, for measuring a latency. */
double	tly_prom_now(void);

/* Count one observation of seconds into h (thread-safe). */
void	tly_prom_observe(struct tly_prom_hist *h, double seconds);

/* Append the "# HELP name help" and "# TYPE name type" lines. */
int	tly_prom_head(struct tly_buf *b, const char *name, const char *type,
	    const char *help);

/*
 * Append histogram h as name_bucket{le="..."} (cumulative), name_sum and
 * name_count, after its HELP and TYPE lines.
 */
int	tly_prom_hist(struct tly_buf *b, const char *name, const char *help,
	    const struct tly_prom_hist *h);

#endif /* TLY_PROM_H */
