// SPDX-License-Identifier: GPL-2.0
/*
 * One scenario at one point, in three steps: setup (memory mapped into
 * two IOASes, the devices, mock or edu, the scenario's objects), time
 * (its one-time transitions, then the rounds on every thread with the
 * concurrent load running) and teardown.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "explain.h"
#include "ir_buf.h"
#include "ir_edu.h"
#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_probe.h"
#include "ir_util.h"
#include "ir_vfio.h"
#include "load.h"
#include "numa_place.h"
#include "point.h"
#include "report.h"

/* Real devices a point may have at most. */
#define IR_BENCH_MAX_EDU 8

/*
 * Why a point cannot run with this kernel's page size, or NULL: a THP point
 * backed by small pages would be a lie (the kernel's huge page is 512 MiB
 * with 64 KiB pages), and a preset's areas of 16 KiB are less than a page
 * at 64 KiB. The reason lives in a buffer the next call reuses.
 */
static const char *geometry_unfit(const struct point *pt)
{
	static char why[128];
	size_t area = pt->size / pt->areas;

	if (pt->thp && pt->size < ir_thp_size())
		snprintf(
			why, sizeof(why),
			"transparent huge pages of at most %zu KiB (this kernel's are %zu KiB)",
			pt->size >> 10, ir_thp_size() >> 10);
	else if (area % ir_page_size())
		snprintf(
			why, sizeof(why),
			"pages of at most %zu KiB, the size of each area (this kernel's are %zu KiB)",
			area >> 10, ir_page_size() >> 10);
	else
		return NULL;
	return why;
}

/*
 * How much longer than a point's memory its mapping is, so that the memory
 * can start on a transparent huge page (whose size is the kernel's).
 */
static size_t align_slack(void)
{
	return ir_thp_size() > ir_page_size() ? ir_thp_size() : ir_page_size();
}

/*
 * Memory for one IOAS, placed on pt->mem_node first: small pages, or with
 * pt->thp aligned to and advised for transparent huge pages. The mapping
 * (*raw) is align_slack() longer than pt->size, for the alignment.
 */
static void *alloc_mapped(const struct point *pt, int fill, void **raw)
{
	size_t slack = align_slack(), len = pt->size + slack;
	char *buf;

	*raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*raw == MAP_FAILED) {
		*raw = NULL;
		return NULL;
	}
	buf = (char *)(((uintptr_t)*raw + slack - 1) & ~(slack - 1));
	madvise(buf, pt->size, pt->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (pt->mem_node >= 0 &&
	    ir_numa_bind_memory(buf, pt->size, pt->mem_node))
		return NULL;
	memset(buf, fill, pt->size);
	return buf;
}

struct worker {
	struct ctx *c;
	const struct scenario *s;
	unsigned int first, count; /* its devices */
	pthread_barrier_t *start;
	uint64_t *ns[IR_MAX_OPS];
	size_t n[IR_MAX_OPS];
	int rc;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const struct point *pt = w->c->pt;
	unsigned int i, d;
	uint64_t ns;
	int op;

	if (pt->cpu_node >= 0)
		ir_numa_run_on_node(pt->cpu_node);
	for (i = 0; i < IR_MAX_OPS; i++) {
		w->ns[i] =
			calloc((size_t)pt->iters * w->count, sizeof(uint64_t));
		if (!w->ns[i]) {
			w->rc = -ENOMEM;
			return NULL;
		}
	}
	pthread_barrier_wait(w->start);
	/* Warm-up flips are made and dropped: caches, slabs, xarray nodes. */
	for (i = 0; i < pt->warmup + pt->iters; i++) {
		for (d = w->first; d < w->first + w->count; d++) {
			op = w->s->step(w->c, &w->c->devs[d], &ns);
			if (op < 0) {
				w->rc = op;
				return NULL;
			}
			if (i >= pt->warmup)
				w->ns[op][w->n[op]++] = ns;
		}
	}
	return NULL;
}

/*
 * Device @i of point @c->pt onto IOAS 0 (its auto domain): a mock device,
 * or the @i-th edu device through VFIO. 0, or -errno with *@why set where
 * the machine lacks it.
 */
