/*
 * fuzz_pair.c: libFuzzer target for the texts of phone pairings
 * (common/pairtext.c, PROTOCOL.md 9.6): the Cookie header a browser
 * sends to tallyd's lan-listen port, and a line of the pairings file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/pairtext.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, id[TLY_PAIR_ID_LEN + 1], tok[TLY_PAIR_TOKEN_HEX + 1];
	char		 label[TLY_PAIR_LABEL_MAX + 1];
	uint64_t	 t;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)tly_pair_cookie(s, id, tok);
	(void)tly_pair_line(s, id, tok, &t, label);
	(void)tly_pair_label_ok(s);
	free(s);
	return 0;
}
