/* SPDX-License-Identifier: GPL-2.0 */
/* Running one scenario at one point into the report's records. */
#ifndef IR_BENCH_POINT_H
#define IR_BENCH_POINT_H

#include <stdbool.h>

#include "scenarios.h"

/* How running a scenario at a point ended. */
struct point_result {
	int err; /* 0, or -errno */
	const char *why; /* the reason, where one is known, or NULL */
	/* The reason is what the kernel, driver or machine lacks: no failure. */
	bool kernel_lacks;
};

/* Runs @s at @pt into the report's records (or traces it, with --explain). */
struct point_result point_run(const struct scenario *s,
			      const struct point *pt);

#endif /* IR_BENCH_POINT_H */
