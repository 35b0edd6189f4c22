#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""What compare detects, measured by resampling recorded boots of one kernel.

usage: power.py [options] BOOTS...

BOOTS are bench.json files or directories of them: an A/A set, every boot
of one kernel in one mode. Each trial draws --per-side boots for side A and
as many other boots for side B at random, and runs compare's verdict on
them. With --shift F, every sample of the records that --target names
(default: the hot path, hwpt_hwpt/replace) is made F times its record's
p50 slower on side B, as a fixed amount of added work would make it; a
trial detects the slowdown when every targeted record is called slower by
its p50 or, under icount, its floor (p5).
With no shift (A/A) a trial is a false positive when compare flags
anything at all. Prints one line per shift: detected or flagged, out of
--trials.
"""
import argparse
import random
import sys

import compare
from benchdoc import FLOOR_STAT, boots, fail


def shifted(doc, target, frac):
    """A copy of doc whose targeted records are frac of their p50 slower."""
    out = dict(doc, records=[])
    for r in doc["records"]:
        if target(r) and frac:
            add = round(r["stats"]["p50"] * frac)
            r = dict(r, samples_ns=[v + add for v in r["samples_ns"]],
                     stats={k: (v + add if k not in ("count", "stddev") else v)
                            for k, v in r["stats"].items()})
        out["records"].append(r)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("boots", nargs="+")
    ap.add_argument("--per-side", type=int, default=3)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--shift", default="0",
                    help="comma-separated slowdowns of the target, as fractions")
    ap.add_argument("--target", default="hwpt_hwpt/replace",
                    help="scenario/op of the records slowed down")
    ap.add_argument("--noise", metavar="TABLE.json",
                    help="the noise table (default: the one compare picks for the boots' "
                         "platform and guest)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    docs = [d for p in args.boots for _, d in boots(p)]
    if len(docs) < 2 * args.per_side:
        fail(f"{len(docs)} boots cannot give two sides of {args.per_side}")
    if len({d["meta"].get("kernel_build") for d in docs}) != 1:
        fail("not an A/A set: the boots are of several kernels")
    scen, _, op = args.target.partition("/")

    def target(r):
        return r["scenario"] == scen and r["op"] == op and r["phase"] == "steady"

    rng = random.Random(args.seed)
    for frac in (float(f) for f in args.shift.split(",")):
        hits, flagged_by = 0, {}
        for _ in range(args.trials):
            pick = rng.sample(range(len(docs)), 2 * args.per_side)
            a = compare.side_of([(None, docs[i]) for i in pick[:args.per_side]], "side A")
            b = compare.side_of([(None, shifted(docs[i], target, frac))
                                 for i in pick[args.per_side:]], "side B")
            rows, missing, partial, _ = compare.compare(a, b, noise_path=args.noise)
            if frac:
                # Each targeted record called slower by its p50 or its floor.
                hot = {}
                for r in rows:
                    if r["stat"] in ("p50", FLOOR_STAT) and \
                            r["record"].startswith(f"{scen}/{op} steady"):
                        hot[r["record"]] = hot.get(r["record"], False) or r["verdict"] == "slower"
                hits += bool(hot) and all(hot.values())
            else:
                bad = [r for r in rows if r["verdict"] != "same"]
                hits += bool(bad or missing or partial)
                for r in bad:
                    flagged_by[f'{r["record"]} {r["stat"]}'] = \
                        flagged_by.get(f'{r["record"]} {r["stat"]}', 0) + 1
        what = "detected" if frac else "false positives"
        print(f"shift {frac * 100:+.2f} % of {args.target}: {what} in {hits} of "
              f"{args.trials} trials ({args.per_side} vs {args.per_side} boots, "
              f"{len(docs)} in the pool, mode {docs[0]['meta'].get('mode')})")
        for name, n in sorted(flagged_by.items(), key=lambda x: -x[1]):
            print(f"  flagged {n}x: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
