# shellcheck shell=bash
# ./run.sh bisect: the commit that broke a selftest or slowed a bench
# scenario, by git bisect run over a git kernel tree (--ksrc); sourced by
# run.sh. Each step is scripts/bisect-step.sh, which runs run.sh on the
# commit git checked out and answers git in its terms (0 good, 1 bad, 125
# skip, anything else stops the bisect).
#
# The tree is bisected in a clone of its own in the cache (git clone
# --shared: objects read from the tree's repository, nothing of the tree
# written), kept with one build directory across the bisects of that
# tree: git rewrites only the files a checkout changes, so each step's
# build is incremental.

# bisect_rev NAME REV: REV as a commit of $KSRC, or bad input.
bisect_rev() {
	git -C "$KSRC" rev-parse --verify --quiet "$2^{commit}" ||
		usage_error "--$1 $2: not a commit of $KSRC"
}

# What bisect needs that the command line decides: a git tree, two
# commits, the good one an ancestor of the bad one.
bisect_check_args() {
	[ -n "${KSRC:-}" ] || usage_error "bisect needs a git kernel tree: --ksrc DIR"
	[ -n "$IR_GOOD" ] && [ -n "$IR_BAD" ] || usage_error "bisect needs --good REV and --bad REV"
	kernel_resolve_src
	git -C "$KSRC" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
		usage_error "bisect: $KSRC is not a git work tree"
	BI_GOOD=$(bisect_rev good "$IR_GOOD") || exit 2
	BI_BAD=$(bisect_rev bad "$IR_BAD") || exit 2
	git -C "$KSRC" merge-base --is-ancestor "$BI_GOOD" "$BI_BAD" ||
		usage_error "bisect: --good $IR_GOOD is not an ancestor of --bad $IR_BAD"
	[ "$BI_GOOD" != "$BI_BAD" ] || usage_error "bisect: --good and --bad name one commit"
}

# The clone the bisect checks commits out in, and its build directory:
# one pair per tree, architecture and page size, locked for one bisect at
# a time. A bisect that was stopped is reset first.
bisect_clone() {
	local key
	key=$(printf '%s %s %s' "$KSRC" "$IR_ARCH" "$IR_PAGE_SIZE" | sha256sum | cut -c1-12)
	BI_DIR=$IR_CACHE/bisect/$key
	mkdir -p "$BI_DIR" || die "cannot create $BI_DIR"
	exec {BI_LOCK}>"$BI_DIR/.lock"
	flock -n "$BI_LOCK" || die "another bisect of $KSRC is running ($BI_DIR)"
	BI_SRC=$BI_DIR/src
	if [ ! -d "$BI_SRC/.git" ]; then
		info "cloning $KSRC into $BI_SRC (once per tree; objects shared with it)"
		IR_STAGE="cloning $KSRC"
		rm -rf "$BI_SRC" &&
			ir_spawn git clone -q --shared --no-checkout "$KSRC" "$BI_SRC" ||
			die "cannot clone $KSRC into $BI_SRC"
	fi
	echo "$KSRC" >"$BI_DIR/tree"
	# The objects are the tree's (alternates): commits made since the
	# clone resolve without a fetch.
	git -C "$BI_SRC" bisect reset >/dev/null 2>&1
	bisect_checkout "$BI_GOOD"
}

bisect_checkout() {
	IR_STAGE="checking out $(git -C "$KSRC" log -1 --format=%h "$1")"
	ir_spawn git -C "$BI_SRC" checkout -q -f --detach "$1" ||
		die "cannot check out $1 in $BI_SRC"
}

# run.sh's options that every step takes as given to bisect.
bisect_step_options() {
	BI_OPTS=(--ksrc "$BI_SRC" --cache "$IR_CACHE" --arch "$IR_ARCH" --page-size "$IR_PAGE_SIZE"
		--iommu "$IR_IOMMU" --cpus "$IR_CPUS" --mem "$IR_MEM" --timeout "$IR_TIMEOUT"
		--tcg-thread "$IR_TCG_THREAD" --no-progress -q)
	[ -z "$IR_EXTRA_CONFIG" ] || BI_OPTS+=(--kconfig "$IR_EXTRA_CONFIG")
	[ -z "$IR_KERNEL_ARGS" ] || BI_OPTS+=(--append "$IR_KERNEL_ARGS")
	[ -z "$IR_DEBUG" ] || BI_OPTS+=(--debug)
	[ -z "$IR_ACCEL" ] || BI_OPTS+=("--$IR_ACCEL")
	case $IR_SEALED_ASKED in
	yes) BI_OPTS+=(--sealed) ;;
	no) BI_OPTS+=(--unsealed) ;;
	esac
}

