//! Confidence intervals, `verdict compare` and the paired baseline, end to end. The compare
//! fixture is a single-label task with three models; its exact-match disagreements (19 right in
//! A only, 3 in B only) were counted independently when the fixture was made, and the McNemar
//! p-value is scipy.stats.binomtest(3, 22, 0.5).

use serde_json::Value;

use crate::harness::{Run, score_ok, tempdir, verdict};

const DIR: &str = "tests/fixtures/compare";

fn compare(extra: &[&str], out: &std::path::Path) -> (Run, Value) {
    let mut args: Vec<String> = [
        "compare",
        "--spec",
        &format!("{DIR}/eval.toml"),
        "--expected",
        &format!("{DIR}/expected.jsonl"),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.extend(["--out".to_owned(), out.display().to_string()]);
    let run = verdict(&args);
    run.assert_code(0);
    let json =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    (run, json)
}

/// Scores one model's predictions of the compare fixture into `out`.
fn score_model(model: &str, out: &std::path::Path) {
    let (spec, expected) = (format!("{DIR}/eval.toml"), format!("{DIR}/expected.jsonl"));
    score_ok(
        &[
            "--spec",
            &spec,
            "--expected",
            &expected,
            "--predictions",
            model,
        ],
        out,
    );
}

fn metric<'a>(c: &'a Value, name: &str) -> &'a Value {
    c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or_else(|| panic!("{name}"))
}

#[test]
fn two_prediction_sets_paired_intervals_and_mcnemar() {
    let out = tempdir();
    let a = format!("{DIR}/model-a.jsonl");
    let b = format!("{DIR}/model-b.jsonl");
    let (run, c) = compare(&[&a, &b], out.path());
    assert_eq!(c["kind"], "pair");
    assert_eq!(c["shared_examples"], 200);
    let acc = metric(&c, "label_accuracy");
    assert_eq!(acc["a"], 0.835);
    assert_eq!(acc["b"], 0.755);
    let delta = &acc["delta"];
    assert!((delta["value"].as_f64().unwrap() + 0.08).abs() < 1e-12);
    let (low, high) = (
        delta["low"].as_f64().unwrap(),
        delta["high"].as_f64().unwrap(),
    );
    assert!(low < -0.08 && -0.08 < high && high < 0.0, "[{low}, {high}]");
    assert_eq!(acc["significant"], true);
    assert_eq!(c["mcnemar"]["a_only"], 19);
    assert_eq!(c["mcnemar"]["b_only"], 3);
    assert!((c["mcnemar"]["p_value"].as_f64().unwrap() - 0.0008554458618164062).abs() < 1e-12);
    assert_eq!(c["right_in_a_only"].as_array().unwrap().len(), 19);
    assert!(
        run.stdout.contains("McNemar exact p = 0.0009"),
        "{}",
        run.stdout
    );
    assert!(out.path().join("compare.md").is_file() && out.path().join("compare.html").is_file());

    // The same numbers from run directories, and for any thread count.
    let (dir_a, dir_b) = (tempdir(), tempdir());
    score_model(&a, dir_a.path());
    score_model(&b, dir_b.path());
    let out2 = tempdir();
    let run = verdict(&[
        "compare",
        dir_a.path().to_str().unwrap(),
        dir_b.path().to_str().unwrap(),
        "--threads",
        "1",
        "--out",
        out2.path().to_str().unwrap(),
    ]);
    run.assert_code(0);
    let from_dirs: Value =
        serde_json::from_str(&std::fs::read_to_string(out2.path().join("compare.json")).unwrap())
            .unwrap();
    assert_eq!(from_dirs["metrics"], c["metrics"]);
    assert_eq!(from_dirs["mcnemar"], c["mcnemar"]);
}

