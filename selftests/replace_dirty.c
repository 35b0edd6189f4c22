// SPDX-License-Identifier: GPL-2.0
/*
 * Replace into dirty-tracking HWPTs. A device that cannot track dirty
 * pages is refused (EINVAL) and nothing changes: it stays on its HWPT,
 * which keeps its mappings and its fault queue, and the refused HWPT is
 * destroyable at once (no hidden reference). For a capable device, the
 * dirty bits belong to the HWPT: after a replace they are still read from
 * the HWPT that was left, and the new one starts clean; read with
 * NO_CLEAR they stay there until a clearing read.
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

/* Marks the CPU pages set in @pages dirty in @hwpt_id: @nr were marked. */
static void mark_dirty(struct __test_metadata *_metadata, struct ir_fx *fx,
		       __u32 hwpt_id, __u32 pages, unsigned int nr)
{
	/* The mock's IO page is half a CPU page: two bits a page. */
	__u64 mark[2] = {}, marked = 0;
	unsigned int i;

	for (i = 0; i < NPAGES; i++)
		if (pages & (1U << i))
			mark[0] |= 1ULL << (2 * i);
	ASSERT_EQ(0, ir_mock_dirty(fx->fd, hwpt_id, IOVA, fx->size,
				   ir_mock_io_page_size(), mark, &marked));
	ASSERT_EQ(nr, marked);
}

/* @hwpt_id's dirty bitmap, read with @flags, is exactly @pages. */
static void assert_dirty(struct __test_metadata *_metadata, struct ir_fx *fx,
			 __u32 hwpt_id, __u32 flags, __u32 pages)
{
	__u64 bitmap[2] = {};
	unsigned int i;

	ASSERT_EQ(0, ir_hwpt_get_dirty_bitmap(fx->fd, hwpt_id, IOVA, fx->size,
					      ir_page_size(), bitmap, flags));
	/* Braces: an ASSERT is two statements (its check, then its bail). */
	for (i = 0; i < NPAGES; i++) {
		ASSERT_EQ(!!(pages & (1U << i)), test_bit64(bitmap, i))
		TH_LOG("hwpt %u, flags %#x: page %u dirty bit wrong (bitmap %#llx, want %#x)",
		       hwpt_id, flags, i, (unsigned long long)bitmap[0],
		       pages);
	}
}

/* Both dirty-capable HWPTs tracking, the device on the first. */
static void start_tracking(struct __test_metadata *_metadata,
			   FIXTURE_DATA(replace_dirty) *self)
{
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_dirty,
		   NULL);
	ASSERT_EQ(0, ir_hwpt_set_dirty_tracking(self->fx.fd, self->hwpt_dirty,
						true));
	ASSERT_EQ(0, ir_hwpt_set_dirty_tracking(self->fx.fd, self->hwpt_dirty2,
						true));
}

TEST_F(replace_dirty, dirty_bits_stay_with_the_hwpt)
{
	struct ir_fx *fx = &self->fx;

	start_tracking(_metadata, self);
	mark_dirty(_metadata, fx, self->hwpt_dirty, 1U << 0 | 1U << 5, 2);
	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_dirty2, NULL);
	assert_dirty(_metadata, fx, self->hwpt_dirty2, 0, 0);
	assert_dirty(_metadata, fx, self->hwpt_dirty, 0, 1U << 0 | 1U << 5);
	/* Reading cleared them. */
	assert_dirty(_metadata, fx, self->hwpt_dirty, 0, 0);
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_dirty));
}

/*
 * Migration across an address-space switch, read as a VMM reads during
 * its rounds (IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, then a clearing read
 * once the pages are sent): the bits set before the replace stay on the
 * HWPT left, every NO_CLEAR read returns them again and the clearing read
 * once more, then none; pages dirtied after the replace are the new
 * HWPT's alone, none lost, none invented on either side.
 */
TEST_F(replace_dirty, no_clear_reads_across_replace)
{
	const __u32 before = 1U << 0 | 1U << 5, after = 1U << 3;
	struct ir_fx *fx = &self->fx;

	start_tracking(_metadata, self);
	mark_dirty(_metadata, fx, self->hwpt_dirty, before, 2);
	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_dirty2, NULL);
	mark_dirty(_metadata, fx, self->hwpt_dirty2, after, 1);
	assert_dirty(_metadata, fx, self->hwpt_dirty,
		     IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, before);
	assert_dirty(_metadata, fx, self->hwpt_dirty,
		     IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, before);
	assert_dirty(_metadata, fx, self->hwpt_dirty2,
		     IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, after);
	assert_dirty(_metadata, fx, self->hwpt_dirty, 0, before);
	assert_dirty(_metadata, fx, self->hwpt_dirty, 0, 0);
	assert_dirty(_metadata, fx, self->hwpt_dirty2, 0, after);
	assert_dirty(_metadata, fx, self->hwpt_dirty2, 0, 0);
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_dirty));
}

TEST_HARNESS_MAIN
