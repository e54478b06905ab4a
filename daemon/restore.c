/*
 * restore.c: a key restored onto an empty store learns its head before
 * it signs (PROTOCOL.md 9.5).
 *
 * When the daemon opens a new store with a device key that existed
 * before (restored from a backup, or a reinstalled laptop), the key may
 * have signed batches that this store does not hold: signing seq 1 again
 * would fork the chain and freeze the device.  The store's meta "chain"
 * is then "unknown" until the daemon learns the head from the central
 * (GET /v1/devices/{key}/head); the head becomes the store's chain base
 * ("chain_base": "<seq> <hex id>"), so the next batch is head + 1 with
 * prev the head's id.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "sync/api.h"
#include "sync/http.h"
#include "daemon/tallyd.h"

#define RESTORE_TIMEOUT_S	10	/* the head request at record time */

int
tly_drestore_open(struct tallyd *d, int store_new)
{
	if (!store_new || d->key_created)
		return TLY_OK;
	tly_log_warn("a new store for a device key that existed before: "
	    "nothing is signed until the daemon learns the key's head from "
	    "the central");
	return tly_dstore_meta_set(d->store, "chain", "unknown");
}

int
tly_drestore_unknown(struct tallyd *d)
{
	char	buf[16];

	return tly_dstore_meta_get(d->store, "chain", buf, sizeof(buf)) ==
	    TLY_OK && strcmp(buf, "unknown") == 0;
}

int
tly_drestore_head(struct tallyd *d, const struct tly_api_head *head)
{
	static const char *const keys[] = { "chain", "chain_base" };
	char			 base[32 + TLY_HEX_HASH], hex[TLY_HEX_HASH];
	const char		*vals[2];

	if (!tly_drestore_unknown(d))
		return TLY_OK;
	if (head->npending > 0)
		return tly_fail(TLY_E_SEQ_CONFLICT, "the central holds "
		    "batches of this key above a gap (after seq %" PRIu64 "): "
		    "continuing here would fork its chain", head->head);
	vals[0] = "known";
	vals[1] = "";
	if (head->head > 0) {
		if (!head->has_batch)
			return tly_fail(TLY_E_HTTP, "the central's head answer "
			    "has no batch id for seq %" PRIu64, head->head);
		snprintf(base, sizeof(base), "%" PRIu64 " %s", head->head,
		    tly_hex(head->batch, TLY_HASH_LEN, hex));
		vals[1] = base;
	}
	if (tly_dstore_meta_set_n(d->store, keys, vals, 2) != TLY_OK)
		return TLY_E_DB;
	tly_log_info("learned this key's head from the central: seq %" PRIu64
	    "; the next batch is seq %" PRIu64, head->head, head->head + 1);
	return TLY_OK;
}

int
tly_drestore_ensure(struct tallyd *d)
{
	struct tly_http_call	 call;
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	struct tly_api_head	 head;
	char			 url[1200], hex[TLY_HEX_PK];
	int			 r;

	if (!tly_drestore_unknown(d))
		return TLY_OK;
	memset(&res, 0, sizeof(res));
	if (!d->has_central) {
		r = TLY_E_NET;
		snprintf(res.error, sizeof(res.error), "no central is "
		    "configured");
		goto out;
	}
	tly_hex(d->device, TLY_PK_LEN, hex);
	snprintf(url, sizeof(url), "%s/v1/devices/%s/head", d->conf.central,
	    hex);
	memset(&call, 0, sizeof(call));
	call.url = url;
	call.method = "GET";
	call.connect_timeout_s = (long)d->conf.connect_timeout <
	    RESTORE_TIMEOUT_S ? (long)d->conf.connect_timeout :
	    RESTORE_TIMEOUT_S;
	call.timeout_s = RESTORE_TIMEOUT_S;
	call.resp_max = TLY_SMALL_RESP_MAX;
	r = tly_http_request(&call, &res);
	if (r == TLY_OK && (res.status != 200 ||
	    strncasecmp(res.content_type, "application/json", 16) != 0 ||
	    tly_json_parse(res.body.p, res.body.len, &root) != TLY_OK)) {
		snprintf(res.error, sizeof(res.error), "the central's address "
		    "answered HTTP %ld, not its JSON", res.status);
		r = TLY_E_HTTP;
	}
	if (r == TLY_OK && (r = tly_api_head_read(root, &head)) == TLY_OK) {
		tly_dfreeze_head(d, &head);
		r = tly_drestore_head(d, &head);
	}
	if (r != TLY_OK && res.error[0] == '\0')
		snprintf(res.error, sizeof(res.error), "%s", tly_errdetail());
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	if (r != TLY_OK)
		r = tly_fail(TLY_E_SEQ_CONFLICT, "not signed: this store is new "
		    "but the device key existed before (restored from a backup "
		    "or reinstalled), so it may have signed batches this store "
		    "does not hold, and signing now could fork its chain; the "
		    "daemon could not learn the key's head from the central "
		    "(%s); connect to the central and run 'tally sync', then "
		    "record again", res.error[0] ? res.error : "no answer");
	return r;
}
