/*
 * losefirst.c: a Unix-socket proxy in front of tallyd that loses the
 * answer to the first request: that request reaches tallyd, which acts
 * on it, but the connection to the client is closed before any byte of
 * the answer, as when tallyd dies mid-request.  Later connections are
 * forwarded both ways.  For the idempotency test of tally record.
 *
 *	losefirst LISTEN_PATH TARGET_PATH READY_FD
 *
 * Writes "READY\n" to READY_FD once it listens; runs until killed.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF	16384	/* bytes moved at a time */

/* A Unix stream socket connected to path (or bound and listening). */
static int
unix_socket(const char *path, int listening)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	strcpy(sun.sun_path, path);
	if (listening ? bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, 8) != 0 :
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Move bytes between client c and target t until either side closes.
 * lose: close as soon as the target starts answering, passing nothing.
 */
static void
relay(int c, int t, int lose)
{
	struct pollfd	p[2];
	char		buf[BUF];
	ssize_t		n;
	int		i;

	p[0].fd = c;
	p[1].fd = t;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, 60000) <= 0)
			return;
		for (i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if ((n = read(p[i].fd, buf, sizeof(buf))) <= 0)
				return;
			if (i == 1 && lose)
				return;		/* the answer is lost */
			if (write(p[1 - i].fd, buf, (size_t)n) != n)
				return;
		}
	}
}

int
main(int argc, char **argv)
{
	int	lfd, c, t, first = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: losefirst LISTEN TARGET READY_FD\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	unlink(argv[1]);
	if ((lfd = unix_socket(argv[1], 1)) < 0) {
		fprintf(stderr, "losefirst: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	if (write(atoi(argv[3]), "READY\n", 6) != 6)
		return 1;
	close(atoi(argv[3]));
	for (;;) {
		if ((c = accept(lfd, NULL, NULL)) < 0)
			continue;
		if ((t = unix_socket(argv[2], 0)) >= 0) {
			relay(c, t, first);
			first = 0;
			close(t);
		}
		close(c);
	}
}
