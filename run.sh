#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds a kernel with the iommufd mock driver, boots it under QEMU, runs
# the suite inside and brings the results back; or runs the suite natively.
set -uo pipefail

IR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
IR_PROG=run.sh
# shellcheck source=scripts/common.sh
. "$IR_TOP/scripts/common.sh"
# shellcheck source=scripts/suite.sh
. "$IR_TOP/scripts/suite.sh"
# shellcheck source=scripts/kernel.sh
. "$IR_TOP/scripts/kernel.sh"
# shellcheck source=scripts/guest.sh
. "$IR_TOP/scripts/guest.sh"
# shellcheck source=scripts/sealed.sh
. "$IR_TOP/scripts/sealed.sh"
# shellcheck source=scripts/target-root.sh
. "$IR_TOP/scripts/target-root.sh"
# shellcheck source=scripts/verdict.sh
. "$IR_TOP/scripts/verdict.sh"
# shellcheck source=scripts/signals.sh
. "$IR_TOP/scripts/signals.sh"
# shellcheck source=scripts/job.sh
. "$IR_TOP/scripts/job.sh"
# shellcheck source=scripts/report.sh
. "$IR_TOP/scripts/report.sh"
# shellcheck source=scripts/compare.sh
. "$IR_TOP/scripts/compare.sh"
# shellcheck source=scripts/bisect.sh
. "$IR_TOP/scripts/bisect.sh"
# shellcheck source=lava/lava.sh
. "$IR_TOP/lava/lava.sh"
# shellcheck source=scripts/coverage.sh
. "$IR_TOP/scripts/coverage.sh"
ir_trap_signals

# The help: what to run, then the options (each its own heredoc).
usage_actions() {
	cat <<'USAGE'
usage: ./run.sh [options] [all | selftests | bench [-- ARGS] | explain SCEN | compare OLD NEW
                 | compare-kernels [-- ARGS] | trend [SCENARIO]
                 | bisect --good REV --bad REV [--scenario SCEN] [-- ARGS]
                 | kselftest [TARBALL] [-- ARGS] | lava | lava-validate | shell
                 | exec CMD... | build | compile | coverage]

Build a kernel with CONFIG_IOMMUFD_TEST, boot it under QEMU, run the
iommufd-replace suite inside, and keep the results in results/<timestamp>/.

actions (default: all):
  all              selftests, then the quick bench, in one guest
  selftests        run `make -C selftests run_tests` in the guest (TAP)
  bench [-- ARGS]  run bench/replace_bench (default ARGS: --preset quick);
                   writes bench.json
  explain SCEN     trace one first and one steady replace of bench scenario
                   SCEN at 1 MiB and 64 MiB: where the time goes
                   (--explain SCEN, the older spelling, does the same)
  compare OLD NEW  compare two bench runs (a bench.json, or a directory of
                   boots each): table, verdict, exit 1 on a regression
                   (--plot FILE.png|svg draws it)
  compare-kernels [-- ARGS]
                   kernel A (--ksrc A, or the default tree) against kernel B
                   (a second --ksrc B, or --patch FILE applied to a copy of
                   A): both built, booted alternately --boots times each,
                   the same bench on each (default ARGS: --preset quick),
                   then the verdict of compare and its exit status
  bisect --good REV --bad REV [--scenario SCEN] [-- ARGS]
                   the first bad commit between two commits of a git kernel
                   tree (--ksrc), by git bisect run: each step is this
                   script on one commit, built incrementally in one build
                   directory (the tree is bisected in a clone in the
                   cache, never checked out itself). Bad is a selftest
                   failure; with --scenario, a slowdown of bench scenario
                   SCEN (bench ARGS; default -m 1M -n 200) against the good
                   commit's boots, judged as compare-kernels judges. A
                   commit that cannot be tested is skipped. Writes
                   bisect.txt (the steps) and, for a slowdown, report.txt
  kselftest [TARBALL] [-- ARGS]
                   unpack a kselftest tarball (default: this suite's, from
                   `make gen_tar`) into a fresh directory in the guest and
                   run ./run_kselftest.sh ARGS there (default
                   -c iommufd-replace): what a lab runs, reproduced
  lava-validate    make the LAVA job of lava/qemu-x86_64.yaml runnable here
                   (the main job's kernel, the kselftest tarball,
                   an initramfs from Debian packages, a device dictionary
                   from lava-server's qemu.jinja2) and validate it with
                   LAVA's schema (strict) and lava-run --validate
  lava             the same, then run it with LAVA's dispatcher (lava-run,
                   QEMU under TCG): the results LAVA recorded
  trend [SCENARIO] plot SCENARIO's p50 over the runs in results/history.jsonl
                   (default hwpt_hwpt)
  shell            boot the guest with an interactive shell on the console
  exec CMD...      run CMD in the guest (from the work tree), keep its output
  build            build (or reuse) the kernel and the suite, boot nothing
  compile          compile the suite against the tree's headers only (no
                   kernel build, into build/compile/): catches a build break
  coverage         a kernel with GCOV on the replace path (its own build),
                   the selftests, then the kernel's own iommufd selftests of
                   the tree: line and branch coverage of each, per file and
                   per replace-path function, and where they differ
                   (coverage.txt, coverage/html/)

