/*
 * pairtext.h: the texts of phone pairings (tallyd's lan-listen,
 * PROTOCOL.md 9.6): the pairing cookie a browser sends back, a line of
 * the pairings file, and a phone's label.  Pure string code, so that a
 * fuzz target reaches every parser (tests/fuzz/fuzz_pair.c).
 */
#ifndef TLY_PAIRTEXT_H
#define TLY_PAIRTEXT_H

#include <stdint.h>

#define TLY_PAIR_ID_LEN		16	/* hex digits of a pairing id */
#define TLY_PAIR_TOKEN_HEX	64	/* hex digits of a token or hash */
#define TLY_PAIR_LABEL_MAX	32	/* bytes of a phone's label */
#define TLY_PAIR_COOKIE		"tally_pair="	/* the cookie's name and = */

/* 1 when s is a label: 1 to 32 of A-Z a-z 0-9 space . _ -, else 0. */
int	tly_pair_label_ok(const char *s);
/*
 * Find "tally_pair=<16 hex id>.<64 hex token>" at the start of a cookie
 * in the Cookie header cookies (NULL allowed).  1 with id and tok filled
 * (NUL-terminated, lowercase hex), else 0.
 */
int	tly_pair_cookie(const char *cookies, char id[TLY_PAIR_ID_LEN + 1],
	    char tok[TLY_PAIR_TOKEN_HEX + 1]);
/*
 * Parse one line of the pairings file, "<id> <hash> <created> <label>"
 * (no newline).  1 with the fields filled, else 0.
 */
int	tly_pair_line(const char *line, char id[TLY_PAIR_ID_LEN + 1],
	    char hash[TLY_PAIR_TOKEN_HEX + 1], uint64_t *created,
	    char label[TLY_PAIR_LABEL_MAX + 1]);

#endif /* TLY_PAIRTEXT_H */
