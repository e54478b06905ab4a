/*
 * log.h: logging to stderr for the binaries.  Library modules never log.
 *
 * Lines look like "2026-11-21T14:02:00Z tallyd[123]: warn: message".
 * When stderr is the systemd journal ($JOURNAL_STREAM names it), lines
 * are "<4>warn: message" instead: the sd-daemon(3) priority prefix that
 * journald turns into the entry's PRIORITY (3 error, 4 warn, 6 info,
 * 7 debug), without the time, name and pid the journal records itself.
 * Anything a peer sent must go through tly_log_escape() first.
 */
#ifndef TLY_LOG_H
#define TLY_LOG_H

#include <stddef.h>

enum tly_log_level { TLY_LOG_ERROR, TLY_LOG_WARN, TLY_LOG_INFO, TLY_LOG_DEBUG };

/*
 * Set the program name (copied pointer, must outlive logging) and level,
 * and choose the journal format when $JOURNAL_STREAM is stderr.
 */
void	tly_log_init(const char *progname, enum tly_log_level level);

/*
 * 1 if env (the value of $JOURNAL_STREAM, "DEV:INODE", or NULL) names
 * the file open on fd, as systemd sets it for a service's stderr; else 0.
 */
int	tly_log_journal_stream(const char *env, int fd);

void	tly_log(enum tly_log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define tly_log_error(...)	tly_log(TLY_LOG_ERROR, __VA_ARGS__)
#define tly_log_warn(...)	tly_log(TLY_LOG_WARN, __VA_ARGS__)
#define tly_log_info(...)	tly_log(TLY_LOG_INFO, __VA_ARGS__)
#define tly_log_debug(...)	tly_log(TLY_LOG_DEBUG, __VA_ARGS__)

/*
 * Log the failure r of an HTTP answer about what (e.g. what
 * tly_http_resp_finish() returned): nothing for TLY_OK, nor for
 * TLY_E_BUSY (answered 503, the client retries); else an error line
 * with tly_strerror(r) and the thread's detail.
 */
void	tly_log_answer(const char *what, int r);

/*
 * Copy in[0..inlen) to out as printable ASCII: bytes outside 0x20..0x7e
 * become \xNN.  Always NUL-terminates (outlen > 0); truncates with "..."
 * when out is too small.  Returns out.
 */
char	*tly_log_escape(const void *in, size_t inlen, char *out, size_t outlen);

#endif /* TLY_LOG_H */
