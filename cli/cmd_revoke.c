/*
 * cmd_revoke.c: the authority's and the adjudicators' other signatures
 * (PROTOCOL.md 13.1, 13.5, 13.6).
 *
 *	tally revoke --authority KEY --list FILE --election DEF [--at T]
 *	    SERIAL...
 *	tally election sign --authority KEY [--out SIG] DEF
 *	tally decision unfreeze|resolve --key KEY --election DEF ...
 *	    [--out F] [--central URL]
 *	tally decision submit --central URL FILE
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/trust.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "sync/trust.h"


/* Add serials[0..n) revoked at `at` to the list in *rv (sorted). */
static int
revoke_add(struct tly_revocations *rv, char **serials, int n, uint64_t at)
{
	struct tly_revoked	*e;
	uint64_t		 s;
	size_t			 i, j;
	int			 k;

	for (k = 0; k < n; k++) {
		if (cli_parse_time(serials[k], &s) != 0 || s == 0 ||
		    strchr(serials[k], '-') != NULL)
			return cli_usage_error("revoke", "not a serial: '%s'",
			    serials[k]);
		if (tly_revocations_find(rv, s) != NULL)
			continue;	/* revoked already: keep the first */
		if (rv->n >= TLY_REVOKED_MAX ||
		    (e = realloc(rv->entries, (rv->n + 1) * sizeof(*e))) ==
		    NULL) {
			cli_err("revoke: too many entries");
			return CLI_EXIT_FAIL;
		}
		rv->entries = e;
		for (i = 0; i < rv->n && e[i].serial < s; i++)
			;
		for (j = rv->n; j > i; j--)
			e[j] = e[j - 1];
		e[i].serial = s;
		e[i].at = at;
		rv->n++;
	}
	return CLI_EXIT_OK;
}

