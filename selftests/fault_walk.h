/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fault-injection walks share (replace_failnth.c, the replace;
 * replace_attach.c, the attach it starts from): the errnos an injected
 * failure can turn into, and a whole walk with its count in the TAP.
 */
#ifndef FAULT_WALK_H
#define FAULT_WALK_H

#include "fixture.h"
#include "ir_failnth.h"

/* A bound, not an expectation: 6.12's longest walk here is far shorter. */
#define FW_MAX_NTH 400

#define FW_NO_FAIL_IOMMUFD \
	"no fail_iommufd in debugfs (CONFIG_IOMMUFD_TEST, CONFIG_FAULT_INJECTION_DEBUG_FS)"

/*
 * What an injected failure may turn into: an allocation's ENOMEM, or what
 * the kernel's own fail_iommufd points return in drivers/iommu/iommufd
 * (EINVAL from the reserved-region check, ENOENT from object lookup and
 * the mock's map, EFAULT from pinning).
 */
static inline bool fw_injected_errno(int rc)
{
	return rc == -ENOMEM || rc == -EINVAL || rc == -ENOENT || rc == -EFAULT;
}

/* Whether the kernel lets iommufd's own points fail alone. */
static inline bool fw_fail_iommufd_missing(void)
{
	return access("/sys/kernel/debug/fail_iommufd", F_OK) != 0;
}

/*
 * Walks @attempt over every point of its kind (@what) and prints how many
 * @prog.@name reached; at least one attempt must have failed (*@refused,
 * which the attempts count).
 */
static inline void fw_walk(struct __test_metadata *_metadata,
			   bool (*attempt)(void *ctx, unsigned int nth),
			   void *ctx, const unsigned int *refused,
			   const char *prog, const char *name, const char *what)
{
	int reached = ir_failnth_walk(attempt, ctx, FW_MAX_NTH);

	ASSERT_NE(-E2BIG, reached)
	TH_LOG("still reaching fault points after %u", FW_MAX_NTH);
	ASSERT_LE(0, reached);
	ksft_print_msg("%s.%s: %d %s reached, %u failed attempts\n", prog,
		       name, reached, what, *refused);
	ASSERT_LT(0, *refused)
	TH_LOG("no injected failure made the call fail");
}

#endif /* FAULT_WALK_H */
