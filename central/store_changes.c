/*
 * store_changes.c: what the writer changed, kept in memory, so that the
 * readers that keep state derived from the heads (results, turnout) read
 * the heads of the changed record keys only (tly_cstore_head_changes)
 * instead of every head after each commit.
 *
 * The writer notes, inside its transaction, each batch that joined an
 * applied chain, each device whose applied chain was replaced, and each
 * record key a resolve decision names; after each generation bump the
 * notes so far are stamped with the generation read in the transaction,
 * before it commits.  A stamp is therefore above the generation the
 * transaction began at and at most the one it commits at, so a reader
 * whose snapshot is at generation G finds every note of every commit up
 * to G with a stamp <= G, and none of a commit after G.  A transaction
 * rolled back leaves its notes behind: a few keys read again, no more.
 *
 * What was not noted (a database written by an earlier process or by
 * another one, a failed allocation, notes dropped at the cap) makes a
 * hole: a reader that did not reach the hole's generation must walk
 * every head again.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "central/storeInt.h"
#include "common/err.h"

#define NOTES_MAX	(1024 * 1024)	/* notes kept; beyond, a hole */

/* The notes, in the order the writer made them. */
struct tly_cstore_log {
	pthread_mutex_t		 lock;
	struct tly_cstore_note	*v;	/* stamped, then pending (gen 0) */
	size_t			 n, cap;	/* entries used, allocated */
	size_t			 npend;	/* the last npend are pending */
	uint64_t		 top;	/* highest generation stamped */
	uint64_t		 hole;	/* changes up to it may be unnoted */
	int			 lost;	/* a note could not be kept */
	uint64_t		 at[TLY_CSTORE_READERS];	/* each reader's
					   generation; 0: not reading */
};

int
tly_cstore_log_create(struct tly_cstore_log **lp, uint64_t gen)
{
	struct tly_cstore_log	*l;

	*lp = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return TLY_E_NOMEM;
	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return TLY_E_NOMEM;
	}
	l->top = gen;
	l->hole = gen;
	*lp = l;
	return TLY_OK;
}

void
tly_cstore_log_destroy(struct tly_cstore_log *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		tly_cstore_note_finish(&l->v[i]);
	free(l->v);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void
tly_cstore_note_finish(struct tly_cstore_note *nt)
{
	free(nt->area);
	free(nt->level);
	memset(nt, 0, sizeof(*nt));
}

/* Append a copy of nt as pending (l->lock held); failure marks lost. */
static void
append(struct tly_cstore_log *l, const struct tly_cstore_note *nt)
{
	struct tly_cstore_note	*d;

	if (l->n >= NOTES_MAX || tly_cstore_grow((void **)&l->v, &l->cap,
	    l->n, sizeof(*l->v), NOTES_MAX, "notes") != TLY_OK) {
		l->lost = 1;
		return;
	}
	d = &l->v[l->n];
	*d = *nt;
	d->gen = 0;
	d->area = d->level = NULL;
	if (nt->kind == TLY_CSTORE_NOTE_KEY &&
	    ((d->area = strdup(nt->area)) == NULL ||
	    (d->level = strdup(nt->level)) == NULL)) {
		tly_cstore_note_finish(d);
		l->lost = 1;
		return;
	}
	l->n++;
	l->npend++;
}

/* Note nt for the store's log (writer, inside its transaction). */
static void
note(struct tly_cstore *s, const struct tly_cstore_note *nt)
{
	if (s->log == NULL)
		return;
	pthread_mutex_lock(&s->log->lock);
	append(s->log, nt);
	pthread_mutex_unlock(&s->log->lock);
}

void
tly_cstore_note_batch(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN],
    uint64_t seq, const uint8_t batch[TLY_HASH_LEN])
{
	struct tly_cstore_note	nt;

	memset(&nt, 0, sizeof(nt));
	nt.kind = TLY_CSTORE_NOTE_BATCH;
	memcpy(nt.device, device, TLY_PK_LEN);
	nt.seq = seq;
	memcpy(nt.batch, batch, TLY_HASH_LEN);
	note(s, &nt);
}

void
tly_cstore_note_device(struct tly_cstore *s, const uint8_t device[TLY_PK_LEN])
{
	struct tly_cstore_note	nt;

	memset(&nt, 0, sizeof(nt));
	nt.kind = TLY_CSTORE_NOTE_DEVICE;
	memcpy(nt.device, device, TLY_PK_LEN);
	note(s, &nt);
}

