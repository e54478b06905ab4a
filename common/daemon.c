/*
 * daemon.c: signals, privileges, readiness and key modes for the servers.
 */
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/daemon.h"
#include "common/err.h"

static int	sig_pipe[2] = { -1, -1 };	/* the self-pipe */

/* SIGINT, SIGTERM: pass the number to the main loop, nothing else. */
static void
on_signal(int sig)
{
	unsigned char	c = (unsigned char)sig;
	int		saved = errno;

	(void)!write(sig_pipe[1], &c, 1);	/* full pipe: one is pending */
	errno = saved;
}

int
tly_daemon_signals(void)
{
	struct sigaction	sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return tly_fail(TLY_E_IO, "pipe: %s", strerror(errno));
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

int
tly_daemon_wait(void)
{
	struct pollfd	pfd;
	unsigned char	c;

	pfd.fd = sig_pipe[0];
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return SIGTERM;		/* cannot wait: stop */
		while (read(sig_pipe[0], &c, 1) == 1)
			if (c == SIGINT || c == SIGTERM)
				return c;
	}
}

int
tly_daemon_drop_privileges(const char *user, const char *where,
    enum tly_drop *what)
{
	struct passwd	*pw;

	*what = TLY_DROP_NOT_ROOT;
	if (geteuid() != 0)
		return TLY_OK;
	*what = TLY_DROP_KEPT_ROOT;
	if (user == NULL)
		return TLY_OK;
	if ((pw = getpwnam(user)) == NULL)
		return tly_fail(TLY_E_CONFIG, "%s: user %s: no such user",
		    where, user);
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		return tly_fail(TLY_E_IO, "cannot become %s: %s", user,
		    strerror(errno));
	/* Check the drop: root must not come back. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0 ||
	    getuid() == 0))
		return tly_fail(TLY_E_IO, "privileges were not dropped");
	*what = TLY_DROP_DROPPED;
	return TLY_OK;
}

int
tly_daemon_parse_fd(const char *s, int *fd)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 65535)
		return tly_fail(TLY_E_INVAL, "not a file descriptor: %.32s", s);
	*fd = (int)v;
	return TLY_OK;
}

int
tly_daemon_ready(int fd, const char *line)
{
	size_t	n = strlen(line);
	ssize_t	w;

	do
		w = write(fd, line, n);
	while (w < 0 && errno == EINTR);
	close(fd);
	if (w < 0 || (size_t)w != n)
		return tly_fail(TLY_E_IO, "readiness fd %d: %s", fd,
		    w < 0 ? strerror(errno) : "short write");
	return TLY_OK;
}

int
tly_daemon_notify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	size_t			 plen, n = strlen(state);
	socklen_t		 alen;
	ssize_t			 w;
	int			 fd, r = TLY_OK;

	if (path == NULL || path[0] == '\0')
		return TLY_OK;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path))
		return tly_fail(TLY_E_CONFIG, "NOTIFY_SOCKET: not a unix "
		    "socket path: %.64s", path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')		/* Linux abstract namespace */
		sun.sun_path[0] = '\0';
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return tly_fail(TLY_E_IO, "NOTIFY_SOCKET: socket: %s",
		    strerror(errno));
	do
		w = sendto(fd, state, n, MSG_NOSIGNAL,
		    (struct sockaddr *)&sun, alen);
	while (w < 0 && errno == EINTR);
	if (w < 0 || (size_t)w != n)
		r = tly_fail(TLY_E_IO, "NOTIFY_SOCKET %.64s: %s", path,
		    w < 0 ? strerror(errno) : "short write");
	close(fd);
	return r;
}

int
tly_daemon_key_private(const char *path)
{
	struct stat	st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return TLY_OK;
		return tly_fail(TLY_E_KEY, "%s: %s", path, strerror(errno));
	}
	if ((st.st_mode & 077) != 0)
		return tly_fail(TLY_E_KEY, "%s: mode %03o lets others read the "
		    "secret key; chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	return TLY_OK;
}

int
tly_daemon_args(const char *prog, const char *help, int operands, int argc,
    char **argv, struct tly_daemon_args *a)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(a, 0, sizeof(*a));
	a->readyfd = -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+c:nR:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->cfgpath = optarg;
			break;
		case 'n':
			a->check = 1;
			break;
		case 'R':
			if (tly_daemon_parse_fd(optarg, &a->readyfd) != TLY_OK) {
				fprintf(stderr, "%s: -R: not a file "
				    "descriptor: %s\n", prog, optarg);
				return TLY_EXIT_CONFIG;
			}
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return TLY_EXIT_OK;
		default:
			fputs(help, stderr);
			return TLY_EXIT_CONFIG;
		}
	}
	if (a->cfgpath == NULL || (!operands && optind != argc)) {
		fprintf(stderr, "%s: %s\n", prog, a->cfgpath == NULL ?
		    "-c FILE is required" : "unexpected arguments");
		fputs(help, stderr);
		return TLY_EXIT_CONFIG;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->readyfd >= 0)
		(void)fcntl(a->readyfd, F_SETFD, FD_CLOEXEC);
	return -1;
}

int
tly_daemon_exit_code(int err)
{
	return err == TLY_E_CONFIG || err == TLY_E_KEY ? TLY_EXIT_CONFIG :
	    TLY_EXIT_FAIL;
}

int
tly_daemon_private_dir(const char *dir, unsigned mode, const char *what,
    const char *user)
{
	struct passwd	*pw = NULL;
	struct stat	 st;
	uid_t		 uid = geteuid();
	mode_t		 old;

	if (user != NULL && uid == 0) {
		if ((pw = getpwnam(user)) == NULL)
			return tly_fail(TLY_E_CONFIG, "%s %s: no user %s", what,
			    dir, user);
		uid = pw->pw_uid;
	}
	old = umask(022);
	if (mkdir(dir, (mode_t)mode) == 0) {
		umask(old);
		if (pw != NULL && chown(dir, pw->pw_uid, pw->pw_gid) != 0)
			return tly_fail(TLY_E_IO, "%s %s: chown to %s: %s", what,
			    dir, user, strerror(errno));
	} else {
		umask(old);
		if (errno != EEXIST)
			return tly_fail(TLY_E_IO, "%s %s: cannot create: %s",
			    what, dir, strerror(errno));
	}
	if (lstat(dir, &st) != 0)
		return tly_fail(TLY_E_IO, "%s %s: %s", what, dir,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return tly_fail(TLY_E_CONFIG, "%s %s: not a directory", what,
		    dir);
	if (st.st_uid != uid && st.st_uid != 0)
		return tly_fail(TLY_E_CONFIG, "%s %s: owned by uid %lu, not by "
		    "the server's user (uid %lu) or root", what, dir,
		    (unsigned long)st.st_uid, (unsigned long)uid);
	if ((st.st_mode & 022) != 0)
		return tly_fail(TLY_E_CONFIG, "%s %s: mode %04o: writable by "
		    "group or others; run chmod go-w %s", what, dir,
		    (unsigned)(st.st_mode & 07777), dir);
	return TLY_OK;
}
