/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The replace flows the bench times. Each scenario builds its objects
 * once per point, makes one transition that may carry a one-time cost
 * (prime, timed as a record of its own, its phase one_time), then
 * alternates between two states (step, phase steady).
 */
#ifndef IR_BENCH_SCENARIOS_H
#define IR_BENCH_SCENARIOS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "ir_edu.h"
#include "ir_mock.h"

/* Where each IOAS maps its memory: the start of the mock's aperture. */
#define IR_BENCH_IOVA ((__u64)MOCK_APERTURE_START)
#define IR_MAX_OPS 2
#define IR_MAX_SCENARIOS 32

/* What a scenario is: the presets choose by it, the report reads it. */
enum ir_scenario_tag {
	IR_SC_HOT = 1 << 0, /* the hot path: a replace between existing HWPTs */
	IR_SC_DOMAIN = 1 << 1, /* creates and fills a domain every round */
	IR_SC_UNIT = 1 << 2, /* make-before-break: alloc, replace, destroy */
	IR_SC_NESTED = 1 << 3, /* between two stage-1 HWPTs of one parent */
};
#define IR_SC_ALL (~0u)

/* One measured point of the parameter space. */
struct point {
	size_t size; /* bytes mapped in each IOAS */
	unsigned int areas; /* IOAS_MAP calls it is split into */
	unsigned int devices; /* mock devices, spread over the threads */
	unsigned int threads; /* replacing at once, one device set each */
	int mem_node, cpu_node; /* NUMA placement, -1: not bound */
	const char *load; /* none, access_rw or uring */
	bool thp; /* memory on transparent huge pages */
	/*
	 * The devices' IOMMU: "mock" (iommufd_test's mock devices), or the
	 * real driver ("VT-d") that QEMU's edu devices are behind (--device
	 * edu), reached through VFIO.
	 */
	const char *iommu;
	unsigned int iters, warmup;
};

/*
 * Whether two points are one: what a plan entry and a record are keyed by
 * (their rounds are not part of it).
 */
static inline bool point_same(const struct point *a, const struct point *b)
{
	return a->size == b->size && a->areas == b->areas &&
	       a->devices == b->devices && a->threads == b->threads &&
	       a->mem_node == b->mem_node && a->cpu_node == b->cpu_node &&
	       !strcmp(a->load, b->load) && a->thp == b->thp &&
	       !strcmp(a->iommu, b->iommu);
}

/* Per-device state that a step flips. */
struct dev_state {
	struct ir_mock_dev dev; /* a real device: its idev_id and hwpt_id */
	struct ir_edu edu; /* a real device: open (edu.fd >= 0) */
	__u32 cur; /* object the device is on */
	unsigned int flips;
	int access_fd; /* the access_ioas scenario's emulated device */
	void *bitmap; /* the dirty_read scenario's: one bit a page mapped */
};

struct ctx {
	int fd;
	const struct point *pt;
	__u32 ioas[2];
	void *buf[2];
	struct dev_state *devs;
	/* The two HWPTs (or IOASes) a step alternates between. */
	__u32 a, b, parent;
	__u32 fault_id[2];
	int fault_fd[2];
};

struct scenario {
	const char *name;
	const char *flow; /* the VMM flow it models */
	const char *ops[IR_MAX_OPS]; /* names of what step() times */
	const char *prime_op; /* one-time transition, NULL: none */
	/* Allocates what the devices alternate between: 0 or -errno. */
	int (*setup)(struct ctx *c);
	/* The first transition of device @d, timed into *ns. */
	int (*prime)(struct ctx *c, struct dev_state *d, uint64_t *ns);
	/* One timed operation on device @d: its op index, or -errno. */
	int (*step)(struct ctx *c, struct dev_state *d, uint64_t *ns);
	/* Rounds at most, for flows whose every round is O(mapped memory). */
	unsigned int max_iters;
	/* Why this kernel cannot run it, probed after setup failed. */
	const char *needs;
	unsigned int tags; /* enum ir_scenario_tag */
	/* It moves no device (an emulated access): not run on real ones. */
	bool no_device;
};

extern const struct scenario ir_scenarios[];
const struct scenario *ir_scenario_find(const char *name);

#endif /* IR_BENCH_SCENARIOS_H */
