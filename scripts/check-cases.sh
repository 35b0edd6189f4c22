# shellcheck shell=bash
# The checks of scripts/check.sh, one function each (ck_NAME), in the
# order of its table. Each runs in a subshell of its own with $CK, its
# results directory: every run.sh it starts writes under $CK/runs, and it
# reads nothing another check wrote. Status 0 passes, 77 is not run
# (not_run says why), anything else fails. Sourced.

# The results of the default kernel's selftests, test by test: a guest
# check's own TAP must match it (the same tests pass and skip, wherever
# and however they run). Rewrite it from a passing main check when tests
# are added: scripts/check.sh main, then tap_results of its TAP.
IR_EXPECTED_TESTS=scripts/test-data/expected-tests.txt
IR_DEFAULT_TREE=${IR_CACHE:-$IR_CACHE_DEFAULT}/src/linux-source-6.12

not_run() {
	echo "$*" >"$CK/not-run"
	exit 77
}

# harness_tap FILE [PREFIX]: FILE's tests count one by one in the totals.
harness_tap() {
	echo "$1 ${2:-}" >>"$CK/taps"
}

# rs ARGS...: run.sh with this check's own results directory.
rs() {
	./run.sh --results "$CK/runs" "$@"
}

# The run that rs last finished (results/latest of this check's own).
last_run() {
	readlink -f "$CK/runs/latest"
}

# The only run rs started (a run that never finished is not latest).
only_run() {
	find "$CK/runs" -mindepth 1 -maxdepth 1 -type d
}

# expect_error STATUS PATTERN CMD...: CMD exits STATUS ("!0": any failure)
# and says so in exactly one line on stderr, matching PATTERN.
expect_error() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >/dev/null 2>"$CK/stderr" || rc=$?
	cat "$CK/stderr"
	case $want in
	'!0') [ $rc -ne 0 ] || { echo "exit status 0, wanted a failure"; return 1; } ;;
	*) [ $rc -eq "$want" ] || { echo "exit status $rc, wanted $want"; return 1; } ;;
	esac
	[ "$(grep -c . "$CK/stderr")" -eq 1 ] || { echo "wanted one line on stderr"; return 1; }
	grep -qE -- "$pat" "$CK/stderr" || { echo "stderr lacks /$pat/"; return 1; }
}

expect_status() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	[ $rc -eq "$want" ] || { echo "exit status $rc, wanted $want"; return 1; }
}

# "ok NAME" or "not ok NAME", with "# SKIP" kept, sorted: what the tests
# of TAP $1 did, whatever ran them.
tap_results() {
	grep -E '^# (not )?ok [0-9]+ ' "$1" | sed -E 's/^# (not ok|ok) [0-9]+ /\1 /; s/ # SKIP.*/ # SKIP/' | sort
}

