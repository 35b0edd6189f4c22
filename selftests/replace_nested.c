// SPDX-License-Identifier: GPL-2.0
/*
 * Replace with nesting: stage-1 (nested) HWPTs on one NEST_PARENT stage-2.
 * After each replace the new nested HWPT's IOTLB is its own, the one left
 * is destroyable at once (the device holds no hidden reference), and the
 * parent stays pinned by its children.
 *
 * VMM flow: QEMU's accelerated Arm vSMMU and Intel VT-d. On a guest STE or
 * PASID-cache update QEMU allocates a stage-1 HWPT on the parent, replaces,
 * then destroys the previous stage-1 (make-before-break); disabling the
 * vIOMMU re-attaches the stage-2 (the parent itself, or the IOAS).
 */
#include "fixture.h"

#define BUF_SIZE (16 * ir_page_size())
#define IOTLB_1 0x1111
#define IOTLB_2 0x2222

FIXTURE(replace_nested)
{
	struct ir_fx fx;
	struct ir_mock_dev dev;
	__u32 parent, nested_1, nested_2;
};

FIXTURE_SETUP(replace_nested)
{
	struct ir_fx *fx = &self->fx;

	if (!fx_open(_metadata, fx))
		return;
	fx_ioas(_metadata, fx, BUF_SIZE, 0x5a);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_NEST_PARENT, &self->parent);
	fx_hwpt_nested(_metadata, fx, self->dev.idev_id, self->parent, 0,
		       IOTLB_1, &self->nested_1);
	fx_hwpt_nested(_metadata, fx, self->dev.idev_id, self->parent, 0,
		       IOTLB_2, &self->nested_2);
}

FIXTURE_TEARDOWN(replace_nested)
{
	fx_teardown(_metadata, &self->fx);
}

static void assert_iotlb(struct __test_metadata *_metadata, int fd,
			 __u32 hwpt_id, __u32 value)
{
	__u32 i;

	/* Braces: an ASSERT is two statements (its check, then its bail). */
	for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++) {
		ASSERT_EQ(0, ir_md_check_iotlb(fd, hwpt_id, i, value))
		TH_LOG("hwpt %u iotlb[%u] is not 0x%x", hwpt_id, i, value);
	}
}

TEST_F(replace_nested, nested_to_nested_to_parent_to_ioas)
{
	__u32 auto_id;

	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->nested_1,
		   NULL);
	assert_iotlb(_metadata, self->fx.fd, self->nested_1, IOTLB_1);
	/* A parent with children, and a child with a device, stay. */
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->parent));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->nested_1));

	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->nested_2,
		   NULL);
	assert_iotlb(_metadata, self->fx.fd, self->nested_2, IOTLB_2);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->nested_1));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->parent));

	/* vIOMMU disabled: back to the stage-2 itself. */
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->parent,
		   NULL);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->nested_2));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->parent));
	ASSERT_EQ(0, ir_md_check_map(self->fx.fd, self->parent, IOVA,
				     self->fx.buf, BUF_SIZE));

	/* And to the IOAS: an auto domain, never the nest parent. */
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->fx.ioas_id,
		   &auto_id);
	ASSERT_NE(self->parent, auto_id);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->parent));
	ASSERT_EQ(0, ir_md_check_map(self->fx.fd, auto_id, IOVA, self->fx.buf,
				     BUF_SIZE));
}

TEST_F(replace_nested, invalidate_hits_only_its_hwpt)
{
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->nested_1,
		   NULL);
	ASSERT_EQ(0, ir_mock_invalidate(self->fx.fd, self->nested_1, 0, 1));
	ASSERT_EQ(0, ir_md_check_iotlb(self->fx.fd, self->nested_1, 1, 0));
	ASSERT_EQ(0,
		  ir_md_check_iotlb(self->fx.fd, self->nested_1, 0, IOTLB_1));

	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->nested_2,
		   NULL);
	assert_iotlb(_metadata, self->fx.fd, self->nested_2, IOTLB_2);
	ASSERT_EQ(0, ir_mock_invalidate(self->fx.fd, self->nested_2,
					IOMMU_TEST_INVALIDATE_FLAG_ALL, 0));
	assert_iotlb(_metadata, self->fx.fd, self->nested_2, 0);
	/* The HWPT left behind keeps its own state, untouched. */
	ASSERT_EQ(0,
		  ir_md_check_iotlb(self->fx.fd, self->nested_1, 0, IOTLB_1));
	ASSERT_EQ(0, ir_md_check_iotlb(self->fx.fd, self->nested_1, 1, 0));
}

/* QEMU's make-before-break loop: alloc, replace, destroy the previous. */
TEST_F(replace_nested, make_before_break_churn)
{
	__u32 cur = self->nested_1, next;
	unsigned int i;

	fx_replace(_metadata, &self->fx, self->dev.stdev_id, cur, NULL);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->nested_2));
	for (i = 0; i < 32; i++) {
		fx_hwpt_nested(_metadata, &self->fx, self->dev.idev_id,
			       self->parent, 0, 0x100 + i, &next);
		fx_replace(_metadata, &self->fx, self->dev.stdev_id, next,
			   NULL);
		ASSERT_EQ(0, ir_destroy(self->fx.fd, cur))
		TH_LOG("round %u: stage-1 %u still held after replace", i, cur);
		assert_iotlb(_metadata, self->fx.fd, next, 0x100 + i);
		cur = next;
	}
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, cur));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->parent));
}

TEST_F(replace_nested, nested_needs_nest_parent)
{
	__u32 plain, bad;

	fx_hwpt(_metadata, &self->fx, self->dev.idev_id, self->fx.ioas_id, 0,
		&plain);
	ASSERT_EQ(-EINVAL, ir_hwpt_alloc_nested(self->fx.fd, self->dev.idev_id,
						plain, 0, 0, IOTLB_1, &bad));
	ASSERT_EQ(-EINVAL,
		  ir_hwpt_alloc_nested(self->fx.fd, self->dev.idev_id,
				       self->dev.hwpt_id, 0, 0, IOTLB_1, &bad));
}

TEST_HARNESS_MAIN
