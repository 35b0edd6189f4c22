// SPDX-License-Identifier: GPL-2.0
/*
 * replace_bench: latency distributions of the iommufd replace path and
 * its alternatives, per scenario and per point (mapped memory, areas,
 * devices, threads, NUMA placement, concurrent load). Writes one JSON
 * document (schema in bench/README.md) and a table on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ir_buf.h"
#include "ir_iommufd.h"
#include "ir_mock.h"
#include "ir_oracle.h"
#include "ir_probe.h"
#include "ir_stats.h"
#include "ir_util.h"
#include "load.h"
#include "numa_place.h"
#include "scenarios.h"

#define SCHEMA "iommufd-replace-bench/2"
#define IOVA ((__u64)MOCK_APERTURE_START)
#define MAX_META 32
#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif

struct record {
	const char *scenario, *op, *phase;
	struct point pt;
	unsigned long load_ops; /* what the concurrent load did meanwhile */
	uint64_t *samples;
	size_t n, cap;
};

/* Where --explain saves one traced operation per phase, or NULL. */
static const char *explain_dir;

#define TRACEFS "/sys/kernel/tracing/"

static int trace_write(const char *file, const char *val)
{
	char path[256];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), TRACEFS "%s", file);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	rc = fputs(val, f) < 0 ? -EIO : 0;
	return fclose(f) ? -errno : rc;
}

/* Moves what the tracer holds to DIR/<scenario>-<size>-<phase>.trace. */
static int trace_save(const char *scenario, size_t size, const char *phase)
{
	char path[4096], buf[65536];
	FILE *in, *o;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s-%zu-%s.trace", explain_dir,
		 scenario, size, phase);
	in = fopen(TRACEFS "trace", "r");
	o = fopen(path, "w");
	if (!in || !o) {
		if (in)
			fclose(in);
		if (o)
			fclose(o);
		return -errno;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, o);
	fclose(in);
	if (fclose(o))
		return -errno;
	return trace_write("trace", "");
}

/*
 * Traces one call of @fn: the first transition of device 0 (one_time),
 * or one step after the warm-up (steady).
 */
static int explain_one(struct ctx *c, const struct scenario *s,
		       const char *phase)
{
	struct dev_state *d = &c->devs[0];
	uint64_t ns;
	int rc;

	rc = trace_write("trace", "");
	if (!rc)
		rc = trace_write("tracing_on", "1");
	if (rc)
		return rc;
	rc = strcmp(phase, "steady") ? s->prime(c, d, &ns) : s->step(c, d, &ns);
	trace_write("tracing_on", "0");
	if (rc < 0)
		return rc;
	return trace_save(s->name, c->pt->size, phase);
}

/* A scenario that did not run at a point, and why. */
struct not_run {
	const char *scenario;
	struct point pt;
	int err;
	const char *reason;
	bool fails; /* false only when the kernel lacks what it needs */
};

static struct {
	struct record *recs;
	size_t n;
	struct not_run *skipped;
	size_t nskipped;
	FILE *json;
	const char *meta[MAX_META];
	int nmeta;
	bool raw;
} out;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "replace_bench: error: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static struct record *record_get(const char *scenario, const char *op,
				 const char *phase, const struct point *pt)
{
	struct record *r;
	size_t i;

	for (i = 0; i < out.n; i++) {
		r = &out.recs[i];
		if (r->scenario == scenario && !strcmp(r->op, op) &&
		    !strcmp(r->phase, phase) &&
		    !memcmp(&r->pt, pt, sizeof(*pt)))
			return r;
	}
	out.recs = realloc(out.recs, (out.n + 1) * sizeof(*out.recs));
	if (!out.recs)
		die("%s", "out of memory");
	r = &out.recs[out.n++];
	memset(r, 0, sizeof(*r));
	r->scenario = scenario;
	r->op = op;
	r->phase = phase;
	r->pt = *pt;
	return r;
}

/* What timing one sample adds to it, calibrated before the runs. */
static uint64_t correction_ns;

static void record_add(struct record *r, uint64_t ns)
{
	ns = ns > correction_ns ? ns - correction_ns : 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->samples = realloc(r->samples, r->cap * sizeof(*r->samples));
		if (!r->samples)
			die("%s", "out of memory");
	}
	r->samples[r->n++] = ns;
}

