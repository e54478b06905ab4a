/*
 * json.c: reading the JSON tree that json_scan.c builds, and a bounded
 * JSON writer.  Rules: PROTOCOL.md section 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/jsonInt.h"

int
tly_json_is_object(const struct tly_json *n)
{
	return n != NULL && n->type == JSON_OBJECT;
}

int
tly_json_is_array(const struct tly_json *n)
{
	return n != NULL && n->type == JSON_ARRAY;
}

int
tly_json_is_string(const struct tly_json *n)
{
	return n != NULL && n->type == JSON_STRING;
}

int
tly_json_is_null(const struct tly_json *n)
{
	return n != NULL && n->type == JSON_NULL;
}

struct tly_json *
tly_json_get(const struct tly_json *n, const char *name)
{
	struct tly_json	*c;

	if (!tly_json_is_object(n))
		return NULL;
	/* Case-sensitive; the first of duplicates (check_names rejects those). */
	for (c = n->child; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

size_t
tly_json_count(const struct tly_json *n)
{
	if (n == NULL || (n->type != JSON_OBJECT && n->type != JSON_ARRAY))
		return 0;
	return n->len;
}

struct tly_json *
tly_json_first(const struct tly_json *n)
{
	if (n == NULL || (n->type != JSON_OBJECT && n->type != JSON_ARRAY))
		return NULL;
	return n->child;
}

struct tly_json *
tly_json_next(const struct tly_json *n)
{
	return n == NULL ? NULL : n->next;
}

const char *
tly_json_name(const struct tly_json *member)
{
	return member == NULL ? NULL : member->name;
}

const char *
tly_json_string(const struct tly_json *n)
{
	return tly_json_is_string(n) ? n->str : NULL;
}

int
tly_json_check_names(const struct tly_json *n, const char *where,
    const char *const *names)
{
	const struct tly_json	*c, *d;
	const char *const	*k;

	if (!tly_json_is_object(n))
		return tly_fail(TLY_E_JSON, "%s: not an object",
		    *where ? where : "(top)");
	for (c = n->child; c != NULL; c = c->next) {
		for (d = c->next; d != NULL; d = d->next)
			if (strcmp(c->name, d->name) == 0)
				return tly_fail(TLY_E_JSON,
				    "%s%s%s: name given twice", where,
				    *where ? "." : "", c->name);
		if (names == NULL)
			continue;
		for (k = names; *k != NULL; k++)
			if (strcmp(*k, c->name) == 0)
				break;
		if (*k == NULL)
			return tly_fail(TLY_E_JSON, "%s%s%s: unknown name",
			    where, *where ? "." : "", c->name);
	}
	return TLY_OK;
}

int
tly_json_int(const struct tly_json *n, const char *where, uint64_t *out)
{
	*out = 0;
	if (n == NULL || n->type != JSON_INT)
		return tly_fail(TLY_E_JSON, "%s: not an integer", where);
	*out = n->num;		/* the scanner kept it in 0..2^53-1 */
	return TLY_OK;
}

int
tly_json_valid_id(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
		if (i >= TLY_ID_MAX)
			return 0;
	}
	return i > 0;
}

int
tly_json_valid_text(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k, need;
	uint32_t		 cp, min;

	if (len == 0 || len > TLY_TEXT_MAX)
		return 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else
			return 0;
		if (len - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		if (cp >= 0x80 && cp < 0xa0)	/* C1 controls */
			return 0;
		i += need + 1;
	}
	return 1;
}

int
tly_json_id(const struct tly_json *n, const char *where,
    char out[TLY_ID_MAX + 1])
{
	const char	*s = tly_json_string(n);

	out[0] = '\0';
	if (s == NULL)
		return tly_fail(TLY_E_JSON, "%s: not a string", where);
	if (!tly_json_valid_id(s))
		return tly_fail(TLY_E_JSON,
		    "%s: not an id (1-64 of A-Z a-z 0-9 . _ -)", where);
	memcpy(out, s, strlen(s) + 1);
	return TLY_OK;
}