static int dev_open(struct ctx *c, struct dev_state *d, unsigned int i,
		    const char **why)
{
	const struct point *pt = c->pt;
	char bdf[IR_BENCH_MAX_EDU][16];
	int rc, n;

	if (!strcmp(pt->iommu, "mock")) {
		/* Huge IOVA pages are what THP-backed memory can use. */
		rc = ir_mock_domain(c->fd, c->ioas[0],
				    pt->thp ? ir_mock_huge_dev_flags() : 0,
				    &d->dev);
		d->cur = d->dev.hwpt_id;
		return rc;
	}
	n = ir_edu_find(bdf, IR_BENCH_MAX_EDU);
	if (n <= (int)i) {
		*why = "as many edu devices behind the IOMMU as the point has (./run.sh --iommu)";
		return -ENODEV;
	}
	rc = ir_edu_open(bdf[i], c->fd, &d->edu, why);
	d->dev.idev_id = d->edu.dev_id;
	if (!rc)
		rc = ir_vfio_attach_pt(d->edu.fd, c->ioas[0], &d->dev.hwpt_id);
	d->cur = d->dev.hwpt_id;
	return rc;
}

/* One run of a scenario at a point: what setup made, teardown undoes. */
struct run {
	struct ctx c;
	void *raw[2]; /* the mappings of c.buf */
	struct worker *w;
	pthread_t *tids;
};

/* How a run ended: @err 0, or a failure with its reason @why. */
static struct point_result result(int err, const char *why)
{
	return (struct point_result){ .err = err, .why = why };
}

/* What the kernel, the driver or the machine does not offer: no failure. */
static struct point_result lacking(int err, const char *why)
{
	return (struct point_result){ .err = err,
				      .why = why,
				      .kernel_lacks = true };
}

/* Memory for both IOASes, both mapped, every device opened onto IOAS 0. */
static struct point_result point_map(struct run *r)
{
	const struct point *pt = r->c.pt;
	struct ctx *c = &r->c;
	const char *why = NULL;
	long thp_before = ir_anon_huge_kib();
	unsigned int i;
	int rc = 0, k;

	c->buf[0] = alloc_mapped(pt, 0xaa, &r->raw[0]);
	c->buf[1] = alloc_mapped(pt, 0xbb, &r->raw[1]);
	if (!r->w || !r->tids || !c->devs || !c->buf[0] || !c->buf[1])
		return result(-ENOMEM, NULL);
	/* A THP point backed by small pages would be a lie: say so. */
	if (pt->thp && ir_anon_huge_kib() - thp_before <= 0)
		return result(-ENOMEM,
			      "transparent huge pages (none were given)");
	for (k = 0; !rc && k < 2; k++) {
		rc = ir_ioas_alloc(c->fd, &c->ioas[k]);
		if (!rc)
			rc = ir_ioas_map_areas(c->fd, c->ioas[k], c->buf[k],
					       pt->size, pt->areas,
					       IR_BENCH_IOVA);
	}
	for (i = 0; !rc && i < pt->devices; i++)
		rc = dev_open(c, &c->devs[i], i, &why);
	return result(rc, why);
}

/* The iommufd context, the point's memory and devices, @s's objects. */
static struct point_result point_setup(struct run *r, const struct scenario *s)
{
	const struct point *pt = r->c.pt;
	struct ctx *c = &r->c;
	static char refused[128];
	struct point_result res;
	const char *why = NULL;
	unsigned int i;

	c->fd = ir_probe_open(&why);
	if (c->fd < 0)
		return result(-ENODEV, why);
	r->w = calloc(pt->threads, sizeof(*r->w));
	r->tids = calloc(pt->threads, sizeof(*r->tids));
	c->devs = calloc(pt->devices, sizeof(*c->devs));
	for (i = 0; c->devs && i < pt->devices; i++)
		c->devs[i].edu.fd = c->devs[i].access_fd = -1;
	why = geometry_unfit(pt);
	if (!why && s->no_device && strcmp(pt->iommu, "mock"))
		why = "a device it moves (it replaces an emulated access's IOAS)";
	if (why)
		return lacking(-EOPNOTSUPP, why);
	res = point_map(r);
	if (res.err)
		return res;
	res.err = s->setup(c);
	if (!res.err)
		return res;
	/*
	 * A real driver that refuses the scenario's HWPTs (nesting, dirty
	 * tracking) does not offer it: that probe is the reason.
	 */
	if (s->needs)
		return lacking(res.err, s->needs);
	if (!strcmp(pt->iommu, "mock"))
		return result(res.err, NULL);
	snprintf(refused, sizeof(refused), "HWPTs that %s refused (%s)",
		 pt->iommu, strerror(-res.err));
	return lacking(res.err, refused);
}

