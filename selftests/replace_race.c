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
 * A storm lasts IR_RACE_SECONDS (default 3); the map, access and fault
 * roles have IR_RACE_THREADS threads each (default: the online CPUs);
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
#define BUF_SIZE (NPAGES * ir_page_size())
/* Each map/unmap thread's own page, after the shared area. */
#define IOVA_CHURN(k) (IOVA + 16 * BUF_SIZE + (k)*2 * ir_page_size())
/* Threads per map, access and fault role: at most this many. */
#define MAX_PER_ROLE 8
#define MAX_WORKERS (3 + 3 * MAX_PER_ROLE)
#define NPOOL 4 /* HWPTs the devices move among; the last one nested */

enum role { MOVE_A, MOVE_B, MAP, ACCESS, FAULT, DESTROY, NROLES };

static const char *const role_names[NROLES] = {
	[MOVE_A] = "replace device A", [MOVE_B] = "replace device B",
	[MAP] = "map/unmap",	       [ACCESS] = "ACCESS_RW",
	[FAULT] = "fault/respond",     [DESTROY] = "destroy",
};

/* What the threads share. */
struct storm {
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
	pid_t tids[MAX_WORKERS];
	pthread_barrier_t ready;
	unsigned int seed;
};

FIXTURE(replace_race)
{
	struct storm st;
};

struct worker {
	struct storm *st;
	enum role role;
	int index; /* among the workers */
	int k; /* among the workers of its role */
	unsigned int rand;
	unsigned long rounds; /* attempts */
	unsigned long hits; /* attempts that did something: coverage */
};

static void report(struct storm *st, enum role role, int rc)
{
	int none = 0;

	if (atomic_compare_exchange_strong(&st->bad_rc, &none, rc ? rc : 1))
		st->bad_role = role;
	st->stop = true;
}

/* A HWPT of the pool, nested (with the fault queue) for the last slot. */
static int alloc_pool_hwpt(struct storm *st, int slot, __u32 *id)
{
	if (slot == NPOOL - 1)
		return ir_hwpt_alloc_nested(st->fx.fd, st->dev_a.idev_id,
					    st->parent,
					    IOMMU_HWPT_FAULT_ID_VALID,
					    st->queue_id, 0, id);
	return ir_hwpt_alloc(st->fx.fd, st->dev_a.idev_id, st->fx.ioas_id, 0,
			     id);
}

static void move(struct worker *w, __u32 stdev_id, _Atomic __u32 *last)
{
	__u32 target = w->st->pool[rand_r(&w->rand) % NPOOL];
	int rc;

	if (!target || target == *last)
		return; /* destroyed (the main thread makes a new one), or no-op */
	rc = ir_mock_domain_replace(w->st->fx.fd, stdev_id, target, NULL);
	/* ENOENT: the destroy thread won the race for that HWPT. */
	if (!rc) {
		*last = target;
		w->hits++;
	} else if (rc != -ENOENT) {
		report(w->st, w->role, rc);
	}
}

static void map_unmap(struct worker *w)
{
	struct storm *st = w->st;
	int rc;

	rc = ir_ioas_map_fixed(st->fx.fd, st->fx.ioas_id, st->churn_buf, ir_page_size(),
			       IOVA_CHURN(w->k));
	if (!rc)
		rc = ir_ioas_unmap(st->fx.fd, st->fx.ioas_id, IOVA_CHURN(w->k),
				   ir_page_size(), NULL);
	if (rc)
		report(st, w->role, rc);
	w->hits++;
}

static void access_read(struct worker *w)
{
	struct storm *st = w->st;
	unsigned char data[256];
	int rc;

	rc = ir_access_rw(st->fx.fd, st->access_fd, IOVA, data, sizeof(data),
			  0);
	if (!rc && ir_buf_differs(data, sizeof(data), 0x3e))
		rc = -EIO;
	if (rc)
		report(st, w->role, rc);
	w->hits++;
}

