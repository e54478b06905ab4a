/*
 * config.c: tallyd.conf, the field daemon's settings (tallyd.conf(5)).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/config.h"
#include "common/daemon.h"
#include "common/err.h"
#include "daemon/tallyd.h"

static const char *const mode_words[] = { "live", "test", NULL };
static const char *const yes_no[] = { "no", "yes", NULL };

#define F(x)	offsetof(struct tly_dconf, x)

/* Every key tallyd.conf may hold (tallyd.conf(5)). */
static const struct tly_ckey dconf_keys[] = {
	{ "datadir", TLY_CKEY_STR, F(datadir), 0, 0, NULL, 1, NULL },
	{ "socket", TLY_CKEY_STR, F(socket), 0, 0, TLY_TALLYD_SOCKET, 0,
	    NULL },
	{ "socket-group", TLY_CKEY_STR, F(socket_group), 0, 0, NULL, 0, NULL },
	{ "key", TLY_CKEY_STR, F(key), 0, 0, NULL, 0, NULL },
	{ "election", TLY_CKEY_STR, F(election), 0, 0, NULL, 1, NULL },
	{ "central", TLY_CKEY_STR, F(central), 0, 0, NULL, 0, NULL },
	{ "central-key", TLY_CKEY_STR, F(central_key), 0, 0, NULL, 0, NULL },
	{ "central-cert", TLY_CKEY_STR, F(central_cert), 0, 0, NULL, 0, NULL },
	{ "authority", TLY_CKEY_STR, F(authority), 0, 0, NULL, 0, NULL },
	{ "passphrase-fd", TLY_CKEY_UINT, F(passphrase_fd_u), 0, 1023, NULL, 0,
	    NULL },
	{ "mode", TLY_CKEY_CHOICE, F(test), 0, 0, "live", 0, mode_words },
	{ "backoff-min", TLY_CKEY_UINT, F(backoff_min), 1, 86400, "1", 0,
	    NULL },
	{ "backoff-max", TLY_CKEY_UINT, F(backoff_max), 1, 86400, "300", 0,
	    NULL },
	{ "connect-timeout", TLY_CKEY_UINT, F(connect_timeout), 1, 600, "10",
	    0, NULL },
	{ "batch-max", TLY_CKEY_UINT, F(batch_max), 1, 4096, "64", 0, NULL },
	{ "low-speed-time", TLY_CKEY_UINT, F(low_speed_time), 1, 600, "30", 0,
	    NULL },
	{ "netwatch", TLY_CKEY_CHOICE, F(netwatch), 0, 0, "yes", 0, yes_no },
	{ "user", TLY_CKEY_STR, F(user), 0, 0, NULL, 0, NULL },
	{ "metrics-listen", TLY_CKEY_STR, F(metrics_listen), 0, 0, NULL, 0,
	    NULL },
	{ "web-listen", TLY_CKEY_STR, F(web_listen), 0, 0, NULL, 0, NULL },
	{ "lan-listen", TLY_CKEY_STR, F(lan_listen), 0, 0, NULL, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, NULL }
};

#undef F

/* *out = the default "<dir>/<name>" unless it is set already. */
static int
dconf_path(const char *dir, const char *name, char **out)
{
	if (*out != NULL)
		return TLY_OK;
	if (asprintf(out, "%s/%s", dir, name) < 0)
		*out = NULL;
	return *out == NULL ? TLY_E_NOMEM : TLY_OK;
}

/*
 * Check the authority of a URL, auth[0..len): a host, then optionally
 * ':' and a port of 1 to 65535 digits' worth.  An empty port ("host:")
 * would silently mean port 80 to libcurl, so it is an error.
 */
