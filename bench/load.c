// SPDX-License-Identifier: GPL-2.0
/* Background load; see load.h. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir_mock.h"
#include "load.h"

#define CHUNK 4096UL
#define URING_FILE_SIZE (256 * 1024UL)
#define URING_DEPTH 8

struct load {
	pthread_t tid;
	atomic_bool stop;
	unsigned long ops;
	int fd, access_fd, file_fd;
	__u64 iova;
	char *buf;
	size_t length;
	struct io_uring ring;
	bool ring_ready;
	int rc;
};

static void *access_rw_loop(void *arg)
{
	struct load *l = arg;
	char data[CHUNK];
	size_t off = 0;

	memset(data, 0x5a, sizeof(data));
	while (!l->stop) {
		l->rc = ir_access_rw(l->fd, l->access_fd, l->iova + off, data,
				     sizeof(data), MOCK_ACCESS_RW_WRITE);
		if (l->rc)
			break;
		off = (off + CHUNK) % l->length;
		l->ops++;
	}
	return NULL;
}

static void *uring_loop(void *arg)
{
	struct load *l = arg;
	size_t span = l->length < URING_FILE_SIZE ? l->length : URING_FILE_SIZE;
	size_t off = 0;
	struct io_uring_cqe *cqe;
	int i;

	while (!l->stop) {
		for (i = 0; i < URING_DEPTH; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

			io_uring_prep_read(sqe, l->file_fd, l->buf + off, CHUNK,
					   off % URING_FILE_SIZE);
			off = (off + CHUNK) % span;
		}
		io_uring_submit(&l->ring);
		for (i = 0; i < URING_DEPTH; i++) {
			l->rc = io_uring_wait_cqe(&l->ring, &cqe);
			if (l->rc)
				return NULL;
			io_uring_cqe_seen(&l->ring, cqe);
			l->ops++;
		}
	}
	return NULL;
}

/* A file in TMPDIR for io_uring to read from, unlinked at once. */
static int make_file(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[4096], data[CHUNK];
	size_t done;
	int fd;

	snprintf(path, sizeof(path), "%s/replace_bench.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	memset(data, 0x6b, sizeof(data));
	for (done = 0; done < URING_FILE_SIZE; done += sizeof(data))
		if (write(fd, data, sizeof(data)) != sizeof(data)) {
			close(fd);
			return -EIO;
		}
	return fd;
}

static void load_free(struct load *l)
{
	if (l->ring_ready)
		io_uring_queue_exit(&l->ring);
	if (l->access_fd >= 0)
		close(l->access_fd);
	if (l->file_fd >= 0)
		close(l->file_fd);
	free(l);
}

int ir_load_start(const char *kind, int fd, __u32 ioas_id, __u64 iova,
		  void *buf, size_t length, struct load **load)
{
	struct load *l;
	int rc;

	*load = NULL;
	if (!strcmp(kind, "none"))
		return 0;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = fd;
	l->iova = iova;
	l->buf = buf;
	l->length = length;
	l->access_fd = l->file_fd = -1;
	if (!strcmp(kind, "access_rw")) {
		rc = ir_access_create(fd, ioas_id, 0, &l->access_fd);
		if (!rc)
			rc = -pthread_create(&l->tid, NULL, access_rw_loop, l);
	} else {
		l->file_fd = make_file();
		rc = l->file_fd < 0 ?
			     l->file_fd :
			     io_uring_queue_init(URING_DEPTH, &l->ring, 0);
		l->ring_ready = !rc;
		if (!rc)
			rc = -pthread_create(&l->tid, NULL, uring_loop, l);
	}
	if (rc) {
		load_free(l);
		return rc;
	}
	/* Time nothing until the load really runs: up to a second. */
	for (rc = 0; !l->ops && !l->rc && rc < 10000; rc++)
		usleep(100);
	*load = l;
	return 0;
}

unsigned long ir_load_stop(struct load *l)
{
	unsigned long ops;

	if (!l)
		return 0;
	l->stop = true;
	pthread_join(l->tid, NULL);
	ops = l->ops;
	load_free(l);
	return ops;
}
