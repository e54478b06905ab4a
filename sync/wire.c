/*
 * wire.c: envelopes, batches, receipts and bundles (PROTOCOL.md 3-7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "sync/wire.h"

static const uint8_t zero_hash[TLY_HASH_LEN];

/* ---- Envelope ----------------------------------------------------------- */

int
tly_envelope_parse(const uint8_t *m, size_t len, struct tly_envelope *env)
{
	size_t	n, L, total, i;

	memset(env, 0, sizeof(*env));
	if (len < 8)
		return tly_fail(TLY_E_TRUNCATED, "signed message: %zu bytes, "
		    "shorter than its header", len);
	if (memcmp(m, TLY_SIG_MAGIC, 8) != 0)
		return tly_fail(TLY_E_MAGIC, "signed message: bad magic");
	if (len < 10)
		return tly_fail(TLY_E_TRUNCATED, "signed message: %zu bytes, "
		    "shorter than its header", len);
	if (m[8] != TLY_SIG_VERSION)
		return tly_fail(TLY_E_VERSION, "signed message: version %u, "
		    "only %u is supported", m[8], TLY_SIG_VERSION);
	n = m[9];
	if (n == 0 || n > TLY_CTX_MAX)
		return tly_fail(TLY_E_CONTEXT, "signed message: context "
		    "length %zu outside 1..%d", n, TLY_CTX_MAX);
	if (len < 46 + n)
		return tly_fail(TLY_E_TRUNCATED, "signed message: %zu bytes, "
		    "shorter than its header", len);
	for (i = 0; i < n; i++)
		if (m[10 + i] < 0x21 || m[10 + i] > 0x7e)
			return tly_fail(TLY_E_CONTEXT, "signed message: "
			    "context byte %zu is not printable ASCII", i);
	L = tly_get_u32be(m + 42 + n);
	if (L == 0 || L > TLY_BODY_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "signed message: body length "
		    "%zu outside 1..%d", L, TLY_BODY_MAX);
	total = TLY_ENV_OVERHEAD + n + L;
	if (len < total)
		return tly_fail(TLY_E_TRUNCATED, "signed message: %zu bytes, "
		    "%zu announced", len, total);
	if (len > total)
		return tly_fail(TLY_E_TRAILING, "signed message: %zu bytes "
		    "after the signature", len - total);
	env->msg = m;
	env->msglen = len;
	env->ctx = (const char *)m + 10;
	env->ctxlen = n;
	env->signer = m + 10 + n;
	env->body = m + 46 + n;
	env->bodylen = L;
	env->sig = m + 46 + n + L;
	return TLY_OK;
}

int
tly_envelope_verify(const uint8_t *m, size_t len, const char *ctx,
    struct tly_envelope *env)
{
	int	r;

	if ((r = tly_envelope_parse(m, len, env)) != TLY_OK)
		return r;
	if (env->ctxlen != strlen(ctx) || memcmp(env->ctx, ctx, env->ctxlen))
		return tly_fail(TLY_E_CONTEXT, "signed message: context "
		    "'%.*s', expected '%s'", (int)env->ctxlen, env->ctx, ctx);
	if (tly_sig_verify(env->signer, m, len - TLY_SIG_LEN, env->sig) !=
	    TLY_OK)
		return tly_fail(TLY_E_SIGNATURE, "signature does not verify "
		    "under the signer's key");
	return TLY_OK;
}

