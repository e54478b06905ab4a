/*
 * faultproxy.c: a TCP proxy that injects network faults, for tests.
 *
 *	faultproxy -t HOST:PORT [-l PORT] [-R FD] [-C CTLSOCK] [-s SEED]
 *	    [-n MAXCONN] [-m "MODE ARGS"]
 *	faultproxy -c CTLSOCK COMMAND...
 *
 * It listens on 127.0.0.1 (port 0 unless -l), forwards every accepted
 * connection to HOST:PORT, and writes "READY port=N\n" to fd FD once it
 * listens.  For each connection it chooses one fault (or none):
 *
 *   pass          forward both ways untouched
 *   cut_request   close both sides after N client-to-server bytes
 *   cut_response  close both sides after N server-to-client bytes
 *   stall         stop forwarding for T ms once N request bytes went
 *                 through or the answer starts, then continue or close
 *   reset         after N request bytes, close the client with an RST
 *   blackhole     accept and read, never answer, close after T ms
 *   captive       answer any request with "200 OK" and an HTML page,
 *                 never contacting the target
 *   drop          accept and close at once
 *
 * Faults are counted when they take effect (a cut after more bytes than
 * the connection carried never happens and is not counted).
 *
 * Commands, one line each, on the Unix socket CTLSOCK (the second form
 * sends one and prints the answer):
 *
 *   mode pass | mode fixed KIND [N] [T] | mode random P [KIND,KIND...]
 *   seed S            restart the random sequence
 *   blackhole T       for T ms, new connections are read and never answered
 *   drop T            for T ms, new connections are accepted and closed
 *   refuse T          for T ms, nothing listens (connections are refused)
 *   captive on|off    every new connection gets the captive portal
 *   stats             counters as one line of JSON
 *   quit              exit as on SIGTERM
 *
 * In random mode each new connection draws from a generator seeded with
 * SEED (default 1): with probability P one of the enabled kinds, with
 * random N and T; the same seed gives the same sequence of choices.  The
 * counters are printed as JSON on standard output at exit (SIGTERM,
 * SIGINT or "quit").  Connections and buffers are capped.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONN_MAX_DEFAULT	128	/* connections held at once */
#define CONN_MAX_LIMIT		1000	/* upper bound of -n */
#define DIR_BUF			16384	/* bytes buffered per direction */
#define CTL_MAX			8	/* control connections at once */
#define CTL_LINE		512	/* bytes of one command line */
#define CAPTIVE_HDR_MAX		65536	/* request bytes read before answering */
#define DRAIN_MS		2000	/* how long a captive answer drains */
#define CAPTIVE_WAIT_MS		10000	/* how long a request head may take */

/* Fault kinds; the order is the order of the counters. */
enum kind {
	K_PASS,
	K_CUT_REQUEST,
	K_CUT_RESPONSE,
	K_STALL,
	K_RESET,
	K_BLACKHOLE,
	K_CAPTIVE,
	K_DROP,
	K_REFUSE,
	K_COUNT
};

/* Names of the kinds, as in commands and in the stats JSON. */
static const char *const kind_names[K_COUNT] = {
	"pass", "cut_request", "cut_response", "stall", "reset",
	"blackhole", "captive", "drop", "refuse"
};

/* Kinds random mode may choose per connection (refuse is global only). */
#define RANDOM_KINDS	((1u << K_CUT_REQUEST) | (1u << K_CUT_RESPONSE) | \
	(1u << K_STALL) | (1u << K_RESET) | (1u << K_BLACKHOLE) | \
	(1u << K_CAPTIVE) | (1u << K_DROP))

/* States of a proxied connection. */
enum cstate {
	CS_CONNECTING,	/* waiting for the target's connect to finish */
	CS_OPEN,	/* forwarding */
	CS_SINK,	/* reading the client, answering nothing (blackhole) */
	CS_CAPTIVE,	/* reading the request head before the portal page */
	CS_DRAIN	/* portal page sent; reading until EOF or deadline */
};