#define THP_SIZE (2UL << 20)

/* AnonHugePages of this process, in KiB: what THP really gave. */
static long anon_huge_kib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Memory for one IOAS, placed on pt->mem_node first: small pages, or with
 * pt->thp 2 MiB-aligned and advised for transparent huge pages. The
 * mapping (*raw) is THP_SIZE longer than pt->size, for the alignment.
 */
static void *alloc_mapped(const struct point *pt, int fill, void **raw)
{
	size_t len = pt->size + THP_SIZE;
	char *buf;

	*raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*raw == MAP_FAILED) {
		*raw = NULL;
		return NULL;
	}
	buf = (char *)(((uintptr_t)*raw + THP_SIZE - 1) & ~(THP_SIZE - 1));
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

static const char *run_point(const struct scenario *s, const struct point *pt,
			     int *err, bool *kernel_lacks)
{
	struct worker *w = calloc(pt->threads, sizeof(*w));
	struct ctx c = { .pt = pt };
	struct load *load = NULL;
	pthread_barrier_t start;
	pthread_t *tids = calloc(pt->threads, sizeof(*tids));
	unsigned long load_ops;
	long thp_before;
	void *raw[2] = {};
	const char *why = NULL;
	unsigned int i, per;
	uint64_t ns;
	int rc = 0, k;

	*kernel_lacks = false;
	c.fault_fd[0] = c.fault_fd[1] = -1;
	c.fd = ir_probe_open(&why);
	if (c.fd < 0) {
		*err = -ENODEV;
		return why;
	}
	c.devs = calloc(pt->devices, sizeof(*c.devs));
	thp_before = anon_huge_kib();
	c.buf[0] = alloc_mapped(pt, 0xaa, &raw[0]);
	c.buf[1] = alloc_mapped(pt, 0xbb, &raw[1]);
	if (!w || !tids || !c.devs || !c.buf[0] || !c.buf[1]) {
		rc = -ENOMEM;
		goto out;
	}
	/* A THP point backed by small pages would be a lie: say so. */
	if (pt->thp && anon_huge_kib() - thp_before <= 0) {
		why = "transparent huge pages (none were given)";
		rc = -ENOMEM;
		goto out;
	}
	for (k = 0; !rc && k < 2; k++) {
		rc = ir_ioas_alloc(c.fd, &c.ioas[k]);
		if (!rc)
			rc = ir_ioas_map_areas(c.fd, c.ioas[k], c.buf[k],
					       pt->size, pt->areas, IOVA);
	}
	for (i = 0; !rc && i < pt->devices; i++) {
		/* Huge IOVA pages are what THP-backed memory can use. */
		rc = ir_mock_domain(c.fd, c.ioas[0],
				    pt->thp ? ir_mock_huge_dev_flags() : 0,
				    &c.devs[i].dev);
		c.devs[i].cur = c.devs[i].dev.hwpt_id;
		c.devs[i].access_fd = -1;
	}
	if (rc)
		goto out;
	rc = s->setup(&c);
	if (rc) {
		why = s->needs;
		*kernel_lacks = !!why;
		goto out;
	}
	if (explain_dir) {
		rc = s->prime ? explain_one(&c, s, "one_time") : 0;
		for (i = 0; !rc && i < pt->warmup; i++)
			rc = s->step(&c, &c.devs[0], &ns) < 0 ? -EIO : 0;
		if (!rc)
			rc = explain_one(&c, s, "steady");
		goto out;
	}
	/* One-time costs are timed on their own, never folded into a mean. */
	for (i = 0; s->prime && !rc && i < pt->devices; i++) {
		rc = s->prime(&c, &c.devs[i], &ns);
		if (!rc)
			record_add(record_get(s->name, s->prime_op, "one_time",
					      pt),
				   ns);
	}
	if (rc)
		goto out;

	rc = ir_load_start(pt->load, c.fd, c.ioas[0], IOVA, c.buf[0], pt->size,
			   &load);
	if (rc) {
		why = "the requested load could not start";
		goto out;
	}
	per = pt->devices / pt->threads;
	pthread_barrier_init(&start, NULL, pt->threads);
	for (i = 0; i < pt->threads; i++) {
		w[i] = (struct worker){ .c = &c,
					.s = s,
					.first = i * per,
					.count = per,
					.start = &start };
		pthread_create(&tids[i], NULL, worker_run, &w[i]);
	}
	for (i = 0; i < pt->threads; i++) {
		pthread_join(tids[i], NULL);
		if (w[i].rc && !rc)
			rc = w[i].rc;
	}
	pthread_barrier_destroy(&start);
	load_ops = ir_load_stop(load);
	/* A load that did nothing would make a "loaded" point a lie. */
	if (load && !load_ops && !rc)
		rc = -EIO;
	for (i = 0; !rc && i < pt->threads; i++) {
		for (k = 0; k < IR_MAX_OPS && s->ops[k]; k++) {
			struct record *r =
				record_get(s->name, s->ops[k], "steady", pt);
			size_t j;

			r->load_ops = load_ops;
			for (j = 0; j < w[i].n[k]; j++)
				record_add(r, w[i].ns[k][j]);
		}
	}
out:
	for (i = 0; w && i < pt->threads; i++)
		for (k = 0; k < IR_MAX_OPS; k++)
			free(w[i].ns[k]);
	free(w);
	free(tids);
	if (c.devs)
		for (i = 0; i < pt->devices; i++)
			if (c.devs[i].access_fd >= 0)
				close(c.devs[i].access_fd);
	for (k = 0; k < 2; k++)
		if (c.fault_fd[k] >= 0)
			close(c.fault_fd[k]);
	free(c.devs);
	close(c.fd);
	for (k = 0; k < 2; k++)
		if (raw[k])
			munmap(raw[k], pt->size + THP_SIZE);
	*err = rc;
	return why;
}

