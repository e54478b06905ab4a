/*
 * netwatch.c: watch the kernel's routing messages (rtnetlink) and call
 * back when the network may have come back: a link that is up and
 * running, a new address, a new route.  The syncer then retries at once
 * instead of waiting out its backoff.
 *
 * The watcher is a small thread polling the netlink socket and a pipe
 * that stops it.  It never sends anything; it only listens to the
 * multicast groups, which needs no privilege.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "common/err.h"
#include "common/log.h"
#include "daemon/tallyd.h"

#define NW_BUF		8192	/* one read of netlink messages */

/* The watcher thread and its two descriptors. */
struct tly_netwatch {
	pthread_t	 thread;		/* the watcher */
	int		 nl;			/* the rtnetlink socket */
	int		 stop[2];		/* write end stops the thread */
	void		 (*fn)(void *);		/* called on a change */
	void		*arg;			/* its argument */
};

int
tly_netwatch_relevant(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	struct nlmsghdr		 h;
	struct ifinfomsg	 ifi;
	size_t			 step;

	while (len >= sizeof(h)) {
		memcpy(&h, p, sizeof(h));	/* buf need not be aligned */
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
			break;
		switch (h.nlmsg_type) {
		case RTM_NEWADDR:
		case RTM_NEWROUTE:
			return 1;
		case RTM_NEWLINK:
			if (h.nlmsg_len < NLMSG_LENGTH(sizeof(ifi)))
				break;
			memcpy(&ifi, p + NLMSG_HDRLEN, sizeof(ifi));
			/* Only a link that can carry traffic counts. */
			if ((ifi.ifi_flags & IFF_UP) &&
			    (ifi.ifi_flags & IFF_RUNNING))
				return 1;
			break;
		default:
			break;
		}
		if ((step = NLMSG_ALIGN(h.nlmsg_len)) >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

/* The thread: read messages until the stop pipe is written. */
static void *
netwatch_main(void *arg)
{
	struct tly_netwatch	*w = arg;
	struct pollfd		 pfd[2];
	char			 buf[NW_BUF];
	ssize_t			 n;
	int			 changed;

	pfd[0].fd = w->nl;
	pfd[0].events = POLLIN;
	pfd[1].fd = w->stop[0];
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			tly_log_error("netwatch: poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents != 0)
			break;
		changed = 0;
		while ((n = recv(w->nl, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
			if (n < 0) {
				/* Messages were lost: assume a change. */
				if (errno == ENOBUFS)
					changed = 1;
				else if (errno != EINTR)
					break;
				continue;
			}
			changed |= tly_netwatch_relevant(buf, (size_t)n);
		}
		if (changed) {
			tly_log_debug("netwatch: the network changed");
			w->fn(w->arg);
		}
	}
	return NULL;
}

int
tly_netwatch_start(void (*fn)(void *), void *arg, struct tly_netwatch **wp)
{
	struct tly_netwatch	*w;
	struct sockaddr_nl	 sa;
	int			 r;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return TLY_E_NOMEM;
	w->nl = w->stop[0] = w->stop[1] = -1;
	w->fn = fn;
	w->arg = arg;
	if ((w->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) < 0) {
		r = tly_fail(TLY_E_IO, "netlink socket: %s", strerror(errno));
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
	    RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
	if (bind(w->nl, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = tly_fail(TLY_E_IO, "netlink bind: %s", strerror(errno));
		goto fail;
	}
	if (pipe2(w->stop, O_CLOEXEC) != 0) {
		r = tly_fail(TLY_E_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&w->thread, NULL, netwatch_main, w) != 0) {
		r = tly_fail(TLY_E_NOMEM, "cannot start the netwatch thread");
		goto fail;
	}
	*wp = w;
	return TLY_OK;
 fail:
	if (w->nl >= 0)
		close(w->nl);
	if (w->stop[0] >= 0)
		close(w->stop[0]);
	if (w->stop[1] >= 0)
		close(w->stop[1]);
	free(w);
	return r;
}

void
tly_netwatch_stop(struct tly_netwatch *w)
{
	if (w == NULL)
		return;
	(void)!write(w->stop[1], "x", 1);
	pthread_join(w->thread, NULL);
	close(w->nl);
	close(w->stop[0]);
	close(w->stop[1]);
	free(w);
}
