/*
 * daemon.c: signals, privileges, readiness and key modes for the servers.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
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
		return -1;
	*fd = (int)v;
	return 0;
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
