#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of compare's thresholds and verdict rules (bench/README.md,
"Repeatability" and "Verdicts"), on noise tables and records made here:
`python3 -m unittest -q test_compare` in bench/ (make check's quick tier,
`compare-thresholds`)."""
import contextlib
import io
import json
import os
import tempfile
import unittest

import compare

POINT = {"size": 1 << 20, "areas": 1, "devices": 1, "threads": 1,
         "mem_node": -1, "cpu_node": -1, "load": "none", "pages": "small"}


def rec(scenario, phase, p50, op="replace", **point):
    """A record of a bench document with its stats."""
    return {"scenario": scenario, "op": op, "phase": phase,
            "point": dict(POINT, **point),
            "stats": {"p50": p50, "p90": p50, "p99": p50, "count": 500}}


def noise_rec(scenario, phase, lo, hi, op="replace", tails=None):
    r = {"scenario": scenario, "op": op, "phase": phase, "point": dict(POINT),
         "boots": 20, "p50_min": lo, "p50_max": hi}
    for stat, (tlo, thi) in (tails or {}).items():
        r[stat + "_min"], r[stat + "_max"] = tlo, thi
    return r


class TableCase(unittest.TestCase):
    """A noise table of TABLE written to a file, and its Noise."""

    TABLE = {}

    def setUp(self):
        fd, self.path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(self.TABLE, f)
        self.noise = compare.Noise(self.path, ("x86_64", "4k"))

    def tearDown(self):
        os.unlink(self.path)


class NoiseTable(TableCase):
    """Thresholds from a table written here: each class's rule."""

    TABLE = {"schema": compare.NOISE_SCHEMA, "mode": "icount", "boots": 20,
             "arch": "x86_64", "page_size": "4k", "records": [
                 # The hot path: one step of 26 ns, its p99 182 ns.
                 noise_rec("hwpt_hwpt", "steady", 2463, 2489,
                           tails={"p99": (2463, 2645)}),
                 # Steady from 20 us: a move of its own, 10 %.
                 noise_rec("hwpt_ioas", "steady", 100000, 110000, op="to_ioas"),
                 # One-time: a short one moved by 50 us, a long one 3 %.
                 noise_rec("hwpt_hwpt", "one_time", 200000, 250000,
                           op="leave_auto_domain"),
                 noise_rec("hwpt_ioas", "one_time", 10000000, 10300000,
                           op="leave_auto_domain"),
             ]}

    def test_hot_path_one_boot(self):
        r = rec("hwpt_hwpt", "steady", 2463)
        self.assertAlmostEqual(self.noise.threshold(r, "p50", 2463), 1.5 * 26 / 2463)

    def test_hot_class_applies_to_a_record_not_in_the_table(self):
        r = rec("cross_ioas", "steady", 2775)
        self.assertAlmostEqual(self.noise.threshold(r, "p50", 2775), 1.5 * 26 / 2775)

    def test_never_below_the_floor(self):
        r = rec("cross_ioas", "steady", 19000)
        self.assertEqual(self.noise.threshold(r, "p50", 19000), compare.Noise.FLOOR)

    def test_tail_from_its_own_step(self):
        r = rec("hwpt_hwpt", "steady", 2463)
        self.assertAlmostEqual(self.noise.threshold(r, "p99", 2463), 1.5 * 182 / 2463)

    def test_steady_long_record_own_move(self):
        r = rec("hwpt_ioas", "steady", 100000, op="to_ioas")
        self.assertAlmostEqual(self.noise.threshold(r, "p50", 100000), 1.5 * 0.1)

    def test_steady_long_record_without_its_own_takes_its_class(self):
        r = rec("dirty", "steady", 50000, op="into_dirty")
        self.assertAlmostEqual(self.noise.threshold(r, "p50", 50000), 1.5 * 0.1)

    def test_one_time_short_moves_by_ticks(self):
        r = rec("cross_ioas", "one_time", 200000, op="leave_auto_domain")
        self.assertAlmostEqual(self.noise.threshold(r, "p50", 200000), 1.5 * 50000 / 200000)

    def test_one_time_long_moves_by_a_share(self):
        r = rec("cross_ioas", "one_time", 20000000, op="leave_auto_domain")
        self.assertAlmostEqual(self.noise.threshold(r, "p50", 20000000), 1.5 * 0.03)

    def test_several_boots_hot_p50_floor(self):
        r = rec("hwpt_hwpt", "steady", 2463)
        self.assertEqual(self.noise.multi_threshold(r, "p50", 2463),
                         compare.Noise.MULTI_HOT_FLOOR)
        # The tails keep their one-boot rule.
        self.assertAlmostEqual(self.noise.multi_threshold(r, "p99", 2463), 1.5 * 182 / 2463)

    def test_platform_must_match(self):
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            compare.Noise(self.path, ("arm64", "64k"))


