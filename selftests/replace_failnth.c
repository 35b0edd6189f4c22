// SPDX-License-Identifier: GPL-2.0
/*
 * Every failure point of every replace: the kernel's fault injection fails
 * the 1st, 2nd, 3rd, ... fault point a replace reaches (an allocation, or
 * the mock driver's own fail_iommufd point) until the replace reaches none
 * and succeeds. After each failed attempt the device is, at the driver,
 * still on the old domain; the old HWPT is busy, the new one destroys at
 * once and releases what it pinned; the old domain still maps the IOAS;
 * page faults go where they went. After the final success the device is
 * on the new domain, and closing the iommufd unpins every page.
 *
 * Kernel promise: if iommufd_device_replace() fails, the attachment is
 * unchanged and nothing keeps a reference to the new domain.
 * VMM flow: any replace of any VMM under memory pressure.
 */
#include <string.h>

#include "fault_walk.h"

#define BUF_SIZE (16 * ir_page_size())

#define PASID_NR 100

/* One attempt's objects, all made before any failure is armed. */
struct world {
	struct ir_fx fx; /* IOAS A, buffer A */
	__u32 ioas_b;
	void *buf_b;
	struct ir_mock_dev dev;
	__u32 parent; /* nested flavours: the stage-2 the others sit on */
	__u32 from, to; /* the HWPT the device is on; where it goes */
	__u32 queue_id;
	int queue_fd, access_fd;
	__u32 viommu, vdev, veventq_id; /* the vIOMMU flavour's */
	int veventq_fd;
};

/* Which of the two HWPTs a flavour's fault queue is on, if any. */
enum queue_on { QUEUE_NONE, QUEUE_ON_FROM, QUEUE_ON_TO };

/*
 * One flavour of replace: a row. A mock device's flavour names the two
 * HWPTs it goes between (@pick) and what they are; the shared build,
 * replace and checks read the rest of the row. A flavour of its own kind
 * (ACCESS, PASID) brings its own functions for every step.
 */
struct flavour {
	const char *name; /* for the TAP line of the count */
	/* Why the kernel behind @fd cannot run it, or NULL. */
	const char *(*missing)(int fd);
	/* Device flavours: w->from and w->to, on a device built on IOAS A. */
	void (*pick)(struct __test_metadata *_metadata, struct world *w);
	bool nested; /* both sit on a nesting parent, w->parent */
	enum queue_on queue;
	bool leaves_ioas; /* the target maps IOAS B: B stays unpinned */
	/* Flavours of their own kind; NULL for the device's shared steps. */
	void (*build)(struct __test_metadata *_metadata, struct world *w);
	int (*replace)(struct world *w, __u32 *out);
	void (*unchanged)(struct __test_metadata *_metadata, struct world *w,
			  unsigned int since);
	void (*moved)(struct __test_metadata *_metadata, struct world *w,
		      unsigned int since, __u32 out);
	void (*detach)(struct __test_metadata *_metadata, struct world *w);
};

/* --- mock device flavours: the HWPTs each goes between ------------- */

static void hwpt(struct __test_metadata *_metadata, struct world *w,
		 __u32 ioas, __u32 flags, __u32 *id)
{
	fx_hwpt(_metadata, &w->fx, w->dev.idev_id, ioas, flags, id);
}

/* A stage-1 on @w->parent, with @w's fault queue when @fault. */
static void nested(struct __test_metadata *_metadata, struct world *w,
		   bool fault, __u32 *id)
{
	fx_hwpt_nested(_metadata, &w->fx, w->dev.idev_id, w->parent,
		       fault ? w->queue_id : 0, 0, id);
}

static void pick_paging(struct __test_metadata *_metadata, struct world *w)
{
	hwpt(_metadata, w, w->fx.ioas_id, 0, &w->from);
	hwpt(_metadata, w, w->fx.ioas_id, 0, &w->to);
}

static void pick_cross_ioas(struct __test_metadata *_metadata, struct world *w)
{
	hwpt(_metadata, w, w->fx.ioas_id, 0, &w->from);
	hwpt(_metadata, w, w->ioas_b, 0, &w->to);
}

/* An IOAS id: the replace builds an auto domain there. */
static void pick_to_ioas_id(struct __test_metadata *_metadata, struct world *w)
{
	hwpt(_metadata, w, w->fx.ioas_id, 0, &w->from);
	w->to = w->ioas_b;
}

