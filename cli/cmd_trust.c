/*
 * cmd_trust.c: the authority's tools (PROTOCOL.md 13).
 *
 *	tally cert issue --authority KEY --request REQ --election DEF
 *	    --areas LIST --levels LIST [--role clerk|adjudicator]
 *	    [--not-before T] --not-after T --serial N [--out CERT] [--qr]
 *	tally cert central --authority KEY --key PUB --election DEF
 *	    [--not-before T] --not-after T --serial N --out CERT
 *	tally cert show [--authority PUB] [--election DEF] [--at T]
 *	    [--cert ADJ-CERT] FILE
 *	tally trust push --central URL FILE...
 *
 * revoke, election sign and decision are in cmd_revoke.c.
 * Every command that signs takes --passphrase-fd N for an encrypted key.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/trust.h"
#include "common/err.h"
#include "common/limits.h"
#include "sync/http.h"
#include "sync/trust.h"

/* qsort comparator over ids. */
static int
id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Read a comma list of ids ("*" for all) into a sorted, unique set,
 * each checked against the definition. */
static int
id_list(const char *what, const char *arg, const struct tly_election *e,
    int levels, int *all, char (**listp)[TLY_ID_MAX + 1], size_t *np)
{
	char	(*list)[TLY_ID_MAX + 1] = NULL;
	char	 *dup = NULL, *tok, *save = NULL;
	size_t	  n = 0, cap = 0, i, k;
	int	  r = CLI_EXIT_USAGE;

	*all = strcmp(arg, "*") == 0;
	*listp = NULL;
	*np = 0;
	if (*all)
		return CLI_EXIT_OK;
	if ((dup = strdup(arg)) == NULL)
		return CLI_EXIT_FAIL;
	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (!tly_json_valid_id(tok) || (levels ?
		    tly_election_find_level(e, tok) < 0 :
		    tly_election_find_area(e, tok) < 0)) {
			cli_usage_error(what, "%s: no %s '%s' in the election",
			    levels ? "--levels" : "--areas",
			    levels ? "level" : "area", tok);
			goto out;
		}
		if (n == cap) {
			void *p = realloc(list, (cap = cap ? 2 * cap : 16) *
			    sizeof(*list));
			if (p == NULL) {
				r = CLI_EXIT_FAIL;
				goto out;
			}
			list = p;
		}
		strcpy(list[n++], tok);
	}
	if (n == 0 || n > (levels ? TLY_LEVELS_MAX : TLY_CERT_AREAS_MAX)) {
		cli_usage_error(what, "%s: give 1 to %d ids, or '*'",
		    levels ? "--levels" : "--areas",
		    levels ? TLY_LEVELS_MAX : TLY_CERT_AREAS_MAX);
		goto out;
	}
	qsort(list, n, sizeof(*list), id_cmp);
	for (i = 1, k = 1; i < n; i++)
		if (strcmp(list[i], list[k - 1]) != 0)
			memcpy(list[k++], list[i], sizeof(*list));
	*np = k;
	*listp = list;
	list = NULL;		/* transferred */
	r = CLI_EXIT_OK;
 out:
	free(list);
	free(dup);
	return r;
}

/* Seal c with the authority key, write it to out, say so. */
static int
cert_write(const struct cli_topts *o, struct tly_cert *c, const char *out)
{
	struct tly_key	*auth = NULL;
	struct tly_buf	 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	char		 why[600];
	int		 ret = CLI_EXIT_FAIL;

	if (!o->has_nb)
		c->not_before = (uint64_t)time(NULL);
	if (c->not_after < c->not_before) {
		cli_err("cert: --not-after is before --not-before");
		goto out;
	}
	if (cli_key_load("cert", o->authority, o->passfd, &auth) != TLY_OK)
		goto out;
	tly_errclear();
	if (tly_cert_seal(auth, c, &b) != TLY_OK) {
		cli_err("cert: %s", cli_esc(tly_errdetail(), why, sizeof(why)));
		goto out;
	}
	if (cli_obj_write("cert", out, &b) != TLY_OK)
		goto out;
	printf("wrote %s\n", out);
	cli_cert_print(c);
	if (o->qr)
		cli_obj_qr("cert", b.p, b.len);
	ret = CLI_EXIT_OK;
 out:
	tly_key_free(auth);
	tly_buf_free(&b);
	return ret;
}

