# shellcheck shell=bash
# Ctrl-C, SIGTERM, SIGHUP (a closed terminal) and SIGQUIT for run.sh, and
# what stops its children when no trap can run (SIGKILL): sourced.
#
# bash acts on a trapped signal only once its foreground child returns,
# and `timeout` moves itself and QEMU into a process group of their own,
# out of reach of the terminal's SIGINT. So every long child (apt, the
# kernel build, QEMU) runs through ir_spawn: in the background, as the
# leader of a process group of its own, waited for with `wait`, which a
# trapped signal interrupts at once. The trap then stops each such group
# and everything in it, marks the results directory as interrupted and
# dies of the signal it got, so the caller sees 128 + its number: 130
# (SIGINT), 143 (SIGTERM), 129 (SIGHUP), 131 (SIGQUIT).
#
# No trap sees SIGKILL. So each group also tells scripts/reaper.sh, a
# process in a session of its own that outlives run.sh, and the reaper
# stops whatever is left once run.sh's end of its pipe closes. The
# work-tree lock and that pipe belong to run.sh alone: no spawned child
# inherits them, so neither outlives it.

IR_GROUPS=()
IR_INTERRUPTED=
# Set by run.sh: what it is doing now, for the interrupted summary.
IR_STAGE=starting

# ir_spawn CMD...: runs CMD as a process group of its own and returns its
# exit status. Standard input is /dev/null, as for any background job.
ir_spawn() {
	local pid rc=0
	ir_spawn_bg "$@"
	pid=$IR_SPAWNED
	wait "$pid" || rc=$?
	ir_forget_group "$pid"
	return "$rc"
}

# ir_spawn_bg CMD...: starts CMD as ir_spawn does and returns at once;
# IR_SPAWNED is its group. The child tells the reaper its group before it
# runs anything (so run.sh dying at any instant leaves none unknown), and
# closes run.sh's private descriptors.
ir_spawn_bg() {
	{
		# (No reaper where no run.sh started one: make check's installs.)
		if [ -n "${IR_REAPER:-}" ]; then
			printf 'group %s %s\n' "$BASHPID" "$IR_STAGE" >&"$IR_REAPER"
			exec {IR_REAPER}>&-
		fi
		[ -z "${IR_LOCK:-}" ] || exec {IR_LOCK}>&-
		# Not a group leader (a background job of a shell without job
		# control), setsid makes the new session in place: $! leads it.
		exec setsid "$@"
	} &
	IR_SPAWNED=$!
	IR_GROUPS+=("$IR_SPAWNED")
}

ir_forget_group() {
	local g keep=()
	# In a subshell: were the reaper gone, SIGPIPE ends that, not run.sh.
	[ -z "${IR_REAPER:-}" ] || (printf 'done %s\n' "$1" >&"$IR_REAPER") 2>/dev/null
	for g in "${IR_GROUPS[@]}"; do
		[ "$g" = "$1" ] || keep+=("$g")
	done
	IR_GROUPS=("${keep[@]}")
}

# Whether any group ir_spawn started still has a member.
ir_groups_alive() {
	local g
	for g in "${IR_GROUPS[@]}"; do
		kill -0 -- "-$g" 2>/dev/null && return 0
	done
	return 1
}

# SIGTERM to every group ir_spawn started, SIGKILL to what is left after
# 3 s; returns once they are gone.
ir_stop_groups() {
	local g i
	[ ${#IR_GROUPS[@]} -gt 0 ] || return 0
	for g in "${IR_GROUPS[@]}"; do
		kill -TERM -- "-$g" 2>/dev/null
	done
	for i in $(seq 30); do
		ir_groups_alive || break
		sleep 0.1
	done
	for g in "${IR_GROUPS[@]}"; do
		kill -KILL -- "-$g" 2>/dev/null
	done
	# Each group by name: a bare wait would wait for the reaper too,
	# which waits for run.sh.
	for g in "${IR_GROUPS[@]}"; do
		wait "$g" 2>/dev/null
	done
	IR_GROUPS=()
}

# ir_mark_interrupted SIG [HOW]: what an interrupted run leaves (HOW it
# ended: by default, the signal run.sh trapped): summary.md says so,
# whatever the guest wrote is kept, and results/latest is not moved to it
# (ir_on_exit). The reaper marks a run that died unseen with it too.
ir_mark_interrupted() {
	local sig=$1 how=${2:-} elapsed=
	[ -n "${IR_OUT:-}" ] && [ -d "$IR_OUT" ] || return 0
	[ -n "${IR_START:-}" ] && elapsed=" after $(($(date +%s) - IR_START))s"
	{
		echo "# iommufd-replace ${IR_ACTION:-run}: interrupted"
		echo
		echo "- ${how:-interrupted by SIG$sig$elapsed}, while: $IR_STAGE"
		echo "- no verdict: what the guest wrote so far is kept here"
		echo "- results/latest still names the last run that finished"
	} >"$IR_OUT/summary.md"
	echo "SIG$sig" >"$IR_OUT/interrupted"
}

ir_on_signal() {
	local sig=$1
	IR_INTERRUPTED=$sig
	trap '' INT TERM HUP QUIT
	ir_stop_groups
	ir_mark_interrupted "$sig"
	# The trap may run inside a redirection (a child's log): say it on
	# the stderr run.sh was started with.
	printf '%s: interrupted by SIG%s while %s; stopped%s\n' "$IR_PROG" "$sig" \
		"$IR_STAGE" "${IR_OUT:+; partial results in $IR_OUT}" >&"$IR_STDERR"
	# Die of the signal itself: a calling shell or make then stops too.
	# (Of some signals bash dies without its EXIT trap: tell the reaper.)
	(echo end >&"$IR_REAPER") 2>/dev/null
	trap - "$sig"
	kill -s "$sig" $$
	# Not every signal kills bash (it ignores SIGQUIT): the status then.
	exit $((128 + $(kill -l "$sig")))
}

# A run that reached a verdict (passed, failed, or died with one line)
# becomes results/latest; an interrupted one, or a --dry-run, does not.
# Then the reaper is told run.sh ended on its own, and stops what a die
# left running.
ir_on_exit() {
	[ -z "$IR_INTERRUPTED" ] && [ -z "${IR_DRY_RUN:-}" ] && [ -n "${IR_OUT:-}" ] && [ -d "$IR_OUT" ] &&
		ln -sfn "$(basename "$IR_OUT")" "$IR_RESULTS/latest"
	(echo end >&"$IR_REAPER") 2>/dev/null
	exec {IR_REAPER}>&-
	return 0
}

# ir_results_dir DIR: the reaper marks DIR should run.sh die unseen.
ir_results_dir() {
	(printf 'out %s\n' "$1" >&"$IR_REAPER") 2>/dev/null
}

ir_trap_signals() {
	local sig
	exec {IR_STDERR}>&2
	# Its own session: no signal sent to run.sh's group reaches it.
	exec {IR_REAPER}> >(exec setsid bash "$IR_TOP/scripts/reaper.sh" "$IR_PROG" $$ >/dev/null)
	for sig in INT TERM HUP QUIT; do
		# shellcheck disable=SC2064
		trap "ir_on_signal $sig" "$sig"
	done
	trap 'ir_on_exit' EXIT
}
