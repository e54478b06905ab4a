/*
 * text.c: padding UTF-8 text to a display width, so that tables of
 * Vietnamese names line up (the width itself is tly_text_width()).
 */
#include <string.h>

#include "cli/cli.h"
#include "election/election.h"

const char *
cli_pad(const char *s, size_t width, char *out, size_t outlen)
{
	size_t	 len, w;

	if (outlen == 0)
		return out;
	len = strlen(s);
	if (len >= outlen)
		len = outlen - 1;
	memmove(out, s, len);
	out[len] = '\0';
	for (w = tly_text_width(out); w < width && len + 1 < outlen; w++)
		out[len++] = ' ';
	out[len] = '\0';
	return out;
}
