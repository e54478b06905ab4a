/*
 * main.c: tally-central, the election committee's endpoint.
 *
 * Receives signed batches of count records from field devices, verifies
 * and stores them, answers each with a signed receipt and publishes
 * per-constituency sums.  See tally-central(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "central/central.h"
#include "central/store.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "sync/wire.h"

#define PROGNAME	"tally-central"
#define CONN_TIMEOUT_S	30	/* idle HTTP connection timeout */

static int	sigpipe_fds[2] = { -1, -1 };	/* the self-pipe */

/* Print the usage to f. */
static void
usage(FILE *f)
{
	fprintf(f, "usage: %s -c FILE [-n] [-R FD] [-v] [-h]\n"
	    "       %s -c FILE unfreeze DEVICE --keep BATCH\n"
	    "  -c FILE  configuration file (tally-central.conf(5))\n"
	    "  -n       check the configuration, key, election and database, "
	    "then exit\n"
	    "  -R FD    write \"READY port=N\" to FD once serving\n"
	    "  -v       more logging\n"
	    "  -h       this help\n"
	    "  unfreeze DEVICE --keep BATCH\n"
	    "           lift DEVICE's freeze: BATCH (hex id) and its chain "
	    "stand\n", PROGNAME, PROGNAME);
}

/* SIGINT, SIGTERM: only wake the main loop. */
static void
on_signal(int sig)
{
	int		saved = errno;
	unsigned char	b = (unsigned char)sig;

	if (write(sigpipe_fds[1], &b, 1) < 0) {
		/* The pipe is full: a wake-up is already pending. */
	}
	errno = saved;
}

/* Create the self-pipe and install the handlers. */
static int
setup_signals(void)
{
	struct sigaction	sa;
	int			i;

	if (pipe(sigpipe_fds) != 0)
		return tly_fail(TLY_E_IO, "pipe: %s", strerror(errno));
	for (i = 0; i < 2; i++)
		if (fcntl(sigpipe_fds[i], F_SETFD, FD_CLOEXEC) != 0 ||
		    fcntl(sigpipe_fds[i], F_SETFL, O_NONBLOCK) != 0)
			return tly_fail(TLY_E_IO, "fcntl: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return tly_fail(TLY_E_IO, "sigaction: %s", strerror(errno));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0)
		return tly_fail(TLY_E_IO, "sigaction: %s", strerror(errno));
	return TLY_OK;
}

/*
 * When root: become user (if given) and verify the drop; without a user,
 * warn and go on.  Not root: nothing to do.
 */
static int
drop_privileges(const char *user, const char *where)
{
	struct passwd	*pw;

	if (geteuid() != 0) {
		if (user != NULL)
			tly_log_debug("not root; 'user %s' ignored", user);
		return TLY_OK;
	}
	if (user == NULL) {
		tly_log_warn("running as root: set 'user' in the "
		    "configuration to drop privileges");
		return TLY_OK;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return tly_fail(TLY_E_CONFIG, "%s: user %s: no such user",
		    where, user);
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		return tly_fail(TLY_E_IO, "cannot become %s: %s", user,
		    strerror(errno));
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0 ||
	    getuid() == 0))
		return tly_fail(TLY_E_IO, "privileges were not dropped");
	tly_log_info("running as %s", user);
	return TLY_OK;
}

/* Write "READY port=N\n" to fd and close it. */
static int
tell_ready(int fd, unsigned port)
{
	char	line[64];
	int	n;
	ssize_t	w;

	n = snprintf(line, sizeof(line), "READY port=%u\n", port);
	do
		w = write(fd, line, (size_t)n);
	while (w < 0 && errno == EINTR);
	close(fd);
	if (w != n)
		return tly_fail(TLY_E_IO, "readiness fd %d: %s", fd,
		    w < 0 ? strerror(errno) : "short write");
	return TLY_OK;
}

/* Wait for SIGINT or SIGTERM on the self-pipe. */
static void
wait_for_signal(void)
{
	struct pollfd	pfd;
	unsigned char	b = 0;

	pfd.fd = sigpipe_fds[0];
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			tly_log_error("poll: %s", strerror(errno));
			return;
		}
		if (read(sigpipe_fds[0], &b, 1) == 1) {
			tly_log_info("signal %d: shutting down", b);
			return;
		}
	}
}

/*
 * tally-central -c FILE unfreeze DEVICE --keep BATCH (PROTOCOL.md 12.3):
 * store the kept decision in the data directory's database and log it.
 * Returns the exit status.
 */