int
tly_envelope_seal(const struct tly_key *key, const char *ctx,
    const uint8_t *body, size_t bodylen, struct tly_buf *out)
{
	size_t	 n = strlen(ctx), start = out->len;
	uint8_t	 sig[TLY_SIG_LEN];
	int	 r;

	if (n == 0 || n > TLY_CTX_MAX || bodylen == 0 || bodylen > TLY_BODY_MAX)
		return tly_fail(TLY_E_TOO_LARGE, "cannot seal a body of %zu "
		    "bytes", bodylen);
	if ((r = tly_buf_add(out, TLY_SIG_MAGIC, 8)) != TLY_OK ||
	    (r = tly_buf_add_u8(out, TLY_SIG_VERSION)) != TLY_OK ||
	    (r = tly_buf_add_u8(out, (uint8_t)n)) != TLY_OK ||
	    (r = tly_buf_add(out, ctx, n)) != TLY_OK ||
	    (r = tly_buf_add(out, tly_key_public(key), TLY_PK_LEN)) != TLY_OK ||
	    (r = tly_buf_add_u32be(out, (uint32_t)bodylen)) != TLY_OK ||
	    (r = tly_buf_add(out, body, bodylen)) != TLY_OK ||
	    (r = tly_key_sign(key, out->p + start, out->len - start, sig)) !=
	    TLY_OK ||
	    (r = tly_buf_add(out, sig, sizeof(sig))) != TLY_OK) {
		out->len = start;
		return r;
	}
	return TLY_OK;
}

/* ---- Batches ------------------------------------------------------------ */

void
tly_batch_free(struct tly_batch *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nrecords; i++)
		tly_record_finish(&b->records[i]);
	free(b->records);
	free(b);
}

/* Parse the JSON body of a batch into b (PROTOCOL.md 4). */
static int
batch_body(const struct tly_envelope *env, struct tly_batch *b)
{
	static const char *const names[] = { "device", "seq", "prev",
	    "created", "mode", "election", "records", NULL };
	struct tly_json		*root = NULL;
	const struct tly_json	*recs, *n;
	const char		*mode;
	char			 where[32];
	size_t			 i;
	int			 r;

	if ((r = tly_json_parse(env->body, env->bodylen, &root)) != TLY_OK) {
		r = tly_fail(TLY_E_BATCH, "batch body: %s", tly_errdetail());
		goto out;
	}
	if ((r = tly_json_check_names(root, "", names)) != TLY_OK ||
	    (r = tly_json_get_hash(root, "", "device", b->device)) != TLY_OK ||
	    (r = tly_json_get_int(root, "", "seq", &b->seq)) != TLY_OK ||
	    (r = tly_json_get_hash(root, "", "prev", b->prev)) != TLY_OK ||
	    (r = tly_json_get_int(root, "", "created", &b->created)) !=
	    TLY_OK ||
	    (r = tly_json_get_hash(root, "", "election", b->election)) !=
	    TLY_OK) {
		r = tly_fail(TLY_E_BATCH, "batch body: %s", tly_errdetail());
		goto out;
	}
	if (memcmp(b->device, env->signer, TLY_PK_LEN) != 0) {
		r = tly_fail(TLY_E_BATCH, "batch body: device is not the "
		    "signer");
		goto out;
	}
	if (b->seq == 0) {
		r = tly_fail(TLY_E_BATCH, "batch body: seq: must be 1 or more");
		goto out;
	}
	if (b->seq == 1 && memcmp(b->prev, zero_hash, TLY_HASH_LEN) != 0) {
		r = tly_fail(TLY_E_BATCH, "batch body: prev: must be zero "
		    "for seq 1");
		goto out;
	}
	mode = tly_json_string(tly_json_get(root, "mode"));
	if (mode == NULL || (strcmp(mode, "live") && strcmp(mode, "test"))) {
		r = tly_fail(TLY_E_BATCH, "batch body: mode: must be \"live\" "
		    "or \"test\"");
		goto out;
	}
	b->test = strcmp(mode, "test") == 0;
	recs = tly_json_get(root, "records");
	if (!tly_json_is_array(recs) || tly_json_count(recs) == 0 ||
	    tly_json_count(recs) > TLY_RECORDS_MAX) {
		r = tly_fail(TLY_E_BATCH, "batch body: records: must be an "
		    "array of 1 to %d records", TLY_RECORDS_MAX);
		goto out;
	}
	b->records = calloc(tly_json_count(recs), sizeof(*b->records));
	if (b->records == NULL) {
		r = TLY_E_NOMEM;
		goto out;
	}
	for (i = 0, n = tly_json_first(recs); n != NULL;
	    i++, n = tly_json_next(n)) {
		snprintf(where, sizeof(where), "records[%zu]", i);
		tly_record_init(&b->records[i]);
		if ((r = tly_record_from_json(n, where, &b->records[i])) !=
		    TLY_OK) {
			r = tly_fail(TLY_E_BATCH, "batch body: %s",
			    tly_errdetail());
			goto out;
		}
		b->nrecords = i + 1;
	}
	r = TLY_OK;
 out:
	tly_json_free(root);
	return r;
}

