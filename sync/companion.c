/*
 * companion.c: which entries of a bundle file are companions (PROTOCOL.md
 * 7.2), told by their context.
 */
#include <string.h>

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

const char *
tly_companion_name(enum tly_companion kind)
{
	size_t	i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "batch";
}