static int
unfreeze(struct tly_central *c, int argc, char **argv)
{
	uint8_t		dev[TLY_PK_LEN], id[TLY_HASH_LEN];
	uint64_t	f0 = 0, f1 = 0;
	int		r;

	if (argc != 4 || strcmp(argv[2], "--keep") != 0 ||
	    tly_unhex(argv[1], strlen(argv[1]), dev, sizeof(dev)) != TLY_OK ||
	    tly_unhex(argv[3], strlen(argv[3]), id, sizeof(id)) != TLY_OK) {
		fprintf(stderr, "%s: unfreeze DEVICE --keep BATCH: DEVICE "
		    "and BATCH are 64 lowercase hex characters\n", PROGNAME);
		return 2;
	}
	tly_errclear();
	if ((r = tly_cstore_keep(c->store, dev, id, time(NULL), &f0, &f1)) !=
	    TLY_OK) {
		tly_log_error("unfreeze %s: %s: %s", argv[1], tly_strerror(r),
		    tly_errdetail());
		return 1;
	}
	tly_log_warn("unfreeze: device %s: operator kept batch %s; freeze "
	    "seq was %llu, now %llu", argv[1], argv[3],
	    (unsigned long long)f0, (unsigned long long)f1);
	printf("device %s: kept %s; %s\n", argv[1], argv[3], f1 == 0 ?
	    "not frozen" : "still frozen (another fork)");
	return 0;
}

/* Parse -R's argument: a file descriptor number. */
static int
parse_fd(const char *s, int *fd)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 65535)
		return -1;
	*fd = (int)v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct tly_central	 c;
	struct tly_httpd_opts	 o;
	struct tly_httpd	*h = NULL;
	const char		*cfgpath = NULL;
	int			 ch, i, check = 0, verbose = 0, readyfd = -1;
	int			 r, rc = 1;

	memset(&c, 0, sizeof(c));
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	while ((ch = getopt(argc, argv, "+c:nR:vh")) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'R':
			if (parse_fd(optarg, &readyfd) != 0) {
				fprintf(stderr, "%s: -R: bad file descriptor "
				    "'%s'\n", PROGNAME, optarg);
				return 2;
			}
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (cfgpath == NULL || (optind != argc &&
	    strcmp(argv[optind], "unfreeze") != 0)) {
		usage(stderr);
		return 2;
	}
	tly_log_init(PROGNAME, verbose ? TLY_LOG_DEBUG : TLY_LOG_INFO);

	if ((r = setup_signals()) != TLY_OK ||
	    (r = tly_crypto_init()) != TLY_OK) {
		tly_log_error("%s", tly_errdetail());
		goto out;
	}
	if ((r = tly_central_conf_load(cfgpath, &c.conf)) != TLY_OK) {
		tly_log_error("%s", r == TLY_E_NOMEM ? tly_strerror(r) :
		    tly_errdetail());
		rc = r == TLY_E_CONFIG ? 2 : 1;
		goto out;
	}
	if ((r = drop_privileges(c.conf.user, c.conf.uwhere)) != TLY_OK) {
		tly_log_error("%s", tly_errdetail());
		rc = r == TLY_E_CONFIG ? 2 : 1;
		goto out;
	}
	tly_errclear();
	if ((r = tly_central_open(&c)) != TLY_OK) {
		tly_log_error("%s: %s", tly_strerror(r), tly_errdetail());
		rc = r == TLY_E_CONFIG ? 2 : 1;
		goto out;
	}
	if (optind != argc) {
		rc = unfreeze(&c, argc - optind, argv + optind);
		goto out;
	}
	if (check) {
		printf("ok\n");
		rc = 0;
		goto out;
	}

	memset(&o, 0, sizeof(o));
	o.host = c.conf.host;
	o.port = c.conf.port;
	o.body_max = TLY_POST_MAX;
	o.threads = c.conf.threads;
	o.conn_max = c.conf.conn_max;
	o.timeout_s = CONN_TIMEOUT_S;
	o.fn = tly_central_handle;
	o.arg = &c;
	if ((r = tly_httpd_start(&o, &h)) != TLY_OK) {
		tly_log_error("listen %s:%u: %s", c.conf.host, c.conf.port,
		    tly_errdetail());
		goto out;
	}
	tly_log_info("listening on %s%s%s:%u", strchr(c.conf.host, ':') ?
	    "[" : "", c.conf.host, strchr(c.conf.host, ':') ? "]" : "",
	    tly_httpd_port(h));
	tly_log_info("central key %s", c.keyhex);
	tly_log_info("election %s hash %s", tly_election_id(c.election),
	    c.ehashhex);
	tly_log_info("mode %s", c.conf.test ? "test" : "live");
	if (readyfd >= 0 && (r = tell_ready(readyfd, tly_httpd_port(h))) !=
	    TLY_OK) {
		tly_log_error("%s", tly_errdetail());
		goto out;
	}
	wait_for_signal();
	rc = 0;
 out:
	tly_httpd_stop(h);
	tly_central_results_reset();
	tly_central_close(&c);
	return rc;
}