int
tly_batch_parse(const uint8_t *m, size_t len, struct tly_batch **bp)
{
	struct tly_envelope	 env;
	int			 r;

	*bp = NULL;
	if ((r = tly_envelope_verify(m, len, TLY_CTX_BATCH, &env)) != TLY_OK)
		return r;
	return tly_batch_from_envelope(&env, bp);
}

int
tly_batch_from_envelope(const struct tly_envelope *env, struct tly_batch **bp)
{
	struct tly_batch	*b = NULL;
	int			 r;

	*bp = NULL;
	if (env->ctxlen != strlen(TLY_CTX_BATCH) ||
	    memcmp(env->ctx, TLY_CTX_BATCH, env->ctxlen) != 0)
		return tly_fail(TLY_E_CONTEXT, "signed message: not a batch");
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return TLY_E_NOMEM;
	tly_hash(env->msg, env->msglen, b->id);
	if ((r = batch_body(env, b)) != TLY_OK)
		goto out;
	*bp = b;
	b = NULL;		/* transferred */
 out:
	tly_batch_free(b);
	return r;
}

int
tly_batch_seal(const struct tly_key *key, uint64_t seq,
    const uint8_t prev[TLY_HASH_LEN], uint64_t created, int test,
    const uint8_t election[TLY_HASH_LEN], const struct tly_record *records,
    size_t n, struct tly_buf *out, uint8_t idout[TLY_HASH_LEN])
{
	struct tly_buf	body = TLY_BUF_INIT(TLY_BODY_MAX);
	struct tly_jw	w;
	size_t		i, start = out->len;
	int		r;

	if (seq == 0 || n == 0 || n > TLY_RECORDS_MAX) {
		r = tly_fail(TLY_E_INVAL, "cannot seal %zu records as seq "
		    "%llu", n, (unsigned long long)seq);
		goto out;
	}
	tly_jw_init(&w, &body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "device");
	tly_jw_hex(&w, tly_key_public(key), TLY_PK_LEN);
	tly_jw_key(&w, "seq");
	tly_jw_uint(&w, seq);
	tly_jw_key(&w, "prev");
	tly_jw_hex(&w, prev != NULL ? prev : zero_hash, TLY_HASH_LEN);
	tly_jw_key(&w, "created");
	tly_jw_uint(&w, created);
	tly_jw_key(&w, "mode");
	tly_jw_str(&w, test ? "test" : "live");
	tly_jw_key(&w, "election");
	tly_jw_hex(&w, election, TLY_HASH_LEN);
	tly_jw_key(&w, "records");
	tly_jw_arr_open(&w);
	for (i = 0; i < n; i++)
		tly_record_to_json(&records[i], &w);
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	if ((r = tly_jw_finish(&w)) != TLY_OK) {
		r = tly_fail(r, "batch body over %d bytes", TLY_BODY_MAX);
		goto out;
	}
	if ((r = tly_envelope_seal(key, TLY_CTX_BATCH, body.p, body.len,
	    out)) != TLY_OK)
		goto out;
	if (idout != NULL)
		tly_hash(out->p + start, out->len - start, idout);
 out:
	tly_buf_free(&body);
	return r;
}

void
tly_record_id(const uint8_t batch[TLY_HASH_LEN], size_t index, char *out,
    size_t outlen)
{
	char	hex[TLY_HEX_HASH];

	snprintf(out, outlen, "%s:%zu", tly_hex(batch, TLY_HASH_LEN, hex),
	    index);
}

