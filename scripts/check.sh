#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: the guest selftests, counted test by test, and the promises
# run.sh makes to its users (bad input, hangs, exit status), each a check.
# Ends with "N passed, N failed, N skipped".
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$top" || exit 1
# shellcheck source=scripts/verdict.sh
. "$top/scripts/verdict.sh"
# shellcheck source=scripts/common.sh
. "$top/scripts/common.sh"

pass=0 fail=0 skip=0
failed=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Each check's runtime is shown beside its last one, as blktests does.
times=results/check-times
mkdir -p results
touch "$times"

# check NAME CMD...: CMD's status is the check's.
check() {
	local name=$1 t0 rc=0 secs last
	shift
	t0=$(date +%s)
	"$@" >"$tmp/out" 2>&1 || rc=$?
	secs=$(($(date +%s) - t0))
	last=$(awk -F'\t' -v n="$name" '$1 == n { print $2 "s" }' "$times")
	awk -F'\t' -v n="$name" '$1 != n' "$times" >"$tmp/times"
	printf '%s\t%s\n' "$name" "$secs" >>"$tmp/times"
	cp "$tmp/times" "$times"
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		printf '%-50s [passed] %4ss  (last: %s)\n' "$name" "$secs" "${last:-none}"
	else
		fail=$((fail + 1))
		failed+=("$name")
		printf '%-50s [failed] %4ss  (last: %s)\n' "$name" "$secs" "${last:-none}"
		sed 's/^/    /' "$tmp/out" | tail -n 20
	fi
}

# expect_error STATUS PATTERN CMD...: CMD exits STATUS ("!0": any failure)
# and says so in exactly one line on stderr, matching PATTERN.
expect_error() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >/dev/null 2>"$tmp/stderr" || rc=$?
	cat "$tmp/stderr"
	case $want in
	'!0') [ $rc -ne 0 ] || { echo "exit status 0, wanted a failure"; return 1; } ;;
	*) [ $rc -eq "$want" ] || { echo "exit status $rc, wanted $want"; return 1; } ;;
	esac
	[ "$(grep -c . "$tmp/stderr")" -eq 1 ] || { echo "wanted one line on stderr"; return 1; }
	grep -qE -- "$pat" "$tmp/stderr" || { echo "stderr lacks /$pat/"; return 1; }
}

expect_status() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	[ $rc -eq "$want" ] || { echo "exit status $rc, wanted $want"; return 1; }
}

# The main job, as the README runs it: every harness test of the guest
# selftests counts on its own, and the quick bench must deliver.
echo "== the main job (./run.sh): guest selftests and the quick bench"
rc=0
./run.sh >"$tmp/main.out" 2>"$tmp/main.err" || rc=$?
cat "$tmp/main.err" "$tmp/main.out"
main=$(readlink -f results/latest)
tap=$main/selftests.tap
if [ -f "$tap" ] && grep -qE '^selftests: [0-9]+ passed' "$tmp/main.out"; then
	read -r p f s <<<"$(tap_counts "$tap")"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	[ "$f" -gt 0 ] && failed+=($(tap_failures "$tap" | tr ' ' _))
	# A clean TAP with a failing run: the kernel log or the bench failed it.
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		fail=$((fail + 1)) failed+=("main-job-verdict")
	fi
else
	fail=$((fail + 1)) failed+=("main-job-selftests")
fi
check "main job: the device-side oracle was on" \
	grep -x -- '- device-side oracle: on' "$main/summary.md"
check "main job: quick bench wrote bench.json" \
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not d["records"])' \
	"$main/bench.json"
