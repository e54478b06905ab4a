/*
 * cmd_verify.c: tally verify FILE: check a bundle file offline, with no
 * daemon and no network, as PROTOCOL.md section 10 lays out for an
 * offline verifier: the bundle as a whole (7), then every entry as a
 * batch (steps 1-5), against an election definition when one is given
 * (steps 6-7), and the hash chains among the bundle's own entries (8).
 * Of a damaged file, the entries that salvage finds are judged (7.1).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"
#include "merge/merge.h"
#include "sync/verify.h"
#include "sync/wire.h"

#define PROGRESS_MIN	10000	/* entries before progress is shown */
#define PROGRESS_STEP	1000	/* entries between progress lines */

/* The verdict on one entry of the bundle. */
struct ver_entry {
	int		 has_id;	/* the envelope parses: id is valid */
	int		 parsed;	/* the batch parses: fields below valid */
	int		 bad;		/* failed a check */
	uint8_t		 id[TLY_HASH_LEN];	/* batch id */
	uint8_t		 device[TLY_PK_LEN];
	uint8_t		 prev[TLY_HASH_LEN];
	uint64_t	 seq;
	size_t		 nrecords;
	const char	*code;		/* wire error code when bad */
	char		*detail;	/* why, when bad; NULL if out of memory */
	size_t		 skipped;	/* salvage: damaged bytes before it */
};

/* The state of one verification. */
struct ver {
	struct ver_entry	*e;		/* entries in bundle order */
	size_t			 n;
	struct tly_election	*def;		/* --election, or NULL */
	uint8_t			 defhash[TLY_HASH_LEN];	/* its hash */
	const char		*defpath;
	int			 damaged;	/* the file failed as a whole */
	char			 why[600];	/* how, when damaged */
};

/* Mark e bad with a code and a detail, unless it is already bad. */
static void __attribute__((format(printf, 3, 4)))
mark_bad(struct ver_entry *e, const char *code, const char *fmt, ...)
{
	va_list	ap;
	char	tmp[1024];

	if (e->bad)
		return;
	e->bad = 1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	e->detail = strdup(tmp);
}

