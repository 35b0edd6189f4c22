#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The trackers' own formats of one run: KCIDB, Bencher BMF, LKP, SQUAD
metadata; each validated against its schema in bench/schema/ before it is
written, and readable back with --check.

usage: trackers.py [--meta KEY=VALUE]... [--tap NAME=FILE]... [--bench FILE]
                   --run ID [--kcidb FILE] [--bmf FILE] [--lkp FILE]
                   [--metadata FILE]
       trackers.py --check DIR

--kcidb     KCIDB v5.3 JSON: the kernel's checkout and build, each selftest
            a PASS, FAIL or SKIP test under iommufd_replace.<program>,
            each bench figure a DONE test with number {value, unit: ns}
            under iommufd_replace.bench.<scenario>.<op>.<point>.<phase>.<stat>,
            one per boot
--bmf       Bencher Metric Format: {"iommufd-replace/<record>": {"latency":
            {"value": p50, "lower_value": min, "upper_value": p99}}} (ns;
            of several boots the median p50, least min, greatest p99)
--lkp       LKP stats lines, "iommufd-replace.<record>.p50_ns: 2463" (the
            boots' median) and
            "iommufd-replace.<program>.<test>.pass: 1"
--metadata  SQUAD's metadata of a submission: the identity, key to string
--check     validate DIR's kcidb.json, bmf.json and lkp.txt (those there)

The identity (kernel commit, describe, dirty, patch and config sha256, the
suite's commit, the machine) is bench.json's meta where the run has one,
else the --meta pairs run.sh gives. Exit 2 with one line on bad input.
"""
import argparse
import hashlib
import json
import os
import re
import statistics
import sys

from benchdoc import (BMF_SCHEMA, KCIDB_SCHEMA, LKP_SCHEMA, boots, fail, key, point_name,
                      validate, write_whole)

ORIGIN = "iommufd_replace"
PREFIX = "iommufd-replace"
STATS = ("p50", "p90", "p99")
TAP_RESULT = re.compile(r"^# (not )?ok [0-9]+ (\S+)(.*)$")
TAP_PROGRAM = re.compile(r"^(not )?ok [0-9]+ (?:selftests: [^:]+: )?(\S+)(.*)$")


def tap_results(path):
    """(program, test, status, comment) of each result of a kselftest TAP
    file, counted as scripts/verdict.sh's tap_counts counts them: each
    nested result, and a program that failed with none of its own (a
    crash, a timeout) as one failure of the program."""
    out, nested = [], []
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    for line in lines:
        m = TAP_RESULT.match(line)
        if m:
            skip = "# SKIP" in m.group(3)
            status = "SKIP" if skip else "FAIL" if m.group(1) else "PASS"
            why = re.sub(r"^SKIP\s*", "", m.group(3).strip(" #"))
            nested.append((m.group(2), status, why))
            continue
        m = TAP_PROGRAM.match(line)
        if not m:
            continue
        prog = m.group(2)
        out += [(prog, test, status, why) for test, status, why in nested]
        if m.group(1) and not any(s == "FAIL" for _, s, _ in nested):
            out.append((prog, None, "FAIL", m.group(3).strip(" #")))
        nested = []
    return out


def component(text):
    """A part of a KCIDB path or LKP key: no dots, no spaces."""
    return re.sub(r"[^A-Za-z0-9_+-]", "_", text)


def test_parts(prog, test):
    """A selftest's path below the suite: its program, then its harness
    name (fixture.variant.test), the fixture dropped where it is the
    program's name."""
    parts = test.split(".") if test else []
    if parts[:1] == [prog]:
        parts = parts[1:]
    return [component(p) for p in [prog] + parts]


def record_parts(rec):
    return [rec["scenario"], rec["op"], point_name(rec["point"], "_")]


def checkout_of(meta):
    commit = meta.get("kernel_commit", "unknown")
    patch = meta.get("kernel_patch_sha256", "unknown")
    git = re.fullmatch(r"[0-9a-f]{40}", commit) is not None
    ident = commit if git else meta.get("kernel_build", "unknown")
    c = {"id": f"{ORIGIN}:{ident}", "origin": ORIGIN, "valid": True,
         "comment": f'{meta.get("kernel_source", "unknown")} '
                    f'({meta.get("kernel_describe", "unknown") if git else "not a git tree"})',
         "misc": {k: meta.get(k, "unknown") for k in
                  ("kernel_source", "kernel_version", "kernel_dirty",
                   "kernel_patch_sha256")}}
    if git:
        c["git_commit_hash"] = commit
        c["git_commit_name"] = meta.get("kernel_describe", commit)
    if re.fullmatch(r"[0-9a-f]{64}", patch):
        c["patchset_hash"] = hashlib.sha256((patch + "\n").encode()).hexdigest()
    elif patch == "none":
        c["patchset_hash"] = ""
    return c


def build_of(meta, checkout):
    build = meta.get("kernel_build", "unknown")
    return {"id": f"{ORIGIN}:{build}", "origin": ORIGIN, "checkout_id": checkout["id"],
            "architecture": component(meta.get("arch", "x86_64")).lower(),
            "compiler": meta.get("kernel_compiler", "unknown"),
            "config_name": f'iommufd-replace, .config sha256 '
                           f'{meta.get("kernel_config_sha256", "unknown")[:12]}',
            "status": "PASS",
            "misc": {"kernel_build": build,
                     "kernel_config_sha256": meta.get("kernel_config_sha256", "unknown")}}


def environment(meta):
    mode = meta.get("mode", "unknown")
    return {"comment": f'{meta.get("qemu_version", "no emulator")}, {mode} '
                       f'(icount {meta.get("icount", "off")}), '
                       f'{meta.get("vcpus", "?")} vCPUs, {meta.get("guest_mem_mib", "?")} MiB, '
                       f'host {meta.get("host_cpu", "unknown")}',
            "misc": {k: meta[k] for k in ("mode", "icount", "qemu_version", "host_cpu",
                                          "vcpus", "guest_mem_mib", "page_size")
                     if k in meta}}


def by_record(docs):
    """Each record's stats in every document (the boots of one side), in
    the first document's order."""
    out = {}
    for doc in docs:
        for r in doc["records"]:
            out.setdefault(key(r), (r, []))[1].append(r["stats"])
    return out.values()


def kcidb(meta, taps, docs, run):
    checkout = checkout_of(meta)
    build = build_of(meta, checkout)
    env = environment(meta)
    misc = {"suite_rev": meta.get("suite_rev", "unknown"), "run": run}
    tests = []

    def test(path, status, id_suffix="", **more):
        t = {"id": f"{ORIGIN}:{run}:{path}{id_suffix}", "origin": ORIGIN, "build_id": build["id"],
             "path": path, "status": status, "environment": env, "misc": misc}
        if meta.get("date"):
            t["start_time"] = meta["date"]
        t.update(more)
        tests.append(t)

    for name, results in taps:
        for prog, name_of_test, status, why in results:
            parts = [ORIGIN] + test_parts(prog, name_of_test)
            more = {"comment": why} if why else {}
            test(".".join(parts), status, **more)
    for boot, doc in enumerate(docs, 1):
        for r in doc["records"]:
            base = [ORIGIN, "bench"] + [component(p) for p in record_parts(r) + [r["phase"]]]
            for stat in STATS:
                test(".".join(base + [stat]), "DONE", id_suffix=f":boot{boot}",
                     number={"value": r["stats"][stat], "unit": "ns"})
    if docs:
        for n in docs[0]["not_run"]:
            test(".".join([ORIGIN, "bench", component(n["scenario"]),
                           component(point_name(n["point"], "_"))]),
                 "FAIL" if n["fails"] else "SKIP", comment=n["reason"])
    out = {"version": {"major": 5, "minor": 3}, "checkouts": [checkout],
           "builds": [build], "tests": tests}
    validate(out, KCIDB_SCHEMA, "the KCIDB report")
    return out


def bmf(docs):
    """value: the median of the boots' p50; lower_value the least minimum,
    upper_value the greatest p99 of any boot."""
    out = {}
    for r, stats in by_record(docs):
        name = "/".join([PREFIX] + record_parts(r) + [r["phase"]])
        out[name] = {"latency": {
            "value": statistics.median(s["p50"] for s in stats),
            "lower_value": min(s["min"] for s in stats),
            "upper_value": max(s["p99"] for s in stats)}}
    validate(out, BMF_SCHEMA, "the BMF report")
    return out


def lkp_lines(taps, docs):
    lines = []
    for name, results in taps:
        counts = {"pass": 0, "fail": 0, "skip": 0}
        for prog, test, status, _ in results:
            word = status.lower()
            counts[word] += 1
            parts = [PREFIX] + test_parts(prog, test)
            lines.append(f'{".".join(parts)}.{word}: 1')
        lines += [f"{PREFIX}.{name}.{k}: {v}" for k, v in counts.items()]
    for r, stats in by_record(docs):
        base = ".".join([PREFIX] + [component(p) for p in record_parts(r) + [r["phase"]]])
        lines += [f'{base}.{stat}_ns: {statistics.median(s[stat] for s in stats):g}'
                  for stat in STATS]
    text = "\n".join(lines) + "\n"
    validate(lkp_object(text, "the LKP lines"), LKP_SCHEMA, "the LKP lines")
    return text


def lkp_object(text, where):
    """LKP lines as an object (what its stats step makes of them); a line
    that is not key: number, or a key twice, is bad input."""
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        key, sep, value = line.partition(": ")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or number is None:
            fail(f"{where} line {n} is not 'key: number': {line[:80]}")
        if key in out:
            fail(f"{where} line {n} repeats {key}")
        out[key] = number
    return out


def check(directory):
    """Validate what a run wrote (exit 2 naming the file that is not)."""
    seen = []
    for name, schema in (("kcidb.json", KCIDB_SCHEMA), ("bmf.json", BMF_SCHEMA)):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            try:
                with open(path) as f:
                    doc = json.load(f)
            except (OSError, ValueError) as e:
                fail(f"{path} is not JSON ({e})")
            validate(doc, schema, path)
            seen.append(name)
    path = os.path.join(directory, "lkp.txt")
    if os.path.exists(path):
        with open(path) as f:
            validate(lkp_object(f.read(), path), LKP_SCHEMA, path)
        seen.append("lkp.txt")
    if not seen:
        fail(f"{directory} holds none of kcidb.json, bmf.json, lkp.txt")
    print(f"{directory}: {', '.join(seen)} valid")


def pairs(items, what):
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"{what} {item!r}: not KEY=VALUE")
        out.append((key, value))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--tap", action="append", default=[], metavar="NAME=FILE")
    ap.add_argument("--bench", metavar="FILE|DIR", help="a bench.json, or a side's boots")
    ap.add_argument("--run", metavar="ID")
    for out in ("kcidb", "bmf", "lkp", "metadata"):
        ap.add_argument(f"--{out}", metavar="FILE")
    ap.add_argument("--check", metavar="DIR")
    args = ap.parse_args()
    if args.check:
        check(args.check)
        return 0
    if not args.run:
        fail("--run ID is needed: what makes the tests' ids unique")
    meta = dict(pairs(args.meta, "--meta"))
    docs = [d for _, d in boots(args.bench)] if args.bench else []
    if docs:
        meta.update(docs[0]["meta"])
    taps = [(name, tap_results(path)) for name, path in pairs(args.tap, "--tap")]
    if args.kcidb:
        write_whole(args.kcidb, json.dumps(kcidb(meta, taps, docs, args.run), indent=1) + "\n")
    if args.bmf and docs:
        write_whole(args.bmf, json.dumps(bmf(docs), indent=1) + "\n")
    if args.lkp and (docs or taps):
        write_whole(args.lkp, lkp_lines(taps, docs))
    if args.metadata:
        write_whole(args.metadata, json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
