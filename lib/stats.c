// SPDX-License-Identifier: GPL-2.0
/* Summary statistics; see include/ir_stats.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir_stats.h"

bool ir_clock_tsc;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile: a value that was measured, never interpolated. */
static double rank(const uint64_t *sorted, size_t n, double p)
{
	size_t i = (size_t)ceil(p / 100.0 * n);

	return sorted[i ? i - 1 : 0];
}

void ir_stats_compute(uint64_t *samples, size_t n, struct ir_stats *st)
{
	double sum = 0, sq = 0;
	size_t i;

	memset(st, 0, sizeof(*st));
	st->count = n;
	if (!n)
		return;
	qsort(samples, n, sizeof(*samples), cmp_u64);
	for (i = 0; i < n; i++)
		sum += samples[i];
	st->mean = sum / n;
	for (i = 0; i < n; i++)
		sq += (samples[i] - st->mean) * (samples[i] - st->mean);
	st->stddev = n > 1 ? sqrt(sq / (n - 1)) : 0;
	st->min = samples[0];
	st->max = samples[n - 1];
	st->p50 = rank(samples, n, 50);
	st->p90 = rank(samples, n, 90);
	st->p99 = rank(samples, n, 99);
	st->p999 = rank(samples, n, 99.9);
}