/*
 * What timing one iteration costs, against a bare loop of the cheapest
 * IOMMU_TEST_CMD: the harness must not be what the numbers measure.
 */
struct overhead {
	double timer_ns; /* two back-to-back clock reads */
	double bare_ns; /* the ioctl in an untimed loop, mean */
	double timed_ns; /* the same ioctl timed one by one, p50 */
};

static void measure_overhead(struct overhead *o)
{
	enum { N = 20000, BATCH = 100 };
	static uint64_t s[N];
	struct ir_stats st;
	const char *why;
	char page[64];
	uint64_t t0;
	int fd = ir_probe_open(&why), i, b;

	o->timer_ns = o->bare_ns = o->timed_ns = 0;
	for (i = 0; i < N; i++) {
		t0 = ir_now_ns();
		s[i] = ir_now_ns() - t0;
	}
	ir_stats_compute(s, N, &st);
	o->timer_ns = st.p50;
	if (fd < 0)
		return;
	/*
	 * MD_CHECK_REFS of zero bytes: argument checks, nothing else. Untimed
	 * inside a batch; the median batch, so that a tick or a kworker that
	 * lands in one batch moves nothing, as it moves no p50 either.
	 */
	for (b = 0; b < N / BATCH; b++) {
		t0 = ir_now_ns();
		for (i = 0; i < BATCH; i++)
			ir_md_check_refs(fd, page, 0, 0);
		s[b] = ir_now_ns() - t0;
	}
	ir_stats_compute(s, N / BATCH, &st);
	o->bare_ns = st.p50 / BATCH;
	for (i = 0; i < N; i++) {
		uint64_t a = ir_now_ns();

		ir_md_check_refs(fd, page, 0, 0);
		s[i] = ir_now_ns() - a;
	}
	ir_stats_compute(s, N, &st);
	o->timed_ns = st.p50;
	close(fd);
}

static void json_point(FILE *f, const struct point *pt)
{
	fprintf(f,
		"\"point\": {\"size\": %zu, \"areas\": %u, \"devices\": %u, "
		"\"threads\": %u, \"mem_node\": %d, \"cpu_node\": %d, "
		"\"load\": \"%s\", \"pages\": \"%s\"}",
		pt->size, pt->areas, pt->devices, pt->threads, pt->mem_node,
		pt->cpu_node, pt->load, pt->thp ? "thp" : "small");
}

