#!/usr/bin/env python3
"""Regenerates tests/fixtures/anls/pairs.jsonl: varied (expected, predicted) JSON pairs and
their ANLS* score from the authors' `anls-star` package, so the Rust implementation can be
checked against it without Python in CI.

Usage (once, in any environment with the package):
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install anls-star
    /tmp/ref/bin/python scripts/anls_reference.py
"""

import json
import random
import warnings
from pathlib import Path

from anls_star import anls_score

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "anls" / "pairs.jsonl"
WORDS = ["refund", "shipping", "billing", "order 1234", "Acme Corp", "John Smith", "2024-05-01",
         "Player #7 (Gray)", "FG_MAKE", "high", "low", "Berlin", "café", "naïve résumé", ""]


def typo(rng, text):
    if not text or rng.random() < 0.3:
        return text
    chars = list(text)
    i = rng.randrange(len(chars))
    op = rng.choice(["swap", "drop", "case", "space", "replace"])
    if op == "drop":
        del chars[i]
    elif op == "case":
        chars[i] = chars[i].swapcase()
    elif op == "space":
        chars.insert(i, " ")
    elif op == "replace":
        chars[i] = rng.choice("xyzq")
    elif i + 1 < len(chars):
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def leaf(rng):
    kind = rng.choice(["word", "word", "int", "float", "bool", "null"])
    if kind == "word":
        return rng.choice(WORDS)
    if kind == "int":
        return rng.choice([0, 7, 42, 1234, -5, 100000])
    if kind == "float":
        return rng.choice([2848.5, 0.1, 3.14159, 1e-05, 1e16, 99.99, 1.0])
    if kind == "bool":
        return rng.choice([True, False])
    return None


def value(rng, depth):
    r = rng.random()
    if depth >= 3 or r < 0.45:
        return leaf(rng)
    if r < 0.7:
        return [value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    keys = rng.sample(["intent", "priority", "name", "sku", "qty", "items", "customer", "notes"], rng.randrange(0, 5))
    return {k: value(rng, depth + 1) for k in keys}


def perturb(rng, v):
    if rng.random() < 0.1:
        return value(rng, 1)  # something else entirely
    if isinstance(v, str):
        return typo(rng, v)
    if isinstance(v, bool) or v is None:
        return v if rng.random() < 0.8 else leaf(rng)
    if isinstance(v, (int, float)):
        return v if rng.random() < 0.6 else rng.choice([v + 1, v * 10, 2849.5, str(v)])
    if isinstance(v, list):
        items = [perturb(rng, x) for x in v if rng.random() > 0.15]
        if rng.random() < 0.3:
            items.append(value(rng, 2))
        rng.shuffle(items)
        return items
    out = {k: perturb(rng, x) for k, x in v.items() if rng.random() > 0.15}
    if rng.random() < 0.3:
        out[rng.choice(["extra", "notes", "confidence"])] = rng.choice([None, "", "?", 0.5, []])
    return out


def main():
    rng = random.Random(20261124)
    pairs = []
    while len(pairs) < 300:
        gt = value(rng, 0)
        pred = perturb(rng, gt) if rng.random() < 0.85 else value(rng, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                score = anls_score(gt, pred)
            except ValueError:
                continue  # the package rejects an empty list of alternatives against a string
        pairs.append({"expected": gt, "predicted": pred, "anls": score})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs))
    print(f"wrote {len(pairs)} pairs to {OUT}")


if __name__ == "__main__":
    main()
