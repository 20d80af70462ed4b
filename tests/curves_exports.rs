//! `verdict curves` on the training logs people download: TensorBoard scalar downloads (per-tag
//! files, a folder of them), a W&B run-history export and a Lightning `metrics.csv`, read with
//! no `--map` and diagnosed; and the messages for a tag, a column or a `--map` verdict cannot
//! place. Fixtures and their sources: `tests/fixtures/curves-exports/README.md`.

use std::path::Path;

use serde_json::Value;

use crate::harness::{Run, tempdir, verdict, write};

const DIR: &str = "tests/fixtures/curves-exports";

fn curves(args: &[&str], out: &Path) -> Run {
    let mut full: Vec<String> = vec!["curves".into()];
    full.extend(args.iter().map(|a| (*a).to_owned()));
    full.extend(["--out".into(), out.display().to_string()]);
    verdict(&full)
}

fn runs(out: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(out.join("curves.json")).expect("curves.json written");
    let json: Value = serde_json::from_str(&text).expect("curves.json is JSON");
    json["runs"].as_array().unwrap().clone()
}

/// Rules at warning or alert.
fn warnings(run: &Value) -> Vec<&str> {
    run["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 5e-4)
}

#[test]
fn curves_tensorboard_downloads_of_one_run_are_read_as_one() {
    let out = tempdir();
    // The three files named, in the order a shell lists them, and the folder itself.
    let files: Vec<String> = [
        "eval_fraction_of_correct_next_step_preds",
        "eval_total_loss",
        "train_total_loss",
    ]
    .iter()
    .map(|t| format!("{DIR}/tensorboard/run-.-tag-{t}.csv"))
    .collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    curves(&args, out.path()).assert_code(0);
    let by_files = runs(out.path());
    curves(&[&format!("{DIR}/tensorboard")], out.path()).assert_code(0);
    let by_folder = runs(out.path());
    assert_eq!(by_files, by_folder, "a folder reads as its files");

    assert_eq!(by_folder.len(), 1, "per-tag files of one run are one run");
    let run = &by_folder[0];
    assert_eq!(run["name"], format!("{DIR}/tensorboard"));
    assert_eq!(run["format"], "vertex-tensorboard");
    assert_eq!(run["files"].as_array().unwrap().len(), 3);
    assert_eq!(run["validation"], "valid_loss");
    let s = &run["summary"];
    // eval_total_loss: 1.40 1.10 0.95 0.90 0.97 1.12 at steps 20..120; the best is 0.90 at 80.
    assert_eq!(s["best_step"], 80);
    assert_eq!(s["recommended_step"], 80);
    // 1.12 / 0.90 = 1.2444 (> 1.2: final_above_best).
    assert!(close(&s["final_over_best"], 1.2444), "{s}");
    // Accuracy from the CSV accuracy file, at the final checkpoint (step 120).
    assert!(close(&s["final_valid_accuracy"], 0.60), "{s}");
    // Train loss is logged at every 10 steps, validation at every 20: not smoothed, so the
    // ratio is 1.12 / 0.51 (1.95 − 0.12·12) = 2.196, severe.
    assert!(close(&s["ratio"], 2.1961), "{s}");
    assert_eq!(s["pattern"], "overfit");
    assert_eq!(warnings(run), ["generalisation", "final_above_best"]);
}

#[test]
fn curves_keras_train_and_validation_runs_are_one_fit() {
    let out = tempdir();
    curves(&[&format!("{DIR}/keras")], out.path()).assert_code(0);
    let runs = runs(out.path());
    assert_eq!(
        runs.len(),
        1,
        "the train and validation runs are the halves of one fit"
    );
    let run = &runs[0];
    assert_eq!(run["name"], format!("{DIR}/keras"));
    assert_eq!(run["format"], "tensorboard");
    assert_eq!(run["files"].as_array().unwrap().len(), 4);
    let s = &run["summary"];
    // validation epoch_loss 0.60 0.45 0.40 0.38 0.39 0.43 at epochs 0..5: best 0.38 at 3;
    // 0.43 / 0.38 = 1.1316, within 1.05–1.2 while training loss kept falling: valid_rising.
    assert_eq!(s["best_step"], 3);
    assert!(close(&s["final_over_best"], 1.1316), "{s}");
    assert!(close(&s["final_valid_accuracy"], 0.86), "{s}");
    // 0.43 / 0.17.
    assert!(close(&s["ratio"], 2.5294), "{s}");
    assert_eq!(warnings(run), ["generalisation", "valid_rising"]);
}

#[test]
fn curves_a_folder_of_files_named_by_the_tag_is_one_run() {
    let out = tempdir();
    curves(&[&format!("{DIR}/vertex-folder")], out.path()).assert_code(0);
    let runs = runs(out.path());
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["name"], format!("{DIR}/vertex-folder"));
    assert_eq!(run["format"], "vertex-tensorboard");
    let s = &run["summary"];
    assert_eq!(s["best_step"], 120);
    assert!(close(&s["final_valid_accuracy"], 0.57), "{s}");
    // 1.18 / 0.94 (1.9 − 0.08·12).
    assert!(close(&s["ratio"], 1.2553), "{s}");
    assert_eq!(s["pattern"], "healthy");
}