# expected_tests TAP [TEST...]: TAP's tests did what the default kernel's
# do, except that each TEST skips (what this kernel's geometry cannot run).
expected_tests() {
	local tap=$1 expected
	shift
	expected=$(awk -v skip=" $* " '
		$1 == "ok" && index(skip, " " $2 " ") && !/# SKIP$/ { $0 = $0 " # SKIP" }
		{ print }' "$IR_EXPECTED_TESTS")
	diff <(echo "$expected") <(tap_results "$tap") ||
		{ echo "$tap: not the expected results ($IR_EXPECTED_TESTS${*:+, with $* skipped}; < expected, > this run)"; return 1; }
	echo "the expected results: $(grep -vc SKIP <<<"$expected") passed, $(grep -c SKIP <<<"$expected") skipped"
}

# The suite built against the default tree (./run.sh build), for the
# checks that run a part of it without a guest.
suite_built() {
	[ -f build/kernel.mk ] && make -s all >"$CK/build.log" 2>&1 ||
		not_run "the suite is not built against a kernel tree here: ./run.sh build (or scripts/check.sh guest) does it"
}

# --- quick: no guest, no kernel build ---------------------------------

ck_usage_bad_option() { expect_error 2 "unknown option '--frobnicate'" ./run.sh --frobnicate; }
ck_usage_unknown_kernel() { expect_error 2 "--kernel takes stable or sid, not 'testing'" ./run.sh --kernel testing; }
ck_usage_bad_number() { expect_error 2 "--cpus takes a positive whole number" ./run.sh --cpus two; }
ck_usage_missing_tree() { expect_error '!0' "'/nonexistent' does not exist" ./run.sh -q --ksrc /nonexistent; }
ck_usage_compare_kernels() { expect_error 2 "compare-kernels needs kernel B" ./run.sh compare-kernels; }
ck_usage_page_size() { expect_error 2 "x86_64 has 4k pages only" ./run.sh --page-size 64k selftests; }
ck_usage_iommu() { expect_error 2 "--iommu takes none, intel, amd or virtio on x86_64, not 'smmuv3'" ./run.sh --iommu smmuv3 selftests; }
ck_usage_arch() { expect_error 2 "--arch takes x86_64 or arm64, not 'riscv64'" ./run.sh --arch riscv64 selftests; }
# The sealed guest runs a bench alone: asked of the selftests, or of an
# arm64 bench, it is refused in one line.
ck_usage_sealed() {
	expect_error 2 "--sealed is for bench, compare-kernels and bisect --scenario" ./run.sh --sealed selftests &&
		expect_error 2 "--unsealed is for bench" ./run.sh --unsealed --arch arm64 bench
}

# A tree too old for the suite (Debian's linux-source-6.1, say) is told
# so in the suite's terms, before anything is built.
ck_usage_old_tree() {
	mkdir -p "$CK/linux-6.1/drivers/iommu" &&
		printf 'kernelversion:\n\t@echo 6.1.158\n' >"$CK/linux-6.1/Makefile" &&
		expect_error 125 'kernel 6.1.158 in .* cannot run this suite: it has no iommufd and its mock driver .*, no device replace' \
			./run.sh -q --ksrc "$CK/linux-6.1" selftests
}

# One run.sh per work tree: a second one would rebuild the suite under
# the first one's guest.
ck_second_run_refused() {
	local lock
	mkdir -p build && exec {lock}>build/.run.lock && flock -n "$lock" ||
		{ echo "another run.sh holds this work tree"; return 1; }
	expect_error '!0' 'another run.sh is using this work tree' ./run.sh -q exec true
}

ck_verdict_parsers() {
	local d=scripts/test-data
	[ "$(tap_counts $d/crash.tap)" = "1 2 1" ] || { echo "crash.tap: $(tap_counts $d/crash.tap)"; return 1; }
	! dmesg_splats $d/warning.dmesg >/dev/null || { echo "warning not seen"; return 1; }
	dmesg_splats $d/clean.dmesg >/dev/null || { echo "clean log flagged"; return 1; }
	! kmemleak_leaks $d/kmemleak.txt >/dev/null || { echo "leak not seen"; return 1; }
	kmemleak_leaks /dev/null >/dev/null || { echo "no report flagged"; return 1; }
}

# The trackers' formats (bench/trackers.py) of a recorded TAP with a
# pass, a failure, a skip and a timeout, and of a bench document: valid
# against their schemas and agreeing with tap_counts and the records; a
# KCIDB status the format has not, a KCIDB document of another version
# and an LKP line that is not key: number are refused, one line each.
ck_tracker_formats() {
	local d=$CK/formats
	mkdir -p "$d" &&
		"$IR_PYTHON" bench/trackers.py --run check --meta kernel_commit=none \
			--tap selftests=scripts/test-data/crash.tap --bench scripts/test-data/bench-quick.json \
			--kcidb "$d/kcidb.json" --bmf "$d/bmf.json" --lkp "$d/lkp.txt" \
			--metadata "$d/metadata.json" &&
		tracker_formats_agree "$d" scripts/test-data/crash.tap scripts/test-data/bench-quick.json || return 1
	grep -m2 -E '"path"|"status"' "$d/kcidb.json"
	grep -m1 '^iommufd-replace.selftests.fail: 2$' "$d/lkp.txt" || return 1
	mkdir -p "$d/bad-status" "$d/bad-version" "$d/bad-lkp" &&
		sed 's/"status": "SKIP"/"status": "SKIPPED"/' "$d/kcidb.json" >"$d/bad-status/kcidb.json" &&
		sed 's/"minor": 3/"minor": 4/' "$d/kcidb.json" >"$d/bad-version/kcidb.json" &&
		{ cat "$d/lkp.txt" && echo 'iommufd-replace.hwpt_hwpt.replace.1M.p50_ns: fast'; } >"$d/bad-lkp/lkp.txt" &&
		expect_error 2 'bad-status/kcidb.json is a damaged kcidb/5.3 document: at tests/[0-9]+/status' \
			"$IR_PYTHON" bench/trackers.py --check "$d/bad-status" &&
		expect_error 2 'at version/minor' "$IR_PYTHON" bench/trackers.py --check "$d/bad-version" &&
		expect_error 2 "lkp.txt line [0-9]+ is not 'key: number'" \
			"$IR_PYTHON" bench/trackers.py --check "$d/bad-lkp"
}

# lava/testdef.sh, the test definition that keeps the bench's figures, in
# a LAVA test shell made here: a collection whose runner prints a
# recorded TAP and whose bench writes a recorded document, and a
# lava-test-case that logs its arguments. Each test and each record's
# p50, p90 and p99 must reach it with --measurement and --units ns.
ck_lava_testdef() {
	local d=$CK/testdef rc=0
	rm -rf "$d" && mkdir -p "$d/ks/iommufd-replace" "$d/bin" || return 1
	printf '#!/bin/sh\ncat %q\n' "$PWD/scripts/test-data/crash.tap" >"$d/ks/run_kselftest.sh"
	printf '#!/bin/sh\nwhile [ "$1" != -o ]; do shift; done\ncp %q "$2"\necho done\n' \
		"$PWD/scripts/test-data/bench-quick.json" >"$d/ks/iommufd-replace/replace_bench"
	cp -r bench/metrics.py bench/benchdoc.py bench/schema "$d/ks/iommufd-replace/" &&
		printf '#!/bin/sh\necho "$*" >>%q\n' "$d/recorded" >"$d/bin/lava-test-case" &&
		chmod +x "$d/ks/run_kselftest.sh" "$d/ks/iommufd-replace/replace_bench" "$d/bin/lava-test-case" || return 1
	(cd "$d" && PATH=$d/bin:$PATH OUTPUT=$d/output "$OLDPWD/lava/testdef.sh" -p "$d/ks") || rc=$?
	[ $rc -eq 0 ] || { echo "testdef.sh: exit $rc"; return 1; }
	head -n 3 "$d/recorded"
	grep -x 'replace.a --result pass' "$d/recorded" && grep -x 'replace.b --result fail' "$d/recorded" &&
		grep -x 'replace.c --result skip' "$d/recorded" || { echo "a test's verdict is missing"; return 1; }
	grep -xE 'iommufd-replace_hwpt_hwpt_replace_1M_p50 --result pass --measurement [0-9]+ --units ns' \
		"$d/recorded" || { echo "no measurement of the hot path"; return 1; }
	[ "$(grep -c -- '--measurement [0-9.]* --units ns$' "$d/recorded")" -eq \
		"$("$IR_PYTHON" -c 'import json,sys; print(3 * len(json.load(open(sys.argv[1]))["records"]))' \
			scripts/test-data/bench-quick.json)" ] || { echo "not every record's figures recorded"; return 1; }
}

# What the host checks of a guest's results before any verdict
# (scripts/ledger.sh, results_arrived): a file shorter than the job
# wrote, or no manifest beside a job.rc, is one line and no verdict.
arrived() {
	bash -c '. scripts/common.sh && . scripts/guest.sh && results_arrived "$1"' _ "$1"
}
ck_results_short_file() {
	local d=$CK/run rc
	mkdir -p "$d" && printf 'ok 1 a\n' >"$d/selftests.tap" && echo 0 >"$d/job.rc" || return 1
	rc=0
	expect_error 1 'results incomplete: the job.s manifest did not arrive' arrived "$d" || rc=1
	printf '%s\n' "200 selftests.tap" end >"$d/manifest"
	expect_error 1 "results incomplete: .*/selftests.tap has 7 of the 200 bytes the job wrote" \
		arrived "$d" || rc=1
	printf '%s\n' "7 selftests.tap" end >"$d/manifest"
	arrived "$d" || { echo "whole results refused"; rc=1; }
	return $rc
}

ck_compare_not_ours() {
	expect_error 2 "is not a replace_bench document" \
		./run.sh compare scripts/test-data/bench-quick.json scripts/test-data/not-ours.json
}
ck_compare_damaged() {
	expect_error 2 "damaged iommufd-replace-bench/2 document: at records/1/point/size" \
		./run.sh compare scripts/test-data/bench-small.json scripts/test-data/damaged.json
}
ck_compare_older_schema() {
	expect_error 2 "is iommufd-replace-bench/1, this tool reads iommufd-replace-bench/3 and iommufd-replace-bench/2" \
		./run.sh compare scripts/test-data/bench-v1.json scripts/test-data/bench-small.json
}
ck_compare_missing_record() {
	expect_status 1 ./run.sh compare scripts/test-data/bench-quick.json scripts/test-data/bench-small.json
}

# The thresholds of compare still catch a hot path that really moved: a
# quick bench of the default kernel (scripts/test-data/bench-quick.json)
# against itself with every hwpt_hwpt replace sample made 2.5 % (about 60
# instructions) slower, or faster.
bench_shifted() {
	"$IR_PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["records"]:
    if r["scenario"] == "hwpt_hwpt" and r["op"] == "replace":
        r["samples_ns"] = [round(v * float(sys.argv[2])) for v in r["samples_ns"]]
        r["stats"] = {k: round(v * float(sys.argv[2])) for k, v in r["stats"].items()}
json.dump(doc, open(sys.argv[3], "w"))' "$1" "$2" "$CK/shifted.json" || return 1
	./run.sh compare "$1" "$CK/shifted.json" >"$CK/compare"
}
# The oracle's log, a parser that knows nothing of tracefs, fed a recorded
# trace on the host: its answers, and the lines it refuses.
ck_oracle_log() {
	cc -Wall -Werror -O2 -Iinclude -Ilib -o "$CK/oracle_log" lib/tests/oracle_log.c \
		lib/oracle_log.c lib/tracefs.c lib/util.c &&
		"$CK/oracle_log" scripts/test-data/oracle-trace.txt
}

# compare's thresholds, class by class, and its verdict rules, as unit
# tests on tables and records made in the test (bench/test_compare.py).
ck_compare_thresholds() {
	(cd bench && "$IR_PYTHON" -m unittest -q test_compare)
}

ck_compare_detects() {
	local rc=0 doc=scripts/test-data/bench-quick.json
	bench_shifted "$doc" 1.025 || rc=$?
	grep -E '^hwpt_hwpt/replace|^verdict' "$CK/compare"
	[ $rc -eq 1 ] && ! grep -E '^hwpt_hwpt/replace .* (same|faster)$' "$CK/compare" ||
		{ echo "a 2.5% slower hot path was not flagged (exit $rc)"; return 1; }
	rc=0
	bench_shifted "$doc" 0.975 || rc=$?
	[ $rc -eq 0 ] && ! grep -E '^hwpt_hwpt/replace .* (same|slower)$' "$CK/compare" ||
		{ echo "a 2.5% faster hot path was not called faster (exit $rc)"; return 1; }
}

# The points and scenarios of the quick preset, as bench/plan.c tables
# them: a change to the preset shows here (scripts/test-data/plan-quick.txt).
ck_bench_plan() {
	suite_built
	bench/replace_bench --preset quick --plan >"$CK/plan" || return 1
	diff scripts/test-data/plan-quick.txt "$CK/plan"
}

# What ./run.sh coverage prints from two small tracefiles: the lines only
# one side reaches, a branch lcov never evaluated ("-") as not taken.
ck_coverage_tables() {
	local d=scripts/test-data/coverage
	diff "$d/expected.txt" <("$IR_PYTHON" scripts/coverage.py "$d/ours.info" "$d/theirs.info") &&
		expect_error 2 "not an lcov tracefile" "$IR_PYTHON" scripts/coverage.py "$d/ours.info" README.md
}

# The entry points; shellcheck follows what each sources.
ck_shellcheck() {
	ensure_packages shellcheck
	shellcheck -x -S warning run.sh scripts/check.sh scripts/reaper.sh scripts/guest-init.sh \
		scripts/guest-root-init.sh scripts/sealed-init.sh scripts/memcheck.sh scripts/job-run.sh \
		scripts/bisect-step.sh lava/init.sh
}

ck_pyflakes() {
	ensure_packages pyflakes3
	pyflakes3 bench/*.py scripts/*.py
}

# --- guest: the default kernel ----------------------------------------

# What trackers and people read without the JSON: the flat metrics (one
# value per boot), LAVA measurement lines, plots embedded in summary.md,
# and a line of history that ./run.sh trend draws.
# tracker_formats_agree DIR TAP [BENCH]: DIR's kcidb.json, bmf.json and lkp.txt
# valid against bench/schema (read back, not as written), and saying what
# TAP and BENCH (a bench.json; DIR's where not given) say: the selftests' PASS, FAIL and SKIP counts
# (tap_counts), three DONE figures in ns per record and boot, one BMF
# metric per record, LKP's p50 of the hot path the bench's.
tracker_formats_agree() {
	local dir=$1 tap=$2 bench=${3:-$1}
	"$IR_PYTHON" bench/trackers.py --check "$dir" || return 1
	"$IR_PYTHON" - "$dir" "$(tap_counts "$tap")" "$bench" <<'PY'
import glob, json, os, sys
d, counts, bench = sys.argv[1], [int(n) for n in sys.argv[2].split()], sys.argv[3]
k = json.load(open(os.path.join(d, "kcidb.json")))
tests = [t for t in k["tests"] if not t["path"].startswith("iommufd_replace.bench.")]
got = [sum(t["status"] == s for t in tests) for s in ("PASS", "FAIL", "SKIP")]
print("kcidb: selftests pass/fail/skip", got, "TAP", counts)
assert got == counts, "KCIDB's selftests are not the TAP's"
paths = glob.glob(os.path.join(bench, "**/bench.json"), recursive=True) if os.path.isdir(bench) else [bench]
docs = [json.load(open(p)) for p in paths]
if docs:
    done = [t for t in k["tests"] if t["status"] == "DONE"]
    want = 3 * sum(len(doc["records"]) for doc in docs)
    print("kcidb: DONE figures", len(done), "want", want)
    assert len(done) == want and all(t["number"]["unit"] == "ns" for t in done)
    bmf = json.load(open(os.path.join(d, "bmf.json")))
    assert len(bmf) == len(docs[0]["records"]), "not one BMF metric per record"
    hot = [r for r in docs[0]["records"] if (r["scenario"], r["op"], r["phase"]) ==
           ("hwpt_hwpt", "replace", "steady") and r["point"]["size"] == 1 << 20][:1]
    if hot and len(docs) == 1:
        line = f'iommufd-replace.hwpt_hwpt.replace.1M.steady.p50_ns: {hot[0]["stats"]["p50"]:g}'
        lkp = open(os.path.join(d, "lkp.txt")).read().splitlines()
        print("lkp:", line)
        assert line in lkp, "LKP's hot path p50 is not the bench's"
        assert bmf["iommufd-replace/hwpt_hwpt/replace/1M/steady"]["latency"]["value"] == hot[0]["stats"]["p50"]
PY
}

main_outputs() {
	local run=$1 f
	tracker_formats_agree "$run" "$run/selftests.tap" || return 1
	"$IR_PYTHON" -c '
import json, sys
m = json.load(open(sys.argv[1]))
v = m["iommufd-replace/hwpt_hwpt/replace/1M/p50_ns"]
print("hwpt_hwpt/replace/1M/p50_ns", v)
sys.exit(not (len(v) == 1 and v[0] > 0 and all(isinstance(x, list) for x in m.values())))' \
		"$run/metrics.json" || return 1
	grep -qE '^lava-test-case iommufd-replace_hwpt_hwpt_replace_1M_p50 --result pass --measurement [0-9]+ --units ns$' \
		"$run/lava-measurements.txt" || { echo "no LAVA measurement of the hot path"; return 1; }
	for f in cdf scaling-memory scaling-devices-threads; do
		file "$run/plots/$f.png" | grep -q 'PNG image' && [ -s "$run/plots/$f.svg" ] &&
			grep -qF "](plots/$f.png)" "$run/summary.md" ||
			{ echo "plot $f missing from $run"; return 1; }
	done
	grep -qF "\"results\": \"$run\"" "$CK/runs/history.jsonl" || { echo "no history line"; return 1; }
	rs -q trend hwpt_hwpt && file "$CK/runs/trend-hwpt_hwpt.png" | grep -q 'PNG image'
}

# The main job, as the README runs it: every harness test of the guest
# selftests counts on its own, and the quick bench must deliver.
ck_main() {
	local rc=0 run
	rs >"$CK/main.out" 2>"$CK/main.err" || rc=$?
	cat "$CK/main.err" "$CK/main.out"
	run=$(last_run)
	[ -f "$run/selftests.tap" ] && grep -qE '^selftests: [0-9]+ passed' "$CK/main.out" ||
		{ echo "the main job gave no selftests result"; return 1; }
	harness_tap "$run/selftests.tap"
	[ $rc -eq 0 ] || { echo "the main job failed (exit $rc)"; return 1; }
	expected_tests "$run/selftests.tap" || return 1
	grep -x -- '- device-side oracle: on' "$run/summary.md" || return 1
	# KFENCE guarded the selftests' allocations and was off for the bench.
	grep -- '^- memory check: KFENCE on for the selftests' "$run/summary.md" &&
		grep -q 'kfence: disabled$' "$run/dmesg.txt" ||
		{ echo "the selftests ran without the memory check, or the bench with it"; return 1; }
	"$IR_PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
o = d["overhead"]
print(len(d["records"]), "bench records; timing overhead", o)
sys.exit(not (d["records"] and 0 <= o["residual_fraction_of_hot_p50"] <= 0.01))' "$run/bench.json" ||
		{ echo "no bench records, or a timing overhead residual over 1%"; return 1; }
	main_outputs "$run"
}

# One line: run.sh quotes it for the guest's sh, which knows no $'\n'.
ck_guest_devices() {
	rs -q exec sh -c 'test -c /dev/iommu && test -d /sys/bus/iommufd_mock && test "$(nproc)" = 2 && test -d /sys/devices/system/node/node1'
}

ck_guest_exit_status() { expect_status 3 rs -q exec sh -c 'exit 3'; }

# 20 s: a guest on a loaded 2-core host took 11 s to reach its job (before
# the guests were on one TCG thread each and LZ4: 5 to 8 s now), and a
# console log is only written once the guest has reached it.
ck_guest_hang() {
	expect_error '!0' 'did not power off within 20s' rs -q --timeout 20 exec sleep 1000 &&
		test -s "$(last_run)/console.log"
}

# A kernel that cannot boot to the job tested nothing: git bisect run
# must skip it (125), not call it bad. Its init made to fail.
ck_guest_no_job() {
	expect_error 125 'did not reach its job .*Kernel panic' \
		rs -q --timeout 120 --append init=/nonexistent exec true
}

ck_guest_panic() {
	expect_error '!0' 'guest stopped before its job finished \(panic\?\): .*Kernel panic' \
		rs -q exec sh -c 'echo c >/proc/sysrq-trigger; sleep 60'
}

# Without tracefs the oracle is off: every test that asserts at the driver
# says so in a SKIP with the reason, none fails, and a test without a
# driver-level check (an emulated access has no domain) still passes.
ck_oracle_off() {
	local log
	# One line: run.sh quotes it for the guest's sh, which knows no $'\n'.
	rs -q exec sh -c 'umount -R /sys/kernel/debug && umount /sys/kernel/tracing && make --no-print-directory -C selftests run_tests' ||
		return 1
	log=$(last_run)/exec.log
	grep -q 'device-side oracle: off (no tracefs mounted' "$log" &&
		grep -qE '^# ok [0-9]+ replace_basic\.paging_to_paging_follows_ioas # SKIP device-side oracle off \(no tracefs mounted .*\): [0-9]+ driver-level checks not made' "$log" &&
		grep -qE '^# ok [0-9]+ replace_access\.fast_path\.writes_land_in_new_ioas$' "$log" &&
		! grep -E '^(# )?not ok' "$log"
}

# Off the guest, on a kernel without /dev/iommu, every test SKIPs with a
# reason, and the run still succeeds.
ck_native_skips() {
	local out
	[ ! -e /dev/iommu ] || not_run "this host has /dev/iommu"
	rs -q build || return 1
	make --no-print-directory -C selftests run_tests >"$CK/native.tap" 2>&1 ||
		{ echo "make run_tests exited $? (see $CK/native.tap):"; grep -E '^(# )?not ok|rror' "$CK/native.tap"; return 1; }
	out=$(cat "$CK/native.tap")
	echo "$out" | grep -E '^# ok [0-9]+ ' | grep -v '# SKIP .' && return 1
	echo "$out" | grep -qE '^# ok [0-9]+ .*# SKIP .+' || return 1
	! echo "$out" | grep -qE '^(# )?not ok'
}

# unfinished_run PATTERN: the only run says in its summary how it ended
# (PATTERN) and is not results/latest.
unfinished_run() {
	local run
	run=$(only_run)
	grep -H . "$run/summary.md"
	grep -q -- "$1" "$run/summary.md" && [ ! -e "$CK/runs/latest" ]
}

# The accelerator, one rule for every action (scripts/guest.sh,
# choose_accel), seen in the QEMU command --dry-run prints, with KVM said
# to work (or not) by a probe answer in a cache of the check's own that
# links to the real one's kernels: --tcg holds for compare-kernels too,
# the wall clock takes KVM where it works, and --kvm where it does not is
# refused in one line, not run on TCG.
ck_accel_choice() {
	local cache=$CK/cache real=${IR_CACHE:-$IR_CACHE_DEFAULT} boot
	# The default tree named by its path in the real cache: the kernel a
	# run of the same path built (a build's key has its tree's path).
	ensure_packages linux-source-6.12
	rs -q build >/dev/null || return 1
	boot=$(cat /proc/sys/kernel/random/boot_id)
	mkdir -p "$cache" && ln -sf "$real"/* "$cache/" && rm -f "$cache"/kvm-usable-* || return 1
	echo yes >"$cache/kvm-usable-$boot"
	# A dry run is no finished run: it is not results/latest.
	IR_CACHE=$cache rs -q --ksrc "$IR_DEFAULT_TREE" --dry-run --wallclock selftests >/dev/null &&
		[ "$(accel_of "$(ls -t "$CK"/runs/*/qemu.cmd | head -n 1)")" = "-accel kvm" ] ||
		{ echo "the wall clock did not take KVM where it works"; return 1; }
	IR_CACHE=$cache rs -q --ksrc "$IR_DEFAULT_TREE" --dry-run --tcg --wallclock selftests >/dev/null &&
		[ "$(accel_of "$(ls -t "$CK"/runs/*/qemu.cmd | head -n 1)")" = "-accel tcg" ] ||
		{ echo "--tcg did not hold for selftests"; return 1; }
	# Its dry run stops after the first boot (no bench ran): the command
	# that boot would have run is what counts.
	IR_CACHE=$cache rs -q --dry-run --tcg --wallclock compare-kernels \
		--ksrc "$IR_DEFAULT_TREE" --ksrc "$IR_DEFAULT_TREE" -- -s hwpt_hwpt -n 10 >/dev/null 2>&1
	[ "$(accel_of "$(find "$CK/runs" -path '*/a/boot-1/qemu.cmd' | head -n 1)")" = "-accel tcg" ] ||
		{ echo "--tcg did not hold for compare-kernels"; return 1; }
	echo no >"$cache/kvm-usable-$boot"
	IR_CACHE=$cache expect_error '!0' '^run.sh: error: --kvm: KVM cannot boot a guest' \
		./run.sh --results "$CK/runs" -q --ksrc "$IR_DEFAULT_TREE" --kvm selftests
}
# The accelerator of QEMU command file $1.
accel_of() {
	grep -o -- '-accel [a-z]*' "$1" | head -n 1
}

# Ctrl-C as a terminal sends it, to the whole process group of run.sh:
# within 5 s it is gone with status 130 and so is every process it started;
# what the guest wrote is kept, the run says it was interrupted and is not
# results/latest.
ck_sigint_guest() {
	"$IR_PYTHON" scripts/interrupt.py "$CK/runs/*/selftests.tap" '^# ok [0-9]+ ' -- \
		./run.sh --results "$CK/runs" -q selftests || return 1
	unfinished_run 'interrupted by SIGINT' &&
		grep -qE '^# ok [0-9]+ ' "$(only_run)/selftests.tap"
}

ck_sigterm_guest() {
	"$IR_PYTHON" scripts/interrupt.py --signal TERM "$CK/runs/*/console.log" 'ir-guest: running job' -- \
		./run.sh --results "$CK/runs" -q exec sleep 600
}

# A closed terminal (SIGHUP to its process group) is Ctrl-C's twin.
ck_sighup_guest() {
	"$IR_PYTHON" scripts/interrupt.py --signal HUP "$CK/runs/*/console.log" 'ir-guest: running job' -- \
		./run.sh --results "$CK/runs" -q exec sleep 600 || return 1
	unfinished_run 'interrupted by SIGHUP'
}

# SIGKILL to run.sh alone (kill -9, the OOM killer, a CI runner's hard
# stop): no trap runs, yet within 5 s nothing it started is alive, the
# work tree is free for the next run at once, and the results directory
# says it was killed and is not results/latest.
next_run_starts() {
	./run.sh -q --dry-run exec true >/dev/null ||
		{ echo "the next run in this work tree did not start"; return 1; }
}
ck_sigkill_guest() {
	"$IR_PYTHON" scripts/interrupt.py --signal KILL --to leader "$CK/runs/*/console.log" 'ir-guest: running job' -- \
		./run.sh --results "$CK/runs" -q exec sleep 600 || return 1
	next_run_starts || return 1
	unfinished_run 'died without a word'
}

# A results directory on a file system too small for what the guest
# writes (a selftests run writes about 92 KiB; here a job that prints 200
# KiB, through the same ledger, in a seventh of the time): one line
# naming what did not arrive, a failure, and no verdict on what did.
ck_results_full() {
	local small=$CK/small rc=0
	[ "$(id -u)" -eq 0 ] || not_run "mounting a small tmpfs needs root"
	mkdir -p "$small" && mount -t tmpfs -o size=48k tmpfs "$small" || return 1
	expect_error '!0' '(results incomplete|cannot write)[: ].*(KiB free|No space left)' \
		./run.sh -q --results "$small" exec sh -c 'head -c 204800 /dev/zero | tr "\\0" x' || rc=1
	! grep -qs 'passed' "$small"/*/summary.md ||
		{ echo "a verdict was written on incomplete results"; rc=1; }
	umount "$small"
	return $rc
}

# Another package manager at work (a second work tree installing, or
# unattended-upgrades on a fresh machine): a run that needs a package
# waits for dpkg's lock, says so, and then installs and passes. lcov (only
# ./run.sh coverage needs it, which no other check runs: a check beside
# this one never misses it) is removed to be needed; the dry run of that
# action installs what it needs and boots nothing.
ck_dpkg_busy() {
	local holder rc=0
	[ "$(id -u)" -eq 0 ] || not_run "removing and installing a package needs root"
	dpkg -r lcov >/dev/null 2>&1 || { echo "cannot remove lcov to make the run need a package"; return 1; }
	"$IR_PYTHON" -c 'import fcntl, time
f = open("/var/lib/dpkg/lock-frontend", "w")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(8)' >"$CK/holder" &
	holder=$!
	until grep -q locked "$CK/holder" 2>/dev/null; do sleep 0.1; done
	rs --no-progress --dry-run coverage >"$CK/busy.out" 2>&1 || rc=$?
	wait "$holder"
	cat "$CK/busy.out"
	[ $rc -eq 0 ] || { echo "exit $rc, wanted 0"; return 1; }
	grep -q 'waiting for another package manager to finish (pid' "$CK/busy.out" &&
		grep -q 'installing lcov' "$CK/busy.out" &&
		dpkg-query -W -f='${Status}' lcov | grep -q 'install ok installed'
}

# --- build: kernels of their own --------------------------------------

ck_impossible_config() {
	expect_error 125 "cannot enable CONFIG_IOMMUFD_NO_SUCH_OPTION" \
		rs -q --kconfig scripts/test-data/impossible.config build
}

# Ctrl-C while the kernel builds (a cache of its own, so the real one
# stays whole): the build stops, and what it left is not taken for a
# finished kernel.
interrupted_build() {
	local sig=$1 to=$2 cache=$CK/cache
	ensure_packages linux-source-6.12
	rs -q build >/dev/null || return 1
	"$IR_PYTHON" scripts/interrupt.py --signal "$sig" --to "$to" "$cache/build/*/build.log" '^  CC ' -- \
		./run.sh --results "$CK/runs" -q --cache "$cache" --ksrc "$IR_DEFAULT_TREE" build || return 1
	! compgen -G "$cache/build/*/.iommufd-replace-built" ||
		{ echo "an interrupted build was stamped as built"; return 1; }
	next_run_starts || return 1
	rm -rf "$cache"
}
ck_sigint_build() { interrupted_build INT group; }
ck_sigkill_build() { interrupted_build KILL leader; }

# The suite must catch the kinds of bug it was written against. Five made
# on purpose, one patch each (scripts/test-data/mutations/): an attach
# onto an IOAS's shared auto domain that fails keeps a reference to that
# domain (an unwind: replace_attach.shared_auto, both its walks, whose
# IOAS then cannot be destroyed); IOAS_COPY of part of an area maps from
# the area's start (a state: replace_states' copy variants, whose
# accesses pin other pages than the IOAS maps); the
# fault queue's read takes any length (a refusal: replace_refusals'
# fault_queue_io, its rows "a byte short" and "a byte over"); a dirty
# bitmap read that drops IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR (a flag:
# replace_dirty.no_clear_reads_across_replace, whose second NO_CLEAR read
# of the HWPT left finds its bits gone); and a read of the HWPT a replace
# has just freed (a memory error no call sees). The selftests on that
# kernel fail exactly the first four's tests. Then
# KFENCE, which samples (a whole run of the selftests saw the
# use-after-free 0 to 2 times, at 2.5 times the run's length), is asked of
# the tests whose subject is that path, a replace away from an auto
# domain that frees it, round after round until it reports: it did in the
# first round twice and the third once, in three boots; 20 rounds are
# allowed. One boot for both; the selftests without KFENCE.
IR_MUTANTS="replace_attach.shared_auto.every_failure_point replace_attach.shared_auto.every_iommufd_point replace_dirty.no_clear_reads_across_replace replace_refusals.fault_queue_io replace_states.copy.fill_empty_refill replace_states.copy_small_pages.fill_empty_refill"
IR_MUTANT_UAF='BUG: KFENCE: use-after-free read in iommufd_device_change_pt'
IR_MUTANT_KFENCE='. scripts/memcheck.sh && memcheck_on >/dev/null && i=0 && while [ $i -lt 20 ]; do i=$((i + 1)); selftests/replace_ioas -t to_ioas_id_creates_then_reuses_auto_domain -t hwpt_to_other_ioas_id_and_back >/dev/null 2>&1; selftests/replace_basic -t leaving_auto_domain_frees_it >/dev/null 2>&1; if dmesg | grep -q "BUG: KFENCE"; then echo "KFENCE reported in round $i"; break; fi; done; memcheck_off'
ck_mutations() {
	local rc=0 run failed
	ensure_packages linux-source-6.12 patch
	cat scripts/test-data/mutations/*.patch >"$CK/mutations.patch"
	# One line: run.sh quotes it for the guest's sh, which knows no $'\n'.
	rs -q --patch "$CK/mutations.patch" exec sh -c \
		"make --no-print-directory -C selftests run_tests; $IR_MUTANT_KFENCE" || rc=$?
	run=$(last_run)
	[ -f "$run/exec.log" ] && grep -q '^# selftests: ' "$run/exec.log" ||
		{ echo "the mutated kernel's selftests gave no result (exit $rc)"; return 1; }
	failed=$(tap_results "$run/exec.log" | sed -n 's/^not ok //p' | paste -sd' ' -)
	[ "$failed" = "$IR_MUTANTS" ] ||
		{ echo "failed: '$failed'; wanted: '$IR_MUTANTS'"; return 1; }
	echo "the selftests failed $failed"
	[ $rc -eq 1 ] && grep -m1 "$IR_MUTANT_UAF" "$run/dmesg.txt" ||
		{ echo "KFENCE did not report the use-after-free (exit $rc; dmesg.txt of $run)"; return 1; }
	echo "$(grep 'KFENCE reported' "$run/exec.log"); reports: $(grep -c "$IR_MUTANT_UAF" "$run/dmesg.txt")"
}

# --- compare: kernel A against kernel B -------------------------------

# Kernel A against kernel B, two boots each, alternately (bench/README.md,
# "Verdicts"): the fewest that take the rule of several boots a side (the
# medians past the threshold, every boot of one side above every boot of
# the other); one boot a side already sees a 1.6 % move of the hot path,
# and each boot costs a lane 20 s under icount. The default tree against
# itself must not be called different: the promise that makes a
# regression tracker possible. Against
# a copy with bench/test-data/replace-slowdown.patch, its loop run 100
# times (407 instructions on the replace path), the replace scenarios must
# be flagged slower, at the top, with exit 1, and the flows that do not go
# through the replace (unbind+bind, an access's IOAS replace) not. 100,
# not the patch's default 20: make_before_break once stepped by 91 ns in
# one boot of A, which lifted its threshold over the 1.3 % that 20 trips
# add to it; 100 trips add 6 %.
IR_CK_ARGS=(-s hwpt_hwpt,cross_ioas,nested_nested,make_before_break,reattach,access_ioas -m 1M -n 200)
# Three boots a side: a tail state of one boot (an event in 1 % of its
# samples) must then land on every boot of one side and on none of the
# other to be flagged. With two, a rare one did (bench/README.md,
# "Repeatability": make_before_break's p99 6595 against 7622 ns).
ck_compare_aa() {
	ensure_packages linux-source-6.12
	rs -q build >/dev/null || return 1
	rs -q compare-kernels --boots 3 --ksrc "$IR_DEFAULT_TREE" --ksrc "$IR_DEFAULT_TREE" -- "${IR_CK_ARGS[@]}" ||
		return 1
	cat "$(last_run)/compare.txt"
	grep -q '^verdict: no regression: 0 slower, 0 faster' "$(last_run)/compare.txt"
}
ck_compare_slowdown() {
	local rc=0 txt s
	rs -q compare-kernels --boots 2 --patch bench/test-data/replace-slowdown.patch \
		--append iommufd.replace_slowdown=100 -- "${IR_CK_ARGS[@]}" || rc=$?
	txt=$(last_run)/compare.txt
	cat "$txt"
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; return 1; }
	# The table opens with the slower rows: each replace scenario's p50.
	awk 'NR > 1 && !/ slower$/ { exit } NR > 1' "$txt" >"$CK/top"
	for s in hwpt_hwpt/replace cross_ioas/replace nested_nested/replace make_before_break/; do
		grep -qE "^$s.* p50 .* slower$" "$CK/top" ||
			{ echo "$s is not among the top rows, slower"; return 1; }
	done
	! grep -E '^(reattach|access_ioas)/.* (slower|faster)$' "$txt" ||
		{ echo "a flow that does not replace was flagged"; return 1; }
	grep -q '^verdict: regression' "$txt" || return 1
	# The robot's report: the patch, the hot path's p50 with its change
	# and threshold, the command.
	cat "$(last_run)/report.txt"
	grep -q '^patch:   .*/replace-slowdown.patch (sha256 [0-9a-f]\{16\})$' "$(last_run)/report.txt" &&
		grep -qE '^ +[0-9]+ ± +[0-9.]+% +[0-9]+ ± +[0-9.]+% +\+[0-9.]+% +[0-9.]+%  hwpt_hwpt/replace steady 1M p50$' \
			"$(last_run)/report.txt" &&
		grep -q '^    .*run.sh .*compare-kernels .*--patch' "$(last_run)/report.txt" ||
		{ echo "report.txt lacks the patch, the hot path's row or the command"; return 1; }
	tracker_formats_agree "$(last_run)/b" /dev/null
}

# A sealed guest (scripts/sealed.sh), the default of a timed bench: three
# boots of the default kernel make this build's noise table, in which
# the hot path's floors (the fastest twentieth of each record's samples)
# repeat to the clock's nanosecond in all boots, or in all but one that
# read higher; two more boots are not called different from those three
# by compare with that table, though each floor is judged at 1.5 ns; the
# slowdown patch at one trip (11 instructions on the replace path, 0.45 %
# of the hot path) is flagged on each of the four replace records'
# floors from two boots. Several boots a side, as compare-kernels boots
# sealed: one boot in about twenty starts a record a step up, more on a
# busy host (bench/README.md, "The sealed guest"), and a side's floor is
# its fastest boot's. Only the hot path is judged: a few boots measure
# no allocating or one-time record's spread. The guest never had the
# host's root.
IR_CK_SEALED_ARGS=(-s hwpt_hwpt,cross_ioas,nested_nested,make_before_break -m 1M -n 200)
IR_CK_SEALED_HOT='^(hwpt_hwpt|cross_ioas|nested_nested|make_before_break)/.* steady'
sealed_boots() { # DIR N, run.sh's options before bench: N boots, DIR their results
	local i
	for ((i = 0; i < $2; i++)); do
		./run.sh --results "$1" -q "${@:3}" bench -- "${IR_CK_SEALED_ARGS[@]}" >/dev/null || return 1
	done
}
ck_sealed() {
	local t=$CK/noise-sealed.json
	rm -rf "$CK/a" "$CK/aa" "$CK/slow"
	sealed_boots "$CK/a" 3 && sealed_boots "$CK/aa" 2 || return 1
	grep -q '^ir-guest: running job (sealed)' "$CK"/a/*/console.log &&
		grep -q ' -initrd ' "$CK"/a/*/qemu.cmd && ! grep -q 'mount_tag=/dev/root' "$CK"/a/*/qemu.cmd ||
		{ echo "the bench's guest was not sealed ($CK/a/*/qemu.cmd)"; return 1; }
	[ -z "$(grep -L -e ' -smp 1 ' "$CK"/a/*/qemu.cmd; grep -L '"clock": "tsc"' "$CK"/a/*/bench.json)" ] ||
		{ echo "the sealed guest did not have one vCPU and the TSC as the bench's clock"; return 1; }
	"$IR_PYTHON" bench/noise.py "$CK/a" >"$t" || return 1
	"$IR_PYTHON" bench/compare.py --all --noise "$t" --only "$IR_CK_SEALED_HOT" "$CK/a" "$CK/aa" \
		>"$CK/aa.txt" || { cat "$CK/aa.txt"; echo "A/A: sealed boots of the same kernel were called different"; return 1; }
	cat "$CK/aa.txt"
	[ "$(grep -cE ' p5 +min [0-9]+ \[.*\] +min [0-9]+ \[.*\] +[-+]0\.0[0-9]% +0\.[01]% +same$' "$CK/aa.txt")" -eq 4 ] ||
		{ echo "the replace records' floors were not judged within the clock's nanosecond"; return 1; }
	sealed_boots "$CK/slow" 2 --patch bench/test-data/replace-slowdown.patch \
		--append iommufd.replace_slowdown=1 || return 1
	"$IR_PYTHON" bench/compare.py --noise "$t" --only "$IR_CK_SEALED_HOT" "$CK/a" "$CK/slow" >"$CK/slow.txt" &&
		{ cat "$CK/slow.txt"; echo "exit 0, wanted 1 (a regression)"; return 1; }
	cat "$CK/slow.txt"
	[ "$(grep -cE ' p5 .* slower$' "$CK/slow.txt")" -eq 4 ] ||
		{ echo "one trip of the slowdown loop was not flagged on every replace record's floor"; return 1; }
}

