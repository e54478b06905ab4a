/*
 * pairtext.c: the texts of phone pairings (pairtext.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/pairtext.h"

/* n lowercase hex digits at p, and no more is required. */
static int
hex_run(const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] == '\0' || strchr("0123456789abcdef", p[i]) == NULL)
			return 0;
	return 1;
}

int
tly_pair_label_ok(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > TLY_PAIR_LABEL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789 ._-", s[i]) == NULL)
			return 0;
	return 1;
}

int
tly_pair_cookie(const char *cookies, char id[TLY_PAIR_ID_LEN + 1],
    char tok[TLY_PAIR_TOKEN_HEX + 1])
{
	const char	*c;
	size_t		 n;

	if (cookies == NULL)
		return 0;
	for (c = strstr(cookies, TLY_PAIR_COOKIE); c != NULL;
	    c = strstr(c + 1, TLY_PAIR_COOKIE))
		if (c == cookies || c[-1] == ' ' || c[-1] == ';')
			break;
	if (c == NULL)
		return 0;
	c += strlen(TLY_PAIR_COOKIE);
	n = strcspn(c, "; ");
	if (n != TLY_PAIR_ID_LEN + 1 + TLY_PAIR_TOKEN_HEX ||
	    !hex_run(c, TLY_PAIR_ID_LEN) || c[TLY_PAIR_ID_LEN] != '.' ||
	    !hex_run(c + TLY_PAIR_ID_LEN + 1, TLY_PAIR_TOKEN_HEX))
		return 0;
	memcpy(id, c, TLY_PAIR_ID_LEN);
	id[TLY_PAIR_ID_LEN] = '\0';
	memcpy(tok, c + TLY_PAIR_ID_LEN + 1, TLY_PAIR_TOKEN_HEX);
	tok[TLY_PAIR_TOKEN_HEX] = '\0';
	return 1;
}

int
tly_pair_line(const char *line, char id[TLY_PAIR_ID_LEN + 1],
    char hash[TLY_PAIR_TOKEN_HEX + 1], uint64_t *created,
    char label[TLY_PAIR_LABEL_MAX + 1])
{
	const char	*p = line;
	uint64_t	 t = 0;

	if (!hex_run(p, TLY_PAIR_ID_LEN) || p[TLY_PAIR_ID_LEN] != ' ')
		return 0;
	memcpy(id, p, TLY_PAIR_ID_LEN);
	id[TLY_PAIR_ID_LEN] = '\0';
	p += TLY_PAIR_ID_LEN + 1;
	if (!hex_run(p, TLY_PAIR_TOKEN_HEX) || p[TLY_PAIR_TOKEN_HEX] != ' ')
		return 0;
	memcpy(hash, p, TLY_PAIR_TOKEN_HEX);
	hash[TLY_PAIR_TOKEN_HEX] = '\0';
	p += TLY_PAIR_TOKEN_HEX + 1;
	if (*p < '0' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (t > (UINT64_MAX - 9) / 10)
			return 0;
		t = t * 10 + (uint64_t)(*p - '0');
	}
	if (*p++ != ' ' || !tly_pair_label_ok(p))
		return 0;
	*created = t;
	snprintf(label, TLY_PAIR_LABEL_MAX + 1, "%s", p);
	return 1;
}
