#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: the project's own tests, as named checks (blktests' ./check).
#
# usage: scripts/check.sh [-q] [-l] [NAME|TIER...]
#
# With no argument every check runs; NAME runs that check, TIER every
# check of that tier (quick: no guest and no kernel build, seconds; guest:
# the default kernel's guest; build: kernel builds of their own; compare:
# compare-kernels; kselftest; lava; arm64; sid). -l lists them, -q prints
# only what did not pass and the totals.
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

CHECK_TIERS="quick guest build compare kselftest lava arm64 sid"
CHECK_ROOT=$top/results/check

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
usage-old-tree           quick     a tree without iommufd: the suite's needs, one line
usage-compare-kernels    quick     compare-kernels without kernel B: one line, exit 2
usage-page-size          quick     --page-size 64k on x86_64: one line, exit 2
usage-arch               quick     an --arch the suite does not know: one line, exit 2
second-run-refused       quick     a second run.sh in one work tree: one line, exit !0
verdict-parsers          quick     verdict: TAP counts, dmesg splats, kmemleak
results-short-file       quick     a result shorter than the guest wrote: one line, no verdict
compare-not-ours         quick     compare: a JSON not ours, one line, exit 2
compare-damaged          quick     compare: our schema, a damaged record: one line, exit 2
compare-older-schema     quick     compare: an older schema version: one line, exit 2
compare-missing-record   quick     compare: a record one side lacks fails the verdict
compare-detects          quick     compare: a 2.5% move of the hot path is flagged, both ways
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
oracle-off               guest     oracle off: driver-level checks SKIP with the reason
native-skips             guest     a native run without /dev/iommu: every test SKIPs with a reason
sigint-guest             guest     Ctrl-C in the guest: all stopped in 5 s, exit 130
sigterm-guest            guest     SIGTERM in the guest: all stopped in 5 s, exit 143
sighup-guest             guest     SIGHUP in the guest (a closed terminal): all stopped in 5 s, exit 129
sigkill-guest            guest     SIGKILL to run.sh in the guest: all stopped in 5 s, next run starts
results-full             guest     a results disk that fills up: one line, exit !0, no verdict
dpkg-busy                guest     dpkg busy: the run waits for its lock, installs, passes
impossible-config        build     an option the tree cannot enable: named
sigint-build             build     Ctrl-C in the kernel build: stopped, not stamped
sigkill-build            build     SIGKILL to run.sh in the kernel build: all stopped, not stamped
mutations                build     bugs made on purpose (a state, a refusal, a use-after-free)
compare-aa               compare   compare-kernels: the default tree against itself, nothing flagged
compare-slowdown         compare   compare-kernels: the slowdown patch is flagged, replace at the top
kselftest                kselftest gen_tar, run_kselftest.sh in the guest: the expected results, kunit.py agrees
kselftest-hang           kselftest a hanging test is a TIMEOUT, the next one runs
lava                     lava      the LAVA job validated, run by lava-run, every test recorded
arm64-64k                arm64     arm64 at 64 KiB pages: the expected results, the bench under icount
arm64-4k                 arm64     arm64 at 4 KiB pages: the expected results
sid-compile              sid       the suite compiles against Debian unstable's kernel
sid-selftests            sid       the selftests pass on Debian unstable's kernel
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

# run_check NAME: runs ck_NAME, its output into results/check/NAME/out,
# and says how it went, beside its runtime last time (as blktests does).
run_check() {
	local name=$1 tier desc ck t0 secs last rc=0 state
	read -r _ tier desc < <(check_table | awk -v n="$name" '$1 == n')
	ck=$CHECK_ROOT/$name
	last=$(cat "$ck/time" 2>/dev/null)
	rm -rf "$ck" && mkdir -p "$ck" || { echo "cannot create $ck"; exit 1; }
	t0=$(date +%s)
	# A subshell: a check's variables and cd stay its own.
	(CK=$ck && "ck_${name//-/_}") >"$ck/out" 2>&1 </dev/null || rc=$?
	secs=$(($(date +%s) - t0))
	echo "$secs" >"$ck/time"
	count_tap "$ck"
	case $rc in
	0) state=passed runner_pass=$((runner_pass + 1)) ;;
	77) state="not run" runner_skip=$((runner_skip + 1)) ;;
	*) state=failed runner_fail=$((runner_fail + 1)) failures+=("$name") ;;
	esac
	[ -n "$quiet" ] && [ $rc -eq 0 ] && return
	printf '%-24s %-9s %-60s [%s] %4ss (last: %s)\n' "$name" "$tier" "$desc" "$state" \
		"$secs" "$([ -n "$last" ] && echo "${last}s" || echo none)"
	if [ $rc -eq 77 ]; then
		echo "    not run: $(cat "$ck/not-run" 2>/dev/null)"
	elif [ $rc -ne 0 ]; then
		tail -n 20 "$ck/out" | sed 's/^/    /'
		echo "    full output: ${ck#"$top"/}/out"
	fi
}

main() {
	local list=0 names arg
	while [ $# -gt 0 ]; do
		case $1 in
		-l) list=1 ;;
		-q) quiet=1 ;;
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
	for arg in "${names[@]}"; do
		run_check "$arg"
	done
	[ ${#failures[@]} -eq 0 ] || echo "failures: ${failures[*]}"
	echo "harness tests: $harness_pass passed, $harness_fail failed, $harness_skip skipped (in $harness_taps TAP runs); runner checks: $runner_pass passed, $runner_fail failed, $runner_skip skipped"
	echo "$((harness_pass + runner_pass)) passed, $((harness_fail + runner_fail)) failed, $((harness_skip + runner_skip)) skipped"
	[ $((harness_fail + runner_fail)) -eq 0 ]
}

main "$@"
