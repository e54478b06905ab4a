/*
 * cmd_central.c: tally status --central URL: what a central holds, for
 * its operators and for auditors: batches applied and pending, frozen
 * devices with their equivocation evidence, and conflicting records.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "sync/api_merge.h"

#define EVIDENCE_MAX	65536	/* entries per list of GET /v1/evidence */

/* GET path from the central into *rootp (and keep the raw body in res). */
static int
get_json(const char *url, const char *path, struct tly_http_result *res,
    struct tly_json **rootp)
{
	char	what[96];

	*rootp = NULL;
	snprintf(what, sizeof(what), "status: %s", path);
	if (cli_central(url, "GET", path, NULL, NULL, 0, 0, TLY_RESP_MAX,
	    res) != TLY_OK)
		return TLY_E_NET;
	if (res->status != 200) {
		cli_http_fail(what, res);
		return TLY_E_HTTP;
	}
	return cli_json_body(what, res, rootp);
}

/* The first CLI_SHORT_HEX hex characters of id p[0..32) into out. */
static const char *
short_id(const uint8_t p[32], char out[CLI_SHORT_HEX + 1])
{
	char	hex[2 * 32 + 1];

	return cli_short(tly_hex(p, 32, hex), out);
}

/* Print the human view of status st and evidence ev. */
static void
print_central(const char *url, const struct tly_api_state *st,
    const struct tly_api_evidence *ev)
{
	const struct tly_api_proof	*p;
	char				 esc[256], sh[CLI_SHORT_HEX + 1];
	char				 sa[CLI_SHORT_HEX + 1];
	char				 sb[CLI_SHORT_HEX + 1];
	char				 hash[2 * TLY_HASH_LEN + 1];
	size_t				 i;

	printf("central:      %s\n", cli_esc(url, esc, sizeof(esc)));
	printf("key:          %s\n", cli_esc(st->key, esc, sizeof(esc)));
	printf("election:     %s (%s)\n", cli_esc(st->election, esc,
	    sizeof(esc)), st->mode);
	printf("devices:      %llu\n", (unsigned long long)st->devices);
	printf("batches:      %llu held: %llu applied, %llu pending "
	    "(waiting for earlier batches or frozen)\n",
	    (unsigned long long)st->batches, (unsigned long long)st->applied,
	    (unsigned long long)(st->batches - st->applied));
	printf("record keys:  %llu, %llu in conflict%s\n",
	    (unsigned long long)st->keys, (unsigned long long)st->conflicts,
	    st->conflicts ? " (their constituencies are DISPUTED; see GET "
	    "/v1/conflicts)" : "");
	printf("state hash:   %s\n", tly_hex(st->state_hash, TLY_HASH_LEN,
	    hash));
	printf("evidence:     %llu equivocation proof%s, %llu frozen "
	    "device%s\n", (unsigned long long)st->evidence,
	    st->evidence == 1 ? "" : "s", (unsigned long long)st->frozen,
	    st->frozen == 1 ? "" : "s");
	for (i = 0; i < ev->nfrozen; i++)
		printf("  FROZEN  device %s from seq %llu: its later batches "
		    "are stored, not applied\n", short_id(ev->frozen[i].device,
		    sh), (unsigned long long)ev->frozen[i].seq);
	for (i = 0; i < ev->nproofs; i++) {
		p = &ev->proofs[i];
		printf("  proof   device %s seq %llu (%s): batches %s and %s%s\n",
		    short_id(p->device, sh), (unsigned long long)p->seq,
		    cli_esc(p->kind, esc, sizeof(esc)),
		    short_id(p->batch[0], sa), short_id(p->batch[1], sb),
		    p->resolved ? " (resolved by an unfreeze decision)" : "");
	}
}

int
cli_central_status(const char *url, int json)
{
	struct tly_http_result	 rs, re;
	struct tly_json		*st = NULL, *ev = NULL;
	struct tly_api_state	 state;
	struct tly_api_evidence	 evidence;
	char			 esc[256];
	int			 ret = CLI_EXIT_FAIL, r;

	memset(&rs, 0, sizeof(rs));
	memset(&re, 0, sizeof(re));
	memset(&evidence, 0, sizeof(evidence));
	if (get_json(url, "/v1/status", &rs, &st) != TLY_OK ||
	    get_json(url, "/v1/evidence", &re, &ev) != TLY_OK)
		goto out;
	if ((r = tly_api_state_read(st, &state)) != TLY_OK ||
	    (r = tly_api_evidence_read(ev, EVIDENCE_MAX, &evidence)) !=
	    TLY_OK) {
		cli_err("status: the central's answer: %s: %s",
		    tly_strerror(r), cli_esc(tly_errdetail(), esc,
		    sizeof(esc)));
		goto out;
	}
	if (json) {
		printf("{\"status\":%.*s,\"evidence\":%.*s}\n", (int)rs.body.len,
		    (const char *)rs.body.p, (int)re.body.len,
		    (const char *)re.body.p);
		ret = cli_finish_stdout(CLI_EXIT_OK);
	} else {
		print_central(url, &state, &evidence);
		ret = cli_finish_stdout(CLI_EXIT_OK);
	}
 out:
	tly_api_evidence_free(&evidence);
	tly_json_free(st);
	tly_json_free(ev);
	tly_http_result_free(&rs);
	tly_http_result_free(&re);
	return ret;
}
