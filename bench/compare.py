#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Compare replace_bench runs: kernel A (old) against kernel B (new).

usage: compare.py [options] OLD NEW

OLD and NEW are each a bench.json, or a directory with one bench.json per
boot (./run.sh compare-kernels writes them so). Per record it compares
p50, p90, p99 and, under icount, the floor p5 (the fastest twentieth of a
steady record's samples) across the boots of each side (bench/README.md,
"Verdicts"), prints a table with the changes at the top and a verdict.

Exit status: 0 no regression, 1 a regression (or a record that one side
lacks, unless --allow-missing), 2 bad input.
"""
import argparse
import json
import os
import re
import statistics
import sys

from benchdoc import (COMPARE_SCHEMA, DEFAULT_PLATFORM, FLOOR_STAT, NOISE_SCHEMA,
                      boots, fail, guest, key, label, load, machine, own_platform, platform,
                      resolution_ns, timing, stat_value, write_whole)

HERE = os.path.dirname(os.path.abspath(__file__))
NOISE_TABLE = os.path.join(HERE, "noise-icount.json")


def noise_table(plat, kind="shared"):
    """The measured noise of a platform and a way of booting:
    bench/noise-icount.json for x86_64 with 4k pages, noise-icount-ARCH-
    PAGESIZE.json for others; -sealed before .json for a sealed guest."""
    name = "noise-icount" if plat == DEFAULT_PLATFORM else f"noise-icount-{plat[0]}-{plat[1]}"
    return os.path.join(HERE, name + ("-sealed" if kind == "sealed" else "") + ".json")
# Wall-clock documents: the host's load moves everything by far more than
# icount's per-boot steps (bench/README.md, "Modes and the clock").
NOISY = 0.10
# Tails compared where a record has this many samples a boot.
TAIL_MIN_COUNT = {"p90": 20, "p99": 200}


class Noise:
    """How far a record moves between boots of one kernel under icount, as
    measured by noise.py over an A/A set (bench/noise-icount.json), and
    the thresholds that follow from it (bench/README.md, "Repeatability").

    With one boot a side, a record is called changed only past MARGIN
    times the largest move seen between any two measured boots, never
    below FLOOR, and never below the largest move of its class, since
    what one record showed once can happen to any record of its kind: the
    hot path (steady records of a few microseconds) moves by whole
    per-boot steps of a few dozen instructions, other steady records
    (allocating, filling a domain) by a share of their cost, one-time
    records (single samples) by whole timer ticks where they are short and
    by a share of their cost where long. The class comes from the record's
    cost, never from how its samples spread within one run.

    With several boots a side, a change must also separate the sides (no
    boot of one within the range of the other), and a whole per-boot
    step then has to land on every boot of one side and on none of the
    other to look like one: so the hot path's p50 is called changed from
    MULTI_HOT_FLOOR on, above its 6-instruction steps (0.24 %) and below
    the 0.5 % the tracker must see."""

    MARGIN = 1.5
    FLOOR = 0.005
    MULTI_HOT_FLOOR = 0.004
    HOT_NS = 20000
    SHORT_ONE_TIME_NS = 1000000

    def __init__(self, path, plat, build=None):
        table = load(path, NOISE_SCHEMA, "a noise table")
        measured = own_platform(table)
        if measured != plat:
            fail(f"{path} was measured on {' '.join(measured)}, the runs on {' '.join(plat)}")
        self.path, self.table = path, table
        # A sealed guest's record whose floor (FLOOR_STAT) repeated in
        # every boot of the table, to the clock's resolution, is called
        # changed on any move past that resolution: two instructions
        # added to what it times are seen with one boot a side. (A sample
        # is two TSC reads converted to ns, each rounded: a difference
        # can read one ns under, in a share of samples that depends on
        # the boot.) Not its p50: in a few boots, from some sample of a
        # record on, every sample takes a few steps more (106 ns on the
        # hot path), which moves the p50 and leaves the floor; nor its
        # tails, where a timer tick lands in some boots and not in others.
        # Exactness was measured of the table's builds: of another (the
        # old side's @build), a record's class rules hold.
        self.exact = guest(table) == "sealed" and build in (None, *self.builds())
        self.resolution = resolution_ns(timing(table))
        self.exact_keys, self.least_keys = set(), set()
        self.boots = table["boots"]
        self.moves = {}
        self.step = {s: 0.0 for s in ("p50", "p90", "p99", FLOOR_STAT)}
        self.tick_ns = self.rel_steady = self.rel_one_time = 0.0
        for r in table["records"]:
            for stat in ("p50", "p90", "p99", FLOOR_STAT):
                lo, hi = r.get(stat + "_min"), r.get(stat + "_max")
                if lo is None or lo <= 0:
                    continue
                self.moves[key(r) + (stat,)] = hi / lo - 1
                if stat == FLOOR_STAT:
                    if hi - lo <= self.resolution:
                        self.exact_keys.add(key(r))
                    if self.least_exact(r):
                        self.least_keys.add(key(r))
                    if r["phase"] == "steady" and lo < self.HOT_NS:
                        self.step[stat] = max(self.step[stat], hi - lo)
                elif stat != "p50":
                    # Tails of the hot path: how far a periodic kernel
                    # event moves them between boots.
                    if r["phase"] == "steady" and lo < self.HOT_NS:
                        self.step[stat] = max(self.step[stat], hi - lo)
                elif r["phase"] == "one_time":
                    if lo < self.SHORT_ONE_TIME_NS:
                        self.tick_ns = max(self.tick_ns, hi - lo)
                    else:
                        self.rel_one_time = max(self.rel_one_time, hi / lo - 1)
                elif lo < self.HOT_NS:
                    self.step["p50"] = max(self.step["p50"], hi - lo)
                else:
                    self.rel_steady = max(self.rel_steady, hi / lo - 1)

    def builds(self):
        return self.table.get("sources") or [self.table.get("kernel_build", "unknown")]

    def foreign(self, side, check_build=True):
        """Why the table may not hold for a side's runs, or None: another
        build (steps and absolute numbers belong to one), another way of
        booting, another machine."""
        t = self.table
        why = []
        if check_build and side["build"] not in self.builds():
            why.append(f"build {side['build']}, the table's {', '.join(self.builds())}")
        if side["guest"] != guest(t):
            why.append(f"a {side['guest']} guest, the table's {guest(t)}")
        if "timing" in t and side["timing"] != t["timing"]:
            why.append("clock {clock}, vCPUs {vcpus}".format(**side["timing"]) +
                       ", the table's clock {clock}, vCPUs {vcpus}".format(**t["timing"]))
        if "machine" in t and side["machine"] != t["machine"]:
            why.append(f"machine {side['machine']['host_cpu']} under {side['machine']['qemu_version']}, "
                       f"the table's {t['machine']['host_cpu']} under {t['machine']['qemu_version']}")
        return "; ".join(why) or None

    def least_exact(self, r):
        """A hot floor that only a few boots of the table read higher
        (steps up, at most a tenth of them and one in a table of three or
        more): exact in the least of several boots a side."""
        boots, at = r.get("boots", 0), r.get("p5_at_min")
        if at is None or r["phase"] != "steady" or r[FLOOR_STAT + "_min"] >= self.HOT_NS:
            return False
        return at >= boots - (max(1, boots // 10) if boots >= 3 else 0)

    def exact_floor(self, rec, stat, multi=False):
        """Whether @rec's floor is judged at the clock's resolution: from one
        boot a side where every boot of the table read it, from several
        where the least of them did (judge() takes each side's least)."""
        keys = self.least_keys | self.exact_keys if multi else self.exact_keys
        return self.exact and stat == FLOOR_STAT and key(rec) in keys

    def hot(self, rec, value):
        return rec["phase"] == "steady" and value < self.HOT_NS

    def threshold(self, rec, stat, value, multi=False):
        """The relative change that counts from one boot a side (@multi:
        the exact floors of several)."""
        value = max(value, 1)
        own = self.moves.get(key(rec) + (stat,))
        if self.exact_floor(rec, stat, multi):
            # Half a nanosecond above the resolution: from the TSC one
            # instruction counts, from CLOCK_MONOTONIC two (1 ns not).
            return (self.resolution + 0.5) / value
        if rec["phase"] == "one_time":
            move = max(self.rel_one_time, self.tick_ns / value)
        elif value < self.HOT_NS:
            move = self.step[stat] / value
        else:
            # Its own measured move where the table has it, else its class's.
            move = self.rel_steady if own is None else 0
        move = max(move, own or 0)
        return max(self.FLOOR, self.MARGIN * move)

    def multi_threshold(self, rec, stat, value):
        """The relative change that counts from several boots a side."""
        if stat in ("p50", FLOOR_STAT) and self.hot(rec, value) and \
                not self.exact_floor(rec, stat, True):
            return self.MULTI_HOT_FLOOR
        return self.threshold(rec, stat, value, True)


WARNED = set()


def warn_once(msg):
    """msg on stderr, once a process (power.py compares many times)."""
    if msg not in WARNED:
        WARNED.add(msg)
        print(msg, file=sys.stderr)


def spread(values):
    return max(values) / max(min(values), 1) - 1


def mann_whitney_p(a, b):
    """Two-sided p of the Mann-Whitney U test (scipy): one run a side,
    outside icount, on the raw samples."""
    if len(a) < 8 or len(b) < 8:
        return 1.0
    from scipy.stats import mannwhitneyu
    if a == b:
        return 1.0
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def side(path, name):
    """The boots of one side, read from path (a bench.json or a directory)."""
    return side_of(boots(path), f"{name} side {path}")


def side_of(docs, what):
    """The boots of one side, [(path, document)]: their records by key, and
    their mode and kernel, which must be one each."""
    modes = {d["meta"].get("mode", "unknown") for _, d in docs}
    if len(modes) > 1:
        fail(f"{what} mixes modes {sorted(modes)}")
    builds = {d["meta"].get("kernel_build", "unknown") for _, d in docs}
    if len(builds) > 1:
        fail(f"{what} mixes kernels {sorted(builds)}")
    plats = {platform(d) for _, d in docs}
    if len(plats) > 1:
        fail(f"{what} mixes platforms {sorted(' '.join(p) for p in plats)}")
    guests = {guest(d) for _, d in docs}
    if len(guests) > 1:
        fail(f"{what} mixes guests {sorted(guests)} (run.sh --sealed, --unsealed)")
    clocks = {timing(d)["clock"] for _, d in docs}
    if len(clocks) > 1:
        fail(f"{what} mixes clocks {sorted(clocks)} (replace_bench --clock)")
    recs = {}
    for _, d in docs:
        for r in d["records"]:
            recs.setdefault(key(r), []).append(r)
    return {"docs": docs, "mode": modes.pop(), "recs": recs,
            "build": builds.pop(), "platform": plats.pop(), "n": len(docs),
            "guest": guests.pop(), "machine": machine(docs[0][1]),
            "timing": timing(docs[0][1])}


def judge(rec, stat, a_recs, b_recs, thr_of, wallclock, exact=False):
    """One row: the per-boot values of each side and what they say. An
    exact floor's side is its fastest boot: a boot's floor moves only up,
    by a state some boots start a record with (bench/README.md, "The
    sealed guest"), so the least of two boots is the kernel's unless both
    drew that state."""
    a = [stat_value(r, stat) for r in a_recs]
    b = [stat_value(r, stat) for r in b_recs]
    centre = min if exact else statistics.median
    ma, mb = centre(a), centre(b)
    change = mb / max(ma, 1) - 1
    multi = len(a) > 1 and len(b) > 1
    if exact:
        thr = thr_of(rec, stat, ma, multi)
        apart_up = apart_down = True
        p = None
    elif multi:
        thr = max(thr_of(rec, stat, ma, True), Noise.MARGIN * max(spread(a), spread(b)))
        apart_up, apart_down = min(b) > max(a), max(b) < min(a)
        p = None
    else:
        thr = thr_of(rec, stat, ma, False)
        apart_up = apart_down = True
        p = None
        if wallclock and rec["phase"] == "steady":
            p = mann_whitney_p(a_recs[0]["samples_ns"], b_recs[0]["samples_ns"])
            apart_up = apart_down = p < 0.01
    verdict = "same"
    if apart_up and change > thr:
        verdict = "slower"
    elif apart_down and change < -thr:
        verdict = "faster"
    return {"record": label(rec), "stat": stat, "old": a, "new": b,
            "centre": centre.__name__, "old_median": ma, "new_median": mb, "change": change,
            "threshold": thr, "p": p, "verdict": verdict}


def compare(old, new, threshold=None, noise_path=None):
    """The rows of two sides (side_of()), with what is missing: one fixed
    relative threshold, or (None) thresholds from the noise table at
    noise_path (None: the runs' platform's)."""
    icount = old["mode"] == new["mode"] == "icount"
    wallclock = not icount
    noise = None
    if icount and threshold is None:
        path = noise_path or noise_table(old["platform"], old["guest"])
        if not noise_path and not os.path.exists(path) and old["guest"] == "sealed":
            warn_once(f"compare: warning: no noise measured of a sealed guest on "
                      f"{' '.join(old['platform'])} ({os.path.basename(path)}); "
                      "thresholds from the shared guest's table")
            path = noise_table(old["platform"])
        if not os.path.exists(path):
            # Another platform's steps are not this one's; the default
            # table's classes are still a better guess than none.
            print(f"compare: warning: no noise measured on {' '.join(old['platform'])} "
                  f"({os.path.basename(path)}); thresholds from the "
                  f"{' '.join(DEFAULT_PLATFORM)} table",
                  file=sys.stderr)
            path = NOISE_TABLE
            noise = Noise(path, DEFAULT_PLATFORM)
        else:
            noise = Noise(path, old["platform"], old["build"])
        # The thresholds are the old side's build's: the new side is
        # another build whenever two kernels are compared.
        for name, sd in (("old", old), ("new", new)):
            why = noise.foreign(sd, check_build=name == "old")
            if why:
                warn_once(f"compare: warning: {os.path.basename(noise.path)} may not hold for "
                          f"the {name} side: {why} (bench/README.md, \"The sealed guest\")")
                break

    if old["timing"]["clock"] != new["timing"]["clock"]:
        warn_once(f"compare: warning: the old side read the {old['timing']['clock']} clock, "
                  f"the new side the {new['timing']['clock']}: their numbers differ by the clock")

    def thr_of(rec, stat, value, multi):
        if threshold is not None:
            return threshold
        if noise:
            return (noise.multi_threshold if multi else noise.threshold)(rec, stat, value)
        return NOISY

    rows, missing = [], []
    for k in sorted(set(old["recs"]) | set(new["recs"])):
        a, b = old["recs"].get(k), new["recs"].get(k)
        if not a or not b:
            r = (a or b)[0]
            missing.append({"record": label(r),
                            "only_in": "old" if a else "new",
                            "boots": len(a or b)})
            continue
        for stat in ("p50", "p90", "p99"):
            if stat != "p50" and (a[0]["phase"] == "one_time" or
                                  min(r["stats"]["count"] for r in a + b) < TAIL_MIN_COUNT[stat]):
                continue
            rows.append(judge(a[0], stat, a, b, thr_of, wallclock))
        # The floor, under icount (a wall clock's floor is the host's).
        if icount and all(stat_value(r, FLOOR_STAT) is not None for r in a + b):
            multi = len(a) > 1 and len(b) > 1
            exact = threshold is None and noise is not None and \
                noise.exact_floor(a[0], FLOOR_STAT, multi)
            rows.append(judge(a[0], FLOOR_STAT, a, b, thr_of, wallclock, exact))
    # A record that is missing on one side of some boots only.
    partial = [label(v[0]) for s in (old, new) for v in s["recs"].values()
               if len(v) != s["n"]]
    return rows, missing, partial, noise


def fmt_values(values, centre="median"):
    if len(values) == 1:
        return f"{values[0]:.0f}"
    mark = "min " if centre == "min" else ""
    centre = min if centre == "min" else statistics.median
    return f"{mark}{centre(values):.0f} [{min(values):.0f}-{max(values):.0f}]"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", help="bench.json, or a directory of boots")
    ap.add_argument("new", help="bench.json, or a directory of boots")
    ap.add_argument("--threshold", type=float,
                    help="relative change that counts, for every record "
                         "(default: per record, from the measured noise)")
    ap.add_argument("--noise", metavar="TABLE.json",
                    help="icount between-boot noise measured by noise.py "
                         "(default: bench/noise-icount.json, or for another "
                         "architecture and page size noise-icount-ARCH-SIZE.json)")
    ap.add_argument("--allow-missing", action="store_true",
                    help="a record only one side has does not fail the verdict")
    ap.add_argument("--plot", metavar="FILE.png|svg", action="append", default=[],
                    help="draw the changes with their between-boot ranges "
                         "(repeatable: one file a format)")
    ap.add_argument("--json", metavar="FILE", help="write the rows and verdict as JSON")
    ap.add_argument("--all", action="store_true",
                    help="print every row, not only the changed and the p50s")
    ap.add_argument("--only", metavar="REGEX",
                    help="judge only the records whose name matches REGEX (as the table "
                         "prints it: scenario/op phase size ...); the others are left out")
    args = ap.parse_args()
    only = None
    if args.only:
        try:
            only = re.compile(args.only)
        except re.error as e:
            fail(f"--only {args.only!r}: {e}")
    if args.threshold is not None and not 0 <= args.threshold < 10:
        fail(f"--threshold {args.threshold}: give a fraction, e.g. 0.005 for 0.5 %")
    old, new = side(args.old, "old"), side(args.new, "new")
    if old["platform"] != new["platform"]:
        fail(f"old ran on {' '.join(old['platform'])}, new on {' '.join(new['platform'])}: "
             "compare runs of one architecture and page size")
    if old["mode"] != new["mode"]:
        print(f"compare: warning: modes differ ({old['mode']} vs {new['mode']}); "
              "changes mix clocks", file=sys.stderr)
    if "tcg-wallclock" in (old["mode"], new["mode"]):
        print("compare: warning: wall-clock TCG timings swing between boots; its "
              "verdicts are not reliable (bench/README.md, \"Detection power\"): "
              "use icount", file=sys.stderr)
    if only:
        for sd in (old, new):
            sd["recs"] = {k: v for k, v in sd["recs"].items() if only.search(label(v[0]))}
    rows, missing, partial, noise = compare(old, new, args.threshold, args.noise)
    if not rows:
        fail("the two sides share no scenario and point")
    # The changes first, the biggest slowdown at the top.
    order = {"slower": 0, "faster": 1, "same": 2}
    rows.sort(key=lambda r: (order[r["verdict"]], -r["change"]))
    print(f"{'record':<58} {'stat':<4} {'old':>22} {'new':>22} {'change':>8} "
          f"{'thresh':>6}  verdict")
    for r in rows:
        if not args.all and r["verdict"] == "same" and r["stat"] != "p50":
            continue
        print(f'{r["record"]:<58} {r["stat"]:<4} {fmt_values(r["old"], r["centre"]):>22} '
              f'{fmt_values(r["new"], r["centre"]):>22} {r["change"] * 100:>+7.2f}% '
              f'{r["threshold"] * 100:>5.1f}%  {r["verdict"]}')
    for m in missing:
        print(f'{m["record"]:<58} only in the {m["only_in"]} side '
              f'({m["boots"]} boot{"s" if m["boots"] > 1 else ""})')
    for name, s in (("old", old), ("new", new)):
        for _, d in s["docs"][:1]:
            for n in d["not_run"]:
                print(f'not run ({name}): {n["scenario"]} {n["reason"]}'
                      + (" (fails the run)" if n["fails"] else ""))
    slower = [r for r in rows if r["verdict"] == "slower"]
    faster = [r for r in rows if r["verdict"] == "faster"]
    missing_fails = bool(missing or partial) and not args.allow_missing
    regression = bool(slower) or missing_fails
    summary = (f"verdict: {'regression' if regression else 'no regression'}: "
               f"{len(slower)} slower, {len(faster)} faster, "
               f"{len(rows) - len(slower) - len(faster)} same"
               + (f", {len(missing)} on one side only" if missing else "")
               + (f", {len(partial)} missing from some boots" if partial else "")
               + f" ({old['n']} vs {new['n']} boots, mode {new['mode']}"
               + (f", thresholds from {noise.boots} boots of measured noise" if noise else "")
               + ")")
    if args.json:
        out = {"schema": COMPARE_SCHEMA, "old": old["build"],
               "new": new["build"], "boots": [old["n"], new["n"]],
               "mode": new["mode"], "regression": regression, "rows": rows,
               "missing": missing, "partial": partial, "summary": summary}
        write_whole(args.json, json.dumps(out, indent=1))
    for path in args.plot:
        import plot
        plot.compare(rows, path, old["build"], new["build"], old["n"], new["n"])
    print(summary)
    return 1 if regression else 0


if __name__ == "__main__":
    sys.exit(main())
