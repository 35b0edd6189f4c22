// SPDX-License-Identifier: GPL-2.0
/*
 * The device-side oracle: its kprobe events and trace instance, set up and
 * torn down, and what they recorded fed to its log (oracle_log.c), which
 * answers the questions. See include/ir_oracle.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir_oracle.h"
#include "ir_tracefs.h"
#include "ir_util.h"
#include "oracle_internal.h"

#define GROUP "iommufd_replace"
#define INSTANCE_PREFIX "iommufd_replace_"

/* struct iommu_domain begins with its type in every tree we know. */
#define DOMAIN_TYPE "type=+0($arg1):u32"

/*
 * The mock's ops the probes go on, across trees: its attach op, its PASID
 * attach op (trees after 6.12), and its domain-allocation ops, nested and
 * paging alike, each of which the running kernel has getting a return
 * probe.
 */
enum { OP_ATTACH, OP_PASID, OP_ALLOC, NOPS = OP_ALLOC + 5 };

static const char *const ops[NOPS] = {
	[OP_ATTACH] = "mock_domain_nop_attach",
	[OP_PASID] = "mock_domain_set_dev_pasid_nop",
	"mock_domain_alloc_user", /* 6.12 */
	"mock_domain_alloc_paging",
	"mock_domain_alloc_paging_flags", /* 6.13 on */
	"mock_domain_alloc_nested",
	"mock_viommu_alloc_domain_nested",
};

static struct {
	bool started;
	pid_t owner; /* the process that set the probes and instance up */
	const char *off; /* why the oracle does not run, or NULL */
	char instance[64];
	char reason[160];
} o = { .off = "device-side oracle not started" };

/* The attach ops: domain, device (and PASID), domain type, result. */
static const char *const rid_probes[] = {
	"p:" GROUP
	"/attach mock_domain_nop_attach domain=$arg1:x64 dev=$arg2:x64 " DOMAIN_TYPE,
	"r:" GROUP "/attach_ret mock_domain_nop_attach ret=$retval:s32",
};

static const char *const pasid_probes[] = {
	"p:" GROUP
	"/pasid mock_domain_set_dev_pasid_nop domain=$arg1:x64 dev=$arg2:x64 pasid=$arg3:u32 " DOMAIN_TYPE,
	"r:" GROUP "/pasid_ret mock_domain_set_dev_pasid_nop ret=$retval:s32",
};

static int define(const char *def)
{
	char line[256];

	if ((size_t)snprintf(line, sizeof(line), "%s\n", def) >= sizeof(line))
		return -ENAMETOOLONG;
	return ir_tracefs_write("kprobe_events", line, true);
}

/* Defines the probes on the ops in @have, which the kernel has. */
static int define_probes(const bool *have)
{
	char def[256];
	bool any_alloc = false;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < ARRAY_SIZE(rid_probes); i++)
		rc = define(rid_probes[i]);
	for (i = 0; !rc && have[OP_PASID] && i < ARRAY_SIZE(pasid_probes); i++)
		rc = define(pasid_probes[i]);
	for (i = OP_ALLOC; !rc && i < NOPS; i++) {
		if (!have[i])
			continue;
		snprintf(def, sizeof(def),
			 "r:" GROUP "/alloc%zu %s domain=$retval:x64",
			 i - OP_ALLOC, ops[i]);
		rc = define(def);
		any_alloc = true;
	}
	if (!rc && !any_alloc)
		return -ENOENT;
	return rc;
}

/*
 * Removes the events @probes define, unless another process's instance
 * still uses one.
 */
static void remove_defined(const char *const *probes, size_t n)
{
	char def[64];
	size_t i;

	/* "p:GROUP/event args": the event is between "p:" and the space. */
	for (i = 0; i < n; i++) {
		snprintf(def, sizeof(def), "-:%.*s\n",
			 (int)strcspn(probes[i] + 2, " "), probes[i] + 2);
		ir_tracefs_write("kprobe_events", def, true);
	}
}

/* Removes our probes unless another process's instance still uses them. */
static void remove_probes(void)
{
	char def[64];
	size_t i;

	remove_defined(rid_probes, ARRAY_SIZE(rid_probes));
	remove_defined(pasid_probes, ARRAY_SIZE(pasid_probes));
	for (i = OP_ALLOC; i < NOPS; i++) {
		snprintf(def, sizeof(def), "-:" GROUP "/alloc%zu\n",
			 i - OP_ALLOC);
		ir_tracefs_write("kprobe_events", def, true);
	}
}

