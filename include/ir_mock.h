/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Typed wrappers for IOMMU_TEST_CMD, the ioctl of the kernel's mock IOMMU
 * driver (CONFIG_IOMMUFD_TEST). The op numbers and structs come from the
 * tree under test's drivers/iommu/iommufd/iommufd_test.h.
 */
#ifndef IR_MOCK_H
#define IR_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "iommufd_test.h"

/* A mock device: the selftest object, its bound idev, and its attachment. */
struct ir_mock_dev {
	__u32 stdev_id; /* destroying it detaches and unbinds the device */
	__u32 idev_id; /* the iommufd device object, for IOMMU_HWPT_ALLOC */
	__u32 hwpt_id; /* the HWPT it is attached to when created */
};

/*
 * The mock driver's IO page and huge IO page (selftest.c's MOCK_IO_PAGE_SIZE,
 * PAGE_SIZE / 2, and MOCK_HUGE_PAGE_SIZE, 512 of those; not in the uapi):
 * 2 KiB and 1 MiB on a 4 KiB kernel, 32 KiB and 16 MiB on a 64 KiB one. An
 * IOAS area that is not a multiple of the IO page cannot take a mock domain.
 */
size_t ir_mock_io_page_size(void);
size_t ir_mock_huge_page_size(void);

int ir_mock_domain(int fd, __u32 pt_id, __u32 dev_flags,
		   struct ir_mock_dev *dev);
int ir_mock_domain_replace(int fd, __u32 stdev_id, __u32 pt_id,
			   __u32 *out_hwpt_id);
int ir_md_check_map(int fd, __u32 hwpt_id, __u64 iova, const void *buf,
		    size_t length);
int ir_md_check_refs(int fd, const void *buf, size_t length, __u32 refs);

/*
 * Huge IO pages (MOCK_HUGE_PAGE_SIZE) for a mock device's domains: older
 * trees make them a property of the device (MOCK_FLAGS_DEVICE_HUGE_IOVA,
 * which ir_mock_huge_dev_flags() returns), newer ones of each HWPT (its
 * selftest data's pagetable_type, which ir_hwpt_alloc_paging() sets when
 * @huge). A caller asks both ways; each tree honours the one it has.
 */
__u32 ir_mock_huge_dev_flags(void);
int ir_hwpt_alloc_paging(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
			 bool huge, __u32 *hwpt_id);

/* A nested HWPT of the mock driver, its IOTLB entries all set to @iotlb. */
int ir_hwpt_alloc_nested(int fd, __u32 dev_id, __u32 parent_id, __u32 flags,
			 __u32 fault_id, __u32 iotlb, __u32 *hwpt_id);
int ir_md_check_iotlb(int fd, __u32 hwpt_id, __u32 iotlb_id, __u32 iotlb);
/* Invalidates entry @iotlb_id, or all of them with IOMMU_TEST_INVALIDATE_FLAG_ALL. */
int ir_mock_invalidate(int fd, __u32 hwpt_id, __u32 flags, __u32 iotlb_id);

/* Marks the pages set in @bitmap dirty in mock domain @hwpt_id. */
int ir_mock_dirty(int fd, __u32 hwpt_id, __u64 iova, __u64 length,
		  __u64 page_size, void *bitmap, __u64 *out_nr_dirty);

/* An emulated device (iommufd_access) reading and writing through an IOAS. */
int ir_access_create(int fd, __u32 ioas_id, __u32 flags, int *access_fd);
int ir_access_replace_ioas(int fd, int access_fd, __u32 ioas_id);
int ir_access_rw(int fd, int access_fd, __u64 iova, void *buf, size_t length,
		 __u32 flags);
int ir_access_pages(int fd, int access_fd, __u64 iova, void *buf, size_t length,
		    __u32 flags, __u32 *pages_id);
int ir_access_pages_destroy(int fd, int access_fd, __u32 pages_id);

/* A page request from mock device @idev_id, for the fault queue of its HWPT. */
int ir_trigger_iopf(int fd, __u32 idev_id, __u32 pasid, __u32 grpid,
		    __u64 addr);

#ifdef IR_HAVE_DMABUF
/* A dma-buf of @length bytes the mock exports: its fd, or -errno. */
int ir_dmabuf_get(int fd, size_t length);
/* Revokes the mock's dma-buf @dmabuf_fd (@revoked), or restores it. */
int ir_dmabuf_revoke(int fd, int dmabuf_fd, bool revoked);
#endif

#ifdef IR_HAVE_VEVENTQ
/* A mock vEVENT for device @idev_id, to the vIOMMU of its domain. */
int ir_trigger_vevent(int fd, __u32 idev_id);
#endif

#ifdef IR_HAVE_PASID
/* PASID attachment of a mock device (MOCK_FLAGS_DEVICE_PASID), by stdev id. */
int ir_pasid_attach(int fd, __u32 stdev_id, __u32 pasid, __u32 pt_id);
int ir_pasid_replace(int fd, __u32 stdev_id, __u32 pasid, __u32 pt_id);
int ir_pasid_detach(int fd, __u32 stdev_id, __u32 pasid);
/* 0 when @pasid is on @hwpt_id (0: on nothing), -EINVAL when it is not. */
int ir_pasid_check_hwpt(int fd, __u32 stdev_id, __u32 pasid, __u32 hwpt_id);
#endif

#endif /* IR_MOCK_H */
