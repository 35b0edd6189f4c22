// SPDX-License-Identifier: GPL-2.0
/*
 * The first attach, which every replace starts from: a device bound and
 * attached at once (the mock's IOMMU_TEST_OP_MOCK_DOMAIN), onto an IOAS of
 * four areas with no domain yet (an auto domain is built and filled area by
 * area), onto an IOAS whose auto domain another device holds (it is
 * shared), onto an IOAS that has a domain but no auto domain (the auto
 * domain is its second), onto a paging HWPT, or, where the tree has
 * PASIDs, a PASID's first attach to a HWPT made for PASIDs. Refused by the
 * driver, or failed at each of its fault points in turn, the attach leaves
 * nothing behind: no device, no auto domain, no reference to the target, no
 * pin, and the device already there unmoved at the driver. Once it
 * succeeds, the new device is on the target's domain at the driver.
 *
 * Kernel promise: a failed iommufd_device_attach() changes nothing.
 * VMM flow: a device hot-added to a running guest under memory pressure.
 */
#include "fault_walk.h"

#define BUF_SIZE (16 * ir_page_size())
#define PASID_NR 100

/* One attempt's objects, all made before any failure is armed. */
struct world {
	struct ir_fx fx; /* the IOAS, its buffer */
	struct ir_mock_dev first; /* a device already there, or none */
	__u32 beside; /* a HWPT of the IOAS no device is on, or 0 */
	__u32 target; /* what the new device attaches to */
	__u32 hwpt; /* the domain it must end on; 0: a new auto domain */
	unsigned int pins; /* the references each page has before */
	bool pasid; /* the attach is of the first device's PASID_NR */
};

/* Nothing but the IOAS and its mapping: the attach builds the domain. */
static void fresh_ioas(struct __test_metadata *_metadata, struct world *w)
{
	w->target = w->fx.ioas_id;
}

static void shared_auto(struct __test_metadata *_metadata, struct world *w)
{
	fx_dev(_metadata, &w->fx, w->fx.ioas_id, 0, &w->first);
	w->target = w->fx.ioas_id;
	w->hwpt = w->first.hwpt_id;
	w->pins = 1;
}

/*
 * The IOAS's first domain is a HWPT of a device that sits on another IOAS:
 * the attach builds the auto domain as the second, whose slot in the IOAS's
 * table of domains is an allocation of its own.
 */
static void beside_hwpt(struct __test_metadata *_metadata, struct world *w)
{
	__u32 other;

	ASSERT_EQ(0, ir_ioas_alloc(w->fx.fd, &other));
	fx_dev(_metadata, &w->fx, other, 0, &w->first);
	fx_hwpt(_metadata, &w->fx, w->first.idev_id, w->fx.ioas_id, 0,
		&w->beside);
	w->target = w->fx.ioas_id;
	w->pins = 1;
}

static void paging_hwpt(struct __test_metadata *_metadata, struct world *w)
{
	fx_dev(_metadata, &w->fx, w->fx.ioas_id, 0, &w->first);
	fx_hwpt(_metadata, &w->fx, w->first.idev_id, w->fx.ioas_id, 0,
		&w->target);
	w->hwpt = w->target;
	w->pins = 1;
}

FIXTURE(replace_attach)
{
	int nth_fd;
	unsigned int unchecked;
};

FIXTURE_VARIANT(replace_attach)
{
	void (*build)(struct __test_metadata *_metadata, struct world *w);
	const char *name; /* for the TAP line of the count */
	bool pasid; /* probed: the running mock may have no PASID ops */
};

FIXTURE_VARIANT_ADD(replace_attach, fresh_ioas){
	.build = fresh_ioas,
	.name = "fresh_ioas",
};

FIXTURE_VARIANT_ADD(replace_attach, shared_auto){
	.build = shared_auto,
	.name = "shared_auto",
};

FIXTURE_VARIANT_ADD(replace_attach, beside_hwpt){
	.build = beside_hwpt,
	.name = "beside_hwpt",
};

FIXTURE_VARIANT_ADD(replace_attach, paging_hwpt){
	.build = paging_hwpt,
	.name = "paging_hwpt",
};

#ifdef IR_HAVE_PASID
/*
 * A PASID attaches only while its device's RID is on a PASID-compatible
 * domain, and only to a HWPT made for PASIDs.
 */
static void pasid_hwpt(struct __test_metadata *_metadata, struct world *w)
{
	struct ir_fx *fx = &w->fx;
	__u32 rid;

	fx_dev(_metadata, fx, fx->ioas_id, MOCK_FLAGS_DEVICE_PASID, &w->first);
	fx_hwpt(_metadata, fx, w->first.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_PASID, &rid);
	fx_replace(_metadata, fx, w->first.stdev_id, rid, NULL);
	w->first.hwpt_id = rid;
	fx_hwpt(_metadata, fx, w->first.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_PASID, &w->target);
	w->hwpt = w->target;
	w->pins = 1;
	w->pasid = true;
}

