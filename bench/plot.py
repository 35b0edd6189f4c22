#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Draw a replace_bench document: p50 against mapped memory, one line per
scenario and op, log-log, one-time costs dashed. Writes an SVG, no
dependencies."""
import json
import math
import os
import sys

W, H, L, R, T, B = 1040, 560, 80, 360, 40, 60
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"]


def fail(msg):
    print(f"plot: error: {msg}", file=sys.stderr)
    sys.exit(2)


def series(doc):
    """Records on the size axis: everything else at its default."""
    out = {}
    for r in doc["records"]:
        p = r["point"]
        if (p["areas"], p["devices"], p["threads"], p["load"],
                p["mem_node"], p["cpu_node"], p.get("pages", "small")) != \
                (1, 1, 1, "none", -1, -1, "small"):
            continue
        # Leaving the auto domain costs the same in every scenario: once.
        if r["phase"] == "one_time" and r["scenario"] != "hwpt_hwpt":
            continue
        name = f'{r["scenario"]}/{r["op"]}' + (" (one time)" if r["phase"] == "one_time" else "")
        out.setdefault(name, []).append((p["size"], r["stats"]["p50"], r["phase"]))
    return {k: sorted(v) for k, v in out.items() if v}


def label_ns(v):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if v >= div:
            return f"{v / div:g} {unit}"
    return f"{v:g} ns"


def label_size(v):
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if v >= 1 << shift:
            return f"{v / (1 << shift):g} {unit}"
    return f"{v} B"


def main():
    if len(sys.argv) != 3:
        print("usage: plot.py BENCH.json OUT.svg", file=sys.stderr)
        return 2
    try:
        doc = json.load(open(sys.argv[1]))
    except (OSError, ValueError) as e:
        fail(f"cannot read {sys.argv[1]}: {e}")
    if doc.get("schema") != "iommufd-replace-bench/1":
        fail(f"{sys.argv[1]} is not a replace_bench document")
    data = series(doc)
    pts = [(s, v) for line in data.values() for s, v, _ in line if v > 0]
    if not pts:
        fail("no record at the default point to draw")
    xs = [math.log10(s) for s, _ in pts]
    ys = [math.log10(v) for _, v in pts]
    x0, x1 = min(xs), max(xs) + 1e-9
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
    px = lambda x: L + (math.log10(x) - x0) / (x1 - x0) * (W - L - R) if x1 > x0 else L
    py = lambda y: T + (y1 - math.log10(y)) / (y1 - y0) * (H - T - B)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L}" y="22" font-size="14">p50 latency against mapped memory '
           f'({doc["meta"].get("kernel_release", "?")}, {doc["meta"].get("mode", "?")})</text>']
    for e in range(y0, y1 + 1):
        y = py(10 ** e)
        svg.append(f'<line x1="{L}" x2="{W - R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{label_ns(10 ** e)}</text>')
    for s in sorted({s for s, _ in pts}):
        x = px(s)
        svg.append(f'<text x="{x:.1f}" y="{H - B + 18}" text-anchor="middle">{label_size(s)}</text>')
    for i, (name, line) in enumerate(sorted(data.items())):
        c = COLOURS[i % len(COLOURS)]
        dash = ' stroke-dasharray="5,4"' if line[0][2] == "one_time" else ""
        coords = " ".join(f"{px(s):.1f},{py(max(v, 1)):.1f}" for s, v, _ in line)
        svg.append(f'<polyline points="{coords}" fill="none" stroke="{c}" stroke-width="2"{dash}/>')
        for s, v, _ in line:
            svg.append(f'<circle cx="{px(s):.1f}" cy="{py(max(v, 1)):.1f}" r="3" fill="{c}"/>')
        ly = T + 14 * i
        svg.append(f'<line x1="{W - R + 10}" x2="{W - R + 30}" y1="{ly}" y2="{ly}" '
                   f'stroke="{c}" stroke-width="2"{dash}/>')
        svg.append(f'<text x="{W - R + 35}" y="{ly + 4}" font-size="11">{name}</text>')
    svg.append("</svg>")
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(svg) + "\n")
    os.replace(tmp, sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
