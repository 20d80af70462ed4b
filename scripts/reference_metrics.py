#!/usr/bin/env python3
"""Regenerates tests/fixtures/reference-events/: a small event dataset and the per-class
metrics two independent tools compute on it, committed so CI needs neither tool; and
tests/fixtures/reference-labels/: a dataset whose spec declares its label set, with
predictions that invent labels outside it, a declared label never predicted and one never
seen at all, and scikit-learn's classification_report on it.

- scikit-learn: precision_recall_fscore_support over the list of pair labels (expected label
  or "∅", predicted label or "∅"; "∅" left out of the labels; zero_division=0). The pairs come
  from this script's own matching: scipy's linear_sum_assignment on weights that rank
  same-label pairs first, then the number of pairs, then the smallest total |dt|.
- sed_eval: class-wise and overall event-based metrics, onset only, t_collar = tolerance,
  optimal matching, one file per example.

Per-class precision, recall and F1 do not depend on how ties between optimal matchings are
broken, so both must agree exactly with verdict's. The tolerance is chosen so that no time
difference on the data's 0.1 s grid lies on the boundary, where binary floating point (used
by both tools) and verdict's decimal-exact comparison would disagree.

- reference-labels: classification_report(y_true, y_pred, labels=declared,
  zero_division=np.nan) on the same kind of pair labels: per-class rows and the macro and
  weighted averages over the declared labels only, a rate with no denominator undefined (NaN,
  null in JSON) and left out of the averages. The event-level (micro) figures are
  precision_recall_fscore_support(average="micro") over every label seen, so that predictions
  outside the declared set still count as false positives.

Usage (once, in any environment with the tools; not needed by CI):
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install scikit-learn scipy sed_eval
    /tmp/ref/bin/python scripts/reference_metrics.py            # both fixtures
    /tmp/ref/bin/python scripts/reference_metrics.py labels     # reference-labels only
"""

import json
import math
import random
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import classification_report, precision_recall_fscore_support

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "reference-events"
LABELS = ["A", "B", "C", "D"]
TOLERANCE = 0.45
EXAMPLES = 80
NONE = "∅"


def make_dataset(rng):
    data = []
    for i in range(EXAMPLES):
        n = rng.choice([0, 1, 2, 3, 4, 5, 6])
        times = sorted(round(rng.uniform(0, 30), 1) for _ in range(n))
        expected = [{"t": t, "c": rng.choice(LABELS[:3] if rng.random() < 0.8 else LABELS)} for t in times]
        predicted = []
        for event in expected:
            r = rng.random()
            if r < 0.15:
                continue  # missed
            t = round(event["t"] + rng.choice([0.0, 0.0, 0.1, -0.1, 0.2, -0.3, 0.4, 0.6, -0.8]), 1)
            c = event["c"] if rng.random() > 0.2 else rng.choice(LABELS)
            predicted.append({"t": t, "c": c})
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            predicted.append({"t": round(rng.uniform(0, 30), 1), "c": rng.choice(LABELS)})
        rng.shuffle(predicted)
        data.append((f"ex-{i:03d}", expected, predicted))
    return data


def match(expected, predicted):
    """Optimal pairs (exp index, pred index) by the three priorities, with scipy."""
    if not expected or not predicted:
        return []
    tol_us = round(TOLERANCE * 1e6)
    n = min(len(expected), len(predicted))
    b = (n + 1) * (tol_us + 1)
    a = (n + 1) * b
    w = np.zeros((len(expected), len(predicted)))
    for i, e in enumerate(expected):
        for j, p in enumerate(predicted):
            dt = abs(round(p["t"] * 1e6) - round(e["t"] * 1e6))
            if dt <= tol_us:
                w[i, j] = (a if e["c"] == p["c"] else 0) + b - dt
    rows, cols = linear_sum_assignment(w, maximize=True)
    return [(i, j) for i, j in zip(rows, cols) if w[i, j] > 0]


def pair_labels(data):
    """(y_true, y_pred) over every pair, missed and spurious event, "∅" for no event."""
    y_true, y_pred = [], []
    for _, expected, predicted in data:
        pairs = match(expected, predicted)
        paired_e = {i for i, _ in pairs}
        paired_p = {j for _, j in pairs}
        for i, j in pairs:
            y_true.append(expected[i]["c"])
            y_pred.append(predicted[j]["c"])
        for i, e in enumerate(expected):
            if i not in paired_e:
                y_true.append(e["c"])
                y_pred.append(NONE)
        for j, p in enumerate(predicted):
            if j not in paired_p:
                y_true.append(NONE)
                y_pred.append(p["c"])
    return y_true, y_pred


