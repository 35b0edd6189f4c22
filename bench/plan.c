// SPDX-License-Identifier: GPL-2.0
/* The presets, as tables, and how options apply to them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "ir_util.h"
#include "numa_place.h"
#include "plan.h"

/* One row of a preset: the scenarios with any of @tags, at one point. */
struct row {
	unsigned int tags;
	size_t size;
	unsigned int areas, devices, threads; /* 0: 1 */
	const char *load; /* NULL: none */
	bool thp;
	bool numa; /* placed on mem_node and cpu_node; else not bound */
	int mem_node, cpu_node;
};

/* Every scenario at 1 MiB and 64 MiB, then the hot path along the rest. */
static const struct row quick[] = {
	{ IR_SC_ALL, 1 * MiB },
	{ IR_SC_ALL, 64 * MiB },
	{ IR_SC_HOT, 64 * MiB, .areas = 64 },
	/* THP against small pages at one size: 16 MiB says it, and is quick. */
	{ IR_SC_HOT | IR_SC_DOMAIN, 16 * MiB, .thp = true },
	{ IR_SC_DOMAIN, 16 * MiB },
	{ IR_SC_HOT | IR_SC_UNIT, 1 * MiB, .devices = 8 },
	{ IR_SC_HOT, 1 * MiB, .devices = 2, .threads = 2 },
	{ IR_SC_HOT, 1 * MiB, .load = "access_rw" },
	{ IR_SC_HOT, 1 * MiB, .load = "uring" },
	{ IR_SC_HOT, 1 * MiB, .numa = true, .mem_node = 1, .cpu_node = 0 },
	{ IR_SC_HOT, 1 * MiB, .numa = true, .mem_node = 0, .cpu_node = 0 },
};

#define HOT_DOMAIN (IR_SC_HOT | IR_SC_DOMAIN)
/* The full sweep; its run time is in bench/README.md. */
static const struct row full[] = {
	{ IR_SC_ALL, 0 }, /* one page of the running kernel */
	/* 64 areas from 64 pages up, THP from its own size up. */
	{ IR_SC_ALL, 1 * MiB },
	{ HOT_DOMAIN, 1 * MiB, .areas = 64 },
	{ IR_SC_ALL, 16 * MiB },
	{ HOT_DOMAIN, 16 * MiB, .areas = 64 },
	{ HOT_DOMAIN, 16 * MiB, .thp = true },
	{ IR_SC_ALL, 256 * MiB },
	{ HOT_DOMAIN, 256 * MiB, .areas = 64 },
	{ HOT_DOMAIN, 256 * MiB, .thp = true },
	{ IR_SC_ALL, 1024 * MiB },
	{ HOT_DOMAIN, 1024 * MiB, .areas = 64 },
	{ HOT_DOMAIN, 1024 * MiB, .thp = true },
	{ IR_SC_HOT | IR_SC_NESTED | IR_SC_UNIT, 16 * MiB, .devices = 1 },
	{ IR_SC_HOT | IR_SC_NESTED | IR_SC_UNIT, 16 * MiB, .devices = 4 },
	{ IR_SC_HOT | IR_SC_NESTED | IR_SC_UNIT, 16 * MiB, .devices = 16 },
	{ IR_SC_HOT | IR_SC_NESTED | IR_SC_UNIT, 16 * MiB, .devices = 64 },
	{ IR_SC_HOT | IR_SC_UNIT, 16 * MiB, .devices = 2, .threads = 2 },
	{ HOT_DOMAIN, 16 * MiB, .load = "access_rw" },
	{ HOT_DOMAIN, 16 * MiB, .load = "uring" },
	{ HOT_DOMAIN, 16 * MiB, .numa = true, .mem_node = 0, .cpu_node = 0 },
	{ HOT_DOMAIN, 16 * MiB, .numa = true, .mem_node = 0, .cpu_node = 1 },
	{ HOT_DOMAIN, 16 * MiB, .numa = true, .mem_node = 1, .cpu_node = 0 },
	{ HOT_DOMAIN, 16 * MiB, .numa = true, .mem_node = 1, .cpu_node = 1 },
};

/* Without a preset: every scenario the options ask for, at each size. */
static const struct row single[] = {
	{ IR_SC_ALL, 1 * MiB },
};