/* From the auto domain the device got at creation: it is torn down. */
static void pick_from_auto(struct __test_metadata *_metadata, struct world *w)
{
	w->from = w->dev.hwpt_id;
	hwpt(_metadata, w, w->ioas_b, 0, &w->to);
}

static void pick_parent_to_nested(struct __test_metadata *_metadata,
				  struct world *w)
{
	w->from = w->parent;
	nested(_metadata, w, false, &w->to);
}

static void pick_nested_to_parent(struct __test_metadata *_metadata,
				  struct world *w)
{
	nested(_metadata, w, false, &w->from);
	w->to = w->parent;
}

static void pick_into_fault(struct __test_metadata *_metadata, struct world *w)
{
	nested(_metadata, w, false, &w->from);
	nested(_metadata, w, true, &w->to);
}

static void pick_out_of_fault(struct __test_metadata *_metadata,
			      struct world *w)
{
	nested(_metadata, w, true, &w->from);
	nested(_metadata, w, false, &w->to);
}

static void pick_into_dirty(struct __test_metadata *_metadata, struct world *w)
{
	hwpt(_metadata, w, w->fx.ioas_id, 0, &w->from);
	hwpt(_metadata, w, w->fx.ioas_id, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
	     &w->to);
}

/* --- mock device flavours: the shared steps ------------------------ */

static void dev_build(struct __test_metadata *_metadata, struct world *w,
		      const struct flavour *f)
{
	struct ir_fx *fx = &w->fx;

	fx_dev(_metadata, fx, fx->ioas_id, 0, &w->dev);
	ASSERT_EQ(0, ir_fault_queue_alloc(fx->fd, &w->queue_id, &w->queue_fd));
	if (f->nested)
		hwpt(_metadata, w, fx->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
		     &w->parent);
	f->pick(_metadata, w);
	if (w->from != w->dev.hwpt_id)
		fx_replace(_metadata, fx, w->dev.stdev_id, w->from, NULL);
}

static int dev_replace(struct world *w, __u32 *out)
{
	return ir_mock_domain_replace(w->fx.fd, w->dev.stdev_id, w->to, out);
}

/* A page request reaches the queue when the device's HWPT has it. */
static void fault_routed(struct __test_metadata *_metadata, struct world *w,
			 bool to_queue)
{
	struct iommu_hwpt_pgfault f = {};

	ASSERT_EQ(0,
		  ir_trigger_iopf(w->fx.fd, w->dev.idev_id, 0, 1, FAULT_ADDR));
	if (!to_queue) {
		ASSERT_EQ(-ETIMEDOUT, ir_fault_read(w->queue_fd, &f, 50));
		return;
	}
	ASSERT_EQ(0, ir_fault_read(w->queue_fd, &f, 2000));
	ASSERT_EQ(0, ir_fault_respond(w->queue_fd, f.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
}

/* After a refused attempt: everything as it was, the target free to go. */
static void dev_unchanged(struct __test_metadata *_metadata, struct world *w,
			  const struct flavour *f, unsigned int since)
{
	struct ir_fx *fx = &w->fx;

	fx_assert_unchanged(_metadata, fx, w->dev.stdev_id, since, w->from);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, w->from));
	ASSERT_EQ(0, ir_md_check_map(fx->fd, f->nested ? w->parent : w->from,
				     IOVA, fx->buf, BUF_SIZE));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 1));
	if (f->queue != QUEUE_NONE)
		fault_routed(_metadata, w, f->queue == QUEUE_ON_FROM);
	/* No hidden reference: the target goes, and with it its pins. */
	if (w->to != w->ioas_b && w->to != w->parent) {
		ASSERT_EQ(0, ir_destroy(fx->fd, w->to))
		TH_LOG("hwpt %u still referenced after a failed replace",
		       w->to);
	}
	if (f->leaves_ioas)
		ASSERT_EQ(0, ir_md_check_refs(fx->fd, w->buf_b, BUF_SIZE, 0));
}

/* After the attempt that succeeded: the device on the new domain. */
static void dev_moved(struct __test_metadata *_metadata, struct world *w,
		      const struct flavour *f, unsigned int since, __u32 out)
{
	if (out != w->to)
		ASSERT_EQ(0, ir_oracle_name_hwpt(since, out));
	fx_assert_on(_metadata, &w->fx, w->dev.stdev_id, out);
	if (f->queue != QUEUE_NONE)
		fault_routed(_metadata, w, f->queue == QUEUE_ON_TO);
}

