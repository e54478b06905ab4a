/*
 * tallyd.h: the field daemon's internal interfaces.
 *
 *   config.c  the keyword table of tallyd.conf, into struct tly_dconf
 *   freeze.c  what the device knows of its own freeze (PROTOCOL.md 9.4)
 *   restore.c a restored key learns its head before it signs (9.5)
 *   trustsync.c  the authority's objects fetched from the central on
 *             sync, verified and kept (9.7); called by syncer.c
 *   keys.c    the device key (passphrase), its certificate, the central's
 *             key or certificate, and the receipt check (PROTOCOL.md 9.3)
 *   seal.c    checks records and seals them into batches; takes in
 *             relayed bundles
 *   syncer.c  the background thread that delivers batches to the central:
 *             wake-ups, backoff, status bookkeeping
 *   deliver.c the requests of one sync run: resume via head and receipts,
 *             bundles posted and their receipts checked, captive portals
 *   syncstate.c  the syncer's state and its bookkeeping, below both
 *             (syncstate.h: what syncer.c and deliver.c share)
 *   netwatch.c  wakes the syncer when the network changes (rtnetlink)
 *   api.c     the local HTTP API on the Unix socket and its route table
 *             (PROTOCOL.md 9)
 *   web.c     the entry page on 127.0.0.1 (web-listen): the assets of
 *             web/field/ built into the binary, and the same local API
 *   store.c   the SQLite database (store.h): open, schema, migrations,
 *             meta, own batches and records
 *   store_relay.c  relayed batches taken in from bundles
 *   store_idem.c   the batch an idempotency key sealed
 *   store_sync.c   the queries of the sync loop: pending batches, states,
 *             counts, lookups (storeInt.h: what the store files share;
 *             store*.c hold the only SQL in the daemon)
 *   main.c    start-up (the private directories, then the privilege
 *             drop), signals and shutdown
 */
#ifndef TLY_DAEMON_TALLYD_H
#define TLY_DAEMON_TALLYD_H

#include <sys/types.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tlscert.h"
#include "common/buf.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "daemon/store.h"
#include "election/election.h"

#define TLY_D_UPLOAD_BYTES	(1024UL * 1024)		/* per sync request */
#define TLY_D_SYNC_WAIT_S	30	/* POST /v1/sync waits this long */

/* ---- Configuration (config.c) ------------------------------------------- */

/* The settings of tallyd.conf (tallyd.conf(5)); strings are malloc'd. */
struct tly_dconf {
	char		*path;		/* the config file itself */
	char		*datadir;	/* state directory, created 0700 */
	char		*socket;	/* local API socket path */
	char		*socket_group;	/* group of the socket (0660), or NULL */
	gid_t		 socket_gid;	/* its id, when socket_group is set */
	char		*key;		/* device secret key file */
	char		*election;	/* election definition file */
	char		*central;	/* central base URL, or NULL */
	char		*central_key;	/* central public key file, or NULL */
	char		*central_cert;	/* central certificate file, or NULL */
	char		*authority;	/* authority public key file, or NULL */
	uint64_t	 passphrase_fd_u;	/* passphrase-fd as read */
	int		 passphrase_fd;	/* fd of the key's passphrase, or -1 */
	char		*user;		/* user to run as when root, or NULL */
	int		 test;		/* mode test (else live) */
	uint64_t	 backoff_min;	/* seconds, >= 1 */
	uint64_t	 backoff_max;	/* seconds, >= backoff_min */
	uint64_t	 connect_timeout;	/* seconds */
	uint64_t	 batch_max;	/* batches per upload */
	uint64_t	 low_speed_time;	/* seconds: abort a stalled transfer */
	int		 netwatch;	/* retry at once on network changes */
	char		*metrics_listen;	/* GET /metrics over TCP: the
					   host (brackets removed), or NULL */
	unsigned	 metrics_port;	/* ... and its port; 0 = ephemeral */
	char		*web_listen;	/* "127.0.0.1:PORT" of the entry
					   page, or NULL: not served */
	unsigned	 web_port;	/* its port, 0: ephemeral */
	char		*lan_listen;	/* "IP:PORT" of the HTTPS listener
					   for phones, or NULL */
	char		*lan_host;	/* its IPv4 address */
	unsigned	 lan_port;	/* its port, 0: ephemeral */
};

/*
 * Read path into c (zeroed by the caller), applying defaults.  Errors
 * are TLY_E_CONFIG with a detail naming file:line.
 */
