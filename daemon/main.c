/*
 * main.c: tallyd, the field daemon (tallyd(8)).
 *
 * Start-up order: read the config, drop privileges, create the data
 * directory, load or create the device key, read the election definition
 * and the central's key, open the store, start the sync thread, serve the
 * local API, signal readiness.  Signals only write to a self-pipe; the
 * main thread waits on it and shuts down in the reverse order.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/daemon.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "sync/http.h"
#include "sync/trust.h"
#include "daemon/tallyd.h"

#define EXIT_USAGE	TLY_EXIT_CONFIG	/* usage or configuration error */

/* tallyd --help. */
static const char help[] =
"usage: tallyd -c FILE [-n] [-R FD] [-v]\n"
"       tallyd -h | --help\n"
"\n"
"tallyd, the field daemon: checks and signs count records into a\n"
"hash-chained log, serves the local API that tally(1) uses, and delivers\n"
"the batches to the central (tallyd(8)).\n"
"\n"
"  -c FILE   configuration file (tallyd.conf(5)); required\n"
"  -n        check the configuration, key, election and store, then exit\n"
"  -R FD     write \"READY\" to the file descriptor FD once serving\n"
"  -v        debug logging\n"
"  -h, --help  this help\n"
"\n"
"The data directory is created 0700 (owned by 'user' when started as\n"
"root) and refused when group or others may write to it.  The local API\n"
"socket is " TLY_TALLYD_SOCKET " unless 'socket' is set.\n"
"\n"
"Exit status: 0 stopped by a signal or -n ok; 1 runtime failure;\n"
"2 usage, configuration or key error.\n";

/* The directories tallyd writes to: created as user, checked like ssh. */
static int
make_dirs(const struct tallyd *d)
{
	char	*sockdir, *slash;
	int	 r;

	if ((r = tly_daemon_private_dir(d->conf.datadir, 0700, "datadir",
	    d->conf.user)) != TLY_OK)
		return r;
	if ((sockdir = strdup(d->conf.socket)) == NULL)
		return TLY_E_NOMEM;
	if ((slash = strrchr(sockdir, '/')) != NULL && slash != sockdir) {
		*slash = '\0';
		r = tly_daemon_private_dir(sockdir, 0755, "socket directory",
		    d->conf.user);
	}
	free(sockdir);
	return r;
}

/*
 * The definition file as a tly_election_source: read in chunks, each pass
 * hashed; every pass after the first must hash as the first did, so the
 * areas kept come from the bytes that the hash names.
 */
struct defsrc {
	const char		*path;		/* the file */
	int			 fd;		/* open on it */
	struct tly_hasher	*h;		/* hash of this pass */
	uint64_t		 len;		/* bytes read in this pass */
	int			 pass;		/* passes ended */
	uint8_t			 hash[TLY_HASH_LEN];	/* the first's hash */
};

/* tly_election_source.read: the next bytes, hashed. */
static int
defsrc_read(void *arg, void *buf, size_t max, size_t *got)
{
	struct defsrc	*s = arg;
	ssize_t		 n;

	*got = 0;
	do
		n = read(s->fd, buf, max);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return tly_fail(TLY_E_IO, "%s: %s", s->path, strerror(errno));
	if ((uint64_t)n > TLY_ELECTION_FILE_MAX - s->len)
		return tly_fail(TLY_E_TOO_LARGE, "%s: over %lu bytes", s->path,
		    (unsigned long)TLY_ELECTION_FILE_MAX);
	s->len += (uint64_t)n;
	tly_hasher_update(s->h, buf, (size_t)n);
	*got = (size_t)n;
	return TLY_OK;
}

/* End a pass: its hash is the first pass's, or the file changed. */
static int
defsrc_end(struct defsrc *s)
{
	uint8_t	 hash[TLY_HASH_LEN];

	tly_hasher_final(s->h, hash);
	if (s->pass++ == 0)
		memcpy(s->hash, hash, TLY_HASH_LEN);
	else if (memcmp(hash, s->hash, TLY_HASH_LEN) != 0)
		return tly_fail(TLY_E_IO, "%s changed while it was read",
		    s->path);
	return TLY_OK;
}

/* tly_election_source.rewind: end this pass, start the next. */
static int
defsrc_rewind(void *arg)
{
	struct defsrc	*s = arg;
	int		 r;

	if ((r = defsrc_end(s)) != TLY_OK)
		return r;
	if (lseek(s->fd, 0, SEEK_SET) != 0)
		return tly_fail(TLY_E_IO, "%s: %s", s->path, strerror(errno));
	tly_hasher_destroy(s->h);
	s->len = 0;
	return tly_hasher_create(&s->h);
}

/*
 * Read the election definition: hash it as a stream (the certificate
 * check needs the hash), then keep what the device's certificate scope
 * needs (all of it without a certificate, or with one for every area).
 */
