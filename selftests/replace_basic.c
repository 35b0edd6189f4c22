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
#include "fixture.h"

#define BUF_SIZE (64 * ir_page_size())

FIXTURE(replace_basic)
{
	struct ir_fx fx;
	struct ir_mock_dev dev;
	__u32 hwpt_a, hwpt_b;
};

FIXTURE_SETUP(replace_basic)
{
	struct ir_fx *fx = &self->fx;

	if (!fx_open(_metadata, fx))
		return;
	fx_ioas(_metadata, fx, BUF_SIZE, 0xa5);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id, 0,
		&self->hwpt_a);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id, 0,
		&self->hwpt_b);
}

FIXTURE_TEARDOWN(replace_basic)
{
	fx_teardown(_metadata, &self->fx);
}

/*
 * Map and unmap after the replace: the HWPT the driver now has for the
 * device must follow the IOAS.
 */
TEST_F(replace_basic, paging_to_paging_follows_ioas)
{
	struct ir_fx *fx = &self->fx;
	__u32 dev = self->dev.stdev_id;
	__u64 half = BUF_SIZE / 2;

	fx_replace(_metadata, fx, dev, self->hwpt_a, NULL);
	fx_replace(_metadata, fx, dev, self->hwpt_b, NULL);
	ASSERT_EQ(0, ir_md_check_map(fx->fd, self->hwpt_b, IOVA, fx->buf,
				     BUF_SIZE));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 1));

	/* iommufd unmaps whole areas only: drop the area, map a new one. */
	ASSERT_EQ(0, ir_ioas_unmap(fx->fd, fx->ioas_id, IOVA, BUF_SIZE, NULL));
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, fx->ioas_id, fx->buf, half,
				       IOVA + BUF_SIZE));
	ASSERT_EQ(0, ir_md_check_map(fx->fd, self->hwpt_b, IOVA + BUF_SIZE,
				     fx->buf, half))
	TH_LOG("hwpt %u lacks iova 0x%llx mapped after the replace",
	       self->hwpt_b, (unsigned long long)(IOVA + BUF_SIZE));
	ASSERT_EQ(-EINVAL, ir_md_check_map(fx->fd, self->hwpt_b, IOVA, fx->buf,
					   BUF_SIZE))
	TH_LOG("hwpt %u still maps unmapped iova 0x%llx", self->hwpt_b,
	       (unsigned long long)IOVA);
	/* Nothing maps the second half any more, so it is unpinned. */
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, half, 1));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf + half, half, 0));
	/* Map and unmap are not attaches: the driver still has hwpt_b. */
	fx_assert_on(_metadata, fx, dev, self->hwpt_b);
}

/* Destroy follows the attachment: EBUSY while attached, 0 once left. */
TEST_F(replace_basic, destroy_follows_attachment)
{
	struct ir_fx *fx = &self->fx;
	__u32 dev = self->dev.stdev_id;

	fx_replace(_metadata, fx, dev, self->hwpt_a, NULL);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->hwpt_a));
	fx_replace(_metadata, fx, dev, self->hwpt_b, NULL);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->hwpt_b));
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_a));
	ASSERT_EQ(-ENOENT, ir_destroy(fx->fd, self->hwpt_a));
	fx_assert_on(_metadata, fx, dev, self->hwpt_b);
}

TEST_F(replace_basic, to_same_hwpt_is_noop)
{
	struct ir_fx *fx = &self->fx;
	__u32 dev = self->dev.stdev_id;

	fx_replace(_metadata, fx, dev, self->hwpt_a, NULL);
	fx_replace_noop(_metadata, fx, dev, self->hwpt_a, self->hwpt_a);
	/* Still attached exactly once: one detach frees it for destroy. */
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->hwpt_a));
	fx_replace(_metadata, fx, dev, self->hwpt_b, NULL);
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_a));
}

TEST_F(replace_basic, to_missing_id_keeps_device)
{
	struct ir_fx *fx = &self->fx;
	__u32 dev = self->dev.stdev_id;

	fx_replace(_metadata, fx, dev, self->hwpt_a, NULL);
	fx_replace_fails(_metadata, fx, -ENOENT, dev, self->hwpt_b + 1000);
	fx_assert_on(_metadata, fx, dev, self->hwpt_a);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_b));
}

TEST_F(replace_basic, leaving_auto_domain_frees_it)
{
	struct ir_fx *fx = &self->fx;
	__u32 dev = self->dev.stdev_id;
	__u32 auto_id = self->dev.hwpt_id;

	ASSERT_NE(self->hwpt_a, auto_id);
	fx_assert_on(_metadata, fx, dev, auto_id);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, auto_id));
	fx_replace(_metadata, fx, dev, self->hwpt_a, NULL);
	/* The auto domain had no other user: it is gone, not just idle. */
	ASSERT_EQ(-ENOENT,
		  ir_md_check_map(fx->fd, auto_id, IOVA, fx->buf, BUF_SIZE));
	ASSERT_EQ(-ENOENT, ir_destroy(fx->fd, auto_id));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 1));
}

TEST_HARNESS_MAIN
