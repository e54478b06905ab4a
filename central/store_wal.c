/*
 * store_wal.c: the central's write-ahead log: making each commit
 * durable, and checkpoints on a thread and a connection of their own.
 *
 * The writer connection runs with synchronous=NORMAL: COMMIT appends
 * the transaction's frames to the WAL and returns without waiting for
 * the disk.  tly_cstore_sync() then fdatasyncs the WAL file; a commit is
 * durable, and may be reported to anyone, only after a sync that began
 * after it returned.  This lets the next group of uploads be applied
 * while the last group's sync runs (ingest.c), instead of the writer
 * waiting for the disk inside COMMIT.  The WAL is only appended, and
 * SQLite's recovery replays it in order up to the first frame that is
 * not whole, so what one sync made durable stays durable.  A WAL
 * restarted after a checkpoint holds nothing that is not already synced
 * into the database file (a checkpoint syncs it before the restart).
 *
 * SQLite's automatic checkpoint runs on the connection that COMMITs,
 * inside the commit: the group-commit writer would copy WAL pages into
 * the database file and fsync it while every upload waits.  Instead the
 * writer's WAL hook only wakes this thread once the WAL holds
 * CKPT_PAGES pages, and the thread runs a PASSIVE checkpoint beside the
 * writer (it never blocks a writer or a reader), and again each time
 * the WAL has grown by as much.  During a long ingest such a checkpoint
 * rarely catches up with the writer, and the WAL would then never start
 * again from its beginning: it grew to 4.7 GB over a national election.
 * So each PASSIVE checkpoint is followed by a RESTART one, which holds
 * up the writer while it copies the few frames added meanwhile and
 * waits for readers to leave the WAL, at most CKPT_WAIT_MS, so that the
 * next commit writes the WAL from its start again; if readers stay, it
 * gives up until the next time.  The file keeps its size (writing over
 * allocated blocks is cheaper than a TRUNCATE checkpoint's new file:
 * the checkpointer took 15 us of CPU per batch instead of 22), and is
 * cut back to TLY_CSTORE_WAL_KEEP when it restarts larger.
 * Only if the thread's checkpoint failed does the writer checkpoint
 * itself, as SQLite would.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"
#include "common/log.h"

#define CKPT_PAGES	16384	/* wake the checkpointer (64 MiB of WAL) */
#define WAL_PATH_MAX	4096	/* the WAL file's path */
#define CKPT_WAIT_MS	20	/* wait for readers to leave the WAL */


/* The checkpointer: its connection, thread and wake-up. */
struct tly_cstore_ckpt {
	sqlite3		*db;		/* its own read-write connection */
	pthread_t	 th;		/* the thread */
	pthread_mutex_t	 mu;		/* guards the fields below */
	pthread_cond_t	 cv;		/* signalled to wake the thread */
	int		 wanted;	/* the WAL passed CKPT_PAGES */
	int		 stopping;	/* the thread should end */
	int		 failed;	/* the last checkpoint failed (logged) */
	int		 mark;		/* WAL pages at the last wake-up */
	atomic_uint_fast64_t *done;	/* the store's count of checkpoints */
};

