/*
 * slowloris.c: an attacker for bench/run.sh's hostile load.
 *
 *	slowloris [-c CONC] [-t SECS] [-R FD] http://127.0.0.1:PORT
 *
 * Holds CONC (default 600) connections to the central open, each with
 * the start of a POST /v1/batches whose headers never end: one more
 * header byte every 5 seconds on each, and a new connection for each one
 * the server closes, for SECS seconds (default 60) or until SIGTERM.
 * Then prints how many connections it opened and how many the server
 * closed.  With -R FD it writes "READY n" to FD once it has first tried
 * to open every connection (n of them are open).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONC_MAX	4096

static volatile sig_atomic_t stop_flag;

static void
on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Hold conc slow connections to url's port for secs seconds; exit code. */
static int
slowloris(const char *url, size_t conc, double secs, int readyfd)
{
	static const char	 head[] = "POST /v1/batches HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nContent-Type: application/vnd.tally.bundle\r\n"
	    "Content-Length: 1000\r\nX-Slow: ";
	struct sockaddr_in	 sa;
	struct pollfd		*fds;
	double			 t0 = now(), last = 0;
	size_t			 i, opened = 0, closed = 0;
	unsigned		 port;
	char			 c;

	if (sscanf(url, "http://127.0.0.1:%u", &port) != 1)
		return fprintf(stderr, "slowloris: needs "
		    "http://127.0.0.1:PORT\n"), 2;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fds = calloc(conc, sizeof(*fds))) == NULL)
		return 1;
	for (i = 0; i < conc; i++)
		fds[i].fd = -1;
	while (!stop_flag && now() - t0 < secs) {
		for (i = 0; i < conc; i++) {
			if (fds[i].fd >= 0)
				continue;
			fds[i].fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fds[i].fd < 0)
				break;
			if (connect(fds[i].fd, (struct sockaddr *)&sa,
			    sizeof(sa)) != 0 ||
			    send(fds[i].fd, head, sizeof(head) - 1,
			    MSG_NOSIGNAL) < 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				continue;
			}
			fcntl(fds[i].fd, F_SETFL, O_NONBLOCK);
			fds[i].events = POLLIN;
			opened++;
		}
		if (readyfd >= 0) {
			dprintf(readyfd, "READY %zu\n", opened);
			close(readyfd);
			readyfd = -1;
		}
		if (now() - last >= 5) {	/* one byte each */
			last = now();
			for (i = 0; i < conc; i++)
				if (fds[i].fd >= 0 && send(fds[i].fd, "a", 1,
				    MSG_NOSIGNAL) < 0) {
					close(fds[i].fd);
					fds[i].fd = -1;
					closed++;
				}
		}
		if (poll(fds, conc, 200) > 0)
			for (i = 0; i < conc; i++)
				if (fds[i].fd >= 0 && fds[i].revents &&
				    recv(fds[i].fd, &c, 1, 0) <= 0) {
					close(fds[i].fd);
					fds[i].fd = -1;
					closed++;
				}
	}
	for (i = 0; i < conc; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	free(fds);
	printf("loadgen: slowloris held %zu connections, opened %zu, closed "
	    "by the server %zu\n", conc, opened, closed);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t	conc = 600;
	double	secs = 60;
	int	ch, readyfd = -1;

	while ((ch = getopt(argc, argv, "c:R:t:")) != -1) {
		if (ch == 'R')
			readyfd = atoi(optarg);
		else if (ch == 'c')
			conc = strtoul(optarg, NULL, 10);
		else if (ch == 't')
			secs = atof(optarg);
		else
			optind = argc + 1;
	}
	if (optind + 1 != argc || conc == 0 || conc > CONC_MAX) {
		fprintf(stderr, "usage: slowloris [-c conc] [-t secs] [-R fd] "
		    "http://127.0.0.1:port\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	return slowloris(argv[optind], conc, secs, readyfd);
}
