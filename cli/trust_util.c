/*
 * trust_util.c: helpers of the trust and enrollment commands: keys with
 * an optional passphrase, times, fingerprints, object files.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/trust.h"
#include "common/err.h"
#include "common/limits.h"
#include "sync/trust.h"


int
cli_key_load(const char *what, const char *path, int passfd,
    struct tly_key **keyp)
{
	char	*pass = NULL, why[600];
	size_t	 passlen = 0;
	int	 r;

	*keyp = NULL;
	tly_errclear();
	if (passfd >= 0 &&
	    (r = tly_passphrase_read_fd(passfd, &pass, &passlen)) != TLY_OK) {
		cli_err("%s: %s", what, cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		return r;
	}
	if ((r = tly_key_load_pass(path, pass, passlen, keyp)) != TLY_OK) {
		cli_err("%s: %s", what, cli_esc(tly_errdetail(), why,
		    sizeof(why)));
		if (r == TLY_E_KEY && pass == NULL &&
		    tly_key_file_encrypted(path) == 1)
			cli_err("%s: give the passphrase with "
			    "--passphrase-fd N", what);
	}
	tly_passphrase_free(pass);
	return r;
}

int
cli_parse_fd(const char *what, const char *s, int *fd)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1024)
		return cli_usage_error(what, "--passphrase-fd: not a file "
		    "descriptor: '%s'", s);
	*fd = (int)v;
	return CLI_EXIT_OK;
}

int
cli_parse_time(const char *s, uint64_t *t)
{
	struct tm	 tm;
	const char	*end;
	char		*e;
	unsigned long long v;

	if (*s >= '0' && *s <= '9' && strchr(s, '-') == NULL) {
		errno = 0;
		v = strtoull(s, &e, 10);
		if (errno != 0 || *e != '\0' || v > TLY_JSON_INT_MAX)
			return -1;
		*t = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*end == 'T' &&
	    ((end = strptime(end + 1, "%H:%M:%S", &tm)) == NULL ||
	    strcmp(end, "Z") != 0))
		return -1;
	if (*end != '\0' && strcmp(end, "Z") != 0)
		return -1;
	if (tm.tm_year < 70)
		return -1;
	*t = (uint64_t)timegm(&tm);
	return 0;
}

const char *
cli_fmt_time(uint64_t t, char *out, size_t outlen)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (t > 253402300799ULL || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, outlen, "%llu", (unsigned long long)t);
	else
		strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return out;
}

const char *
cli_fingerprint(const uint8_t pk[TLY_PK_LEN], char out[96])
{
	char	hex[TLY_HEX_PK];
	size_t	i, o = 0;

	tly_hex(pk, TLY_PK_LEN, hex);
	for (i = 0; i < 64; i += 4) {
		if (i > 0)
			out[o++] = i == 32 ? '\n' : ' ';
		memcpy(out + o, hex + i, 4);
		o += 4;
	}
	out[o] = '\0';
	return out;
}

int
cli_election_load(const char *what, const char *path,
    uint8_t h[TLY_HASH_LEN], struct tly_election **ep)
{
	struct tly_buf	b = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	char		why[600];
	int		r;

	if (ep != NULL)
		*ep = NULL;
	if ((r = cli_read_input(what, path, b.max, &b)) != TLY_OK)
		return r;
	tly_hash(b.p, b.len, h);
	tly_errclear();
	if (ep != NULL && (r = tly_election_parse(b.p, b.len, ep)) != TLY_OK)
		cli_err("%s: %s: %s", what, path, cli_esc(tly_errdetail(), why,
		    sizeof(why)));
	tly_buf_free(&b);
	return r;
}

int
cli_obj_read(const char *what, const char *path, struct tly_buf *b)
{
	return cli_read_input(what, path, TLY_TRUST_OBJ_MAX, b);
}

int
cli_obj_write(const char *what, const char *path, const struct tly_buf *b)
{
	char	why[600];
	int	r;

	tly_errclear();
	if ((r = tly_file_write_atomic(path, b->p, b->len, 0644)) != TLY_OK)
		cli_err("%s: %s: %s", what, path, cli_esc(tly_errdetail(), why,
		    sizeof(why)));
	return r;
}

void
cli_obj_qr(const char *what, const uint8_t *m, size_t len)
{
	struct tly_buf	b64 = TLY_BUF_INIT(8192);

	if (tly_b64_encode(m, len, &b64) != TLY_OK ||
	    cli_qr_print(stdout, (const char *)b64.p) != TLY_OK)
		cli_err("%s: %zu bytes is too large for a QR code; carry the "
		    "file instead", what, len);
	tly_buf_free(&b64);
}

void
cli_cert_print(const struct tly_cert *c)
{
	char	t1[32], t2[32], hex[TLY_HEX_PK];
	size_t	i;

	if (c->kind == TLY_CERT_CENTRAL) {
		printf("central certificate %llu: receipt key %s\n",
		    (unsigned long long)c->serial,
		    tly_hex(c->key, TLY_PK_LEN, hex));
		goto window;
	}
	printf("certificate %llu: %s for ", (unsigned long long)c->serial,
	    c->role == TLY_ROLE_ADJUDICATOR ? "adjudicator" : "clerk");
	if (c->all_areas)
		printf("every area");
	for (i = 0; i < c->nareas; i++)
		printf("%s%s", i ? "," : "areas ", c->areas[i]);
	if (c->all_levels)
		printf(", every level\n");
	for (i = 0; i < c->nlevels; i++)
		printf("%s%s%s", i ? "," : ", levels ", c->levels[i],
		    i + 1 == c->nlevels ? "\n" : "");
 window:
	printf("valid from %s to %s\n", cli_fmt_time(c->not_before, t1,
	    sizeof(t1)), cli_fmt_time(c->not_after, t2, sizeof(t2)));
}

int
cli_topts_parse(const char *name, int argc, char **argv,
    struct cli_topts *o)
{
	static const struct option	 longopts[] = {
		{ "authority",	required_argument, NULL, 'a' },
		{ "request",	required_argument, NULL, 'r' },
		{ "election",	required_argument, NULL, 'e' },
		{ "areas",	required_argument, NULL, 'A' },
		{ "levels",	required_argument, NULL, 'L' },
		{ "role",	required_argument, NULL, 'R' },
		{ "not-before",	required_argument, NULL, 'b' },
		{ "not-after",	required_argument, NULL, 'n' },
		{ "serial",	required_argument, NULL, 's' },
		{ "out",	required_argument, NULL, 'o' },
		{ "qr",		no_argument,	   NULL, 'q' },
		{ "key",	required_argument, NULL, 'k' },
		{ "list",	required_argument, NULL, 'l' },
		{ "at",		required_argument, NULL, 't' },
		{ "device",	required_argument, NULL, 'D' },
		{ "batch",	required_argument, NULL, 'B' },
		{ "seq",	required_argument, NULL, 'S' },
		{ "area",	required_argument, NULL, 'x' },
		{ "level",	required_argument, NULL, 'y' },
		{ "round",	required_argument, NULL, 'z' },
		{ "record",	required_argument, NULL, 'c' },
		{ "over",	required_argument, NULL, 'O' },
		{ "note",	required_argument, NULL, 'N' },
		{ "cert",	required_argument, NULL, 'C' },
		{ "central",	required_argument, NULL, 'U' },
		{ "passphrase-fd", required_argument, NULL, 'p' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	uint64_t	*tp;
	int		 c;

	memset(o, 0, sizeof(*o));
	o->passfd = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		tp = NULL;
		switch (c) {
		case 'a': o->authority = optarg; break;
		case 'r': o->request = optarg; break;
		case 'e': o->election = optarg; break;
		case 'A': o->areas = optarg; break;
		case 'L': o->levels = optarg; break;
		case 'R': o->role = optarg; break;
		case 'o': o->out = optarg; break;
		case 'q': o->qr = 1; break;
		case 'k': o->key = optarg; break;
		case 'l': o->list = optarg; break;
		case 'D': o->device = optarg; break;
		case 'B': o->batch = optarg; break;
		case 'x': o->area = optarg; break;
		case 'y': o->level = optarg; break;
		case 'c': o->record = optarg; break;
		case 'O': o->over = optarg; break;
		case 'N': o->note = optarg; break;
		case 'C': o->cert = optarg; break;
		case 'U': o->central = optarg; break;
		case 'b': tp = &o->not_before; o->has_nb = 1; break;
		case 'n': tp = &o->not_after; o->has_na = 1; break;
		case 't': tp = &o->at; o->has_at = 1; break;
		case 's': tp = &o->serial; o->has_serial = 1; break;
		case 'S': tp = &o->seq; o->has_seq = 1; break;
		case 'z': tp = &o->round; o->has_round = 1; break;
		case 'p':
			if (cli_parse_fd(name, optarg, &o->passfd) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			cli_help(name);
			return -1;
		default:
			return cli_bad_option(name, argv, c);
		}
		if (tp != NULL && cli_parse_time(optarg, tp) != 0)
			return cli_usage_error(name, "%s: not a time or number: "
			    "'%s'", argv[optind - 1], optarg);
	}
	return CLI_EXIT_OK;
}