USAGE
}

usage_options() {
	cat <<'USAGE'
kernel:
  --arch ARCH      the guest's architecture: x86_64 (the default) or arm64
                   (cross-built kernel and suite, qemu-system-aarch64 -M
                   virt under TCG, a root of Debian's arm64 packages)
  --page-size SIZE the kernel's page size: 4k (the default), or 16k or 64k
                   with --arch arm64
  --iommu NAME     give the guest an emulated IOMMU with edu DMA devices
                   behind it (two more behind a pci-bridge, but for
                   virtio), for replace_dma: none (the default), intel
                   (VT-d), amd (AMD-Vi) or virtio on x86_64 (q35 for the
                   first two), smmuv3 or virtio on arm64
  --ksrc DIR       test the kernel tree DIR (also KSRC=DIR)
  --kernel NAME    a Debian kernel source instead: stable (the default,
                   linux-source-6.12) or sid (the newest linux-source-X.Y
                   of Debian unstable, fetched once into the cache with
                   apt; the system's apt sources stay as they are)
  --kconfig FILE   merge this config fragment too (rebuilds the kernel)
  --patch FILE     test the tree with FILE applied (to a copy in the cache,
                   built from the tree's own objects; the tree is never
                   written); with compare-kernels, that is kernel B
  --debug          add lockdep, kmemleak and debug objects (scripts/debug.config;
                   a kernel of its own, slower); a leak fails the run
  --native         run on this host's kernel, no VM (needs /dev/iommu and
                   CONFIG_IOMMUFD_TEST)

guest:
  --cpus N         vCPUs, split over 2 NUMA nodes (-smp; default 2, and 1
                   for a sealed guest, its second node memory only)
  --mem MIB        guest memory in MiB (-m; default 4096)
  --kvm | --tcg    force the accelerator (-accel; default kvm when /dev/kvm
                   is usable, else tcg)
  --icount         count instructions as time (-icount shift=0,sleep=off);
                   the default for all and bench
  --wallclock      time bench with the wall clock (multi-threaded TCG)
  --sealed | --unsealed
                   bench, compare-kernels and bisect --scenario under
                   icount on x86_64: the guest sealed from the host while
                   it measures (the default: an initramfs of the bench,
                   results copied out after it, no RDRAND, a fixed RTC,
                   one vCPU, samples read from the TSC; two boots a side
                   for compare-kernels), or on the
                   host's root over 9p as every other guest
  --tcg-thread MODE
                   TCG without icount: a host thread per vCPU (multi, the
                   default), or one for all of them in turn (single: for
                   guests that share the host's cores; also IR_TCG_THREAD)
  --append ARGS    add ARGS to the kernel command line
  --timeout SEC    kill a guest that has not powered off (default 900;
                   3600 with --debug)

output:
  --results DIR    where results/<timestamp>/ goes (default: ./results)
  --cache DIR      kernel cache (default: ${XDG_CACHE_HOME:-~/.cache}/iommufd-replace)
  --plot FILE      with compare: draw the ratios as an SVG
  --threshold F    with compare, compare-kernels, bisect: relative change
                   that counts (0.005 = 0.5%; default: the noise table's)
  --good REV, --bad REV
                   with bisect: the commits it starts from
  --scenario SCEN  with bisect: bisect a slowdown of this bench scenario
  --boots N        with compare-kernels: boots of each kernel (default 3,
                   2 sealed);
                   with bisect --scenario: boots of each step (default 1,
                   which sees a 1.6 % move of the hot path; the good end
                   and a step that looks slower boot twice as often)
  --allow-missing  with compare(-kernels): a record one side lacks does
                   not fail the verdict
  --dry-run        print the QEMU command line instead of booting
  -q, --quiet      print only the verdict
  --no-progress    do not show results live while the guest runs
  -h, --help       show this help

exit status:
  0                the job passed (compare: no regression; bisect: the
                   first bad commit named)
  1                a test failed, the kernel warned, a regression, or the
                   run could not finish (a hang, a panic in the job)
  2                bad input: an option, an argument, a file not ours
  125              this tree cannot be tested: it does not configure or
                   build, lacks what the suite needs, or its guest dies
                   before the job starts (git bisect run: skip it)
  128+N            stopped by signal N (Ctrl-C: 130)
USAGE
}

usage() {
	usage_actions
	usage_options
}

# Runs the job on this host's kernel (--native).
run_native() {
	[ "$IR_ACTION" = shell ] && usage_error "shell needs a guest; drop --native"
	[ -e /dev/iommu ] || [ "$IR_ACTION" = build ] ||
		die "--native: this host's kernel ($(uname -r)) has no /dev/iommu; drop --native to boot one that has"
	prepare_suite
	[ "$IR_ACTION" = build ] && return 0
	new_results_dir
	[ -z "$IR_TARBALL" ] || cp "$IR_TARBALL" "$IR_OUT/" || die "cannot copy $IR_TARBALL into $IR_OUT"
	IR_MODE=native
	IR_BENCH_MODE=native
	write_job "$IR_OUT/job.sh" "$IR_OUT"
	IR_LEDGER=$(mktemp -d) || die "cannot create the job's ledger in ${TMPDIR:-/tmp}"
	export IR_LEDGER
	[ "$(id -u)" -eq 0 ] && dmesg >"$IR_LEDGER/.dmesg.before" 2>/dev/null
	IR_START=$(date +%s)
	IR_STAGE="running the job natively"
	ir_spawn sh "$IR_OUT/job.sh"
	IR_ELAPSED=$(($(date +%s) - IR_START))
	# What a guest's init does after the job: dmesg, then the manifest.
	(
		out=$IR_OUT && . "$IR_TOP/scripts/ledger.sh" || exit 1
		[ ! -f "$IR_LEDGER/.dmesg.before" ] ||
			dmesg | tail -n +"$(($(wc -l <"$IR_LEDGER/.dmesg.before") + 1))" | keep dmesg.txt
		ledger_manifest
	)
	rm -rf "$IR_LEDGER"
	results_arrived "$IR_OUT"
	finish
}

# Runs the job in a QEMU guest of the kernel built for it.
run_guest() {
	local rc=0
	prepare_suite
	[ "$IR_ACTION" = build ] && return 0
	choose_accel
	new_results_dir
	[ -z "$IR_TARBALL" ] || cp "$IR_TARBALL" "$IR_OUT/" || die "cannot copy $IR_TARBALL into $IR_OUT"
	IR_MODE="qemu $IR_ACCEL${IR_ICOUNT:+ icount}${IR_SEALED:+, sealed}, $IR_CPUS vCPU$([ "$IR_CPUS" = 1 ] || echo s), ${IR_MEM} MiB"
	# The guest mounts the results share at /run/ir-out.
	write_job "$IR_OUT/job.in" /run/ir-out
	[ "$IR_ARCH" = x86_64 ] || IR_MODE="$IR_ARCH $IR_PAGE_SIZE pages, $IR_MODE"
	info "booting $KVER ($IR_MODE); results in $IR_OUT"
	IR_START=$(date +%s)
	if [ "$IR_ACTION" = shell ]; then
		guest_run "$IR_OUT" "$IR_OUT/job.in" stdio || rc=$?
	else
		guest_run "$IR_OUT" "$IR_OUT/job.in" || rc=$?
	fi
	IR_ELAPSED=$(($(date +%s) - IR_START))
	[ -n "${IR_DRY_RUN:-}" ] && return 0
	# A guest that died before its job began tested nothing of the tree
	# (the job's first write is kernel-release): for bisect, untestable.
	case $rc in
	124 | 125) [ -e "$IR_OUT/kernel-release" ] ||
		die_untestable "the guest of $KVER did not reach its job (exit $rc: $(guest_no_job_reason)); console log: $IR_OUT/console.log" ;;
	esac
	case $rc in
	124) die "guest did not power off within ${IR_TIMEOUT}s (hang?); killed it$(hang_context); console log: $IR_OUT/console.log" ;;
	125) die "guest stopped before its job finished (panic?): $(grep -m1 -E 'Kernel panic|BUG:|Oops' "$IR_OUT/console.log" 2>/dev/null || echo 'see console log'); console log: $IR_OUT/console.log" ;;
	esac
	finish
}

