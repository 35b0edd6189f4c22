// SPDX-License-Identifier: GPL-2.0
/*
 * Replace on a real IOMMU driver, with a device that moves data: QEMU's
 * edu through vfio-pci and its VFIO cdev, behind the emulated VT-d,
 * AMD-Vi, virtio-iommu or SMMUv3 the guest was given (./run.sh --iommu).
 * After every attach and every replace the device itself reads and
 * writes memory, and what it moved says which domain translated: two
 * IOASes map the same IOVAs to different memory.
 *
 * VMM flow: a VMM attaches an assigned device to a HWPT and, when the
 * guest changes its IOMMU page table, replaces it with another while the
 * device keeps working (QEMU's iommufd backend, cloud-hypervisor and
 * OpenVMM's VFIO devices).
 */
#include <pthread.h>
#include <string.h>

#include "fault_walk.h"
#include "fixture.h"
#include "ir_blockwatch.h"
#include "ir_edu.h"
#include "ir_iommu.h"
#include "ir_kmsg.h"
#include "ir_vfio.h"

/*
 * IOVAs below edu's 28-bit DMA limit and above the 16 MiB that VT-d keeps
 * for ISA DMA (a reserved region of the ISA bridge's group), a page each.
 */
#define SRC_IOVA 0x2000000ULL /* each side's pattern */
#define DST_IOVA 0x2100000ULL /* where the device writes it back */
#define ONLY_A_IOVA 0x2200000ULL /* mapped in side A only */
#define NEW_IOVA 0x2300000ULL /* mapped after a replace */
#define XFER (IR_EDU_BUF_SIZE / 2)
/*
 * How the guest's IOMMU driver names ONLY_A_IOVA in its fault report:
 * VT-d "fault addr 0x2200000", AMD-Vi "address=0x2200000", virtio-iommu
 * "at 0x2200000", SMMUv3 the event's raw words ("0x0000000002200000").
 */
#define ONLY_A_FAULT "0x0*2200000([^0-9a-fA-F]|$)"
/*
 * How long a driver may take to report a fault (its interrupt thread),
 * and how often a fault is made again for a driver that rate-limits its
 * reports (VT-d: 10 in 5 s).
 */
#define FAULT_REPORT_MS 1000
#define FAULT_TRIES 7

/* One IOAS, its HWPT on the device's IOMMU, and the memory it maps. */
struct side {
	__u32 ioas_id, hwpt_id;
	void *src, *dst;
	int fill;
};

FIXTURE(replace_dma)
{
	struct ir_fx fx;
	struct ir_edu edu;
	struct side a, b;
	void *only_a;
};

static void side_init(struct __test_metadata *_metadata, struct ir_fx *fx,
		      __u32 dev_id, struct side *s, int fill)
{
	size_t page = ir_page_size();

	s->fill = fill;
	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &s->ioas_id));
	s->src = ir_buf_alloc(page, fill);
	s->dst = ir_buf_alloc(page, 0);
	ASSERT_NE(NULL, s->src);
	ASSERT_NE(NULL, s->dst);
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, s->ioas_id, s->src, page,
				       SRC_IOVA));
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, s->ioas_id, s->dst, page,
				       DST_IOVA));
	ASSERT_EQ(0, ir_hwpt_alloc(fx->fd, dev_id, s->ioas_id, 0, &s->hwpt_id));
}

static void side_release(struct __test_metadata *_metadata, struct side *s)
{
	if (s->src)
		EXPECT_EQ(0, ir_buf_release(s->src, ir_page_size()));
	if (s->dst)
		EXPECT_EQ(0, ir_buf_release(s->dst, ir_page_size()));
	s->src = s->dst = NULL;
}

FIXTURE_SETUP(replace_dma)
{
	struct ir_fx *fx = &self->fx;
	char bdf[1][16];
	const char *why;
	int n;

	self->edu.fd = -1;
	if (!fx_open(_metadata, fx))
		return;
	n = ir_edu_find(bdf, 1);
	if (n <= 0)
		SKIP(return,
			   "no edu device behind an IOMMU (./run.sh --iommu)");
	n = ir_edu_open(bdf[0], fx->fd, &self->edu, &why);
	if (n)
		SKIP(return, "edu %s: %s (%s)", bdf[0], why, strerror(-n));
	side_init(_metadata, fx, self->edu.dev_id, &self->a, 0xa5);
	side_init(_metadata, fx, self->edu.dev_id, &self->b, 0x5b);
	self->only_a = ir_buf_alloc(ir_page_size(), 0xcc);
	ASSERT_NE(NULL, self->only_a);
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, self->a.ioas_id, self->only_a,
				       ir_page_size(), ONLY_A_IOVA));
}