/* One proxied connection. */
struct conn {
	int		 cfd;		/* the client side, or -1 */
	int		 sfd;		/* the target side, or -1 */
	enum cstate	 st;		/* what the connection is doing */
	enum kind	 kind;		/* the fault chosen for it */
	uint64_t	 n;		/* byte threshold of the fault */
	uint64_t	 t_ms;		/* duration of the fault */
	int		 stall_close;	/* stall: close when it ends */
	int		 fired;		/* the fault took effect */
	int64_t		 until;		/* stall end or close deadline, ms; 0 none */
	int		 stalled;	/* a stall is under way */
	uint8_t		 up[DIR_BUF];	/* client-to-server bytes not yet sent */
	size_t		 uplen;		/* bytes in up */
	uint8_t		 down[DIR_BUF];	/* server-to-client bytes not yet sent */
	size_t		 downlen;	/* bytes in down */
	uint64_t	 upsent;	/* bytes delivered to the target */
	uint64_t	 downsent;	/* bytes delivered to the client */
	int		 ceof;		/* the client finished sending */
	int		 seof;		/* the target finished sending */
	int		 upshut;	/* SHUT_WR done towards the target */
	int		 downshut;	/* SHUT_WR done towards the client */
	uint32_t	 hdrtail;	/* last 4 request bytes (captive) */
	size_t		 hdrlen;	/* request bytes read (captive) */
	const char	*page;		/* captive answer still to send */
	size_t		 pagelen;	/* bytes of page left */
};

/* One control connection: a command line being read. */
struct ctl {
	int	fd;			/* -1 when the slot is free */
	char	line[CTL_LINE];		/* bytes read so far */
	size_t	len;			/* bytes in line */
};

/* The whole proxy. */
struct proxy {
	int		 lfd;		/* listening socket, -1 while refusing */
	uint16_t	 port;		/* our port */
	struct sockaddr_storage target;	/* where connections go */
	socklen_t	 targetlen;	/* size of target */
	int		 ctlfd;		/* control listener, or -1 */
	char		 ctlpath[108];	/* its path, unlinked at exit */
	struct ctl	 ctls[CTL_MAX];	/* control connections */
	int		 sigpipe[2];	/* self-pipe written by the handler */
	struct conn	**conns;	/* connection slots */
	size_t		 maxconns;	/* slots in conns */
	size_t		 nconns;	/* slots in use */
	enum kind	 fixed;		/* mode fixed: the kind; K_PASS: pass */
	uint64_t	 fixed_n;	/* mode fixed: N */
	uint64_t	 fixed_t;	/* mode fixed: T */
	int		 random;	/* mode random */
	double		 prob;		/* mode random: P */
	uint32_t	 kinds;		/* mode random: enabled kinds (bits) */
	uint64_t	 rng;		/* generator state */
	int		 captive;	/* captive portal on */
	int64_t		 blackhole_until; /* global blackhole end, ms */
	int64_t		 drop_until;	/* global drop end, ms */
	int64_t		 refuse_until;	/* global refuse end, ms */
	int		 quit;		/* leave the loop */
	uint64_t	 count[K_COUNT]; /* faults that took effect, by kind */
	uint64_t	 accepted;	/* connections accepted */
	uint64_t	 unreachable;	/* connections the target refused */
	uint64_t	 bytes_up;	/* bytes delivered to the target */
	uint64_t	 bytes_down;	/* bytes delivered to clients */
};

/* The captive portal's page; the head is put in front at start. */
static const char captive_body[] =
    "<!DOCTYPE html>\n<html><head><title>Welcome</title></head>"
    "<body><p>Please accept the terms to continue.</p></body></html>\n";

/* The captive portal's whole answer, head and page. */
static char captive_page[512];

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

