/*
 * cmd_bundle.c: tally export and tally import: moving bundle files
 * (PROTOCOL.md 7) out of tallyd and into tallyd or a central.  The
 * offline check of a bundle is in cmd_verify.c.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "sync/api.h"
#include "sync/upload.h"
#include "sync/verify.h"
#include "sync/wire.h"

#define BUSY_RETRIES	10	/* 503 answers tolerated per request */
#define BUSY_WAIT_MAX	60	/* longest Retry-After honoured, seconds */
#define RESULTS_MAX	TLY_RESP_MAX	/* cap on an answer */

/* What became of one entry of the bundle being imported. */
/* The answer for one entry (PROTOCOL.md 8.1 and 9). */
enum imp_status {
	IMP_NOT_SENT, IMP_STORED, IMP_PENDING, IMP_DUPLICATE,
	IMP_EQUIVOCATION, IMP_REJECTED, IMP_NSTATUS
};

/* One entry of the bundle being imported. */
struct imp_entry {
	const uint8_t	*m;		/* the signed message, in the file */
	size_t		 mlen;
	int		 parsed;	/* steps 1-5 passed (sync/verify.h) */
	uint8_t		 id[TLY_HASH_LEN];	/* batch id: hash of m */
	uint8_t		 device[TLY_PK_LEN];	/* valid when parsed */
	uint64_t	 seq;		/* valid when parsed */
	enum imp_status	 status;	/* the answer for it */
	char		*code;		/* error code when rejected, or NULL */
	char		*message;	/* error message, or NULL */
	int		 withheld;	/* damaged file: failed steps 1-5 here,
					   so not sent (PROTOCOL.md 7.1) */
	int		 bad;		/* the answer or receipt is faulty */
	char		*problem;	/* what is wrong, or NULL */
};

/* The state of one import. */
struct imp {
	struct imp_entry	*e;		/* entries in file order */
	size_t			*order;		/* indices in sending order */
	size_t			 n;		/* entries */
	const char		*central;	/* URL, or NULL for tallyd */
	int			 have_key;	/* verify receipts */
	uint8_t			 key[TLY_PK_LEN];	/* central key */
	int			 damaged;	/* the file failed as a whole */
	char			 why[600];	/* how, when damaged */
};

