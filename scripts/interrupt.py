#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Ctrl-C a run.sh as a terminal would, and check what it leaves.

usage: interrupt.py [--signal INT|TERM|HUP|QUIT|KILL] [--to group|leader]
                    [--within S] GLOB REGEX -- CMD...

Starts CMD (a run.sh command line) in a session of its own, with its
signals at their defaults (a background job of a shell would have SIGINT
and SIGQUIT ignored), waits until a file matching GLOB contains a line
matching REGEX, then sends the signal to CMD's whole process group, as a
terminal's Ctrl-C or hang-up does, or with --to leader to CMD alone, as
`kill -9 PID` or the OOM killer does. Passes when CMD dies of that signal
(or exits 128 + signal) within --within seconds, says so in one line on
stderr, and within the same seconds no process it had started is left:
every descendant seen up to the signal is checked by pid and start time,
not by name.
"""
import argparse
import glob
import os
import re
import signal
import subprocess
import sys
import time


# The run under test, stopped too when make check is interrupted.
ACTIVE = []


def proc_stat(pid):
    """(ppid, start time, state) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(rest[1]), int(rest[19]), rest[0]


def descendants(root):
    """{pid: start time} of every live descendant of root."""
    procs = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st:
                procs[int(d)] = st
    found, todo = {}, [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, start, _) in procs.items():
            if ppid == parent and pid not in found:
                found[pid] = start
                todo.append(pid)
    return found


def still_running(seen):
    """The pids of seen ({pid: start time}) that are the same process still."""
    left = []
    for pid, start in seen.items():
        st = proc_stat(pid)
        if st and st[1] == start and st[2] != "Z":
            left.append(pid)
    return left


def matched(pattern, regex):
    for path in glob.glob(pattern):
        try:
            with open(path, errors="replace") as f:
                if any(regex.search(line) for line in f):
                    return True
        except OSError:
            pass
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--signal", default="INT", choices=("INT", "TERM", "HUP", "QUIT", "KILL"))
    ap.add_argument("--to", default="group", choices=("group", "leader"))
    ap.add_argument("--within", type=float, default=5)
    ap.add_argument("--wait", type=float, default=600,
                    help="give up when REGEX has not shown by then")
    ap.add_argument("glob")
    ap.add_argument("regex")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    sig = getattr(signal, "SIG" + args.signal)
    regex = re.compile(args.regex)

    def defaults():
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(s, signal.SIG_DFL)

    child = subprocess.Popen(cmd, start_new_session=True, preexec_fn=defaults,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    ACTIVE.append(child)
    seen = {}
    deadline = time.monotonic() + args.wait
    while not matched(args.glob, regex):
        seen.update(descendants(child.pid))
        if child.poll() is not None:
            print(f"exited ({child.returncode}) before /{args.regex}/ showed in {args.glob}")
            print(child.stderr.read().decode(errors="replace"), end="")
            return 1
        if time.monotonic() > deadline:
            os.killpg(child.pid, signal.SIGKILL)
            print(f"/{args.regex}/ never showed in {args.glob}")
            return 1
        time.sleep(0.2)
    seen.update(descendants(child.pid))
    t0 = time.monotonic()
    if args.to == "group":
        os.killpg(child.pid, sig)
    else:
        os.kill(child.pid, sig)
    try:
        child.wait(timeout=args.within)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        print(f"still running {args.within:.0f}s after SIG{args.signal}")
        return 1
    # What it started may take a moment more to go (the reaper's work
    # once run.sh is killed): each is given until the same deadline.
    while time.monotonic() - t0 < args.within and still_running(seen):
        time.sleep(0.1)
    took = time.monotonic() - t0
    err = child.stderr.read().decode(errors="replace")
    print(err, end="")
    print(f"stopped {took:.1f}s after SIG{args.signal}, status {child.returncode}, "
          f"{len(seen)} descendants seen")
    ok = child.returncode in (-sig, 128 + sig)
    if not ok:
        print(f"wanted death by SIG{args.signal} (status {-sig} or {128 + sig})")
    left = still_running(seen)
    for pid in left:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().replace(b"\0", b" ").decode(errors="replace")
        print(f"left running: {pid} {argv[:120]}")
    if not seen:
        print("no descendant was seen: the check proves nothing")
        ok = False
    if len([line for line in err.splitlines() if line.strip()]) != 1:
        print("wanted one line on stderr")
        ok = False
    return 0 if ok and not left else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # make check itself was interrupted: take the run along.
        for child in ACTIVE:
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        sys.exit(130)
