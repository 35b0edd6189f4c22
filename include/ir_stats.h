/* SPDX-License-Identifier: GPL-2.0 */
/* Latency samples and their summary, for the bench. */
#ifndef IR_STATS_H
#define IR_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#ifdef __x86_64__
#include <x86intrin.h>
#endif

struct ir_stats {
	size_t count;
	double min, p50, p90, p99, p999, max, mean, stddev;
};

/*
 * Samples come from CLOCK_MONOTONIC, or with --clock tsc (x86_64) from the
 * TSC itself. Under QEMU's -icount shift=0 the guest's TSC is its
 * instruction count, a nanosecond each; CLOCK_MONOTONIC scales it by the
 * kernel's calibration of the TSC against the HPET, which lands on
 * 999.999 MHz in some boots and 1000.000 in others, so long records of
 * one kernel differ between boots by a part per million.
 */
extern bool ir_clock_tsc;

static inline uint64_t ir_now_ns(void)
{
	struct timespec ts;

#ifdef __x86_64__
	if (ir_clock_tsc)
		return __rdtsc();
#endif
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Summarises @n samples (nanoseconds); sorts them in place. */
void ir_stats_compute(uint64_t *samples, size_t n, struct ir_stats *st);

#endif /* IR_STATS_H */
