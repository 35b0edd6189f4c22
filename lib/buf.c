// SPDX-License-Identifier: GPL-2.0
/* Test memory; see include/ir_buf.h. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ir_buf.h"
#include "ir_iommufd.h"
#include "ir_mock.h"

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
