/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Typed wrappers for IOMMU_TEST_CMD, the ioctl of the kernel's mock IOMMU
 * driver (CONFIG_IOMMUFD_TEST). The op numbers and structs come from the
 * tree under test's drivers/iommu/iommufd/iommufd_test.h.
 */
#ifndef IR_MOCK_H
#define IR_MOCK_H

#include <stddef.h>
#include <stdint.h>
#include "iommufd_test.h"

/* A mock device: the selftest object, its bound idev, and its attachment. */
struct ir_mock_dev {
	__u32 stdev_id;	/* destroying it detaches and unbinds the device */
	__u32 idev_id;	/* the iommufd device object, for IOMMU_HWPT_ALLOC */
	__u32 hwpt_id;	/* the HWPT it is attached to when created */
};

int ir_mock_domain(int fd, __u32 pt_id, __u32 dev_flags,
		   struct ir_mock_dev *dev);
int ir_mock_domain_replace(int fd, __u32 stdev_id, __u32 pt_id,
			   __u32 *out_hwpt_id);
int ir_md_check_map(int fd, __u32 hwpt_id, __u64 iova, const void *buf,
		    size_t length);
int ir_md_check_refs(int fd, const void *buf, size_t length, __u32 refs);

#endif /* IR_MOCK_H */