/* --- ACCESS: an emulated device's ACCESS_REPLACE_IOAS -------------- */

static void access_build(struct __test_metadata *_metadata, struct world *w)
{
	ASSERT_EQ(0, ir_access_create(w->fx.fd, w->fx.ioas_id,
				      MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				      &w->access_fd));
	w->to = w->ioas_b;
}

static int access_replace(struct world *w, __u32 *out)
{
	return ir_access_replace_ioas(w->fx.fd, w->access_fd, w->to);
}

/* What the emulated device writes at IOVA lands in @buf. */
static void access_lands_in(struct __test_metadata *_metadata, struct world *w,
			    void *buf, int fill)
{
	unsigned char data[64];

	memset(data, fill, sizeof(data));
	ASSERT_EQ(0, ir_access_rw(w->fx.fd, w->access_fd, IOVA, data,
				  sizeof(data), MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ(0, ir_buf_differs(buf, sizeof(data), fill));
}

static void access_unchanged(struct __test_metadata *_metadata,
			     struct world *w, unsigned int since)
{
	access_lands_in(_metadata, w, w->fx.buf, 0x5c);
	ASSERT_EQ(-EBUSY, ir_destroy(w->fx.fd, w->fx.ioas_id));
	ASSERT_EQ(0, ir_destroy(w->fx.fd, w->ioas_b));
}

static void access_moved(struct __test_metadata *_metadata, struct world *w,
			 unsigned int since, __u32 out)
{
	access_lands_in(_metadata, w, w->buf_b, 0x6d);
}

/* --- PASID: a PASID's replace (trees after 6.12) -------------------- */

#ifdef IR_HAVE_PASID
static const char *pasid_missing(int fd)
{
	if (ir_probe_test_op(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT))
		return NULL;
	return "the running kernel's mock driver has no PASID ops (EOPNOTSUPP)";
}

static void pasid_build(struct __test_metadata *_metadata, struct world *w)
{
	struct ir_fx *fx = &w->fx;
	__u32 rid;

	/* A PASID attaches while the RID is PASID-compatible. */
	fx_dev(_metadata, fx, fx->ioas_id, MOCK_FLAGS_DEVICE_PASID, &w->dev);
	hwpt(_metadata, w, fx->ioas_id, IOMMU_HWPT_ALLOC_PASID, &rid);
	fx_replace(_metadata, fx, w->dev.stdev_id, rid, NULL);
	hwpt(_metadata, w, fx->ioas_id, IOMMU_HWPT_ALLOC_PASID, &w->from);
	hwpt(_metadata, w, fx->ioas_id, IOMMU_HWPT_ALLOC_PASID, &w->to);
	ASSERT_EQ(0,
		  ir_pasid_attach(fx->fd, w->dev.stdev_id, PASID_NR, w->from));
}

static int pasid_replace(struct world *w, __u32 *out)
{
	return ir_pasid_replace(w->fx.fd, w->dev.stdev_id, PASID_NR, w->to);
}

/* PASID_NR of the device is on @hwpt_id: by PASID_CHECK_HWPT and at the driver. */
static void assert_pasid_on(struct __test_metadata *_metadata, struct world *w,
			    __u32 hwpt_id)
{
	fx_assert_pasid_on(_metadata, &w->fx, w->dev.stdev_id, PASID_NR,
			   hwpt_id);
}

static void pasid_unchanged(struct __test_metadata *_metadata, struct world *w,
			    unsigned int since)
{
	struct ir_fx *fx = &w->fx;

	assert_pasid_on(_metadata, w, w->from);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, w->from));
	ASSERT_EQ(0, ir_md_check_map(fx->fd, w->from, IOVA, fx->buf, BUF_SIZE));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 1));
	ASSERT_EQ(0, ir_destroy(fx->fd, w->to))
	TH_LOG("hwpt %u still referenced after a failed replace", w->to);
}

static void pasid_moved(struct __test_metadata *_metadata, struct world *w,
			unsigned int since, __u32 out)
{
	assert_pasid_on(_metadata, w, w->to);
}

