# shellcheck shell=sh
# The memory check of the selftests' guest, sourced by the job: KFENCE,
# compiled in and off at boot (selftests/config), guarding allocations
# densely while the selftests run, and off again before the bench, whose
# numbers it would change. A use-after-free or out-of-bounds access of a
# guarded object is a "BUG: KFENCE:" in dmesg, which fails the run.

IR_KFENCE=/sys/module/kfence/parameters
# A sample every millisecond asked (a jiffy: 4 ms at HZ=250), each of 16
# allocations in a row, never skipping one whose stack the pool already
# holds: KFENCE's default skips those once the pool is 75 % full, and a
# test allocates its objects from the same few stacks again and again.
# Measured on the x86 guest with scripts/test-data/mutations/memory.patch
# (a read of the HWPT a replace has just freed), five test programs:
# 0 reports with the default skipping, at bursts of 16, 64 and 256; 8 and
# 11 without it at 16 (2 at 4, 4 at 8); the programs 32-35 s against 32
# with KFENCE off.
IR_KFENCE_INTERVAL_MS=1
IR_KFENCE_BURST=15
IR_KFENCE_SKIP_COVERED=100
# The pool's 255 objects fill with what the test runner's file accesses
# leave cached (dentries, inodes of the 9p root): after one run of the
# selftests all 255 were in use and 94,000 allocations had found no room,
# so the mutated use-after-free was never seen; dropping those caches
# freed 113 of them. So they are dropped every few seconds while KFENCE
# runs.
IR_KFENCE_DROP_CACHES_S=2
IR_KFENCE_DROPPER=/run/ir-memcheck-dropper.pid

# memcheck_on: starts it; one line of what runs, for the summary.
memcheck_on() {
	if [ ! -w "$IR_KFENCE/sample_interval" ]; then
		echo "off (this kernel has no KFENCE)"
		return 0
	fi
	echo "$IR_KFENCE_BURST" >"$IR_KFENCE/burst" 2>/dev/null ||
		IR_KFENCE_BURST=0
	echo "$IR_KFENCE_SKIP_COVERED" >"$IR_KFENCE/skip_covered_thresh" 2>/dev/null ||
		IR_KFENCE_SKIP_COVERED=75
	if ! echo "$IR_KFENCE_INTERVAL_MS" >"$IR_KFENCE/sample_interval" 2>/dev/null; then
		echo "off (KFENCE did not start: dmesg says why)"
		return 0
	fi
	(
		while sleep "$IR_KFENCE_DROP_CACHES_S"; do
			echo 2 >/proc/sys/vm/drop_caches
		done
	) >/dev/null 2>&1 &
	echo $! >"$IR_KFENCE_DROPPER"
	echo "KFENCE on for the selftests (a sample every $IR_KFENCE_INTERVAL_MS ms, $IR_KFENCE_BURST more allocations each, covered stacks skipped above $IR_KFENCE_SKIP_COVERED % of the pool, caches dropped every $IR_KFENCE_DROP_CACHES_S s), off for the bench"
}

memcheck_off() {
	[ ! -f "$IR_KFENCE_DROPPER" ] || kill "$(cat "$IR_KFENCE_DROPPER")" 2>/dev/null
	rm -f "$IR_KFENCE_DROPPER"
	[ ! -w "$IR_KFENCE/sample_interval" ] ||
		echo 0 >"$IR_KFENCE/sample_interval" 2>/dev/null
}
