// SPDX-License-Identifier: GPL-2.0
/* --explain: where one replace spends its time, by function_graph. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "explain.h"
#include "ir_tracefs.h"
#include "ir_util.h"

/* Where the traces go, or NULL: the bench times instead. */
static const char *explain_dir;

static int trace_write(const char *file, const char *val)
{
	return ir_tracefs_write(file, val, false);
}

int explain_start(const char *dir)
{
	/*
	 * The graph of each iommufd ioctl, twelve calls deep, with the name
	 * of the function on its closing brace too (explain.py pairs them).
	 */
	static const char *const setup[][2] = {
		{ "tracing_on", "0" },
		{ "buffer_size_kb", "65536" },
		{ "current_tracer", "function_graph" },
		{ "set_graph_function", "iommufd_fops_ioctl" },
		{ "options/funcgraph-tail", "1" },
		{ "max_graph_depth", "12" },
	};
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(setup); i++) {
		rc = trace_write(setup[i][0], setup[i][1]);
		if (rc) {
			fprintf(stderr,
				"replace_bench: --explain: cannot write %s into tracefs %s: %s\n",
				setup[i][1], setup[i][0], strerror(-rc));
			return rc;
		}
	}
	explain_dir = dir;
	return 0;
}

bool explain_on(void)
{
	return explain_dir;
}

/* Moves what the tracer holds to DIR/<scenario>-<size>-<phase>.trace. */
static int trace_save(const char *scenario, size_t size, const char *phase)
{
	char path[PATH_MAX], buf[65536];
	const char *root = ir_tracefs_root();
	FILE *in, *o;
	size_t n;

	if (!root)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/trace", root);
	in = fopen(path, "r");
	snprintf(path, sizeof(path), "%s/%s-%zu-%s.trace", explain_dir,
		 scenario, size, phase);
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

int explain_one(struct ctx *c, const struct scenario *s, enum phase phase)
{
	struct dev_state *d = &c->devs[0];
	uint64_t ns;
	int rc;

	rc = trace_write("trace", "");
	if (!rc)
		rc = trace_write("tracing_on", "1");
	if (rc)
		return rc;
	rc = phase == PHASE_ONE_TIME ? s->prime(c, d, &ns) : s->step(c, d, &ns);
	trace_write("tracing_on", "0");
	if (rc < 0)
		return rc;
	return trace_save(s->name, c->pt->size, phase_name(phase));
}
