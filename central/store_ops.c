/*
 * store_ops.c: operating the central's store: the counts /metrics
 * reports and the online backup (tally-central backup).  Above store_conn.c,
 * beside store_read.c: it uses the reader connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "central/storeInt.h"
#include "common/err.h"

#define BACKUP_PAGES	1024	/* pages copied per backup step */
#define BACKUP_TRIES	600	/* busy steps before giving up (~60 s) */

/* One query of the counts: its SQL and where its columns go. */
struct ops_query {
	const char	*sql;
	size_t		 off[2];	/* offsets in the struct, or SIZE_MAX */
};

#define M(f)	offsetof(struct tly_cstore_metrics, f)

static const struct ops_query ops_queries[] = {
	{ "SELECT count(*) FROM batches", { M(batches), SIZE_MAX } },
	{ "SELECT max((SELECT coalesce(max(pos), 0) FROM batches),"
	    " (SELECT coalesce(max(pos), 0) FROM decisions))",
	    { M(feed_pos), SIZE_MAX } },
	{ "SELECT count(*) FROM chain", { M(applied), SIZE_MAX } },
	{ "SELECT count(*), coalesce(sum(frozen > 0), 0) FROM devices",
	    { M(devices), M(frozen) } },
	{ "SELECT count(*) FROM evidence", { M(evidence), SIZE_MAX } },
	{ "SELECT count(*) FROM rejections", { M(rejections), SIZE_MAX } },
	{ "SELECT page_count * page_size FROM pragma_page_count(),"
	    " pragma_page_size()", { M(bytes), SIZE_MAX } },
};

#undef M

/* Run one query of ops_queries on db into m. */
static int
ops_query(sqlite3 *db, const struct ops_query *q,
    struct tly_cstore_metrics *m)
{
	sqlite3_stmt	*st = NULL;
	int		 i, rc, r = TLY_OK;

	if (sqlite3_prepare_v2(db, q->sql, -1, &st, NULL) != SQLITE_OK)
		return tly_cstore_db_fail(db, "metrics");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		for (i = 0; i < 2; i++)
			if (q->off[i] != SIZE_MAX)
				*(uint64_t *)((char *)m + q->off[i]) =
				    tly_cstore_col_u64(st, i);
	} else if (rc != SQLITE_DONE)
		r = tly_cstore_db_fail(db, "metrics");
	sqlite3_finalize(st);
	return r;
}

int
tly_cstore_metrics(struct tly_cstore *s, struct tly_cstore_metrics *m)
{
	size_t	i;
	int	r;

	memset(m, 0, sizeof(*m));
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		return r;
	if ((r = tly_cstore_st_exec(s->r, s->rs[R_BEGIN], "begin read")) !=
	    TLY_OK)
		goto out;
	for (i = 0; i < sizeof(ops_queries) / sizeof(ops_queries[0]) &&
	    r == TLY_OK; i++)
		r = ops_query(s->r, &ops_queries[i], m);
	tly_cstore_st_exec(s->r, s->rs[R_END], "end read");
	m->syncs = atomic_load(&s->nsyncs);
	m->checkpoints = atomic_load(&s->nckpts);
 out:
	pthread_mutex_unlock(&s->rlock);
	return r;
}

int
tly_cstore_backup(struct tly_cstore *s, const char *out)
{
	sqlite3		*dst = NULL;
	sqlite3_backup	*b;
	int		 fd, rc, tries = 0, r = TLY_OK, made = 0;

	/* Never overwrite: a backup target that exists is refused. */
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return tly_fail(errno == EEXIST ? TLY_E_CONFIG : TLY_E_IO,
		    "backup %s: %s", out, strerror(errno));
	close(fd);
	made = 1;
	if (sqlite3_open_v2(out, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		r = tly_fail(TLY_E_DB, "backup %s: %s", out,
		    dst != NULL ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if ((r = tly_cstore_lock(&s->rlock)) != TLY_OK)
		goto out;
	/* The reader sees committed state only: a consistent snapshot. */
	if ((b = sqlite3_backup_init(dst, "main", s->r, "main")) == NULL) {
		r = tly_fail(TLY_E_DB, "backup %s: %s", out,
		    sqlite3_errmsg(dst));
		pthread_mutex_unlock(&s->rlock);
		goto out;
	}
	do {
		rc = sqlite3_backup_step(b, BACKUP_PAGES);
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
		    ++tries < BACKUP_TRIES)
			sqlite3_sleep(100);
	} while (rc == SQLITE_OK || ((rc == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED) && tries < BACKUP_TRIES));
	if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE)
		r = tly_fail(TLY_E_DB, "backup %s: %s", out,
		    sqlite3_errstr(rc));
	pthread_mutex_unlock(&s->rlock);
	/* The copy must reach the disk before it is called a backup. */
	if (r == TLY_OK && sqlite3_exec(dst, "PRAGMA journal_mode=DELETE",
	    NULL, NULL, NULL) != SQLITE_OK)
		r = tly_cstore_db_fail(dst, "backup");
 out:
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && r == TLY_OK)
		r = tly_fail(TLY_E_DB, "backup %s: close", out);
	if (r == TLY_OK && (fd = open(out, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (fsync(fd) != 0)
			r = tly_fail(TLY_E_IO, "backup %s: fsync: %s", out,
			    strerror(errno));
		close(fd);
	}
	if (r != TLY_OK && made)
		unlink(out);
	return r;
}
