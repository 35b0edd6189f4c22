// SPDX-License-Identifier: GPL-2.0
/* IOMMU_TEST_CMD ops of the mock driver; see include/ir_mock.h. */
#include <errno.h>
#include <sys/ioctl.h>

#include "ir_iommufd.h"
#include "ir_mock.h"

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
