// SPDX-License-Identifier: GPL-2.0
/*
 * PASID replace (kernels after 6.12): a PASID of a device moves from one
 * HWPT to another in one step, PASID_CHECK_HWPT says where it is, the HWPT
 * left is destroyable at once, and a refused replace leaves the PASID on
 * its old HWPT with no reference kept to the new one. The RID's own
 * replace does not move the PASID.
 *
 * VMM flow: QEMU's accelerated VT-d attaching a guest PASID's first-stage
 * HWPT (PASID-cache invalidation) and replacing it on the next one;
 * SIOV-style virtual devices that are a PASID of a physical device.
 *
 * Built only where the tree under test's headers have the PASID ops
 * (IR_HAVE_PASID, set by scripts/kernel-tree.mk); probed at run time.
 */
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "ir_buf.h"
#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_probe.h"

#ifndef IR_HAVE_PASID
TEST(pasid_replace)
{
	SKIP(return,
	     "the kernel tree under test has no PASID attach/replace ops in iommufd_test.h (added after 6.12)");
}
#else

#define BUF_SIZE (16 * 4096UL)
#define IOVA ((__u64)MOCK_APERTURE_START)
#define PASID 100

FIXTURE(replace_pasid)
{
	int fd;
	__u32 ioas_id;
	void *buf;
	struct ir_mock_dev dev;
	__u32 hwpt_a, hwpt_b, rid_a, rid_b;
};

FIXTURE_SETUP(replace_pasid)
{
	const char *why;

	self->fd = ir_probe_open(&why);
	if (self->fd < 0)
		SKIP(return, "%s", why);
	if (!ir_probe_test_op(self->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT))
		SKIP(return,
		     "the running kernel's mock driver has no PASID ops (EOPNOTSUPP)");
	ASSERT_EQ(0, ir_ioas_alloc_mapped(self->fd, BUF_SIZE, 0x11, IOVA,
					  &self->ioas_id, &self->buf));
	ASSERT_EQ(0, ir_mock_domain(self->fd, self->ioas_id,
				    MOCK_FLAGS_DEVICE_PASID, &self->dev));
	/* A PASID can only be attached to a HWPT made for PASIDs. */
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   IOMMU_HWPT_ALLOC_PASID, &self->hwpt_a));
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   IOMMU_HWPT_ALLOC_PASID, &self->hwpt_b));
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   IOMMU_HWPT_ALLOC_PASID, &self->rid_a));
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev.idev_id, self->ioas_id,
				   IOMMU_HWPT_ALLOC_PASID, &self->rid_b));
	/*
	 * A PASID attaches only while the RID is on a PASID-compatible
	 * domain, which the auto domain MOCK_DOMAIN gave it is not (EINVAL).
	 */
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->rid_a, NULL));
}

FIXTURE_TEARDOWN(replace_pasid)
{
	if (self->fd < 0)
		return;
	ASSERT_EQ(0, close(self->fd));
	EXPECT_EQ(0, ir_buf_release(self->buf, BUF_SIZE));
}

TEST_F(replace_pasid, pasid_follows_replace)
{
	__u32 stdev = self->dev.stdev_id;

	/* Replace needs an attached PASID: it is not an attach. */
	ASSERT_EQ(-EINVAL, ir_pasid_replace(self->fd, stdev, PASID,
					    self->hwpt_a));
	ASSERT_EQ(0, ir_pasid_attach(self->fd, stdev, PASID, self->hwpt_a));
	ASSERT_EQ(0, ir_pasid_check_hwpt(self->fd, stdev, PASID, self->hwpt_a));
	ASSERT_EQ(0, ir_pasid_replace(self->fd, stdev, PASID, self->hwpt_b));
	ASSERT_EQ(0, ir_pasid_check_hwpt(self->fd, stdev, PASID, self->hwpt_b))
		TH_LOG("pasid %u is not on hwpt %u after the replace", PASID,
		       self->hwpt_b);
	ASSERT_EQ(-EINVAL,
		  ir_pasid_check_hwpt(self->fd, stdev, PASID, self->hwpt_a));
	ASSERT_EQ(0, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->hwpt_b));
	ASSERT_EQ(0, ir_pasid_detach(self->fd, stdev, PASID));
	ASSERT_EQ(0, ir_pasid_check_hwpt(self->fd, stdev, PASID, 0));
	ASSERT_EQ(0, ir_destroy(self->fd, self->hwpt_b));
}

/* The mock refuses any replace of this PASID, by design (ENOMEM). */
TEST_F(replace_pasid, refused_replace_keeps_old_and_no_reference)
{
	__u32 stdev = self->dev.stdev_id, pasid = IOMMU_TEST_PASID_RESERVED;

	ASSERT_EQ(0, ir_pasid_attach(self->fd, stdev, pasid, self->hwpt_a));
	ASSERT_EQ(-ENOMEM,
		  ir_pasid_replace(self->fd, stdev, pasid, self->hwpt_b));
	ASSERT_EQ(0, ir_pasid_check_hwpt(self->fd, stdev, pasid, self->hwpt_a))
		TH_LOG("pasid %u left hwpt %u although the replace failed",
		       pasid, self->hwpt_a);
	ASSERT_EQ(0, ir_destroy(self->fd, self->hwpt_b))
		TH_LOG("refused hwpt %u is still referenced", self->hwpt_b);
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_pasid_detach(self->fd, stdev, pasid));
}

TEST_F(replace_pasid, rid_replace_leaves_pasid)
{
	__u32 stdev = self->dev.stdev_id;

	ASSERT_EQ(0, ir_pasid_attach(self->fd, stdev, PASID, self->hwpt_a));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, stdev, self->rid_b, NULL));
	ASSERT_EQ(0, ir_pasid_check_hwpt(self->fd, stdev, PASID, self->hwpt_a));
	ASSERT_EQ(0, ir_destroy(self->fd, self->rid_a));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_pasid_detach(self->fd, stdev, PASID));
}
#endif

TEST_HARNESS_MAIN