/* tally cert issue */
static int
cert_issue(const struct cli_topts *o)
{
	struct tly_election	*e = NULL;
	struct tly_enroll_request rq;
	struct tly_buf		 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	struct tly_cert		 c;
	char			 out[TLY_ID_MAX + 8], why[600];
	int			 ret = CLI_EXIT_FAIL, r;

	memset(&c, 0, sizeof(c));
	if (o->authority == NULL || o->request == NULL || o->election == NULL ||
	    o->areas == NULL || o->levels == NULL || !o->has_na ||
	    !o->has_serial || o->serial == 0)
		return cli_usage_error("cert", "issue needs --authority, "
		    "--request, --election, --areas, --levels, --not-after "
		    "and --serial (1 or more)");
	if (o->role != NULL && strcmp(o->role, "clerk") != 0 &&
	    strcmp(o->role, "adjudicator") != 0)
		return cli_usage_error("cert", "--role: clerk or adjudicator");
	if (cli_obj_read("cert", o->request, &b) != TLY_OK)
		goto out;
	tly_errclear();
	if (tly_enroll_parse(b.p, b.len, &rq) != TLY_OK) {
		cli_err("cert: %s: %s", o->request, cli_esc(tly_errdetail(),
		    why, sizeof(why)));
		goto out;
	}
	if (cli_election_load("cert", o->election, c.election, &e) != TLY_OK)
		goto out;
	if ((r = id_list("cert", o->areas, e, 0, &c.all_areas, &c.areas,
	    &c.nareas)) != CLI_EXIT_OK) {
		ret = r;
		goto out;
	}
	{
		char (*lv)[TLY_ID_MAX + 1] = NULL;
		if ((r = id_list("cert", o->levels, e, 1, &c.all_levels, &lv,
		    &c.nlevels)) != CLI_EXIT_OK) {
			ret = r;
			goto out;
		}
		if (lv != NULL)
			memcpy(c.levels, lv, c.nlevels * sizeof(*lv));
		free(lv);
	}
	c.kind = TLY_CERT_DEVICE;
	c.serial = o->serial;
	memcpy(c.key, rq.device, TLY_PK_LEN);
	c.role = o->role != NULL && strcmp(o->role, "adjudicator") == 0 ?
	    TLY_ROLE_ADJUDICATOR : TLY_ROLE_CLERK;
	c.not_before = o->not_before;
	c.not_after = o->not_after;
	strcpy(c.name, rq.name);
	snprintf(out, sizeof(out), "%s.cert", rq.name);
	ret = cert_write(o, &c, o->out != NULL ? o->out : out);
 out:
	free(c.areas);
	tly_election_free(e);
	tly_buf_free(&b);
	return ret;
}

/* tally cert central */
static int
cert_central(const struct cli_topts *o)
{
	struct tly_cert	c;
	char		why[600];

	memset(&c, 0, sizeof(c));
	if (o->authority == NULL || o->key == NULL || o->election == NULL ||
	    o->out == NULL || !o->has_na || !o->has_serial || o->serial == 0)
		return cli_usage_error("cert", "central needs --authority, "
		    "--key, --election, --not-after, --serial and --out");
	tly_errclear();
	if (tly_pubkey_load(o->key, c.key) != TLY_OK) {
		cli_err("cert: %s", cli_esc(tly_errdetail(), why, sizeof(why)));
		return CLI_EXIT_FAIL;
	}
	if (cli_election_load("cert", o->election, c.election, NULL) !=
	    TLY_OK)
		return CLI_EXIT_FAIL;
	c.kind = TLY_CERT_CENTRAL;
	c.serial = o->serial;
	c.not_before = o->not_before;
	c.not_after = o->not_after;
	return cert_write(o, &c, o->out);
}

