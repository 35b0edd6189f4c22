// SPDX-License-Identifier: GPL-2.0
/*
 * Replace across a dma-buf area (kernels whose mock exports dma-bufs): an
 * IOAS holding memory and, beside it, a dma-buf mapped with
 * IOMMU_IOAS_MAP_FILE. A device replaced from its auto domain to another
 * HWPT of the IOAS goes there in one step; the domain it leaves stops
 * tracking the dma-buf and the one it reaches starts; the memory beside
 * it is mapped in the new domain; and the area is whole afterwards (an
 * unmap takes all of it). At the domain: a live dma-buf is mapped in the
 * HWPT reached; a revoke unmaps it from every HWPT of the IOAS, the one
 * the device sits on and those it has not reached yet, and a revoked one
 * is never mapped in a HWPT reached after it, whether the revoke came
 * before or after the replace. Restoring the dma-buf does not
 * bring the area back: iommufd's revocation of an area is for good, and
 * a VMM maps the dma-buf again (a new area) to use it.
 *
 * VMM flow: the MMIO of an assigned device (a peer's BAR for P2P DMA)
 * mapped into the guest's IOAS from a dma-buf, revoked while the guest
 * turns memory decoding off, across the replace a vIOMMU makes.
 *
 * Built only where the tree under test's headers have the mock's dma-buf
 * ops (IR_HAVE_DMABUF, set by scripts/kernel-tree.mk); probed at run time.
 */
#include "fixture.h"

#ifndef IR_HAVE_DMABUF
/* The tree lacks the ops: the program's one test says so, under its name. */
FIXTURE(replace_dmabuf) {};
FIXTURE_SETUP(replace_dmabuf)
{
	SKIP(return,
		   "the kernel tree under test has no dma-buf ops in iommufd_test.h (added after 7.0)");
}
FIXTURE_TEARDOWN(replace_dmabuf) {}
TEST_F(replace_dmabuf, needs_newer_tree) {}
#else

#define BUF_SIZE (16 * ir_page_size())
#define DMABUF_SIZE (4 * ir_page_size())
/* The dma-buf sits right after the memory. */
#define DMABUF_IOVA (IOVA + BUF_SIZE)

FIXTURE(replace_dmabuf)
{
	struct ir_fx fx;
	struct ir_mock_dev dev;
	int dmabuf_fd;
	__u32 hwpt_b;
};

/*
 * A HWPT of the IOAS for the device, tracking dirty pages: the mock's
 * dirty bits are how a test reads which IOVAs its page table maps.
 */
static void hwpt_tracking(struct __test_metadata *_metadata,
			  FIXTURE_DATA(replace_dmabuf) * self, __u32 *hwpt_id)
{
	struct ir_fx *fx = &self->fx;

	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING, hwpt_id);
	ASSERT_EQ(0, ir_hwpt_set_dirty_tracking(fx->fd, *hwpt_id, true));
}

FIXTURE_SETUP(replace_dmabuf)
{
	struct ir_fx *fx = &self->fx;

	self->dmabuf_fd = -1;
	if (!fx_open(_metadata, fx))
		return;
	if (!ir_probe_test_op(fx->fd, IOMMU_TEST_OP_DMABUF_GET))
		SKIP(return,
			   "the running kernel's mock driver exports no dma-buf (EOPNOTSUPP)");
	fx_ioas(_metadata, fx, BUF_SIZE, 0x3c);
	self->dmabuf_fd = ir_dmabuf_get(fx->fd, DMABUF_SIZE);
	ASSERT_LE(0, self->dmabuf_fd);
	ASSERT_EQ(0, ir_ioas_map_file(fx->fd, fx->ioas_id, self->dmabuf_fd, 0,
				      DMABUF_SIZE, DMABUF_IOVA));
	/* The auto domain tracks the dma-buf from here on. */
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	hwpt_tracking(_metadata, self, &self->hwpt_b);
}

FIXTURE_TEARDOWN(replace_dmabuf)
{
	fx_teardown(_metadata, &self->fx);
	if (self->dmabuf_fd >= 0)
		close(self->dmabuf_fd);
}

/*
 * How many of the dma-buf's CPU pages @hwpt_id maps, read from the mock
 * domain's own page table: every IO page of the dma-buf is marked dirty
 * there (a mark where no PTE is goes nowhere), then the bitmap is read,
 * clearing it.
 */
static unsigned int dmabuf_pages_mapped(struct __test_metadata *_metadata,
					struct ir_fx *fx, __u32 hwpt_id)
{
	size_t io_page = ir_mock_io_page_size();
	unsigned int io_pages = DMABUF_SIZE / io_page, pages, i, mapped = 0;
	__u64 mark[4] = {}, bitmap[4] = {}, marked = 0;

	pages = DMABUF_SIZE / ir_page_size();
	ASSERT_GE(64 * ARRAY_SIZE(mark), io_pages);
	for (i = 0; i < io_pages; i++)
		mark[i / 64] |= 1ULL << (i % 64);
	ASSERT_EQ(0, ir_mock_dirty(fx->fd, hwpt_id, DMABUF_IOVA, DMABUF_SIZE,
				   io_page, mark, &marked));
	ASSERT_EQ(io_pages, marked);
	ASSERT_EQ(0, ir_hwpt_get_dirty_bitmap(fx->fd, hwpt_id, DMABUF_IOVA,
					      DMABUF_SIZE, ir_page_size(),
					      bitmap, 0));
	for (i = 0; i < pages; i++)
		mapped += !!(bitmap[i / 64] & (1ULL << (i % 64)));
	return mapped;
}