/*
 * Detached first, as a VMM does: the mock's device destroy detaches the
 * RID only, and on 7.2.13 a PASID still attached at close keeps its HWPT,
 * and so every page of the IOAS, pinned for good.
 */
static void pasid_detach(struct __test_metadata *_metadata, struct world *w)
{
	ASSERT_EQ(0, ir_pasid_detach(w->fx.fd, w->dev.stdev_id, PASID_NR));
}
#else
static const char *pasid_missing(int fd)
{
	return "the kernel tree under test has no PASID attach/replace ops in iommufd_test.h (added after 6.12)";
}

#define pasid_build NULL
#define pasid_replace NULL
#define pasid_unchanged NULL
#define pasid_moved NULL
#define pasid_detach NULL
#endif

/* --- vIOMMU: the events of a device across a replace (trees with vEVENTQs) */

#ifdef IR_HAVE_VEVENTQ
#define VIRT_ID 0x99

static const char *viommu_missing(int fd)
{
	if (ir_probe_test_op(fd, IOMMU_TEST_OP_TRIGGER_VEVENT))
		return NULL;
	return "the running kernel's mock driver has no vEVENT trigger (EOPNOTSUPP)";
}

/*
 * QEMU's accelerated vSMMU reads the guest's event queue from a vEVENTQ:
 * the device is on a stage-1 of a vIOMMU that knows it (a vDEVICE), and
 * goes to a fault-capable stage-1 of the parent itself, which has no
 * vIOMMU (the guest's STE turned to a page-fault-capable context).
 */
static void viommu_build(struct __test_metadata *_metadata, struct world *w)
{
	struct ir_fx *fx = &w->fx;
	__u32 idev;

	fx_dev(_metadata, fx, fx->ioas_id, 0, &w->dev);
	idev = w->dev.idev_id;
	ASSERT_EQ(0, ir_fault_queue_alloc(fx->fd, &w->queue_id, &w->queue_fd));
	hwpt(_metadata, w, fx->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
	     &w->parent);
	ASSERT_EQ(0, ir_viommu_alloc(fx->fd, idev, w->parent,
				     IOMMU_VIOMMU_TYPE_SELFTEST, &w->viommu));
	ASSERT_EQ(0, ir_vdevice_alloc(fx->fd, w->viommu, idev, VIRT_ID,
				      &w->vdev));
	ASSERT_EQ(0, ir_veventq_alloc(fx->fd, w->viommu,
				      IOMMU_VEVENTQ_TYPE_SELFTEST, 8,
				      &w->veventq_id, &w->veventq_fd));
	fx_hwpt_nested(_metadata, fx, idev, w->viommu, 0, 0, &w->from);
	fx_hwpt_nested(_metadata, fx, idev, w->parent, w->queue_id, 0, &w->to);
	fx_replace(_metadata, fx, w->dev.stdev_id, w->from, NULL);
}

/*
 * A vEVENT the mock raises for the device reaches the vIOMMU's queue,
 * with the device's virtual ID, when the device's domain is that
 * vIOMMU's; on a domain of no vIOMMU it is refused (ENOENT) and none comes.
 */
static void vevent_routed(struct __test_metadata *_metadata, struct world *w,
			  bool to_queue)
{
	struct iommu_viommu_event_selftest ev = {};
	struct iommufd_vevent_header hdr;

	if (!to_queue) {
		ASSERT_EQ(-ENOENT, ir_trigger_vevent(w->fx.fd, w->dev.idev_id));
		ASSERT_EQ(-ETIMEDOUT, ir_vevent_read(w->veventq_fd, &hdr, &ev,
						     sizeof(ev), 50));
		return;
	}
	ASSERT_EQ(0, ir_trigger_vevent(w->fx.fd, w->dev.idev_id))
	TH_LOG("the device's events no longer reach its vIOMMU %u", w->viommu);
	ASSERT_EQ(0, ir_vevent_read(w->veventq_fd, &hdr, &ev, sizeof(ev),
				    2000));
	ASSERT_EQ(VIRT_ID, ev.virt_id);
}

static void viommu_unchanged(struct __test_metadata *_metadata,
			     struct world *w, unsigned int since)
{
	struct ir_fx *fx = &w->fx;

