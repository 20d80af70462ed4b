#!/usr/bin/env python3
"""Coverage of the 95% percentile interval of a clustered rate under Poisson(1) and
multinomial resampling of clusters, on the same simulated data, without verdict.

Answers one question of docs/metrics.md: at 20 clusters the interval of `--cluster-by` covers
a little under 0.95; would the exact multinomial bootstrap do better there? The data are
scripts/interval_coverage.py's clustered case (clusters of 10 sharing a p ~ Beta(8, 2); an
output is valid with probability 0.9 and right with probability p; the true rate 0.72), the
interval the same percentile interval verdict reports (linear interpolation between order
statistics).

    python3 scripts/cluster_bootstrap_reference.py [--sets 10000] [--clusters 20] [--seed 2]

Needs numpy. Not part of the test suite.
"""

import argparse

import numpy as np

VALID = 0.9
MEAN_RIGHT = 0.8
CLUSTER_SIZE = 10
REPLICATES = 1000


def percentile_interval(values):
    values = np.sort(values)
    ends = []
    for q in (0.025, 0.975):
        position = q * (len(values) - 1)
        lo = int(position)
        hi = min(lo + 1, len(values) - 1)
        ends.append(values[lo] + (values[hi] - values[lo]) * (position - lo))
    return ends


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=10000)
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    truth = VALID * MEAN_RIGHT
    covered = {"poisson": 0, "multinomial": 0}
    for _ in range(args.sets):
        p = rng.beta(8, 2, args.clusters)
        valid = rng.random((args.clusters, CLUSTER_SIZE)) < VALID
        right = valid & (rng.random((args.clusters, CLUSTER_SIZE)) < p[:, None])
        numerator = right.sum(axis=1).astype(float)
        weights = {
            "poisson": rng.poisson(1.0, (REPLICATES, args.clusters)),
            "multinomial": rng.multinomial(
                args.clusters, [1 / args.clusters] * args.clusters, REPLICATES
            ),
        }
        for method, w in weights.items():
            denominator = w.sum(axis=1) * CLUSTER_SIZE
            defined = denominator > 0
            values = (w @ numerator)[defined] / denominator[defined]
            low, high = percentile_interval(values)
            covered[method] += low <= truth <= high
    se = (0.95 * 0.05 / args.sets) ** 0.5
    print(f"{args.sets} test sets of {args.clusters} clusters of {CLUSTER_SIZE}; standard error about {se:.4f}")
    for method, hits in covered.items():
        print(f"  {method:12s} coverage {hits / args.sets:.4f}")


if __name__ == "__main__":
    main()