# --- bisect: the commit that slowed the replace -----------------------

# A history made for the test on a git copy of the default tree (every
# file tracked): a comment, the slowdown patch with its loop run 100 times
# (as compare-slowdown), a commit that does not build, its fix, two more
# comments. git bisect tests the one that does not build first, then the
# fix, then the slow one and the comment before it. Made once into the
# cache with fixed names and dates, so that its commits are the same each
# time and the bisect's clone and build directory are reused (a first
# bisect builds its kernel whole).
IR_BISECT_TREE=${IR_CACHE:-$IR_CACHE_DEFAULT}/check-bisect/linux
IR_BISECT_FILE=drivers/iommu/iommufd/device.c

# bisect_commit SUBJECT CMD...: CMD changes the tree's one file, a copy of
# its own first (the tree is hard links to the default tree's files).
bisect_commit() {
	local subject=$1
	shift
	cp --remove-destination "$IR_BISECT_FILE" "$IR_BISECT_FILE.new" &&
		mv "$IR_BISECT_FILE.new" "$IR_BISECT_FILE" && "$@" &&
		git commit -q -a -m "$subject"
}

bisect_history() {
	local t=$IR_BISECT_TREE made id slow=$PWD/bench/test-data/replace-slowdown.patch
	id="$(cat "$IR_DEFAULT_TREE/../.extracted") $(sha256sum <bench/test-data/replace-slowdown.patch | cut -c1-12) 1"
	made=${t%/*}/.made
	[ "$(cat "$made" 2>/dev/null)" = "$id" ] && return 0
	rm -rf "${t%/*}" && mkdir -p "${t%/*}" && cp -al "$IR_DEFAULT_TREE" "$t" || return 1
	(
		cd "$t" || exit 1
		export GIT_AUTHOR_NAME=iommufd-replace GIT_AUTHOR_EMAIL=check@iommufd-replace.invalid \
			GIT_COMMITTER_NAME=iommufd-replace GIT_COMMITTER_EMAIL=check@iommufd-replace.invalid \
			GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
		# (No automatic gc: the first commit leaves 86000 loose objects,
		# and a repack during the bisect costs a core for minutes.)
		git init -q && git config gc.auto 0 && git -c core.compression=1 add -f -A . &&
			git commit -q -m "base: Debian's linux-source-6.12" &&
			bisect_commit "iommufd: a comment" sed -i '1a /* bisect history: a comment */' "$IR_BISECT_FILE" &&
			bisect_commit "iommufd: replace slowdown, 100 trips" \
				sh -c "patch -s -p1 <'$slow' && sed -i 's/replace_slowdown = 20;/replace_slowdown = 100;/' $IR_BISECT_FILE" &&
			bisect_commit "iommufd: does not build" sed -i '1a #error "bisect history: this commit does not build"' "$IR_BISECT_FILE" &&
			bisect_commit "iommufd: builds again" sed -i '2d' "$IR_BISECT_FILE" &&
			bisect_commit "iommufd: another comment" sed -i '1a /* bisect history: another comment */' "$IR_BISECT_FILE" &&
			bisect_commit "iommufd: a third comment" sed -i '1a /* bisect history: a third comment */' "$IR_BISECT_FILE"
	) >"$CK/history.log" 2>&1 || { cat "$CK/history.log"; return 1; }
	echo "$id" >"$made"
}

