/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The real IOMMU drivers the suite knows, by the names of their instances
 * in sysfs (/sys/bus/pci/devices/BDF/iommu): what each reports faults
 * through, and what a replace's blocking step looks like in it.
 */
#ifndef IR_IOMMU_H
#define IR_IOMMU_H

#include <stdbool.h>
#include <stddef.h>

/* How a driver's blocking step is seen (include/ir_blockwatch.h). */
enum ir_block_kind {
	IR_BLOCK_CALLS, /* calls of block_fn */
	IR_BLOCK_CD_SYNC, /* syncs (block_fn) of a CD not valid */
	IR_BLOCK_VIOMMU_REQUESTS, /* requests (block_fn) the host is sent */
};

struct ir_iommu {
	/* How it is known: its instances' names start so, or its driver is. */
	const char *match;
	const char *driver; /* in words */
	/*
	 * In /proc/interrupts, its fault interrupt's name (or that and a
	 * part: "-evtq", "0-Evt"); %s: the instance.
	 */
	const char *fault_irq;
	enum ir_block_kind block;
	bool by_driver;
	const char *block_fn, *block_fetch, *block_step;
};

/*
 * The driver of the IOMMU that PCI device @bdf is behind, the instance's
 * name into @instance (for one known by its driver, its device's name);
 * NULL with the reason in *@why.
 */
const struct ir_iommu *ir_iommu_of(const char *bdf, char *instance, size_t size,
				   const char **why);
/*
 * The interrupts the fault reporting of @bdf's IOMMU took so far, on all
 * CPUs, or -errno (-ENOENT: none of that name).
 */
long ir_iommu_fault_irqs(const char *bdf);

#endif /* IR_IOMMU_H */
