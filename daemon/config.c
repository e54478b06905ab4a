/*
 * config.c: tallyd.conf, the field daemon's settings (tallyd.conf(5)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/config.h"
#include "common/err.h"
#include "daemon/tallyd.h"

/* Every key tallyd.conf may hold. */
static const char *const dconf_keys[] = {
	"datadir", "socket", "key", "election", "central", "central-key",
	"mode", "backoff-min", "backoff-max", "connect-timeout", "batch-max",
	"low-speed-time", "netwatch", "user", NULL
};

/* *out = a copy of s, or of the default "<dir>/<name>" when s is NULL. */
static int
dconf_path(const char *s, const char *dir, const char *name, char **out)
{
	if (s != NULL)
		*out = strdup(s);
	else if (asprintf(out, "%s/%s", dir, name) < 0)
		*out = NULL;
	return *out == NULL ? TLY_E_NOMEM : TLY_OK;
}

/* A copy of the value of key, or NULL (and TLY_OK) when it is unset. */
static int
dconf_str(const struct tly_config *cfg, const char *key, char **out)
{
	const char	*v = tly_config_get(cfg, key);

	*out = NULL;
	if (v == NULL)
		return TLY_OK;
	if ((*out = strdup(v)) == NULL)
		return TLY_E_NOMEM;
	return TLY_OK;
}

/* Check and normalise the central URL: http(s)://host..., no slash at end. */
static int
dconf_central(const struct tly_config *cfg, char *url)
{
	size_t	n;

	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)
		return tly_fail(TLY_E_CONFIG, "%s: central must be an http:// "
		    "or https:// URL", tly_config_where(cfg, "central"));
	if (strpbrk(url, " \t?#") != NULL)
		return tly_fail(TLY_E_CONFIG, "%s: central must be a base URL "
		    "without spaces, query or fragment",
		    tly_config_where(cfg, "central"));
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	if (n <= (url[4] == 's' ? 8U : 7U))
		return tly_fail(TLY_E_CONFIG, "%s: central has no host",
		    tly_config_where(cfg, "central"));
	return TLY_OK;
}

int
tly_dconf_load(const char *path, struct tly_dconf *c)
{
	struct tly_config	*cfg = NULL;
	struct sockaddr_un	 sun;
	const char		*mode;
	int			 r;

	memset(c, 0, sizeof(*c));
	if ((c->path = strdup(path)) == NULL)
		return TLY_E_NOMEM;
	if ((r = tly_config_load(path, dconf_keys, &cfg)) != TLY_OK)
		goto out;
	if ((r = dconf_str(cfg, "datadir", &c->datadir)) != TLY_OK ||
	    (r = dconf_str(cfg, "election", &c->election)) != TLY_OK ||
	    (r = dconf_str(cfg, "central", &c->central)) != TLY_OK ||
	    (r = dconf_str(cfg, "central-key", &c->central_key)) != TLY_OK ||
	    (r = dconf_str(cfg, "user", &c->user)) != TLY_OK)
		goto out;
	if (c->datadir == NULL) {
		r = tly_fail(TLY_E_CONFIG, "%s: 'datadir' is required", path);
		goto out;
	}
	if (c->election == NULL) {
		r = tly_fail(TLY_E_CONFIG, "%s: 'election' is required", path);
		goto out;
	}
	if ((r = dconf_path(tly_config_get(cfg, "socket"), c->datadir,
	    "tallyd.sock", &c->socket)) != TLY_OK ||
	    (r = dconf_path(tly_config_get(cfg, "key"), c->datadir,
	    "device.key", &c->key)) != TLY_OK)
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
		if (c->central_key == NULL) {
			r = tly_fail(TLY_E_CONFIG, "%s: 'central-key' is "
			    "required with 'central'", path);
			goto out;
		}
	} else if (c->central_key != NULL) {
		r = tly_fail(TLY_E_CONFIG, "%s: 'central-key' without "
		    "'central'", tly_config_where(cfg, "central-key"));
		goto out;
	}
	mode = tly_config_get(cfg, "mode");
	if (mode == NULL || strcmp(mode, "live") == 0)
		c->test = 0;
	else if (strcmp(mode, "test") == 0)
		c->test = 1;
	else {
		r = tly_fail(TLY_E_CONFIG, "%s: mode must be 'live' or 'test'",
		    tly_config_where(cfg, "mode"));
		goto out;
	}
	if ((r = tly_config_get_uint(cfg, "backoff-min", 1, 86400, 1,
	    &c->backoff_min)) != TLY_OK ||
	    (r = tly_config_get_uint(cfg, "backoff-max", 1, 86400, 300,
	    &c->backoff_max)) != TLY_OK ||
	    (r = tly_config_get_uint(cfg, "connect-timeout", 1, 600, 10,
	    &c->connect_timeout)) != TLY_OK ||
	    (r = tly_config_get_uint(cfg, "batch-max", 1, 4096, 64,
	    &c->batch_max)) != TLY_OK ||
	    (r = tly_config_get_uint(cfg, "low-speed-time", 1, 600, 30,
	    &c->low_speed_time)) != TLY_OK)
		goto out;
	mode = tly_config_get(cfg, "netwatch");
	if (mode == NULL || strcmp(mode, "yes") == 0)
		c->netwatch = 1;
	else if (strcmp(mode, "no") == 0)
		c->netwatch = 0;
	else {
		r = tly_fail(TLY_E_CONFIG, "%s: netwatch must be 'yes' or "
		    "'no'", tly_config_where(cfg, "netwatch"));
		goto out;
	}
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
	free(c->user);
	memset(c, 0, sizeof(*c));
}