/* Show a certificate; 1 when it is bad at time at. */
static int
show_cert(const uint8_t *m, size_t len, const uint8_t *apk,
    const uint8_t *eh, uint64_t at)
{
	struct tly_cert	*c = NULL;
	char		 hex[TLY_HEX_PK], why[600], t[32];
	int		 bad = 0;

	if (tly_cert_parse(m, len, apk, &c) != TLY_OK) {
		cli_err("cert: %s", cli_esc(tly_errdetail(), why, sizeof(why)));
		return 1;
	}
	cli_cert_print(c);
	if (c->kind == TLY_CERT_DEVICE)
		printf("device key: %s\n", tly_hex(c->key, TLY_PK_LEN, hex));
	if (c->name[0] != '\0')
		printf("name: %s\n", c->name);
	printf("signed by: %s%s\n", tly_hex(c->authority, TLY_PK_LEN, hex),
	    apk != NULL ? " (the authority)" : " (not checked: no "
	    "--authority)");
	if (eh != NULL && memcmp(eh, c->election, TLY_HASH_LEN) != 0) {
		cli_err("cert: wrong_election: the certificate is for another "
		    "election");
		bad = 1;
	}
	if (at < c->not_before || at > c->not_after) {
		cli_err("cert: expired: not valid at %s",
		    cli_fmt_time(at, t, sizeof(t)));
		bad = 1;
	}
	tly_cert_free(c);
	return bad;
}

/*
 * Judge decision d as 13.7 says, against the adjudicator certificate in
 * o->cert, under authority apk, for the election in o->election.
 */
static int
judge_decision(const struct cli_topts *o, const uint8_t *apk,
    const struct tly_decision *d)
{
	struct tly_trust	*t = NULL;
	struct tly_buf		 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	uint8_t			 eh[TLY_HASH_LEN];
	char			 why[600];
	int			 r = TLY_E_INVAL;

	if (cli_election_load("cert", o->election, eh, NULL) != TLY_OK ||
	    cli_obj_read("cert", o->cert, &b) != TLY_OK)
		goto out;
	tly_errclear();
	if ((r = tly_trust_create(apk, eh, &t)) != TLY_OK ||
	    (r = tly_trust_add_cert(t, b.p, b.len)) != TLY_OK ||
	    (r = tly_trust_check_decision(t, d, o->has_at ? o->at :
	    (uint64_t)time(NULL))) != TLY_OK) {
		cli_err("cert: %s: %s", tly_err_code(r),
		    cli_esc(tly_errdetail(), why, sizeof(why)));
		goto out;
	}
	printf("the signer's certificate allows this decision\n");
 out:
	tly_trust_destroy(t);
	tly_buf_free(&b);
	return r;
}

