#!/usr/bin/env python3
"""Writes the sample tuning-job metrics exports of datasets/curves/, one per curve pattern.

Deterministic: a fixed seed per file and values rounded to four decimals, so running it again
gives the same bytes. The shapes are what the providers export (see docs/curves.md):

  openai-healthy.csv             OpenAI result file, healthy
  openai-overfit-base64.csv      OpenAI result file as the API hands it out (base64), overfit
  openai-checkpoints.json        OpenAI checkpoint list of that same overfit job
  azure-underfit.csv             Azure AI Foundry results.csv, underfit
  vertex-oscillating.*           Vertex AI TensorBoard scalar downloads, one tag per file
  vertex-healthy.json            Vertex AI series keyed by tag, healthy
  custom-plateau.csv             a CSV read with --map, plateau

Usage: python3 scripts/curves_samples.py [OUT_DIR]   (default datasets/curves)
"""

import base64
import json
import math
import os
import random
import sys

WALL_START = 1761800000.0  # a fixed wall time: TensorBoard exports carry one per value


def fmt(value):
    return "" if value is None else f"{value:.4f}"


def noisy(rng, value, spread):
    return value * (1.0 + rng.uniform(-spread, spread))


def openai_rows(seed, epochs, steps_per_epoch, train_trend, valid_at_epoch, valid_every):
    """Per-step rows of an OpenAI / Azure result file: train loss every step, a batch
    validation loss every `valid_every` steps, the full validation pass at each epoch end."""
    rng = random.Random(seed)
    rows = []
    total = epochs * steps_per_epoch
    for step in range(1, total + 1):
        train = noisy(rng, train_trend(step), 0.06)
        train_acc = min(0.99, max(0.0, 1.0 - 0.32 * train))
        valid = valid_acc = full = full_acc = None
        epoch_end = step % steps_per_epoch == 0
        if step % valid_every == 0 or epoch_end:
            epoch = (step - 1) // steps_per_epoch
            # The batch estimate scatters around the full pass of the nearest epoch end.
            level = valid_at_epoch[min(epoch, len(valid_at_epoch) - 1)]
            valid = noisy(rng, level, 0.08)
            valid_acc = min(0.99, max(0.0, 1.0 - 0.3 * valid))
        if epoch_end:
            full = valid_at_epoch[step // steps_per_epoch - 1]
            full_acc = min(0.99, max(0.0, 1.0 - 0.3 * full))
        rows.append((step, train, train_acc, valid, valid_acc, full, full_acc))
    return rows


def results_text(header, rows):
    """A result file: one row per step, empty cells where a metric was not computed."""
    lines = [",".join(header)]
    for step, *values in rows:
        lines.append(",".join([str(step)] + [fmt(v) for v in values]))
    return "\n".join(lines) + "\n"


def write_results(path, header, rows):
    with open(path, "w") as f:
        f.write(results_text(header, rows))


OPENAI_HEADER = [
    "step",
    "train_loss",
    "train_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
]
AZURE_HEADER = [
    "step",
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "validation_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
]


def main(out):
    os.makedirs(out, exist_ok=True)

    # Healthy: both losses fall together and validation stays close to training.
    healthy = openai_rows(
        seed=11,
        epochs=4,
        steps_per_epoch=25,
        train_trend=lambda s: 0.70 + 1.8 * math.exp(-s / 30.0),
        valid_at_epoch=[1.60, 1.12, 0.92, 0.83],
        valid_every=5,
    )
    write_results(os.path.join(out, "openai-healthy.csv"), OPENAI_HEADER, healthy)

    # Overfit: training loss keeps falling towards 0.1 while validation loss bottoms out at
    # epoch 3 and climbs; OpenAI keeps only epochs 4-6.
    overfit_valid = [1.45, 1.05, 0.98, 1.10, 1.28, 1.42]
    overfit = openai_rows(
        seed=23,
        epochs=6,
        steps_per_epoch=20,
        train_trend=lambda s: 0.08 + 1.9 * math.exp(-s / 28.0),
        valid_at_epoch=overfit_valid,
        valid_every=4,
    )
    plain = results_text(OPENAI_HEADER, overfit)
    with open(os.path.join(out, "openai-overfit-base64.csv"), "w") as f:
        f.write(base64.b64encode(plain.encode()).decode())

    # The checkpoint list of that job: the last three epochs, newest first, as the API lists.
    data = []
    for step, train, train_acc, valid, valid_acc, full, full_acc in reversed(overfit):
        if full is None or step <= 60:
            continue
        data.append(
            {
                "object": "fine_tuning.job.checkpoint",
                "id": f"ftckpt_sample{step:04d}",
                "created_at": 1761800000 + step,
                "fine_tuned_model_checkpoint": f"ft:gpt-4o-mini-2024-07-18:verdict::sample:ckpt-step-{step}",
                "fine_tuning_job_id": "ftjob-sample",
                "metrics": {
                    "step": step,
                    "train_loss": round(train, 4),
                    "train_mean_token_accuracy": round(train_acc, 4),
                    "valid_loss": round(valid, 4),
                    "valid_mean_token_accuracy": round(valid_acc, 4),
                    "full_valid_loss": round(full, 4),
                    "full_valid_mean_token_accuracy": round(full_acc, 4),
                },
                "step_number": step,
            }
        )
    with open(os.path.join(out, "openai-checkpoints.json"), "w") as f:
        json.dump({"object": "list", "data": data, "has_more": False}, f, indent=2)
        f.write("\n")

    # Underfit: training loss barely moves and both losses stay high.
    underfit = openai_rows(
        seed=37,
        epochs=3,
        steps_per_epoch=30,
        train_trend=lambda s: 2.52 + 0.18 * math.exp(-s / 40.0),
        valid_at_epoch=[2.90, 2.82, 2.76],
        valid_every=10,
    )
    write_results(os.path.join(out, "azure-underfit.csv"), AZURE_HEADER, underfit)

    # Oscillating: validation loss (every 20 steps) swings up and down by 20-30 %.
    rng = random.Random(41)
    eval_loss = [1.90, 1.35, 1.62, 1.18, 1.48, 1.10, 1.40, 1.12]
    train_lines = ["Wall time,Step,Value"]
    for step in range(1, 161):
        value = noisy(rng, 0.85 + 1.35 * math.exp(-step / 45.0), 0.08)
        train_lines.append(f"{WALL_START + 3.5 * step:.3f},{step},{value:.4f}")
    eval_lines = ["Wall time,Step,Value"]
    accuracy = []
    for i, loss in enumerate(eval_loss):
        step = 20 * (i + 1)
        eval_lines.append(f"{WALL_START + 3.5 * step + 1.0:.3f},{step},{loss:.4f}")
        accuracy.append([WALL_START + 3.5 * step + 1.0, step, round(1.0 - 0.3 * loss, 4)])
    with open(os.path.join(out, "vertex-oscillating.train_total_loss.csv"), "w") as f:
        f.write("\n".join(train_lines) + "\n")
    with open(os.path.join(out, "vertex-oscillating.eval_total_loss.csv"), "w") as f:
        f.write("\n".join(eval_lines) + "\n")
    with open(
        os.path.join(out, "vertex-oscillating.eval_fraction_of_correct_next_step_preds.json"), "w"
    ) as f:
        json.dump(accuracy, f)
        f.write("\n")

    # Healthy on Vertex: every tag in one JSON object, [step, value] pairs.
    rng = random.Random(53)
    series = {
        "/train_total_loss": [],
        "/train_fraction_of_correct_next_step_preds": [],
        "/eval_total_loss": [],
        "/eval_fraction_of_correct_next_step_preds": [],
    }
    for step in range(5, 201, 5):
        value = noisy(rng, 0.72 + 1.3 * math.exp(-step / 50.0), 0.05)
        series["/train_total_loss"].append([step, round(value, 4)])
        series["/train_fraction_of_correct_next_step_preds"].append(
            [step, round(1.0 - 0.3 * value, 4)]
        )
    for step, loss in zip([50, 100, 150, 200], [1.62, 1.05, 0.86, 0.80]):
        series["/eval_total_loss"].append([step, loss])
        series["/eval_fraction_of_correct_next_step_preds"].append(
            [step, round(1.0 - 0.3 * loss, 4)]
        )
    with open(os.path.join(out, "vertex-healthy.json"), "w") as f:
        json.dump(series, f, indent=1)
        f.write("\n")

    # Plateau, in a home-made CSV: validation loss stops improving after epoch 3.
    rows = [
        (1, 1.60, 1.200, 0.640),
        (2, 1.10, 1.020, 0.694),
        (3, 0.95, 1.000, 0.700),
        (4, 0.90, 0.995, 0.702),
        (5, 0.86, 1.000, 0.700),
        (6, 0.83, 1.005, 0.699),
        (7, 0.81, 0.998, 0.701),
        (8, 0.80, 1.003, 0.699),
    ]
    with open(os.path.join(out, "custom-plateau.csv"), "w") as f:
        f.write("iteration,loss,val_loss,val_acc\n")
        for it, loss, val, acc in rows:
            f.write(f"{it},{loss:.3f},{val:.3f},{acc:.3f}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "datasets/curves")
