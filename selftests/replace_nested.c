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

/*
 * Shared ABORT and BYPASS stage-1s (QEMU's accelerated vSMMU, OpenVMM):
 * every device of a VM starts on one of two persistent nested HWPTs of
 * the parent, the guest's abort and bypass STEs; a device whose guest STE
 * turns translation on is replaced onto a nested HWPT of its own, built
 * from that STE, and back. Each replace moves that device only: the
 * others are not asked anything at the driver, and an invalidation goes
 * to the HWPT it names, never to the shared ones.
 */
#define NDEV 4
#define IOTLB_ABORT 0xab0
#define IOTLB_BYPASS 0xb1a
#define IOTLB_OWN 0x0e0

FIXTURE(replace_nested_shared)
{
	struct ir_fx fx;
	struct ir_mock_dev dev[NDEV];
	__u32 parent, abort_id, bypass_id;
};

FIXTURE_SETUP(replace_nested_shared)
{
	struct ir_fx *fx = &self->fx;
	int i;

	if (!fx_open(_metadata, fx))
		return;
	fx_ioas(_metadata, fx, BUF_SIZE, 0x3c);
	for (i = 0; i < NDEV; i++)
		fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev[i]);
	fx_hwpt(_metadata, fx, self->dev[0].idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_NEST_PARENT, &self->parent);
	fx_hwpt_nested(_metadata, fx, self->dev[0].idev_id, self->parent, 0,
		       IOTLB_ABORT, &self->abort_id);
	fx_hwpt_nested(_metadata, fx, self->dev[0].idev_id, self->parent, 0,
		       IOTLB_BYPASS, &self->bypass_id);
	for (i = 0; i < NDEV; i++)
		fx_replace(_metadata, fx, self->dev[i].stdev_id,
			   self->bypass_id, NULL);
}

FIXTURE_TEARDOWN(replace_nested_shared)
{
	fx_teardown(_metadata, &self->fx);
}

/*
 * Since @since the driver was asked nothing for any device but @moved,
 * and each device below @moved is on @low, each above it on @high.
 */
static void assert_others(struct __test_metadata *_metadata,
			  FIXTURE_DATA(replace_nested_shared) *self, int moved,
			  unsigned int since, __u32 low, __u32 high)
{
	int i;

	for (i = 0; i < NDEV; i++)
		if (i != moved)
			fx_assert_untouched(_metadata, &self->fx,
					    self->dev[i].stdev_id,
					    i < moved ? low : high, since);
}

TEST_F(replace_nested_shared, own_stage1_and_back)
{
	struct ir_fx *fx = &self->fx;
	unsigned int since = ir_oracle_point();
	__u32 own;

	/* The guest's STE of device 0 turns translation on. */
	fx_hwpt_nested(_metadata, fx, self->dev[0].idev_id, self->parent, 0,
		       IOTLB_OWN, &own);
	fx_replace(_metadata, fx, self->dev[0].stdev_id, own, NULL);
	assert_others(_metadata, self, 0, since, 0, self->bypass_id);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->bypass_id));

	/* Invalidations reach the HWPT they name. */
	ASSERT_EQ(0, ir_mock_invalidate(fx->fd, own,
					IOMMU_TEST_INVALIDATE_FLAG_ALL, 0));
	assert_iotlb(_metadata, fx->fd, own, 0);
	assert_iotlb(_metadata, fx->fd, self->bypass_id, IOTLB_BYPASS);
	assert_iotlb(_metadata, fx->fd, self->abort_id, IOTLB_ABORT);
	ASSERT_EQ(0, ir_mock_invalidate(fx->fd, self->bypass_id, 0, 1));
	ASSERT_EQ(0, ir_md_check_iotlb(fx->fd, self->bypass_id, 1, 0));
	ASSERT_EQ(0, ir_md_check_iotlb(fx->fd, own, 1, 0));
	assert_iotlb(_metadata, fx->fd, self->abort_id, IOTLB_ABORT);

	/* Its STE back to bypass: the own stage-1 goes at once. */
	since = ir_oracle_point();
	fx_replace(_metadata, fx, self->dev[0].stdev_id, self->bypass_id, NULL);
	assert_others(_metadata, self, 0, since, 0, self->bypass_id);
	ASSERT_EQ(0, ir_destroy(fx->fd, own))
	TH_LOG("own stage-1 %u still held after device 0 left it", own);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->bypass_id));
}

/* The guest aborts the devices one by one: each moves alone. */
TEST_F(replace_nested_shared, bypass_to_abort_one_by_one)
{
	struct ir_fx *fx = &self->fx;
	int i;

	for (i = 0; i < NDEV; i++) {
		unsigned int since = ir_oracle_point();

		ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->bypass_id))
		TH_LOG("%d of %d devices still on bypass", NDEV - i, NDEV);
		fx_replace(_metadata, fx, self->dev[i].stdev_id,
			   self->abort_id, NULL);
		assert_others(_metadata, self, i, since, self->abort_id,
			      self->bypass_id);
	}
	ASSERT_EQ(0, ir_destroy(fx->fd, self->bypass_id));
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->abort_id));
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->parent));
}

TEST_HARNESS_MAIN