class SealedTable(TableCase):
    """A sealed guest's table, samples read from the TSC: a record whose
    floor repeated exactly in every boot of it is called changed on one
    instruction; its p50 and every record that moved keep the class
    rules; runs of another build, guest or machine are warned about."""

    TABLE = {"schema": compare.NOISE_SCHEMA, "mode": "icount", "boots": 20,
             "arch": "x86_64", "page_size": "4k", "guest": "sealed",
             "kernel_build": "6.12.118-aaaa", "sources": ["6.12.118-aaaa"],
             "machine": {"qemu_version": "QEMU 7.2", "host_cpu": "Xeon"},
             "timing": {"clock": "tsc", "vcpus": "1"},
             "records": [
                 noise_rec("hwpt_hwpt", "steady", 2470, 2576,
                           tails={"p99": (2470, 2561), "p5": (2470, 2470)}),
                 noise_rec("hwpt_ioas", "steady", 326100, 393890, op="to_ioas"),
             ]}

    def side(self, build="6.12.118-aaaa", guest="sealed", cpu="Xeon", clock="tsc", vcpus="1"):
        return {"build": build, "guest": guest,
                "machine": {"qemu_version": "QEMU 7.2", "host_cpu": cpu},
                "timing": {"clock": clock, "vcpus": vcpus}}

    def test_exact_floor_any_move_past_the_resolution(self):
        r = rec("hwpt_hwpt", "steady", 2470)
        self.assertAlmostEqual(self.noise.threshold(r, "p5", 2470), 0.5 / 2470)
        self.assertAlmostEqual(self.noise.multi_threshold(r, "p5", 2470), 0.5 / 2470)
        # Its p50 moved by a whole 106 ns in the table: the class rule.
        self.assertAlmostEqual(self.noise.threshold(r, "p50", 2470), 1.5 * 106 / 2470)

        def judged(new):
            b = dict(r, samples_ns=[new] * 200)
            a = dict(r, samples_ns=[2470] * 200)
            return compare.judge(r, "p5", [a], [b], lambda rr, st, val, m:
                                 self.noise.threshold(rr, st, val), False)["verdict"]
        # One instruction is a change.
        self.assertEqual(judged(2471), "slower")
        self.assertEqual(judged(2470), "same")

    def test_exact_floor_of_a_side_is_its_fastest_boot(self):
        r = rec("hwpt_hwpt", "steady", 2470)

        def judged(old, new):
            a = [dict(r, samples_ns=[v] * 200) for v in old]
            b = [dict(r, samples_ns=[v] * 200) for v in new]
            return compare.judge(r, "p5", a, b, lambda rr, st, val, m:
                                 self.noise.multi_threshold(rr, st, val), False, exact=True)
        # One boot a step up, on either side, is not a change ...
        self.assertEqual(judged([2470, 2470], [2470, 2576])["verdict"], "same")
        self.assertEqual(judged([2470, 2576], [2470, 2470])["verdict"], "same")
        # ... and hides none: 2 ns on both boots of a side, one of them stepped.
        row = judged([2470, 2576], [2472, 2472])
        self.assertEqual((row["verdict"], row["old_median"], row["centre"]), ("slower", 2470, "min"))
        self.assertEqual(judged([2470, 2470], [2472, 2578])["verdict"], "slower")

    def test_another_build_has_no_exact_floor(self):
        r = rec("hwpt_hwpt", "steady", 2470)
        other = compare.Noise(self.path, ("x86_64", "4k"), "6.12.118-bbbb")
        self.assertEqual(other.threshold(r, "p5", 2470), compare.Noise.FLOOR)
        self.assertEqual(other.multi_threshold(r, "p5", 2470), compare.Noise.MULTI_HOT_FLOOR)
        own = compare.Noise(self.path, ("x86_64", "4k"), "6.12.118-aaaa")
        self.assertAlmostEqual(own.threshold(r, "p5", 2470), 0.5 / 2470)

    def test_a_moving_record_keeps_its_move(self):
        r = rec("hwpt_ioas", "steady", 326100, op="to_ioas")
        self.assertAlmostEqual(self.noise.threshold(r, "p50", 326100), 1.5 * (393890 / 326100 - 1))
        # A tail that moved: its step, not zero; one that did not: the floor.
        r = rec("hwpt_hwpt", "steady", 2470)
        self.assertAlmostEqual(self.noise.threshold(r, "p99", 2470), 1.5 * 91 / 2470)
        self.assertEqual(self.noise.threshold(r, "p90", 2470), compare.Noise.FLOOR)

    def test_foreign_runs(self):
        self.assertIsNone(self.noise.foreign(self.side()))
        self.assertIn("build 6.12.118-bbbb", self.noise.foreign(self.side(build="6.12.118-bbbb")))
        self.assertIsNone(self.noise.foreign(self.side(build="6.12.118-bbbb"), check_build=False))
        self.assertIn("a shared guest", self.noise.foreign(self.side(guest="shared")))
        self.assertIn("machine EPYC", self.noise.foreign(self.side(cpu="EPYC")))
        self.assertIn("clock monotonic, vCPUs 1, the table's clock tsc",
                      self.noise.foreign(self.side(clock="monotonic")))
        self.assertIn("vCPUs 2, the table's clock tsc, vCPUs 1", self.noise.foreign(self.side(vcpus="2")))

    def test_table_file_per_guest(self):
        self.assertTrue(compare.noise_table(("x86_64", "4k"), "sealed").endswith(
            "noise-icount-sealed.json"))
        self.assertTrue(compare.noise_table(("arm64", "64k")).endswith(
            "noise-icount-arm64-64k.json"))


