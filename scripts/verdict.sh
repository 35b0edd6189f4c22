# shellcheck shell=bash
# Reads what a run left behind (TAP, dmesg) and decides. Sourced by run.sh.

# Counts kselftest TAP in file $1: one result per harness test (the nested
# "# ok N name" lines), plus one failure for each program that failed with
# no failing test of its own (a crash, or the runner's timeout).
# Prints "passed failed skipped".
tap_counts() {
	[ -f "$1" ] || { echo "0 0 0"; return; }
	awk '
	/^# (not )?ok [0-9]+ / {
		if ($0 ~ /# SKIP/) skip++
		else if ($2 == "not") { fail++; nested_fail++ }
		else pass++
		next
	}
	/^not ok [0-9]+ / {
		if (nested_fail == 0) fail++
		nested_fail = 0
		next
	}
	/^ok [0-9]+ / { nested_fail = 0 }
	END { printf "%d %d %d\n", pass, fail, skip }
	' "$1"
}

# Prints the names of failed harness tests and failed programs in TAP $1.
tap_failures() {
	grep -E '^(# )?not ok [0-9]+ ' "$1" | sed -E 's/^(# )?not ok [0-9]+ //'
}

# Whether the selftests of TAP file $1 ran with their device-side oracle:
# "on", "off (why)" (the first program's reason), or "not reported".
tap_oracle() {
	local states
	states=$(grep -o 'device-side oracle: .*' "$1" 2>/dev/null |
		sed 's/^device-side oracle: //' | sort -u)
	if [ -z "$states" ]; then
		echo "not reported"
	elif [ "$states" = on ]; then
		echo on
	else
		grep -v -x on <<<"$states" | head -n 1
	fi
}

# The kernel log is part of the verdict: prints the lines around the first
# splat in dmesg file $1, and fails when there is one.
IR_SPLAT_RE='WARNING:|BUG:|Oops|KASAN|UBSAN|possible circular locking|possible recursive locking|unreferenced object|suspected memory leak|Call Trace|general protection fault|Kernel panic'
dmesg_splats() {
	local first
	first=$(grep -nE "$IR_SPLAT_RE" "$1" | head -n 1 | cut -d: -f1)
	[ -z "$first" ] && return 0
	sed -n "$((first > 3 ? first - 3 : 1)),$((first + 12))p" "$1"
	return 1
}

# kmemleak's report (--debug kernels), file $1: prints the first objects
# and fails when there is any.
kmemleak_leaks() {
	[ -s "$1" ] || return 0
	head -n 12 "$1"
	return 1
}
