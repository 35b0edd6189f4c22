#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: the project's own tests, as named checks (blktests' ./check).
#
# usage: scripts/check.sh [-q] [-l] [-j N] [NAME|TIER...]
#
# With no argument every check runs; NAME runs that check, TIER every
# check of that tier (quick: no guest and no kernel build, seconds; guest:
# the default kernel's guest; iommu: that kernel under QEMU's emulated
# IOMMUs, with edu DMA devices; build: kernel builds of their own;
# compare: compare-kernels; kselftest; lava; arm64; sid). -l lists them, -q prints
# only what did not pass and the totals, -j N runs N checks at a time
# (default: 2 where there are 2 cores or more, else 1).
#
# N checks at a time run in N work trees: this one, and copies of its
# sources in build/lane-K (run.sh allows one run per work tree, whose
# build/ holds the suite built for one kernel). A lane takes the next
# check in table order as soon as it is free; the kernel cache, its build
# lock and dpkg's lock are shared, so two checks that need one kernel
# build it once. A check's line is printed when it ends. No check changes
# what another one uses (dpkg-busy removes a package only the coverage
# action needs; the build checks interrupt builds in caches of their own).
#
# Each check is a function ck_NAME (dashes as underscores) in the table
# below. It keeps its whole output and runtime in results/check/NAME/
# (out, time), gives every run.sh it starts --results results/check/NAME/
# runs, and reads nothing but that: no check depends on another. A check
# that cannot run here says why (not_run) and counts as skipped. The TAP
# of a guest check's selftests counts test by test (harness tests); the
# last line is "N passed, N failed, N skipped".
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$top" || exit 1
IR_PROG=check.sh
# shellcheck source=scripts/verdict.sh
. "$top/scripts/verdict.sh"
# shellcheck source=scripts/common.sh
. "$top/scripts/common.sh"
# shellcheck source=scripts/signals.sh
. "$top/scripts/signals.sh"
# shellcheck source=scripts/check-cases.sh
. "$top/scripts/check-cases.sh"

CHECK_TIERS="quick guest iommu build compare kselftest lava arm64 sid"
CHECK_ROOT=$top/results/check
# A check that runs after another, in the work tree that one ran in (in
# this one where that one is not run): bench-plan runs the suite that
# main built.
declare -A CHECK_AFTER=([bench-plan]=main)

