/*
 * cmd_verify.c: tally verify FILE...: check bundle files offline, with no
 * daemon and no network, as PROTOCOL.md section 10 lays out for an
 * offline verifier: each bundle as a whole (7), then every entry as a
 * batch (steps 1-5), against an election definition when one is given
 * (steps 6-7), with --authority the trust of 13.7 at each batch's receipt
 * time (verify_trust.c judges the receipts and trust objects that travel
 * as companions, 7.2, or as files of their own), and the hash chains
 * among all the batches given (8).  Of a damaged file, the entries that
 * salvage finds are judged (7.1).  What was not checked is said.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/verify.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"
#include "merge/merge.h"
#include "sync/companion.h"
#include "sync/trust.h"
#include "sync/verify.h"
#include "sync/wire.h"

#define PROGRESS_MIN	10000	/* entries before progress is shown */
#define PROGRESS_STEP	1000	/* entries between progress lines */

/*
 * Steps 1-7 for batch entry e (sync/verify.h), with the trust of 13.7
 * at its receipt time when --authority was given: a good receipt's
 * stored time, else this machine's clock (rule 3).
 */
static void
check_entry(struct ver *v, struct ver_entry *e, uint64_t now)
{
	struct tly_verify_ctx		 ctx;
	struct tly_verify_result	 res;
	const struct ver_obj		*rc = NULL;
	char				 why[TLY_VERIFY_DETAIL_MAX + 64];
	size_t				 ro;
	int				 r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.election = v->def;
	memcpy(ctx.election_hash, v->defhash, TLY_HASH_LEN);
	if (v->trust != NULL) {
		ctx.policy.trust = v->trust;
		ctx.policy.receipt_time = now;
		if (tly_envelope_parse(e->m, e->mlen, &(struct tly_envelope){
		    0 }) == TLY_OK) {
			tly_hash(e->m, e->mlen, e->id);
			if (cli_ver_receipt(v, e->id, &ro)) {
				rc = &v->o[ro];
				ctx.policy.receipt_time = rc->stored;
				e->has_receipt = 1;
				e->receipt_time = rc->stored;
			} else
				v->own_clock++;
		}
	}
	r = tly_verify_entry(&ctx, e->m, e->mlen, &res);
	tly_batch_free(res.batch);
	if (res.has_id) {
		e->has_id = 1;
		memcpy(e->id, res.id, TLY_HASH_LEN);
	}
	/* An entry that parses takes part in the chain checks (step 8). */
	if (res.parsed) {
		e->parsed = 1;
		memcpy(e->device, res.device, TLY_PK_LEN);
		memcpy(e->prev, res.prev, TLY_HASH_LEN);
		e->seq = res.seq;
		e->nrecords = res.nrecords;
	}
	if (r != TLY_OK)
		cli_ver_bad(e, tly_err_code(r), "%s", cli_esc(r == TLY_E_NOMEM ||
		    r == TLY_E_CRYPTO ? tly_strerror(r) : res.detail, why,
		    sizeof(why)));
	else if (rc != NULL && (memcmp(rc->device, e->device, TLY_PK_LEN) !=
	    0 || rc->seq != e->seq))
		cli_ver_bad(e, tly_err_code(TLY_E_RECEIPT), "its receipt "
		    "(entry %zu of %s) names seq %llu of another device or "
		    "seq", rc->index, v->files[rc->file].path,
		    (unsigned long long)rc->seq);
}

/* Order for the chain checks: (device, seq, index). */
static const struct ver_entry	*sort_base;

static int
chain_cmp(const void *a, const void *b)
{
	size_t			 i = *(const size_t *)a, j = *(const size_t *)b;
	const struct ver_entry	*x = &sort_base[i], *y = &sort_base[j];
	int			 c;

	if ((c = memcmp(x->device, y->device, TLY_PK_LEN)) != 0)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return i < j ? -1 : i > j;
}

#define CLI_WHERE_MAX	(TLY_FILE_PATH_MAX + 64)

