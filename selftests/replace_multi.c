// SPDX-License-Identifier: GPL-2.0
/*
 * Several devices on one HWPT: replacing one moves that one only. The
 * others keep their attachment (the HWPT stays busy until the last one
 * leaves), and unbinding a device releases only its own hold.
 *
 * VMM flow: QEMU's attach loop puts every compatible device of a
 * container on one shared HWPT; OpenVMM attaches abort/bypass entries to
 * shared persistent nested HWPTs; a guest then moves one device at a time.
 */
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "ir_buf.h"
#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_probe.h"

#define NDEV 4
#define BUF_SIZE (16 * 4096UL)
#define IOVA ((__u64)MOCK_APERTURE_START)

FIXTURE(replace_multi)
{
	int fd;
	__u32 ioas_id;
	void *buf;
	struct ir_mock_dev dev[NDEV];
	__u32 shared, other;
};

FIXTURE_SETUP(replace_multi)
{
	const char *why;
	int i;

	self->fd = ir_probe_open(&why);
	if (self->fd < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ir_ioas_alloc_mapped(self->fd, BUF_SIZE, 0x77, IOVA,
					  &self->ioas_id, &self->buf));
	for (i = 0; i < NDEV; i++) {
		ASSERT_EQ(0, ir_mock_domain(self->fd, self->ioas_id, 0,
					    &self->dev[i]));
	}
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev[0].idev_id,
				   self->ioas_id, 0, &self->shared));
	ASSERT_EQ(0, ir_hwpt_alloc(self->fd, self->dev[0].idev_id,
				   self->ioas_id, 0, &self->other));
	for (i = 0; i < NDEV; i++) {
		ASSERT_EQ(0, ir_mock_domain_replace(self->fd,
						    self->dev[i].stdev_id,
						    self->shared, NULL));
	}
}

FIXTURE_TEARDOWN(replace_multi)
{
	if (self->fd < 0)
		return;
	ASSERT_EQ(0, close(self->fd));
	EXPECT_EQ(0, ir_buf_release(self->buf, BUF_SIZE));
}

TEST_F(replace_multi, one_moves_others_stay)
{
	int i;

	/* All devices shared one auto domain; leaving it freed it. */
	ASSERT_EQ(-ENOENT, ir_destroy(self->fd, self->dev[0].hwpt_id));
	for (i = 0; i < NDEV; i++) {
		ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->shared))
		TH_LOG("%d of %d devices still on hwpt %u", NDEV - i, NDEV,
		       self->shared);
		ASSERT_EQ(0, ir_mock_domain_replace(self->fd,
						    self->dev[i].stdev_id,
						    self->other, NULL));
		ASSERT_EQ(0, ir_md_check_map(self->fd, self->shared, IOVA,
					     self->buf, BUF_SIZE));
	}
	ASSERT_EQ(0, ir_destroy(self->fd, self->shared));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->other));
}

TEST_F(replace_multi, unbind_releases_only_its_hold)
{
	int i;

	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev[0].stdev_id,
					    self->other, NULL));
	/* Unbinding every device but dev[0]: shared loses its last user. */
	for (i = 1; i < NDEV; i++) {
		ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->shared));
		ASSERT_EQ(0, ir_destroy(self->fd, self->dev[i].stdev_id));
	}
	ASSERT_EQ(0, ir_destroy(self->fd, self->shared));
	ASSERT_EQ(-EBUSY, ir_destroy(self->fd, self->other));
	ASSERT_EQ(0, ir_mock_domain_replace(self->fd, self->dev[0].stdev_id,
					    self->ioas_id, NULL));
	ASSERT_EQ(0, ir_destroy(self->fd, self->other));
}

TEST_HARNESS_MAIN
