// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAS states a replace walks through. A replace fills the new domain
 * from what the IOAS holds, and the old domain, when it was the last one,
 * hands the pages still in use back to the IOAS: to emulated accesses'
 * pins, kept in the pages' own storage. Upstream's bugs there were in the
 * states a fresh IOAS of whole areas never has: areas cut in two, areas
 * copied from another IOAS (one set of pages twice), file-backed areas, and
 * a huge page of which an access pins a few pages in the middle when the
 * last domain goes ("iommufd: Set end correctly when doing batch carry").
 *
 * Each variant makes IOAS A one such way, with huge pages on or off, and
 * pins part of it through two emulated accesses (two more on IOAS B). The
 * walk then moves a device through every way a domain of A comes and goes:
 * a HWPT filled from A's auto domain, a replace that frees that auto
 * domain, a new auto domain, a replace to B that takes A's last domain, a
 * second device that refills A from the pins alone, and its destroy. After
 * every step: the device-side oracle (fx_replace), A's exact contents in
 * the current domain (MD_CHECK_MAP over every page, holes unmapped), its
 * exact pins (MD_CHECK_REFS page by page, and VmPin, which counts a huge
 * page's pins too), and each access reading and writing A's memory.
 *
 * VMM flow: QEMU's vfio-pci under a vIOMMU moves a device between address
 * spaces while its emulated devices (virtio backends, vfio-mdev) keep pages
 * pinned; a type1 guest unmaps part of a mapping (VFIO compatibility).
 */
#include <string.h>

#include "fixture.h"

#define PAGES 16
#define MAX_SEGS 3
#define PIN_PAGES 2UL
/* The largest huge page this walk maps (a 64 KiB kernel's is 512 MiB). */
#define THP_MAX (32UL << 20)

/* A run of IOAS A, in pages from IOVA: mapped to @uptr, or a hole (NULL). */
struct seg {
	size_t first, count;
	char *uptr;
};

/* What A holds, and where its accesses pin (PIN_PAGES from pin_first and
 * from pin_first + 1). */
struct layout {
	struct seg segs[MAX_SEGS];
	unsigned int nsegs;
	size_t pages;
	size_t pin_first;
};

/* The memory behind an IOAS, released (and proved unpinned) at teardown. */
struct mem {
	void *buf;
	size_t len;
	int mfd;
};

FIXTURE(replace_states)
{
	struct ir_fx fx; /* fx.ioas_id is IOAS A */
	struct layout a;
	struct mem mem_a, mem_b;
	struct ir_mock_dev dev;
	__u32 ioas_b;
	int access_a[2], access_b[2];
	/* Whether a domain holds all of A (and B) pinned right now. */
	bool a_domain, b_domain;
};

static size_t ps(void)
{
	return ir_page_size();
}

static void seg_add(struct layout *l, size_t first, size_t count, void *uptr)
{
	l->segs[l->nsegs++] = (struct seg){ first, count, uptr };
	if (first + count > l->pages)
		l->pages = first + count;
}

/* The memory behind page @page of A, or NULL in a hole. */
static char *layout_uptr(const struct layout *l, size_t page)
{
	unsigned int i;

	for (i = 0; i < l->nsegs; i++)
		if (l->segs[i].uptr && page >= l->segs[i].first &&
		    page < l->segs[i].first + l->segs[i].count)
			return l->segs[i].uptr +
			       (page - l->segs[i].first) * ps();
	return NULL;
}

/*
 * One area, then the middle quarter unmapped through the VFIO type1
 * compatibility, the only unmap that cuts an area. With huge pages on the
 * domain may have mapped across the cut, so the kernel must refuse it.
 */
static bool make_split(struct __test_metadata *_metadata,
		       FIXTURE_DATA(replace_states) *self, bool huge)
{
	struct ir_fx *fx = &self->fx;
	struct mem *m = &self->mem_a;
	__u64 unmapped = 0;
	char *buf;

	m->len = PAGES * ps();
	m->buf = buf = ir_buf_alloc(m->len, 0xa1);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, fx->ioas_id, buf, m->len, IOVA));
	ASSERT_EQ(0, ir_vfio_compat_ioas(fx->fd, fx->ioas_id));
	if (huge) {
		ASSERT_EQ(-ENOENT, ir_vfio_unmap(fx->fd, IOVA + 4 * ps(),
						 4 * ps(), &unmapped))
		TH_LOG("a partial unmap cut an area a huge page may span");
		seg_add(&self->a, 0, PAGES, buf);
		return true;
	}
	ASSERT_EQ(0, ir_vfio_unmap(fx->fd, IOVA + 4 * ps(), 4 * ps(),
				   &unmapped));
	ASSERT_EQ(4 * ps(), unmapped);
	seg_add(&self->a, 0, 4, buf);
	seg_add(&self->a, 4, 4, NULL);
	seg_add(&self->a, 8, PAGES - 8, buf + 8 * ps());
	return true;
}

