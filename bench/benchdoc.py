# SPDX-License-Identifier: GPL-2.0
"""The document formats of replace_bench and its tools, in one place: their
schema ids, the default platform, whole-file writes, reading a document
and reading the history. Shared by compare, noise, plot, metrics, power
and trend. Every input is validated against its JSON Schema in
bench/schema/ (python3-jsonschema) before anything reads a field of it, so
that a damaged or foreign file is one line and exit 2, never a traceback
(exit 1 is what a bot reads as a regression)."""
import json
import os
import sys

SCHEMA = "iommufd-replace-bench/3"
# The versions of a document a tool reads: the one it writes and the ones
# before it that it still understands (/2: the identity not required).
READS = {SCHEMA: (SCHEMA, "iommufd-replace-bench/2")}
KCIDB_SCHEMA = "kcidb/5.3"
BMF_SCHEMA = "bencher-bmf"
LKP_SCHEMA = "lkp-stats"
NOISE_SCHEMA = "iommufd-replace-noise/2"
HISTORY_SCHEMA = "iommufd-replace-history/1"
COMPARE_SCHEMA = "iommufd-replace-compare/1"
HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_FILES = {
    SCHEMA: "bench.schema.json",
    NOISE_SCHEMA: "noise.schema.json",
    HISTORY_SCHEMA: "history.schema.json",
    KCIDB_SCHEMA: "kcidb.schema.json",
    BMF_SCHEMA: "bmf.schema.json",
    LKP_SCHEMA: "lkp.schema.json",
}
# What a document that names no platform was measured on (before arm64).
DEFAULT_PLATFORM = ("x86_64", "4k")


def fail(msg):
    """Bad input: one line, exit 2 (exit 1 means a regression)."""
    prog = os.path.basename(sys.argv[0]).removesuffix(".py")
    print(f"{prog}: error: {msg}", file=sys.stderr)
    sys.exit(2)


def discard(path):
    """Removes path if it is there (a temporary file a failed write left)."""
    try:
        os.unlink(path)
    except OSError:
        pass


def write_with(path, write, tmp_suffix=".tmp"):
    """Has write(tmp) write a temporary file, then renames it to path, so
    that path is whole or absent; a write that fails (a full disk) is one
    line naming the file, and no file. tmp_suffix keeps an extension a
    writer reads the format from (matplotlib's savefig)."""
    tmp = path + tmp_suffix
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        discard(tmp)
        fail(f"cannot write {path}: {e.strerror}")


def write_whole(path, text):
    """Writes text to path whole (write_with)."""
    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)
    write_with(path, write)


def append_whole(path, text):
    """Appends text to path whole, or not at all (a line cut by a full
    disk would damage every later read of the file)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror}")
    start = os.fstat(fd).st_size
    try:
        data = text.encode()
        while data:
            data = data[os.write(fd, data):]
    except OSError as e:
        os.ftruncate(fd, start)
        fail(f"cannot write {path}: {e.strerror}")
    finally:
        os.close(fd)


_validators = {}


def _validator(schema):
    try:
        import jsonschema
    except ImportError:
        fail("python3-jsonschema is not installed (./run.sh installs it)")
    if schema not in _validators:
        with open(os.path.join(HERE, "schema", SCHEMA_FILES[schema])) as f:
            _validators[schema] = jsonschema.Draft202012Validator(json.load(f))
    return _validators[schema]


def _where(err):
    return "/".join(str(p) for p in err.absolute_path) or "the top level"


def load(path, schema=SCHEMA, what="a replace_bench document"):
    """The document at path, valid against schema, or exit 2 with one line."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    except ValueError as e:
        fail(f"{path} is not JSON ({e})")
    got = doc.get("schema") if isinstance(doc, dict) else None
    reads = READS.get(schema, (schema,))
    if got not in reads:
        family = schema.rsplit("/", 1)[0]
        if isinstance(got, str) and got.startswith(family + "/"):
            fail(f"{path} is {got}, this tool reads {' and '.join(reads)}: re-run "
                 "the bench that wrote it with this suite")
        fail(f"{path} is not {what} (schema {schema})")
    validate(doc, schema, path, got)
    return doc


def validate(doc, schema, where, version=None):
    """Exit 2 with one line unless doc is valid against schema (the
    document's own version, where it is an older one schema reads)."""
    err = next(iter(sorted(_validator(schema).iter_errors(doc),
                           key=lambda e: list(e.absolute_path))), None)
    if err is not None:
        fail(f"{where} is a damaged {version or schema} document: at {_where(err)}: "
             f"{err.message[:160]}")


def boots(path):
    """The documents a side of a comparison is made of: a bench.json, or a
    directory holding one bench.json per boot (at any depth), in name
    order."""
    if os.path.isdir(path):
        found = sorted(os.path.join(d, f) for d, _, fs in os.walk(path)
                       for f in fs if f == "bench.json")
        if not found:
            fail(f"{path} holds no bench.json")
        return [(p, load(p)) for p in found]
    return [(path, load(path))]


