# shellcheck shell=sh
# The guest's side of ./run.sh coverage, sourced by the job: the kernel's
# coverage counters (/sys/kernel/debug/gcov), kept as one tar per run of
# tests, and reset between them. debugfs reports a .gcda's size as 0, so
# each is read with cat into a copy before tar sees it.

IR_GCOV=/sys/kernel/debug/gcov

# gcov_keep NAME: the counters so far, as NAME (a tar of .gcda files under
# the build directory's absolute path, as the kernel names them).
gcov_keep() {
	ir_gcov_dir=$(mktemp -d /run/gcov.XXXXXX) || return 1
	(cd "$IR_GCOV" && find . -name '*.gcda') | while read -r f; do
		mkdir -p "$ir_gcov_dir/${f%/*}" && cat "$IR_GCOV/$f" >"$ir_gcov_dir/$f"
	done
	tar -C "$ir_gcov_dir" -cf - . | keep "$1"
	rm -rf "$ir_gcov_dir"
}

gcov_reset() {
	echo 1 >"$IR_GCOV/reset"
}
