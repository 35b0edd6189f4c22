// SPDX-License-Identifier: GPL-2.0
/*
 * replace_bench: latency distributions of the iommufd replace path and
 * its alternatives, per scenario and per point (mapped memory, areas,
 * devices, threads, NUMA placement, concurrent load). Writes one JSON
 * document (bench/schema/bench.schema.json) and a table on stdout.
 *
 * The parts: scenarios.c (the flows timed), plan.c (the points, presets),
 * point.c (one scenario at one point), report.c (records, table, JSON),
 * overhead.c (what timing costs), explain.c (--explain), load.c and
 * numa_place.c (the dimensions).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "explain.h"
#include "ir_edu.h"
#include "ir_iommu.h"
#include "ir_oracle.h"
#include "ir_probe.h"
#include "ir_util.h"
#include "numa_place.h"
#include "overhead.h"
#include "plan.h"
#include "point.h"
#include "report.h"
#include "scenarios.h"

#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif

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
		bench_die("bad size '%s' (a number with K, M or G)", s);
	}
	if (*end || !v || v % ir_page_size())
		bench_die(
			"bad size '%s' (a positive multiple of the page size)",
			s);
	return v;
}

static unsigned int parse_uint(const char *s, unsigned int min,
			       const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || !*s || *s == '-' || v < min || v > 1u << 20)
		bench_die(what, s);
	return v;
}

/* Runs every wanted scenario at one point: how many failed. */
static int run_plan_entry(const struct plan_entry *e)
{
	const struct scenario *s;
	struct point_result res;
	struct point pt;
	int failed = 0;

	for (s = ir_scenarios; s->name; s++) {
		size_t before = report_count();

		if (!e->want[s - ir_scenarios])
			continue;
		pt = e->pt;
		/* Flows that cost O(mapped memory) each time get fewer rounds. */
		if (s->max_iters && pt.iters > s->max_iters)
			pt.iters = s->max_iters;
		res = point_run(s, &pt);
		if (res.err) {
			/* Only what the kernel lacks is not a failure. */
			fprintf(stderr,
				"replace_bench: %s at %zu bytes: %s%s%s\n",
				s->name, pt.size, strerror(-res.err),
				res.why ?
					(res.kernel_lacks ? ": needs " : ": ") :
					"",
				res.why ? res.why : "");
			report_not_run(s, &pt, res.err, res.why,
				       !res.kernel_lacks);
			failed += !res.kernel_lacks;
			continue;
		}
		report_table_rows(before);
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
		"  -d, --devices N      devices (default 1)\n"
		"      --device KIND    mock: iommufd_test's mock devices (default);\n"
		"                       edu: QEMU's edu devices behind the machine's\n"
		"                       real IOMMU, through VFIO (./run.sh --iommu):\n"
		"                       every record's point names the IOMMU driver\n"
		"  -t, --threads N      replacing threads (default 1)\n"
		"      --mem-node N     place mapped memory on NUMA node N\n"
		"      --cpu-node N     run the replacing threads on node N\n"
		"  -l, --load KIND      none, access_rw or uring (default none)\n"
		"      --thp            back the memory with transparent huge pages\n"
		"                       (devices get huge IOVA pages)\n"
		"  -n, --iters N        timed operations per device (default 500)\n"
		"  -w, --warmup N       untimed operations first (default 20)\n"
		"  -p, --preset NAME    quick or full: a table of points (bench/plan.c);\n"
		"                       with a preset, -s keeps only those scenarios and\n"
		"                       -m -a -d -t -l --thp --mem-node --cpu-node set\n"
		"                       their dimension in every row (-m: each size);\n"
		"                       rows that become the same point run once\n"
		"  -o, --json FILE      write the JSON document here\n"
		"      --explain DIR    trace one first and one steady operation per\n"
		"                       scenario with function_graph (tracefs); save\n"
		"                       the traces in DIR, time nothing\n"
		"      --meta KEY=VAL   add to the document's meta (repeatable)\n"
		"      --clock NAME     monotonic (CLOCK_MONOTONIC, the default) or\n"
		"                       tsc (x86_64: the TSC itself, which under\n"
		"                       QEMU's -icount shift=0 counts instructions)\n"
		"      --list           list the scenarios\n"
		"      --plan           print the points and scenarios it would run\n"
		"scenarios:\n");
	for (s = ir_scenarios; s->name; s++)
		fprintf(f, "  %-18s %s\n", s->name, s->flow);
}

