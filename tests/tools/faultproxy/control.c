/*
 * control.c: the fault proxy's command channel: commands read one line
 * at a time from the Unix socket, the client form (-c PATH COMMAND...)
 * that sends one and prints the answer, and the counters as JSON.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tools/faultproxy/faultproxy.h"

/* Write the counters as one line of JSON to fp. */
void
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
int
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
void
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
void
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
int
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
int
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
