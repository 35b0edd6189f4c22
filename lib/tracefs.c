// SPDX-License-Identifier: GPL-2.0
/* tracefs access for the device-side oracle; see include/ir_tracefs.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir_tracefs.h"
#include "ir_util.h"

const char *ir_tracefs_root(void)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing",
		"/sys/kernel/debug/tracing",
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(path, sizeof(path), "%s/instances", roots[i]);
		if (!access(path, F_OK))
			return roots[i];
	}
	return NULL;
}

static int ir_tracefs_path(char *path, size_t size, const char *rel)
{
	const char *root = ir_tracefs_root();

	if (!root)
		return -ENOENT;
	if ((size_t)snprintf(path, size, "%s/%s", root, rel) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int ir_tracefs_write(const char *rel, const char *text, bool append)
{
	char path[PATH_MAX];
	int rc = ir_tracefs_path(path, sizeof(path), rel);

	return rc ? rc : ir_write_file(path, text, append ? O_APPEND : O_TRUNC);
}

int ir_ksym_functions(const char *const *syms, size_t n, bool *found)
{
	char line[512], type, name[256];
	FILE *f = fopen("/proc/kallsyms", "re");
	size_t i;

	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		found[i] = false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %c %255s", &type, name) != 2 ||
		    (type != 't' && type != 'T'))
			continue;
		for (i = 0; i < n; i++)
			found[i] |= !strcmp(name, syms[i]);
	}
	fclose(f);
	return 0;
}

int ir_trace_instance_create(const char *name)
{
	char rel[128], path[PATH_MAX];
	int rc;

	snprintf(rel, sizeof(rel), "instances/%s", name);
	rc = ir_tracefs_path(path, sizeof(path), rel);
	if (rc)
		return rc;
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int ir_trace_instance_clear(const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "instances/%s/trace", name);
	return ir_tracefs_write(rel, "", false);
}

void ir_trace_instance_remove(const char *name)
{
	char rel[128], path[PATH_MAX];

	snprintf(rel, sizeof(rel), "instances/%s/events/enable", name);
	ir_tracefs_write(rel, "0\n", false);
	snprintf(rel, sizeof(rel), "instances/%s", name);
	if (!ir_tracefs_path(path, sizeof(path), rel))
		rmdir(path);
}

void ir_trace_instance_reap(const char *prefix)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t len = strlen(prefix);
	DIR *dir;

	if (ir_tracefs_path(path, sizeof(path), "instances"))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, prefix, len))
			continue;
		pid = strtol(de->d_name + len, &end, 10);
		if (*end || pid <= 0 || !kill(pid, 0) || errno != ESRCH)
			continue;
		ir_trace_instance_remove(de->d_name);
	}
	closedir(dir);
}

pid_t ir_trace_line_pid(const char *line)
{
	const char *p;

	/* "<comm>-<pid> [<cpu>] ...": the comm may hold '-' and spaces. */
	for (p = strchr(line, '['); p; p = strchr(p + 1, '[')) {
		const char *q = p;

		if (!isdigit((unsigned char)p[1]))
			continue;
		while (q > line && q[-1] == ' ')
			q--;
		while (q > line && isdigit((unsigned char)q[-1]))
			q--;
		if (q > line && q[-1] == '-' && isdigit((unsigned char)*q))
			return (pid_t)strtol(q, NULL, 10);
	}
	return -1;
}

int ir_trace_instance_consume(const char *name, char **text)
{
	char rel[128], path[PATH_MAX];
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);
	int fd, rc = 0;

	if (!buf)
		return -ENOMEM;
	snprintf(rel, sizeof(rel), "instances/%s/trace_pipe", name);
	rc = ir_tracefs_path(path, sizeof(path), rel);
	fd = rc ? -1 : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (!rc && fd < 0)
		rc = -errno;
	while (!rc) {
		ssize_t n;

		if (cap - len < 4096) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += n;
		else if (n == 0 || errno == EAGAIN)
			break;
		else if (errno != EINTR)
			rc = -errno;
	}
	if (fd >= 0)
		close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}