/* "index N" of batch entry k, with its file when there are several. */
static const char *
where(const struct ver *v, size_t k, char *out, size_t outlen)
{
	if (k >= v->n)
		snprintf(out, outlen, "no index");
	else if (v->nfiles > 1)
		snprintf(out, outlen, "index %zu of %s", v->e[k].index,
		    v->files[v->e[k].file].path);
	else
		snprintf(out, outlen, "index %zu", v->e[k].index);
	return out;
}

/* The smallest bundle index among mb[]'s batches at seq. */
static size_t
first_at(const struct tly_merge_batch *mb, size_t m, uint64_t seq)
{
	size_t	i, best = (size_t)-1;

	for (i = 0; i < m; i++)
		if (mb[i].seq == seq && mb[i].tag < best)
			best = mb[i].tag;
	return best;
}

/*
 * Step 8 among one device's entries ix[0..n) (sorted by seq, index), by
 * the merge engine's rules for a device's log (PROTOCOL.md 12.2): the
 * same batch twice, different batches with one seq, and a prev that is
 * not the id of any entry at seq - 1.  mb: room for n batches.
 */
static int
check_device(struct ver *v, const size_t *ix, size_t n,
    struct tly_merge_batch *mb)
{
	struct ver_entry	*f;
	struct tly_merge_dev	 d;
	size_t			 i, j, k, m = 0;
	char			 h1[TLY_HEX_HASH], sh[CLI_SHORT_HEX + 1];
	char			 w1[CLI_WHERE_MAX];
	int			 r;

	for (i = 0; i < n; i++) {
		f = &v->e[ix[i]];
		for (k = i; k-- > 0 && v->e[ix[k]].seq == f->seq;)
			if (memcmp(v->e[ix[k]].id, f->id, TLY_HASH_LEN) == 0)
				break;
		if (k != (size_t)-1 && v->e[ix[k]].seq == f->seq) {
			cli_ver_bad(f, "seq_conflict", "device %s seq %llu: the "
			    "same batch is also at %s", cli_short(
			    tly_hex(f->device, TLY_PK_LEN, h1), sh),
			    (unsigned long long)f->seq, where(v, ix[k], w1,
			    sizeof(w1)));
			continue;
		}
		memset(&mb[m], 0, sizeof(mb[m]));
		memcpy(mb[m].id, f->id, TLY_HASH_LEN);
		memcpy(mb[m].prev, f->prev, TLY_HASH_LEN);
		mb[m].seq = f->seq;
		mb[m].tag = ix[i];
		m++;
	}
	if ((r = tly_merge_device(mb, m, NULL, 0, &d)) != TLY_OK)
		return r;
	for (i = 0; i < d.nproofs; i++) {
		if (d.proofs[i].kind != TLY_MERGE_SAME_SEQ)
			continue;
		for (j = 0; j < 2; j++) {
			f = &v->e[mb[j == 0 ? d.proofs[i].a : d.proofs[i].b].tag];
			cli_ver_bad(f, "seq_conflict", "device %s seq %llu: a "
			    "different batch with this seq is at %s",
			    cli_short(tly_hex(f->device, TLY_PK_LEN, h1), sh),
			    (unsigned long long)f->seq, where(v, mb[j == 0 ?
			    d.proofs[i].b : d.proofs[i].a].tag, w1, sizeof(w1)));
		}
	}
	for (i = 0; i < m; i++) {
		if (mb[i].link != TLY_MERGE_LINK_BROKEN)
			continue;
		f = &v->e[mb[i].tag];
		if (f->seq == 1)
			cli_ver_bad(f, "chain_broken", "seq 1 has prev %s, not "
			    "zeros", tly_hex(f->prev, TLY_HASH_LEN, h1));
		else
			cli_ver_bad(f, "chain_broken", "prev %s is not the id of "
			    "seq %llu (%s)", tly_hex(f->prev,
			    TLY_HASH_LEN, h1), (unsigned long long)(f->seq - 1),
			    where(v, first_at(mb, m, f->seq - 1), w1,
			    sizeof(w1)));
	}
	tly_merge_dev_finish(&d);
	return TLY_OK;
}

