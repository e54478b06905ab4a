/*
 * feed.h: the audit feed (PROTOCOL.md 8.7, 12.7): its writer, for the
 * central's GET /v1/feed, and its reader, one page at a time, for an
 * auditor or a mirror.  Pure: the caller fetches the pages.
 */
#ifndef TLY_FEED_H
#define TLY_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"
#include "crypto/crypto.h"

/* One entry of the audit feed: a batch, or a decision. */
struct tly_feed_entry {
	uint64_t	 pos;			/* its feed position */
	int		 decision;		/* kind "decision" (13.6) */
	uint8_t		 batch[TLY_HASH_LEN];	/* the batch id it names; of a
						   decision, its id */
	uint8_t		 device[TLY_PK_LEN];	/* the device it names; of a
						   decision, its signer */
	uint64_t	 seq;			/* the seq it names (batch) */
	struct tly_buf	 bytes;			/* the signed message */
	struct tly_buf	 receipt;		/* its receipt (a batch's, 6, or
						   a decision's, 6.1), or empty */
};

/* The feed as read so far. */
struct tly_feed {
	struct tly_feed_entry	*e;	/* entries, in feed order */
	size_t			 n;	/* entries used */
	size_t			 cap;	/* entries allocated */
	uint64_t		 next;	/* the last page's "next" */
	int			 more;	/* the last page's "more" */
};

/*
 * Append the entries of one feed page (the JSON answer of GET /v1/feed,
 * or a saved one) at root to f and set f->next and f->more.  TLY_OK, or
 * TLY_E_JSON with a detail naming the member, TLY_E_NOMEM; on error the
 * entries read before this page stay.  At most TLY_BUNDLE_ENTRIES_MAX
 * entries in all (TLY_E_TOO_LARGE).
 */
int	tly_feed_page(struct tly_feed *f, const struct tly_json *root);
/*
 * Make room for one more entry at f->e[f->n]: the caller fills it and
 * counts it (f->n++).  TLY_OK, TLY_E_NOMEM, or TLY_E_TOO_LARGE past
 * TLY_BUNDLE_ENTRIES_MAX entries.
 */
int	tly_feed_reserve(struct tly_feed *f);

struct tly_jw;
/*
 * Write f as one page of GET /v1/feed that asked for the positions after
 * after: an object with the members "entries", "after", "next" (f->next)
 * and "more" (f->more).  An entry's "receipt" is written when it has
 * one.  TLY_OK or the writer's error.
 */
int	tly_feed_write(const struct tly_feed *f, uint64_t after,
	    struct tly_jw *w);
/* Free every entry of f and clear it.  NULL-safe. */
void	tly_feed_free(struct tly_feed *f);

#endif /* TLY_FEED_H */
