/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Typed wrappers for the /dev/iommu uapi. Each returns 0 or -errno and
 * writes its out_* fields through pointers that may be NULL, so the same
 * call serves an ASSERT_EQ() in a selftest and a timed loop in the bench.
 * The structs come from the uapi headers of the kernel tree under test.
 */
#ifndef IR_IOMMUFD_H
#define IR_IOMMUFD_H

#include <stdbool.h>
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

/*
 * @length bytes of memfd @mfd from byte @start, at @iova: -EOPNOTSUPP where
 * the uapi has no IOMMU_IOAS_MAP_FILE (before 6.14).
 */
int ir_ioas_map_file(int fd, __u32 ioas_id, int mfd, __u64 start,
		     size_t length, __u64 iova);
/* The areas of [@src_iova, +@length) of one IOAS, mapped again in another. */
int ir_ioas_copy(int fd, __u32 dst_ioas_id, __u64 dst_iova, __u32 src_ioas_id,
		 __u64 src_iova, __u64 length);
/* IOMMU_OPTION_HUGE_PAGES of an IOAS: off, a domain maps page by page. */
int ir_ioas_huge_pages(int fd, __u32 ioas_id, bool on);
/*
 * The VFIO type1 compatibility of /dev/iommu: which IOAS it works on, and
 * its unmap, the only one that cuts an area in two (with huge pages off).
 */
int ir_vfio_compat_ioas(int fd, __u32 ioas_id);
int ir_vfio_unmap(int fd, __u64 iova, __u64 size, __u64 *unmapped);

int ir_hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
		  __u32 *hwpt_id);
/* IOMMU_HWPT_ALLOC of a command as the caller made it, size and all. */
int ir_hwpt_alloc_raw(int fd, struct iommu_hwpt_alloc *cmd);
int ir_hwpt_alloc_full(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
		       __u32 fault_id, __u32 data_type, void *data,
		       __u32 data_len, __u32 *hwpt_id);

int ir_hwpt_invalidate(int fd, __u32 hwpt_id, __u32 data_type, void *reqs,
		       __u32 entry_len, __u32 *entry_num);
int ir_hwpt_set_dirty_tracking(int fd, __u32 hwpt_id, bool enable);
int ir_hwpt_get_dirty_bitmap(int fd, __u32 hwpt_id, __u64 iova, __u64 length,
			     __u64 page_size, void *bitmap, __u32 flags);

int ir_fault_queue_alloc(int fd, __u32 *fault_id, int *fault_fd);
/*
 * Waits up to @timeout_ms for one fault on @fault_fd: 0 and *fault filled,
 * -ETIMEDOUT when none came, -EAGAIN when one came and was answered (by a
 * replace or an unbind) before it could be read, or another -errno.
 */
int ir_fault_read(int fault_fd, struct iommu_hwpt_pgfault *fault,
		  int timeout_ms);
int ir_fault_respond(int fault_fd, __u32 cookie, __u32 code);

#ifdef IOMMU_VIOMMU_ALLOC
/* vIOMMU and vDEVICE objects (kernels after 6.12; the uapi says which). */
int ir_viommu_alloc(int fd, __u32 dev_id, __u32 hwpt_id, __u32 type,
		    __u32 *viommu_id);
int ir_vdevice_alloc(int fd, __u32 viommu_id, __u32 dev_id, __u64 virt_id,
		     __u32 *vdevice_id);
#endif

#ifdef IOMMU_VEVENTQ_ALLOC
/* A vIOMMU's event queue of @type, @depth events deep, and its fd. */
int ir_veventq_alloc(int fd, __u32 viommu_id, __u32 type, __u32 depth,
		     __u32 *veventq_id, int *veventq_fd);
/*
 * The next event of a vEVENTQ, its header and @len bytes of data, within
 * @timeout_ms: 0, -ETIMEDOUT when none came, or -errno.
 */
int ir_vevent_read(int veventq_fd, struct iommufd_vevent_header *hdr,
		   void *data, size_t len, int timeout_ms);
#endif

#endif /* IR_IOMMUFD_H */