static int
load_election(struct tallyd *d, struct defsrc *s)
{
	const struct tly_election_source src = { defsrc_read, defsrc_rewind,
	    s };
	struct tly_election_scope	 scope = { 1, 0, NULL };
	uint8_t				 buf[16384];
	size_t				 got;
	int				 r;

	if ((r = tly_hasher_create(&s->h)) != TLY_OK)
		return r;
	do
		if ((r = defsrc_read(s, buf, sizeof(buf), &got)) != TLY_OK)
			return r;
	while (got > 0);
	if ((r = defsrc_rewind(s)) != TLY_OK)
		return r;
	memcpy(d->election_hash, s->hash, TLY_HASH_LEN);
	if ((r = tly_dkeys_load(d)) != TLY_OK)
		return r;
	if (d->cert != NULL && d->cert->kind == TLY_CERT_DEVICE &&
	    !d->cert->all_areas) {
		scope.all = 0;
		scope.nareas = d->cert->nareas;
		scope.areas = (const char (*)[TLY_ID_MAX + 1])d->cert->areas;
	}
	tly_buf_init(&d->election_def, TLY_ELECTION_FILE_MAX);
	if ((r = tly_election_read_scope(&src, &scope, &d->election_def,
	    &d->election)) != TLY_OK) {
		r = tly_fail(r, "%s: %s", s->path, tly_errdetail());
		return r;
	}
	if ((r = defsrc_end(s)) != TLY_OK)
		return r;
	tly_log_info("election definition %s: %zu polling areas kept%s, "
	    "%zu of %llu bytes", s->path, tly_election_nareas(d->election),
	    scope.all ? " (all)" : " (the certificate's scope)",
	    d->election_def.len, (unsigned long long)s->len);
	return TLY_OK;
}