/* ---- Receipts ----------------------------------------------------------- */

int
tly_receipt_seal(const struct tly_key *central, const struct tly_receipt *rc,
    struct tly_buf *out)
{
	struct tly_buf	body = TLY_BUF_INIT(4096);
	struct tly_jw	w;
	int		r;

	tly_jw_init(&w, &body);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "device");
	tly_jw_hex(&w, rc->device, TLY_PK_LEN);
	tly_jw_key(&w, "seq");
	tly_jw_uint(&w, rc->seq);
	tly_jw_key(&w, "batch");
	tly_jw_hex(&w, rc->batch, TLY_HASH_LEN);
	tly_jw_key(&w, "stored");
	tly_jw_uint(&w, rc->stored);
	tly_jw_obj_close(&w);
	if ((r = tly_jw_finish(&w)) == TLY_OK)
		r = tly_envelope_seal(central, TLY_CTX_RECEIPT, body.p,
		    body.len, out);
	tly_buf_free(&body);
	return r;
}

int
tly_receipt_verify(const uint8_t *m, size_t len,
    const uint8_t central_pk[TLY_PK_LEN], struct tly_receipt *rc)
{
	struct tly_envelope	 env;
	int			 r;

	memset(rc, 0, sizeof(*rc));
	if ((r = tly_envelope_verify(m, len, TLY_CTX_RECEIPT, &env)) != TLY_OK)
		return tly_fail(TLY_E_RECEIPT, "receipt: %s", tly_errdetail());
	return tly_receipt_from_envelope(&env, central_pk, rc);
}

int
tly_receipt_from_envelope(const struct tly_envelope *env,
    const uint8_t central_pk[TLY_PK_LEN], struct tly_receipt *rc)
{
	static const char *const names[] = { "device", "seq", "batch",
	    "stored", NULL };
	struct tly_json		*root = NULL;
	int			 r;

	memset(rc, 0, sizeof(*rc));
	if (env->ctxlen != strlen(TLY_CTX_RECEIPT) ||
	    memcmp(env->ctx, TLY_CTX_RECEIPT, env->ctxlen) != 0)
		return tly_fail(TLY_E_RECEIPT, "receipt: not a receipt");
	if (memcmp(env->signer, central_pk, TLY_PK_LEN) != 0)
		return tly_fail(TLY_E_RECEIPT, "receipt: signed by another "
		    "key than the central's");
	if ((r = tly_json_parse(env->body, env->bodylen, &root)) != TLY_OK ||
	    (r = tly_json_check_names(root, "", names)) != TLY_OK ||
	    (r = tly_json_get_hash(root, "", "device", rc->device)) !=
	    TLY_OK ||
	    (r = tly_json_get_int(root, "", "seq", &rc->seq)) != TLY_OK ||
	    (r = tly_json_get_hash(root, "", "batch", rc->batch)) != TLY_OK ||
	    (r = tly_json_get_int(root, "", "stored", &rc->stored)) != TLY_OK)
		r = tly_fail(TLY_E_RECEIPT, "receipt body: %s",
		    tly_errdetail());
	tly_json_free(root);
	return r;
}

/* ---- Bundles ------------------------------------------------------------ */

#define BUNDLE_HEAD	TLY_BUNDLE_HEAD
#define BUNDLE_TAIL	(4 + 4 + TLY_HASH_LEN)
#define ENTRY_MIN	(TLY_ENV_OVERHEAD + 2)

/* Open p[0..len) as a bundle of a version from 1 to maxversion. */
static int
bundle_open(const uint8_t *p, size_t len, unsigned maxversion,
    struct tly_bundle_reader *r)
{
	uint8_t	 h[TLY_HASH_LEN];
	size_t	 off = BUNDLE_HEAD, count = 0, m;

