# shellcheck shell=bash
# The steps that every action running the suite shares (run.sh's own,
# compare-kernels in scripts/compare.sh, the LAVA job in lava/lava.sh):
# the work tree locked, the suite prepared against the kernel under
# test, a results directory. run.sh keeps the command line and the
# dispatch; what these steps call is below them (common.sh, kernel.sh,
# guest.sh, target-root.sh, coverage.sh), never run.sh.

# The guest runs the suite built in this work tree, for one kernel at a
# time: a second run.sh here would rebuild it under the first one's guest.
lock_work_tree() {
	# A bisect's steps run under the lock of the run.sh that started them.
	[ -z "${IR_WORK_TREE_HELD:-}" ] || ! kill -0 "$IR_WORK_TREE_HELD" 2>/dev/null || return 0
	mkdir -p "$IR_TOP/build"
	exec {IR_LOCK}>"$IR_TOP/build/.run.lock"
	flock -n "$IR_LOCK" ||
		die "another run.sh is using this work tree ($IR_TOP); wait for it, or use a second checkout"
}

# Writes what the selftests Makefile needs to find the tree under test.
write_kernel_mk() {
	local mk=$IR_TOP/build/kernel.mk new
	new=$(printf 'KSRC := %s\nKHDR := %s\nKBUILD := %s\nKVER := %s\n' \
		"$KSRC" "$KHDR" "${KBUILD:-}" "$KVER")
	# A foreign architecture: its compiler, and the tree it links against.
	[ -z "$IR_CROSS" ] ||
		new+=$(printf '\nCROSS_COMPILE := %s\nIR_SYSROOT := %s' "$IR_CROSS" "$IR_SYSROOT")
	# Rewritten only on change: the suite rebuilds when it is newer.
	[ "$(cat "$mk" 2>/dev/null)" = "$new" ] || printf '%s\n' "$new" >"$mk"
}

build_suite() {
	IR_STAGE="building the suite"
	ir_spawn make -s -C "$IR_TOP" all >"$IR_TOP/build/suite.log" 2>&1 ||
		die_untestable "building the suite failed: $(grep -m1 -E 'error|Error' "$IR_TOP/build/suite.log" || tail -n 1 "$IR_TOP/build/suite.log") (log: build/suite.log)"
}

new_results_dir() {
	local stamp
	stamp=$(date -u +%Y%m%d-%H%M%S)
	mkdir -p "$IR_RESULTS" || die "cannot create $IR_RESULTS"
	IR_OUT=$IR_RESULTS/$stamp
	[ -e "$IR_OUT" ] && IR_OUT=$IR_OUT-$$
	mkdir -p "$IR_OUT" || die "cannot create $IR_OUT"
	ir_results_dir "$IR_OUT"
	# results/latest moves here when the run ends with a verdict (ir_on_exit).
}

# The steps every action that runs the suite shares, natively or in a
# guest: the packages, the kernel tree, its kernel (the running one, or
# one built into the cache), the suite built against that tree, and the
# kselftest tarball where the action runs one.
prepare_suite() {
	local pkgs=("${IR_SUITE_PACKAGES[@]}" "${IR_ANALYSIS_PACKAGES[@]}" rsync)
	lock_work_tree
	if [ -n "$IR_NATIVE" ]; then
		[ -n "${KSRC:-}" ] || die "--native needs --ksrc DIR: the source tree of the running kernel ($(uname -r))"
		[ "$IR_ARCH" = "$IR_HOST_ARCH" ] || die "--native runs on this host, which is $IR_HOST_ARCH, not $IR_ARCH"
	else
		pkgs+=("${IR_KERNEL_PACKAGES[@]}" "${IR_ARCH_PACKAGES[@]}")
		[ -z "$IR_PATCH" ] || pkgs+=(patch)
		[ -n "${KSRC:-}" ] || [ "${IR_KERNEL:-stable}" != stable ] || pkgs+=(linux-source-6.12)
	fi
	[ "$IR_ACTION" != coverage ] || pkgs+=("${IR_COVERAGE_PACKAGES[@]}")
	ensure_packages "${pkgs[@]}"
	mkdir -p "$IR_CACHE" || die "cannot create the cache $IR_CACHE"
	ir_ccache
	kernel_resolve_src
	[ "$IR_ACTION" != coverage ] || coverage_tree
	if [ -n "$IR_NATIVE" ]; then
		KVER=$(uname -r) KBUILD=
		kernel_headers
	else
		[ -z "$IR_PATCH" ] || kernel_patched
		kernel_build
	fi
	[ "$IR_ARCH" = x86_64 ] || target_root
	[ -z "${IR_DRY_RUN:-}" ] || return 0
	write_kernel_mk
	build_suite
	[ "$IR_ACTION" != coverage ] || coverage_kernel_selftests
	if [ "$IR_ACTION" = kselftest ]; then
		kselftest_tarball
	elif [ "$IR_ARCH" != x86_64 ]; then
		# A foreign guest has no make: it runs the installed collection.
		IR_STAGE="installing the kselftest collection"
		ir_spawn make -s -C "$IR_TOP" install >"$IR_TOP/build/install.log" 2>&1 ||
			die "make install failed (log: build/install.log)"
	fi
}

