/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Typed wrappers for the /dev/iommu uapi. Each returns 0 or -errno and
 * writes its out_* fields through pointers that may be NULL, so the same
 * call serves an ASSERT_EQ() in a selftest and a timed loop in the bench.
 * The structs come from the uapi headers of the kernel tree under test.
 */
#ifndef IR_IOMMUFD_H
#define IR_IOMMUFD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/iommufd.h>

int ir_open(void);
int ir_destroy(int fd, __u32 id);

int ir_ioas_alloc(int fd, __u32 *ioas_id);
int ir_ioas_map(int fd, __u32 ioas_id, void *buf, size_t length, __u64 *iova,
		__u32 flags);
int ir_ioas_map_fixed(int fd, __u32 ioas_id, void *buf, size_t length,
		      __u64 iova);
int ir_ioas_unmap(int fd, __u32 ioas_id, __u64 iova, __u64 length,
		  __u64 *out_length);

int ir_hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
		  __u32 *hwpt_id);
int ir_hwpt_alloc_full(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
		       __u32 fault_id, __u32 data_type, void *data,
		       __u32 data_len, __u32 *hwpt_id);

#endif /* IR_IOMMUFD_H */
