// SPDX-License-Identifier: GPL-2.0
/*
 * Replace through a vIOMMU (kernels after 6.12): stage-1 HWPTs allocated
 * on a vIOMMU object over the nest parent. The device moves between them
 * and the parent like between plain nested HWPTs; each HWPT left is
 * destroyable at once, while the vIOMMU stays pinned by its stage-1s and
 * vDEVICEs and pins the parent in turn.
 *
 * VMM flow: QEMU's accelerated Arm vSMMU (and cloud-hypervisor's vSMMUv3
 * work): a vIOMMU per VM and physical IOMMU, a vDEVICE per passed-through
 * device (its guest stream ID), a stage-1 HWPT per guest STE, replaced on
 * every STE install. The vDEVICE comes first, as in a VMM: newer kernels
 * refuse (ENOENT) to attach a device to a vIOMMU's stage-1 before the
 * vIOMMU knows the device's virtual ID.
 *
 * Built only where the uapi headers of the tree under test have vIOMMU
 * objects and its iommufd_test.h the mock vIOMMU type; probed at run time.
 */
#include "fixture.h"

#if !defined(IOMMU_VIOMMU_ALLOC) || !defined(IOMMU_VIOMMU_TYPE_SELFTEST)
/* The tree lacks the ops: the program's one test says so, under its name. */
FIXTURE(replace_viommu) {};
FIXTURE_SETUP(replace_viommu)
{
	SKIP(return,
		   "the kernel tree under test has no vIOMMU objects (IOMMU_VIOMMU_ALLOC, IOMMU_VIOMMU_TYPE_SELFTEST; added after 6.12)");
}
FIXTURE_TEARDOWN(replace_viommu) {}
TEST_F(replace_viommu, needs_newer_tree) {}
#else

#define BUF_SIZE (16 * ir_page_size())

FIXTURE(replace_viommu)
{
	struct ir_fx fx;
	struct ir_mock_dev dev;
	__u32 parent, viommu, vdev, s1_a, s1_b;
};

FIXTURE_SETUP(replace_viommu)
{
	struct ir_fx *fx = &self->fx;
	int rc;

	if (!fx_open(_metadata, fx))
		return;
	fx_ioas(_metadata, fx, BUF_SIZE, 0x44);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_NEST_PARENT, &self->parent);
	rc = ir_viommu_alloc(fx->fd, self->dev.idev_id, self->parent,
			     IOMMU_VIOMMU_TYPE_SELFTEST, &self->viommu);
	if (rc == -ENOTTY || rc == -EOPNOTSUPP)
		SKIP(return,
			   "the running kernel has no vIOMMU (IOMMU_VIOMMU_ALLOC: %s)",
			   rc == -ENOTTY ? "ENOTTY" : "EOPNOTSUPP");
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, ir_vdevice_alloc(fx->fd, self->viommu, self->dev.idev_id,
				      0x99, &self->vdev));
	/* Stage-1s on the vIOMMU: pt_id names the vIOMMU, not the parent. */
	fx_hwpt_nested(_metadata, fx, self->dev.idev_id, self->viommu, 0,
		       0x1111, &self->s1_a);
	fx_hwpt_nested(_metadata, fx, self->dev.idev_id, self->viommu, 0,
		       0x2222, &self->s1_b);
}

FIXTURE_TEARDOWN(replace_viommu)
{
	fx_teardown(_metadata, &self->fx);
}

TEST_F(replace_viommu, stage1_to_stage1_to_parent)
{
	__u32 stdev = self->dev.stdev_id;

	fx_replace(_metadata, &self->fx, stdev, self->s1_a, NULL);
	ASSERT_EQ(0, ir_md_check_iotlb(self->fx.fd, self->s1_a, 0, 0x1111));
	fx_replace(_metadata, &self->fx, stdev, self->s1_b, NULL);
	ASSERT_EQ(0, ir_md_check_iotlb(self->fx.fd, self->s1_b, 0, 0x2222));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->s1_a))
	TH_LOG("stage-1 %u still held after the replace", self->s1_a);
	/* The vIOMMU is held, the parent by the vIOMMU. */
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->viommu));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->parent));

	fx_replace(_metadata, &self->fx, stdev, self->parent, NULL);
	ASSERT_EQ(0, ir_md_check_map(self->fx.fd, self->parent, IOVA,
				     self->fx.buf, BUF_SIZE));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->s1_b));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->vdev));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->viommu));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->parent));
}

TEST_F(replace_viommu, vdevice_holds_viommu_not_device)
{
	__u32 stdev = self->dev.stdev_id;

	fx_replace(_metadata, &self->fx, stdev, self->s1_a, NULL);
	fx_replace(_metadata, &self->fx, stdev, self->s1_b, NULL);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->s1_a));
	fx_replace(_metadata, &self->fx, stdev, self->parent, NULL);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->s1_b));
	/* Its stage-1s gone, the vDEVICE alone keeps the vIOMMU. */
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->viommu));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->vdev));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->viommu));
}
#endif

TEST_HARNESS_MAIN