# check_table: "NAME TIER DESCRIPTION" a line, in the order they run:
# the quick tier first, then the default kernel's guest, then what builds
# kernels of its own. (A tier is a label: a check may run later than its
# tier's others when it uses what an earlier check builds.)
check_table() {
	grep -v '^#' <<'TABLE'
usage-bad-option         quick     a bad option: one line, exit 2
usage-unknown-kernel     quick     an unknown --kernel: one line, exit 2
usage-bad-number         quick     a bad number: one line, exit 2
usage-missing-tree       quick     a missing kernel tree: one line, exit !0
usage-old-tree           quick     a tree without iommufd: the suite's needs, one line, exit 125 (untestable)
usage-compare-kernels    quick     compare-kernels without kernel B: one line, exit 2
usage-page-size          quick     --page-size 64k on x86_64: one line, exit 2
usage-arch               quick     an --arch the suite does not know: one line, exit 2
usage-sealed             quick     --sealed or --unsealed where no sealed guest runs: one line, exit 2
usage-iommu              quick     an --iommu the architecture has not: one line, exit 2
second-run-refused       quick     a second run.sh in one work tree: one line, exit !0
verdict-parsers          quick     verdict: TAP counts, dmesg splats, kmemleak
tracker-formats          quick     KCIDB, BMF, LKP: valid against bench/schema, agreeing with the TAP and the records; bad ones refused
lava-testdef             quick     lava/testdef.sh in a made test shell: every verdict and every record's figures in ns recorded
results-short-file       quick     a result shorter than the guest wrote: one line, no verdict
compare-not-ours         quick     compare: a JSON not ours, one line, exit 2
compare-damaged          quick     compare: our schema, a damaged record: one line, exit 2
compare-older-schema     quick     compare: an older schema version: one line, exit 2
compare-missing-record   quick     compare: a record one side lacks fails the verdict
compare-detects          quick     compare: a 2.5% move of the hot path is flagged, both ways
compare-thresholds       quick     compare: each class's threshold and the verdict rules, unit tests
oracle-log               quick     the oracle's log fed a recorded trace: its answers, the lines it refuses
coverage-tables          quick     coverage: the tables from two small lcov tracefiles
shellcheck               quick     shellcheck -x of run.sh and every script: no warning
pyflakes                 quick     pyflakes3 of every Python file: nothing
main                     guest     the main job: selftests, the oracle on, the quick bench and its outputs
# Quick where the suite is built; in a full run after main, which builds it.
bench-plan               quick     the bench's quick preset plans the expected points
guest-devices            guest     the guest has /dev/iommu, the mock driver, 2 vCPUs in 2 NUMA nodes
guest-exit-status        guest     the guest's exit status reaches the host
guest-hang               guest     a hung guest: killed, one line, exit !0, console log kept
guest-panic              guest     a panicked guest: one line with the panic, exit !0
guest-no-job             guest     a guest that dies before its job: one line, exit 125 (untestable, for bisect)
oracle-off               guest     oracle off: driver-level checks SKIP with the reason
native-skips             guest     a native run without /dev/iommu: every test SKIPs with a reason
accel-choice             guest     one accelerator rule: --tcg holds for compare-kernels, --kvm never falls back
sigint-guest             guest     Ctrl-C in the guest: all stopped in 5 s, exit 130
sigterm-guest            guest     SIGTERM in the guest: all stopped in 5 s, exit 143
sighup-guest             guest     SIGHUP in the guest (a closed terminal): all stopped in 5 s, exit 129
sigkill-guest            guest     SIGKILL to run.sh in the guest: all stopped in 5 s, next run starts
results-full             guest     a results disk that fills up: one line, exit !0, no verdict
dpkg-busy                guest     dpkg busy: the run waits for its lock, installs, passes
dma-intel                iommu     VT-d: a live edu device's DMA follows every replace (replace_dma)
dma-amd                  iommu     AMD-Vi: a live edu device's DMA follows every replace (replace_dma)
dma-virtio               iommu     virtio-iommu: a live edu device's DMA follows every replace (replace_dma)
dma-intel-fix            iommu     VT-d with patches/iommufd-keep-resv-on-failed-replace-6.12.patch: the walk that failed passes
bench-dma-intel          iommu     the bench on VT-d's edu devices under icount: the driver in every record, compare, metrics, plots
impossible-config        build     an option the tree cannot enable: named, exit 125 (untestable)
sigint-build             build     Ctrl-C in the kernel build: stopped, not stamped
sigkill-build            build     SIGKILL to run.sh in the kernel build: all stopped, not stamped
mutations                build     bugs made on purpose (an unwind, a state, a refusal, a flag, a use-after-free)
compare-aa               compare   compare-kernels: the default tree against itself, nothing flagged
compare-slowdown         compare   compare-kernels: the slowdown patch is flagged, replace at the top
sealed                   compare   the sealed guest: the replace records' floors within the clock's nanosecond across boots, one trip of the slowdown loop flagged on each from two boots
bisect                   compare   bisect: a made history, the slow commit named, the broken one skipped, the report
kselftest                kselftest gen_tar, run_kselftest.sh in the guest: the expected results, kunit.py agrees
kselftest-hang           kselftest a hanging test is a TIMEOUT, the next one runs
lava                     lava      the LAVA job validated, run by lava-run, every test recorded
arm64-64k                arm64     arm64 at 64 KiB pages: the expected results, the bench under icount
arm64-4k                 arm64     arm64 at 4 KiB pages: the expected results
dma-smmuv3               arm64     SMMUv3 at 64 KiB pages: a live edu device's DMA follows every replace (replace_dma)
bench-dma-smmuv3         arm64     the bench on SMMUv3's edu devices at 64 KiB pages under icount: the driver in every record
dma-intel-sid            sid       VT-d on Debian unstable's kernel: DMA follows every replace
dma-virtio-sid           sid       virtio-iommu on Debian unstable's kernel: DMA follows every replace
dma-amd-sid              sid       AMD-Vi on Debian unstable's kernel: DMA follows every replace
dma-smmuv3-sid           sid       SMMUv3 at 64 KiB pages on Debian unstable's kernel: DMA follows every replace
sid-compile              sid       the suite compiles against Debian unstable's kernel
sid-selftests            sid       the selftests pass on Debian unstable's kernel, but for its listed known failures
TABLE
}