# What trackers and people read without the JSON: the flat metrics (one
# value per boot), LAVA measurement lines, plots embedded in summary.md,
# and a line of history that ./run.sh trend draws.
main_outputs() {
	"$IR_PYTHON" -c '
import json, sys
m = json.load(open(sys.argv[1]))
v = m["iommufd-replace/hwpt_hwpt/replace/1M/p50_ns"]
print("hwpt_hwpt/replace/1M/p50_ns", v)
sys.exit(not (len(v) == 1 and v[0] > 0 and all(isinstance(x, list) for x in m.values())))' \
		"$main/metrics.json" || return 1
	grep -qE '^lava-test-case iommufd-replace_hwpt_hwpt_replace_1M_p50 --result pass --measurement [0-9]+ --units ns$' \
		"$main/lava-measurements.txt" || { echo "no LAVA measurement of the hot path"; return 1; }
	for f in cdf scaling-memory scaling-devices-threads; do
		file "$main/plots/$f.png" | grep -q 'PNG image' && [ -s "$main/plots/$f.svg" ] &&
			grep -qF "](plots/$f.png)" "$main/summary.md" ||
			{ echo "plot $f missing from $main"; return 1; }
	done
	grep -qF "\"results\": \"$main\"" results/history.jsonl || { echo "no history line"; return 1; }
	./run.sh -q trend hwpt_hwpt && file results/trend-hwpt_hwpt.png | grep -q 'PNG image'
}
check "main job: metrics.json, LAVA lines, plots, history and trend" main_outputs

echo "== run.sh promises"
check "bad option: one line, exit 2" \
	expect_error 2 "unknown option '--frobnicate'" ./run.sh --frobnicate
check "unknown --kernel: one line, exit 2" \
	expect_error 2 "--kernel takes stable or sid, not 'testing'" ./run.sh --kernel testing
check "bad number: one line, exit 2" \
	expect_error 2 "--cpus takes a positive whole number" ./run.sh --cpus two
check "missing kernel tree: one line, exit !0" \
	expect_error '!0' "'/nonexistent' does not exist" ./run.sh -q --ksrc /nonexistent
# A tree too old for the suite (Debian's linux-source-6.1, say) is told
# so in the suite's terms, before anything is built.
old_tree() {
	mkdir -p "$tmp/linux-6.1/drivers/iommu" &&
		printf 'kernelversion:\n\t@echo 6.1.158\n' >"$tmp/linux-6.1/Makefile" &&
		expect_error '!0' 'kernel 6.1.158 in .* cannot run this suite: it has no iommufd and its mock driver .*, no device replace' \
			./run.sh -q --ksrc "$tmp/linux-6.1" selftests
}
check "tree without iommufd: the suite's needs, one line" old_tree
check "option the tree cannot enable: named" \
	expect_error '!0' "cannot enable CONFIG_IOMMUFD_NO_SUCH_OPTION" \
	./run.sh -q --kconfig scripts/test-data/impossible.config build
check "guest has /dev/iommu and the mock driver" \
	./run.sh -q exec sh -c 'test -c /dev/iommu && test -d /sys/bus/iommufd_mock'
check "guest has 2 vCPUs in 2 NUMA nodes" \
	./run.sh -q exec sh -c 'test "$(nproc)" = 2 && test -d /sys/devices/system/node/node1'
check "guest exit status reaches the host" \
	expect_status 3 ./run.sh -q exec sh -c 'exit 3'
# 30 s: a guest on a loaded 2-core host took 11 s to reach its job, and a
# console log is only written once the guest has reached it.
check "hung guest: killed, one line, exit !0" \
	expect_error '!0' 'did not power off within 30s' \
	./run.sh -q --timeout 30 exec sleep 1000
check "hung guest keeps its console log" \
	test -s results/latest/console.log
check "panicked guest: one line with the panic, exit !0" \
	expect_error '!0' 'guest stopped before its job finished \(panic\?\): .*Kernel panic' \
	./run.sh -q exec sh -c 'echo c >/proc/sysrq-trigger; sleep 60'

# One run.sh per work tree: a second one would rebuild the suite under the
# first one's guest.
second_run_refused() (
	exec {lock}>build/.run.lock
	flock -n "$lock" || exit 1
	expect_error '!0' 'another run.sh is using this work tree' ./run.sh -q exec true
)
check "second run.sh in one work tree: one line, exit !0" second_run_refused

