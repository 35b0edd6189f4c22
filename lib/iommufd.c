// SPDX-License-Identifier: GPL-2.0
/* The /dev/iommu uapi, one wrapper per ioctl; see include/ir_iommufd.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "ir_iommufd.h"

#define IR_RET(rc) ((rc) ? -errno : 0)

int ir_open(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int ir_destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = {
		.size = sizeof(cmd),
		.id = id,
	};

	return IR_RET(ioctl(fd, IOMMU_DESTROY, &cmd));
}

int ir_ioas_alloc(int fd, __u32 *ioas_id)
{
	struct iommu_ioas_alloc cmd = {
		.size = sizeof(cmd),
	};
	int rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (rc)
		return -errno;
	if (ioas_id)
		*ioas_id = cmd.out_ioas_id;
	return 0;
}

int ir_ioas_map(int fd, __u32 ioas_id, void *buf, size_t length, __u64 *iova,
		__u32 flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)buf,
		.length = length,
		.iova = iova ? *iova : 0,
	};
	int rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (rc)
		return -errno;
	if (iova)
		*iova = cmd.iova;
	return 0;
}

int ir_ioas_map_fixed(int fd, __u32 ioas_id, void *buf, size_t length,
		      __u64 iova)
{
	return ir_ioas_map(fd, ioas_id, buf, length, &iova,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
				   IOMMU_IOAS_MAP_WRITEABLE);
}

int ir_ioas_unmap(int fd, __u32 ioas_id, __u64 iova, __u64 length,
		  __u64 *out_length)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (rc)
		return -errno;
	if (out_length)
		*out_length = cmd.length;
	return 0;
}

int ir_ioas_map_file(int fd, __u32 ioas_id, int mfd, __u64 start,
		     size_t length, __u64 iova)
{
#ifdef IOMMU_IOAS_MAP_FILE
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.fd = mfd,
		.start = start,
		.length = length,
		.iova = iova,
	};

	return IR_RET(ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd));
#else
	return -EOPNOTSUPP;
#endif
}

int ir_ioas_copy(int fd, __u32 dst_ioas_id, __u64 dst_iova, __u32 src_ioas_id,
		 __u64 src_iova, __u64 length)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.dst_ioas_id = dst_ioas_id,
		.src_ioas_id = src_ioas_id,
		.length = length,
		.dst_iova = dst_iova,
		.src_iova = src_iova,
	};

	return IR_RET(ioctl(fd, IOMMU_IOAS_COPY, &cmd));
}

int ir_ioas_huge_pages(int fd, __u32 ioas_id, bool on)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
		.object_id = ioas_id,
		.val64 = on,
	};

	return IR_RET(ioctl(fd, IOMMU_OPTION, &cmd));
}

int ir_vfio_compat_ioas(int fd, __u32 ioas_id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.op = IOMMU_VFIO_IOAS_SET,
	};

	return IR_RET(ioctl(fd, IOMMU_VFIO_IOAS, &cmd));
}

int ir_vfio_unmap(int fd, __u64 iova, __u64 size, __u64 *unmapped)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd),
		.iova = iova,
		.size = size,
	};
	int rc = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd);

	if (rc)
		return -errno;
	if (unmapped)
		*unmapped = cmd.size;
	return 0;
}

int ir_hwpt_alloc_raw(int fd, struct iommu_hwpt_alloc *cmd)
{
	return IR_RET(ioctl(fd, IOMMU_HWPT_ALLOC, cmd));
}

int ir_hwpt_alloc_full(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
		       __u32 fault_id, __u32 data_type, void *data,
		       __u32 data_len, __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
		.fault_id = fault_id,
	};
	int rc = ir_hwpt_alloc_raw(fd, &cmd);

	if (rc)
		return rc;
	if (hwpt_id)
		*hwpt_id = cmd.out_hwpt_id;
	return 0;
}

int ir_hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
		  __u32 *hwpt_id)
{
	return ir_hwpt_alloc_full(fd, dev_id, pt_id, flags, 0,
				  IOMMU_HWPT_DATA_NONE, NULL, 0, hwpt_id);
}

int ir_hwpt_invalidate(int fd, __u32 hwpt_id, __u32 data_type, void *reqs,
		       __u32 entry_len, __u32 *entry_num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.data_type = data_type,
		.data_uptr = (uintptr_t)reqs,
		.entry_len = entry_len,
		.entry_num = *entry_num,
	};
	int rc = ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);

	/* entry_num says how many were handled, on failure too. */
	*entry_num = cmd.entry_num;
	return IR_RET(rc);
}

