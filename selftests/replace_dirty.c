// SPDX-License-Identifier: GPL-2.0
/*
 * Replace into dirty-tracking HWPTs. A device that cannot track dirty
 * pages is refused (EINVAL) and nothing changes: it stays on its HWPT,
 * which keeps its mappings and its fault queue, and the refused HWPT is
 * destroyable at once (no hidden reference). For a capable device, the
 * dirty bits belong to the HWPT: after a replace they are still read from
 * the HWPT that was left, and the new one starts clean.
 *
 * VMM flow: QEMU starting live migration (IOMMU_HWPT_SET_DIRTY_TRACKING on
 * every dirty-capable HWPT, GET_DIRTY_BITMAP each round) while the guest
 * moves a device between HWPTs.
 * Kernel promise: a failed replace leaves the attachment unchanged and
 * keeps no reference to the new domain (Tian/Gunthorpe/Chen, 2023).
 */
#include <string.h>

#include "fixture.h"

#define NPAGES 16

FIXTURE(replace_dirty)
{
	struct ir_fx fx;
	struct ir_mock_dev dev, dev_nd;
	__u32 fault_id;
	int fault_fd;
	__u32 hwpt_dirty, hwpt_dirty2, parent_nd, hwpt_nd;
};

FIXTURE_SETUP(replace_dirty)
{
	struct ir_fx *fx = &self->fx;

	self->fault_fd = -1;
	if (!fx_open(_metadata, fx))
		return;
	/*
	 * One area per page. Trees whose mock uses the generic page table
	 * (7.x) map a physically contiguous run with one larger PTE and
	 * track dirtiness per PTE: measured on 7.2.13, 6 runs in 40 read
	 * pages 0-1 and 4-5, or all 16, for pages 0 and 5. Separate areas
	 * keep every PTE one page, so a dirty bit names its page.
	 */
	fx->size = NPAGES * ir_page_size();
	fx->buf = ir_buf_alloc(fx->size, 0);
	ASSERT_NE(NULL, fx->buf);
	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &fx->ioas_id));
	ASSERT_EQ(0, ir_ioas_map_areas(fx->fd, fx->ioas_id, fx->buf, fx->size,
				       NPAGES, IOVA));
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	fx_dev(_metadata, fx, fx->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
	       &self->dev_nd);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &self->hwpt_dirty);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &self->hwpt_dirty2);
	/*
	 * The incapable device sits on a fault-capable stage-1 over its own
	 * stage-2, as under a vIOMMU with IOPF when migration starts.
	 */
	ASSERT_EQ(0, ir_fault_queue_alloc(fx->fd, &self->fault_id,
					  &self->fault_fd));
	fx_hwpt(_metadata, fx, self->dev_nd.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_NEST_PARENT, &self->parent_nd);
	fx_hwpt_nested(_metadata, fx, self->dev_nd.idev_id, self->parent_nd,
		       self->fault_id, 0, &self->hwpt_nd);
}

FIXTURE_TEARDOWN(replace_dirty)
{
	if (self->fault_fd >= 0)
		close(self->fault_fd);
	fx_teardown(_metadata, &self->fx);
}

TEST_F(replace_dirty, incapable_device_refused_and_unchanged)
{
	struct iommu_hwpt_pgfault f = {};
	__u32 unused;

	ASSERT_EQ(-EOPNOTSUPP,
		  ir_hwpt_alloc(self->fx.fd, self->dev_nd.idev_id,
				self->fx.ioas_id,
				IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &unused));
	fx_replace(_metadata, &self->fx, self->dev_nd.stdev_id, self->hwpt_nd,
		   NULL);
	fx_replace_fails(_metadata, &self->fx, -EINVAL, self->dev_nd.stdev_id,
			 self->hwpt_dirty);

	/* Still on the old HWPT... */
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->hwpt_nd))
	TH_LOG("device left hwpt %u although the replace failed",
	       self->hwpt_nd);
	/* ...with no hidden reference to the refused one... */
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->hwpt_dirty))
	TH_LOG("refused hwpt %u is still referenced", self->hwpt_dirty);
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->parent_nd));
	/* ...its stage-2 mappings intact and following the IOAS... */
	ASSERT_EQ(0, ir_md_check_map(self->fx.fd, self->parent_nd, IOVA,
				     self->fx.buf, self->fx.size));
	ASSERT_EQ(0, ir_ioas_unmap(self->fx.fd, self->fx.ioas_id, IOVA,
				   self->fx.size, NULL));
	ASSERT_EQ(-EINVAL, ir_md_check_map(self->fx.fd, self->parent_nd, IOVA,
					   self->fx.buf, self->fx.size));
	/* ...and its faults still routed to the old queue. */
	ASSERT_EQ(0, ir_trigger_iopf(self->fx.fd, self->dev_nd.idev_id, 0, 7,
				     FAULT_ADDR));
	ASSERT_EQ(0, ir_fault_read(self->fault_fd, &f, 2000));
	ASSERT_EQ(self->dev_nd.idev_id, f.dev_id);
	ASSERT_EQ(7, f.grpid);
	ASSERT_EQ(0, ir_fault_respond(self->fault_fd, f.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
}

static bool test_bit64(const __u64 *bitmap, unsigned int bit)
{
	return bitmap[bit / 64] & (1ULL << (bit % 64));
}

TEST_F(replace_dirty, dirty_bits_stay_with_the_hwpt)
{
	/* The mock's IO page is half a CPU page; mark pages 0 and 5 dirty. */
	__u64 io_page = ir_mock_io_page_size(), mark[2] = {}, bitmap[2];
	__u64 nr = 0;
	unsigned int i;

	mark[0] = (1ULL << 0) | (1ULL << 10);
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_dirty,
		   NULL);
	ASSERT_EQ(0, ir_hwpt_set_dirty_tracking(self->fx.fd, self->hwpt_dirty,
						true));
	ASSERT_EQ(0, ir_hwpt_set_dirty_tracking(self->fx.fd, self->hwpt_dirty2,
						true));
	ASSERT_EQ(0, ir_mock_dirty(self->fx.fd, self->hwpt_dirty, IOVA,
				   self->fx.size, io_page, mark, &nr));
	ASSERT_EQ(2, nr);

	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_dirty2,
		   NULL);
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, ir_hwpt_get_dirty_bitmap(self->fx.fd, self->hwpt_dirty2,
					      IOVA, self->fx.size,
					      ir_page_size(), bitmap, 0));
	/* Braces: an ASSERT is two statements (its check, then its bail). */
	for (i = 0; i < NPAGES; i++) {
		ASSERT_FALSE(test_bit64(bitmap, i))
		TH_LOG("new hwpt %u reports page %u dirty (bitmap %#llx)",
		       self->hwpt_dirty2, i, (unsigned long long)bitmap[0]);
	}

	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, ir_hwpt_get_dirty_bitmap(self->fx.fd, self->hwpt_dirty,
					      IOVA, self->fx.size,
					      ir_page_size(), bitmap, 0));
	for (i = 0; i < NPAGES; i++) {
		ASSERT_EQ(i == 0 || i == 5, test_bit64(bitmap, i))
		TH_LOG("old hwpt %u: page %u dirty bit wrong (bitmap %#llx)",
		       self->hwpt_dirty, i, (unsigned long long)bitmap[0]);
	}
	/* Reading cleared them. */
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, ir_hwpt_get_dirty_bitmap(self->fx.fd, self->hwpt_dirty,
					      IOVA, self->fx.size,
					      ir_page_size(), bitmap, 0));
	ASSERT_EQ(0, bitmap[0]);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->hwpt_dirty));
}

TEST_HARNESS_MAIN