# Ctrl-C as a terminal sends it, to the whole process group of run.sh:
# within 5 s it is gone with status 130 and so is every process it started;
# what the guest wrote is kept, the run says it was interrupted and is not
# results/latest.
interrupted_guest() {
	local res=$tmp/int-results run
	python3 scripts/interrupt.py "$res/*/selftests.tap" '^# ok [0-9]+ ' -- \
		./run.sh -q --results "$res" selftests || return 1
	run=$(find "$res" -mindepth 1 -maxdepth 1 -type d)
	grep -H . "$run/summary.md"
	grep -q 'interrupted by SIGINT' "$run/summary.md" &&
		grep -qE '^# ok [0-9]+ ' "$run/selftests.tap" &&
		[ ! -e "$res/latest" ]
}
check "Ctrl-C in the guest: all stopped in 5s, exit 130" interrupted_guest

# The same while the kernel builds (a cache of its own, so the real one
# stays whole): the build stops, and what it left is not taken for a
# finished kernel.
interrupted_build() {
	local cache=$tmp/int-cache
	python3 scripts/interrupt.py "$cache/build/*/build.log" '^  CC ' -- \
		./run.sh -q --cache "$cache" --ksrc "${IR_CACHE:-$IR_CACHE_DEFAULT}/src/linux-source-6.12" \
		build || return 1
	! compgen -G "$cache/build/*/.iommufd-replace-built" ||
		{ echo "an interrupted build was stamped as built"; return 1; }
	rm -rf "$cache"
}
check "Ctrl-C in the kernel build: stopped, not stamped" interrupted_build
check "SIGTERM in the guest: all stopped in 5s, exit 143" \
	python3 scripts/interrupt.py --signal TERM "$tmp/term/*/console.log" 'ir-guest: running job' -- \
	./run.sh -q --results "$tmp/term" exec sleep 600
# A closed terminal (SIGHUP to its process group) is Ctrl-C's twin.
hangup_guest() {
	local res=$tmp/hup run
	python3 scripts/interrupt.py --signal HUP "$res/*/console.log" 'ir-guest: running job' -- \
		./run.sh -q --results "$res" exec sleep 600 || return 1
	run=$(find "$res" -mindepth 1 -maxdepth 1 -type d)
	grep -q 'interrupted by SIGHUP' "$run/summary.md" && [ ! -e "$res/latest" ]
}
check "SIGHUP in the guest: all stopped in 5s, exit 129" hangup_guest

# SIGKILL to run.sh alone (kill -9, the OOM killer, a CI runner's hard
# stop): no trap runs, yet within 5 s nothing it started is alive, the
# work tree is free for the next run at once, and the results directory
# says it was killed and is not results/latest.
killed_guest() {
	local res=$tmp/kill run
	python3 scripts/interrupt.py --signal KILL --to leader "$res/*/console.log" 'ir-guest: running job' -- \
		./run.sh -q --results "$res" exec sleep 600 || return 1
	./run.sh -q --dry-run exec true >/dev/null || { echo "the next run in this work tree did not start"; return 1; }
	run=$(find "$res" -mindepth 1 -maxdepth 1 -type d)
	grep -H . "$run/summary.md"
	grep -q 'died without a word' "$run/summary.md" && [ ! -e "$res/latest" ]
}
check "SIGKILL to run.sh in the guest: all stopped in 5s, next run starts" killed_guest
killed_build() {
	local cache=$tmp/kill-cache
	python3 scripts/interrupt.py --signal KILL --to leader "$cache/build/*/build.log" '^  CC ' -- \
		./run.sh -q --cache "$cache" --ksrc "${IR_CACHE:-$IR_CACHE_DEFAULT}/src/linux-source-6.12" \
		build || return 1
	! compgen -G "$cache/build/*/.iommufd-replace-built" ||
		{ echo "a killed build was stamped as built"; return 1; }
	./run.sh -q --dry-run exec true >/dev/null || { echo "the next run in this work tree did not start"; return 1; }
	rm -rf "$cache"
}
check "SIGKILL to run.sh in the kernel build: all stopped, not stamped" killed_build

