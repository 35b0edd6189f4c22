// SPDX-License-Identifier: GPL-2.0
/*
 * The device-side oracle's log: the driver events of this process, parsed
 * from the trace lines oracle.c feeds it, and the questions asked of them
 * (oracle_internal.h). It knows nothing of tracefs: a recorded trace can
 * be fed to it as well as a live one.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir_oracle.h"
#include "ir_tracefs.h" /* ir_trace_line_pid(): a parser, no tracefs */
#include "oracle_internal.h"

#define PENDING INT_MIN /* an attach whose return was not seen yet */
#define IOMMU_DOMAIN_BLOCKED 0

enum ev_kind { EV_ALLOC, EV_ATTACH, EV_PASID };

struct ev {
	enum ev_kind kind;
	pid_t pid; /* the thread the driver ran for */
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

#define MAX_THREADS 64

static struct {
	struct ev *log;
	unsigned int len, cap;
	struct dev_name *devs;
	unsigned int ndevs;
	pid_t threads[MAX_THREADS]; /* besides this process's main thread */
	unsigned int nthreads;
} l;

int ir_oracle_track_thread(pid_t tid)
{
	if (l.nthreads == MAX_THREADS)
		return -ENOSPC;
	l.threads[l.nthreads++] = tid;
	return 0;
}

/* Whether the task that recorded an event is one of ours. */
static bool ours(pid_t pid)
{
	unsigned int i;

	if (pid == getpid())
		return true;
	for (i = 0; i < l.nthreads; i++) {
		if (l.threads[i] == pid)
			return true;
	}
	return false;
}

void oracle_log_reset(void)
{
	free(l.log);
	free(l.devs);
	memset(&l, 0, sizeof(l));
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
	if (l.len == l.cap) {
		unsigned int cap = l.cap ? l.cap * 2 : 256;
		struct ev *log = realloc(l.log, cap * sizeof(*log));

		if (!log)
			return -ENOMEM;
		l.log = log;
		l.cap = cap;
	}
	l.log[l.len++] = *ev;
	return 0;
}

/*
 * The entry event of thread @pid's @kind call still waiting for its
 * return: threads of a race attach at once, their returns interleave.
 */
static struct ev *pending(enum ev_kind kind, pid_t pid)
{
	unsigned int i;

	for (i = l.len; i-- > 0;) {
		if (l.log[i].kind == kind && l.log[i].pid == pid &&
		    l.log[i].ret == PENDING)
			return &l.log[i];
	}
	return NULL;
}

static int parse_line(const char *line)
{
	pid_t pid = ir_trace_line_pid(line);
	struct ev ev = { .ret = PENDING, .pid = pid };
	unsigned long long v = 0;
	struct ev *call;
	enum ev_kind kind;

	if (strstr(line, "[LOST "))
		return -EOVERFLOW; /* the ring buffer dropped driver events */
	/* Only what the driver did for this process counts. */
	if (!ours(pid))
		return 0;
	if (strstr(line, " attach_ret: ") || strstr(line, " pasid_ret: ")) {
		kind = strstr(line, " attach_ret: ") ? EV_ATTACH : EV_PASID;
		call = pending(kind, pid);
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

int oracle_log_feed(char *text)
{
	char *line, *next;
	int rc = 0;

	for (line = text; !rc && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rc = parse_line(line);
	}
	return rc;
}

unsigned int oracle_log_len(void)
{
	return l.len;
}

static struct ev *named_alloc(__u32 hwpt_id)
{
	unsigned int i;

	for (i = l.len; i-- > 0;) {
		if (l.log[i].kind == EV_ALLOC && l.log[i].name == hwpt_id)
			return &l.log[i];
	}
	return NULL;
}

int oracle_log_name_hwpt(unsigned int since, __u32 hwpt_id)
{
	unsigned int i;

	for (i = l.len; i-- > since;) {
		if (l.log[i].kind == EV_ALLOC) {
			l.log[i].name = hwpt_id;
			return 0;
		}
	}
	return named_alloc(hwpt_id) ? 0 : -ENOENT;
}

int oracle_log_name_dev(unsigned int since, __u32 stdev_id)
{
	struct dev_name *devs;
	unsigned int i;

	for (i = since; i < l.len; i++) {
		if (l.log[i].kind == EV_ATTACH)
			break;
	}
	if (i == l.len)
		return -ENOENT;
	devs = realloc(l.devs, (l.ndevs + 1) * sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	l.devs = devs;
	l.devs[l.ndevs++] = (struct dev_name){
		.stdev_id = stdev_id,
		.dev = l.log[i].dev,
		.born = since,
	};
	return 0;
}

static const struct dev_name *find_dev(__u32 stdev_id)
{
	unsigned int i;

	for (i = l.ndevs; i-- > 0;) {
		if (l.devs[i].stdev_id == stdev_id)
			return &l.devs[i];
	}
	return NULL;
}

/* Our name for the domain of attach event @at. */
static __u32 domain_name(unsigned int at)
{
	const struct ev *call = &l.log[at];
	unsigned int i;

	if (call->type == IOMMU_DOMAIN_BLOCKED)
		return IR_ORACLE_BLOCKED;
	/* Memory is reused: the allocation that counts is the latest one. */
	for (i = at; i-- > 0;) {
		if (l.log[i].kind == EV_ALLOC &&
		    l.log[i].domain == call->domain)
			return l.log[i].name ? l.log[i].name :
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

int oracle_log_attaches(__u32 stdev_id, bool pasid_op, __u32 pasid,
			unsigned int since, struct ir_oracle_attach *out,
			int max)
{
	const struct dev_name *d = find_dev(stdev_id);
	unsigned int i;
	int n = 0;

	if (!d)
		return -ENOENT;
	for (i = since > d->born ? since : d->born; i < l.len; i++) {
		if (!is_call(&l.log[i], d, pasid_op, pasid))
			continue;
		if (n < max) {
			out[n].hwpt_id = domain_name(i);
			out[n].ret = l.log[i].ret;
		}
		n++;
	}
	return n;
}

int oracle_log_current(__u32 stdev_id, bool pasid_op, __u32 pasid,
		       __u32 *hwpt_id)
{
	const struct dev_name *d = find_dev(stdev_id);
	unsigned int i;

	if (!d)
		return -ENOENT;
	*hwpt_id = 0;
	for (i = l.len; i-- > d->born;) {
		if (is_call(&l.log[i], d, pasid_op, pasid) && !l.log[i].ret) {
			*hwpt_id = domain_name(i);
			break;
		}
	}
	return 0;
}
