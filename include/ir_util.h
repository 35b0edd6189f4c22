/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every part of the suite may use. */
#ifndef IR_UTIL_H
#define IR_UTIL_H

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/*
 * Writes @text into the file at @path in one write(), the way sysfs,
 * debugfs and tracefs want it; @flags adds to O_WRONLY (O_APPEND,
 * O_TRUNC). 0 or -errno (-EIO: written short).
 */
int ir_write_file(const char *path, const char *text, int flags);

#endif /* IR_UTIL_H */