# Another package manager at work (a second work tree installing, or
# unattended-upgrades on a fresh machine): a run that needs a package
# waits for dpkg's lock, says so, and then installs and passes. bc (a
# kernel build tool nothing else here needs) is removed to be needed.
dpkg_busy() {
	local holder rc=0
	dpkg -r bc >/dev/null 2>&1 || { echo "cannot remove bc to make the run need a package"; return 1; }
	python3 -c 'import fcntl, sys, time
f = open("/var/lib/dpkg/lock-frontend", "w")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(8)' >"$tmp/holder" &
	holder=$!
	until grep -q locked "$tmp/holder" 2>/dev/null; do sleep 0.1; done
	./run.sh --no-progress build >"$tmp/busy.out" 2>&1 || rc=$?
	wait "$holder"
	cat "$tmp/busy.out"
	[ $rc -eq 0 ] || { echo "exit $rc, wanted 0"; return 1; }
	grep -q 'waiting for another package manager to finish (pid' "$tmp/busy.out" &&
		grep -q 'installing bc' "$tmp/busy.out" &&
		dpkg-query -W -f='${Status}' bc | grep -q 'install ok installed'
}
results_full() {
	local small=$tmp/small rc=0
	mkdir -p "$small" && mount -t tmpfs -o size=48k tmpfs "$small" || return 1
	expect_error '!0' '(results incomplete|cannot write) .* (KiB free|No space left)' \
		./run.sh -q --results "$small" selftests || rc=1
	! grep -qs 'passed' "$small"/*/summary.md ||
		{ echo "a verdict was written on incomplete results"; rc=1; }
	umount "$small"
	return $rc
}
if [ "$(id -u)" -eq 0 ]; then
	check "dpkg busy: the run waits for its lock, installs, passes" dpkg_busy
	check "results disk fills up: one line, exit !0, no verdict" results_full
else
	skip=$((skip + 2))
	echo "dpkg busy, results disk full: SKIP (they need root)"
fi

# Kernel A against kernel B, three boots each, alternately (bench/README.md,
# "Verdicts"). The default tree against itself must not be called
# different: the promise that makes a regression tracker possible. Against
# a copy with bench/test-data/replace-slowdown.patch, its loop run 100
# times (407 instructions on the replace path), the replace scenarios must
# be flagged slower, at the top, with exit 1, and the flows that do not go
# through the replace (unbind+bind, an access's IOAS replace) not. 100,
# not the patch's default 20: make_before_break once stepped by 91 ns in
# one boot of A, which lifted its threshold over the 1.3 % that 20 trips
# add to it; 100 trips add 6 %.
ck_args=(-s hwpt_hwpt,cross_ioas,nested_nested,make_before_break,reattach,access_ioas -m 1M -n 200)
default_tree=${IR_CACHE:-$IR_CACHE_DEFAULT}/src/linux-source-6.12
compare_aa() {
	./run.sh -q compare-kernels --ksrc "$default_tree" --ksrc "$default_tree" -- "${ck_args[@]}" ||
		return 1
	cat results/latest/compare.txt
	grep -q '^verdict: no regression: 0 slower, 0 faster' results/latest/compare.txt
}
check "compare-kernels: default tree against itself, nothing flagged" compare_aa
compare_slowdown() {
	local rc=0 txt
	./run.sh -q compare-kernels --patch bench/test-data/replace-slowdown.patch \
		--append iommufd.replace_slowdown=100 -- "${ck_args[@]}" || rc=$?
	txt=results/latest/compare.txt
	cat "$txt"
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; return 1; }
	# The table opens with the slower rows: each replace scenario's p50.
	awk 'NR > 1 && !/ slower$/ { exit } NR > 1' "$txt" >"$tmp/top"
	for s in hwpt_hwpt/replace cross_ioas/replace nested_nested/replace make_before_break/; do
		grep -qE "^$s.* p50 .* slower$" "$tmp/top" ||
			{ echo "$s is not among the top rows, slower"; return 1; }
	done
	! grep -E '^(reattach|access_ioas)/.* (slower|faster)$' "$txt" ||
		{ echo "a flow that does not replace was flagged"; return 1; }
	grep -q '^verdict: regression' "$txt"
}
check "compare-kernels: the slowdown patch is flagged, replace at the top" compare_slowdown
check "compare-kernels without kernel B: one line, exit 2" \
	expect_error 2 "compare-kernels needs kernel B" ./run.sh compare-kernels

# ...and the same thresholds still catch a hot path that really moved:
# the main job's own document against itself with every hwpt_hwpt replace
# sample made 2.5 % (about 60 instructions) slower, or faster.
bench_shifted() {
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["records"]:
    if r["scenario"] == "hwpt_hwpt" and r["op"] == "replace":
        r["samples_ns"] = [round(v * float(sys.argv[2])) for v in r["samples_ns"]]
        r["stats"] = {k: round(v * float(sys.argv[2])) for k, v in r["stats"].items()}
json.dump(doc, open(sys.argv[3], "w"))' "$1" "$2" "$tmp/shifted.json" || return 1
	./run.sh compare "$1" "$tmp/shifted.json" >"$tmp/compare"
}
bench_detects() {
	local rc=0 doc=$main/bench.json
	bench_shifted "$doc" 1.025 || rc=$?
	grep -E '^hwpt_hwpt/replace|^verdict' "$tmp/compare"
	[ $rc -eq 1 ] && ! grep -E '^hwpt_hwpt/replace .* (same|faster)$' "$tmp/compare" ||
		{ echo "a 2.5% slower hot path was not flagged (exit $rc)"; return 1; }
	rc=0
	bench_shifted "$doc" 0.975 || rc=$?
	[ $rc -eq 0 ] && ! grep -E '^hwpt_hwpt/replace .* (same|slower)$' "$tmp/compare" ||
		{ echo "a 2.5% faster hot path was not called faster (exit $rc)"; return 1; }
}
check "bench: a 2.5% move of the hot path is flagged" bench_detects
check "bench: timing overhead residual <= 1%" python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))["overhead"]
print(o)
sys.exit(not (0 <= o["residual_fraction_of_hot_p50"] <= 0.01))' "$main/bench.json"
check "compare: a JSON not ours, one line, exit 2" \
	expect_error 2 "is not a replace_bench document" \
	./run.sh compare "$main/bench.json" scripts/test-data/not-ours.json
check "compare: our schema, a damaged record: one line, exit 2" \
	expect_error 2 "damaged iommufd-replace-bench/2 document: at records/1/point/size" \
	./run.sh compare scripts/test-data/bench-small.json scripts/test-data/damaged.json
check "compare: an older schema version: one line, exit 2" \
	expect_error 2 "is iommufd-replace-bench/1, this tool reads iommufd-replace-bench/2" \
	./run.sh compare scripts/test-data/bench-v1.json scripts/test-data/bench-small.json
check "compare: a record one side lacks fails the verdict" \
	expect_status 1 ./run.sh compare "$main/bench.json" scripts/test-data/bench-small.json

# The kselftest collection as labs run it (docs/labs.md): `make gen_tar`,
# the tarball unpacked into a fresh directory in the guest with this work
# tree hidden, `./run_kselftest.sh -c iommufd-replace`: the same tests pass
# and skip as under `make run_tests` in the main job, each program under
# the timeout of the collection's settings.
tap_results() {
	grep -E '^# (not )?ok [0-9]+ ' "$1" | sed -E 's/^# (not ok|ok) [0-9]+ /\1 /; s/ # SKIP.*/ # SKIP/' | sort
}
kselftest_same() {
	./run.sh -q kselftest || return 1
	ks=$(readlink -f results/latest)/kselftest.tap
	diff <(tap_results "$main/selftests.tap") <(tap_results "$ks") || return 1
	[ "$(grep -c '^# timeout set to 120$' "$ks")" -eq "$(grep -c '^# selftests: ' "$ks")" ] ||
		{ echo "the settings' timeout was not used for every program"; return 1; }
}
check "kselftest: gen_tar, run_kselftest.sh in the guest, same results" kselftest_same
# Each program's output read by the kernel's own KTAP parser.
ktap_parses() {
	local ksrc
	ksrc=$(sed -n 's/^KSRC := //p' build/kernel.mk)
	"$IR_PYTHON" scripts/ktap_parse.py "$ksrc/tools/testing/kunit/kunit.py" "$ks"
}
check "kselftest: kunit.py parse counts what the TAP says" ktap_parses
# A test made to hang, in the collection with a 10 s timeout in its
# settings: reported as a TIMEOUT, and the next test still runs.
kselftest_hang() {
	local x=$tmp/hang rc=0 tap
	mkdir -p "$x/tree" &&
		tar -C "$x/tree" -xzf build/kselftest_install/kselftest-packages/kselftest.tar.gz &&
		printf '#!/bin/sh\nsleep 600\n' >"$x/tree/iommufd-replace/hang_test" &&
		chmod +x "$x/tree/iommufd-replace/hang_test" &&
		echo timeout=10 >"$x/tree/iommufd-replace/settings" &&
		sed -i '1i iommufd-replace:hang_test' "$x/tree/kselftest-list.txt" &&
		tar czf "$x/hang.tar.gz" -C "$x/tree" . || return 1
	./run.sh -q kselftest "$x/hang.tar.gz" -- -t iommufd-replace:hang_test \
		-t iommufd-replace:replace_access || rc=$?
	tap=results/latest/kselftest.tap
	grep -E '^(not )?ok [0-9]+ ' "$tap"
	[ $rc -eq 1 ] &&
		grep -qx 'not ok 1 selftests: iommufd-replace: hang_test # TIMEOUT 10 seconds' "$tap" &&
		grep -qx 'ok 2 selftests: iommufd-replace: replace_access' "$tap"
}
check "kselftest: a hanging test is a TIMEOUT, the next one runs" kselftest_hang

