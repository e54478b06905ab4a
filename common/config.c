/*
 * config.c: "key value" configuration files.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/err.h"

#define CONFIG_FILE_MAX		(64 * 1024)
#define CONFIG_LINE_MAX		1024
#define CONFIG_ENTRIES_MAX	128

struct config_entry {
	char	*key;		/* the setting's name */
	char	*value;		/* the rest of the line, trimmed */
	char	 where[300];	/* "file:line" for messages */
};

struct tly_config {
	size_t			n;			/* entries used */
	struct config_entry	e[CONFIG_ENTRIES_MAX];
};

void
tly_config_free(struct tly_config *cfg)
{
	size_t	i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n; i++) {
		free(cfg->e[i].key);
		free(cfg->e[i].value);
	}
	free(cfg);
}

static const struct config_entry *
config_find(const struct tly_config *cfg, const char *key)
{
	size_t	i;

	for (i = 0; i < cfg->n; i++)
		if (strcmp(cfg->e[i].key, key) == 0)
			return &cfg->e[i];
	return NULL;
}

static int
is_known(const char *const *known, const char *key)
{
	for (; *known != NULL; known++)
		if (strcmp(*known, key) == 0)
			return 1;
	return 0;
}

/* Parse one line (NUL-terminated, no newline) into cfg. */
static int
config_line(struct tly_config *cfg, const char *path, size_t lineno,
    char *line, const char *const *known)
{
	char			*key, *val, *end;
	struct config_entry	*e;

	while (isspace((unsigned char)*line))
		line++;
	if (*line == '\0' || *line == '#')
		return TLY_OK;
	key = line;
	while (*line != '\0' && !isspace((unsigned char)*line))
		line++;
	if (*line != '\0')
		*line++ = '\0';
	while (isspace((unsigned char)*line))
		line++;
	val = line;
	end = val + strlen(val);
	while (end > val && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!is_known(known, key))
		return tly_fail(TLY_E_CONFIG, "%s:%zu: unknown key '%s'",
		    path, lineno, key);
	if (*val == '\0')
		return tly_fail(TLY_E_CONFIG, "%s:%zu: '%s' needs a value",
		    path, lineno, key);
	if (config_find(cfg, key) != NULL)
		return tly_fail(TLY_E_CONFIG, "%s:%zu: '%s' is set twice",
		    path, lineno, key);
	if (cfg->n == CONFIG_ENTRIES_MAX)
		return tly_fail(TLY_E_CONFIG, "%s:%zu: too many settings",
		    path, lineno);
	e = &cfg->e[cfg->n];
	if ((e->key = strdup(key)) == NULL ||
	    (e->value = strdup(val)) == NULL) {
		free(e->key);
		e->key = NULL;
		return TLY_E_NOMEM;
	}
	snprintf(e->where, sizeof(e->where), "%s:%zu", path, lineno);
	cfg->n++;
	return TLY_OK;
}

int
tly_config_load(const char *path, const char *const *known,
    struct tly_config **cfgp)
{
	struct tly_buf		 b = TLY_BUF_INIT(CONFIG_FILE_MAX);
	struct tly_config	*cfg = NULL;
	char			*p, *nl;
	size_t			 lineno = 0;
	int			 r;

	*cfgp = NULL;
	if ((r = tly_buf_read_file(path, CONFIG_FILE_MAX, &b)) != TLY_OK) {
		r = tly_fail(TLY_E_CONFIG, "%s", tly_errdetail());
		goto out;
	}
	if (memchr(b.p, '\0', b.len) != NULL) {
		r = tly_fail(TLY_E_CONFIG, "%s: contains a NUL byte", path);
		goto out;
	}
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	for (p = (char *)b.p; *p != '\0'; p = nl) {
		lineno++;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		if (strlen(p) > CONFIG_LINE_MAX) {
			r = tly_fail(TLY_E_CONFIG, "%s:%zu: line too long",
			    path, lineno);
			goto out;
		}
		if ((r = config_line(cfg, path, lineno, p, known)) != TLY_OK)
			goto out;
	}
	*cfgp = cfg;
	cfg = NULL;		/* transferred */
	r = TLY_OK;
 out:
	tly_config_free(cfg);
	tly_buf_free(&b);
	return r;
}

const char *
tly_config_get(const struct tly_config *cfg, const char *key)
{
	const struct config_entry *e = config_find(cfg, key);

	return e ? e->value : NULL;
}

const char *
tly_config_where(const struct tly_config *cfg, const char *key)
{
	const struct config_entry *e = config_find(cfg, key);

	return e ? e->where : "(default)";
}

int
tly_config_get_uint(const struct tly_config *cfg, const char *key,
    uint64_t min, uint64_t max, uint64_t dflt, uint64_t *out)
{
	const struct config_entry	*e = config_find(cfg, key);
	unsigned long long		 v;
	char				*end;

	*out = dflt;
	if (e == NULL)
		return TLY_OK;
	errno = 0;
	v = strtoull(e->value, &end, 10);
	if (!isdigit((unsigned char)e->value[0]) || *end != '\0' ||
	    errno != 0 || v < min || v > max)
		return tly_fail(TLY_E_CONFIG,
		    "%s: '%s' must be a whole number from %llu to %llu",
		    e->where, key, (unsigned long long)min,
		    (unsigned long long)max);
	*out = v;
	return TLY_OK;
}