/* --explain: one traced one-time transition and one traced step. */
static int point_explain(struct run *r, const struct scenario *s)
{
	struct ctx *c = &r->c;
	unsigned int i;
	uint64_t ns;
	int rc;

	rc = s->prime ? explain_one(c, s, PHASE_ONE_TIME) : 0;
	for (i = 0; !rc && i < c->pt->warmup; i++)
		rc = s->step(c, &c->devs[0], &ns) < 0 ? -EIO : 0;
	return rc ?: explain_one(c, s, PHASE_STEADY);
}

/* The steady rounds on every thread, with the load running: 0 or -errno. */
static int point_rounds(struct run *r, const struct scenario *s,
			unsigned long *load_ops, const char **why)
{
	const struct point *pt = r->c.pt;
	unsigned int i, per = pt->devices / pt->threads;
	pthread_barrier_t start;
	struct load *load = NULL;
	int rc;

	rc = ir_load_start(pt->load, r->c.fd, r->c.ioas[0], IR_BENCH_IOVA,
			   r->c.buf[0], pt->size, &load);
	if (rc) {
		*why = "the requested load could not start";
		return rc;
	}
	pthread_barrier_init(&start, NULL, pt->threads);
	for (i = 0; i < pt->threads; i++) {
		r->w[i] = (struct worker){ .c = &r->c,
					   .s = s,
					   .first = i * per,
					   .count = per,
					   .start = &start };
		pthread_create(&r->tids[i], NULL, worker_run, &r->w[i]);
	}
	for (i = 0; i < pt->threads; i++) {
		pthread_join(r->tids[i], NULL);
		if (r->w[i].rc && !rc)
			rc = r->w[i].rc;
	}
	pthread_barrier_destroy(&start);
	*load_ops = ir_load_stop(load);
	/* A load that did nothing would make a "loaded" point a lie. */
	return !rc && load && !*load_ops ? -EIO : rc;
}

/* The one-time transitions, then the steady rounds, into records. */
static struct point_result point_time(struct run *r, const struct scenario *s)
{
	const struct point *pt = r->c.pt;
	const char *why = NULL;
	unsigned long load_ops = 0;
	unsigned int i;
	uint64_t ns;
	int rc = 0, k;

	/* One-time costs are timed on their own, never folded into a mean. */
	for (i = 0; s->prime && !rc && i < pt->devices; i++) {
		rc = s->prime(&r->c, &r->c.devs[i], &ns);
		if (!rc)
			report_sample(report_record(s, s->prime_op,
						    PHASE_ONE_TIME, pt),
				      ns);
	}
	if (!rc)
		rc = point_rounds(r, s, &load_ops, &why);
	for (i = 0; !rc && i < pt->threads; i++) {
		for (k = 0; k < IR_MAX_OPS && s->ops[k]; k++) {
			struct record *rec =
				report_record(s, s->ops[k], PHASE_STEADY, pt);
			size_t j;

			rec->load_ops = load_ops;
			for (j = 0; j < r->w[i].n[k]; j++)
				report_sample(rec, r->w[i].ns[k][j]);
		}
	}
	return result(rc, why);
}

static void point_teardown(struct run *r)
{
	const struct point *pt = r->c.pt;
	struct ctx *c = &r->c;
	unsigned int i;
	int k;

	for (i = 0; r->w && i < pt->threads; i++)
		for (k = 0; k < IR_MAX_OPS; k++)
			free(r->w[i].ns[k]);
	free(r->w);
	free(r->tids);
	for (i = 0; c->devs && i < pt->devices; i++) {
		if (c->devs[i].access_fd >= 0)
			close(c->devs[i].access_fd);
		free(c->devs[i].bitmap);
		ir_edu_close(&c->devs[i].edu);
	}
	for (k = 0; k < 2; k++)
		if (c->fault_fd[k] >= 0)
			close(c->fault_fd[k]);
	free(c->devs);
	if (c->fd >= 0)
		close(c->fd);
	for (k = 0; k < 2; k++)
		if (r->raw[k])
			munmap(r->raw[k], pt->size + align_slack());
}

struct point_result point_run(const struct scenario *s, const struct point *pt)
{
	struct run r = { .c = { .pt = pt, .fault_fd = { -1, -1 } } };
	struct point_result res = point_setup(&r, s);

	if (!res.err && explain_on())
		res = result(point_explain(&r, s), NULL);
	else if (!res.err)
		res = point_time(&r, s);
	point_teardown(&r);
	return res;
}