static void fault_respond(struct worker *w)
{
	struct storm *st = w->st;
	struct iommu_hwpt_pgfault f = {};
	int rc;

	rc = ir_trigger_iopf(st->fx.fd, st->dev_a.idev_id, 0, 1, FAULT_ADDR);
	if (rc) {
		report(st, w->role, rc);
		return;
	}
	/* Only while device A is on the nested HWPT does a fault arrive. */
	rc = ir_fault_read(st->queue_fd, &f, 5);
	if (rc == -ETIMEDOUT || rc == -EAGAIN)
		return;
	if (!rc)
		rc = ir_fault_respond(st->queue_fd, f.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS);
	/* EINVAL: a replace answered it first. */
	if (rc && rc != -EINVAL)
		report(st, w->role, rc);
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
	struct storm *st = w->st;
	int slot = rand_r(&w->rand) % NPOOL;
	__u32 id = st->pool[slot];
	int rc;

	if (!id)
		return;
	rc = ir_destroy(st->fx.fd, id);
	if (!rc) {
		st->pool[slot] = 0;
		w->hits++;
	} else if (rc != -EBUSY) {
		report(st, w->role, rc);
	}
	/* Now and then, or the pool would be empty between refills. */
	usleep(2000);
}

/* Refills the slots the destroy thread emptied, named for the oracle. */
static int refill(struct storm *st)
{
	__u32 id;
	int i, rc;

	for (i = 0; i < NPOOL; i++) {
		if (st->pool[i])
			continue;
		rc = fx_named_hwpt(&id, alloc_pool_hwpt(st, i, &id));
		if (rc)
			return rc;
		st->pool[i] = id;
	}
	return 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	w->st->tids[w->index] = syscall(SYS_gettid);
	pthread_barrier_wait(&w->st->ready);
	while (!w->st->stop) {
		switch (w->role) {
		case MOVE_A:
			move(w, w->st->dev_a.stdev_id, &w->st->last_a);
			break;
		case MOVE_B:
			move(w, w->st->dev_b.stdev_id, &w->st->last_b);
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
	struct storm *st = &self->st;
	struct ir_fx *fx = &st->fx;
	const char *seed = getenv("IR_RACE_SEED");

	st->queue_fd = st->access_fd = -1;
	if (!fx_open(_metadata, fx))
		return;
	st->seed = seed ? strtoul(seed, NULL, 0) : (unsigned int)time(NULL);
	fx_ioas(_metadata, fx, BUF_SIZE, 0x3e);
	st->churn_buf = ir_buf_alloc(ir_page_size(), 0x4f);
	ASSERT_NE(NULL, st->churn_buf);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &st->dev_a);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &st->dev_b);
	ASSERT_EQ(0,
		  ir_fault_queue_alloc(fx->fd, &st->queue_id, &st->queue_fd));
	fx_hwpt(_metadata, fx, st->dev_a.idev_id, fx->ioas_id,
		IOMMU_HWPT_ALLOC_NEST_PARENT, &st->parent);
	ASSERT_EQ(0, refill(st));
	ASSERT_EQ(0, ir_access_create(fx->fd, fx->ioas_id, 0, &st->access_fd));
	st->last_a = st->dev_a.hwpt_id;
	st->last_b = st->dev_b.hwpt_id;
}

FIXTURE_TEARDOWN(replace_race)
{
	struct storm *st = &self->st;

	if (st->access_fd >= 0)
		close(st->access_fd);
	if (st->queue_fd >= 0)
		close(st->queue_fd);
	fx_teardown(_metadata, &st->fx);
	if (st->churn_buf)
		EXPECT_EQ(0, ir_buf_release(st->churn_buf, ir_page_size()));
}

/* Seconds each storm lasts: IR_RACE_SECONDS, default 3. */
static double storm_seconds(void)
{
	const char *s = getenv("IR_RACE_SECONDS");

	return s ? strtod(s, NULL) : 3.0;
}

/*
 * Threads for each of the map, access and fault roles: IR_RACE_THREADS,
 * default the online CPUs. The movers and the destroyer stay one each:
 * a mover's idea of where its device is must be exact.
 */
static int per_role(void)
{
	const char *s = getenv("IR_RACE_THREADS");
	long n = s ? strtol(s, NULL, 0) : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_PER_ROLE ? MAX_PER_ROLE : n;
}

