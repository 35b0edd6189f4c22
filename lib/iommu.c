// SPDX-License-Identifier: GPL-2.0
/* The real IOMMU drivers the suite knows; see include/ir_iommu.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_iommu.h"
#include "ir_util.h"

static const struct ir_iommu iommus[] = {
	{ .match = "dmar",
	  .driver = "VT-d",
	  .fault_irq = "%s",
	  .block = IR_BLOCK_CALLS,
	  .block_fn = "device_block_translation",
	  .block_step = "device_block_translation() calls" },
	/* Its event log's interrupt: AMD-Vi, or AMD-Vi0-Evt. */
	{ .match = "ivhd",
	  .driver = "AMD-Vi",
	  .fault_irq = "AMD-Vi",
	  .block = IR_BLOCK_CALLS,
	  .block_fn = "detach_device",
	  .block_step = "detach_device() calls" },
	/* Its sync op; the CD itself is fetched once its address is known. */
	{ .match = "smmu3",
	  .driver = "SMMUv3",
	  .fault_irq = "arm-smmu-v3",
	  .block = IR_BLOCK_CD_SYNC,
	  .block_fn = "arm_smmu_cd_writer_sync_entry",
	  .block_step = "syncs of a CD not valid" },
	/*
	 * Known by its driver (the instance is named for a PCI function); its
	 * virtio device's interrupt (INTx, or its event queue's MSI-X vector)
	 * carries faults; every request goes
	 * through viommu_send_req_sync(viommu, buf, len).
	 */
	{ .match = "virtio_iommu",
	  .by_driver = true,
	  .driver = "virtio-iommu",
	  .fault_irq = "%s",
	  .block = IR_BLOCK_VIOMMU_REQUESTS,
	  .block_fn = "viommu_send_req_sync",
	  .block_fetch = "t=+0($arg2):u8",
	  .block_step = "DETACH requests and MAPs after the ATTACH" },
};

/*
 * The name of @instance's device's driver, and of that device, where it
 * has one (virtio-iommu's instance is named for the PCI function of its
 * virtio device, whose driver is virtio_iommu). 0 or -errno.
 */
static int instance_device(const char *instance, char *driver, char *dev,
			   size_t size)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "/sys/class/iommu/%s/device/driver",
		 instance);
	rc = ir_link_name(path, driver, size);
	snprintf(path, sizeof(path), "/sys/class/iommu/%s/device", instance);
	return rc ?: ir_link_name(path, dev, size);
}

const struct ir_iommu *ir_iommu_of(const char *bdf, char *instance, size_t size,
				   const char **why)
{
	char path[PATH_MAX], driver[64], dev[64];
	size_t i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
	if (ir_link_name(path, instance, size)) {
		*why = "the device is behind no IOMMU instance in sysfs";
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(iommus); i++)
		if (!iommus[i].by_driver && !strncmp(instance, iommus[i].match,
						     strlen(iommus[i].match)))
			return &iommus[i];
	if (!instance_device(instance, driver, dev, sizeof(dev)))
		for (i = 0; i < ARRAY_SIZE(iommus); i++)
			if (iommus[i].by_driver &&
			    !strcmp(driver, iommus[i].match)) {
				snprintf(instance, size, "%s", dev);
				return &iommus[i];
			}
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

/*
 * Whether /proc/interrupts line @line is of the interrupt named @name:
 * its last field is that name, or the name and a part ("virtio0-event",
 * "AMD-Vi0-Evt", "arm-smmu-v3-evtq"). @name is not empty.
 */
static bool named(const char *line, const char *name)
{
	const char *last = line + strlen(line);
	size_t n = strlen(name);

	while (last > line && isspace((unsigned char)last[-1]))
		last--;
	while (last > line && !isspace((unsigned char)last[-1]))
		last--;
	if (strncmp(last, name, n))
		return false;
	/* After a name that ends in a digit, no more digits (virtio1). */
	if (isdigit((unsigned char)last[n]))
		return !isdigit((unsigned char)name[n - 1]);
	return isspace((unsigned char)last[n]) || last[n] == '-' || !last[n];
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
		if (named(line, name))
			n = (n < 0 ? 0 : n) + line_count(line);
	fclose(f);
	return n;
}
