/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the bench measures: the points (mapped memory, areas, devices,
 * threads, load, pages, NUMA placement) and the scenarios at each. A
 * preset is a static table of rows; options given on the command line
 * set their dimension in every row.
 */
#ifndef IR_BENCH_PLAN_H
#define IR_BENCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "scenarios.h"

struct plan_entry {
	bool want[IR_MAX_SCENARIOS];
	struct point pt;
};

/* The dimensions the user set, as bits of which fields of @pt count. */
enum plan_set {
	PLAN_AREAS = 1 << 0,
	PLAN_DEVICES = 1 << 1,
	PLAN_THREADS = 1 << 2,
	PLAN_LOAD = 1 << 3,
	PLAN_THP = 1 << 4,
	PLAN_MEM_NODE = 1 << 5,
	PLAN_CPU_NODE = 1 << 6,
};

struct plan_options {
	const char *preset; /* NULL: one row of every scenario */
	const bool *want; /* -s: only these scenarios; NULL: all */
	const size_t *sizes; /* -m, or NULL */
	size_t nsizes;
	struct point pt; /* the values set, and iters and warmup */
	unsigned int set; /* enum plan_set */
};

/* The entries to run, in order; dies on a preset that does not exist. */
size_t plan_build(const struct plan_options *o, struct plan_entry **entries);
/* One line per entry: the point, then its scenarios. */
void plan_print(const struct plan_entry *entries, size_t n);

#endif /* IR_BENCH_PLAN_H */
