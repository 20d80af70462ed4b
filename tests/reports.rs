//! The human and CI reports (`report.md`, `per_class.csv`, `junit.xml`, `report.html`) and the
//! gates: snapshots of the byte-stable files, the JUnit read back as XML, exit codes.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{Run, tempdir, verdict, write};

const DATA: &str = "tests/fixtures/vertex-batch";

/// Scores the vertex-batch data with the gated spec, returning the run and its out dir.
fn gated(extra: &[&str], out: &Path) -> Run {
    let mut args = vec![
        "score".to_owned(),
        "--spec".into(),
        "tests/fixtures/gated/eval.toml".into(),
        "--expected".into(),
        format!("{DATA}/expected.jsonl"),
        "--predictions".into(),
        format!("{DATA}/predictions.jsonl"),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    verdict(&args)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&read(dir, "report.json")).unwrap()
}

#[test]
fn spec_gates_decide_the_exit_code_and_say_why() {
    let out = tempdir();
    let run = gated(&[], out.path());
    run.assert_code(1);
    let r = report(out.path());
    assert_eq!(r["passed"], false);
    let gates: Vec<(String, bool, String)> = r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["metric"].as_str().unwrap().to_owned(),
                g["passed"].as_bool().unwrap(),
                g["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let gate = |m: &str, p: bool| (m.to_owned(), p, "spec".to_owned());
    // Spec gates come in key order.
    assert_eq!(
        gates,
        [
            gate("classes.FG_MAKE.recall", true),
            gate("event_f1", false),
            gate("json_valid", true),
            gate("timestamp_mae", true)
        ]
    );
    assert_eq!(
        r["gates"][0]["note"],
        "only 9 expected in this class (< 10): the number is noise"
    );
    assert_eq!(r["gates"][1]["value"], 0.375);
    // One FAIL line per failed gate on stderr, and the same verdict on stdout.
    let fails: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("gate failed"))
        .collect();
    assert_eq!(
        fails,
        ["verdict: gate failed: event_f1 = 0.3750, required >= 0.5"]
    );
    assert!(run.stdout.contains("    FAIL  event_f1"), "{}", run.stdout);
    assert!(
        run.stdout.contains("  result: FAIL (1 of 4 gates)"),
        "{}",
        run.stdout
    );
}

#[test]
fn command_line_gates_replace_spec_gates_and_can_pass_the_run() {
    let out = tempdir();
    let run = gated(
        &["--gate", "event_f1>=0.3", "--gate", "macro_f1 > 0.1"],
        out.path(),
    );
    run.assert_code(0);
    let r = report(out.path());
    assert_eq!(r["passed"], true);
    let sources: Vec<(&str, &str)> = r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["metric"].as_str().unwrap(), g["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        sources,
        [
            ("classes.FG_MAKE.recall", "spec"),
            ("json_valid", "spec"),
            ("timestamp_mae", "spec"),
            ("event_f1", "cli"),
            ("macro_f1", "cli")
        ]
    );
    assert!(run.stdout.contains("  result: PASS"), "{}", run.stdout);
    assert!(!run.stderr.contains("gate failed"), "{}", run.stderr);
}

