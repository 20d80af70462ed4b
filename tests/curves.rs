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
        ("openai-healthy.csv", "openai-results", "healthy", vec![]),
        (
            "openai-overfit-base64.csv",
            "openai-results",
            "overfit",
            vec![
                "generalisation",
                "gap",
                "not_deployable",
                "final_above_best",
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
