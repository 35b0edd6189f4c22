// SPDX-License-Identifier: GPL-2.0
/*
 * Replace racing everything else a VMM does at the same time: one thread
 * moves a device among several HWPTs while others map and unmap in the
 * same IOAS, read through an emulated device, trigger page faults and
 * answer them, destroy the HWPTs (re-created at once), and move a second device
 * among the same HWPTs. Every errno any thread sees must be one the race
 * allows; once all are quiet, each device is at the driver on the HWPT its
 * last successful replace named, every HWPT maps exactly the IOAS, and the
 * pins are what the threads left.
 *
 * A storm lasts IR_RACE_SECONDS (default 3) with one thread per role;
 * IR_RACE_SEED replays a run: the seed is printed with every failure.
 *
 * Kernel promise: replace is serialised against map/unmap, access, fault
 * delivery and destroy; none of them sees a half-done replace.
 * VMM flow: a guest reprogramming its vIOMMU while its devices run DMA and
 * take page faults, and the VMM maps and unmaps guest memory.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "fixture.h"

#define NPAGES 64
#define BUF_SIZE (NPAGES * 4096UL)
/* The map/unmap thread's own area, after the shared one. */
#define IOVA_CHURN (IOVA + 16 * BUF_SIZE)
#define NPOOL 4 /* HWPTs the devices move among; the last one nested */
#define FAULT_ADDR 0xdeadb000ULL

enum role { MOVE_A, MOVE_B, MAP, ACCESS, FAULT, DESTROY, NROLES };

static const char *const role_names[NROLES] = {
	[MOVE_A] = "replace device A", [MOVE_B] = "replace device B",
	[MAP] = "map/unmap",	       [ACCESS] = "ACCESS_RW",
	[FAULT] = "fault/respond",     [DESTROY] = "destroy",
};

FIXTURE(replace_race)
{
	struct ir_fx fx;
	struct ir_mock_dev dev_a, dev_b;
	__u32 parent, queue_id;
	int queue_fd, access_fd;
	void *churn_buf;
	/* Pool slot i: a HWPT id, swapped by the destroy thread. */
	_Atomic __u32 pool[NPOOL];
	/* Where each device's last successful replace put it. */
	_Atomic __u32 last_a, last_b;
	atomic_bool stop;
	/* The first unexpected result, by role: errno and what was done. */
	atomic_int bad_rc;
	_Atomic int bad_role;
	pid_t tids[NROLES];
	pthread_barrier_t ready;
	unsigned int seed;
};

struct worker {
	FIXTURE_DATA(replace_race) * self;
	enum role role;
	unsigned int rand;
	unsigned long rounds; /* attempts */
	unsigned long hits; /* attempts that did something: coverage */
};

static void report(FIXTURE_DATA(replace_race) * self, enum role role, int rc)
{
	int none = 0;

	if (atomic_compare_exchange_strong(&self->bad_rc, &none, rc ? rc : 1))
		self->bad_role = role;
	self->stop = true;
}

/* A HWPT of the pool, nested (with the fault queue) for the last slot. */
static int alloc_pool_hwpt(FIXTURE_DATA(replace_race) * self, int slot,
			   __u32 *id)
{
	if (slot == NPOOL - 1)
		return ir_hwpt_alloc_nested(self->fx.fd, self->dev_a.idev_id,
					    self->parent,
					    IOMMU_HWPT_FAULT_ID_VALID,
					    self->queue_id, 0, id);
	return ir_hwpt_alloc(self->fx.fd, self->dev_a.idev_id, self->fx.ioas_id,
			     0, id);
}

static void move(struct worker *w, __u32 stdev_id, _Atomic __u32 *last)
{
	__u32 target = w->self->pool[rand_r(&w->rand) % NPOOL];
	int rc;

	if (!target || target == *last)
		return; /* destroyed (the main thread makes a new one), or no-op */
	rc = ir_mock_domain_replace(w->self->fx.fd, stdev_id, target, NULL);
	/* ENOENT: the destroy thread won the race for that HWPT. */
	if (!rc) {
		*last = target;
		w->hits++;
	} else if (rc != -ENOENT) {
		report(w->self, w->role, rc);
	}
}

