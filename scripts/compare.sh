# shellcheck shell=bash
# Comparing bench runs and kernels, and the trend over runs: sourced by
# run.sh (compare, compare-kernels, trend).

run_compare() {
	local opts=()
	[ -n "$IR_PLOT" ] && opts=(--plot "$IR_PLOT")
	[ -n "$IR_THRESHOLD" ] && opts+=(--threshold "$IR_THRESHOLD")
	[ -n "$IR_ALLOW_MISSING" ] && opts+=(--allow-missing)
	ensure_packages "${IR_ANALYSIS_PACKAGES[@]}"
	# Not exec: run.sh ends on its own, so its reaper knows (signals.sh).
	"$IR_PYTHON" "$IR_TOP/bench/compare.py" "${opts[@]}" "${IR_COMPARE[@]}"
}

run_trend() {
	local out=$IR_RESULTS/trend-$IR_TREND
	# One architecture and page size a plot (--arch, --page-size).
	[ "$IR_ARCH" = x86_64 ] || out+=-$IR_ARCH-$IR_PAGE_SIZE
	[ -s "$IR_RESULTS/history.jsonl" ] ||
		die "no history in $IR_RESULTS/history.jsonl: ./run.sh bench (or the main job) adds a line per run"
	ensure_packages "${IR_ANALYSIS_PACKAGES[@]}"
	# Writes $out.png and $out.svg.
	"$IR_PYTHON" "$IR_TOP/bench/plot.py" trend "$IR_RESULTS/history.jsonl" "$IR_TREND" "$out.png" \
		"$IR_ARCH" "$IR_PAGE_SIZE"
}

# compare_side NAME: builds kernel NAME (a or b) and the bench against its
# headers, into build/compare/NAME; keeps what booting it needs.
declare -A CK_KBUILD CK_KVER CK_KSRC
compare_side() {
	local name=$1 out=$IR_TOP/build/compare/$1
	kernel_resolve_src
	if [ "$name" = b ] && [ -n "$IR_PATCH" ]; then
		kernel_patch "$IR_PATCH"
		# Kernel A is the tree patched: its objects seed B's build.
		IR_SEED_KBUILD=${CK_KBUILD[a]}
	fi
	kernel_build
	# The same tree on both sides is one build: let the other side lock it.
	kernel_build_unlock
	IR_STAGE="building the bench against kernel $name ($KVER)"
	mkdir -p "$out" || die "cannot create $out"
	ir_spawn make -C "$IR_TOP/bench" KSRC="$KSRC" KHDR="$KHDR" OUTPUT="$out" \
		CROSS_COMPILE="$IR_CROSS" IR_SYSROOT="${IR_SYSROOT:-}" \
		>"$out/build.log" 2>&1 ||
		die "building the bench against kernel $name failed: $(grep -m1 error "$out/build.log") (log: $out/build.log)"
	CK_KBUILD[$name]=$KBUILD CK_KVER[$name]=$KVER CK_KSRC[$name]=$KSRC
	ir_append "$IR_RUN/kernels.txt" "$name $(basename "$KBUILD") ($KSRC)"
}

# compare_boot NAME I: boot I of kernel NAME, its bench into NAME/boot-I.
compare_boot() {
	local name=$1 i=$2 rc=0
	KBUILD=${CK_KBUILD[$name]} KVER=${CK_KVER[$name]}
	IR_OUT=$IR_RUN/$name/boot-$i
	mkdir -p "$IR_OUT" || die "cannot create $IR_OUT"
	IR_BENCH_BIN=build/compare/$name/replace_bench
	write_job "$IR_OUT/job.in" /run/ir-out
	info "kernel $name ($KVER), boot $i of $IR_BOOTS"
	guest_run "$IR_OUT" "$IR_OUT/job.in" || rc=$?
	# As run.sh's own runs: a guest that died before its job began tested
	# nothing of the tree (git bisect run's 125, "cannot be tested").
	case $rc in
	124 | 125) [ -e "$IR_OUT/kernel-release" ] ||
		die_untestable "kernel $name boot $i: the guest did not reach its job (exit $rc: $(guest_no_job_reason)); console log: $IR_OUT/console.log" ;;
	esac
	case $rc in
	0) ;;
	124) die "kernel $name boot $i: guest did not power off within ${IR_TIMEOUT}s; console log: $IR_OUT/console.log" ;;
	*) die "kernel $name boot $i: guest stopped before its job finished (panic?): $(grep -m1 -E 'Kernel panic|BUG:|Oops' "$IR_OUT/console.log" 2>/dev/null || echo 'see console log'); console log: $IR_OUT/console.log" ;;
	esac
	[ "$(cat "$IR_OUT/bench.rc" 2>/dev/null)" = 0 ] && [ -s "$IR_OUT/bench.json" ] ||
		die "kernel $name boot $i: the bench failed: $(grep -m1 '^replace_bench:' "$IR_OUT/bench.txt" 2>/dev/null || echo "see $IR_OUT/bench.txt")"
	report_kernel_log || die "kernel $name boot $i: the kernel log has a splat ($IR_OUT/dmesg.txt)"
}