	memset(r, 0, sizeof(*r));
	if (len > TLY_BUNDLE_FILE_MAX)
		return tly_fail(TLY_E_BUNDLE, "bundle: larger than %lu bytes",
		    TLY_BUNDLE_FILE_MAX);
	if (len < 8 || memcmp(p, TLY_BUNDLE_MAGIC, 8) != 0)
		return tly_fail(TLY_E_BUNDLE, "bundle: not a tally bundle "
		    "(bad magic)");
	if (len < BUNDLE_HEAD + BUNDLE_TAIL)
		return tly_fail(TLY_E_BUNDLE, "bundle: truncated (%zu bytes)",
		    len);
	if (p[8] < TLY_BUNDLE_VERSION || p[8] > maxversion)
		return tly_fail(TLY_E_BUNDLE, "bundle: version %u, only %u%s "
		    "supported here", p[8], TLY_BUNDLE_VERSION, maxversion >
		    TLY_BUNDLE_VERSION ? " and 2 are" : " is");
	if (p[9] || p[10] || p[11])
		return tly_fail(TLY_E_BUNDLE, "bundle: reserved bytes not zero");
	for (;;) {
		if (len - off < 4)
			return tly_fail(TLY_E_BUNDLE, "bundle: truncated in "
			    "entry %zu", count);
		m = tly_get_u32be(p + off);
		if (m == 0)
			break;
		if (m < ENTRY_MIN || m > TLY_MSG_MAX)
			return tly_fail(TLY_E_BUNDLE, "bundle: entry %zu has "
			    "impossible length %zu", count, m);
		if (len - off - 4 < m)
			return tly_fail(TLY_E_BUNDLE, "bundle: truncated in "
			    "entry %zu", count);
		if (++count > TLY_BUNDLE_ENTRIES_MAX)
			return tly_fail(TLY_E_BUNDLE, "bundle: more than %d "
			    "entries", TLY_BUNDLE_ENTRIES_MAX);
		off += 4 + m;
	}
	/* off is at the end marker. */
	if (len - off < BUNDLE_TAIL)
		return tly_fail(TLY_E_BUNDLE, "bundle: truncated trailer");
	if (len - off > BUNDLE_TAIL)
		return tly_fail(TLY_E_BUNDLE, "bundle: %zu trailing bytes",
		    len - off - BUNDLE_TAIL);
	if (tly_get_u32be(p + off + 4) != count)
		return tly_fail(TLY_E_BUNDLE, "bundle: trailer counts %u "
		    "entries, %zu present", tly_get_u32be(p + off + 4), count);
	tly_hash(p, len - TLY_HASH_LEN, h);
	if (memcmp(h, p + len - TLY_HASH_LEN, TLY_HASH_LEN) != 0)
		return tly_fail(TLY_E_BUNDLE, "bundle: final hash does not "
		    "match (damaged file)");
	r->p = p;
	r->len = len;
	r->off = BUNDLE_HEAD;
	r->count = count;
	r->version = p[8];
	return TLY_OK;
}

int
tly_bundle_open(const uint8_t *p, size_t len, struct tly_bundle_reader *r)
{
	return bundle_open(p, len, TLY_BUNDLE_VERSION, r);
}

int
tly_bundle_open_file(const uint8_t *p, size_t len,
    struct tly_bundle_reader *r)
{
	return bundle_open(p, len, TLY_BUNDLE_VERSION_2, r);
}

/*
 * The offset of the first entry candidate of salvage (PROTOCOL.md 7.1)
 * whose magic is at or after from: "TALLYSIG" at q >= BUNDLE_HEAD + 4,
 * after a length in ENTRY_MIN .. TLY_MSG_MAX.  0 when there is none.
 */
static size_t
salvage_find(const uint8_t *p, size_t len, size_t from)
{
	const uint8_t	*h;
	size_t		 q, m;

	if (from < BUNDLE_HEAD + 4)
		from = BUNDLE_HEAD + 4;
	while (from < len &&
	    (h = memmem(p + from, len - from, TLY_SIG_MAGIC, 8)) != NULL) {
		q = (size_t)(h - p);
		m = tly_get_u32be(p + q - 4);
		if (m >= ENTRY_MIN && m <= TLY_MSG_MAX)
			return q;
		from = q + 1;
	}
	return 0;
}

