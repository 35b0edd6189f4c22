/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's log as a test reads it: what the kernel wrote after a
 * point, for a report the kernel makes of something the test did (an
 * IOMMU driver's fault report of a DMA that did not translate).
 */
#ifndef IR_KMSG_H
#define IR_KMSG_H

/*
 * /dev/kmsg from now on: an fd that reads only what the kernel logs from
 * here, or -errno.
 */
int ir_kmsg_open(void);
/*
 * Whether the kernel logged, since @fd was opened or last read up to such
 * a record, a record that matches the extended regular expression @regex:
 * waits up to @ms for it (a driver reports faults from its interrupt
 * thread). 1 with the record's text in @line, 0 if none came, or -errno.
 */
int ir_kmsg_wait(int fd, const char *regex, int ms, char *line, size_t size);

#endif /* IR_KMSG_H */
