// SPDX-License-Identifier: GPL-2.0
/* The device-side oracle; see include/ir_oracle.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir_oracle.h"
#include "ir_tracefs.h"
#include "ir_util.h"

#define GROUP "iommufd_replace"
#define INSTANCE_PREFIX "iommufd_replace_"
#define PENDING INT_MIN /* an attach whose return was not seen yet */

/* struct iommu_domain begins with its type in every tree we know. */
#define DOMAIN_TYPE "type=+0($arg1):u32"
#define IOMMU_DOMAIN_BLOCKED 0

/*
 * The mock's domain-allocation ops, across trees; each one the running
 * kernel has gets a return probe. Nested and paging alike.
 */
static const char *const alloc_ops[] = {
	"mock_domain_alloc_user", /* 6.12 */
	"mock_domain_alloc_paging",
	"mock_domain_alloc_paging_flags", /* 6.13 on */
	"mock_domain_alloc_nested",
	"mock_viommu_alloc_domain_nested",
};

enum ev_kind { EV_ALLOC, EV_ATTACH, EV_PASID };

struct ev {
	enum ev_kind kind;
	unsigned long long domain, dev;
	unsigned int type, pasid;
	int ret;
	__u32 name; /* EV_ALLOC: the HWPT id it was named, 0 if none */
};

struct dev_name {
	__u32 stdev_id;
	unsigned long long dev;
	unsigned int born; /* its events start here */
};

static struct {
	bool started;
	const char *off; /* why the oracle does not run, or NULL */
	char instance[64];
	struct ev *log;
	unsigned int len, cap;
	struct dev_name *devs;
	unsigned int ndevs;
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

static int define_probes(void)
{
	char def[256];
	bool any_alloc = false;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < ARRAY_SIZE(rid_probes); i++)
		rc = define(rid_probes[i]);
	/* set_dev_pasid: trees after 6.12 only. */
	if (ir_ksym_is_function("mock_domain_set_dev_pasid_nop")) {
		for (i = 0; !rc && i < ARRAY_SIZE(pasid_probes); i++)
			rc = define(pasid_probes[i]);
	}
	for (i = 0; !rc && i < ARRAY_SIZE(alloc_ops); i++) {
		if (!ir_ksym_is_function(alloc_ops[i]))
			continue;
		snprintf(def, sizeof(def),
			 "r:" GROUP "/alloc%zu %s domain=$retval:x64", i,
			 alloc_ops[i]);
		rc = define(def);
		any_alloc = true;
	}
	if (!rc && !any_alloc)
		return -ENOENT;
	return rc;
}

/* Removes our probes unless another process's instance still uses them. */
static void remove_probes(void)
{
	static const char *const events[] = { "attach", "attach_ret", "pasid",
					      "pasid_ret" };
	char def[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(def, sizeof(def), "-:" GROUP "/%s\n", events[i]);
		ir_tracefs_write("kprobe_events", def, true);
	}
	for (i = 0; i < ARRAY_SIZE(alloc_ops); i++) {
		snprintf(def, sizeof(def), "-:" GROUP "/alloc%zu\n", i);
		ir_tracefs_write("kprobe_events", def, true);
	}
}

static const char *off_because(const char *what, int rc)
{
	snprintf(o.reason, sizeof(o.reason), "%s: %s", what, strerror(-rc));
	return o.reason;
}

