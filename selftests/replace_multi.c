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
#include "fixture.h"

#define NDEV 4
#define BUF_SIZE (16 * ir_page_size())

FIXTURE(replace_multi)
{
	struct ir_fx fx;
	struct ir_mock_dev dev[NDEV];
	__u32 shared, other;
};

FIXTURE_SETUP(replace_multi)
{
	struct ir_fx *fx = &self->fx;
	int i;

	if (!fx_open(_metadata, fx))
		return;
	fx_ioas(_metadata, fx, BUF_SIZE, 0x77);
	for (i = 0; i < NDEV; i++)
		fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev[i]);
	fx_hwpt(_metadata, fx, self->dev[0].idev_id, fx->ioas_id, 0,
		&self->shared);
	fx_hwpt(_metadata, fx, self->dev[0].idev_id, fx->ioas_id, 0,
		&self->other);
	for (i = 0; i < NDEV; i++)
		fx_replace(_metadata, fx, self->dev[i].stdev_id, self->shared,
			   NULL);
}

FIXTURE_TEARDOWN(replace_multi)
{
	fx_teardown(_metadata, &self->fx);
}

/* Each replace moves its device only: at the driver, the others stay. */
TEST_F(replace_multi, one_moves_others_stay)
{
	struct ir_fx *fx = &self->fx;
	int i, j;

	/* All devices shared one auto domain; leaving it freed it. */
	ASSERT_EQ(-ENOENT, ir_destroy(fx->fd, self->dev[0].hwpt_id));
	for (i = 0; i < NDEV; i++) {
		unsigned int since = ir_oracle_point();

		ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->shared))
		TH_LOG("%d of %d devices still on hwpt %u", NDEV - i, NDEV,
		       self->shared);
		fx_replace(_metadata, fx, self->dev[i].stdev_id, self->other,
			   NULL);
		for (j = 0; j < NDEV; j++)
			if (j != i)
				fx_assert_untouched(_metadata, fx,
						    self->dev[j].stdev_id,
						    j < i ? self->other :
							    self->shared,
						    since);
	}
	ASSERT_EQ(0, ir_destroy(fx->fd, self->shared));
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->other));
}

TEST_F(replace_multi, unbind_releases_only_its_hold)
{
	struct ir_fx *fx = &self->fx;
	__u32 auto_id;
	int i;

	fx_replace(_metadata, fx, self->dev[0].stdev_id, self->other, NULL);
	/* Unbinding every device but dev[0]: shared loses its last user. */
	for (i = 1; i < NDEV; i++) {
		ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->shared));
		ASSERT_EQ(0, ir_destroy(fx->fd, self->dev[i].stdev_id));
	}
	ASSERT_EQ(0, ir_destroy(fx->fd, self->shared));
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, self->other));
	fx_assert_on(_metadata, fx, self->dev[0].stdev_id, self->other);
	fx_replace(_metadata, fx, self->dev[0].stdev_id, fx->ioas_id, &auto_id);
	ASSERT_EQ(0, ir_destroy(fx->fd, self->other));
}

TEST_HARNESS_MAIN