FIXTURE_TEARDOWN(replace_dma)
{
	ir_block_watch_stop();
	ir_edu_close(&self->edu);
	if (self->fx.fd < 0)
		return;
	fx_close(_metadata, &self->fx);
	side_release(_metadata, &self->a);
	side_release(_metadata, &self->b);
	if (self->only_a)
		EXPECT_EQ(0, ir_buf_release(self->only_a, ir_page_size()));
	fx_finish(_metadata, 0);
}

/* The device copies a page: IOVA @from into its buffer, then out to @to. */
static void copy(struct __test_metadata *_metadata, struct ir_edu *edu,
		 __u64 from, __u64 to)
{
	ASSERT_EQ(0, ir_edu_dma(edu, from, 0, XFER, true));
	ASSERT_EQ(0, ir_edu_dma(edu, to, 0, XFER, false));
}

/*
 * The device reads side @on's pattern and writes it into @on's memory, and
 * @off's memory stays as it was (@off_dst_fill).
 */
static void assert_dma_on(struct __test_metadata *_metadata, struct ir_edu *edu,
			  struct side *on, struct side *off, int off_dst_fill)
{
	memset(on->dst, 0, XFER);
	copy(_metadata, edu, SRC_IOVA, DST_IOVA);
	ASSERT_EQ(0, ir_buf_differs(on->dst, XFER, on->fill))
	TH_LOG("the device did not move HWPT %u's memory", on->hwpt_id);
	ASSERT_EQ(0, ir_buf_differs(off->dst, XFER, off_dst_fill))
	TH_LOG("the device wrote into HWPT %u's memory, not the one attached",
	       off->hwpt_id);
}

/* Attached to A, the device moves A's memory and nothing of B's. */
TEST_F(replace_dma, attach_moves_data)
{
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	assert_dma_on(_metadata, &self->edu, &self->a, &self->b, 0);
}

/* A replace moves the device's DMA to the new domain, and back again. */
TEST_F(replace_dma, replace_follows_new_domain)
{
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	assert_dma_on(_metadata, &self->edu, &self->a, &self->b, 0);
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->b.hwpt_id, NULL));
	assert_dma_on(_metadata, &self->edu, &self->b, &self->a, self->a.fill);
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	assert_dma_on(_metadata, &self->edu, &self->a, &self->b, self->b.fill);
}

/*
 * A replace between two live domains never blocks the device's
 * translation on the way: the promise replace makes ("All drivers are
 * already required to support changing between active UNMANAGED
 * domains"), which a VMM relies on when it replaces under a device that
 * is doing DMA. Seen at the driver, every time (ir_blockwatch.h): no
 * blocking step during the replace, and the device's DMA then follows.
 */
TEST_F(replace_dma, replace_is_hitless)
{
	const char *step, *why;
	int steps;

	step = ir_block_step(self->edu.bdf, &why);
	if (!step)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ir_block_watch_start(self->edu.bdf, &why))
	TH_LOG("%s", why);
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	ASSERT_LE(0, ir_block_watch_count())
	TH_LOG("the attach before the replace showed the watch nothing to learn");
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->b.hwpt_id, NULL));
	steps = ir_block_watch_count();
	ir_block_watch_stop();
	ksft_print_msg("%s during the replace: %d\n", step, steps);
	assert_dma_on(_metadata, &self->edu, &self->b, &self->a, 0);
	ASSERT_EQ(0, steps)
	TH_LOG("the replace made %d %s: the device's translation was blocked between the two domains",
	       steps, step);
}

/* A replace onto an IOAS (its auto domain) follows that IOAS too. */
TEST_F(replace_dma, replace_to_ioas_follows_it)
{
	__u32 auto_id = 0;

	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	ASSERT_EQ(0,
		  ir_vfio_attach_pt(self->edu.fd, self->b.ioas_id, &auto_id));
	ASSERT_NE(self->b.ioas_id, auto_id);
	assert_dma_on(_metadata, &self->edu, &self->b, &self->a, 0);
}

/*
 * An IOVA that only the old domain maps moves no data after the replace:
 * a read leaves the device's buffer as it was, a write leaves the old
 * domain's memory untouched.
 */
