/*
 * loadgen.h: what the two files of bench/loadgen share: the bodies that
 * loadgen_body.c signs before the clock starts, and that loadgen.c (the
 * libcurl multi driver) posts.
 */
#ifndef TLY_BENCH_LOADGEN_H
#define TLY_BENCH_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

#define IDS_MAX		1024			/* constituencies sampled */
#define FIXED_TIME	1767225600ULL		/* -K: 2026-01-01, sealing time */

/* One pre-signed body. */
struct body {
	uint8_t		*p;		/* the bundle, maybe gzipped */
	size_t		 len;
	size_t		 nrec;		/* records in it */
	unsigned	 tries;		/* posts again after a failure (-b) */
};

/* The pre-signed bodies of a run and the constituencies they name. */
struct bodies {
	struct body	*bodies;	/* nbodies pre-signed */
	size_t		 nbodies;
	char		 ids[IDS_MAX][TLY_ID_MAX + 1];	/* constituencies */
	size_t		 nids;		/* entries in ids[] */
};

/*
 * Sign one batch per area file of dir (after skip, at most n) with its
 * first nrec records into bs, each with a fresh key (fixed: one derived
 * from the file name, sealed at FIXED_TIME); gzip compresses the bundles,
 * forged flips a signature bit.  TLY_OK or a negative tly code.
 */
int	loadgen_presign(struct bodies *bs, const char *election,
	    const char *dir, size_t skip, size_t n, size_t nrec, int fixed,
	    int gzip, int forged);

#endif /* TLY_BENCH_LOADGEN_H */
