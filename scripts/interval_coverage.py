#!/usr/bin/env python3
"""Checks that verdict's 95% bootstrap intervals cover the true value about 95% of the time.

Simulates many test sets of a single-label task whose true accuracy is known, scores each with
the release binary, and counts how often `intervals.summary.label_accuracy` contains the truth:
- independent examples, resampled as examples;
- examples in clusters that share a difficulty (clips of one game), resampled as examples
  (expected to under-cover) and with --cluster-by (expected to cover).

Not part of the test suite (it runs the binary hundreds of times); run it after changing the
resampling code:
    cargo build --release && python3 scripts/interval_coverage.py
"""

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

BINARY = Path(__file__).resolve().parent.parent / "target" / "release" / "verdict"
TRUE_ACCURACY = 0.8
DATASETS = 300
EXAMPLES = 200
CLUSTER_SIZE = 10


def write_dataset(directory, rng, clustered):
    expected, predictions = [], []
    for c in range(EXAMPLES // CLUSTER_SIZE):
        # Clustered: each game has its own accuracy, spread around the true mean (Beta, mean 0.8).
        p = rng.betavariate(8, 2) if clustered else TRUE_ACCURACY
        for k in range(CLUSTER_SIZE):
            i = c * CLUSTER_SIZE + k
            right = rng.random() < p
            expected.append({"id": f"g{c:03d}-{k:02d}", "game": f"g{c:03d}", "expected": {"label": "yes"}})
            predictions.append({"id": f"g{c:03d}-{k:02d}", "output": {"label": "yes" if right else "no"}})
    (directory / "eval.toml").write_text('label = "/label"\nlabels = ["yes", "no"]\n')
    (directory / "expected.jsonl").write_text("".join(json.dumps(e) + "\n" for e in expected))
    (directory / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in predictions))


def covered(directory, seed, extra):
    out = directory / "out"
    subprocess.run(
        [str(BINARY), "score", str(directory), "--quiet", "--seed", str(seed), "--out", str(out), *extra],
        check=True,
    )
    interval = json.loads((out / "report.json").read_text())["intervals"]["summary"]["label_accuracy"]
    return interval["low"] <= TRUE_ACCURACY <= interval["high"]


def main():
    if not BINARY.exists():
        sys.exit("build the release binary first: cargo build --release")
    rng = random.Random(20261124)
    cases = [
        ("independent examples, resampled as examples", False, []),
        ("clustered examples, resampled as examples", True, []),
        ("clustered examples, --cluster-by game", True, ["--cluster-by", "game"]),
    ]
    for name, clustered, extra in cases:
        hits = 0
        for run in range(DATASETS):
            with tempfile.TemporaryDirectory() as tmp:
                directory = Path(tmp)
                write_dataset(directory, rng, clustered)
                hits += covered(directory, run, extra)
        print(f"{name}: {hits}/{DATASETS} = {hits / DATASETS:.3f} coverage")


if __name__ == "__main__":
    main()