static void map_unmap(struct worker *w)
{
	FIXTURE_DATA(replace_race) *self = w->self;
	int rc;

	rc = ir_ioas_map_fixed(self->fx.fd, self->fx.ioas_id, self->churn_buf,
			       4096, IOVA_CHURN);
	if (!rc)
		rc = ir_ioas_unmap(self->fx.fd, self->fx.ioas_id, IOVA_CHURN,
				   4096, NULL);
	if (rc)
		report(self, w->role, rc);
	w->hits++;
}

static void access_read(struct worker *w)
{
	FIXTURE_DATA(replace_race) *self = w->self;
	unsigned char data[256];
	int rc;

	rc = ir_access_rw(self->fx.fd, self->access_fd, IOVA, data,
			  sizeof(data), 0);
	if (!rc && ir_buf_differs(data, sizeof(data), 0x3e))
		rc = -EIO;
	if (rc)
		report(self, w->role, rc);
	w->hits++;
}

static void fault_respond(struct worker *w)
{
	FIXTURE_DATA(replace_race) *self = w->self;
	struct iommu_hwpt_pgfault f = {};
	int rc;

	rc = ir_trigger_iopf(self->fx.fd, self->dev_a.idev_id, 0, 1,
			     FAULT_ADDR);
	if (rc) {
		report(self, w->role, rc);
		return;
	}
	/* Only while device A is on the nested HWPT does a fault arrive. */
	rc = ir_fault_read(self->queue_fd, &f, 5);
	if (rc == -ETIMEDOUT || rc == -EAGAIN)
		return;
	if (!rc)
		rc = ir_fault_respond(self->queue_fd, f.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS);
	/* EINVAL: a replace answered it first. */
	if (rc && rc != -EINVAL)
		report(self, w->role, rc);
	w->hits += !rc;
}

/*
 * Destroys a pool HWPT: EBUSY exactly while a device is on it, which the
 * movers may change at any moment, so both results are allowed. A slot
 * whose HWPT went is refilled by the main thread, so that the oracle,
 * which is not shared between threads, names every HWPT.
 */
static void destroy(struct worker *w)
{
	FIXTURE_DATA(replace_race) *self = w->self;
	int slot = rand_r(&w->rand) % NPOOL;
	__u32 id = self->pool[slot];
	int rc;

	if (!id)
		return;
	rc = ir_destroy(self->fx.fd, id);
	if (!rc) {
		self->pool[slot] = 0;
		w->hits++;
	} else if (rc != -EBUSY) {
		report(self, w->role, rc);
	}
	/* Now and then, or the pool would be empty between refills. */
	usleep(2000);
}

/* Refills the slots the destroy thread emptied, named for the oracle. */
static int refill(FIXTURE_DATA(replace_race) * self)
{
	__u32 id;
	int i, rc;

	for (i = 0; i < NPOOL; i++) {
		if (self->pool[i])
			continue;
		rc = fx_named_hwpt(&id, alloc_pool_hwpt(self, i, &id));
		if (rc)
			return rc;
		self->pool[i] = id;
	}
	return 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	w->self->tids[w->role] = syscall(SYS_gettid);
	pthread_barrier_wait(&w->self->ready);
	while (!w->self->stop) {
		switch (w->role) {
		case MOVE_A:
			move(w, w->self->dev_a.stdev_id, &w->self->last_a);
			break;
		case MOVE_B:
			move(w, w->self->dev_b.stdev_id, &w->self->last_b);
			break;
		case MAP:
			map_unmap(w);
			break;
		case ACCESS:
			access_read(w);
			break;
		case FAULT:
			fault_respond(w);
			break;
		case DESTROY:
			destroy(w);
			break;
		case NROLES:
			break;
		}
		/*
		 * Pace: the kernel's trace buffer holds what the oracle has
		 * not read yet, and the main thread drains it every 5 ms.
		 */
		if (!(++w->rounds % 32))
			usleep(1000);
	}
	return NULL;
}