int	tly_dconf_load(const char *path, struct tly_dconf *c);
void	tly_dconf_finish(struct tly_dconf *c);		/* NULL-safe */

/* ---- The daemon ---------------------------------------------------------- */

struct tly_dsync;
struct tly_trust;
struct tly_cert;
struct tly_revocations;

/* Everything the handlers and the sync thread share. */
struct tallyd {
	struct tly_dconf	 conf;		/* settings */
	struct tly_key		*key;		/* device key */
	int			 key_created;	/* never signed: created by this
						   start, or its .fresh stamp
						   names it (PROTOCOL 9.5) */
	uint8_t			 device[TLY_PK_LEN];	/* its key id */
	struct tly_election	*election;	/* parsed definition */
	uint8_t			 election_hash[TLY_HASH_LEN];	/* of its bytes */
	struct tly_buf		 election_def;	/* those bytes */
	int			 has_central;	/* central configured */
	uint8_t			 central_pk[TLY_PK_LEN];	/* its key */
	int			 has_authority;	/* authority configured */
	uint8_t			 authority[TLY_PK_LEN];	/* its key */
	struct tly_trust	*trust;		/* authority's objects, or NULL */
	pthread_mutex_t		 trust_mu;	/* guards trust and revocations
						   (keys.c, trustsync.c) */
	int			 trust_mu_init;	/* trust_mu is initialised */
	struct tly_revocations	*revocations;	/* newest list taken from the
						   central, or NULL */
	struct tly_cert		*cert;		/* own certificate, or NULL */
	struct tly_buf		 cert_msg;	/* its signed bytes */
	struct tly_dstore	*store;		/* database */
	pthread_mutex_t		 seal_mu;	/* one sealer at a time */
	struct tly_dsync	*sync;		/* NULL without a central */
	unsigned		 web_port;	/* the entry page's port, once
						   it listens (web.c) */
	struct tly_dphoto_sender *photos;	/* NULL without a central */
	struct tly_dpair	*pair;		/* phones, or NULL without
						   lan-listen (pair.c) */
	unsigned		 lan_port;	/* the phones' port, once it
						   listens */
};

/* ---- The bundle file (export.c) ----------------------------------------- */

/*
 * Write to out (empty, capped by the caller) the bundle of GET /v1/bundle
 * (PROTOCOL.md 9): every batch held, then the companions (7.2) the
 * daemon holds: its own certificate, the central's certificate, the
 * trust objects kept from the central and every receipt.  Version 1 when there is no companion, else version 2.
 */
int	tly_dexport_bundle(struct tallyd *d, struct tly_buf *out);

/* ---- Keys and certificates (keys.c) ------------------------------------ */

struct tly_receipt;

/*
 * Load the device key (unlocked through passphrase-fd when encrypted;
 * created when missing and not encrypted), the authority key, the
 * device's own certificate beside the key and the central's key (from
 * central-cert, checked against the authority, this election and the
 * clock; or from central-key).  d->election_hash must be set.
 */
int	tly_dkeys_load(struct tallyd *d);
/*
 * Remove the device key's ".fresh" stamp, if any, once the store holds
 * this key (PROTOCOL.md 9.5), and fsync its directory.
 */
int	tly_dkeys_fresh_done(struct tallyd *d);
/* Free what tly_dkeys_load() loaded.  NULL fields are fine. */
void	tly_dkeys_free(struct tallyd *d);
/*
 * Verify receipt m[0..len) as the configured central's, certified at the
 * receipt's own time when central-cert is set.  TLY_E_RECEIPT with a
 * detail in words; a receipt signed by another key names both keys.
 */
int	tly_dkeys_receipt(const struct tallyd *d, const uint8_t *m, size_t len,
	    struct tly_receipt *rc);

/* ---- The device's freeze (freeze.c) -------------------------------------- */

struct tly_json;

/* 1 and *seqp when the central is known to hold this device frozen. */
int	tly_dfreeze_get(struct tallyd *d, uint64_t *seqp);
/* The central answered `equivocation` for own batch seq: frozen there. */
void	tly_dfreeze_equivocation(struct tallyd *d, uint64_t seq);
/*
 * Take the freeze state from head, the central's answer to GET
 * /v1/devices/{own key}/head (8.2, sync/api.h): `frozen` set or null.
 * Nothing is changed when head has no `frozen` member.
 */
