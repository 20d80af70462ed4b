//! Issue 21, items 3 and 5: exact match judges the whole answer in every mode; gates on
//! metrics the spec can never produce, rate thresholds that read as percentages and mistyped
//! operators are usage errors; a run most of whose examples have no prediction says so loudly
//! and can be gated on `coverage`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{score_ok, tempdir, verdict, write};

/// `examples.jsonl` as id → exact.
fn exact_by_id(out: &Path) -> BTreeMap<String, bool> {
    std::fs::read_to_string(out.join("examples.jsonl"))
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            (
                v["id"].as_str().unwrap().to_owned(),
                v["exact"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn jsonl(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// A ticket-like single-label task: the label, one path and one list are scored.
const TICKET_SPEC: &str = r#"label = "/intent"
[paths."/priority"]
compare = "exact"
[lists.entities]
pointer = "/entities"
"#;

#[test]
fn single_label_exact_match_needs_the_whole_answer_not_just_the_label() {
    let data = tempdir();
    let answer = |intent: &str, priority: &str, entities: &[&str]| json!({"intent": intent, "priority": priority, "entities": entities});
    let right = answer("refund", "high", &["A1", "B2"]);
    write(data.path(), "eval.toml", TICKET_SPEC);
    write(
        data.path(),
        "expected.jsonl",
        jsonl(&[
            json!({"id": "right", "expected": right}),
            json!({"id": "wrong-priority", "expected": right}),
            json!({"id": "missing-entity", "expected": right}),
            json!({"id": "wrong-label", "expected": right}),
        ]),
    );
    write(
        data.path(),
        "predictions.jsonl",
        jsonl(&[
            json!({"id": "right", "output": right}),
            json!({"id": "wrong-priority", "output": answer("refund", "low", &["A1", "B2"])}),
            json!({"id": "missing-entity", "output": answer("refund", "high", &["A1"])}),
            json!({"id": "wrong-label", "output": answer("billing", "high", &["A1", "B2"])}),
        ]),
    );
    let out = tempdir();
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
    // Worked by hand: 3 of 4 labels are right, 1 of 4 answers is right throughout.
    assert_eq!(report["summary"]["label_accuracy"], json!(0.75));
    assert_eq!(report["summary"]["exact_match"], json!(0.25));
    assert_eq!(
        exact_by_id(out.path()),
        BTreeMap::from([
            ("missing-entity".to_owned(), false),
            ("right".to_owned(), true),
            ("wrong-label".to_owned(), false),
            ("wrong-priority".to_owned(), false),
        ])
    );
}

#[test]
fn with_an_empty_spec_exact_match_is_equality_of_the_whole_output() {
    let data = tempdir();
    write(data.path(), "eval.toml", "");
    write(
        data.path(),
        "expected.jsonl",
        jsonl(&[
            json!({"id": "other-number", "expected": {"a": 1}}),
            json!({"id": "same-value", "expected": {"a": 1, "b": [2]}}),
        ]),
    );
    write(
        data.path(),
        "predictions.jsonl",
        // 2.0 is the number 2: equal by value.
        "{\"id\": \"other-number\", \"output\": {\"a\": 2}}\n{\"id\": \"same-value\", \"output\": {\"b\": [2.0], \"a\": 1}}\n",
    );
    let out = tempdir();
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
    assert_eq!(report["summary"]["exact_match"], json!(0.5));
    assert_eq!(report["summary"]["label_accuracy"], Value::Null);
    assert_eq!(
        exact_by_id(out.path()),
        BTreeMap::from([
            ("other-number".to_owned(), false),
            ("same-value".to_owned(), true),
        ])
    );
    // examples.jsonl's exact and summary.exact_match are one rule: the shares agree.
    let exact = exact_by_id(out.path()).values().filter(|e| **e).count();
    assert_eq!(json!(exact as f64 / 2.0), report["summary"]["exact_match"]);
}

#[test]
fn the_tickets_sample_exact_match_counts_whole_answers() {
    let out = tempdir();
    let (_, report) = score_ok(&["datasets/tickets", "--bootstrap", "0"], out.path());
    // Counted independently in Python (parse the answer, compare intent, priority, folded
    // name, email and the entities as a multiset): 206 right labels, 134 right answers.
    assert_eq!(report["summary"]["label_accuracy"], json!(206.0 / 240.0));
    assert_eq!(report["summary"]["exact_match"], json!(134.0 / 240.0));
    let exact = exact_by_id(out.path()).values().filter(|e| **e).count();
    assert_eq!(exact, 134);
}

/// Scores the tickets sample with `gate` and returns the run.
fn tickets_with_gate(gate: &str) -> crate::harness::Run {
    let out = tempdir();
    verdict(&[
        "score",
        "datasets/tickets",
        "--bootstrap",
        "0",
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
        "--gate",
        gate,
    ])
}

#[test]
fn a_gate_on_a_metric_the_spec_never_produces_is_a_usage_error() {
    let run = tickets_with_gate("event_f1>=0.5");
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "verdict: error: gate on `event_f1`: this spec never produces it (`event_f1` needs [events] in the spec); remove the gate or gate on a metric the spec scores\n"
    );
    let run = tickets_with_gate("timestamps.p90_abs<=1");
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("`timestamps` is measured on events and the spec has no [events]"),
        "{}",
        run.stderr
    );
    let run = tickets_with_gate("classes.LAYUP.recall>=0.5");
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "gate on `classes.LAYUP.recall`: class `LAYUP` is neither declared in labels nor seen in this run, so the spec never produces it (classes: refund, shipping, billing, account, other"
        ),
        "{}",
        run.stderr
    );
    // A spec gate too, before anything is scored.
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        format!("{TICKET_SPEC}[gates]\nplayer_id_accuracy = \">= 0.9\"\n"),
    );
    write(
        data.path(),
        "expected.jsonl",
        "{\"id\": 1, \"expected\": {}}\n",
    );
    write(
        data.path(),
        "predictions.jsonl",
        "{\"id\": 1, \"output\": {}}\n",
    );
    let run = verdict(&["score", data.path().to_str().unwrap(), "--quiet"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("gate on `player_id_accuracy`: this spec never produces it (`player_id_accuracy` needs [events] and a [fields] entry with compare = \"player_id\" in the spec)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_metric_null_for_want_of_data_still_fails_its_gate() {
    // The spec scores events, but no expected output has one: the class metrics exist and
    // are null in this run, and the gate fails (exit 1) as before. (An empty event list gives
    // the spec's members no chance to be missing, so the spec is not at fault.)
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        "[events]\ntime = \"t\"\nlabel = \"c\"\n",
    );
    write(
        data.path(),
        "expected.jsonl",
        "{\"id\": 1, \"expected\": []}\n",
    );
    write(
        data.path(),
        "predictions.jsonl",
        "{\"id\": 1, \"output\": []}\n",
    );
    let out = tempdir();
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
        "--gate",
        "macro_f1>=0.5",
    ]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("gate failed: macro_f1 = null, required >= 0.5"),
        "{}",
        run.stderr
    );
}