# Compiles the suite against the uapi headers, iommufd_test.h and harness
# of the chosen tree, without building that kernel: binaries go to
# build/compile/, so the suite built for the guest stays as it is.
run_compile() {
	local out=$IR_TOP/build/compile
	[ -n "${KSRC:-}" ] || [ "${IR_KERNEL:-stable}" != stable ] ||
		ensure_packages linux-source-6.12
	ensure_packages "${IR_SUITE_PACKAGES[@]}" rsync
	[ "$IR_ARCH" = x86_64 ] || ensure_packages "${IR_ARCH_PACKAGES[@]}"
	mkdir -p "$IR_CACHE" || die "cannot create the cache $IR_CACHE"
	ir_ccache
	kernel_resolve_src
	KVER=$(make -s -C "$KSRC" kernelversion 2>/dev/null) || KVER=unknown
	kernel_headers
	[ "$IR_ARCH" = x86_64 ] || target_root
	IR_STAGE="compiling the suite against $KVER"
	rm -rf "$out" && mkdir -p "$out/selftests" "$out/bench" || die "cannot create $out"
	{
		ir_spawn make -C "$IR_TOP/selftests" KSRC="$KSRC" KHDR="$KHDR" \
			CROSS_COMPILE="$IR_CROSS" IR_SYSROOT="${IR_SYSROOT:-}" \
			OUTPUT="$out/selftests" &&
			ir_spawn make -C "$IR_TOP/bench" KSRC="$KSRC" KHDR="$KHDR" \
				CROSS_COMPILE="$IR_CROSS" IR_SYSROOT="${IR_SYSROOT:-}" \
				OUTPUT="$out/bench"
	} >"$out/compile.log" 2>&1 ||
		die "the suite does not compile against $KVER ($KSRC): $(grep -m1 -E 'error' "$out/compile.log" || tail -n 1 "$out/compile.log") (log: $out/compile.log)"
	echo "compile: the suite builds against $KVER ($KSRC) for $IR_ARCH"
}

