/*
 * central.h: the internals of tally-central, the committee endpoint.
 *
 * Source tour:
 *   main.c     start and shutdown through common/daemon.c's skeleton
 *   config.c   the configuration file, the data directory, the key and
 *              the election definition
 *   trust.c    the trust policy of a closed central: authority key,
 *              definition statement, certificates, revocations
 *   api_trust.c   GET and POST /v1/trust (PROTOCOL.md 8.11)
 *   api_decision.c POST /v1/decisions: signed decisions (8.14, 13.6)
 *   api.c      the route table (PROTOCOL.md 8) and GET /v1/key
 *   api_merge.c   device logs, receipts, state hash, conflicts,
 *              evidence, audit feed, status (PROTOCOL.md 8.2, 8.7)
 *   admit.c    admission of uploads by the guard: refusals on the headers
 *   ingest.c   POST /v1/batches: PROTOCOL.md section 10, entry by entry
 *   link.c     GET /v1/link: the signed answer to a link check
 *   web.c      the dashboard and public pages, their files, ETags
 *   public.c   batch bytes, receipts and records per area (8.10)
 *   results.c  the results API over the engine in election/results.c
 *   store_conn.c  the SQLite database: connections, transactions
 *   store_schema.c its schema and migrations
 *   store.c    SQL helpers under every store file
 *   store_check.c step 8 checks before storing, the rejection log,
 *              trust objects
 *   store_merge.c the per-device merge rules: applied chains, freezes,
 *              equivocation evidence, kept decisions (PROTOCOL.md 12)
 *   store_heads.c record versions: heads, winners, conflicts, the
 *              state hash
 *   store_decision.c signed decisions: kept, refused, in the feed
 *   store_public.c records per area, for the public view (8.10)
 *   store_read.c  its reader connection: device logs, receipts, feed,
 *              evidence, held batches
 *   store_ops.c   counts for /metrics and the online backup
 *   metrics.c  GET /metrics: counters, latency histograms, store figures
 */
#ifndef TLY_CENTRAL_H
#define TLY_CENTRAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/httpd.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"

#define TLY_CENTRAL_DB		"central.db"	/* in the data directory */
#define TLY_CENTRAL_KEY		"central.key"	/* default secret key file */
#define TLY_CENTRAL_PUB		"central.pub"	/* public key file */
#define TLY_CENTRAL_RESP_MAX	TLY_RESP_MAX	/* response body cap */

struct tly_cstore;
struct tly_group;

/* Settings read from the configuration file. */
struct tly_central_conf {
	char		*datadir;	/* data directory (created 0700) */
	char		*listen;	/* the listen setting, host:port */
	char		*host;		/* listen address, without brackets */
	unsigned	 port;		/* listen port; 0 = ephemeral */
	char		*keypath;	/* central secret key file */
	char		*election;	/* election definition file */
	char		 ewhere[320];	/* "file:line" of the election key */
	int		 test;		/* mode "test" (else "live") */
	unsigned	 threads;	/* HTTP worker threads */
	unsigned	 conn_max;	/* concurrent connections */
	unsigned	 per_ip_max;	/* of them from one address, 0: any */
	char		*user;		/* user to run as when root, or NULL */
	char		*devices;	/* device list file, or NULL: any */
	char		 dwhere[320];	/* "file:line" of the devices key */
	char		 uwhere[320];	/* "file:line" of the user key */
	int		 public_view;	/* "public yes": serve /public */
	char		*authority;	/* authority public key file, or NULL:
					   open (test mode only) */
	char		*defsig;	/* signed definition statement file */
	char		*certs;		/* certificate file or directory */
	char		*revocations;	/* revocation list file, or NULL */
	char		*central_cert;	/* the central's certificate, or NULL */
	char		 awhere[320];	/* "file:line" of the authority key */
};

struct tly_central_trust;

/* The running central: everything the request handlers share. */
struct tly_central {
	struct tly_central_conf	 conf;		/* the settings */
	struct tly_key		*key;		/* central signing key */
	char			 keyhex[TLY_HEX_PK];	/* its id in hex */
	struct tly_election	*election;	/* the parsed definition */
	uint8_t			 ehash[TLY_HASH_LEN];	/* hash of its bytes */
	uint8_t			*devices;	/* sorted allowed device keys */
	size_t			 ndevices;	/* entries in devices; 0 = any */
	char			 ehashhex[TLY_HEX_HASH];	/* the same in hex */
	struct tly_cstore	*store;		/* the database */
	atomic_uint		 inflight;	/* POST /v1/batches in progress */
	struct tly_group	*group;		/* group commit (group.c) */
	struct tly_guard	*guard;		/* failed verifications per
						   address (guard.h) */
	struct tly_central_trust *trust;	/* the trust policy, or NULL:
						   an open (test) central */
};

