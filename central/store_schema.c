/*
 * store_schema.c: the central's schema and its migrations, keyed on
 * PRAGMA user_version.
 */
#include <stdio.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"

/*
 * Schema migrations: migrations[i] brings user_version i to i + 1.
 * Never edit a released step; append a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE batches ("
	"  id          BLOB PRIMARY KEY,"	/* batch id (32 bytes) */
	"  device      BLOB NOT NULL,"		/* device key id */
	"  seq         INTEGER NOT NULL,"	/* position in the chain */
	"  bytes       BLOB NOT NULL,"		/* the signed message, exact */
	"  received_at INTEGER NOT NULL,"	/* unix seconds */
	"  receipt     BLOB NOT NULL,"		/* the receipt we issued */
	"  UNIQUE (device, seq));"
	"CREATE TABLE devices ("
	"  device  BLOB PRIMARY KEY,"		/* device key id */
	"  head    INTEGER NOT NULL,"		/* every batch 1..head held */
	"  head_id BLOB NOT NULL);"		/* id of batch head */
	"CREATE TABLE records ("
	"  id           TEXT PRIMARY KEY,"	/* <batch hex>:<index> */
	"  batch        BLOB NOT NULL REFERENCES batches (id),"
	"  device       BLOB NOT NULL,"
	"  seq          INTEGER NOT NULL,"
	"  idx          INTEGER NOT NULL,"	/* index within the batch */
	"  area         TEXT NOT NULL,"
	"  level        TEXT NOT NULL,"
	"  constituency TEXT NOT NULL,"
	"  round        INTEGER NOT NULL,"
	"  registered   INTEGER NOT NULL,"	/* R */
	"  voted        INTEGER NOT NULL,"	/* T */
	"  issued       INTEGER NOT NULL,"	/* I */
	"  received     INTEGER NOT NULL,"	/* B */
	"  valid        INTEGER NOT NULL,"	/* W */
	"  invalid      INTEGER NOT NULL);"	/* X */
	"CREATE INDEX records_current ON records"
	"  (area, level, round, device, seq, idx);"
	"CREATE TABLE votes ("
	"  record    TEXT NOT NULL REFERENCES records (id),"
	"  candidate TEXT NOT NULL,"
	"  votes     INTEGER NOT NULL,"
	"  PRIMARY KEY (record, candidate)) WITHOUT ROWID;"
	"CREATE TABLE rejections ("
	"  id      INTEGER PRIMARY KEY,"
	"  at      INTEGER NOT NULL,"		/* unix seconds */
	"  entry   INTEGER NOT NULL,"		/* index in the request */
	"  code    TEXT NOT NULL,"		/* PROTOCOL.md 8.6 code */
	"  message TEXT NOT NULL,"
	"  batch   BLOB,"			/* batch id if the envelope parsed */
	"  bytes   BLOB NOT NULL);"		/* the entry as received */
	"CREATE TRIGGER batches_no_update BEFORE UPDATE ON batches"
	"  BEGIN SELECT RAISE(ABORT, 'batches are immutable'); END;"
	"CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches"
	"  BEGIN SELECT RAISE(ABORT, 'batches are immutable'); END;"
	"CREATE TRIGGER records_no_update BEFORE UPDATE ON records"
	"  BEGIN SELECT RAISE(ABORT, 'records are immutable'); END;"
	"CREATE TRIGGER records_no_delete BEFORE DELETE ON records"
	"  BEGIN SELECT RAISE(ABORT, 'records are immutable'); END;"
	"CREATE TRIGGER rejections_no_update BEFORE UPDATE ON rejections"
	"  BEGIN SELECT RAISE(ABORT, 'rejections are immutable'); END;",
	/*
	 * 1 -> 2: merge rules (PROTOCOL.md 12).  batches loses UNIQUE
	 * (device, seq) and gains its feed position and prev; the tables
	 * derived from batch bytes are rebuilt at open ("rebuild" in meta).
	 */
	"CREATE TABLE batches2 ("
	"  pos         INTEGER PRIMARY KEY,"	/* feed position, 1.. */
	"  id          BLOB NOT NULL UNIQUE,"	/* batch id (32 bytes) */
	"  device      BLOB NOT NULL,"		/* device key id */
	"  seq         INTEGER NOT NULL,"	/* position in the chain */
	"  prev        BLOB NOT NULL,"		/* the batch's prev */
	"  bytes       BLOB NOT NULL,"		/* the signed message, exact */
	"  received_at INTEGER NOT NULL,"	/* unix seconds */
	"  receipt     BLOB NOT NULL);"		/* the receipt we issued */
	"INSERT INTO batches2 (id, device, seq, prev, bytes, received_at,"
	"  receipt) SELECT b.id, b.device, b.seq, coalesce((SELECT p.id"
	"  FROM batches AS p WHERE p.device = b.device AND"
	"  p.seq = b.seq - 1), zeroblob(32)), b.bytes, b.received_at,"
	"  b.receipt FROM batches AS b ORDER BY b.rowid;"
	"DROP TABLE votes;"
	"DROP TABLE records;"
	"DROP TABLE devices;"
	"DROP TABLE batches;"
	"ALTER TABLE batches2 RENAME TO batches;"
	"CREATE INDEX batches_device ON batches (device, seq, id);"
	"CREATE TRIGGER batches_no_update BEFORE UPDATE ON batches"
	"  BEGIN SELECT RAISE(ABORT, 'batches are immutable'); END;"
	"CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches"
	"  BEGIN SELECT RAISE(ABORT, 'batches are immutable'); END;"
	/* Derived from the batches (and kept): recomputed, never trusted. */
	"CREATE TABLE devices ("
	"  device     BLOB PRIMARY KEY,"	/* device key id */
	"  head       INTEGER NOT NULL,"	/* every seq 1..head held */
	"  head_id    BLOB NOT NULL,"		/* batch at head (8.2) */
	"  applied    INTEGER NOT NULL,"	/* applied chain length */
	"  applied_id BLOB NOT NULL,"		/* its last batch, or zeros */
	"  frozen     INTEGER NOT NULL);"	/* freeze seq, 0: none */
	"CREATE TABLE chain ("			/* the applied chains */
	"  device BLOB NOT NULL,"
	"  seq    INTEGER NOT NULL,"
	"  batch  BLOB NOT NULL,"
	"  PRIMARY KEY (device, seq)) WITHOUT ROWID;"
	"CREATE TABLE records ("			/* of every held batch */
	"  id           TEXT PRIMARY KEY,"	/* <batch hex>:<index> */
	"  batch        BLOB NOT NULL,"
	"  device       BLOB NOT NULL,"
	"  seq          INTEGER NOT NULL,"
	"  idx          INTEGER NOT NULL,"	/* index within the batch */
	"  area         TEXT NOT NULL,"
	"  level        TEXT NOT NULL,"
	"  constituency TEXT NOT NULL,"
	"  round        INTEGER NOT NULL,"
	"  counts       TEXT NOT NULL,"		/* counts string (12.1) */
	"  body         TEXT NOT NULL);"	/* record JSON, canonical order */
	"CREATE INDEX records_batch ON records (device, seq, batch);"
	"CREATE TABLE votes ("
	"  record    TEXT NOT NULL,"
	"  candidate TEXT NOT NULL,"
	"  votes     INTEGER NOT NULL,"
	"  PRIMARY KEY (record, candidate)) WITHOUT ROWID;"
	"CREATE TABLE supersedes ("		/* explicit supersedes */
	"  record TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  PRIMARY KEY (record, target)) WITHOUT ROWID;"
	"CREATE TABLE evidence ("		/* equivocation proofs */
	"  device   BLOB NOT NULL,"
	"  seq      INTEGER NOT NULL,"
	"  kind     TEXT NOT NULL,"		/* same_seq, prev_mismatch */
	"  a        BLOB NOT NULL,"
	"  b        BLOB NOT NULL,"
	"  resolved INTEGER NOT NULL,"
	"  PRIMARY KEY (device, seq, a, b)) WITHOUT ROWID;"
	/* Operators' unfreeze decisions: kept for ever. */
	"CREATE TABLE kept ("
	"  batch  BLOB PRIMARY KEY,"
	"  device BLOB NOT NULL,"
	"  seq    INTEGER NOT NULL,"
	"  at     INTEGER NOT NULL);"
	"CREATE TRIGGER kept_no_update BEFORE UPDATE ON kept"
	"  BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;"
	"CREATE TRIGGER kept_no_delete BEFORE DELETE ON kept"
	"  BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;"
	"CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT INTO meta VALUES ('generation', 1), ('rebuild', 1);",
	/*
	 * 2 -> 3: the rejection log is deduplicated by bytes and bounded
	 * per source (tly_cstore_reject).  Only the counters of a row
	 * change.
	 */
	"ALTER TABLE rejections ADD COLUMN hash BLOB;"	/* BLAKE2b of bytes */
	"ALTER TABLE rejections ADD COLUMN source BLOB NOT NULL DEFAULT x'';"
	"ALTER TABLE rejections ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE rejections ADD COLUMN last_at INTEGER;"
	"DROP TRIGGER rejections_no_update;"
	"CREATE TRIGGER rejections_no_update BEFORE UPDATE OF id, at, entry,"
	"  code, message, batch, bytes, hash, source ON rejections"
	"  BEGIN SELECT RAISE(ABORT, 'rejections are immutable'); END;"
	"CREATE UNIQUE INDEX rejections_hash ON rejections (hash);"
	"CREATE INDEX rejections_source ON rejections (source);"
	"CREATE TABLE rejections_dropped ("	/* beyond the bound */
	"  source  BLOB PRIMARY KEY,"
	"  n       INTEGER NOT NULL,"
	"  last_at INTEGER NOT NULL);",
	/* 3 -> 4: the trust objects of POST /v1/trust (PROTOCOL.md 8.11). */
	"CREATE TABLE trust ("
	"  pos   INTEGER PRIMARY KEY,"		/* arrival order */
	"  id    BLOB NOT NULL UNIQUE,"		/* BLAKE2b-256 of bytes */
	"  bytes BLOB NOT NULL,"		/* the signed object, exact */
	"  at    INTEGER NOT NULL);"		/* unix seconds */
	"CREATE TRIGGER trust_no_update BEFORE UPDATE ON trust"
	"  BEGIN SELECT RAISE(ABORT, 'trust objects are immutable'); END;"
	"CREATE TRIGGER trust_no_delete BEFORE DELETE ON trust"
	"  BEGIN SELECT RAISE(ABORT, 'trust objects are immutable'); END;",
	/*
	 * 4 -> 5: signed decisions (PROTOCOL.md 13.6), in the audit feed
	 * beside the batches: one sequence of positions for both.
	 */
	"CREATE TABLE decisions ("
	"  pos         INTEGER PRIMARY KEY,"	/* feed position */
	"  id          BLOB NOT NULL UNIQUE,"	/* BLAKE2b-256 of bytes */
	"  kind        TEXT NOT NULL,"		/* unfreeze, resolve */
	"  signer      BLOB NOT NULL,"		/* the adjudicator's key */
	"  device      BLOB,"			/* unfreeze: the device */
	"  batch       BLOB,"			/* unfreeze: the batch kept */
	"  seq         INTEGER,"		/* unfreeze: its seq */
	"  area        TEXT,"			/* resolve: the record key */
	"  level       TEXT,"
	"  round       INTEGER,"
	"  record      TEXT,"			/* resolve: the record chosen */
	"  issued      INTEGER NOT NULL,"	/* the signer's claim */
	"  bytes       BLOB NOT NULL,"		/* the signed message, exact */
	"  received_at INTEGER NOT NULL);"	/* unix seconds */
	"CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions"
	"  BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;"
	"CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions"
	"  BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;",
	/*
	 * 5 -> 6: the heads a resolve decision chose among (PROTOCOL.md
	 * 13.6 over): record ids joined by single spaces; NULL when it
	 * names none (it then never counts, 12.4).
	 */
	"ALTER TABLE decisions ADD COLUMN over TEXT;",
	/*
	 * 6 -> 7: the decision receipt (PROTOCOL.md 6.1) whose stored time
	 * the decision was judged at; NULL for decisions taken before.
	 */
	"ALTER TABLE decisions ADD COLUMN receipt BLOB;",
	/*
	 * 7 -> 8: the votes table repeated each record's counts string,
	 * and nothing read it; dropping it spares the writer a row per
	 * candidate per record.
	 */
	"DROP TABLE votes;",
	/*
	 * 8 -> 9: the records of one key (PROTOCOL.md 12.4), so that the
	 * heads of the keys a commit changed are read without a scan.
	 */
	"CREATE INDEX records_key ON records (area, level, round);",
	/*
	 * 9 -> 10: the supersedes naming a record as their target, so
	 * that the keys an explicit supersede links (PROTOCOL.md 12.4)
	 * are found without a scan.
	 */
	"CREATE INDEX supersedes_target ON supersedes (target);",
};

