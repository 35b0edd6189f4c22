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

enum flavour {
	PAGING, /* paging -> paging, one IOAS */
	CROSS_IOAS, /* paging -> paging in another IOAS */
	TO_IOAS_ID, /* paging -> an IOAS id: an auto domain is built */
	FROM_AUTO, /* the auto domain -> paging: it is torn down */
	PARENT_TO_NESTED,
	NESTED_TO_PARENT,
	INTO_FAULT, /* nested -> nested with a fault queue */
	OUT_OF_FAULT, /* nested with a fault queue -> nested */
	INTO_DIRTY, /* paging -> dirty-tracking paging */
	ACCESS, /* an emulated device's ACCESS_REPLACE_IOAS */
	PASID, /* a PASID's replace (trees after 6.12) */
};

#define PASID_NR 100

FIXTURE(replace_failnth)
{
	int nth_fd;
	unsigned int unchecked;
};

FIXTURE_VARIANT(replace_failnth)
{
	enum flavour flavour;
	const char *name; /* for the TAP line of the count */
};

FIXTURE_VARIANT_ADD(replace_failnth, paging){
	.flavour = PAGING,
	.name = "paging",
};

FIXTURE_VARIANT_ADD(replace_failnth, cross_ioas){
	.flavour = CROSS_IOAS,
	.name = "cross_ioas",
};

FIXTURE_VARIANT_ADD(replace_failnth, to_ioas_id){
	.flavour = TO_IOAS_ID,
	.name = "to_ioas_id",
};

FIXTURE_VARIANT_ADD(replace_failnth, from_auto){
	.flavour = FROM_AUTO,
	.name = "from_auto",
};

FIXTURE_VARIANT_ADD(replace_failnth, parent_to_nested){
	.flavour = PARENT_TO_NESTED,
	.name = "parent_to_nested",
};

FIXTURE_VARIANT_ADD(replace_failnth, nested_to_parent){
	.flavour = NESTED_TO_PARENT,
	.name = "nested_to_parent",
};

FIXTURE_VARIANT_ADD(replace_failnth, into_fault){
	.flavour = INTO_FAULT,
	.name = "into_fault",
};

FIXTURE_VARIANT_ADD(replace_failnth, out_of_fault){
	.flavour = OUT_OF_FAULT,
	.name = "out_of_fault",
};

FIXTURE_VARIANT_ADD(replace_failnth, into_dirty){
	.flavour = INTO_DIRTY,
	.name = "into_dirty",
};

FIXTURE_VARIANT_ADD(replace_failnth, access){
	.flavour = ACCESS,
	.name = "access",
};

FIXTURE_VARIANT_ADD(replace_failnth, pasid){
	.flavour = PASID,
	.name = "pasid",
};

/* Why flavour @f cannot run on the kernel behind @fd, or NULL. */
static const char *flavour_missing(int fd, enum flavour f)
{
	if (f != PASID)
		return NULL;
#ifdef IR_HAVE_PASID
	if (ir_probe_test_op(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT))
		return NULL;
	return "the running kernel's mock driver has no PASID ops (EOPNOTSUPP)";
#else
	return "the kernel tree under test has no PASID attach/replace ops in iommufd_test.h (added after 6.12)";
#endif
}

FIXTURE_SETUP(replace_failnth)
{
	const char *why, *missing;
	int fd;

	self->nth_fd = -1;
	fd = ir_probe_open(&why);
	if (fd < 0)
		SKIP(return, "%s", why);
	missing = flavour_missing(fd, variant->flavour);
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
};

static bool is_nested(enum flavour f)
{
	return f == PARENT_TO_NESTED || f == NESTED_TO_PARENT ||
	       f == INTO_FAULT || f == OUT_OF_FAULT;
}

/* A stage-1 on @w->parent, with @w's fault queue when @fault. */
static void nested(struct __test_metadata *_metadata, struct world *w,
		   bool fault, __u32 *id)
{
	fx_hwpt_nested(_metadata, &w->fx, w->dev.idev_id, w->parent,
		       fault ? w->queue_id : 0, 0, id);
}

static void build(struct __test_metadata *_metadata, struct world *w,
		  enum flavour f)
{
	struct ir_fx *fx = &w->fx;
	__u32 idev;

