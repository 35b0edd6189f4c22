# shellcheck shell=bash
# The job a guest (or this host) runs, as run.sh writes it: sourced.
# The job itself is scripts/job-run.sh; what it runs, job.env, is here.

# The kernel tree's identity into IR_KERNEL_COMMIT, _DESCRIBE, _DIRTY
# (a tree that is not a git checkout: none) and IR_KERNEL_PATCH_SHA256,
# of the patch put in with --patch.
kernel_identity() {
	IR_KERNEL_COMMIT=none IR_KERNEL_DESCRIBE=none IR_KERNEL_DIRTY=none
	IR_KERNEL_PATCH_SHA256=none
	if git -C "$KSRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		IR_KERNEL_COMMIT=$(git -C "$KSRC" rev-parse HEAD)
		IR_KERNEL_DESCRIBE=$(git -C "$KSRC" describe --always 2>/dev/null || echo "$IR_KERNEL_COMMIT")
		IR_KERNEL_DIRTY=yes
		[ -n "$(git -C "$KSRC" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
			IR_KERNEL_DIRTY=no
	fi
	[ -z "${IR_PATCH:-}" ] || IR_KERNEL_PATCH_SHA256=$(sha256sum <"$IR_PATCH" | cut -c1-64)
}

# What the bench records about where its numbers come from: enough to
# reproduce them (the emulator, compilers, host CPU, the kernel's .config).
bench_meta() {
	local rev config qemu=none icount=off cc=${CC:-cc}
	[ -z "$IR_CROSS" ] || cc=${IR_CROSS}gcc
	kernel_identity
	rev=$(git -C "$IR_TOP" describe --always --dirty 2>/dev/null || echo unknown)
	config=${KBUILD:+$KBUILD/.config}
	[ -n "$config" ] || config=/boot/config-$(uname -r)
	if [ -z "$IR_NATIVE" ]; then
		qemu=$("$IR_QEMU" --version 2>/dev/null | head -n 1)
		[ -n "$IR_ICOUNT" ] && icount=$IR_ICOUNT_OPTS
	fi
	printf -- '--meta %q ' "mode=$IR_BENCH_MODE" "suite_rev=$rev" \
		"kernel_version=$KVER" "kernel_source=$KSRC" \
		"kernel_commit=$IR_KERNEL_COMMIT" "kernel_describe=$IR_KERNEL_DESCRIBE" \
		"kernel_dirty=$IR_KERNEL_DIRTY" "kernel_patch_sha256=$IR_KERNEL_PATCH_SHA256" \
		"kernel_build=$(basename "${KBUILD:-native}")" \
		"kernel_config_sha256=$(sha256sum <"$config" 2>/dev/null | cut -c1-64)" \
		"kernel_compiler=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$config" 2>/dev/null)" \
		"compiler=$($cc --version 2>/dev/null | head -n 1)" \
		"qemu_version=$qemu" "icount=$icount" \
		"host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		"vcpus=$IR_CPUS" "guest_mem_mib=$IR_MEM" "arch=$IR_ARCH" \
		"page_size=$IR_PAGE_SIZE" "guest=$([ -n "${IR_SEALED:-}" ] && echo sealed || echo shared)" \
		"date=$(date -u +%FT%TZ)"
}

# ir_env NAME VALUE: one line of the job's env file, VALUE quoted for sh.
ir_env() {
	printf '%s=%q\n' "$1" "$2"
}

# The words of an array, each quoted for sh, as one string (eval'd there).
ir_words() {
	[ $# -eq 0 ] || printf '%q ' "$@"
}

# What the job needs to know, into env file $1; $2 is the results as the
# job sees them.
write_job_env() {
	local meta=
	case $IR_ACTION in
	all | bench | compare-kernels) meta=$(bench_meta) ;;
	esac
	{
		ir_env out "$2"
		ir_env IR_TOP "$IR_TOP"
		ir_env IR_ACTION "$IR_ACTION"
		ir_env IR_DEBUG "$IR_DEBUG"
		ir_env IR_NATIVE "$IR_NATIVE"
		ir_env IR_ARCH "$IR_ARCH"
		ir_env IR_CONSOLE "${IR_CONSOLE:-}"
		ir_env IR_EXPLAIN "${IR_EXPLAIN:-}"
		ir_env IR_BENCH_BIN "${IR_BENCH_BIN:-}"
		ir_env IR_JOB_TARBALL "$(basename "${IR_TARBALL:-none}")"
		ir_env IR_JOB_ARGS "$(ir_words ${IR_BENCH_ARGS[@]+"${IR_BENCH_ARGS[@]}"})"
		ir_env IR_JOB_META "$meta"
		# A sealed guest counts instructions on the TSC itself, not
		# through the kernel's calibration of it (include/ir_stats.h).
		ir_env IR_JOB_CLOCK "$([ -n "${IR_SEALED:-}" ] && echo tsc || echo monotonic)"
		ir_env IR_JOB_EXEC "$(ir_words ${IR_EXEC[@]+"${IR_EXEC[@]}"})"
	} >"$1"
}

# The job the guest (or this host) runs, into $1: the fixed script
# (scripts/job-run.sh) after the env file it reads, written beside $1;
# $2 is the results directory as the job sees it, where that file is.
write_job() {
	local job=$1 out=$2
	write_job_env "$(dirname "$job")/job.env" "$out"
	{
		echo "#!/bin/sh"
		echo "cd $(printf '%q' "$IR_TOP") || exit 1"
		echo ". $(printf '%q' "$out")/job.env"
		echo ". scripts/job-run.sh"
	} >"$job"
}

# The tarball the kselftest action runs: the one given, or this suite's
# collection, made for the tree under test by `make gen_tar`.
kselftest_tarball() {
	[ -n "$IR_TARBALL" ] && return
	IR_STAGE="making the kselftest tarball"
	ir_spawn make -s -C "$IR_TOP" gen_tar >"$IR_TOP/build/gen_tar.log" 2>&1 ||
		die "make gen_tar failed (log: build/gen_tar.log)"
	IR_TARBALL=$IR_TOP/build/kselftest_install/kselftest-packages/kselftest.tar.gz
}
