// SPDX-License-Identifier: GPL-2.0
/* A real IOMMU driver's blocking step; see include/ir_blockwatch.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir_blockwatch.h"
#include "ir_iommu.h"
#include "ir_tracefs.h"

#define GROUP "ir_block"
/* virtio-iommu's request types (the head of every request). */
#define VIRTIO_IOMMU_T_ATTACH 1
#define VIRTIO_IOMMU_T_DETACH 2
#define VIRTIO_IOMMU_T_MAP 3
/* The valid bit of a CD's first word. */
#define CTXDESC_CD_0_V 1ULL

static struct {
	char instance[64];
	const struct ir_iommu *drv;
	bool learning; /* SMMUv3: its CD's address not yet known */
	bool attached; /* virtio-iommu: this replace's ATTACH was sent */
} watch;

const char *ir_block_step(const char *bdf, const char **why)
{
	char name[64];
	const struct ir_iommu *drv = ir_iommu_of(bdf, name, sizeof(name), why);

	return drv ? drv->block_step : NULL;
}

/* Defines kprobe event @name on @fn fetching @fetch, enabled in ours. */
static int probe_add(const char *name, const char *fn, const char *fetch)
{
	char def[256], rel[160];
	int rc;

	snprintf(def, sizeof(def), "p:" GROUP "/%s %s %s\n", name, fn, fetch);
	rc = ir_tracefs_write("kprobe_events", def, true);
	snprintf(rel, sizeof(rel), "instances/%s/events/" GROUP "/%s/enable",
		 watch.instance, name);
	return rc ?: ir_tracefs_write(rel, "1\n", false);
}

static void probes_remove(void)
{
	ir_tracefs_write("kprobe_events", "-:" GROUP "/block\n", true);
	ir_tracefs_write("kprobe_events", "-:" GROUP "/learn\n", true);
}

int ir_block_watch_start(const char *bdf, const char **why)
{
	const char *fns[2];
	char name[64];
	bool found[2], cd;
	int rc;

	watch.drv = ir_iommu_of(bdf, name, sizeof(name), why);
	if (!watch.drv)
		return -ENOENT;
	if (!ir_tracefs_root()) {
		*why = "no tracefs mounted";
		return -ENOENT;
	}
	cd = watch.drv->block == IR_BLOCK_CD_SYNC;
	fns[0] = watch.drv->block_fn;
	fns[1] = "arm_smmu_write_cd_entry";
	rc = ir_ksym_functions(fns, cd ? 2 : 1, found);
	if (rc || !found[0] || (cd && !found[1])) {
		*why = "the driver's function to watch is not in kallsyms";
		return rc ?: -ENOENT;
	}
	snprintf(watch.instance, sizeof(watch.instance), GROUP "-%d",
		 (int)getpid());
	probes_remove();
	rc = ir_trace_instance_create(watch.instance);
	watch.learning = cd;
	watch.attached = false;
	/* (master, ssid, cdptr, target): the CD of substream 0 is at cdptr. */
	if (!rc && watch.learning)
		rc = probe_add("learn", fns[1], "ssid=$arg2:u32 cd=$arg3:x64");
	else if (!rc)
		rc = probe_add("block", fns[0], watch.drv->block_fetch ?: "");
	if (rc) {
		*why = "cannot arm a kprobe on the driver's function";
		ir_block_watch_stop();
	}
	return rc;
}

/* The value of fetch @arg (" cd=") in trace line @line, or 0. */
static unsigned long long fetched(const char *line, const char *arg)
{
	const char *at = strstr(line, arg);

	return at ? strtoull(at + strlen(arg), NULL, 0) : 0;
}

/* SMMUv3: the CD's address learnt, the sync probe fetches the CD. */
static int learnt(const char *line)
{
	char fetch[64];
	int rc;

	if (!strstr(line, " learn:") || fetched(line, " ssid=") != 0)
		return 0;
	snprintf(fetch, sizeof(fetch), "v=@%#llx:x64", fetched(line, " cd="));
	rc = probe_add("block", watch.drv->block_fn, fetch);
	if (!rc)
		watch.learning = false;
	return rc;
}

/* Whether trace line @line is a blocking step. */
static bool blocks(const char *line)
{
	unsigned long long type;

	if (!strstr(line, " block:"))
		return false;
	switch (watch.drv->block) {
	case IR_BLOCK_CD_SYNC:
		return !(fetched(line, " v=") & CTXDESC_CD_0_V);
	case IR_BLOCK_VIOMMU_REQUESTS:
		type = fetched(line, " t=");
		if (type == VIRTIO_IOMMU_T_ATTACH)
			watch.attached = true;
		return type == VIRTIO_IOMMU_T_DETACH ||
		       (type == VIRTIO_IOMMU_T_MAP && watch.attached);
	default:
		return true;
	}
}

int ir_block_watch_count(void)
{
	char *text, *line, *save;
	int rc, n = 0;

	rc = ir_trace_instance_consume(watch.instance, &text);
	if (rc)
		return rc;
	for (line = strtok_r(text, "\n", &save); line && !rc;
	     line = strtok_r(NULL, "\n", &save)) {
		if (ir_trace_line_pid(line) != getpid())
			continue;
		if (watch.learning)
			rc = learnt(line);
		else
			n += blocks(line);
	}
	free(text);
	/* A count ends one replace's requests for virtio-iommu. */
	watch.attached = false;
	if (!rc && watch.learning)
		rc = -ENOENT;
	return rc ?: n;
}

void ir_block_watch_stop(void)
{
	/* Nothing armed (every test's teardown calls this): nothing to undo. */
	if (!watch.instance[0])
		return;
	ir_trace_instance_remove(watch.instance);
	watch.instance[0] = 0;
	probes_remove();
}
