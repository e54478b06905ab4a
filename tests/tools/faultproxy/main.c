/*
 * main.c: the fault proxy's options, listener and readiness line, the
 * poll loop that drives connections and the command channel, and the
 * shutdown that prints the counters.  faultproxy.h describes the
 * program.
 */

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/faultproxy/faultproxy.h"

/* The write end of the self-pipe, for the signal handler. */
static int sig_wfd = -1;

/* Signal handler: only writes one byte to the self-pipe. */
static void
on_signal(int sig)
{
	int	saved = errno;
	char	c = (char)sig;

	(void)!write(sig_wfd, &c, 1);
	errno = saved;
}

/* Open the listener on 127.0.0.1:port (0: any); fills p->port. */
static int
listen_open(struct proxy *p, uint16_t port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 128) == -1 || set_nonblock(fd) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	p->lfd = fd;
	p->port = ntohs(sin.sin_port);
	return 0;
}

/* Resolve HOST:PORT into p->target. */
static int
parse_target(struct proxy *p, const char *arg)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256];
	const char	*colon = strrchr(arg, ':');
	size_t		 hl;

	if (colon == NULL || (hl = (size_t)(colon - arg)) == 0 ||
	    hl >= sizeof(host))
		return -1;
	memcpy(host, arg, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL)
		return -1;
	memcpy(&p->target, res->ai_addr, res->ai_addrlen);
	p->targetlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Print usage and return 2. */
static int
usage(void)
{
	fprintf(stderr,
	    "usage: faultproxy -t host:port [-l port] [-R fd] [-C ctlsock]"
	    " [-s seed]\n"
	    "                  [-n maxconn] [-m 'mode args']\n"
	    "       faultproxy -c ctlsock command [args...]\n");
	return 2;
}

/* The event loop: until a signal or "quit". */
static void
run(struct proxy *p)
{
	struct pollfd	*pfd;
	size_t		 npfd, i, j, base_conn, nbase;
	int64_t		 now, next;
	int		 timeout, fd;
	char		 sig[16];

	npfd = 3 + CTL_MAX + 2 * p->maxconns;
	if ((pfd = calloc(npfd, sizeof(*pfd))) == NULL)
		return;
	while (!p->quit) {
		now = now_ms();
		if (p->lfd == -1 && now >= p->refuse_until &&
		    listen_open(p, p->port) == -1)
			p->refuse_until = now + 50;	/* try again soon */
		/* Fixed slots: signals, control, listener, control conns. */
		pfd[0] = (struct pollfd){ p->sigpipe[0], POLLIN, 0 };
		pfd[1] = (struct pollfd){ p->ctlfd, POLLIN, 0 };
		pfd[2] = (struct pollfd){ p->nconns < p->maxconns ?
		    p->lfd : -1, POLLIN, 0 };
		for (i = 0; i < CTL_MAX; i++)
			pfd[3 + i] = (struct pollfd){ p->ctls[i].fd,
			    POLLIN, 0 };
		nbase = base_conn = 3 + CTL_MAX;
		next = now + 1000;
		if (p->lfd == -1 && p->refuse_until < next)
			next = p->refuse_until;
		for (i = 0; i < p->nconns; i++) {
			struct conn	*c = p->conns[i];
			short		 ce = conn_cev(c), se = conn_sev(c);

			/* A side we wait on for nothing is left out, so a
			 * hang-up cannot wake us in a loop (during a stall). */
			pfd[nbase++] = (struct pollfd){ ce ? c->cfd : -1, ce,
			    0 };
			pfd[nbase++] = (struct pollfd){ se ? c->sfd : -1, se,
			    0 };
			if (c->until != 0 && c->until < next)
				next = c->until;
		}
		timeout = next > now ? (int)(next - now) : 0;
		if (poll(pfd, nbase, timeout) == -1 && errno != EINTR)
			break;
		now = now_ms();
		if (pfd[0].revents & POLLIN) {
			(void)!read(p->sigpipe[0], sig, sizeof(sig));
			p->quit = 1;
		}
		if (pfd[1].revents & POLLIN) {
			for (i = 0; i < CTL_MAX && p->ctls[i].fd != -1; i++)
				;
			if (i < CTL_MAX &&
			    (fd = accept(p->ctlfd, NULL, NULL)) != -1) {
				if (set_nonblock(fd) == -1)
					close(fd);
				else {
					p->ctls[i].fd = fd;
					p->ctls[i].len = 0;
				}
			}
		}
		for (i = 0; i < CTL_MAX; i++)
			if (p->ctls[i].fd != -1 && pfd[3 + i].fd ==
			    p->ctls[i].fd && pfd[3 + i].revents != 0)
				ctl_io(p, &p->ctls[i]);
		/* Connections, from the last so closing one is safe. */
		for (j = p->nconns; j > 0; j--) {
			i = j - 1;
			if (base_conn + 2 * i + 1 >= nbase)
				continue;	/* added during this round */
			if (conn_io(p, p->conns[i],
			    pfd[base_conn + 2 * i].revents,
			    pfd[base_conn + 2 * i + 1].revents, now) == -1)
				conn_close(p, i);
		}
		if (pfd[2].fd != -1 && (pfd[2].revents & POLLIN))
			do_accept(p, now);
	}
	free(pfd);
}