/*
 * Two areas copied from IOAS C, overlapping in C (so A maps C's pages 2
 * and 3 twice, from one set of pages), then C destroyed: A's areas alone
 * hold those pages.
 */
static bool make_copy(struct __test_metadata *_metadata,
		      FIXTURE_DATA(replace_states) *self, bool huge)
{
	struct ir_fx *fx = &self->fx;
	struct mem *m = &self->mem_a;
	__u32 ioas_c;

	m->len = PAGES * ps();
	ASSERT_EQ(0, ir_ioas_alloc_mapped(fx->fd, m->len, 0xc3, IOVA, &ioas_c,
					  &m->buf));
	ASSERT_EQ(0, ir_ioas_copy(fx->fd, fx->ioas_id, IOVA, ioas_c,
				  IOVA + 2 * ps(), 12 * ps()));
	ASSERT_EQ(0, ir_ioas_copy(fx->fd, fx->ioas_id, IOVA + 12 * ps(),
				  ioas_c, IOVA, 4 * ps()));
	ASSERT_EQ(0, ir_destroy(fx->fd, ioas_c));
	seg_add(&self->a, 0, 12, (char *)m->buf + 2 * ps());
	seg_add(&self->a, 12, 4, m->buf);
	return true;
}

/* A memfd mapped by file, where the tree has IOMMU_IOAS_MAP_FILE. */
static bool make_file(struct __test_metadata *_metadata,
		      FIXTURE_DATA(replace_states) *self, bool huge)
{
	struct ir_fx *fx = &self->fx;
	struct mem *m = &self->mem_a;
	int rc;

	m->len = PAGES * ps();
	m->buf = ir_buf_memfd(m->len, 0xf5, &m->mfd);
	ASSERT_NE(NULL, m->buf);
	rc = ir_ioas_map_file(fx->fd, fx->ioas_id, m->mfd, 0, m->len, IOVA);
	if (rc == -EOPNOTSUPP)
		SKIP(return false,
		     "IOMMU_IOAS_MAP_FILE: not in this tree's uapi (6.14 and later)");
	ASSERT_EQ(0, rc);
	seg_add(&self->a, 0, PAGES, m->buf);
	return true;
}

/*
 * One transparent huge page, the accesses pinning a few pages in its
 * middle: the domain's contiguous run is cut by the pins when it goes.
 */
static bool make_thp(struct __test_metadata *_metadata,
		     FIXTURE_DATA(replace_states) *self, bool huge)
{
	struct ir_fx *fx = &self->fx;
	struct mem *m = &self->mem_a;
	long before = ir_anon_huge_kib();

	m->len = ir_thp_size();
	if (!m->len || m->len > THP_MAX)
		SKIP(return false,
		     "transparent huge pages of %zu KiB: more than this test maps",
		     m->len >> 10);
	m->buf = ir_buf_alloc_thp(m->len, 0xd4);
	ASSERT_NE(NULL, m->buf);
	if (ir_anon_huge_kib() - before < (long)(m->len >> 10))
		SKIP(return false, "the kernel backed the buffer with small pages");
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, fx->ioas_id, m->buf, m->len,
				       IOVA));
	seg_add(&self->a, 0, m->len / ps(), m->buf);
	self->a.pin_first = m->len / ps() / 2 + 1;
	return true;
}

FIXTURE_VARIANT(replace_states)
{
	bool (*make)(struct __test_metadata *_metadata,
		     FIXTURE_DATA(replace_states) *self, bool huge);
	bool huge_pages;
};

FIXTURE_VARIANT_ADD(replace_states, split){ make_split, true };
FIXTURE_VARIANT_ADD(replace_states, split_small_pages){ make_split, false };
FIXTURE_VARIANT_ADD(replace_states, copy){ make_copy, true };
FIXTURE_VARIANT_ADD(replace_states, copy_small_pages){ make_copy, false };
FIXTURE_VARIANT_ADD(replace_states, file){ make_file, true };
FIXTURE_VARIANT_ADD(replace_states, file_small_pages){ make_file, false };
FIXTURE_VARIANT_ADD(replace_states, thp){ make_thp, true };
FIXTURE_VARIANT_ADD(replace_states, thp_small_pages){ make_thp, false };

/* Access @i of an IOAS pins PIN_PAGES from page @first + @i, checking the
 * kernel pinned the memory @l says is there. */