# The LAVA job (docs/labs.md): validated by LAVA's schema (strict) and
# lava-run --validate, then run by LAVA's own dispatcher; LAVA must record
# every test of the collection as the runner reported it, and the bench's
# numbers as measurements.
lava_runs() {
	local res skips
	./run.sh -q lava || return 1
	res=$(readlink -f results/latest)/lava-results.txt
	skips=$(tap_results "$main/selftests.tap" | grep -c 'SKIP$')
	grep -qx 'job: lava complete' "$res" &&
		grep -qx 'replace_paging_to_paging_follows_ioas pass' "$res" &&
		grep -qE '^iommufd_replace_hwpt_hwpt_replace_1m_p50 pass [0-9]+ ns$' "$res" &&
		! grep -q ' fail' "$res" &&
		[ "$(grep -c ' skip$' "$res")" -eq "$skips" ] &&
		[ "$(awk 'NF == 2 && $2 == "pass"' "$res" | wc -l)" -eq \
			"$(tap_results "$main/selftests.tap" | grep -vc 'SKIP$')" ] ||
		{ echo "LAVA recorded other results than the runner's (see $res)"; return 1; }
}
check "LAVA: the x86 job validated, run by lava-run, every test recorded" lava_runs

# Off the guest, on a kernel without /dev/iommu, every test SKIPs with a
# reason, and the run still succeeds.
native_skips() {
	local out
	out=$(make --no-print-directory -C selftests run_tests) || return 1
	echo "$out" | grep -E '^# ok [0-9]+ ' | grep -v '# SKIP .' && return 1
	echo "$out" | grep -qE '^# ok [0-9]+ .*# SKIP .+' || return 1
	! echo "$out" | grep -qE '^(# )?not ok'
}
if [ -e /dev/iommu ]; then
	skip=$((skip + 1))
	echo "native run without /dev/iommu: SKIP (this host has /dev/iommu)"