#[test]
fn a_leaderboard_ranks_runs_and_marks_significant_gaps() {
    let out = tempdir();
    let runs = ["model-c", "model-a", "model-b"].map(|m| format!("{DIR}/{m}.jsonl"));
    let (_, l) = compare(
        &[&runs[0], &runs[1], &runs[2], "--metric", "label_accuracy"],
        out.path(),
    );
    assert_eq!(l["kind"], "leaderboard");
    let standings = l["standings"].as_array().unwrap();
    let order: Vec<&str> = standings
        .iter()
        .map(|s| s["run"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [runs[1].as_str(), runs[2].as_str(), runs[0].as_str()]
    );
    assert_eq!(standings[0]["delta_to_best"], Value::Null);
    assert_eq!(standings[2]["value"]["value"], 0.595);
    assert_eq!(standings[1]["significantly_worse"], true);
    let bad = verdict(&[
        "compare",
        "--spec",
        &format!("{DIR}/eval.toml"),
        "--expected",
        &format!("{DIR}/expected.jsonl"),
        &runs[0],
        &runs[1],
        &runs[2],
    ]);
    bad.assert_code(2);
    assert!(
        bad.stderr
            .contains("--metric event_f1: not a metric of these runs"),
        "{}",
        bad.stderr
    );
}

#[test]
fn score_reports_intervals_whose_values_are_the_summary() {
    let out = tempdir();
    let (_, r) = score_ok(&["datasets/basketball"], out.path());
    let intervals = &r["intervals"];
    assert_eq!(intervals["replicates"], 1000);
    assert_eq!(intervals["units"], 320);
    for (key, interval) in intervals["summary"].as_object().unwrap() {
        assert_eq!(interval["value"], r["summary"][key], "{key}");
        let (low, high) = (
            interval["low"].as_f64().unwrap(),
            interval["high"].as_f64().unwrap(),
        );
        assert!(low <= high, "{key}");
    }
    for class in r["classes"].as_array().unwrap() {
        let label = class["label"].as_str().unwrap();
        for m in ["precision", "recall", "f1"] {
            assert_eq!(
                intervals["classes"][label][m]["value"], class[m],
                "{label} {m}"
            );
        }
    }
    // A different seed moves the interval ends, never the value.
    let (_, other) = score_ok(&["datasets/basketball", "--seed", "9"], out.path());
    assert_eq!(
        other["intervals"]["summary"]["event_f1"]["value"],
        intervals["summary"]["event_f1"]["value"]
    );
    assert_ne!(
        other["intervals"]["summary"]["event_f1"]["low"],
        intervals["summary"]["event_f1"]["low"]
    );
    // Off on request.
    let (_, off) = score_ok(&["datasets/basketball", "--bootstrap", "0"], out.path());
    assert_eq!(off["intervals"], Value::Null);
}

#[test]
fn clusters_are_resampled_whole_and_counted() {
    let out = tempdir();
    // The clip URIs name their game: game-0000 ... game-0031.
    let by = r"/contents/0/parts/0/fileData/fileUri~/(game-\d+)/";
    let (_, r) = score_ok(&["datasets/basketball", "--cluster-by", by], out.path());
    assert_eq!(r["intervals"]["cluster_by"], by);
    assert_eq!(r["intervals"]["units"], 32);
    let (_, plain) = score_ok(&["datasets/basketball"], out.path());
    let width = |r: &Value| {
        let i = &r["intervals"]["summary"]["event_f1"];
        i["high"].as_f64().unwrap() - i["low"].as_f64().unwrap()
    };
    assert!(width(&r) > 0.0 && width(&plain) > 0.0);
    let examples = std::fs::read_to_string(out.path().join("examples.jsonl")).unwrap();
    assert!(
        !examples.contains("\"cluster\""),
        "the unclustered run stores no clusters"
    );
    let missing = verdict(&[
        "score",
        "datasets/basketball",
        "--cluster-by",
        "game",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    missing.assert_code(2);
    assert!(
        missing.stderr.contains(
            "datasets/basketball/expected.jsonl:1: --cluster-by game: the line has no \"game\""
        ),
        "{}",
        missing.stderr
    );
}

#[test]
fn gates_on_interval_ends() {
    let out = tempdir();
    let run = verdict(&[
        "score",
        "datasets/basketball",
        "--gate",
        "event_f1.low>=0.9",
        "--gate",
        "event_f1.high>=0.8",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("gate failed: event_f1.low = 0.8"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("gate failed: event_f1.high"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_baseline_run_is_judged_on_the_paired_interval_of_the_change() {
    let base = tempdir();
    let spec = format!("{DIR}/eval.toml");
    let expected = format!("{DIR}/expected.jsonl");
    score_model(&format!("{DIR}/model-a.jsonl"), base.path());
    let out = tempdir();
    let args = |drop: &str| -> Vec<String> {
        [
            "score",
            "--spec",
            &spec,
            "--expected",
            &expected,
            "--predictions",
            &format!("{DIR}/model-b.jsonl"),
            "--baseline",
            base.path().to_str().unwrap(),
            "--max-drop",
            drop,
            "--out",
            out.path().to_str().unwrap(),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    // B is 0.08 worse; its paired interval reaches about -0.13: a 0.01 allowance fails...
    let run = verdict(&args("0.01"));
    run.assert_code(1);
    assert!(
        run.stderr.contains("gate failed: label_accuracy = -0.1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("paired 95% interval [-0.1"),
        "{}",
        run.stderr
    );
    // ...a 0.2 allowance passes: the whole interval lies above -0.2.
    verdict(&args("0.2")).assert_code(0);
}
