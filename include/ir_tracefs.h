/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's tracing through tracefs: kprobe events, a trace instance of
 * our own and its event stream. Only what the device-side oracle needs.
 */
#ifndef IR_TRACEFS_H
#define IR_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The mounted tracefs (/sys/kernel/tracing or its debugfs alias), or NULL. */
const char *ir_tracefs_root(void);

/* Writes @text into tracefs file @rel (relative to the root). 0 or -errno. */
int ir_tracefs_write(const char *rel, const char *text, bool append);

/*
 * Which of the @n functions @syms the running kernel has, in @found, from
 * one read of /proc/kallsyms. 0, or -errno when it cannot be read.
 */
int ir_ksym_functions(const char *const *syms, size_t n, bool *found);

/*
 * A trace instance of our own, named @name: its events go to its own ring
 * buffer, so nothing another tracer set up is disturbed. 0 or -errno.
 *
 * It records every process's events: set_event_pid would hook the
 * scheduler's tracepoints, and patching those live (as every test's start
 * and end would) crashed a TCG guest in ttwu_do_wakeup (an int3 the kernel
 * no longer knew). A reader filters by ir_trace_line_pid() instead.
 */
int ir_trace_instance_create(const char *name);
/* Empties the instance's ring buffer. */
int ir_trace_instance_clear(const char *name);
/* Disables the instance's events and removes it. */
void ir_trace_instance_remove(const char *name);
/* Removes instances @prefix<pid> whose process is gone. */
void ir_trace_instance_reap(const char *prefix);

/*
 * Reads what the instance recorded since the last read, without waiting:
 * a malloc'ed NUL-terminated text (trace_pipe lines) in *@text, or -errno.
 */
int ir_trace_instance_consume(const char *name, char **text);

/* The pid of the task that recorded trace_pipe line @line, or -1. */
pid_t ir_trace_line_pid(const char *line);

#endif /* IR_TRACEFS_H */
