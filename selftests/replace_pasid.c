// SPDX-License-Identifier: GPL-2.0
/*
 * PASID replace (kernels after 6.12): a PASID of a device moves from one
 * HWPT to another in one step, PASID_CHECK_HWPT says where it is, the HWPT
 * left is destroyable at once, and a refused replace leaves the PASID on
 * its old HWPT with no reference kept to the new one. The RID's own
 * replace does not move the PASID.
 *
 * VMM flow: QEMU's accelerated VT-d attaching a guest PASID's first-stage
 * HWPT (PASID-cache invalidation) and replacing it on the next one;
 * SIOV-style virtual devices that are a PASID of a physical device.
 *
 * Built only where the tree under test's headers have the PASID ops
 * (IR_HAVE_PASID, set by scripts/kernel-tree.mk); probed at run time.
 */
#include "fixture.h"

#ifndef IR_HAVE_PASID
/* The tree lacks the ops: the program's one test says so, under its name. */
FIXTURE(replace_pasid) {};
FIXTURE_SETUP(replace_pasid)
{
	SKIP(return,
		   "the kernel tree under test has no PASID attach/replace ops in iommufd_test.h (added after 6.12)");
}
FIXTURE_TEARDOWN(replace_pasid) {}
TEST_F(replace_pasid, needs_newer_tree) {}
#else

#define BUF_SIZE (16 * ir_page_size())
#define PASID 100

FIXTURE(replace_pasid)
{
	struct ir_fx fx;
	struct ir_mock_dev dev;
	__u32 hwpt_a, hwpt_b, rid_a, rid_b;
};

FIXTURE_SETUP(replace_pasid)
{
	struct ir_fx *fx = &self->fx;
	__u32 idev, ioas;

	if (!fx_open(_metadata, fx))
		return;
	if (!ir_probe_test_op(fx->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT))
		SKIP(return,
			   "the running kernel's mock driver has no PASID ops (EOPNOTSUPP)");
	fx_ioas(_metadata, fx, BUF_SIZE, 0x11);
	fx_dev(_metadata, fx, fx->ioas_id, MOCK_FLAGS_DEVICE_PASID, &self->dev);
	idev = self->dev.idev_id;
	ioas = fx->ioas_id;
	/* A PASID can only be attached to a HWPT made for PASIDs. */
	fx_hwpt(_metadata, fx, idev, ioas, IOMMU_HWPT_ALLOC_PASID,
		&self->hwpt_a);
	fx_hwpt(_metadata, fx, idev, ioas, IOMMU_HWPT_ALLOC_PASID,
		&self->hwpt_b);
	fx_hwpt(_metadata, fx, idev, ioas, IOMMU_HWPT_ALLOC_PASID,
		&self->rid_a);
	fx_hwpt(_metadata, fx, idev, ioas, IOMMU_HWPT_ALLOC_PASID,
		&self->rid_b);
	/*
	 * A PASID attaches only while the RID is on a PASID-compatible
	 * domain, which the auto domain MOCK_DOMAIN gave it is not (EINVAL).
	 */
	fx_replace(_metadata, fx, self->dev.stdev_id, self->rid_a, NULL);
}

FIXTURE_TEARDOWN(replace_pasid)
{
	fx_teardown(_metadata, &self->fx);
}

/*
 * At the driver, PASID @pasid of @stdev is on @hwpt_id, and since @since
 * its set_dev_pasid op was called for it @calls times, the first time for
 * @first_hwpt with result @first_ret. PASID_CHECK_HWPT must agree.
 */
static void assert_pasid(struct __test_metadata *_metadata, struct ir_fx *fx,
			 __u32 stdev, __u32 pasid, __u32 hwpt_id,
			 unsigned int since, int calls, __u32 first_hwpt,
			 int first_ret)
{
	struct ir_oracle_attach call;

	fx_assert_pasid_on(_metadata, fx, stdev, pasid, hwpt_id);
	/* Off: fx_assert_pasid_on() counted the check not made. */
	if (ir_oracle_off())
		return;
	ASSERT_EQ(calls,
		  ir_oracle_attaches(stdev, true, pasid, since, &call, 1));
	if (!calls)
		return;
	ASSERT_EQ(first_hwpt, call.hwpt_id);
	ASSERT_EQ(first_ret, call.ret);
}

TEST_F(replace_pasid, pasid_follows_replace)
{
	__u32 stdev = self->dev.stdev_id;
	unsigned int since;

	/* Replace needs an attached PASID: it is not an attach. */
	ASSERT_EQ(-EINVAL,
		  ir_pasid_replace(self->fx.fd, stdev, PASID, self->hwpt_a));
	since = ir_oracle_point();
	ASSERT_EQ(0, ir_pasid_attach(self->fx.fd, stdev, PASID, self->hwpt_a));
	assert_pasid(_metadata, &self->fx, stdev, PASID, self->hwpt_a, since, 1,
		     self->hwpt_a, 0);
	since = ir_oracle_point();
	ASSERT_EQ(0, ir_pasid_replace(self->fx.fd, stdev, PASID, self->hwpt_b));
	/* One call, straight to the new domain. */
	assert_pasid(_metadata, &self->fx, stdev, PASID, self->hwpt_b, since, 1,
		     self->hwpt_b, 0);
	ASSERT_EQ(-EINVAL,
		  ir_pasid_check_hwpt(self->fx.fd, stdev, PASID, self->hwpt_a));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->hwpt_a));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->hwpt_b));
	ASSERT_EQ(0, ir_pasid_detach(self->fx.fd, stdev, PASID));
	ASSERT_EQ(0, ir_pasid_check_hwpt(self->fx.fd, stdev, PASID, 0));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->hwpt_b));
}