/* config.c */

/*
 * Load the configuration file path into *conf (zeroed first).  Errors
 * are TLY_E_CONFIG with a detail naming file:line.
 */
int	tly_central_conf_load(const char *path, struct tly_central_conf *conf);
/* Free the strings of conf and zero it. */
void	tly_central_conf_free(struct tly_central_conf *conf);
/*
 * Prepare c (whose conf is loaded): create the data directory, load or
 * create the key and its public file, read and hash the election
 * definition, open the store.  Undo with tly_central_close().  An
 * unreadable or invalid definition is TLY_E_CONFIG naming file:line.
 */
int	tly_central_open(struct tly_central *c);
/* Release everything tly_central_open() and the config acquired. */
void	tly_central_close(struct tly_central *c);

/* trust.c */

/*
 * Load the trust configuration of c (authority, definition signature,
 * certificates, revocations, central certificate) and check it against
 * the definition def[0..deflen) and the central key.  A live central
 * without an authority, an altered definition or a certificate that does
 * not verify is TLY_E_CONFIG with a detail naming the key and file.
 * Without an authority (test mode) c->trust stays NULL: open.
 */
int	tly_central_trust_open(struct tly_central *c, const uint8_t *def,
	    size_t deflen);
/*
 * Take back the trust objects that POST /v1/trust kept in the store
 * (after tly_central_trust_open() and the store's opening).
 */
int	tly_central_trust_restore(struct tly_central *c);
/* Release what tly_central_trust_open() loaded (NULL-safe). */
void	tly_central_trust_close(struct tly_central *c);

/* api.c */

/* The tly_httpd_fn for the central; arg is the struct tly_central. */
void	tly_central_handle(void *arg, const struct tly_http_req *req,
	    struct tly_http_resp *resp);

/* api_merge.c: tly_route_fn handlers; arg is the struct tly_central. */

