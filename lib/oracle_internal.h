/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The oracle's log (oracle_log.c), which oracle.c feeds the driver's
 * events from its trace instance and asks on behalf of ir_oracle.h's
 * callers. The log depends on nothing of oracle.c.
 */
#ifndef IR_ORACLE_INTERNAL_H
#define IR_ORACLE_INTERNAL_H

#include <stdbool.h>
#include <linux/types.h>

#include "ir_oracle.h"

/* Forgets every event and name. */
void oracle_log_reset(void);
/*
 * Appends the events of trace_pipe text @text (cut into lines in place)
 * that this process's threads caused. 0, -EOVERFLOW (the ring buffer
 * lost events) or -EPROTO (a line it cannot read).
 */
int oracle_log_feed(char *text);
/* How many events the log holds: a point in it. */
unsigned int oracle_log_len(void);
/* ir_oracle_name_hwpt(), _name_dev(), _attaches(), _current() on the log. */
int oracle_log_name_hwpt(unsigned int since, __u32 hwpt_id);
int oracle_log_name_dev(unsigned int since, __u32 stdev_id);
int oracle_log_attaches(__u32 stdev_id, bool pasid_op, __u32 pasid,
			unsigned int since, struct ir_oracle_attach *out,
			int max);
int oracle_log_current(__u32 stdev_id, bool pasid_op, __u32 pasid,
		       __u32 *hwpt_id);

#endif /* IR_ORACLE_INTERNAL_H */