/* The clock behind every sample: its resolution bounds what is measured. */
static const char *clocksource(void)
{
	static char name[64] = "unknown";
	FILE *f = fopen(
		"/sys/devices/system/clocksource/clocksource0/current_clocksource",
		"r");

	if (f) {
		if (fscanf(f, "%63s", name) != 1)
			snprintf(name, sizeof(name), "unknown");
		fclose(f);
	}
	return name;
}

/* A JSON string: --meta values are paths and dates, not to be trusted. */
static void json_string(FILE *f, const char *str)
{
	fputc('"', f);
	for (; *str; str++) {
		if (*str == '"' || *str == '\\')
			fprintf(f, "\\%c", *str);
		else if ((unsigned char)*str < 0x20)
			fprintf(f, "\\u%04x", *str);
		else
			fputc(*str, f);
	}
	fputc('"', f);
}

static void write_json(FILE *f, const struct overhead *o, double residual,
		       double hot_p50)
{
	struct utsname u;
	const struct scenario *s;
	size_t i, j;
	int m;

	uname(&u);
	fprintf(f, "{\n  \"schema\": \"%s\",\n  \"meta\": {\n", SCHEMA);
	fprintf(f, "    \"kernel_release\": \"%s\",\n", u.release);
	fprintf(f, "    \"machine\": \"%s\",\n", u.machine);
	fprintf(f, "    \"cpus\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "    \"numa_nodes\": %d,\n", ir_numa_nodes());
	fprintf(f, "    \"clocksource\": \"%s\"", clocksource());
	for (m = 0; m < out.nmeta; m++) {
		const char *eq = strchr(out.meta[m], '=');

		fprintf(f, ",\n    \"%.*s\": ", (int)(eq - out.meta[m]),
			out.meta[m]);
		json_string(f, eq + 1);
	}
	fprintf(f,
		"\n  },\n  \"overhead\": {\"timer_ns\": %.1f, "
		"\"bare_ioctl_ns\": %.1f, \"timed_ioctl_p50_ns\": %.1f, "
		"\"correction_ns\": %llu, \"residual_ns\": %.1f, "
		"\"hot_p50_ns\": %.1f, \"residual_fraction_of_hot_p50\": %.5f},\n",
		o->timer_ns, o->bare_ns, o->timed_ns,
		(unsigned long long)correction_ns, residual, hot_p50,
		hot_p50 > 0 ? fabs(residual) / hot_p50 : -1);
	fprintf(f, "  \"scenarios\": {");
	for (s = ir_scenarios; s->name; s++)
		fprintf(f, "%s\n    \"%s\": \"%s\"",
			s == ir_scenarios ? "" : ",", s->name, s->flow);
	fprintf(f, "\n  },\n  \"records\": [");
	for (i = 0; i < out.n; i++) {
		struct record *r = &out.recs[i];
		struct ir_stats st;

		ir_stats_compute(r->samples, r->n, &st);
		fprintf(f,
			"%s\n    {\"scenario\": \"%s\", \"op\": \"%s\", "
			"\"phase\": \"%s\", \"load_ops\": %lu, ",
			i ? "," : "", r->scenario, r->op, r->phase,
			r->load_ops);
		json_point(f, &r->pt);
		fprintf(f,
			",\n     \"stats\": {\"count\": %zu, \"min\": %.0f, "
			"\"p50\": %.0f, \"p90\": %.0f, \"p99\": %.0f, "
			"\"p999\": %.0f, \"max\": %.0f, \"mean\": %.1f, "
			"\"stddev\": %.1f},\n     \"samples_ns\": [",
			st.count, st.min, st.p50, st.p90, st.p99, st.p999,
			st.max, st.mean, st.stddev);
		/* Sorted: a compare needs the distribution, not the order. */
		for (j = 0; j < r->n; j++)
			fprintf(f, "%s%llu", j ? "," : "",
				(unsigned long long)r->samples[j]);
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ],\n  \"not_run\": [");
	for (i = 0; i < out.nskipped; i++) {
		const struct not_run *n = &out.skipped[i];

		fprintf(f, "%s\n    {\"scenario\": \"%s\", ", i ? "," : "",
			n->scenario);
		json_point(f, &n->pt);
		fprintf(f, ", \"errno\": %d, \"reason\": ", n->err);
		json_string(f, n->reason);
		fprintf(f, ", \"fails\": %s}", n->fails ? "true" : "false");
	}
	fprintf(f, "%s]\n}\n", out.nskipped ? "\n  " : "");
}

