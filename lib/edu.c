// SPDX-License-Identifier: GPL-2.0
/* QEMU's edu device through VFIO; see include/ir_edu.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "ir_edu.h"
#include "ir_util.h"
#include "ir_vfio.h"

#define PCI_DEVS "/sys/bus/pci/devices"
#define EDU_ID "0x1234 0x11e8"
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2
/* A transfer takes 100 ms of the guest's clock (edu's DMA timer). */
#define EDU_DMA_WAIT_MS 5000

static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		rc = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return rc;
}

static bool is_edu(const char *bdf)
{
	char path[PATH_MAX], vendor[16], device[16], id[40];

	snprintf(path, sizeof(path), PCI_DEVS "/%s/vendor", bdf);
	if (read_line(path, vendor, sizeof(vendor)))
		return false;
	snprintf(path, sizeof(path), PCI_DEVS "/%s/device", bdf);
	if (read_line(path, device, sizeof(device)))
		return false;
	snprintf(id, sizeof(id), "%s %s", vendor, device);
	return !strcmp(id, EDU_ID);
}

static int bdf_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int ir_edu_find(char bdfs[][16], int max)
{
	char found[32][16];
	DIR *dir = opendir(PCI_DEVS);
	struct dirent *d;
	int n = 0, i;

	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && n < (int)ARRAY_SIZE(found)) {
		if (d->d_name[0] == '.' ||
		    strlen(d->d_name) >= sizeof(*found) || !is_edu(d->d_name))
			continue;
		snprintf(found[n++], sizeof(*found), "%s", d->d_name);
	}
	closedir(dir);
	/* In address order, whatever the directory's. */
	qsort(found, n, sizeof(*found), bdf_cmp);
	for (i = 0; i < n && i < max; i++)
		memcpy(bdfs[i], found[i], sizeof(*found));
	return i;
}

int ir_edu_bind_vfio(const char *bdf, const char **why)
{
	char path[PATH_MAX], driver[64];
	int rc;

	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver", bdf);
	if (!ir_link_name(path, driver, sizeof(driver))) {
		if (!strcmp(driver, "vfio-pci"))
			return 0;
		*why = "the edu device is bound to another driver";
		return -EBUSY;
	}
	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver_override", bdf);
	rc = ir_write_file(path, "vfio-pci", 0);
	if (rc) {
		*why = "cannot set the edu device's driver_override";
		return rc;
	}
	rc = ir_write_file("/sys/bus/pci/drivers_probe", bdf, 0);
	if (rc)
		*why = "vfio-pci did not take the edu device (no vfio-pci, or its IOMMU group is not viable)";
	return rc;
}

/* /dev/vfio/devices/vfioN of @bdf, opened. */
static int open_cdev(const char *bdf, const char **why)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int fd = -ENOENT;

	snprintf(path, sizeof(path), PCI_DEVS "/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir) {
		*why = "the edu device has no VFIO cdev (CONFIG_VFIO_DEVICE_CDEV?)";
		return -errno;
	}
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "vfio", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s", d->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		break;
	}
	closedir(dir);
	if (fd < 0)
		*why = "cannot open the edu device's VFIO cdev";
	return fd;
}

/* PCI_COMMAND_MASTER in the device's config space: edu's DMA needs it. */
static int enable_bus_master(struct ir_edu *edu)
{
	__u64 offset;
	__u16 cmd;
	int rc;

	rc = ir_vfio_region(edu->fd, VFIO_PCI_CONFIG_REGION_INDEX, NULL,
			    &offset);
	if (rc)
		return rc;
	if (pread(edu->fd, &cmd, sizeof(cmd), offset + PCI_COMMAND) !=
	    sizeof(cmd))
		return -EIO;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(edu->fd, &cmd, sizeof(cmd), offset + PCI_COMMAND) !=
	    sizeof(cmd))
		return -EIO;
	return 0;
}

