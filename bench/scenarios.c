// SPDX-License-Identifier: GPL-2.0
/* The timed replace flows; see scenarios.h and bench/README.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_stats.h"
#include "ir_util.h"
#include "ir_vfio.h"
#include "scenarios.h"

static bool real(const struct dev_state *d)
{
	return d->edu.fd >= 0;
}

/*
 * The replace timed on its own: which kind of device is chosen before the
 * clock starts, so that the mock's hot path times what it always did.
 */
static int timed_replace(struct ctx *c, struct dev_state *d, __u32 to,
			 uint64_t *ns)
{
	uint64_t t0;
	int rc;

	if (real(d)) {
		t0 = ir_now_ns();
		rc = ir_vfio_attach_pt(d->edu.fd, to, NULL);
	} else {
		t0 = ir_now_ns();
		rc = ir_mock_domain_replace(c->fd, d->dev.stdev_id, to, NULL);
	}
	*ns = ir_now_ns() - t0;
	if (!rc)
		d->cur = to;
	return rc;
}

/* Leaves the auto domain MOCK_DOMAIN attached the device to, for c->a. */
static int prime_to_a(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	return timed_replace(c, d, c->a, ns);
}

/* Flips between c->a and c->b: op 0 is a->b, op 1 is b->a. */
static int step_flip(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	__u32 to = d->cur == c->a ? c->b : c->a;
	int rc = timed_replace(c, d, to, ns);

	return rc ? rc : to == c->b ? 0 : 1;
}

static __u32 idev0(struct ctx *c)
{
	return c->devs[0].dev.idev_id;
}

/*
 * A paging HWPT on IOAS @ioas_id, with the mock's huge IO pages on a THP
 * point (a real driver picks its page sizes itself).
 */
static int paging_alloc(struct ctx *c, __u32 ioas_id, __u32 flags, __u32 *id)
{
	bool mock_huge = c->pt->thp && !real(&c->devs[0]);

	return ir_hwpt_alloc_paging(c->fd, idev0(c), ioas_id, flags, mock_huge,
				    id);
}

static int setup_hwpt_hwpt(struct ctx *c)
{
	int rc = paging_alloc(c, c->ioas[0], 0, &c->a);

	return rc ? rc : paging_alloc(c, c->ioas[0], 0, &c->b);
}

static int setup_cross_ioas(struct ctx *c)
{
	int rc = paging_alloc(c, c->ioas[0], 0, &c->a);

	return rc ? rc : paging_alloc(c, c->ioas[1], 0, &c->b);
}

static int setup_hwpt_ioas(struct ctx *c)
{
	c->b = c->ioas[0];
	return paging_alloc(c, c->ioas[0], 0, &c->a);
}

/* An IOAS id comes back as the auto domain: flip on the IOAS id itself. */
static int step_hwpt_ioas(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	bool to_ioas = d->cur == c->a;
	int rc = timed_replace(c, d, to_ioas ? c->ioas[0] : c->a, ns);

	if (rc)
		return rc;
	d->cur = to_ioas ? c->b : c->a;
	return to_ioas ? 0 : 1;
}

/*
 * The alternative without replace: unbind the device, bind it afresh (a
 * VFIO device: detach it, attach it again).
 */
static int step_reattach(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	__u32 to = d->cur == c->a ? c->b : c->a;
	uint64_t t0 = ir_now_ns();
	int rc = real(d) ? ir_vfio_detach_pt(d->edu.fd) :
			   ir_destroy(c->fd, d->dev.stdev_id);

	if (!rc)
		rc = real(d) ? ir_vfio_attach_pt(d->edu.fd, to, NULL) :
			       ir_mock_domain(c->fd, to, 0, &d->dev);
	*ns = ir_now_ns() - t0;
	if (rc)
		return rc;
	d->cur = to;
	return 0;
}

