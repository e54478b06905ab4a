/*
 * forge.c: seal a batch with a chosen seq, prev and records, for tests.
 *
 *	forge -k KEYFILE -e ELECTION -s SEQ [-p PREV | -P PREVMSG]
 *	    [-t CREATED] [-m live|test] [-o BUNDLE] [-M MSG] RECORDS...
 *
 * Signs, with the device secret key in KEYFILE, one batch (PROTOCOL.md 4)
 * of the count records in the RECORDS files (each one record object or an
 * array of them; 1 to 256 in all), for the election definition file
 * ELECTION (its hash is signed in), with seq SEQ and prev PREV (64 hex;
 * the id of the signed message in file PREVMSG with -P; 64 zeros when
 * neither is given), in test mode unless -m live.  This is what a
 * daemon does, minus every check and every rule about seq and prev: it
 * makes equivocations, gaps, broken chains and bad records on purpose.
 *
 * Writes the signed message to MSG (-M) and/or a bundle holding just it
 * to BUNDLE (-o), and prints the batch id.  Exit 0 on success, 1 on a
 * failure, 2 on a usage error.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"
#include "sync/wire.h"


/* Print usage and return 2. */
static int
usage(void)
{
	fprintf(stderr,
	    "usage: forge -k keyfile -e election -s seq [-p prev | -P prevmsg]\n"
	    "             [-t created] [-m live|test] [-o bundle] [-M msg]"
	    " records...\n");
	return 2;
}

/* Parse a decimal integer in 0 .. 2^53-1; -1 on junk. */
static int
parse_u64(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > TLY_JSON_INT_MAX)
		return -1;
	*out = v;
	return 0;
}

/*
 * Append the records of file path (an object or an array of objects) to
 * recs[*n..], at most TLY_RECORDS_MAX in all.
 */
static int
load_records(const char *path, struct tly_record *recs, size_t *n)
{
	struct tly_buf	 raw = TLY_BUF_INIT(TLY_LOCAL_BODY_MAX);
	struct tly_json	*root = NULL, *el;
	char		 where[64];
	int		 r;

	if ((r = tly_buf_read_file(path, TLY_LOCAL_BODY_MAX, &raw)) != TLY_OK ||
	    (r = tly_json_parse(raw.p, raw.len, &root)) != TLY_OK)
		goto out;
	if (!tly_json_is_array(root)) {
		if (*n >= TLY_RECORDS_MAX) {
			r = tly_fail(TLY_E_TOO_LARGE, "over %d records",
			    TLY_RECORDS_MAX);
			goto out;
		}
		tly_record_init(&recs[*n]);
		if ((r = tly_record_from_json(root, "record", &recs[*n])) !=
		    TLY_OK)
			goto out;
		(*n)++;
		goto out;
	}
	for (el = tly_json_first(root); el != NULL; el = tly_json_next(el)) {
		if (*n >= TLY_RECORDS_MAX) {
			r = tly_fail(TLY_E_TOO_LARGE, "over %d records",
			    TLY_RECORDS_MAX);
			goto out;
		}
		snprintf(where, sizeof(where), "[%zu]", *n);
		tly_record_init(&recs[*n]);
		if ((r = tly_record_from_json(el, where, &recs[*n])) != TLY_OK)
			goto out;
		(*n)++;
	}
 out:
	tly_json_free(root);
	tly_buf_free(&raw);
	return r;
}

