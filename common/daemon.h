/*
 * daemon.h: what tallyd and tally-central do alike as servers: signals
 * through a self-pipe, dropping root and checking the drop, the readiness
 * fd, and refusing secret key files that others can read.
 * Library code: nothing here prints; callers log.
 */
#ifndef TLY_DAEMON_H
#define TLY_DAEMON_H

#include <stdio.h>

/* Exit statuses of both servers (tallyd(8), tally-central(8)). */
#define TLY_EXIT_OK	0	/* ran and stopped on a signal, or -n ok */
#define TLY_EXIT_FAIL	1	/* runtime failure */
#define TLY_EXIT_CONFIG	2	/* usage, configuration or key error */

/* A server's command line: -c FILE [-n] [-R FD] [-v] [-h|--help]. */
struct tly_daemon_args {
	const char	*cfgpath;	/* -c FILE (required) */
	int		 check;		/* -n: check and exit */
	int		 readyfd;	/* -R FD, or -1 */
	int		 verbose;	/* -v: debug logging */
	int		 argc;		/* operands after the options */
	char		**argv;		/* ... and their values */
};

/*
 * The server skeleton's front: parse the shared options of argv into *a.
 * help is the server's whole --help text (printed to stdout for -h and
 * --help); operands says whether words may follow the options.  Returns
 * -1 to go on, or the exit status to return at once (0 after help,
 * TLY_EXIT_CONFIG after a usage error, with a message on stderr).  This
 * is command-line code: it prints.
 */
int	tly_daemon_args(const char *prog, const char *help, int operands,
	    int argc, char **argv, struct tly_daemon_args *a);
/*
 * The exit status for a start-up failure err: TLY_EXIT_CONFIG for a bad
 * configuration or key (TLY_E_CONFIG, TLY_E_KEY), else TLY_EXIT_FAIL.
 */
int	tly_daemon_exit_code(int err);

/*
 * Create directory dir with mode (0700 or 0755) if missing, owned by
 * user (the 'user' setting, used only when root; NULL: the caller), then
 * check it as ssh checks its own files: a directory, owned by that user
 * or root, writable by no one else.  what names it in errors.  Returns
 * TLY_OK or TLY_E_CONFIG/TLY_E_IO with detail.
 */
int	tly_daemon_private_dir(const char *dir, unsigned mode,
	    const char *what, const char *user);

/*
 * The default socket of tallyd's local API, where tally(1) looks too.
 * Its directory is created 0755 (the socket itself is 0600, or 0660 for
 * a socket-group).
 */
#define TLY_TALLYD_SOCKET	"/run/tallyd/tallyd.sock"

/* What tly_daemon_drop_privileges() did. */
enum tly_drop {
	TLY_DROP_NOT_ROOT,	/* not root: nothing to do (user ignored) */
	TLY_DROP_KEPT_ROOT,	/* root and no user given: still root */
	TLY_DROP_DROPPED	/* became the user; checked */
};

/*
 * Ignore SIGPIPE; make SIGINT and SIGTERM only write their number to a
 * self-pipe (close-on-exec, non-blocking).  Call once.
 */
int	tly_daemon_signals(void);
/* Block until SIGINT or SIGTERM has arrived; returns its number. */
int	tly_daemon_wait(void);

/*
 * When root and user is not NULL: become user (its groups from
 * /etc/group, so a socket-group it belongs to stays usable; gid; uid) and
 * verify that root cannot be regained.  where names the setting for
 * errors ("file:line").  *what says what happened.
 */
int	tly_daemon_drop_privileges(const char *user, const char *where,
	    enum tly_drop *what);

/*
 * Parse the readiness fd of -R FD: a decimal 0..65535.  TLY_OK, or
 * TLY_E_INVAL with a detail.
 */
int	tly_daemon_parse_fd(const char *s, int *fd);

/* Write line to the readiness fd and close it. */
int	tly_daemon_ready(int fd, const char *line);

/*
 * Tell the service manager (systemd Type=notify) state, e.g. "READY=1":
 * one datagram to the unix socket $NOTIFY_SOCKET ("@name": abstract),
 * as sd_notify(3) does, without linking libsystemd.  TLY_OK when
 * $NOTIFY_SOCKET is unset or empty (not under systemd), or when sent.
 */
int	tly_daemon_notify(const char *state);

/*
 * TLY_OK if the secret key file path is missing (it will be created
 * 0600) or not accessible to group or others; else TLY_E_KEY naming it.
 */
int	tly_daemon_key_private(const char *path);

#endif /* TLY_DAEMON_H */