static void pin(struct __test_metadata *_metadata, int fd, int access_fd,
		const struct layout *l, size_t first)
{
	__u32 pages_id;

	ASSERT_EQ(0, ir_access_pages(fd, access_fd, IOVA + first * ps(),
				     layout_uptr(l, first), PIN_PAGES * ps(), 0,
				     &pages_id));
}

FIXTURE_SETUP(replace_states)
{
	struct ir_fx *fx = &self->fx;
	struct layout b = { .pin_first = 1 };
	int i;

	for (i = 0; i < 2; i++)
		self->access_a[i] = self->access_b[i] = -1;
	self->mem_a.mfd = self->mem_b.mfd = -1;
	self->a.pin_first = 1;
	if (!fx_open(_metadata, fx))
		return;
	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &fx->ioas_id));
	if (!variant->huge_pages)
		ASSERT_EQ(0, ir_ioas_huge_pages(fx->fd, fx->ioas_id, false));
	/* The state is made under a domain, as a running VM makes it. */
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	self->a_domain = true;
	if (!variant->make(_metadata, self, variant->huge_pages))
		return;
	self->mem_b.len = PAGES * ps();
	ASSERT_EQ(0, ir_ioas_alloc_mapped(fx->fd, self->mem_b.len, 0xbb, IOVA,
					  &self->ioas_b, &self->mem_b.buf));
	seg_add(&b, 0, PAGES, self->mem_b.buf);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ir_access_create(
				     fx->fd, fx->ioas_id,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &self->access_a[i]));
		pin(_metadata, fx->fd, self->access_a[i], &self->a,
		    self->a.pin_first + i);
		ASSERT_EQ(0, ir_access_create(
				     fx->fd, self->ioas_b,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &self->access_b[i]));
		pin(_metadata, fx->fd, self->access_b[i], &b, b.pin_first + i);
	}
}

static void mem_release(struct __test_metadata *_metadata, struct mem *m)
{
	if (m->buf)
		EXPECT_EQ(0, ir_buf_release(m->buf, m->len));
	if (m->mfd >= 0)
		close(m->mfd);
}

FIXTURE_TEARDOWN(replace_states)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (self->access_a[i] >= 0)
			close(self->access_a[i]);
		if (self->access_b[i] >= 0)
			close(self->access_b[i]);
	}
	fx_teardown(_metadata, &self->fx);
	mem_release(_metadata, &self->mem_a);
	mem_release(_metadata, &self->mem_b);
}

/* Whether page @page of A is pinned by one of its accesses. */
static bool access_pinned(const struct layout *l, size_t page)
{
	char *uptr = layout_uptr(l, page);
	size_t p;

	/* By memory, not IOVA: a copied page may sit at two IOVAs. */
	for (p = l->pin_first; p < l->pin_first + PIN_PAGES + 1; p++)
		if (uptr && layout_uptr(l, p) == uptr)
			return true;
	return false;
}

/* Pages of A's memory that must be pinned now, each counted once. */
static size_t a_pinned_pages(FIXTURE_DATA(replace_states) *self)
{
	size_t pages = self->mem_a.len / ps(), n = 0, i;
	char *base = self->mem_a.buf;
	size_t p;

	for (i = 0; i < pages; i++) {
		bool mapped = false, pinned = false;

		for (p = 0; p < self->a.pages; p++) {
			if (layout_uptr(&self->a, p) != base + i * ps())
				continue;
			mapped = true;
			pinned |= access_pinned(&self->a, p);
		}
		n += mapped && (self->a_domain || pinned);
	}
	return n;
}

/* A's contents in domain @hwpt_id, page by page: each page mapped to its
 * memory, each hole page unmapped, nothing past the end. */
static void check_map(struct __test_metadata *_metadata,
		      FIXTURE_DATA(replace_states) *self, __u32 hwpt_id)
{
	int fd = self->fx.fd;
	unsigned int i;
	size_t p;

	for (i = 0; i < self->a.nsegs; i++) {
		const struct seg *s = &self->a.segs[i];

		if (s->uptr) {
			ASSERT_EQ(0, ir_md_check_map(fd, hwpt_id,
						     IOVA + s->first * ps(),
						     s->uptr, s->count * ps()))
			TH_LOG("hwpt %u: pages %zu-%zu of IOAS A not mapped to their memory",
			       hwpt_id, s->first, s->first + s->count - 1);
			continue;
		}
		for (p = s->first; p < s->first + s->count; p++) {
			ASSERT_EQ(-EINVAL,
				  ir_md_check_map(fd, hwpt_id, IOVA + p * ps(),
						  self->mem_b.buf, ps()))
			TH_LOG("hwpt %u: page %zu of IOAS A, unmapped, is mapped",
			       hwpt_id, p);
		}
	}
	ASSERT_EQ(-EINVAL, ir_md_check_map(fd, hwpt_id,
					   IOVA + self->a.pages * ps(),
					   self->mem_b.buf, ps()))
	TH_LOG("hwpt %u: a page past IOAS A's end is mapped", hwpt_id);
}