struct tly_api_head;
void	tly_dfreeze_head(struct tallyd *d, const struct tly_api_head *head);
/* The freeze at seq in a clerk's words, "frozen: ...", into out. */
void	tly_dfreeze_words(uint64_t seq, char *out, size_t outlen);

/* ---- Restore without forking (restore.c) -------------------------------- */

/*
 * After opening the store: when it is new (store_new) and the key was
 * not created by this start, mark the chain unknown (PROTOCOL.md 9.5).
 */
int	tly_drestore_open(struct tallyd *d, int store_new);
/* 1 while the own chain's head is unknown, else 0. */
int	tly_drestore_unknown(struct tallyd *d);
/*
 * Learn the head from head, the central's answer to GET
 * /v1/devices/{own key}/head, when it is unknown: it becomes the chain
 * base.  TLY_OK (also when already known), else why not.
 */
int	tly_drestore_head(struct tallyd *d, const struct tly_api_head *head);
/*
 * Before signing: TLY_OK when the head is known or could be learned
 * from the central now; else TLY_E_SEQ_CONFLICT with a detail saying
 * why nothing is signed and what to do.
 */
int	tly_drestore_ensure(struct tallyd *d);

struct tly_http_req;
struct tly_http_resp;
struct tly_route_params;
/*
 * POST /v1/head: learn the unknown head from a bundle of the key's own
 * batches (PROTOCOL.md 9.5): the highest own batch that passes steps
 * 1-7 becomes the chain base, unless the own batches fork or do not
 * link.  409 head_known when the head is known already.
 */
void	tly_drestore_post_head(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);

/* ---- Trust objects from the central (trustsync.c) ------------------------ */

struct tly_http_result;

/*
 * At start, after the store is open: take back the trust objects kept
 * by earlier syncs into d->trust (nothing without an authority).
 */
int	tly_dtrust_load(struct tallyd *d);
/*
 * Ask the central for its trust objects (GET /v1/trust?for=device, with
 * the ETag of the last answer taken), verify each under the authority
 * key and keep the newest revocation list and the configured central's
 * certificates (PROTOCOL.md 9.7).  Never fails the caller: problems are
 * logged.  *wire gets the call's byte counts and status (0 when nothing
 * was asked) for the caller's accounting.  cancel aborts the call.
 */
void	tly_dtrust_sync(struct tallyd *d, const volatile int *cancel,
	    struct tly_http_result *wire);
/*
 * The serial of the revocation list held (0: none), and whether the
 * device's own certificate is revoked in it (*revoked) from *revoked_at.
 */
void	tly_dtrust_status(struct tallyd *d, uint64_t *serial, int *revoked,
	    uint64_t *revoked_at);

/* ---- Sealing and relaying (seal.c) --------------------------------------- */

/*
 * Run the checks tly_dseal_records() runs on records[0..n) (with the
 * same context: other levels' stored records, the time now) and put
 * every problem in *probs (zeroed here): hard failures and warnings,
 * explained or not.  Signs and stores nothing.  TLY_E_RECORD when a
 * problem blocks signing, TLY_OK when the records may be sealed.
 */
int	tly_dseal_check(struct tallyd *d, const struct tly_record *records,
	    size_t n, struct tly_problems *probs);

/* Outcome of sealing (tly_dseal_records). */
struct tly_dseal_result {
	uint64_t	seq;			/* seq of the new batch */
	uint8_t		id[TLY_HASH_LEN];	/* its batch id */
	int		replayed;		/* the idempotency key had
						   sealed it before: nothing
						   new was signed */
	uint64_t	nrecords;		/* records in the batch */
};

/*
 * Check records[0..n) against the election; when any has a blocking
 * problem, return TLY_E_RECORD with every blocking problem in *probs
 * (zeroed here) and sign nothing.  Otherwise seal them as the next batch
 * of the chain, commit it, and fill *res.  The caller wakes the syncer.
 */
int	tly_dseal_records(struct tallyd *d, const struct tly_record *records,
	    size_t n, struct tly_problems *probs, struct tly_dseal_result *res);
/*
 * tly_dseal_records() for a request with an idempotency key (idem may be
 * NULL): when a batch was sealed with idem->key before, fill *res with
 * it (replayed set) and sign nothing, or fail with TLY_E_INVAL when that
 * request's body differed.  Otherwise the key is committed with the new
 * batch, in the same transaction.
 */
