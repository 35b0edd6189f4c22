// SPDX-License-Identifier: GPL-2.0
/* The kernel's log from a point on, through /dev/kmsg (ir_kmsg.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ir_kmsg.h"

int ir_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * The next record into @rec, its message only (after "prio,seq,ts,flags;",
 * up to the newline that ends it): its length, 0 when none is there yet,
 * or -errno.
 */
static int next_record(int fd, char *rec, size_t size)
{
	char *msg, *end;
	ssize_t n;

	for (;;) {
		/* One record a read(); a full buffer is cut, not an error. */
		n = read(fd, rec, size - 1);
		if (n >= 0)
			break;
		if (errno == EAGAIN)
			return 0;
		/* Overwritten before we read it: go on from the oldest. */
		if (errno != EPIPE && errno != EINTR)
			return -errno;
	}
	rec[n] = '\0';
	msg = strchr(rec, ';');
	msg = msg ? msg + 1 : rec;
	end = strchr(msg, '\n');
	if (end)
		*end = '\0';
	memmove(rec, msg, strlen(msg) + 1);
	return strlen(rec) + 1;
}

int ir_kmsg_wait(int fd, const char *regex, int ms, char *line, size_t size)
{
	long long deadline = now_ms() + ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char rec[1024];
	regex_t re;
	int n, ret = 0;

	if (regcomp(&re, regex, REG_EXTENDED | REG_NOSUB))
		return -EINVAL;
	for (;;) {
		n = next_record(fd, rec, sizeof(rec));
		if (n < 0) {
			ret = n;
			break;
		}
		if (n > 0) {
			if (regexec(&re, rec, 0, NULL, 0))
				continue;
			if (size)
				snprintf(line, size, "%s", rec);
			ret = 1;
			break;
		}
		if (now_ms() >= deadline)
			break;
		poll(&pfd, 1, deadline - now_ms());
	}
	regfree(&re);
	return ret;
}
