// SPDX-License-Identifier: GPL-2.0
/*
 * Replace across IOASes and to and from an IOAS id (the auto domain): the
 * device's translations must come from the new IOAS's memory, and what
 * only the old IOAS held must be released.
 *
 * VMM flow: QEMU moving a device between containers (address spaces),
 * and a vIOMMU disable re-attaching the device's default stage-2, which a
 * VMM names by IOAS id and the kernel backs with an auto domain.
 * Kernel promise: iommufd_device_replace() switches in one step; the auto
 * domain is found or created and freed when its last device leaves.
 */
#include "fixture.h"

FIXTURE(replace_ioas)
{
	struct ir_fx fx;
	__u32 ioas_a, ioas_b;
	void *buf_a, *buf_b;
	struct ir_mock_dev dev;
	__u32 hwpt_a, hwpt_b;
};

/*
 * Mapped memory, in bytes or in pages of the running kernel, how many IOAS
 * areas it is split into, huge IO pages.
 */
FIXTURE_VARIANT(replace_ioas)
{
	size_t size;
	size_t pages;
	unsigned int areas;
	bool huge_iova;
};

FIXTURE_VARIANT_ADD(replace_ioas, one_page){
	.pages = 1,
	.areas = 1,
};

FIXTURE_VARIANT_ADD(replace_ioas, mib_1){
	.size = 1UL << 20,
	.areas = 1,
};

/*
 * Areas of 4 pages each (1 MiB on a 4 KiB kernel, 16 MiB on a 64 KiB one):
 * counted in pages, because an area smaller than the mock's IO page (half
 * a page: 32 KiB at 64 KiB) cannot take a mock domain (-EADDRINUSE).
 */
FIXTURE_VARIANT_ADD(replace_ioas, pages_256_in_64_areas){
	.pages = 256,
	.areas = 64,
};

FIXTURE_VARIANT_ADD(replace_ioas, mib_32){
	.size = 32UL << 20,
	.areas = 1,
};

/* Domains with huge IO pages (MOCK_HUGE_PAGE_SIZE), the tree's way. */
FIXTURE_VARIANT_ADD(replace_ioas, mib_32_huge_iova){
	.size = 32UL << 20,
	.areas = 1,
	.huge_iova = true,
};

static size_t mapped(const FIXTURE_VARIANT(replace_ioas) * variant)
{
	return variant->size ?: variant->pages * ir_page_size();
}

FIXTURE_SETUP(replace_ioas)
{
	struct ir_fx *fx = &self->fx;
	__u32 dev_flags = variant->huge_iova ? ir_mock_huge_dev_flags() : 0;

	if (!fx_open(_metadata, fx))
		return;
	self->buf_a = ir_buf_alloc(mapped(variant), 0xaa);
	self->buf_b = ir_buf_alloc(mapped(variant), 0xbb);
	ASSERT_NE(NULL, self->buf_a);
	ASSERT_NE(NULL, self->buf_b);

	/* The same IOVAs, different memory behind them. */
	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &self->ioas_a));
	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &self->ioas_b));
	ASSERT_EQ(0, ir_ioas_map_areas(fx->fd, self->ioas_a, self->buf_a,
				       mapped(variant), variant->areas, IOVA));
	ASSERT_EQ(0, ir_ioas_map_areas(fx->fd, self->ioas_b, self->buf_b,
				       mapped(variant), variant->areas, IOVA));
	fx_dev(_metadata, fx, self->ioas_a, dev_flags, &self->dev);
	ASSERT_EQ(0,
		  fx_named_hwpt(&self->hwpt_a,
				ir_hwpt_alloc_paging(
					fx->fd, self->dev.idev_id, self->ioas_a,
					0, variant->huge_iova, &self->hwpt_a)));
	ASSERT_EQ(0,
		  fx_named_hwpt(&self->hwpt_b,
				ir_hwpt_alloc_paging(
					fx->fd, self->dev.idev_id, self->ioas_b,
					0, variant->huge_iova, &self->hwpt_b)));
}

FIXTURE_TEARDOWN(replace_ioas)
{
	fx_teardown(_metadata, &self->fx);
	/* Their IOASes went with the iommufd: nothing may pin them now. */
	if (self->buf_a)
		EXPECT_EQ(0, ir_buf_release(self->buf_a, mapped(variant)));
	if (self->buf_b)
		EXPECT_EQ(0, ir_buf_release(self->buf_b, mapped(variant)));
}

/*
 * Every page of the new IOAS is in the domain the device is on, and none
 * of the old: checked over the whole range, not up to the first page that
 * differs.
 */