static void print_row(const struct record *r)
{
	struct ir_stats st;
	uint64_t *copy = malloc(r->n * sizeof(*copy));
	char size[32], numa[16];

	if (!copy)
		return;
	memcpy(copy, r->samples, r->n * sizeof(*copy));
	ir_stats_compute(copy, r->n, &st);
	free(copy);
	if (r->pt.size >= (1UL << 20))
		snprintf(size, sizeof(size), "%zuM", r->pt.size >> 20);
	else
		snprintf(size, sizeof(size), "%zuK", r->pt.size >> 10);
	if (r->pt.mem_node >= 0 || r->pt.cpu_node >= 0)
		snprintf(numa, sizeof(numa), "m%dc%d", r->pt.mem_node,
			 r->pt.cpu_node);
	else
		snprintf(numa, sizeof(numa), "-");
	printf("%-18s %-22s %-8s %5s %-3s %4u %3u %2u %-5s %-9s %6zu %10.0f %10.0f %10.0f %12.0f\n",
	       r->scenario, r->op, r->phase, size, r->pt.thp ? "thp" : "4K",
	       r->pt.areas, r->pt.devices, r->pt.threads, numa, r->pt.load,
	       st.count, st.p50, st.p99, st.max, st.mean);
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'G':
	case 'g':
		v <<= 10;
		fallthrough;
	case 'M':
	case 'm':
		v <<= 10;
		fallthrough;
	case 'K':
	case 'k':
		v <<= 10;
		end++;
		break;
	case 0:
		break;
	default:
		die("bad size '%s' (a number with K, M or G)", s);
	}
	if (*end || !v || v % 4096)
		die("bad size '%s' (a positive multiple of 4K)", s);
	return v;
}

static unsigned int parse_uint(const char *s, unsigned int min,
			       const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || !*s || *s == '-' || v < min || v > 1u << 20)
		die(what, s);
	return v;
}

/* A point and the scenarios measured at it. */
struct plan_entry {
	bool want[32];
	struct point pt;
};

static struct plan_entry plan[512];
static size_t nplan;

static void plan_add(const bool *want, const struct point *pt)
{
	if (nplan == ARRAY_SIZE(plan))
		die("%s", "too many points");
	if (pt->size / pt->areas % 4096)
		die("%s", "--areas must split --size into whole pages");
	memcpy(plan[nplan].want, want, sizeof(plan[nplan].want));
	plan[nplan++].pt = *pt;
}

static void plan_one(const char *scenario, const struct point *pt)
{
	bool want[32] = {};

	want[ir_scenario_find(scenario) - ir_scenarios] = true;
	plan_add(want, pt);
}

/*
 * The quick set: every scenario at 1 MiB and 64 MiB, then the hot path
 * along each other dimension once. About two minutes in a TCG guest.
 */
static void plan_quick(const struct point *base)
{
	bool all[32];
	struct point pt = *base;
	const struct scenario *s;

	for (s = ir_scenarios; s->name; s++)
		all[s - ir_scenarios] = true;
	pt.size = 1UL << 20;
	plan_add(all, &pt);
	pt.size = 64UL << 20;
	plan_add(all, &pt);
	pt.areas = 64;
	plan_one("hwpt_hwpt", &pt);
	pt.areas = 1;
	/* THP against small pages at one size: 16 MiB says it, and is quick. */
	pt.size = 16UL << 20;
	pt.thp = true;
	plan_one("hwpt_hwpt", &pt);
	plan_one("hwpt_ioas", &pt);
	pt.thp = false;
	plan_one("hwpt_ioas", &pt);
	pt.size = 1UL << 20;
	pt.devices = 8;
	plan_one("hwpt_hwpt", &pt);
	plan_one("make_before_break", &pt);
	pt.devices = pt.threads = 2;
	plan_one("hwpt_hwpt", &pt);
	pt.devices = pt.threads = 1;
	pt.load = "access_rw";
	plan_one("hwpt_hwpt", &pt);
	pt.load = "uring";
	plan_one("hwpt_hwpt", &pt);
	pt.load = "none";
	if (ir_numa_nodes() > 1) {
		pt.mem_node = 1;
		pt.cpu_node = 0;
		plan_one("hwpt_hwpt", &pt);
		pt.mem_node = 0;
		plan_one("hwpt_hwpt", &pt);
	}
}