TEST_F(replace_dma, old_only_iova_moves_nothing)
{
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	/* Through A, the page is there: its 0xcc comes back. */
	copy(_metadata, &self->edu, ONLY_A_IOVA, DST_IOVA);
	ASSERT_EQ(0, ir_buf_differs(self->a.dst, XFER, 0xcc));

	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->b.hwpt_id, NULL));
	assert_dma_on(_metadata, &self->edu, &self->b, &self->a, 0xcc);
	/*
	 * Read through B: it does not translate. What the device then holds
	 * is the emulation's (QEMU reads zeros from a failed translation),
	 * but no byte of A's page, wherever it writes it.
	 */
	memset(self->a.dst, 0, XFER);
	ASSERT_EQ(0, ir_edu_dma(&self->edu, ONLY_A_IOVA, 0, XFER, true));
	ASSERT_EQ(0, ir_edu_dma(&self->edu, DST_IOVA, 0, XFER, false));
	ASSERT_EQ(NULL, memchr(self->b.dst, 0xcc, XFER))
	TH_LOG("a read of an IOVA only the old domain maps reached its memory");
	ASSERT_EQ(NULL, memchr(self->a.dst, 0xcc, XFER))
	TH_LOG("after the replace, the device still wrote into the old domain");
	/* Written through B: A's page stays 0xcc. */
	ASSERT_EQ(0, ir_edu_dma(&self->edu, ONLY_A_IOVA, 0, XFER, false));
	ASSERT_EQ(0, ir_buf_differs(self->only_a, XFER, 0xcc))
	TH_LOG("a write to an IOVA only the old domain maps reached its memory");
}

/*
 * The fault of that read is seen where the guest reports it: the IOMMU
 * raises its fault interrupt and the driver logs the IOVA. Where the
 * interrupt never comes, the emulated IOMMU reported nothing (QEMU 7.2's
 * AMD-Vi), which is not the driver's to log: a SKIP that says so.
 */
TEST_F(replace_dma, old_only_iova_fault_reported)
{
	int kmsg, tries, reported = 0;
	long irqs, irqs_after;
	char report[256];

	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->b.hwpt_id, NULL));
	irqs = ir_iommu_fault_irqs(self->edu.bdf);
	ASSERT_LE(0, irqs)
	TH_LOG("no fault interrupt of the device's IOMMU in /proc/interrupts");
	kmsg = ir_kmsg_open();
	ASSERT_LE(0, kmsg);
	/* Drivers rate-limit their reports: the read again, a while apart. */
	for (tries = 0; !reported && tries < FAULT_TRIES; tries++) {
		ASSERT_EQ(0,
			  ir_edu_dma(&self->edu, ONLY_A_IOVA, 0, XFER, true));
		reported = ir_kmsg_wait(kmsg, ONLY_A_FAULT, FAULT_REPORT_MS,
					report, sizeof(report));
		ASSERT_LE(0, reported);
	}
	close(kmsg);
	/*
	 * Nothing to report unless the read faulted: it brought no 0xcc,
	 * wherever the device writes it.
	 */
	ASSERT_EQ(0, ir_edu_dma(&self->edu, DST_IOVA, 0, XFER, false));
	ASSERT_TRUE(!memchr(self->a.dst, 0xcc, XFER) &&
		    !memchr(self->b.dst, 0xcc, XFER))
	TH_LOG("the read reached the old domain's page: nothing faulted");
	irqs_after = ir_iommu_fault_irqs(self->edu.bdf);
	if (!reported && irqs_after == irqs)
		SKIP(return,
			   "the IOMMU raised no fault interrupt in %d faulting reads: the emulation reports no fault",
			   FAULT_TRIES);
	ASSERT_EQ(1, reported)
	TH_LOG("no fault of IOVA %#llx in the kernel log, %d reads %d ms apart, %ld fault interrupts",
	       ONLY_A_IOVA, FAULT_TRIES, FAULT_REPORT_MS, irqs_after - irqs);
	ksft_print_msg("the driver reported: %s\n", report);
}

/* After a replace, map and unmap change what the device reaches. */
TEST_F(replace_dma, map_unmap_after_replace_follow)
{
	struct ir_fx *fx = &self->fx;
	size_t page = ir_page_size();
	void *fresh = ir_buf_alloc(page, 0x3c);

	ASSERT_NE(NULL, fresh);
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->b.hwpt_id, NULL));
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, self->b.ioas_id, fresh, page,
				       NEW_IOVA));
	copy(_metadata, &self->edu, NEW_IOVA, DST_IOVA);
	ASSERT_EQ(0, ir_buf_differs(self->b.dst, XFER, 0x3c))
	TH_LOG("a page mapped after the replace is not where the device reads");
	ASSERT_EQ(0,
		  ir_ioas_unmap(fx->fd, self->b.ioas_id, NEW_IOVA, page, NULL));
	/* Unmapped: the device's write to it reaches nothing. */
	memset(fresh, 0x3c, page);
	ASSERT_EQ(0, ir_edu_dma(&self->edu, SRC_IOVA, 0, XFER, true));
	ASSERT_EQ(0, ir_edu_dma(&self->edu, NEW_IOVA, 0, XFER, false));
	ASSERT_EQ(0, ir_buf_differs(fresh, XFER, 0x3c))
	TH_LOG("a write reached a page unmapped after the replace");
	EXPECT_EQ(0, ir_buf_release(fresh, page));
}

