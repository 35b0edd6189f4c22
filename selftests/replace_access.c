// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated DMA follows ACCESS_REPLACE_IOAS: what an emulated device
 * (iommufd_access) writes at an IOVA lands in the memory of the IOAS it is
 * on now, never in the one it left; pages it pinned through the old IOAS
 * are released by the replace.
 *
 * VMM flow: an emulated or mediated device (vfio-mdev, a VMM's own virtio
 * backend behind the vIOMMU) moved to a new address space, as QEMU does
 * for an emulated device when the guest switches its vIOMMU mapping.
 *
 * An access has no IOMMU domain and the driver attaches nothing for it,
 * so the device-side oracle has nothing to watch here: what the emulated
 * device reads and writes is itself the device-visible check.
 */
#include <string.h>

#include "fixture.h"

#define BUF_SIZE (16 * ir_page_size())
#define RW_LEN 256UL

FIXTURE(replace_access)
{
	struct ir_fx fx; /* its IOAS and buffer are A */
	__u32 ioas_b;
	void *buf_b;
	int access_fd;
};

FIXTURE_VARIANT(replace_access)
{
	__u32 rw_flags;
};

FIXTURE_VARIANT_ADD(replace_access, fast_path){
	.rw_flags = 0,
};

/* The slow path pins pages per call instead of copying through the kernel map. */
FIXTURE_VARIANT_ADD(replace_access, slow_path){
	.rw_flags = MOCK_ACCESS_RW_SLOW_PATH,
};

FIXTURE_SETUP(replace_access)
{
	struct ir_fx *fx = &self->fx;

	self->access_fd = -1;
	if (!fx_open(_metadata, fx))
		return;
	/* The same IOVA, different memory behind it. */
	fx_ioas(_metadata, fx, BUF_SIZE, 0xaa);
	ASSERT_EQ(0, ir_ioas_alloc_mapped(fx->fd, BUF_SIZE, 0xbb, IOVA,
					  &self->ioas_b, &self->buf_b));
	/* NEEDS_PIN_PAGES gives the access an unmap callback, as vfio-mdev has. */
	ASSERT_EQ(0, ir_access_create(fx->fd, fx->ioas_id,
				      MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				      &self->access_fd));
}

FIXTURE_TEARDOWN(replace_access)
{
	if (self->access_fd >= 0)
		ASSERT_EQ(0, close(self->access_fd));
	fx_teardown(_metadata, &self->fx);
	if (self->buf_b)
		EXPECT_EQ(0, ir_buf_release(self->buf_b, BUF_SIZE));
}

/* The emulated device writes RW_LEN bytes of @fill at @iova. */
static int dma_write(int fd, int access_fd, __u64 iova, int fill, __u32 flags)
{
	unsigned char data[RW_LEN];

	memset(data, fill, sizeof(data));
	return ir_access_rw(fd, access_fd, iova, data, sizeof(data),
			    MOCK_ACCESS_RW_WRITE | flags);
}

TEST_F(replace_access, writes_land_in_new_ioas)
{
	__u64 off = ir_page_size() + 64;

	ASSERT_EQ(0, dma_write(self->fx.fd, self->access_fd, IOVA + off, 0x11,
			       variant->rw_flags));
	ASSERT_EQ(0, ir_buf_differs(self->fx.buf + off, RW_LEN, 0x11));
	ASSERT_EQ(0, ir_buf_differs(self->buf_b, BUF_SIZE, 0xbb));

	ASSERT_EQ(0, ir_access_replace_ioas(self->fx.fd, self->access_fd,
					    self->ioas_b));
	ASSERT_EQ(0, dma_write(self->fx.fd, self->access_fd, IOVA + off, 0x22,
			       variant->rw_flags));
	ASSERT_EQ(0, ir_buf_differs(self->buf_b + off, RW_LEN, 0x22))
	TH_LOG("write after replace missed IOAS B's memory");
	ASSERT_EQ(0, ir_buf_differs(self->fx.buf + off, RW_LEN, 0x11))
	TH_LOG("write after replace reached IOAS A's memory");
	/* Nothing else in either buffer moved. */
	ASSERT_EQ(0, ir_buf_differs(self->buf_b, off, 0xbb));
	ASSERT_EQ(0, ir_buf_differs(self->fx.buf, off, 0xaa));
}

TEST_F(replace_access, reads_come_from_new_ioas)
{
	unsigned char data[RW_LEN];

	ASSERT_EQ(0, ir_access_rw(self->fx.fd, self->access_fd, IOVA, data,
				  sizeof(data), variant->rw_flags));
	ASSERT_EQ(0, ir_buf_differs(data, sizeof(data), 0xaa));
	ASSERT_EQ(0, ir_access_replace_ioas(self->fx.fd, self->access_fd,
					    self->ioas_b));
	ASSERT_EQ(0, ir_access_rw(self->fx.fd, self->access_fd, IOVA, data,
				  sizeof(data), variant->rw_flags));
	ASSERT_EQ(0, ir_buf_differs(data, sizeof(data), 0xbb));
	/* And back: the replace is symmetric. */
	ASSERT_EQ(0, ir_access_replace_ioas(self->fx.fd, self->access_fd,
					    self->fx.ioas_id));
	ASSERT_EQ(0, ir_access_rw(self->fx.fd, self->access_fd, IOVA, data,
				  sizeof(data), variant->rw_flags));
	ASSERT_EQ(0, ir_buf_differs(data, sizeof(data), 0xaa));
}

