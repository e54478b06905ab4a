/*
 * config.c: tally-central's configuration file, data directory, key and
 * election definition (tally-central.conf(5)).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "central/central.h"
#include "central/store.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/err.h"

#define DEFAULT_LISTEN	"127.0.0.1:8080"
#define THREADS_MAX	256
#define CONN_MAX	65536

static const char *const mode_words[] = { "live", "test", NULL };
static const char *const yes_words[] = { "no", "yes", NULL };

#define F(x)	offsetof(struct tly_central_conf, x)

/* Every key tally-central.conf may hold (tally-central.conf(5)). */
static const struct tly_ckey central_keys[] = {
	{ "datadir", TLY_CKEY_STR, F(datadir), 0, 0, NULL, 1, NULL },
	{ "listen", TLY_CKEY_STR, F(listen), 0, 0, DEFAULT_LISTEN, 0, NULL },
	{ "key", TLY_CKEY_STR, F(keypath), 0, 0, NULL, 0, NULL },
	{ "election", TLY_CKEY_STR, F(election), 0, 0, NULL, 1, NULL },
	{ "mode", TLY_CKEY_CHOICE, F(test), 0, 0, "live", 0, mode_words },
	{ "threads", TLY_CKEY_UNSIGNED, F(threads), 1, THREADS_MAX, "32", 0,
	    NULL },
	{ "max-connections", TLY_CKEY_UNSIGNED, F(conn_max), 1, CONN_MAX,
	    "4096", 0, NULL },
	{ "max-connections-per-address", TLY_CKEY_UNSIGNED, F(per_ip_max), 0,
	    CONN_MAX, "0", 0, NULL },
	{ "user", TLY_CKEY_STR, F(user), 0, 0, NULL, 0, NULL },
	{ "devices", TLY_CKEY_STR, F(devices), 0, 0, NULL, 0, NULL },
	{ "public", TLY_CKEY_CHOICE, F(public_view), 0, 0, "no", 0, yes_words },
	{ "authority", TLY_CKEY_STR, F(authority), 0, 0, NULL, 0, NULL },
	{ "definition-signature", TLY_CKEY_STR, F(defsig), 0, 0, NULL, 0,
	    NULL },
	{ "certificates", TLY_CKEY_STR, F(certs), 0, 0, NULL, 0, NULL },
	{ "revocations", TLY_CKEY_STR, F(revocations), 0, 0, NULL, 0, NULL },
	{ "central-cert", TLY_CKEY_STR, F(central_cert), 0, 0, NULL, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, NULL }
};

#undef F

/* A malloc'd path dir/name; NULL if out of memory or too long. */
static char *
path_join(const char *dir, const char *name)
{
	char	*p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	if (strlen(p) >= PATH_MAX) {
		free(p);
		return NULL;
	}
	return p;
}

/*
 * Parse "host:port" (IPv6 as "[addr]:port") into conf; where names the
 * line for errors.
 */
static int
parse_listen(const char *v, const char *where, struct tly_central_conf *conf)
{
	const char	*colon, *hs, *he;
	char		*end;
	unsigned long	 port;

	if ((colon = strrchr(v, ':')) == NULL)
		return tly_fail(TLY_E_CONFIG, "%s: listen: expected "
		    "host:port", where);
	hs = v;
	he = colon;
	if (*v == '[') {
		if (colon == v || colon[-1] != ']')
			return tly_fail(TLY_E_CONFIG, "%s: listen: expected "
			    "[address]:port", where);
		hs = v + 1;
		he = colon - 1;
	}
	if (he == hs || memchr(hs, '[', (size_t)(he - hs)) != NULL ||
	    memchr(hs, ']', (size_t)(he - hs)) != NULL)
		return tly_fail(TLY_E_CONFIG, "%s: listen: missing host",
		    where);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
	    port > 65535)
		return tly_fail(TLY_E_CONFIG, "%s: listen: bad port '%s'",
		    where, colon + 1);
	if ((conf->host = strndup(hs, (size_t)(he - hs))) == NULL)
		return TLY_E_NOMEM;
	conf->port = (unsigned)port;
	return TLY_OK;
}