# Defaults, then the command line.
IR_ACTION=
IR_NATIVE=
IR_CPUS=2
IR_CPUS_GIVEN=
IR_MEM=4096
IR_TIMEOUT=
IR_ACCEL=
IR_EXEC=()
IR_RESULTS=$IR_TOP/results
IR_CACHE=${IR_CACHE:-$IR_CACHE_DEFAULT}
IR_EXTRA_CONFIG=
IR_ICOUNT=
# Guest time counts instructions, one nanosecond each.
IR_ICOUNT_OPTS=shift=0,sleep=off
IR_KERNEL_ARGS=
IR_WALLCLOCK=
# The bench's guest sealed from the host (scripts/sealed.sh): yes, no, or
# empty for the default; IR_SEALED is what the run does.
IR_SEALED_ASKED=
IR_SEALED=
# TCG's vCPU threads: one per vCPU (multi), or all vCPUs on one thread
# in turn (single), as under icount; IR_TCG_THREAD from the environment
# is the default (make check's lanes set it: scripts/check.sh).
IR_TCG_THREAD=${IR_TCG_THREAD:-multi}
IR_BENCH_ARGS=()
IR_COMPARE=()
IR_PLOT=
IR_THRESHOLD=
IR_EXPLAIN=
IR_DEBUG=
IR_KERNEL=
IR_KSRC_B=
IR_PATCH=
IR_BOOTS=
IR_GOOD=
IR_BAD=
IR_SCENARIO=
IR_ALLOW_MISSING=
# The options given that belong to some actions only (IR_OPTION_ACTIONS).
IR_OPTS_FOR=()
IR_TREND=hwpt_hwpt
IR_TARBALL=
IR_ARCH=x86_64
IR_PAGE_SIZE=4k
IR_IOMMU=none