int
tly_bundle_salvage(const uint8_t *p, size_t len, size_t *off,
    const uint8_t **m, size_t *mlen, size_t *skipped)
{
	size_t	q, next, end, n;

	if (*off < BUNDLE_HEAD)
		*off = BUNDLE_HEAD;
	if (len > TLY_BUNDLE_FILE_MAX || *off >= len)
		return 0;
	/* Right where the last entry ended, a magic is an entry whatever
	 * its length field says; elsewhere it needs a plausible length. */
	if (len - *off >= 4 + 8 &&
	    memcmp(p + *off + 4, TLY_SIG_MAGIC, 8) == 0)
		q = *off + 4;
	else if ((q = salvage_find(p, len, *off + 4)) == 0)
		return 0;
	n = tly_get_u32be(p + q - 4);
	end = n >= ENTRY_MIN && n <= TLY_MSG_MAX && n <= len - q ?
	    q + n : len;
	if ((next = salvage_find(p, len, q + 1)) != 0 && next - 4 < end)
		end = next - 4;
	*skipped = q - 4 - *off;
	*m = p + q;
	*mlen = end - q;
	*off = end;
	return 1;
}

int
tly_bundle_next(struct tly_bundle_reader *r, const uint8_t **m, size_t *mlen)
{
	size_t	n;

	if (r->index >= r->count)
		return 0;
	n = tly_get_u32be(r->p + r->off);
	*m = r->p + r->off + 4;
	*mlen = n;
	r->off += 4 + n;
	r->index++;
	return 1;
}

int
tly_bundle_begin_version(struct tly_buf *out, unsigned version)
{
	uint8_t	head[BUNDLE_HEAD] = { 'T', 'A', 'L', 'L', 'Y', 'B', 'D', 'L',
	    TLY_BUNDLE_VERSION, 0, 0, 0 };

	if (version < TLY_BUNDLE_VERSION || version > TLY_BUNDLE_VERSION_2)
		return tly_fail(TLY_E_INVAL, "bundle version %u", version);
	head[8] = (uint8_t)version;
	return tly_buf_add(out, head, sizeof(head));
}

int
tly_bundle_begin(struct tly_buf *out)
{
	return tly_bundle_begin_version(out, TLY_BUNDLE_VERSION);
}

int
tly_bundle_add(struct tly_buf *out, const uint8_t *m, size_t mlen)
{
	int	r;

	if (mlen < ENTRY_MIN || mlen > TLY_MSG_MAX)
		return tly_fail(TLY_E_INVAL, "bundle entry of %zu bytes", mlen);
	if ((r = tly_buf_add_u32be(out, (uint32_t)mlen)) != TLY_OK)
		return r;
	if ((r = tly_buf_add(out, m, mlen)) != TLY_OK) {
		out->len -= 4;
		return r;
	}
	return TLY_OK;
}

int
tly_bundle_end(struct tly_buf *out, size_t count)
{
	uint8_t	h[TLY_HASH_LEN];
	int	r;

	if ((r = tly_buf_add_u32be(out, 0)) != TLY_OK ||
	    (r = tly_buf_add_u32be(out, (uint32_t)count)) != TLY_OK)
		return r;
	tly_hash(out->p, out->len, h);
	return tly_buf_add(out, h, sizeof(h));
}

int
tly_jw_b64(struct tly_jw *w, const uint8_t *p, size_t n)
{
	struct tly_buf	b = TLY_BUF_INIT(2 * TLY_MSG_MAX + 16);
	int		r;

	if ((r = tly_b64_encode(p, n, &b)) == TLY_OK)
		tly_jw_str(w, (const char *)b.p);
	tly_buf_free(&b);
	return r;
}