# tree_name DIR: a kernel tree as a report names it, with its commit
# where it is a git tree (scripts/job.sh, kernel_identity).
tree_name() {
	local KSRC=$1
	kernel_identity
	if [ "$IR_KERNEL_COMMIT" = none ]; then
		echo "$KSRC"
	else
		echo "$KSRC at $IR_KERNEL_DESCRIBE ($IR_KERNEL_COMMIT$([ "$IR_KERNEL_DIRTY" = no ] || echo ", dirty"))"
	fi
}

# The regression bot's report of compare-kernels (bench/robot.py): B
# against A, the base and the patch or the two trees.
compare_robot_report() {
	local a=$1 b=$2 opts=() what
	[ -z "$IR_THRESHOLD" ] || opts=(--threshold "$IR_THRESHOLD")
	if [ -n "$IR_PATCH" ]; then
		what=(--patch "$IR_PATCH (sha256 $(sha256sum <"$IR_PATCH" | cut -c1-16))")
	else
		what=(--new "$(tree_name "$b")")
	fi
	"$IR_PYTHON" "$IR_TOP/bench/robot.py" "${opts[@]}" --base "$(tree_name "$a")" "${what[@]}" \
		--reproduce "$IR_COMMAND" "$IR_RUN/a" "$IR_RUN/b" >"$IR_RUN/report.txt.tmp" &&
		mv "$IR_RUN/report.txt.tmp" "$IR_RUN/report.txt"
}

# Kernel A against kernel B: both built, then booted alternately (A B A B
# ...) so that drift on the host falls on both, the same bench on each;
# the verdict is compare's across the boots (bench/README.md, "Verdicts").
run_compare_kernels() {
	local pkgs=("${IR_SUITE_PACKAGES[@]}" "${IR_KERNEL_PACKAGES[@]}" "${IR_ARCH_PACKAGES[@]}" "${IR_ANALYSIS_PACKAGES[@]}")
	local i name rc=0 opts=() ksrc_a=${KSRC:-}
	lock_work_tree
	[ -n "${KSRC:-}" ] || [ "${IR_KERNEL:-stable}" != stable ] || pkgs+=(linux-source-6.12)
	[ -n "$IR_PATCH" ] && pkgs+=(patch)
	ensure_packages "${pkgs[@]}"
	mkdir -p "$IR_CACHE" || die "cannot create the cache $IR_CACHE"
	ir_ccache
	[ "$IR_ARCH" = x86_64 ] || target_root
	new_results_dir
	IR_RUN=$IR_OUT
	compare_side a
	KSRC=${IR_KSRC_B:-$ksrc_a}
	compare_side b
	# For this guest's architecture, whatever build/kernel.mk last named.
	ir_spawn make -s -B -C "$IR_TOP" CROSS_COMPILE="$IR_CROSS" build/ir-poweroff >/dev/null ||
		die "cannot build build/ir-poweroff"
	# The user's --tcg or --kvm holds here too (it once did not).
	choose_accel
	IR_START=$(date +%s)
	for i in $(seq "$IR_BOOTS"); do
		for name in a b; do
			compare_boot "$name" "$i"
		done
	done
	IR_ELAPSED=$(($(date +%s) - IR_START))
	IR_OUT=$IR_RUN
	for name in a b; do
		"$IR_PYTHON" "$IR_TOP/bench/metrics.py" --metrics "$IR_RUN/$name/metrics.json" \
			--lava "$IR_RUN/$name/lava-measurements.txt" "$IR_RUN/$name" || exit 2
		tracker_outputs "$IR_RUN/$name" "$(basename "$IR_RUN")-$name" || exit 2
	done
	[ -n "$IR_THRESHOLD" ] && opts+=(--threshold "$IR_THRESHOLD")
	[ -n "$IR_ALLOW_MISSING" ] && opts+=(--allow-missing)
	"$IR_PYTHON" "$IR_TOP/bench/compare.py" "${opts[@]}" --json "$IR_RUN/compare.json" \
		--plot "$IR_RUN/compare.png" --plot "$IR_RUN/compare.svg" \
		"$IR_RUN/a" "$IR_RUN/b" >"$IR_RUN/compare.txt" || rc=$?
	[ $rc -le 1 ] || exit "$rc"
	compare_robot_report "${CK_KSRC[a]}" "${CK_KSRC[b]}" || exit 2
	ir_write "$IR_RUN/summary.md" < <(
		echo "# iommufd-replace compare-kernels"
		echo
		sed 's/^/- kernel /' "$IR_RUN/kernels.txt"
		echo "- $IR_BOOTS boots each, alternately, $IR_BENCH_MODE; run time ${IR_ELAPSED}s"
		echo "- $(tail -n 1 "$IR_RUN/compare.txt")"
		echo
		echo '![compare](compare.png) ([SVG](compare.svg))'
		echo
		echo '```'
		head -n 25 "$IR_RUN/compare.txt"
		echo '```'
	)
	if [ -z "${IR_QUIET:-}" ]; then
		head -n 15 "$IR_RUN/compare.txt"
	fi
	echo "compare-kernels: $(tail -n 1 "$IR_RUN/compare.txt") ($IR_RUN)"
	return "$rc"
}