# ./run.sh bisect of that history for a slowdown of hwpt_hwpt, one boot a
# step: the slow commit named, the one that does not build skipped, the
# robot's report of the slow commit with the replace at its top.
ck_bisect() {
	local run slow broken
	ensure_packages linux-source-6.12 git patch
	rs -q build >/dev/null && bisect_history || return 1
	git -C "$IR_BISECT_TREE" log --format='%h %s' HEAD~6..HEAD
	slow=$(git -C "$IR_BISECT_TREE" rev-parse HEAD~4)
	broken=$(git -C "$IR_BISECT_TREE" rev-parse HEAD~3)
	rs -q --ksrc "$IR_BISECT_TREE" bisect --good HEAD~6 --bad HEAD --scenario hwpt_hwpt || return 1
	run=$(last_run)
	cat "$run/bisect.txt" "$run/report.txt"
	grep -q "^first bad commit: $slow " "$run/bisect.txt" ||
		{ echo "the first bad commit is not the slow one, $slow"; return 1; }
	grep -q " $broken skip " "$run/steps.txt" ||
		{ echo "the commit that does not build ($broken) was not skipped"; return 1; }
	grep -q "^commit:  $slow (\"iommufd: replace slowdown, 100 trips\")" "$run/report.txt" &&
		awk '/^---/ { getline; print; exit }' "$run/report.txt" | grep -q ' hwpt_hwpt/replace steady 1M p50$' ||
		{ echo "report.txt does not name the commit and the replace's p50 first"; return 1; }
}