/* Steps 1-7 for the message m[0..mlen) of entry e (sync/verify.h). */
static void
check_entry(struct ver *v, struct ver_entry *e, const uint8_t *m,
    size_t mlen)
{
	struct tly_verify_ctx		 ctx;
	struct tly_verify_result	 res;
	char				 why[TLY_VERIFY_DETAIL_MAX + 64];
	int				 r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.election = v->def;
	memcpy(ctx.election_hash, v->defhash, TLY_HASH_LEN);
	r = tly_verify_entry(&ctx, m, mlen, &res);
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
		mark_bad(e, tly_err_code(r), "%s", cli_esc(r == TLY_E_NOMEM ||
		    r == TLY_E_CRYPTO ? tly_strerror(r) : res.detail, why,
		    sizeof(why)));
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
	int			 r;

	for (i = 0; i < n; i++) {
		f = &v->e[ix[i]];
		for (k = i; k-- > 0 && v->e[ix[k]].seq == f->seq;)
			if (memcmp(v->e[ix[k]].id, f->id, TLY_HASH_LEN) == 0)
				break;
		if (k != (size_t)-1 && v->e[ix[k]].seq == f->seq) {
			mark_bad(f, "seq_conflict", "device %s seq %llu: the "
			    "same batch is also at index %zu", cli_short(
			    tly_hex(f->device, TLY_PK_LEN, h1), sh),
			    (unsigned long long)f->seq, ix[k]);
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
			mark_bad(f, "seq_conflict", "device %s seq %llu: a "
			    "different batch with this seq is at index %zu",
			    cli_short(tly_hex(f->device, TLY_PK_LEN, h1), sh),
			    (unsigned long long)f->seq,
			    mb[j == 0 ? d.proofs[i].b : d.proofs[i].a].tag);
		}
	}
	for (i = 0; i < m; i++) {
		if (mb[i].link != TLY_MERGE_LINK_BROKEN)
			continue;
		f = &v->e[mb[i].tag];
		if (f->seq == 1)
			mark_bad(f, "chain_broken", "seq 1 has prev %s, not "
			    "zeros", tly_hex(f->prev, TLY_HASH_LEN, h1));
		else
			mark_bad(f, "chain_broken", "prev %s is not the id of "
			    "seq %llu (index %zu)", tly_hex(f->prev,
			    TLY_HASH_LEN, h1), (unsigned long long)(f->seq - 1),
			    first_at(mb, m, f->seq - 1));
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

/* Print the verdicts as text.  Returns the number of bad entries. */
static size_t
print_text(const struct ver *v)
{
	const struct ver_entry	*e;
	size_t			 i, bad = 0;
	char			 h1[TLY_HEX_HASH], h2[TLY_HEX_HASH];
	char			 sh[CLI_SHORT_HEX + 1];

	for (i = 0; i < v->n; i++) {
		e = &v->e[i];
		if (e->skipped > 0)
			printf("DAMAGED before %zu: %zu bytes that hold no "
			    "readable entry\n", i, e->skipped);
		if (e->bad) {
			bad++;
			printf("BAD  %zu %s: %s: %s\n", i, e->has_id ?
			    tly_hex(e->id, TLY_HASH_LEN, h1) : "-", e->code,
			    e->detail != NULL ? e->detail : "out of memory");
		} else
			printf("ok   %zu device %s seq %llu %s (%zu record%s)\n",
			    i, cli_short(tly_hex(e->device, TLY_PK_LEN, h1),
			    sh), (unsigned long long)e->seq,
			    tly_hex(e->id, TLY_HASH_LEN, h2), e->nrecords,
			    e->nrecords == 1 ? "" : "s");
	}
	printf("%zu batch%s: %zu ok, %zu bad\n", v->n, v->n == 1 ? "" : "es",
	    v->n - bad, bad);
	if (v->damaged)
		printf("the file is damaged (%s); the entries above are those "
		    "that could be salvaged\n", v->why);
	return bad;
}

/* Print the verdicts as JSON.  Returns bad entries, or -1 on error. */
static long
print_json(const struct ver *v, const char *path)
{
	struct tly_buf		 out = TLY_BUF_INIT(TLY_BUNDLE_FILE_MAX);
	struct tly_jw		 w;
	const struct ver_entry	*e;
	size_t			 i, bad = 0;
	long			 ret = -1;

	for (i = 0; i < v->n; i++)
		bad += v->e[i].bad != 0;
	tly_jw_init(&w, &out);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "file");
	tly_jw_str(&w, path);
	tly_jw_key(&w, "election");
	if (v->def != NULL)
		tly_jw_hex(&w, v->defhash, TLY_HASH_LEN);
	else
		tly_jw_null(&w);
	tly_jw_key(&w, "batches");
	tly_jw_uint(&w, v->n);
	tly_jw_key(&w, "ok");
	tly_jw_uint(&w, v->n - bad);
	tly_jw_key(&w, "bad");
	tly_jw_uint(&w, bad);
	tly_jw_key(&w, "damaged");
	if (v->damaged)
		tly_http_jw_error(&w, tly_err_code(TLY_E_BUNDLE), v->why);
	else
		tly_jw_null(&w);
	tly_jw_key(&w, "entries");
	tly_jw_arr_open(&w);
	for (i = 0; i < v->n; i++) {
		e = &v->e[i];
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "index");
		tly_jw_uint(&w, i);
		tly_jw_key(&w, "ok");
		tly_jw_bool(&w, !e->bad);
		tly_jw_key(&w, "batch");
		if (e->has_id)
			tly_jw_hex(&w, e->id, TLY_HASH_LEN);
		else
			tly_jw_null(&w);
		if (e->skipped > 0) {
			tly_jw_key(&w, "skipped_before");
			tly_jw_uint(&w, e->skipped);
		}
		if (e->parsed) {
			tly_jw_key(&w, "device");
			tly_jw_hex(&w, e->device, TLY_PK_LEN);
			tly_jw_key(&w, "seq");
			tly_jw_uint(&w, e->seq);
			tly_jw_key(&w, "records");
			tly_jw_uint(&w, e->nrecords);
		}
		if (e->bad) {
			tly_jw_key(&w, "code");
			tly_jw_str(&w, e->code);
			tly_jw_key(&w, "detail");
			tly_jw_str(&w, e->detail != NULL ? e->detail :
			    "out of memory");
		}
		tly_jw_obj_close(&w);
	}
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	if (tly_jw_finish(&w) != TLY_OK)
		cli_err("verify: cannot write JSON");
	else if (cli_print_buf(&out) == CLI_EXIT_OK)
		ret = (long)bad;
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
	struct tly_buf	raw = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	char		why[600];
	int		r;

	if ((r = cli_read_input("verify", v->defpath, TLY_ELECTION_FILE_MAX, &raw)) !=
	    TLY_OK)
		goto out;
	tly_hash(raw.p, raw.len, v->defhash);
	tly_errclear();
	if ((r = tly_election_parse(raw.p, raw.len, &v->def)) != TLY_OK)
		cli_err("verify: %s: bad election definition: %s",
		    v->defpath, cli_esc(tly_errdetail(), why, sizeof(why)));
 out:
	tly_buf_free(&raw);
	return r;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "election",	required_argument,	NULL, 'e' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct tly_buf			 file = TLY_BUF_INIT(TLY_BUNDLE_FILE_MAX);
	struct cli_entry		*ents = NULL;
	struct ver			 v;
	const char			*path;
	size_t				 i, bad;
	long				 nbad;
	int				 c, json = 0, progress;
	int				 ret = CLI_EXIT_FAIL;

	memset(&v, 0, sizeof(v));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			v.defpath = optarg;
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
	if (argc - optind != 1)
		return cli_usage_error("verify", argc - optind == 0 ?
		    "FILE is required" : "only one FILE may be given");
	path = argv[optind];

	if (v.defpath != NULL && load_definition(&v) != TLY_OK)
		goto out;
	if (cli_read_input("verify", path, TLY_BUNDLE_FILE_MAX, &file) !=
	    TLY_OK)
		goto out;
	/* A damaged file: each entry that can be found is still judged. */
	if ((c = cli_bundle_entries("verify", path, file.p, file.len, &ents,
	    &v.n, &v.damaged, v.why, sizeof(v.why))) != TLY_OK) {
		if (c == TLY_E_NOMEM)
			cli_err("verify: out of memory");
		else if (json)
			print_json_error(path, tly_err_code(TLY_E_BUNDLE),
			    v.why);
		goto out;
	}
	if (v.n > 0 && (v.e = calloc(v.n, sizeof(*v.e))) == NULL) {
		cli_err("verify: out of memory for %zu entries", v.n);
		goto out;
	}
	progress = v.n > PROGRESS_MIN && isatty(STDERR_FILENO);
	for (i = 0; i < v.n; i++) {
		check_entry(&v, &v.e[i], ents[i].m, ents[i].len);
		v.e[i].skipped = ents[i].skipped;
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
	if (json) {
		if ((nbad = print_json(&v, path)) < 0)
			goto out;
		bad = (size_t)nbad;
	} else
		bad = print_text(&v);
	if (bad == 0 && !v.damaged)
		ret = CLI_EXIT_OK;
	else if (bad > 0)
		cli_err("verify: %s: %zu of %zu batch%s failed", path, bad,
		    v.n, v.n == 1 ? "" : "es");
	if (v.damaged)
		cli_err("verify: %s: the file is damaged: %zu entr%s "
		    "salvaged, %zu of them good", path, v.n,
		    v.n == 1 ? "y" : "ies", v.n - bad);
 out:
	for (i = 0; v.e != NULL && i < v.n; i++)
		free(v.e[i].detail);
	free(v.e);
	free(ents);
	tly_election_free(v.def);
	tly_buf_free(&file);
	return ret;
}

/* tally verify (tally(1)). */
const struct tly_cmd_entry cmd_verify_entry = {
	.name = "verify",
	.exec = cmd_verify,
	.usage = "[--election deffile] [--json] file",
	.options = "  -e, --election FILE  also check the election hash and every\n"
	    "                       record against this definition\n"
	    "      --json           print the per-entry results as JSON\n",
	.about = "Verify a bundle file offline: its integrity, every batch's\n"
	    "signature and body, and the hash chains among its batches.\n",
	.summary = "verify a bundle file offline",
};
