# shellcheck shell=bash
# What run.sh tells of a finished job, and its verdict: sourced.

# summary LINE...: onto $IR_OUT/summary.md (ir_append: a failed write
# ends the run naming the file).
summary() {
	ir_append "$IR_OUT/summary.md" "$@"
}

# report_selftests [NAME]: the verdict of $IR_OUT/NAME.tap (selftests or
# kselftest); fails on any failure.
report_selftests() {
	local name=${1:-selftests} pass fail skip rc=0
	local tap=$IR_OUT/$name.tap
	read -r pass fail skip <<<"$(tap_counts "$tap")"
	summary "- $name: $pass passed, $fail failed, $skip skipped" \
		"- device-side oracle: $(tap_oracle "$tap")"
	# The guest's memory check (scripts/memcheck.sh), where it ran one.
	[ ! -s "$IR_OUT/memcheck" ] || summary "- memory check: $(cat "$IR_OUT/memcheck")"
	if [ "$fail" -gt 0 ]; then
		printf '%s: failed: %s\n' "$IR_PROG" "$(tap_failures "$tap" | paste -sd, -)" >&2
		rc=1
	fi
	if [ "$((pass + fail + skip))" -eq 0 ]; then
		printf '%s: no test result in %s\n' "$IR_PROG" "$tap" >&2
		rc=1
	fi
	echo "$name: $pass passed, $fail failed, $skip skipped (${IR_ELAPSED}s, $IR_OUT)"
	echo "device-side oracle: $(tap_oracle "$tap")"
	[ ! -s "$IR_OUT/memcheck" ] || echo "memory check: $(cat "$IR_OUT/memcheck")"
	return $rc
}

report_bench() {
	[ -s "$IR_OUT/bench.json" ] || {
		cat "$IR_OUT/bench.txt" 2>/dev/null >&2
		printf '%s: the bench wrote no bench.json\n' "$IR_PROG" >&2
		return 1
	}
	summary "- bench: bench.json ($IR_BENCH_MODE), $(tail -n 1 "$IR_OUT/bench.txt")"
	bench_outputs "$IR_OUT" || return 1
	# A short summary; the full table is in the results, not on the screen.
	echo "bench: $("$IR_PYTHON" "$IR_TOP/bench/metrics.py" --summary "$IR_OUT/bench.json") ($IR_BENCH_MODE)"
	echo "bench: table bench.txt, bench.json, metrics.json, kcidb.json, bmf.json, lkp.txt, plots/ in $IR_OUT"
	# A scenario that failed (not one this kernel lacks) fails the run.
	[ "$(cat "$IR_OUT/bench.rc" 2>/dev/null)" = 0 ] || {
		printf '%s: the bench failed: %s\n' "$IR_PROG" "$(grep -m1 '^replace_bench:' "$IR_OUT/bench.txt")" >&2
		return 1
	}
	# A run that delivered joins the history ./run.sh trend draws.
	"$IR_PYTHON" "$IR_TOP/bench/metrics.py" --history "$IR_RESULTS/history.jsonl" \
		"$IR_OUT/bench.json"
}

