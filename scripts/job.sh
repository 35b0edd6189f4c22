# shellcheck shell=bash
# The job a guest (or this host) runs, written by run.sh: sourced.

# What the bench records about where its numbers come from: enough to
# reproduce them (the emulator, compilers, host CPU, the kernel's .config).
bench_meta() {
	local rev config qemu=none icount=off cc=${CC:-cc}
	[ -z "$IR_CROSS" ] || cc=${IR_CROSS}gcc
	rev=$(git -C "$IR_TOP" describe --always --dirty 2>/dev/null || echo unknown)
	config=${KBUILD:+$KBUILD/.config}
	[ -n "$config" ] || config=/boot/config-$(uname -r)
	if [ -z "$IR_NATIVE" ]; then
		qemu=$("$IR_QEMU" --version 2>/dev/null | head -n 1)
		[ -n "$IR_ICOUNT" ] && icount=$IR_ICOUNT_OPTS
	fi
	printf -- '--meta %q ' "mode=$IR_BENCH_MODE" "suite_rev=$rev" \
		"kernel_version=$KVER" "kernel_source=$KSRC" \
		"kernel_build=$(basename "${KBUILD:-native}")" \
		"kernel_config_sha256=$(sha256sum <"$config" 2>/dev/null | cut -c1-64)" \
		"kernel_compiler=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$config" 2>/dev/null)" \
		"compiler=$($cc --version 2>/dev/null | head -n 1)" \
		"qemu_version=$qemu" "icount=$icount" \
		"host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		"vcpus=$IR_CPUS" "guest_mem_mib=$IR_MEM" "arch=$IR_ARCH" \
		"page_size=$IR_PAGE_SIZE" "date=$(date -u +%FT%TZ)"
}

# The parts of a job, one per action (write_job puts them together); each
# prints shell for the guest's sh, its outputs through keep or run
# (scripts/ledger.sh), $out the results directory as the guest sees it.

job_selftests() {
	# A debug kernel (KASAN, lockdep) runs the suite several times
	# slower: the runner's per-program limit grows too.
	[ -n "$IR_DEBUG" ] && printf 'export kselftest_override_timeout=900\n'
	[ -n "$IR_NATIVE" ] || echo ". scripts/memcheck.sh && memcheck_on | keep memcheck"
	if [ "$IR_ARCH" = x86_64 ]; then
		echo "run selftests.tap make --no-print-directory -C selftests run_tests"
	else
		# A foreign guest has no make: the collection `make install`
		# laid out, run as a lab runs it (the same run_many, the same
		# TAP); through a pipe, as below.
		echo "run selftests.tap sh -c 'cd build/kselftest_install && ./run_kselftest.sh -c iommufd-replace'"
	fi
	[ -n "$IR_NATIVE" ] || echo "memcheck_off"
}

# Then the kernel's own, counted apart. Their huge-page tests map
# MAP_HUGETLB memory (up to 128 MiB at once): 256 MiB of 2 MiB pages,
# which ours never use.
job_coverage_theirs() {
	echo "gcov_keep gcov-ours.tar && gcov_reset"
	echo "echo 128 >/proc/sys/vm/nr_hugepages"
	echo "run kernel-iommufd.tap build/kernel-iommu/iommufd"
	echo "run kernel-iommufd_fail_nth.tap build/kernel-iommu/iommufd_fail_nth"
	echo "gcov_keep gcov-theirs.tar"
}

# The bench sets the tracer up itself (bench/explain.c).
job_explain() {
	local out=$1
	cat <<EOF
mkdir -p $out/explain
bench/replace_bench -s $(printf '%q' "$IR_EXPLAIN") -m 1M,64M -w 5 --explain $out/explain >$out/bench.txt 2>&1
echo \$? | keep bench.rc
counted bench.txt
EOF
}

job_bench() {
	local out=$1 args="--preset quick"
	[ ${#IR_BENCH_ARGS[@]} -eq 0 ] || args=$(printf '%q ' "${IR_BENCH_ARGS[@]}")
	# Straight to the file, not through run's pipe: the bench checks
	# its writes itself (counted, scripts/ledger.sh).
	echo "${IR_BENCH_BIN:-bench/replace_bench} $args $(bench_meta) -o $out/bench.json >$out/bench.txt 2>&1"
	echo "echo \$? | keep bench.rc"
	echo "counted bench.txt"
}

job_kselftest() {
	local out=$1 args="-c iommufd-replace" hide
	[ ${#IR_BENCH_ARGS[@]} -eq 0 ] || args=$(printf '%q ' "${IR_BENCH_ARGS[@]}")
	# A fresh directory, as a lab unpacks it: nothing of this work tree
	# is on the runner's path.
	echo "ks=\$(mktemp -d) && tar -C \"\$ks\" -xf $out/$(basename "$IR_TARBALL") && cd \"\$ks\" || exit 1"
	# This work tree is hidden (an empty tmpfs over it, in a mount
	# namespace of the runner's own), so the collection runs on nothing
	# but the tarball, as in a lab. Through a pipe (run's): the runner
	# reopens /dev/stdout for every line it adds, which on a file would
	# write over the tests'.
	hide="mount -t tmpfs none $(printf '%q' "$IR_TOP")"
	printf 'run kselftest.tap unshare -m sh -c %q\n' "$hide && ./run_kselftest.sh $args"
}

job_exec() {
	# Its status is the job's (job.rc).
	printf 'run exec.log '
	printf '%q ' "${IR_EXEC[@]}"
	echo
}

job_shell() {
	echo "echo 'iommufd-replace guest shell: exit to power off'"
	# A foreign guest's root has busybox's sh, not bash.
	echo "setsid sh -c 'exec \$(command -v bash || echo sh) -i </dev/$IR_CONSOLE >/dev/$IR_CONSOLE 2>&1'"
}

# The job the guest (or this host) runs into $1; its output goes to the
# results, $2 as the guest sees them.
write_job() {
	local job=$1 out=$2
	{
		echo "#!/bin/sh"
		echo "cd $(printf '%q' "$IR_TOP") || exit 1"
		# Every output through keep or run (scripts/ledger.sh): the
		# host checks that all of it arrived.
		echo "out=$(printf '%q' "$out")"
		echo ". scripts/ledger.sh"
		echo "uname -r | keep kernel-release"
		# Coverage counts what the tests reach, not what booting did.
		[ "$IR_ACTION" != coverage ] || echo ". scripts/gcov.sh && gcov_reset"
		case $IR_ACTION in
		all | selftests | coverage) job_selftests ;;
		esac
		case $IR_ACTION in
		coverage) job_coverage_theirs ;;
		explain) job_explain "$out" ;;
		all | bench | compare-kernels) job_bench "$out" ;;
		kselftest) job_kselftest "$out" ;;
		exec) job_exec ;;
		shell) job_shell ;;
		esac
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