# --- kselftest: the collection as labs run it -------------------------

# docs/labs.md: `make gen_tar`, the tarball unpacked into a fresh directory
# in the guest with this work tree hidden, `./run_kselftest.sh -c
# iommufd-replace`: the expected results, each program under the timeout
# of the collection's settings, and the kernel's own KTAP parser
# (kunit.py) counting what the TAP says.
ck_kselftest() {
	local ks ksrc
	rs -q kselftest || return 1
	ks=$(last_run)/kselftest.tap
	harness_tap "$ks" kselftest:
	expected_tests "$ks" || return 1
	[ "$(grep -c '^# timeout set to 120$' "$ks")" -eq "$(grep -c '^# selftests: ' "$ks")" ] ||
		{ echo "the settings' timeout was not used for every program"; return 1; }
	ksrc=$(sed -n 's/^KSRC := //p' build/kernel.mk)
	"$IR_PYTHON" scripts/ktap_parse.py "$ksrc/tools/testing/kunit/kunit.py" "$ks"
}

# A test made to hang, in the collection with a 10 s timeout in its
# settings: reported as a TIMEOUT, and the next test still runs.
ck_kselftest_hang() {
	local x=$CK/hang rc=0 tap
	rs -q build >/dev/null && make -s gen_tar >"$CK/gen_tar.log" 2>&1 || return 1
	mkdir -p "$x/tree" &&
		tar -C "$x/tree" -xzf build/kselftest_install/kselftest-packages/kselftest.tar.gz &&
		printf '#!/bin/sh\nsleep 600\n' >"$x/tree/iommufd-replace/hang_test" &&
		chmod +x "$x/tree/iommufd-replace/hang_test" &&
		echo timeout=10 >"$x/tree/iommufd-replace/settings" &&
		sed -i '1i iommufd-replace:hang_test' "$x/tree/kselftest-list.txt" &&
		tar czf "$x/hang.tar.gz" -C "$x/tree" . || return 1
	rs -q kselftest "$x/hang.tar.gz" -- -t iommufd-replace:hang_test \
		-t iommufd-replace:replace_access || rc=$?
	tap=$(last_run)/kselftest.tap
	grep -E '^(not )?ok [0-9]+ ' "$tap"
	[ $rc -eq 1 ] &&
		grep -qx 'not ok 1 selftests: iommufd-replace: hang_test # TIMEOUT 10 seconds' "$tap" &&
		grep -qx 'ok 2 selftests: iommufd-replace: replace_access' "$tap"
}

