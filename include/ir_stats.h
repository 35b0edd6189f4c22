/* SPDX-License-Identifier: GPL-2.0 */
/* Latency samples and their summary, for the bench. */
#ifndef IR_STATS_H
#define IR_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ir_stats {
	size_t count;
	double min, p50, p90, p99, p999, max, mean, stddev;
};

static inline uint64_t ir_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Summarises @n samples (nanoseconds); sorts them in place. */
void ir_stats_compute(uint64_t *samples, size_t n, struct ir_stats *st);

#endif /* IR_STATS_H */