void
tly_cstore_note_key(struct tly_cstore *s, const char *area, const char *level,
    uint64_t round)
{
	struct tly_cstore_note	nt;

	memset(&nt, 0, sizeof(nt));
	nt.kind = TLY_CSTORE_NOTE_KEY;
	nt.area = (char *)area;		/* copied by append() */
	nt.level = (char *)level;
	nt.round = round;
	note(s, &nt);
}

/* The oldest generation a reader still needs (l->lock held); 0: none. */
static uint64_t
oldest(const struct tly_cstore_log *l)
{
	uint64_t	g = 0;
	size_t		i;

	for (i = 0; i < TLY_CSTORE_READERS; i++)
		if (l->at[i] != 0 && (g == 0 || l->at[i] < g))
			g = l->at[i];
	return g;
}

/* Drop the stamped notes every reader is past (l->lock held). */
static void
trim(struct tly_cstore_log *l)
{
	uint64_t	g = oldest(l);
	size_t		i, j;

	for (i = j = 0; i < l->n; i++) {
		if (l->v[i].gen != 0 && g != 0 && l->v[i].gen <= g) {
			tly_cstore_note_finish(&l->v[i]);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
}

void
tly_cstore_note_publish(struct tly_cstore *s)
{
	struct tly_cstore_log	*l = s->log;
	sqlite3_stmt		*st = s->ws[W_META_GET];
	uint64_t		 gen = 0;
	size_t			 i;

	if (l == NULL)
		return;
	if (sqlite3_bind_text(st, 1, "generation", -1, SQLITE_STATIC) !=
	    SQLITE_OK || tly_cstore_one_u64(s->w, st, &gen, "generation") !=
	    TLY_OK)
		gen = 0;
	pthread_mutex_lock(&l->lock);
	if (gen == 0) {		/* cannot stamp: everything up to now */
		l->lost = 1;
		gen = l->top + 1;
	}
	if (gen > l->top + 1 && l->hole < gen - 1)
		l->hole = gen - 1;	/* written by someone else */
	if (l->lost && l->hole < gen)
		l->hole = gen;
	l->lost = 0;
	if (gen > l->top)
		l->top = gen;
	for (i = l->n - l->npend; i < l->n; i++)
		l->v[i].gen = gen;
	l->npend = 0;
	if (l->n >= NOTES_MAX / 2) {	/* readers too far behind */
		trim(l);
		if (l->n >= NOTES_MAX / 2) {
			for (i = 0; i < l->n; i++)
				tly_cstore_note_finish(&l->v[i]);
			l->n = 0;
			l->hole = l->top;
		}
	}
	pthread_mutex_unlock(&l->lock);
}

int
tly_cstore_notes_take(struct tly_cstore *s, unsigned reader, uint64_t after,
    uint64_t gen, struct tly_cstore_note **vp, size_t *np)
{
	struct tly_cstore_log	*l = s->log;
	struct tly_cstore_note	*v = NULL, *d;
	size_t			 i, n = 0, cap = 0;
	int			 r = TLY_OK;

	*vp = NULL;
	*np = 0;
	if (l == NULL || reader >= TLY_CSTORE_READERS)
		return TLY_E_NOTFOUND;
	pthread_mutex_lock(&l->lock);
	if (after == 0 || after < l->hole || gen > l->top || gen < after) {
		r = TLY_E_NOTFOUND;	/* not all noted: walk everything */
		goto out;
	}
	for (i = 0; i < l->n && r == TLY_OK; i++) {
		if (l->v[i].gen <= after || l->v[i].gen > gen)
			continue;	/* seen, or pending, or after gen */
		if ((r = tly_cstore_grow((void **)&v, &cap, n, sizeof(*v),
		    NOTES_MAX, "notes")) != TLY_OK)
			break;
		d = &v[n];
		*d = l->v[i];
		d->area = d->level = NULL;
		if (l->v[i].kind == TLY_CSTORE_NOTE_KEY &&
		    ((d->area = strdup(l->v[i].area)) == NULL ||
		    (d->level = strdup(l->v[i].level)) == NULL)) {
			tly_cstore_note_finish(d);
			r = TLY_E_NOMEM;
			break;
		}
		n++;
	}
 out:
	if (r == TLY_OK || r == TLY_E_NOTFOUND) {
		l->at[reader] = gen;	/* this reader is now at gen */
		trim(l);
	}
	pthread_mutex_unlock(&l->lock);
	if (r != TLY_OK) {
		tly_cstore_notes_free(v, n);
		return r;
	}
	*vp = v;
	*np = n;
	return TLY_OK;
}

void
tly_cstore_notes_free(struct tly_cstore_note *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		tly_cstore_note_finish(&v[i]);
	free(v);
}