/* The full sweep; its run time is in bench/README.md. */
static void plan_full(const struct point *base)
{
	static const size_t sizes[] = { 4096, 1UL << 20, 16UL << 20,
					256UL << 20, 1UL << 30 };
	static const unsigned int devices[] = { 1, 4, 16, 64 };
	static const char *const loads[] = { "access_rw", "uring" };
	bool all[32];
	struct point pt = *base;
	const struct scenario *s;
	unsigned int i, m, c;

	for (s = ir_scenarios; s->name; s++)
		all[s - ir_scenarios] = true;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		pt.size = sizes[i];
		plan_add(all, &pt);
		if (pt.size >= (64UL << 12)) {
			pt.areas = 64;
			plan_one("hwpt_hwpt", &pt);
			plan_one("hwpt_ioas", &pt);
			pt.areas = 1;
		}
		if (pt.size >= THP_SIZE) {
			pt.thp = true;
			plan_one("hwpt_hwpt", &pt);
			plan_one("hwpt_ioas", &pt);
			pt.thp = false;
		}
	}
	pt.size = 16UL << 20;
	for (i = 0; i < ARRAY_SIZE(devices); i++) {
		pt.devices = devices[i];
		plan_one("hwpt_hwpt", &pt);
		plan_one("nested_nested", &pt);
		plan_one("make_before_break", &pt);
	}
	pt.devices = pt.threads = 2;
	plan_one("hwpt_hwpt", &pt);
	plan_one("make_before_break", &pt);
	pt.devices = pt.threads = 1;
	for (i = 0; i < 2; i++) {
		pt.load = loads[i];
		plan_one("hwpt_hwpt", &pt);
		plan_one("hwpt_ioas", &pt);
	}
	pt.load = "none";
	for (m = 0; m < (unsigned int)ir_numa_nodes() && m < 2; m++)
		for (c = 0; c < (unsigned int)ir_numa_nodes() && c < 2; c++) {
			pt.mem_node = m;
			pt.cpu_node = c;
			plan_one("hwpt_hwpt", &pt);
			plan_one("hwpt_ioas", &pt);
		}
}

static void not_run_add(const char *scenario, const struct point *pt, int err,
			const char *reason, bool fails)
{
	struct not_run *n;

	n = realloc(out.skipped, (out.nskipped + 1) * sizeof(*n));
	if (!n)
		die("%s", "out of memory");
	out.skipped = n;
	out.skipped[out.nskipped++] = (struct not_run){
		.scenario = scenario,
		.pt = *pt,
		.err = -err,
		.reason = reason ? reason : strerror(-err),
		.fails = fails,
	};
}

/* Runs every wanted scenario at one point: how many failed. */
static int run_plan_entry(const struct plan_entry *e)
{
	const struct scenario *s;
	struct point pt;
	const char *why;
	int rc, failed = 0;
	bool lacks;
	size_t i;

	for (s = ir_scenarios; s->name; s++) {
		size_t before = out.n;

		if (!e->want[s - ir_scenarios])
			continue;
		pt = e->pt;
		/* Flows that cost O(mapped memory) each time get fewer rounds. */
		if (s->max_iters && pt.iters > s->max_iters)
			pt.iters = s->max_iters;
		why = run_point(s, &pt, &rc, &lacks);
		if (rc) {
			/* Only what the kernel lacks is not a failure. */
			fprintf(stderr,
				"replace_bench: %s at %zu bytes: %s%s%s\n",
				s->name, pt.size, strerror(-rc),
				why ? (lacks ? ": needs " : ": ") : "",
				why ? why : "");
			not_run_add(s->name, &pt, rc, why, !lacks);
			failed += !lacks;
			continue;
		}
		for (i = before; i < out.n; i++)
			print_row(&out.recs[i]);
		fflush(stdout);
	}
	return failed;
}