def own_platform(d):
    """The architecture and page size a noise table or a history line
    names; DEFAULT_PLATFORM for one from before arm64."""
    return d.get("arch", DEFAULT_PLATFORM[0]), d.get("page_size", DEFAULT_PLATFORM[1])


def guest(d):
    """How the guest of a document (its meta), a noise table or a history
    line was booted: sealed (run.sh --sealed: an initramfs, nothing of the
    host while it measures) or shared (the host's root over 9p; every
    document from before the sealed guest)."""
    meta = d.get("meta", d)
    return meta.get("guest", "shared")


def machine(d):
    """What ran a document (its meta) or a noise table: the emulator and
    the host CPU."""
    if "machine" in d:
        return d["machine"]
    meta = d.get("meta", {})
    return {k: meta.get(k, "unknown") for k in ("qemu_version", "host_cpu")}


def timing(d):
    """What a document's (its meta's) or a noise table's samples were read
    from and on how many vCPUs: the bench's clock (monotonic before the
    bench could read the TSC itself, --clock tsc) and the guest's vCPUs."""
    if "timing" in d:
        return d["timing"]
    meta = d.get("meta", {})
    return {"clock": meta.get("clock", "monotonic"), "vcpus": meta.get("vcpus", "unknown")}


# The fastest twentieth of a steady record's samples: its floor, what the
# timed path costs when nothing else lands in it. Computed from the
# samples (nearest rank), for a record of at least FLOOR_MIN_COUNT.
FLOOR_STAT = "p5"
FLOOR_MIN_COUNT = 20
# How close two floors are one, by the clock the samples were read from
# (timing()): a sample read from the TSC (replace_bench --clock tsc) is
# the difference of two instruction counts under icount, exact; one read
# from CLOCK_MONOTONIC is two TSC reads, each scaled to ns and rounded.
RESOLUTION_NS = {"tsc": 0, "monotonic": 1}


def resolution_ns(how):
    """The resolution of the clock a timing() names."""
    return RESOLUTION_NS[how["clock"]]


def stat_value(rec, stat):
    """A record's value of stat: its stats', or the floor from its samples
    (None where it has too few)."""
    if stat != FLOOR_STAT:
        return rec["stats"][stat]
    samples = rec.get("samples_ns") or []
    if rec["phase"] != "steady" or len(samples) < FLOOR_MIN_COUNT:
        return None
    return sorted(samples)[max(0, -(-len(samples) * 5 // 100) - 1)]


def platform(doc):
    """The architecture and page size a bench document was measured on
    (run.sh --arch, --page-size: its meta)."""
    return own_platform(doc.get("meta", {}))


def read_history(path):
    """The entries of a history.jsonl (metrics.py --history), each valid,
    or exit 2 with the line that is not."""
    runs = []
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                try:
                    run = json.loads(line)
                except ValueError:
                    fail(f"{path} line {n} is not JSON")
                if not isinstance(run, dict) or run.get("schema") != HISTORY_SCHEMA:
                    fail(f"{path} line {n} is not an {HISTORY_SCHEMA} entry")
                validate(run, HISTORY_SCHEMA, f"{path} line {n}")
                runs.append(run)
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    return runs


def iommu(p):
    """The IOMMU of a point's devices: "mock", or a real driver ("VT-d");
    documents from before the dimension had mock devices only."""
    return p.get("iommu", "mock")


def key(rec):
    """What identifies a record across documents: scenario, op, phase, point."""
    p = rec["point"]
    return (rec["scenario"], rec["op"], rec["phase"], iommu(p), p["size"],
            p["areas"], p["devices"], p["threads"], p["mem_node"],
            p["cpu_node"], p["load"], p["pages"])


def size(n):
    """Bytes as the bench's points name them: 4K, 1M, 1G."""
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << shift:
            return f"{n >> shift}{unit}"
    return str(n)


def point_name(p, sep=" "):
    """A point as a short name: its size and whatever is not the default."""
    parts = [size(p["size"])]
    parts += [iommu(p)] if iommu(p) != "mock" else []
    parts += [f"a{p['areas']}"] if p["areas"] != 1 else []
    parts += [f"d{p['devices']}"] if p["devices"] != 1 else []
    parts += [f"t{p['threads']}"] if p["threads"] != 1 else []
    if p["mem_node"] >= 0 or p["cpu_node"] >= 0:
        parts.append(f"m{p['mem_node']}c{p['cpu_node']}")
    parts += [p["load"]] if p["load"] != "none" else []
    parts += ["thp"] if p["pages"] == "thp" else []
    return sep.join(parts)


def label(rec):
    """One record in one line: scenario/op phase point."""
    return f'{rec["scenario"]}/{rec["op"]} {rec["phase"]} {point_name(rec["point"])}'