/* Milliseconds on the monotonic clock. */
static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64: the next value of the generator. */
static uint64_t
rnd(struct proxy *p)
{
	uint64_t	z;

	z = (p->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Make fd non-blocking and close-on-exec; -1 on failure. */
static int
set_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

/* Kind by name, or -1. */
static int
kind_by_name(const char *s)
{
	int	i;

	for (i = 0; i < K_COUNT; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return i;
	return -1;
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

/* Close fd with an RST instead of a FIN. */
static void
close_rst(int fd)
{
	struct linger	lg = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* Count the connection's fault once, when it takes effect. */
static void
fire(struct proxy *p, struct conn *c)
{
	if (!c->fired) {
		c->fired = 1;
		p->count[c->kind]++;
	}
}

/* Close and free the connection in slot i. */
static void
conn_close(struct proxy *p, size_t i)
{
	struct conn	*c = p->conns[i];

	if (c->cfd != -1)
		close(c->cfd);
	if (c->sfd != -1)
		close(c->sfd);
	if (!c->fired)
		p->count[K_PASS]++;
	free(c);
	p->conns[i] = p->conns[--p->nconns];
	p->conns[p->nconns] = NULL;
}

/* Choose the fault for a new connection, from the mode and the windows. */
static void
choose(struct proxy *p, struct conn *c, int64_t now)
{
	uint64_t	u, k, bits, nreq, nresp, t, cl;
	uint32_t	enabled;
	int		i, pick;

	/* Draw the same number of values every time: a seed fixes the run. */
	u = rnd(p);
	k = rnd(p);
	bits = rnd(p);
	nreq = 1 + bits % (1ULL << (1 + rnd(p) % 18));
	nresp = 1 + rnd(p) % (1ULL << (1 + rnd(p) % 13));
	t = 100 + rnd(p) % 900;
	cl = rnd(p) & 1;

	c->kind = K_PASS;
	if (p->drop_until > now) {
		c->kind = K_DROP;
		return;
	}
	if (p->blackhole_until > now) {
		c->kind = K_BLACKHOLE;
		c->t_ms = (uint64_t)(p->blackhole_until - now);
		return;
	}
	if (p->captive) {
		c->kind = K_CAPTIVE;
		return;
	}
	if (p->fixed != K_PASS) {
		c->kind = p->fixed;
		c->n = p->fixed_n;
		if (c->n == 0 && (c->kind == K_CUT_REQUEST ||
		    c->kind == K_CUT_RESPONSE || c->kind == K_STALL))
			c->n = 1;
		c->t_ms = p->fixed_t;
		c->stall_close = 0;
		return;
	}
	if (!p->random || (double)(u >> 11) / 9007199254740992.0 >= p->prob)
		return;
	enabled = p->kinds & RANDOM_KINDS;
	if (enabled == 0)
		return;
	pick = (int)(k % (uint64_t)__builtin_popcount(enabled));
	for (i = 0; i < K_COUNT; i++)
		if ((enabled & (1u << i)) && pick-- == 0)
			break;
	c->kind = (enum kind)i;
	c->n = c->kind == K_CUT_RESPONSE ? nresp : nreq;
	if (c->kind == K_RESET)
		c->n = nreq - 1;	/* 0: reset at once */
	c->t_ms = t;
	c->stall_close = (int)cl;
}

/* Start connecting to the target; -1 if that fails at once. */
static int
target_connect(struct proxy *p, struct conn *c)
{
	int	fd, one = 1;

	if ((fd = socket(p->target.ss_family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (set_nonblock(fd) == -1) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&p->target, p->targetlen) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	c->sfd = fd;
	c->st = CS_CONNECTING;
	return 0;
}

/* Accept new connections while there is room. */
static void
do_accept(struct proxy *p, int64_t now)
{
	struct conn	*c;
	int		 fd, one = 1;

	while (p->lfd != -1 && p->nconns < p->maxconns) {
		if ((fd = accept(p->lfd, NULL, NULL)) == -1)
			return;
		if (set_nonblock(fd) == -1) {
			close(fd);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		p->accepted++;
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->cfd = fd;
		c->sfd = -1;
		choose(p, c, now);
		p->conns[p->nconns++] = c;
		switch (c->kind) {
		case K_DROP:
			fire(p, c);
			conn_close(p, p->nconns - 1);
			continue;
		case K_RESET:
			if (c->n == 0) {
				fire(p, c);
				close_rst(c->cfd);
				c->cfd = -1;
				conn_close(p, p->nconns - 1);
				continue;
			}
			break;
		case K_BLACKHOLE:
			fire(p, c);
			c->st = CS_SINK;
			c->until = now + (int64_t)c->t_ms;
			continue;
		case K_CAPTIVE:
			fire(p, c);
			c->st = CS_CAPTIVE;
			c->until = now + CAPTIVE_WAIT_MS;
			continue;
		default:
			break;
		}
		if (target_connect(p, c) == -1) {
			p->unreachable++;
			conn_close(p, p->nconns - 1);
		}
	}
}

/* Bytes the client side may still send on (cut_request, stall, reset). */
static uint64_t
up_allow(const struct conn *c)
{
	uint64_t	sent = c->upsent + c->uplen;

	if (c->kind == K_CUT_REQUEST || c->kind == K_RESET ||
	    (c->kind == K_STALL && !c->fired))
		return sent >= c->n ? 0 : c->n - sent;
	return UINT64_MAX;
}

/* Bytes the target side may still send on (cut_response). */
static uint64_t
down_allow(const struct conn *c)
{
	uint64_t	sent = c->downsent + c->downlen;

	if (c->kind == K_CUT_RESPONSE)
		return sent >= c->n ? 0 : c->n - sent;
	return UINT64_MAX;
}

/* Start the stall of connection c. */
static void
stall_start(struct proxy *p, struct conn *c, int64_t now)
{
	fire(p, c);
	c->stalled = 1;
	c->until = now + (int64_t)c->t_ms;
}

/*
 * Move bytes for one connection after poll; returns 0 to keep it, -1 to
 * close it.  rev_c and rev_s are the poll results of the two sides.
 */
static int
conn_io(struct proxy *p, struct conn *c, short rev_c, short rev_s,
    int64_t now)
{
	uint8_t		 tmp[4096];
	ssize_t		 r;
	size_t		 want, i;
	uint64_t	 allow;
	int		 err;
	socklen_t	 elen = sizeof(err);

	if (c->st == CS_SINK || c->st == CS_DRAIN || c->st == CS_CAPTIVE) {
		if (c->until != 0 && now >= c->until)
			return -1;
		if (rev_c & (POLLIN | POLLHUP | POLLERR)) {
			r = read(c->cfd, tmp, sizeof(tmp));
			if (r == 0 || (r == -1 && errno != EAGAIN &&
			    errno != EINTR))
				return -1;
			for (i = 0; r > 0 && i < (size_t)r &&
			    c->st == CS_CAPTIVE; i++) {
				c->hdrtail = c->hdrtail << 8 | tmp[i];
				c->hdrlen++;
				if (c->hdrtail == 0x0d0a0d0a ||
				    c->hdrlen >= CAPTIVE_HDR_MAX) {
					c->st = CS_DRAIN;
					c->page = captive_page;
					c->pagelen = strlen(captive_page);
				}
			}
		}
		if (c->st == CS_DRAIN && c->pagelen > 0 &&
		    (rev_c & POLLOUT)) {
			r = write(c->cfd, c->page, c->pagelen);
			if (r == -1 && errno != EAGAIN && errno != EINTR)
				return -1;
			if (r > 0) {
				c->page += r;
				c->pagelen -= (size_t)r;
			}
			if (c->pagelen == 0) {
				(void)shutdown(c->cfd, SHUT_WR);
				c->until = now + DRAIN_MS;
			}
		}
		return 0;
	}

	if (c->st == CS_CONNECTING) {
		if (!(rev_s & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		if (getsockopt(c->sfd, SOL_SOCKET, SO_ERROR, &err, &elen) ==
		    -1 || err != 0) {
			p->unreachable++;
			return -1;
		}
		c->st = CS_OPEN;
		rev_s = 0;
	}

	if (c->stalled) {
		if (now < c->until)
			return 0;
		c->stalled = 0;
		c->until = 0;
		if (c->stall_close)
			return -1;
	}

	/* Client -> target. */
	if ((rev_c & (POLLIN | POLLHUP | POLLERR)) && !c->ceof &&
	    c->uplen < DIR_BUF && (allow = up_allow(c)) > 0) {
		want = DIR_BUF - c->uplen;
		if (want > sizeof(tmp))
			want = sizeof(tmp);
		if (want > allow)
			want = (size_t)allow;
		r = read(c->cfd, c->up + c->uplen, want);
		if (r == 0)
			c->ceof = 1;
		else if (r == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		else if (r > 0)
			c->uplen += (size_t)r;
	}
	if ((rev_s & (POLLOUT | POLLERR)) && c->uplen > 0) {
		r = write(c->sfd, c->up, c->uplen);
		if (r == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (r > 0) {
			memmove(c->up, c->up + r, c->uplen - (size_t)r);
			c->uplen -= (size_t)r;
			c->upsent += (uint64_t)r;
			p->bytes_up += (uint64_t)r;
		}
	}
	if (c->uplen == 0 && c->upsent >= c->n && c->n > 0) {
		switch (c->kind) {
		case K_CUT_REQUEST:
			fire(p, c);
			return -1;
		case K_RESET:
			fire(p, c);
			close_rst(c->cfd);
			c->cfd = -1;
			return -1;
		case K_STALL:
			if (!c->fired) {
				stall_start(p, c, now);
				return 0;
			}
			break;
		default:
			break;
		}
	}
	if (c->ceof && c->uplen == 0 && !c->upshut) {
		(void)shutdown(c->sfd, SHUT_WR);
		c->upshut = 1;
	}

	/* Target -> client. */
	if ((rev_s & (POLLIN | POLLHUP | POLLERR)) && !c->seof &&
	    c->downlen < DIR_BUF && (allow = down_allow(c)) > 0) {
		want = DIR_BUF - c->downlen;
		if (want > sizeof(tmp))
			want = sizeof(tmp);
		if (want > allow)
			want = (size_t)allow;
		r = read(c->sfd, c->down + c->downlen, want);
		if (r == 0)
			c->seof = 1;
		else if (r == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		else if (r > 0) {
			c->downlen += (size_t)r;
			if (c->kind == K_STALL && !c->fired) {
				stall_start(p, c, now);
				return 0;
			}
		}
	}
	if ((rev_c & (POLLOUT | POLLERR)) && c->downlen > 0) {
		r = write(c->cfd, c->down, c->downlen);
		if (r == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (r > 0) {
			memmove(c->down, c->down + r, c->downlen - (size_t)r);
			c->downlen -= (size_t)r;
			c->downsent += (uint64_t)r;
			p->bytes_down += (uint64_t)r;
		}
	}
	if (c->kind == K_CUT_RESPONSE && c->downlen == 0 &&
	    c->downsent >= c->n) {
		fire(p, c);
		return -1;
	}
	if (c->seof && c->downlen == 0 && !c->downshut) {
		(void)shutdown(c->cfd, SHUT_WR);
		c->downshut = 1;
	}
	if (c->upshut && c->downshut)
		return -1;
	return 0;
}

/* Poll events wanted on the client side of c. */
static short
conn_cev(const struct conn *c)
{
	short	ev = 0;

	switch (c->st) {
	case CS_SINK:
	case CS_CAPTIVE:
		return POLLIN;
	case CS_DRAIN:
		return (short)(POLLIN | (c->pagelen > 0 ? POLLOUT : 0));
	case CS_CONNECTING:
		return 0;
	case CS_OPEN:
		break;
	}
	if (c->stalled)
		return 0;
	if (!c->ceof && c->uplen < DIR_BUF && up_allow(c) > 0)
		ev |= POLLIN;
	if (c->downlen > 0)
		ev |= POLLOUT;
	return ev;
}

/* Poll events wanted on the target side of c. */
static short
conn_sev(const struct conn *c)
{
	short	ev = 0;

	if (c->sfd == -1)
		return 0;
	if (c->st == CS_CONNECTING)
		return POLLOUT;
	if (c->stalled)
		return 0;
	if (!c->seof && c->downlen < DIR_BUF && down_allow(c) > 0)
		ev |= POLLIN;
	if (c->uplen > 0)
		ev |= POLLOUT;
	return ev;
}

/* Write the counters as one line of JSON to fp. */
static void
stats_json(const struct proxy *p, FILE *fp)
{
	uint64_t	total = 0;
	int		i;

	fprintf(fp, "{\"connections\": %" PRIu64 ", \"unreachable\": %"
	    PRIu64 ", \"bytes_up\": %" PRIu64 ", \"bytes_down\": %" PRIu64
	    ", \"open\": %zu, \"faults\": {", p->accepted, p->unreachable,
	    p->bytes_up, p->bytes_down, p->nconns);
	for (i = 1; i < K_COUNT; i++) {
		fprintf(fp, "%s\"%s\": %" PRIu64, i > 1 ? ", " : "",
		    kind_names[i], p->count[i]);
		total += p->count[i];
	}
	fprintf(fp, "}, \"faults_total\": %" PRIu64 ", \"passed\": %" PRIu64
	    "}\n", total, p->count[K_PASS]);
}

/* Parse a non-negative decimal integer; -1 on junk. */
static int
parse_u64(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Run one command line; the answer goes to fp. */
static void
command(struct proxy *p, char *line, FILE *fp)
{
	char		*w[6], *save = NULL, *s, *end;
	size_t		 n = 0;
	uint64_t	 v, t;
	uint32_t	 kinds;
	int64_t		 now = now_ms();
	int		 k;
	double		 prob;

	for (s = strtok_r(line, " \t\r\n", &save); s != NULL && n < 6;
	    s = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = s;
	if (n == 0)
		goto bad;
	if (strcmp(w[0], "stats") == 0 && n == 1) {
		stats_json(p, fp);
		return;
	}
	if (strcmp(w[0], "quit") == 0 && n == 1) {
		p->quit = 1;
		goto ok;
	}
	if (strcmp(w[0], "seed") == 0 && n == 2 && parse_u64(w[1], &v) == 0) {
		p->rng = v;
		goto ok;
	}
	if (strcmp(w[0], "captive") == 0 && n == 2 &&
	    (strcmp(w[1], "on") == 0 || strcmp(w[1], "off") == 0)) {
		p->captive = strcmp(w[1], "on") == 0;
		goto ok;
	}
	if (n == 2 && parse_u64(w[1], &v) == 0 && v <= 3600000) {
		if (strcmp(w[0], "blackhole") == 0) {
			p->blackhole_until = now + (int64_t)v;
			goto ok;
		}
		if (strcmp(w[0], "drop") == 0) {
			p->drop_until = now + (int64_t)v;
			goto ok;
		}
		if (strcmp(w[0], "refuse") == 0) {
			p->refuse_until = now + (int64_t)v;
			if (p->lfd != -1) {
				close(p->lfd);
				p->lfd = -1;
			}
			p->count[K_REFUSE]++;
			goto ok;
		}
	}
	if (strcmp(w[0], "mode") != 0 || n < 2)
		goto bad;
	if (strcmp(w[1], "pass") == 0 && n == 2) {
		p->fixed = K_PASS;
		p->random = 0;
		goto ok;
	}
	if (strcmp(w[1], "fixed") == 0 && n >= 3 && n <= 5) {
		if ((k = kind_by_name(w[2])) == -1 || k == K_REFUSE)
			goto bad;
		v = 0;
		t = 1000;
		if ((n >= 4 && parse_u64(w[3], &v) == -1) ||
		    (n == 5 && parse_u64(w[4], &t) == -1))
			goto bad;
		if (k == K_STALL || k == K_BLACKHOLE) {
			if (n == 4) {	/* "stall T", "blackhole T" */
				t = v;
				v = 1;
			}
		}
		p->fixed = (enum kind)k;
		p->fixed_n = v;
		p->fixed_t = t;
		p->random = 0;
		goto ok;
	}
	if (strcmp(w[1], "random") == 0 && (n == 3 || n == 4)) {
		prob = strtod(w[2], &end);
		if (*end != '\0' || !(prob >= 0.0 && prob <= 1.0))
			goto bad;
		kinds = RANDOM_KINDS;
		if (n == 4) {
			kinds = 0;
			for (s = strtok_r(w[3], ",", &save); s != NULL;
			    s = strtok_r(NULL, ",", &save)) {
				if ((k = kind_by_name(s)) == -1 ||
				    !(RANDOM_KINDS & (1u << k)))
					goto bad;
				kinds |= 1u << k;
			}
		}
		p->fixed = K_PASS;
		p->random = 1;
		p->prob = prob;
		p->kinds = kinds;
		goto ok;
	}
 bad:
	fprintf(fp, "error: bad command\n");
	return;
 ok:
	fprintf(fp, "ok\n");
}

/* Read from control connection x; answer and close once a line is in. */
static void
ctl_io(struct proxy *p, struct ctl *x)
{
	char	 out[1024];
	FILE	*fp;
	ssize_t	 r;
	char	*nl;

	r = read(x->fd, x->line + x->len, sizeof(x->line) - 1 - x->len);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r > 0)
		x->len += (size_t)r;
	x->line[x->len] = '\0';
	nl = strchr(x->line, '\n');
	if (nl == NULL && r > 0 && x->len < sizeof(x->line) - 1)
		return;
	if (nl != NULL)
		*nl = '\0';
	memset(out, 0, sizeof(out));
	if ((fp = fmemopen(out, sizeof(out) - 1, "w")) != NULL) {
		command(p, x->line, fp);
		fclose(fp);
		/* Best effort: the answer is one short line. */
		(void)!write(x->fd, out, strlen(out));
	}
	close(x->fd);
	x->fd = -1;
	x->len = 0;
}

/* Open the control socket at path. */
static int
ctl_open(struct proxy *p, const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0600) == -1 || listen(fd, 8) == -1 ||
	    set_nonblock(fd) == -1) {
		close(fd);
		return -1;
	}
	p->ctlfd = fd;
	snprintf(p->ctlpath, sizeof(p->ctlpath), "%s", path);
	return 0;
}

/* The client form: send one command to path and print the answer. */
static int
ctl_client(const char *path, int argc, char **argv)
{
	struct sockaddr_un	sun;
	char			line[CTL_LINE], buf[1024];
	size_t			len = 0, n;
	ssize_t			r;
	int			fd, i, bad = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return 2;
	strcpy(sun.sun_path, path);
	line[0] = '\0';
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (len + n + 2 >= sizeof(line))
			return 2;
		memcpy(line + len, argv[i], n);
		len += n;
		line[len++] = i + 1 < argc ? ' ' : '\n';
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "faultproxy: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (write(fd, line, len) != (ssize_t)len) {
		fprintf(stderr, "faultproxy: write: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	len = 0;
	while (len < sizeof(buf) - 1 &&
	    (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	close(fd);
	if (len == 0 || strncmp(buf, "error", 5) == 0)
		bad = 1;
	fputs(buf, stdout);
	return bad;
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
	snprintf(captive_page, sizeof(captive_page),
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: close\r\n"
	    "\r\n%s", sizeof(captive_body) - 1, captive_body);
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
