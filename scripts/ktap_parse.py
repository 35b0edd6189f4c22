#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Does the kernel's own KTAP parser read what our tests print?

usage: ktap_parse.py KUNIT_PY KSELFTEST.tap

Takes each test program's output out of a kselftest runner's TAP (the
lines between "# selftests: COLLECTION: PROGRAM" and its "ok N" line,
without the runner's "# " prefix), has `kunit.py parse` read it, and
checks that it counts the same passed, failed and skipped tests as the
TAP's own result lines. Prints one line per program; exit 1 on the first
difference, 2 on bad input.
"""
import os
import re
import subprocess
import sys
import tempfile

RESULT = re.compile(r"^(not )?ok \d+ (\S+)(.*)$")
TOTALS = re.compile(r"Ran (\d+) tests?: (.*)$")


def blocks(path):
    """(program, [its lines]) for each program in the runner's output."""
    name, lines = None, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^# selftests: [^:]+: (\S+)$", line)
            if m:
                name, lines = m.group(1), []
            elif name and re.match(r"^(not )?ok \d+ selftests: ", line):
                yield name, lines
                name = None
            elif name and line.startswith("# "):
                lines.append(line[2:])


def expected(lines):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for line in lines:
        m = RESULT.match(line)
        if not m:
            continue
        if "# SKIP" in m.group(3):
            counts["skipped"] += 1
        elif m.group(1):
            counts["failed"] += 1
        else:
            counts["passed"] += 1
    return counts


def kunit_counts(kunit, lines):
    with tempfile.NamedTemporaryFile("w", suffix=".tap", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        out = subprocess.run([sys.executable, kunit, "parse", f.name],
                             capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for line in out.splitlines():
        m = TOTALS.search(line)
        if m:
            for part in m.group(2).split(","):
                key, _, n = part.strip().partition(": ")
                if key in counts:
                    counts[key] = int(n)
    return counts


def main():
    if len(sys.argv) != 3 or not os.path.isfile(sys.argv[1]) or not os.path.isfile(sys.argv[2]):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    kunit, tap = sys.argv[1], os.path.abspath(sys.argv[2])
    seen = 0
    for name, lines in blocks(tap):
        want, got = expected(lines), kunit_counts(kunit, lines)
        print(f"{name}: TAP {want}, kunit.py parse {got}")
        if want != got:
            print(f"ktap_parse: kunit.py parse reads {name} differently", file=sys.stderr)
            return 1
        seen += 1
    if not seen:
        print(f"ktap_parse: no program's output in {tap}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
