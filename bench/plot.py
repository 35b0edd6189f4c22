#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Plots of replace_bench results, drawn with matplotlib (python3-matplotlib).

usage: plot.py run BENCH.json OUTDIR       latency CDFs, scaling with memory,
                                           devices and threads
       plot.py trend HISTORY.jsonl SCENARIO OUT.png|svg [ARCH PAGE_SIZE]
                                           a scenario's p50 over the runs of
                                           one architecture and page size
                                           (default x86_64 4k)

Every figure is written as PNG and SVG (OUTDIR) or in the format OUT
names; it prints the files it wrote, one a line. The A/B comparison is
drawn by compare.py --plot through compare() below.
"""
import argparse
import os
import sys

from benchdoc import (DEFAULT_PLATFORM, fail, guest, load, own_platform, point_name, read_history,
                      size, write_with)

DEFAULT = {"areas": 1, "devices": 1, "threads": 1, "load": "none",
           "mem_node": -1, "cpu_node": -1, "pages": "small"}


def pyplot():
    try:
        import matplotlib
    except ImportError:
        fail("python3-matplotlib is not installed (./run.sh installs it)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def ns_axis(ax, which="y"):
    """Latency axes in ns, log scale, labelled in the unit that reads."""
    from matplotlib.ticker import FuncFormatter

    def fmt(v, _):
        for unit, div in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
            if v >= div:
                return f"{v / div:g} {unit}"
        return f"{v:g} ns"
    getattr(ax, f"set_{which}scale")("log")
    getattr(ax, f"{which}axis").set_major_formatter(FuncFormatter(fmt))
    getattr(ax, f"{which}axis").set_minor_formatter(FuncFormatter(lambda v, _: ""))


def save(fig, base, exts=("png", "svg")):
    """Writes base.<ext> whole (a temporary name, then rename)."""
    out = []
    for ext in exts:
        path = f"{base}.{ext}" if not base.endswith("." + ext) else base
        write_with(path, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight"),
                   f".tmp.{ext}")
        out.append(path)
    return out


def image_format(path, what, default=None):
    """The format a file name asks for, png or svg; exit 2 on another."""
    ext = os.path.splitext(path)[1].lstrip(".") or default
    if ext not in ("png", "svg"):
        fail(f"{what}{path}: name a .png or .svg file")
    return ext


def finish(fig, ax, base, title_text, xlabel, ylabel):
    """Labels, grid, a legend beside the axes; saves and closes."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(title_text)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    out = save(fig, base)
    pyplot().close(fig)
    return out


def colours(n):
    plt = pyplot()
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def at_default(rec, **but):
    want = dict(DEFAULT, **but)
    return all(rec["point"][k] == v for k, v in want.items())


def title(doc):
    m = doc["meta"]
    return f'{m.get("kernel_release", "?")}, {m.get("mode", "?")}'


