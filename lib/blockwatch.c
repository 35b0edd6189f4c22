// SPDX-License-Identifier: GPL-2.0
/* A real IOMMU driver's blocking step; see include/ir_blockwatch.h. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir_blockwatch.h"
#include "ir_tracefs.h"
#include "ir_util.h"

#define GROUP "ir_block"

/* IOMMU instances by their sysfs name, and the step that blocks. */
static const struct {
	const char *prefix;
	const char *fn;
} drivers[] = {
	{ "dmar", "device_block_translation" }, /* VT-d */
	{ "ivhd", "detach_device" }, /* AMD-Vi */
};

static char instance[64];

const char *ir_block_fn(const char *bdf, const char **why)
{
	char path[PATH_MAX], name[64];
	size_t i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
	if (ir_link_name(path, name, sizeof(name))) {
		*why = "the device is behind no IOMMU instance in sysfs";
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(drivers); i++)
		if (!strncmp(name, drivers[i].prefix,
			     strlen(drivers[i].prefix)))
			return drivers[i].fn;
	*why = "no blocking step of this IOMMU driver is known here";
	return NULL;
}

int ir_block_watch_start(const char *fn, const char **why)
{
	char def[160], rel[160];
	bool found;
	int rc;

	if (!ir_tracefs_root()) {
		*why = "no tracefs mounted";
		return -ENOENT;
	}
	rc = ir_ksym_functions(&fn, 1, &found);
	if (rc || !found) {
		*why = "the driver's blocking function is not in kallsyms";
		return rc ?: -ENOENT;
	}
	snprintf(instance, sizeof(instance), GROUP "-%d", (int)getpid());
	ir_tracefs_write("kprobe_events", "-:" GROUP "/block\n", true);
	snprintf(def, sizeof(def), "p:" GROUP "/block %s\n", fn);
	rc = ir_tracefs_write("kprobe_events", def, true);
	if (!rc)
		rc = ir_trace_instance_create(instance);
	snprintf(rel, sizeof(rel), "instances/%s/events/" GROUP "/block/enable",
		 instance);
	if (!rc)
		rc = ir_tracefs_write(rel, "1\n", false);
	if (rc) {
		*why = "cannot arm a kprobe on the driver's blocking function";
		ir_block_watch_stop();
	}
	return rc;
}

int ir_block_watch_count(void)
{
	char *text, *line, *save;
	int rc, n = 0;

	rc = ir_trace_instance_consume(instance, &text);
	if (rc)
		return rc;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (ir_trace_line_pid(line) == getpid())
			n++;
	free(text);
	return n;
}

void ir_block_watch_stop(void)
{
	/* Nothing armed (every test's teardown calls this): nothing to undo. */
	if (!instance[0])
		return;
	ir_trace_instance_remove(instance);
	instance[0] = 0;
	ir_tracefs_write("kprobe_events", "-:" GROUP "/block\n", true);
}
