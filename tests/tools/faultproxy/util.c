/*
 * util.c: what the other files of the fault proxy call and that calls
 * none of them: the monotonic clock and non-blocking descriptors.
 */

#include <fcntl.h>
#include <stdint.h>
#include <time.h>

#include "tests/tools/faultproxy/faultproxy.h"

/* Milliseconds on the monotonic clock. */
int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Make fd non-blocking and close-on-exec; -1 on failure. */
int
set_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return 0;
}