# bench_outputs DIR: what trackers and people read, from DIR/bench.json
# (validated against bench/schema on the way): metrics.json (one value per
# record and statistic), lava-measurements.txt, and the plots, embedded
# in DIR/summary.md.
bench_outputs() {
	local dir=$1 plots f lines=("")
	"$IR_PYTHON" "$IR_TOP/bench/metrics.py" --metrics "$dir/metrics.json" \
		--lava "$dir/lava-measurements.txt" "$dir/bench.json" || return 1
	mkdir -p "$dir/plots" || return 1
	plots=$("$IR_PYTHON" "$IR_TOP/bench/plot.py" run "$dir/bench.json" "$dir/plots") || return 1
	for f in $(grep '\.png$' <<<"$plots"); do
		f=${f#"$dir"/}
		lines+=("$(printf '![%s](%s) ([SVG](%s))' "$(basename "$f" .png)" "$f" "${f%.png}.svg")" "")
	done
	ir_append "$dir/summary.md" "${lines[@]}"
}

# The kernel log is part of every verdict, and so is kmemleak (--debug).
report_kernel_log() {
	local splat
	if ! splat=$(kmemleak_leaks "$IR_OUT/kmemleak.txt"); then
		printf '%s: kmemleak found objects the run leaked (kmemleak.txt):\n%s\n' \
			"$IR_PROG" "$splat" >&2
		summary "- kmemleak: leaks, see kmemleak.txt"
		return 1
	fi
	[ -f "$IR_OUT/dmesg.txt" ] || return 0
	if ! splat=$(dmesg_splats "$IR_OUT/dmesg.txt"); then
		printf '%s: kernel log has a splat (dmesg.txt):\n%s\n' "$IR_PROG" "$splat" >&2
		summary "- kernel log: splat, see dmesg.txt"
		return 1
	fi
}

# Reports what the job in $IR_OUT left behind and returns the verdict.
finish() {
	local rc=0
	kernel_identity
	ir_write "$IR_OUT/summary.md" <<EOF
# iommufd-replace $IR_ACTION

- kernel: $(cat "$IR_OUT/kernel-release" 2>/dev/null || echo unknown) ($IR_MODE)
- kernel tree: ${KSRC:-unknown}, commit $IR_KERNEL_DESCRIBE (dirty: $IR_KERNEL_DIRTY), patch sha256 $IR_KERNEL_PATCH_SHA256
- suite: $(git -C "$IR_TOP" describe --always --dirty 2>/dev/null || echo unknown)
- date: $(date -u +%FT%TZ), run time: ${IR_ELAPSED}s
EOF
	case $IR_ACTION in
	all | selftests) report_selftests || rc=1 ;;
	coverage)
		# The selftests' verdict stands; coverage is read either way.
		report_selftests || rc=1
		coverage_report ;;
	kselftest) report_selftests kselftest || rc=1 ;;
	esac
	case $IR_ACTION in
	all | bench) report_bench || rc=1 ;;
	explain)
		[ "$(cat "$IR_OUT/bench.rc" 2>/dev/null)" = 0 ] || {
			printf '%s: --explain failed: %s\n' "$IR_PROG" "$(head -n 1 "$IR_OUT/bench.txt")" >&2
			return 1
		}
		python3 "$IR_TOP/bench/explain.py" "$IR_OUT/explain" | tee "$IR_OUT/explain.txt" || rc=1 ;;
	exec)
		cat "$IR_OUT/exec.log"
		rc=$(cat "$IR_OUT/job.rc" 2>/dev/null || echo 1) ;;
	esac
	tracker_outputs "$IR_OUT" "$(basename "$IR_OUT")" || rc=1
	report_kernel_log || { [ "$rc" -ne 0 ] || rc=1; }
	return "$rc"
}

# tracker_outputs DIR RUN: the trackers' own formats of what DIR holds
# (its TAP files, its bench.json or a side's boots), beside metrics.json:
# kcidb.json, bmf.json, lkp.txt and SQUAD's metadata.json, each validated
# on the way (bench/trackers.py). RUN names the run in the tests' ids.
tracker_outputs() {
	local dir=$1 meta t args=()
	for t in selftests kselftest; do
		[ ! -s "$dir/$t.tap" ] || args+=(--tap "$t=$dir/$t.tap")
	done
	[ -z "$(find "$dir" -name bench.json -print -quit)" ] || args+=(--bench "$dir")
	[ ${#args[@]} -gt 0 ] || return 0
	eval "meta=($(bench_meta))"
	"$IR_PYTHON" "$IR_TOP/bench/trackers.py" "${meta[@]}" "${args[@]}" \
		--run "$(hostname -s)-$2" --kcidb "$dir/kcidb.json" --bmf "$dir/bmf.json" \
		--lkp "$dir/lkp.txt" --metadata "$dir/metadata.json"
}

# What a hung guest had done: the TAP written so far survives on the share.
hang_context() {
	local tap=$IR_OUT/selftests.tap last p f s
	[ -s "$tap" ] || return 0
	last=$(grep -E '^# #  RUN ' "$tap" | tail -n 1 | sed -E 's/^# #  RUN +//; s/ \.\.\.$//')
	read -r p f s <<<"$(tap_counts "$tap")"
	printf '; TAP so far: %s passed, %s failed, %s skipped%s' "$p" "$f" "$s" \
		"${last:+; last test started: $last}"
}
