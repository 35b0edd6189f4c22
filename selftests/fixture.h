/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every replace test starts from and ends with, and the driver-level
 * checks every replace is followed by.
 *
 * A test embeds struct ir_fx in its FIXTURE and calls fx_open() first
 * thing in FIXTURE_SETUP (returning when it says so): it opens /dev/iommu
 * (or SKIPs with the reason) and starts the device-side oracle.
 * fx_teardown() closes the iommufd, proves every page it pinned is
 * unpinned, and turns a test that passed with driver-level checks it could
 * not make into a SKIP that says why.
 */
#ifndef IR_FIXTURE_H
#define IR_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "ir_buf.h"
#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_oracle.h"
#include "ir_probe.h"
#include "ir_util.h"

/* Where tests map: the start of the mock domain's aperture. */
#define IOVA ((__u64)MOCK_APERTURE_START)
/* The address a test's mock device faults on: any, and easy to spot. */
#define FAULT_ADDR 0xdeadb000ULL

struct ir_fx {
	int fd;
	__u32 ioas_id; /* fx_ioas(): an IOAS with buf mapped at IOVA */
	void *buf;
	size_t size;
	/* Driver-level checks the oracle, being off, could not make. */
	unsigned int unchecked;
};

/*
 * Lines per test program, before its tests, so a TAP reader (and run.sh's
 * summary) sees them: the page sizes every size of the tests derives from
 * (what a 64 KiB kernel changes), and whether driver-level checks can run.
 * The oracle set up here serves every test the harness forks; each starts
 * a fresh log of it (fx_open()), and it goes when the program ends.
 */
static void __attribute__((constructor)) fx_report(void)
{
	const char *why;

	ksft_print_msg(
		"page size: %zu KiB (mock IO page %zu KiB, huge IO page %zu KiB)\n",
		ir_page_size() >> 10, ir_mock_io_page_size() >> 10,
		ir_mock_huge_page_size() >> 10);
	if (ir_oracle_start(&why))
		ksft_print_msg("device-side oracle: off (%s)\n", why);
	else
		ksft_print_msg("device-side oracle: on\n");
}

static void __attribute__((destructor)) fx_report_end(void)
{
	ir_oracle_stop();
}

/* false when the test SKIPs: FIXTURE_SETUP must then return at once. */
static inline bool fx_open(struct __test_metadata *_metadata, struct ir_fx *fx)
{
	const char *why;

	fx->fd = ir_probe_open(&why);
	if (fx->fd < 0)
		SKIP(return false, "%s", why);
	ir_oracle_start(&why);
	return true;
}

/* An IOAS with @size bytes of @fill mapped at IOVA. */
static inline void fx_ioas(struct __test_metadata *_metadata, struct ir_fx *fx,
			   size_t size, int fill)
{
	ASSERT_EQ(0, ir_ioas_alloc_mapped(fx->fd, size, fill, IOVA,
					  &fx->ioas_id, &fx->buf));
	fx->size = size;
}

/* Closes the iommufd and proves every page it pinned is unpinned. */
static inline void fx_close(struct __test_metadata *_metadata, struct ir_fx *fx)
{
	ASSERT_EQ(0, close(fx->fd));
	fx->fd = -1;
	if (fx->buf)
		EXPECT_EQ(0, ir_buf_release(fx->buf, fx->size));
	fx->buf = NULL;
}

/*
 * Stops the oracle; a test that passed with @unchecked driver-level checks
 * not made becomes a SKIP that says why.
 */
static inline void fx_finish(struct __test_metadata *_metadata,
			     unsigned int unchecked)
{
	if (unchecked && _metadata->exit_code == KSFT_PASS)
		SKIP(,
		     "device-side oracle off (%s): %u driver-level checks not made",
		     ir_oracle_off(), unchecked);
	ir_oracle_stop();
}

static inline void fx_teardown(struct __test_metadata *_metadata,
			       struct ir_fx *fx)
{
	if (fx->fd < 0)
		return;
	fx_close(_metadata, fx);
	fx_finish(_metadata, fx->unchecked);
}

/*
 * Runs @call, an allocation that writes a HWPT id to *@id, and names the
 * domain the driver allocated for it. Evaluates to @call's result.
 */
#define fx_named_hwpt(id, call)                                     \
	({                                                          \
		unsigned int __since = ir_oracle_point();           \
		int __rc = (call);                                  \
		if (!__rc)                                          \
			__rc = ir_oracle_name_hwpt(__since, *(id)); \
		__rc;                                               \
	})

/* A mock device on @pt_id, known to the oracle with its first domain. */
static inline void fx_dev(struct __test_metadata *_metadata, struct ir_fx *fx,
			  __u32 pt_id, __u32 dev_flags, struct ir_mock_dev *dev)
{
	unsigned int since = ir_oracle_point();

	ASSERT_EQ(0, ir_mock_domain(fx->fd, pt_id, dev_flags, dev));
	ASSERT_EQ(0, ir_oracle_name_dev(since, dev->stdev_id));
	ASSERT_EQ(0, ir_oracle_name_hwpt(since, dev->hwpt_id));
}

