#!/usr/bin/env python3
"""Throughput of verdict.Scorer.score_many against a plain-Python per-example scorer and the
CLI's own per-example CPU time, on the basketball sample's outputs repeated to N examples.

Not a test: it prints figures (docs/performance.md, "Python per-example scoring").

    python scripts/bench_python.py [--examples 5120] [--rounds 3] [--verdict target/release/verdict]

Needs the verdict package installed in the running Python (maturin develop --release) and
jsonschema (pip install jsonschema) for the plain-Python scorer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jsonschema

import verdict

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "datasets" / "basketball"
SCHEMA = REPO / "schemas" / "basketball-events.schema.json"
TOLERANCE = 1.0  # [events] tolerance of the sample's eval.toml


def _line(location: str) -> dict:
    path, number = location.rsplit(":", 1)
    with open(REPO / path, encoding="utf-8") as f:
        for i, text in enumerate(f, 1):
            if i == int(number):
                return json.loads(text)
    raise SystemExit(f"{location}: no such line")


def sample_pairs(cli: Path) -> list:
    """The sample's (expected value, output text or None) pairs, joined as the CLI joins them."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [str(cli), "score", "datasets/basketball", "--out", out, "--bootstrap", "0", "-q", "--examples", "all"],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
        with open(Path(out) / "examples.jsonl", encoding="utf-8") as f:
            examples = [json.loads(line) for line in f]
    pairs = []
    for example in examples:
        turn = [t for t in _line(example["expected_line"])["contents"] if t.get("role") == "model"][-1]
        expected = json.loads("".join(p.get("text", "") for p in turn["parts"]))
        output = None
        if example["prediction_line"] is not None and example["tier"] != "failed":
            candidate = _line(example["prediction_line"])["response"]["candidates"][0]
            parts = candidate.get("content", {}).get("parts", [])
            output = "".join(p.get("text", "") for p in parts if not p.get("thought"))
        pairs.append((expected, output))
    return pairs


# --- the plain-Python scorer ------------------------------------------------------------

def _parse(text):
    """json.loads of the whole text, else of the value starting at its first bracket."""
    if text is None or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        starts = [i for i in (text.find("["), text.find("{")) if i >= 0]
        if not starts:
            return None
        try:
            return json.JSONDecoder().raw_decode(text[min(starts):])[0]
        except ValueError:
            return None


def _events(value):
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _time(event):
    t = event.get("timestamp_seconds")
    return float(t) if isinstance(t, (int, float)) and not isinstance(t, bool) else None


def _player(value):
    return " ".join(str(value).lower().split()) if value is not None else None


def plain_python_score(validator, expected, output):
    """One example: validity, schema errors, greedy matching within the tolerance (same label
    first, then the nearest time), tp/fp/fn/F1 and player field accuracy."""
    value = _parse(output)
    schema_errors = [e.message for e in validator.iter_errors(value)] if value is not None else []
    want = sorted(_events(expected), key=lambda e: _time(e) or 0.0)
    got = _events(value)
    used = [False] * len(got)
    tp = pairs = compared = correct = 0
    for e in want:
        te = _time(e)
        if te is None:
            continue
        best = None
        for j, p in enumerate(got):
            tp_ = _time(p)
            if used[j] or tp_ is None or abs(tp_ - te) > TOLERANCE:
                continue
            rank = (p.get("classification") != e.get("classification"), abs(tp_ - te))
            if best is None or rank < best[0]:
                best = (rank, j)
        if best is None:
            continue
        p = got[best[1]]
        used[best[1]] = True
        pairs += 1
        tp += p.get("classification") == e.get("classification")
        for field in ("player_a", "player_b"):
            a, b = _player(e.get(field)), _player(p.get(field))
            if a is not None or b is not None:
                compared += 1
                correct += a == b
    predicted, support = len(got), len(want)
    return {
        "valid_json": value is not None,
        "schema_errors": schema_errors,
        "tp": tp,
        "fp": predicted - tp,
        "fn": support - tp,
        "event_f1": 2 * tp / (predicted + support) if predicted + support else None,
        "field_accuracy": correct / compared if compared else None,
    }


