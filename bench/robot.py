#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A regression report as a kernel test robot writes one, from two sides
of a comparison (compare.py's OLD and NEW: a bench.json, or a directory
of boots).

usage: robot.py [--commit C --parent P --subject S | --base B (--patch F | --new N)]
                [--tree DIR] [--against TEXT] [--reproduce CMD] [--threshold F]
                OLD NEW

It names what changed (the commit and its parent, the base and the patch,
or the old tree and the new), says for each record compare.py calls changed the old and the new
value, each the median of its boots ± their standard deviation, the
change and the threshold it crossed, then the machine (CPU, emulator,
clock), the kernel (config, compiler) and the command that reproduces
it. Records that did not change are counted, not listed.

Exit status: 0 the report was written (whatever it says), 2 bad input.
"""
import argparse
import statistics
import sys

from benchdoc import fail
from compare import compare, side


def pm(values):
    """median ± the boots' relative standard deviation (none for one)."""
    med = statistics.median(values)
    if len(values) < 2:
        return f"{med:>10.0f}         "
    sd = statistics.stdev(values) / max(med, 1) * 100
    return f"{med:>10.0f} ± {sd:4.1f}%  "


def headline(changed):
    if not changed:
        return "iommufd-replace found no change beyond the thresholds"
    r = max(changed, key=lambda r: abs(r["change"]))
    word = "regression" if r["change"] > 0 else "improvement"
    more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
    return (f"iommufd-replace found a {r['change'] * 100:+.1f}% {word} of "
            f"{r['record']} {r['stat']}{more}")


def what_changed(args):
    if args.patch:
        return [f"base:    {args.base or 'the tree as given'}",
                f"patch:   {args.patch}"]
    if args.new_tree:
        return [f"old:     {args.base or 'the tree as given'}", f"new:     {args.new_tree}"]
    lines = [f"commit:  {args.commit}" + (f' ("{args.subject}")' if args.subject else "")]
    if args.parent:
        lines.append(f"parent:  {args.parent}")
    return lines


def machine(meta, boots):
    clock = (f"icount {meta['icount']} (one instruction a nanosecond)"
             if meta.get("icount", "off") != "off" else "the wall clock")
    return [f"kernel:  {meta.get('kernel_release', '?')}, {meta.get('arch', 'x86_64')} "
            f"{meta.get('page_size', '4k')} pages, config sha256 "
            f"{meta.get('kernel_config_sha256', '?')[:16]}",
            f"compiler: {meta.get('kernel_compiler', '?')}",
            f"test machine: {meta.get('qemu_version', 'native')}, {clock}, "
            f"{meta.get('vcpus', '?')} vCPUs, {meta.get('guest_mem_mib', '?')} MiB, "
            f"{meta.get('guest', 'shared')} guest; "
            f"host CPU {meta.get('host_cpu', '?')}",
            f"suite:   iommufd-replace {meta.get('suite_rev', '?')}, "
            f"{boots[0]} boot(s) of the old side, {boots[1]} of the new"]


def report(args, old, new):
    rows, missing, _, _ = compare(old, new, args.threshold)
    changed = [r for r in rows if r["verdict"] != "same"]
    meta = new["docs"][0][1]["meta"]
    out = [headline(changed), ""] + what_changed(args)
    if args.tree:
        out.append(f"tree:    {args.tree}")
    if args.against:
        out.append(f"old side: {args.against}")
    out += machine(meta, (old["n"], new["n"])) + [""]
    out.append(f"{'old':>19}  {'new':>19}  {'change':>8}  {'threshold':>9}  record (ns)")
    out.append(f"{'-' * 19}  {'-' * 19}  {'-' * 8}  {'-' * 9}  {'-' * 11}")
    for r in sorted(changed, key=lambda r: -abs(r["change"])):
        out.append(f"{pm(r['old'])}{pm(r['new'])}{r['change'] * 100:>+7.1f}%  "
                   f"{r['threshold'] * 100:>8.1f}%  {r['record']} {r['stat']}")
    out.append(f"({len(rows) - len(changed)} more records and statistics within their thresholds"
               + (f"; {len(missing)} on one side only" if missing else "") + ")")
    if args.reproduce:
        out += ["", "To reproduce:", "", f"    {args.reproduce}"]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--commit")
    ap.add_argument("--parent")
    ap.add_argument("--subject")
    ap.add_argument("--base")
    ap.add_argument("--patch")
    # Its own dest: "new" is the positional NEW.
    ap.add_argument("--new", dest="new_tree",
                    help="the new side's tree, where it is not a patch or a commit")
    ap.add_argument("--tree")
    ap.add_argument("--reproduce")
    ap.add_argument("--against", help="what the old side is, where not the parent")
    ap.add_argument("--threshold", type=float)
    args = ap.parse_args()
    if not (args.commit or args.patch or args.new_tree):
        fail("say what changed: --commit (and --parent), --patch or --new (and --base)")
    sys.stdout.write(report(args, side(args.old, "old"), side(args.new, "new")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
