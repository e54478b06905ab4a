/*
 * verify.c: PROTOCOL.md section 10 steps 1-7 for one entry, the only
 * place that decides whether a signed message is a valid batch.
 *
 *   1-5  envelope, context, signature, batch id, body (tly_batch_parse),
 *        plus the bounds of "created" (section 4)
 *   6    election hash, mode, device policy (device list, then the
 *        trust policy of 13.7)
 *   7    every record against the definition (section 5.1)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "sync/trust.h"
#include "sync/verify.h"

/* The rejection codes that are verdicts on the batch itself (9.1). */
static const char *const final_codes[] = {
	"truncated", "bad_magic", "bad_version", "bad_context", "too_large",
	"trailing_bytes", "bad_signature", "bad_batch", "bad_record",
	"chain_broken", "seq_conflict", NULL
};

/* Fill res->detail (printf-style) and return err. */
static int __attribute__((format(printf, 3, 4)))
verdict(struct tly_verify_result *res, int err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
	return err;
}

/* Compare two device keys, for bsearch(). */
static int
key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, TLY_PK_LEN);
}

int
tly_verify_device_allowed(const struct tly_verify_policy *pol,
    const uint8_t device[TLY_PK_LEN])
{
	if (pol->devices == NULL || pol->ndevices == 0)
		return 1;
	return bsearch(device, pol->devices, pol->ndevices, TLY_PK_LEN,
	    key_cmp) != NULL;
}

int
tly_verify_code_final(const char *code)
{
	size_t	i;

	if (code == NULL)
		return 0;
	for (i = 0; final_codes[i] != NULL; i++)
		if (strcmp(code, final_codes[i]) == 0)
			return 1;
	return 0;
}

/*
 * Step 7: check every record of b against the definition; the detail
 * names the first blocking problem of the first failing record.
 */
static int
check_records(const struct tly_election *e, const struct tly_batch *b,
    struct tly_verify_result *res)
{
	struct tly_problems	*probs;
	const struct tly_problem *p;
	char			 first[TLY_VERIFY_DETAIL_MAX];
	size_t			 i, k;
	int			 r = TLY_OK;

	if ((probs = malloc(sizeof(*probs))) == NULL)
		return TLY_E_NOMEM;
	for (i = 0; i < b->nrecords; i++) {
		/* A field daemon holds its own areas only (PROTOCOL.md 9):
		 * the records of others are the central's to judge. */
		if (tly_election_partial(e) &&
		    tly_election_find_area(e, b->records[i].area) < 0)
			continue;
		memset(probs, 0, sizeof(*probs));
		tly_errclear();
		r = tly_record_check(e, &b->records[i], i, probs);
		if (r == TLY_OK)
			continue;
		if (r != TLY_E_RECORD)
			goto out;
		if (res->bad_records++ > 0)
			continue;
		/* A warning counts when it has no explanation (5.1). */
		for (k = 0; k < probs->n; k++) {
			p = &probs->p[k];
			if (!p->warning || !p->explained)
				break;
		}
		if (k < probs->n)
			snprintf(first, sizeof(first), "record %zu: %s "
			    "(fields: %s)", i, p->message, p->fields);
		else
			snprintf(first, sizeof(first), "%s", tly_errdetail());
	}
	r = TLY_OK;
	if (res->bad_records == 1)
		r = verdict(res, TLY_E_RECORD, "%s", first);
	else if (res->bad_records > 1)
		r = verdict(res, TLY_E_RECORD, "%s (and %zu more records)",
		    first, res->bad_records - 1);
 out:
	free(probs);
	return r;
}

int
tly_verify_entry(const struct tly_verify_ctx *ctx, const uint8_t *m,
    size_t len, struct tly_verify_result *res)
{
	struct tly_envelope	 env;
	struct tly_batch	*b = NULL;
	char			 h1[TLY_HEX_HASH], h2[TLY_HEX_HASH];
	int			 r, want_test;

	memset(res, 0, sizeof(*res));
	/* Steps 1-5; the id is known wherever the envelope parses. */
	if (tly_envelope_parse(m, len, &env) == TLY_OK) {
		tly_hash(m, len, res->id);
		res->has_id = 1;
	}
	tly_errclear();
	if ((r = tly_batch_parse(m, len, &b)) != TLY_OK) {
		verdict(res, r, "%s", tly_errdetail());
		goto out;
	}
	res->parsed = 1;
	memcpy(res->device, b->device, TLY_PK_LEN);
	res->seq = b->seq;
	memcpy(res->prev, b->prev, TLY_HASH_LEN);
	res->nrecords = b->nrecords;
	if (b->created < TLY_CREATED_MIN || b->created >= TLY_CREATED_MAX) {
		r = verdict(res, TLY_E_BATCH, "created: %llu is outside "
		    "2020-01-01 .. 2100-01-01 (%llu .. %llu)",
		    (unsigned long long)b->created, TLY_CREATED_MIN,
		    TLY_CREATED_MAX - 1);
		goto out;
	}

	/* Step 6: election, mode, device policy. */
	if (ctx->election != NULL &&
	    !tly_memeq(b->election, ctx->election_hash, TLY_HASH_LEN)) {
		r = verdict(res, TLY_E_ELECTION, "election %s is not the "
		    "hash of this election definition, %s",
		    tly_hex(b->election, TLY_HASH_LEN, h1),
		    tly_hex(ctx->election_hash, TLY_HASH_LEN, h2));
		goto out;
	}
	if (ctx->mode != TLY_VERIFY_MODE_ANY) {
		want_test = ctx->mode == TLY_VERIFY_MODE_TEST;
		if (b->test != want_test) {
			r = verdict(res, TLY_E_MODE, "the batch is for %s "
			    "mode, this verifier requires %s mode",
			    b->test ? "test" : "live",
			    want_test ? "test" : "live");
			goto out;
		}
	}
	if (!tly_verify_device_allowed(&ctx->policy, b->device)) {
		r = verdict(res, TLY_E_DEVICE, "device %s is not on the "
		    "device list", tly_hex(b->device, TLY_PK_LEN, h1));
		goto out;
	}
	if (ctx->policy.trust != NULL) {
		tly_errclear();
		if ((r = tly_trust_check_batch(ctx->policy.trust, b,
		    ctx->policy.receipt_time)) != TLY_OK) {
			verdict(res, r, "%s", tly_errdetail());
			goto out;
		}
	}

	/* Step 7. */
	if (ctx->election != NULL &&
	    (r = check_records(ctx->election, b, res)) != TLY_OK)
		goto out;
	res->batch = b;
	b = NULL;		/* transferred */
	r = TLY_OK;
 out:
	tly_batch_free(b);
	return r;
}
