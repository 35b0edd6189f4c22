/* SPDX-License-Identifier: GPL-2.0 */
/* What the files of replace_bench share. */
#ifndef IR_BENCH_H
#define IR_BENCH_H

#define MiB (1UL << 20)

/*
 * A record's phase: a scenario's one-time transition (its prime, timed
 * once per device), or the steady rounds it then alternates between.
 */
enum phase { PHASE_ONE_TIME, PHASE_STEADY };

/* The phase as the document and the table spell it. */
static inline const char *phase_name(enum phase ph)
{
	return ph == PHASE_ONE_TIME ? "one_time" : "steady";
}

/* Bad input or no memory: "replace_bench: error: " @fmt with @arg, exit 1. */
void bench_die(const char *fmt, const char *arg) __attribute__((noreturn));

#endif /* IR_BENCH_H */
