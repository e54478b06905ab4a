/*
 * daemon.h: what tallyd and tally-central do alike as servers: signals
 * through a self-pipe, dropping root and checking the drop, the readiness
 * fd, and refusing secret key files that others can read.
 * Library code: nothing here prints; callers log.
 */
#ifndef TLY_DAEMON_H
#define TLY_DAEMON_H

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
 * When root and user is not NULL: become user (groups, gid, uid) and
 * verify that root cannot be regained.  where names the setting for
 * errors ("file:line").  *what says what happened.
 */
int	tly_daemon_drop_privileges(const char *user, const char *where,
	    enum tly_drop *what);

/* Parse the readiness fd of -R FD: a decimal 0..65535.  0 or -1. */
int	tly_daemon_parse_fd(const char *s, int *fd);

/* Write line to the readiness fd and close it. */
int	tly_daemon_ready(int fd, const char *line);

/*
 * TLY_OK if the secret key file path is missing (it will be created
 * 0600) or not accessible to group or others; else TLY_E_KEY naming it.
 */
int	tly_daemon_key_private(const char *path);

#endif /* TLY_DAEMON_H */