/* Every page of A's memory pinned exactly as the state says, and VmPin
 * the sum over A and B (B: all of it under a domain, else its pins). */
static void check_pins(struct __test_metadata *_metadata,
		       FIXTURE_DATA(replace_states) *self, const char *when)
{
	size_t b_pages = self->b_domain ? PAGES : PIN_PAGES + 1;
	unsigned int refs;
	size_t p;
	char *uptr;

	for (p = 0; p < self->a.pages; p++) {
		uptr = layout_uptr(&self->a, p);
		if (!uptr)
			continue;
		refs = self->a_domain || access_pinned(&self->a, p);
		ASSERT_EQ(0, ir_md_check_refs(self->fx.fd, uptr, ps(), refs))
		TH_LOG("%s: page %zu of IOAS A is not pinned %u time(s)", when,
		       p, refs);
	}
	ASSERT_EQ((long)((a_pinned_pages(self) + b_pages) * ps() >> 10),
		  ir_pinned_kib())
	TH_LOG("%s: VmPin is not what IOAS A and B pin", when);
}

/* Each access of A reads its first pinned page and writes @fill into it;
 * the memory behind A shows the write. */
static void check_accesses(struct __test_metadata *_metadata,
			   FIXTURE_DATA(replace_states) *self, int fill)
{
	unsigned char data[64];
	size_t page;
	char *uptr;
	int i;

	for (i = 0; i < 2; i++) {
		page = self->a.pin_first + i;
		uptr = layout_uptr(&self->a, page);
		ASSERT_EQ(0, ir_access_rw(self->fx.fd, self->access_a[i],
					  IOVA + page * ps(), data,
					  sizeof(data), 0));
		ASSERT_EQ(0, memcmp(data, uptr, sizeof(data)))
		TH_LOG("access %d read other memory than IOAS A's", i);
		memset(data, fill + i, sizeof(data));
		ASSERT_EQ(0, ir_access_rw(self->fx.fd, self->access_a[i],
					  IOVA + page * ps(), data,
					  sizeof(data), MOCK_ACCESS_RW_WRITE));
		ASSERT_EQ(0, ir_buf_differs(uptr, sizeof(data), fill + i))
		TH_LOG("access %d wrote elsewhere than IOAS A's memory", i);
	}
}

#define check_step(hwpt_id, when)                             \
	do {                                                  \
		if (hwpt_id)                                  \
			check_map(_metadata, self, hwpt_id);  \
		check_pins(_metadata, self, when);            \
		check_accesses(_metadata, self, __LINE__ & 0x7f); \
	} while (0)

TEST_F(replace_states, fill_empty_refill)
{
	struct ir_fx *fx = &self->fx;
	struct ir_mock_dev dev2;
	__u32 h1, d1, db;

	check_step(self->dev.hwpt_id, "the state made");
	/* A HWPT filled from the auto domain, which the replace frees. */
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id, 0, &h1);
	fx_replace(_metadata, fx, self->dev.stdev_id, h1, NULL);
	check_step(h1, "on a new HWPT of A");
	/* A new auto domain, filled from h1, which then goes. */
	fx_replace(_metadata, fx, self->dev.stdev_id, fx->ioas_id, &d1);
	ASSERT_NE(h1, d1);
	ASSERT_EQ(0, ir_destroy(fx->fd, h1));
	check_step(d1, "on a new auto domain of A");
	/* To B: A's last domain goes with the replace; the pins stay. */
	fx_replace(_metadata, fx, self->dev.stdev_id, self->ioas_b, &db);
	self->a_domain = false;
	self->b_domain = true;
	ASSERT_EQ(0, ir_md_check_map(fx->fd, db, IOVA, self->mem_b.buf,
				     PAGES * ps()));
	check_step(0, "A's last domain gone by a replace");
	/* A second device refills A from its pins and its memory. */
	fx_dev(_metadata, fx, fx->ioas_id, 0, &dev2);
	self->a_domain = true;
	check_step(dev2.hwpt_id, "a device on A again");
	/* Its destroy takes A's last domain again. */
	ASSERT_EQ(0, ir_destroy(fx->fd, dev2.stdev_id));
	self->a_domain = false;
	check_step(0, "A's last device destroyed");
	ASSERT_EQ(0, ir_destroy(fx->fd, self->dev.stdev_id));
	self->b_domain = false;
	check_step(0, "B's device destroyed");
}

TEST_HARNESS_MAIN
