# shellcheck shell=sh
# The memory check of the selftests' guest, sourced by the job: KFENCE,
# compiled in and off at boot (selftests/config), guarding allocations
# densely while the selftests run, and off again before the bench, whose
# numbers it would change. A use-after-free or out-of-bounds access of a
# guarded object is a "BUG: KFENCE:" in dmesg, which fails the run.

IR_KFENCE=/sys/module/kfence/parameters
# A sample every millisecond, each of 16 allocations in a row: 33,000
# guarded allocations in one run of the selftests on the x86 guest, for
# 1.5 % more time (71.5 s against 70.4 s). A burst of 255 cost 45 %.
IR_KFENCE_INTERVAL_MS=1
IR_KFENCE_BURST=15

# memcheck_on: starts it; one line of what runs, for the summary.
memcheck_on() {
	if [ ! -w "$IR_KFENCE/sample_interval" ]; then
		echo "off (this kernel has no KFENCE)"
		return 0
	fi
	echo "$IR_KFENCE_BURST" >"$IR_KFENCE/burst" 2>/dev/null ||
		IR_KFENCE_BURST=0
	if ! echo "$IR_KFENCE_INTERVAL_MS" >"$IR_KFENCE/sample_interval" 2>/dev/null; then
		echo "off (KFENCE did not start: dmesg says why)"
		return 0
	fi
	echo "KFENCE on for the selftests (a sample every $IR_KFENCE_INTERVAL_MS ms, $IR_KFENCE_BURST more allocations each), off for the bench"
}

memcheck_off() {
	[ ! -w "$IR_KFENCE/sample_interval" ] ||
		echo 0 >"$IR_KFENCE/sample_interval" 2>/dev/null
}