/* @hwpt_id maps all of the dma-buf (@all) or none of it. */
static void assert_dmabuf_mapped(struct __test_metadata *_metadata,
				 struct ir_fx *fx, __u32 hwpt_id, bool all)
{
	unsigned int want = all ? DMABUF_SIZE / ir_page_size() : 0;

	ASSERT_EQ(want, dmabuf_pages_mapped(_metadata, fx, hwpt_id))
	TH_LOG("hwpt %u maps the wrong number of the dma-buf's pages (want %u)",
	       hwpt_id, want);
}

/*
 * The device moves in one step from its auto domain to hwpt_b; the auto
 * domain goes (its dma-buf tracking with it), and hwpt_b maps the memory
 * beside the dma-buf.
 */
static void replace_to_b(struct __test_metadata *_metadata,
			 FIXTURE_DATA(replace_dmabuf) * self)
{
	struct ir_fx *fx = &self->fx;

	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_b, NULL);
	ASSERT_EQ(-ENOENT, ir_destroy(fx->fd, self->dev.hwpt_id))
	TH_LOG("the auto domain outlived the replace");
	ASSERT_EQ(0, ir_md_check_map(fx->fd, self->hwpt_b, IOVA, fx->buf,
				     BUF_SIZE));
}

/* The area is whole: one unmap takes exactly all of it. */
static void assert_area_whole(struct __test_metadata *_metadata,
			      FIXTURE_DATA(replace_dmabuf) * self)
{
	__u64 unmapped = 0;

	ASSERT_EQ(0, ir_ioas_unmap(self->fx.fd, self->fx.ioas_id, DMABUF_IOVA,
				   DMABUF_SIZE, &unmapped));
	ASSERT_EQ(DMABUF_SIZE, unmapped);
}

TEST_F(replace_dmabuf, replace_across_live_dmabuf)
{
	replace_to_b(_metadata, self);
	assert_dmabuf_mapped(_metadata, &self->fx, self->hwpt_b, true);
	/* hwpt_b is now the IOAS's last domain: its destroy untracks it. */
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->dev.stdev_id));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->hwpt_b));
	assert_area_whole(_metadata, self);
}

/*
 * Revoked before the replace, the device still on its auto domain: the
 * revoke unmaps the dma-buf from every domain of the IOAS, hwpt_b too,
 * which was filled when it was made and is not attached yet. The HWPT
 * reached maps the memory and none of the dma-buf, nor does it after the
 * dma-buf is restored, nor a HWPT made after that. Mapped again as a new
 * area, the restored dma-buf is in the HWPT the device sits on.
 */
TEST_F(replace_dmabuf, replace_across_revoked_dmabuf)
{
	struct ir_fx *fx = &self->fx;
	__u32 hwpt_c;

	ASSERT_EQ(0, ir_dmabuf_revoke(fx->fd, self->dmabuf_fd, true));
	/* A revoked dma-buf cannot be mapped anew. */
	ASSERT_EQ(-ENODEV,
		  ir_ioas_map_file(fx->fd, fx->ioas_id, self->dmabuf_fd, 0,
				   DMABUF_SIZE, DMABUF_IOVA + DMABUF_SIZE));
	replace_to_b(_metadata, self);
	assert_dmabuf_mapped(_metadata, fx, self->hwpt_b, false);
	ASSERT_EQ(0, ir_dmabuf_revoke(fx->fd, self->dmabuf_fd, false));
	assert_dmabuf_mapped(_metadata, fx, self->hwpt_b, false);
	hwpt_tracking(_metadata, self, &hwpt_c);
	fx_replace(_metadata, fx, self->dev.stdev_id, hwpt_c, NULL);
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_b));
	assert_dmabuf_mapped(_metadata, fx, hwpt_c, false);
	ASSERT_EQ(0, ir_md_check_map(fx->fd, hwpt_c, IOVA, fx->buf, BUF_SIZE));
	assert_area_whole(_metadata, self);
	ASSERT_EQ(0, ir_ioas_map_file(fx->fd, fx->ioas_id, self->dmabuf_fd, 0,
				      DMABUF_SIZE, DMABUF_IOVA));
	assert_dmabuf_mapped(_metadata, fx, hwpt_c, true);
	assert_area_whole(_metadata, self);
}

/*
 * Revoked after the replace, while the device sits on the HWPT reached: the
 * revoke unmaps the dma-buf there and leaves the memory beside it; the next
 * HWPT the device is replaced onto never maps it.
 */
TEST_F(replace_dmabuf, revoke_after_replace_unmaps_and_stays_out)
{
	struct ir_fx *fx = &self->fx;
	__u32 hwpt_c;

	replace_to_b(_metadata, self);
	assert_dmabuf_mapped(_metadata, fx, self->hwpt_b, true);
	ASSERT_EQ(0, ir_dmabuf_revoke(fx->fd, self->dmabuf_fd, true));
	assert_dmabuf_mapped(_metadata, fx, self->hwpt_b, false);
	ASSERT_EQ(0, ir_md_check_map(fx->fd, self->hwpt_b, IOVA, fx->buf,
				     BUF_SIZE));
	hwpt_tracking(_metadata, self, &hwpt_c);
	fx_replace(_metadata, fx, self->dev.stdev_id, hwpt_c, NULL);
	assert_dmabuf_mapped(_metadata, fx, hwpt_c, false);
	ASSERT_EQ(0, ir_md_check_map(fx->fd, hwpt_c, IOVA, fx->buf, BUF_SIZE));
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_b));
	assert_area_whole(_metadata, self);
}
#endif

TEST_HARNESS_MAIN
