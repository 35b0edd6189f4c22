/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's fault injection, driven as its own iommufd_fail_nth test
 * does: writing N to /proc/self/task/<tid>/fail-nth makes the N-th fault
 * point this task reaches fail (an allocation through failslab or
 * fail_page_alloc, or the mock driver's own fail_iommufd point), and
 * reading it back says whether that point was reached.
 */
#ifndef IR_FAILNTH_H
#define IR_FAILNTH_H

#include <stdbool.h>

/*
 * Lets every allocation of this kernel be failed on request (failslab and
 * fail_page_alloc with ignore-gfp-wait off) and quiets the fault points'
 * log. 0, or -errno with the reason fault injection cannot run in *@why.
 */
int ir_failnth_setup(const char **why);

/* This thread's fail-nth file, opened before any count is armed. */
int ir_failnth_open(void);

/* The @nth-th fault point this thread reaches from now on fails. */
int ir_failnth_arm(int nth_fd, unsigned int nth);

/*
 * Disarms; *@fired says whether the armed point was reached by what ran
 * in between (and so made something fail). 0 or -errno.
 */
int ir_failnth_disarm(int nth_fd, bool *fired);

/*
 * iommufd's own fault points alone (fail_iommufd: object lookup, the
 * reserved-region check, ...), counted apart from every allocation: the
 * @nth-th that this thread reaches from now on fails, once. Where a
 * fail-nth walk can step over a point (the allocations before it vary),
 * this one reaches each in turn. 0, or -errno (-ENOENT: no fail_iommufd).
 */
int ir_failiommufd_arm(unsigned int nth);
/* Disarms; *@fired says whether the armed point was reached. */
int ir_failiommufd_disarm(bool *fired);

/*
 * A walk's arming: any fault point, through @nth_fd (ir_failnth_open()),
 * or with @nth_fd -1 iommufd's own alone (ir_failiommufd_arm()).
 */
int ir_fault_arm(int nth_fd, unsigned int nth);
int ir_fault_disarm(int nth_fd, bool *fired);

/*
 * Fails the 1st, 2nd, 3rd, ... fault point in turn: @attempt(@ctx, nth)
 * builds what it needs, arms @nth around the call under test and says
 * whether the point was reached. How many points an attempt reaches varies
 * by one or two between attempts (whether an allocation finds a free slab
 * object or needs a new page depends on what ran before), so a point can
 * move past the walk: it runs pinned to one CPU, whose caches alone it then
 * uses, and ends only when two attempts in a row at the same count reach no
 * injection. The count of points reached, or -E2BIG when they still were
 * at @max_nth, or -errno.
 */
int ir_failnth_walk(bool (*attempt)(void *ctx, unsigned int nth), void *ctx,
		    unsigned int max_nth);

#endif /* IR_FAILNTH_H */