int
cmd_export(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "out",	required_argument,	NULL, 'o' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct tly_http_result		 res;
	struct tly_bundle_reader	 rd;
	const char			*out = NULL;
	char				 why[600];
	int				 c, ret = CLI_EXIT_FAIL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			return cli_help("export");
		default:
			return cli_bad_option("export", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error("export", "unexpected argument '%s'",
		    argv[optind]);
	if (out == NULL || *out == '\0')
		return cli_usage_error("export", "--out FILE is required");

	if (cli_daemon("GET", "/v1/bundle", NULL, NULL, 0,
	    TLY_BUNDLE_FILE_MAX, 0, &res) != TLY_OK)
		goto out;
	if (res.status != 200) {
		cli_http_fail("export", &res);
		goto out;
	}
	tly_errclear();
	if (tly_bundle_open_file(res.body.p, res.body.len, &rd) != TLY_OK) {
		cli_err("export: tallyd sent a bad bundle: %s",
		    cli_esc(tly_errdetail(), why, sizeof(why)));
		goto out;
	}
	tly_errclear();
	if (tly_file_write_atomic(out, res.body.p, res.body.len, 0644) !=
	    TLY_OK) {
		cli_err("export: %s", cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		goto out;
	}
	cli_export_say(&rd, out);
	ret = CLI_EXIT_OK;
 out:
	tly_http_result_free(&res);
	return ret;
}

/*
 * Order for sending: parsed entries by (device, seq), then the rest,
 * and those withheld last.
 */
static const struct imp_entry	*sort_base;

static int
order_cmp(const void *a, const void *b)
{
	const struct imp_entry	*x = &sort_base[*(const size_t *)a];
	const struct imp_entry	*y = &sort_base[*(const size_t *)b];
	size_t			 i = *(const size_t *)a, j = *(const size_t *)b;
	int			 c;

	if (x->withheld != y->withheld)
		return x->withheld ? 1 : -1;
	if (x->parsed != y->parsed)
		return x->parsed ? -1 : 1;
	if (x->parsed) {
		if ((c = memcmp(x->device, y->device, TLY_PK_LEN)) != 0)
			return c;
		if (x->seq != y->seq)
			return x->seq < y->seq ? -1 : 1;
	}
	return i < j ? -1 : i > j;
}

/* Record a fault in the answer for e (the first one wins). */
static void __attribute__((format(printf, 2, 3)))
set_problem(struct imp_entry *e, const char *fmt, ...)
{
	va_list	ap;
	char	tmp[1024];

	if (e->bad)
		return;
	e->bad = 1;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	e->problem = strdup(tmp);	/* NULL: printed as "out of memory" */
}

/* Verify a receipt under the central's key (upload.h verify). */
static int
imp_verify(void *arg, const uint8_t *m, size_t len, struct tly_receipt *rc)
{
	const struct imp	*im = arg;

	return tly_receipt_verify(m, len, im->key, rc);
}

/* Say that the receiver is busy (upload.h busy). */
static void
imp_busy(void *arg, long wait)
{
	const struct imp	*im = arg;

	cli_err("import: %s is busy; retrying in %ld s", im->central != NULL ?
	    "central" : "tallyd", wait);
}

_Static_assert(IMP_STORED + TLY_API_REJECTED == IMP_REJECTED &&
    IMP_STORED + TLY_API_EQUIVOCATION == IMP_EQUIVOCATION,
    "enum imp_status follows enum tly_api_status");

/* Apply one checked result of an answer (upload.h result). */
static void
imp_result(void *arg, const struct tly_upload_result *r)
{
	struct imp		*im = arg;
	struct imp_entry	*e = &im->e[im->order[r->item]];
	char			 esc[600];

	e->status = (enum imp_status)(IMP_STORED + r->status);
	if (r->code != NULL) {
		e->code = strdup(r->code);
		e->message = strdup(r->message != NULL ? r->message : "");
	}
	if (r->check != TLY_OK)
		set_problem(e, "%s", cli_esc(tly_errmsg(r->check), esc,
		    sizeof(esc)));
}

/*
 * Send the first nsend entries of the sending order through the upload
 * client, to the central or to tallyd, and apply the answers.  A
 * failure is reported here; the entries it left unsent stay so.
 */
static void
imp_send(struct imp *im, size_t nsend)
{
	struct tly_upload		 u;
	struct tly_upload_report	 rep;
	struct tly_upload_item		*ui;
	struct imp_entry		*e;
	char				 url[4096], esc[600];
	size_t				 i, n;

	if ((ui = calloc(nsend > 0 ? nsend : 1, sizeof(*ui))) == NULL) {
		cli_err("import: out of memory");
		return;
	}
	for (i = 0; i < nsend; i++) {
		e = &im->e[im->order[i]];
		ui[i].m = e->m;
		ui[i].len = e->mlen;
		memcpy(ui[i].id, e->id, TLY_HASH_LEN);
		ui[i].known = e->parsed;
		memcpy(ui[i].device, e->device, TLY_PK_LEN);
		ui[i].seq = e->seq;
	}
	memset(&u, 0, sizeof(u));
	if (im->central != NULL) {
		n = strlen(im->central);
		while (n > 0 && im->central[n - 1] == '/')
			n--;
		if ((size_t)snprintf(url, sizeof(url), "%.*s/v1/batches",
		    (int)n, im->central) >= sizeof(url)) {
			cli_err("import: %s: URL too long", im->central);
			goto out;
		}
		u.peer = "central";
		u.gzip_over = 0;
	} else {
		snprintf(url, sizeof(url), "http://localhost/v1/bundle");
		u.unix_socket = cli_socket;
		u.peer = "tallyd";
		u.gzip_over = SIZE_MAX;
	}
	u.url = url;
	u.resp_max = RESULTS_MAX;
	u.busy_retries = BUSY_RETRIES;
	u.busy_wait_max = BUSY_WAIT_MAX;
	u.verify = im->have_key ? imp_verify : NULL;
	u.busy = imp_busy;
	u.result = imp_result;
	u.arg = im;
	if (tly_upload_send(&u, ui, nsend, &rep) != TLY_OK)
		cli_err("import: %s%s", cli_esc(rep.detail, esc, sizeof(esc)),
		    rep.err == TLY_E_NET && im->central == NULL ? " (is tallyd "
		    "running? use -s or TALLY_SOCKET to name its socket)" : "");
	/* An entry of an answered request without a result: not delivered. */
	for (i = 0; i < rep.sent; i++) {
		e = &im->e[im->order[i]];
		if (e->status == IMP_NOT_SENT)
			set_problem(e, "no result for it in the answer");
	}
 out:
	free(ui);
}

/* The status of e in words: the wire's (sync/api.h), or not_sent. */
static const char *
imp_status_name(const struct imp_entry *e, const char *not_sent)
{
	if (e->status == IMP_NOT_SENT)
		return not_sent;
	return tly_api_status_name((enum tly_api_status)(e->status -
	    IMP_STORED));
}

/* Print the outcome, as text or JSON.  Returns the exit status. */
static int
print_import(const struct imp *im, int json)
{
	struct tly_buf		 out = TLY_BUF_INIT(RESULTS_MAX);
	struct tly_jw		 w;
	const struct imp_entry	*e;
	size_t			 i, cnt[IMP_NSTATUS] = { 0 }, bad = 0;
	char			 hex[TLY_HEX_HASH], sh[CLI_SHORT_HEX + 1];
	char			 esc[1024], esc2[1024];
	int			 ret;

	for (i = 0; i < im->n; i++) {
		e = &im->e[i];
		cnt[e->status]++;
		if (e->bad)
			bad++;
	}
	if (json) {
		tly_jw_init(&w, &out);
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "results");
		tly_jw_arr_open(&w);
		for (i = 0; i < im->n; i++) {
			e = &im->e[i];
			tly_jw_obj_open(&w);
			tly_jw_key(&w, "index");
			tly_jw_uint(&w, i);
			tly_jw_key(&w, "status");
			tly_jw_str(&w, imp_status_name(e, "not_sent"));
			tly_jw_key(&w, "batch");
			tly_jw_hex(&w, e->id, TLY_HASH_LEN);
			if (e->code != NULL) {
				tly_jw_key(&w, "error");
				tly_http_jw_error(&w, e->code, e->message);
			}
			if (e->bad) {
				tly_jw_key(&w, "problem");
				tly_jw_str(&w, e->problem != NULL ?
				    e->problem : "out of memory");
			}
			tly_jw_obj_close(&w);
		}
		tly_jw_arr_close(&w);
		tly_jw_key(&w, "stored");
		tly_jw_uint(&w, cnt[IMP_STORED]);
		tly_jw_key(&w, "pending");
		tly_jw_uint(&w, cnt[IMP_PENDING]);
		tly_jw_key(&w, "duplicate");
		tly_jw_uint(&w, cnt[IMP_DUPLICATE]);
		tly_jw_key(&w, "equivocation");
		tly_jw_uint(&w, cnt[IMP_EQUIVOCATION]);
		tly_jw_key(&w, "rejected");
		tly_jw_uint(&w, cnt[IMP_REJECTED]);
		tly_jw_key(&w, "not_sent");
		tly_jw_uint(&w, cnt[IMP_NOT_SENT]);
		tly_jw_key(&w, "problems");
		tly_jw_uint(&w, bad);
		tly_jw_key(&w, "damaged");
		if (im->damaged)
			tly_http_jw_error(&w, tly_err_code(TLY_E_BUNDLE), im->why);
		else
			tly_jw_null(&w);
		tly_jw_obj_close(&w);
		if (tly_jw_finish(&w) != TLY_OK) {
			cli_err("import: cannot write JSON");
			ret = CLI_EXIT_FAIL;
			goto out;
		}
		if (cli_print_buf(&out) != CLI_EXIT_OK) {
			ret = CLI_EXIT_FAIL;
			goto out;
		}
	} else {
		for (i = 0; i < im->n; i++) {
			e = &im->e[i];
			printf("%6zu  %-9s %s", i, imp_status_name(e,
			    "not sent"),
			    cli_short(tly_hex(e->id, TLY_HASH_LEN, hex), sh));
			if (e->code != NULL)
				printf("  %s: %s",
				    cli_esc(e->code, esc, sizeof(esc)),
				    cli_esc(e->message, esc2, sizeof(esc2)));
			if (e->bad)
				printf("  (%s)", e->problem != NULL ?
				    e->problem : "out of memory");
			putchar('\n');
		}
		printf("%zu entr%s: %zu stored, %zu duplicate, %zu rejected",
		    im->n, im->n == 1 ? "y" : "ies", cnt[IMP_STORED],
		    cnt[IMP_DUPLICATE], cnt[IMP_REJECTED]);
		if (cnt[IMP_PENDING] > 0)
			printf(", %zu pending (held until the batches before "
			    "them arrive)", cnt[IMP_PENDING]);
		if (cnt[IMP_EQUIVOCATION] > 0)
			printf(", %zu EQUIVOCATION (kept as evidence; the "
			    "device is frozen)", cnt[IMP_EQUIVOCATION]);
		if (cnt[IMP_NOT_SENT] > 0)
			printf(", %zu not sent", cnt[IMP_NOT_SENT]);
		if (bad > 0)
			printf(", %zu with a bad answer or receipt", bad);
		putchar('\n');
		if (im->damaged)
			printf("the file is damaged (%s); the entries above "
			    "are those that could be salvaged\n", im->why);
	}
	ret = (cnt[IMP_REJECTED] == 0 && cnt[IMP_NOT_SENT] == 0 &&
	    cnt[IMP_EQUIVOCATION] == 0 && bad == 0 && !im->damaged) ?
	    CLI_EXIT_OK : CLI_EXIT_FAIL;
	if (ret != CLI_EXIT_OK && !json)
		cli_err("import: not every batch was accepted");
 out:
	tly_buf_free(&out);
	return ret;
}

int
cmd_import(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "central",	 required_argument,	NULL, 'C' },
		{ "central-key", required_argument,	NULL, 'K' },
		{ "json",	 no_argument,		NULL, 'j' },
		{ "head-from",	 required_argument,	NULL, 'H' },
		{ "help",	 no_argument,		NULL, 'h' },
		{ NULL,		 0,			NULL, 0 }
	};
	struct tly_buf			 file = TLY_BUF_INIT(TLY_BUNDLE_FILE_MAX);
	const char			*headfrom = NULL;
	struct cli_entry		*ents = NULL;
	struct tly_verify_ctx		 vctx;
	struct tly_verify_result	 vr;
	struct imp			 im;
	struct imp_entry		*e;
	const char			*path, *keyfile = NULL;
	size_t				 i, nsend;
	char				 why[600];
	int				 c, json = 0, ret = CLI_EXIT_FAIL;

	memset(&im, 0, sizeof(im));
	memset(&vctx, 0, sizeof(vctx));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			im.central = optarg;
			break;
		case 'K':
			keyfile = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'H':
			headfrom = optarg;
			break;
		case 'h':
			return cli_help("import");
		default:
			return cli_bad_option("import", argv, c);
		}
	}
	if (headfrom != NULL)	/* cmd_head.c (PROTOCOL.md 9.5) */
		return argc != optind || im.central != NULL ?
		    cli_usage_error("import", "--head-from takes no other "
		    "file and no --central") : cli_import_head(headfrom, json);
	if (argc - optind != 1)
		return cli_usage_error("import", argc - optind == 0 ?
		    "FILE is required" : "only one FILE may be given");
	if (keyfile != NULL && im.central == NULL)
		return cli_usage_error("import",
		    "--central-key needs --central");
	path = argv[optind];

	if (keyfile != NULL) {
		tly_errclear();
		if (tly_pubkey_load(keyfile, im.key) != TLY_OK) {
			cli_err("import: %s", cli_esc(tly_errdetail(), why,
			    sizeof(why)));
			goto out;
		}
		im.have_key = 1;
	}
	if (cli_read_input("import", path, TLY_BUNDLE_FILE_MAX, &file) !=
	    TLY_OK)
		goto out;
	/* A damaged file: the entries that can be found still go. */
	if ((c = cli_bundle_entries("import", path, file.p, file.len, &ents,
	    &im.n, &im.damaged, im.why, sizeof(im.why))) != TLY_OK) {
		if (c == TLY_E_NOMEM)
			cli_err("import: out of memory");
		goto out;
	}
	if (im.n == 0) {
		cli_err("import: %s: the bundle holds no batches", path);
		goto out;
	}
	if ((im.e = calloc(im.n, sizeof(*im.e))) == NULL ||
	    (im.order = calloc(im.n, sizeof(*im.order))) == NULL) {
		cli_err("import: out of memory");
		goto out;
	}
	for (i = 0, nsend = im.n; i < im.n; i++) {
		e = &im.e[i];
		e->m = ents[i].m;
		e->mlen = ents[i].len;
		tly_hash(e->m, e->mlen, e->id);
		/* Steps 1-5 here; the receiver applies 1-7 and answers. */
		c = tly_verify_entry(&vctx, e->m, e->mlen, &vr);
		tly_batch_free(vr.batch);
		if (vr.parsed) {
			e->parsed = 1;
			memcpy(e->device, vr.device, TLY_PK_LEN);
			e->seq = vr.seq;
		}
		/* Of a whole file everything goes, as evidence; of a damaged
		 * one only what verifies (PROTOCOL.md 7.1). */
		if (im.damaged && c != TLY_OK) {
			e->withheld = 1;
			e->code = strdup(tly_err_code(c));
			e->message = strdup(vr.detail);
			nsend--;
		}
		im.order[i] = i;
	}
	sort_base = im.e;
	qsort(im.order, im.n, sizeof(*im.order), order_cmp);

	imp_send(&im, nsend);
	ret = print_import(&im, json);
 out:
	if (im.e != NULL) {
		for (i = 0; i < im.n; i++) {
			free(im.e[i].code);
			free(im.e[i].message);
			free(im.e[i].problem);
		}
	}
	free(im.e);
	free(im.order);
	free(ents);
	tly_buf_free(&file);
	return ret;
}

