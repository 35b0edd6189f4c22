// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory pinned twice: as io_uring fixed buffers (a long-term pin of
 * their own) and by an IOAS mapping. Replacing the device's HWPT while
 * io_uring reads into those buffers must neither disturb the reads nor
 * the pins: the data read is right, the new domain maps the very same
 * pages, and once the buffers are unregistered and unmapped no pin is
 * left.
 *
 * VMM flow: a VMM that serves virtio devices with io_uring on the guest
 * memory it also maps for its passthrough devices (cloud-hypervisor,
 * QEMU with io_uring AIO), while the guest moves a passthrough device to
 * another I/O page table.
 */
#define _GNU_SOURCE
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "fixture.h"

#define NPAGES 64
#define BUF_SIZE (NPAGES * ir_page_size())
#define ROUNDS 16

FIXTURE(replace_uring)
{
	struct ir_fx fx;
	struct ir_mock_dev dev;
	__u32 hwpt[2];
	struct io_uring ring;
	bool ring_up, registered;
	int file_fd;
};

FIXTURE_SETUP(replace_uring)
{
	struct ir_fx *fx = &self->fx;
	struct iovec iov;
	unsigned char *data;
	unsigned int p;
	int rc;

	self->file_fd = -1;
	if (!fx_open(_metadata, fx))
		return;
	fx_ioas(_metadata, fx, BUF_SIZE, 0);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id, 0,
		&self->hwpt[0]);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id, 0,
		&self->hwpt[1]);
	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt[0], NULL);

	rc = io_uring_queue_init(4, &self->ring, 0);
	if (rc == -ENOSYS || rc == -EPERM)
		SKIP(return, "io_uring unavailable (%s)", strerror(-rc));
	ASSERT_EQ(0, rc);
	self->ring_up = true;
	iov = (struct iovec){ .iov_base = fx->buf, .iov_len = BUF_SIZE };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	self->registered = true;

	/* What the reads bring: page p holds byte p + 1 throughout. */
	self->file_fd = memfd_create("replace_uring", MFD_CLOEXEC);
	ASSERT_LE(0, self->file_fd);
	data = malloc(BUF_SIZE);
	ASSERT_NE(NULL, data);
	for (p = 0; p < NPAGES; p++)
		memset(data + p * ir_page_size(), p + 1, ir_page_size());
	ASSERT_EQ((ssize_t)BUF_SIZE, write(self->file_fd, data, BUF_SIZE));
	free(data);
}

FIXTURE_TEARDOWN(replace_uring)
{
	if (self->registered)
		io_uring_unregister_buffers(&self->ring);
	if (self->ring_up)
		io_uring_queue_exit(&self->ring);
	if (self->file_fd >= 0)
		close(self->file_fd);
	fx_teardown(_metadata, &self->fx);
}

TEST_F(replace_uring, reads_and_pins_survive_replace)
{
	struct ir_fx *fx = &self->fx;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	unsigned int round, p;
	__u32 on = self->hwpt[0];

	/* Pinned by the ring and by the IOAS: two pins a page. */
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 2));
	for (round = 0; round < ROUNDS; round++) {
		memset(fx->buf, 0, BUF_SIZE);
		sqe = io_uring_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		io_uring_prep_read_fixed(sqe, self->file_fd, fx->buf, BUF_SIZE,
					 0, 0);
		ASSERT_EQ(1, io_uring_submit(&self->ring));
		/* The read may still be in flight: move the device. */
		on = self->hwpt[(round + 1) % 2];
		fx_replace(_metadata, fx, self->dev.stdev_id, on, NULL);
		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		ASSERT_EQ((int)BUF_SIZE, cqe->res);
		io_uring_cqe_seen(&self->ring, cqe);
		for (p = 0; p < NPAGES; p++) {
			ASSERT_EQ(0, ir_buf_differs(fx->buf + p * ir_page_size(), ir_page_size(),
						    p + 1))
			TH_LOG("round %u: page %u read wrong", round, p);
		}
		/* The domain the device is on maps these very pages. */
		ASSERT_EQ(0,
			  ir_md_check_map(fx->fd, on, IOVA, fx->buf, BUF_SIZE));
		ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 2));
	}

	/* Each pin goes with its owner. */
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	self->registered = false;
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 1));
	ASSERT_EQ(0, ir_ioas_unmap(fx->fd, fx->ioas_id, IOVA, BUF_SIZE, NULL));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 0));
}

TEST_HARNESS_MAIN
