/*
 * faultproxy.h: a TCP proxy that injects network faults, for tests;
 * what its files share.  main.c: options, readiness, the poll loop and
 * shutdown; faults.c: choosing and applying the faults, the seeded random
 * choice, the counters and the forwarding of bytes; control.c: the
 * command channel on a Unix socket, the client form and the stats JSON;
 * util.c: the clock and non-blocking descriptors they all use.  main.c
 * calls control.c and faults.c, control.c calls faults.c, and all three
 * call util.c, nothing calls back.  Nothing outside this folder
 * includes this.
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
#ifndef FAULTPROXY_H
#define FAULTPROXY_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
extern const char *const kind_names[];

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

/* util.c */

/* Milliseconds on the monotonic clock. */
int64_t	now_ms(void);
/* Make fd non-blocking and close-on-exec; -1 on failure. */
int	set_nonblock(int fd);

/* faults.c */

/* Put the captive portal's head in front of its page; once, at start. */
void	captive_init(void);
/* Kind by name, or -1. */
int	kind_by_name(const char *s);
/* Close and free the connection in slot i. */
void	conn_close(struct proxy *p, size_t i);
/* Accept new connections while there is room. */
void	do_accept(struct proxy *p, int64_t now);
/*
 * Move bytes for one connection after poll; returns 0 to keep it, -1 to
 * close it.  rev_c and rev_s are the poll results of the two sides.
 */
int	conn_io(struct proxy *p, struct conn *c, short rev_c, short rev_s,
	    int64_t now);
/* Poll events wanted on the client side of c. */
short	conn_cev(const struct conn *c);
/* Poll events wanted on the target side of c. */
short	conn_sev(const struct conn *c);

/* control.c */

/* Write the counters as one line of JSON to fp. */
void	stats_json(const struct proxy *p, FILE *fp);
/* Parse a non-negative decimal integer; -1 on junk. */
int	parse_u64(const char *s, uint64_t *out);
/* Run one command line; the answer goes to fp. */
void	command(struct proxy *p, char *line, FILE *fp);
/* Read from control connection x; answer and close once a line is in. */
void	ctl_io(struct proxy *p, struct ctl *x);
/* Open the control socket at path. */
int	ctl_open(struct proxy *p, const char *path);
/* The client form: send one command to path and print the answer. */
int	ctl_client(const char *path, int argc, char **argv);

#endif /* FAULTPROXY_H */