int	tly_dseal_records_idem(struct tallyd *d,
	    const struct tly_record *records, size_t n,
	    const struct tly_dstore_idem *idem, struct tly_problems *probs,
	    struct tly_dseal_result *res);

/*
 * Take in a bundle (POST /v1/bundle): verify each entry as a batch of
 * this election and mode, keep other devices' batches in the relay
 * table, and write the results array (PROTOCOL.md 8.1, no receipts) as
 * an object {"results": [...]} into w.  *stored and *rejected count the
 * outcomes.  TLY_E_BUNDLE when the bundle as a whole is malformed.
 */
int	tly_dseal_bundle(struct tallyd *d, const uint8_t *p, size_t len,
	    struct tly_jw *w, size_t *stored, size_t *rejected);

/* ---- The sync thread (syncer.c, deliver.c) ------------------------------- */

/* What one sync run did (POST /v1/sync). */
struct tly_dsync_result {
	const char	*outcome;	/* "ok", "failed", "frozen",
					   "no_central" */
	uint64_t	 acknowledged;	/* batches acknowledged by the run */
	uint64_t	 pending;	/* still to deliver after it (neither
					   acknowledged nor rejected) */
	char		 error[512];	/* "" when none */
};

/* The syncer's view for GET /v1/status. */
struct tly_dsync_status {
	int64_t		last_contact;	/* time of the last answer, -1 never */
	int64_t		last_proven;	/* time of the last answer proven to
					   be the central's (a receipt or a
					   link check that verified), -1
					   never */
	int64_t		next_attempt;	/* time of the next try, -1 none */
	int64_t		since;		/* first failure of the current
					   streak, -1 when not failing */
	uint64_t	wire_up;	/* bytes sent to the central */
	uint64_t	wire_down;	/* bytes received from it */
	uint64_t	wire_records;	/* records acknowledged meanwhile */
	char		last_error[512];	/* "" when none */
};

/* Start the thread for d (which must have a central).  *sp: new. */
int	tly_dsync_start(struct tallyd *d, struct tly_dsync **sp);
/*
 * Ask the thread to stop and wake everyone waiting on it, without
 * waiting (call before stopping the API).  NULL-safe.
 */
void	tly_dsync_quit(struct tly_dsync *s);
/* Quit, wait for the thread and free s.  NULL-safe. */
void	tly_dsync_stop(struct tly_dsync *s);
/* New work was committed: sync soon (unless backing off).  NULL-safe. */
void	tly_dsync_wake(struct tly_dsync *s);
/*
 * Start a run now, ignoring the backoff, and wait up to wait_s seconds
 * for a run that began after this call.  On timeout the outcome is
 * "failed" with an error saying so.
 */
void	tly_dsync_now(struct tly_dsync *s, unsigned wait_s,
	    struct tly_dsync_result *res);
/*
 * Fill *st with the syncer's last contact, next attempt, failure streak,
 * last error and byte counters.
 */
void	tly_dsync_get_status(struct tly_dsync *s, struct tly_dsync_status *st);

/*
 * Check the link to the central now (PROTOCOL.md 8.8), bounded by the
 * connect timeout and a few seconds more; on success remember the time
 * as the last proven contact (saved in the store) and, when backing
 * off, start a delivery run at once.  Returns as tly_link_check().
 */
struct tly_link_result;
int	tly_dsync_check_link(struct tly_dsync *s, struct tly_link_result *lr);

/* Pass a change of the network on: retry at once if backing off. */
void	tly_dsync_netchange(void *s);

/* ---- Watching the network (netwatch.c) ----------------------------------- */

struct tly_netwatch;

/*
 * Listen to rtnetlink (links, addresses, routes) on a thread of its own
 * and call fn(arg) from it after messages that may mean the network came
 * back.  *wp: new, stop with tly_netwatch_stop().
 */
int	tly_netwatch_start(void (*fn)(void *), void *arg,
	    struct tly_netwatch **wp);
void	tly_netwatch_stop(struct tly_netwatch *w);	/* NULL-safe */
/*
 * Does buf (len bytes read from an rtnetlink socket) hold a message that
 * may mean the network came back: RTM_NEWADDR, RTM_NEWROUTE, or an
 * RTM_NEWLINK of a link that is up and running?  1 or 0.
 */
int	tly_netwatch_relevant(const void *buf, size_t len);

/* ---- The local API (api.c) ----------------------------------------------- */