# --- lava: the job as a lab runs it -----------------------------------

# docs/labs.md: validated by LAVA's schema (strict) and lava-run
# --validate, then run by LAVA's own dispatcher; LAVA must record every
# test of the collection as the runner reported it, and the bench's
# numbers as measurements.
ck_lava() {
	local res
	rs -q lava || return 1
	res=$(last_run)/lava-results.txt
	grep -qx 'job: lava complete' "$res" &&
		grep -qx 'replace_basic_paging_to_paging_follows_ioas pass' "$res" &&
		grep -qE '^iommufd_replace_hwpt_hwpt_replace_1m_p50 pass [0-9]+ ns$' "$res" &&
		! grep -q ' fail' "$res" &&
		[ "$(grep -c ' skip$' "$res")" -eq "$(grep -c 'SKIP$' "$IR_EXPECTED_TESTS")" ] &&
		[ "$(awk 'NF == 2 && $2 == "pass"' "$res" | wc -l)" -eq "$(grep -vc 'SKIP$' "$IR_EXPECTED_TESTS")" ] ||
		{ echo "LAVA recorded other results than the runner's (see $res)"; return 1; }
}

# --- arm64: a cross-built kernel and suite ----------------------------

# docs/running.md, "arm64 and page sizes": in a qemu-system-aarch64 guest, every
# test counts on its own, as in the main job, and each page size must
# pass and skip exactly what the default x86_64 kernel does.
arm64_selftests() {
	local page=$1 action=$2 rc=0 run tap
	rs -q --arch arm64 --page-size "$page" "$action" || rc=$?
	run=$(last_run)
	tap=$run/selftests.tap
	grep -q "^# # page size: ${page%k} KiB " "$tap" 2>/dev/null &&
		grep -q '^qemu-system-aarch64 ' "$run/qemu.cmd" ||
		{ echo "no selftests of an arm64 $page kernel in $run"; return 1; }
	harness_tap "$tap" "arm64-$page:"
	[ $rc -eq 0 ] || { echo "the arm64 $page run failed (exit $rc)"; return 1; }
	# A 64 KiB kernel's huge page is 512 MiB, more than replace_states maps.
	if [ "$page" = 64k ]; then
		expected_tests "$tap" replace_states.thp.fill_empty_refill \
			replace_states.thp_small_pages.fill_empty_refill
	else
		expected_tests "$tap"
	fi
}