int
tly_json_text(const struct tly_json *n, const char *where, char **out)
{
	const char	*s = tly_json_string(n);

	*out = NULL;
	if (s == NULL)
		return tly_fail(TLY_E_JSON, "%s: not a string", where);
	if (!tly_json_valid_text(s, strlen(s)))
		return tly_fail(TLY_E_JSON, "%s: not a text (1-%d bytes of "
		    "UTF-8 without control characters)", where, TLY_TEXT_MAX);
	if ((*out = strdup(s)) == NULL)
		return TLY_E_NOMEM;
	return TLY_OK;
}

int
tly_json_hash(const struct tly_json *n, const char *where, uint8_t out[32])
{
	const char	*s = tly_json_string(n);

	if (s == NULL)
		return tly_fail(TLY_E_JSON, "%s: not a string", where);
	if (tly_unhex(s, strlen(s), out, 32) != TLY_OK)
		return tly_fail(TLY_E_JSON,
		    "%s: not 64 lowercase hex characters", where);
	return TLY_OK;
}

int
tly_json_bool(const struct tly_json *n, const char *where, int *out)
{
	*out = 0;
	if (n == NULL || (n->type != JSON_TRUE && n->type != JSON_FALSE))
		return tly_fail(TLY_E_JSON, "%s: not true or false", where);
	*out = n->type == JSON_TRUE;
	return TLY_OK;
}

void
tly_json_path(char *out, size_t outlen, const char *where, const char *name)
{
	int	n;

	n = snprintf(out, outlen, "%s%s%s", where, *where ? "." : "", name);
	if ((n < 0 || (size_t)n >= outlen) && outlen >= 4)
		memcpy(out + outlen - 4, "...", 4);
}

void
tly_json_path_index(char *out, size_t outlen, const char *where, size_t i)
{
	int	n;

	n = snprintf(out, outlen, "%s[%zu]", where, i);
	if ((n < 0 || (size_t)n >= outlen) && outlen >= 4)
		memcpy(out + outlen - 4, "...", 4);
}

/* Find required member name of obj; path gets "where.name". */
static const struct tly_json *
member_req(const struct tly_json *obj, const char *where, const char *name,
    char *path, size_t pathlen)
{
	const struct tly_json	*m = tly_json_get(obj, name);

	tly_json_path(path, pathlen, where, name);
	if (m == NULL)
		tly_fail(TLY_E_JSON, "%s: missing", path);
	return m;
}

int
tly_json_get_int(const struct tly_json *obj, const char *where,
    const char *name, uint64_t *out)
{
	char			 path[256];
	const struct tly_json	*m = member_req(obj, where, name, path,
				    sizeof(path));

	*out = 0;
	return m == NULL ? TLY_E_JSON : tly_json_int(m, path, out);
}

int
tly_json_get_id(const struct tly_json *obj, const char *where,
    const char *name, char out[TLY_ID_MAX + 1])
{
	char			 path[256];
	const struct tly_json	*m = member_req(obj, where, name, path,
				    sizeof(path));

	out[0] = '\0';
	return m == NULL ? TLY_E_JSON : tly_json_id(m, path, out);
}

int
tly_json_get_text(const struct tly_json *obj, const char *where,
    const char *name, char **out)
{
	char			 path[256];
	const struct tly_json	*m = member_req(obj, where, name, path,
				    sizeof(path));

	*out = NULL;
	return m == NULL ? TLY_E_JSON : tly_json_text(m, path, out);
}

int
tly_json_get_hash(const struct tly_json *obj, const char *where,
    const char *name, uint8_t out[32])
{
	char			 path[256];
	const struct tly_json	*m = member_req(obj, where, name, path,
				    sizeof(path));

	return m == NULL ? TLY_E_JSON : tly_json_hash(m, path, out);
}

/* ---- Writer ------------------------------------------------------------- */

void
tly_jw_init(struct tly_jw *w, struct tly_buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = 1;
}