# --- the measurements ---------------------------------------------------------------------

def best_and_median(run, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        cpu = time.process_time()
        run()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    walls = [w for w, _ in times]
    cpus = [c for _, c in times]
    return min(walls), statistics.median(walls), statistics.median(cpus)


def cli_cpu(cli: Path, pairs: list) -> tuple:
    """User and system CPU seconds and wall seconds of `verdict score --bootstrap 0` on the
    pairs as plain lines (joined by id), on one thread."""
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with open(work / "expected.jsonl", "w", encoding="utf-8") as e, open(work / "predictions.jsonl", "w", encoding="utf-8") as p:
            for i, (expected, output) in enumerate(pairs):
                e.write(json.dumps({"id": f"x{i}", "expected": expected}) + "\n")
                if output is not None:
                    p.write(json.dumps({"id": f"x{i}", "output": output}) + "\n")
        spec = (SAMPLE / "eval.toml").read_text(encoding="utf-8")
        spec = spec.replace('"../../schemas/basketball-events.schema.json"', json.dumps(str(SCHEMA)))
        (work / "eval.toml").write_text(spec, encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [str(cli), "score", str(work), "--out", str(work / "out"), "--bootstrap", "0", "-q", "--threads", "1"],
            check=True,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5120, help="examples scored (the sample repeated)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each measurement")
    parser.add_argument("--verdict", type=Path, default=REPO / "target" / "release" / "verdict", help="the CLI")
    args = parser.parse_args()

    base = sample_pairs(args.verdict)
    pairs = (base * (args.examples // len(base) + 1))[: args.examples]
    expected = [e for e, _ in pairs]
    outputs = [o for _, o in pairs]
    # A trainer always has a completion: an unanswered example is an empty one there. Its
    # dataset column holds the expected outputs as JSON text.
    completions = [o or "" for o in outputs]
    expected_texts = [json.dumps(e) for e in expected]
    n = len(pairs)
    scorer = verdict.Scorer(SAMPLE / "eval.toml")
    with open(SCHEMA, encoding="utf-8") as f:
        validator = jsonschema.Draft202012Validator(json.load(f))

    print(f"{n} examples (the basketball sample's {len(base)} repeated), {args.rounds} rounds; "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}")
    rows = []
    for label, run in [
        ("score_many, all threads", lambda: scorer.score_many(expected, outputs)),
        ("score_many, threads=1", lambda: scorer.score_many(expected, outputs, threads=1)),
        ("reward(event_f1), JSON text, all threads", lambda: scorer.reward("event_f1")(completions, expected=expected_texts)),
        ("score_one in a loop", lambda: [scorer.score_one(e, o) for e, o in pairs]),
        ("plain Python (json + jsonschema + greedy)", lambda: [plain_python_score(validator, e, o) for e, o in pairs]),
    ]:
        best, median, cpu = best_and_median(run, args.rounds)
        rows.append((label, n / median, n / best, 1e6 * cpu / n))
    user, system, wall = cli_cpu(args.verdict, pairs)
    plain = rows[-1][1]
    print(f"{'':44} {'examples/s':>12} {'(best)':>10} {'CPU µs/example':>15} {'vs plain Python':>16}")
    for label, median, best, cpu in rows:
        print(f"{label:44} {median:12,.0f} {best:10,.0f} {cpu:15.1f} {median / plain:15.1f}x")
    print(f"{'verdict score --bootstrap 0 --threads 1':44} {n / wall:12,.0f} {'':10} {1e6 * user / n:15.1f}"
          f"   (user CPU; system {1e6 * system / n:.1f} µs/example)")


if __name__ == "__main__":
    sys.exit(main())
