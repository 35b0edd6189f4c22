/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --explain: instead of timing, trace one first and one steady operation
 * of each scenario with function_graph under iommufd's ioctl, and save
 * the traces for bench/explain.py to read.
 */
#ifndef IR_BENCH_EXPLAIN_H
#define IR_BENCH_EXPLAIN_H

#include <stdbool.h>

#include "bench.h"
#include "scenarios.h"

/* Sets the tracer up and saves traces into @dir: 0 or -errno. */
int explain_start(const char *dir);
bool explain_on(void);
/* Traces the first transition of device 0 (PHASE_ONE_TIME) or one step. */
int explain_one(struct ctx *c, const struct scenario *s, enum phase phase);

#endif /* IR_BENCH_EXPLAIN_H */
