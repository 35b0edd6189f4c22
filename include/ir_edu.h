/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's edu device (PCI 1234:11e8, QEMU's hw/misc/edu.c) as a DMA engine
 * behind a real IOMMU driver: bound to vfio-pci, reached through its VFIO
 * device cdev, its BAR0 mapped. Its DMA goes through the emulated IOMMU:
 * a transfer whose IOVA does not translate moves no data.
 */
#ifndef IR_EDU_H
#define IR_EDU_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

/* The device's own buffer, in its DMA address space, and its size. */
#define IR_EDU_BUF 0x40000
#define IR_EDU_BUF_SIZE 4096
/* edu masks DMA addresses to 28 bits (its dma_mask property's default). */
#define IR_EDU_DMA_LIMIT (1ULL << 28)

struct ir_edu {
	char bdf[16]; /* its PCI address, 0000:00:04.0 */
	int fd; /* the VFIO device cdev, or -1 */
	__u32 dev_id; /* its iommufd device id */
	uint8_t *bar; /* MMIO: read and written with relaxed atomics */
	size_t bar_size;
};

/*
 * The edu devices of this machine, their PCI addresses into @bdfs: how
 * many (at most @max), or -errno.
 */
int ir_edu_find(char bdfs[][16], int max);
/*
 * Binds edu @bdf to vfio-pci where it is not yet (no other driver holds
 * it: the kernel has none). Its IOMMU group may exist only from then on:
 * the IOMMU is set up for a device when a driver binds (virtio-iommu's
 * VIOT). 0, or -errno with the reason in *@why.
 */
int ir_edu_bind_vfio(const char *bdf, const char **why);
/*
 * Binds edu @bdf to vfio-pci where it is not yet, opens its cdev, binds
 * that to @iommufd (edu->dev_id), maps BAR0 and turns bus mastering on.
 * 0, or -errno with the reason in *@why.
 */
int ir_edu_open(const char *bdf, int iommufd, struct ir_edu *edu,
		const char **why);
void ir_edu_close(struct ir_edu *edu);
/* The IOMMU group number of PCI device @bdf, or -errno. */
int ir_edu_group(const char *bdf);
/*
 * The MSI window among the reserved regions of @edu's IOMMU group (an IOVA
 * range no IOAS the device is attached to may map): 0 or -errno.
 */
int ir_edu_msi_window(const struct ir_edu *edu, __u64 *start, __u64 *last);
/*
 * One transfer of @count bytes between IOVA @iova and byte @off of the
 * device's buffer, reading memory when @to_device, writing it otherwise;
 * waits until the device says it is done. 0, -ETIMEDOUT, -EINVAL (out of
 * the device's buffer, its last byte included, or its DMA range: edu
 * would stop QEMU).
 */
int ir_edu_dma(struct ir_edu *edu, __u64 iova, __u32 off, __u32 count,
	       bool to_device);

#endif /* IR_EDU_H */