class SealedMonotonicTable(TableCase):
    """A sealed table from before the TSC clock (no timing: samples from
    CLOCK_MONOTONIC, two TSC reads each rounded to ns): floors 1 ns apart
    are one, and two instructions are a change."""

    TABLE = dict(SealedTable.TABLE, records=[
        noise_rec("hwpt_hwpt", "steady", 2470, 2470, tails={"p5": (2469, 2470)})])
    del TABLE["timing"]

    def test_exact_floor_at_the_nanosecond(self):
        r = rec("hwpt_hwpt", "steady", 2470)
        self.assertAlmostEqual(self.noise.threshold(r, "p5", 2470), 1.5 / 2470)


class LeastFloor(TableCase):
    """A sealed table's hot floor that a few boots read a step up: exact in
    the least of several boots a side, not from one."""

    TABLE = dict(SealedTable.TABLE, records=[
        # Floors a step up in one boot of 20, and in three.
        dict(noise_rec("make_before_break", "steady", 6542, 6568,
                       op="alloc+replace+destroy", tails={"p5": (6542, 6568)}),
             p5_at_min=19),
        dict(noise_rec("ste_switch", "steady", 5315, 5421,
                       op="alloc+replace", tails={"p5": (5315, 5421)}),
             p5_at_min=17),
    ])

    def test_a_floor_stepping_up_in_few_boots_is_exact_in_the_least(self):
        mbb = rec("make_before_break", "steady", 6542, op="alloc+replace+destroy")
        self.assertFalse(self.noise.exact_floor(mbb, "p5"))
        self.assertTrue(self.noise.exact_floor(mbb, "p5", multi=True))
        self.assertAlmostEqual(self.noise.multi_threshold(mbb, "p5", 6542), 0.5 / 6542)
        # Three boots of twenty a step up are more than a tenth.
        ste = rec("ste_switch", "steady", 5315, op="alloc+replace")
        self.assertFalse(self.noise.exact_floor(ste, "p5", multi=True))