/*
 * The kernel calls the access's unmap callback for the whole old IOAS, so
 * the pins taken through it are dropped and their ids are gone.
 */
TEST_F(replace_access, pinned_pages_released_by_replace)
{
	__u32 pages_id;

	ASSERT_EQ(0, ir_access_pages(self->fx.fd, self->access_fd, IOVA,
				     self->fx.buf, BUF_SIZE, 0, &pages_id));
	ASSERT_EQ(0, ir_md_check_refs(self->fx.fd, self->fx.buf, BUF_SIZE, 1));
	ASSERT_EQ(0, ir_access_replace_ioas(self->fx.fd, self->access_fd,
					    self->ioas_b));
	ASSERT_EQ(0, ir_md_check_refs(self->fx.fd, self->fx.buf, BUF_SIZE, 0))
	TH_LOG("pages pinned through IOAS A survived the replace");
	ASSERT_EQ(-ENOENT, ir_access_pages_destroy(self->fx.fd, self->access_fd,
						   pages_id));
	/* The old IOAS has no user left; the new one has the access. */
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->fx.ioas_id));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->ioas_b));
}

TEST_F(replace_access, failed_replace_keeps_ioas)
{
	ASSERT_EQ(-ENOENT, ir_access_replace_ioas(self->fx.fd, self->access_fd,
						  self->ioas_b + 1000));
	ASSERT_EQ(0, dma_write(self->fx.fd, self->access_fd, IOVA, 0x33,
			       variant->rw_flags));
	ASSERT_EQ(0, ir_buf_differs(self->fx.buf, RW_LEN, 0x33));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->fx.ioas_id));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->ioas_b));
}

/*
 * A replace the kernel refuses after the lookup: IOAS C holds an area at a
 * byte offset, which only accesses that never pin pages can take
 * (iopt_check_iova_alignment: EADDRINUSE). Other accesses sit on both
 * IOASes. The refused access stays on A with its pins and its pin id, reads
 * and writes A's memory, and A's unmap, its move to B and its close work.
 */
TEST_F(replace_access, refused_replace_keeps_ioas_and_pins)
{
	size_t ps = ir_page_size();
	struct ir_fx *fx = &self->fx;
	int other_a, other_c;
	__u32 ioas_c, pins, other_pins;
	unsigned char data[RW_LEN];
	__u64 unmapped = 0;
	void *buf_c;

	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &ioas_c));
	ASSERT_EQ(0, ir_access_create(fx->fd, ioas_c, 0, &other_c));
	buf_c = ir_buf_alloc(4 * ps, 0xcc);
	ASSERT_NE(NULL, buf_c);
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, ioas_c, (char *)buf_c + 64,
				       2 * ps, IOVA + 64));
	ASSERT_EQ(0, ir_access_create(fx->fd, fx->ioas_id,
				      MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				      &other_a));
	ASSERT_EQ(0, ir_access_pages(fx->fd, other_a, IOVA, fx->buf, 2 * ps, 0,
				     &other_pins));
	ASSERT_EQ(0, ir_access_pages(fx->fd, self->access_fd, IOVA + 2 * ps,
				     (char *)fx->buf + 2 * ps, 2 * ps, 0,
				     &pins));

	ASSERT_EQ(-EADDRINUSE, ir_access_replace_ioas(fx->fd, self->access_fd,
						      ioas_c));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, 4 * ps, 1))
	TH_LOG("the refused replace dropped pins of IOAS A");
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, (char *)fx->buf + 4 * ps,
				      BUF_SIZE - 4 * ps, 0));
	ASSERT_EQ(0, dma_write(fx->fd, self->access_fd, IOVA + 2 * ps, 0x44,
			       variant->rw_flags));
	ASSERT_EQ(0, ir_buf_differs((char *)fx->buf + 2 * ps, RW_LEN, 0x44))
	TH_LOG("after the refused replace, a write missed IOAS A");
	ASSERT_EQ(0, ir_buf_differs(buf_c, 4 * ps, 0xcc));
	/* C's own access reads C's area, at its byte offset. */
	ASSERT_EQ(0, ir_access_rw(fx->fd, other_c, IOVA + 64, data,
				  sizeof(data), 0));
	ASSERT_EQ(0, ir_buf_differs(data, sizeof(data), 0xcc));

	ASSERT_EQ(0, ir_access_pages_destroy(fx->fd, self->access_fd, pins));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, (char *)fx->buf + 2 * ps, 2 * ps,
				      0));
	/* The unmap takes other_a's pins through its unmap callback. */
	ASSERT_EQ(0, ir_ioas_unmap(fx->fd, fx->ioas_id, IOVA, BUF_SIZE,
				   &unmapped));
	ASSERT_EQ(BUF_SIZE, unmapped);
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 0));
	ASSERT_EQ(-ENOENT, ir_access_pages_destroy(fx->fd, other_a,
						   other_pins));
	ASSERT_EQ(0, ir_access_replace_ioas(fx->fd, self->access_fd,
					    self->ioas_b));
	ASSERT_EQ(0, close(other_a));
	ASSERT_EQ(0, close(other_c));
	ASSERT_EQ(0, ir_destroy(fx->fd, ioas_c));
	ASSERT_EQ(0, ir_destroy(fx->fd, fx->ioas_id));
	EXPECT_EQ(0, ir_buf_release(buf_c, 4 * ps));
}

TEST_HARNESS_MAIN