/*
 * Step 8 among the bundle's entries: distinct seqs per device, and
 * batch k's prev is the id of batch k - 1 wherever both are present.
 */
static int
check_chains(struct ver *v)
{
	struct tly_merge_batch	*mb = NULL;
	size_t			*ix, n = 0, i, g;
	int			 r = TLY_OK;

	if ((ix = calloc(v->n + 1, sizeof(*ix))) == NULL ||
	    (mb = calloc(v->n + 1, sizeof(*mb))) == NULL) {
		free(ix);
		return TLY_E_NOMEM;
	}
	for (i = 0; i < v->n; i++)
		if (v->e[i].parsed)
			ix[n++] = i;
	sort_base = v->e;
	qsort(ix, n, sizeof(*ix), chain_cmp);
	for (i = 0; i < n && r == TLY_OK; i = g) {
		for (g = i + 1; g < n && memcmp(v->e[ix[g]].device,
		    v->e[ix[i]].device, TLY_PK_LEN) == 0; g++)
			;
		r = check_device(v, ix + i, g - i, mb);
	}
	free(mb);
	free(ix);
	return r;
}

/* Print file f's verdicts as text.  Returns its bad entries. */
static size_t
print_text_file(const struct ver *v, size_t f)
{
	const struct ver_entry	*e;
	const struct ver_obj	*o;
	size_t			 i, j, k, bad = 0, nb = 0;
	char			 h1[TLY_HEX_HASH], h2[TLY_HEX_HASH];
	char			 sh[CLI_SHORT_HEX + 1];

	if (v->nfiles > 1)
		printf("%s:\n", v->files[f].path);
	/* Batches and companions by their index in the file. */
	for (i = 0, j = 0; i < v->n || j < v->no;) {
		while (i < v->n && v->e[i].file != f)
			i++;
		while (j < v->no && v->o[j].file != f)
			j++;
		if (i == v->n && j == v->no)
			break;
		if (j == v->no || (i < v->n && v->e[i].index < v->o[j].index)) {
			e = &v->e[i++];
			nb++;
			if (e->skipped > 0)
				printf("DAMAGED before %zu: %zu bytes that hold "
				    "no readable entry\n", e->index, e->skipped);
			if (e->bad) {
				bad++;
				printf("BAD  %zu %s: %s: %s", e->index,
				    e->has_id ? tly_hex(e->id, TLY_HASH_LEN, h1) :
				    "-", e->code, e->detail != NULL ? e->detail :
				    "out of memory");
				if (e->parsed)
					printf(" (device %s seq %llu)",
					    cli_short(tly_hex(e->device,
					    TLY_PK_LEN, h1), sh),
					    (unsigned long long)e->seq);
				printf("\n");
				continue;
			}
			printf("ok   %zu device %s seq %llu %s (%zu record%s)",
			    e->index, cli_short(tly_hex(e->device, TLY_PK_LEN,
			    h1), sh), (unsigned long long)e->seq,
			    tly_hex(e->id, TLY_HASH_LEN, h2), e->nrecords,
			    e->nrecords == 1 ? "" : "s");
			if (e->has_receipt)
				printf(", received %llu",
				    (unsigned long long)e->receipt_time);
			printf("\n");
			continue;
		}
		o = &v->o[j++];
		k = o->index;
		if (o->bad) {
			bad++;
			printf("BAD  %zu %s: %s: %s\n", k,
			    tly_companion_name(o->kind), o->code, o->detail);
		} else
			printf("ok   %zu %s\n", k, o->detail);
	}
	if (v->files[f].damaged)
		printf("the file is damaged (%s); the entries above are those "
		    "that could be salvaged\n", v->files[f].why);
	(void)nb;
	return bad;
}

/* Count the batches and companions, and the bad ones among them. */
static void
count(const struct ver *v, size_t *nb, size_t *bb, size_t *no, size_t *bo)
{
	size_t	i;

	*nb = v->n;
	*no = v->no;
	*bb = *bo = 0;
	for (i = 0; i < v->n; i++)
		*bb += v->e[i].bad != 0;
	for (i = 0; i < v->no; i++)
		*bo += v->o[i].bad != 0;
}