/*
 * Whether IOAS @ioas_id reserves the MSI window at @msi: MSI_RESERVED (a
 * map of @page there is refused), MSI_FREE (it was taken, and is undone
 * again), or -errno.
 */
enum { MSI_RESERVED, MSI_FREE };

static int msi_state(int fd, __u32 ioas_id, void *page, __u64 msi)
{
	int rc = ir_ioas_map_fixed(fd, ioas_id, page, ir_page_size(), msi);

	if (!rc)
		return ir_ioas_unmap(fd, ioas_id, msi, ir_page_size(), NULL) ?:
			       MSI_FREE;
	/* A reserved IOVA is refused as a bad one (iopt_check_iova()). */
	return rc == -EINVAL ? MSI_RESERVED : rc;
}

/*
 * A replace the kernel refuses leaves the device's DMA on the old domain:
 * onto an id that does not exist, and onto a HWPT whose IOAS maps the
 * device's MSI window (a reserved region of its group, which the IOAS of
 * every domain it is attached to must keep free). The old IOAS keeps its
 * own reservation of that window, and the refused HWPT no user.
 */
TEST_F(replace_dma, failed_replace_keeps_old_domain)
{
	struct ir_fx *fx = &self->fx;
	size_t page = ir_page_size();
	__u64 msi, msi_last;
	__u32 ioas, hwpt;
	void *buf;

	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	ASSERT_EQ(-ENOENT, ir_vfio_attach_pt(self->edu.fd, 0xfffff, NULL));
	assert_dma_on(_metadata, &self->edu, &self->a, &self->b, 0);

	ASSERT_EQ(0, ir_edu_msi_window(&self->edu, &msi, &msi_last));
	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &ioas));
	buf = ir_buf_alloc(page, 0x11);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, ioas, buf, page, msi));
	ASSERT_EQ(0, ir_hwpt_alloc(fx->fd, self->edu.dev_id, ioas, 0, &hwpt));
	ASSERT_EQ(-EADDRINUSE, ir_vfio_attach_pt(self->edu.fd, hwpt, NULL))
	TH_LOG("a replace onto an IOAS that maps the MSI window %#llx-%#llx",
	       (unsigned long long)msi, (unsigned long long)msi_last);
	assert_dma_on(_metadata, &self->edu, &self->a, &self->b, 0);
	ASSERT_EQ(MSI_RESERVED, msi_state(fx->fd, self->a.ioas_id, buf, msi))
	TH_LOG("the old IOAS lost its reservation of the MSI window");
	/* An IOAS the device is not attached to has it free. */
	ASSERT_EQ(MSI_FREE, msi_state(fx->fd, self->b.ioas_id, buf, msi));
	ASSERT_EQ(0, ir_destroy(fx->fd, hwpt));
	ASSERT_EQ(0, ir_destroy(fx->fd, ioas));
	EXPECT_EQ(0, ir_buf_release(buf, page));
}

/* The attached HWPT cannot be destroyed; the one it left can. */
TEST_F(replace_dma, hwpt_in_use_is_busy)
{
	struct ir_fx *fx = &self->fx;

	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->b.hwpt_id, NULL));
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->b.hwpt_id));
	ASSERT_EQ(0, ir_destroy(fx->fd, self->a.hwpt_id));
	assert_dma_on(_metadata, &self->edu, &self->b, &self->a, 0);
}

/*
 * Every fault point of a replace on the real driver, failed in turn with
 * the kernel's fail-nth (as replace_failnth.c does on the mock, whose
 * devices have no reserved regions). Kernel promise, of
 * iommufd_device_replace(): "If it fails then no change is made to the
 * attachment". After each failed replace the device's DMA is where it
 * was, the refused HWPT has no user, and the group's reserved regions
 * (its MSI window) are claimed in the IOAS the device is attached to and
 * in no other. Upstream fixed the unwind of a replace across IOASes
 * (950aeefb3492: it released the old IOAS's reservation, not the new
 * one's); a replace between two HWPTs of one IOAS unwinds through the
 * same label, where the new IOAS is the old one. And a replace that
 * succeeds although a fault point failed (one whose failure the kernel
 * absorbs) must still reserve the new IOAS's regions: the driver's
 * get_resv_regions() allocates each region and reports no failure.
 */