/* Parse the options, listen, announce readiness, proxy until told to stop. */
int
main(int argc, char **argv)
{
	struct proxy		 p;
	struct sigaction	 sa;
	const char		*target = NULL, *ctl = NULL;
	char			 line[CTL_LINE];
	uint64_t		 v;
	size_t			 i;
	int			 ch, rfd = -1, k;
	uint16_t		 lport = 0;

	memset(&p, 0, sizeof(p));
	p.lfd = p.ctlfd = -1;
	p.maxconns = CONN_MAX_DEFAULT;
	p.rng = 1;
	p.kinds = RANDOM_KINDS;
	line[0] = '\0';
	captive_init();
	if (argc > 1 && strcmp(argv[1], "-c") == 0) {
		if (argc < 4)
			return usage();
		return ctl_client(argv[2], argc - 3, argv + 3);
	}
	while ((ch = getopt(argc, argv, "C:hl:m:n:R:s:t:")) != -1) {
		switch (ch) {
		case 'C':
			ctl = optarg;
			break;
		case 'l':
			if (parse_u64(optarg, &v) == -1 || v > 65535)
				return usage();
			lport = (uint16_t)v;
			break;
		case 'm':
			/* One argument: -m "random 0.3". */
			snprintf(line, sizeof(line), "mode %s", optarg);
			break;
		case 'n':
			if (parse_u64(optarg, &v) == -1 || v == 0 ||
			    v > CONN_MAX_LIMIT)
				return usage();
			p.maxconns = (size_t)v;
			break;
		case 'R':
			if (parse_u64(optarg, &v) == -1 || v < 3 || v > 1024)
				return usage();
			rfd = (int)v;
			break;
		case 's':
			if (parse_u64(optarg, &v) == -1)
				return usage();
			p.rng = v;
			break;
		case 't':
			target = optarg;
			break;
		default:
			return usage();
		}
	}
	if (target == NULL || optind != argc)
		return usage();
	if (parse_target(&p, target) == -1) {
		fprintf(stderr, "faultproxy: bad target %s\n", target);
		return 2;
	}
	if (line[0] != '\0') {
		char	out[256] = "";
		FILE	*fp = fmemopen(out, sizeof(out) - 1, "w");

		if (fp == NULL)
			return 1;
		command(&p, line, fp);
		fclose(fp);
		if (strncmp(out, "ok", 2) != 0) {
			fprintf(stderr, "faultproxy: bad mode: %s\n", line);
			return 2;
		}
	}
	if ((p.conns = calloc(p.maxconns, sizeof(*p.conns))) == NULL)
		return 1;
	for (i = 0; i < CTL_MAX; i++)
		p.ctls[i].fd = -1;
	if (pipe(p.sigpipe) == -1 || set_nonblock(p.sigpipe[0]) == -1 ||
	    set_nonblock(p.sigpipe[1]) == -1) {
		fprintf(stderr, "faultproxy: pipe: %s\n", strerror(errno));
		return 1;
	}
	sig_wfd = p.sigpipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (listen_open(&p, lport) == -1) {
		fprintf(stderr, "faultproxy: listen: %s\n", strerror(errno));
		return 1;
	}
	if (ctl != NULL && ctl_open(&p, ctl) == -1) {
		fprintf(stderr, "faultproxy: %s: %s\n", ctl, strerror(errno));
		return 1;
	}
	if (rfd != -1) {
		char	ready[32];
		int	n = snprintf(ready, sizeof(ready), "READY port=%u\n",
			    (unsigned)p.port);

		if (write(rfd, ready, (size_t)n) != n)
			fprintf(stderr, "faultproxy: readiness fd: %s\n",
			    strerror(errno));
		close(rfd);
	}
	run(&p);
	for (k = (int)p.nconns; k > 0; k--)
		conn_close(&p, (size_t)k - 1);
	for (i = 0; i < CTL_MAX; i++)
		if (p.ctls[i].fd != -1)
			close(p.ctls[i].fd);
	if (p.ctlfd != -1) {
		close(p.ctlfd);
		(void)unlink(p.ctlpath);
	}
	if (p.lfd != -1)
		close(p.lfd);
	stats_json(&p, stdout);
	fflush(stdout);
	free(p.conns);
	return 0;
}
