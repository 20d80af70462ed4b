#!/usr/bin/env python3
"""The Poisson bootstrap's weights, computed independently of verdict's Rust code, from the
description in docs/metrics.md ("Intervals"): stream = the first 8 bytes (little-endian) of
SHA-256("verdict poisson bootstrap\0" + seed as 8 little-endian bytes + unit key); the weight
of replicate r is output r of SplitMix64 started at the stream, inverted against Poisson(1)'s
distribution function (thresholds worked out with 80-digit decimals).

    scripts/poisson_weights.py SEED REPLICATES KEY...   # one line per replicate
"""
import sys
import hashlib, struct, math
from decimal import Decimal, getcontext
getcontext().prec = 80
M = (1 << 64) - 1
G = 0x9E3779B97F4A7C15
def stream(seed, key):
    d = hashlib.sha256(b"verdict poisson bootstrap\0" + struct.pack("<Q", seed) + key.encode()).digest()
    return struct.unpack("<Q", d[:8])[0]
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
e = Decimal(1).exp(); cdf = []; c = Decimal(0); f = Decimal(1)
for k in range(20):
    if k: f *= k
    c += 1 / (e * f); cdf.append(int(c * 2**64))
def weight(s, r):
    u = mix((s + (r + 1) * G) & M)
    return sum(1 for t in cdf if u >= t)
if __name__ == "__main__":
    seed, replicates, keys = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    for r in range(replicates):
        print(" ".join(str(weight(stream(seed, k), r)) for k in keys))