struct dma_walk {
	struct __test_metadata *_metadata;
	FIXTURE_DATA(replace_dma) *self;
	__u32 to_ioas; /* where the replace goes: A's own IOAS, or B's */
	/* After a replace that succeeded: the new IOAS must reserve. */
	bool moved_reserves;
	int nth_fd;
	__u64 msi; /* the MSI window's first IOVA */
	void *page; /* what a probing map maps there */
	unsigned int refused, unreserved;
};

/* MSI_RESERVED or MSI_FREE of the walk's IOAS @ioas_id. */
static int msi_window(struct dma_walk *w, __u32 ioas_id)
{
	return msi_state(w->self->fx.fd, ioas_id, w->page, w->msi);
}

/* After the failed replace: the MSI window still reserved in @on alone. */
static void assert_msi_kept(struct dma_walk *w, __u32 on, __u32 off,
			    unsigned int nth)
{
	struct __test_metadata *_metadata = w->_metadata;

	ASSERT_EQ(MSI_RESERVED, msi_window(w, on))
	TH_LOG("fault point %u failed the replace, and IOAS %u, still attached, lost its reservation of the MSI window %#llx",
	       nth, on, (unsigned long long)w->msi);
	if (off != on)
		ASSERT_EQ(MSI_FREE, msi_window(w, off))
		TH_LOG("fault point %u failed the replace, and IOAS %u, not attached, reserves the MSI window",
		       nth, off);
}

/* After the replace that succeeded: the window moved from @off to @on. */
static void assert_msi_moved(struct dma_walk *w, __u32 on, __u32 off,
			     unsigned int nth, bool fired)
{
	struct __test_metadata *_metadata = w->_metadata;
	int on_state = msi_window(w, on);

	ASSERT_LE(0, on_state);
	if (on_state == MSI_FREE) {
		w->unreserved++;
		ksft_print_msg("fault point %u%s: the replace succeeded, and IOAS %u, now attached, has no reservation of the MSI window\n",
			       nth, fired ? " (absorbed)" : "", on);
	}
	if (w->moved_reserves)
		ASSERT_EQ(MSI_RESERVED, on_state)
		TH_LOG("IOAS %u is attached without a reservation of the MSI window %#llx",
		       on, (unsigned long long)w->msi);
	if (off != on)
		ASSERT_EQ(MSI_FREE, msi_window(w, off))
		TH_LOG("fault point %u: IOAS %u, left, still reserves the MSI window",
		       nth, off);
}

/*
 * After the replace that fault point @nth failed (@rc): the device's DMA
 * still on A. Where it went instead says what the unwind left: the new
 * domain, or none (the device blocked).
 */
static void assert_dma_kept(struct dma_walk *w, unsigned int nth, int rc)
{
	struct __test_metadata *_metadata = w->_metadata;
	FIXTURE_DATA(replace_dma) *self = w->self;
	struct side *a = &self->a, *b = &self->b;

	memset(a->dst, 0, XFER);
	memset(b->dst, 0, XFER);
	copy(_metadata, &self->edu, SRC_IOVA, DST_IOVA);
	if (!ir_buf_differs(a->dst, XFER, a->fill) &&
	    !ir_buf_differs(b->dst, XFER, 0))
		return;
	ASSERT_TRUE(false)
	TH_LOG("fault point %u failed the replace (%d), and the device's DMA left the old domain: %s",
	       nth, rc,
	       !ir_buf_differs(b->dst, XFER, b->fill) ?
		       "it went to the new one" :
		       "it reached neither (the device's translation is blocked)");
}