/* Print the verdicts as text.  Returns the number of bad entries. */
static size_t
print_text(const struct ver *v)
{
	size_t	f, i, nb, bb, no, bo;

	for (f = 0; f < v->nfiles; f++)
		print_text_file(v, f);
	count(v, &nb, &bb, &no, &bo);
	for (i = 0; i < v->nskipped; i++)
		printf("not checked: %s\n", v->skipped[i]);
	printf("%zu batch%s: %zu ok, %zu bad", nb, nb == 1 ? "" : "es",
	    nb - bb, bb);
	if (no > 0)
		printf("; %zu receipt%s and trust object%s: %zu ok, %zu bad",
		    no, no == 1 ? "" : "s", no == 1 ? "" : "s", no - bo, bo);
	printf("%s\n", v->nskipped > 0 ? "; some checks skipped (above)" :
	    "");
	return bb + bo;
}

/* Write file f's verdicts as one JSON object. */
static void
json_file(const struct ver *v, size_t f, struct tly_jw *w)
{
	const struct ver_entry	*e;
	const struct ver_obj	*o;
	size_t			 i, n = 0, bad = 0;

	for (i = 0; i < v->n; i++)
		if (v->e[i].file == f) {
			n++;
			bad += v->e[i].bad != 0;
		}
	tly_jw_obj_open(w);
	tly_jw_key(w, "file");
	tly_jw_str(w, v->files[f].path);
	tly_jw_key(w, "election");
	if (v->def != NULL)
		tly_jw_hex(w, v->defhash, TLY_HASH_LEN);
	else
		tly_jw_null(w);
	tly_jw_key(w, "authority");
	if (v->authpath != NULL)
		tly_jw_hex(w, v->authority, TLY_PK_LEN);
	else
		tly_jw_null(w);
	tly_jw_key(w, "batches");
	tly_jw_uint(w, n);
	tly_jw_key(w, "ok");
	tly_jw_uint(w, n - bad);
	tly_jw_key(w, "bad");
	tly_jw_uint(w, bad);
	tly_jw_key(w, "damaged");
	if (v->files[f].damaged)
		tly_http_jw_error(w, tly_err_code(TLY_E_BUNDLE),
		    v->files[f].why);
	else
		tly_jw_null(w);
	tly_jw_key(w, "not_checked");
	tly_jw_arr_open(w);
	for (i = 0; i < v->nskipped; i++)
		tly_jw_str(w, v->skipped[i]);
	tly_jw_arr_close(w);
	tly_jw_key(w, "entries");
	tly_jw_arr_open(w);
	for (i = 0; i < v->n; i++) {
		e = &v->e[i];
		if (e->file != f)
			continue;
		tly_jw_obj_open(w);
		tly_jw_key(w, "index");
		tly_jw_uint(w, e->index);
		tly_jw_key(w, "ok");
		tly_jw_bool(w, !e->bad);
		tly_jw_key(w, "batch");
		if (e->has_id)
			tly_jw_hex(w, e->id, TLY_HASH_LEN);
		else
			tly_jw_null(w);
		if (e->skipped > 0) {
			tly_jw_key(w, "skipped_before");
			tly_jw_uint(w, e->skipped);
		}
		if (e->parsed) {
			tly_jw_key(w, "device");
			tly_jw_hex(w, e->device, TLY_PK_LEN);
			tly_jw_key(w, "seq");
			tly_jw_uint(w, e->seq);
			tly_jw_key(w, "records");
			tly_jw_uint(w, e->nrecords);
		}
		if (e->has_receipt) {
			tly_jw_key(w, "received");
			tly_jw_uint(w, e->receipt_time);
		}
		if (e->bad) {
			tly_jw_key(w, "code");
			tly_jw_str(w, e->code);
			tly_jw_key(w, "detail");
			tly_jw_str(w, e->detail != NULL ? e->detail :
			    "out of memory");
		}
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "objects");
	tly_jw_arr_open(w);
	for (i = 0; i < v->no; i++) {
		o = &v->o[i];
		if (o->file != f)
			continue;
		tly_jw_obj_open(w);
		tly_jw_key(w, "index");
		tly_jw_uint(w, o->index);
		tly_jw_key(w, "kind");
		tly_jw_str(w, tly_companion_name(o->kind));
		tly_jw_key(w, "ok");
		tly_jw_bool(w, !o->bad);
		if (o->bad) {
			tly_jw_key(w, "code");
			tly_jw_str(w, o->code);
		}
		tly_jw_key(w, "detail");
		tly_jw_str(w, o->detail);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_obj_close(w);
}

/*
 * Print the verdicts as JSON: one FILE's object, or {"files": [...]}
 * for several.  Returns the bad entries, or -1 on error.
 */
static long
print_json(const struct ver *v)
{
	struct tly_buf	 out = TLY_BUF_INIT(TLY_BUNDLE_FILE_MAX);
	struct tly_jw	 w;
	size_t		 f, nb, bb, no, bo;
	long		 ret = -1;

	count(v, &nb, &bb, &no, &bo);
	tly_jw_init(&w, &out);
	if (v->nfiles > 1) {
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "files");
		tly_jw_arr_open(&w);
	}
	for (f = 0; f < v->nfiles; f++)
		json_file(v, f, &w);
	if (v->nfiles > 1) {
		tly_jw_arr_close(&w);
		tly_jw_obj_close(&w);
	}
	if (tly_jw_finish(&w) != TLY_OK)
		cli_err("verify: cannot write JSON");
	else if (cli_print_buf(&out) == CLI_EXIT_OK)
		ret = (long)(bb + bo);
	tly_buf_free(&out);
	return ret;
}