static int setup_access_ioas(struct ctx *c)
{
	unsigned int i;
	int rc;

	for (i = 0; i < c->pt->devices; i++) {
		rc = ir_access_create(c->fd, c->ioas[0], 0,
				      &c->devs[i].access_fd);
		if (rc)
			return rc;
		c->devs[i].cur = c->ioas[0];
	}
	c->a = c->ioas[0];
	c->b = c->ioas[1];
	return 0;
}

static int step_access_ioas(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	__u32 to = d->cur == c->a ? c->b : c->a;
	uint64_t t0 = ir_now_ns();
	int rc = ir_access_replace_ioas(c->fd, d->access_fd, to);

	*ns = ir_now_ns() - t0;
	if (rc)
		return rc;
	d->cur = to;
	return 0;
}

static int setup_parent(struct ctx *c)
{
	return paging_alloc(c, c->ioas[0], IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &c->parent);
}

static int setup_parent_nested(struct ctx *c)
{
	int rc = setup_parent(c);

	c->a = c->parent;
	return rc ? rc :
		    ir_hwpt_alloc_nested(c->fd, idev0(c), c->parent, 0, 0, 0,
					 &c->b);
}

static int setup_nested_nested(struct ctx *c)
{
	int rc = setup_parent(c);

	if (!rc)
		rc = ir_hwpt_alloc_nested(c->fd, idev0(c), c->parent, 0, 0, 1,
					  &c->a);
	return rc ? rc :
		    ir_hwpt_alloc_nested(c->fd, idev0(c), c->parent, 0, 0, 2,
					 &c->b);
}

static int setup_make_before_break(struct ctx *c)
{
	return real(&c->devs[0]) ? 0 : setup_parent(c);
}

/* Each device gets its own stage-1, as a guest's per-device STE does. */
static int prime_own_nested(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	__u32 s1;
	int rc = real(d) ? paging_alloc(c, c->ioas[0], 0, &s1) :
			   ir_hwpt_alloc_nested(c->fd, d->dev.idev_id,
						c->parent, 0, 0, 0, &s1);

	return rc ? rc : timed_replace(c, d, s1, ns);
}

/*
 * QEMU's vSMMU/VT-d sequence, as one unit: alloc, replace, destroy old;
 * on a mock device (its stage-1 of the parent) or a real one (a paging
 * HWPT), each timed in a function of its own, so that the mock's times
 * what it always did.
 */
static int mbb_mock(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	__u32 old = d->cur, s1;
	uint64_t t0 = ir_now_ns();
	int rc = ir_hwpt_alloc_nested(c->fd, d->dev.idev_id, c->parent, 0, 0,
				      ++d->flips, &s1);

	if (!rc)
		rc = ir_mock_domain_replace(c->fd, d->dev.stdev_id, s1, NULL);
	if (!rc)
		rc = ir_destroy(c->fd, old);
	*ns = ir_now_ns() - t0;
	if (!rc)
		d->cur = s1;
	return rc;
}

static int mbb_real(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	__u32 old = d->cur, id;
	uint64_t t0 = ir_now_ns();
	int rc = paging_alloc(c, c->ioas[0], 0, &id);

	if (!rc)
		rc = ir_vfio_attach_pt(d->edu.fd, id, NULL);
	if (!rc)
		rc = ir_destroy(c->fd, old);
	*ns = ir_now_ns() - t0;
	if (!rc)
		d->cur = id;
	return rc;
}

static int step_make_before_break(struct ctx *c, struct dev_state *d,
				  uint64_t *ns)
{
	return real(d) ? mbb_real(c, d, ns) : mbb_mock(c, d, ns);
}

static int setup_dirty(struct ctx *c)
{
	int rc = paging_alloc(c, c->ioas[0], 0, &c->a);

	if (!rc)
		rc = paging_alloc(c, c->ioas[0],
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &c->b);
	return rc ? rc : ir_hwpt_set_dirty_tracking(c->fd, c->b, true);
}

