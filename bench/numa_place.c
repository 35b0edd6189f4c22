// SPDX-License-Identifier: GPL-2.0
/* NUMA placement; see numa_place.h. */
#include <errno.h>
#include <numa.h>

#include "numa_place.h"

int ir_numa_nodes(void)
{
	return numa_available() < 0 ? 1 : numa_num_configured_nodes();
}

int ir_numa_bind_memory(void *buf, size_t length, int node)
{
	if (numa_available() < 0 || node >= numa_num_configured_nodes())
		return -EINVAL;
	numa_tonode_memory(buf, length, node);
	return 0;
}

int ir_numa_run_on_node(int node)
{
	return numa_run_on_node(node) ? -errno : 0;
}
