/*
 * cmd_head.c: tally import --head-from FILE: a laptop restored from a
 * backup of its key, with no link to the central, learns its chain's
 * head from a bundle of its own batches (PROTOCOL.md 9.5, POST
 * /v1/head), so that its next batch continues the chain instead of
 * forking it.  Called by cmd_import() (cmd_bundle.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "sync/api.h"
#include "sync/wire.h"

int
cli_import_head(const char *path, int json)
{
	struct tly_buf		 file = TLY_BUF_INIT(TLY_BUNDLE_BODY_MAX);
	struct tly_http_result	 res;
	struct tly_json		*root = NULL;
	struct tly_api_learned	 l;
	char			 esc[1024], sh[CLI_SHORT_HEX + 1];
	char			 hex[TLY_HEX_HASH];
	int			 ret = CLI_EXIT_FAIL;

	memset(&res, 0, sizeof(res));
	if (cli_read_input("import", path, file.max, &file) != TLY_OK)
		goto out;
	if (cli_daemon("POST", "/v1/head", TLY_BUNDLE_TYPE, file.p, file.len,
	    0, 60, &res) != TLY_OK)
		goto out;
	if (res.status != 200) {
		cli_http_fail("import --head-from", &res);
		goto out;
	}
	if (cli_json_body("import --head-from", &res, &root) != TLY_OK)
		goto out;
	if (tly_api_learned_read(root, &l) != TLY_OK) {
		cli_err("import --head-from: bad response: %s",
		    cli_esc(tly_errdetail(), esc, sizeof(esc)));
		goto out;
	}
	if (json) {
		ret = cli_print_buf(&res.body);
		goto out;
	}
	printf("head: seq %llu (batch %s), learned from %llu of this "
	    "laptop's batches in %s (%llu other entries skipped); the next "
	    "batch is seq %llu\n", (unsigned long long)l.head,
	    cli_short(tly_hex(l.batch, TLY_HASH_LEN, hex), sh),
	    (unsigned long long)l.own, cli_esc(path, esc, sizeof(esc)),
	    (unsigned long long)l.skipped, (unsigned long long)l.head + 1);
	ret = CLI_EXIT_OK;
 out:
	tly_json_free(root);
	tly_http_result_free(&res);
	tly_buf_free(&file);
	return ret;
}
