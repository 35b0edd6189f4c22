# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# What a LAVA lab records of the collection, as lava-test-case lines:
# sourced by lava/init.sh (the job's guest, whose monitor reads them from
# the console) and lava/testdef.sh (a test shell, which runs them).

# lava_results TAP BENCH METRICS: one line per test of the runner's TAP
# (pass, fail or skip) and, where BENCH (replace_bench's JSON) is there,
# one per bench record and statistic with its measurement in ns (METRICS
# is the collection's metrics.py). Fails if metrics.py refuses BENCH.
lava_results() {
	awk '/^# (not )?ok [0-9]+ / {
		if ($2 == "not") print "lava-test-case " $5 " --result fail"
		else if (/# SKIP/) print "lava-test-case " $4 " --result skip"
		else print "lava-test-case " $4 " --result pass"
	}' "$1"
	[ -s "$2" ] || return 0
	python3 "$3" --lava "$2.lava" "$2" && cat "$2.lava"
}