/* GET /v1/devices/{key}/head (PROTOCOL.md 8.2); rp->p[0] is the key. */
void	tly_central_get_head(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/devices/{key}/receipts (8.2.1); rp->p[0] is the key. */
void	tly_central_get_receipts(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/state-hash (8.7). */
void	tly_central_get_state_hash(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/status (8.7). */
void	tly_central_get_status(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/conflicts (8.7). */
void	tly_central_get_conflicts(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/evidence (8.7). */
void	tly_central_get_evidence(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/feed?after=N&limit=M (8.7). */
void	tly_central_get_feed(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);

/* api_trust.c: the trust endpoints (PROTOCOL.md 8.11). */

/* GET /v1/trust: every trust object the central holds. */
void	tly_central_get_trust(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* POST /v1/trust: one certificate or revocation list. */
void	tly_central_post_trust(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);

/* api_decision.c */

/* POST /v1/decisions (PROTOCOL.md 8.14): one signed decision. */
void	tly_central_post_decision(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);

/* ingest.c */

/*
 * Set up c->group, the group commit of uploads over c->store, which must
 * be open; undo with _fini.
 */
int	tly_central_ingest_init(struct tly_central *c);
/* Free c->group (no upload may be in progress).  NULL-safe. */
void	tly_central_ingest_fini(struct tly_central *c);
/* POST /v1/batches (PROTOCOL.md 8.1 and 10). */
void	tly_central_post_batches(struct tly_central *c,
	    const struct tly_http_req *req, struct tly_http_resp *resp);

/* admit.c: admission of uploads by c->guard (PROTOCOL.md 8.5). */

/*
 * The tly_httpd_admit_fn for the central, on a request's headers: an
 * upload from an address the guard refuses, or a body over the limit
 * from one, is answered 429 (held 1 s, then the connection closed); a
 * body over the limit from any other address is charged to it (and
 * answered 413 by the server).  arg is the struct tly_central.
 */
void	tly_central_admit(void *arg, const struct tly_http_req *req,
	    int too_large, struct tly_http_resp *resp);
/*
 * Admission of an upload from peer once its body is in (the guard may
 * have emptied since its headers): 0 to go on, with *held set when a
 * token is held for it (tly_guard_admit()); else 1 with 429 answered
 * into resp.
 */
int	tly_central_admit_upload(struct tly_central *c, const char *peer,
	    int *held, struct tly_http_resp *resp);
/*
 * After a failed entry: 1 with 429 answered into resp when peer's
 * bucket is empty now, else 0.
 */
int	tly_central_recheck(struct tly_central *c, const char *peer,
	    struct tly_http_resp *resp);
/*
 * Charge peer n failures, the first with the token held since its
 * admission (*held, then cleared) if any; a warning when that empties
 * its bucket, at most one every 10 s for the whole central.
 */
void	tly_central_charge(struct tly_central *c, const char *peer,
	    unsigned n, int *held);
/* Give back the token held since admission, if *held (then cleared). */
void	tly_central_refund(struct tly_central *c, const char *peer,
	    int *held);

/* web.c: the pages (PROTOCOL.md 8.9); arg is the struct tly_central. */

/*
 * Set the ETag of a 200 answer from its body; make it 304 with no body
 * when the request's If-None-Match names that tag.
 */
void	tly_central_etag(const struct tly_http_req *req,
	    struct tly_http_resp *resp);
/* GET /: the committee's dashboard. */
void	tly_central_get_dashboard(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /public: the public view, 404 unless "public yes". */
void	tly_central_get_public(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /web/{file}: a file of the pages; rp->p[0] is its name. */
void	tly_central_get_asset(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);

/* public.c: PROTOCOL.md 8.10; arg is the struct tly_central. */

/* GET /v1/batches/{id}: a held batch's exact bytes. */
void	tly_central_get_batch(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/batches/{id}/receipt: the receipt the central issued for it. */
void	tly_central_get_batch_receipt(void *arg,
	    const struct tly_http_req *req, const struct tly_route_params *rp,
	    struct tly_http_resp *resp);
/* GET /v1/election: the definition's exact bytes. */
void	tly_central_get_election(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/areas/{area}: the records held for a polling area. */
void	tly_central_get_area_records(void *arg,
	    const struct tly_http_req *req, const struct tly_route_params *rp,
	    struct tly_http_resp *resp);

/* link.c */

/* GET /v1/link?nonce=<hex> (PROTOCOL.md 8.8): the signed link answer. */
void	tly_central_link(struct tly_central *c,
	    const struct tly_http_req *req, struct tly_http_resp *resp);

/* results.c */

/*
 * The results API (docs/RESULTS.md), tly_route_fn handlers answered from
 * cached results, recomputed when the store's generation changes.
 */
/* GET /v1/results and /v1/results?level=L. */
void	tly_central_get_results(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/results/constituencies/{id}; rp->p[0] is the id. */
void	tly_central_get_constituency(void *arg,
	    const struct tly_http_req *req, const struct tly_route_params *rp,
	    struct tly_http_resp *resp);
/* GET /v1/results/areas/{path}; rp->p[0] is the area path. */
void	tly_central_get_area(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* Compute the first answer on the recomputer thread (at start). */
void	tly_central_results_prepare(struct tly_central *c);
/*
 * The applied state changed (a commit): once results have been asked
 * for, the recomputer brings them up to date at once, so that a query
 * finds little left to compute.
 */
void	tly_central_results_changed(struct tly_central *c);
/* Drop the cached results (at shutdown). */
void	tly_central_results_reset(void);

/* metrics.c */

/* What became of one entry of POST /v1/batches (a label of /metrics). */
enum tly_cm_outcome {
	TLY_CM_APPLIED,		/* stored and applied */
	TLY_CM_PENDING,		/* stored, waiting for an earlier batch */
	TLY_CM_EQUIVOCATION,	/* stored as equivocation evidence */
	TLY_CM_DUPLICATE,	/* already held */
	TLY_CM_REJECTED,	/* rejected (err is its code) */
	TLY_CM_OUTCOMES
};

/* Count one committed entry: its outcome, code and records (atomics). */
void	tly_central_metrics_entry(enum tly_cm_outcome o, int err,
	    size_t nrecords);
/*
 * Count one group commit of the upload writer: the requests it applied,
 * and the wall and CPU nanoseconds the writer spent on it (from BEGIN
 * to the end of COMMIT), for /metrics.
 */
void	tly_central_metrics_commit(size_t nrequests, uint64_t wall_ns,
	    uint64_t cpu_ns);
/* Count a request refused before its body: status 413 or 429. */
void	tly_central_metrics_refused(int status);
/* Count one answered request's latency, when it is timed by /metrics. */
void	tly_central_metrics_request(const struct tly_http_req *req,
	    double seconds);
/* GET /metrics: the Prometheus text format. */
void	tly_central_get_metrics(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);

/* turnout.c (PROTOCOL.md 8.13) */

/* GET /v1/turnout?level=L[&constituency=C]: turnout by polling area. */
void	tly_central_get_turnout(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* Free the turnout table (at exit). */
void	tly_central_turnout_reset(void);

/* photos.c (PROTOCOL.md 8.12) */

/* GET /v1/photos/{hash}: the bytes stored of a photo, and whether whole. */
void	tly_central_get_photo(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* GET /v1/photos/{hash}/image: the bytes of a complete photo. */
void	tly_central_get_photo_image(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* PUT /v1/photos/{hash}: the next bytes of a photo (Content-Range). */
void	tly_central_put_photo(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);

#endif /* TLY_CENTRAL_H */
