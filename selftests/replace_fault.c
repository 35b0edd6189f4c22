// SPDX-License-Identifier: GPL-2.0
/*
 * I/O page faults follow the replace: a page request from the device is
 * delivered to the fault queue of the HWPT it is attached to now, never to
 * the one it left, and requests still pending on the HWPT it left are
 * auto-responded (a late response to them is refused).
 *
 * VMM flow: a vIOMMU with IOPF (QEMU vSMMU with stall/PRI, VT-d with PRS)
 * moving a device between fault-capable stage-1 HWPTs, each forwarding
 * faults to the guest through its own queue, or to a HWPT without one.
 * Kernel promise: pending faults are auto-responded when leaving an
 * IOPF-capable HWPT.
 */
#include "fixture.h"

#define BUF_SIZE (4 * ir_page_size())
/* Long enough for a fault that will come, short for one that must not. */
#define WAIT_MS 2000
#define NONE_MS 100

struct queue {
	__u32 id;
	int fd;
};

FIXTURE(replace_fault)
{
	struct ir_fx fx;
	struct ir_mock_dev dev;
	struct queue q1, q2;
	__u32 hwpt_q1, hwpt_q2, hwpt_none;
	__u32 parent; /* nested: the stage-2 under the stage-1s */
};

/* Fault-capable HWPTs can be paging HWPTs or stage-1s on a nest parent. */
FIXTURE_VARIANT(replace_fault)
{
	bool nested;
};

FIXTURE_VARIANT_ADD(replace_fault, paging){
	.nested = false,
};

FIXTURE_VARIANT_ADD(replace_fault, nested){
	.nested = true,
};

/*
 * A stage-1 on @parent when nested, else a paging HWPT on the IOAS, named
 * for the oracle.
 */
static int alloc_hwpt(int fd, __u32 idev_id, __u32 ioas_id, bool nested,
		      __u32 parent, struct queue *q, __u32 *hwpt_id)
{
	__u32 flags = q ? IOMMU_HWPT_FAULT_ID_VALID : 0;
	__u32 fault_id = q ? q->id : 0;

	if (nested)
		return fx_named_hwpt(hwpt_id,
				     ir_hwpt_alloc_nested(fd, idev_id, parent,
							  flags, fault_id, 0,
							  hwpt_id));
	return fx_named_hwpt(hwpt_id,
			     ir_hwpt_alloc_full(fd, idev_id, ioas_id, flags,
						fault_id, IOMMU_HWPT_DATA_NONE,
						NULL, 0, hwpt_id));
}

FIXTURE_SETUP(replace_fault)
{
	struct ir_fx *fx = &self->fx;
	__u32 idev, parent = 0;
	int rc;

	self->q1.fd = self->q2.fd = -1;
	if (!fx_open(_metadata, fx))
		return;
	fx_ioas(_metadata, fx, BUF_SIZE, 0);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	idev = self->dev.idev_id;
	ASSERT_EQ(0, ir_fault_queue_alloc(fx->fd, &self->q1.id, &self->q1.fd));
	ASSERT_EQ(0, ir_fault_queue_alloc(fx->fd, &self->q2.id, &self->q2.fd));
	if (variant->nested)
		fx_hwpt(_metadata, fx, idev, fx->ioas_id,
			IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	self->parent = parent;
	rc = alloc_hwpt(fx->fd, idev, fx->ioas_id, variant->nested, parent,
			&self->q1, &self->hwpt_q1);
	if (rc == -EOPNOTSUPP && !variant->nested)
		SKIP(return,
			   "this kernel refuses a fault queue on a paging HWPT (EOPNOTSUPP)");
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, alloc_hwpt(fx->fd, idev, fx->ioas_id, variant->nested,
				parent, &self->q2, &self->hwpt_q2));
	ASSERT_EQ(0, alloc_hwpt(fx->fd, idev, fx->ioas_id, variant->nested,
				parent, NULL, &self->hwpt_none));
}

FIXTURE_TEARDOWN(replace_fault)
{
	if (self->q1.fd >= 0)
		close(self->q1.fd);
	if (self->q2.fd >= 0)
		close(self->q2.fd);
	fx_teardown(_metadata, &self->fx);
}

/* A page request from the device (no PASID) in group @grpid. */
#define trigger(grpid) \
	ir_trigger_iopf(self->fx.fd, self->dev.idev_id, 0, grpid, FAULT_ADDR)