/* The workers: one per mover and the destroyer, @n per other role. */
static int plan(struct storm *st, struct worker *w, int n)
{
	static const enum role many[] = { MAP, ACCESS, FAULT };
	int count = 0, r, k;

	w[count++] = (struct worker){ .role = MOVE_A };
	w[count++] = (struct worker){ .role = MOVE_B };
	w[count++] = (struct worker){ .role = DESTROY };
	for (r = 0; r < 3; r++) {
		for (k = 0; k < n; k++)
			w[count++] = (struct worker){ .role = many[r], .k = k };
	}
	for (r = 0; r < count; r++) {
		w[r].st = st;
		w[r].index = r;
		w[r].rand = st->seed + r;
	}
	return count;
}

TEST_F_TIMEOUT(replace_race, storm, 300)
{
	struct storm *st = &self->st;
	struct ir_fx *fx = &st->fx;
	struct worker workers[MAX_WORKERS];
	pthread_t threads[MAX_WORKERS];
	unsigned long hits[NROLES] = {}, rounds[NROLES] = {};
	struct timespec start, now;
	int i, n = per_role(), nworkers = plan(st, workers, n);

	ksft_print_msg(
		"replace_race.storm: seed %u, %.1f s, %d threads (%d per map, access and fault role)\n",
		st->seed, storm_seconds(), nworkers, n);
	ASSERT_EQ(0, pthread_barrier_init(&st->ready, NULL, nworkers + 1));
	/* Braced: an ASSERT is two statements, its bail-out the second. */
	for (i = 0; i < nworkers; i++) {
		ASSERT_EQ(0,
			  pthread_create(&threads[i], NULL, run, &workers[i]));
	}
	pthread_barrier_wait(&st->ready);
	for (i = 0; i < nworkers; i++) {
		ASSERT_EQ(0, ir_oracle_track_thread(st->tids[i]));
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		/* Drain the driver's events as they come: no overflow. */
		ir_oracle_point();
		ASSERT_EQ(0, refill(st));
		usleep(5000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!st->stop &&
		 now.tv_sec - start.tv_sec +
				 (now.tv_nsec - start.tv_nsec) / 1e9 <
			 storm_seconds());
	st->stop = true;
	for (i = 0; i < nworkers; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
		hits[workers[i].role] += workers[i].hits;
		rounds[workers[i].role] += workers[i].rounds;
	}
	ASSERT_EQ(0, refill(st));
	for (i = 0; i < NROLES; i++)
		ksft_print_msg(
			"replace_race.storm: %s: %lu of %lu rounds did it\n",
			role_names[i], hits[i], rounds[i]);
	ksft_print_msg(
		"replace_race.storm: the oracle saw %u driver events (%s)\n",
		ir_oracle_point(), ir_oracle_off() ?: "on");

	ASSERT_EQ(0, st->bad_rc)
	TH_LOG("%s saw %d (seed %u: IR_RACE_SEED=%u replays it)",
	       role_names[st->bad_role], st->bad_rc, st->seed, st->seed);

	/* Quiet now: the driver, the HWPTs and the pins agree. */
	fx_assert_on(_metadata, fx, st->dev_a.stdev_id, st->last_a);
	fx_assert_on(_metadata, fx, st->dev_b.stdev_id, st->last_b);
	for (i = 0; i < NPOOL - 1; i++) {
		ASSERT_EQ(0, ir_md_check_map(fx->fd, st->pool[i], IOVA, fx->buf,
					     BUF_SIZE));
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(-EINVAL,
			  ir_md_check_map(fx->fd, st->pool[0], IOVA_CHURN(i),
					  st->churn_buf, ir_page_size()));
	}
	ASSERT_EQ(0,
		  ir_md_check_map(fx->fd, st->parent, IOVA, fx->buf, BUF_SIZE));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, fx->buf, BUF_SIZE, 1));
	ASSERT_EQ(0, ir_md_check_refs(fx->fd, st->churn_buf, ir_page_size(), 0));
	/* The HWPT device A is on is busy; a spare one would go. */
	ASSERT_EQ(-EBUSY, ir_destroy(fx->fd, st->last_a));
}

TEST_HARNESS_MAIN
