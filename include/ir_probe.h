/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel offers. A test that needs something missing
 * SKIPs with the reason these return; it never fails and never passes.
 */
#ifndef IR_PROBE_H
#define IR_PROBE_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * Opens /dev/iommu and checks that the mock driver answers. Returns the
 * fd, or -1 with a human reason in *why.
 */
int ir_probe_open(const char **why);

/* Whether the mock driver knows IOMMU_TEST_CMD op @op (EOPNOTSUPP: no). */
bool ir_probe_test_op(int fd, __u32 op);

#endif /* IR_PROBE_H */
