// SPDX-License-Identifier: GPL-2.0
/* IOMMU_TEST_CMD ops of the mock driver; see include/ir_mock.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_util.h"

size_t ir_mock_io_page_size(void)
{
	return ir_page_size() / 2;
}

size_t ir_mock_huge_page_size(void)
{
	return 512 * ir_mock_io_page_size();
}

static int ir_test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

int ir_mock_domain(int fd, __u32 pt_id, __u32 dev_flags,
		   struct ir_mock_dev *dev)
{
	/* MOCK_DOMAIN_FLAGS is the same op with device flags appended. */
	struct iommu_test_cmd cmd = {
		.op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
				  IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int rc = ir_test_cmd(fd, &cmd);

	if (rc)
		return rc;
	if (dev) {
		dev->stdev_id = cmd.mock_domain.out_stdev_id;
		dev->hwpt_id = cmd.mock_domain.out_hwpt_id;
		dev->idev_id = cmd.mock_domain.out_idev_id;
	}
	return 0;
}

__u32 ir_mock_huge_dev_flags(void)
{
#ifdef IR_HAVE_HUGE_IOVA_DEV
	return MOCK_FLAGS_DEVICE_HUGE_IOVA;
#else
	return 0;
#endif
}

int ir_hwpt_alloc_paging(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
			 bool huge, __u32 *hwpt_id)
{
#ifdef IR_HAVE_IOMMUPT
	struct iommu_hwpt_selftest data = {
		.pagetable_type = MOCK_IOMMUPT_HUGE,
	};

	if (huge)
		return ir_hwpt_alloc_full(fd, dev_id, pt_id, flags, 0,
					  IOMMU_HWPT_DATA_SELFTEST, &data,
					  sizeof(data), hwpt_id);
#endif
	return ir_hwpt_alloc(fd, dev_id, pt_id, flags, hwpt_id);
}

int ir_mock_domain_replace(int fd, __u32 stdev_id, __u32 pt_id,
			   __u32 *out_hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int rc = ir_test_cmd(fd, &cmd);

	if (rc)
		return rc;
	/* An IOAS id comes back as the HWPT the device now uses. */
	if (out_hwpt_id)
		*out_hwpt_id = cmd.mock_domain_replace.pt_id;
	return 0;
}

int ir_md_check_map(int fd, __u32 hwpt_id, __u64 iova, const void *buf,
		    size_t length)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = {
			.iova = iova,
			.length = length,
			.uptr = (uintptr_t)buf,
		},
	};

	return ir_test_cmd(fd, &cmd);
}

int ir_md_check_refs(int fd, const void *buf, size_t length, __u32 refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = {
			.length = length,
			.uptr = (uintptr_t)buf,
			.refs = refs,
		},
	};

	return ir_test_cmd(fd, &cmd);
}

int ir_hwpt_alloc_nested(int fd, __u32 dev_id, __u32 parent_id, __u32 flags,
			 __u32 fault_id, __u32 iotlb, __u32 *hwpt_id)
{
	struct iommu_hwpt_selftest data = { .iotlb = iotlb };

	return ir_hwpt_alloc_full(fd, dev_id, parent_id, flags, fault_id,
				  IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
				  hwpt_id);
}

int ir_md_check_iotlb(int fd, __u32 hwpt_id, __u32 iotlb_id, __u32 iotlb)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt_id,
		.check_iotlb = { .id = iotlb_id, .iotlb = iotlb },
	};

	return ir_test_cmd(fd, &cmd);
}

int ir_mock_invalidate(int fd, __u32 hwpt_id, __u32 flags, __u32 iotlb_id)
{
	struct iommu_hwpt_invalidate_selftest req = {
		.flags = flags,
		.iotlb_id = iotlb_id,
	};
	__u32 num = 1;
	int rc;

	rc = ir_hwpt_invalidate(fd, hwpt_id,
				IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, &req,
				sizeof(req), &num);
	if (!rc && num != 1)
		return -EIO;
	return rc;
}

int ir_mock_dirty(int fd, __u32 hwpt_id, __u64 iova, __u64 length,
		  __u64 page_size, void *bitmap, __u64 *out_nr_dirty)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt_id,
		.dirty = {
			.iova = iova,
			.length = length,
			.page_size = page_size,
			.uptr = (uintptr_t)bitmap,
		},
	};
	int rc = ir_test_cmd(fd, &cmd);

	if (rc)
		return rc;
	if (out_nr_dirty)
		*out_nr_dirty = cmd.dirty.out_nr_dirty;
	return 0;
}

