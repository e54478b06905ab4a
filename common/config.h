/*
 * config.h: "key value" configuration files, as in ssh_config.
 *
 * One setting per line: a key, white space, then the value (the rest of
 * the line, trimmed).  Blank lines and lines starting with '#' are
 * ignored.  Unknown and repeated keys are errors, reported as file:line.
 */
#ifndef TLY_CONFIG_H
#define TLY_CONFIG_H

#include <stdint.h>

struct tly_config;

/*
 * Load path, accepting only the keys in the NULL-terminated list known.
 * On success *cfgp is a new config: free with tly_config_free().  On
 * failure the detail (tly_errdetail) is "path:line: message".
 * Files over 64 KiB or lines over 1024 bytes are rejected.
 */
int	tly_config_load(const char *path, const char *const *known,
	    struct tly_config **cfgp);
void	tly_config_free(struct tly_config *cfg);	/* NULL-safe */

/* The value of key, or NULL when it is not set.  Owned by cfg. */
const char *tly_config_get(const struct tly_config *cfg, const char *key);

/*
 * Parse key as a decimal integer in [min, max]; *out = dflt when unset.
 * Errors name file:line.
 */
int	tly_config_get_uint(const struct tly_config *cfg, const char *key,
	    uint64_t min, uint64_t max, uint64_t dflt, uint64_t *out);

/* Like tly_config_get, for path-relative messages: "file:line" of key. */
const char *tly_config_where(const struct tly_config *cfg, const char *key);

#endif /* TLY_CONFIG_H */
