/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Concurrent load on the memory the replaces map: emulated DMA through
 * an iommufd access (ACCESS_RW), or io_uring reads into it, as a VMM's
 * virtio backend does on the same guest memory it maps for passthrough.
 */
#ifndef IR_BENCH_LOAD_H
#define IR_BENCH_LOAD_H

#include <stddef.h>
#include <linux/types.h>

struct load;

/* @kind: "none", "access_rw" or "uring". *load stays NULL for none. */
int ir_load_start(const char *kind, int fd, __u32 ioas_id, __u64 iova,
		  void *buf, size_t length, struct load **load);
/* Stops it; the number of operations it made is in the return value. */
unsigned long ir_load_stop(struct load *load);

#endif /* IR_BENCH_LOAD_H */
