/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether a replace on a real IOMMU driver passes through a blocking
 * state, seen at the driver every time, not only when a transfer happens
 * to fall into the window: a kprobe event on the function the driver
 * calls to block a device's translation before it installs the next
 * domain (VT-d's device_block_translation(), which clears the context
 * entry; AMD-Vi's detach_device(), which clears the DTE), in a trace
 * instance of our own, counting this process's calls only.
 */
#ifndef IR_BLOCKWATCH_H
#define IR_BLOCKWATCH_H

/*
 * The blocking function of the IOMMU that PCI device @bdf is behind (by
 * the name of its IOMMU instance in sysfs), or NULL with the reason in
 * *@why: a driver with no such step known here.
 */
const char *ir_block_fn(const char *bdf, const char **why);
/* Arms the probe on @fn. 0, or -errno with the reason in *@why. */
int ir_block_watch_start(const char *fn, const char **why);
/* Calls of the function by this process since the last count, or -errno. */
int ir_block_watch_count(void);
void ir_block_watch_stop(void);

#endif /* IR_BLOCKWATCH_H */