def cdf(doc, base):
    """Latency distribution of every steady op at the point most of them
    share (the default point of the smallest size, in the presets): where
    the hot path sits against the alternatives."""
    steady = [r for r in doc["records"] if r["phase"] == "steady"]
    if not steady:
        return []
    by_point = {}
    for r in steady:
        by_point.setdefault(point_name(r["point"]), []).append(r)
    name, recs = max(by_point.items(),
                     key=lambda kv: (len(kv[1]), -kv[1][0]["point"]["size"]))
    recs.sort(key=lambda r: r["stats"]["p50"])
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 5.5))
    styles = ["-", "--", "-.", ":"]
    for i, (r, c) in enumerate(zip(recs, colours(len(recs)))):
        xs = r["samples_ns"]
        ys = [(j + 1) / len(xs) for j in range(len(xs))]
        ax.step(xs, ys, where="post", color=c, linestyle=styles[i // 10 % 4],
                label=f'{r["scenario"]}/{r["op"]} (p50 {r["stats"]["p50"]:.0f} ns)')
    ns_axis(ax, "x")
    ax.set_ylim(0, 1.01)
    return finish(fig, ax, base, f"Latency CDF per scenario at {name} ({title(doc)})",
                  "latency of one operation", "fraction of samples at or below")


def scaling_memory(doc, base):
    """p50 against mapped memory, one line per scenario/op, one-time dashed."""
    lines = {}
    for r in doc["records"]:
        if not at_default(r):
            continue
        # Leaving the auto domain costs the same in every scenario: once.
        if r["phase"] == "one_time" and r["scenario"] != "hwpt_hwpt":
            continue
        name = f'{r["scenario"]}/{r["op"]}' + (" (one time)" if r["phase"] == "one_time" else "")
        lines.setdefault(name, []).append((r["point"]["size"], r["stats"]["p50"]))
    lines = {k: sorted(v) for k, v in lines.items()}
    if not lines or max(len(v) for v in lines.values()) < 2:
        return []
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for (name, pts), c in zip(sorted(lines.items()), colours(len(lines))):
        ax.plot([s for s, _ in pts], [max(v, 1) for _, v in pts], marker="o", color=c,
                linestyle="--" if "one time" in name else "-", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted({s for v in lines.values() for s, _ in v}))
    ax.set_xticklabels([size(s) + "iB" for s in ax.get_xticks()])
    ns_axis(ax)
    return finish(fig, ax, base, f"p50 against mapped memory ({title(doc)})",
                  "memory mapped in each IOAS", "p50 latency")


def scaling_dims(doc, base):
    """p50 of the steady ops against devices and against threads, where the
    document has more than one value of them."""
    panels = []
    for dim, other in (("devices", {"threads": 1}), ("threads", {})):
        lines = {}
        for r in doc["records"]:
            if r["phase"] != "steady":
                continue
            fixed = {k: v for k, v in DEFAULT.items() if k not in (dim, "devices", "threads")}
            if not all(r["point"][k] == v for k, v in fixed.items()):
                continue
            if any(r["point"][k] != v for k, v in other.items()):
                continue
            if dim == "threads" and r["point"]["devices"] != r["point"]["threads"] and \
                    r["point"]["threads"] != 1:
                continue
            if dim == "threads" and r["point"]["threads"] == 1 and r["point"]["devices"] != 1:
                continue
            name = f'{r["scenario"]}/{r["op"]} {size(r["point"]["size"])}'
            lines.setdefault(name, {})[r["point"][dim]] = r["stats"]["p50"]
        lines = {k: sorted(v.items()) for k, v in lines.items() if len(v) > 1}
        if lines:
            panels.append((dim, lines))
    if not panels:
        return []
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False)
    for ax, (dim, lines) in zip(axes[0], panels):
        for (name, pts), c in zip(sorted(lines.items()), colours(len(lines))):
            ax.plot([x for x, _ in pts], [v for _, v in pts], marker="o", color=c, label=name)
        ns_axis(ax)
        ax.set_xlabel(f"{dim} (each replaced in turn)" if dim == "devices"
                      else "threads replacing at once (one device each)")
        ax.set_xticks(sorted({x for v in lines.values() for x, _ in v}))
        ax.set_ylabel("p50 latency")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Scaling with devices and threads ({title(doc)})")
    out = save(fig, base)
    plt.close(fig)
    return out


def compare(rows, path, old, new, n_old, n_new):
    """Each p50 row: the change of the median, and the range the boots of
    the two sides allow (lowest new over highest old to the reverse)."""
    ext = image_format(path, "--plot ", "png")
    rows = [r for r in rows if r["stat"] == "p50"]
    rows.sort(key=lambda r: r["change"])
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 0.28 * len(rows) + 1.6))
    col = {"slower": "#c0392b", "faster": "#1e8449", "same": "#7f8c8d"}
    for i, r in enumerate(rows):
        lo = min(r["new"]) / max(max(r["old"]), 1) - 1
        hi = max(r["new"]) / max(min(r["old"]), 1) - 1
        c = col[r["verdict"]]
        ax.plot([lo * 100, hi * 100], [i, i], color=c, linewidth=3, alpha=0.5)
        ax.plot([r["change"] * 100], [i], "o", color=c)
        ax.plot([-r["threshold"] * 100, r["threshold"] * 100], [i, i], "|", color="black",
                markersize=7)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["record"] for r in rows], fontsize=7)
    ax.set_xscale("symlog", linthresh=1)
    from matplotlib.ticker import FuncFormatter
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+g} %" if v else "0"))
    ax.set_xlabel("change of the p50 median, new against old (%); bar: range over "
                  "boots; |: threshold")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"B {new} ({n_new} boots) against A {old} ({n_old} boots): "
                 "red slower, green faster, grey same", fontsize=9)
    out = save(fig, path, (ext,))
    plt.close(fig)
    return out


