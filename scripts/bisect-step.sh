#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# One step of ./run.sh bisect (scripts/bisect.sh): run.sh on the commit
# checked out in the bisect's clone (BI_SRC), and the answer in git
# bisect run's terms. usage: bisect-step.sh ENV, ENV the
# file run.sh bisect wrote; BI_END=good or bad for the two ends, which
# run.sh bisect tests itself before git takes over.
#
# Selftests: their verdict (0 passed, 1 a failure, a warning, a hang or a
# panic in the job). A slowdown (BI_SCENARIO): BI_BOOTS boots of the
# bench (twice as many where it looks slower), judged by compare.py
# against the good end's boots, as compare-kernels judges (0 no
# regression, 1 a regression). A commit that cannot be tested (run.sh's
# 125), or whose bench could not measure, is skipped: 125. Anything else stops the bisect: git stops on a status of
# 128 or more, so bad input (2) becomes 255 and a signal stays 128+N.
set -uo pipefail
# shellcheck disable=SC1090
. "$1" || exit 255
# git bisect run starts a step in the clone; run.sh bisect, its ends not.
cd "$BI_SRC" || exit 255
commit=$(git rev-parse HEAD) || exit 255
subject=$(git log -1 --format=%s HEAD)
n=$(($(grep -c '^steps/' "$BI_RUN/steps.txt" 2>/dev/null) + 1))
name=${BI_END:-steps/$n-${commit:0:12}}
dir=$BI_RUN/$name
start=$(date +%s)
opts=() bench=()
eval "opts=($BI_OPTS)"
eval "bench=($BI_BENCH_ARGS)"

# answer STATUS DETAIL: the step's line in steps.txt (the name, commit,
# answer, time, what decided it, the subject), then its exit status.
answer() {
	local word
	case $1 in
	0) word=good ;;
	1) word=bad ;;
	125) word=skip ;;
	*) word=stop ;;
	esac
	printf '%s %s %s %ss %s; "%s"\n' "$name" "$commit" "$word" "$(($(date +%s) - start))" \
		"$2" "$subject" >>"$BI_RUN/steps.txt"
	exit "$1"
}

# run_sh DIR ARGS...: run.sh on this commit, results under DIR; RC its
# status, SAID what it said last (its error, or its verdict line).
run_sh() {
	local out=$1
	shift
	RC=0
	mkdir -p "$out" || answer 255 "cannot create $out"
	"$BI_RUN_SH" --results "$out" "${opts[@]}" "$@" >"$out/run.out" 2>"$out/run.err" || RC=$?
	SAID=$(tail -n 1 "$out/run.err")
	[ $RC -ne 0 ] && [ -n "$SAID" ] || SAID=$(tail -n 1 "$out/run.out")
	SAID=${SAID#run.sh: }
	[ $RC -lt 128 ] || [ $RC -ge 255 ] || answer "$RC" "stopped by a signal: $SAID"
}

selftests_step() {
	run_sh "$dir" selftests
	case $RC in
	0 | 1 | 125) answer "$RC" "$SAID" ;;
	*) answer 255 "run.sh exit $RC: $SAID" ;;
	esac
}

# boots FIRST LAST: boots FIRST..LAST of the bench on this commit.
boots() {
	local i
	for i in $(seq "$1" "$2"); do
		run_sh "$dir/boot-$i" bench -- "${bench[@]}"
		case $RC in
		0) ;;
		1 | 125) answer 125 "boot $i: no measurement: $SAID" ;;
		*) answer 255 "run.sh exit $RC: $SAID" ;;
		esac
	done
}

# judge: compare.py on this commit's boots against the good end's; RC
# 0 no regression, 1 a regression.
judge() {
	local thr=()
	[ -z "$BI_THRESHOLD" ] || thr=(--threshold "$BI_THRESHOLD")
	RC=0
	"$BI_PYTHON" "$BI_COMPARE" "${thr[@]}" --json "$dir/compare.json" \
		"$BI_RUN/good" "$dir" >"$dir/compare.txt" 2>"$dir/compare.err" || RC=$?
	[ $RC -le 1 ] || answer 255 "compare.py exit $RC: $(tail -n 1 "$dir/compare.err")"
}

# Under icount a boot can read whole steps above the kernel's other
# boots (4 steps, +4.3 % on the hot path, seen on a commit that changed a
# comment), and one such boot must not name a commit. So the good end
# boots 2 x BI_BOOTS times, and a commit that looks slower on its
# BI_BOOTS boots is booted as often again and judged on all of them: with
# several boots a side, compare.py calls a change only where the sides
# are apart and it exceeds 1.5 times either side's spread.
slowdown_step() {
	if [ "${BI_END:-}" = good ]; then
		boots 1 $((2 * BI_BOOTS))
		answer 0 "the boots the others are judged against"
	fi
	boots 1 "$BI_BOOTS"
	judge
	if [ $RC -eq 1 ]; then
		boots $((BI_BOOTS + 1)) $((2 * BI_BOOTS))
		judge
	fi
	answer "$RC" "$(tail -n 1 "$dir/compare.txt") ($(find "$dir" -maxdepth 1 -name 'boot-*' | wc -l) boots)"
}

if [ -n "$BI_SCENARIO" ]; then
	slowdown_step
else
	selftests_step
fi