/* The thread: a PASSIVE checkpoint each time the writer asks for one. */
static void *
ckpt_main(void *arg)
{
	struct tly_cstore_ckpt	*k = arg;
	int			 rc;

	pthread_mutex_lock(&k->mu);
	for (;;) {
		while (!k->wanted && !k->stopping)
			pthread_cond_wait(&k->cv, &k->mu);
		if (k->stopping)
			break;
		k->wanted = 0;
		pthread_mutex_unlock(&k->mu);
		rc = sqlite3_wal_checkpoint_v2(k->db, "main",
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc == SQLITE_OK) {
			atomic_fetch_add(k->done, 1);
			/* The rest, and the WAL back to its start, if quick. */
			if (sqlite3_wal_checkpoint_v2(k->db, "main",
			    SQLITE_CHECKPOINT_RESTART, NULL, NULL) ==
			    SQLITE_OK)
				atomic_fetch_add(k->done, 1);
		}
		pthread_mutex_lock(&k->mu);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY && !k->failed)
			tly_log_warn("store: checkpoint failed: %s (the "
			    "writer checkpoints instead)", sqlite3_errmsg(k->db));
		k->failed = rc != SQLITE_OK && rc != SQLITE_BUSY;
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/*
 * The writer's WAL hook, after each COMMIT with the WAL's size in
 * pages: wake the checkpointer when the WAL has grown by CKPT_PAGES
 * since it last did (or started again), or checkpoint here when the
 * thread's last checkpoint failed.
 */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct tly_cstore_ckpt	*k = arg;
	int			 self;

	if (pages < CKPT_PAGES)
		return SQLITE_OK;
	pthread_mutex_lock(&k->mu);
	if (pages >= k->mark && pages - k->mark < CKPT_PAGES) {
		pthread_mutex_unlock(&k->mu);
		return SQLITE_OK;
	}
	k->mark = pages;
	self = k->failed;
	k->wanted = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	if (self && sqlite3_wal_checkpoint_v2(db, name,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK)
		atomic_fetch_add(k->done, 1);
	return SQLITE_OK;
}

/* ---- Syncs ---------------------------------------------------------------- */

/*
 * Open the WAL file of s for syncing, once (it exists from the first
 * transaction on, while any connection is open), and sync its folder,
 * so that the file itself survives a crash.
 */
static int
wal_open(struct tly_cstore *s)
{
	char	wal[WAL_PATH_MAX], *slash;
	int	fd, dfd;

	if (s->walfd >= 0)
		return TLY_OK;
	if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", s->path) >=
	    sizeof(wal))
		return tly_fail(TLY_E_DB, "%s: path too long", s->path);
	if ((fd = open(wal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return tly_fail(TLY_E_DB, "%s: %s", wal, strerror(errno));
	if ((slash = strrchr(wal, '/')) == NULL)
		snprintf(wal, sizeof(wal), ".");
	else if (slash == wal)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((dfd = open(wal, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) != 0) {
		if (dfd >= 0)
			close(dfd);
		close(fd);
		return tly_fail(TLY_E_DB, "%s: %s", wal, strerror(errno));
	}
	close(dfd);
	s->walfd = fd;
	return TLY_OK;
}

int
tly_cstore_sync(struct tly_cstore *s)
{
	int	r;

	pthread_mutex_lock(&s->walmu);
	r = wal_open(s);
	pthread_mutex_unlock(&s->walmu);
	if (r != TLY_OK)
		return r;
	if (fdatasync(s->walfd) != 0)
		return tly_fail(TLY_E_DB, "%s-wal: sync: %s", s->path,
		    strerror(errno));
	atomic_fetch_add(&s->nsyncs, 1);
	return TLY_OK;
}

/* ---- Checkpoints ---------------------------------------------------------- */

int
tly_cstore_ckpt_start(struct tly_cstore *s, const char *path)
{
	struct tly_cstore_ckpt	*k;
	int			 r;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return TLY_E_NOMEM;
	if (pthread_mutex_init(&k->mu, NULL) != 0) {
		free(k);
		return TLY_E_NOMEM;
	}
	if (pthread_cond_init(&k->cv, NULL) != 0) {
		pthread_mutex_destroy(&k->mu);
		free(k);
		return TLY_E_NOMEM;
	}
	if (sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		r = tly_fail(TLY_E_DB, "%s: %s", path, k->db != NULL ?
		    sqlite3_errmsg(k->db) : "cannot open");
		goto fail;
	}
	/* A TRUNCATE checkpoint holds up the writer this long at most. */
	sqlite3_busy_timeout(k->db, CKPT_WAIT_MS);
	if ((r = tly_cstore_db_exec(k->db, "PRAGMA synchronous = FULL",
	    path)) != TLY_OK)
		goto fail;
	if (pthread_create(&k->th, NULL, ckpt_main, k) != 0) {
		r = tly_fail(TLY_E_NOMEM, "cannot start the checkpointer");
		goto fail;
	}
	(void)pthread_setname_np(k->th, "checkpoint");	/* for top -H */
	k->done = &s->nckpts;
	s->ckpt = k;
	sqlite3_wal_hook(s->w, ckpt_hook, k);
	return TLY_OK;
 fail:
	sqlite3_close(k->db);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
	return r;
}

void
tly_cstore_ckpt_stop(struct tly_cstore *s)
{
	struct tly_cstore_ckpt	*k = s->ckpt;

	if (k == NULL)
		return;
	sqlite3_wal_hook(s->w, NULL, NULL);
	pthread_mutex_lock(&k->mu);
	k->stopping = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->th, NULL);
	sqlite3_close(k->db);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
	s->ckpt = NULL;
}