/* The mock refuses any replace of this PASID, by design (ENOMEM). */
TEST_F(replace_pasid, refused_replace_keeps_old_and_no_reference)
{
	__u32 stdev = self->dev.stdev_id, pasid = IOMMU_TEST_PASID_RESERVED;

	unsigned int since;

	ASSERT_EQ(0, ir_pasid_attach(self->fx.fd, stdev, pasid, self->hwpt_a));
	since = ir_oracle_point();
	ASSERT_EQ(-ENOMEM,
		  ir_pasid_replace(self->fx.fd, stdev, pasid, self->hwpt_b));
	/* The driver refused hwpt_b, and was asked nothing else. */
	assert_pasid(_metadata, &self->fx, stdev, pasid, self->hwpt_a, since, 1,
		     self->hwpt_b, -ENOMEM);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->hwpt_b))
	TH_LOG("refused hwpt %u is still referenced", self->hwpt_b);
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->hwpt_a));
	ASSERT_EQ(0, ir_pasid_detach(self->fx.fd, stdev, pasid));
}

TEST_F(replace_pasid, rid_replace_leaves_pasid)
{
	__u32 stdev = self->dev.stdev_id;
	unsigned int since;

	ASSERT_EQ(0, ir_pasid_attach(self->fx.fd, stdev, PASID, self->hwpt_a));
	since = ir_oracle_point();
	fx_replace(_metadata, &self->fx, stdev, self->rid_b, NULL);
	/* The driver was not asked to touch the PASID. */
	assert_pasid(_metadata, &self->fx, stdev, PASID, self->hwpt_a, since, 0,
		     0, 0);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->rid_a));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->hwpt_a));
	ASSERT_EQ(0, ir_pasid_detach(self->fx.fd, stdev, PASID));
}
/*
 * A second attach of an attached PASID (a VMM that lost track, or a
 * replace spelled as an attach) is refused, to its HWPT and to another
 * alike (EBUSY: the device is already in the attachment), and changes
 * nothing: the driver is asked nothing, the other HWPT is not held.
 */
TEST_F(replace_pasid, second_attach_refused_and_changes_nothing)
{
	__u32 stdev = self->dev.stdev_id;
	unsigned int since;

	ASSERT_EQ(0, ir_pasid_attach(self->fx.fd, stdev, PASID, self->hwpt_a));
	since = ir_oracle_point();
	ASSERT_EQ(-EBUSY,
		  ir_pasid_attach(self->fx.fd, stdev, PASID, self->hwpt_a));
	ASSERT_EQ(-EBUSY,
		  ir_pasid_attach(self->fx.fd, stdev, PASID, self->hwpt_b));
	assert_pasid(_metadata, &self->fx, stdev, PASID, self->hwpt_a, since, 0,
		     0, 0);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->hwpt_b))
	TH_LOG("hwpt %u is held after a refused attach", self->hwpt_b);
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->hwpt_a));
	ASSERT_EQ(0, ir_pasid_detach(self->fx.fd, stdev, PASID));
}

/*
 * A detach of a PASID that was never attached (a VMM tearing down what
 * the guest never set up) is a no-op: the attached PASID stays where it
 * is, and the driver is asked nothing.
 */
TEST_F(replace_pasid, detach_of_unattached_pasid_changes_nothing)
{
	__u32 stdev = self->dev.stdev_id;
	unsigned int since;

	ASSERT_EQ(0, ir_pasid_attach(self->fx.fd, stdev, PASID, self->hwpt_a));
	since = ir_oracle_point();
	ASSERT_EQ(0, ir_pasid_detach(self->fx.fd, stdev, PASID + 1));
	assert_pasid(_metadata, &self->fx, stdev, PASID, self->hwpt_a, since, 0,
		     0, 0);
	ASSERT_EQ(0, ir_pasid_check_hwpt(self->fx.fd, stdev, PASID + 1, 0));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->hwpt_a));
	ASSERT_EQ(0, ir_pasid_detach(self->fx.fd, stdev, PASID));
}
/*
 * A VMM that dies with a PASID attached: closing its iommufd destroys the
 * device, which must detach the PASID as it detaches the RID, so that the
 * HWPT goes and no page of the IOAS stays pinned. VFIO's unbind detaches
 * every PASID it attached (vfio_iommufd_physical_unbind()); the mock
 * device's destroy (iommufd_selftest_destroy()) detaches IOMMU_NO_PASID
 * only. Asked again after 500 ms, as a close's work may be deferred.
 */
TEST_F(replace_pasid, close_with_pasid_attached_unpins)
{
	struct ir_fx *fx = &self->fx;
	int now, later;

	ASSERT_EQ(0, ir_pasid_attach(fx->fd, self->dev.stdev_id, PASID,
				     self->hwpt_a));
	ASSERT_EQ(0, close(fx->fd));
	fx->fd = -1;
	now = ir_buf_check_unpinned(fx->buf, fx->size);
	later = now;
	if (now) {
		usleep(500 * 1000);
		later = ir_buf_check_unpinned(fx->buf, fx->size);
	}
	ir_buf_free(fx->buf, fx->size);
	fx->buf = NULL;
	fx_finish(_metadata, fx->unchecked);
	ASSERT_EQ(0, later)
	TH_LOG("PASID %u attached at close: the IOAS's pages are still pinned (%d, %d 500 ms later)",
	       PASID, now, later);
}
#endif

TEST_HARNESS_MAIN