else
	check "native run without /dev/iommu: all SKIP" native_skips
fi

# Without tracefs the oracle is off: every test that asserts at the driver
# says so in a SKIP with the reason, none fails, and a test without a
# driver-level check (an emulated access has no domain) still passes.
oracle_off_skips() {
	local log
	# One line: run.sh quotes it for the guest's sh, which knows no $'\n'.
	./run.sh -q exec sh -c 'umount -R /sys/kernel/debug && umount /sys/kernel/tracing && make --no-print-directory -C selftests run_tests' ||
		return 1
	log=results/latest/exec.log
	grep -q 'device-side oracle: off (no tracefs mounted' "$log" &&
		grep -qE '^# ok [0-9]+ replace\.paging_to_paging_follows_ioas # SKIP device-side oracle off \(no tracefs mounted .*\): [0-9]+ driver-level checks not made' "$log" &&
		grep -qE '^# ok [0-9]+ replace_access\.fast_path\.writes_land_in_new_ioas$' "$log" &&
		! grep -E '^(# )?not ok' "$log"
}
check "oracle off: driver-level checks SKIP with the reason" oracle_off_skips

# arm64 (README, "arm64 and page sizes"): a cross-built kernel and suite
# in a qemu-system-aarch64 guest, at 64 KiB pages (the selftests and the
# quick bench) and at 4 KiB (the selftests). Every test counts on its own,
# as in the main job, and each page size must pass and skip exactly the
# tests the x86_64 guest passed and skipped.
arm64_case() {
	local page=$1 action=$2 rc=0 out tap p f s t0=$SECONDS
	./run.sh -q --arch arm64 --page-size "$page" "$action" >"$tmp/arm64.out" 2>&1 || rc=$?
	cat "$tmp/arm64.out"
	out=$(readlink -f results/latest)
	tap=$out/selftests.tap
	# This run's, not an earlier one's that results/latest still names.
	if [ -f "$tap" ] && grep -q "^# # page size: ${page%k} KiB " "$tap" &&
		grep -q '^qemu-system-aarch64 ' "$out/qemu.cmd"; then
		read -r p f s <<<"$(tap_counts "$tap")"
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
		[ "$f" -gt 0 ] && failed+=($(tap_failures "$tap" | sed "s/^/arm64-$page:/" | tr ' ' _))
		[ $rc -eq 0 ] || [ "$f" -gt 0 ] || { fail=$((fail + 1)) failed+=("arm64-$page-verdict"); }
		echo "arm64 $page: $p passed, $f failed, $s skipped, counted as tests ($((SECONDS - t0))s)"
	else
		fail=$((fail + 1)) failed+=("arm64-$page-selftests")
		echo "arm64 $page: no selftests of a $page kernel in $out"
	fi
	arm64_out=$out
}
arm64_case 64k all
check "arm64 64k: the same tests pass and skip as on x86_64" \
	diff <(tap_results "$main/selftests.tap") <(tap_results "$arm64_out/selftests.tap")
