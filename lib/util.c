// SPDX-License-Identifier: GPL-2.0
/* Small helpers every part of the suite may use; see include/ir_util.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ir_util.h"

int ir_write_file(const char *path, const char *text, int flags)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, rc;

	fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	rc = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return rc;
}

int ir_link_name(const char *path, char *name, size_t size)
{
	char link[PATH_MAX];
	const char *slash;
	ssize_t len;

	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = 0;
	slash = strrchr(link, '/');
	snprintf(name, size, "%s", slash ? slash + 1 : link);
	return 0;
}

size_t ir_page_size(void)
{
	static size_t size;

	if (!size)
		size = sysconf(_SC_PAGESIZE);
	return size;
}

size_t ir_thp_size(void)
{
	static const char path[] =
		"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size";
	static size_t size;
	static bool read;
	unsigned long long bytes;
	FILE *f;

	if (read)
		return size;
	read = true;
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &bytes) == 1)
		size = bytes;
	fclose(f);
	return size;
}