# What a step needs, into $BI_RUN/bisect.env: read by bisect-step.sh.
bisect_write_env() {
	local args=("${IR_BENCH_ARGS[@]}")
	[ ${#args[@]} -gt 0 ] || args=(-m 1M -n 200)
	bisect_step_options
	{
		ir_env BI_RUN "$BI_RUN"
		ir_env BI_SRC "$BI_SRC"
		ir_env BI_SCENARIO "$IR_SCENARIO"
		ir_env BI_BOOTS "$BI_BOOTS"
		ir_env BI_THRESHOLD "$IR_THRESHOLD"
		ir_env BI_PYTHON "$IR_PYTHON"
		ir_env BI_RUN_SH "$IR_TOP/run.sh"
		ir_env BI_COMPARE "$IR_TOP/bench/compare.py"
		ir_env BI_OPTS "$(ir_words "${BI_OPTS[@]}")"
		ir_env BI_BENCH_ARGS "$(ir_words -s "$IR_SCENARIO" "${args[@]}")"
	} | ir_write "$BI_RUN/bisect.env"
}

# bisect_end good|bad REV: the step at one end, which must say what the
# user said of it; the good end's boots are what the others are judged
# against (a slowdown).
bisect_end() {
	local end=$1 rev=$2 rc=0 want=0
	[ "$end" = good ] || want=1
	bisect_checkout "$rev"
	info "the $end end, $(git -C "$BI_SRC" log -1 --format='%h ("%s")')"
	IR_STAGE="testing the $end end"
	ir_spawn env BI_END="$end" "$IR_TOP/scripts/bisect-step.sh" "$BI_RUN/bisect.env" || rc=$?
	[ $rc -lt 128 ] || [ $rc -eq 255 ] || exit "$rc"
	[ $rc -eq $want ] && return
	case $end:$rc in
	*:125) die "the $end end ($rev) cannot be tested: $(tail -n 1 "$BI_RUN/steps.txt")" ;;
	good:*) die "the good end ($rev) is not good: $(tail -n 1 "$BI_RUN/steps.txt")" ;;
	bad:0) die "the bad end ($rev) is not bad: nothing to bisect ($(tail -n 1 "$BI_RUN/steps.txt"))" ;;
	*) die "the $end end ($rev): the step stopped (exit $rc): $(tail -n 1 "$BI_RUN/steps.txt")" ;;
	esac
}