FIXTURE_SETUP(replace_race)
{
	struct ir_fx *fx = &self->fx;
	const char *seed = getenv("IR_RACE_SEED");

	self->queue_fd = self->access_fd = -1;
	if (!fx_open(_metadata, fx))
		return;
	self->seed = seed ? strtoul(seed, NULL, 0) : (unsigned int)time(NULL);
	fx_ioas(_metadata, fx, BUF_SIZE, 0x3e);
	self->churn_buf = ir_buf_alloc(4096, 0x4f);
	ASSERT_NE(NULL, self->churn_buf);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev_a);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev_b);
	ASSERT_EQ(0, ir_fault_queue_alloc(fx->fd, &self->queue_id,
					  &self->queue_fd));
	fx_hwpt(_metadata, fx, self->dev_a.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_NEST_PARENT, &self->parent);
	ASSERT_EQ(0, refill(self));
	ASSERT_EQ(0,
		  ir_access_create(fx->fd, fx->ioas_id, 0, &self->access_fd));
	self->last_a = self->dev_a.hwpt_id;
	self->last_b = self->dev_b.hwpt_id;
}

FIXTURE_TEARDOWN(replace_race)
{
	if (self->access_fd >= 0)
		close(self->access_fd);
	if (self->queue_fd >= 0)
		close(self->queue_fd);
	fx_teardown(_metadata, &self->fx);
	if (self->churn_buf)
		EXPECT_EQ(0, ir_buf_release(self->churn_buf, 4096));
}

/* Seconds each storm lasts: IR_RACE_SECONDS, default 3. */
static double storm_seconds(void)
{
	const char *s = getenv("IR_RACE_SECONDS");

	return s ? strtod(s, NULL) : 3.0;
}

TEST_F_TIMEOUT(replace_race, storm, 300)
{
	struct ir_fx *fx = &self->fx;
	struct worker workers[NROLES];
	pthread_t threads[NROLES];
	struct timespec start, now;
	__u32 last;
	int i;

	ksft_print_msg("replace_race.storm: seed %u, %.1f s, %d threads\n",
		       self->seed, storm_seconds(), NROLES);
	ASSERT_EQ(0, pthread_barrier_init(&self->ready, NULL, NROLES + 1));
	for (i = 0; i < NROLES; i++) {
		workers[i] = (struct worker){ .self = self,
					      .role = i,
					      .rand = self->seed + i };
		ASSERT_EQ(0,
			  pthread_create(&threads[i], NULL, run, &workers[i]));
	}
	pthread_barrier_wait(&self->ready);
	for (i = 0; i < NROLES; i++)
		ASSERT_EQ(0, ir_oracle_track_thread(self->tids[i]));
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		/* Drain the driver's events as they come: no overflow. */
		ir_oracle_point();
		ASSERT_EQ(0, refill(self));
		usleep(5000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!self->stop &&
		 now.tv_sec - start.tv_sec +
				 (now.tv_nsec - start.tv_nsec) / 1e9 <
			 storm_seconds());
	self->stop = true;
	for (i = 0; i < NROLES; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	ASSERT_EQ(0, refill(self));
	for (i = 0; i < NROLES; i++)
		ksft_print_msg(
			"replace_race.storm: %s: %lu of %lu rounds did it\n",
			role_names[i], workers[i].hits, workers[i].rounds);
	ksft_print_msg(
		"replace_race.storm: the oracle saw %u driver events (%s)\n",
		ir_oracle_point(), ir_oracle_off() ?: "on");

	ASSERT_EQ(0, self->bad_rc)
	TH_LOG("%s saw %d (seed %u: IR_RACE_SEED=%u replays it)",
	       role_names[self->bad_role], self->bad_rc, self->seed,
	       self->seed);

	/* Quiet now: the driver, the HWPTs and the pins agree. */
	fx_assert_on(_metadata, fx, self->dev_a.stdev_id, self->last_a);
	fx_assert_on(_metadata, fx, self->dev_b.stdev_id, self->last_b);
	for (i = 0; i < NPOOL - 1; i++) {
		ASSERT_EQ(0, ir_md_check_map(fx->fd, self->pool[i], IOVA,
					     fx->buf, BUF_SIZE));
		ASSERT_EQ(-EINVAL,
			  ir_md_check_map(fx->fd, self->pool[i], IOVA_CHURN,
					  self->churn_buf, 4096));
	}
	ASSERT_EQ(0, ir_md_check_map(fx->fd, self->parent, IOVA, fx->buf,
				     BUF_SIZE));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 1));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, self->churn_buf, 4096, 0));
	last = self->last_a;
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, last));
}

TEST_HARNESS_MAIN
