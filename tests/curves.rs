//! `verdict curves` end to end: the real binary on the sample exports of `datasets/curves/`
//! (one diagnosis pinned per pattern), gates and their exit codes, score reports beside
//! validation loss, bad input, and byte-stable outputs.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{Run, tempdir, verdict, write};

const DIR: &str = "datasets/curves";

/// The column mapping of the home-made sample.
const MAPS: [&str; 8] = [
    "--map",
    "iteration=step",
    "--map",
    "loss=train_loss",
    "--map",
    "val_loss=valid_loss",
    "--map",
    "val_acc=valid_accuracy",
];

/// Every sample file, in name order (as a shell expands `datasets/curves/*`).
fn samples() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(crate::harness::root().join(DIR))
        .unwrap()
        .map(|e| format!("{DIR}/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    files.sort();
    files
}

/// Runs `verdict curves ARGS --out OUT`.
fn curves(args: &[&str], out: &Path) -> Run {
    let mut full: Vec<String> = vec!["curves".into()];
    full.extend(args.iter().map(|a| (*a).to_owned()));
    full.extend(["--out".into(), out.display().to_string()]);
    verdict(&full)
}

fn read_json(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("curves.json")).expect("curves.json written");
    serde_json::from_str(&text).expect("curves.json is JSON")
}

fn run_named<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no run {name}"))
}

