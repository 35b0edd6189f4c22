/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether a replace on a real IOMMU driver passes through a blocking
 * state, seen at the driver every time, not only when a transfer happens
 * to fall into the window: kprobe events, in a trace instance of our own,
 * counting this process's events only, on what each driver does to the
 * device's translation during a replace:
 * - VT-d and AMD-Vi: calls of the function that blocks the device before
 *   the next domain is installed (device_block_translation(), which clears
 *   the context entry; detach_device(), which clears the DTE);
 * - SMMUv3: the context descriptor (CD) of the device's substream 0 as the
 *   SMMU is told to read it, at every sync of it: one not valid (V clear)
 *   means the SMMU was made to see no translation (the CD's address is
 *   learnt from the driver's first write of it, an attach before);
 * - virtio-iommu: the requests the driver sends the host: a DETACH, or a
 *   MAP after the ATTACH (the host then translated through a domain with
 *   mappings still missing: it empties a domain no endpoint is attached
 *   to, and the driver replays the mappings after the ATTACH).
 */
#ifndef IR_BLOCKWATCH_H
#define IR_BLOCKWATCH_H

/*
 * What is watched on the IOMMU that PCI device @bdf is behind, in words
 * for a log ("device_block_translation() calls"), or NULL with the reason
 * in *@why: a driver with no such observation known here.
 */
const char *ir_block_step(const char *bdf, const char **why);
/*
 * Arms the watch of @bdf's driver: before the attach that precedes the
 * replace watched (SMMUv3 learns its CD there). 0, or -errno with the
 * reason in *@why.
 */
int ir_block_watch_start(const char *bdf, const char **why);
/*
 * Blocking steps by this process since the last count (the first count,
 * after that attach, arms what it learnt), or -errno: -ENOENT when the
 * SMMUv3 watch saw no CD written.
 */
int ir_block_watch_count(void);
void ir_block_watch_stop(void);

#endif /* IR_BLOCKWATCH_H */
