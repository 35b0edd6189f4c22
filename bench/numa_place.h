/* SPDX-License-Identifier: GPL-2.0 */
/* NUMA placement through libnuma, for the bench's mem/cpu node dimension. */
#ifndef IR_BENCH_NUMA_PLACE_H
#define IR_BENCH_NUMA_PLACE_H

#include <stddef.h>

/* Configured nodes; 1 where the kernel has no NUMA. */
int ir_numa_nodes(void);
/* Places @buf (not yet touched) on @node: 0 or -errno. */
int ir_numa_bind_memory(void *buf, size_t length, int node);
int ir_numa_run_on_node(int node);

#endif /* IR_BENCH_NUMA_PLACE_H */