fn rules(run: &Value) -> Vec<String> {
    run["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn all_samples(out: &Path, extra: &[&str]) -> Run {
    let files = samples();
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend(MAPS);
    args.extend(extra);
    curves(&args, out)
}

#[test]
fn curves_every_sample_pattern_is_diagnosed() {
    let out = tempdir();
    let run = all_samples(out.path(), &[]);
    run.assert_code(0);
    let json = read_json(out.path());
    let expect = [
        // Its batch validation loss swings by 11-36 % between the full passes.
        (
            "openai-healthy.csv",
            "openai-results",
            "healthy",
            vec!["oscillation"],
        ),
        (
            "openai-overfit-base64.csv",
            "openai-results",
            "overfit",
            vec![
                "generalisation",
                "gap",
                "not_deployable",
                "final_above_best",
                "oscillation",
            ],
        ),
        (
            "openai-checkpoints.json",
            "openai-checkpoints",
            "overfit",
            vec!["generalisation", "gap", "final_above_best"],
        ),
        (
            "azure-underfit.csv",
            "azure-results",
            "underfit",
            vec!["both_high", "train_stalled"],
        ),
        (
            "vertex-oscillating",
            "vertex-tensorboard",
            "oscillating",
            vec!["oscillation"],
        ),
        (
            "vertex-healthy.json",
            "vertex-tensorboard",
            "healthy",
            vec![],
        ),
        ("custom-plateau.csv", "mapped", "plateau", vec!["plateau"]),
    ];
    assert_eq!(json["runs"].as_array().unwrap().len(), expect.len());
    for (file, format, pattern, warnings) in expect {
        let r = run_named(&json, &format!("{DIR}/{file}"));
        assert_eq!(r["format"], format, "{file}");
        assert_eq!(r["summary"]["pattern"], pattern, "{file}");
        assert_eq!(rules(r), warnings, "{file}");
    }
    // The three per-tag Vertex files are one run; the base64 file was decoded.
    let osc = run_named(&json, &format!("{DIR}/vertex-oscillating"));
    assert_eq!(osc["files"].as_array().unwrap().len(), 3);
    assert_eq!(osc["checkpoints"][0]["valid_accuracy"], 0.43);
    assert_eq!(
        run_named(&json, &format!("{DIR}/openai-overfit-base64.csv"))["base64"],
        true
    );
    // The console names each run, its format and pattern.
    assert!(
        run.stdout.contains(
            "curves datasets/curves/openai-healthy.csv · OpenAI results · 4 checkpoints (full_valid_loss) · healthy"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with(&format!(
        "curves: {}\n",
        out.path().join("curves.json").display()
    )));
}

#[test]
fn curves_overfit_recommends_the_best_deployable_checkpoint() {
    let out = tempdir();
    curves(&[&format!("{DIR}/openai-overfit-base64.csv")], out.path()).assert_code(0);
    let json = read_json(out.path());
    let s = &json["runs"][0]["summary"];
    assert_eq!(s["best_step"], 60);
    assert_eq!(s["best_valid_loss"], 0.98);
    assert_eq!(
        s["recommended_step"], 80,
        "epoch 3 is not among the last three"
    );
    assert_eq!(s["final_valid_loss"], 1.42);
    assert_eq!(s["generalisation"], "severe");
    assert_eq!(s["early_stop_step"], 100);
    let deployable: Vec<&Value> = json["runs"][0]["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["deployable"])
        .collect();
    assert_eq!(deployable, [false, false, false, true, true, true]);
    let md = std::fs::read_to_string(out.path().join("curves.md")).unwrap();
    assert!(md.contains("the best checkpoint (step 60) is not deployable: the provider keeps only the last 3 epochs' checkpoints; the best deployable one is step 80"), "{md}");
    // --deployable-last widens the choice.
    curves(
        &[
            &format!("{DIR}/openai-overfit-base64.csv"),
            "--deployable-last",
            "6",
        ],
        out.path(),
    )
    .assert_code(0);
    assert_eq!(
        read_json(out.path())["runs"][0]["summary"]["recommended_step"],
        60
    );
}

#[test]
fn curves_gate_on_ratio_decides_the_exit_code() {
    let out = tempdir();
    let healthy = format!("{DIR}/openai-healthy.csv");
    let run = curves(&[&healthy, "--gate", "ratio <= 1.5"], out.path());
    run.assert_code(0);
    assert!(run.stdout.contains("PASS  ratio"), "{}", run.stdout);
    let json = read_json(out.path());
    assert_eq!(json["passed"], true);
    assert_eq!(json["gates"][0]["run"], healthy.as_str());

    let overfit = format!("{DIR}/openai-overfit-base64.csv");
    let run = curves(
        &[
            &healthy,
            &overfit,
            "--gate",
            "ratio<=1.5",
            "--gate",
            "final_over_best<=1.2",
        ],
        out.path(),
    );
    run.assert_code(1);
    let json = read_json(out.path());
    assert_eq!(json["passed"], false);
    let ratio = json["runs"][1]["summary"]["ratio"].as_f64().unwrap();
    let fails: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("gate failed"))
        .collect();
    assert_eq!(
        fails,
        [
            format!("verdict: gate failed: ratio = {ratio:.4}, required <= 1.5 (run {overfit})"),
            format!(
                "verdict: gate failed: final_over_best = 1.4490, required <= 1.2 (run {overfit})"
            )
        ]
    );
    // Four results: two gates on each of two runs.
    assert_eq!(json["gates"].as_array().unwrap().len(), 4);

    let run = curves(&[&healthy, "--gate", "ration<=1.5"], out.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("unknown metric `ration`"),
        "{}",
        run.stderr
    );
    let run = curves(&[&healthy, "--gate", "ratio"], out.path());
    run.assert_code(2);
}

#[test]
fn curves_score_reports_ranked_beside_validation_loss() {
    let out = tempdir();
    let reports = tempdir();
    let report = |name: &str, f1: f64| {
        write(
            reports.path(),
            name,
            json!({"summary": {"event_f1": f1, "timestamp_mae": 0.2}}).to_string(),
        )
        .display()
        .to_string()
    };
    let (a, b) = (report("80.json", 0.71), report("100.json", 0.78));
    let file = format!("{DIR}/openai-checkpoints.json");
    let run = curves(
        &[
            &file,
            "--scores",
            &format!("80={a}"),
            "--scores",
            &format!("100={b}"),
        ],
        out.path(),
    );
    run.assert_code(0);
    let json = read_json(out.path());
    let t = &json["runs"][0]["task_metric"];
    assert_eq!(t["metric"], "event_f1");
    assert_eq!(t["best_by_metric"], 100);
    assert_eq!(t["best_by_loss"], 80);
    assert_eq!(t["agree"], false);
    assert_eq!(t["rows"][0]["step"], 100);
    assert_eq!(t["rows"][0]["loss_rank"], 2);
    assert!(
        rules(&json["runs"][0]).contains(&"loss_metric_disagree".to_owned()),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "event_f1 ranks step 100 first (0.7800) but validation loss ranks step 80 first"
        ),
        "{}",
        run.stdout
    );

    // A step given twice, a step that is not a checkpoint, and a metric the report lacks:
    // input errors.
    let run = curves(
        &[
            &file,
            "--scores",
            &format!("80={a}"),
            "--scores",
            &format!("1:80={b}"),
        ],
        out.path(),
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("step 80 of run 1 is given twice"),
        "{}",
        run.stderr
    );
    let run = curves(&[&file, "--scores", &format!("90={a}")], out.path());
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("has no checkpoint at step 90 (checkpoints: 80, 100, 120)"),
        "{}",
        run.stderr
    );
    let run = curves(
        &[
            &file,
            "--scores",
            &format!("80={a}"),
            "--metric",
            "macro_f1",
        ],
        out.path(),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("80.json"), "{}", run.stderr);
}