set_action() {
	[ -z "$IR_ACTION" ] || usage_error "choose one action, not '$IR_ACTION' and '$1'"
	IR_ACTION=$1
}

# The command as given: what a report says reproduces it.
IR_COMMAND=$(printf '%q ' "$0" "$@")
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--ksrc) need_arg "$@"
		# A second --ksrc is kernel B of compare-kernels.
		if [ -n "${IR_KSRC_A_SET:-}" ]; then
			[ -z "$IR_KSRC_B" ] || usage_error "--ksrc given three times"
			IR_KSRC_B=$2
		else
			KSRC=$2 IR_KSRC_A_SET=1
		fi
		shift ;;
	--patch) need_arg "$@"; IR_PATCH=$(readlink -f -- "$2") && [ -f "$IR_PATCH" ] ||
			usage_error "--patch: no such file: $2"
		shift ;;
	--boots) need_arg "$@"; IR_BOOTS=$2; IR_OPTS_FOR+=(--boots); shift ;;
	--good) need_arg "$@"; IR_GOOD=$2; IR_OPTS_FOR+=(--good); shift ;;
	--bad) need_arg "$@"; IR_BAD=$2; IR_OPTS_FOR+=(--bad); shift ;;
	--scenario) need_arg "$@"; IR_SCENARIO=$2; IR_OPTS_FOR+=(--scenario); shift ;;
	--allow-missing) IR_ALLOW_MISSING=1; IR_OPTS_FOR+=(--allow-missing) ;;
	--kernel) need_arg "$@"
		case $2 in
		stable | sid) IR_KERNEL=$2 ;;
		*) usage_error "--kernel takes stable or sid, not '$2'" ;;
		esac
		shift ;;
	--kconfig) need_arg "$@"; IR_EXTRA_CONFIG=$(readlink -f -- "$2") ||
			usage_error "--kconfig: no such file: $2"
		[ -f "$IR_EXTRA_CONFIG" ] || usage_error "--kconfig: no such file: $2"
		shift ;;
	--arch) need_arg "$@"; IR_ARCH=$2; shift ;;
	--iommu) need_arg "$@"; IR_IOMMU=$2; shift ;;
	--page-size) need_arg "$@"; IR_PAGE_SIZE=${2,,}; shift ;;
	--native) IR_NATIVE=1 ;;
	--debug) IR_DEBUG=1 ;;
	--cpus) need_arg "$@"; IR_CPUS=$2 IR_CPUS_GIVEN=1; shift ;;
	--mem) need_arg "$@"; IR_MEM=$2; shift ;;
	--kvm) IR_ACCEL=kvm ;;
	--tcg) IR_ACCEL=tcg ;;
	--icount) IR_ICOUNT=1 ;;
	--wallclock) IR_WALLCLOCK=1 ;;
	--sealed) IR_SEALED_ASKED=yes ;;
	--unsealed) IR_SEALED_ASKED=no ;;
	--tcg-thread) need_arg "$@"; IR_TCG_THREAD=$2; shift ;;
	--plot) need_arg "$@"; IR_PLOT=$2; IR_OPTS_FOR+=(--plot); shift ;;
	--threshold) need_arg "$@"; IR_THRESHOLD=$2; IR_OPTS_FOR+=(--threshold); shift ;;
	explain | --explain) need_arg "$@"; IR_EXPLAIN=$2; set_action explain; shift ;;
	--append) need_arg "$@"; IR_KERNEL_ARGS=$2; shift ;;
	--timeout) need_arg "$@"; IR_TIMEOUT=$2; shift ;;
	--results) need_arg "$@"; IR_RESULTS=$2; shift ;;
	--cache) need_arg "$@"; IR_CACHE=$2; shift ;;
	--dry-run) IR_DRY_RUN=1 ;;
	-q | --quiet) IR_QUIET=1 ;;
	--no-progress) IR_NO_PROGRESS=1 ;;
	all | selftests | shell | build | compile | coverage) set_action "$1" ;;
	bench) set_action bench ;;
	--)
		# What follows is the bench's own arguments.
		case $IR_ACTION in
		bench | compare-kernels | kselftest) ;;
		bisect) [ -n "$IR_SCENARIO" ] ||
			usage_error "'--' after bisect: the bench's arguments, for --scenario SCEN (put --scenario before it)" ;;
		*) usage_error "'--' (arguments of the bench or the runner) goes after bench, compare-kernels, bisect or kselftest" ;;
		esac
		shift
		IR_BENCH_ARGS=("$@")
		break ;;
	compare) set_action compare ;;
	compare-kernels) set_action compare-kernels ;;
	bisect) set_action bisect ;;
	kselftest)
		set_action kselftest
		case ${2:-} in
		'' | -*) ;;
		*) IR_TARBALL=$(readlink -f -- "$2") && [ -f "$IR_TARBALL" ] ||
			usage_error "kselftest: no such tarball: $2"
			shift ;;
		esac ;;
	lava | lava-validate) set_action "$1" ;;
	trend)
		set_action trend
		case ${2:-} in
		'' | -*) ;;
		*) IR_TREND=$2; shift ;;
		esac ;;
	exec)
		set_action exec
		shift
		[ $# -gt 0 ] || usage_error "exec needs a command"
		IR_EXEC=("$@")
		break ;;
	-*) usage_error "unknown option '$1'" ;;
	*)
		# compare takes its two files wherever the options are.
		[ "$IR_ACTION" = compare ] && [ ${#IR_COMPARE[@]} -lt 2 ] ||
			usage_error "unknown action '$1'"
		IR_COMPARE+=("$1") ;;
	esac
	shift
done
IR_ACTION=${IR_ACTION:-all}
kernel_arch
# The guest's limit: the longest guest measured here, the main job under
# TCG with icount on a loaded 2-core machine, ran about 150 s (make check,
# main), so 900 s is six times that; KASAN and lockdep under TCG make the
# suite several times slower (selftests 418 s measured): 3600 s.
# Coverage runs the kernel's own selftests too (iommufd_fail_nth: minutes
# under TCG): 3600 s as well.
[ -n "$IR_TIMEOUT" ] || IR_TIMEOUT=$([ -n "$IR_DEBUG" ] || [ "$IR_ACTION" = coverage ] && echo 3600 || echo 900)
# Live results while the guest runs: on a terminal, unless told not to.
IR_PROGRESS=
[ -t 1 ] && [ -z "${IR_QUIET:-}" ] && [ -z "${IR_NO_PROGRESS:-}" ] && IR_PROGRESS=1
[ "$IR_ACTION" != compare ] || [ ${#IR_COMPARE[@]} -eq 2 ] ||
	usage_error "compare needs two bench.json files"
# Which actions an option belongs to; with any other it is refused.
declare -A IR_OPTION_ACTIONS=(
	[--boots]="compare-kernels bisect"
	[--allow-missing]="compare compare-kernels"
	[--plot]="compare"
	[--threshold]="compare compare-kernels bisect"
	[--good]="bisect"
	[--bad]="bisect"
	[--scenario]="bisect"
)
for opt in ${IR_OPTS_FOR[@]+"${IR_OPTS_FOR[@]}"}; do
	[[ " ${IR_OPTION_ACTIONS[$opt]} " == *" $IR_ACTION "* ]] ||
		usage_error "$opt is for ${IR_OPTION_ACTIONS[$opt]// / or }, not $IR_ACTION"
done

[ -z "${KSRC:-}" ] || [ -z "$IR_KERNEL" ] ||
	usage_error "choose --ksrc (or KSRC) or --kernel, not both"
if [ "$IR_ACTION" = compare-kernels ]; then
	[ -n "$IR_KSRC_B" ] || [ -n "$IR_PATCH" ] ||
		usage_error "compare-kernels needs kernel B: a second --ksrc, or --patch FILE"
	[ -z "$IR_KSRC_B" ] || [ -z "$IR_PATCH" ] ||
		usage_error "kernel B is a second --ksrc or --patch, not both"
	[ -z "$IR_NATIVE" ] || usage_error "compare-kernels boots two kernels; drop --native"
else
	[ -z "$IR_KSRC_B" ] || usage_error "--ksrc twice is for compare-kernels"
	[ -z "$IR_PATCH" ] || [ -z "$IR_NATIVE" ] || usage_error "--patch builds a kernel; drop --native"
	case $IR_ACTION in
	compare | trend | compile | lava | lava-validate)
		[ -z "$IR_PATCH" ] || usage_error "--patch is for an action that boots a kernel, not $IR_ACTION" ;;
	bisect)
		[ -z "$IR_PATCH" ] || usage_error "bisect tests the tree's own commits; drop --patch"
		[ -z "$IR_NATIVE" ] || usage_error "bisect builds and boots each commit; drop --native" ;;
	esac
fi
# Boots a side: compare-kernels three, a bisect's steps one each; set
# below for a sealed guest, once the action's mode is known.
IR_BOOTS_GIVEN=$IR_BOOTS
[ -n "$IR_BOOTS" ] || IR_BOOTS=$([ "$IR_ACTION" = bisect ] && echo 1 || echo 3)
BI_BOOTS=$IR_BOOTS
for v in IR_CPUS IR_MEM IR_TIMEOUT IR_BOOTS; do
	n=${v#IR_}
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || usage_error "--${n,,} takes a positive whole number, not '${!v}'"
done
[[ $IR_TOP =~ [[:space:]] ]] && die "the work tree path '$IR_TOP' has white space; the guest's init= cannot name it"
if [ "$IR_ACCEL" = kvm ] && [ "$IR_ARCH" != "$IR_HOST_ARCH" ]; then
	usage_error "--kvm runs guests of this host's architecture ($IR_HOST_ARCH), not $IR_ARCH"
fi
if [ -n "$IR_ICOUNT" ] && [ "$IR_ACCEL" = kvm ]; then
	usage_error "--icount needs TCG; it cannot go with --kvm"
fi
case $IR_TCG_THREAD in
single | multi) ;;
*) usage_error "--tcg-thread takes single or multi, not '$IR_TCG_THREAD'" ;;
esac
if [ -n "$IR_ICOUNT" ] && [ -n "$IR_WALLCLOCK" ]; then
	usage_error "choose --icount or --wallclock, not both"
fi
# Timing counts instructions unless asked otherwise: the same kernel gives
# the same hot-path numbers on every boot, or whole per-boot steps apart
# (bench/README.md, "Repeatability").
case $IR_ACTION in
all | bench | explain | compare-kernels)
	[ -z "$IR_WALLCLOCK" ] && [ -z "$IR_ACCEL" ] && [ -z "$IR_NATIVE" ] &&
		IR_ICOUNT=1 ;;