class Verdict(unittest.TestCase):
    """judge(): the change, the threshold and, from several boots a side,
    the sides apart."""

    def judge(self, old, new, thr=0.01):
        r = rec("hwpt_hwpt", "steady", old[0])
        a = [rec("hwpt_hwpt", "steady", v) for v in old]
        b = [rec("hwpt_hwpt", "steady", v) for v in new]
        return compare.judge(r, "p50", a, b, lambda *_: thr, False)

    def test_one_boot_past_the_threshold(self):
        self.assertEqual(self.judge([1000], [1020])["verdict"], "slower")
        self.assertEqual(self.judge([1000], [980])["verdict"], "faster")
        self.assertEqual(self.judge([1000], [1005])["verdict"], "same")

    def test_several_boots_must_be_apart(self):
        # The medians differ by 2 %, but one boot of B is among A's.
        self.assertEqual(self.judge([1000, 1000, 1001], [1000, 1020, 1020])["verdict"], "same")
        self.assertEqual(self.judge([1000, 1000, 1001], [1020, 1020, 1021])["verdict"], "slower")

    def test_several_boots_threshold_grows_with_their_spread(self):
        # A side whose boots spread by 10 % needs more than 15 %.
        row = self.judge([1000, 1100, 1050], [1200, 1210, 1220])
        self.assertAlmostEqual(row["threshold"], 1.5 * 0.1)
        self.assertEqual(row["verdict"], "slower")
        row = self.judge([1000, 1100, 1050], [1150, 1160, 1170])
        self.assertEqual(row["verdict"], "same")


class RealTable(unittest.TestCase):
    """The table compare uses by default: the one-boot hot-path threshold
    bench/README.md states (1.6 % at 2463 ns)."""

    def test_hot_path_threshold(self):
        noise = compare.Noise(compare.NOISE_TABLE, ("x86_64", "4k"))
        thr = noise.threshold(rec("hwpt_hwpt", "steady", 2463), "p50", 2463)
        self.assertGreater(thr, 0.015)
        self.assertLess(thr, 0.017)


class FloorCount(unittest.TestCase):
    """noise.py counts the boots at the least floor, and merges a base's."""

    def test_count_and_merge(self):
        import noise
        e = {}
        noise.count_at_min(e, [2470, 2576, 2471], 1)
        self.assertEqual(e["p5_at_min"], 2)
        e["p5_min"] = 2470
        noise.count_at_min(e, [2470, 2470], 1)
        self.assertEqual(e["p5_at_min"], 4)
        # A base whose least was a step up counts for nothing.
        noise.count_at_min(e, [2400], 1)
        self.assertEqual(e["p5_at_min"], 1)
        # A base table without the count leaves it unknown.
        old = {"p5_min": 2470}
        noise.count_at_min(old, [2470], 1)
        self.assertNotIn("p5_at_min", old)
        # Read from the TSC, a floor one instruction up is up.
        tsc = {}
        noise.count_at_min(tsc, [2470, 2471, 2470], 0)
        self.assertEqual(tsc["p5_at_min"], 2)


if __name__ == "__main__":
    unittest.main()
