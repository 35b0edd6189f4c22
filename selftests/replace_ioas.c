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
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "ir_buf.h"
#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_probe.h"

#define IOVA ((__u64)MOCK_APERTURE_START)

FIXTURE(replace_ioas)
{
	int fd;
	__u32 ioas_a, ioas_b;
	void *buf_a, *buf_b;
	struct ir_mock_dev dev;
	__u32 hwpt_a, hwpt_b;
};

/* Mapped memory, how many IOAS areas it is split into, huge IO pages. */
FIXTURE_VARIANT(replace_ioas)
{
	size_t size;
	unsigned int areas;
	bool huge_iova;
};

FIXTURE_VARIANT_ADD(replace_ioas, one_page)
{
	.size = 4096,
	.areas = 1,
};

FIXTURE_VARIANT_ADD(replace_ioas, mib_1)
{
	.size = 1UL << 20,
	.areas = 1,
};

FIXTURE_VARIANT_ADD(replace_ioas, mib_1_in_64_areas)
{
	.size = 1UL << 20,
	.areas = 64,
};

FIXTURE_VARIANT_ADD(replace_ioas, mib_32)
{
	.size = 32UL << 20,
	.areas = 1,
};

/* Domains with huge IO pages (MOCK_HUGE_PAGE_SIZE), the tree's way. */
FIXTURE_VARIANT_ADD(replace_ioas, mib_32_huge_iova)
{
	.size = 32UL << 20,
	.areas = 1,
	.huge_iova = true,
};

FIXTURE_SETUP(replace_ioas)
{
	const char *why;

	self->fd = ir_probe_open(&why);
	if (self->fd < 0)
		SKIP(return, "%s", why);
	self->buf_a = ir_buf_alloc(variant->size, 0xaa);
	self->buf_b = ir_buf_alloc(variant->size, 0xbb);
	ASSERT_NE(NULL, self->buf_a);
	ASSERT_NE(NULL, self->buf_b);

	/* The same IOVAs, different memory behind them. */
	ASSERT_EQ(0, ir_ioas_alloc(self->fd, &self->ioas_a));
	ASSERT_EQ(0, ir_ioas_alloc(self->fd, &self->ioas_b));
	ASSERT_EQ(0, ir_ioas_map_areas(self->fd, self->ioas_a, self->buf_a,
				       variant->size, variant->areas, IOVA));
	ASSERT_EQ(0, ir_ioas_map_areas(self->fd, self->ioas_b, self->buf_b,
				       variant->size, variant->areas, IOVA));
	ASSERT_EQ(0, ir_mock_domain(self->fd, self->ioas_a,
				    variant->huge_iova ?
					    ir_mock_huge_dev_flags() : 0,
				    &self->dev));
	ASSERT_EQ(0, ir_hwpt_alloc_paging(self->fd, self->dev.idev_id,
					  self->ioas_a, 0, variant->huge_iova,
					  &self->hwpt_a));
	ASSERT_EQ(0, ir_hwpt_alloc_paging(self->fd, self->dev.idev_id,
					  self->ioas_b, 0, variant->huge_iova,
					  &self->hwpt_b));
}

FIXTURE_TEARDOWN(replace_ioas)
{
	if (self->fd < 0)
		return;
	ASSERT_EQ(0, close(self->fd));
	EXPECT_EQ(0, ir_buf_release(self->buf_a, variant->size));
	EXPECT_EQ(0, ir_buf_release(self->buf_b, variant->size));
}

TEST_F(replace_ioas, across_ioas_maps_new_memory)
{
	size_t size = variant->size;

	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_a, NULL));
	ASSERT_EQ(0, ir_md_check_map(self->fd, self->hwpt_a, IOVA, self->buf_a,
				     size));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_b, NULL));
	ASSERT_EQ(0, ir_md_check_map(self->fd, self->hwpt_b, IOVA, self->buf_b,
				     size))
	TH_LOG("hwpt %u (ioas %u) does not map buffer B at 0x%llx",
	       self->hwpt_b, self->ioas_b, (unsigned long long)IOVA);
	ASSERT_EQ(-EINVAL, ir_md_check_map(self->fd, self->hwpt_b, IOVA,
					   self->buf_a, size))
	TH_LOG("hwpt %u maps buffer A: the old IOAS leaked through",
	       self->hwpt_b);

	/* Only hwpt_a still needs A's pages; once it goes, they are unpinned. */
	ASSERT_EQ(0, ir_md_check_refs(self->fd, self->buf_a, size, 1));
	ASSERT_EQ(0, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_md_check_refs(self->fd, self->buf_a, size, 0));
	ASSERT_EQ(0, ir_md_check_refs(self->fd, self->buf_b, size, 1));
	/* Nothing refers to IOAS A any more. */
	ASSERT_EQ(0, ir_destroy(self->fd, self->ioas_a));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->ioas_b));
}

TEST_F(replace_ioas, to_ioas_id_creates_then_reuses_auto_domain)
{
	struct ir_mock_dev dev2;
	__u32 auto_a, again;

	/* Leave the setup's auto domain so that none exists for IOAS A. */
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_b, NULL));
	ASSERT_EQ(-ENOENT, ir_destroy(self->fd, self->dev.hwpt_id));

	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->ioas_a, &auto_a));
	ASSERT_NE(self->ioas_a, auto_a);
	ASSERT_NE(self->hwpt_a, auto_a)
	TH_LOG("an IOAS id must get an auto domain, not a user HWPT");
	ASSERT_EQ(0, ir_md_check_map(self->fd, auto_a, IOVA, self->buf_a,
				     variant->size));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, auto_a));
	ASSERT_EQ(0, ir_destroy(self->fd, self->hwpt_b));

	/* The same IOAS again, and a second device on it: the same domain. */
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->ioas_a, &again));
	ASSERT_EQ(auto_a, again);
	ASSERT_EQ(0, ir_mock_domain(self->fd, self->ioas_a,
				    variant->huge_iova ?
					    ir_mock_huge_dev_flags() : 0,
				    &dev2));
	ASSERT_EQ(auto_a, dev2.hwpt_id);

	/* It lives while any device is on it, and not a moment longer. */
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_a, NULL));
	ASSERT_EQ(0, ir_md_check_map(self->fd, auto_a, IOVA, self->buf_a,
				     variant->size));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, dev2.stdev_id,
					    self->hwpt_a, NULL));
	ASSERT_EQ(-ENOENT, ir_md_check_map(self->fd, auto_a, IOVA, self->buf_a,
					   variant->size));
}

TEST_F(replace_ioas, hwpt_to_other_ioas_id_and_back)
{
	__u32 auto_b;

	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_a, NULL));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->ioas_b, &auto_b));
	ASSERT_EQ(0, ir_md_check_map(self->fd, auto_b, IOVA, self->buf_b,
				     variant->size));
	ASSERT_EQ(0, ir_destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, ir_md_check_refs(self->fd, self->buf_a, variant->size, 0));

	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev.stdev_id,
					    self->hwpt_b, NULL));
	ASSERT_EQ(-ENOENT, ir_destroy(self->fd, auto_b));
	ASSERT_EQ(0, ir_md_check_map(self->fd, self->hwpt_b, IOVA, self->buf_b,
				     variant->size));
}

TEST_HARNESS_MAIN