#[test]
fn curves_bad_input_names_file_and_line_and_exits_2() {
    let out = tempdir();
    // The home-made CSV without --map.
    let run = curves(&[&format!("{DIR}/custom-plateau.csv")], out.path());
    run.assert_code(2);
    assert!(
        run.stderr.starts_with(
            "verdict: error: datasets/curves/custom-plateau.csv:1: unknown columns (iteration, loss, val_loss, val_acc)"
        ),
        "{}",
        run.stderr
    );
    let data = tempdir();
    let bad = write(
        data.path(),
        "bad.csv",
        "step,train_loss,valid_loss\n1,2.0,\n2,1.8,oops\n",
    );
    let run = curves(&[bad.to_str().unwrap()], out.path());
    run.assert_code(2);
    assert!(
        run.stderr
            .trim_end()
            .ends_with("bad.csv:3: column `valid_loss`: `oops` is not a number"),
        "{}",
        run.stderr
    );
    let empty = write(data.path(), "empty.csv", "");
    let run = curves(&[empty.to_str().unwrap()], out.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("empty.csv: empty file"),
        "{}",
        run.stderr
    );
    let run = curves(&["datasets/curves/nothing.csv"], out.path());
    run.assert_code(2);
    let run = curves(
        &[
            &format!("{DIR}/openai-healthy.csv"),
            "--map",
            "nothing=step",
        ],
        out.path(),
    );
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("no CSV input has a column named \"nothing\""),
        "{}",
        run.stderr
    );
    let run = verdict(&["curves"]);
    run.assert_code(2);
    assert!(
        !out.path().join("curves.json").exists(),
        "a failed run writes nothing"
    );
}

#[test]
fn curves_outputs_are_byte_stable_and_hold_no_absolute_path() {
    let (one, two) = (tempdir(), tempdir());
    all_samples(one.path(), &["--gate", "ratio<=100"]).assert_code(0);
    all_samples(two.path(), &["--gate", "ratio<=100"]).assert_code(0);
    for name in ["curves.json", "curves.md", "curves.html"] {
        let a = std::fs::read(one.path().join(name)).unwrap();
        let b = std::fs::read(two.path().join(name)).unwrap();
        assert!(a == b, "{name} differs between two runs");
        let text = String::from_utf8(a).unwrap();
        assert!(
            !text.contains(&one.path().display().to_string())
                && !text.contains(env!("CARGO_MANIFEST_DIR")),
            "{name} holds an absolute path"
        );
    }
    let html = std::fs::read_to_string(one.path().join("curves.html")).unwrap();
    // One overlaid chart plus one per run, each with a best checkpoint ringed.
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 8);
    assert!(html.matches("<circle class=\"best\"").count() >= 14);
    assert!(html.contains("<polyline class=\"train\""));
    assert!(html.contains("<polyline class=\"valid\""));
    assert!(html.contains("<rect class=\"recommended\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network"
    );
}