	fx_assert_unchanged(_metadata, fx, w->dev.stdev_id, since, w->from);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, w->from));
	vevent_routed(_metadata, w, true);
	ASSERT_EQ(0, ir_destroy(fx->fd, w->to))
	TH_LOG("hwpt %u still referenced after a failed replace", w->to);
}

static void viommu_moved(struct __test_metadata *_metadata, struct world *w,
			 unsigned int since, __u32 out)
{
	fx_assert_on(_metadata, &w->fx, w->dev.stdev_id, out);
	vevent_routed(_metadata, w, false);
}
#else
static const char *viommu_missing(int fd)
{
	return "the kernel tree under test has no vEVENTQ (IOMMU_VEVENTQ_ALLOC, IOMMU_TEST_OP_TRIGGER_VEVENT; added after 6.12)";
}

#define viommu_build NULL
#define viommu_unchanged NULL
#define viommu_moved NULL
#endif

/* --- the table ------------------------------------------------------ */

FIXTURE(replace_failnth)
{
	int nth_fd;
	unsigned int unchecked;
};

FIXTURE_VARIANT(replace_failnth)
{
	struct flavour f;
};

/* paging -> paging, one IOAS */
FIXTURE_VARIANT_ADD(replace_failnth, paging){
	{ .name = "paging", .pick = pick_paging },
};

/* paging -> paging in another IOAS */
FIXTURE_VARIANT_ADD(replace_failnth, cross_ioas){
	{ .name = "cross_ioas", .pick = pick_cross_ioas, .leaves_ioas = true },
};

FIXTURE_VARIANT_ADD(replace_failnth, to_ioas_id){
	{ .name = "to_ioas_id", .pick = pick_to_ioas_id, .leaves_ioas = true },
};

FIXTURE_VARIANT_ADD(replace_failnth, from_auto){
	{ .name = "from_auto", .pick = pick_from_auto, .leaves_ioas = true },
};

FIXTURE_VARIANT_ADD(replace_failnth, parent_to_nested){
	{ .name = "parent_to_nested",
	  .pick = pick_parent_to_nested,
	  .nested = true },
};

FIXTURE_VARIANT_ADD(replace_failnth, nested_to_parent){
	{ .name = "nested_to_parent",
	  .pick = pick_nested_to_parent,
	  .nested = true },
};

/* nested -> nested with a fault queue */
FIXTURE_VARIANT_ADD(replace_failnth, into_fault){
	{ .name = "into_fault",
	  .pick = pick_into_fault,
	  .nested = true,
	  .queue = QUEUE_ON_TO },
};

/* nested with a fault queue -> nested */
FIXTURE_VARIANT_ADD(replace_failnth, out_of_fault){
	{ .name = "out_of_fault",
	  .pick = pick_out_of_fault,
	  .nested = true,
	  .queue = QUEUE_ON_FROM },
};

/* paging -> dirty-tracking paging */
FIXTURE_VARIANT_ADD(replace_failnth, into_dirty){
	{ .name = "into_dirty", .pick = pick_into_dirty },
};

FIXTURE_VARIANT_ADD(replace_failnth, access){
	{ .name = "access",
	  .build = access_build,
	  .replace = access_replace,
	  .unchanged = access_unchanged,
	  .moved = access_moved },
};

FIXTURE_VARIANT_ADD(replace_failnth, pasid){
	{ .name = "pasid",
	  .missing = pasid_missing,
	  .build = pasid_build,
	  .replace = pasid_replace,
	  .unchanged = pasid_unchanged,
	  .moved = pasid_moved,
	  .detach = pasid_detach },
};

/* vIOMMU stage-1 -> fault-capable stage-1 of the parent: events follow */
FIXTURE_VARIANT_ADD(replace_failnth, viommu_events){
	{ .name = "viommu_events",
	  .missing = viommu_missing,
	  .build = viommu_build,
	  .replace = dev_replace,
	  .unchanged = viommu_unchanged,
	  .moved = viommu_moved },
};

FIXTURE_SETUP(replace_failnth)
{
	const char *why, *missing = NULL;
	int fd;

	self->nth_fd = -1;
	fd = ir_probe_open(&why);
	if (fd < 0)
		SKIP(return, "%s", why);
	if (variant->f.missing)
		missing = variant->f.missing(fd);
	close(fd);
	if (ir_failnth_setup(&why))
		SKIP(return, "%s", why);
	if (missing)
		SKIP(return, "%s", missing);
	self->nth_fd = ir_failnth_open();
	ASSERT_LE(0, self->nth_fd);
}