/* Show any other trust object; 1 when it fails to verify. */
static int
show_other(const struct cli_topts *o, const char *ctx, const uint8_t *m,
    size_t len, const uint8_t *apk)
{
	const char		*defpath = o->election;
	struct tly_revocations	*rv = NULL;
	struct tly_decision	*d = NULL;
	struct tly_enroll_request rq;
	struct tly_buf		 def = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	char			 hex[TLY_HEX_PK], fp[96], why[600], t[32];
	size_t			 i;
	int			 r;

	tly_errclear();
	if (strcmp(ctx, TLY_CTX_REVOCATIONS) == 0) {
		if ((r = tly_revocations_parse(m, len, apk, &rv)) == TLY_OK) {
			printf("revocation list %llu, issued %s\n",
			    (unsigned long long)rv->serial,
			    cli_fmt_time(rv->issued, t, sizeof(t)));
			for (i = 0; i < rv->n; i++)
				printf("revoked %llu from %s\n",
				    (unsigned long long)rv->entries[i].serial,
				    cli_fmt_time(rv->entries[i].at, t,
				    sizeof(t)));
		}
	} else if (strcmp(ctx, TLY_CTX_DECISION) == 0) {
		if ((r = tly_decision_parse(m, len, &d)) == TLY_OK) {
			if (d->kind == TLY_DECISION_UNFREEZE)
				printf("decision: unfreeze device %s keeping "
				    "batch %llu %s\n", tly_hex(d->device,
				    TLY_PK_LEN, hex), (unsigned long long)d->seq,
				    tly_hex(d->batch, TLY_HASH_LEN, fp));
			else
				printf("decision: resolve %s %s round %llu "
				    "with record %s\n", d->area, d->level,
				    (unsigned long long)d->round, d->record);
			printf("signed by: %s\n", tly_hex(d->signer,
			    TLY_PK_LEN, hex));
			if (apk != NULL && o->cert != NULL &&
			    o->election != NULL) {
				if (judge_decision(o, apk, d) != TLY_OK)
					r = TLY_E_IO;	/* reported */
			} else
				printf("(the signer's certificate is not "
				    "checked: give --authority, --cert and "
				    "--election)\n");
		}
	} else if (strcmp(ctx, TLY_CTX_ENROLL) == 0) {
		if ((r = tly_enroll_parse(m, len, &rq)) == TLY_OK)
			printf("enrollment request from %s\ndevice key: %s\n"
			    "fingerprint:\n%s\n", rq.name,
			    tly_hex(rq.device, TLY_PK_LEN, hex),
			    cli_fingerprint(rq.device, fp));
	} else if (strcmp(ctx, TLY_CTX_DEFINITION) == 0) {
		if (defpath == NULL) {
			cli_err("cert: a definition signature needs "
			    "--election DEF");
			return 1;
		}
		if ((r = cli_read_input("cert", defpath, def.max, &def)) ==
		    TLY_OK && (r = tly_definition_verify(m, len, apk,
		    def.p, def.len, NULL)) == TLY_OK)
			printf("%s: signed by the authority\n", defpath);
	} else
		r = tly_fail(TLY_E_CONTEXT, "'%s' is not a trust object", ctx);
	if (r != TLY_OK && r != TLY_E_IO)
		cli_err("cert: %s", cli_esc(tly_errdetail(), why, sizeof(why)));
	tly_revocations_free(rv);
	tly_decision_free(d);
	tly_buf_free(&def);
	return r != TLY_OK;
}

