/*
 * verify.h: the state of one `tally verify` run, shared by cmd_verify.c
 * (files, batches, chains, output) and verify_trust.c (the companions of
 * PROTOCOL.md 7.2 and the trust of section 13 given --authority).
 */
#ifndef TLY_CLI_VERIFY_H
#define TLY_CLI_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "crypto/crypto.h"

struct tly_election;
struct tly_trust;

/* One file given on the command line. */
struct ver_file {
	const char	*path;		/* as given */
	struct tly_buf	 data;		/* its bytes */
	struct cli_entry *ents;		/* its entries (a loose object: one) */
	size_t		 n;		/* entries in ents */
	int		 loose;		/* a single signed object, no bundle */
	int		 damaged;	/* the bundle failed as a whole */
	char		 why[600];	/* how, when damaged */
};

/* The verdict on one batch entry. */
struct ver_entry {
	size_t		 file;		/* its file, index into files */
	size_t		 index;		/* its index among the file's entries */
	const uint8_t	*m;		/* its bytes, in the file */
	size_t		 mlen;
	int		 has_id;	/* the envelope parses: id is valid */
	int		 parsed;	/* the batch parses: fields below valid */
	int		 bad;		/* failed a check */
	uint8_t		 id[TLY_HASH_LEN];	/* batch id */
	uint8_t		 device[TLY_PK_LEN];
	uint8_t		 prev[TLY_HASH_LEN];
	uint64_t	 seq;
	size_t		 nrecords;
	const char	*code;		/* wire error code when bad */
	char		*detail;	/* why, when bad; NULL if out of memory */
	size_t		 skipped;	/* salvage: damaged bytes before it */
	int		 has_receipt;	/* a good receipt gave its time */
	uint64_t	 receipt_time;	/* its stored time (13.7 rule 2) */
};

/* The verdict on one companion (a receipt or a trust object). */
struct ver_obj {
	size_t		 file;		/* its file */
	size_t		 index;		/* its index among the file's entries */
	const uint8_t	*m;		/* its bytes, in the file */
	size_t		 mlen;
	int		 kind;		/* enum tly_companion */
	int		 bad;		/* failed a check */
	const char	*code;		/* wire error code when bad */
	char		*detail;	/* why when bad, else what it is */
	/* Receipts that verify: */
	int		 receipt_ok;	/* usable for a batch's receipt time */
	uint8_t		 batch[TLY_HASH_LEN];	/* the batch it names */
	uint8_t		 device[TLY_PK_LEN];	/* its device */
	uint64_t	 seq;		/* its seq */
	uint64_t	 stored;	/* its stored time */
};

/* The state of one verification. */
struct ver {
	struct ver_file		*files;		/* the FILEs, in order */
	size_t			 nfiles;
	struct ver_entry	*e;		/* batch entries, file order */
	size_t			 n;
	struct ver_obj		*o;		/* companions, file order */
	size_t			 no;
	size_t			*ridx;		/* good receipts in o, by batch */
	size_t			 nridx;
	struct tly_election	*def;		/* --election, or NULL */
	struct tly_buf		 defraw;	/* its bytes */
	uint8_t			 defhash[TLY_HASH_LEN];	/* their hash */
	const char		*defpath;
	const char		*authpath;	/* --authority, or NULL */
	uint8_t			 authority[TLY_PK_LEN];	/* its key */
	struct tly_trust	*trust;		/* built from the companions */
	uint8_t			 trust_election[TLY_HASH_LEN];	/* its hash */
	const char		*trust_from;	/* where that hash came from */
	int			 statement;	/* a good definition statement */
	size_t			 own_clock;	/* batches judged at our clock */
	char			 skipped[4][160];	/* "not checked" lines */
	size_t			 nskipped;
};

/* Mark e bad with a code and a detail, unless it is already bad. */
void	cli_ver_bad(struct ver_entry *e, const char *code, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
/* Add a "not checked: ..." line. */
void	cli_ver_skip(struct ver *v, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Judge every companion of v (receipts, certificates, revocation lists,
 * definition statements) and, with --authority, build v->trust for the
 * batches.  TLY_OK, or TLY_E_NOMEM (reported by the caller).
 */
int	cli_ver_companions(struct ver *v);
/*
 * A good receipt naming batch id (for its receipt time, 13.7 rule 2):
 * 1 with *objp its index in v->o, else 0 with *objp (size_t)-1.
 */
int	cli_ver_receipt(const struct ver *v, const uint8_t id[TLY_HASH_LEN],
	    size_t *objp);

#endif /* TLY_CLI_VERIFY_H */