# The bench at 64 KiB: the hot path measured under icount, and the THP
# points, smaller than this kernel's 512 MiB huge page, not run with that
# reason, failing nothing.
arm64_bench() {
	"$IR_PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
meta = d["meta"]
assert (meta["arch"], meta["page_size"], meta["mode"]) == ("arm64", "64k", "icount"), meta
hot = [r["stats"]["p50"] for r in d["records"]
       if r["scenario"] == "hwpt_hwpt" and r["op"] == "replace"]
assert hot and min(hot) > 0, "no hot path"
thp = [n for n in d["not_run"] if n["point"]["pages"] == "thp"]
assert thp, "no THP point reported"
for n in thp:
    assert n["reason"].endswith("are 524288 KiB)") and not n["fails"], n
print("hot path p50", hot[0], "ns;", len(thp), "THP points not run:", thp[0]["reason"])' \
		"$arm64_out/bench.json"
}
check "arm64 64k: quick bench under icount, THP points not run with the reason" arm64_bench
arm64_case 4k selftests
check "arm64 4k: the same tests pass and skip as on x86_64" \
	diff <(tap_results "$main/selftests.tap") <(tap_results "$arm64_out/selftests.tap")
check "--page-size 64k on x86_64: one line, exit 2" \
	expect_error 2 "x86_64 has 4k pages only" ./run.sh --page-size 64k selftests
