// SPDX-License-Identifier: GPL-2.0
/* Feature probes; see include/ir_probe.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_probe.h"

/*
 * Object id 0 is never allocated, so a known op fails its lookup (ENOENT,
 * or EINVAL on argument checks) and has no side effect; only the driver's
 * default case answers EOPNOTSUPP, and a kernel without the driver does not
 * know the ioctl at all (ENOTTY).
 */
static int ir_probe_errno(int fd, __u32 op)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = op,
		.id = 0,
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd) ? errno : 0;
}

bool ir_probe_test_op(int fd, __u32 op)
{
	int err = ir_probe_errno(fd, op);

	return err != EOPNOTSUPP && err != ENOTTY;
}

int ir_probe_open(const char **why)
{
	int fd = ir_open();

	if (fd == -ENOENT) {
		*why = "no /dev/iommu: kernel built without CONFIG_IOMMUFD";
		return -1;
	}
	if (fd < 0) {
		static char reason[96];

		snprintf(reason, sizeof(reason), "cannot open /dev/iommu: %s",
			 strerror(-fd));
		*why = reason;
		return -1;
	}
	/* Op 0 is no op at all: the driver answers EOPNOTSUPP for it. */
	if (ir_probe_errno(fd, 0) == ENOTTY) {
		close(fd);
		*why = "IOMMU_TEST_CMD unknown: kernel built without CONFIG_IOMMUFD_TEST";
		return -1;
	}
	return fd;
}