# The bench at 64 KiB: the hot path measured under icount, and the THP
# points, smaller than this kernel's 512 MiB huge page, not run with that
# reason, failing nothing.
ck_arm64_64k() {
	arm64_selftests 64k all || return 1
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
		"$(last_run)/bench.json"
}
ck_arm64_4k() { arm64_selftests 4k selftests; }

# --- sid: Debian unstable's newest kernel -----------------------------

# docs/running.md, "Kernels": the suite must compile against it and pass on it. On
# the version the suite was last validated on (scripts/sid-validated) a
# failure fails make check. A newer upload that breaks the suite is not
# run, with the reason and loudly, so that Debian's upload day does not
# block unrelated landings; so is a mirror that cannot be reached.
sid_version() {
	local tree
	tree=$(ls -d "${IR_CACHE:-$IR_CACHE_DEFAULT}"/src-sid/linux-source-* 2>/dev/null | tail -n 1)
	[ -n "$tree" ] && make -s -C "$tree" kernelversion 2>/dev/null || echo unknown
}
sid_case() {
	local rc=0 ver validated
	validated=$(cat scripts/sid-validated)
	rs -q --kernel sid "$@" >"$CK/sid.out" 2>&1 || rc=$?
	cat "$CK/sid.out"
	ver=$(sid_version)
	echo "Debian unstable's kernel: $ver (validated: $validated)"
	if [ $rc -ne 0 ] && grep -q -- '--kernel sid:' "$CK/sid.out"; then
		not_run "$(grep -m1 -- '--kernel sid:' "$CK/sid.out")"
	elif [ $rc -ne 0 ] && [ "$ver" != "$validated" ]; then
		not_run "!!! FAILS on Debian unstable's new kernel $ver (validated: $validated): make the suite pass there, then write $ver into scripts/sid-validated"
	fi
	[ $rc -ne 0 ] || [ "$ver" = "$validated" ] ||
		echo "note: the suite passes on Debian unstable's new kernel $ver: write it into scripts/sid-validated"
	return $rc
}
ck_sid_compile() { sid_case compile; }
# Every test passes or skips, but for what scripts/test-data/known-failures.txt
# lists for this check and kernel: those tests still fail as listed, and
# the kernel log's splats are the listed ones.
ck_sid_selftests() {
	local rc=0 run release known
	sid_case selftests || rc=$?
	run=$(last_run)
	release=$(cat "$run/kernel-release" 2>/dev/null)
	known=$(known_failures "$release")
	[ $rc -eq 0 ] || [ -n "$known" ] || return $rc
	[ -f "$run/selftests.tap" ] || { echo "no selftests.tap in $run"; return 1; }
	listed_tap "$run/selftests.tap" "$known" sid: &&
		listed_still_so "$run/selftests.tap" "$release" "$known" &&
		kernel_log_listed "$run/dmesg.txt" "$release" "$known"
}

# --- iommu: real IOMMU drivers and a DMA engine -----------------------

