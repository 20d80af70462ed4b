//! The label set (issue 21, item 2): a spec's declared `labels` are the task's classes, so
//! labels the model invents cannot drag the macro and weighted averages down, and an expected
//! label outside the set stops the run. Numbers are worked out by hand in the comments.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{Run, score_ok, tempdir, verdict, write};

/// Two clips. Clip 1: A and B found, plus an invented DUNK far from both (spurious). Clip 2:
/// the expected A is answered by a DUNK at the same time (a pair with the wrong label).
/// A: support 2, predicted 1, tp 1 (P 1, R 1/2, F1 2/3); B: 1, 1, 1 (all 1); DUNK predicted 2.
const EXPECTED: &str = r#"{"id": 1, "expected": [{"t": 1, "c": "A"}, {"t": 5, "c": "B"}]}
{"id": 2, "expected": [{"t": 2, "c": "A"}]}
"#;
const PREDICTIONS: &str = r#"{"id": 1, "output": "[{\"t\": 1, \"c\": \"A\"}, {\"t\": 5, \"c\": \"B\"}, {\"t\": 9, \"c\": \"DUNK\"}]"}
{"id": 2, "output": "[{\"t\": 2, \"c\": \"DUNK\"}]"}
"#;

fn dataset(dir: &Path, labels: Option<&str>, expected: &str) {
    let labels = labels
        .map(|l| format!("labels = {l}\n"))
        .unwrap_or_default();
    write(
        dir,
        "eval.toml",
        format!("{labels}[events]\ntime = \"t\"\nlabel = \"c\"\n"),
    );
    write(dir, "expected.jsonl", expected);
    write(dir, "predictions.jsonl", PREDICTIONS);
}

fn score(dir: &Path, out: &Path) -> Run {
    let run = verdict(&[
        "score",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--bootstrap",
        "0",
    ]);
    run.assert_code(0);
    run
}

#[track_caller]
fn close(value: &Value, want: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"));
    assert!((got - want).abs() < 1e-12, "{got} != {want}");
}