/* With --json, the whole-file failure as JSON on stdout. */
static void
print_json_error(const char *path, const char *code, const char *msg)
{
	struct tly_buf	out = TLY_BUF_INIT(65536);
	struct tly_jw	w;

	tly_jw_init(&w, &out);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "file");
	tly_jw_str(&w, path);
	tly_jw_key(&w, "error");
	tly_http_jw_error(&w, code, msg);
	tly_jw_obj_close(&w);
	if (tly_jw_finish(&w) == TLY_OK)
		(void)cli_print_buf(&out);
	tly_buf_free(&out);
}

/* Load and hash the election definition for --election. */
static int
load_definition(struct ver *v)
{
	char	why[600];
	int	r;

	v->defraw = (struct tly_buf)TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	if ((r = cli_read_input("verify", v->defpath, TLY_ELECTION_FILE_MAX,
	    &v->defraw)) != TLY_OK)
		return r;
	tly_hash(v->defraw.p, v->defraw.len, v->defhash);
	tly_errclear();
	if ((r = tly_election_parse(v->defraw.p, v->defraw.len, &v->def)) !=
	    TLY_OK)
		cli_err("verify: %s: bad election definition: %s",
		    v->defpath, cli_esc(tly_errdetail(), why, sizeof(why)));
	return r;
}

/*
 * Read FILE f: a bundle (its batches and companions), or one signed
 * object of its own (a certificate, a revocation list, a definition
 * statement, a receipt).  CLI_EXIT_USAGE when it cannot be read or
 * holds nothing to judge (reported), CLI_EXIT_FAIL out of memory.
 */
