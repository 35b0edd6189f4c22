// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle's log (lib/oracle_log.c) fed a recorded trace, with no kernel
 * and no tracefs: what it answers, and what it refuses to read. make
 * check's quick tier builds it with the host's compiler (oracle-log).
 * usage: oracle_log TRACE-FILE; exit 0 when every answer is right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_oracle.h"
#include "oracle_internal.h"

#define PID 4242 /* the recorded test's process */
#define DEV 9 /* the id the test gave its device */

static int failed;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: not true: %s\n", __FILE__, \
				__LINE__, #cond);                          \
			failed = 1;                                        \
		}                                                          \
	} while (0)

/* @path's lines, comments dropped, as one text; exits when it cannot. */
static char *read_trace(const char *path)
{
	char line[1024], *text = calloc(1, 1 << 16);
	size_t len = 0;
	FILE *f = fopen(path, "re");

	if (!f || !text) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		if (line[0] != '#' && len + n < (1 << 16) - 1) {
			memcpy(text + len, line, n + 1);
			len += n;
		}
	}
	fclose(f);
	return text;
}

/* The recorded replace: A, then B, a refused move back, then blocked. */
static void replayed(const char *path)
{
	struct ir_oracle_attach at[8];
	char *text = read_trace(path);
	__u32 cur;
	int n;

	CHECK(!ir_oracle_track_thread(PID));
	CHECK(oracle_log_feed(text) == 0);
	/* Two allocations and four attaches of ours; the kworker's is not. */
	CHECK(oracle_log_len() == 6);
	/* A name goes to the latest allocation since the point: B. */
	CHECK(oracle_log_name_hwpt(0, 5) == 0);
	CHECK(oracle_log_name_hwpt(6, 6) == -ENOENT);
	CHECK(oracle_log_name_dev(0, DEV) == 0);
	n = oracle_log_attaches(DEV, false, 0, 0, at, 8);
	CHECK(n == 4);
	CHECK(n >= 4 && at[0].hwpt_id == IR_ORACLE_UNNAMED && at[0].ret == 0);
	CHECK(n >= 4 && at[1].hwpt_id == 5 && at[1].ret == 0);
	CHECK(n >= 4 && at[2].ret == -EINVAL);
	CHECK(n >= 4 && at[3].hwpt_id == IR_ORACLE_BLOCKED);
	CHECK(oracle_log_current(DEV, false, 0, &cur) == 0);
	CHECK(cur == IR_ORACLE_BLOCKED);
	CHECK(oracle_log_current(DEV + 1, false, 0, &cur) == -ENOENT);
	free(text);
	oracle_log_reset();
}

/* What the log must not read as events. */
static void refused(void)
{
	char lost[] = "CPU:1 [LOST 3 EVENTS]\n";
	char orphan[] =
		"  t-4242 [001] ..... 1.0: attach_ret: (x+0x1/0x2 <- mock_domain_nop_attach) ret=0\n";
	char torn[] =
		"  t-4242 [001] ..... 1.0: attach: (mock_domain_nop_attach+0x0/0x40) domain=0x1\n";

	CHECK(!ir_oracle_track_thread(PID));
	CHECK(oracle_log_feed(lost) == -EOVERFLOW);
	oracle_log_reset();
	CHECK(!ir_oracle_track_thread(PID));
	CHECK(oracle_log_feed(orphan) == -EPROTO);
	oracle_log_reset();
	CHECK(!ir_oracle_track_thread(PID));
	CHECK(oracle_log_feed(torn) == -EPROTO);
	oracle_log_reset();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: oracle_log TRACE-FILE\n");
		return 2;
	}
	replayed(argv[1]);
	refused();
	printf("oracle log: %s\n",
	       failed ? "wrong answers" : "every answer right");
	return failed;
}