/*
 * --device KIND: the IOMMU the points' devices are behind, "mock" or the
 * real driver of the edu devices (for --device edu), which there must be.
 */
static const char *device_iommu(const char *kind)
{
	char bdf[1][16], instance[64];
	const struct ir_iommu *iommu;
	const char *why;

	if (!strcmp(kind, "mock"))
		return "mock";
	if (strcmp(kind, "edu"))
		bench_die("unknown --device '%s' (mock, edu)", kind);
	if (ir_edu_find(bdf, 1) <= 0)
		bench_die(
			"%s",
			"--device edu: no edu device behind an IOMMU (./run.sh --iommu)");
	/* Its IOMMU may be set up only once a driver binds (arm64's DT). */
	if (ir_edu_bind_vfio(bdf[0], &why))
		bench_die("--device edu: %s", why);
	iommu = ir_iommu_of(bdf[0], instance, sizeof(instance), &why);
	if (!iommu)
		bench_die("--device edu: %s", why);
	return iommu->driver;
}

/* -s LIST into want[]. */
static void parse_scenarios(const char *list, bool *want)
{
	char *l = strdup(list), *tok, *save;
	const struct scenario *s;

	if (!l)
		bench_die("%s", "out of memory");
	for (tok = strtok_r(l, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		s = ir_scenario_find(tok);
		if (!s)
			bench_die("unknown scenario '%s' (see --list)", tok);
		want[s - ir_scenarios] = true;
	}
	free(l);
}

/* -m LIST: the sizes, kept for the life of the program. */
static size_t parse_sizes(const char *list, size_t **sizes)
{
	char *l = strdup(list), *tok, *save;
	size_t n = 0;

	if (!l)
		bench_die("%s", "out of memory");
	*sizes = NULL;
	for (tok = strtok_r(l, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		*sizes = realloc(*sizes, (n + 1) * sizeof(**sizes));
		if (!*sizes)
			bench_die("%s", "out of memory");
		(*sizes)[n++] = parse_size(tok);
	}
	free(l);
	if (!n)
		bench_die("bad --size '%s'", list);
	return n;
}

/* --clock NAME: where every sample is read from (include/ir_stats.h). */
static void parse_clock(const char *name)
{
	if (!strcmp(name, "monotonic"))
		ir_clock_tsc = false;
	else if (strcmp(name, "tsc"))
		bench_die("unknown --clock '%s' (monotonic, tsc)", name);
#ifdef __x86_64__
	else
		ir_clock_tsc = true;
#else
	else
		bench_die("%s", "--clock tsc is for x86_64");
#endif
}

/* What the command line asks for, besides the plan's points. */
struct args {
	struct plan_options po;
	bool want[IR_MAX_SCENARIOS];
	size_t *sizes;
	const char *json, *explain;
	bool print_plan;
};

/* The long options; usage() says what each does. */
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
	{ "clock", required_argument, NULL, 'K' },
	{ "list", no_argument, NULL, 'L' },
	{ "plan", no_argument, NULL, 'P' },
	{ "device", required_argument, NULL, 'D' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

/*
 * A point's dimension from the command line (-a -d -t --mem-node
 * --cpu-node -l --thp --device): true when @c is one, set in @a.
 */
static bool parse_dimension(struct args *a, int c, const char *arg)
{
	struct point *pt = &a->po.pt;

	switch (c) {
	case 'a':
		pt->areas = parse_uint(arg, 1, "bad --areas '%s'");
		a->po.set |= PLAN_AREAS;
		return true;
	case 'd':
		pt->devices = parse_uint(arg, 1, "bad --devices '%s'");
		a->po.set |= PLAN_DEVICES;
		return true;
	case 't':
		pt->threads = parse_uint(arg, 1, "bad --threads '%s'");
		a->po.set |= PLAN_THREADS;
		return true;
	case 'M':
		pt->mem_node = parse_uint(arg, 0, "bad --mem-node '%s'");
		a->po.set |= PLAN_MEM_NODE;
		return true;
	case 'C':
		pt->cpu_node = parse_uint(arg, 0, "bad --cpu-node '%s'");
		a->po.set |= PLAN_CPU_NODE;
		return true;
	case 'l':
		if (strcmp(arg, "none") && strcmp(arg, "access_rw") &&
		    strcmp(arg, "uring"))
			bench_die(
				"unknown --load '%s' (none, access_rw, uring)",
				arg);
		pt->load = arg;
		a->po.set |= PLAN_LOAD;
		return true;
	case 'H':
		pt->thp = true;
		a->po.set |= PLAN_THP;
		return true;
	case 'D':
		pt->iommu = device_iommu(arg);
		return true;
	default:
		return false;
	}
}

/* Parses the command line into @a; exits on bad input, --help or --list. */
static void parse_args(int argc, char **argv, struct args *a)
{
	struct point *pt = &a->po.pt;
	const struct scenario *s;
	int c;

	while ((c = getopt_long(argc, argv, "s:m:a:d:t:l:n:w:o:p:h", opts,
				NULL)) != -1) {
		if (parse_dimension(a, c, optarg))
			continue;
		switch (c) {
		case 's':
			parse_scenarios(optarg, a->want);
			a->po.want = a->want;
			break;
		case 'm':
			a->po.nsizes = parse_sizes(optarg, &a->sizes);
			a->po.sizes = a->sizes;
			break;
		case 'n':
			pt->iters = parse_uint(optarg, 1, "bad --iters '%s'");
			break;
		case 'w':
			pt->warmup = parse_uint(optarg, 0, "bad --warmup '%s'");
			break;
		case 'o':
			a->json = optarg;
			break;
		case 'p':
			a->po.preset = optarg;
			break;
		case 'X':
			a->explain = optarg;
			break;
		case 'E':
			report_meta(optarg);
			break;
		case 'K':
			parse_clock(optarg);
			break;
		case 'P':
			a->print_plan = true;
			break;
		case 'L':
			for (s = ir_scenarios; s->name; s++)
				printf("%s\n", s->name);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		bench_die("unexpected argument '%s'", argv[optind]);
	if ((pt->mem_node >= 0 || pt->cpu_node >= 0) &&
	    (pt->mem_node >= ir_numa_nodes() ||
	     pt->cpu_node >= ir_numa_nodes()))
		bench_die("NUMA node out of range (this system has %s)",
			  ir_numa_nodes() > 1 ? "several nodes" : "one node");
}

int main(int argc, char **argv)
{
	struct args a = { .po = { .pt = { .areas = 1,
					  .devices = 1,
					  .threads = 1,
					  .mem_node = -1,
					  .cpu_node = -1,
					  .load = "none",
					  .iommu = "mock",
					  .iters = 500,
					  .warmup = 20 } } };
	struct point *pt = &a.po.pt;
	struct overhead before, after;
	struct plan_entry *plan;
	size_t nplan, i;
	double residual, hot;
	int failed = 0, fd;
	const char *why;

	parse_args(argc, argv, &a);
	nplan = plan_build(&a.po, &plan);
	if (a.print_plan) {
		plan_print(plan, nplan);
		return 0;
	}
	fd = ir_probe_open(&why);
	if (fd < 0) {
		printf("replace_bench: SKIP: %s\n", why);
		return 4;
	}
	close(fd);
	/* A selftest that died may have left the oracle's probes armed. */
	if (ir_oracle_clear())
		bench_die(
			"%s",
			"kprobe events of the device-side oracle are still in use (tracefs kprobe_events): timings would include them");
	if (a.explain && explain_start(a.explain))
		return 1;
	overhead_measure(&before);
	if (before.timed_ns > before.bare_ns)
		report_set_correction(
			(uint64_t)(before.timed_ns - before.bare_ns));

	if (strcmp(pt->iommu, "mock"))
		printf("devices: QEMU's edu, behind %s, through VFIO\n",
		       pt->iommu);
	report_table_header();
	for (i = 0; i < nplan; i++)
		failed += run_plan_entry(&plan[i]);

	hot = report_hot_p50();
	/* Calibrate again: what the correction leaves over is the error. */
	overhead_measure(&after);
	residual = after.timed_ns - (double)report_correction() - after.bare_ns;
	printf("overhead: timing a sample costs %llu ns (subtracted); residual %.0f ns",
	       (unsigned long long)report_correction(), residual);
	if (hot > 0)
		printf(" = %.2f%% of the hot path's p50 (%.0f ns)",
		       100 * fabs(residual) / hot, hot);
	printf("\n");
	if (a.json)
		report_write_json(a.json, &before, residual, hot);
	/*
	 * The table goes straight to its file (a pipe's reader would wake
	 * up among the samples): a write it refused fails the run here.
	 */
	if (fflush(stdout) || ferror(stdout))
		bench_die("cannot write the table to %s", "standard output");
	return failed ? 1 : 0;
}
