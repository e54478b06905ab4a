/*
 * record.c: count records (PROTOCOL.md section 5) to and from JSON.
 *
 * Reading checks syntax and types only; the rules of PROTOCOL.md 5.1
 * are in check.c.  Writing uses the canonical field order, so a record
 * written and read back is the same record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "election/election.h"

#define WHERE_LEN	192	/* room for a JSON path in messages */

/* Explanation names, W1 .. W7, in canonical order. */
static const char *const warn_names[TLY_WARN_COUNT + 1] =
    { "W1", "W2", "W3", "W4", "W5", "W6", "W7", NULL };

/* Zero a record for use. */
void
tly_record_init(struct tly_record *r)
{
	memset(r, 0, sizeof(*r));
}

/* Free the strings r owns and zero it; NULL-safe. */
void
tly_record_finish(struct tly_record *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	free(r->c_outcome);
	for (i = 0; i < TLY_WARN_COUNT; i++)
		free(r->explanations[i]);
	free(r->note);
	memset(r, 0, sizeof(*r));
}

/* Read the "votes" object n (at path) into r. */
static int
read_votes(const struct tly_json *n, const char *path, struct tly_record *r)
{
	const struct tly_json	*m;
	const char		*name;
	char			 mpath[WHERE_LEN];
	size_t			 i;
	int			 rv;

	if (!tly_json_is_object(n))
		return tly_fail(TLY_E_JSON, "%s: not an object", path);
	if (tly_json_count(n) > TLY_CAND_MAX)
		return tly_fail(TLY_E_JSON, "%s: %zu candidates, at most %d",
		    path, tly_json_count(n), TLY_CAND_MAX);
	/* Distinct names; any id may be a candidate's. */
	if ((rv = tly_json_check_names(n, path, NULL)) != TLY_OK)
		return rv;
	for (m = tly_json_first(n), i = 0; m != NULL;
	    m = tly_json_next(m), i++) {
		name = tly_json_name(m);
		if (name == NULL || !tly_json_valid_id(name))
			return tly_fail(TLY_E_JSON,
			    "%s: member %zu: name is not a valid id", path, i);
		tly_json_path(mpath, sizeof(mpath), path, name);
		if ((rv = tly_json_int(m, mpath, &r->votes[i].votes)) !=
		    TLY_OK)
			return rv;
		/* valid_id() bounds the length to TLY_ID_MAX. */
		memcpy(r->votes[i].cand, name, strlen(name) + 1);
		r->nvotes = i + 1;
	}
	return TLY_OK;
}

/* Read the "marks" array n (at path) into r. */
static int
read_marks(const struct tly_json *n, const char *path, struct tly_record *r)
{
	const struct tly_json	*m;
	char			 mpath[WHERE_LEN];
	size_t			 i;
	int			 rv;

	if (!tly_json_is_array(n))
		return tly_fail(TLY_E_JSON, "%s: not an array", path);
	if (tly_json_count(n) == 0)
		return tly_fail(TLY_E_JSON, "%s: empty", path);
	if (tly_json_count(n) > TLY_SEATS_MAX)
		return tly_fail(TLY_E_JSON, "%s: %zu entries, at most %d",
		    path, tly_json_count(n), TLY_SEATS_MAX);
	for (m = tly_json_first(n), i = 0; m != NULL;
	    m = tly_json_next(m), i++) {
		tly_json_path_index(mpath, sizeof(mpath), path, i);
		if ((rv = tly_json_int(m, mpath, &r->marks[i])) != TLY_OK)
			return rv;
		r->nmarks = i + 1;
	}
	return TLY_OK;
}

/* Read the "complaints" object n (at path) into r. */
static int
read_complaints(const struct tly_json *n, const char *path,
    struct tly_record *r)
{
	static const char *const names[] =
	    { "received", "settled", "forwarded", "outcome", NULL };
	int	 rv;

	if (!tly_json_is_object(n))
		return tly_fail(TLY_E_JSON, "%s: not an object", path);
	if ((rv = tly_json_check_names(n, path, names)) != TLY_OK ||
	    (rv = tly_json_get_int(n, path, "received", &r->c_received)) !=
	    TLY_OK ||
	    (rv = tly_json_get_int(n, path, "settled", &r->c_settled)) !=
	    TLY_OK ||
	    (rv = tly_json_get_int(n, path, "forwarded", &r->c_forwarded)) !=
	    TLY_OK)
		return rv;
	if (tly_json_get(n, "outcome") != NULL &&
	    (rv = tly_json_get_text(n, path, "outcome", &r->c_outcome)) !=
	    TLY_OK)
		return rv;
	r->has_complaints = 1;
	return TLY_OK;
}

/* Read the "explanations" object n (at path) into r. */
static int
read_explanations(const struct tly_json *n, const char *path,
    struct tly_record *r)
{
	size_t	 i;
	int	 rv;

