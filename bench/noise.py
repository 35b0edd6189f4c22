#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Measure how far each record moves between boots of one kernel.

usage: noise.py [--base TABLE.json] BENCH.json|DIR... > noise-icount.json
       noise.py --markdown noise-icount.json   (the table in bench/README.md)

Every document must be a run of the same kernel in the same mode (an A/A
set: `./run.sh bench` N times). Writes the table that `compare` takes its
thresholds from: for each record, the smallest and largest p50, p90,
p99 and floor (p5) seen across the boots, and how many boots read the
least floor. --base merges an earlier table of the same
mode in (ranges widen, boots add up), so a new campaign only adds to what
was measured. See bench/README.md, "Repeatability".
"""
import argparse
import json
import sys

from benchdoc import (FLOOR_STAT, NOISE_SCHEMA, boots, fail, guest, key, label, load, machine,
                      own_platform, platform, resolution_ns, stat_value, timing)

STATS = ("p50", "p90", "p99", FLOOR_STAT)


def markdown(path):
    table = load(path, NOISE_SCHEMA, "a noise table")
    print("| record | boots | p50 min | p50 max | move |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in sorted(table["records"], key=lambda r: -(r["p50_max"] / max(r["p50_min"], 1))):
        move = r["p50_max"] / max(r["p50_min"], 1) - 1
        print(f'| {label(r)} | {r["boots"]} | {r["p50_min"]:.0f} | {r["p50_max"]:.0f} | '
              f'{move * 100:.2f} % ({r["p50_max"] - r["p50_min"]:.0f} ns) |')
    return 0


def widen(entry, stat, lo, hi):
    if stat + "_min" in entry:
        lo, hi = min(lo, entry[stat + "_min"]), max(hi, entry[stat + "_max"])
    entry[stat + "_min"], entry[stat + "_max"] = lo, hi


def count_at_min(entry, values, res):
    """How many boots read the least floor, to the clock's resolution @res: a
    floor that moves, moves up, in a few boots (bench/README.md, "The
    sealed guest"). A base table's boots count where its least floor is
    the merged one's; a base table without the count leaves it unknown."""
    base_lo = entry.get(FLOOR_STAT + "_min")
    if base_lo is not None and "p5_at_min" not in entry:
        return
    lo = min(values) if base_lo is None else min(base_lo, *values)
    base_at = 0 if base_lo is None or base_lo - lo > res else entry["p5_at_min"]
    entry["p5_at_min"] = base_at + sum(v - lo <= res for v in values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", metavar="TABLE.json", help="a table to merge the boots into")
    ap.add_argument("--markdown", metavar="TABLE.json",
                    help="print a table as bench/README.md shows it, and nothing else")
    ap.add_argument("docs", nargs="*", help="bench.json files or directories of boots")
    args = ap.parse_args()
    if args.markdown:
        if args.docs or args.base:
            ap.error("--markdown takes one table and nothing else")
        return markdown(args.markdown)
    docs = [d for p in args.docs for d in boots(p)]
    if len(docs) < 2:
        fail("usage: noise.py BENCH.json... (two or more boots of one kernel)")
    kernels = {d["meta"].get("kernel_build", "unknown") for _, d in docs}
    modes = {d["meta"].get("mode", "unknown") for _, d in docs}
    if len(kernels) != 1 or len(modes) != 1:
        fail(f"not an A/A set: kernels {sorted(kernels)}, modes {sorted(modes)}")
    mode = modes.pop()
    plats = {platform(d) for _, d in docs}
    if len(plats) != 1:
        fail(f"not an A/A set: platforms {sorted(' '.join(p) for p in plats)}")
    arch, page_size = plats.pop()
    # Steps between boots belong to one build, one way of booting and one
    # machine: a table says which (compare warns about runs of others).
    guests = {guest(d) for _, d in docs}
    machines = {json.dumps(machine(d), sort_keys=True) for _, d in docs}
    if len(guests) != 1 or len(machines) != 1:
        fail(f"not an A/A set: guests {sorted(guests)}, machines {sorted(machines)}")
    timings = {json.dumps(timing(d), sort_keys=True) for _, d in docs}
    if len(timings) != 1:
        fail(f"not an A/A set: clocks and vCPUs {sorted(timings)}")
    kind, where, how = guests.pop(), json.loads(machines.pop()), json.loads(timings.pop())
    seen = {}
    for _, d in docs:
        for r in d["records"]:
            seen.setdefault(key(r), []).append(r)
    table = {"schema": NOISE_SCHEMA, "mode": mode, "arch": arch, "page_size": page_size,
             "guest": kind, "machine": where, "timing": how,
             "boots": 0, "records": [], "sources": [], "dates": []}
    entries = {}
    if args.base:
        base = load(args.base, NOISE_SCHEMA, "a noise table")
        if base["mode"] != mode:
            fail(f"--base {args.base} is of mode {base['mode']}, the boots of {mode}")
        if own_platform(base) != (arch, page_size):
            fail(f"--base {args.base} was measured on another platform than {arch} {page_size}")
        if guest(base) != kind:
            fail(f"--base {args.base} is of a {guest(base)} guest, the boots of a {kind} one")
        if "machine" in base and base["machine"] != where:
            fail(f"--base {args.base} was measured on {base['machine']}, the boots on {where}")
        if "timing" in base and base["timing"] != how:
            fail(f"--base {args.base} was read from {base['timing']}, the boots from {how}")
        table.update({k: v for k, v in base.items() if k not in ("records", "machine", "timing")})
        table.setdefault("sources", [base.get("kernel_build", "unknown")])
        entries = {key(r): r for r in base["records"]}
    res = resolution_ns(how)
    for k, recs in seen.items():
        if len(recs) < 2:
            continue
        r0 = recs[0]
        entry = entries.setdefault(k, {"scenario": r0["scenario"], "op": r0["op"],
                                       "phase": r0["phase"], "point": r0["point"],
                                       "boots": 0})
        entry["boots"] += len(recs)
        for stat in STATS:
            values = [stat_value(r, stat) for r in recs]
            if None not in values:
                if stat == FLOOR_STAT:
                    count_at_min(entry, values, res)
                widen(entry, stat, min(values), max(values))
    meta = docs[0][1]["meta"]
    build = kernels.pop()
    table["boots"] = max(e["boots"] for e in entries.values())
    table["kernel_version"] = meta.get("kernel_version", "unknown")
    table["kernel_build"] = build
    table["sources"] = sorted(set(table.get("sources", [])) | {build})
    dates = sorted(table.get("dates", []) + [d["meta"].get("date", "") for _, d in docs])
    table["dates"] = [dates[0], dates[-1]]
    table["records"] = sorted(entries.values(),
                              key=lambda r: (r["scenario"], r["op"], r["phase"],
                                             r["point"]["size"], json.dumps(r["point"])))
    # One record a line: a table a person can read and diff.
    head = {k: v for k, v in table.items() if k != "records"}
    text = json.dumps(head, indent=1)[:-2] + ',\n "records": [\n'
    text += ",\n".join("  " + json.dumps(r) for r in table["records"])
    sys.stdout.write(text + "\n ]\n}\n")
    moved = [r for r in seen.values() if len({x["stats"]["p50"] for x in r}) > 1]
    print(f"noise: {len(docs)} boots, {len(seen)} records, {len(moved)} moved "
          f"between boots; table of {table['boots']} boots", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