static int
dconf_authority(const char *where, const char *auth, size_t len)
{
	const char	*host_end = auth + len, *p;
	unsigned long	 port = 0;

	if (len > 0 && auth[0] == '[') {
		if ((host_end = memchr(auth, ']', len)) == NULL)
			return tly_fail(TLY_E_CONFIG, "%s: central: '[' without "
			    "']' in the host", where);
		host_end++;
	} else if ((p = memchr(auth, ':', len)) != NULL)
		host_end = p;
	if (host_end == auth || (auth[0] == '[' && host_end - auth <= 2))
		return tly_fail(TLY_E_CONFIG, "%s: central has no host", where);
	if (host_end == auth + len)
		return TLY_OK;
	if (*host_end != ':')
		return tly_fail(TLY_E_CONFIG, "%s: central: unexpected text "
		    "after the host", where);
	if (host_end + 1 == auth + len)
		return tly_fail(TLY_E_CONFIG, "%s: central: the port after ':' "
		    "is empty", where);
	for (p = host_end + 1; p < auth + len; p++) {
		if (*p < '0' || *p > '9' || (port = port * 10 +
		    (unsigned long)(*p - '0')) > 65535)
			return tly_fail(TLY_E_CONFIG, "%s: central: the port "
			    "must be a number from 1 to 65535", where);
	}
	if (port == 0)
		return tly_fail(TLY_E_CONFIG, "%s: central: the port must be a "
		    "number from 1 to 65535", where);
	return TLY_OK;
}

/* Check and normalise the central URL: http(s)://host[:port][/path]. */
static int
dconf_central(const struct tly_config *cfg, char *url)
{
	const char	*where = tly_config_where(cfg, "central");
	const char	*auth;
	size_t		 n;

	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)
		return tly_fail(TLY_E_CONFIG, "%s: central must be an http:// "
		    "or https:// URL", where);
	if (strpbrk(url, " \t?#@") != NULL)
		return tly_fail(TLY_E_CONFIG, "%s: central must be a base URL "
		    "without spaces, user, query or fragment", where);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	auth = url + (url[4] == 's' ? 8 : 7);
	return dconf_authority(where, auth, strcspn(auth, "/"));
}

/*
 * Split metrics-listen, "HOST:PORT" or "[V6]:PORT" (port 0 to 65535),
 * in place: the host (brackets removed) stays in c->metrics_listen.
 */
static int
dconf_metrics(const struct tly_config *cfg, struct tly_dconf *c)
{
	const char	*where = tly_config_where(cfg, "metrics-listen");
	char		*v = c->metrics_listen, *colon, *end;
	unsigned long	 port;

	colon = strrchr(v, ':');
	if (colon == NULL || colon == v || colon[1] == '\0')
		return tly_fail(TLY_E_CONFIG, "%s: metrics-listen must be "
		    "HOST:PORT, such as 127.0.0.1:9101", where);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port > 65535 ||
	    !isdigit((unsigned char)colon[1]))
		return tly_fail(TLY_E_CONFIG, "%s: metrics-listen: the port "
		    "must be a number from 0 to 65535", where);
	*colon = '\0';
	if (v[0] == '[') {
		if (colon[-1] != ']' || colon - v < 3)
			return tly_fail(TLY_E_CONFIG, "%s: metrics-listen: "
			    "an IPv6 address goes in brackets", where);
		colon[-1] = '\0';
		memmove(v, v + 1, strlen(v + 1) + 1);
	}
	c->metrics_port = (unsigned)port;
	return TLY_OK;
}

/*
 * web-listen: "127.0.0.1:PORT" only.  The page reaches the whole local
 * API, so it is not offered beyond this machine (tallyd.conf(5)).
 */
static int
dconf_web(const struct tly_config *cfg, struct tly_dconf *c)
{
	const char	*p = c->web_listen + strlen("127.0.0.1:");
	char		*end;
	unsigned long	 port;

	errno = 0;
	if (strncmp(c->web_listen, "127.0.0.1:", 10) != 0 ||
	    *p < '0' || *p > '9' ||
	    (port = strtoul(p, &end, 10)) > 65535 || *end != '\0' ||
	    errno != 0)
		return tly_fail(TLY_E_CONFIG, "%s: web-listen must be "
		    "127.0.0.1:PORT", tly_config_where(cfg, "web-listen"));
	c->web_port = (unsigned)port;
	return TLY_OK;
}

/*
 * lan-listen: "IPv4:PORT", HTTPS for the team's phones; it needs
 * web-listen, where the pairing codes are shown (tallyd.conf(5)).
 */