/* tally export (tally(1)). */
const struct tly_cmd_entry cmd_export_entry = {
	.name = "export",
	.exec = cmd_export,
	.usage = "--out file",
	.options = "  -o, --out FILE    the bundle file to write\n",
	.about = "Write every batch tallyd holds to a bundle file, for carrying to\n"
	    "the committee by hand.\n",
	.summary = "write every batch held to a bundle file",
};

/* tally import (tally(1)). */
const struct tly_cmd_entry cmd_import_entry = {
	.name = "import",
	.exec = cmd_import,
	.usage = "[--central url [--central-key pubfile]] [--json] file\n"
	    "       tally import --head-from file [--json]",
	.options = "      --central URL      upload to the central at URL instead of\n"
	    "                         handing the bundle to tallyd\n"
	    "      --central-key FILE verify every receipt with this public key\n"
	    "      --head-from FILE   a restored key learns its chain's head from\n"
	    "                         its own batches in FILE (no link needed)\n"
	    "      --json             print the per-entry results as JSON\n",
	.about = "Check the bundle FILE, then give its batches to tallyd for\n"
	    "forwarding, or upload them straight to a central.  With\n"
	    "--head-from, a laptop whose key was restored onto an empty store\n"
	    "learns where its chain stands from the newest bundle of its own\n"
	    "batches, and then signs again from there.\n",
	.summary = "hand a bundle file to tallyd or a central",
};