/// The real `trainer_state.json` of the fixtures (see tests/fixtures/curves/README.md).
const TRAINER_STATE: &str = "tests/fixtures/curves/trainer/trainer_state.json";

fn trainer_state() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(crate::harness::root().join(TRAINER_STATE)).unwrap(),
    )
    .unwrap()
}

/// The state as the Trainer wrote it into `checkpoint-STEP`: the history up to that step.
fn state_at(step: u64) -> String {
    let mut state = trainer_state();
    state["log_history"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["step"].as_u64().unwrap() <= step && e.get("train_runtime").is_none());
    state["global_step"] = json!(step);
    state["best_global_step"] = json!(step);
    state["best_model_checkpoint"] = json!(format!("saves/checkpoint-{step}"));
    state.to_string()
}

#[test]
fn curves_trainer_state_is_read_without_map() {
    let out = tempdir();
    let run = curves(&[TRAINER_STATE], out.path());
    run.assert_code(0);
    let json = read_json(out.path());
    let r = run_named(&json, TRAINER_STATE);
    assert_eq!(r["format"], "hf-trainer-state");
    assert_eq!(r["validation"], "valid_loss");
    // eval_loss every 20 steps; `loss` every 5 steps is smoothed.
    let steps: Vec<u64> = r["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, [20, 40, 60, 80, 100, 120]);
    assert_eq!(r["checkpoints"][0]["valid_loss"], 0.10790343582630157);
    assert_eq!(r["checkpoints"][0]["epoch"], 0.5);
    assert_eq!(r["train_smoothed"], true);
    // The end-of-training summary's `train_loss` (the run's mean, 0.119) is no step value.
    let curve = r["train_curve"].as_array().unwrap();
    assert_eq!(curve.len(), 24);
    assert_eq!(curve.last().unwrap()["loss"], 0.02474079728126526);
    assert_eq!(curve[0]["learning_rate"], 6.666666666666667e-06);
    // save_steps 20 up to global_step 120: every evaluated step was saved.
    assert_eq!(r["deployable"]["rule"], "saved");
    assert!(
        r["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["deployable"] == true)
    );
    assert_eq!(r["summary"]["recommended_step"], 120);
    assert_eq!(r["summary"]["trainer_best_step"], 120);
    assert_eq!(r["summary"]["agrees_with_trainer"], true);
    assert_eq!(r["summary"]["pattern"], "healthy");
    let line = "the Trainer recorded step 120 as its best checkpoint (best_metric 0.0494): verdict's recommendation, step 120, agrees [valid_loss]";
    assert!(run.stdout.contains(line), "{}", run.stdout);
    let html = std::fs::read_to_string(out.path().join("curves.html")).unwrap();
    assert!(
        html.contains(line.replace('\'', "&#x27;").as_str()),
        "HTML line"
    );
}

#[test]
fn curves_trainer_run_directory_uses_the_latest_checkpoint_and_its_folders() {
    let dir = tempdir();
    for folder in ["run/checkpoint-60", "run/checkpoint-120", "other"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
    }
    // save_total_limit kept two checkpoints: 60 and 120.
    write(
        &dir.path().join("run/checkpoint-60"),
        "trainer_state.json",
        state_at(60),
    );
    let real = std::fs::read(crate::harness::root().join(TRAINER_STATE)).unwrap();
    write(
        &dir.path().join("run/checkpoint-120"),
        "trainer_state.json",
        &real,
    );
    write(
        &dir.path().join("run/checkpoint-120"),
        "model.safetensors",
        [0u8, 159, 146, 150],
    );
    for given in [
        "run",
        "run/checkpoint-120",
        "run/checkpoint-120/trainer_state.json",
    ] {
        let run = crate::harness::verdict_in(dir.path(), &["curves", given, "--out", "out"]);
        run.assert_code(0);
        let json = read_json(&dir.path().join("out"));
        let r = &json["runs"][0];
        assert_eq!(json["runs"].as_array().unwrap().len(), 1, "{given}");
        // The latest checkpoint's state, named so that it says which.
        assert_eq!(
            r["name"], "run/checkpoint-120/trainer_state.json",
            "{given}"
        );
        let deployable: Vec<(u64, bool)> = r["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["step"].as_u64().unwrap(),
                    c["deployable"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            deployable,
            [
                (20, false),
                (40, false),
                (60, true),
                (80, false),
                (100, false),
                (120, true)
            ],
            "{given}"
        );
        assert_eq!(r["summary"]["recommended_step"], 120, "{given}");
    }

    // Given by its absolute path, the run is still named by the checkpoint folder it used.
    let out = tempdir();
    let run = curves(&[dir.path().join("run").to_str().unwrap()], out.path());
    run.assert_code(0);
    assert_eq!(
        read_json(out.path())["runs"][0]["name"],
        "checkpoint-120/trainer_state.json"
    );

    // A Trainer that chose by another metric recorded step 100: verdict says they differ.
    let mut state = trainer_state();
    state["best_global_step"] = json!(null);
    state["best_model_checkpoint"] = json!("saves/checkpoint-100");
    state["best_metric"] = json!(0.91);
    write(dir.path(), "other/trainer_state.json", state.to_string());
    let run = crate::harness::verdict_in(dir.path(), &["curves", "other", "--out", "out2"]);
    run.assert_code(0);
    let json = read_json(&dir.path().join("out2"));
    assert_eq!(json["runs"][0]["summary"]["trainer_best_step"], 100);
    assert_eq!(json["runs"][0]["summary"]["agrees_with_trainer"], false);
    assert!(
        run.stdout.contains("the Trainer recorded step 100 as its best checkpoint (best_metric 0.9100): verdict's recommendation, step 120, differs"),
        "{}",
        run.stdout
    );
}

#[test]
fn curves_trainer_eval_sets_are_several_validation_curves() {
    let dir = tempdir();
    let state = json!({
        "global_step": 20, "save_steps": 10, "best_global_step": null,
        "log_history": [
            {"epoch": 0.5, "loss": 1.9, "mean_token_accuracy": 0.52, "learning_rate": 2e-5, "grad_norm": 3.1, "step": 10},
            {"epoch": 0.5, "eval_chat_loss": 1.7, "eval_chat_mean_token_accuracy": 0.55, "eval_chat_runtime": 1.2, "step": 10},
            {"epoch": 0.5, "eval_code_loss": 2.1, "eval_code_mean_token_accuracy": 0.49, "eval_code_runtime": 1.4, "step": 10},
            {"epoch": 1.0, "loss": 1.5, "mean_token_accuracy": 0.6, "learning_rate": 1e-5, "grad_norm": 2.0, "step": 20},
            {"epoch": 1.0, "eval_chat_loss": 1.4, "eval_chat_mean_token_accuracy": 0.61, "eval_chat_runtime": 1.2, "step": 20},
            {"epoch": 1.0, "eval_code_loss": 1.9, "eval_code_mean_token_accuracy": 0.52, "eval_code_runtime": 1.4, "step": 20}
        ]
    });
    write(dir.path(), "trainer_state.json", state.to_string());
    let run = crate::harness::verdict_in(
        dir.path(),
        &["curves", "trainer_state.json", "--out", "out"],
    );
    run.assert_code(0);
    let json = read_json(&dir.path().join("out"));
    let chat = run_named(&json, "trainer_state.json [eval set chat]");
    let code = run_named(&json, "trainer_state.json [eval set code]");
    assert_eq!(chat["checkpoints"][1]["valid_loss"], 1.4);
    assert_eq!(chat["checkpoints"][1]["valid_accuracy"], 0.61);
    assert_eq!(chat["checkpoints"][1]["train_accuracy"], 0.6);
    assert_eq!(chat["train_curve"][1]["learning_rate"], 1e-5);
    assert_eq!(code["checkpoints"][1]["valid_loss"], 1.9);
    assert_eq!(code["checkpoints"][1]["train_loss"], 1.5);
    assert_eq!(code["summary"]["trainer_best_step"], Value::Null);
    assert_eq!(code["deployable"]["rule"], "saved");

    // save_steps left at its default 500 on a 20-step run does not show what was saved.
    let mut state = state;
    state["save_steps"] = json!(500);
    write(dir.path(), "trainer_state.json", state.to_string());
    let run = crate::harness::verdict_in(
        dir.path(),
        &["curves", "trainer_state.json", "--out", "out"],
    );
    run.assert_code(0);
    let json = read_json(&dir.path().join("out"));
    assert_eq!(json["runs"][0]["deployable"]["rule"], "unknown");
    assert_eq!(json["runs"][0]["checkpoints"][0]["deployable"], Value::Null);
    assert!(
        run.stdout.contains("which checkpoints the Trainer saved is not known (no checkpoint-N folders beside the state, and save_steps does not show the schedule); the recommendation is the best of all checkpoints"),
        "{}",
        run.stdout
    );
}

#[test]
fn curves_trainer_state_errors_name_the_entry() {
    let dir = tempdir();
    let out = tempdir();
    let bad = write(
        dir.path(),
        "trainer_state.json",
        r#"{"log_history": {"loss": 1}}"#,
    );
    let run = curves(&[bad.to_str().unwrap()], out.path());
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("trainer_state.json: log_history: expected a list of logged entries"),
        "{}",
        run.stderr
    );
    let bad = write(
        dir.path(),
        "trainer_state.json",
        r#"{"log_history": [{"loss": 1.2, "step": 5}, {"loss": "nan?", "step": 10}]}"#,
    );
    let run = curves(&[bad.to_str().unwrap()], out.path());
    run.assert_code(2);
    assert!(run.stderr.contains("log_history[1].loss"), "{}", run.stderr);
    let bad = write(
        dir.path(),
        "trainer_state.json",
        r#"{"log_history": [{"loss": 1.2}]}"#,
    );
    let run = curves(&[bad.to_str().unwrap()], out.path());
    run.assert_code(2);
    assert!(run.stderr.contains("log_history[0].step"), "{}", run.stderr);
    assert!(!out.path().join("curves.json").exists());
}

#[test]
fn curves_oscillation_is_found_on_the_dense_validation_series() {
    let out = tempdir();
    let file = "tests/fixtures/curves/dense-oscillation.csv";
    let run = curves(&[file], out.path());
    run.assert_code(0);
    let json = read_json(out.path());
    let r = run_named(&json, file);
    // The best checkpoint and the ratio still come from the accurate full pass ...
    assert_eq!(r["validation"], "full_valid_loss");
    assert_eq!(r["summary"]["best_step"], 240);
    assert_eq!(r["summary"]["checkpoints"], 3);
    // ... while the batch estimate, swinging 12-15 % at each of its 12 evaluations, shows
    // 10 reversals in 10 possible places.
    let osc: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "oscillation")
        .collect();
    assert_eq!(osc.len(), 1);
    assert_eq!(osc[0]["series"], "valid_loss");
    assert_eq!(osc[0]["value"], 10.0);
    // The shape of the run is that of the curve its checkpoints are judged on.
    assert_eq!(r["summary"]["pattern"], "healthy");
    assert_eq!(r["summary"]["warnings"], 1);
    // Every finding names its series.
    for f in r["findings"].as_array().unwrap() {
        assert!(f["series"].is_string(), "{f}");
    }
    let line = "the batch validation loss (logged between the full passes) oscillates: 10 reversals of direction among its moves larger than 5% [valid_loss]";
    assert!(run.stdout.contains(line), "{}", run.stdout);
    let html = std::fs::read_to_string(out.path().join("curves.html")).unwrap();
    assert!(html.contains(line), "HTML line");
    let md = std::fs::read_to_string(out.path().join("curves.md")).unwrap();
    assert!(md.contains(line), "markdown line");
}
