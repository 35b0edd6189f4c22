/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device-side oracle: what the mock IOMMU driver itself was asked to
 * do, seen through kprobe events on its ops, not through iommufd's answer.
 *
 * The mock's attach op (attach_dev, and set_dev_pasid where the tree has
 * it) is probed with its domain and device arguments and its result; its
 * domain-allocation ops with the domain they return. A log of these events
 * per process answers "which domain did the driver last attach to device
 * D" and "which attach calls did D see between two points". Domains are
 * named after the HWPT ids the suite got for them: an allocation is named
 * by the call that made it (ir_oracle_name_hwpt()), never by the attach
 * under test, so a replace that attaches the wrong domain cannot name it.
 *
 * On 6.12 the mock device keeps no record of its domain; this is the only
 * way to see where a replace landed at the driver. The events are enabled
 * only in a trace instance of our own and only for this process, and never
 * while the bench times anything (the bench never starts the oracle).
 */
#ifndef IR_ORACLE_H
#define IR_ORACLE_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

/* What a domain of the log is, when it is none of our HWPTs. */
#define IR_ORACLE_BLOCKED \
	((__u32)-1) /* the mock's blocking (= default) domain */
#define IR_ORACLE_UNNAMED ((__u32)-2) /* a domain no HWPT id was given for */

/*
 * Starts the oracle for this process and what it forks: its probes and
 * trace instance are set up once (arming a kprobe patches kernel text,
 * which costs a TCG guest about 0.1 s a probe), and a later call, in this
 * process or in a test the harness forked from it, starts a fresh log.
 * 0, or -errno with the reason it cannot run in *@why.
 */
int ir_oracle_start(const char **why);
/*
 * Ends the log; in the process that set the oracle up, also removes its
 * probes and trace instance.
 */
void ir_oracle_stop(void);
/*
 * Removes what a process that died left of the oracle (its trace instance
 * and probes), for a run that must not be traced. 0, or -EBUSY while a
 * live process still uses the probes.
 */
int ir_oracle_clear(void);

/* NULL when the oracle runs, else why it does not. */
const char *ir_oracle_off(void);

/*
 * Counts what thread @tid of this process makes the driver do, besides
 * the main thread. Call it from the thread that asks the oracle: the log
 * is not shared between threads.
 */
int ir_oracle_track_thread(pid_t tid);

/*
 * A point in the log: the number of driver events seen so far. Reading
 * drains the kernel's buffer, so a long run of events calls it now and
 * then lest the buffer overflow (the oracle then turns itself off).
 */
unsigned int ir_oracle_point(void);

/*
 * Names the domain allocated since @since (the last, when several were)
 * HWPT @hwpt_id. When none was allocated, @hwpt_id must already have a
 * domain (an auto domain found again): -ENOENT if it has not. 0 when off.
 */
int ir_oracle_name_hwpt(unsigned int since, __u32 hwpt_id);
/* Names the device attached since @since selftest device @stdev_id. */
int ir_oracle_name_dev(unsigned int since, __u32 stdev_id);

/* One call of the driver's attach op for a device. */
struct ir_oracle_attach {
	__u32 hwpt_id; /* the domain, by HWPT id or IR_ORACLE_* */
	int ret; /* what the driver returned */
};

/*
 * The RID attach calls (@pasid_op false) or the PASID @pasid attach calls
 * of device @stdev_id since @since, oldest first, at most @max of them in
 * @out. Returns how many there were, or -errno.
 */
int ir_oracle_attaches(__u32 stdev_id, bool pasid_op, __u32 pasid,
		       unsigned int since, struct ir_oracle_attach *out,
		       int max);

/*
 * The domain the driver last attached successfully to device @stdev_id's
 * RID (@pasid_op false) or PASID @pasid, in *@hwpt_id (0: never). 0 or
 * -errno.
 */
int ir_oracle_current(__u32 stdev_id, bool pasid_op, __u32 pasid,
		      __u32 *hwpt_id);

#endif /* IR_ORACLE_H */
