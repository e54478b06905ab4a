/*
 * main.c: tally-central, the election committee's endpoint.
 *
 * Receives signed batches of count records from field devices, verifies
 * and stores them, answers each with a signed receipt and publishes
 * per-constituency sums.  See tally-central(8).
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "central/central.h"
#include "central/store.h"
#include "common/daemon.h"
#include "common/err.h"
#include "common/httpd.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "sync/wire.h"

#define PROGNAME	"tally-central"
#define CONN_TIMEOUT_S	30	/* idle HTTP connection timeout */
#define HEADER_TIMEOUT_S 10	/* the same until a request's headers are in */
#define FILES_SPARE	64	/* open files beside the connections */


/* tally-central --help. */
static const char help[] =
"usage: tally-central -c FILE [-n] [-R FD] [-v]\n"
"       tally-central -c FILE backup OUT\n"
"       tally-central -h | --help\n"
"\n"
"tally-central, the election committee's endpoint: verifies and stores\n"
"the signed batches of the field devices, answers each with a signed\n"
"receipt and publishes the results (tally-central(8)).\n"
"\n"
"  -c FILE   configuration file (tally-central.conf(5)); required\n"
"  -n        check the configuration, key, election and database, then exit\n"
"  -R FD     write \"READY port=N\" to the file descriptor FD once serving\n"
"  -v        debug logging\n"
"  -h, --help  this help\n"

"  backup OUT  copy the database to the new file OUT while the central\n"
"            runs (SQLite online backup); restore: stop the central,\n"
"            put OUT at DATADIR/central.db, start it\n"
"\n"
"A freeze is lifted, and a conflict resolved, only by an adjudicator's\n"
"signed decision: tally decision unfreeze|resolve ... --central URL.\n"
"\n"
"Exit status: 0 stopped by a signal, -n ok, backup done;\n"
"1 runtime failure; 2 usage, configuration or key error.\n";

/*
 * Raise the soft limit of open files towards the hard one so that
 * conn_max connections fit; warn when they cannot.
 */
static void
files_for(unsigned conn_max)
{
	struct rlimit	rl;
	rlim_t		want = (rlim_t)conn_max + FILES_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		tly_log_warn("max-connections %u: only %llu open files "
		    "allowed", conn_max, (unsigned long long)rl.rlim_cur);
}

/*
 * tally-central -c FILE backup OUT: a consistent copy of the database,
 * taken through the store while another process may be serving it.
 * Returns the exit status.
 */
static int
backup(struct tly_central *c, int argc, char **argv)
{
	int	r;

	if (argc != 2) {
		fprintf(stderr, "%s: backup OUT: one file name\n", PROGNAME);
		return 2;
	}
	tly_errclear();
	if ((r = tly_cstore_backup(c->store, argv[1])) != TLY_OK) {
		tly_log_error("backup: %s: %s", tly_strerror(r),
		    tly_errdetail());
		return r == TLY_E_CONFIG ? 2 : 1;
	}
	tly_log_info("backup: database copied to %s", argv[1]);
	printf("%s\n", argv[1]);
	return 0;
}

int
main(int argc, char **argv)
{
	struct tly_daemon_args	 a;
	struct tly_central	 c;
	struct tly_httpd_opts	 o;
	struct tly_httpd	*h = NULL;
	int			 r, rc;
	enum tly_drop		 drop;

	memset(&c, 0, sizeof(c));
	if ((rc = tly_daemon_args(PROGNAME, help, 1, argc, argv, &a)) >= 0)
		return rc;
	if (a.argc > 0 && strcmp(a.argv[0], "unfreeze") == 0) {
		fprintf(stderr, "%s: unfreeze: the operator's command is "
		    "gone; an adjudicator signs the decision and posts it:\n"
		    "  tally decision unfreeze --key ADJUDICATOR.key --election "
		    "DEF --device HEX --batch HEX --seq N --out FILE "
		    "--central URL\n(tally(1), PROTOCOL.md 13.6)\n", PROGNAME);
		return TLY_EXIT_CONFIG;
	}
	if (a.argc > 0 && strcmp(a.argv[0], "backup") != 0) {
		fprintf(stderr, "%s: unknown command '%s'\n", PROGNAME,
		    a.argv[0]);
		fputs(help, stderr);
		return TLY_EXIT_CONFIG;
	}
	rc = TLY_EXIT_FAIL;
	tly_log_init(PROGNAME, a.verbose ? TLY_LOG_DEBUG : TLY_LOG_INFO);

	if ((r = tly_daemon_signals()) != TLY_OK ||
	    (r = tly_crypto_init()) != TLY_OK) {
		tly_log_error("%s", tly_errdetail());
		goto out;
	}
	if ((r = tly_central_conf_load(a.cfgpath, &c.conf)) != TLY_OK) {
		tly_log_error("%s", r == TLY_E_NOMEM ? tly_strerror(r) :
		    tly_errdetail());
		rc = tly_daemon_exit_code(r);
		goto out;
	}
	if ((r = tly_daemon_drop_privileges(c.conf.user, c.conf.uwhere,
	    &drop)) != TLY_OK) {
		tly_log_error("%s", tly_errdetail());
		rc = tly_daemon_exit_code(r);
		goto out;
	}
	if (drop == TLY_DROP_KEPT_ROOT)
		tly_log_warn("running as root: set 'user' in the "
		    "configuration to drop privileges");
	else if (drop == TLY_DROP_DROPPED)
		tly_log_info("running as %s", c.conf.user);
	tly_errclear();
	if ((r = tly_central_open(&c)) != TLY_OK) {
		tly_log_error("%s: %s", tly_strerror(r), tly_errdetail());
		rc = tly_daemon_exit_code(r);
		goto out;
	}
	if (a.argc > 0) {
		rc = backup(&c, a.argc, a.argv);
		goto out;
	}
	if (a.check) {
		printf("ok\n");
		rc = 0;
		goto out;
	}

	files_for(c.conf.conn_max);
	memset(&o, 0, sizeof(o));
	o.host = c.conf.host;
	o.port = c.conf.port;
	o.body_max = TLY_POST_MAX;
	o.threads = c.conf.threads;
	o.blocking = 1;		/* uploads wait for their COMMIT */
	o.conn_max = c.conf.conn_max;
	o.timeout_s = CONN_TIMEOUT_S;
	o.header_timeout_s = HEADER_TIMEOUT_S;
	o.per_ip_max = c.conf.per_ip_max;
	o.fn = tly_central_handle;
	o.admit = tly_central_admit;	/* 8.5: refuse on the headers */
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
	tly_central_results_prepare(&c);	/* the first answer, early */
	if (a.readyfd >= 0) {
		char line[64];
		snprintf(line, sizeof(line), "READY port=%u\n",
		    tly_httpd_port(h));
		if ((r = tly_daemon_ready(a.readyfd, line)) != TLY_OK) {
			tly_log_error("%s", tly_errdetail());
			goto out;
		}
	}
	if (tly_daemon_notify("READY=1") != TLY_OK)
		tly_log_warn("%s", tly_errdetail());
	tly_log_info("signal %d: shutting down", tly_daemon_wait());
	rc = 0;
 out:
	tly_httpd_stop(h);
	tly_central_results_reset();
	tly_central_turnout_reset();
	tly_central_close(&c);
	return rc;
}
