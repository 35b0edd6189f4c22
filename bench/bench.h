/* SPDX-License-Identifier: GPL-2.0 */
/* What the files of replace_bench share. */
#ifndef IR_BENCH_H
#define IR_BENCH_H

#define MiB (1UL << 20)

/* Bad input or no memory: "replace_bench: error: " @fmt with @arg, exit 1. */
void bench_die(const char *fmt, const char *arg) __attribute__((noreturn));

#endif /* IR_BENCH_H */