/* One replace that fails the @nth fault point; true while it was reached. */
static bool dma_attempt(void *ctx, unsigned int nth)
{
	struct dma_walk *w = ctx;
	struct __test_metadata *_metadata = w->_metadata;
	FIXTURE_DATA(replace_dma) *self = w->self;
	__u32 from = self->a.ioas_id, to;
	bool fired;
	int rc;

	ASSERT_EQ(0, ir_hwpt_alloc(self->fx.fd, self->edu.dev_id, w->to_ioas,
				   0, &to));
	ASSERT_EQ(MSI_RESERVED, msi_window(w, from))
	TH_LOG("before fault point %u: IOAS %u, attached, reserves no MSI window",
	       nth, from);
	ASSERT_EQ(0, ir_failnth_arm(w->nth_fd, nth));
	rc = ir_vfio_attach_pt(self->edu.fd, to, NULL);
	ASSERT_EQ(0, ir_failnth_disarm(w->nth_fd, &fired));
	if (rc) {
		ASSERT_TRUE(fired)
		TH_LOG("the replace failed (%d) with no failure injected", rc);
		ASSERT_TRUE(fw_injected_errno(rc))
		TH_LOG("fault point %u: errno %d", nth, -rc);
		w->refused++;
		assert_dma_kept(w, nth, rc);
		assert_msi_kept(w, from, w->to_ioas, nth);
		ASSERT_EQ(0, ir_destroy(self->fx.fd, to))
		TH_LOG("fault point %u: the refused HWPT %u kept a user", nth,
		       to);
		return fired;
	}
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, to));
	assert_msi_moved(w, w->to_ioas, from, nth, fired);
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, to));
	return fired;
}

static void dma_walk(struct __test_metadata *_metadata,
		     FIXTURE_DATA(replace_dma) *self, __u32 to_ioas,
		     bool moved_reserves, const char *name)
{
	struct dma_walk w = { _metadata, self, to_ioas, moved_reserves };
	__u64 msi_last;
	const char *why;

	if (ir_failnth_setup(&why))
		SKIP(return, "%s", why);
	w.nth_fd = ir_failnth_open();
	ASSERT_LE(0, w.nth_fd);
	ASSERT_EQ(0, ir_edu_msi_window(&self->edu, &w.msi, &msi_last));
	w.page = ir_buf_alloc(ir_page_size(), 0x11);
	ASSERT_NE(NULL, w.page);
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	assert_dma_on(_metadata, &self->edu, &self->a, &self->b, 0);
	fw_walk(_metadata, dma_attempt, &w, &w.refused, "replace_dma", name,
		"fault points");
	ksft_print_msg("%s: %u replaces that succeeded left the MSI window unreserved\n",
		       name, w.unreserved);
	close(w.nth_fd);
	EXPECT_EQ(0, ir_buf_release(w.page, ir_page_size()));
}

/* Onto a second HWPT of the IOAS the device is attached to. */
TEST_F_TIMEOUT(replace_dma, failed_replace_in_ioas_unwinds, 600)
{
	dma_walk(_metadata, self, self->a.ioas_id, true,
		 "failed_replace_in_ioas_unwinds");
}

/*
 * Onto a HWPT of another IOAS, which claims the MSI window first: what a
 * failed replace leaves (what it moved is replace_under_faults_reserves's).
 */
TEST_F_TIMEOUT(replace_dma, failed_replace_across_unwinds, 600)
{
	dma_walk(_metadata, self, self->b.ioas_id, false,
		 "failed_replace_across_unwinds");
}

/* The same walk: every replace that succeeds reserves the new IOAS's window. */
TEST_F_TIMEOUT(replace_dma, replace_under_faults_reserves, 600)
{
	dma_walk(_metadata, self, self->b.ioas_id, true,
		 "replace_under_faults_reserves");
}

/*
 * The replacer of dma_in_flight_lands_whole: the device onto one HWPT and
 * then the other, as fast as the kernel takes it, until told to stop.
 */
struct replacer {
	int vfio_fd;
	__u32 hwpt[2];
	bool stop;
	int replaces, err;
};

static void *replace_loop(void *arg)
{
	struct replacer *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		__u32 next = r->hwpt[(r->replaces + 1) % 2];

		r->err = ir_vfio_attach_pt(r->vfio_fd, next, NULL);
		if (r->err)
			break;
		r->replaces++;
	}
	return NULL;
}

#define IN_FLIGHT_COPIES 24

/*
 * What copy @i of dma_in_flight_lands_whole left: 0 when exactly one
 * side's destination holds the whole of one side's source, this copy's
 * fill (never an older one, never part of one), else why not.
 */
static const char *copy_landed(struct side *s[2], int i)
{
	int k, j, landed = 0, whole = 0;
	void *dst;

	for (k = 0; k < 2; k++) {
		dst = s[k]->dst;
		if (!ir_buf_differs(dst, XFER, 0))
			continue;
		landed++;
		for (j = 0; j < 2; j++)
			whole += !ir_buf_differs(dst, XFER, s[j]->fill ^ i);
	}
	if (!landed)
		return "its write reached neither domain: a fault";
	if (landed > 1)
		return "it wrote into both domains";
	if (!whole)
		return "what it wrote is not one domain's source as it was: its read faulted or was torn";
	return NULL;
}