static const struct {
	const char *name;
	const struct row *rows;
	size_t n;
} presets[] = {
	{ "quick", quick, ARRAY_SIZE(quick) },
	{ "full", full, ARRAY_SIZE(full) },
};

/* The point of @r, with whatever the user set in @o on top. */
static struct point row_point(const struct row *r, const struct plan_options *o)
{
	struct point pt = o->pt;

	pt.size = r->size ?: ir_page_size();
	pt.areas = o->set & PLAN_AREAS ? o->pt.areas : r->areas ?: 1;
	pt.devices = o->set & PLAN_DEVICES ? o->pt.devices : r->devices ?: 1;
	pt.threads = o->set & PLAN_THREADS ? o->pt.threads : r->threads ?: 1;
	pt.load = o->set & PLAN_LOAD ? o->pt.load : r->load ?: "none";
	pt.thp = o->set & PLAN_THP ? o->pt.thp : r->thp;
	pt.mem_node = r->numa ? r->mem_node : -1;
	pt.cpu_node = r->numa ? r->cpu_node : -1;
	if (o->set & PLAN_MEM_NODE)
		pt.mem_node = o->pt.mem_node;
	if (o->set & PLAN_CPU_NODE)
		pt.cpu_node = o->pt.cpu_node;
	/* Each thread replaces its own devices: as many each. */
	if (pt.devices < pt.threads)
		pt.devices = pt.threads;
	pt.devices -= pt.devices % pt.threads;
	return pt;
}

/* Adds @e, or merges it into an entry at the same point. */
static void add(struct plan_entry **v, size_t *n, const struct plan_entry *e)
{
	size_t i, k;

	for (i = 0; i < *n; i++) {
		if (!point_same(&(*v)[i].pt, &e->pt))
			continue;
		for (k = 0; k < IR_MAX_SCENARIOS; k++)
			(*v)[i].want[k] |= e->want[k];
		return;
	}
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	if (!*v)
		bench_die("%s", "out of memory");
	(*v)[(*n)++] = *e;
}

size_t plan_build(const struct plan_options *o, struct plan_entry **entries)
{
	const struct row *rows = single;
	size_t nrows = ARRAY_SIZE(single), n = 0, i, z;
	const struct scenario *s;
	struct plan_entry e;
	bool any;

	if (o->preset) {
		for (i = 0; i < ARRAY_SIZE(presets); i++)
			if (!strcmp(o->preset, presets[i].name))
				break;
		if (i == ARRAY_SIZE(presets))
			bench_die("unknown --preset '%s' (quick, full)",
				  o->preset);
		rows = presets[i].rows;
		nrows = presets[i].n;
	}
	*entries = NULL;
	for (i = 0; i < nrows; i++) {
		struct row r = rows[i];

		memset(&e, 0, sizeof(e));
		any = false;
		for (s = ir_scenarios; s->name; s++) {
			size_t k = s - ir_scenarios;

			e.want[k] =
				(r.tags == IR_SC_ALL || (s->tags & r.tags)) &&
				(!o->want || o->want[k]);
			any |= e.want[k];
		}
		/* A row for nodes this machine lacks: left out. */
		if (!any || (r.numa && (r.mem_node >= ir_numa_nodes() ||
					r.cpu_node >= ir_numa_nodes())))
			continue;
		for (z = 0; z < (o->sizes ? o->nsizes : 1); z++) {
			if (o->sizes)
				r.size = o->sizes[z];
			e.pt = row_point(&r, o);
			/*
			 * Options that do not fit the kernel's pages are bad
			 * input; a preset's row that does not is a point this
			 * kernel cannot run, and point_run says so.
			 */
			if ((o->set & PLAN_AREAS || o->sizes) &&
			    e.pt.size / e.pt.areas % ir_page_size())
				bench_die(
					"%s",
					"--areas must split --size into whole pages");
			add(entries, &n, &e);
		}
	}
	return n;
}

void plan_print(const struct plan_entry *entries, size_t n)
{
	const struct scenario *s;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct point *pt = &entries[i].pt;

		printf("%zuK a%u d%u t%u %s %s m%dc%d:", pt->size >> 10,
		       pt->areas, pt->devices, pt->threads, pt->load,
		       pt->thp ? "thp" : "small", pt->mem_node, pt->cpu_node);
		for (s = ir_scenarios; s->name; s++)
			if (entries[i].want[s - ir_scenarios])
				printf(" %s", s->name);
		printf("\n");
	}
}
