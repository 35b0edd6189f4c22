// SPDX-License-Identifier: GPL-2.0
/*
 * Every way a replace can be refused: the exact errno the uapi gives, and
 * afterwards the device provably where it was (its HWPT still busy and
 * still mirroring the IOAS, the target destroyable at once).
 *
 * VMM flow: QEMU's attach loop, which reads EINVAL as "incompatible, try
 * the next HWPT" and so depends on the errno and on a failed attempt
 * leaving nothing behind.
 * Kernel promise: if iommufd_device_replace() fails, the attachment is
 * unchanged.
 */
#include "fixture.h"

#define BUF_SIZE (16 * ir_page_size())
/* Below the mock aperture: no mock domain can map it. */
#define IOVA_OUTSIDE 0x100000ULL

FIXTURE(replace_errors)
{
	struct ir_fx fx;
	struct ir_mock_dev dev;
	__u32 cur, spare;
	__u32 fault_id;
	int fault_fd;
};

FIXTURE_SETUP(replace_errors)
{
	struct ir_fx *fx = &self->fx;

	self->fault_fd = -1;
	if (!fx_open(_metadata, fx))
		return;
	fx_ioas(_metadata, fx, BUF_SIZE, 0x3c);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id, 0, &self->cur);
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id, 0, &self->spare);
	fx_replace(_metadata, fx, self->dev.stdev_id, self->cur, NULL);
	ASSERT_EQ(0, ir_fault_queue_alloc(fx->fd, &self->fault_id,
					  &self->fault_fd));
}

FIXTURE_TEARDOWN(replace_errors)
{
	if (self->fault_fd >= 0)
		close(self->fault_fd);
	fx_teardown(_metadata, &self->fx);
}

/*
 * The device is on self->cur, exactly as before the refused replace, at
 * the driver and in iommufd, and still works: it can be replaced for real.
 */
static void assert_on_cur(struct __test_metadata *_metadata, struct ir_fx *fx,
			  __u32 stdev_id, __u32 cur, __u32 spare)
{
	fx_assert_on(_metadata, fx, stdev_id, cur);
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, cur))
	TH_LOG("the device left hwpt %u", cur);
	ASSERT_EQ(0, ir_md_check_map(fx->fd, cur, IOVA, fx->buf, BUF_SIZE));
	fx_replace(_metadata, fx, stdev_id, spare, NULL);
	ASSERT_EQ(0, ir_destroy(fx->fd, cur));
}

#define assert_unchanged()                                                 \
	assert_on_cur(_metadata, &self->fx, self->dev.stdev_id, self->cur, \
		      self->spare)

TEST_F(replace_errors, missing_id)
{
	fx_replace_fails(_metadata, &self->fx, -ENOENT, self->dev.stdev_id,
			 self->spare + 1000);
	assert_unchanged();
}

TEST_F(replace_errors, destroyed_hwpt)
{
	struct ir_fx *fx = &self->fx;
	__u32 gone;

	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id, 0, &gone);
	ASSERT_EQ(0, ir_destroy(fx->fd, gone));
	fx_replace_fails(_metadata, fx, -ENOENT, self->dev.stdev_id, gone);
	assert_unchanged();
}

/* Objects that are neither a HWPT nor an IOAS. */
TEST_F(replace_errors, wrong_object_type)
{
	fx_replace_fails(_metadata, &self->fx, -EINVAL, self->dev.stdev_id,
			 self->fault_id);
	fx_replace_fails(_metadata, &self->fx, -EINVAL, self->dev.stdev_id,
			 self->dev.idev_id);
	assert_unchanged();
}

TEST_F(replace_errors, not_a_device)
{
	struct ir_fx *fx = &self->fx;

	ASSERT_EQ(-ENOENT,
		  ir_mock_domain_replace(fx->fd, self->cur, self->spare, NULL));
	ASSERT_EQ(-ENOENT, ir_mock_domain_replace(fx->fd, self->dev.idev_id,
						  self->spare, NULL));
	assert_unchanged();
}

/*
 * The driver itself refuses: a device without dirty tracking cannot
 * attach a dirty-tracking domain, in its own IOAS or in another one. The
 * refusal must come from the attach op, not earlier, and leave the device
 * on its HWPT; the refused HWPT and both IOASes go as soon as nothing
 * uses them.
 */