/*
 * DMA in flight during replaces (last of the fixture: the faults it may
 * cause fill the drivers' rate-limited reports): while another thread
 * replaces the device back and forth between A and B, which map the same
 * IOVAs to different memory, the device keeps copying. Every transfer
 * lands wholly in one of the two domains; one that faults (moves nothing,
 * or reads what is not there) means the device passed through a blocking
 * state between them. Each copy's source is new (each side's fill ^ the
 * copy's number), so a read that faulted cannot pass for one that landed;
 * and the copies land in both domains, or the replaces moved nothing.
 */
TEST_F(replace_dma, dma_in_flight_lands_whole)
{
	struct replacer r = { .vfio_fd = self->edu.fd,
			      .hwpt = { self->a.hwpt_id, self->b.hwpt_id } };
	struct side *s[2] = { &self->a, &self->b };
	const char *what, *why = NULL;
	int i, k, err = 0, bad = 0, first_bad = -1, into[2] = {};
	pthread_t thread;

	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu.fd, self->a.hwpt_id, NULL));
	ASSERT_EQ(0, pthread_create(&thread, NULL, replace_loop, &r));
	for (i = 1; i <= IN_FLIGHT_COPIES && !err; i++) {
		for (k = 0; k < 2; k++) {
			memset(s[k]->src, s[k]->fill ^ i, XFER);
			memset(s[k]->dst, 0, XFER);
		}
		err = ir_edu_dma(&self->edu, SRC_IOVA, 0, XFER, true);
		if (!err)
			err = ir_edu_dma(&self->edu, DST_IOVA, 0, XFER, false);
		what = err ? NULL : copy_landed(s, i);
		if (what && !bad++) {
			first_bad = i;
			why = what;
		}
		for (k = 0; !err && !what && k < 2; k++)
			into[k] += !!ir_buf_differs(s[k]->dst, XFER, 0);
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, r.err);
	ksft_print_msg(
		"%d copies, %d replaces: %d not whole, %d into A, %d B\n",
		IN_FLIGHT_COPIES, r.replaces, bad, into[0], into[1]);
	ASSERT_LE(IN_FLIGHT_COPIES, r.replaces)
	TH_LOG("the replaces did not overlap the transfers");
	ASSERT_EQ(0, bad)
	TH_LOG("%d of %d copies amid replaces did not land whole; copy %d: %s",
	       bad, IN_FLIGHT_COPIES, first_bad, why);
	ASSERT_TRUE(into[0] && into[1])
	TH_LOG("every copy wrote into one domain: the replaces did not move the device's DMA");
}

/*
 * Two edu devices in IOMMU groups of their own, both attached to A: a
 * replace of one moves that one only. The other's DMA stays on A, which
 * keeps it as a user.
 */
FIXTURE(replace_dma_pair)
{
	struct ir_fx fx;
	struct ir_edu edu[2];
	struct side a, b;
};

/* The two devices and two sides of replace_dma_pair and _group. */
struct two_devs {
	struct ir_fx *fx;
	struct ir_edu *edu; /* [2] */
	struct side *a, *b;
};

/*
 * Two edu devices of one IOMMU group (@same_group) or of two into @pair;
 * false when there are none.
 */
static bool find_two(char bdf[][16], int n, bool same_group, int *pair)
{
	int i, j, gi, gj;

	for (i = 0; i < n; i++) {
		gi = ir_edu_group(bdf[i]);
		for (j = i + 1; gi >= 0 && j < n; j++) {
			gj = ir_edu_group(bdf[j]);
			if (gj < 0 || (gj == gi) != same_group)
				continue;
			pair[0] = i;
			pair[1] = j;
			return true;
		}
	}
	return false;
}

/*
 * Opens two edu devices (@same_group or not) and allocates A and B on the
 * first; false when the test was SKIPped or failed.
 */
static bool two_open(struct __test_metadata *_metadata, struct two_devs t,
		     bool same_group)
{
	char bdf[8][16];
	const char *why;
	int n, i, pair[2];

	t.edu[0].fd = t.edu[1].fd = -1;
	if (!fx_open(_metadata, t.fx))
		return false;
	n = ir_edu_find(bdf, ARRAY_SIZE(bdf));
	/* Bound first: a device's group may exist only once it is. */
	for (i = 0; i < n; i++)
		ir_edu_bind_vfio(bdf[i], &why);
	if (n < 2 || !find_two(bdf, n, same_group, pair)) {
		SKIP(return false,
			    "no two edu devices in %s (./run.sh --iommu)",
			    same_group ? "one IOMMU group" :
					 "different IOMMU groups");
	}
	for (i = 0; i < 2; i++) {
		n = ir_edu_open(bdf[pair[i]], t.fx->fd, &t.edu[i], &why);
		if (n)
			SKIP(return false, "edu %s: %s (%s)", bdf[pair[i]], why,
				    strerror(-n));
	}
	side_init(_metadata, t.fx, t.edu[0].dev_id, t.a, 0xa5);
	side_init(_metadata, t.fx, t.edu[0].dev_id, t.b, 0x5b);
	return true;
}

