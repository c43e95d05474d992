#!/usr/bin/env python3
"""jsoncmp.py - compare AdmissionReview answers as JSON values.

Key order does not matter. A response.patch that is a base64 string is
decoded to its JSON value first (on both sides), so that an expected answer
may hold the patch as a readable JSON array.

    tests/jsoncmp.py EXPECTED.json ACTUAL.json   # exit 0 if equal, else 1
"""
import base64
import binascii
import copy
import json
import sys


def normalize(v):
    """A copy of v with response.patch decoded from base64 where it is."""
    v = copy.deepcopy(v)
    if isinstance(v, dict) and isinstance(v.get("response"), dict):
        r = v["response"]
        if isinstance(r.get("patch"), str):
            try:
                r["patch"] = json.loads(base64.b64decode(r["patch"], validate=True))
            except (binascii.Error, ValueError):
                pass  # left as it is: the comparison shows it
    return v


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def diff(a, b, path="", out=None, limit=10):
    """Differences between JSON values a (expected) and b (actual)."""
    if out is None:
        out = []
    if len(out) >= limit:
        return out
    where = path or "/"
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            p = f"{path}/{k}"
            if k not in b:
                out.append(f"{p}: missing (want {json.dumps(a[k])[:200]})")
            elif k not in a:
                out.append(f"{p}: unexpected {json.dumps(b[k])[:200]}")
            else:
                diff(a[k], b[k], p, out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: want {len(a)} items, got {len(b)}: "
                       f"want {json.dumps(a)[:300]}, got {json.dumps(b)[:300]}")
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                diff(x, y, f"{path}/{i}", out, limit)
    elif _number(a) and _number(b):
        if a != b:
            out.append(f"{where}: want {json.dumps(a)}, got {json.dumps(b)}")
    elif type(a) is not type(b) or a != b:
        out.append(f"{where}: want {json.dumps(a)[:200]}, got {json.dumps(b)[:200]}")
    return out


def compare(expected, actual):
    """List of differences after normalizing both (empty when equal)."""
    return diff(normalize(expected), normalize(actual))


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        a = json.load(f)
    with open(argv[2]) as f:
        b = json.load(f)
    d = compare(a, b)
    for line in d:
        print(line)
    return 1 if d else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
