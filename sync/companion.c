/*
 * companion.c: which entries of a bundle file are companions (PROTOCOL.md
 * 7.2), told by their context.
 */
#include <string.h>

#include "common/err.h"

#include "sync/companion.h"
#include "sync/trust.h"
#include "sync/wire.h"

/* The companion contexts, by kind. */
static const struct {
	enum tly_companion	 kind;
	const char		*ctx;
	const char		*name;
} kinds[] = {
	{ TLY_COMPANION_RECEIPT, TLY_CTX_RECEIPT, "receipt" },
	{ TLY_COMPANION_DEFINITION, TLY_CTX_DEFINITION,
	    "definition statement" },
	{ TLY_COMPANION_CERT, TLY_CTX_CERT, "device certificate" },
	{ TLY_COMPANION_CENTRAL_CERT, TLY_CTX_CENTRAL_CERT,
	    "central certificate" },
	{ TLY_COMPANION_REVOCATIONS, TLY_CTX_REVOCATIONS, "revocation list" },
};

enum tly_companion
tly_companion_kind(const uint8_t *m, size_t len, unsigned version)
{
	struct tly_envelope	env;
	size_t			i;

	if (version == TLY_BUNDLE_VERSION ||
	    tly_envelope_parse(m, len, &env) != 0)
		return TLY_COMPANION_NONE;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (env.ctxlen == strlen(kinds[i].ctx) &&
		    memcmp(env.ctx, kinds[i].ctx, env.ctxlen) == 0)
			return kinds[i].kind;
	return TLY_COMPANION_NONE;
}

int
tly_companion_receipt(const struct tly_trust *trust, const uint8_t *m,
    size_t len, struct tly_receipt *rc, uint8_t signer[32])
{
	struct tly_envelope	env;
	char			h[TLY_HEX_PK];
	int			r;

	memset(rc, 0, sizeof(*rc));
	if ((r = tly_envelope_parse(m, len, &env)) != TLY_OK ||
	    (r = tly_receipt_verify(m, len, env.signer, rc)) != TLY_OK)
		return r;
	memcpy(signer, env.signer, TLY_PK_LEN);
	if (trust != NULL && (r = tly_trust_check_central(trust, env.signer,
	    rc->stored)) != TLY_OK)
		return tly_fail(r, "central key %s: %s", tly_hex(env.signer,
		    TLY_PK_LEN, h), tly_errdetail());
	return TLY_OK;
}

const char *
tly_companion_name(enum tly_companion kind)
{
	size_t	i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "batch";
}