int ir_hwpt_set_dirty_tracking(int fd, __u32 hwpt_id, bool enable)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt_id,
	};

	return IR_RET(ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd));
}

int ir_hwpt_get_dirty_bitmap(int fd, __u32 hwpt_id, __u64 iova, __u64 length,
			     __u64 page_size, void *bitmap, __u32 flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.flags = flags,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};

	return IR_RET(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd));
}

int ir_fault_queue_alloc(int fd, __u32 *fault_id, int *fault_fd)
{
	struct iommu_fault_alloc cmd = {
		.size = sizeof(cmd),
	};
	int rc = ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (rc)
		return -errno;
	if (fault_id)
		*fault_id = cmd.out_fault_id;
	if (fault_fd)
		*fault_fd = cmd.out_fault_fd;
	return 0;
}

/*
 * One record of an event file descriptor (a fault queue, a vEVENTQ):
 * waits up to @timeout_ms for it, then reads exactly @len bytes.
 */
static int read_event(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int rc;

	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0)
		return -errno;
	if (rc == 0)
		return -ETIMEDOUT;
	n = read(fd, buf, len);
	if (n < 0)
		return -errno;
	/* Taken between the poll and the read (a replace can do that). */
	if (n == 0)
		return -EAGAIN;
	return n == (ssize_t)len ? 0 : -EIO;
}

int ir_fault_read(int fault_fd, struct iommu_hwpt_pgfault *fault,
		  int timeout_ms)
{
	return read_event(fault_fd, fault, sizeof(*fault), timeout_ms);
}

int ir_fault_respond(int fault_fd, __u32 cookie, __u32 code)
{
	struct iommu_hwpt_page_response resp = {
		.cookie = cookie,
		.code = code,
	};
	ssize_t n = write(fault_fd, &resp, sizeof(resp));

	if (n < 0)
		return -errno;
	return n == sizeof(resp) ? 0 : -EIO;
}

#ifdef IOMMU_VIOMMU_ALLOC
int ir_viommu_alloc(int fd, __u32 dev_id, __u32 hwpt_id, __u32 type,
		    __u32 *viommu_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
	};
	int rc = ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd);

	if (rc)
		return -errno;
	if (viommu_id)
		*viommu_id = cmd.out_viommu_id;
	return 0;
}

int ir_vdevice_alloc(int fd, __u32 viommu_id, __u32 dev_id, __u64 virt_id,
		     __u32 *vdevice_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	int rc = ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);

	if (rc)
		return -errno;
	if (vdevice_id)
		*vdevice_id = cmd.out_vdevice_id;
	return 0;
}
#endif

#ifdef IOMMU_VEVENTQ_ALLOC
int ir_veventq_alloc(int fd, __u32 viommu_id, __u32 type, __u32 depth,
		     __u32 *veventq_id, int *veventq_fd)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.veventq_depth = depth,
	};

	if (ioctl(fd, IOMMU_VEVENTQ_ALLOC, &cmd))
		return -errno;
	*veventq_id = cmd.out_veventq_id;
	*veventq_fd = cmd.out_veventq_fd;
	return 0;
}

int ir_vevent_read(int veventq_fd, struct iommufd_vevent_header *hdr,
		   void *data, size_t len, int timeout_ms)
{
	char event[sizeof(*hdr) + 64];
	int rc;

	if (len > sizeof(event) - sizeof(*hdr))
		return -EINVAL;
	rc = read_event(veventq_fd, event, sizeof(*hdr) + len, timeout_ms);
	if (rc)
		return rc;
	memcpy(hdr, event, sizeof(*hdr));
	memcpy(data, event + sizeof(*hdr), len);
	return 0;
}
#endif