TEST_F(replace_errors, driver_refuses_attach)
{
	struct ir_fx *fx = &self->fx;
	struct ir_oracle_attach call;
	struct ir_mock_dev nd;
	__u32 ioas2, dirty, dirty2, nd_hwpt, refused[2];
	unsigned int since;
	void *buf2;
	int i;

	ASSERT_EQ(0, ir_ioas_alloc_mapped(fx->fd, BUF_SIZE, 0x5d, IOVA, &ioas2,
					  &buf2));
	fx_hwpt(_metadata, fx, self->dev.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &dirty);
	fx_hwpt(_metadata, fx, self->dev.idev_id, ioas2,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &dirty2);
	fx_dev(_metadata, fx, fx->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY, &nd);
	fx_hwpt(_metadata, fx, nd.idev_id, fx->ioas_id, 0, &nd_hwpt);
	fx_replace(_metadata, fx, nd.stdev_id, nd_hwpt, NULL);
	refused[0] = dirty;
	refused[1] = dirty2;

	/*
	 * Each refusal comes from the driver's attach op; what follows it can
	 * only be the core's unwind to nd_hwpt, which fx_replace_fails()
	 * allows and checks.
	 */
	for (i = 0; i < 2; i++) {
		since = ir_oracle_point();
		fx_replace_fails(_metadata, fx, -EINVAL, nd.stdev_id,
				 refused[i]);
		if (ir_oracle_off())
			continue;
		ASSERT_LE(1, ir_oracle_attaches(nd.stdev_id, false, 0, since,
						&call, 1));
		ASSERT_EQ(refused[i], call.hwpt_id);
		ASSERT_EQ(-EINVAL, call.ret);
	}
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, nd_hwpt));
	ASSERT_EQ(0, ir_destroy(fx->fd, dirty));
	ASSERT_EQ(0, ir_destroy(fx->fd, dirty2));
	ASSERT_EQ(0, ir_destroy(fx->fd, ioas2));
	ASSERT_EQ(0, ir_destroy(fx->fd, nd.stdev_id));
	ASSERT_EQ(0, ir_destroy(fx->fd, nd_hwpt));
	EXPECT_EQ(0, ir_buf_release(buf2, BUF_SIZE));
	assert_unchanged();
}

/*
 * A failure deep in the replace: the new IOAS holds a mapping outside the
 * mock aperture, so the auto domain made for it cannot take its contents.
 * The domain is allocated, never attached, and freed; the device stays;
 * once the device is gone, both IOASes can be destroyed.
 */
TEST_F(replace_errors, ioas_the_domain_cannot_hold)
{
	struct ir_fx *fx = &self->fx;
	struct ir_oracle_attach call;
	unsigned int since;
	__u32 ioas2;
	void *buf2;

	ASSERT_EQ(0, ir_ioas_alloc_mapped(fx->fd, BUF_SIZE, 0x6e, IOVA_OUTSIDE,
					  &ioas2, &buf2));
	since = ir_oracle_point();
	fx_replace_fails(_metadata, fx, -EADDRINUSE, self->dev.stdev_id, ioas2);
	if (!ir_oracle_off())
		ASSERT_EQ(0, ir_oracle_attaches(self->dev.stdev_id, false, 0,
						since, &call, 1));
	/* Nothing of the failed domain pins the new IOAS's memory. */
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, buf2, BUF_SIZE, 0));
	assert_unchanged();
	ASSERT_EQ(0, ir_destroy(fx->fd, self->dev.stdev_id));
	ASSERT_EQ(0, ir_destroy(fx->fd, self->spare));
	ASSERT_EQ(0, ir_destroy(fx->fd, ioas2));
	ASSERT_EQ(0, ir_destroy(fx->fd, fx->ioas_id));
	EXPECT_EQ(0, ir_buf_release(buf2, BUF_SIZE));
}

/* A device whose selftest object is gone is unbound: nothing to replace. */
TEST_F(replace_errors, unbound_device)
{
	struct ir_fx *fx = &self->fx;
	struct ir_mock_dev dev2;

	fx_dev(_metadata, fx, fx->ioas_id, 0, &dev2);
	ASSERT_EQ(0, ir_destroy(fx->fd, dev2.stdev_id));
	ASSERT_EQ(-ENOENT, ir_mock_domain_replace(fx->fd, dev2.stdev_id,
						  self->spare, NULL));
	assert_unchanged();
}

/*
 * A device bound and never attached (a VFIO device before its first
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT) has nothing to replace: the replace is
 * refused (EINVAL; "iommufd: Fail replace if device has not been
 * attached", 2025), leaves the device unattached (a second one is refused
 * alike), holds nothing (the HWPT it named goes at once) and leaves the
 * attached device alone. The mock makes such a device only where it has
 * MOCK_FLAGS_DEVICE_NO_ATTACH.
 */
TEST_F(replace_errors, never_attached_device)
{
#ifdef IR_HAVE_NO_ATTACH
	struct ir_fx *fx = &self->fx;
	struct ir_mock_dev bound;
	__u32 named;
	int rc;

	rc = ir_mock_domain(fx->fd, fx->ioas_id, MOCK_FLAGS_DEVICE_NO_ATTACH,
			    &bound);
	if (rc == -EINVAL)
		SKIP(return,
		     "the running kernel's mock refuses MOCK_FLAGS_DEVICE_NO_ATTACH (EINVAL)");
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, bound.hwpt_id);
	fx_hwpt(_metadata, fx, bound.idev_id, fx->ioas_id, 0, &named);
	ASSERT_EQ(-EINVAL, ir_mock_domain_replace(fx->fd, bound.stdev_id, named,
						  NULL));
	ASSERT_EQ(-EINVAL, ir_mock_domain_replace(fx->fd, bound.stdev_id, named,
						  NULL));
	ASSERT_EQ(0, ir_destroy(fx->fd, named))
	TH_LOG("hwpt %u held after a refused replace of a device never attached",
	       named);
	assert_unchanged();
#else
	SKIP(return,
	     "the kernel tree under test has no MOCK_FLAGS_DEVICE_NO_ATTACH in iommufd_test.h (a mock device bound and never attached; newer than 7.2)");
#endif
}

TEST_HARNESS_MAIN