/* Parse the options, load the key, records and election, seal, write. */
int
main(int argc, char **argv)
{
	struct tly_buf		 msg = TLY_BUF_INIT(TLY_MSG_MAX);
	struct tly_buf		 bundle = TLY_BUF_INIT(TLY_MSG_MAX + 64);
	struct tly_buf		 file = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_key		*key = NULL;
	struct tly_record	*recs = NULL;
	const char		*keyfile = NULL, *election = NULL;
	const char		*prevhex = NULL, *prevmsg = NULL;
	const char		*outb = NULL, *outm = NULL, *what = "forge";
	uint8_t			 prev[TLY_HASH_LEN], ehash[TLY_HASH_LEN];
	uint8_t			 id[TLY_HASH_LEN];
	char			 hex[TLY_HEX_HASH];
	uint64_t		 seq = 0, created = (uint64_t)time(NULL);
	size_t			 n = 0, i;
	int			 ch, test = 1, r = TLY_OK, have_seq = 0;
	int			 ret = 1;

	while ((ch = getopt(argc, argv, "e:hk:M:m:o:P:p:s:t:")) != -1) {
		switch (ch) {
		case 'e':
			election = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'M':
			outm = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "live") == 0)
				test = 0;
			else if (strcmp(optarg, "test") == 0)
				test = 1;
			else
				return usage();
			break;
		case 'o':
			outb = optarg;
			break;
		case 'P':
			prevmsg = optarg;
			break;
		case 'p':
			prevhex = optarg;
			break;
		case 's':
			if (parse_u64(optarg, &seq) == -1)
				return usage();
			have_seq = 1;
			break;
		case 't':
			if (parse_u64(optarg, &created) == -1)
				return usage();
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (keyfile == NULL || election == NULL || !have_seq || argc < 1 ||
	    (prevhex != NULL && prevmsg != NULL) ||
	    (outb == NULL && outm == NULL))
		return usage();
	if ((recs = calloc(TLY_RECORDS_MAX, sizeof(*recs))) == NULL)
		goto out;
	if ((r = tly_crypto_init()) != TLY_OK)
		goto out;
	what = keyfile;
	if ((r = tly_key_load(keyfile, &key)) != TLY_OK)
		goto out;
	what = election;
	if ((r = tly_buf_read_file(election, TLY_ELECTION_FILE_MAX, &file)) != TLY_OK)
		goto out;
	tly_hash(file.p, file.len, ehash);
	tly_buf_free(&file);
	memset(prev, 0, sizeof(prev));
	what = "prev";
	if (prevhex != NULL &&
	    (r = tly_unhex(prevhex, strlen(prevhex), prev, sizeof(prev))) !=
	    TLY_OK)
		goto out;
	if (prevmsg != NULL) {
		what = prevmsg;
		tly_buf_init(&file, TLY_MSG_MAX);
		if ((r = tly_buf_read_file(prevmsg, TLY_MSG_MAX, &file)) !=
		    TLY_OK)
			goto out;
		tly_hash(file.p, file.len, prev);
		tly_buf_free(&file);
	}
	for (i = 0; i < (size_t)argc; i++) {
		what = argv[i];
		if ((r = load_records(argv[i], recs, &n)) != TLY_OK)
			goto out;
	}
	what = "seal";
	if ((r = tly_batch_seal(key, seq, seq > 1 || prevhex != NULL ||
	    prevmsg != NULL ? prev : NULL, created, test, ehash, recs, n,
	    &msg, id)) != TLY_OK)
		goto out;
	if (outm != NULL) {
		what = outm;
		if ((r = tly_file_write_atomic(outm, msg.p, msg.len, 0644)) !=
		    TLY_OK)
			goto out;
	}
	if (outb != NULL) {
		what = outb;
		if ((r = tly_bundle_begin(&bundle)) != TLY_OK ||
		    (r = tly_bundle_add(&bundle, msg.p, msg.len)) != TLY_OK ||
		    (r = tly_bundle_end(&bundle, 1)) != TLY_OK ||
		    (r = tly_file_write_atomic(outb, bundle.p, bundle.len,
		    0644)) != TLY_OK)
			goto out;
	}
	printf("%s\n", tly_hex(id, sizeof(id), hex));
	ret = 0;
 out:
	if (ret != 0)
		fprintf(stderr, "forge: %s: %s\n", what,
		    r != TLY_OK ? tly_errdetail() : "out of memory");
	if (recs != NULL)
		for (i = 0; i < n; i++)
			tly_record_finish(&recs[i]);
	free(recs);
	tly_key_free(key);
	tly_buf_free(&msg);
	tly_buf_free(&bundle);
	tly_buf_free(&file);
	return ret;
}
