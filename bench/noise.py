#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Measure how far each record's p50 moves between boots of one kernel.

usage: noise.py BENCH.json... > noise-icount.json
       noise.py --markdown noise-icount.json   (the table in bench/README.md)

Every document must be a run of the same kernel in the same mode (an A/A
set: `./run.sh bench` N times). Writes the table that `compare` takes its
per-record thresholds from: for each record, the smallest and largest p50
seen across the boots, and prints a summary on stderr. See bench/README.md, "Repeatability".
"""
import json
import sys

from benchdoc import fail, key, load, size

NOISE_SCHEMA = "iommufd-replace-noise/1"


def markdown(path):
    table = load(path, NOISE_SCHEMA, "a noise table")
    print("| record | p50 min | p50 max | move |")
    print("| --- | ---: | ---: | ---: |")
    for r in sorted(table["records"], key=lambda r: -(r["p50_max"] / max(r["p50_min"], 1))):
        p = r["point"]
        label = (f'{r["scenario"]}/{r["op"]} {r["phase"]} {size(p["size"])}'
                 + (f' a{p["areas"]}' if p["areas"] != 1 else "")
                 + (f' d{p["devices"]}' if p["devices"] != 1 else "")
                 + (f' t{p["threads"]}' if p["threads"] != 1 else "")
                 + (f' m{p["mem_node"]}c{p["cpu_node"]}' if p["mem_node"] >= 0 else "")
                 + (f' {p["load"]}' if p["load"] != "none" else "")
                 + (" thp" if p.get("pages") == "thp" else ""))
        move = r["p50_max"] / max(r["p50_min"], 1) - 1
        print(f'| {label} | {r["p50_min"]} | {r["p50_max"]} | '
              f'{move * 100:.2f} % ({r["p50_max"] - r["p50_min"]} ns) |')
    return 0


def main():
    if sys.argv[1:2] == ["--markdown"] and len(sys.argv) == 3:
        return markdown(sys.argv[2])
    paths = sys.argv[1:]
    if len(paths) < 2:
        fail("usage: noise.py BENCH.json... (two or more boots of one kernel)")
    docs = [load(p) for p in paths]
    kernels = {d.get("meta", {}).get("kernel_build", "unknown") for d in docs}
    modes = {d.get("meta", {}).get("mode", "unknown") for d in docs}
    if len(kernels) != 1 or len(modes) != 1:
        fail(f"not an A/A set: kernels {sorted(kernels)}, modes {sorted(modes)}")
    seen = {}
    for d in docs:
        for r in d["records"]:
            seen.setdefault(key(r), []).append(r)
    records = []
    for k, recs in seen.items():
        if len(recs) != len(docs):
            continue
        p50 = [r["stats"]["p50"] for r in recs]
        records.append({
            "scenario": recs[0]["scenario"], "op": recs[0]["op"],
            "phase": recs[0]["phase"], "point": recs[0]["point"],
            "p50_min": min(p50), "p50_max": max(p50),
        })
    meta = docs[0].get("meta", {})
    table = {
        "schema": NOISE_SCHEMA,
        "mode": modes.pop(),
        "boots": len(docs),
        "kernel_version": meta.get("kernel_version", "unknown"),
        "kernel_build": kernels.pop(),
        "dates": sorted(d.get("meta", {}).get("date", "") for d in docs)[::len(docs) - 1],
        "records": sorted(records, key=lambda r: (r["scenario"], r["op"], r["phase"],
                                                  r["point"]["size"], json.dumps(r["point"]))),
    }
    # One record a line: a table a person can read and diff.
    head = {k: v for k, v in table.items() if k != "records"}
    text = json.dumps(head, indent=1)[:-2] + ',\n "records": [\n'
    text += ",\n".join("  " + json.dumps(r) for r in table["records"])
    sys.stdout.write(text + "\n ]\n}\n")
    moved = [r for r in records if r["p50_max"] != r["p50_min"]]
    print(f"noise: {len(docs)} boots, {len(records)} records, {len(moved)} moved "
          f"between boots", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