usage() {
	sed -n 's/^# usage: /usage: /p' "${BASH_SOURCE[0]}"
	echo "checks (scripts/check.sh -l lists them); tiers: $CHECK_TIERS"
}

# The names the arguments select, in table order.
select_checks() {
	local want=" $* " name tier
	while read -r name tier _; do
		if [ $# -eq 0 ] || [[ $want == *" $name "* ]] || [[ $want == *" $tier "* ]]; then
			echo "$name"
		fi
	done < <(check_table)
}

# The state of one make check run.
runner_pass=0 runner_fail=0 runner_skip=0
harness_pass=0 harness_fail=0 harness_skip=0 harness_taps=0
failures=()
quiet=
checks_time=0 checks_cpu=0

# count_tap CK: adds the TAP files check CK named (harness_tap) to the
# harness tests; their failures are listed by name.
count_tap() {
	local ck=$1 tap prefix p f s
	[ -f "$ck/taps" ] || return 0
	while read -r tap prefix; do
		read -r p f s <<<"$(tap_counts "$tap")"
		harness_pass=$((harness_pass + p)) harness_fail=$((harness_fail + f))
		harness_skip=$((harness_skip + s)) harness_taps=$((harness_taps + 1))
		[ "$f" -eq 0 ] || mapfile -t -O "${#failures[@]}" failures < \
			<(tap_failures "$tap" | sed "s/^/$prefix/" | tr ' ' _)
	done <"$ck/taps"
}

# cpu_seconds FILE: the user and system time of this shell and what it
# waited for, in whole seconds, into FILE (times, run in this shell: in a
# pipe or $(...) it would count a subshell's).
cpu_seconds() {
	times >"$1.times" &&
		tr 'ms' '  ' <"$1.times" | awk '{ t += $1 * 60 + $2 + $3 * 60 + $4 } END { printf "%d\n", t + 0.5 }' >"$1"
	rm -f "$1.times"
}

# run_check NAME: runs ck_NAME in the current work tree, its output into
# results/check/NAME/out, its runtime into time and its status into rc;
# the runtime of the run before is kept in last (as blktests shows it).
run_check() {
	local name=$1 ck=$CHECK_ROOT/$1 t0 last rc=0
	last=$(cat "$ck/time" 2>/dev/null)
	rm -rf "$ck" && mkdir -p "$ck" || { echo "cannot create $ck"; return 1; }
	[ -z "$last" ] || echo "$last" >"$ck/last"
	t0=$(date +%s)
	# A subshell: a check's variables and cd stay its own. Its processes'
	# CPU time, the guests' included, goes to cpu: what two lanes share.
	(
		CK=$ck && "ck_${name//-/_}"
		rc=$?
		cpu_seconds "$ck/cpu"
		exit $rc
	) >"$ck/out" 2>&1 </dev/null || rc=$?
	echo "$(($(date +%s) - t0))" >"$ck/time"
	echo "$rc" >"$ck/rc"
}

# report_check NAME: counts how check NAME went and says so.
report_check() {
	local name=$1 tier desc ck=$CHECK_ROOT/$1 rc secs last state cpu
	read -r _ tier desc < <(check_table | awk -v n="$name" '$1 == n')
	rc=$(cat "$ck/rc" 2>/dev/null || echo 1)
	secs=$(cat "$ck/time" 2>/dev/null || echo 0)
	last=$(cat "$ck/last" 2>/dev/null)
	count_tap "$ck"
	case $rc in
	0) state=passed runner_pass=$((runner_pass + 1)) ;;
	77) state="not run" runner_skip=$((runner_skip + 1)) ;;
	*) state=failed runner_fail=$((runner_fail + 1)) failures+=("$name") ;;
	esac
	cpu=$(cat "$ck/cpu" 2>/dev/null || echo 0)
	checks_time=$((checks_time + secs)) checks_cpu=$((checks_cpu + cpu))
	[ -n "$quiet" ] && [ "$rc" -eq 0 ] && return
	printf '%-24s %-9s %-60s [%s] %4ss, CPU %ss (last: %s)\n' "$name" "$tier" "$desc" \
		"$state" "$secs" "$cpu" "$([ -n "$last" ] && echo "${last}s" || echo none)"
	if [ "$rc" -eq 77 ]; then
		echo "    not run: $(cat "$ck/not-run" 2>/dev/null)"
	elif [ "$rc" -ne 0 ]; then
		tail -n 20 "$ck/out" 2>/dev/null | sed 's/^/    /'
		echo "    full output: ${ck#"$top"/}/out"
	fi
}

