/*
 * fuzz_election.c: libFuzzer target for the election definition parser
 * and, on success, every accessor and the all-errors validator.
 */
#include <stddef.h>
#include <stdint.h>

#include "election/election.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Validation reports go nowhere. */
static void
ignore(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tly_election	*e = NULL;
	size_t			 i, c, l;

	/*
	 * The all-errors validator and the parser share everything but
	 * their error paths.  Under libFuzzer each input takes one of
	 * them, by the parity of its length, so that it is scanned once;
	 * one added byte moves an input to the other.  The corpus replay
	 * takes both.
	 */
#ifdef TLY_FUZZING
	if (size % 2 == 1) {
		(void)tly_election_validate(data, size, ignore, NULL);
		return 0;
	}
#else
	(void)tly_election_validate(data, size, ignore, NULL);
#endif
	if (tly_election_parse(data, size, &e) != 0)
		return 0;
	for (i = 0; i < tly_election_nconstituencies(e); i++) {
		(void)tly_constituency_seats(e, i);
		(void)tly_constituency_nareas(e, i);
		for (c = 0; c < tly_constituency_ncandidates(e, i); c++)
			(void)tly_constituency_candidate(e, i, c);
	}
	for (i = 0; i < tly_election_nareas(e); i++)
		for (l = 0; l < tly_election_nlevels(e); l++) {
			const char *lv = tly_election_level(e, l);
			(void)tly_area_constituency(e, i, lv);
			(void)tly_area_registered(e, i, lv);
		}
	tly_election_free(e);
	return 0;
}
