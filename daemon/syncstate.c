/*
 * syncstate.c: the bookkeeping of the syncer's state (syncstate.h), below
 * both the sync thread (syncer.c) and the requests of one run
 * (deliver.c): the wall clock, the bytes of each call and the records
 * acknowledged.
 */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "sync/http.h"
#include "daemon/syncstate.h"

/* Seconds since the epoch, never negative. */
int64_t
tly_dsync_wall_now(void)
{
	time_t	t = time(NULL);

	return t > 0 ? (int64_t)t : 0;
}

/* Count the bytes of a call; an HTTP answer is a contact. */
void
tly_dsync_account(struct tly_dsync *s, const struct tly_http_result *res,
    int answered)
{
	pthread_mutex_lock(&s->mu);
	s->wire_up += res->bytes_up + res->header_up;
	s->wire_down += res->bytes_down + res->header_down;
	if (answered) {
		s->last_contact = tly_dsync_wall_now();
		s->run_contact = 1;
	}
	s->dirty = 1;
	pthread_mutex_unlock(&s->mu);
}

/* Count the records of a batch acknowledged. */
void
tly_dsync_acked_records(struct tly_dsync *s, uint64_t nrecords)
{
	pthread_mutex_lock(&s->mu);
	s->wire_records += nrecords;
	/* A receipt that verified proves the central answered. */
	s->last_proven = tly_dsync_wall_now();
	s->dirty = 1;
	pthread_mutex_unlock(&s->mu);
}