TEST_F(replace_ioas, across_ioas_maps_new_memory)
{
	struct ir_fx *fx = &self->fx;
	__u32 dev = self->dev.stdev_id;
	size_t size = mapped(variant);
	size_t page = ir_page_size(), off;

	fx_replace(_metadata, fx, dev, self->hwpt_a, NULL);
	ASSERT_EQ(0, ir_md_check_map(fx->fd, self->hwpt_a, IOVA, self->buf_a,
				     size));
	fx_replace(_metadata, fx, dev, self->hwpt_b, NULL);
	for (off = 0; off < size; off += page) {
		ASSERT_EQ(0, ir_md_check_map(fx->fd, self->hwpt_b, IOVA + off,
					     self->buf_b + off, page))
		TH_LOG("hwpt %u (ioas %u) does not map buffer B at 0x%llx",
		       self->hwpt_b, self->ioas_b,
		       (unsigned long long)(IOVA + off));
		ASSERT_EQ(-EINVAL,
			  ir_md_check_map(fx->fd, self->hwpt_b, IOVA + off,
					  self->buf_a + off, page))
		TH_LOG("hwpt %u maps buffer A at 0x%llx: the old IOAS leaked through",
		       self->hwpt_b, (unsigned long long)(IOVA + off));
	}
	/* And nothing beyond the IOAS's contents. */
	ASSERT_EQ(-EINVAL, ir_md_check_map(fx->fd, self->hwpt_b, IOVA + size,
					   self->buf_b, page));

	/* Only hwpt_a still needs A's pages; once it goes, they are unpinned. */
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, self->buf_a, size, 1));
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, self->buf_a, size, 0));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, self->buf_b, size, 1));
	/* Nothing refers to IOAS A any more. */
	ASSERT_EQ(0, ir_destroy(fx->fd, self->ioas_a));
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->ioas_b));
	fx_assert_on(_metadata, fx, dev, self->hwpt_b);
}

TEST_F(replace_ioas, to_ioas_id_creates_then_reuses_auto_domain)
{
	struct ir_fx *fx = &self->fx;
	__u32 dev = self->dev.stdev_id;
	__u32 dev_flags = variant->huge_iova ? ir_mock_huge_dev_flags() : 0;
	struct ir_mock_dev dev2;
	__u32 auto_a;

	/* Leave the setup's auto domain so that none exists for IOAS A. */
	fx_replace(_metadata, fx, dev, self->hwpt_b, NULL);
	ASSERT_EQ(-ENOENT, ir_destroy(fx->fd, self->dev.hwpt_id));

	fx_replace(_metadata, fx, dev, self->ioas_a, &auto_a);
	ASSERT_NE(self->ioas_a, auto_a);
	ASSERT_NE(self->hwpt_a, auto_a)
	TH_LOG("an IOAS id must get an auto domain, not a user HWPT");
	ASSERT_EQ(0, ir_md_check_map(fx->fd, auto_a, IOVA, self->buf_a,
				     mapped(variant)));
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, auto_a));
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_b));

	/* The same IOAS again, and a second device on it: the same domain. */
	fx_replace_noop(_metadata, fx, dev, self->ioas_a, auto_a);
	fx_dev(_metadata, fx, self->ioas_a, dev_flags, &dev2);
	ASSERT_EQ(auto_a, dev2.hwpt_id);
	fx_assert_on(_metadata, fx, dev2.stdev_id, auto_a);

	/* It lives while any device is on it, and not a moment longer. */
	fx_replace(_metadata, fx, dev, self->hwpt_a, NULL);
	ASSERT_EQ(0, ir_md_check_map(fx->fd, auto_a, IOVA, self->buf_a,
				     mapped(variant)));
	fx_replace(_metadata, fx, dev2.stdev_id, self->hwpt_a, NULL);
	ASSERT_EQ(-ENOENT, ir_md_check_map(fx->fd, auto_a, IOVA, self->buf_a,
					   mapped(variant)));
}

TEST_F(replace_ioas, hwpt_to_other_ioas_id_and_back)
{
	struct ir_fx *fx = &self->fx;
	__u32 dev = self->dev.stdev_id;
	__u32 auto_b;

	fx_replace(_metadata, fx, dev, self->hwpt_a, NULL);
	fx_replace(_metadata, fx, dev, self->ioas_b, &auto_b);
	ASSERT_EQ(0, ir_md_check_map(fx->fd, auto_b, IOVA, self->buf_b,
				     mapped(variant)));
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, self->buf_a, mapped(variant), 0));

	fx_replace(_metadata, fx, dev, self->hwpt_b, NULL);
	ASSERT_EQ(-ENOENT, ir_destroy(fx->fd, auto_b));
	ASSERT_EQ(0, ir_md_check_map(fx->fd, self->hwpt_b, IOVA, self->buf_b,
				     mapped(variant)));
}

TEST_HARNESS_MAIN