#[test]
fn a_gate_on_a_metric_the_spec_never_produces_is_a_usage_error() {
    // label_accuracy is null in every events run: a gate on it could only fail, so it is a
    // mistake in the gate (exit 2), not a failed gate. A metric null for want of data still
    // fails: see exact_gates::a_metric_null_for_want_of_data_still_fails_its_gate.
    let out = tempdir();
    let run = gated(
        &["--gate", "event_f1>=0", "--gate", "label_accuracy>=0.5"],
        out.path(),
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("gate on `label_accuracy`: this spec never produces it (`label_accuracy` needs label = \"/pointer\" in the spec)"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_gates_are_usage_errors_before_any_report() {
    let out = tempdir();
    let run = gated(&["--gate", "event_f1=>0.5"], out.path());
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("invalid value 'event_f1=>0.5' for '--gate <EXPR>'"),
        "{}",
        run.stderr
    );
    let run = gated(&["--gate", "event_f>=0.5"], out.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("gate on unknown metric `event_f`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.trim_end().ends_with("did you mean `event_f1`?"),
        "{}",
        run.stderr
    );
    assert!(
        !out.path().join("report.json").exists(),
        "no report for a misconfigured gate"
    );
    gated(&["--max-drop", "0.02"], out.path()).assert_code(2);
}

#[test]
fn a_baseline_fails_metrics_that_dropped_more_than_allowed() {
    let out = tempdir();
    let run = gated(
        &[
            "--gate",
            "event_f1>=0",
            "--baseline",
            "tests/fixtures/gated/baseline.json",
        ],
        out.path(),
    );
    run.assert_code(1);
    let r = report(out.path());
    let baseline: Vec<(String, bool)> = r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["source"] == "baseline")
        .map(|g| {
            (
                g["metric"].as_str().unwrap().to_owned(),
                g["passed"].as_bool().unwrap(),
            )
        })
        .collect();
    // json_valid held (0.5 → 0.5); event_f1 dropped 0.025 and macro_f1 0.085, both > 0.01.
    assert_eq!(
        baseline,
        [
            ("json_valid".to_owned(), true),
            ("event_f1".to_owned(), false),
            ("macro_f1".to_owned(), false)
        ]
    );
    assert_eq!(
        r["baseline"]["deltas"]["event_f1"],
        json!({"baseline": 0.4, "current": 0.375, "delta": 0.375 - 0.4})
    );
    assert_eq!(r["baseline"]["deltas"]["timestamp_mae"]["current"], 0.0);
    assert!(
        run.stderr
            .contains("gate failed: event_f1 = 0.3750, required >= 0.39, baseline 0.4000"),
        "{}",
        run.stderr
    );

    // A per-metric allowance lets event_f1's drop through.
    let run = gated(
        &[
            "--gate",
            "event_f1>=0",
            "--baseline",
            "tests/fixtures/gated/baseline.json",
            "--max-drop",
            "event_f1=0.05",
            "--max-drop",
            "macro_f1=0.1",
        ],
        out.path(),
    );
    run.assert_code(0);
}

#[test]
fn step_summary_gets_the_markdown_report() {
    let out = tempdir();
    let summary = out.path().join("step-summary.md");
    write(out.path(), "step-summary.md", "earlier step\n");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["score", DATA, "--quiet", "--out"])
        .arg(out.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .current_dir(crate::harness::root())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    crate::harness::assert_report_contract(out.path());
    let text = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        text,
        format!("earlier step\n{}", read(out.path(), "report.md"))
    );
}

/// The run the snapshots show: spec gates, a command-line gate and a baseline.
fn snapshot_run() -> tempfile::TempDir {
    let out = tempdir();
    gated(
        &[
            "--gate",
            "macro_f1>=0.1",
            "--baseline",
            "tests/fixtures/gated/baseline.json",
        ],
        out.path(),
    )
    .assert_code(1);
    out
}

#[test]
fn markdown_csv_and_junit_snapshots() {
    let out = snapshot_run();
    insta::assert_snapshot!("report.md", read(out.path(), "report.md"));
    insta::assert_snapshot!("per_class.csv", read(out.path(), "per_class.csv"));
    insta::assert_snapshot!("junit.xml", read(out.path(), "junit.xml"));
    // Byte-stable: a second run writes the same bytes, and nothing names the machine.
    let again = snapshot_run();
    for name in [
        "report.md",
        "per_class.csv",
        "junit.xml",
        "report.html",
        "report.json",
        "examples.jsonl",
    ] {
        assert_eq!(
            read(out.path(), name),
            read(again.path(), name),
            "{name} differs between runs"
        );
        assert!(
            !read(out.path(), name).contains(&*out.path().to_string_lossy()),
            "{name} holds the out dir"
        );
    }
}

#[test]
fn junit_reads_back_as_one_case_per_gate_and_per_class() {
    let out = snapshot_run();
    let text = read(out.path(), "junit.xml");
    let doc = roxmltree::Document::parse(&text).expect("junit.xml is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let r = report(out.path());
    let gates = r["gates"].as_array().unwrap();
    let classes = r["classes"].as_array().unwrap();
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    let cases = |i: usize| {
        suites[i]
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect::<Vec<_>>()
    };
    assert_eq!(cases(0).len(), gates.len());
    assert_eq!(cases(1).len(), classes.len());
    let failed_gates = gates.iter().filter(|g| g["passed"] == false).count();
    let failures: Vec<_> = cases(0)
        .iter()
        .filter_map(|c| c.children().find(|n| n.has_tag_name("failure")))
        .collect();
    assert_eq!(failures.len(), failed_gates);
    assert_eq!(
        suites[0].attribute("failures"),
        Some(failed_gates.to_string().as_str())
    );
    assert!(
        failures
            .iter()
            .any(|f| f.attribute("message") == Some("event_f1 = 0.3750 (required >= 0.5)"))
    );
    let total: usize = root.attribute("tests").unwrap().parse().unwrap();
    assert_eq!(total, gates.len() + classes.len());
}