#[test]
fn rate_thresholds_and_operators_are_checked_where_the_gate_is_written() {
    for (gate, message) in [
        (
            "macro_f1>=75",
            "gate macro_f1>=75: macro_f1 is a rate between 0 and 1, so a threshold of 75 always passes or never does; for 75%, write macro_f1>=0.75",
        ),
        (
            "macro_f1==0.75",
            "gate \"macro_f1==0.75\": `==` is not a gate operator; use >=, >, <= or <, as in \"macro_f1>=0.75\"",
        ),
        (
            "macro_f1=0.75",
            "gate \"macro_f1=0.75\": `=` is not a gate operator; use >=, >, <= or <",
        ),
        // What the shell passes for an unquoted --gate macro_f1>=0.75.
        (
            "macro_f1",
            "gate \"macro_f1\" has no operator: quote the whole gate, as in --gate 'macro_f1>=0.75'",
        ),
    ] {
        let run = tickets_with_gate(gate);
        run.assert_code(2);
        assert!(run.stderr.contains(message), "{gate}: {}", run.stderr);
    }
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        format!("{TICKET_SPEC}[gates]\nmacro_f1 = \">= 80\"\n"),
    );
    let run = verdict(&["score", data.path().to_str().unwrap(), "--quiet"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "[gates] macro_f1: gate macro_f1>=80: macro_f1 is a rate between 0 and 1, so a threshold of 80 always passes or never does; for 80%, write macro_f1>=0.8"
        ),
        "{}",
        run.stderr
    );
    write(
        data.path(),
        "eval.toml",
        format!("{TICKET_SPEC}[gates]\nmacro_f1 = \"== 0.8\"\n"),
    );
    let run = verdict(&["score", data.path().to_str().unwrap(), "--quiet"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "[gates] macro_f1: gate \"== 0.8\": `==` is not a gate operator; use >=, >, <= or <, as in \">= 0.80\""
        ),
        "{}",
        run.stderr
    );
}