int ir_access_create(int fd, __u32 ioas_id, __u32 flags, int *access_fd)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas_id,
		.create_access = { .flags = flags },
	};
	int rc = ir_test_cmd(fd, &cmd);

	if (rc)
		return rc;
	*access_fd = cmd.create_access.out_access_fd;
	return 0;
}

int ir_access_replace_ioas(int fd, int access_fd, __u32 ioas_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = access_fd,
		.access_replace_ioas = { .ioas_id = ioas_id },
	};

	return ir_test_cmd(fd, &cmd);
}

int ir_access_rw(int fd, int access_fd, __u64 iova, void *buf, size_t length,
		 __u32 flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = access_fd,
		.access_rw = {
			.iova = iova,
			.length = length,
			.uptr = (uintptr_t)buf,
			.flags = flags,
		},
	};

	return ir_test_cmd(fd, &cmd);
}

int ir_access_pages(int fd, int access_fd, __u64 iova, void *buf, size_t length,
		    __u32 flags, __u32 *pages_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = access_fd,
		.access_pages = {
			.flags = flags,
			.iova = iova,
			.length = length,
			.uptr = (uintptr_t)buf,
		},
	};
	int rc = ir_test_cmd(fd, &cmd);

	if (rc)
		return rc;
	if (pages_id)
		*pages_id = cmd.access_pages.out_access_pages_id;
	return 0;
}

int ir_access_pages_destroy(int fd, int access_fd, __u32 pages_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = access_fd,
		.destroy_access_pages = { .access_pages_id = pages_id },
	};

	return ir_test_cmd(fd, &cmd);
}

int ir_trigger_iopf(int fd, __u32 idev_id, __u32 pasid, __u32 grpid, __u64 addr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = idev_id,
			.pasid = pasid,
			.grpid = grpid,
			.perm = IOMMU_PGFAULT_PERM_READ |
				IOMMU_PGFAULT_PERM_WRITE,
			.addr = addr,
		},
	};

	return ir_test_cmd(fd, &cmd);
}

#ifdef IR_HAVE_PASID
int ir_pasid_attach(int fd, __u32 stdev_id, __u32 pasid, __u32 pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_ATTACH,
		.id = stdev_id,
		.pasid_attach = { .pasid = pasid, .pt_id = pt_id },
	};

	return ir_test_cmd(fd, &cmd);
}

int ir_pasid_replace(int fd, __u32 stdev_id, __u32 pasid, __u32 pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_REPLACE,
		.id = stdev_id,
		.pasid_replace = { .pasid = pasid, .pt_id = pt_id },
	};

	return ir_test_cmd(fd, &cmd);
}

int ir_pasid_detach(int fd, __u32 stdev_id, __u32 pasid)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_DETACH,
		.id = stdev_id,
		.pasid_detach = { .pasid = pasid },
	};

	return ir_test_cmd(fd, &cmd);
}

int ir_pasid_check_hwpt(int fd, __u32 stdev_id, __u32 pasid, __u32 hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_CHECK_HWPT,
		.id = stdev_id,
		.pasid_check = { .pasid = pasid, .hwpt_id = hwpt_id },
	};

	return ir_test_cmd(fd, &cmd);
}
#endif

#ifdef IR_HAVE_DMABUF
int ir_dmabuf_get(int fd, size_t length)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DMABUF_GET,
		.dmabuf_get = { .length = length, .open_flags = O_CLOEXEC },
	};
	int dfd = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	return dfd < 0 ? -errno : dfd;
}

int ir_dmabuf_revoke(int fd, int dmabuf_fd, bool revoked)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DMABUF_REVOKE,
		.dmabuf_revoke = { .dmabuf_fd = dmabuf_fd, .revoked = revoked },
	};

	return ir_test_cmd(fd, &cmd);
}
#endif

#ifdef IR_HAVE_VEVENTQ
int ir_trigger_vevent(int fd, __u32 idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = idev_id },
	};

	return ir_test_cmd(fd, &cmd);
}
#endif
