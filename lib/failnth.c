// SPDX-License-Identifier: GPL-2.0
/* Fault injection by count; see include/ir_failnth.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ir_failnth.h"
#include "ir_util.h"

#define DEBUGFS "/sys/kernel/debug"

int ir_failnth_setup(const char **why)
{
	char path[300];
	struct dirent *de;
	DIR *dir;

	if (access("/proc/self/fail-nth", F_OK)) {
		*why = "no /proc/self/fail-nth: kernel built without CONFIG_FAULT_INJECTION";
		return -ENOENT;
	}
	/* GFP_KERNEL allocations may sleep: they must be failable too. */
	if (ir_write_file(DEBUGFS "/failslab/ignore-gfp-wait", "N", 0) ||
	    ir_write_file(DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N", 0)) {
		*why = "no " DEBUGFS
		       "/failslab or fail_page_alloc (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, debugfs mounted)";
		return -ENOENT;
	}
	ir_write_file(DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N", 0);
	dir = opendir(DEBUGFS);
	if (!dir) {
		*why = "cannot read " DEBUGFS;
		return -errno;
	}
	/*
	 * An injected failure is expected here: no stack dump for each. And
	 * should anyone set a probability, it hits only tasks that asked
	 * (make-it-fail), never the rest of the system; fail-nth is ours.
	 */
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "fail", 4))
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/%s/verbose", de->d_name);
		ir_write_file(path, "0", 0);
		snprintf(path, sizeof(path), DEBUGFS "/%s/task-filter",
			 de->d_name);
		ir_write_file(path, "Y", 0);
	}
	closedir(dir);
	return 0;
}

int ir_failnth_open(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ir_failnth_arm(int nth_fd, unsigned int nth)
{
	char text[16];
	int len = snprintf(text, sizeof(text), "%u", nth);

	return pwrite(nth_fd, text, len, 0) == len ? 0 : -errno;
}

int ir_failnth_disarm(int nth_fd, bool *fired)
{
	char text[16] = "";
	ssize_t n;

	/*
	 * What is left of the count: 0 once the armed point was reached.
	 * The read and the write below are fault points too: one failing
	 * (EFAULT) means the count ran out in it, not in what was tested.
	 */
	n = pread(nth_fd, text, sizeof(text) - 1, 0);
	*fired = n > 0 && text[0] == '0';
	if (n < 0 && errno != EFAULT)
		return -errno;
	if (pwrite(nth_fd, "0", 1, 0) == 1)
		return 0;
	*fired = false;
	if (errno != EFAULT)
		return -errno;
	return pwrite(nth_fd, "0", 1, 0) == 1 ? 0 : -errno;
}

#define FAIL_IOMMUFD DEBUGFS "/fail_iommufd/"

/* This thread's make-it-fail, which fail_iommufd's task-filter asks. */
static int make_it_fail(bool on)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/make-it-fail",
		 (long)syscall(SYS_gettid));
	return ir_write_file(path, on ? "1" : "0", 0);
}

int ir_failiommufd_arm(unsigned int nth)
{
	char space[16];
	int rc;

	if (access(FAIL_IOMMUFD "space", F_OK))
		return -ENOENT;
	/* space N lets N - 1 calls pass; the N-th fails. */
	snprintf(space, sizeof(space), "%u", nth);
	rc = ir_write_file(FAIL_IOMMUFD "task-filter", "Y", 0);
	if (!rc)
		rc = ir_write_file(FAIL_IOMMUFD "times", "1", 0);
	if (!rc)
		rc = ir_write_file(FAIL_IOMMUFD "space", space, 0);
	if (!rc)
		rc = make_it_fail(true);
	return rc ? rc : ir_write_file(FAIL_IOMMUFD "probability", "100", 0);
}

int ir_failiommufd_disarm(bool *fired)
{
	char text[16] = "";
	int fd, rc;
	ssize_t n;

	rc = ir_write_file(FAIL_IOMMUFD "probability", "0", 0);
	make_it_fail(false);
	/* times goes from 1 to 0 when the point failed. */
	fd = open(FAIL_IOMMUFD "times", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	*fired = n > 0 && text[0] == '0';
	return n < 0 ? -errno : rc;
}

int ir_fault_arm(int nth_fd, unsigned int nth)
{
	return nth_fd < 0 ? ir_failiommufd_arm(nth) : ir_failnth_arm(nth_fd, nth);
}

int ir_fault_disarm(int nth_fd, bool *fired)
{
	return nth_fd < 0 ? ir_failiommufd_disarm(fired) :
			    ir_failnth_disarm(nth_fd, fired);
}

int ir_failnth_walk(bool (*attempt)(void *ctx, unsigned int nth), void *ctx,
		    unsigned int max_nth)
{
	unsigned int nth;
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return -errno;
	for (nth = 1; nth <= max_nth; nth++) {
		if (attempt(ctx, nth))
			continue;
		if (!attempt(ctx, nth))
			return nth - 1;
	}
	return -E2BIG;
}
