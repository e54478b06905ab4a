/*
 * bench_wire.c: how close batch verification comes to the machine's own
 * Ed25519 verify rate.  Prints figures; asserts nothing about time.
 *
 * Measured in one run: raw Ed25519 verifications per second, then full
 * batch parses (envelope, signature, JSON body, records) and seals per
 * second, for one-record batches, and the ratios between them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "sync/wire.h"

#define SECONDS	1.0

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
make_record(struct tly_record *r)
{
	tly_record_init(r);
	strcpy(r->area, "A0001");
	strcpy(r->level, "na");
	strcpy(r->constituency, "NA-1");
	r->round = 1;
	r->registered = 1000;
	r->voted = r->issued = r->received = 990;
	r->valid = 980;
	r->invalid = 10;
	r->nvotes = 5;
	for (size_t i = 0; i < r->nvotes; i++) {
		snprintf(r->votes[i].cand, sizeof(r->votes[i].cand), "c%zu", i);
		r->votes[i].votes = 300 + i;
	}
}

int
main(void)
{
	struct tly_key		*key = NULL;
	struct tly_record	 rec;
	struct tly_buf		 m = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_envelope	 env;
	uint8_t			 election[32] = { 1 }, id[32];
	double			 t0, verify_rate, parse_rate, seal_rate;
	long			 n;

	if (tly_crypto_init() != 0 || tly_key_generate(&key) != 0)
		return 1;
	make_record(&rec);
	if (tly_batch_seal(key, 1, NULL, 1, 0, election, &rec, 1, &m, id) != 0)
		return 1;
	if (tly_envelope_parse(m.p, m.len, &env) != 0)
		return 1;

	for (n = 0, t0 = now(); now() - t0 < SECONDS; n++)
		if (tly_sig_verify(env.signer, m.p, m.len - TLY_SIG_LEN,
		    env.sig) != 0)
			return 1;
	verify_rate = (double)n / (now() - t0);

	for (n = 0, t0 = now(); now() - t0 < SECONDS; n++) {
		struct tly_batch *b = NULL;
		if (tly_batch_parse(m.p, m.len, &b) != 0)
			return 1;
		tly_batch_free(b);
	}
	parse_rate = (double)n / (now() - t0);

	for (n = 0, t0 = now(); now() - t0 < SECONDS; n++) {
		struct tly_buf s = TLY_BUF_INIT(TLY_MSG_MAX);
		if (tly_batch_seal(key, 2, id, 2, 0, election, &rec, 1, &s,
		    NULL) != 0)
			return 1;
		tly_buf_free(&s);
	}
	seal_rate = (double)n / (now() - t0);

	printf("one-record batch: %zu bytes signed\n", m.len);
	printf("ed25519 verify:   %10.0f /s\n", verify_rate);
	printf("batch parse:      %10.0f /s  (%.2f of raw verify)\n",
	    parse_rate, parse_rate / verify_rate);
	printf("batch seal:       %10.0f /s  (%.2f of raw verify)\n",
	    seal_rate, seal_rate / verify_rate);
	printf("national night:   340000 records parse in %.1f s on one core\n",
	    340000.0 / parse_rate);
	tly_record_finish(&rec);
	tly_buf_free(&m);
	tly_key_free(key);
	return 0;
}