FIXTURE_TEARDOWN(replace_failnth)
{
	if (self->nth_fd >= 0)
		close(self->nth_fd);
	fx_finish(_metadata, self->unchecked);
}

/* --- one attempt ---------------------------------------------------- */

static void build(struct __test_metadata *_metadata, struct world *w,
		  const struct flavour *f)
{
	struct ir_fx *fx = &w->fx;

	w->queue_fd = w->access_fd = w->veventq_fd = -1;
	ASSERT_TRUE(fx_open(_metadata, fx));
	fx_ioas(_metadata, fx, BUF_SIZE, 0xa1);
	ASSERT_EQ(0, ir_ioas_alloc_mapped(fx->fd, BUF_SIZE, 0xb2, IOVA,
					  &w->ioas_b, &w->buf_b));
	if (f->build)
		f->build(_metadata, w);
	else
		dev_build(_metadata, w, f);
}

static void destroy(struct __test_metadata *_metadata, struct world *w,
		    const struct flavour *f)
{
	if (f->detach)
		f->detach(_metadata, w);
	if (w->access_fd >= 0)
		ASSERT_EQ(0, close(w->access_fd));
	if (w->queue_fd >= 0)
		ASSERT_EQ(0, close(w->queue_fd));
	if (w->veventq_fd >= 0)
		ASSERT_EQ(0, close(w->veventq_fd));
	fx_close(_metadata, &w->fx);
	EXPECT_EQ(0, ir_buf_release(w->buf_b, BUF_SIZE));
}

/*
 * An attempt's inputs, through ir_failnth_walk(): what it fails (any fault
 * point through @nth_fd, or iommufd's own alone: -1), and how many
 * attempts failed.
 */
struct walk {
	struct __test_metadata *_metadata;
	FIXTURE_DATA(replace_failnth) *self;
	const struct flavour *f;
	int nth_fd;
	unsigned int refused;
};

/* One attempt that fails the @nth fault point; true while it was reached. */
static bool attempt(void *ctx, unsigned int nth)
{
	struct walk *walk = ctx;
	struct __test_metadata *_metadata = walk->_metadata;
	const struct flavour *f = walk->f;
	struct world w = {};
	unsigned int since;
	bool fired;
	__u32 out = 0;
	int rc;

	build(_metadata, &w, f);
	since = ir_oracle_point();
	ASSERT_EQ(0, ir_fault_arm(walk->nth_fd, nth));
	rc = f->replace ? f->replace(&w, &out) : dev_replace(&w, &out);
	ASSERT_EQ(0, ir_fault_disarm(walk->nth_fd, &fired));
	if (rc) {
		ASSERT_TRUE(fired)
		TH_LOG("the replace failed (%d) with no failure injected", rc);
		ASSERT_TRUE(fw_injected_errno(rc))
		TH_LOG("fault point %u: errno %d", nth, -rc);
		walk->refused++;
		if (f->unchanged)
			f->unchanged(_metadata, &w, since);
		else
			dev_unchanged(_metadata, &w, f, since);
	} else if (f->moved) {
		f->moved(_metadata, &w, since, out);
	} else {
		dev_moved(_metadata, &w, f, since, out);
	}
	walk->self->unchecked += w.fx.unchecked;
	destroy(_metadata, &w, f);
	return fired;
}

TEST_F_TIMEOUT(replace_failnth, every_failure_point, 600)
{
	struct walk walk = { _metadata, self, &variant->f, self->nth_fd };

	fw_walk(_metadata, attempt, &walk, &walk.refused, "replace_failnth",
		variant->f.name, "fault points");
}

/*
 * iommufd's own points alone, each in turn (the reserved-region checks of
 * the IOAS a replace goes to among them), which a fail-nth walk can step
 * over when the allocations before them vary.
 */
TEST_F_TIMEOUT(replace_failnth, every_iommufd_point, 300)
{
	struct walk walk = { _metadata, self, &variant->f, -1 };

	if (fw_fail_iommufd_missing())
		SKIP(return, FW_NO_FAIL_IOMMUFD);
	fw_walk(_metadata, attempt, &walk, &walk.refused, "replace_failnth",
		variant->f.name, "iommufd fault points");
}

TEST_HARNESS_MAIN
