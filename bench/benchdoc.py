# SPDX-License-Identifier: GPL-2.0
"""Reading replace_bench documents: shared by compare.py and noise.py."""
import json
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


def size(n):
    """Bytes as the bench's points name them: 4K, 1M, 1G."""
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << shift:
            return f"{n >> shift}{unit}"
    return str(n)
