/*
 * log.c: timestamped logging to stderr, or sd-daemon(3) "<N>" priority
 * prefixes when stderr is the systemd journal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

static const char		*log_prog = "tally";
static enum tly_log_level	 log_level = TLY_LOG_INFO;
static int			 log_journal;	/* stderr is the journal */

int
tly_log_journal_stream(const char *env, int fd)
{
	unsigned long long	dev, ino;
	struct stat		st;
	char			tail;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino,
	    &tail) != 2)
		return 0;
	if (fstat(fd, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
tly_log_init(const char *progname, enum tly_log_level level)
{
	log_prog = progname;
	log_level = level;
	log_journal = tly_log_journal_stream(getenv("JOURNAL_STREAM"),
	    STDERR_FILENO);
}

void
tly_log(enum tly_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	/* syslog(3) priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
	static const int prio[] = { 3, 4, 6, 7 };
	char		 line[2048], ts[32];
	struct tm	 tm;
	time_t		 now;
	va_list		 ap;
	int		 n;

	if (level > log_level)
		return;
	if (log_journal)	/* the journal stamps time, name and pid */
		n = snprintf(line, sizeof(line), "<%d>%s: ", prio[level],
		    names[level]);
	else {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: ", ts,
		    log_prog, (long)getpid(), names[level]);
	}
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

void
tly_log_answer(const char *what, int r)
{
	if (r == TLY_OK || r == TLY_E_BUSY)
		return;
	tly_log_error("%s: %s: %s", what, tly_strerror(r), tly_errdetail());
}