/*
 * Accelerated vSMMU (QEMU's smmuv3-accel, OpenVMM): every device on a
 * shared BYPASS stage-1 (a, like the shared ABORT one); a guest STE that
 * turns translation on gets the device a stage-1 of its own, built from
 * that STE and replaced onto; the STE's return to bypass replaces the
 * device back and drops its own.
 */
static int setup_ste_switch(struct ctx *c)
{
	int rc = setup_parent(c);

	return rc ? rc :
		    ir_hwpt_alloc_nested(c->fd, idev0(c), c->parent, 0, 0, 0,
					 &c->a);
}

static int step_ste_switch(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	bool to_own = d->cur == c->a;
	__u32 old = d->cur, to = c->a;
	uint64_t t0 = ir_now_ns();
	int rc = 0;

	if (to_own)
		rc = ir_hwpt_alloc_nested(c->fd, d->dev.idev_id, c->parent, 0,
					  0, ++d->flips, &to);
	if (!rc)
		rc = ir_mock_domain_replace(c->fd, d->dev.stdev_id, to, NULL);
	if (!rc && !to_own)
		rc = ir_destroy(c->fd, old);
	*ns = ir_now_ns() - t0;
	if (rc)
		return rc;
	d->cur = to;
	return to_own ? 0 : 1;
}

/*
 * Live migration's rounds: the dirty bitmap of every page mapped, read
 * from a dirty-tracking HWPT the device is on, with NO_CLEAR (each round)
 * and clearing (once the pages are sent), in turn. No page is dirty: what
 * is timed is the walk of the domain, which is what grows with memory.
 */
static int setup_dirty_read(struct ctx *c)
{
	size_t bytes = (c->pt->size / ir_page_size() + 63) / 64 * 8;
	unsigned int i;
	int rc = paging_alloc(c, c->ioas[0], IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			      &c->a);

	for (i = 0; !rc && i < c->pt->devices; i++) {
		c->devs[i].bitmap = calloc(1, bytes);
		if (!c->devs[i].bitmap)
			rc = -ENOMEM;
	}
	return rc ? rc : ir_hwpt_set_dirty_tracking(c->fd, c->a, true);
}

static int step_dirty_read(struct ctx *c, struct dev_state *d, uint64_t *ns)
{
	bool keep = !(d->flips++ & 1);
	__u32 flags = keep ? IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0;
	uint64_t t0 = ir_now_ns();
	int rc = ir_hwpt_get_dirty_bitmap(c->fd, c->a, IR_BENCH_IOVA,
					  c->pt->size, ir_page_size(), d->bitmap,
					  flags);

	*ns = ir_now_ns() - t0;
	return rc ? rc : keep ? 0 : 1;
}

static int setup_fault(struct ctx *c)
{
	int rc = setup_parent(c), i;
	__u32 *hwpt[2] = { &c->a, &c->b };

	for (i = 0; !rc && i < 2; i++) {
		rc = ir_fault_queue_alloc(c->fd, &c->fault_id[i],
					  &c->fault_fd[i]);
		if (!rc)
			rc = ir_hwpt_alloc_nested(c->fd, idev0(c), c->parent,
						  IOMMU_HWPT_FAULT_ID_VALID,
						  c->fault_id[i], 0, hwpt[i]);
	}
	return rc;
}