int
cmd_revoke(int argc, char **argv)
{
	struct tly_revocations	*rv = NULL, empty;
	struct tly_key		*auth = NULL;
	struct tly_buf		 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	struct cli_topts		 o;
	uint8_t			 eh[TLY_HASH_LEN];
	char			 why[600];
	int			 r, ret = CLI_EXIT_FAIL;

	if ((r = cli_topts_parse("revoke", argc, argv, &o)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (o.authority == NULL || o.list == NULL || o.election == NULL ||
	    optind >= argc)
		return cli_usage_error("revoke", "needs --authority, --list, "
		    "--election and one or more serials");
	if (cli_election_load("revoke", o.election, eh, NULL) != TLY_OK ||
	    cli_key_load("revoke", o.authority, o.passfd, &auth) != TLY_OK)
		goto out;
	tly_errclear();
	if (access(o.list, F_OK) == 0) {
		if (cli_obj_read("revoke", o.list, &b) != TLY_OK)
			goto out;
		if (tly_revocations_parse(b.p, b.len, tly_key_public(auth),
		    &rv) != TLY_OK) {
			cli_err("revoke: %s: %s", o.list,
			    cli_esc(tly_errdetail(), why, sizeof(why)));
			goto out;
		}
		if (memcmp(rv->election, eh, TLY_HASH_LEN) != 0) {
			cli_err("revoke: %s: a list for another election",
			    o.list);
			goto out;
		}
	} else {
		memset(&empty, 0, sizeof(empty));
		if ((rv = malloc(sizeof(*rv))) == NULL)
			goto out;
		*rv = empty;
		memcpy(rv->election, eh, TLY_HASH_LEN);
	}
	rv->serial++;
	rv->issued = (uint64_t)time(NULL);
	if ((r = revoke_add(rv, argv + optind, argc - optind, o.has_at ? o.at :
	    rv->issued)) != CLI_EXIT_OK) {
		ret = r;
		goto out;
	}
	tly_buf_reset(&b);
	if (tly_revocations_seal(auth, rv, &b) != TLY_OK) {
		cli_err("revoke: %s", cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		goto out;
	}
	if (cli_obj_write("revoke", o.list, &b) != TLY_OK)
		goto out;
	printf("revocation list %llu: %zu certificates revoked\n",
	    (unsigned long long)rv->serial, rv->n);
	ret = CLI_EXIT_OK;
 out:
	tly_revocations_free(rv);
	tly_key_free(auth);
	tly_buf_free(&b);
	return ret;
}

int
cmd_election_sign(int argc, char **argv)
{
	struct tly_key	*auth = NULL;
	struct tly_buf	 def = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_buf	 sig = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	struct cli_topts	 o;
	char		 out[TLY_FILE_PATH_MAX + 8], why[600];
	int		 r, ret = CLI_EXIT_FAIL;

	if ((r = cli_topts_parse("election", argc, argv, &o)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (o.authority == NULL || optind + 1 != argc ||
	    strlen(argv[optind]) > TLY_FILE_PATH_MAX)
		return cli_usage_error("election", "sign needs --authority "
		    "KEY and one definition file");
	snprintf(out, sizeof(out), "%s.sig", argv[optind]);
	if (cli_read_input("election", argv[optind], def.max, &def) !=
	    TLY_OK ||
	    cli_key_load("election", o.authority, o.passfd, &auth) != TLY_OK)
		goto out;
	tly_errclear();
	if (tly_definition_seal(auth, def.p, def.len, (uint64_t)time(NULL),
	    &sig) != TLY_OK) {
		cli_err("election: %s", cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		goto out;
	}
	if (cli_obj_write("election", o.out != NULL ? o.out : out, &sig) !=
	    TLY_OK)
		goto out;
	printf("wrote %s\n", o.out != NULL ? o.out : out);
	ret = CLI_EXIT_OK;
 out:
	tly_key_free(auth);
	tly_buf_free(&def);
	tly_buf_free(&sig);
	return ret;
}

/* Add record id id to the set d->over (ascending); -1 when it cannot. */
static int
over_add(struct tly_decision *d, const char *id)
{
	size_t	i, j;
	int	c = 1;

	if (strlen(id) >= sizeof(d->over[0]) || !tly_record_id_valid(id))
		return -1;
	for (i = 0; i < d->nover && (c = strcmp(d->over[i], id)) < 0; i++)
		;
	if (i < d->nover && c == 0)
		return 0;
	if (d->nover >= TLY_DECISION_OVER_MAX)
		return -1;
	for (j = d->nover; j > i; j--)
		memcpy(d->over[j], d->over[j - 1], sizeof(d->over[0]));
	strcpy(d->over[i], id);
	d->nover++;
	return 0;
}

/* d->over from --over: record ids separated by commas. */
static int
over_parse(const char *list, struct tly_decision *d)
{
	char	 id[sizeof(d->over[0])];
	size_t	 n;

	while (*list != '\0') {
		n = strcspn(list, ",");
		if (n == 0 || n >= sizeof(id))
			return -1;
		memcpy(id, list, n);
		id[n] = '\0';
		if (over_add(d, id) != 0)
			return -1;
		list += n + (list[n] == ',');
	}
	return d->nover > 0 ? 0 : -1;
}

/* The conflict of d's record key in GET /v1/conflicts, or NULL. */
static const struct tly_json *
over_key(const struct tly_json *root, const struct tly_decision *d)
{
	const struct tly_json	*c;
	const char		*a, *l;
	uint64_t		 round;

	for (c = tly_json_first(tly_json_get(root, "conflicts")); c != NULL;
	    c = tly_json_next(c)) {
		a = cli_jstr(c, "area");
		l = cli_jstr(c, "level");
		if (a != NULL && l != NULL && strcmp(a, d->area) == 0 &&
		    strcmp(l, d->level) == 0 && cli_juint(c, "round", &round) &&
		    round == d->round)
			return c;
	}
	return NULL;
}

/*
 * d->over from the central at url (GET /v1/conflicts, PROTOCOL.md 8.7):
 * the heads of d's record key, which must be in conflict with d's
 * record among its heads.
 */
static int
over_fetch(const char *url, struct tly_decision *d)
{
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	const struct tly_json	*c, *h;
	const char		*id;
	size_t			 i;
	int			 ret = CLI_EXIT_FAIL;

	if (cli_central(url, "GET", "/v1/conflicts", NULL, NULL, 0, 0,
	    TLY_RESP_MAX, &res) != TLY_OK)
		return CLI_EXIT_FAIL;
	if (res.status != 200) {
		cli_http_fail("decision: GET /v1/conflicts", &res);
		goto out;
	}
	if (cli_json_body("decision", &res, &root) != TLY_OK)
		goto out;
	if ((c = over_key(root, d)) == NULL) {
		cli_err("decision: the central shows no conflict of area %s "
		    "level %s round %llu: nothing to resolve", d->area,
		    d->level, (unsigned long long)d->round);
		goto out;
	}
	for (h = tly_json_first(tly_json_get(c, "heads")); h != NULL;
	    h = tly_json_next(h))
		if ((id = cli_jstr(h, "record")) == NULL ||
		    over_add(d, id) != 0) {
			cli_err("decision: a bad head in GET /v1/conflicts");
			goto out;
		}
	for (i = 0; i < d->nover && strcmp(d->over[i], d->record) != 0; i++)
		;
	if (i == d->nover) {
		cli_err("decision: %s is not a head of that conflict",
		    d->record);
		goto out;
	}
	ret = CLI_EXIT_OK;
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}

/* Fill d from the options of `decision unfreeze|resolve`. */
static int
decision_fill(const char *verb, const struct cli_topts *o,
    struct tly_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->issued = (uint64_t)time(NULL);
	d->note = (char *)o->note;
	if (o->note != NULL && !tly_json_valid_text(o->note, strlen(o->note)))
		return cli_usage_error("decision", "--note: 1 to 2000 bytes "
		    "of text");
	if (strcmp(verb, "unfreeze") == 0) {
		d->kind = TLY_DECISION_UNFREEZE;
		if (o->device == NULL || o->batch == NULL || !o->has_seq ||
		    o->seq == 0 ||
		    tly_unhex(o->device, strlen(o->device), d->device,
		    TLY_PK_LEN) != TLY_OK ||
		    tly_unhex(o->batch, strlen(o->batch), d->batch,
		    TLY_HASH_LEN) != TLY_OK)
			return cli_usage_error("decision", "unfreeze needs "
			    "--device HEX, --batch HEX and --seq N");
		d->seq = o->seq;
		return CLI_EXIT_OK;
	}
	d->kind = TLY_DECISION_RESOLVE;
	if (o->area == NULL || o->level == NULL || !o->has_round ||
	    o->round == 0 || o->record == NULL ||
	    !tly_json_valid_id(o->area) || !tly_json_valid_id(o->level) ||
	    strlen(o->record) >= sizeof(d->record) ||
	    !tly_record_id_valid(o->record))
		return cli_usage_error("decision", "resolve needs --area, "
		    "--level, --round and --record RECORD-ID");
	strcpy(d->area, o->area);
	strcpy(d->level, o->level);
	d->round = o->round;
	strcpy(d->record, o->record);
	if (o->over == NULL && o->central == NULL)
		return cli_usage_error("decision", "resolve needs --over "
		    "RECORD-ID,... (the heads it chose among) or --central "
		    "URL to read them");
	if (o->over != NULL && (over_parse(o->over, d) != 0 ||
	    over_add(d, d->record) != 0))
		return cli_usage_error("decision", "--over: 1 to %d record "
		    "ids separated by commas", TLY_DECISION_OVER_MAX);
	if (o->over == NULL && over_fetch(o->central, d) != CLI_EXIT_OK)
		return CLI_EXIT_FAIL;
	return CLI_EXIT_OK;
}

/*
 * POST the signed decision m[0..len) to the central at url (PROTOCOL.md
 * 8.14) and say what it answered.  Returns the exit status.
 */
static int
decision_post(const char *url, const uint8_t *m, size_t len)
{
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	uint64_t		 pos = 0;
	char			 esc[1024];
	int			 ret = CLI_EXIT_FAIL;

	if (cli_central(url, "POST", "/v1/decisions",
	    "application/octet-stream", m, len, 0, TLY_SMALL_RESP_MAX,
	    &res) != TLY_OK)
		return CLI_EXIT_FAIL;
	if (res.status != 200) {
		cli_http_fail("decision: the central refused it", &res);
		goto out;
	}
	if (cli_json_body("decision", &res, &root) != TLY_OK)
		goto out;
	cli_juint(root, "pos", &pos);
	printf("decision %s stored by the central at %s (audit feed "
	    "position %llu)\n", cli_jstr(root, "decision") != NULL ?
	    cli_esc(cli_jstr(root, "decision"), esc, sizeof(esc)) : "?",
	    cli_esc(url, esc + 512, 512), (unsigned long long)pos);
	ret = CLI_EXIT_OK;
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	return ret;
}

/* tally decision submit --central URL FILE */
static int
decision_submit(int argc, char **argv)
{
	struct tly_buf		b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	struct cli_topts	o;
	int			r, ret = CLI_EXIT_FAIL;

	if ((r = cli_topts_parse("decision", argc - 1, argv + 1, &o)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (o.central == NULL || optind != argc - 2)
		return cli_usage_error("decision", "submit needs --central "
		    "URL and one decision file");
	if (cli_obj_read("decision", argv[optind + 1], &b) == TLY_OK)
		ret = decision_post(o.central, b.p, b.len);
	tly_buf_free(&b);
	return ret;
}

int
cmd_decision(int argc, char **argv)
{
	struct tly_decision	 d;
	struct tly_key		*key = NULL;
	struct tly_buf		 b = TLY_BUF_INIT(TLY_TRUST_OBJ_MAX);
	struct cli_topts		 o;
	char			 why[600];
	int			 r, ret = CLI_EXIT_FAIL;

	if (argc >= 2 && strcmp(argv[1], "submit") == 0)
		return decision_submit(argc, argv);
	if (argc < 2 || (strcmp(argv[1], "unfreeze") &&
	    strcmp(argv[1], "resolve")))
		return argc >= 2 && (!strcmp(argv[1], "-h") ||
		    !strcmp(argv[1], "--help")) ? cli_help("decision") :
		    cli_usage_error("decision", "a verb is required "
		    "(unfreeze, resolve, submit)");
	if ((r = cli_topts_parse("decision", argc - 1, argv + 1, &o)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (o.key == NULL || o.election == NULL ||
	    (o.out == NULL && o.central == NULL) || optind != argc - 1)
		return cli_usage_error("decision", "needs --key, --election "
		    "and --out FILE or --central URL");
	if ((r = decision_fill(argv[1], &o, &d)) != CLI_EXIT_OK)
		return r;
	if (cli_election_load("decision", o.election, d.election, NULL) !=
	    TLY_OK ||
	    cli_key_load("decision", o.key, o.passfd, &key) != TLY_OK)
		goto out;
	tly_errclear();
	if (tly_decision_seal(key, &d, &b) != TLY_OK) {
		cli_err("decision: %s", cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		goto out;
	}
	if (o.out != NULL) {
		if (cli_obj_write("decision", o.out, &b) != TLY_OK)
			goto out;
		printf("wrote %s\n", o.out);
	}
	ret = o.central != NULL ? decision_post(o.central, b.p, b.len) :
	    CLI_EXIT_OK;
 out:
	tly_key_free(key);
	tly_buf_free(&b);
	return ret;
}

/* tally revoke (tally(1)). */
const struct tly_cmd_entry cmd_revoke_entry = {
	.name = "revoke",
	.exec = cmd_revoke,
	.usage = "--authority key --list file --election def [--at t] serial...",
	.options = "      --authority KEY   the authority's secret key\n"
	    "      --list FILE       the revocation list to update (or create)\n"
	    "      --election DEF    the election definition\n"
	    "      --at T            revoked for receipts from T (default: now)\n"
	    "      --passphrase-fd N the authority key's passphrase from descriptor N\n",
	.about = "Add certificate serials to the signed revocation list and raise\n"
	    "its serial.\n",
	.summary = "revoke certificates",
};

/* tally decision (tally(1)). */
const struct tly_cmd_entry cmd_decision_entry = {
	.name = "decision",
	.exec = cmd_decision,
	.usage = "unfreeze|resolve --key key --election def [--out file]\n"
	    "           [--central url] ...\n"
	    "       tally decision submit --central url file",
	.options = "  unfreeze: --device HEX --batch HEX --seq N\n"
	    "  resolve:  --area A --level L --round N --record RECORD-ID\n"
	    "            [--over RECORD-ID,...]  the heads it chose among\n"
	    "            (default with --central: the conflict's heads now)\n"
	    "      --note TEXT       the reason, kept with the decision\n"
	    "      --out FILE        write the signed decision to FILE\n"
	    "      --central URL     post it to the central (POST /v1/decisions)\n"
	    "      --passphrase-fd N the key's passphrase from descriptor N\n",
	.about = "Sign a decision with an adjudicator's key: keep one batch of a\n"
	    "frozen device, or choose the record that counts in a conflict.\n"
	    "The central applies it only from a key with an adjudicator\n"
	    "certificate, and passes it on in its audit feed.  `submit` posts\n"
	    "a decision signed earlier (perhaps on an offline machine).\n",
	.summary = "sign an adjudicator's decision",
};
