/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every part of the suite may use. */
#ifndef IR_UTIL_H
#define IR_UTIL_H

#include <stddef.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/*
 * Writes @text into the file at @path in one write(), the way sysfs,
 * debugfs and tracefs want it; @flags adds to O_WRONLY (O_APPEND,
 * O_TRUNC). 0 or -errno (-EIO: written short).
 */
int ir_write_file(const char *path, const char *text, int flags);

/*
 * The last component of where the symbolic link @path points (a sysfs
 * device's driver, iommu_group or iommu), into @name. 0 or -errno.
 */
int ir_link_name(const char *path, char *name, size_t size);

/*
 * The kernel's page size (4 KiB, 16 KiB or 64 KiB): every size and offset
 * of the suite is a multiple of it, never a literal.
 */
size_t ir_page_size(void);

/*
 * The size of the kernel's transparent huge page (its PMD: 2 MiB with 4 KiB
 * pages, 512 MiB with 64 KiB), from sysfs; 0 without THP.
 */
size_t ir_thp_size(void);

#endif /* IR_UTIL_H */