static int
read_file(struct ver_file *f, int json)
{
	int	r;

	f->data = (struct tly_buf)TLY_BUF_INIT(TLY_BUNDLE_FILE_MAX);
	if (cli_read_input("verify", f->path, TLY_BUNDLE_FILE_MAX, &f->data) !=
	    TLY_OK)
		return CLI_EXIT_USAGE;
	if (f->data.len >= 8 && memcmp(f->data.p, "TALLYSIG", 8) == 0) {
		if ((f->ents = calloc(1, sizeof(*f->ents))) == NULL)
			return CLI_EXIT_FAIL;
		f->loose = 1;
		f->n = 1;
		f->ents[0].m = f->data.p;
		f->ents[0].len = f->data.len;
		f->ents[0].companion = (int)tly_companion_kind(f->data.p,
		    f->data.len, 0);
		return CLI_EXIT_OK;
	}
	/* A damaged file: each entry that can be found is still judged. */
	if ((r = cli_bundle_read("verify", f->path, f->data.p, f->data.len, 1,
	    &f->ents, &f->n, &f->damaged, f->why, sizeof(f->why))) !=
	    TLY_OK) {
		if (r == TLY_E_NOMEM) {
			cli_err("verify: out of memory");
			return CLI_EXIT_FAIL;
		}
		if (json)
			print_json_error(f->path, tly_err_code(TLY_E_BUNDLE),
			    f->why);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* Spread the files' entries into v->e (batches) and v->o (companions). */
static int
gather(struct ver *v)
{
	struct ver_file	*f;
	size_t		 i, k, nb = 0, no = 0;

	for (i = 0; i < v->nfiles; i++)
		for (k = 0; k < v->files[i].n; k++) {
			if (v->files[i].ents[k].companion)
				no++;
			else
				nb++;
		}
	if ((v->e = calloc(nb + 1, sizeof(*v->e))) == NULL ||
	    (v->o = calloc(no + 1, sizeof(*v->o))) == NULL)
		return TLY_E_NOMEM;
	for (i = 0; i < v->nfiles; i++) {
		f = &v->files[i];
		for (k = 0; k < f->n; k++) {
			if (f->ents[k].companion) {
				v->o[v->no].file = i;
				v->o[v->no].index = f->ents[k].index;
				v->o[v->no].m = f->ents[k].m;
				v->o[v->no].mlen = f->ents[k].len;
				v->o[v->no++].kind = f->ents[k].companion;
				continue;
			}
			v->e[v->n].file = i;
			v->e[v->n].index = f->ents[k].index;
			v->e[v->n].m = f->ents[k].m;
			v->e[v->n].mlen = f->ents[k].len;
			v->e[v->n++].skipped = f->ents[k].skipped;
		}
	}
	return TLY_OK;
}

/* Say which checks this run could not make, and why. */
static void
say_skipped(struct ver *v)
{
	char	h[TLY_HEX_HASH];
	size_t	i;
	int	central = 0;

	if (v->authpath == NULL)
		cli_ver_skip(v, "certificates, revocations, scopes and the "
		    "receipts' central (no --authority)");
	if (v->def == NULL)
		cli_ver_skip(v, "the election hash and every record (no "
		    "--election)");
	if (v->authpath != NULL && !v->statement)
		cli_ver_skip(v, "the definition's signature (no definition "
		    "statement among the FILEs)%s%s", v->trust_from != NULL &&
		    v->def == NULL ? "; certificates checked for the election "
		    "the first batch names, " : "", v->trust_from != NULL &&
		    v->def == NULL ? tly_hex(v->trust_election, TLY_HASH_LEN,
		    h) : "");
	for (i = 0; i < v->no; i++)
		central |= v->o[i].kind == TLY_COMPANION_CENTRAL_CERT;
	if (v->authpath != NULL && v->own_clock > 0)
		cli_ver_skip(v, "receipt times of %zu batch%s (no receipt of "
		    "a certified central%s): judged at this machine's clock",
		    v->own_clock, v->own_clock == 1 ? "" : "es", central ?
		    "" : ", no central certificate");
}

/* Free what v holds. */
static void
ver_free(struct ver *v)
{
	size_t	i;

	for (i = 0; v->e != NULL && i < v->n; i++)
		free(v->e[i].detail);
	for (i = 0; v->o != NULL && i < v->no; i++)
		free(v->o[i].detail);
	for (i = 0; v->files != NULL && i < v->nfiles; i++) {
		free(v->files[i].ents);
		tly_buf_free(&v->files[i].data);
	}
	free(v->files);
	free(v->e);
	free(v->o);
	free(v->ridx);
	tly_trust_destroy(v->trust);
	tly_election_free(v->def);
	tly_buf_free(&v->defraw);
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "election",	required_argument,	NULL, 'e' },
		{ "authority",	required_argument,	NULL, 'a' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct ver			 v;
	size_t				 i, bad, nb, bb, no, bo, damaged = 0;
	long				 nbad;
	uint64_t			 now;
	int				 c, json = 0, progress;
	int				 ret = CLI_EXIT_FAIL;

	memset(&v, 0, sizeof(v));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:a:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			v.defpath = optarg;
			break;
		case 'a':
			v.authpath = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help("verify");
		default:
			return cli_bad_option("verify", argv, c);
		}
	}
	if (argc - optind < 1)
		return cli_usage_error("verify", "FILE is required");

	ret = CLI_EXIT_USAGE;
	if (v.defpath != NULL && load_definition(&v) != TLY_OK)
		goto out;
	if (v.authpath != NULL && tly_pubkey_load(v.authpath, v.authority) !=
	    TLY_OK) {
		cli_err("verify: --authority %s: %s", v.authpath,
		    tly_errdetail());
		goto out;
	}
	v.nfiles = (size_t)(argc - optind);
	if ((v.files = calloc(v.nfiles, sizeof(*v.files))) == NULL) {
		ret = CLI_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < v.nfiles; i++) {
		v.files[i].path = argv[optind + (int)i];
		if ((ret = read_file(&v.files[i], json)) != CLI_EXIT_OK)
			goto out;
		damaged += v.files[i].damaged != 0;
	}
	ret = CLI_EXIT_FAIL;
	if (gather(&v) != TLY_OK || cli_ver_companions(&v) != TLY_OK) {
		cli_err("verify: out of memory");
		goto out;
	}
	now = (uint64_t)time(NULL);
	progress = v.n > PROGRESS_MIN && isatty(STDERR_FILENO);
	for (i = 0; i < v.n; i++) {
		check_entry(&v, &v.e[i], now);
		if (progress && i % PROGRESS_STEP == 0)
			fprintf(stderr, "\rverifying: %zu of %zu batches",
			    i, v.n);
	}
	if (progress)
		fprintf(stderr, "\rverifying: %zu of %zu batches\n", i, v.n);
	if (check_chains(&v) != TLY_OK) {
		cli_err("verify: out of memory");
		goto out;
	}
	say_skipped(&v);
	if (json) {
		if ((nbad = print_json(&v)) < 0)
			goto out;
		bad = (size_t)nbad;
	} else
		bad = print_text(&v);
	count(&v, &nb, &bb, &no, &bo);
	if (bad == 0 && damaged == 0)
		ret = CLI_EXIT_OK;
	if (bb > 0)
		cli_err("verify: %s%s: %zu of %zu batch%s failed",
		    v.files[0].path, v.nfiles > 1 ? " and the other FILEs" :
		    "", bb, nb, nb == 1 ? "" : "es");
	if (bo > 0)
		cli_err("verify: %zu of %zu receipts and trust objects failed",
		    bo, no);
	for (i = 0; i < v.nfiles; i++)
		if (v.files[i].damaged)
			cli_err("verify: %s: the file is damaged: %zu "
			    "entr%s salvaged", v.files[i].path, v.files[i].n,
			    v.files[i].n == 1 ? "y" : "ies");
 out:
	ver_free(&v);
	return ret;
}

/* tally verify (tally(1)). */
const struct tly_cmd_entry cmd_verify_entry = {
	.name = "verify",
	.exec = cmd_verify,
	.usage = "[--election deffile] [--authority keyfile] [--json] "
	    "file...",
	.options = "  -e, --election FILE   also check the election hash and "
	    "every\n"
	    "                        record against this definition\n"
	    "  -a, --authority KEY   also check the definition statement, "
	    "every\n"
	    "                        certificate, revocation and scope, and "
	    "every\n"
	    "                        receipt's central, under this authority\n"
	    "      --json            print the per-entry results as JSON\n",
	.about = "Verify bundle files offline: their integrity, every batch's\n"
	    "signature and body, and the hash chains among their batches;\n"
	    "receipts and trust objects in the bundles, or given as FILEs of\n"
	    "their own, are judged too.  What was not checked is said.\n",
	.summary = "verify bundle files offline",
};