/* Reads one fault from @q, checks it is the one triggered, and answers it. */
static void expect_fault(struct __test_metadata *_metadata, struct queue *q,
			 __u32 idev_id, __u32 grpid)
{
	struct iommu_hwpt_pgfault f = {};

	ASSERT_EQ(0, ir_fault_read(q->fd, &f, WAIT_MS))
	TH_LOG("no fault on queue %u within %d ms", q->id, WAIT_MS);
	ASSERT_EQ(idev_id, f.dev_id);
	ASSERT_EQ(grpid, f.grpid);
	ASSERT_EQ(FAULT_ADDR, f.addr);
	ASSERT_EQ(0,
		  ir_fault_respond(q->fd, f.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
}

static void expect_no_fault(struct __test_metadata *_metadata, struct queue *q)
{
	struct iommu_hwpt_pgfault f = {};

	ASSERT_EQ(-ETIMEDOUT, ir_fault_read(q->fd, &f, NONE_MS))
	TH_LOG("queue %u got a fault (grpid %u) it must not get", q->id,
	       f.grpid);
}

TEST_F(replace_fault, faults_go_to_new_queue_only)
{
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q1,
		   NULL);
	ASSERT_EQ(0, trigger(1));
	expect_fault(_metadata, &self->q1, self->dev.idev_id, 1);
	expect_no_fault(_metadata, &self->q2);

	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q2,
		   NULL);
	ASSERT_EQ(0, trigger(2));
	expect_fault(_metadata, &self->q2, self->dev.idev_id, 2);
	expect_no_fault(_metadata, &self->q1);

	/* A HWPT without a queue: the fault reaches no queue. */
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_none,
		   NULL);
	ASSERT_EQ(0, trigger(3));
	expect_no_fault(_metadata, &self->q1);
	expect_no_fault(_metadata, &self->q2);

	/* And back to a fault-capable HWPT from one without. */
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q1,
		   NULL);
	ASSERT_EQ(0, trigger(4));
	expect_fault(_metadata, &self->q1, self->dev.idev_id, 4);
	expect_no_fault(_metadata, &self->q2);
}

TEST_F(replace_fault, unread_fault_dropped_on_replace)
{
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q1,
		   NULL);
	ASSERT_EQ(0, trigger(5));
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q2,
		   NULL);
	/* Auto-responded: the old queue no longer offers it. */
	expect_no_fault(_metadata, &self->q1);
	expect_no_fault(_metadata, &self->q2);
}

TEST_F(replace_fault, late_response_refused_after_replace)
{
	struct iommu_hwpt_pgfault f = {};

	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q1,
		   NULL);
	ASSERT_EQ(0, trigger(6));
	ASSERT_EQ(0, ir_fault_read(self->q1.fd, &f, WAIT_MS));
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_none,
		   NULL);
	ASSERT_EQ(-EINVAL, ir_fault_respond(self->q1.fd, f.cookie,
					    IOMMUFD_PAGE_RESP_SUCCESS))
	TH_LOG("cookie %u was not auto-responded by the replace", f.cookie);
}

TEST_F(replace_fault, queue_freed_with_its_last_hwpt)
{
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q1,
		   NULL);
	/* The queue's fd holds it too: close it to see the HWPT's hold. */
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->q1.id));
	ASSERT_EQ(0, close(self->q1.fd));
	self->q1.fd = -1;
	/* A HWPT holds its queue; the device holds the HWPT. */
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->q1.id));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->hwpt_q1));
	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q2,
		   NULL);
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->hwpt_q1));
	ASSERT_EQ(0, ir_destroy(self->fx.fd, self->q1.id));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fx.fd, self->q2.id));
}

/* Reads one fault from @q, checks it came from @idev_id, and returns it. */
static void read_fault(struct __test_metadata *_metadata, struct queue *q,
		       __u32 idev_id, struct iommu_hwpt_pgfault *f)
{
	ASSERT_EQ(0, ir_fault_read(q->fd, f, WAIT_MS))
	TH_LOG("no fault on queue %u within %d ms", q->id, WAIT_MS);
	ASSERT_EQ(idev_id, f->dev_id);
}

/*
 * Two devices on one fault-capable HWPT, both with a fault pending: moving
 * one away answers its fault only; the other's is still the VMM's to
 * answer.
 */
TEST_F(replace_fault, replace_answers_only_its_device)
{
	struct ir_fx *fx = &self->fx;
	struct iommu_hwpt_pgfault f1 = {}, f2 = {};
	struct ir_mock_dev dev2;

	fx_dev(_metadata, fx, fx->ioas_id, 0, &dev2);
	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_q1, NULL);
	fx_replace(_metadata, fx, dev2.stdev_id, self->hwpt_q1, NULL);
	ASSERT_EQ(0, trigger(7));
	ASSERT_EQ(0, ir_trigger_iopf(fx->fd, dev2.idev_id, 0, 8, FAULT_ADDR));
	read_fault(_metadata, &self->q1, self->dev.idev_id, &f1);
	read_fault(_metadata, &self->q1, dev2.idev_id, &f2);

	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_q2, NULL);
	fx_assert_on(_metadata, fx, dev2.stdev_id, self->hwpt_q1);
	ASSERT_EQ(-EINVAL, ir_fault_respond(self->q1.fd, f1.cookie,
					    IOMMUFD_PAGE_RESP_SUCCESS))
	TH_LOG("the moved device's fault was not answered by the replace");
	ASSERT_EQ(0, ir_fault_respond(self->q1.fd, f2.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS))
	TH_LOG("the replace answered the other device's fault too");
}

