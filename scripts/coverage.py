#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The coverage tables of ./run.sh coverage, from two lcov tracefiles.

usage: coverage.py OURS.info THEIRS.info

Per file of drivers/iommu: lines, functions and branches reached, by this
suite and by the kernel's own iommufd selftests. Per replace-path function
(REPLACE_PATH): its lines and branches reached by each, and the lines only
one of them reaches. A function's lines run from its first line to the
line before the next function of its file.
"""
import os
import sys

# The replace path, docs/tests.md "Coverage": attach and replace in iommufd, the
# IOMMU core's group and PASID replace, the fault queue's part in it, and
# an emulated access's IOAS replace.
REPLACE_PATH = [
    "iommufd_device_change_pt",
    "iommufd_device_do_replace",
    "iommufd_device_do_attach",
    "iommufd_hwpt_replace_device",
    "iommufd_hwpt_attach_device",
    "iommufd_device_auto_get_domain",
    "iommufd_hw_pagetable_attach",
    "iommufd_hw_pagetable_detach",
    "iommufd_group_setup_msi",
    "iommufd_fault_domain_replace_dev",
    "iommufd_auto_response_faults",
    "iommufd_access_change_ioas",
    "iommufd_access_change_ioas_id",
    "iommufd_access_replace",
    "iopt_table_add_domain",
    "iopt_table_remove_domain",
    "iopt_fill_domain",
    "iopt_unfill_domain",
    "iommu_replace_group_handle",
    "iommu_group_replace_domain",
    "__iommu_group_set_domain_internal",
    "__iommu_device_set_domain",
    "iommu_replace_device_pasid",
    "__iommu_set_group_pasid",
]


def die(msg):
    print(f"coverage.py: {msg}", file=sys.stderr)
    sys.exit(2)


def read_info(path):
    """{file: {"lines": {n: count}, "fns": {name: (line, calls)},
    "branches": {(line, block, branch): taken}}}"""
    files, cur = {}, None
    try:
        with open(path) as f:
            for raw in f:
                tag, _, val = raw.strip().partition(":")
                if tag == "SF":
                    cur = files.setdefault(
                        val, {"lines": {}, "fns": {}, "branches": {}})
                elif cur is None or tag == "end_of_record":
                    cur = None
                elif tag == "DA":
                    n, count = val.split(",")[:2]
                    cur["lines"][int(n)] = int(count)
                elif tag == "FN":
                    n, name = val.split(",", 1)
                    cur["fns"][name] = (int(n), 0)
                elif tag == "FNDA":
                    calls, name = val.split(",", 1)
                    line = cur["fns"].get(name, (0, 0))[0]
                    cur["fns"][name] = (line, int(calls))
                elif tag == "BRDA":
                    line, block, branch, taken = val.split(",")
                    cur["branches"][(int(line), block, branch)] = \
                        0 if taken == "-" else int(taken)
    except (OSError, ValueError) as e:
        die(f"{path}: not an lcov tracefile ({e})")
    if not files:
        die(f"{path}: not an lcov tracefile (no SF: record in it)")
    return files


def short(path):
    i = path.find("drivers/iommu/")
    return path[i:] if i >= 0 else path


def pct(hit, total):
    return f"{hit}/{total} ({100 * hit / total:.0f}%)" if total else "0/0"


def file_rows(ours, theirs):
    print("## Per file (lines, functions, branches reached)\n")
    print("| file | ours: lines | theirs: lines | ours: functions | "
          "theirs: functions | ours: branches | theirs: branches |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for path in sorted(set(ours) | set(theirs), key=short):
        cells = []
        for kind in ("lines", "fns", "branches"):
            for side in (ours, theirs):
                d = side.get(path, {}).get(kind, {})
                vals = [v[1] for v in d.values()] if kind == "fns" \
                    else list(d.values())
                cells.append(pct(sum(1 for v in vals if v), len(vals)))
        print(f"| {short(path)} | " + " | ".join(
            cells[i] for i in (0, 1, 2, 3, 4, 5)) + " |")
    print()


def fn_range(data, name):
    """The lines of function @name in a file's data: (first, last)."""
    starts = sorted(line for line, _ in data["fns"].values())
    first = data["fns"][name][0]
    later = [s for s in starts if s > first]
    last = later[0] - 1 if later else max(data["lines"] or [first])
    return first, last


def reached(data, first, last):
    lines = {n for n, c in data["lines"].items() if first <= n <= last}
    hit = {n for n in lines if data["lines"][n]}
    br = [t for (n, _, _), t in data["branches"].items()
          if first <= n <= last]
    return lines, hit, br


def ranges(lines):
    """1,2,3,7 -> 1-3,7"""
    out, run = [], []
    for n in sorted(lines):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out) or "-"


def function_rows(ours, theirs):
    print("## The replace path\n")
    print("| function | file | ours: calls | ours: lines | theirs: lines | "
          "ours: branches | theirs: branches | lines only ours reach | "
          "lines only theirs reach | lines neither reaches |")
    print("| --- | --- | ---: | --- | --- | --- | --- | --- | --- | --- |")
    for name in REPLACE_PATH:
        path = next((p for p, d in ours.items() if name in d["fns"]), None)
        if path is None:
            print(f"| {name} | not in this tree, or not profiled | | | | | | | | |")
            continue
        first, last = fn_range(ours[path], name)
        lines, o_hit, o_br = reached(ours[path], first, last)
        t = theirs.get(path, {"lines": {}, "branches": {}, "fns": {}})
        _, t_hit, t_br = reached(t, first, last)
        print(f"| {name} | {os.path.basename(path)}:{first} | "
              f"{ours[path]['fns'][name][1]} | {pct(len(o_hit), len(lines))} | "
              f"{pct(len(t_hit), len(lines))} | "
              f"{pct(sum(1 for b in o_br if b), len(o_br))} | "
              f"{pct(sum(1 for b in t_br if b), len(t_br))} | "
              f"{ranges(o_hit - t_hit)} | {ranges(t_hit - o_hit)} | "
              f"{ranges(lines - o_hit - t_hit)} |")
    print()


def main():
    if len(sys.argv) != 3:
        die("usage: coverage.py OURS.info THEIRS.info")
    ours, theirs = read_info(sys.argv[1]), read_info(sys.argv[2])
    print("# Coverage of drivers/iommu: this suite (ours) and the kernel's "
          "iommufd selftests (theirs)\n")
    function_rows(ours, theirs)
    file_rows(ours, theirs)


if __name__ == "__main__":
    main()