def sklearn_reference(data):
    y_true, y_pred = pair_labels(data)
    out = {"labels": LABELS}
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=LABELS, zero_division=0)
    out.update(precision=p.tolist(), recall=r.tolist(), f1=f.tolist(), support=s.tolist())
    for average in ["micro", "macro", "weighted"]:
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=LABELS, average=average, zero_division=0)
        out[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    return out


def sed_eval_reference(data):
    import sed_eval  # only this fixture needs it

    metrics = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=LABELS,
        t_collar=TOLERANCE,
        evaluate_onset=True,
        evaluate_offset=False,
        event_matching_type="optimal",
    )
    as_list = lambda name, events: [
        {"filename": name, "event_label": e["c"], "onset": e["t"], "offset": e["t"] + 1.0} for e in events
    ]
    for name, expected, predicted in data:
        metrics.evaluate(as_list(name, expected), as_list(name, predicted))
    class_wise = metrics.results_class_wise_metrics()
    overall = metrics.results_overall_metrics()
    return {
        "class_wise": {
            label: {
                "precision": class_wise[label]["f_measure"]["precision"],
                "recall": class_wise[label]["f_measure"]["recall"],
                "f1": class_wise[label]["f_measure"]["f_measure"],
                "Nref": int(class_wise[label]["count"]["Nref"]),
                "Nsys": int(class_wise[label]["count"]["Nsys"]),
            }
            for label in LABELS
        },
        "overall": {
            "precision": overall["f_measure"]["precision"],
            "recall": overall["f_measure"]["recall"],
            "f1": overall["f_measure"]["f_measure"],
        },
    }


LABELS_OUT = OUT.parent / "reference-labels"
# E is never expected nor predicted (every rate undefined), F only predicted (recall undefined),
# D only expected (precision undefined); X and dunk are invented by the "model".
DECLARED = ["A", "B", "C", "D", "E", "F"]
INVENTED = ["X", "dunk"]


def make_labels_dataset(rng):
    data = []
    for i in range(60):
        times = sorted(round(rng.uniform(0, 30), 1) for _ in range(rng.choice([0, 1, 2, 3, 4, 5])))
        expected = [{"t": t, "c": rng.choice(["A", "A", "B", "B", "C", "D"])} for t in times]
        predicted = []
        for event in expected:
            if rng.random() < 0.15:
                continue  # missed
            t = round(event["t"] + rng.choice([0.0, 0.0, 0.1, -0.2, 0.3, 0.7]), 1)
            c = event["c"] if event["c"] != "D" and rng.random() > 0.25 else rng.choice(["A", "B", "C", "F"] + INVENTED)
            predicted.append({"t": t, "c": c})
        for _ in range(rng.choice([0, 0, 1, 2])):
            predicted.append({"t": round(rng.uniform(0, 30), 1), "c": rng.choice(["A", "B", "F"] + INVENTED)})
        rng.shuffle(predicted)
        data.append((f"ex-{i:03d}", expected, predicted))
    return data


def undefined_as_null(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def labels_reference(data):
    y_true, y_pred = pair_labels(data)
    report = classification_report(
        y_true, y_pred, labels=DECLARED, zero_division=np.nan, output_dict=True
    )
    row = lambda r: {k: undefined_as_null(float(r[k])) for k in ["precision", "recall", "f1-score"]} | {
        "support": int(r["support"])
    }
    seen = sorted(set(y_true + y_pred) - {NONE})
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=seen, average="micro")
    out_of_set = {label: y_pred.count(label) for label in sorted(set(y_pred) - set(DECLARED) - {NONE})}
    return {
        "labels": DECLARED,
        "classes": {label: row(report[label]) for label in DECLARED},
        "macro": row(report["macro avg"]),
        "weighted": row(report["weighted avg"]),
        "event_micro": {"precision": float(p), "recall": float(r), "f1": float(f)},
        "out_of_set": out_of_set,
    }


def write_dataset(out, data, spec):
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "expected.jsonl", "w") as f:
        for name, expected, _ in data:
            f.write(json.dumps({"id": name, "expected": expected}) + "\n")
    with open(out / "predictions.jsonl", "w") as f:
        for name, _, predicted in data:
            f.write(json.dumps({"id": name, "output": json.dumps(predicted)}) + "\n")
    (out / "eval.toml").write_text(spec)


def main_labels():
    data = make_labels_dataset(random.Random(20261206))
    write_dataset(
        LABELS_OUT,
        data,
        "# Generated by scripts/reference_metrics.py: verdict's averages over the declared label set\n"
        "# must equal scikit-learn's classification_report (reference.json).\n"
        'name = "reference-labels"\n'
        f"labels = {json.dumps(DECLARED)}\n\n[events]\ntime = \"t\"\nlabel = \"c\"\ntolerance = {TOLERANCE}\n",
    )
    reference = {"tolerance": TOLERANCE, "sklearn": labels_reference(data)}
    (LABELS_OUT / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    print(f"wrote {LABELS_OUT}")


def main():
    if sys.argv[1:] != ["labels"]:
        main_events()
    main_labels()


def main_events():
    data = make_dataset(random.Random(20261124))
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "expected.jsonl", "w") as f:
        for name, expected, _ in data:
            f.write(json.dumps({"id": name, "expected": expected}) + "\n")
    with open(OUT / "predictions.jsonl", "w") as f:
        for name, _, predicted in data:
            f.write(json.dumps({"id": name, "output": json.dumps(predicted)}) + "\n")
    (OUT / "eval.toml").write_text(
        "# Generated by scripts/reference_metrics.py: verdict must agree with scikit-learn and\n"
        "# sed_eval on this dataset (reference.json).\n"
        'name = "reference-events"\n'
        f"labels = {json.dumps(LABELS)}\n\n[events]\ntime = \"t\"\nlabel = \"c\"\ntolerance = {TOLERANCE}\n"
    )
    reference = {"tolerance": TOLERANCE, "sklearn": sklearn_reference(data), "sed_eval": sed_eval_reference(data)}
    (OUT / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