/* tally cert show */
static int
cert_show(const struct cli_topts *o, const char *path)
{
	struct tly_buf	b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	uint8_t		apk[TLY_PK_LEN], eh[TLY_HASH_LEN];
	char		ctx[TLY_CTX_MAX + 1], why[600];
	int		bad = 1;

	tly_errclear();
	if (o->authority != NULL && tly_pubkey_load(o->authority, apk) !=
	    TLY_OK) {
		cli_err("cert: %s", cli_esc(tly_errdetail(), why, sizeof(why)));
		goto out;
	}
	if (cli_obj_read("cert", path, &b) != TLY_OK)
		goto out;
	if (tly_trust_context(b.p, b.len, ctx, sizeof(ctx)) != TLY_OK) {
		cli_err("cert: %s: %s", path, cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		goto out;
	}
	if (strcmp(ctx, TLY_CTX_CERT) == 0 ||
	    strcmp(ctx, TLY_CTX_CENTRAL_CERT) == 0) {
		if (o->election != NULL && cli_election_load("cert",
		    o->election, eh, NULL) != TLY_OK)
			goto out;
		bad = show_cert(b.p, b.len, o->authority ? apk : NULL,
		    o->election ? eh : NULL, o->has_at ? o->at :
		    (uint64_t)time(NULL));
	} else
		bad = show_other(o, ctx, b.p, b.len, o->authority ? apk :
		    NULL);
 out:
	tly_buf_free(&b);
	return bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int
cmd_cert(int argc, char **argv)
{
	struct cli_topts	o;
	int		r;

	if (argc < 2 || (strcmp(argv[1], "issue") && strcmp(argv[1],
	    "central") && strcmp(argv[1], "show")))
		return argc >= 2 && (!strcmp(argv[1], "-h") ||
		    !strcmp(argv[1], "--help")) ? cli_help("cert") :
		    cli_usage_error("cert", "a verb is required (issue, "
		    "central, show)");
	if ((r = cli_topts_parse("cert", argc - 1, argv + 1, &o)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (strcmp(argv[1], "show") == 0) {
		if (optind + 1 != argc - 1)
			return cli_usage_error("cert", "show takes one file");
		return cert_show(&o, argv[optind + 1]);
	}
	if (optind != argc - 1)
		return cli_usage_error("cert", "unexpected argument '%s'",
		    argv[optind + 1]);
	return strcmp(argv[1], "issue") == 0 ? cert_issue(&o) :
	    cert_central(&o);
}

/*
 * What the trust object m[0..len) is, in words, into out: "device
 * certificate 12 (laptop-a)", "revocation list 3".  Not verified: the
 * central judges; this only names the file's content.
 */
static const char *
push_name(const uint8_t *m, size_t len, char *out, size_t outlen)
{
	struct tly_cert		*c = NULL;
	struct tly_revocations	*rv = NULL;
	char			 ctx[TLY_CTX_MAX + 1];

	snprintf(out, outlen, "not a trust object");
	if (tly_trust_context(m, len, ctx, sizeof(ctx)) != TLY_OK)
		return out;
	snprintf(out, outlen, "%s", ctx);
	if ((strcmp(ctx, TLY_CTX_CERT) == 0 ||
	    strcmp(ctx, TLY_CTX_CENTRAL_CERT) == 0) &&
	    tly_cert_parse(m, len, NULL, &c) == TLY_OK)
		snprintf(out, outlen, "%s certificate %" PRIu64 "%s%s%s",
		    c->kind == TLY_CERT_CENTRAL ? "central" : c->role ==
		    TLY_ROLE_ADJUDICATOR ? "adjudicator" : "device", c->serial,
		    c->name[0] ? " (" : "", c->name, c->name[0] ? ")" : "");
	else if (strcmp(ctx, TLY_CTX_REVOCATIONS) == 0 &&
	    tly_revocations_parse(m, len, NULL, &rv) == TLY_OK)
		snprintf(out, outlen, "revocation list %" PRIu64 " (%zu "
		    "revoked)", rv->serial, rv->n);
	tly_cert_free(c);
	tly_revocations_free(rv);
	return out;
}

/*
 * Post one object file to the central's POST /v1/trust (PROTOCOL.md
 * 8.11) and say what became of it.  1 when it was refused, -1 when the
 * central did not answer (reported), 0 when it was added or held.
 */
static int
push_one(const char *url, const char *path)
{
	struct tly_buf		 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	struct tly_http_result	 res;
	struct tly_json		*root = NULL, *e;
	const char		*st;
	char			 name[160], code[128], msg[1024], esc[1024];
	int			 ret = 1;

	memset(&res, 0, sizeof(res));
	if (cli_obj_read("trust", path, &b) != TLY_OK)
		goto out;	/* reported; counts as refused */
	push_name(b.p, b.len, name, sizeof(name));
	if (cli_central(url, "POST", "/v1/trust", "application/octet-stream",
	    b.p, b.len, 0, TLY_SMALL_RESP_MAX, &res) != TLY_OK) {
		ret = -1;
		goto out;
	}
	cli_esc(path, esc, sizeof(esc));
	if (res.body.len > 0 &&
	    tly_json_parse(res.body.p, res.body.len, &root) == TLY_OK &&
	    tly_json_is_object(root)) {
		if (res.status == 200 && (st = cli_jstr(root, "status")) !=
		    NULL && (strcmp(st, "added") == 0 ||
		    strcmp(st, "held") == 0)) {
			printf("%s: %s: %s\n", esc, name, strcmp(st, "added") ==
			    0 ? "added" : "held already (nothing new)");
			ret = 0;
			goto out;
		}
		if ((e = tly_json_get(root, "error")) != NULL &&
		    tly_json_is_object(e)) {
			cli_esc(cli_jstr(e, "code"), code, sizeof(code));
			cli_esc(cli_jstr(e, "message"), msg, sizeof(msg));
			printf("%s: %s: refused: %s: %s\n", esc, name, code,
			    msg);
			goto out;
		}
	}
	printf("%s: %s: refused: HTTP %ld, not the central's answer\n", esc,
	    name, res.status);
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	tly_buf_free(&b);
	return ret;
}

int
cmd_trust(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "central",	required_argument,	NULL, 'C' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const char	*url = NULL;
	int		 c, i, r, refused = 0;

	if (argc < 2 || strcmp(argv[1], "push") != 0)
		return argc >= 2 && (!strcmp(argv[1], "-h") ||
		    !strcmp(argv[1], "--help")) ? cli_help("trust") :
		    cli_usage_error("trust", "a verb is required (push)");
	argc--;
	argv++;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			url = optarg;
			break;
		case 'h':
			return cli_help("trust");
		default:
			return cli_bad_option("trust", argv, c);
		}
	}
	if (url == NULL || optind >= argc)
		return cli_usage_error("trust", "push needs --central URL and "
		    "one or more object files");
	for (i = optind; i < argc; i++) {
		if ((r = push_one(url, argv[i])) < 0)
			return CLI_EXIT_FAIL;	/* no central: stop here */
		refused += r;
	}
	if (refused > 0)
		cli_err("trust: %d of %d objects refused", refused,
		    argc - optind);
	return refused > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* tally trust (tally(1)). */
const struct tly_cmd_entry cmd_trust_entry = {
	.name = "trust",
	.exec = cmd_trust,
	.usage = "push --central url file...",
	.options = "      --central URL     the central (POST /v1/trust)\n",
	.about = "Post certificates and revocation lists to a running central,\n"
	    "which verifies each under its authority key and applies it at\n"
	    "once; field daemons then fetch them on their next sync.  Prints\n"
	    "each file with what it holds and whether it was added, held\n"
	    "already or refused (with the central's code).  Exits 1 when one\n"
	    "was refused or the central did not answer.\n",
	.summary = "push trust objects to a central",
};

/* tally cert (tally(1)). */
const struct tly_cmd_entry cmd_cert_entry = {
	.name = "cert",
	.exec = cmd_cert,
	.usage = "issue|central|show [options]",
	.options = "  issue:   --authority KEY --request REQ --election DEF\n"
	    "           --areas A,B|'*' --levels L,M|'*' [--role clerk|adjudicator]\n"
	    "           [--not-before T] --not-after T --serial N [--out F] [--qr]\n"
	    "  central: --authority KEY --key PUB --election DEF\n"
	    "           [--not-before T] --not-after T --serial N --out F\n"
	    "  show:    [--authority PUB] [--election DEF] [--at T]\n"
	    "           [--cert ADJ-CERT] FILE\n"
	    "  T is Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ\n"
	    "  --passphrase-fd N  issue, central: the authority key's passphrase\n"
	    "                     from descriptor N\n",
	.about = "Issue a device or central certificate, or show any trust object\n"
	    "(certificate, revocation list, decision, request, definition\n"
	    "signature), checking it against the authority when given.\n"
	    "show exits 1 when it does not verify or is not valid at T; a\n"
	    "decision is judged against the adjudicator certificate --cert.\n",
	.summary = "issue or show certificates",
};
