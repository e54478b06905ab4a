/*
 * fuzz_envelope.h: for fuzz_batch.c and fuzz_receipt.c, an envelope
 * around a raw body as tly_envelope_parse() would fill it, with an
 * all-zero signature that nothing checks.
 */
#ifndef TLY_FUZZ_ENVELOPE_H
#define TLY_FUZZ_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "sync/wire.h"

/* Fill env with body[0..len) under ctx from signer; 0, or -1 if too big. */
static inline int
fuzz_envelope(struct tly_envelope *env, const char *ctx,
    const uint8_t signer[TLY_PK_LEN], const uint8_t *body, size_t len)
{
	static const uint8_t	nosig[TLY_SIG_LEN];

	if (len == 0 || len > TLY_BODY_MAX)
		return -1;
	memset(env, 0, sizeof(*env));
	env->msg = body;
	env->msglen = len;
	env->ctx = ctx;
	env->ctxlen = strlen(ctx);
	env->signer = signer;
	env->body = body;
	env->bodylen = len;
	env->sig = nosig;
	return 0;
}

#endif /* TLY_FUZZ_ENVELOPE_H */
