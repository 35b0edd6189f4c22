# shellcheck shell=sh
# What a job writes into its results, and how the host knows all of it
# arrived: POSIX sh, sourced by the job (scripts/job.sh writes it), by the
# guest's init and by run.sh for a native job.
#
# Every output goes through keep, which writes it into the results and
# its length into the ledger, a directory of the writer's own outside the
# results (the guest's /run, a tmpfs). A write the results' file system
# refuses (full, gone) shortens the file there, not the count. Last, the
# manifest lists each file with the bytes written for it and ends with
# "end"; the host compares it with what arrived before any verdict.

# keep NAME: standard input into $out/NAME, its length into the ledger.
keep() {
	tee "$out/$1" | wc -c >"$IR_LEDGER/$1"
}

# run NAME CMD...: CMD's output and errors through keep NAME; returns
# CMD's status.
run() {
	ir_name=$1
	shift
	{
		"$@"
		echo $? >"$IR_LEDGER/.status"
	} 2>&1 | keep "$ir_name"
	return "$(cat "$IR_LEDGER/.status")"
}

# counted NAME: the length of $out/NAME as its writer left it, for a file
# a program writes itself and checks its own writes (the bench's table,
# written straight to the results: a tee would run among its samples).
counted() {
	wc -c <"$out/$1" >"$IR_LEDGER/$1"
}

# ledger_manifest: $out/manifest, whole or not at all.
# (read, not $(cat): a program's start is 50 ms under TCG, and there is a
# length for every file.)
ledger_manifest() {
	for ir_f in "$IR_LEDGER"/*; do
		[ -f "$ir_f" ] && read -r ir_n <"$ir_f" && echo "$ir_n ${ir_f##*/}"
	done >"$out/manifest.tmp" &&
		echo end >>"$out/manifest.tmp" &&
		mv "$out/manifest.tmp" "$out/manifest"
}
