/*
 * store_photo.c: the central's photos of paper records (PROTOCOL.md
 * 8.12): whether a stored record names a photo, and the photo files
 * themselves, under <datadir>/photos/: "<hash>.part" while it arrives,
 * renamed to "<hash>" once whole and its BLAKE2b-256 checked.  Every
 * write is fsync'd (the file, and the directory on a rename) before it
 * is answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "central/store.h"
#include "central/storeInt.h"

int
tly_cstore_photo_named(struct tly_cstore *s, const char *hex, int *named)
{
	sqlite3_stmt	*st = NULL;
	char		 needle[TLY_HEX_HASH + 16];
	int		 r, rc;

	*named = 0;
	snprintf(needle, sizeof(needle), "\"photo\":\"%s\"", hex);
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if (sqlite3_prepare_v2(s->r, "SELECT 1 FROM records WHERE "
	    "instr(body, ?1) > 0 LIMIT 1", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, needle, -1, SQLITE_TRANSIENT) !=
	    SQLITE_OK) {
		r = tly_cstore_db_fail(s->r, "photo lookup");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*named = 1;
	else if (rc != SQLITE_DONE)
		r = tly_cstore_db_fail(s->r, "photo lookup");
 out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->rlock);
	return r;
}

/* path = dir/photos/hex + suffix */
static int
photo_path(const char *dir, const char *hex, const char *suffix,
    char *path, size_t size)
{
	if ((size_t)snprintf(path, size, "%s/photos/%s%s", dir, hex,
	    suffix) >= size)
		return tly_fail(TLY_E_CONFIG, "data directory path too long");
	return TLY_OK;
}

int
tly_cphoto_state(const char *dir, const char *hex, uint64_t *stored,
    int *complete)
{
	char		path[4096];
	struct stat	sb;
	int		r;

	*stored = 0;
	*complete = 0;
	if ((r = photo_path(dir, hex, "", path, sizeof(path))) != TLY_OK)
		return r;
	if (stat(path, &sb) == 0) {
		*stored = (uint64_t)sb.st_size;
		*complete = 1;
		return TLY_OK;
	}
	if ((r = photo_path(dir, hex, ".part", path, sizeof(path))) != TLY_OK)
		return r;
	if (stat(path, &sb) == 0)
		*stored = (uint64_t)sb.st_size;
	return TLY_OK;
}

int
tly_cphoto_read(const char *dir, const char *hex, struct tly_buf *out)
{
	char		path[4096];
	struct stat	sb;
	int		r;

	if ((r = photo_path(dir, hex, "", path, sizeof(path))) != TLY_OK)
		return r;
	if (stat(path, &sb) != 0)
		return errno == ENOENT ? tly_fail(TLY_E_NOTFOUND, "no such "
		    "photo") : tly_fail(TLY_E_IO, "%s: %s", path,
		    strerror(errno));
	return tly_buf_read_file(path, TLY_CPHOTO_MAX, out);
}

/* fsync the directory dir/photos. */
static int
photo_sync_dir(const char *dir)
{
	char	path[4096];
	int	fd, r = TLY_OK;

	snprintf(path, sizeof(path), "%s/photos", dir);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY)) < 0)
		return tly_fail(TLY_E_IO, "%s: %s", path, strerror(errno));
	if (fsync(fd) != 0)
		r = tly_fail(TLY_E_IO, "%s: fsync: %s", path, strerror(errno));
	close(fd);
	return r;
}

int
tly_cphoto_append(const char *dir, const char *hex,
    const uint8_t hash[TLY_HASH_LEN], uint64_t off, const void *p,
    size_t n, uint64_t total, uint64_t *stored, int *complete)
{
	struct tly_buf	 all = TLY_BUF_INIT(TLY_CPHOTO_MAX);
	char		 part[4096], done[4096], sub[4096];
	uint8_t		 got[TLY_HASH_LEN];
	struct stat	 sb;
	int		 fd = -1, r;

	if ((r = tly_cphoto_state(dir, hex, stored, complete)) != TLY_OK ||
	    *complete)
		return r;
	if (off != *stored)
		return tly_fail(TLY_E_INVAL, "the next byte is %llu",
		    (unsigned long long)*stored);
	snprintf(sub, sizeof(sub), "%s/photos", dir);
	if (mkdir(sub, 0700) != 0 && errno != EEXIST)
		return tly_fail(TLY_E_IO, "%s: %s", sub, strerror(errno));
	if ((r = photo_path(dir, hex, ".part", part, sizeof(part))) != TLY_OK ||
	    (r = photo_path(dir, hex, "", done, sizeof(done))) != TLY_OK)
		return r;
	if ((fd = open(part, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0 ||
	    fstat(fd, &sb) != 0) {
		r = tly_fail(TLY_E_IO, "%s: %s", part, strerror(errno));
		goto out;
	}
	if ((uint64_t)sb.st_size != off) {
		r = tly_fail(TLY_E_INVAL, "the next byte is %llu",
		    (unsigned long long)sb.st_size);
		goto out;
	}
	if (write(fd, p, n) != (ssize_t)n || fsync(fd) != 0) {
		r = tly_fail(TLY_E_IO, "%s: %s", part, strerror(errno));
		if (ftruncate(fd, (off_t)off) != 0) {
			/* The part stays longer: the next PUT is refused
			 * with its length, and the hash check at the end
			 * refuses a damaged photo. */
		}
		goto out;
	}
	*stored = off + n;
	if (*stored < total) {
		r = photo_sync_dir(dir);
		goto out;
	}
	if ((r = tly_buf_read_file(part, TLY_CPHOTO_MAX, &all)) != TLY_OK)
		goto out;
	tly_hash(all.p, all.len, got);
	if (memcmp(got, hash, TLY_HASH_LEN) != 0) {
		(void)unlink(part);
		*stored = 0;
		*complete = -1;
		r = photo_sync_dir(dir);
		goto out;
	}
	if (rename(part, done) != 0) {
		r = tly_fail(TLY_E_IO, "%s: %s", done, strerror(errno));
		goto out;
	}
	*complete = 1;
	r = photo_sync_dir(dir);
 out:
	if (fd >= 0)
		close(fd);
	tly_buf_free(&all);
	return r;
}
