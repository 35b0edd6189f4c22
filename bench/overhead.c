// SPDX-License-Identifier: GPL-2.0
/* Calibrating what the bench's own timing adds to every sample. */
#include <unistd.h>

#include "ir_mock.h"
#include "ir_probe.h"
#include "ir_stats.h"
#include "overhead.h"

void overhead_measure(struct overhead *o)
{
	enum { N = 20000, BATCH = 100 };
	static uint64_t s[N];
	struct ir_stats st;
	const char *why;
	char page[64];
	uint64_t t0;
	int fd = ir_probe_open(&why), i, b;

	o->timer_ns = o->bare_ns = o->timed_ns = 0;
	for (i = 0; i < N; i++) {
		t0 = ir_now_ns();
		s[i] = ir_now_ns() - t0;
	}
	ir_stats_compute(s, N, &st);
	o->timer_ns = st.p50;
	if (fd < 0)
		return;
	/*
	 * MD_CHECK_REFS of zero bytes: argument checks, nothing else. Untimed
	 * inside a batch; the median batch, so that a tick or a kworker that
	 * lands in one batch moves nothing, as it moves no p50 either.
	 */
	for (b = 0; b < N / BATCH; b++) {
		t0 = ir_now_ns();
		for (i = 0; i < BATCH; i++)
			ir_md_check_refs(fd, page, 0, 0);
		s[b] = ir_now_ns() - t0;
	}
	ir_stats_compute(s, N / BATCH, &st);
	o->bare_ns = st.p50 / BATCH;
	for (i = 0; i < N; i++) {
		uint64_t a = ir_now_ns();

		ir_md_check_refs(fd, page, 0, 0);
		s[i] = ir_now_ns() - a;
	}
	ir_stats_compute(s, N, &st);
	o->timed_ns = st.p50;
	close(fd);
}
