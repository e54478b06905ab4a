/*
 * faults.c: the fault proxy's faults: choosing one for each new
 * connection (from the fixed or the seeded random mode and the link-wide
 * blackhole, drop and captive windows), applying it while bytes are
 * forwarded, and counting it when it takes effect.
 */

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tools/faultproxy/faultproxy.h"

/* Names of the kinds, as in commands and in the stats JSON. */
const char *const kind_names[K_COUNT] = {
	"pass", "cut_request", "cut_response", "stall", "reset",
	"blackhole", "captive", "drop", "refuse"
};

/* The captive portal's page; the head is put in front at start. */
static const char captive_body[] =
    "<!DOCTYPE html>\n<html><head><title>Welcome</title></head>"
    "<body><p>Please accept the terms to continue.</p></body></html>\n";

/* The captive portal's whole answer, head and page. */
static char captive_page[512];

/* Put the captive portal's head in front of its page; once, at start. */
void
captive_init(void)
{
	snprintf(captive_page, sizeof(captive_page),
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: close\r\n"
	    "\r\n%s", sizeof(captive_body) - 1, captive_body);
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

/* Kind by name, or -1. */
int
kind_by_name(const char *s)
{
	int	i;

	for (i = 0; i < K_COUNT; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return i;
	return -1;
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
void
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
void
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
int
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
short
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
short
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
