/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What timing one iteration costs, against a bare loop of the cheapest
 * IOMMU_TEST_CMD: the harness must not be what the numbers measure.
 */
#ifndef IR_BENCH_OVERHEAD_H
#define IR_BENCH_OVERHEAD_H

struct overhead {
	double timer_ns; /* two back-to-back clock reads */
	/* The ioctl in untimed batches: the p50 of a batch over its size. */
	double bare_ns;
	double timed_ns; /* the same ioctl timed one by one, p50 */
};

void overhead_measure(struct overhead *o);

#endif /* IR_BENCH_OVERHEAD_H */
