# shellcheck shell=bash
# The sealed guest of a timed bench (--sealed, the default of bench,
# compare-kernels and bisect --scenario under icount on x86_64): nothing
# of the host reaches it while it measures. Under -icount shift=0,sleep=off
# the guest's time is its instruction count; what the host adds at moments
# its scheduler picks is taken out: 9p requests (the root, the results
# written while measuring), RDRAND's and RDSEED's host randomness, the
# RTC's wall clock, and the address-space layout it seeds. The guest boots
# from an initramfs holding the job and nothing more, keeps its results in
# its own memory until the job is done, and only then mounts the results
# share and copies them out (scripts/sealed-init.sh). It has one vCPU
# (run.sh; two NUMA nodes still, the second memory only), and the bench
# reads the TSC itself (--clock tsc), which under icount is the
# instruction count, not the kernel's clock, which scales it by a
# calibration that differs between boots. Measured: the replaces between
# existing HWPTs of the quick set repeat to the nanosecond in 20 boots of
# 20, p50 and tails (one tail excepted, in one boot), where a shared
# guest's step in some boots (its 9p I/O: entropy and the RTC were not
# it, but are kept out too); records that allocate much memory and
# one-time records still move, because QEMU itself does not run two boots
# instruction for instruction alike, from the same input (bench/README.md,
# "The sealed guest"). Sourced by run.sh.

# What the job and the guest's init run, besides the bench: found on this
# host, each with the libraries ldd names.
IR_SEALED_TOOLS=(sh cat tee wc mv cp mkdir ln mount grep dmesg sync uname)
# The RTC's fixed start (the date is in bench.json's meta, from the host).
IR_SEALED_RTC=2026-01-01T00:00:00
# The kernel's part: no entropy credited from the CPU, and the same user
# address-space layout on every boot.
IR_SEALED_ARGS="random.trust_cpu=off norandmaps"

# sealed_usable: whether this run's guest can be sealed: a bench-only
# job timed by instruction count on an x86_64 guest of the mock (an arm64
# guest's userland is the Debian root of scripts/target-root.sh, whose hot
# path already repeats to the nanosecond: bench/README.md; the edu
# devices' VFIO binding and a debug kernel's leak scan need the root).
sealed_usable() {
	[ "$IR_ARCH" = x86_64 ] && [ "$IR_IOMMU" = none ] && [ -z "$IR_NATIVE" ] &&
		[ -z "${IR_DEBUG:-}" ] || return 1
	case $IR_ACTION in
	bench | compare-kernels) [ -n "$IR_ICOUNT" ] ;;
	# Its steps are bench runs, timed as such.
	bisect) [ -n "$IR_SCENARIO" ] && [ -z "$IR_WALLCLOCK" ] && [ "$IR_ACCEL" != kvm ] ;;
	*) return 1 ;;
	esac
}

# sealed_copy BIN ROOT: BIN (a host path) into ROOT at its own path, with
# the libraries ldd names.
sealed_copy() {
	local bin=$1 root=$2 lib
	cp --parents -L "$bin" "$root/" || die "cannot copy $bin into $root"
	ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			cp --parents -L -n "$lib" "$root/" || exit 1
		done || die "cannot copy the libraries of $bin into $root"
}

# sealed_initramfs CPIO JOBDIR: CPIO becomes the guest's initramfs: the
# binaries at their host paths (the tools also in /bin), their libraries,
# the job's scripts in the work tree's place, and JOBDIR's job.in and
# job.env in /etc/ir-job. Uncompressed: inflating costs guest time, a
# copy in memory next to none.
sealed_initramfs() {
	local cpio=$1 jobdir=$2 root=$IR_TOP/build/sealed/root t bin
	rm -rf "$root" && mkdir -p "$root/bin" "$root/etc/ir-job" "$root/proc" \
		"$root/sys" "$root/dev" "$root/run" "$root/tmp" || die "cannot create $root"
	for t in "${IR_SEALED_TOOLS[@]}"; do
		bin=$(command -v "$t") && bin=$(readlink -f "$bin") || die "--sealed: $t is not on this host"
		sealed_copy "$bin" "$root"
		ln -sf "$bin" "$root/bin/$t"
	done
	sealed_copy "$IR_TOP/${IR_BENCH_BIN:-bench/replace_bench}" "$root"
	cp --parents "$IR_TOP/scripts/job-run.sh" "$IR_TOP/scripts/ledger.sh" \
		"$IR_TOP/scripts/guest-mounts.sh" "$IR_TOP/build/ir-poweroff" "$root/" &&
		install -m 755 "$IR_TOP/scripts/sealed-init.sh" "$root/init" &&
		cp "$jobdir/job.in" "$jobdir/job.env" "$root/etc/ir-job/" &&
		printf '%s\n' "$IR_TOP" >"$root/etc/ir-job/top" ||
		die "cannot fill $root"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$cpio.part" &&
		mv "$cpio.part" "$cpio" || die "cannot write $cpio"
	rm -rf "$root"
}
