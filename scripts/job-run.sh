# shellcheck shell=sh
# The job a guest (or this host) runs: the same script for every run, in
# POSIX sh (an arm64 guest's root has busybox's). What to run comes from
# job.env, which run.sh writes beside the job (scripts/job.sh) and the job
# sources first; $out is where the results go, as this side sees them.
# Every output goes through keep or run (scripts/ledger.sh): the host
# checks that all of it arrived.
# shellcheck disable=SC2154 # IR_* and out come from job.env.

# shellcheck source=scripts/ledger.sh
. scripts/ledger.sh

job_selftests() {
	# A debug kernel (KASAN, lockdep) runs the suite several times
	# slower: the runner's per-program limit grows too.
	[ -z "$IR_DEBUG" ] || export kselftest_override_timeout=900
	if [ -z "$IR_NATIVE" ]; then
		# shellcheck source=scripts/memcheck.sh
		. scripts/memcheck.sh && memcheck_on | keep memcheck
	fi
	if [ "$IR_ARCH" = x86_64 ]; then
		run selftests.tap make --no-print-directory -C selftests run_tests
	else
		# A foreign guest has no make: the collection `make install`
		# laid out, run as a lab runs it (the same run_many, the same
		# TAP); through a pipe, as below.
		run selftests.tap sh -c 'cd build/kselftest_install && ./run_kselftest.sh -c iommufd-replace'
	fi
	[ -n "$IR_NATIVE" ] || memcheck_off
}

# Then the kernel's own, counted apart. Their huge-page tests map
# MAP_HUGETLB memory (up to 128 MiB at once): 256 MiB of 2 MiB pages,
# which ours never use.
job_coverage_theirs() {
	gcov_keep gcov-ours.tar && gcov_reset
	echo 128 >/proc/sys/vm/nr_hugepages
	run kernel-iommufd.tap build/kernel-iommu/iommufd
	run kernel-iommufd_fail_nth.tap build/kernel-iommu/iommufd_fail_nth
	gcov_keep gcov-theirs.tar
}

# The bench sets the tracer up itself (bench/explain.c).
job_explain() {
	mkdir -p "$out/explain"
	bench/replace_bench -s "$IR_EXPLAIN" -m 1M,64M -w 5 --explain "$out/explain" \
		>"$out/bench.txt" 2>&1
	echo $? | keep bench.rc
	counted bench.txt
}

# The bench's arguments and meta are words quoted for the shell
# (scripts/job.sh): eval makes them words again. Straight to the file, not
# through run's pipe: the bench checks its writes itself (counted).
job_bench() {
	eval "${IR_BENCH_BIN:-bench/replace_bench} --clock ${IR_JOB_CLOCK:-monotonic} ${IR_JOB_ARGS:---preset quick} $IR_JOB_META" \
		'-o "$out/bench.json"' >"$out/bench.txt" 2>&1
	echo $? | keep bench.rc
	counted bench.txt
}

# A fresh directory, as a lab unpacks it: nothing of this work tree is on
# the runner's path. The work tree is hidden (an empty tmpfs over it, in a
# mount namespace of the runner's own), so the collection runs on nothing
# but the tarball, as in a lab. Through a pipe (run's): the runner reopens
# /dev/stdout for every line it adds, which on a file would write over the
# tests'.
job_kselftest() {
	ks=$(mktemp -d) && tar -C "$ks" -xf "$out/$IR_JOB_TARBALL" && cd "$ks" || exit 1
	run kselftest.tap unshare -m sh -c \
		"mount -t tmpfs none \"\$1\" && ./run_kselftest.sh ${IR_JOB_ARGS:--c iommufd-replace}" \
		sh "$IR_TOP"
}

job_shell() {
	echo 'iommufd-replace guest shell: exit to power off'
	# A foreign guest's root has busybox's sh, not bash.
	setsid sh -c "exec \$(command -v bash || echo sh) -i </dev/$IR_CONSOLE >/dev/$IR_CONSOLE 2>&1"
}

uname -r | keep kernel-release
# Coverage counts what the tests reach, not what booting did.
if [ "$IR_ACTION" = coverage ]; then
	# shellcheck source=scripts/gcov.sh
	. scripts/gcov.sh && gcov_reset
fi
case $IR_ACTION in
all | selftests | coverage) job_selftests ;;
esac
case $IR_ACTION in
coverage) job_coverage_theirs ;;
explain) job_explain ;;
all | bench | compare-kernels) job_bench ;;
kselftest) job_kselftest ;;
# Its status is the job's (job.rc).
exec) eval "run exec.log $IR_JOB_EXEC" ;;
shell) job_shell ;;
esac
