/*
 * ceiling.c: the machine's own limits for the central, for bench/run.sh.
 *
 *	ceiling [-t threads] [-s seconds] DIR
 *
 * Prints Ed25519 verifications per second over all threads (default:
 * one per online CPU), each verifying the same one-record batch through
 * crypto/, and fdatasync calls per second on a file in DIR (a 4 KiB
 * write at the end, then fdatasync, as a commit does), then one line
 * "RESULT verify_s=... fsync_s=..." for scripts.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "sync/wire.h"

#define THREADS_MAX	64

/* One verifying thread's work and count. */
struct worker {
	pthread_t	 th;
	const uint8_t	*pk, *m, *sig;	/* what it verifies */
	size_t		 len;		/* signed bytes */
	double		 secs;		/* how long */
	long		 n;		/* verifications done */
	int		 bad;		/* a verification failed */
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
verify_loop(void *arg)
{
	struct worker	*w = arg;
	double		 t0 = now();

	while (now() - t0 < w->secs) {
		for (int i = 0; i < 64; i++)
			if (tly_sig_verify(w->pk, w->m, w->len, w->sig) != 0)
				w->bad = 1;
		w->n += 64;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct worker		 w[THREADS_MAX];
	struct tly_key		*key = NULL;
	struct tly_record	 rec;
	struct tly_buf		 m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_envelope	 env;
	uint8_t			 election[32] = { 1 }, page[4096];
	char			 path[4200];
	double			 secs = 2, t0, verify_s, fsync_s;
	long			 nthreads = sysconf(_SC_NPROCESSORS_ONLN), n, i;
	int			 ch, fd;

	while ((ch = getopt(argc, argv, "s:t:")) != -1) {
		if (ch == 's')
			secs = atof(optarg);
		else if (ch == 't')
			nthreads = atol(optarg);
		else
			return 2;
	}
	if (optind + 1 != argc || nthreads < 1 || nthreads > THREADS_MAX ||
	    strlen(argv[optind]) > 4000)
		return fprintf(stderr, "usage: ceiling [-t threads] "
		    "[-s seconds] dir\n"), 2;
	if (tly_crypto_init() != 0 || tly_key_generate(&key) != 0)
		return 1;
	tly_record_init(&rec);
	strcpy(rec.area, "A1");
	strcpy(rec.level, "na");
	strcpy(rec.constituency, "NA-1");
	rec.round = 1;
	rec.registered = 1000;
	rec.voted = rec.issued = rec.received = 990;
	rec.valid = 980;
	rec.invalid = 10;
	rec.nvotes = 1;
	strcpy(rec.votes[0].cand, "c1");
	rec.votes[0].votes = 980;
	if (tly_batch_seal(key, 1, NULL, 1, 0, election, &rec, 1, &m,
	    NULL) != 0 || tly_envelope_parse(m.p, m.len, &env) != 0)
		return 1;

	for (i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .pk = env.signer, .m = m.p,
		    .sig = env.sig, .len = m.len - TLY_SIG_LEN, .secs = secs };
		if (pthread_create(&w[i].th, NULL, verify_loop, &w[i]) != 0)
			return 1;
	}
	t0 = now();
	for (i = 0, n = 0; i < nthreads; i++) {
		pthread_join(w[i].th, NULL);
		if (w[i].bad)
			return fprintf(stderr, "ceiling: verify failed\n"), 1;
		n += w[i].n;
	}
	verify_s = (double)n / (now() - t0);

	snprintf(path, sizeof(path), "%s/ceiling.fsync", argv[optind]);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return perror(path), 1;
	memset(page, 0xa5, sizeof(page));
	for (n = 0, t0 = now(); now() - t0 < secs; n++)
		if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page) ||
		    fdatasync(fd) != 0)
			return perror(path), 1;
	fsync_s = (double)n / (now() - t0);
	close(fd);
	unlink(path);

	printf("ceiling: ed25519 verify, %ld threads: %.0f /s\n", nthreads,
	    verify_s);
	printf("ceiling: fdatasync in %s: %.0f /s\n", argv[optind], fsync_s);
	printf("RESULT verify_s=%.0f fsync_s=%.0f\n", verify_s, fsync_s);
	tly_record_finish(&rec);
	tly_buf_free(&m);
	tly_key_free(key);
	return 0;
}
