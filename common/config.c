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
#include "common/limits.h"


struct config_entry {
	char	*key;		/* the setting's name */
	char	*value;		/* the rest of the line, trimmed */
	char	 where[300];	/* "file:line" for messages */
};

struct tly_config {
	size_t			n;			/* entries used */
	struct config_entry	e[TLY_CONFIG_ENTRIES_MAX];
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
	if (cfg->n == TLY_CONFIG_ENTRIES_MAX)
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
tly_config_parse(const char *path, const uint8_t *data, size_t len,
    const char *const *known, struct tly_config **cfgp)
{
	struct tly_config	*cfg = NULL;
	char			*text = NULL, *p, *nl;
	size_t			 lineno = 0;
	int			 r;

	*cfgp = NULL;
	if (len > TLY_CONFIG_FILE_MAX)
		return tly_fail(TLY_E_CONFIG, "%s: larger than %d bytes", path,
		    TLY_CONFIG_FILE_MAX);
	if (len > 0 && memchr(data, '\0', len) != NULL)
		return tly_fail(TLY_E_CONFIG, "%s: contains a NUL byte", path);
	if ((text = malloc(len + 1)) == NULL ||
	    (cfg = calloc(1, sizeof(*cfg))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	if (len > 0)
		memcpy(text, data, len);
	text[len] = '\0';
	for (p = text; *p != '\0'; p = nl) {
		lineno++;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		if (strlen(p) > TLY_CONFIG_LINE_MAX) {
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
	free(text);
	return r;
}

int
tly_config_load(const char *path, const char *const *known,
    struct tly_config **cfgp)
{
	struct tly_buf	 b = TLY_BUF_INIT(TLY_CONFIG_FILE_MAX);
	int		 r;

	*cfgp = NULL;
	if ((r = tly_buf_read_file(path, TLY_CONFIG_FILE_MAX, &b)) != TLY_OK)
		r = tly_fail(TLY_E_CONFIG, "%s", tly_errdetail());
	else
		r = tly_config_parse(path, b.p, b.len, known, cfgp);
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

/* Store the value v of key k (at where) into conf. */
static int
ckey_set(const struct tly_ckey *k, const char *v, const char *where,
    void *conf)
{
	char			*field = (char *)conf + k->off;
	unsigned long long	 n;
	char			*end;
	size_t			 i;

	switch (k->type) {
	case TLY_CKEY_STR:
		if ((*(char **)(void *)field = strdup(v)) == NULL)
			return TLY_E_NOMEM;
		return TLY_OK;
	case TLY_CKEY_UINT:
	case TLY_CKEY_UNSIGNED:
		errno = 0;
		n = strtoull(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end != '\0' ||
		    errno != 0 || n < k->min || n > k->max)
			return tly_fail(TLY_E_CONFIG, "%s: '%s' must be a whole "
			    "number from %llu to %llu", where, k->name,
			    (unsigned long long)k->min,
			    (unsigned long long)k->max);
		if (k->type == TLY_CKEY_UINT)
			*(uint64_t *)(void *)field = n;
		else
			*(unsigned *)(void *)field = (unsigned)n;
		return TLY_OK;
	case TLY_CKEY_CHOICE:
		for (i = 0; k->choices[i] != NULL; i++)
			if (strcmp(k->choices[i], v) == 0) {
				*(int *)(void *)field = (int)i;
				return TLY_OK;
			}
		return tly_fail(TLY_E_CONFIG, "%s: %s must be '%s' or '%s'",
		    where, k->name, k->choices[0], k->choices[1] != NULL ?
		    k->choices[1] : k->choices[0]);
	}
	return tly_fail(TLY_E_INVAL, "%s: %s: unknown key type", where,
	    k->name);
}

/* Apply table to the parsed cfg, reporting against path. */
static int
table_apply(const char *path, const struct tly_config *cfg,
    const struct tly_ckey *table, void *conf)
{
	const struct tly_ckey	*k;
	const char		*v;
	char			 where[320];
	int			 r;

	for (k = table; k->name != NULL; k++) {
		if ((v = tly_config_get(cfg, k->name)) != NULL)
			snprintf(where, sizeof(where), "%s",
			    tly_config_where(cfg, k->name));
		else if (k->required)
			return tly_fail(TLY_E_CONFIG, "%s: '%s' is required",
			    path, k->name);
		else if ((v = k->dflt) != NULL)
			snprintf(where, sizeof(where), "%s: default", path);
		else
			continue;
		if ((r = ckey_set(k, v, where, conf)) != TLY_OK)
			return r;
	}
	return TLY_OK;
}

int
tly_config_parse_table(const char *name, const uint8_t *data, size_t len,
    const struct tly_ckey *table, void *conf, struct tly_config **cfgp)
{
	const char		*known[TLY_CONFIG_ENTRIES_MAX + 1];
	struct tly_config	*cfg = NULL;
	size_t			 n;
	int			 r;

	if (cfgp != NULL)
		*cfgp = NULL;
	for (n = 0; table[n].name != NULL; n++) {
		if (n == TLY_CONFIG_ENTRIES_MAX)
			return tly_fail(TLY_E_INVAL, "too many keywords");
		known[n] = table[n].name;
	}
	known[n] = NULL;
	if ((r = tly_config_parse(name, data, len, known, &cfg)) != TLY_OK)
		goto out;
	if ((r = table_apply(name, cfg, table, conf)) != TLY_OK)
		goto out;
	if (cfgp != NULL) {
		*cfgp = cfg;
		cfg = NULL;	/* transferred */
	}
 out:
	if (r == TLY_E_NOMEM)
		r = tly_fail(TLY_E_CONFIG, "%s: out of memory", name);
	if (r != TLY_OK)
		tly_config_table_free(table, conf);
	tly_config_free(cfg);
	return r;
}

int
tly_config_load_table(const char *path, const struct tly_ckey *table,
    void *conf, struct tly_config **cfgp)
{
	struct tly_buf	 b = TLY_BUF_INIT(TLY_CONFIG_FILE_MAX);
	int		 r;

	if (cfgp != NULL)
		*cfgp = NULL;
	if ((r = tly_buf_read_file(path, TLY_CONFIG_FILE_MAX, &b)) != TLY_OK) {
		r = tly_fail(TLY_E_CONFIG, "%s", *tly_errdetail() != '\0' ?
		    tly_errdetail() : path);
		goto out;
	}
	r = tly_config_parse_table(path, b.p, b.len, table, conf, cfgp);
 out:
	tly_buf_free(&b);
	return r;
}

void
tly_config_table_free(const struct tly_ckey *table, void *conf)
{
	const struct tly_ckey	*k;
	char			**sp;

	if (table == NULL || conf == NULL)
		return;
	for (k = table; k->name != NULL; k++) {
		if (k->type != TLY_CKEY_STR)
			continue;
		sp = (char **)(void *)((char *)conf + k->off);
		free(*sp);
		*sp = NULL;
	}
}
