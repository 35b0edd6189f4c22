// SPDX-License-Identifier: GPL-2.0
/*
 * How the bench stops on bad input: one line, exit 1 (bench.h). In a file
 * of its own so that plan.c and report.c need nothing of the main file.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

void bench_die(const char *fmt, const char *arg)
{
	fprintf(stderr, "replace_bench: error: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}