esac

# A timed bench boots sealed from the host where it can (scripts/sealed.sh).
if [ "$IR_SEALED_ASKED" = yes ]; then
	sealed_usable || usage_error "--sealed is for bench, compare-kernels and bisect --scenario under icount on x86_64 with no --iommu"
	IR_SEALED=1
elif [ "$IR_SEALED_ASKED" = no ]; then
	sealed_usable || usage_error "--unsealed is for bench, compare-kernels and bisect --scenario under icount on x86_64 with no --iommu (every other guest is unsealed)"
elif sealed_usable; then
	IR_SEALED=1
fi
# A sealed guest has one vCPU: with two, which of them a kworker, a timer
# or the bench lands on differs between boots, and so do allocating
# records (bench/README.md, "The sealed guest").
[ -n "$IR_CPUS_GIVEN" ] || [ -z "$IR_SEALED" ] || IR_CPUS=1
# A sealed guest's exact floors see one instruction from one boot a
# side, but a record that allocates starts a step up in some boots; a
# side's floor is its fastest boot's, so two a side are not fooled by one
# such boot (bench/README.md, "The sealed guest").
[ -n "$IR_BOOTS_GIVEN" ] || [ -z "$IR_SEALED" ] || [ "$IR_ACTION" != compare-kernels ] || IR_BOOTS=2

# The steps of the action.
if [ "$IR_ACTION" = compare ]; then
	run_compare
elif [ "$IR_ACTION" = trend ]; then
	run_trend
elif [ "$IR_ACTION" = compare-kernels ]; then
	run_compare_kernels
elif [ "$IR_ACTION" = bisect ]; then
	run_bisect
elif [ "$IR_ACTION" = lava ] || [ "$IR_ACTION" = lava-validate ]; then
	run_lava
elif [ "$IR_ACTION" = compile ]; then
	run_compile
elif [ -n "$IR_NATIVE" ]; then
	run_native
else
	run_guest
fi