int ir_oracle_clear(void)
{
	char path[PATH_MAX];
	const char *root = ir_tracefs_root();

	if (!root)
		return 0;
	ir_trace_instance_reap(INSTANCE_PREFIX);
	remove_probes();
	snprintf(path, sizeof(path), "%s/events/" GROUP, root);
	return access(path, F_OK) ? 0 : -EBUSY;
}

static const char *off_because(const char *what, int rc)
{
	snprintf(o.reason, sizeof(o.reason), "%s: %s", what, strerror(-rc));
	return o.reason;
}

int ir_oracle_start(const char **why)
{
	bool have[NOPS];
	char rel[128];
	int rc;

	if (o.started) {
		/* A test's own log: what the driver did before it is gone. */
		oracle_log_reset();
		if (!o.off) {
			rc = ir_trace_instance_clear(o.instance);
			if (rc)
				o.off = off_because(
					"cannot empty the trace instance", rc);
		}
		*why = o.off;
		return o.off ? -ENODEV : 0;
	}
	o.started = true;
	o.owner = getpid();
	if (!ir_tracefs_root()) {
		o.off = "no tracefs mounted (/sys/kernel/tracing)";
		goto off;
	}
	if (ir_ksym_functions(ops, NOPS, have) || !have[OP_ATTACH]) {
		o.off = "the mock driver's attach op is not in /proc/kallsyms";
		goto off;
	}
	ir_trace_instance_reap(INSTANCE_PREFIX);
	/* What a crashed run left; probes another instance uses stay (EBUSY). */
	remove_probes();
	rc = define_probes(have);
	if (rc && rc != -EEXIST && rc != -EBUSY) {
		o.off = rc == -ENOENT ?
				"no mock domain-allocation op in /proc/kallsyms" :
				off_because(
					"cannot define kprobe events (CONFIG_KPROBE_EVENTS?)",
					rc);
		goto off;
	}
	snprintf(o.instance, sizeof(o.instance), INSTANCE_PREFIX "%d",
		 getpid());
	rc = ir_trace_instance_create(o.instance);
	if (rc) {
		o.instance[0] = '\0';
		o.off = off_because("cannot create a trace instance", rc);
		goto off;
	}
	snprintf(rel, sizeof(rel), "instances/%s/events/" GROUP "/enable",
		 o.instance);
	rc = ir_tracefs_write(rel, "1\n", false);
	if (rc) {
		o.off = off_because("cannot enable the kprobe events", rc);
		goto off;
	}
	o.off = NULL;
	*why = NULL;
	return 0;
off:
	*why = o.off;
	return -ENODEV;
}

void ir_oracle_stop(void)
{
	oracle_log_reset();
	if (o.owner != getpid())
		return;
	if (o.instance[0]) {
		ir_trace_instance_remove(o.instance);
		remove_probes();
		o.instance[0] = '\0';
	}
	o.started = false;
	o.off = "device-side oracle not started";
}

const char *ir_oracle_off(void)
{
	return o.off;
}

/*
 * What the driver did since the last sync into the log; on an error the
 * oracle stops answering. 0 (nothing to do when it is off) or -errno.
 */
static int sync_log(void)
{
	char *text = NULL;
	int rc;

	if (o.off)
		return 0;
	rc = ir_trace_instance_consume(o.instance, &text);
	if (!rc)
		rc = oracle_log_feed(text);
	free(text);
	if (rc)
		o.off = off_because("reading the driver's events failed", rc);
	return rc;
}

unsigned int ir_oracle_point(void)
{
	sync_log();
	return oracle_log_len();
}

int ir_oracle_name_hwpt(unsigned int since, __u32 hwpt_id)
{
	int rc = sync_log();

	return rc || o.off ? rc : oracle_log_name_hwpt(since, hwpt_id);
}

int ir_oracle_name_dev(unsigned int since, __u32 stdev_id)
{
	int rc = sync_log();

	return rc || o.off ? rc : oracle_log_name_dev(since, stdev_id);
}

int ir_oracle_attaches(__u32 stdev_id, bool pasid_op, __u32 pasid,
		       unsigned int since, struct ir_oracle_attach *out,
		       int max)
{
	int rc = sync_log();

	if (rc)
		return rc;
	if (o.off)
		return -ENODEV;
	return oracle_log_attaches(stdev_id, pasid_op, pasid, since, out, max);
}

int ir_oracle_current(__u32 stdev_id, bool pasid_op, __u32 pasid,
		      __u32 *hwpt_id)
{
	int rc = sync_log();

	if (rc)
		return rc;
	if (o.off)
		return -ENODEV;
	return oracle_log_current(stdev_id, pasid_op, pasid, hwpt_id);
}
