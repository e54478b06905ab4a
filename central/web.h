/*
 * web.h: the pages tally-central serves (central/web.c, PROTOCOL.md 8.9):
 * static files built into the binary from web/central/ by web/embed.sh.
 */
#ifndef TLY_CENTRAL_WEB_H
#define TLY_CENTRAL_WEB_H

#include <stddef.h>

/* One file of web/central/, as built into the binary. */
struct tly_web_asset {
	const char		*name;	/* file name, e.g. "dashboard.js" */
	const char		*type;	/* its Content-Type */
	const unsigned char	*data;	/* its bytes */
	size_t			 len;	/* their number */
};

/* Every asset, ended by an entry whose name is NULL (generated). */
extern const struct tly_web_asset tly_web_assets[];

#endif /* TLY_CENTRAL_WEB_H */
