/*
 * test_daemon_netwatch.c: which rtnetlink messages wake the field
 * daemon's syncer (daemon/netwatch.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "daemon/tallyd.h"

/* Build one netlink message of type with an ifinfomsg of flags. */
static size_t
nl_msg(uint8_t *buf, uint16_t type, unsigned flags)
{
	struct nlmsghdr		h;
	struct ifinfomsg	ifi;

	memset(&h, 0, sizeof(h));
	memset(&ifi, 0, sizeof(ifi));
	h.nlmsg_len = NLMSG_LENGTH(sizeof(ifi));
	h.nlmsg_type = type;
	ifi.ifi_flags = flags;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + NLMSG_HDRLEN, &ifi, sizeof(ifi));
	return NLMSG_ALIGN(h.nlmsg_len);
}

/* Which rtnetlink messages count as "the network may be back". */
static void
test_netwatch_relevant(void **state)
{
	uint8_t	buf[256];
	size_t	n;

	memset(buf, 0, sizeof(buf));
	n = nl_msg(buf, RTM_NEWLINK, IFF_UP | IFF_RUNNING);
	assert_int_equal(tly_netwatch_relevant(buf, n), 1);
	n = nl_msg(buf, RTM_NEWLINK, IFF_UP);	/* no carrier yet */
	assert_int_equal(tly_netwatch_relevant(buf, n), 0);
	n = nl_msg(buf, RTM_DELLINK, IFF_UP | IFF_RUNNING);
	assert_int_equal(tly_netwatch_relevant(buf, n), 0);
	n = nl_msg(buf, RTM_DELADDR, 0);
	assert_int_equal(tly_netwatch_relevant(buf, n), 0);
	/* A new address after an irrelevant message in the same read. */
	n = nl_msg(buf, RTM_DELROUTE, 0);
	n += nl_msg(buf + n, RTM_NEWADDR, 0);
	assert_int_equal(tly_netwatch_relevant(buf, n), 1);
	n = nl_msg(buf, RTM_NEWROUTE, 0);
	assert_int_equal(tly_netwatch_relevant(buf, n), 1);
	/* Truncated or empty input is not a change. */
	assert_int_equal(tly_netwatch_relevant(buf, n - 1), 0);
	assert_int_equal(tly_netwatch_relevant(buf, 0), 0);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netwatch_relevant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