	if (!tly_json_is_object(n))
		return tly_fail(TLY_E_JSON, "%s: not an object", path);
	if ((rv = tly_json_check_names(n, path, warn_names)) != TLY_OK)
		return rv;
	for (i = 0; i < TLY_WARN_COUNT; i++)
		if (tly_json_get(n, warn_names[i]) != NULL &&
		    (rv = tly_json_get_text(n, path, warn_names[i],
		    &r->explanations[i])) != TLY_OK)
			return rv;
	return TLY_OK;
}

int
tly_record_id_valid(const char *s)
{
	size_t	 i, n;
	unsigned v = 0;

	if (strnlen(s, 65) < 65)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	if (s[64] != ':')
		return 0;
	s += 65;
	n = strlen(s);
	if (n < 1 || n > 3 || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= 255;
}

/* Read the "supersedes" array n (at path) into r. */
static int
read_supersedes(const struct tly_json *n, const char *path,
    struct tly_record *r)
{
	const struct tly_json	*m;
	const char		*s;
	char			 mpath[WHERE_LEN];
	size_t			 i, j;

	if (!tly_json_is_array(n))
		return tly_fail(TLY_E_JSON, "%s: not an array", path);
	if (tly_json_count(n) == 0)
		return tly_fail(TLY_E_JSON, "%s: empty", path);
	if (tly_json_count(n) > TLY_SUPERSEDES_MAX)
		return tly_fail(TLY_E_JSON, "%s: %zu entries, at most %d",
		    path, tly_json_count(n), TLY_SUPERSEDES_MAX);
	for (m = tly_json_first(n), i = 0; m != NULL;
	    m = tly_json_next(m), i++) {
		tly_json_path_index(mpath, sizeof(mpath), path, i);
		s = tly_json_string(m);
		/* Length first: tly_record_id_valid() reads 65 bytes. */
		if (s == NULL || strlen(s) < 66 ||
		    strlen(s) >= sizeof(r->supersedes[0]) ||
		    !tly_record_id_valid(s))
			return tly_fail(TLY_E_JSON, "%s: not a record id "
			    "(<64 hex>:<index>)", mpath);
		for (j = 0; j < i; j++)
			if (strcmp(r->supersedes[j], s) == 0)
				return tly_fail(TLY_E_JSON, "%s: record id "
				    "given twice", mpath);
		memcpy(r->supersedes[i], s, strlen(s) + 1);
		r->nsupersedes = i + 1;
	}
	return TLY_OK;
}

/* Read one record at n; see election.h. */
int
tly_record_from_json(const struct tly_json *n, const char *where,
    struct tly_record *r)
{
	static const char *const names[] = { "area", "level", "constituency",
	    "round", "registered", "voted", "issued", "received", "valid",
	    "invalid", "votes", "marks", "complaints", "explanations", "photo",
	    "note", "supersedes", NULL };
	const struct tly_json	*m;
	char			 path[WHERE_LEN];
	int			 rv;

	tly_record_finish(r);
	if (!tly_json_is_object(n)) {
		rv = tly_fail(TLY_E_JSON, "%s: not an object",
		    where[0] != '\0' ? where : "record");
		goto out;
	}
	if ((rv = tly_json_check_names(n, where, names)) != TLY_OK ||
	    (rv = tly_json_get_id(n, where, "area", r->area)) != TLY_OK ||
	    (rv = tly_json_get_id(n, where, "level", r->level)) != TLY_OK ||
	    (rv = tly_json_get_id(n, where, "constituency",
	    r->constituency)) != TLY_OK ||
	    (rv = tly_json_get_int(n, where, "round", &r->round)) != TLY_OK)
		goto out;
	if (r->round < 1) {
		tly_json_path(path, sizeof(path), where, "round");
		rv = tly_fail(TLY_E_JSON, "%s: must be 1 or more", path);
		goto out;
	}
	if ((rv = tly_json_get_int(n, where, "registered", &r->registered)) !=
	    TLY_OK ||
	    (rv = tly_json_get_int(n, where, "voted", &r->voted)) != TLY_OK ||
	    (rv = tly_json_get_int(n, where, "issued", &r->issued)) != TLY_OK ||
	    (rv = tly_json_get_int(n, where, "received", &r->received)) !=
	    TLY_OK ||
	    (rv = tly_json_get_int(n, where, "valid", &r->valid)) != TLY_OK ||
	    (rv = tly_json_get_int(n, where, "invalid", &r->invalid)) !=
	    TLY_OK)
		goto out;

	tly_json_path(path, sizeof(path), where, "votes");
	if ((m = tly_json_get(n, "votes")) == NULL) {
		rv = tly_fail(TLY_E_JSON, "%s: missing", path);
		goto out;
	}
	if ((rv = read_votes(m, path, r)) != TLY_OK)
		goto out;
	tly_json_path(path, sizeof(path), where, "marks");
	if ((m = tly_json_get(n, "marks")) != NULL &&
	    (rv = read_marks(m, path, r)) != TLY_OK)
		goto out;
	tly_json_path(path, sizeof(path), where, "complaints");
	if ((m = tly_json_get(n, "complaints")) != NULL &&
	    (rv = read_complaints(m, path, r)) != TLY_OK)
		goto out;
	tly_json_path(path, sizeof(path), where, "explanations");
	if ((m = tly_json_get(n, "explanations")) != NULL &&
	    (rv = read_explanations(m, path, r)) != TLY_OK)
		goto out;
	if (tly_json_get(n, "photo") != NULL) {
		if ((rv = tly_json_get_hash(n, where, "photo", r->photo)) !=
		    TLY_OK)
			goto out;
		r->has_photo = 1;
	}
	if (tly_json_get(n, "note") != NULL &&
	    (rv = tly_json_get_text(n, where, "note", &r->note)) != TLY_OK)
		goto out;
	tly_json_path(path, sizeof(path), where, "supersedes");
	if ((m = tly_json_get(n, "supersedes")) != NULL &&
	    (rv = read_supersedes(m, path, r)) != TLY_OK)
		goto out;
	rv = TLY_OK;
 out:
	if (rv != TLY_OK)
		tly_record_finish(r);
	return rv;
}

/* Parse one record from JSON text; see election.h. */
int
tly_record_parse(const void *p, size_t len, struct tly_record *r)
{
	struct tly_json	*root = NULL;
	int		 rv;

	if ((rv = tly_json_parse(p, len, &root)) != TLY_OK) {
		tly_record_finish(r);
		goto out;
	}
	rv = tly_record_from_json(root, "", r);
 out:
	tly_json_free(root);
	return rv;
}

/* Append r as compact JSON in the canonical order; see election.h. */
void
tly_record_to_json(const struct tly_record *r, struct tly_jw *w)
{
	size_t	 i, n;
	int	 any;

	tly_jw_obj_open(w);
	tly_jw_key(w, "area");
	tly_jw_str(w, r->area);
	tly_jw_key(w, "level");
	tly_jw_str(w, r->level);
	tly_jw_key(w, "constituency");
	tly_jw_str(w, r->constituency);
	tly_jw_key(w, "round");
	tly_jw_uint(w, r->round);
	tly_jw_key(w, "registered");
	tly_jw_uint(w, r->registered);
	tly_jw_key(w, "voted");
	tly_jw_uint(w, r->voted);
	tly_jw_key(w, "issued");
	tly_jw_uint(w, r->issued);
	tly_jw_key(w, "received");
	tly_jw_uint(w, r->received);
	tly_jw_key(w, "valid");
	tly_jw_uint(w, r->valid);
	tly_jw_key(w, "invalid");
	tly_jw_uint(w, r->invalid);

	tly_jw_key(w, "votes");
	tly_jw_obj_open(w);
	n = r->nvotes < TLY_CAND_MAX ? r->nvotes : TLY_CAND_MAX;
	for (i = 0; i < n; i++) {
		tly_jw_key(w, r->votes[i].cand);
		tly_jw_uint(w, r->votes[i].votes);
	}
	tly_jw_obj_close(w);

	if (r->nmarks > 0) {
		tly_jw_key(w, "marks");
		tly_jw_arr_open(w);
		n = r->nmarks < TLY_SEATS_MAX ? r->nmarks : TLY_SEATS_MAX;
		for (i = 0; i < n; i++)
			tly_jw_uint(w, r->marks[i]);
		tly_jw_arr_close(w);
	}
	if (r->has_complaints) {
		tly_jw_key(w, "complaints");
		tly_jw_obj_open(w);
		tly_jw_key(w, "received");
		tly_jw_uint(w, r->c_received);
		tly_jw_key(w, "settled");
		tly_jw_uint(w, r->c_settled);
		tly_jw_key(w, "forwarded");
		tly_jw_uint(w, r->c_forwarded);
		if (r->c_outcome != NULL) {
			tly_jw_key(w, "outcome");
			tly_jw_str(w, r->c_outcome);
		}
		tly_jw_obj_close(w);
	}
	for (i = 0, any = 0; i < TLY_WARN_COUNT; i++)
		if (r->explanations[i] != NULL)
			any = 1;
	if (any) {
		tly_jw_key(w, "explanations");
		tly_jw_obj_open(w);
		for (i = 0; i < TLY_WARN_COUNT; i++)
			if (r->explanations[i] != NULL) {
				tly_jw_key(w, warn_names[i]);
				tly_jw_str(w, r->explanations[i]);
			}
		tly_jw_obj_close(w);
	}
	if (r->has_photo) {
		tly_jw_key(w, "photo");
		tly_jw_hex(w, r->photo, sizeof(r->photo));
	}
	if (r->note != NULL) {
		tly_jw_key(w, "note");
		tly_jw_str(w, r->note);
	}
	if (r->nsupersedes > 0) {
		tly_jw_key(w, "supersedes");
		tly_jw_arr_open(w);
		n = r->nsupersedes < TLY_SUPERSEDES_MAX ? r->nsupersedes :
		    TLY_SUPERSEDES_MAX;
		for (i = 0; i < n; i++)
			tly_jw_strn(w, r->supersedes[i],
			    strnlen(r->supersedes[i],
			    sizeof(r->supersedes[i])));
		tly_jw_arr_close(w);
	}
	tly_jw_obj_close(w);
}
