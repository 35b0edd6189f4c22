# SPDX-License-Identifier: GPL-2.0
"""Reading replace_bench documents: shared by compare.py and noise.py."""
import json
import math
import os
import sys

SCHEMA = "iommufd-replace-bench/1"


def fail(msg):
    """Bad input: one line, exit 2 (exit 1 means a regression)."""
    prog = os.path.basename(sys.argv[0]).removesuffix(".py")
    print(f"{prog}: error: {msg}", file=sys.stderr)
    sys.exit(2)


def load(path, schema=SCHEMA, what="a replace_bench document"):
    try:
        with open(path) as f:
            doc = json.load(f)
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    except ValueError as e:
        fail(f"{path} is not JSON ({e})")
    if not isinstance(doc, dict) or doc.get("schema") != schema:
        fail(f"{path} is not {what} (schema {schema})")
    if not isinstance(doc.get("records"), list):
        fail(f"{path} has no records")
    return doc


def key(rec):
    """What identifies a record across documents: scenario, op, phase, point."""
    p = rec["point"]
    return (rec["scenario"], rec["op"], rec["phase"], p["size"], p["areas"],
            p["devices"], p["threads"], p["mem_node"], p["cpu_node"],
            p["load"], p.get("pages", "small"))


def percentile(sorted_samples, p):
    if not sorted_samples:
        return 0
    i = max(0, math.ceil(p / 100 * len(sorted_samples)) - 1)
    return sorted_samples[i]


def spread(rec):
    """(p90 - p10) / p50 of a record's samples, None when too few."""
    s = sorted(rec.get("samples_ns", []))
    if len(s) < 8 or not percentile(s, 50):
        return None
    return (percentile(s, 90) - percentile(s, 10)) / percentile(s, 50)
