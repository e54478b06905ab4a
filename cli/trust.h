/*
 * trust.h: the trust and enrollment commands of tally (PROTOCOL.md 13)
 * and what they share.
 *
 * cmd_enroll.c holds the device side and the authority's key:
 * `authority init`, `enroll request`, `enroll install`.  cmd_trust.c
 * holds the authority side, `cert issue|central|show`, and `trust
 * push` (objects to a running central); each file ends
 * with the entries of its commands; cmd_revoke.c `revoke`, `election sign` and `decision
 * unfreeze|resolve|submit`.  trust_util.c holds the helpers below; qr.c draws
 * QR codes (the only libqrencode user).
 */
#ifndef TLY_CLI_TRUST_H
#define TLY_CLI_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "crypto/crypto.h"
#include "election/election.h"
#include "sync/trust.h"

/* The trust commands' entries, listed in main.c's cmd_table[]. */
extern const struct tly_cmd_entry cmd_authority_entry, cmd_enroll_entry,
	    cmd_cert_entry, cmd_revoke_entry, cmd_decision_entry,
	    cmd_trust_entry;

int	cmd_authority(int, char **);	/* cmd_enroll.c */
int	cmd_enroll(int, char **);	/* cmd_enroll.c */
int	cmd_cert(int, char **);		/* cmd_trust.c */
int	cmd_trust(int, char **);	/* cmd_trust.c: trust push */
int	cmd_revoke(int, char **);	/* cmd_revoke.c */
int	cmd_decision(int, char **);	/* cmd_revoke.c */
/* tally election sign (called by cmd_election()). */
int	cmd_election_sign(int, char **);

/* The options of the trust commands: one getopt table for all. */
struct cli_topts {
	const char	*authority;	/* --authority: key or pub file */
	const char	*request;	/* --request: enrollment request */
	const char	*election;	/* --election: definition file */
	const char	*areas, *levels;	/* --areas, --levels lists */
	const char	*role;		/* --role */
	const char	*out;		/* --out */
	const char	*key;		/* --key */
	const char	*list;		/* --list: revocation list */
	const char	*device, *batch;	/* --device, --batch (hex) */
	const char	*area, *level;	/* --area, --level */
	const char	*record;	/* --record: record id */
	const char	*over;		/* --over: record ids, comma-separated */
	const char	*note;		/* --note */
	const char	*cert;		/* --cert: adjudicator certificate */
	const char	*central;	/* --central: a central's base URL */
	uint64_t	 not_before, not_after, at;	/* times */
	uint64_t	 serial, seq, round;	/* numbers */
	int		 has_nb, has_na, has_at;	/* the time was given */
	int		 has_serial, has_seq, has_round;	/* given */
	int		 passfd;	/* --passphrase-fd, or -1 */
	int		 qr;		/* --qr */
};

/*
 * Parse the options of command name into o (argv[0] is its verb).
 * Returns CLI_EXIT_OK, CLI_EXIT_USAGE after reporting, or -1 when it
 * printed the help.  optind then indexes the first operand.
 */
int	cli_topts_parse(const char *name, int argc, char **argv,
	    struct cli_topts *o);

/*
 * Print text as a QR code (UTF-8 half blocks) to fp: TLY_OK, or
 * TLY_E_TOO_LARGE (with a detail) when it does not fit one.
 */
int	cli_qr_print(FILE *fp, const char *text);

/*
 * Load the secret key at path; when it is encrypted the passphrase is
 * read from passfd (-1: none given, which then fails).  Reports
 * "tally: what: path: why".  *keyp: new, free with tly_key_free().
 */
int	cli_key_load(const char *what, const char *path, int passfd,
	    struct tly_key **keyp);
/* Parse a --passphrase-fd argument into *fd; usage error otherwise. */
int	cli_parse_fd(const char *what, const char *s, int *fd);
/*
 * Parse a time: Unix seconds, YYYY-MM-DD (midnight UTC) or
 * YYYY-MM-DDTHH:MM:SSZ.  0 on success, -1 when malformed.
 */
int	cli_parse_time(const char *s, uint64_t *t);
/* A time as "YYYY-MM-DD HH:MM:SS UTC" into out (at least 32 bytes). */
const char *cli_fmt_time(uint64_t t, char *out, size_t outlen);
/* The key id as 16 groups of 4 hex digits, for reading aloud. */
const char *cli_fingerprint(const uint8_t pk[TLY_PK_LEN], char out[96]);
/*
 * Read the election definition at path; its hash into h and, when ep is
 * not NULL, its parsed form into *ep.  Reports failures.
 */
int	cli_election_load(const char *what, const char *path,
	    uint8_t h[TLY_HASH_LEN], struct tly_election **ep);
/* Read a signed object file (at most one signed message) into b. */
int	cli_obj_read(const char *what, const char *path, struct tly_buf *b);
/* Write b to path (mode 0644, atomically); reports failures. */
int	cli_obj_write(const char *what, const char *path,
	    const struct tly_buf *b);
/* Print a device certificate's serial, role, scope and window. */
void	cli_cert_print(const struct tly_cert *c);
/* Print m as base64 in a QR code, or say why not. */
void	cli_obj_qr(const char *what, const uint8_t *m, size_t len);

#endif /* TLY_CLI_TRUST_H */
