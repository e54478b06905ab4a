/*
 * loadgen_body.c: the bodies bench/loadgen posts, signed before the clock
 * starts: one batch per polling area from the files `tally gen` writes,
 * each in a one-entry bundle, maybe gzipped.  No libcurl here: loadgen.c
 * posts them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"
#include "sync/compress.h"
#include "sync/wire.h"

#include "bench/loadgen.h"

/* Records of one area file into recs[0..*n), at most max. */
static int
load_area(const char *path, struct tly_record *recs, size_t max, size_t *n)
{
	struct tly_buf	 raw = TLY_BUF_INIT(TLY_LOCAL_BODY_MAX);
	struct tly_json	*root = NULL, *el;
	int		 r;

	*n = 0;
	if ((r = tly_buf_read_file(path, TLY_LOCAL_BODY_MAX, &raw)) != TLY_OK ||
	    (r = tly_json_parse(raw.p, raw.len, &root)) != TLY_OK)
		goto out;
	for (el = tly_json_first(root); el != NULL && *n < max;
	    el = tly_json_next(el)) {
		tly_record_init(&recs[*n]);
		if ((r = tly_record_from_json(el, "record", &recs[*n])) !=
		    TLY_OK)
			goto out;
		(*n)++;
	}
	if (*n == 0)
		r = tly_fail(TLY_E_INVAL, "%s: no records", path);
 out:
	tly_json_free(root);
	tly_buf_free(&raw);
	return r;
}

static int
json_file(const struct dirent *d)
{
	size_t	n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* The bodies of a run; see loadgen.h. */
int
loadgen_presign(struct bodies *bs, const char *election, const char *dir,
    size_t skip, size_t n, size_t nrec, int fixed, int gzip, int forged)
{
	struct tly_buf		 file = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_buf		 msg = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 bun = TLY_BUF_INIT(TLY_MSG_MAX + 64);
	struct tly_buf		 gz = TLY_BUF_INIT(2 * TLY_MSG_MAX);
	struct tly_record	*recs;
	struct tly_key		*key = NULL;
	struct dirent		**ents = NULL;
	uint8_t			 ehash[TLY_HASH_LEN];
	char			 path[4096];
	size_t			 got, i, k;
	int			 nents = 0, r;

	if ((recs = calloc(nrec, sizeof(*recs))) == NULL)
		return TLY_E_NOMEM;
	if ((r = tly_buf_read_file(election, TLY_ELECTION_FILE_MAX, &file)) !=
	    TLY_OK)
		goto out;
	tly_hash(file.p, file.len, ehash);
	if ((nents = scandir(dir, &ents, json_file, alphasort)) < 0) {
		r = tly_fail(TLY_E_IO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((size_t)nents <= skip || n == 0) {
		r = tly_fail(TLY_E_INVAL, "%s: %d areas, none after %zu", dir,
		    nents, skip);
		goto out;
	}
	if (n > (size_t)nents - skip)
		n = (size_t)nents - skip;
	if ((bs->bodies = calloc(n, sizeof(*bs->bodies))) == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
		    ents[skip + i]->d_name);
		if ((r = load_area(path, recs, nrec, &got)) != TLY_OK)
			goto out;
		if (bs->nids < IDS_MAX)
			snprintf(bs->ids[bs->nids++], sizeof(bs->ids[0]), "%s",
			    recs[got - 1].constituency);
		tly_buf_reset(&msg);
		tly_buf_reset(&bun);
		tly_buf_reset(&gz);
		if (fixed) {
			/* The same bytes on every run: seed from the area. */
			uint8_t	seed[TLY_SEED_LEN];

			tly_hash((const uint8_t *)ents[skip + i]->d_name,
			    strlen(ents[skip + i]->d_name), seed);
			r = tly_key_from_seed(seed, &key);
		} else
			r = tly_key_generate(&key);
		if (r != TLY_OK ||
		    (r = tly_batch_seal(key, 1, NULL, fixed ?
		    FIXED_TIME : (uint64_t)time(NULL),
		    1 /* test mode: an open central */, ehash, recs, got,
		    &msg, NULL)) != TLY_OK)
			goto out;
		tly_key_free(key);
		key = NULL;
		for (k = 0; k < got; k++)
			tly_record_finish(&recs[k]);
		if (forged)
			msg.p[msg.len - 1] ^= 1;
		if ((r = tly_bundle_begin(&bun)) != TLY_OK ||
		    (r = tly_bundle_add(&bun, msg.p, msg.len)) != TLY_OK ||
		    (r = tly_bundle_end(&bun, 1)) != TLY_OK)
			goto out;
		if (gzip && (r = tly_gzip(bun.p, bun.len, &gz)) != TLY_OK)
			goto out;
		struct tly_buf *src = gzip ? &gz : &bun;
		if ((bs->bodies[i].p = malloc(src->len)) == NULL) {
			r = TLY_E_NOMEM;
			goto out;
		}
		memcpy(bs->bodies[i].p, src->p, src->len);
		bs->bodies[i].len = src->len;
		bs->bodies[i].nrec = got;
		bs->nbodies++;
	}
	r = TLY_OK;
 out:
	if (ents != NULL) {
		for (i = 0; i < (size_t)nents; i++)
			free(ents[i]);
		free(ents);
	}
	tly_key_free(key);
	free(recs);
	tly_buf_free(&file);
	tly_buf_free(&msg);
	tly_buf_free(&bun);
	tly_buf_free(&gz);
	return r;
}