	w->queue_fd = w->access_fd = -1;
	ASSERT_TRUE(fx_open(_metadata, fx));
	fx_ioas(_metadata, fx, BUF_SIZE, 0xa1);
	ASSERT_EQ(0, ir_ioas_alloc_mapped(fx->fd, BUF_SIZE, 0xb2, IOVA,
					  &w->ioas_b, &w->buf_b));
	if (f == ACCESS) {
		ASSERT_EQ(0, ir_access_create(
				     fx->fd, fx->ioas_id,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &w->access_fd));
		w->to = w->ioas_b;
		return;
	}
#ifdef IR_HAVE_PASID
	if (f == PASID) {
		__u32 rid;

		/* A PASID attaches while the RID is PASID-compatible. */
		fx_dev(_metadata, fx, fx->ioas_id, MOCK_FLAGS_DEVICE_PASID,
		       &w->dev);
		idev = w->dev.idev_id;
		fx_hwpt(_metadata, fx, idev, fx->ioas_id,
			IOMMU_HWPT_ALLOC_PASID, &rid);
		fx_replace(_metadata, fx, w->dev.stdev_id, rid, NULL);
		fx_hwpt(_metadata, fx, idev, fx->ioas_id,
			IOMMU_HWPT_ALLOC_PASID, &w->from);
		fx_hwpt(_metadata, fx, idev, fx->ioas_id,
			IOMMU_HWPT_ALLOC_PASID, &w->to);
		ASSERT_EQ(0, ir_pasid_attach(fx->fd, w->dev.stdev_id, PASID_NR,
					     w->from));
		return;
	}
#endif
	fx_dev(_metadata, fx, fx->ioas_id, 0, &w->dev);
	idev = w->dev.idev_id;
	ASSERT_EQ(0, ir_fault_queue_alloc(fx->fd, &w->queue_id, &w->queue_fd));
	if (is_nested(f))
		fx_hwpt(_metadata, fx, idev, fx->ioas_id,
			IOMMU_HWPT_ALLOC_NEST_PARENT, &w->parent);
	switch (f) {
	case PAGING:
	case INTO_DIRTY:
		fx_hwpt(_metadata, fx, idev, fx->ioas_id, 0, &w->from);
		fx_hwpt(_metadata, fx, idev, fx->ioas_id,
			f == INTO_DIRTY ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0,
			&w->to);
		break;
	case CROSS_IOAS:
		fx_hwpt(_metadata, fx, idev, fx->ioas_id, 0, &w->from);
		fx_hwpt(_metadata, fx, idev, w->ioas_b, 0, &w->to);
		break;
	case TO_IOAS_ID:
		fx_hwpt(_metadata, fx, idev, fx->ioas_id, 0, &w->from);
		w->to = w->ioas_b;
		break;
	case FROM_AUTO:
		w->from = w->dev.hwpt_id;
		fx_hwpt(_metadata, fx, idev, w->ioas_b, 0, &w->to);
		break;
	case PARENT_TO_NESTED:
		w->from = w->parent;
		nested(_metadata, w, false, &w->to);
		break;
	case NESTED_TO_PARENT:
		nested(_metadata, w, false, &w->from);
		w->to = w->parent;
		break;
	case INTO_FAULT:
	case OUT_OF_FAULT:
		nested(_metadata, w, f == OUT_OF_FAULT, &w->from);
		nested(_metadata, w, f == INTO_FAULT, &w->to);
		break;
	case ACCESS:
	case PASID:
		break;
	}
	if (w->from != w->dev.hwpt_id)
		fx_replace(_metadata, fx, w->dev.stdev_id, w->from, NULL);
}

static void destroy(struct __test_metadata *_metadata, struct world *w,
		    enum flavour f)
{
#ifdef IR_HAVE_PASID
	/*
	 * Detached first, as a VMM does: the mock's device destroy detaches
	 * the RID only, and on 7.2.13 a PASID still attached at close keeps
	 * its HWPT, and so every page of the IOAS, pinned for good.
	 */
	if (f == PASID)
		ASSERT_EQ(0,
			  ir_pasid_detach(w->fx.fd, w->dev.stdev_id, PASID_NR));
#endif
	if (w->access_fd >= 0)
		ASSERT_EQ(0, close(w->access_fd));
	if (w->queue_fd >= 0)
		ASSERT_EQ(0, close(w->queue_fd));
	fx_close(_metadata, &w->fx);
	EXPECT_EQ(0, ir_buf_release(w->buf_b, BUF_SIZE));
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

/* PASID_NR of the device is on @hwpt_id: by PASID_CHECK_HWPT and at the driver. */
static void assert_pasid_on(struct __test_metadata *_metadata, struct world *w,
			    __u32 hwpt_id)
{
#ifdef IR_HAVE_PASID
	fx_assert_pasid_on(_metadata, &w->fx, w->dev.stdev_id, PASID_NR,
			   hwpt_id);
#endif
}

/* After a refused attempt: everything as it was, the target free to go. */
static void assert_unchanged(struct __test_metadata *_metadata, struct world *w,
			     enum flavour f, unsigned int since)
{
	struct ir_fx *fx = &w->fx;