# docs/tests.md, "Real IOMMUs and DMA": replace_dma in a guest given QEMU's
# emulated IOMMU and three edu devices behind it, through vfio-pci and
# the VFIO cdev. Every test passes and none skips (a skip here is a device
# or driver that did not come up), each counted on its own; except where
# scripts/test-data/known-failures.txt lists a test for this check and
# kernel: that test must still fail (or skip), its log matching the
# evidence. On Debian unstable's kernel, a release newer than the one the
# suite was validated on (scripts/sid-validated) that does otherwise is
# not run, loudly, as the sid checks do: its list is not written yet.
IR_KNOWN_FAILURES=scripts/test-data/known-failures.txt
# known_failures RELEASE: "TEST RESULT EVIDENCE" a line for this check;
# a line's KERNEL is a release (7.2.13), a series (6.12: every 6.12.N,
# as Debian's stable updates move the point release) or any (*); a line
# for this very release or series wins over one for any.
known_failures() {
	awk -v c="${CK##*/}" -v r="$1" '
		function hit(k) { return k == r || k == "*" || index(r, k ".") == 1 }
		$1 == c && hit($2) && !($3 in seen && $2 == "*") {
			seen[$3] = 1; line = $3 " " $4
			for (i = 5; i <= NF; i++) line = line " " $i
			out[$3] = line
		}
		END { for (t in out) print out[t] }' "$IR_KNOWN_FAILURES" | sort
}
# test_lines LOG TEST: what TEST printed in LOG, from its RUN line to its
# result (a variant's lines name the test without the variant).
test_lines() {
	grep -E "^# (# )?(${2#*.}|.*${2#*.}:|.*${2//./\\.} # SKIP )" "$1"
	awk -v t="$2" 'index($0, " RUN ") && index($0, " " t " ") { on = 1 }
		on { print }
		on && index($0, "ok ") && index($0, " " t) { exit }' "$1"
}
# listed_still_so LOG RELEASE KNOWN: each test KNOWN lists still fails
# (or skips) in LOG, its lines matching the evidence.
listed_still_so() {
	local log=$1 release=$2 t result evidence lines
	while read -r t result evidence; do
		[ -n "$t" ] && [ "$t" != kernel-log ] || continue
		# Not a pipe: grep -q would close it on test_lines (pipefail).
		lines=$(test_lines "$log" "$t")
		grep -qE -- "$evidence" <<<"$lines" ||
			{ echo "$t: a $result on $release, but not as listed ($evidence)"; return 1; }
		echo "known $result, still so on $release: $t ($evidence)"
	done <<<"$3"
}
# listed_tap TAP KNOWN PREFIX: TAP's tests count one by one, but for the
# failures KNOWN lists (and their programs' "not ok" lines); a failure it
# does not list fails the check.
listed_tap() {
	local tap=$1 drop='^$' t prog
	while read -r t _; do
		[ -n "$t" ] && [ "$t" != kernel-log ] || continue
		prog=${t%%.*}
		drop+="|^not ok [0-9]+ selftests: (.*: )?$prog( |\$)|^# not ok [0-9]+ ${t//./\\.}( |\$)"
	done <<<"$2"
	grep -vE "$drop" "$tap" >"$CK/counted.tap"
	harness_tap "$CK/counted.tap" "$3"
	! grep -E '^(# )?not ok ' "$CK/counted.tap" ||
		{ echo "failures not listed in $IR_KNOWN_FAILURES (above)"; return 1; }
}
# kernel_log_listed DMESG RELEASE KNOWN: DMESG has no splat, or KNOWN
# lists one ("kernel-log splat REGEX") and every line of DMESG's splats
# (WARNING:, BUG: ...) matches REGEX.
kernel_log_listed() {
	local dmesg=$1 release=$2 evidence lines
	evidence=$(awk '$1 == "kernel-log" { sub(/^kernel-log [^ ]+ /, ""); print }' <<<"$3")
	lines=$(grep -E "$IR_SPLAT_RE" "$dmesg" | grep -v 'Call Trace')
	if [ -z "$evidence" ]; then
		[ -z "$lines" ] || { echo "the kernel log has a splat ($dmesg):"; echo "$lines"; return 1; }
		return 0
	fi
	[ -n "$lines" ] || { echo "kernel-log: a splat listed on $release, but none in $dmesg ($evidence)"; return 1; }
	! grep -vE -- "$evidence" <<<"$lines" ||
		{ echo "kernel log: the splats above are not the listed ones on $release ($evidence)"; return 1; }
	echo "known splat, still so on $release: $(wc -l <<<"$lines") lines, each matching $evidence"
}
# The expected "ok"/"not ok" line of each replace_dma test, with KNOWN.
dma_expected() {
	local known=$1 t result
	sed -n 's/^ok \(replace_dma\(_group\|_pair\)\?\..*\) # SKIP$/\1/p' "$IR_EXPECTED_TESTS" |
		while read -r t; do
			result=$(awk -v t="$t" '$1 == t { print $2 }' <<<"$known")
			case $result in
			fail) echo "not ok $t" ;;
			skip) echo "ok $t # SKIP" ;;
			*) echo "ok $t" ;;
			esac
		done | sort
}
dma_case() {
	local iommu=$1 log release known t result evidence
	shift
	# The program itself (an arm64 guest's Debian root has no make), its
	# TAP nested as the kselftest runner nests it.
	rs -q --iommu "$iommu" "$@" exec sh -c \
		'echo "# selftests: replace_dma"; selftests/replace_dma 2>&1 | sed "s/^/# /"'
	log=$(last_run)/exec.log
	release=$(cat "$(last_run)/kernel-release" 2>/dev/null) && grep -q '^# selftests: ' "$log" ||
		{ echo "no replace_dma results on $iommu"; return 1; }
	known=$(known_failures "$release")
	# The harness tests count, but for the listed ones (and the
	# program's line that their failure made "not ok").
	grep -vE "^not ok [0-9]+ selftests: |^# (not )?ok [0-9]+ ($(awk '{ print $1 }' <<<"$known" | paste -sd'|' -))( |$)" \
		"$log" >"$CK/counted.tap"
	harness_tap "$CK/counted.tap" "dma-$iommu:"
	if ! diff <(dma_expected "$known") <(tap_results "$log"); then
		[[ " $* " != *" --kernel sid "* ]] || [ "$release" = "$(cat scripts/sid-validated)" ] ||
			not_run "!!! replace_dma on $iommu: not the listed results on Debian unstable's new kernel $release (validated: $(cat scripts/sid-validated)): list them in $IR_KNOWN_FAILURES"
		echo "replace_dma on $iommu, $release: not the expected results (< expected, > this run; $log)"
		return 1
	fi
	listed_still_so "$log" "$release" "$known" || return 1
	echo "replace_dma on $iommu, $release: the expected results"
}
# bench_dma IOMMU DRIVER [RUN.SH OPTIONS]: the bench's replace scenarios on
# the edu devices behind IOMMU, under icount: every record's point names
# DRIVER, each scenario that applies has its steady record, what the
# driver refuses is a reason, not a failure; metrics, compare, the plots
# and the trend name the driver too.
bench_dma() {
	local iommu=$1 driver=$2 run
	shift 2
	rs -q --iommu "$iommu" "$@" bench -- --device edu \
		-s hwpt_hwpt,cross_ioas,make_before_break,reattach,nested_nested -m 1M -n 50 ||
		return 1
	run=$(last_run)
	"$IR_PYTHON" - "$run/bench.json" "$driver" <<'EOF' || return 1
import json, sys
d = json.load(open(sys.argv[1]))
driver = sys.argv[2]
recs = d["records"]
steady = {r["scenario"]: r["stats"]["p50"] for r in recs if r["phase"] == "steady"}
for r in recs:
    if r["point"].get("iommu") != driver:
        sys.exit(f'{r["scenario"]}/{r["op"]}: point.iommu {r["point"].get("iommu")}, not {driver}')
for s in ("hwpt_hwpt", "cross_ioas", "make_before_break", "reattach"):
    if s not in steady:
        sys.exit(f"no steady record of {s} on {driver}")
for n in d["not_run"]:
    if n["fails"]:
        sys.exit(f'{n["scenario"]} failed on {driver}: {n["reason"]}')
    print(f'not run on {driver}: {n["scenario"]}: {n["reason"]}')
print(f"{driver} steady p50 (ns):", ", ".join(f"{s} {v:.0f}" for s, v in sorted(steady.items())))
EOF
	grep -q "/hwpt_hwpt/replace/1M_${driver}/p50_ns" "$run/metrics.json" ||
		{ echo "metrics.json names no $driver record"; return 1; }
	ls "$run"/plots/*.svg >/dev/null || { echo "no plots"; return 1; }
	rs -q compare "$run" "$run" >"$CK/compare.txt" || return 1
	grep -q "^hwpt_hwpt/replace steady 1M ${driver} " "$CK/compare.txt" ||
		{ echo "compare names no $driver record"; return 1; }
	rs -q "$@" trend hwpt_hwpt >/dev/null || return 1
	ls "$CK"/runs/trend-hwpt_hwpt*.svg >/dev/null
}
ck_bench_dma_intel() { bench_dma intel VT-d; }
ck_bench_dma_smmuv3() { bench_dma smmuv3 SMMUv3 --arch arm64 --page-size 64k; }

ck_dma_intel() { dma_case intel; }
# The fix for a listed failure makes its test pass: the in-IOAS fail-nth
# walk of replace_dma on VT-d, with the patch put in through --patch
# (built from the default kernel's objects). Only that walk: the rest of
# the known failures are dma-intel's to check.
ck_dma_intel_fix() {
	local log t=failed_replace_in_ioas_unwinds
	ensure_packages linux-source-6.12 patch
	rs -q --iommu intel --patch patches/iommufd-keep-resv-on-failed-replace-6.12.patch \
		exec sh -c "selftests/replace_dma -t $t 2>&1"
	log=$(last_run)/exec.log
	grep -E "^# replace_dma\.$t: [0-9]+ fault points reached" "$log" ||
		{ echo "no walk of $t in $log"; return 1; }
	grep -qx "ok 1 replace_dma\.$t" "$log" ||
		{ grep -E "$t:" "$log"; echo "$t still fails with the fix ($log)"; return 1; }
	echo "with the fix: $t passes"
}
ck_dma_amd() { dma_case amd; }
ck_dma_virtio() { dma_case virtio; }
ck_dma_smmuv3() { dma_case smmuv3 --arch arm64 --page-size 64k; }
ck_dma_intel_sid() { dma_case intel --kernel sid; }
ck_dma_virtio_sid() { dma_case virtio --kernel sid; }
ck_dma_amd_sid() { dma_case amd --kernel sid; }
ck_dma_smmuv3_sid() { dma_case smmuv3 --arch arm64 --page-size 64k --kernel sid; }
