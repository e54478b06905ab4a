/*
 * freeze.c: what the device knows of its own freeze (PROTOCOL.md 9.4).
 *
 * The central freezes a device key that signed two different batches
 * for one place in its chain (12.3).  The daemon learns it from an
 * entry answered `equivocation` or from the `frozen` member of its own
 * head (8.2), keeps it in the store's meta table ("frozen": the seq, ""
 * when not frozen) and says so in GET /v1/status and POST /v1/sync.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "sync/api.h"
#include "daemon/tallyd.h"

#define FREEZE_KEY	"frozen"

int
tly_dfreeze_get(struct tallyd *d, uint64_t *seqp)
{
	char	buf[32], *end;

	*seqp = 0;
	if (tly_dstore_meta_get(d->store, FREEZE_KEY, buf, sizeof(buf)) !=
	    TLY_OK || buf[0] == '\0')
		return 0;
	*seqp = strtoull(buf, &end, 10);
	return *end == '\0' && *seqp > 0;
}

/* Record the freeze at seq (0: none), logging a change. */
static void
freeze_set(struct tallyd *d, uint64_t seq)
{
	uint64_t	old;
	int		was = tly_dfreeze_get(d, &old);
	char		buf[32] = "";

	if ((seq == 0 && !was) || (seq != 0 && was && old == seq))
		return;
	if (seq != 0)
		snprintf(buf, sizeof(buf), "%" PRIu64, seq);
	if (tly_dstore_meta_set(d->store, FREEZE_KEY, buf) != TLY_OK) {
		tly_log_error("sync: %s", tly_errdetail());
		return;
	}
	if (seq != 0)
		tly_log_error("sync: the central has frozen this device's key "
		    "at seq %" PRIu64 ": another batch was signed with this "
		    "key for the same place in its chain", seq);
	else
		tly_log_info("sync: the central no longer holds this device "
		    "frozen");
}

void
tly_dfreeze_equivocation(struct tallyd *d, uint64_t seq)
{
	uint64_t	old;

	if (!tly_dfreeze_get(d, &old) || seq < old)
		freeze_set(d, seq);
}

void
tly_dfreeze_head(struct tallyd *d, const struct tly_api_head *head)
{
	if (head->has_frozen)	/* else an older central: nothing known */
		freeze_set(d, head->frozen);
}

void
tly_dfreeze_words(uint64_t seq, char *out, size_t outlen)
{
	snprintf(out, outlen, "frozen: the central has frozen this device's "
	    "key at seq %" PRIu64 ", because two different batches were "
	    "signed with it for the same place in its chain (the key was used "
	    "on two laptops, or restored onto an empty store); its batches "
	    "from there on do not count until the authority decides; do not "
	    "record more with this key and call the committee", seq);
}
