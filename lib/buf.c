// SPDX-License-Identifier: GPL-2.0
/* Test memory; see include/ir_buf.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ir_buf.h"
#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_util.h"

void *ir_buf_alloc(size_t length, int fill)
{
	void *buf = mmap(NULL, length, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	if (madvise(buf, length, MADV_NOHUGEPAGE)) {
		munmap(buf, length);
		return NULL;
	}
	memset(buf, fill, length);
	return buf;
}

void *ir_buf_alloc_thp(size_t length, int fill)
{
	size_t thp = ir_thp_size();
	uintptr_t raw, buf;

	if (!thp || length % thp)
		return NULL;
	raw = (uintptr_t)mmap(NULL, length + thp, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((void *)raw == MAP_FAILED)
		return NULL;
	/* Keep only the aligned part, so ir_buf_free() frees all of it. */
	buf = (raw + thp - 1) & ~(thp - 1);
	if (buf > raw)
		munmap((void *)raw, buf - raw);
	if (raw + thp > buf)
		munmap((void *)(buf + length), raw + thp - buf);
	if (madvise((void *)buf, length, MADV_HUGEPAGE)) {
		munmap((void *)buf, length);
		return NULL;
	}
	memset((void *)buf, fill, length);
	return (void *)buf;
}

void *ir_buf_memfd(size_t length, int fill, int *mfd)
{
	void *buf;

	*mfd = memfd_create("iommufd-replace", MFD_CLOEXEC);
	if (*mfd < 0)
		return NULL;
	buf = MAP_FAILED;
	if (!ftruncate(*mfd, length))
		buf = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED,
			   *mfd, 0);
	if (buf == MAP_FAILED) {
		close(*mfd);
		*mfd = -1;
		return NULL;
	}
	memset(buf, fill, length);
	return buf;
}

/* A "Name: N kB" line of a /proc/self file, or -1. */
static long proc_self_kib(const char *file, const char *name)
{
	char line[256], fmt[64];
	long kib = -1;
	FILE *f;

	snprintf(fmt, sizeof(fmt), "%s: %%ld kB", name);
	f = fopen(file, "r");
	if (!f)
		return -1;
	while (kib < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kib) != 1)
			kib = -1;
	fclose(f);
	return kib;
}

long ir_anon_huge_kib(void)
{
	return proc_self_kib("/proc/self/smaps_rollup", "AnonHugePages");
}

long ir_pinned_kib(void)
{
	return proc_self_kib("/proc/self/status", "VmPin");
}

void ir_buf_free(void *buf, size_t length)
{
	if (buf)
		munmap(buf, length);
}

size_t ir_buf_differs(const void *buf, size_t length, int fill)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < length; i++)
		if (p[i] != (unsigned char)fill)
			return i + 1;
	return 0;
}

int ir_buf_check_unpinned(void *buf, size_t length)
{
	int fd = ir_open();
	int rc;

	if (fd < 0)
		return fd;
	rc = ir_md_check_refs(fd, buf, length, 0);
	close(fd);
	return rc;
}

int ir_buf_release(void *buf, size_t length)
{
	int rc = ir_buf_check_unpinned(buf, length);

	ir_buf_free(buf, length);
	return rc;
}

int ir_ioas_alloc_mapped(int fd, size_t length, int fill, __u64 iova,
			 __u32 *ioas_id, void **buf)
{
	int rc;

	*buf = ir_buf_alloc(length, fill);
	if (!*buf)
		return -ENOMEM;
	rc = ir_ioas_alloc(fd, ioas_id);
	if (!rc)
		rc = ir_ioas_map_fixed(fd, *ioas_id, *buf, length, iova);
	return rc;
}

int ir_ioas_map_areas(int fd, __u32 ioas_id, void *buf, size_t length,
		      unsigned int areas, __u64 iova)
{
	size_t chunk = length / areas;
	unsigned int i;
	int rc = 0;

	for (i = 0; !rc && i < areas; i++)
		rc = ir_ioas_map_fixed(fd, ioas_id, (char *)buf + i * chunk,
				       chunk, iova + i * chunk);
	return rc;
}
