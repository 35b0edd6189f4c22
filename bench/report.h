/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bench's results: one record of samples per scenario, op, phase and
 * point, the scenarios that did not run, and the two ways they are told,
 * a table on stdout and the JSON document (bench/schema/bench.schema.json).
 */
#ifndef IR_BENCH_REPORT_H
#define IR_BENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "ir_stats.h"
#include "overhead.h"
#include "scenarios.h"

struct record {
	const struct scenario *scenario;
	const char *op;
	enum phase phase;
	struct point pt;
	unsigned long load_ops; /* what the concurrent load did meanwhile */
	uint64_t *samples;
	size_t n, cap;
	struct ir_stats st; /* computed once, when the record is complete */
	bool done;
};

/* The record of these keys, created empty the first time. */
struct record *report_record(const struct scenario *s, const char *op,
			     enum phase phase, const struct point *pt);
/* Adds one sample, less what timing it costs (report_set_correction). */
void report_sample(struct record *r, uint64_t ns);
void report_set_correction(uint64_t ns);
uint64_t report_correction(void);
size_t report_count(void);

/* A scenario that did not run: @fails unless the kernel lacks @reason. */
void report_not_run(const struct scenario *s, const struct point *pt, int err,
		    const char *reason, bool fails);
/* KEY=VALUE for the document's meta. */
void report_meta(const char *kv);

void report_table_header(void);
/* Completes the records from @first on and prints them as table rows. */
void report_table_rows(size_t first);
/* The lowest p50 of a hot-path scenario's steady records, or -1. */
double report_hot_p50(void);
/* Writes the document to @path whole (a temporary name, then rename). */
void report_write_json(const char *path, const struct overhead *o,
		       double residual, double hot_p50);

#endif /* IR_BENCH_REPORT_H */
