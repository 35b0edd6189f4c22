// SPDX-License-Identifier: GPL-2.0
/* The bench's records and the table and JSON document they are told in. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "ir_util.h"
#include "numa_place.h"
#include "report.h"

#define SCHEMA "iommufd-replace-bench/3"
#define MAX_META 32

/* A scenario that did not run at a point, and why. */
struct not_run {
	const struct scenario *scenario;
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
	const char *meta[MAX_META];
	int nmeta;
	/* What timing one sample adds to it, calibrated before the runs. */
	uint64_t correction_ns;
} rep;

struct record *report_record(const struct scenario *s, const char *op,
			     enum phase phase, const struct point *pt)
{
	struct record *r;
	size_t i;

	for (i = 0; i < rep.n; i++) {
		r = &rep.recs[i];
		if (r->scenario == s && !strcmp(r->op, op) &&
		    r->phase == phase && point_same(&r->pt, pt))
			return r;
	}
	r = realloc(rep.recs, (rep.n + 1) * sizeof(*rep.recs));
	if (!r)
		bench_die("%s", "out of memory");
	rep.recs = r;
	r = &rep.recs[rep.n++];
	*r = (struct record){
		.scenario = s, .op = op, .phase = phase, .pt = *pt
	};
	return r;
}

void report_set_correction(uint64_t ns)
{
	rep.correction_ns = ns;
}

uint64_t report_correction(void)
{
	return rep.correction_ns;
}

size_t report_count(void)
{
	return rep.n;
}

void report_sample(struct record *r, uint64_t ns)
{
	ns = ns > rep.correction_ns ? ns - rep.correction_ns : 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->samples = realloc(r->samples, r->cap * sizeof(*r->samples));
		if (!r->samples)
			bench_die("%s", "out of memory");
	}
	r->samples[r->n++] = ns;
}

/* The record's statistics, computed (and its samples sorted) once. */
static const struct ir_stats *record_done(struct record *r)
{
	if (!r->done) {
		ir_stats_compute(r->samples, r->n, &r->st);
		r->done = true;
	}
	return &r->st;
}

void report_not_run(const struct scenario *s, const struct point *pt, int err,
		    const char *reason, bool fails)
{
	struct not_run *n;

	n = realloc(rep.skipped, (rep.nskipped + 1) * sizeof(*n));
	if (!n)
		bench_die("%s", "out of memory");
	rep.skipped = n;
	/* A copy: a caller may build its reason in a buffer it reuses. */
	reason = strdup(reason ? reason : strerror(-err));
	if (!reason)
		bench_die("%s", "out of memory");
	rep.skipped[rep.nskipped++] = (struct not_run){
		.scenario = s,
		.pt = *pt,
		.err = -err,
		.reason = reason,
		.fails = fails,
	};
}

/*
 * What names the kernel and suite a document was measured on
 * (bench.schema.json, version 3): run.sh gives them with --meta; a
 * replace_bench run by hand (a lab's kselftest run) says "unknown" rather
 * than leave a tracker to guess.
 */
static const char *const identity_keys[] = {
	"kernel_commit", "kernel_describe", "kernel_dirty",
	"kernel_patch_sha256", "kernel_config_sha256", "suite_rev",
};

static bool meta_given(const char *key)
{
	size_t len = strlen(key);
	int m;

	for (m = 0; m < rep.nmeta; m++)
		if (!strncmp(rep.meta[m], key, len) && rep.meta[m][len] == '=')
			return true;
	return false;
}

void report_meta(const char *kv)
{
	if (!strchr(kv, '=') || rep.nmeta == MAX_META)
		bench_die("bad --meta '%s' (KEY=VALUE, 32 at most)", kv);
	rep.meta[rep.nmeta++] = kv;
}

double report_hot_p50(void)
{
	double hot = -1;
	size_t i;

	for (i = 0; i < rep.n; i++) {
		struct record *r = &rep.recs[i];

		if (!(r->scenario->tags & IR_SC_HOT) ||
		    r->phase != PHASE_STEADY)
			continue;
		if (hot < 0 || record_done(r)->p50 < hot)
			hot = r->st.p50;
	}
	return hot;
}

