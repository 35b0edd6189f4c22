#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two replace_bench JSON documents: a table, a verdict, a plot.

Exit status: 0 no regression, 1 a regression, 2 bad input.
"""
import argparse
import math
import os
import sys

from benchdoc import fail, key, load, size

# Wall-clock documents: the host's load moves everything by far more than
# icount's per-boot steps (bench/README.md, "Modes and the clock").
NOISY = 0.10
NOISE_TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "noise-icount.json")


class Noise:
    """How far a record moves between boots of one kernel under icount, as
    measured by noise.py over an A/A set (bench/noise-icount.json), and
    the thresholds that follow from it (bench/README.md, "Repeatability").

    A record is called changed only past MARGIN times the largest move seen
    between any two of the measured boots, never below FLOOR, and never
    below the largest move of its class, since what one record showed once
    can happen to any record of its kind: the hot path (steady records of
    a few microseconds) moves by whole per-boot steps of a few dozen
    instructions, other steady records (allocating, filling a domain) by a
    share of their cost, one-time records (single samples) by whole timer
    ticks where they are short and by a share of their cost where long.
    The class comes from the record's cost, never from how its samples
    spread within one run: a periodic kernel event can widen that spread
    in one boot and not the next (measured: 25 % of the hot-path samples
    of one boot took 106 ns more, the p50 did not move)."""

    MARGIN = 1.5
    FLOOR = 0.005
    HOT_NS = 20000
    SHORT_ONE_TIME_NS = 1000000

    def __init__(self, path):
        table = load(path, "iommufd-replace-noise/1", "a noise table")
        self.boots = table.get("boots", 0)
        self.moves = {}
        step = tick = rel_steady = rel_one_time = 0.0
        for r in table["records"]:
            lo, hi = r["p50_min"], r["p50_max"]
            if lo <= 0:
                continue
            self.moves[key(r)] = hi / lo - 1
            if r["phase"] == "one_time":
                if lo < self.SHORT_ONE_TIME_NS:
                    tick = max(tick, hi - lo)
                else:
                    rel_one_time = max(rel_one_time, hi / lo - 1)
            elif lo < self.HOT_NS:
                step = max(step, hi - lo)
            else:
                rel_steady = max(rel_steady, hi / lo - 1)
        self.step_ns, self.tick_ns = step, tick
        self.rel_steady, self.rel_one_time = rel_steady, rel_one_time

    def threshold(self, rec, p50):
        p50 = max(p50, 1)
        own = self.moves.get(key(rec))
        if rec["phase"] == "one_time":
            move = max(self.rel_one_time, self.tick_ns / p50)
        elif p50 < self.HOT_NS:
            move = self.step_ns / p50
        else:
            # Its own measured move where the table has it, else its class's.
            move = self.rel_steady if own is None else 0
        move = max(move, own or 0)
        return max(self.FLOOR, self.MARGIN * move)


def mann_whitney_p(a, b):
    """Two-sided p-value of the Mann-Whitney U test (normal approximation,
    tie-corrected): is one distribution shifted against the other?"""
    n1, n2 = len(a), len(b)
    if n1 < 8 or n2 < 8:
        return 1.0
    merged = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks, ties, i = [0.0] * len(merged), 0.0, 0
    while i < len(merged):
        j = i
        while j + 1 < len(merged) and merged[j + 1][0] == merged[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, merged) if g == 0)
    u = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return 1.0 if a == b else 0.0
    z = (u - n1 * n2 / 2) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2))


def plot(rows, path):
    """A horizontal bar per record: new p50 over old p50, 1.0 in the middle."""
    h, top, left, width = 18, 40, 520, 400
    lines = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" '
             f'height="{top + h * len(rows) + 30}" font-family="monospace" font-size="12">',
             f'<rect width="100%" height="100%" fill="white"/>',
             f'<text x="10" y="20">new p50 / old p50 (log scale, 0.5x to 2x)</text>',
             f'<line x1="{left + width / 2}" y1="{top - 5}" x2="{left + width / 2}" '
             f'y2="{top + h * len(rows)}" stroke="black"/>']
    for i, r in enumerate(rows):
        y = top + i * h
        ratio = min(max(r["ratio"], 0.5), 2.0)
        x = left + width / 2 + math.log2(ratio) * width / 2
        x0, x1 = sorted((left + width / 2, x))
        colour = {"slower": "#c0392b", "faster": "#27ae60"}.get(r["verdict"], "#7f8c8d")
        lines.append(f'<text x="10" y="{y + 12}">{r["label"][:70]}</text>')
        lines.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" '
                     f'height="{h - 6}" fill="{colour}"/>')
        lines.append(f'<circle cx="{x:.1f}" cy="{y + h / 2}" r="4" fill="{colour}"/>')
        lines.append(f'<text x="{left + width + 5}" y="{y + 12}">{r["ratio"]:.3f}</text>')
    lines.append("</svg>")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    import os
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--threshold", type=float,
                    help="relative p50 change that counts, for every record "
                         "(default: per record, from the measured noise)")
    ap.add_argument("--noise", metavar="TABLE.json", default=NOISE_TABLE,
                    help="icount between-boot noise measured by noise.py "
                         "(default: bench/noise-icount.json)")
    ap.add_argument("--plot", metavar="FILE.svg")
    args = ap.parse_args()
    old, new = load(args.old), load(args.new)
    mode_old = old.get("meta", {}).get("mode", "unknown")
    mode_new = new.get("meta", {}).get("mode", "unknown")
    if mode_old != mode_new:
        print(f"compare: warning: modes differ ({mode_old} vs {mode_new}); "
              "ratios mix clocks", file=sys.stderr)
    icount = mode_old == mode_new == "icount"
    noise = Noise(args.noise) if icount and args.threshold is None else None
    olds = {key(r): r for r in old["records"]}
    rows = []
    for r in new["records"]:
        o = olds.get(key(r))
        if not o or not o["stats"]["p50"]:
            continue
        ratio = r["stats"]["p50"] / o["stats"]["p50"]
        p = mann_whitney_p(o.get("samples_ns", []), r.get("samples_ns", []))
        if args.threshold is not None:
            thr = args.threshold
        elif noise:
            thr = noise.threshold(o, o["stats"]["p50"])
        else:
            thr = NOISY
        # One-time costs have a sample or so: the ratio alone decides.
        significant = p < 0.01 or r["phase"] == "one_time" or icount
        verdict = "same"
        if significant and ratio > 1 + thr:
            verdict = "slower"
        elif significant and ratio < 1 - thr:
            verdict = "faster"
        pt = r["point"]
        label = (f'{r["scenario"]}/{r["op"]} {r["phase"]} {size(pt["size"])} '
                 f'a{pt["areas"]} d{pt["devices"]} t{pt["threads"]} {pt["load"]}'
                 + (f' m{pt["mem_node"]}c{pt["cpu_node"]}' if pt["mem_node"] >= 0 else "")
                 + (" thp" if pt.get("pages") == "thp" else ""))
        rows.append({"label": label, "old": o["stats"]["p50"], "new": r["stats"]["p50"],
                     "ratio": ratio, "p": p, "thr": thr, "verdict": verdict})
    if not rows:
        fail("the two documents share no scenario and point")
    print(f"{'record':<60} {'old p50':>12} {'new p50':>12} {'ratio':>7} {'p':>7} "
          f"{'thresh':>6}  verdict")
    for r in rows:
        print(f'{r["label"]:<60} {r["old"]:>12.0f} {r["new"]:>12.0f} {r["ratio"]:>7.3f} '
              f'{r["p"]:>7.3f} {r["thr"] * 100:>5.1f}%  {r["verdict"]}')
    slower = [r for r in rows if r["verdict"] == "slower"]
    faster = [r for r in rows if r["verdict"] == "faster"]
    missing = len(old["records"]) - len(rows)
    if args.plot:
        plot(rows, args.plot)
    print(f"verdict: {'regression' if slower else 'no regression'}: {len(slower)} slower, "
          f"{len(faster)} faster, {len(rows) - len(slower) - len(faster)} same "
          f"(mode {mode_new}"
          + (f", thresholds from {noise.boots} boots of measured noise" if noise else "")
          + (f", {missing} old records unmatched" if missing > 0 else "") + ")")
    return 1 if slower else 0


if __name__ == "__main__":
    sys.exit(main())
