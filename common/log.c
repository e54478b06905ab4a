/*
 * log.c: timestamped logging to stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char		*log_prog = "tally";
static enum tly_log_level	 log_level = TLY_LOG_INFO;

void
tly_log_init(const char *progname, enum tly_log_level level)
{
	log_prog = progname;
	log_level = level;
}

void
tly_log(enum tly_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char		 line[2048], ts[32];
	struct tm	 tm;
	time_t		 now;
	va_list		 ap;
	int		 n;

	if (level > log_level)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: ", ts, log_prog,
	    (long)getpid(), names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so concurrent threads do not interleave. */
	n = (int)strlen(line);
	if ((size_t)n < sizeof(line) - 1)
		line[n++] = '\n';
	else
		line[n - 1] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

char *
tly_log_escape(const void *in, size_t inlen, char *out, size_t outlen)
{
	const unsigned char	*p = in;
	size_t			 i, n, o = 0;
	int			 trunc = 0;
	char			 tmp[5];

	if (outlen == 0)
		return out;
	for (i = 0; i < inlen; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			tmp[0] = (char)p[i];
			n = 1;
		} else
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
		/* Keep room for "..." and the NUL after any character. */
		if (o + n + 4 > outlen) {
			trunc = 1;
			break;
		}
		memcpy(out + o, tmp, n);
		o += n;
	}
	if (trunc && o + 4 <= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