def trend(history, scenario, path, plat=DEFAULT_PLATFORM):
    """p50 of each of a scenario's records over the runs in history of one
    architecture and page size (a line without them is DEFAULT_PLATFORM)."""
    ext = image_format(path, "")
    lines = {}
    runs = [r for r in read_history(history) if own_platform(r) == plat]
    for i, run in enumerate(runs):
        for name, v in run["p50_ns"].items():
            if name.split("/")[0] == scenario:
                lines.setdefault(name, []).append((i, v, run))
    if not lines:
        fail(f"no {' '.join(plat)} run in {history} has scenario '{scenario}'")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 5))
    # A line never joins runs of two builds (or modes, ways of booting,
    # clocks): a step there is not one the kernel's code made.
    era = [(r.get("kernel_build"), r.get("mode"), guest(r), r.get("clock", "monotonic")) for r in runs]
    for i in range(1, len(runs)):
        if era[i] != era[i - 1]:
            ax.axvline(i - 0.5, color="grey", linestyle=":", linewidth=1)
            ax.annotate(era[i][0], (i - 0.5, 1), xycoords=("data", "axes fraction"),
                        rotation=90, fontsize=6, va="top", ha="right", color="grey")
    for (name, pts), c in zip(sorted(lines.items()), colours(len(lines))):
        segment = []
        for n, pt in enumerate(pts):
            segment.append(pt)
            if n + 1 == len(pts) or era[pts[n + 1][0]] != era[pt[0]]:
                ax.plot([i for i, _, _ in segment], [v for _, v, _ in segment], marker="o",
                        color=c, label=name if segment[0] is pts[0] else None)
                segment = []
    ax.set_xticks(range(len(runs)))
    ax.set_xticklabels([f'{r.get("date", "")[:16]}\n{r.get("kernel_release", "")}\n'
                        f'{r.get("mode", "")}' for r in runs], fontsize=6, rotation=90)
    ns_axis(ax)
    return finish(fig, ax, path[:-len(ext) - 1], f"{scenario}: p50 over {len(runs)} runs",
                  "run (date, kernel, mode)", "p50 latency")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    run = sub.add_parser("run", help="latency CDFs, scaling with memory, devices and threads")
    run.add_argument("bench", metavar="BENCH.json")
    run.add_argument("outdir", metavar="OUTDIR")
    tr = sub.add_parser("trend", help="a scenario's p50 over the runs of one platform")
    tr.add_argument("history", metavar="HISTORY.jsonl")
    tr.add_argument("scenario")
    tr.add_argument("out", metavar="OUT.png|svg")
    tr.add_argument("arch", nargs="?", help=f"default {DEFAULT_PLATFORM[0]}")
    tr.add_argument("page_size", nargs="?", help=f"default {DEFAULT_PLATFORM[1]}")
    args = ap.parse_args()
    if args.what == "trend" and (args.arch is None) != (args.page_size is None):
        ap.error("trend: give both ARCH and PAGE_SIZE, or neither")
    return args


def main():
    args = parse_args()
    if args.what == "run":
        doc = load(args.bench)
        if not os.path.isdir(args.outdir):
            fail(f"{args.outdir} is not a directory")
        out = []
        for name, fn in (("cdf", cdf), ("scaling-memory", scaling_memory),
                         ("scaling-devices-threads", scaling_dims)):
            out += fn(doc, os.path.join(args.outdir, name))
        if not out:
            fail(f"{args.bench} has no record to draw")
    else:
        plat = (args.arch, args.page_size) if args.arch else DEFAULT_PLATFORM
        out = trend(args.history, args.scenario, args.out, plat)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