int ir_oracle_start(const char **why)
{
	char rel[128];
	int rc;

	if (o.started) {
		*why = o.off;
		return o.off ? -ENODEV : 0;
	}
	o.started = true;
	if (!ir_tracefs_root()) {
		o.off = "no tracefs mounted (/sys/kernel/tracing)";
		goto off;
	}
	if (access("/proc/kallsyms", R_OK) ||
	    !ir_ksym_is_function("mock_domain_nop_attach")) {
		o.off = "the mock driver's attach op is not in /proc/kallsyms";
		goto off;
	}
	ir_trace_instance_reap(INSTANCE_PREFIX);
	/* What a crashed run left; probes another instance uses stay (EBUSY). */
	remove_probes();
	rc = define_probes();
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
	if (o.instance[0]) {
		ir_trace_instance_remove(o.instance);
		remove_probes();
		o.instance[0] = '\0';
	}
	o.started = false;
	o.off = "device-side oracle not started";
	free(o.log);
	free(o.devs);
	o.log = NULL;
	o.devs = NULL;
	o.len = o.cap = o.ndevs = 0;
}

const char *ir_oracle_off(void)
{
	return o.off;
}

static int arg(const char *line, const char *key, unsigned long long *val)
{
	const char *p = strstr(line, key);
	char *end;

	if (!p)
		return -EINVAL;
	p += strlen(key);
	*val = strtoull(p, &end, 0);
	return end == p ? -EINVAL : 0;
}

static int push(const struct ev *ev)
{
	if (o.len == o.cap) {
		unsigned int cap = o.cap ? o.cap * 2 : 256;
		struct ev *log = realloc(o.log, cap * sizeof(*log));

		if (!log)
			return -ENOMEM;
		o.log = log;
		o.cap = cap;
	}
	o.log[o.len++] = *ev;
	return 0;
}

/* The entry event of the last @kind call still waiting for its return. */
static struct ev *pending(enum ev_kind kind)
{
	unsigned int i;

	for (i = o.len; i-- > 0;) {
		if (o.log[i].kind == kind && o.log[i].ret == PENDING)
			return &o.log[i];
	}
	return NULL;
}

static int parse_line(const char *line)
{
	unsigned long long v = 0;
	struct ev ev = { .ret = PENDING };
	struct ev *call;
	enum ev_kind kind;

	if (strstr(line, "[LOST "))
		return -EOVERFLOW; /* the ring buffer dropped driver events */
	/* Only what the driver did for this process counts. */
	if (ir_trace_line_pid(line) != getpid())
		return 0;
	if (strstr(line, " attach_ret: ") || strstr(line, " pasid_ret: ")) {
		kind = strstr(line, " attach_ret: ") ? EV_ATTACH : EV_PASID;
		call = pending(kind);
		if (!call || arg(line, " ret=", &v))
			return -EPROTO;
		call->ret = (int)v;
		return 0;
	}
	if (strstr(line, " attach: ") || strstr(line, " pasid: ")) {
		ev.kind = strstr(line, " attach: ") ? EV_ATTACH : EV_PASID;
		if (arg(line, " domain=", &ev.domain) ||
		    arg(line, " dev=", &ev.dev) || arg(line, " type=", &v))
			return -EPROTO;
		ev.type = v;
		if (ev.kind == EV_PASID) {
			if (arg(line, " pasid=", &v))
				return -EPROTO;
			ev.pasid = v;
		}
		return push(&ev);
	}
	if (strstr(line, ": alloc")) {
		if (arg(line, " domain=", &ev.domain))
			return -EPROTO;
		/* NULL and ERR_PTR() are failed allocations. */
		if (!ev.domain || ev.domain >= -4095ULL)
			return 0;
		ev.kind = EV_ALLOC;
		ev.ret = 0;
		return push(&ev);
	}
	return 0;
}

/* Appends what the driver did since the last sync to the log. */
static int sync_log(void)
{
	char *text = NULL, *line, *next;
	int rc;

	if (o.off)
		return 0;
	rc = ir_trace_instance_consume(o.instance, &text);
	for (line = text; !rc && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rc = parse_line(line);
	}
	free(text);
	if (rc)
		o.off = off_because("reading the driver's events failed", rc);
	return rc;
}

unsigned int ir_oracle_point(void)
{
	sync_log();
	return o.len;
}

static struct ev *named_alloc(__u32 hwpt_id)
{
	unsigned int i;

