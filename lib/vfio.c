// SPDX-License-Identifier: GPL-2.0
/* The VFIO device cdev uapi, one wrapper per ioctl; see include/ir_vfio.h. */
#include <errno.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include "ir_vfio.h"

int ir_vfio_bind_iommufd(int vfio_fd, int iommufd, __u32 *dev_id)
{
	struct vfio_device_bind_iommufd cmd = {
		.argsz = sizeof(cmd),
		.iommufd = iommufd,
	};

	if (ioctl(vfio_fd, VFIO_DEVICE_BIND_IOMMUFD, &cmd))
		return -errno;
	if (dev_id)
		*dev_id = cmd.out_devid;
	return 0;
}

int ir_vfio_attach_pt(int vfio_fd, __u32 pt_id, __u32 *out_pt_id)
{
	struct vfio_device_attach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
		.pt_id = pt_id,
	};

	if (ioctl(vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd))
		return -errno;
	if (out_pt_id)
		*out_pt_id = cmd.pt_id;
	return 0;
}

int ir_vfio_detach_pt(int vfio_fd)
{
	struct vfio_device_detach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
	};

	return ioctl(vfio_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd) ? -errno : 0;
}

int ir_vfio_region(int vfio_fd, __u32 index, __u64 *size, __u64 *offset)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = index,
	};

	if (ioctl(vfio_fd, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -errno;
	if (size)
		*size = info.size;
	if (offset)
		*offset = info.offset;
	return 0;
}