/* Emit the comma before a value unless it follows a key or opens a level. */
static void
jw_sep(struct tly_jw *w)
{
	if (w->err)
		return;
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->first[w->depth])
		w->err = tly_buf_add(w->b, ",", 1);
	w->first[w->depth] = 0;
}

static void
jw_put(struct tly_jw *w, const char *s, size_t n)
{
	if (!w->err)
		w->err = tly_buf_add(w->b, s, n);
}

static void
jw_open(struct tly_jw *w, const char *c)
{
	jw_sep(w);
	if (w->err)
		return;
	if (w->depth >= TLY_JSON_DEPTH_MAX) {
		w->err = TLY_E_INVAL;
		return;
	}
	jw_put(w, c, 1);
	w->first[++w->depth] = 1;
}

static void
jw_close(struct tly_jw *w, const char *c)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->after_key) {
		w->err = TLY_E_INVAL;
		return;
	}
	w->depth--;
	jw_put(w, c, 1);
}

void tly_jw_obj_open(struct tly_jw *w)	{ jw_open(w, "{"); }
void tly_jw_obj_close(struct tly_jw *w)	{ jw_close(w, "}"); }
void tly_jw_arr_open(struct tly_jw *w)	{ jw_open(w, "["); }
void tly_jw_arr_close(struct tly_jw *w)	{ jw_close(w, "]"); }

static void
jw_string(struct tly_jw *w, const char *s, size_t n)
{
	size_t			 i, start = 0;
	char			 esc[7] = "\\u00";

	jw_put(w, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;

		if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c == '\n')
			rep = "\\n";
		else if (c == '\t')
			rep = "\\t";
		else if (c == '\r')
			rep = "\\r";
		else if (c < 0x20 || c == 0x7f) {
			tly_hex(&c, 1, esc + 4);	/* "\u00" then 2 digits */
			rep = esc;
		}
		if (rep == NULL)
			continue;
		jw_put(w, s + start, i - start);
		jw_put(w, rep, strlen(rep));
		start = i + 1;
	}
	jw_put(w, s + start, n - start);
	jw_put(w, "\"", 1);
}

void
tly_jw_key(struct tly_jw *w, const char *name)
{
	jw_sep(w);
	jw_string(w, name, strlen(name));
	jw_put(w, ":", 1);
	w->after_key = 1;
}

void
tly_jw_strn(struct tly_jw *w, const char *s, size_t n)
{
	jw_sep(w);
	jw_string(w, s, n);
}

void
tly_jw_str(struct tly_jw *w, const char *s)
{
	if (s == NULL)
		tly_jw_null(w);
	else
		tly_jw_strn(w, s, strlen(s));
}

void
tly_jw_uint(struct tly_jw *w, uint64_t v)
{
	char	tmp[24];
	int	n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);

	jw_sep(w);
	jw_put(w, tmp, (size_t)n);
}

void
tly_jw_int(struct tly_jw *w, int64_t v)
{
	char	tmp[24];
	int	n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);

	jw_sep(w);
	jw_put(w, tmp, (size_t)n);
}

void
tly_jw_bool(struct tly_jw *w, int v)
{
	jw_sep(w);
	jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void
tly_jw_null(struct tly_jw *w)
{
	jw_sep(w);
	jw_put(w, "null", 4);
}

void
tly_jw_hex(struct tly_jw *w, const uint8_t *p, size_t n)
{
	char	tmp[2 * 64 + 1];
	size_t	k;

	jw_sep(w);
	jw_put(w, "\"", 1);
	for (; n > 0; p += k, n -= k) {
		k = n < 64 ? n : 64;
		jw_put(w, tly_hex(p, k, tmp), 2 * k);
	}
	jw_put(w, "\"", 1);
}

void
tly_jw_raw(struct tly_jw *w, const char *json, size_t n)
{
	jw_sep(w);
	jw_put(w, json, n);
}

int
tly_jw_finish(struct tly_jw *w)
{
	if (w->err)
		return w->err;
	if (w->depth != 0 || w->after_key)
		return TLY_E_INVAL;
	return TLY_OK;
}