int
tly_central_conf_load(const char *path, struct tly_central_conf *conf)
{
	struct tly_config	*cfg = NULL;
	int			 r;

	memset(conf, 0, sizeof(*conf));
	if ((r = tly_config_load_table(path, central_keys, conf, &cfg)) !=
	    TLY_OK)
		goto out;
	snprintf(conf->dwhere, sizeof(conf->dwhere), "%s",
	    tly_config_where(cfg, "devices"));
	snprintf(conf->ewhere, sizeof(conf->ewhere), "%s",
	    tly_config_where(cfg, "election"));
	snprintf(conf->uwhere, sizeof(conf->uwhere), "%s",
	    tly_config_where(cfg, "user"));
	snprintf(conf->awhere, sizeof(conf->awhere), "%s",
	    tly_config_where(cfg, "authority"));
	if (conf->keypath == NULL &&
	    (conf->keypath = path_join(conf->datadir, TLY_CENTRAL_KEY)) ==
	    NULL) {
		r = tly_fail(TLY_E_CONFIG, "%s: datadir: path too long",
		    tly_config_where(cfg, "datadir"));
		goto out;
	}
	r = parse_listen(conf->listen, tly_config_where(cfg, "listen"), conf);
 out:
	if (r != TLY_OK)
		tly_central_conf_free(conf);
	tly_config_free(cfg);
	return r;
}

void
tly_central_conf_free(struct tly_central_conf *conf)
{
	free(conf->datadir);
	free(conf->host);
	free(conf->keypath);
	free(conf->election);
	free(conf->user);
	free(conf->devices);
	free(conf->listen);
	free(conf->authority);
	free(conf->defsig);
	free(conf->certs);
	free(conf->revocations);
	free(conf->central_cert);
	memset(conf, 0, sizeof(*conf));
}

/* Create the data directory (mode 0700) if missing; it must be a dir. */
static int
make_datadir(const char *dir)
{
	struct stat	st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return tly_fail(TLY_E_IO, "%s: cannot create: %s", dir,
		    strerror(errno));
	if (stat(dir, &st) != 0)
		return tly_fail(TLY_E_IO, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return tly_fail(TLY_E_IO, "%s: not a directory", dir);
	return TLY_OK;
}

/* Load or create the central key; refuse a key others can read. */
static int
load_key(struct tly_central *c)
{
	char		*pub = NULL, *line = NULL;
	int		 r;

	if ((r = tly_key_load_or_create(c->conf.keypath, &c->key)) != TLY_OK)
		goto out;
	if ((r = tly_daemon_key_private(c->conf.keypath)) != TLY_OK)
		goto out;
	tly_hex(tly_key_public(c->key), TLY_PK_LEN, c->keyhex);

	/* The public file, for distribution to devices. */
	if ((pub = path_join(c->conf.datadir, TLY_CENTRAL_PUB)) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	if (access(pub, F_OK) != 0) {
		if (asprintf(&line, "tally-ed25519-public %s\n", c->keyhex) <
		    0) {
			line = NULL;
			r = TLY_E_NOMEM;
			goto out;
		}
		if ((r = tly_file_write_atomic(pub, line, strlen(line),
		    0644)) != TLY_OK)
			goto out;
	}
	r = TLY_OK;
 out:
	free(pub);
	free(line);
	return r;
}

/* Read, hash and parse the election definition. */
static int
load_election(struct tly_central *c)
{
	struct tly_buf	b = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	char		msg[600];
	int		r;

	tly_errclear();
	if ((r = tly_buf_read_file(c->conf.election, TLY_ELECTION_FILE_MAX,
	    &b)) != TLY_OK) {
		snprintf(msg, sizeof(msg), "%s", tly_errdetail());
		r = tly_fail(TLY_E_CONFIG, "%s: election: %s", c->conf.ewhere,
		    msg);
		goto out;
	}
	tly_hash(b.p, b.len, c->ehash);
	tly_hex(c->ehash, TLY_HASH_LEN, c->ehashhex);
	tly_errclear();
	if ((r = tly_election_parse(b.p, b.len, &c->election)) != TLY_OK) {
		snprintf(msg, sizeof(msg), "%s", tly_errdetail());
		r = tly_fail(TLY_E_CONFIG, "%s: election %s: %s",
		    c->conf.ewhere, c->conf.election, msg);
		goto out;
	}
	r = tly_central_trust_open(c, b.p, b.len);
 out:
	tly_buf_free(&b);
	return r;
}

#define DEVICES_FILE_MAX	TLY_DEVICES_FILE_MAX	/* ~170,000 keys */

static int
key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, TLY_PK_LEN);
}