check "--arch the suite does not know: one line, exit 2" \
	expect_error 2 "--arch takes x86_64 or arm64, not 'riscv64'" ./run.sh --arch riscv64 selftests

# Debian unstable's newest kernel (README, "Kernels"): the suite must
# compile against it and pass on it. On the version the suite was last
# validated on (scripts/sid-validated) a failure fails make check. A newer
# upload that breaks the suite is reported loudly and counted as skipped
# with the reason, so that Debian's upload day does not block unrelated
# landings; so is a mirror that cannot be reached.
sid_validated=$(cat scripts/sid-validated)
sid_version() {
	local tree
	tree=$(ls -d "${IR_CACHE:-$IR_CACHE_DEFAULT}"/src-sid/linux-source-* 2>/dev/null | tail -n 1)
	[ -n "$tree" ] && make -s -C "$tree" kernelversion 2>/dev/null || echo unknown
}
sid_case() {
	local name=$1 rc=0 ver
	shift
	"$@" >"$tmp/sid.out" 2>&1 || rc=$?
	ver=$(sid_version)
	if [ $rc -ne 0 ] && grep -q -- '--kernel sid:' "$tmp/sid.out"; then
		skip=$((skip + 1))
		echo "$name: SKIP ($(head -n 1 "$tmp/sid.out"))"
	elif [ $rc -ne 0 ] && [ "$ver" != "$sid_validated" ]; then
		skip=$((skip + 1))
		echo "!!! $name: FAILS on Debian unstable's new kernel $ver (validated: $sid_validated);"
		echo "!!! counted as skipped: make the suite pass there, then write $ver into scripts/sid-validated"
		sed 's/^/    /' "$tmp/sid.out" | tail -n 20
	else
		check "$name ($ver)" sh -c 'cat "$1"; exit "$2"' sh "$tmp/sid.out" "$rc"
		[ $rc -ne 0 ] || [ "$ver" = "$sid_validated" ] ||
			echo "note: the suite passes on Debian unstable's new kernel $ver: write it into scripts/sid-validated"
	fi
}
sid_case "suite compiles against Debian unstable's kernel" ./run.sh -q --kernel sid compile
sid_case "selftests pass on Debian unstable's kernel" ./run.sh -q --kernel sid selftests

verdict_parsers() {
	local d=scripts/test-data
	[ "$(tap_counts $d/crash.tap)" = "1 2 1" ] || { echo "crash.tap: $(tap_counts $d/crash.tap)"; return 1; }
	! dmesg_splats $d/warning.dmesg >/dev/null || { echo "warning not seen"; return 1; }
	dmesg_splats $d/clean.dmesg >/dev/null || { echo "clean log flagged"; return 1; }
	! kmemleak_leaks $d/kmemleak.txt >/dev/null || { echo "leak not seen"; return 1; }
	kmemleak_leaks /dev/null >/dev/null || { echo "no report flagged"; return 1; }
}
check "verdict: TAP counts, dmesg splats, kmemleak" verdict_parsers

if [ ${#failed[@]} -gt 0 ]; then
	echo "failures: ${failed[*]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