/* A paging HWPT for device @idev_id on @pt_id, named for the oracle. */
static inline void fx_hwpt(struct __test_metadata *_metadata, struct ir_fx *fx,
			   __u32 idev_id, __u32 pt_id, __u32 flags, __u32 *id)
{
	ASSERT_EQ(0, fx_named_hwpt(id, ir_hwpt_alloc(fx->fd, idev_id, pt_id,
						     flags, id)));
}

/*
 * A nested HWPT of the mock on @parent_id (a nest parent or a vIOMMU) for
 * device @idev_id, every IOTLB entry @iotlb, with fault queue @fault_id
 * unless 0; named for the oracle.
 */
static inline void fx_hwpt_nested(struct __test_metadata *_metadata,
				  struct ir_fx *fx, __u32 idev_id,
				  __u32 parent_id, __u32 fault_id, __u32 iotlb,
				  __u32 *id)
{
	__u32 flags = fault_id ? IOMMU_HWPT_FAULT_ID_VALID : 0;

	ASSERT_EQ(0, fx_named_hwpt(id, ir_hwpt_alloc_nested(
					       fx->fd, idev_id, parent_id,
					       flags, fault_id, iotlb, id)));
}

/* How a driver-level check failed: every attach call since @since. */
static inline void fx_log_attaches(struct __test_metadata *_metadata,
				   __u32 stdev_id, unsigned int since)
{
	struct ir_oracle_attach calls[8];
	int i, n;

	n = ir_oracle_attaches(stdev_id, false, 0, since, calls, 8);
	TH_LOG("the driver saw %d attach call(s) for device %u:", n, stdev_id);
	for (i = 0; i < n && i < 8; i++) {
		if (calls[i].hwpt_id == IR_ORACLE_BLOCKED)
			TH_LOG("  blocking domain, ret %d", calls[i].ret);
		else if (calls[i].hwpt_id == IR_ORACLE_UNNAMED)
			TH_LOG("  a domain of no HWPT, ret %d", calls[i].ret);
		else
			TH_LOG("  hwpt %u, ret %d", calls[i].hwpt_id,
			       calls[i].ret);
	}
}

/*
 * Whether the oracle can make the driver-level check at hand; when it is
 * off, the check is counted as not made (fx_finish() reports them).
 */
static inline bool fx_checkable(struct ir_fx *fx)
{
	if (!ir_oracle_off())
		return true;
	fx->unchecked++;
	return false;
}

/* The driver's current domain for @stdev_id's RID is HWPT @hwpt_id's. */
static inline void fx_assert_on(struct __test_metadata *_metadata,
				struct ir_fx *fx, __u32 stdev_id, __u32 hwpt_id)
{
	__u32 cur;

	if (!fx_checkable(fx))
		return;
	ASSERT_EQ(0, ir_oracle_current(stdev_id, false, 0, &cur));
	ASSERT_EQ(hwpt_id, cur)
	TH_LOG("device %u: the driver's last attached domain is not hwpt %u",
	       stdev_id, hwpt_id);
}

/*
 * Device @stdev_id, a bystander of another device's replace, is still on
 * @hwpt_id at the driver and had no attach call since oracle point
 * @since: the replace touched only the device it named.
 */
static inline void fx_assert_untouched(struct __test_metadata *_metadata,
				       struct ir_fx *fx, __u32 stdev_id,
				       __u32 hwpt_id, unsigned int since)
{
	struct ir_oracle_attach call;

	fx_assert_on(_metadata, fx, stdev_id, hwpt_id);
	if (ir_oracle_off())
		return;
	ASSERT_EQ(0, ir_oracle_attaches(stdev_id, false, 0, since, &call, 1))
	TH_LOG("another device's replace called attach for device %u",
	       stdev_id);
}

/*
 * Replaces device @stdev_id onto @pt_id (a HWPT, or an IOAS: then *@out
 * gets its auto domain) and proves at the driver that the device went
 * there in one step: one attach call, of the new domain, which succeeded
 * (no blocking or default domain in between).
 */
