/*
 * json.h: strict JSON reading and a bounded writer.
 *
 * Reading follows PROTOCOL.md section 1.  tly_json_parse() (json_scan.c)
 * accepts only RFC 8259 text with no byte order mark, whitespace only
 * SP HT LF CR, strings of valid UTF-8 without raw control characters or
 * \u0000, and numbers that are integers: plain digits, no leading zero,
 * at most 2^53-1, read exactly.  Duplicate and unknown names are
 * rejected by tly_json_check_names(), ids are [A-Za-z0-9._-]{1,64},
 * texts are 1..2000 bytes of UTF-8 without control characters other
 * than TAB and LF.
 *
 * Every error sets a detail naming the path, as "records[2].valid: not an
 * integer".  The "where" arguments are that path prefix ("" for the top).
 */
#ifndef TLY_JSON_H
#define TLY_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/limits.h"


struct tly_json;	/* a node; opaque */

/*
 * Parse p[0..len).  *rootp owns the tree: free with tly_json_free().
 * Anything outside the rules above is TLY_E_JSON with a detail naming
 * the byte offset, and no tree is built; so are trailing bytes and
 * nesting over TLY_JSON_DEPTH_MAX (the top value is at depth 1).
 */
int	tly_json_parse(const void *p, size_t len, struct tly_json **rootp);
void	tly_json_free(struct tly_json *root);		/* NULL-safe */

int	tly_json_is_object(const struct tly_json *n);
int	tly_json_is_array(const struct tly_json *n);
int	tly_json_is_string(const struct tly_json *n);
int	tly_json_is_null(const struct tly_json *n);

/* Member of an object by name, or NULL (also when n is not an object). */
struct tly_json *tly_json_get(const struct tly_json *n, const char *name);
/* Number of elements of an array or members of an object. */
size_t	tly_json_count(const struct tly_json *n);
/* First element or member, then the next; NULL at the end. */
struct tly_json *tly_json_first(const struct tly_json *n);
struct tly_json *tly_json_next(const struct tly_json *n);
/* Name of an object member (as returned by first/next), or NULL. */
const char *tly_json_name(const struct tly_json *member);
/* The string of a string node, or NULL. */
const char *tly_json_string(const struct tly_json *n);

/*
 * Require n to be an object whose names are distinct and all listed in
 * the NULL-terminated names (which may be NULL to skip that check).
 */
int	tly_json_check_names(const struct tly_json *n, const char *where,
	    const char *const *names);

/* Typed reads of a node. */
int	tly_json_int(const struct tly_json *n, const char *where,
	    uint64_t *out);
int	tly_json_id(const struct tly_json *n, const char *where,
	    char out[TLY_ID_MAX + 1]);
/* *out is a new NUL-terminated copy: free() it. */
int	tly_json_text(const struct tly_json *n, const char *where, char **out);
int	tly_json_hash(const struct tly_json *n, const char *where,
	    uint8_t out[32]);
/* A JSON true or false, as 1 or 0. */
int	tly_json_bool(const struct tly_json *n, const char *where, int *out);

/*
 * Typed reads of a required member; a missing member is an error naming
 * "where.name".  For optional members test tly_json_get() first.
 */
int	tly_json_get_int(const struct tly_json *obj, const char *where,
	    const char *name, uint64_t *out);
int	tly_json_get_id(const struct tly_json *obj, const char *where,
	    const char *name, char out[TLY_ID_MAX + 1]);
int	tly_json_get_text(const struct tly_json *obj, const char *where,
	    const char *name, char **out);
int	tly_json_get_hash(const struct tly_json *obj, const char *where,
	    const char *name, uint8_t out[32]);

/*
 * Write the JSON path "where.name" ("name" when where is empty), or
 * "where[i]", into out; it ends in "..." when it does not fit.
 */
void	tly_json_path(char *out, size_t outlen, const char *where,
	    const char *name);
void	tly_json_path_index(char *out, size_t outlen, const char *where,
	    size_t i);

/* 1 if s is a valid id (see above). */
int	tly_json_valid_id(const char *s);
/* 1 if p[0..len) is a valid text (see above). */
int	tly_json_valid_text(const char *p, size_t len);

/*
 * The writer: compact JSON appended to a tly_buf.  Calls after the first
 * failure do nothing; tly_jw_finish() reports it.  Commas are automatic.
 * Nesting is limited to TLY_JSON_DEPTH_MAX.
 */
struct tly_jw {
	struct tly_buf	*b;
	int		 err;
	int		 depth;
	unsigned char	 first[TLY_JSON_DEPTH_MAX + 1];	/* no comma needed */
	int		 after_key;
};

void	tly_jw_init(struct tly_jw *w, struct tly_buf *b);
void	tly_jw_obj_open(struct tly_jw *w);
void	tly_jw_obj_close(struct tly_jw *w);
void	tly_jw_arr_open(struct tly_jw *w);
void	tly_jw_arr_close(struct tly_jw *w);
void	tly_jw_key(struct tly_jw *w, const char *name);
void	tly_jw_str(struct tly_jw *w, const char *s);	/* NULL writes null */
void	tly_jw_strn(struct tly_jw *w, const char *s, size_t n);
void	tly_jw_uint(struct tly_jw *w, uint64_t v);
void	tly_jw_int(struct tly_jw *w, int64_t v);
void	tly_jw_bool(struct tly_jw *w, int v);
void	tly_jw_null(struct tly_jw *w);
void	tly_jw_hex(struct tly_jw *w, const uint8_t *p, size_t n);
/* Already-serialised JSON, inserted verbatim. */
void	tly_jw_raw(struct tly_jw *w, const char *json, size_t n);
/* TLY_OK, or the first error (TLY_E_TOO_LARGE, TLY_E_INVAL). */
int	tly_jw_finish(struct tly_jw *w);

#endif /* TLY_JSON_H */