# lane_tree K: the work tree of lane K: this one, or build/lane-K.
lane_tree() {
	if [ "$1" -eq 0 ]; then echo "$top"; else echo "$top/build/lane-$1"; fi
}

# lane_prepare K: lane K's copy of this tree's sources, made afresh once
# a run, before any check starts (a check builds in its tree), beside the
# copy's own build/ of the run before. The sources: what git tracks, or
# would, and .git itself (job.sh names the suite's revision); without git,
# everything but build/ and results/, then what the Makefile builds goes.
lane_prepare() {
	local dst
	dst=$(lane_tree "$1")
	[ "$1" -ne 0 ] || return 0
	mkdir -p "$dst" &&
		find "$dst" -mindepth 1 -maxdepth 1 ! -name build ! -name results -exec rm -rf {} + ||
		{ echo "check.sh: cannot empty $dst" >&2; exit 1; }
	if [ -d "$top/.git" ]; then
		{ git -C "$top" ls-files -z --cached --others --exclude-standard && printf '.git\0'; } |
			tar -C "$top" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$dst" -xf -
	else
		tar -C "$top" --exclude=./build --exclude=./results -cf - . | tar -C "$dst" -xf - &&
			{ make -s -C "$dst" clean >/dev/null 2>&1 || :; }
	fi || { echo "check.sh: cannot copy the work tree into $dst" >&2; exit 1; }
}

# The state of the lanes: the check each runs (by pid), the lane each
# check ran in.
declare -A lane_pid=() pid_check=() check_lane=()
pending=() selected=" "

# may_start NAME K: whether check NAME may start in lane K now.
may_start() {
	local name=$1 k=$2 after=${CHECK_AFTER[$1]:-}
	if [ -n "$after" ] && [[ $selected == *" $after "* ]]; then
		[ "${check_lane[$after]:-}" = "$k" ] && [ -f "$CHECK_ROOT/$after/rc" ]
	elif [ -n "$after" ]; then
		[ "$k" -eq 0 ]
	fi
}

# lane_order K: the indices of the pending checks in the order lane K
# takes them: even lanes from the front of the table, odd ones from its
# end, where the checks with kernels of their own are (arm64, Debian
# unstable's): their builds start beside the first guests, and the lanes
# meet in the middle.
lane_order() {
	local i
	if [ $(($1 % 2)) -eq 0 ]; then
		printf '%s\n' "${!pending[@]}"
	else
		for ((i = ${#pending[@]} - 1; i >= 0; i--)); do echo "$i"; done
	fi
}

# start_checks LANES: each free lane takes the first pending check that
# may start there.
start_checks() {
	local lanes=$1 k i name
	for ((k = 0; k < lanes; k++)); do
		[ -z "${lane_pid[$k]:-}" ] || continue
		for i in $(lane_order "$k"); do
			name=${pending[$i]}
			if may_start "$name" "$k"; then
				# Job control for the moment of the start: the check runs as a
				# process group of its own that takes SIGINT (an asynchronous
				# job of a shell without it ignores SIGINT for good).
				set -m
				(cd "$(lane_tree "$k")" && run_check "$name") &
				set +m
				lane_pid[$k]=$! pid_check[$!]=$name check_lane[$name]=$k
				unset "pending[$i]"
				pending=("${pending[@]}")
				break
			fi
		done
	done
}

# finish_check PID: the lane of the check PID ran is free.
finish_check() {
	local pid=$1 name=${pid_check[$1]} k
	k=${check_lane[$name]}
	unset "pid_check[$pid]" "lane_pid[$k]"
	report_check "$name"
}

# Ctrl-C, SIGTERM, SIGHUP: to every running check's process group (each
# run.sh in them stops its guest and children), then the status of the
# signal, once they are gone.
stop_checks() {
	local sig=$1 pid
	trap - INT TERM HUP
	for pid in "${!pid_check[@]}"; do
		kill -"$sig" -- "-$pid" 2>/dev/null
	done
	wait
	echo "check.sh: interrupted by SIG$sig" >&2
	case $sig in INT) exit 130 ;; TERM) exit 143 ;; HUP) exit 129 ;; esac
}

