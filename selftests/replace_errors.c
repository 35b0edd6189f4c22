// SPDX-License-Identifier: GPL-2.0
/*
 * Every way a replace can be refused: the exact errno the uapi gives, and
 * afterwards the device provably where it was (its HWPT still busy and
 * still mirroring the IOAS, the target destroyable at once).
 *
 * VMM flow: QEMU's attach loop, which reads EINVAL as "incompatible, try
 * the next HWPT" and so depends on the errno and on a failed attempt
 * leaving nothing behind.
 * Kernel promise: if iommufd_device_replace() fails, the attachment is
 * unchanged.
 */
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "ir_buf.h"
#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_probe.h"

#define BUF_SIZE (16 * 4096UL)
#define IOVA ((__u64)MOCK_APERTURE_START)

FIXTURE(replace_errors)
{
	int fd;
	__u32 ioas_id;
	void *buf;
	struct ir_mock_dev dev;
	__u32 cur, spare;
	__u32 fault_id;
	int fault_fd;
};

FIXTURE_SETUP(replace_errors)
{
	const char *why;

	self->fault_fd = -1;
	self->fd = ir_probe_open(&why);
	if (self->fd < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ir_ioas_alloc_mapped(self->fd, BUF_SIZE, 0x3c, IOVA,
					  &self->ioas_id, &self->buf));
	ASSERT_EQ(0, ir_mock_domain(self->fd, self->ioas_id, 0, &self->dev));
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   0, &self->cur));
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   0, &self->spare));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->cur, NULL));
	ASSERT_EQ(0, ir_fault_queue_alloc(self->fd, &self->fault_id,
					  &self->fault_fd));
}

FIXTURE_TEARDOWN(replace_errors)
{
	if (self->fd < 0)
		return;
	if (self->fault_fd >= 0)
		close(self->fault_fd);
	ASSERT_EQ(0, close(self->fd));
	EXPECT_EQ(0, ir_buf_release(self->buf, BUF_SIZE));
}

/*
 * The device is on self->cur, exactly as before the refused replace, and
 * still works: it can be replaced for real.
 */
#define assert_unchanged()                                                     \
	do {                                                                   \
		ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->cur))             \
		TH_LOG("the device left hwpt %u", self->cur);                  \
		ASSERT_EQ(0, ir_md_check_map(self->fd, self->cur, IOVA,        \
					     self->buf, BUF_SIZE));            \
		ASSERT_EQ(0,                                                   \
			  ir_mock_domain_replace(self->fd, self->dev.stdev_id, \
						 self->spare, NULL));          \
		ASSERT_EQ(0, ir_destroy(self->fd, self->cur));                 \
	} while (0)

TEST_F(replace_errors, missing_id)
{
	ASSERT_EQ(-ENOENT, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
						  self->spare + 1000, NULL));
	assert_unchanged();
}

TEST_F(replace_errors, destroyed_hwpt)
{
	__u32 gone;

	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   0, &gone));
	ASSERT_EQ(0, ir_destroy(self->fd, gone));
	ASSERT_EQ(-ENOENT, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
						  gone, NULL));
	assert_unchanged();
}

/* Objects that are neither a HWPT nor an IOAS. */
TEST_F(replace_errors, wrong_object_type)
{
	ASSERT_EQ(-EINVAL, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
						  self->fault_id, NULL));
	ASSERT_EQ(-EINVAL, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
						  self->dev.idev_id, NULL));
	assert_unchanged();
}

TEST_F(replace_errors, not_a_device)
{
	ASSERT_EQ(-ENOENT, ir_mock_domain_replace(self->fd, self->cur,
						  self->spare, NULL));
	ASSERT_EQ(-ENOENT, ir_mock_domain_replace(self->fd, self->dev.idev_id,
						  self->spare, NULL));
	assert_unchanged();
}

TEST_F(replace_errors, incompatible_domain)
{
	struct ir_mock_dev nd;
	__u32 dirty, nd_hwpt;

	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &dirty));
	ASSERT_EQ(0, ir_mock_domain(self->fd, self->ioas_id,
				    MOCK_FLAGS_DEVICE_NO_DIRTY, &nd));
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, nd.idev_id, self->ioas_id, 0,
				   &nd_hwpt));
	ASSERT_EQ(0,
		  ir_mock_domain_replace(self->fd, nd.stdev_id, nd_hwpt, NULL));
	ASSERT_EQ(-EINVAL,
		  ir_mock_domain_replace(self->fd, nd.stdev_id, dirty, NULL));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, nd_hwpt));
	ASSERT_EQ(0, ir_destroy(self->fd, dirty));
	assert_unchanged();
}

/* A device whose selftest object is gone is unbound: nothing to replace. */
TEST_F(replace_errors, unbound_device)
{
	struct ir_mock_dev dev2;

	ASSERT_EQ(0, ir_mock_domain(self->fd, self->ioas_id, 0, &dev2));
	ASSERT_EQ(0, ir_destroy(self->fd, dev2.stdev_id));
	ASSERT_EQ(-ENOENT, ir_mock_domain_replace(self->fd, dev2.stdev_id,
						  self->spare, NULL));
	assert_unchanged();
}

TEST_HARNESS_MAIN