# git bisect run between the ends; the first bad commit into BI_FIRST
# (empty where only skipped commits were left between good and bad).
bisect_run() {
	local rc=0 log=$BI_RUN/bisect-run.log
	IR_STAGE="bisecting"
	(cd "$BI_SRC" && git bisect start "$BI_BAD" "$BI_GOOD" >/dev/null) ||
		die "git bisect start failed in $BI_SRC"
	(cd "$BI_SRC" && ir_spawn git bisect run "$IR_TOP/scripts/bisect-step.sh" "$BI_RUN/bisect.env") \
		>"$log" 2>&1 || rc=$?
	git -C "$BI_SRC" bisect log >"$BI_RUN/bisect-log.txt" 2>/dev/null
	BI_FIRST=$(sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' "$log" | head -n 1)
	git -C "$BI_SRC" bisect reset >/dev/null 2>&1
	[ -n "$BI_FIRST" ] || [ $rc -eq 0 ] ||
		die "git bisect run stopped (exit $rc): $(grep -v '^running' "$log" | tail -n 1) (log: $log)"
}

run_bisect() {
	local pkgs=("${IR_SUITE_PACKAGES[@]}" "${IR_KERNEL_PACKAGES[@]}" "${IR_ARCH_PACKAGES[@]}"
		"${IR_ANALYSIS_PACKAGES[@]}" git rsync)
	bisect_check_args
	lock_work_tree
	ensure_packages "${pkgs[@]}"
	mkdir -p "$IR_CACHE" || die "cannot create the cache $IR_CACHE"
	bisect_clone
	new_results_dir
	BI_RUN=$IR_OUT
	# The steps run run.sh in this work tree, under this run's lock.
	export IR_WORK_TREE_HELD=$$ IR_BISECT_KBUILD=$BI_DIR/build
	bisect_write_env
	IR_START=$(date +%s)
	bisect_end good "$BI_GOOD"
	bisect_end bad "$BI_BAD"
	# Nothing between the ends: the bad one is the first.
	if [ "$(git -C "$KSRC" rev-list --count "$BI_GOOD..$BI_BAD")" -eq 1 ]; then
		BI_FIRST=$BI_BAD
	else
		bisect_run
	fi
	IR_ELAPSED=$(($(date +%s) - IR_START))
	bisect_report
}

# What the bisect found: bisect.txt (the steps), report.txt for a slowdown
# (bench/robot.py), the summary and one line on stdout.
bisect_report() {
	local what=selftests subject steps
	[ -z "$IR_SCENARIO" ] || what="bench scenario $IR_SCENARIO"
	steps=$(grep -c . "$BI_RUN/steps.txt")
	{
		echo "bisect of $KSRC: $what; good $BI_GOOD, bad $BI_BAD"
		if [ -n "$BI_FIRST" ]; then
			echo "first bad commit: $(git -C "$KSRC" log -1 --format='%H ("%s")' "$BI_FIRST")"
		else
			echo "first bad commit: not found: only skipped commits are left, $(grep -o '[0-9a-f]\{40\}' "$BI_RUN/bisect-run.log" | sort -u | paste -sd' ' -)"
		fi
		echo "steps: $steps (the two ends first), ${IR_ELAPSED}s"
		echo
		cat "$BI_RUN/steps.txt"
	} | ir_write "$BI_RUN/bisect.txt"
	[ -z "$IR_SCENARIO" ] || [ -z "$BI_FIRST" ] || bisect_robot_report
	ir_write "$BI_RUN/summary.md" < <(echo "# iommufd-replace bisect"; echo; echo '```'; cat "$BI_RUN/bisect.txt"; echo '```')
	[ -n "${IR_QUIET:-}" ] || cat "$BI_RUN/bisect.txt"
	[ -n "$BI_FIRST" ] || { echo "bisect: no first bad commit found ($BI_RUN)"; return 1; }
	subject=$(git -C "$KSRC" log -1 --format=%s "$BI_FIRST")
	echo "bisect: first bad commit ${BI_FIRST:0:12} (\"$subject\"), $steps steps, ${IR_ELAPSED}s ($BI_RUN)"
}

# The regression bot's report of the first bad commit: its step's boots
# against the good end's (bench/robot.py).
bisect_robot_report() {
	local step opts=()
	step=$(awk -v c="$BI_FIRST" '$2 == c { print $1 }' "$BI_RUN/steps.txt" | tail -n 1)
	[ -n "$step" ] || return 0
	[ -z "$IR_THRESHOLD" ] || opts=(--threshold "$IR_THRESHOLD")
	"$IR_PYTHON" "$IR_TOP/bench/robot.py" "${opts[@]}" --commit "$BI_FIRST" \
		--parent "$(git -C "$KSRC" rev-parse "$BI_FIRST^")" \
		--subject "$(git -C "$KSRC" log -1 --format=%s "$BI_FIRST")" \
		--tree "$KSRC ($(git -C "$KSRC" describe --always "$BI_FIRST"))" \
		--against "the good end, $(git -C "$KSRC" log -1 --format='%h ("%s")' "$BI_GOOD")" \
		--reproduce "$(bisect_reproduce)" "$BI_RUN/good" "$BI_RUN/$step" \
		>"$BI_RUN/report.txt" || die "cannot write $BI_RUN/report.txt"
}

# The command that shows the first bad commit's slowdown again.
bisect_reproduce() {
	printf './run.sh --ksrc %q bisect --good %s --bad %s --scenario %q --boots %s' \
		"$KSRC" "${BI_FIRST:0:12}^" "${BI_FIRST:0:12}" "$IR_SCENARIO" "$BI_BOOTS"
	[ ${#IR_BENCH_ARGS[@]} -eq 0 ] || printf ' -- %s' "$(ir_words "${IR_BENCH_ARGS[@]}")"
}