static void usage(FILE *f)
{
	const struct scenario *s;

	fprintf(f,
		"usage: replace_bench [options]\n"
		"  -s, --scenario LIST  comma-separated scenarios (default: all)\n"
		"  -m, --size LIST      mapped bytes per IOAS, e.g. 4K,1M,1G (default 1M)\n"
		"  -a, --areas N        IOAS areas the memory is mapped in (default 1)\n"
		"  -d, --devices N      mock devices (default 1)\n"
		"  -t, --threads N      replacing threads (default 1)\n"
		"      --mem-node N     place mapped memory on NUMA node N\n"
		"      --cpu-node N     run the replacing threads on node N\n"
		"  -l, --load KIND      none, access_rw or uring (default none)\n"
		"      --thp            back the memory with transparent huge pages\n"
		"                       (devices get huge IOVA pages)\n"
		"  -n, --iters N        timed operations per device (default 500)\n"
		"  -w, --warmup N       untimed operations first (default 20)\n"
		"  -p, --preset NAME    quick or full: a set of points (overrides -m -a -d -t -l)\n"
		"  -o, --json FILE      write the JSON document here\n"
		"      --explain DIR    trace one first and one steady operation per\n"
		"                       scenario with the tracer set up in tracefs\n"
		"                       (function_graph); save them in DIR, time nothing\n"
		"      --meta KEY=VAL   add to the document's meta (repeatable)\n"
		"      --list           list the scenarios\n"
		"scenarios:\n");
	for (s = ir_scenarios; s->name; s++)
		fprintf(f, "  %-18s %s\n", s->name, s->flow);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'm' },
		{ "areas", required_argument, NULL, 'a' },
		{ "devices", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "mem-node", required_argument, NULL, 'M' },
		{ "cpu-node", required_argument, NULL, 'C' },
		{ "load", required_argument, NULL, 'l' },
		{ "iters", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "json", required_argument, NULL, 'o' },
		{ "preset", required_argument, NULL, 'p' },
		{ "explain", required_argument, NULL, 'X' },
		{ "thp", no_argument, NULL, 'H' },
		{ "meta", required_argument, NULL, 'E' },
		{ "list", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct point pt = { .areas = 1,
			    .devices = 1,
			    .threads = 1,
			    .mem_node = -1,
			    .cpu_node = -1,
			    .load = "none",
			    .iters = 500,
			    .warmup = 20 };
	const char *scen = NULL, *sizes = "1M", *json = NULL, *why;
	const char *preset = NULL;
	struct overhead before, after;
	double residual, hot = -1;
	char *tok, *save, *stok, *ssave, *slist;
	bool want[32];
	const struct scenario *s;
	int c, failed = 0, fd;
	char tmp[4096];
	size_t i;

	while ((c = getopt_long(argc, argv, "s:m:a:d:t:l:n:w:o:p:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 's':
			scen = optarg;
			break;
		case 'm':
			sizes = optarg;
			break;
		case 'a':
			pt.areas = parse_uint(optarg, 1, "bad --areas '%s'");
			break;
		case 'd':
			pt.devices =
				parse_uint(optarg, 1, "bad --devices '%s'");
			break;
		case 't':
			pt.threads =
				parse_uint(optarg, 1, "bad --threads '%s'");
			break;
		case 'M':
			pt.mem_node =
				parse_uint(optarg, 0, "bad --mem-node '%s'");
			break;
		case 'C':
			pt.cpu_node =
				parse_uint(optarg, 0, "bad --cpu-node '%s'");
			break;
		case 'l':
			pt.load = optarg;
			break;
		case 'n':
			pt.iters = parse_uint(optarg, 1, "bad --iters '%s'");
			break;
		case 'w':
			pt.warmup = parse_uint(optarg, 0, "bad --warmup '%s'");
			break;
		case 'o':
			json = optarg;
			break;
		case 'p':
			preset = optarg;
			break;
		case 'X':
			explain_dir = optarg;
			break;
		case 'H':
			pt.thp = true;
			break;
		case 'E':
			if (!strchr(optarg, '=') || out.nmeta == MAX_META)
				die("bad --meta '%s' (KEY=VALUE, 32 at most)",
				    optarg);
			out.meta[out.nmeta++] = optarg;
			break;
		case 'L':
			for (s = ir_scenarios; s->name; s++)
				printf("%s\n", s->name);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	for (s = ir_scenarios; s->name; s++)
		want[s - ir_scenarios] = !scen;
	if (scen) {
		char *l = strdup(scen);

		for (tok = strtok_r(l, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			s = ir_scenario_find(tok);
			if (!s)
				die("unknown scenario '%s' (see --list)", tok);
			want[s - ir_scenarios] = true;
		}
		free(l);
	}
	if (strcmp(pt.load, "none") && strcmp(pt.load, "access_rw") &&
	    strcmp(pt.load, "uring"))
		die("unknown --load '%s' (none, access_rw, uring)", pt.load);
	if (pt.devices < pt.threads)
		pt.devices = pt.threads;
	pt.devices -= pt.devices % pt.threads;
	if ((pt.mem_node >= 0 || pt.cpu_node >= 0) &&
	    (pt.mem_node >= ir_numa_nodes() || pt.cpu_node >= ir_numa_nodes()))
		die("NUMA node out of range (this system has %s)",
		    ir_numa_nodes() > 1 ? "several nodes" : "one node");
	fd = ir_probe_open(&why);
	if (fd < 0) {
		printf("replace_bench: SKIP: %s\n", why);
		return 4;
	}
	close(fd);
	/* A selftest that died may have left the oracle's probes armed. */
	if (ir_oracle_clear())
		die("%s",
		    "kprobe events of the device-side oracle are still in use (tracefs kprobe_events): timings would include them");
	measure_overhead(&before);
	if (before.timed_ns > before.bare_ns)
		correction_ns = (uint64_t)(before.timed_ns - before.bare_ns);

	printf("%-18s %-22s %-8s %5s %-3s %4s %3s %2s %-5s %-9s %6s %10s %10s %10s %12s\n",
	       "scenario", "op", "phase", "size", "pg", "area", "dev", "th",
	       "numa", "load", "count", "p50_ns", "p99_ns", "max_ns",
	       "mean_ns");
	if (preset) {
		if (!strcmp(preset, "quick"))
			plan_quick(&pt);
		else if (!strcmp(preset, "full"))
			plan_full(&pt);
		else
			die("unknown --preset '%s' (quick, full)", preset);
	} else {
		slist = strdup(sizes);
		for (stok = strtok_r(slist, ",", &ssave); stok;
		     stok = strtok_r(NULL, ",", &ssave)) {
			pt.size = parse_size(stok);
			plan_add(want, &pt);
		}
		free(slist);
	}
	for (i = 0; i < nplan; i++)
		failed += run_plan_entry(&plan[i]);

	for (i = 0; i < out.n; i++) {
		struct ir_stats st;
		struct record *r = &out.recs[i];

		if (strcmp(r->scenario, "hwpt_hwpt") ||
		    strcmp(r->phase, "steady"))
			continue;
		ir_stats_compute(r->samples, r->n, &st);
		hot = hot < 0 || st.p50 < hot ? st.p50 : hot;
	}
	/* Calibrate again: what the correction leaves over is the error. */
	measure_overhead(&after);
	residual = after.timed_ns - (double)correction_ns - after.bare_ns;
	printf("overhead: timing a sample costs %llu ns (subtracted); residual %.0f ns",
	       (unsigned long long)correction_ns, residual);
	if (hot > 0)
		printf(" = %.2f%% of the hwpt_hwpt p50 (%.0f ns)",
		       100 * fabs(residual) / hot, hot);
	printf("\n");
	if (json) {
		/* Written whole to a temporary name: never a half document. */
		snprintf(tmp, sizeof(tmp), "%s.tmp", json);
		out.json = fopen(tmp, "w");
		if (!out.json)
			die("cannot write '%s'", tmp);
		write_json(out.json, &before, residual, hot);
		if (fclose(out.json) || rename(tmp, json))
			die("cannot write '%s'", json);
	}
	return failed ? 1 : 0;
}