static void two_close(struct __test_metadata *_metadata, struct two_devs t)
{
	ir_edu_close(&t.edu[0]);
	ir_edu_close(&t.edu[1]);
	if (t.fx->fd < 0)
		return;
	fx_close(_metadata, t.fx);
	side_release(_metadata, t.a);
	side_release(_metadata, t.b);
	fx_finish(_metadata, 0);
}

#define TWO_DEVS(self)                          \
	((struct two_devs){ .fx = &(self)->fx,  \
			    .edu = (self)->edu, \
			    .a = &(self)->a,    \
			    .b = &(self)->b })

FIXTURE_SETUP(replace_dma_pair)
{
	two_open(_metadata, TWO_DEVS(self), false);
}

FIXTURE_TEARDOWN(replace_dma_pair)
{
	two_close(_metadata, TWO_DEVS(self));
}

TEST_F(replace_dma_pair, replace_one_leaves_other)
{
	struct ir_fx *fx = &self->fx;
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ir_vfio_attach_pt(self->edu[i].fd, self->a.hwpt_id,
					       NULL));
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu[0].fd, self->b.hwpt_id, NULL));
	assert_dma_on(_metadata, &self->edu[0], &self->b, &self->a, 0);
	assert_dma_on(_metadata, &self->edu[1], &self->a, &self->b,
		      self->b.fill);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->a.hwpt_id))
	TH_LOG("the HWPT the other device stayed on lost it as a user");
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu[1].fd, self->b.hwpt_id, NULL));
	assert_dma_on(_metadata, &self->edu[1], &self->b, &self->a,
		      self->a.fill);
	ASSERT_EQ(0, ir_destroy(fx->fd, self->a.hwpt_id));
}

/*
 * Two edu devices behind a conventional PCI bridge: one IOMMU group, so
 * one domain for both. iommufd attaches the group as a whole: a replace
 * through one device moves both devices' DMA and both users to the new
 * HWPT, and an attach of the other to a different HWPT than the group's
 * is refused, its DMA staying where the group's is.
 */
FIXTURE(replace_dma_group)
{
	struct ir_fx fx;
	struct ir_edu edu[2];
	struct side a, b;
};

FIXTURE_SETUP(replace_dma_group)
{
	two_open(_metadata, TWO_DEVS(self), true);
}

FIXTURE_TEARDOWN(replace_dma_group)
{
	two_close(_metadata, TWO_DEVS(self));
}

TEST_F(replace_dma_group, replace_moves_the_group)
{
	struct ir_fx *fx = &self->fx;
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ir_vfio_attach_pt(self->edu[i].fd, self->a.hwpt_id,
					       NULL));
	for (i = 0; i < 2; i++)
		assert_dma_on(_metadata, &self->edu[i], &self->a, &self->b, 0);
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu[0].fd, self->b.hwpt_id, NULL));
	for (i = 0; i < 2; i++)
		assert_dma_on(_metadata, &self->edu[i], &self->b, &self->a,
			      self->a.fill);
	/* Both users moved: A is free, B busy until the last one leaves. */
	ASSERT_EQ(0, ir_destroy(fx->fd, self->a.hwpt_id));
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->b.hwpt_id));
	ASSERT_EQ(0, ir_vfio_detach_pt(self->edu[0].fd));
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->b.hwpt_id))
	TH_LOG("the HWPT lost the other device of the group as a user");
	ASSERT_EQ(0, ir_vfio_detach_pt(self->edu[1].fd));
	ASSERT_EQ(0, ir_destroy(fx->fd, self->b.hwpt_id));
}

TEST_F(replace_dma_group, split_attach_refused)
{
	ASSERT_EQ(0, ir_vfio_attach_pt(self->edu[0].fd, self->a.hwpt_id, NULL));
	ASSERT_EQ(-EINVAL,
		  ir_vfio_attach_pt(self->edu[1].fd, self->b.hwpt_id, NULL))
	TH_LOG("one device of a group attached to another HWPT than the group's");
	assert_dma_on(_metadata, &self->edu[1], &self->a, &self->b, 0);
	assert_dma_on(_metadata, &self->edu[0], &self->a, &self->b, 0);
}

TEST_HARNESS_MAIN