#[test]
fn invented_labels_are_out_of_set_and_leave_the_averages_to_the_declared_classes() {
    let data = tempdir();
    dataset(data.path(), Some(r#"["A", "B"]"#), EXPECTED);
    let out = tempdir();
    let run = score(data.path(), out.path());
    let text = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();

    let labels: Vec<&Value> = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["label"])
        .collect();
    assert_eq!(labels, ["A", "B"]);
    assert_eq!(report["out_of_set"], json!({"DUNK": 2}));
    assert_eq!(
        report["confusion"]["labels"],
        json!(["A", "B", "(other)", "∅"])
    );
    // Rows A, B, (other), ∅: clip 2's A became a DUNK, clip 1's DUNK matched nothing.
    assert_eq!(
        report["confusion"]["matrix"],
        json!([[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]])
    );
    let s = &report["summary"];
    // The two DUNKs are still false positives: 2 right of 4 predictions, 2 of 3 found.
    close(&s["event_precision"], 0.5);
    close(&s["event_recall"], 2.0 / 3.0);
    close(&s["event_f1"], 4.0 / 7.0);
    // Over A and B only (with DUNK as a class, macro_f1 would be 5/9).
    close(&s["macro_precision"], 1.0);
    close(&s["macro_recall"], 0.75);
    close(&s["macro_f1"], 5.0 / 6.0);
    close(&s["weighted_f1"], (2.0 / 3.0 * 2.0 + 1.0) / 3.0);
    close(&report["averages"]["weighted"]["recall"], 2.0 / 3.0);

    assert!(
        run.stdout
            .contains("  micro avg           3      0.500   0.667   0.571\n")
            && run
                .stdout
                .contains("  macro avg           3      1.000   0.750   0.833\n")
            && run
                .stdout
                .contains("  weighted avg        3      1.000   0.667   0.778\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("note: out-of-set predictions (labels not in the spec's `labels`): DUNK 2;"),
        "{}",
        run.stdout
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains("| *macro avg* | 3 |  | 1.0000 | 0.7500 | 0.8333 |"),
        "{md}"
    );
    assert!(
        md.contains("Note: out-of-set predictions (labels not in the spec's `labels`): DUNK 2;"),
        "{md}"
    );
    let csv = std::fs::read_to_string(out.path().join("per_class.csv")).unwrap();
    assert!(!csv.contains("DUNK"), "{csv}");
}

#[test]
fn a_declared_class_with_nothing_to_measure_is_left_out_not_counted_as_zero() {
    let data = tempdir();
    // C is declared but neither expected nor predicted: every rate undefined, as NaN in
    // scikit-learn with zero_division=np.nan.
    dataset(data.path(), Some(r#"["A", "B", "C"]"#), EXPECTED);
    let out = tempdir();
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
    let c = &report["classes"][2];
    assert_eq!(
        (&c["label"], &c["precision"], &c["recall"], &c["f1"]),
        (&json!("C"), &Value::Null, &Value::Null, &Value::Null)
    );
    close(&report["summary"]["macro_f1"], 5.0 / 6.0);
    // Its bootstrap intervals are undefined in every replicate, and the macro interval is
    // over A and B as the value is.
    let interval = &report["intervals"]["classes"]["C"]["f1"];
    assert!(
        interval["value"].is_null() && interval["low"].is_null(),
        "{interval}"
    );
    let macro_f1 = &report["intervals"]["summary"]["macro_f1"];
    close(&macro_f1["value"], 5.0 / 6.0);
}

#[test]
fn without_declared_labels_every_label_is_a_class_and_the_console_says_which_were_only_predicted() {
    let data = tempdir();
    dataset(data.path(), None, EXPECTED);
    let out = tempdir();
    let run = score(data.path(), out.path());
    let text = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    let labels: Vec<&Value> = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["label"])
        .collect();
    assert_eq!(labels, ["A", "B", "DUNK"]);
    assert_eq!(report["out_of_set"], Value::Null);
    assert_eq!(
        report["confusion"]["labels"],
        json!(["A", "B", "DUNK", "∅"])
    );
    // scikit-learn's default: DUNK is a class with F1 0 (precision 0 of 2, no support).
    close(&report["summary"]["macro_f1"], 5.0 / 9.0);
    close(&report["classes"][2]["recall"], 0.0);
    close(&report["summary"]["event_precision"], 0.5);
    let advice = "note: labels only ever predicted, never expected: DUNK 2; each counts as a class (F1 0) in the macro and weighted averages. Declare the task's label set with `labels = [...]` in the spec to report them as out-of-set instead\n";
    assert!(run.stdout.contains(advice), "{}", run.stdout);
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains("Note: labels only ever predicted, never expected: DUNK 2;"),
        "{md}"
    );
}

#[test]
fn an_expected_label_outside_the_declared_set_is_an_input_error_naming_it_and_its_line() {
    let data = tempdir();
    let expected = EXPECTED.replace(r#"{"t": 2, "c": "A"}"#, r#"{"t": 2, "c": "a"}"#);
    dataset(data.path(), Some(r#"["A", "B"]"#), &expected);
    let out = tempdir();
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(2);
    let want = format!(
        "verdict: error: {}/expected.jsonl:2: expected label `a` is not in the spec's `labels` [A, B] (close to the declared `A`: is one of them misspelt?): declare it in `labels`, or correct the expected output\n",
        data.path().display()
    );
    assert_eq!(run.stderr, want);
    assert!(
        !out.path().join("report.json").exists(),
        "no report on an input error"
    );
}

#[test]
fn a_single_label_table_ends_with_accuracy() {
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        "label = \"/y\"\nlabels = [\"yes\", \"no\"]\n",
    );
    write(
        data.path(),
        "expected.jsonl",
        "{\"id\": 1, \"expected\": {\"y\": \"yes\"}}\n{\"id\": 2, \"expected\": {\"y\": \"no\"}}\n{\"id\": 3, \"expected\": {\"y\": \"no\"}}\n",
    );
    write(
        data.path(),
        "predictions.jsonl",
        "{\"id\": 1, \"output\": \"{\\\"y\\\": \\\"yes\\\"}\"}\n{\"id\": 2, \"output\": \"{\\\"y\\\": \\\"maybe\\\"}\"}\n{\"id\": 3, \"output\": \"{\\\"y\\\": \\\"no\\\"}\"}\n",
    );
    let out = tempdir();
    let run = score(data.path(), out.path());
    // yes: 1/1/1; no: P 1 R 1/2; "maybe" is out of set. Accuracy 2 of 3.
    assert!(
        run.stdout
            .contains("  micro avg           3      0.667   0.667   0.667\n")
            && run
                .stdout
                .contains("  macro avg           3      1.000   0.750   0.833\n")
            && run
                .stdout
                .contains("  accuracy            3                      0.667\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn expected_events_without_a_label_stay_misses_under_a_declared_set() {
    // Five expected events, two of them with no label; the model finds the three labelled
    // ones. No class holds the two, but they are still events the model missed: event_recall
    // 3/5 and event_f1 2·3/(3+5) = 0.75, as without `labels`, not 1.
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        "labels = [\"A\", \"B\"]\n[events]\ntime = \"t\"\nlabel = \"c\"\ntolerance = 0.5\n",
    );
    write(
        data.path(),
        "expected.jsonl",
        r#"{"id": "1", "expected": [{"t": 1.0, "c": "A"}, {"t": 5.0}, {"t": 9.0}]}
{"id": "2", "expected": [{"t": 1.0, "c": "B"}, {"t": 3.0, "c": "A"}]}
"#,
    );
    write(
        data.path(),
        "predictions.jsonl",
        r#"{"id": "1", "output": "[{\"t\": 1.0, \"c\": \"A\"}]"}
{"id": "2", "output": "[{\"t\": 1.0, \"c\": \"B\"}, {\"t\": 3.0, \"c\": \"A\"}]"}
"#,
    );
    let out = tempdir();
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--bootstrap",
        "100",
    ]);
    run.assert_code(0);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    let summary = &report["summary"];
    close(&summary["event_precision"], 1.0);
    close(&summary["event_recall"], 0.6);
    close(&summary["event_f1"], 0.75);
    // The declared classes themselves are perfect.
    close(&summary["macro_f1"], 1.0);
    // The point of the interval is the report's value; the sweep at the tolerance agrees.
    close(
        &report["intervals"]["summary"]["event_recall"]["value"],
        0.6,
    );
    close(&report["tolerance_sweep"]["f1"][0], 0.75);
    assert_eq!(report["averages"]["micro"]["support"], json!(5));
    // The two sit in the `(other)` row of the confusion matrix, missed (`∅` column).
    assert_eq!(
        report["confusion"],
        json!({"labels": ["A", "B", "(other)", "∅"], "matrix": [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 2], [0, 0, 0, 0]]})
    );
    assert!(
        run.stderr
            .contains("[events] label = \"c\" is missing from 2 of 5 expected events"),
        "{}",
        run.stderr
    );
}
