#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Where the time of one replace goes: reads the function_graph traces that
`replace_bench --explain DIR` saved and prints, for each scenario, phase and
mapped size, the functions with the most total and the most self time."""
import argparse
import collections
import os
import re
import sys

from benchdoc import fail

LINE = re.compile(r"^\s*\d+\)\s*[+!#*@$]?\s*(?:(\d+\.\d+) us)?\s*\|\s(.*)$")
TOP = 10


def parse(path):
    total = collections.Counter()
    self_ = collections.Counter()
    calls = collections.Counter()
    stack = []  # [name, children time]
    for line in open(path, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        dur, body = m.group(1), m.group(2).strip()
        us = float(dur) if dur else 0.0
        if body.endswith("{"):
            stack.append([body[:-1].strip().rstrip("()"), 0.0])
        elif body.startswith("}"):
            if not stack:
                continue
            name, children = stack.pop()
            total[name] += us
            self_[name] += us - children
            calls[name] += 1
            if stack:
                stack[-1][1] += us
        elif body.endswith(";"):
            name = body[:-1].rstrip("()")
            total[name] += us
            self_[name] += us
            calls[name] += 1
            if stack:
                stack[-1][1] += us
    return total, self_, calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", metavar="DIR", help="what replace_bench --explain wrote")
    d = ap.parse_args().dir
    if not os.path.isdir(d):
        fail(f"{d} is not a directory")
    # Bad input, as the shared contract has it: exit 1 is a regression.
    traces = sorted(f for f in os.listdir(d) if f.endswith(".trace"))
    if not traces:
        fail(f"no .trace file in {d}")
    for f in sorted(traces, key=lambda f: (f.split("-")[0], f.split("-")[2],
                                           int(f.split("-")[1]))):
        scenario, size, phase = f[:-len(".trace")].split("-", 2)
        total, self_, calls = parse(os.path.join(d, f))
        root = max(total.values(), default=0)
        print(f"\n== {scenario} {phase} at {int(size) >> 10} KiB mapped: "
              f"{root:.1f} us traced (function_graph adds its own cost; "
              "compare shares, not absolute times)")
        print(f"   {'total us':>10} {'self us':>10} {'calls':>7}  function")
        seen = set()
        for name, _ in total.most_common(TOP):
            seen.add(name)
            print(f"   {total[name]:>10.1f} {self_[name]:>10.1f} {calls[name]:>7}  {name}")
        print("   by self time:")
        for name, _ in self_.most_common(TOP // 2):
            print(f"   {total[name]:>10.1f} {self_[name]:>10.1f} {calls[name]:>7}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