const struct scenario ir_scenarios[] = {
	{
		.name = "hwpt_hwpt",
		.tags = IR_SC_HOT,
		.flow = "QEMU attach to an existing HWPT of the container; the hot path",
		.ops = { "replace", "replace" },
		.prime_op = "leave_auto_domain",
		.setup = setup_hwpt_hwpt,
		.prime = prime_to_a,
		.step = step_flip,
	},
	{
		.name = "cross_ioas",
		.flow = "device moved between address spaces (containers)",
		.ops = { "replace", "replace" },
		.prime_op = "leave_auto_domain",
		.setup = setup_cross_ioas,
		.prime = prime_to_a,
		.step = step_flip,
	},
	{
		.name = "hwpt_ioas",
		.tags = IR_SC_DOMAIN,
		.flow = "vIOMMU disable re-attaching the IOAS (auto domain created and freed)",
		.ops = { "to_ioas", "to_hwpt" },
		.prime_op = "leave_auto_domain",
		.setup = setup_hwpt_ioas,
		.prime = prime_to_a,
		.step = step_hwpt_ioas,
		.max_iters = 20,
	},
	{
		.name = "reattach",
		.flow = "the alternative without replace: unbind and bind the device afresh",
		.ops = { "unbind+bind", "unbind+bind" },
		.prime_op = "leave_auto_domain",
		.setup = setup_hwpt_hwpt,
		.prime = prime_to_a,
		.step = step_reattach,
		.max_iters = 100,
	},
	{
		.name = "access_ioas",
		.flow = "emulated device (iommufd_access) moved between IOASes",
		.ops = { "replace_ioas", "replace_ioas" },
		.setup = setup_access_ioas,
		.step = step_access_ioas,
		.no_device = true,
	},
	{
		.name = "parent_nested",
		.flow = "vIOMMU enable/disable: stage-2 parent <-> nested stage-1",
		.ops = { "to_nested", "to_parent" },
		.prime_op = "leave_auto_domain",
		.setup = setup_parent_nested,
		.prime = prime_to_a,
		.step = step_flip,
	},
	{
		.name = "nested_nested",
		.tags = IR_SC_NESTED,
		.flow = "guest STE/PASID-table switch between two stage-1s on one parent",
		.ops = { "replace", "replace" },
		.prime_op = "leave_auto_domain",
		.setup = setup_nested_nested,
		.prime = prime_to_a,
		.step = step_flip,
	},
	{
		.name = "make_before_break",
		.tags = IR_SC_UNIT,
		.flow = "QEMU vSMMU/VT-d: alloc stage-1, replace, destroy the old one",
		.ops = { "alloc+replace+destroy" },
		.prime_op = "leave_auto_domain",
		.setup = setup_make_before_break,
		.prime = prime_own_nested,
		.step = step_make_before_break,
	},
	{
		.name = "dirty",
		.flow = "migration start: into and out of a dirty-tracking HWPT",
		.ops = { "into_dirty", "out_of_dirty" },
		.prime_op = "leave_auto_domain",
		.setup = setup_dirty,
		.prime = prime_to_a,
		.step = step_flip,
	},
	{
		.name = "ste_switch",
		.tags = IR_SC_NESTED | IR_SC_UNIT,
		.flow = "accelerated vSMMU: shared BYPASS stage-1 <-> the device's own, built from its STE",
		.ops = { "alloc+replace", "replace+destroy" },
		.prime_op = "leave_auto_domain",
		.setup = setup_ste_switch,
		.prime = prime_to_a,
		.step = step_ste_switch,
	},
	{
		.name = "dirty_read",
		.flow = "live migration's rounds: the dirty bitmap read, NO_CLEAR and clearing",
		.ops = { "read_no_clear", "read_clear" },
		.prime_op = "leave_auto_domain",
		.setup = setup_dirty_read,
		.prime = prime_to_a,
		.step = step_dirty_read,
		.needs = "dirty tracking (IOMMU_HWPT_ALLOC_DIRTY_TRACKING)",
	},
	{
		.name = "fault",
		.flow = "vIOMMU with IOPF: between two fault-capable stage-1s",
		.ops = { "replace", "replace" },
		.prime_op = "leave_auto_domain",
		.setup = setup_fault,
		.prime = prime_to_a,
		.step = step_flip,
		.needs = "fault-capable nested HWPTs (CONFIG_IOMMU_IOPF)",
	},
	{}
};

const struct scenario *ir_scenario_find(const char *name)
{
	const struct scenario *s;

	for (s = ir_scenarios; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}
