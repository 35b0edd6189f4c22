/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Typed wrappers for the VFIO device cdev (/dev/vfio/devices/vfioN) bound
 * to an iommufd: the path a VMM takes to put a real PCI device behind an
 * IOAS or HWPT. Each returns 0 or -errno, as ir_iommufd.h's do.
 */
#ifndef IR_VFIO_H
#define IR_VFIO_H

#include <stdint.h>
#include <linux/types.h>

/* VFIO_DEVICE_BIND_IOMMUFD: the device joins iommufd @iommufd as *@dev_id. */
int ir_vfio_bind_iommufd(int vfio_fd, int iommufd, __u32 *dev_id);
/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach to @pt_id, an IOAS or a HWPT; on a
 * device already attached, a replace. An IOAS's auto domain id is written
 * to *@out_pt_id (may be NULL).
 */
int ir_vfio_attach_pt(int vfio_fd, __u32 pt_id, __u32 *out_pt_id);
int ir_vfio_detach_pt(int vfio_fd);
/* VFIO_DEVICE_GET_REGION_INFO of region @index: its *@size and *@offset. */
int ir_vfio_region(int vfio_fd, __u32 index, __u64 *size, __u64 *offset);

#endif /* IR_VFIO_H */