/* A replace onto the HWPT the device is on answers nothing. */
TEST_F(replace_fault, noop_replace_keeps_fault_pending)
{
	struct iommu_hwpt_pgfault f = {};

	fx_replace(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q1,
		   NULL);
	ASSERT_EQ(0, trigger(9));
	read_fault(_metadata, &self->q1, self->dev.idev_id, &f);
	fx_replace_noop(_metadata, &self->fx, self->dev.stdev_id, self->hwpt_q1,
			self->hwpt_q1);
	ASSERT_EQ(0, ir_fault_respond(self->q1.fd, f.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
}

/*
 * A refused replace answers nothing either; unbinding the device then
 * does: a late response is refused (EINVAL), and nothing warns.
 */
TEST_F(replace_fault, unbind_after_failed_replace_answers_faults)
{
	struct ir_fx *fx = &self->fx;
	struct iommu_hwpt_pgfault f = {}, g = {};

	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_q1, NULL);
	ASSERT_EQ(0, trigger(10));
	ASSERT_EQ(0, trigger(11));
	read_fault(_metadata, &self->q1, self->dev.idev_id, &f);
	read_fault(_metadata, &self->q1, self->dev.idev_id, &g);
	fx_replace_fails(_metadata, fx, -ENOENT, self->dev.stdev_id,
			 self->hwpt_q2 + 1000);
	ASSERT_EQ(0, ir_fault_respond(self->q1.fd, f.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS))
	TH_LOG("a refused replace answered a pending fault");
	ASSERT_EQ(0, ir_destroy(fx->fd, self->dev.stdev_id));
	ASSERT_EQ(-EINVAL, ir_fault_respond(self->q1.fd, g.cookie,
					    IOMMUFD_PAGE_RESP_SUCCESS))
	TH_LOG("unbinding left fault %u pending", g.cookie);
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_q1));
}

/*
 * The same after a replace that succeeded: the fault pending on the HWPT
 * left was answered by the replace, the one pending on the new HWPT is
 * answered by the unbind.
 */
TEST_F(replace_fault, unbind_after_replace_answers_faults)
{
	struct ir_fx *fx = &self->fx;
	struct iommu_hwpt_pgfault f = {}, g = {};

	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_q1, NULL);
	ASSERT_EQ(0, trigger(15));
	read_fault(_metadata, &self->q1, self->dev.idev_id, &f);
	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_q2, NULL);
	ASSERT_EQ(0, trigger(16));
	read_fault(_metadata, &self->q2, self->dev.idev_id, &g);
	ASSERT_EQ(0, ir_destroy(fx->fd, self->dev.stdev_id));
	ASSERT_EQ(-EINVAL, ir_fault_respond(self->q1.fd, f.cookie,
					    IOMMUFD_PAGE_RESP_SUCCESS));
	ASSERT_EQ(-EINVAL, ir_fault_respond(self->q2.fd, g.cookie,
					    IOMMUFD_PAGE_RESP_SUCCESS))
	TH_LOG("unbinding left fault %u pending", g.cookie);
	ASSERT_EQ(0, ir_destroy(fx->fd, self->hwpt_q2));
}

/*
 * Faults tagged with a PASID. The mock keeps a user-managed PASID table,
 * so the IOPF core hands them to the nested HWPT on the RID, whichever it
 * is now, and to nobody once the device is on the parent (or on any
 * paging HWPT).
 */
TEST_F(replace_fault, pasid_faults_follow_the_nested_hwpt)
{
	struct ir_fx *fx = &self->fx;
	struct iommu_hwpt_pgfault f = {};
	__u32 idev = self->dev.idev_id;
	const __u32 pasid = 5;

	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_q1, NULL);
	ASSERT_EQ(0, ir_trigger_iopf(fx->fd, idev, pasid, 12, FAULT_ADDR));
	if (!variant->nested) {
		expect_no_fault(_metadata, &self->q1);
		return;
	}
	read_fault(_metadata, &self->q1, idev, &f);
	ASSERT_TRUE(f.flags & IOMMU_PGFAULT_FLAGS_PASID_VALID);
	ASSERT_EQ(pasid, f.pasid);
	ASSERT_EQ(0, ir_fault_respond(self->q1.fd, f.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));

	fx_replace(_metadata, fx, self->dev.stdev_id, self->hwpt_q2, NULL);
	ASSERT_EQ(0, ir_trigger_iopf(fx->fd, idev, pasid, 13, FAULT_ADDR));
	read_fault(_metadata, &self->q2, idev, &f);
	ASSERT_EQ(13, f.grpid);
	ASSERT_EQ(pasid, f.pasid);
	expect_no_fault(_metadata, &self->q1);
	ASSERT_EQ(0, ir_fault_respond(self->q2.fd, f.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));

	/* On the stage-2 itself: no nested HWPT, no queue gets it. */
	fx_replace(_metadata, fx, self->dev.stdev_id, self->parent, NULL);
	ASSERT_EQ(0, ir_trigger_iopf(fx->fd, idev, pasid, 14, FAULT_ADDR));
	expect_no_fault(_metadata, &self->q1);
	expect_no_fault(_metadata, &self->q2);
}

TEST_HARNESS_MAIN
