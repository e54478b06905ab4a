/*
 * limits.h: every protocol and resource limit of tally, defined once.
 *
 * Each limit names the section of docs/PROTOCOL.md that states it.
 * Section 11 of PROTOCOL.md mirrors this file: one row per macro, with
 * the macro's name and value, and tests/check-limits.sh (run by
 * make check) fails when the two disagree.  Change both together.
 *
 * Only plain integer constants here, so that the check can evaluate
 * each one; derived sizes (TLY_MSG_MAX = envelope overhead + context +
 * body) stay beside the format they derive from.
 */
#ifndef TLY_LIMITS_H
#define TLY_LIMITS_H

/* ---- JSON and texts (section 1) ----------------------------------------- */

#define TLY_JSON_INT_MAX	9007199254740991ULL	/* 1: 2^53 - 1 */
#define TLY_JSON_DEPTH_MAX	32	/* 1: nesting accepted by the parser */
#define TLY_ID_MAX		64	/* 1: characters in an id */
#define TLY_TEXT_MAX		2000	/* 1: bytes in a text */

/* ---- Signed messages, batches, records (sections 2 to 6) ---------------- */

#define TLY_PASS_MAX		1024	/* 2.1: passphrase bytes */
#define TLY_CTX_MAX		64	/* 3: bytes of a context */
#define TLY_BODY_MAX		1048576	/* 3: bytes of a signed body */
#define TLY_RECORDS_MAX		256	/* 4: records in one batch */
#define TLY_CREATED_MIN		1577836800ULL	/* 4: 2020-01-01T00:00:00Z */
#define TLY_CREATED_MAX		4102444800ULL	/* 4: 2100-01-01, excluded */
#define TLY_SUPERSEDES_MAX	16	/* 5: record ids in "supersedes" */
#define TLY_RECEIPT_MAX		8192	/* 6: bytes of one receipt message */

/* ---- The election definition (docs/ELECTION.md) ------------------------ */

#define TLY_ELECTION_FILE_MAX	(128UL * 1024 * 1024)	/* 4: definition */
#define TLY_ELECTION_PIECE_MAX	(1024UL * 1024)	/* local: a top-level member
					   or an element of a big array of a
					   definition read as a stream */
#define TLY_CAND_MAX		64	/* ELECTION.md: per constituency */
#define TLY_SEATS_MAX		16	/* ELECTION.md: per constituency */
#define TLY_LEVELS_MAX		8	/* ELECTION.md: levels per election */

/* ---- Bundles and HTTP (sections 7 to 9) --------------------------------- */

#define TLY_BUNDLE_ENTRIES_MAX	1000000	/* 7: entries of a bundle file */
#define TLY_BUNDLE_FILE_MAX	(1024UL * 1024 * 1024)	/* 7: bundle file */
#define TLY_POST_MAX		(8UL * 1024 * 1024)	/* 8.1: a POST body */
#define TLY_AHEAD_MAX		4096	/* 8.6: seqs past head held pending */
#define TLY_SAME_SEQ_MAX	16	/* 8.6: different batches per seq */
#define TLY_FEED_ENTRIES_MAX	1000	/* 8.7: entries of one feed page */
#define TLY_FEED_BYTES_MAX	(7UL * 1024 * 1024)	/* 8.7: their bytes */
#define TLY_CONFLICTS_MAX	1000	/* 8.7: keys of GET /v1/conflicts */
#define TLY_LINK_ANSWER_MAX	4096	/* 8.8: bytes of the link answer */
#define TLY_RESP_MAX		(64UL * 1024 * 1024)	/* 8, 9: an answer */
#define TLY_SMALL_RESP_MAX	(64UL * 1024)	/* 8: key, head, state-hash */
#define TLY_LOCAL_BODY_MAX	(1024UL * 1024)	/* 9: local API request */
#define TLY_BUNDLE_BODY_MAX	TLY_POST_MAX	/* 9: POST /v1/bundle */
#define TLY_IDEM_MIN		16	/* 9: Idempotency-Key characters */
#define TLY_IDEM_MAX		64	/* 9: Idempotency-Key characters */
#define TLY_VERIFY_FAIL_BURST	64	/* 8.5: failed entries, one address */
#define TLY_VERIFY_FAIL_RATE	8	/* 8.5: more of them per second */
#define TLY_VERIFY_FAIL_ADDRS	4096	/* 8.5: addresses tracked */

/* ---- Trust (section 13) ------------------------------------------------- */

#define TLY_CERT_AREAS_MAX	65536	/* 13.3: areas in one certificate */
#define TLY_REVOKED_MAX		65536	/* 13.5: entries of a revocation list */
#define TLY_TRUST_CERTS_MAX	1000000	/* 13: certificates one trust holds */

/* ---- Local resources (not on the wire) ---------------------------------- */

#define TLY_CONFIG_FILE_MAX	65536	/* a configuration file */
#define TLY_CONFIG_LINE_MAX	1024	/* one line of it */
#define TLY_CONFIG_ENTRIES_MAX	128	/* its settings */
#define TLY_DEVICES_FILE_MAX	(16UL * 1024 * 1024)	/* ~170,000 keys */
#define TLY_FILE_PATH_MAX	4000	/* a path the CLI builds or takes */

#endif /* TLY_LIMITS_H */