struct tly_http_req;
struct tly_http_resp;

/* The tly_httpd_fn of the local API; arg is the struct tallyd. */
void	tly_dapi_handle(void *arg, const struct tly_http_req *req,
	    struct tly_http_resp *resp);

/* metrics.c */

struct tly_route_params;
/* GET /metrics: the Prometheus text format; arg is the struct tallyd. */
void	tly_dapi_get_metrics(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* The tly_httpd_fn of the metrics-listen server: GET /metrics only. */
void	tly_dmetrics_handle(void *arg, const struct tly_http_req *req,
	    struct tly_http_resp *resp);

/* ---- Photos of the paper records (photo.c, photo_send.c) ---------------- */

struct tly_dphoto_sender;

/* Start the thread that sends kept photos to the central (8.12). */
int	tly_dphoto_start(struct tallyd *d, struct tly_dphoto_sender **pp);
/* Have it look for photos to send now.  NULL-safe. */
void	tly_dphoto_wake(struct tly_dphoto_sender *p);
/* Stop it (a call in progress is cancelled) and free it.  NULL-safe. */
void	tly_dphoto_stop(struct tly_dphoto_sender *p);

struct tly_route_params;

/*
 * POST /v1/photos: keep the image in the body (JPEG, PNG or WebP, at
 * most TLY_DSTORE_PHOTO_MAX bytes) and answer its BLAKE2b-256, the
 * "photo" of the record it shows (PROTOCOL.md 9).
 */
void	tly_dphoto_post(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);

/* ---- The entry page (web.c) ---------------------------------------------- */

/* One file of web/field/, built into the binary (web/embed.sh). */
struct tly_dweb_asset {
	const char		*name;	/* file name, e.g. "app.js" */
	const char		*type;	/* its Content-Type */
	const unsigned char	*data;	/* its bytes */
	size_t			 len;	/* their number */
};

/* Every asset, ended by an entry whose name is NULL (generated). */
extern const struct tly_dweb_asset tly_dweb_assets[];

/*
 * The tly_httpd_fn of the web listener (web-listen); arg is the struct
 * tallyd.  Serves the assets, and every /v1/ path as tly_dapi_handle()
 * does, to requests whose Host is the listener's own address and whose
 * POSTs come from its own page (PROTOCOL.md 9.6).
 */
void	tly_dweb_handle(void *arg, const struct tly_http_req *req,
	    struct tly_http_resp *resp);

/*
 * The tly_httpd_fn of the listener for phones (lan-listen, HTTPS); arg
 * is the struct tallyd.  To a browser without a pairing it serves only
 * the pairing form (pair.html, pair.js, app.css) and POST /v1/pair; to a
 * paired one, what tly_dweb_handle() serves, except /v1/pairings
 * (PROTOCOL.md 9.6).
 */
void	tly_dweb_lan_handle(void *arg, const struct tly_http_req *req,
	    struct tly_http_resp *resp);

/* ---- Phones on the team's Wi-Fi (pair.c) --------------------------------- */

struct tly_dpair;

/*
 * Open the pairings of DATADIR/pairings (none when it does not exist),
 * for the listener at url ("https://IP:PORT/") whose certificate has
 * fingerprint fp.  *pp: new, close with tly_dpair_close().
 */
int	tly_dpair_open(const char *datadir, const char *url, const char *fp,
	    struct tly_dpair **pp);
void	tly_dpair_close(struct tly_dpair *p);		/* NULL-safe */
/* 1 when the Cookie header cookies holds a pairing's token, else 0. */
int	tly_dpair_check(struct tly_dpair *p, const char *cookies);
/*
 * POST /v1/pair on the phones' listener: {"code", "label"}; a right code
 * (used once) sets the pairing cookie.  arg is the struct tallyd.
 */
void	tly_dpair_redeem(void *arg, const struct tly_http_req *req,
	    struct tly_http_resp *resp);
/* GET /v1/pairings: the listener's url, fingerprint and pairings. */
void	tly_dpair_get(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* POST /v1/pairings/code: a new six-digit code for 5 minutes. */
void	tly_dpair_post_code(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);
/* DELETE /v1/pairings/{id}: revoke that pairing. */
void	tly_dpair_delete(void *arg, const struct tly_http_req *req,
	    const struct tly_route_params *rp, struct tly_http_resp *resp);

#endif /* TLY_DAEMON_TALLYD_H */