FIXTURE_VARIANT_ADD(replace_attach, pasid_hwpt){
	.build = pasid_hwpt,
	.name = "pasid_hwpt",
	.pasid = true,
};
#endif

FIXTURE_SETUP(replace_attach)
{
	const char *why;
	int fd;

	self->nth_fd = -1;
	fd = ir_probe_open(&why);
	if (fd < 0)
		SKIP(return, "%s", why);
#ifdef IR_HAVE_PASID
	if (variant->pasid &&
	    !ir_probe_test_op(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT)) {
		close(fd);
		SKIP(return,
			   "the running kernel's mock driver has no PASID ops (EOPNOTSUPP)");
	}
#endif
	close(fd);
	if (ir_failnth_setup(&why))
		SKIP(return, "%s", why);
	self->nth_fd = ir_failnth_open();
	ASSERT_LE(0, self->nth_fd);
}

FIXTURE_TEARDOWN(replace_attach)
{
	if (self->nth_fd >= 0)
		close(self->nth_fd);
	fx_finish(_metadata, self->unchecked);
}

/* Four areas: a fill that fails in a later one unwinds the earlier. */
static void build(struct __test_metadata *_metadata, struct world *w,
		  const FIXTURE_VARIANT(replace_attach) * variant)
{
	struct ir_fx *fx = &w->fx;

	ASSERT_TRUE(fx_open(_metadata, fx));
	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &fx->ioas_id));
	fx->buf = ir_buf_alloc(BUF_SIZE, 0xa1);
	ASSERT_NE(NULL, fx->buf);
	fx->size = BUF_SIZE;
	ASSERT_EQ(0, ir_ioas_map_areas(fx->fd, fx->ioas_id, fx->buf, BUF_SIZE,
				       4, IOVA));
	variant->build(_metadata, w);
}

/*
 * After an attach that failed: the device already there did not move, the
 * target's pins are what they were, and nothing holds the target: the HWPT
 * destroys at once, and the IOAS does once the first device is gone (a
 * leftover auto domain or device would hold it).
 */
static void assert_nothing_left(struct __test_metadata *_metadata,
				struct world *w, unsigned int since)
{
	struct ir_fx *fx = &w->fx;

	if (w->first.stdev_id)
		fx_assert_unchanged(_metadata, fx, w->first.stdev_id, since,
				    w->first.hwpt_id);
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, w->pins));
#ifdef IR_HAVE_PASID
	if (w->pasid) {
		ASSERT_EQ(0, ir_pasid_check_hwpt(fx->fd, w->first.stdev_id,
						 PASID_NR, 0))
		TH_LOG("the PASID is attached after a failed attach");
	}
#endif
	if (w->beside)
		ASSERT_EQ(0, ir_destroy(fx->fd, w->beside));
	if (w->target != fx->ioas_id) {
		ASSERT_EQ(0, ir_destroy(fx->fd, w->target))
		TH_LOG("hwpt %u still referenced after a failed attach",
		       w->target);
	}
	if (w->first.stdev_id)
		ASSERT_EQ(0, ir_destroy(fx->fd, w->first.stdev_id));
	/* The PASID-compatible HWPT the first device's RID was moved to. */
	if (w->pasid)
		ASSERT_EQ(0, ir_destroy(fx->fd, w->first.hwpt_id));
	ASSERT_EQ(0, ir_destroy(fx->fd, fx->ioas_id))
	TH_LOG("IOAS %u still referenced after a failed attach", fx->ioas_id);
}

/*
 * After the attach that succeeded: the new device on the target's domain.
 * Where the target is an IOAS whose auto domain another device holds, a
 * failure injected into the reserved-region check (EINVAL) reads as "this
 * domain is incompatible with the device" (iommufd_device_auto_get_domain()
 * then tries the next, and builds one): with @fired the device may be on an
 * auto domain of its own, which must map the IOAS too.
 */
static void assert_attached(struct __test_metadata *_metadata, struct world *w,
			    unsigned int since, struct ir_mock_dev *dev,
			    bool fired)
{
	bool own_auto = w->target == w->fx.ioas_id && fired;

#ifdef IR_HAVE_PASID
	if (w->pasid) {
		fx_assert_pasid_on(_metadata, &w->fx, w->first.stdev_id,
				   PASID_NR, w->target);
		fx_assert_unchanged(_metadata, &w->fx, w->first.stdev_id, since,
				    w->first.hwpt_id);
		/*
		 * Detached before the iommufd closes: a PASID still attached
		 * then keeps its HWPT and every pin of the IOAS (7.2.13, the
		 * mock's device destroy detaches the RID only).
		 */
		ASSERT_EQ(0, ir_pasid_detach(w->fx.fd, w->first.stdev_id,
					     PASID_NR));
		return;
	}
#endif
	ASSERT_EQ(0, ir_oracle_name_dev(since, dev->stdev_id));
	if (w->hwpt && (dev->hwpt_id == w->hwpt || !own_auto)) {
		ASSERT_EQ(w->hwpt, dev->hwpt_id);
	} else {
		ASSERT_EQ(0, ir_oracle_name_hwpt(since, dev->hwpt_id));
	}
	fx_assert_on(_metadata, &w->fx, dev->stdev_id, dev->hwpt_id);
	if (w->first.stdev_id)
		fx_assert_unchanged(_metadata, &w->fx, w->first.stdev_id, since,
				    w->first.hwpt_id);
	ASSERT_EQ(0, ir_md_check_map(w->fx.fd, dev->hwpt_id, IOVA, w->fx.buf,
				     BUF_SIZE));
}

