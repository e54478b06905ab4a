/*
 * config.h: "key value" configuration files, as in ssh_config.
 *
 * One setting per line: a key, white space, then the value (the rest of
 * the line, trimmed).  Blank lines and lines starting with '#' are
 * ignored.  Unknown and repeated keys are errors, reported as file:line.
 */
#ifndef TLY_CONFIG_H
#define TLY_CONFIG_H

#include <stddef.h>
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

/*
 * Parse a configuration held in memory, data[0..len), as if read from a
 * file called name.  Same rules and result as tly_config_load().
 */
int	tly_config_parse(const char *name, const uint8_t *data, size_t len,
	    const char *const *known, struct tly_config **cfgp);

/*
 * Keyword tables.  A server describes its settings as an array of
 * struct tly_ckey ending with a NULL name; the generic code checks each
 * value and stores it at its offset in the server's settings struct.
 */
enum tly_ckey_type {
	TLY_CKEY_STR,		/* char *, malloc'd copy */
	TLY_CKEY_UINT,		/* uint64_t in [min, max] */
	TLY_CKEY_UNSIGNED,	/* unsigned in [min, max] (max <= UINT_MAX) */
	TLY_CKEY_CHOICE,	/* int: index of the value in choices */
};

/* One setting of a configuration file. */
struct tly_ckey {
	const char		*name;		/* keyword; NULL ends the table */
	enum tly_ckey_type	 type;		/* how the value is read */
	size_t			 off;		/* offsetof() in the settings */
	uint64_t		 min, max;	/* bounds of a number */
	const char		*dflt;		/* value when unset, or NULL */
	int			 required;	/* unset is an error */
	const char *const	*choices;	/* CHOICE: NULL-terminated words */
};

/*
 * Read path with the keywords of table into the settings struct conf
 * (zeroed by the caller).  On success, if cfgp is not NULL, *cfgp is the
 * parsed file for tly_config_where() (free with tly_config_free()).  Every error
 * names "file:line" (or "file" for a missing required key); on error
 * the strings stored in conf are freed.
 */
int	tly_config_load_table(const char *path, const struct tly_ckey *table,
	    void *conf, struct tly_config **cfgp);
/* The same from memory (see tly_config_parse()). */
int	tly_config_parse_table(const char *name, const uint8_t *data,
	    size_t len, const struct tly_ckey *table, void *conf,
	    struct tly_config **cfgp);
/* Free the strings that the table stored in conf.  NULL-safe. */
void	tly_config_table_free(const struct tly_ckey *table, void *conf);

#endif /* TLY_CONFIG_H */
