/* SPDX-License-Identifier: GPL-2.0 */
/* Running one scenario at one point into the report's records. */
#ifndef IR_BENCH_POINT_H
#define IR_BENCH_POINT_H

#include <stdbool.h>

#include "scenarios.h"

/*
 * Runs @s at @pt (or traces it, with --explain). On failure *err is
 * -errno and the reason, if one is known, is returned; *kernel_lacks says
 * that the reason is something the kernel does not have (s->needs).
 */
const char *point_run(const struct scenario *s, const struct point *pt,
		      int *err, bool *kernel_lacks);

#endif /* IR_BENCH_POINT_H */