# run_checks LANES NAME...: the checks, LANES at a time.
run_checks() {
	local lanes=$1 pid k
	shift
	pending=("$@")
	selected=" $* "
	for ((k = 1; k < lanes && k < $#; k++)); do
		lane_prepare "$k"
	done
	trap 'stop_checks INT' INT
	trap 'stop_checks TERM' TERM
	trap 'stop_checks HUP' HUP
	while :; do
		start_checks "$lanes"
		[ ${#pid_check[@]} -gt 0 ] || break
		pid=
		wait -n -p pid "${!pid_check[@]}"
		# (A trapped signal interrupts the wait with no pid.)
		[ -z "$pid" ] || [ -z "${pid_check[$pid]:-}" ] || finish_check "$pid"
	done
	trap - INT TERM HUP
	[ ${#pending[@]} -eq 0 ] || { echo "check.sh: cannot start ${pending[*]}" >&2; exit 1; }
}

main() {
	local list=0 lanes names arg t0
	lanes=$([ "$(nproc)" -ge 2 ] && echo 2 || echo 1)
	while [ $# -gt 0 ]; do
		case $1 in
		-l) list=1 ;;
		-q) quiet=1 ;;
		-j)
			[[ ${2:-} =~ ^[1-9][0-9]*$ ]] ||
				{ echo "check.sh: -j takes a positive whole number" >&2; exit 2; }
			lanes=$2
			shift
			;;
		-h | --help) usage; exit 0 ;;
		-*) echo "check.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
		*) break ;;
		esac
		shift
	done
	for arg in "$@"; do
		check_table | awk -v a="$arg" '$1 == a || $2 == a { found = 1 } END { exit !found }' ||
			{ echo "check.sh: no check or tier named '$arg' (scripts/check.sh -l)" >&2; exit 2; }
	done
	mapfile -t names < <(select_checks "$@")
	if [ $list -eq 1 ]; then
		for arg in "${names[@]}"; do
			check_table | awk -v n="$arg" '$1 == n'
		done
		exit 0
	fi
	[ "${#names[@]}" -ge "$lanes" ] || lanes=${#names[@]}
	# Two guests of two vCPUs each on two cores, a thread per vCPU: each
	# vCPU spins for the other while the host runs the other guest. Two
	# `exec true` at once took 34 s and 32 s of CPU each so, 13 s and 12 s
	# with one thread a guest (13 s alone): lanes run their guests so.
	[ "$lanes" -eq 1 ] || export IR_TCG_THREAD=${IR_TCG_THREAD:-single}
	t0=$(date +%s)
	run_checks "$lanes" "${names[@]}"
	echo "time: $(($(date +%s) - t0)) s with $lanes at a time; the checks' own $checks_time s, their CPU $checks_cpu s on $(nproc) cores"
	[ ${#failures[@]} -eq 0 ] || echo "failures: ${failures[*]}"
	echo "harness tests: $harness_pass passed, $harness_fail failed, $harness_skip skipped (in $harness_taps TAP runs); runner checks: $runner_pass passed, $runner_fail failed, $runner_skip skipped"
	echo "$((harness_pass + runner_pass)) passed, $((harness_fail + runner_fail)) failed, $((harness_skip + runner_skip)) skipped"
	[ $((harness_fail + runner_fail)) -eq 0 ]
}

main "$@"