/* Load everything the config names into d.  *exitp says how to fail. */
static int
load(struct tallyd *d, int *exitp)
{
	struct defsrc	s;
	int		r;

	*exitp = EXIT_USAGE;
	memset(&s, 0, sizeof(s));
	s.path = d->conf.election;
	if ((s.fd = open(s.path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = tly_fail(TLY_E_IO, "%s: %s", s.path, strerror(errno));
		goto out;
	}
	if ((r = load_election(d, &s)) != TLY_OK)
		goto out;
	*exitp = 1;
 out:
	tly_hasher_destroy(s.h);
	if (s.fd >= 0)
		close(s.fd);
	return r;
}

/* Open the store and check it belongs to this device key. */
static int
open_store(struct tallyd *d)
{
	char	 path[PATH_MAX], hex[TLY_HEX_HASH], held[TLY_HEX_HASH];
	int	 r;

	if ((size_t)snprintf(path, sizeof(path), "%s/tallyd.db",
	    d->conf.datadir) >= sizeof(path))
		return tly_fail(TLY_E_CONFIG, "datadir path too long");
	if ((r = tly_dstore_open(path, &d->store)) != TLY_OK)
		return r;
	tly_hex(d->device, TLY_PK_LEN, hex);
	r = tly_dstore_meta_get(d->store, "device", held, sizeof(held));
	if (r == TLY_E_NOTFOUND && (r = tly_drestore_open(d, 1)) == TLY_OK)
		r = tly_dstore_meta_set(d->store, "device", hex);
	else if (r == TLY_OK && strcmp(held, hex) != 0)
		return tly_fail(TLY_E_KEY, "%s holds the chain of device %s, "
		    "not of this key (%s)", path, held, hex);
	if (r == TLY_OK)
		r = tly_dkeys_fresh_done(d);	/* once the store holds it */
	if (r != TLY_OK)
		return r;
	tly_hex(d->election_hash, TLY_HASH_LEN, hex);
	r = tly_dstore_meta_get(d->store, "election", held, sizeof(held));
	if (r == TLY_OK && strcmp(held, hex) != 0)
		tly_log_warn("the election definition changed (was %s)", held);
	if (r == TLY_E_NOTFOUND || (r == TLY_OK && strcmp(held, hex) != 0))
		r = tly_dstore_meta_set(d->store, "election", hex);
	if (r == TLY_OK)
		r = tly_dtrust_load(d);		/* kept by earlier syncs */
	return r;
}

/*
 * Take the data directory's lock (one daemon per store) and clear a
 * socket left by a dead daemon.  *lockfd is kept open while running.
 */
static int
claim(const struct tallyd *d, int *lockfd)
{
	struct sockaddr_un	sun;
	char			path[PATH_MAX];
	int			fd;

	snprintf(path, sizeof(path), "%s/tallyd.lock", d->conf.datadir);
	if ((*lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return tly_fail(TLY_E_IO, "%s: %s", path, strerror(errno));
	if (flock(*lockfd, LOCK_EX | LOCK_NB) != 0)
		return tly_fail(TLY_E_BUSY, "another tallyd uses %s",
		    d->conf.datadir);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return tly_fail(TLY_E_IO, "socket: %s", strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", d->conf.socket);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		return tly_fail(TLY_E_BUSY, "%s: another daemon listens there",
		    d->conf.socket);
	}
	close(fd);
	if (unlink(d->conf.socket) != 0 && errno != ENOENT)
		return tly_fail(TLY_E_IO, "%s: %s", d->conf.socket,
		    strerror(errno));
	return TLY_OK;
}

/*
 * Start the HTTPS listener for phones (lan-listen): the certificate of
 * DATADIR/lan-cert.pem (made on first start), the pairings, then the
 * server; adds " lan=PORT" to the readiness line.
 */
static int
lan_start(struct tallyd *d, struct tly_tls_id *tls, struct tly_httpd **hp,
    char *ready, size_t readylen)
{
	struct tly_httpd_opts	 ho;
	char			 cert[PATH_MAX], key[PATH_MAX], url[64];
	size_t			 n;
	int			 r;

	snprintf(cert, sizeof(cert), "%s/lan-cert.pem", d->conf.datadir);
	snprintf(key, sizeof(key), "%s/lan-key.pem", d->conf.datadir);
	if ((r = tly_tls_id_load_or_create(cert, key, d->conf.lan_host,
	    tls)) != TLY_OK)
		return r;
	memset(&ho, 0, sizeof(ho));
	ho.host = d->conf.lan_host;
	ho.port = d->conf.lan_port;
	ho.body_max = TLY_LOCAL_BODY_MAX;
	ho.threads = 2;
	ho.conn_max = 32;
	ho.timeout_s = 60;
	ho.per_ip_max = 8;
	ho.tls_cert = (const char *)tls->cert.p;
	ho.tls_key = (const char *)tls->key.p;
	ho.fn = tly_dweb_lan_handle;
	ho.arg = d;
	if ((r = tly_httpd_start(&ho, hp)) != TLY_OK)
		return r;
	d->lan_port = tly_httpd_port(*hp);
	snprintf(url, sizeof(url), "https://%s:%u/", d->conf.lan_host,
	    d->lan_port);
	if ((r = tly_dpair_open(d->conf.datadir, url, tls->fingerprint,
	    &d->pair)) != TLY_OK)
		return r;
	tly_log_info("phones on %s (%s certificate SHA-256 %s)", url,
	    tls->created ? "new" : "the", tls->fingerprint);
	n = strlen(ready);
	if (n > 0 && ready[n - 1] == '\n')
		snprintf(ready + n - 1, readylen - n + 1, " lan=%u\n",
		    d->lan_port);
	return TLY_OK;
}

int
main(int argc, char **argv)
{
	struct tly_daemon_args	 a;
	struct tallyd		 d;
	struct tly_httpd_opts	 ho;
	struct tly_httpd	*httpd = NULL, *mhttpd = NULL, *web = NULL;
	struct tly_httpd	*lan = NULL;
	struct tly_tls_id	 tls;
	char			 ready[48];
	char			 hex[TLY_HEX_PK];
	enum tly_drop		 drop;
	int			 lockfd = -1, r, ex = 1, have_mu = 0;

	memset(&d, 0, sizeof(d));
	memset(&tls, 0, sizeof(tls));
	if ((ex = tly_daemon_args("tallyd", help, 0, argc, argv, &a)) >= 0)
		return ex;
	ex = 1;
	tly_log_init("tallyd", a.verbose ? TLY_LOG_DEBUG : TLY_LOG_INFO);
	umask(077);		/* the store and the socket are private */
	if ((r = tly_daemon_signals()) != TLY_OK)
		goto fail;
	if ((r = tly_dconf_load(a.cfgpath, &d.conf)) != TLY_OK) {
		ex = EXIT_USAGE;
		goto fail;
	}
	/* Before the drop: the user may not be able to create them. */
	if ((r = make_dirs(&d)) != TLY_OK) {
		ex = tly_daemon_exit_code(r);
		goto fail;
	}
	if ((r = tly_daemon_drop_privileges(d.conf.user, d.conf.path,
	    &drop)) != TLY_OK) {
		ex = tly_daemon_exit_code(r);
		goto fail;
	}
	if (drop == TLY_DROP_KEPT_ROOT)
		tly_log_warn("running as root; set 'user' in %s", d.conf.path);
	else if (drop == TLY_DROP_DROPPED)
		tly_log_info("running as %s", d.conf.user);
	if ((r = tly_crypto_init()) != TLY_OK ||
	    (r = tly_http_global_init()) != TLY_OK)
		goto fail;
	if ((r = load(&d, &ex)) != TLY_OK)
		goto fail;
	ex = 1;
	tly_log_info("device key %s", tly_hex(d.device, TLY_PK_LEN, hex));
	if (a.check) {
		if ((r = open_store(&d)) != TLY_OK)
			goto fail;
		tly_log_info("local API socket %s", d.conf.socket);
		tly_log_info("%s: configuration ok", a.cfgpath);
		ex = 0;
		goto out;
	}
	if ((r = claim(&d, &lockfd)) != TLY_OK || (r = open_store(&d)) != TLY_OK)
		goto fail;
	if (pthread_mutex_init(&d.seal_mu, NULL) != 0) {
		r = tly_fail(TLY_E_NOMEM, "mutex");
		goto fail;
	}
	have_mu = 1;
	tly_log_info("election %s (%s), mode %s, central %s",
	    tly_election_id(d.election), tly_hex(d.election_hash, TLY_HASH_LEN,
	    hex), d.conf.test ? "test" : "live",
	    d.conf.central ? d.conf.central : "none");
	if (d.has_central && ((r = tly_dsync_start(&d, &d.sync)) != TLY_OK ||
	    (r = tly_dphoto_start(&d, &d.photos)) != TLY_OK))
		goto fail;
	memset(&ho, 0, sizeof(ho));
	ho.unix_path = d.conf.socket;
	ho.unix_chgrp = d.conf.socket_group != NULL;
	ho.unix_mode = ho.unix_chgrp ? 0660 : 0600;
	ho.unix_gid = d.conf.socket_gid;
	ho.body_max = TLY_BUNDLE_BODY_MAX;
	ho.threads = 4;
	ho.conn_max = 64;
	ho.timeout_s = 120;
	ho.fn = tly_dapi_handle;
	ho.arg = &d;
	if ((r = tly_httpd_start(&ho, &httpd)) != TLY_OK)
		goto fail;
	tly_log_info("listening on %s", d.conf.socket);
	snprintf(ready, sizeof(ready), "READY\n");
	if (d.conf.web_listen != NULL) {
		ho.unix_path = NULL;
		ho.host = "127.0.0.1";
		ho.port = d.conf.web_port;
		ho.fn = tly_dweb_handle;
		d.web_port = d.conf.web_port;
		if ((r = tly_httpd_start(&ho, &web)) != TLY_OK)
			goto fail;
		d.web_port = tly_httpd_port(web);
		tly_log_info("entry page on http://127.0.0.1:%u/",
		    tly_httpd_port(web));
		snprintf(ready, sizeof(ready), "READY web=%u\n",
		    tly_httpd_port(web));
	}
	if (d.conf.lan_listen != NULL && (r = lan_start(&d, &tls, &lan,
	    ready, sizeof(ready))) != TLY_OK)
		goto fail;
	if (d.conf.metrics_listen != NULL) {	/* GET /metrics over TCP */
		memset(&ho, 0, sizeof(ho));
		ho.host = d.conf.metrics_listen;
		ho.port = d.conf.metrics_port;
		ho.body_max = TLY_LOCAL_BODY_MAX;
		ho.threads = 1;
		ho.conn_max = 8;
		ho.fn = tly_dmetrics_handle;
		ho.arg = &d;
		if ((r = tly_httpd_start(&ho, &mhttpd)) != TLY_OK)
			goto fail;
		tly_log_info("metrics on %s%s%s:%u", strchr(ho.host, ':') ?
		    "[" : "", ho.host, strchr(ho.host, ':') ? "]" : "",
		    tly_httpd_port(mhttpd));
	}
	if (a.readyfd >= 0 && tly_daemon_ready(a.readyfd, ready) !=
	    TLY_OK)
		tly_log_warn("%s", tly_errdetail());
	if (tly_daemon_notify("READY=1") != TLY_OK)
		tly_log_warn("%s", tly_errdetail());
	tly_log_info("signal %d: shutting down", tly_daemon_wait());
	ex = 0;
	goto out;
 fail:
	tly_log_error("%s", tly_errdetail());
 out:
	tly_dsync_quit(d.sync);		/* releases POST /v1/sync waiters */
	tly_httpd_stop(mhttpd);
	tly_httpd_stop(lan);
	tly_httpd_stop(web);
	tly_httpd_stop(httpd);
	tly_dpair_close(d.pair);
	tly_tls_id_finish(&tls);
	tly_dsync_stop(d.sync);
	tly_dphoto_stop(d.photos);
	tly_dstore_close(d.store);
	if (have_mu)
		pthread_mutex_destroy(&d.seal_mu);
	tly_election_free(d.election);
	tly_buf_free(&d.election_def);
	tly_dkeys_free(&d);
	tly_dconf_finish(&d.conf);
	if (lockfd >= 0)
		close(lockfd);
	return ex;
}