static int map_bar0(struct ir_edu *edu)
{
	__u64 size, offset;
	void *bar;
	int rc;

	rc = ir_vfio_region(edu->fd, VFIO_PCI_BAR0_REGION_INDEX, &size,
			    &offset);
	if (rc)
		return rc;
	bar = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, edu->fd,
		   offset);
	if (bar == MAP_FAILED)
		return -errno;
	edu->bar = bar;
	edu->bar_size = size;
	return 0;
}

int ir_edu_open(const char *bdf, int iommufd, struct ir_edu *edu,
		const char **why)
{
	int rc;

	memset(edu, 0, sizeof(*edu));
	edu->fd = -1;
	snprintf(edu->bdf, sizeof(edu->bdf), "%s", bdf);
	rc = ir_edu_bind_vfio(bdf, why);
	if (rc)
		return rc;
	rc = open_cdev(bdf, why);
	if (rc < 0)
		return rc;
	edu->fd = rc;
	/* A cdev takes no other call before it is bound. */
	rc = ir_vfio_bind_iommufd(edu->fd, iommufd, &edu->dev_id);
	if (rc) {
		*why = "VFIO_DEVICE_BIND_IOMMUFD failed";
		goto err;
	}
	rc = map_bar0(edu);
	if (rc) {
		*why = "cannot map the edu device's BAR0";
		goto err;
	}
	rc = enable_bus_master(edu);
	if (rc) {
		*why = "cannot turn the edu device's bus mastering on";
		goto err;
	}
	return 0;
err:
	ir_edu_close(edu);
	return rc;
}

int ir_edu_group(const char *bdf)
{
	char path[PATH_MAX], group[32];
	int rc;

	snprintf(path, sizeof(path), PCI_DEVS "/%s/iommu_group", bdf);
	rc = ir_link_name(path, group, sizeof(group));
	return rc ? rc : atoi(group);
}

int ir_edu_msi_window(const struct ir_edu *edu, __u64 *start, __u64 *last)
{
	char path[PATH_MAX], type[32];
	unsigned long long a, b;
	int rc = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path),
		 PCI_DEVS "/%s/iommu_group/reserved_regions", edu->bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%llx %llx %31s", &a, &b, type) == 3) {
		if (strcmp(type, "msi"))
			continue;
		*start = a;
		*last = b;
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

void ir_edu_close(struct ir_edu *edu)
{
	if (edu->bar)
		munmap(edu->bar, edu->bar_size);
	edu->bar = NULL;
	if (edu->fd >= 0)
		close(edu->fd);
	edu->fd = -1;
}

/* One 8-byte access each, never merged or dropped by the compiler. */
static void reg_write(struct ir_edu *edu, unsigned int reg, __u64 val)
{
	__atomic_store_n((__u64 *)(edu->bar + reg), val, __ATOMIC_RELAXED);
}

static __u64 reg_read(struct ir_edu *edu, unsigned int reg)
{
	return __atomic_load_n((__u64 *)(edu->bar + reg), __ATOMIC_RELAXED);
}

int ir_edu_dma(struct ir_edu *edu, __u64 iova, __u32 off, __u32 count,
	       bool to_device)
{
	struct timespec nap = { .tv_nsec = 1000000 };
	int waited;

	/*
	 * QEMU 7.2's edu stops the machine (hw_error) on a transfer that
	 * ends at its buffer's end: its range check wants the end inside.
	 */
	if (off + count >= IR_EDU_BUF_SIZE || iova + count > IR_EDU_DMA_LIMIT ||
	    off + count < off)
		return -EINVAL;
	reg_write(edu, EDU_DMA_SRC, to_device ? iova : IR_EDU_BUF + off);
	reg_write(edu, EDU_DMA_DST, to_device ? IR_EDU_BUF + off : iova);
	reg_write(edu, EDU_DMA_CNT, count);
	reg_write(edu, EDU_DMA_CMD,
		  EDU_DMA_RUN | (to_device ? 0 : EDU_DMA_TO_RAM));
	for (waited = 0; waited < EDU_DMA_WAIT_MS; waited++) {
		if (!(reg_read(edu, EDU_DMA_CMD) & EDU_DMA_RUN))
			return 0;
		nanosleep(&nap, NULL);
	}
	return -ETIMEDOUT;
}
