// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's promise for iommufd_device_replace() on paging HWPTs: the
 * device moves from one HWPT to another in one step, the HWPT it left is
 * released (and freed if it was the auto domain), and a replace that
 * fails leaves the device where it was.
 *
 * VMM flow: QEMU attaching a device to an existing HWPT of its container,
 * and Arm vSMMU / VT-d "make-before-break" (alloc -> replace -> destroy
 * old) with plain paging HWPTs on one IOAS.
 */
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "ir_buf.h"
#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_probe.h"

#define BUF_SIZE (64 * 4096UL)
#define IOVA ((__u64)MOCK_APERTURE_START)

FIXTURE(replace)
{
	int fd;
	__u32 ioas_id;
	struct ir_mock_dev dev;
	__u32 hwpt_a, hwpt_b;
	void *buf;
};

FIXTURE_SETUP(replace)
{
	const char *why;

	self->fd = ir_probe_open(&why);
	if (self->fd < 0)
		SKIP(return, "%s", why);

	ASSERT_EQ(0, ir_ioas_alloc_mapped(self->fd, BUF_SIZE, 0xa5, IOVA,
					  &self->ioas_id, &self->buf));
	ASSERT_EQ(0, ir_mock_domain(self->fd, self->ioas_id, 0, &self->dev));
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   0, &self->hwpt_a));
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   0, &self->hwpt_b));
}

FIXTURE_TEARDOWN(replace)
{
	if (self->fd < 0)
		return;
	ASSERT_EQ(0, close(self->fd));
	/* Closing the iommufd must unpin every page it pinned: no leak. */
	EXPECT_EQ(0, ir_buf_release(self->buf, BUF_SIZE));
}

/* Map and unmap after the replace: the HWPT now in use must follow. */
TEST_F(replace, paging_to_paging_follows_ioas)
{
	__u64 half = BUF_SIZE / 2;
	__u32 out;

	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_a, &out));
	ASSERT_EQ(self->hwpt_a, out);
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_b, &out));
	ASSERT_EQ(self->hwpt_b, out);
	ASSERT_EQ(0, ir_md_check_map(self->fd, self->hwpt_b, IOVA, self->buf,
				     BUF_SIZE));
	ASSERT_EQ(0, ir_md_check_refs(self->fd, self->buf, BUF_SIZE, 1));

	/* iommufd unmaps whole areas only: drop the area, map a new one. */
	ASSERT_EQ(0,
		  ir_ioas_unmap(self->fd, self->ioas_id, IOVA, BUF_SIZE, NULL));
	ASSERT_EQ(0, ir_ioas_map_fixed(self->fd, self->ioas_id, self->buf, half,
				       IOVA + BUF_SIZE));
	ASSERT_EQ(0, ir_md_check_map(self->fd, self->hwpt_b, IOVA + BUF_SIZE,
				     self->buf, half))
	TH_LOG("hwpt %u lacks iova 0x%llx mapped after the replace",
	       self->hwpt_b, (unsigned long long)(IOVA + BUF_SIZE));
	ASSERT_EQ(-EINVAL, ir_md_check_map(self->fd, self->hwpt_b, IOVA,
					   self->buf, BUF_SIZE))
	TH_LOG("hwpt %u still maps unmapped iova 0x%llx", self->hwpt_b,
	       (unsigned long long)IOVA);
	/* Nothing maps the second half any more, so it is unpinned. */
	ASSERT_EQ(0, ir_md_check_refs(self->fd, self->buf, half, 1));
	ASSERT_EQ(0, ir_md_check_refs(self->fd, self->buf + half, half, 0));
}

/* Destroy is the device-side oracle: EBUSY while attached, 0 once left. */
TEST_F(replace, destroy_follows_attachment)
{
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_a, NULL));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_b, NULL));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->hwpt_b));
	ASSERT_EQ(0, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(-ENOENT, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_md_check_map(self->fd, self->hwpt_b, IOVA, self->buf,
				     BUF_SIZE));
}

TEST_F(replace, to_same_hwpt_is_noop)
{
	__u32 out;

	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_a, NULL));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_a, &out));
	ASSERT_EQ(self->hwpt_a, out);
	/* Still attached exactly once: one detach frees it for destroy. */
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_b, NULL));
	ASSERT_EQ(0, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_md_check_map(self->fd, self->hwpt_b, IOVA, self->buf,
				     BUF_SIZE));
}

TEST_F(replace, to_missing_id_keeps_device)
{
	__u32 missing = self->hwpt_b + 1000;

	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_a, NULL));
	ASSERT_EQ(-ENOENT, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
						  missing, NULL));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_destroy(self->fd, self->hwpt_b));
	ASSERT_EQ(0, ir_md_check_map(self->fd, self->hwpt_a, IOVA, self->buf,
				     BUF_SIZE));
}

TEST_F(replace, leaving_auto_domain_frees_it)
{
	__u32 auto_id = self->dev.hwpt_id;

	ASSERT_NE(self->hwpt_a, auto_id);
	ASSERT_EQ(0, ir_md_check_map(self->fd, auto_id, IOVA, self->buf,
				     BUF_SIZE));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, auto_id));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_a, NULL));
	/* The auto domain had no other user: it is gone, not just idle. */
	ASSERT_EQ(-ENOENT, ir_md_check_map(self->fd, auto_id, IOVA, self->buf,
					   BUF_SIZE));
	ASSERT_EQ(-ENOENT, ir_destroy(self->fd, auto_id));
	ASSERT_EQ(0, ir_md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
}

TEST_HARNESS_MAIN
