// SPDX-License-Identifier: GPL-2.0
/* The real IOMMU drivers the suite knows; see include/ir_iommu.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_iommu.h"
#include "ir_util.h"

static const struct ir_iommu iommus[] = {
	{ "dmar", "VT-d", "%s", IR_BLOCK_CALLS, "device_block_translation", "",
	  "device_block_translation() calls" },
	/* Its event log's interrupt: AMD-Vi, or AMD-Vi0-Evt. */
	{ "ivhd", "AMD-Vi", "AMD-Vi", IR_BLOCK_CALLS, "detach_device", "",
	  "detach_device() calls" },
	/* Its sync op; the CD itself is fetched once its address is known. */
	{ "smmu3", "SMMUv3", "arm-smmu-v3", IR_BLOCK_CD_SYNC,
	  "arm_smmu_cd_writer_sync_entry", "", "syncs of a CD not valid" },
	/*
	 * Named for its virtio device, whose event queue carries faults;
	 * every request goes through viommu_send_req_sync(viommu, buf, len).
	 */
	{ "virtio", "virtio-iommu", "%s-event", IR_BLOCK_VIOMMU_REQUESTS,
	  "viommu_send_req_sync", "t=+0($arg2):u8",
	  "DETACH requests and MAPs after the ATTACH" },
};

const struct ir_iommu *ir_iommu_of(const char *bdf, char *instance, size_t size,
				   const char **why)
{
	char path[PATH_MAX];
	size_t i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
	if (ir_link_name(path, instance, size)) {
		*why = "the device is behind no IOMMU instance in sysfs";
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(iommus); i++)
		if (!strncmp(instance, iommus[i].prefix,
			     strlen(iommus[i].prefix)))
			return &iommus[i];
	*why = "an IOMMU driver this suite does not know";
	return NULL;
}

/* The sum of the per-CPU counts of /proc/interrupts line @line. */
static long line_count(const char *line)
{
	const char *p = strchr(line, ':');
	long n = 0;
	char *end;

	for (p = p ? p + 1 : line;; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			return n;
		n += v;
	}
}

long ir_iommu_fault_irqs(const char *bdf)
{
	char instance[64], name[96], line[1024];
	const struct ir_iommu *iommu;
	const char *why;
	long n = -ENOENT;
	FILE *f;

	iommu = ir_iommu_of(bdf, instance, sizeof(instance), &why);
	if (!iommu)
		return -ENODEV;
	snprintf(name, sizeof(name), iommu->fault_irq, instance);
	f = fopen("/proc/interrupts", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, name))
			n = (n < 0 ? 0 : n) + line_count(line);
	fclose(f);
	return n;
}