/// The tickets sample with predictions for another test set: 20 of 240 examples joined.
fn other_test_set() -> tempfile::TempDir {
    let data = tempdir();
    let root = crate::harness::root();
    let spec = std::fs::read_to_string(root.join("datasets/tickets/eval.toml")).unwrap();
    let schema = root.join("schemas/tickets.schema.json");
    write(
        data.path(),
        "eval.toml",
        spec.replace(
            "../../schemas/tickets.schema.json",
            schema.to_str().unwrap(),
        ),
    );
    std::fs::copy(
        root.join("datasets/tickets/expected.jsonl"),
        data.path().join("expected.jsonl"),
    )
    .unwrap();
    let predictions: String =
        std::fs::read_to_string(root.join("datasets/tickets/predictions.jsonl"))
            .unwrap()
            .lines()
            .take(60)
            .enumerate()
            .map(|(i, line)| {
                let line = if i >= 20 {
                    line.replacen("\"custom_id\": \"ticket-", "\"custom_id\": \"other-", 1)
                } else {
                    line.to_owned()
                };
                format!("{line}\n")
            })
            .collect();
    write(data.path(), "predictions.jsonl", predictions);
    data
}

const NOTICE: &str = "220 of 240 examples (91.7%) have no prediction and count as missing outputs in every metric; 40 prediction line(s) answer no expected example: the predictions were most likely made for another test set, or carry other ids. Check --predictions against --expected; gate on coverage (--gate 'coverage>=0.99') to fail such runs.";

#[test]
fn many_missing_predictions_are_said_loudly_and_coverage_gates_them() {
    let data = other_test_set();
    let out = tempdir();
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--bootstrap",
        "0",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(0);
    assert!(
        run.stdout.ends_with(&format!("!! WARNING: {NOTICE}\n")),
        "{}",
        run.stdout
    );
    let markdown = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        markdown.starts_with(&format!(
            "# verdict: tickets\n\n> **Warning:** {NOTICE}\n\n"
        )),
        "{markdown}"
    );
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    let header = &html[html.find("<header>").unwrap()..html.find("</header>").unwrap()];
    assert!(header.contains("id=\"missing-notice\""), "{header}");
    assert!(
        header.contains("220 of 240 examples (91.7%) have no prediction"),
        "{header}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["summary"]["coverage"], json!(20.0 / 240.0));

    // --quiet keeps stdout empty; the notice goes to stderr, and a coverage gate fails the run.
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--bootstrap",
        "0",
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
        "--gate",
        "coverage>=0.99",
    ]);
    run.assert_code(1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains(&format!("verdict: warning: {NOTICE}\n")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("verdict: gate failed: coverage = 0.0833, required >= 0.99"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_full_run_has_coverage_1_and_no_notice() {
    let out = tempdir();
    let run = verdict(&[
        "score",
        "datasets/tickets",
        "--bootstrap",
        "0",
        "--out",
        out.path().to_str().unwrap(),
        "--gate",
        "coverage>=1",
    ]);
    run.assert_code(0);
    assert!(!run.stdout.contains("WARNING"), "{}", run.stdout);
    let markdown = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(!markdown.contains("Warning"), "{markdown}");
}
