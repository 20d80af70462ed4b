#!/usr/bin/env python3
"""Checks that verdict's 95% bootstrap intervals cover the true value about 95% of the time.

Simulates many test sets of a single-label task whose true rates are known, scores each with
the verdict binary (its streaming Poisson bootstrap), and counts how often the intervals of
every headline metric the task has contain the truth. An output is strict JSON with
probability 0.9 (`json_valid_strict`, `json_valid`, `json_recoverable`: 0.9, `schema_valid`
does not apply) and, when it is, names the right label with probability p (`label_accuracy`, `exact_match`
and `anls_star`, 1 for the right label and 0 for "no" against "yes": 0.9 · 0.8 = 0.72). The
macro and weighted averages over the declared labels have no simple true value here (the label
"no" is never expected) and are not checked. Cases:
- independent examples, resampled as examples;
- examples in clusters that share p (clips of one game; p ~ Beta(8, 2), mean 0.8), resampled as
  examples (expected to under-cover) and with --cluster-by game (expected to cover);
- small independent sets, where the Poisson bootstrap's random total (a replicate's examples
  number Poisson(n), not n) could matter: beside verdict's coverage, the coverage of a
  multinomial percentile bootstrap (n draws with replacement) computed here on the same data.

Not part of the test suite (it runs the binary thousands of times); run it after changing the
resampling code:
    cargo build --release && python3 scripts/interval_coverage.py [DATASETS]
VERDICT=path/to/verdict picks another binary.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

BINARY = Path(
    os.environ.get("VERDICT", Path(__file__).resolve().parent.parent / "target" / "release" / "verdict")
)
VALID = 0.9
MEAN_RIGHT = 0.8
TRUTH = {
    "label_accuracy": VALID * MEAN_RIGHT,
    "exact_match": VALID * MEAN_RIGHT,
    "anls_star": VALID * MEAN_RIGHT,
    "json_valid_strict": VALID,
    "json_valid": VALID,
    "json_recoverable": VALID,
}
CLUSTER_SIZE = 10
REPLICATES = 1000


def write_dataset(directory, rng, examples, clustered):
    """Writes a test set; returns each example's (strict JSON, right) for the reference bootstrap."""
    expected, predictions, outcomes = [], [], []
    for c in range((examples + CLUSTER_SIZE - 1) // CLUSTER_SIZE):
        p = rng.betavariate(8, 2) if clustered else MEAN_RIGHT
        for k in range(min(CLUSTER_SIZE, examples - c * CLUSTER_SIZE)):
            key = f"g{c:03d}-{k:02d}"
            valid = rng.random() < VALID
            right = valid and rng.random() < p
            expected.append({"id": key, "game": f"g{c:03d}", "expected": {"label": "yes"}})
            output = {"label": "yes" if right else "no"} if valid else "not json"
            predictions.append({"id": key, "output": output})
            outcomes.append((valid, right))
    (directory / "eval.toml").write_text('label = "/label"\nlabels = ["yes", "no"]\n')
    (directory / "expected.jsonl").write_text("".join(json.dumps(e) + "\n" for e in expected))
    (directory / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in predictions))
    return outcomes


def covered(directory, seed, extra):
    """Per metric: whether verdict's interval holds the truth."""
    out = directory / "out"
    # The label "no" is never expected: its warning would be printed for every test set.
    run = subprocess.run(
        [str(BINARY), "score", str(directory), "--quiet", "--seed", str(seed), "--out", str(out), *extra],
        stderr=subprocess.PIPE,
        text=True,
    )
    if run.returncode != 0:
        sys.exit(f"verdict failed on a simulated test set:\n{run.stderr}")
    intervals = json.loads((out / "report.json").read_text())["intervals"]["summary"]
    return {
        metric: intervals[metric]["low"] <= truth <= intervals[metric]["high"]
        for metric, truth in TRUTH.items()
    }


def percentile(values, q):
    values = sorted(values)
    position = q * (len(values) - 1)
    lo = int(position)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (position - lo) * (values[hi] - values[lo])


def multinomial_covers(rng, outcomes):
    """label_accuracy's multinomial percentile interval (draws with replacement) holds the truth."""
    n = len(outcomes)
    rights = [1 if right else 0 for _, right in outcomes]
    values = [sum(rng.choices(rights, k=n)) / n for _ in range(REPLICATES)]
    return percentile(values, 0.025) <= TRUTH["label_accuracy"] <= percentile(values, 0.975)


def main():
    if not BINARY.exists():
        sys.exit(f"build the binary first ({BINARY}): cargo build --release")
    datasets = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rng = random.Random(20261206)
    cases = [
        ("independent examples, 200, resampled as examples", 200, False, []),
        ("clustered examples, 20 x 10, resampled as examples", 200, True, []),
        ("clustered examples, 20 x 10, --cluster-by game", 200, True, ["--cluster-by", "game"]),
        ("clustered examples, 50 x 10, --cluster-by game", 500, True, ["--cluster-by", "game"]),
        ("independent examples, 50", 50, False, []),
        ("independent examples, 20", 20, False, []),
    ]
    print(f"{datasets} test sets a case; coverage of the 95% intervals (target 0.93-0.97)")
    for name, examples, clustered, extra in cases:
        hits = dict.fromkeys(TRUTH, 0)
        reference = 0
        for run in range(datasets):
            with tempfile.TemporaryDirectory() as tmp:
                directory = Path(tmp)
                outcomes = write_dataset(directory, rng, examples, clustered)
                for metric, hit in covered(directory, run, extra).items():
                    hits[metric] += hit
                if not clustered:
                    reference += multinomial_covers(rng, outcomes)
        shown = ", ".join(f"{m} {h / datasets:.3f}" for m, h in hits.items())
        line = f"{name}: {shown}"
        if not clustered:
            line += f"; multinomial label_accuracy {reference / datasets:.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
