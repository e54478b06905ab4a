/*
 * fuzz_election_stream.c: libFuzzer target for the definition read as a
 * stream (tly_election_read_scope), in chunks whose size the input's
 * length chooses.  Two oracles abort on disagreement:
 *   - for every area, it accepts exactly what tly_election_parse()
 *     accepts;
 *   - for the areas A01 and A02, a definition that tly_election_parse()
 *     accepts and that holds one of them gives a subset that reads, and
 *     every area of that subset is one of them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "election/election.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input, handed out chunk bytes at a time. */
struct src {
	const uint8_t	*p;	/* the input */
	size_t		 len;	/* its bytes */
	size_t		 at;	/* next byte */
	size_t		 chunk;	/* bytes per read at most */
};

static int
src_read(void *arg, void *buf, size_t max, size_t *got)
{
	struct src	*s = arg;
	size_t		 n = s->len - s->at;

	if (n > max)
		n = max;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->p + s->at, n);
	s->at += n;
	*got = n;
	return TLY_OK;
}

static int
src_rewind(void *arg)
{
	((struct src *)arg)->at = 0;
	return TLY_OK;
}

/* Read data for scope; 1 when it reads, with *ep set. */
static int
read_as(const uint8_t *data, size_t size, const struct tly_election_scope *sc,
    struct tly_election **ep)
{
	struct src	 s = { data, size, 0, size % 61 + 1 };
	struct tly_election_source src = { src_read, src_rewind, &s };
	struct tly_buf	 doc = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	int		 r;

	r = tly_election_read_scope(&src, sc, &doc, ep);
	tly_buf_free(&doc);
	return r == TLY_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char two[][TLY_ID_MAX + 1] = { "A01", "A02" };
	const struct tly_election_scope all = { 1, 0, NULL };
	const struct tly_election_scope some = { 0, 2, two };
	struct tly_election	*e = NULL, *s = NULL;
	size_t			 i;
	int			 whole, held;

	whole = tly_election_parse(data, size, &e) == TLY_OK;
	if (read_as(data, size, &all, &s) != whole)
		abort();
	if (whole && (tly_election_nareas(s) != tly_election_nareas(e) ||
	    tly_election_nconstituencies(s) !=
	    tly_election_nconstituencies(e) || tly_election_partial(s)))
		abort();
	tly_election_free(s);
	s = NULL;
	held = whole && (tly_election_find_area(e, "A01") >= 0 ||
	    tly_election_find_area(e, "A02") >= 0);
	if (read_as(data, size, &some, &s)) {
		for (i = 0; i < tly_election_nareas(s); i++)
			if (strcmp(tly_area_id(s, i), "A01") != 0 &&
			    strcmp(tly_area_id(s, i), "A02") != 0)
				abort();
	} else if (held)
		abort();
	tly_election_free(s);
	tly_election_free(e);
	return 0;
}