	for (i = o.len; i-- > 0;) {
		if (o.log[i].kind == EV_ALLOC && o.log[i].name == hwpt_id)
			return &o.log[i];
	}
	return NULL;
}

int ir_oracle_name_hwpt(unsigned int since, __u32 hwpt_id)
{
	unsigned int i;
	int rc = sync_log();

	if (rc || o.off)
		return rc;
	for (i = o.len; i-- > since;) {
		if (o.log[i].kind == EV_ALLOC) {
			o.log[i].name = hwpt_id;
			return 0;
		}
	}
	return named_alloc(hwpt_id) ? 0 : -ENOENT;
}

int ir_oracle_name_dev(unsigned int since, __u32 stdev_id)
{
	struct dev_name *devs;
	unsigned int i;
	int rc = sync_log();

	if (rc || o.off)
		return rc;
	for (i = since; i < o.len; i++) {
		if (o.log[i].kind == EV_ATTACH)
			break;
	}
	if (i == o.len)
		return -ENOENT;
	devs = realloc(o.devs, (o.ndevs + 1) * sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	o.devs = devs;
	o.devs[o.ndevs++] = (struct dev_name){
		.stdev_id = stdev_id,
		.dev = o.log[i].dev,
		.born = since,
	};
	return 0;
}

static const struct dev_name *find_dev(__u32 stdev_id)
{
	unsigned int i;

	for (i = o.ndevs; i-- > 0;) {
		if (o.devs[i].stdev_id == stdev_id)
			return &o.devs[i];
	}
	return NULL;
}

/* Our name for the domain of attach event @at. */
static __u32 domain_name(unsigned int at)
{
	const struct ev *call = &o.log[at];
	unsigned int i;

	if (call->type == IOMMU_DOMAIN_BLOCKED)
		return IR_ORACLE_BLOCKED;
	/* Memory is reused: the allocation that counts is the latest one. */
	for (i = at; i-- > 0;) {
		if (o.log[i].kind == EV_ALLOC &&
		    o.log[i].domain == call->domain)
			return o.log[i].name ? o.log[i].name :
					       IR_ORACLE_UNNAMED;
	}
	return IR_ORACLE_UNNAMED;
}

static bool is_call(const struct ev *ev, const struct dev_name *d,
		    bool pasid_op, __u32 pasid)
{
	if (ev->dev != d->dev)
		return false;
	if (pasid_op)
		return ev->kind == EV_PASID && ev->pasid == pasid;
	return ev->kind == EV_ATTACH;
}

int ir_oracle_attaches(__u32 stdev_id, bool pasid_op, __u32 pasid,
		       unsigned int since, struct ir_oracle_attach *out,
		       int max)
{
	const struct dev_name *d;
	unsigned int i;
	int n = 0;
	int rc = sync_log();

	if (rc)
		return rc;
	if (o.off)
		return -ENODEV;
	d = find_dev(stdev_id);
	if (!d)
		return -ENOENT;
	for (i = since > d->born ? since : d->born; i < o.len; i++) {
		if (!is_call(&o.log[i], d, pasid_op, pasid))
			continue;
		if (n < max) {
			out[n].hwpt_id = domain_name(i);
			out[n].ret = o.log[i].ret;
		}
		n++;
	}
	return n;
}

int ir_oracle_current(__u32 stdev_id, bool pasid_op, __u32 pasid,
		      __u32 *hwpt_id)
{
	const struct dev_name *d;
	unsigned int i;
	int rc = sync_log();

	if (rc)
		return rc;
	if (o.off)
		return -ENODEV;
	d = find_dev(stdev_id);
	if (!d)
		return -ENOENT;
	*hwpt_id = 0;
	for (i = o.len; i-- > d->born;) {
		if (is_call(&o.log[i], d, pasid_op, pasid) && !o.log[i].ret) {
			*hwpt_id = domain_name(i);
			break;
		}
	}
	return 0;
}
