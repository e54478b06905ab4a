/*
 * err.c: error texts, wire codes and the per-thread detail message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

#define DETAIL_MAX	512

static _Thread_local char	detail[DETAIL_MAX];	/* last tly_fail() */
static _Thread_local int	detail_set;		/* detail is valid */
static _Thread_local int	detail_err;		/* its code */

/* Text and wire code for each error, indexed by -err. */
static const struct {
	const char	*text;
	const char	*code;
} errs[] = {
	{ "success",				"ok" },
	{ "out of memory",			"internal" },
	{ "input/output error",			"internal" },
	{ "input too large",			"too_large" },
	{ "input truncated",			"truncated" },
	{ "bad magic",				"bad_magic" },
	{ "unsupported version",		"bad_version" },
	{ "wrong signing context",		"bad_context" },
	{ "trailing bytes",			"trailing_bytes" },
	{ "signature does not verify",		"bad_signature" },
	{ "malformed JSON",			"bad_batch" },
	{ "invalid batch",			"bad_batch" },
	{ "invalid count record",		"bad_record" },
	{ "batch belongs to another election",	"wrong_election" },
	{ "wrong live/test mode",		"wrong_mode" },
	{ "gap in the batch sequence",		"seq_gap" },
	{ "hash chain broken",			"chain_broken" },
	{ "conflicting batch with the same sequence number", "seq_conflict" },
	{ "malformed bundle",			"bad_bundle" },
	{ "malformed key file",			"bad_key" },
	{ "configuration error",		"bad_config" },
	{ "database error",			"internal" },
	{ "network error",			"unreachable" },
	{ "unexpected HTTP answer",		"bad_answer" },
	{ "no valid receipt",			"bad_receipt" },
	{ "invalid argument",			"bad_request" },
	{ "not found",				"not_found" },
	{ "bad encoding",			"bad_encoding" },
	{ "cryptography library failure",	"internal" },
	{ "invalid election definition",	"bad_definition" },
	{ "busy, try again later",		"busy" },
	{ "device not on the device list",	"unknown_device" },
	{ "key not certified by the authority",	"not_certified" },
	{ "record outside the certificate's scope", "out_of_scope" },
	{ "certificate revoked",		"revoked" },
	{ "certificate expired or not yet valid", "expired" },
	{ "invalid certificate, revocation list or decision", "bad_certificate" },
	{ "already held",			"duplicate" },
	{ "the decision names a batch or record not held", "not_held" },
};

_Static_assert(sizeof(errs) / sizeof(errs[0]) == -TLY_E_MAX_,
    "errs[] must list every enum tly_err");

const char *
tly_strerror(int err)
{
	if (err > 0 || err <= TLY_E_MAX_)
		return "unknown error";
	return errs[-err].text;
}

const char *
tly_err_code(int err)
{
	if (err > 0 || err <= TLY_E_MAX_)
		return "internal";
	return errs[-err].code;
}

int
tly_err_from_code(const char *code)
{
	int	e;

	if (code == NULL)
		return TLY_E_HTTP;
	for (e = -1; e > TLY_E_MAX_; e--)
		if (strcmp(errs[-e].code, code) == 0)
			return e;
	return TLY_E_HTTP;
}

int
tly_fail(int err, const char *fmt, ...)
{
	char	tmp[DETAIL_MAX];
	va_list	ap;

	/* Format aside: an argument may be tly_errdetail() itself. */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(detail, tmp, sizeof(detail));
	detail_set = 1;
	detail_err = err;
	return err;
}

const char *
tly_errdetail(void)
{
	return detail_set ? detail : "no detail";
}

const char *
tly_errmsg(int err)
{
	return detail_set && detail_err == err ? detail : tly_strerror(err);
}

void
tly_errclear(void)
{
	detail_set = 0;
	detail_err = TLY_OK;
	detail[0] = '\0';
}