static inline void fx_replace(struct __test_metadata *_metadata,
			      struct ir_fx *fx, __u32 stdev_id, __u32 pt_id,
			      __u32 *out)
{
	unsigned int since = ir_oracle_point();
	struct ir_oracle_attach call;
	__u32 hwpt_id;
	int n;

	ASSERT_EQ(0, ir_mock_domain_replace(fx->fd, stdev_id, pt_id, &hwpt_id));
	if (out)
		*out = hwpt_id;
	if (!fx_checkable(fx))
		return;
	/* An IOAS id: its auto domain, allocated now or found again. */
	if (hwpt_id != pt_id)
		ASSERT_EQ(0, ir_oracle_name_hwpt(since, hwpt_id));
	n = ir_oracle_attaches(stdev_id, false, 0, since, &call, 1);
	if (n != 1 || call.hwpt_id != hwpt_id || call.ret)
		fx_log_attaches(_metadata, stdev_id, since);
	ASSERT_EQ(1, n);
	ASSERT_EQ(hwpt_id, call.hwpt_id);
	ASSERT_EQ(0, call.ret);
	fx_assert_on(_metadata, fx, stdev_id, hwpt_id);
}

/*
 * A replace of @stdev_id onto @pt_id (a HWPT, or an IOAS) that names the
 * HWPT @hwpt_id it is on already: it succeeds, and the driver is not
 * called at all.
 */
static inline void fx_replace_noop(struct __test_metadata *_metadata,
				   struct ir_fx *fx, __u32 stdev_id,
				   __u32 pt_id, __u32 hwpt_id)
{
	unsigned int since = ir_oracle_point();
	struct ir_oracle_attach call;
	__u32 out;
	int n;

	ASSERT_EQ(0, ir_mock_domain_replace(fx->fd, stdev_id, pt_id, &out));
	/* An IOAS id: the HWPT it resolves to must be the one already on. */
	if (pt_id != hwpt_id)
		ASSERT_EQ(hwpt_id, out);
	if (!fx_checkable(fx))
		return;
	n = ir_oracle_attaches(stdev_id, false, 0, since, &call, 1);
	if (n)
		fx_log_attaches(_metadata, stdev_id, since);
	ASSERT_EQ(0, n);
	fx_assert_on(_metadata, fx, stdev_id, hwpt_id);
}

/*
 * After something that must have left device @stdev_id where it was (on
 * HWPT @before): no other domain successfully attached since @since (a
 * failed attach of a new one, or an unwind to @before, are allowed), and
 * @before still current.
 */
static inline void fx_assert_unchanged(struct __test_metadata *_metadata,
				       struct ir_fx *fx, __u32 stdev_id,
				       unsigned int since, __u32 before)
{
	struct ir_oracle_attach calls[8];
	int i, n;

	if (!fx_checkable(fx))
		return;
	n = ir_oracle_attaches(stdev_id, false, 0, since, calls, 8);
	ASSERT_LE(0, n);
	for (i = 0; i < n && i < 8; i++) {
		if (calls[i].ret || calls[i].hwpt_id == before)
			continue;
		fx_log_attaches(_metadata, stdev_id, since);
		ASSERT_EQ(before, calls[i].hwpt_id)
		TH_LOG("a refused replace left another domain attached");
	}
	fx_assert_on(_metadata, fx, stdev_id, before);
}

/* The driver's current domain for @stdev_id, by HWPT id (0: unknown). */
static inline __u32 fx_current(struct __test_metadata *_metadata,
			       __u32 stdev_id)
{
	__u32 cur = 0;

	if (!ir_oracle_off())
		EXPECT_EQ(0, ir_oracle_current(stdev_id, false, 0, &cur));
	return cur;
}

/*
 * A replace of @stdev_id onto @pt_id that the kernel must refuse with
 * @err, leaving the driver where it was.
 */
static inline void fx_replace_fails(struct __test_metadata *_metadata,
				    struct ir_fx *fx, int err, __u32 stdev_id,
				    __u32 pt_id)
{
	unsigned int since = ir_oracle_point();
	__u32 before = fx_current(_metadata, stdev_id);

	ASSERT_EQ(err, ir_mock_domain_replace(fx->fd, stdev_id, pt_id, NULL));
	fx_assert_unchanged(_metadata, fx, stdev_id, since, before);
}

#ifdef IR_HAVE_PASID
/*
 * PASID @pasid of device @stdev_id is on HWPT @hwpt_id, by
 * PASID_CHECK_HWPT and at the driver (its last set_dev_pasid).
 */
static inline void fx_assert_pasid_on(struct __test_metadata *_metadata,
				      struct ir_fx *fx, __u32 stdev_id,
				      __u32 pasid, __u32 hwpt_id)
{
	__u32 cur;

	ASSERT_EQ(0, ir_pasid_check_hwpt(fx->fd, stdev_id, pasid, hwpt_id))
	TH_LOG("PASID_CHECK_HWPT: pasid %u is not on hwpt %u", pasid, hwpt_id);
	if (!fx_checkable(fx))
		return;
	ASSERT_EQ(0, ir_oracle_current(stdev_id, true, pasid, &cur));
	ASSERT_EQ(hwpt_id, cur)
	TH_LOG("the driver's last domain for pasid %u is not hwpt %u", pasid,
	       hwpt_id);
}
#endif

#endif /* IR_FIXTURE_H */
