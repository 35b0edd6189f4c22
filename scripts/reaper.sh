#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The reaper of one run.sh: stops whatever that run.sh started once it is
# gone, however it went (SIGKILL and the OOM killer included, which no
# trap sees).
#
# usage: reaper.sh PROG PID <PIPE
#
# run.sh starts it in a session of its own (no signal meant for run.sh's
# process group reaches it) with the read end of a pipe whose write end
# only run.sh and its short-lived helpers hold; each process group that
# ir_spawn starts says "group PGID STAGE" on it before it runs anything,
# "done PGID" once it has ended, "out DIR" names the results directory
# and "end" says run.sh reached its own end (a verdict, or its trap
# stopped everything). End of file with no "end": run.sh died without a
# word. Then every group still listed gets SIGTERM, SIGKILL 3 s later,
# and a results directory without a verdict is marked as killed, so it
# never passes for a finished run (results/latest is not moved to it).
set -u
trap '' INT TERM HUP QUIT PIPE

prog=$1 pid=$2
declare -A stage_of
out='' ended='' stage=starting

while read -r word arg rest; do
	case $word in
	group) stage_of[$arg]=$rest stage=$rest ;;
	done) unset "stage_of[$arg]" ;;
	out) out=$arg ;;
	end) ended=1 ;;
	esac
done

# The stopping and the marking of run.sh's own trap (signals.sh).
# shellcheck source=scripts/signals.sh
. "$(dirname "${BASH_SOURCE[0]}")/signals.sh"
for g in "${!stage_of[@]}"; do
	kill -0 -- "-$g" 2>/dev/null && IR_GROUPS+=("$g")
done
stopped=${#IR_GROUPS[@]}
[ "$stopped" -eq 0 ] && [ -n "$ended" ] && exit 0
# Not children of the reaper: ir_stop_groups' wait finds none to wait for.
ir_stop_groups 2>/dev/null
[ -n "$ended" ] && exit 0
if [ -z "$out" ] || [ ! -e "$out/interrupted" ]; then
	IR_OUT=$out IR_STAGE=$stage ir_mark_interrupted KILL \
		"$prog (pid $pid) died without a word (SIGKILL, the OOM killer?)" 2>/dev/null
fi
# The terminal may be gone with run.sh: a failed write changes nothing.
printf '%s: %s (pid %s) died while %s; stopped the %s process group(s) it had started\n' \
	"$prog" "$prog" "$pid" "$stage" "$stopped" >&2 2>/dev/null
exit 0