/*
 * Read the device list: one public key per line (64 hex characters or a
 * public key file's line), blank lines and '#' comments ignored.
 * Errors name the list's file and line.
 */
static int
load_devices(struct tly_central *c)
{
	struct tly_buf	 b = TLY_BUF_INIT(DEVICES_FILE_MAX);
	char		*p, *nl, *end;
	size_t		 line = 0, cap = 0;
	uint8_t		*keys = NULL, *nk;
	int		 r;

	if (c->conf.devices == NULL)
		return TLY_OK;
	if ((r = tly_buf_read_file(c->conf.devices, DEVICES_FILE_MAX, &b)) !=
	    TLY_OK) {
		r = tly_fail(TLY_E_CONFIG, "%s: devices: %s", c->conf.dwhere,
		    tly_errdetail());
		goto out;
	}
	for (p = (char *)b.p; p < (char *)b.p + b.len; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)((char *)b.p + b.len - p))) ==
		    NULL)
			nl = (char *)b.p + b.len;
		*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r'))
			*--end = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (c->ndevices == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nk = reallocarray(keys, cap, TLY_PK_LEN)) == NULL) {
				r = TLY_E_NOMEM;
				goto out;
			}
			keys = nk;
		}
		if (tly_pubkey_parse(p, keys + c->ndevices * TLY_PK_LEN) !=
		    TLY_OK) {
			r = tly_fail(TLY_E_CONFIG, "%s:%zu: not a device "
			    "public key", c->conf.devices, line);
			goto out;
		}
		c->ndevices++;
	}
	if (c->ndevices == 0) {
		r = tly_fail(TLY_E_CONFIG, "%s: devices: %s lists no device",
		    c->conf.dwhere, c->conf.devices);
		goto out;
	}
	qsort(keys, c->ndevices, TLY_PK_LEN, key_cmp);
	c->devices = keys;
	keys = NULL;		/* transferred */
	r = TLY_OK;
 out:
	if (r != TLY_OK)
		c->ndevices = 0;
	free(keys);
	tly_buf_free(&b);
	return r;
}

int
tly_central_open(struct tly_central *c)
{
	char	*db = NULL;
	int	 r;

	atomic_init(&c->inflight, 0);
	if ((r = make_datadir(c->conf.datadir)) != TLY_OK ||
	    (r = load_key(c)) != TLY_OK ||
	    (r = load_election(c)) != TLY_OK ||
	    (r = load_devices(c)) != TLY_OK)
		goto out;
	if ((db = path_join(c->conf.datadir, TLY_CENTRAL_DB)) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	if ((r = tly_cstore_open(db, &c->store)) != TLY_OK ||
	    (r = tly_central_ingest_init(c)) != TLY_OK)	/* over the store */
		goto out;
	r = tly_central_trust_restore(c);
 out:
	free(db);
	return r;
}

void
tly_central_close(struct tly_central *c)
{
	tly_cstore_close(c->store);
	c->store = NULL;
	tly_central_ingest_fini(c);
	tly_central_trust_close(c);
	tly_election_free(c->election);
	c->election = NULL;
	tly_key_free(c->key);
	c->key = NULL;
	free(c->devices);
	c->devices = NULL;
	c->ndevices = 0;
	tly_central_conf_free(&c->conf);
}
