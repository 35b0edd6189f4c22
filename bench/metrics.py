#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The formats trackers ingest, written from replace_bench documents.

usage: metrics.py [--metrics FILE] [--lava FILE] [--history FILE] BENCH.json|DIR...

--metrics  a flat JSON object, one key per record and statistic, each a
           list of one value per boot, the shape SQUAD and LKP take:
           {"iommufd-replace/hwpt_hwpt/replace/1M/p50_ns": [2463, 2463, 2463]}
--lava     one LAVA measurement line per record and statistic, as a LAVA
           test shell runs them (the median of the boots), and a result
           line per scenario that did not run:
           lava-test-case iommufd-replace_hwpt_hwpt_replace_1M_p50 --result pass --measurement 2463 --units ns
--history  append one line per boot to a history.jsonl (./run.sh trend)
--summary  print one line: records, what did not run, the hot path's p50

Files are written whole (a temporary name, then rename); a history line
is appended in one write.
"""
import argparse
import json
import os
import re
import statistics
import sys

from benchdoc import (HISTORY_SCHEMA, append_whole, boots, guest, platform, point_name, timing,
                      validate, write_whole)

PREFIX = "iommufd-replace"
STATS = ("p50", "p90", "p99")


def record_name(rec):
    """scenario/op/point, the path a tracker files a series under."""
    return f'{rec["scenario"]}/{rec["op"]}/{point_name(rec["point"], "_")}'


def lava_name(name):
    """LAVA test case names: letters, digits, '_', '-', '.' only."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{PREFIX}_{name}".replace("/", "_"))


def metrics(docs):
    out = {}
    for _, d in docs:
        for r in d["records"]:
            for stat in STATS:
                out.setdefault(f"{PREFIX}/{record_name(r)}/{stat}_ns", []).append(
                    r["stats"][stat])
    return out


def lava(docs, series):
    lines = []
    for name, values in series.items():
        short = name[len(PREFIX) + 1:].removesuffix("_ns")
        lines.append(f"lava-test-case {lava_name(short)} --result pass "
                     f"--measurement {statistics.median(values):.0f} --units ns")
    # What did not run: skip where the kernel lacks it, fail otherwise.
    for n in docs[0][1]["not_run"]:
        name = f'{n["scenario"]}/{point_name(n["point"], "_")}'
        lines.append(f"lava-test-case {lava_name(name)} --result "
                     f"{'fail' if n['fails'] else 'skip'}")
    return "\n".join(lines) + "\n"


def history_line(path, doc):
    m = doc["meta"]
    entry = {"schema": HISTORY_SCHEMA,
             "date": m.get("date", ""), "kernel_release": m["kernel_release"],
             "kernel_build": m.get("kernel_build", "unknown"),
             "mode": m.get("mode", "unknown"), "suite_rev": m.get("suite_rev", "unknown"),
             **{k: m.get(k, "none") for k in ("kernel_commit", "kernel_describe", "kernel_dirty",
                                              "kernel_patch_sha256", "kernel_config_sha256")},
             "arch": platform(doc)[0], "page_size": platform(doc)[1], "guest": guest(doc),
             "clock": timing(doc)["clock"],
             "results": os.path.dirname(os.path.abspath(path)),
             "p50_ns": {record_name(r): r["stats"]["p50"] for r in doc["records"]}}
    validate(entry, HISTORY_SCHEMA, "the history entry")
    return json.dumps(entry, sort_keys=True) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--metrics", metavar="FILE")
    ap.add_argument("--lava", metavar="FILE")
    ap.add_argument("--history", metavar="FILE")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("docs", nargs="+", help="bench.json files or directories of boots")
    args = ap.parse_args()
    docs = [d for p in args.docs for d in boots(p)]
    series = metrics(docs)
    if args.metrics:
        write_whole(args.metrics, json.dumps(series, indent=1) + "\n")
    if args.lava:
        write_whole(args.lava, lava(docs, series))
    if args.summary:
        for _, d in docs:
            failing = sum(n["fails"] for n in d["not_run"])
            print(f'{len(d["records"])} records, {len(d["not_run"])} not run '
                  f'({failing} failing); hot path p50 {d["overhead"]["hot_p50_ns"]:.0f} ns')
    if args.history:
        text = "".join(history_line(p, d) for p, d in docs)
        append_whole(args.history, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
