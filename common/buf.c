/*
 * buf.c: bounded byte buffers and durable file writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"

void
tly_buf_init(struct tly_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
tly_buf_free(struct tly_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
tly_buf_reset(struct tly_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* Make room for n more bytes plus the NUL. */
static int
buf_reserve(struct tly_buf *b, size_t n)
{
	size_t	 need, ncap;
	uint8_t	*np;

	if (n > b->max || b->len > b->max - n)
		return tly_fail(TLY_E_TOO_LARGE,
		    "buffer limit of %zu bytes reached", b->max);
	need = b->len + n + 1;
	if (need <= b->cap)
		return TLY_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if ((np = realloc(b->p, ncap)) == NULL)
		return TLY_E_NOMEM;
	b->p = np;
	b->cap = ncap;
	return TLY_OK;
}

int
tly_buf_add(struct tly_buf *b, const void *p, size_t n)
{
	int	r;

	if ((r = buf_reserve(b, n)) != TLY_OK)
		return r;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return TLY_OK;
}

int
tly_buf_addstr(struct tly_buf *b, const char *s)
{
	return tly_buf_add(b, s, strlen(s));
}

int
tly_buf_addf(struct tly_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return TLY_E_INVAL;
	if ((r = buf_reserve(b, (size_t)n)) != TLY_OK)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return TLY_OK;
}

int
tly_buf_add_u8(struct tly_buf *b, uint8_t v)
{
	return tly_buf_add(b, &v, 1);
}

int
tly_buf_add_u32be(struct tly_buf *b, uint32_t v)
{
	uint8_t	 x[4] = {
		(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
		(uint8_t)v
	};

	return tly_buf_add(b, x, sizeof(x));
}

uint32_t
tly_get_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
tly_buf_read_fd(int fd, size_t max, struct tly_buf *b)
{
	uint8_t	 chunk[65536];
	ssize_t	 n;
	int	 r;

	b->max = max;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tly_fail(TLY_E_IO, "read: %s", strerror(errno));
		if (n == 0)
			break;
		if ((r = tly_buf_add(b, chunk, (size_t)n)) != TLY_OK)
			return r;
	}
	/* An empty input still yields a valid, NUL-terminated buffer. */
	return tly_buf_add(b, "", 0);
}

int
tly_buf_read_file(const char *path, size_t max, struct tly_buf *b)
{
	int	 fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tly_fail(TLY_E_IO, "%s: %s", path, strerror(errno));
	r = tly_buf_read_fd(fd, max, b);
	close(fd);
	if (r == TLY_E_TOO_LARGE)
		return tly_fail(r, "%s: larger than %zu bytes", path, max);
	if (r != TLY_OK)
		return tly_fail(r, "%s: %s", path, tly_errdetail());
	return TLY_OK;
}

int
tly_file_write_atomic(const char *path, const void *p, size_t len,
    mode_t mode)
{
	char		 tmp[PATH_MAX], dir[PATH_MAX], *slash;
	const uint8_t	*q = p;
	int		 fd = -1, dfd = -1, r = TLY_E_IO;
	ssize_t		 n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp) || snprintf(dir, sizeof(dir), "%s", path) >=
	    (int)sizeof(dir))
		return tly_fail(TLY_E_INVAL, "%s: path too long", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    mode)) < 0) {
		r = tly_fail(TLY_E_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (len > 0) {
		if ((n = write(fd, q, len)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		q += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return TLY_OK;
 fail:
	r = tly_fail(TLY_E_IO, "%s: %s", path, strerror(errno));
	unlink(tmp);
 out:
	if (fd >= 0)
		close(fd);
	return r;
}
