/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every part of the suite may use. */
#ifndef IR_UTIL_H
#define IR_UTIL_H

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif /* IR_UTIL_H */