	if (f == ACCESS) {
		access_lands_in(_metadata, w, fx->buf, 0x5c);
		ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, fx->ioas_id));
		ASSERT_EQ(0, ir_destroy(fx->fd, w->ioas_b));
		return;
	}
	if (f == PASID)
		assert_pasid_on(_metadata, w, w->from);
	else
		fx_assert_unchanged(_metadata, fx, w->dev.stdev_id, since,
				    w->from);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, w->from));
	ASSERT_EQ(0, ir_md_check_map(fx->fd, is_nested(f) ? w->parent : w->from,
				     IOVA, fx->buf, BUF_SIZE));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 1));
	if (f == INTO_FAULT || f == OUT_OF_FAULT)
		fault_routed(_metadata, w, f == OUT_OF_FAULT);
	/* No hidden reference: the target goes, and with it its pins. */
	if (w->to != w->ioas_b && w->to != w->parent) {
		ASSERT_EQ(0, ir_destroy(fx->fd, w->to))
		TH_LOG("hwpt %u still referenced after a failed replace",
		       w->to);
	}
	if (f == CROSS_IOAS || f == TO_IOAS_ID || f == FROM_AUTO) {
		ASSERT_EQ(0, ir_md_check_refs(fx->fd, w->buf_b, BUF_SIZE, 0));
	}
}

/* After the attempt that succeeded: the device on the new domain. */
static void assert_moved(struct __test_metadata *_metadata, struct world *w,
			 enum flavour f, unsigned int since, __u32 out)
{
	struct ir_fx *fx = &w->fx;

	if (f == ACCESS) {
		access_lands_in(_metadata, w, w->buf_b, 0x6d);
		return;
	}
	if (f == PASID) {
		assert_pasid_on(_metadata, w, w->to);
		return;
	}
	if (out != w->to)
		ASSERT_EQ(0, ir_oracle_name_hwpt(since, out));
	fx_assert_on(_metadata, fx, w->dev.stdev_id, out);
	if (f == INTO_FAULT || f == OUT_OF_FAULT)
		fault_routed(_metadata, w, f == INTO_FAULT);
}

/*
 * An attempt's inputs, through ir_failnth_walk(): what it fails (any fault
 * point through @nth_fd, or iommufd's own alone: -1), and how many
 * attempts failed.
 */
struct walk {
	struct __test_metadata *_metadata;
	FIXTURE_DATA(replace_failnth) *self;
	enum flavour flavour;
	int nth_fd;
	unsigned int refused;
};

/* One attempt that fails the @nth fault point; true while it was reached. */
static bool attempt(void *ctx, unsigned int nth)
{
	struct walk *walk = ctx;
	struct __test_metadata *_metadata = walk->_metadata;
	enum flavour f = walk->flavour;
	struct world w = {};
	unsigned int since;
	bool fired;
	__u32 out = 0;
	int rc;

	build(_metadata, &w, f);
	since = ir_oracle_point();
	ASSERT_EQ(0, ir_fault_arm(walk->nth_fd, nth));
	if (f == ACCESS)
		rc = ir_access_replace_ioas(w.fx.fd, w.access_fd, w.to);
#ifdef IR_HAVE_PASID
	else if (f == PASID)
		rc = ir_pasid_replace(w.fx.fd, w.dev.stdev_id, PASID_NR, w.to);
#endif
	else
		rc = ir_mock_domain_replace(w.fx.fd, w.dev.stdev_id, w.to,
					    &out);
	ASSERT_EQ(0, ir_fault_disarm(walk->nth_fd, &fired));
	if (rc) {
		ASSERT_TRUE(fired)
		TH_LOG("the replace failed (%d) with no failure injected", rc);
		ASSERT_TRUE(fw_injected_errno(rc))
		TH_LOG("fault point %u: errno %d", nth, -rc);
		walk->refused++;
		assert_unchanged(_metadata, &w, f, since);
	} else {
		assert_moved(_metadata, &w, f, since, out);
	}
	walk->self->unchecked += w.fx.unchecked;
	destroy(_metadata, &w, f);
	return fired;
}

TEST_F_TIMEOUT(replace_failnth, every_failure_point, 600)
{
	struct walk walk = { _metadata, self, variant->flavour, self->nth_fd };

	fw_walk(_metadata, attempt, &walk, &walk.refused, "replace_failnth",
		variant->name, "fault points");
}

/*
 * iommufd's own points alone, each in turn (the reserved-region checks of
 * the IOAS a replace goes to among them), which a fail-nth walk can step
 * over when the allocations before them vary.
 */
TEST_F_TIMEOUT(replace_failnth, every_iommufd_point, 300)
{
	struct walk walk = { _metadata, self, variant->flavour, -1 };

	if (fw_fail_iommufd_missing())
		SKIP(return, FW_NO_FAIL_IOMMUFD);
	fw_walk(_metadata, attempt, &walk, &walk.refused, "replace_failnth",
		variant->name, "iommufd fault points");
}

TEST_HARNESS_MAIN