#[test]
fn curves_wandb_export_is_one_run_per_named_run() {
    let out = tempdir();
    let file = format!("{DIR}/wandb/wandb_export_2025-10-30T14_02_11.csv");
    let run = curves(&[&file], out.path());
    run.assert_code(0);
    let runs = runs(out.path());
    let names: Vec<&str> = runs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            format!("{file}:brisk-pond-1"),
            format!("{file}:true-pond-2")
        ],
        "two runs, and no series for __MIN/__MAX"
    );
    for run in &runs {
        assert_eq!(run["format"], "wandb-history");
        // eval/loss every 5 steps (4, 9, ... 29); train/loss every step, so it is smoothed.
        assert_eq!(run["summary"]["checkpoints"], 6);
        assert_eq!(run["train_smoothed"], true);
        assert_eq!(run["train_curve"].as_array().unwrap().len(), 30);
    }
    let healthy = &runs[0]["summary"];
    assert_eq!(healthy["best_step"], 29);
    assert_eq!(healthy["pattern"], "healthy");
    let overfit = &runs[1]["summary"];
    // eval/loss 1.65 1.40 1.30 1.35 1.50 1.70: best 1.30 at step 14; 1.70 / 1.30 = 1.3077.
    assert_eq!(overfit["best_step"], 14);
    assert!(close(&overfit["final_over_best"], 1.3077), "{overfit}");
    assert_eq!(overfit["pattern"], "overfit");
    assert!(warnings(&runs[1]).contains(&"final_above_best"));
}

#[test]
fn curves_lightning_metrics_csv_merges_its_alternating_rows() {
    let out = tempdir();
    curves(&[&format!("{DIR}/lightning/metrics.csv")], out.path()).assert_code(0);
    let runs = runs(out.path());
    let run = &runs[0];
    assert_eq!(run["format"], "lightning-csv");
    let checkpoints = run["checkpoints"].as_array().unwrap();
    let steps: Vec<u64> = checkpoints
        .iter()
        .map(|c| c["step"].as_u64().unwrap())
        .collect();
    // One validation row per epoch end; the training row of the same step is its partner.
    assert_eq!(steps, [99, 199, 299, 399, 499]);
    assert!(close(&checkpoints[0]["train_loss_raw"], 2.01));
    assert!(close(&checkpoints[0]["valid_loss"], 1.98));
    let s = &run["summary"];
    assert_eq!(s["best_step"], 499);
    // 1.50 / 1.27 at the last epoch end.
    assert!(close(&s["ratio"], 1.1811), "{s}");
    assert_eq!(s["pattern"], "healthy");
}

#[test]
fn curves_unknown_tag_missing_loss_and_mistyped_map_are_input_errors() {
    let out = tempdir();
    let data = tempdir();
    let series = "Wall time,Step,Value\n1761800000.0,10,0.5\n";
    write(data.path(), "run-.-tag-train_loss.csv", series);
    write(data.path(), "run-.-tag-learning_rate.csv", series);
    let run = curves(&[data.path().to_str().unwrap()], out.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "run-.-tag-learning_rate.csv:1: tag `learning_rate` (from the file name) is not a series verdict reads"
        ),
        "{}",
        run.stderr
    );

    let only_accuracy = tempdir();
    let acc = write(
        only_accuracy.path(),
        "run-.-tag-val_acc.csv",
        "Wall time,Step,Value\n1761800000.0,10,0.5\n",
    );
    let run = curves(&[acc.to_str().unwrap()], out.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("no loss among its files"),
        "{}",
        run.stderr
    );

    let run = curves(
        &[
            "datasets/curves/custom-plateau.csv",
            "--map",
            "iteraton=step",
        ],
        out.path(),
    );
    run.assert_code(2);
    assert_eq!(
        run.stderr.trim_end(),
        "verdict: error: --map iteraton=step: no CSV input has a column named \"iteraton\"; did you mean --map iteration=step?"
    );
    let run = curves(
        &[
            "datasets/curves/custom-plateau.csv",
            "--map",
            "iteration=step",
            "--map",
            "loss=train_loss",
            "--map",
            "zzz=epoch",
        ],
        out.path(),
    );
    run.assert_code(2);
    assert!(
        run.stderr.trim_end().ends_with(
            "no CSV input has a column named \"zzz\"; the columns are (iteration, loss, val_loss, val_acc)"
        ),
        "{}",
        run.stderr
    );
    let run = curves(&["datasets/curves/custom-plateau.csv"], out.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "say what the columns hold with --map COL=ROLE, e.g. --map iteration=step --map loss=train_loss (roles: "
        ),
        "{}",
        run.stderr
    );
    assert!(!out.path().join("curves.json").exists(), "nothing written");
}
