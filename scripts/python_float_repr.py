#!/usr/bin/env python3
"""Regenerates tests/fixtures/anls/float_repr.jsonl: doubles (as their IEEE-754 bits) and
Python's repr of each, which ANLS* compares numbers by, so the Rust formatting can be checked
against Python without Python in CI.

The set mixes random bit patterns, short decimals at every scale, both sides of the 1e-4 and
1e16 switches between positional and scientific text, and halfway cases: doubles whose exact
value lies midway between two shortest 17-digit texts, which Python rounds to even.

Usage (once, any Python 3):
    python3 scripts/python_float_repr.py
"""

import json
import math
import random
import struct
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "anls" / "float_repr.jsonl"


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def is_tie(x):
    """Whether x lies exactly midway between two 17-significant-digit decimals."""
    digits = Decimal(x).as_tuple().digits
    return len(digits) == 18 and digits[-1] == 5 and len(repr(abs(x)).replace(".", "").lstrip("0")) >= 17


def main():
    rng = random.Random(8)
    values = []
    while len(values) < 2000:
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x) and x != 0.0:
            values.append(x)
    for _ in range(2000):
        values.append(rng.randrange(2_000_000) / 10 ** rng.randrange(24) * rng.choice([1, -1]))
    for edge in [1e-4, 1e16, 1e-5, 1e15]:
        x = edge
        for _ in range(3):
            x = math.nextafter(x, 0.0)
        for _ in range(7):
            values.append(x)
            values.append(-x)
            x = math.nextafter(x, math.inf)
    # Quarters between 2^50 and 2^53 have 16 whole digits and a fraction .25 or .75: their
    # 17-digit texts tie, as 1763179833540377.25 does.
    for _ in range(1000):
        values.append((rng.randrange(2**52, 2**55) * 0.25 + 0.25 * rng.choice([1, 3]))
                      * rng.choice([1, -1]))
    ties = sum(1 for x in values if is_tie(x))
    with OUT.open("w") as out:
        for x in values:
            out.write(json.dumps([str(bits(x)), repr(x)]) + "\n")
    print(f"{len(values)} doubles written to {OUT}, {ties} of them halfway cases")


if __name__ == "__main__":
    main()