#define NMIGRATIONS	(sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == TLY_CSTORE_VERSION,
    "one migration per schema version");

/* Read PRAGMA user_version. */
int
tly_cstore_schema_version(sqlite3 *db, int *v)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	*v = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK) {
		r = tly_cstore_db_fail(db, "user_version");
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = tly_cstore_db_fail(db, "user_version");
		goto out;
	}
	*v = sqlite3_column_int(st, 0);
	r = TLY_OK;
 out:
	sqlite3_finalize(st);
	return r;
}
/* Bring the schema of db up to TLY_CSTORE_VERSION, in one transaction. */
int
tly_cstore_migrate(sqlite3 *db, const char *path)
{
	char	 sql[64];
	int	 v, r;
	size_t	 i;

	if ((r = tly_cstore_db_exec(db, "BEGIN IMMEDIATE", "migrate")) !=
	    TLY_OK)
		return r;
	if ((r = tly_cstore_schema_version(db, &v)) != TLY_OK)
		goto out;
	if (v < 0 || v > TLY_CSTORE_VERSION) {
		r = tly_fail(TLY_E_VERSION, "%s: schema version %d is newer "
		    "than this program's %d", path, v, TLY_CSTORE_VERSION);
		goto out;
	}
	for (i = (size_t)v; i < NMIGRATIONS; i++) {
		if ((r = tly_cstore_db_exec(db, migrations[i], "migrate")) !=
		    TLY_OK)
			goto out;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if ((r = tly_cstore_db_exec(db, sql, "migrate")) != TLY_OK)
			goto out;
	}
	r = tly_cstore_db_exec(db, "COMMIT", "migrate");
 out:
	if (r != TLY_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}