/*
 * An attempt's inputs, through ir_failnth_walk(): what it fails (any fault
 * point through @nth_fd, or iommufd's own alone: -1), and how many
 * attempts failed.
 */
struct walk {
	struct __test_metadata *_metadata;
	FIXTURE_DATA(replace_attach) *self;
	const FIXTURE_VARIANT(replace_attach) * variant;
	int nth_fd;
	unsigned int refused;
};

/* The attach under test: a new device's, or the first device's PASID's. */
static int attach(struct world *w, struct ir_mock_dev *dev)
{
#ifdef IR_HAVE_PASID
	if (w->pasid)
		return ir_pasid_attach(w->fx.fd, w->first.stdev_id, PASID_NR,
				       w->target);
#endif
	return ir_mock_domain(w->fx.fd, w->target, 0, dev);
}

/* One attempt that fails the @nth fault point; true while it was reached. */
static bool attempt(void *ctx, unsigned int nth)
{
	struct walk *walk = ctx;
	struct __test_metadata *_metadata = walk->_metadata;
	struct world w = {};
	struct ir_mock_dev dev;
	unsigned int since;
	bool fired;
	int rc;

	build(_metadata, &w, walk->variant);
	since = ir_oracle_point();
	ASSERT_EQ(0, ir_fault_arm(walk->nth_fd, nth));
	rc = attach(&w, &dev);
	ASSERT_EQ(0, ir_fault_disarm(walk->nth_fd, &fired));
	if (rc) {
		ASSERT_TRUE(fired)
		TH_LOG("the attach failed (%d) with no failure injected", rc);
		ASSERT_TRUE(fw_injected_errno(rc))
		TH_LOG("fault point %u: errno %d", nth, -rc);
		walk->refused++;
		assert_nothing_left(_metadata, &w, since);
	} else {
		assert_attached(_metadata, &w, since, &dev, fired);
	}
	walk->self->unchecked += w.fx.unchecked;
	fx_close(_metadata, &w.fx);
	return fired;
}

TEST_F_TIMEOUT(replace_attach, every_failure_point, 600)
{
	struct walk walk = { _metadata, self, variant, self->nth_fd, 0 };

	fw_walk(_metadata, attempt, &walk, &walk.refused, "replace_attach",
		variant->name, "fault points");
}

/*
 * iommufd's own points alone, each in turn: on an IOAS whose auto domain
 * another device holds, the reserved-region check's EINVAL is among them,
 * which a fail-nth walk steps over when the allocations before it vary.
 */
TEST_F_TIMEOUT(replace_attach, every_iommufd_point, 300)
{
	struct walk walk = { _metadata, self, variant, -1, 0 };

	if (fw_fail_iommufd_missing())
		SKIP(return, FW_NO_FAIL_IOMMUFD);
	fw_walk(_metadata, attempt, &walk, &walk.refused, "replace_attach",
		variant->name, "iommufd fault points");
}

/*
 * Refused by the driver (the mock refuses a device that cannot track dirty
 * pages a domain that tracks them), beside a device on the IOAS's auto
 * domain.
 */
FIXTURE(attach_refused)
{
	struct world w;
};

FIXTURE_SETUP(attach_refused)
{
	struct world *w = &self->w;

	if (!fx_open(_metadata, &w->fx))
		return;
	fx_ioas(_metadata, &w->fx, BUF_SIZE, 0xa1);
	fx_dev(_metadata, &w->fx, w->fx.ioas_id, 0, &w->first);
	fx_hwpt(_metadata, &w->fx, w->first.idev_id, w->fx.ioas_id,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &w->target);
	w->pins = 1;
}

FIXTURE_TEARDOWN(attach_refused)
{
	fx_teardown(_metadata, &self->w.fx);
}

TEST_F(attach_refused, by_driver_leaves_nothing)
{
	struct world *w = &self->w;
	struct ir_mock_dev dev;
	unsigned int since = ir_oracle_point();

	ASSERT_EQ(-EINVAL, ir_mock_domain(w->fx.fd, w->target,
					  MOCK_FLAGS_DEVICE_NO_DIRTY, &dev));
	assert_nothing_left(_metadata, w, since);
}

TEST_HARNESS_MAIN