static void json_point(FILE *f, const struct point *pt)
{
	fprintf(f,
		"\"point\": {\"iommu\": \"%s\", \"size\": %zu, \"areas\": %u, "
		"\"devices\": %u, \"threads\": %u, \"mem_node\": %d, "
		"\"cpu_node\": %d, \"load\": \"%s\", \"pages\": \"%s\"}",
		pt->iommu, pt->size, pt->areas, pt->devices, pt->threads,
		pt->mem_node, pt->cpu_node, pt->load,
		pt->thp ? "thp" : "small");
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
	fprintf(f, "    \"clocksource\": \"%s\",\n", clocksource());
	fprintf(f, "    \"clock\": \"%s\"", ir_clock_tsc ? "tsc" : "monotonic");
	for (m = 0; m < rep.nmeta; m++) {
		const char *eq = strchr(rep.meta[m], '=');

		fprintf(f, ",\n    \"%.*s\": ", (int)(eq - rep.meta[m]),
			rep.meta[m]);
		json_string(f, eq + 1);
	}
	for (i = 0; i < ARRAY_SIZE(identity_keys); i++)
		if (!meta_given(identity_keys[i]))
			fprintf(f, ",\n    \"%s\": \"unknown\"", identity_keys[i]);
	fprintf(f,
		"\n  },\n  \"overhead\": {\"timer_ns\": %.1f, "
		"\"bare_ioctl_ns\": %.1f, \"timed_ioctl_p50_ns\": %.1f, "
		"\"correction_ns\": %llu, \"residual_ns\": %.1f, "
		"\"hot_p50_ns\": %.1f, \"residual_fraction_of_hot_p50\": %.5f},\n",
		o->timer_ns, o->bare_ns, o->timed_ns,
		(unsigned long long)rep.correction_ns, residual, hot_p50,
		hot_p50 > 0 ? fabs(residual) / hot_p50 : -1);
	fprintf(f, "  \"scenarios\": {");
	for (s = ir_scenarios; s->name; s++)
		fprintf(f, "%s\n    \"%s\": \"%s\"",
			s == ir_scenarios ? "" : ",", s->name, s->flow);
	fprintf(f, "\n  },\n  \"records\": [");
	for (i = 0; i < rep.n; i++) {
		struct record *r = &rep.recs[i];
		const struct ir_stats *st = record_done(r);

		fprintf(f,
			"%s\n    {\"scenario\": \"%s\", \"op\": \"%s\", "
			"\"phase\": \"%s\", \"load_ops\": %lu, ",
			i ? "," : "", r->scenario->name, r->op,
			phase_name(r->phase), r->load_ops);
		json_point(f, &r->pt);
		fprintf(f,
			",\n     \"stats\": {\"count\": %zu, \"min\": %.0f, "
			"\"p50\": %.0f, \"p90\": %.0f, \"p99\": %.0f, "
			"\"p999\": %.0f, \"max\": %.0f, \"mean\": %.1f, "
			"\"stddev\": %.1f},\n     \"samples_ns\": [",
			st->count, st->min, st->p50, st->p90, st->p99, st->p999,
			st->max, st->mean, st->stddev);
		/* Sorted: a compare needs the distribution, not the order. */
		for (j = 0; j < r->n; j++)
			fprintf(f, "%s%llu", j ? "," : "",
				(unsigned long long)r->samples[j]);
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ],\n  \"not_run\": [");
	for (i = 0; i < rep.nskipped; i++) {
		const struct not_run *n = &rep.skipped[i];

		fprintf(f, "%s\n    {\"scenario\": \"%s\", ", i ? "," : "",
			n->scenario->name);
		json_point(f, &n->pt);
		fprintf(f, ", \"errno\": %d, \"reason\": ", n->err);
		json_string(f, n->reason);
		fprintf(f, ", \"fails\": %s}", n->fails ? "true" : "false");
	}
	fprintf(f, "%s]\n}\n", rep.nskipped ? "\n  " : "");
}

static void print_row(struct record *r)
{
	const struct ir_stats *st = record_done(r);
	char size[32], numa[16], page[24];

	snprintf(page, sizeof(page), "%zuK", ir_page_size() >> 10);
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
	       r->scenario->name, r->op, phase_name(r->phase), size,
	       r->pt.thp ? "thp" : page, r->pt.areas, r->pt.devices,
	       r->pt.threads, numa, r->pt.load, st->count, st->p50, st->p99,
	       st->max, st->mean);
}

void report_table_header(void)
{
	printf("%-18s %-22s %-8s %5s %-3s %4s %3s %2s %-5s %-9s %6s %10s %10s %10s %12s\n",
	       "scenario", "op", "phase", "size", "pg", "area", "dev", "th",
	       "numa", "load", "count", "p50_ns", "p99_ns", "max_ns",
	       "mean_ns");
}

void report_table_rows(size_t first)
{
	for (; first < rep.n; first++)
		print_row(&rep.recs[first]);
	fflush(stdout);
}

void report_write_json(const char *path, const struct overhead *o,
		       double residual, double hot_p50)
{
	char tmp[4096];
	FILE *f;

	/* Written whole to a temporary name: never a half document. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		bench_die("cannot write '%s'", tmp);
	write_json(f, o, residual, hot_p50);
	if (fclose(f) || rename(tmp, path))
		bench_die("cannot write '%s'", path);
}
