/*
 * buf.h: bounded dynamic byte buffers and whole-file I/O.
 *
 * Every buffer has a hard cap (max) set at init; appending past it fails
 * with TLY_E_TOO_LARGE and leaves the buffer as it was.  The bytes are
 * always followed by a NUL (not counted in len) so text can be used as a
 * C string.
 */
#ifndef TLY_BUF_H
#define TLY_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tly_buf {
	uint8_t	*p;	/* the bytes; NULL until the first append */
	size_t	 len;	/* bytes in use */
	size_t	 cap;	/* bytes allocated (> len when p != NULL) */
	size_t	 max;	/* hard cap on len */
};

#define TLY_BUF_INIT(m)	{ NULL, 0, 0, (m) }

/* Prepare caller storage; no allocation happens until an append. */
void	tly_buf_init(struct tly_buf *b, size_t max);
/* Release the bytes; b may be reused after tly_buf_init().  NULL-safe. */
void	tly_buf_free(struct tly_buf *b);
/* Set len to 0, keeping the allocation. */
void	tly_buf_reset(struct tly_buf *b);

int	tly_buf_add(struct tly_buf *b, const void *p, size_t n);
int	tly_buf_addstr(struct tly_buf *b, const char *s);
int	tly_buf_addf(struct tly_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	tly_buf_add_u8(struct tly_buf *b, uint8_t v);
int	tly_buf_add_u32be(struct tly_buf *b, uint32_t v);

/* Read big-endian integers from p (caller checks bounds). */
uint32_t	tly_get_u32be(const uint8_t *p);

/*
 * Read a whole file (or fd until EOF) into b, which must be empty.
 * More than max bytes fails with TLY_E_TOO_LARGE naming the file.
 */
int	tly_buf_read_file(const char *path, size_t max, struct tly_buf *b);
int	tly_buf_read_fd(int fd, size_t max, struct tly_buf *b);

/*
 * Write p[0..len) to path durably: a temp file in the same directory,
 * fsync, rename, fsync of the directory.  The file gets mode (umask
 * ignored).  Nothing is left behind on failure.
 */
int	tly_file_write_atomic(const char *path, const void *p, size_t len,
	    mode_t mode);

#endif /* TLY_BUF_H */