static int
dconf_lan(const struct tly_config *cfg, struct tly_dconf *c)
{
	const char	*colon = strrchr(c->lan_listen, ':');
	char		*end, ip[16];
	unsigned long	 port;
	struct in_addr	 a;

	errno = 0;
	if (colon == NULL || (size_t)(colon - c->lan_listen) >= sizeof(ip) ||
	    colon[1] < '0' || colon[1] > '9' ||
	    (port = strtoul(colon + 1, &end, 10)) > 65535 || *end != '\0' ||
	    errno != 0)
		goto bad;
	memcpy(ip, c->lan_listen, (size_t)(colon - c->lan_listen));
	ip[colon - c->lan_listen] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1)
		goto bad;
	if (c->web_listen == NULL)
		return tly_fail(TLY_E_CONFIG, "%s: lan-listen needs web-listen "
		    "(the laptop's page shows the pairing codes)",
		    tly_config_where(cfg, "lan-listen"));
	if ((c->lan_host = strdup(ip)) == NULL)
		return TLY_E_NOMEM;
	c->lan_port = (unsigned)port;
	return TLY_OK;
 bad:
	return tly_fail(TLY_E_CONFIG, "%s: lan-listen must be IPv4:PORT",
	    tly_config_where(cfg, "lan-listen"));
}

int
tly_dconf_load(const char *path, struct tly_dconf *c)
{
	struct tly_config	*cfg = NULL;
	struct sockaddr_un	 sun;
	struct group		*gr;
	int			 r;

	memset(c, 0, sizeof(*c));
	if ((r = tly_config_load_table(path, dconf_keys, c, &cfg)) != TLY_OK)
		goto out;
	if ((c->path = strdup(path)) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	if ((r = dconf_path(c->datadir, "device.key", &c->key)) != TLY_OK)
		goto out;
	if (strlen(c->socket) >= sizeof(sun.sun_path)) {
		r = tly_fail(TLY_E_CONFIG, "%s: socket path longer than %zu "
		    "bytes: %s", tly_config_where(cfg, "socket"),
		    sizeof(sun.sun_path) - 1, c->socket);
		goto out;
	}
	if (c->central != NULL) {
		if ((r = dconf_central(cfg, c->central)) != TLY_OK)
			goto out;
		if (c->central_key == NULL && c->central_cert == NULL) {
			r = tly_fail(TLY_E_CONFIG, "%s: 'central-cert' (or "
			    "'central-key') is required with 'central'",
			    tly_config_where(cfg, "central"));
			goto out;
		}
	} else if (c->central_key != NULL || c->central_cert != NULL) {
		r = tly_fail(TLY_E_CONFIG, "%s: '%s' without 'central'",
		    tly_config_where(cfg, c->central_key != NULL ?
		    "central-key" : "central-cert"), c->central_key != NULL ?
		    "central-key" : "central-cert");
		goto out;
	}
	if (c->central_cert != NULL && c->authority == NULL) {
		r = tly_fail(TLY_E_CONFIG, "%s: 'central-cert' needs "
		    "'authority', the key that signed it",
		    tly_config_where(cfg, "central-cert"));
		goto out;
	}
	c->passphrase_fd = tly_config_get(cfg, "passphrase-fd") != NULL ?
	    (int)c->passphrase_fd_u : -1;
	if (c->socket_group != NULL) {
		if ((gr = getgrnam(c->socket_group)) == NULL) {
			r = tly_fail(TLY_E_CONFIG, "%s: socket-group %s: no such "
			    "group", tly_config_where(cfg, "socket-group"),
			    c->socket_group);
			goto out;
		}
		c->socket_gid = gr->gr_gid;
	}
	if (c->metrics_listen != NULL &&
	    (r = dconf_metrics(cfg, c)) != TLY_OK)
		goto out;
	if (c->web_listen != NULL && (r = dconf_web(cfg, c)) != TLY_OK)
		goto out;
	if (c->lan_listen != NULL && (r = dconf_lan(cfg, c)) != TLY_OK)
		goto out;
	if (c->backoff_max < c->backoff_min) {
		r = tly_fail(TLY_E_CONFIG, "%s: backoff-max is below "
		    "backoff-min", tly_config_where(cfg, "backoff-max"));
		goto out;
	}
 out:
	tly_config_free(cfg);
	if (r != TLY_OK) {
		if (r == TLY_E_NOMEM)
			r = tly_fail(TLY_E_CONFIG, "%s: out of memory", path);
		tly_dconf_finish(c);
	}
	return r;
}

void
tly_dconf_finish(struct tly_dconf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->datadir);
	free(c->socket);
	free(c->key);
	free(c->election);
	free(c->central);
	free(c->central_key);
	free(c->central_cert);
	free(c->authority);
	free(c->user);
	free(c->socket_group);
	free(c->metrics_listen);
	free(c->web_listen);
	free(c->lan_listen);
	free(c->lan_host);
	memset(c, 0, sizeof(*c));
}
