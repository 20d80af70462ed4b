//! The contract of a run's outputs: report.json meets docs/report.schema.json (the harness
//! checks every report a test writes; here, that the schema follows the metric table and
//! rejects what breaks it), and what `--examples` and `--examples-gzip` keep of examples.jsonl.

use std::io::Read;
use std::path::Path;

use serde_json::{Value, json};
use verdict_core::summary::SUMMARY_METRICS;

use crate::harness::{
    REPORT_SCHEMA, assert_report_contract, contract_violations, root, tempdir, verdict, write,
};

const BASKETBALL: &str = "datasets/basketball";

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join(REPORT_SCHEMA)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_schema_lists_every_headline_metric_in_table_order() {
    let schema = schema();
    let summary = &schema["properties"]["summary"];
    let mut expected: Vec<String> = [
        "examples",
        "missing_predictions",
        "orphan_predictions",
        "failed_requests",
    ]
    .map(str::to_owned)
    .to_vec();
    expected.extend(SUMMARY_METRICS.iter().map(|m| m.name.to_owned()));
    // `required` is an array, so it pins the order of the table as well as its names.
    assert_eq!(strings(&summary["required"]), expected);
    let mut properties: Vec<String> = summary["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    properties.sort();
    expected.sort();
    assert_eq!(properties, expected);
    assert_eq!(summary["additionalProperties"], json!(false));
    let resampled: Vec<String> = SUMMARY_METRICS
        .iter()
        .filter(|m| m.resampled)
        .map(|m| m.name.to_owned())
        .collect();
    assert_eq!(
        strings(&schema["$defs"]["resampled_metric"]["enum"]),
        resampled
    );
}

fn score(args: &[&str], out: &Path) -> Value {
    let mut full = vec!["score"];
    full.extend(args);
    full.extend(["--quiet", "--out", out.to_str().unwrap()]);
    let run = verdict(&full);
    assert!(matches!(run.code, 0 | 1), "{}", run.stderr);
    assert_report_contract(out)
}

#[test]
fn reports_of_every_shape_meet_the_schema() {
    // The harness checks each of these; the assertions show the optional parts are there.
    let dir = tempdir();
    let (plain, gated, tickets) = (
        dir.path().join("plain"),
        dir.path().join("gated"),
        dir.path().join("tickets"),
    );
    score(&[BASKETBALL, "--bootstrap", "0"], &plain);
    let report = score(
        &[
            BASKETBALL,
            "--baseline",
            plain.to_str().unwrap(),
            "--gate",
            "classes.BLOCK.f1>=0.99",
            "--cluster-by",
            r"/contents/0/parts/0/fileData/fileUri~/(game-\d+)/",
            "--bootstrap",
            "50",
        ],
        &gated,
    );
    assert!(report["gates"].as_array().unwrap().iter().any(|g| {
        g["source"] == "baseline"
            && g.get("max_drop").is_some()
            && g.get("baseline").is_some()
            && g.get("note").is_some()
    }));
    assert_eq!(report["passed"], json!(false));
    assert!(report["baseline"]["deltas"].is_object());
    assert!(report["intervals"]["cluster_by"].is_string());
    let report = score(&["datasets/tickets", "--examples-gzip"], &tickets);
    assert!(report["paths"].as_object().is_some_and(|p| !p.is_empty()));
    assert!(report["lists"].as_object().is_some_and(|l| !l.is_empty()));
    // A binary single-label task with a positive class, and a spec that scores nothing but
    // validity.
    let data = tempdir();
    write(
        data.path(),
        "expected.jsonl",
        "{\"id\": 1, \"expected\": {\"spam\": \"yes\"}}\n{\"id\": 2, \"expected\": {\"spam\": \"no\"}}\n",
    );
    write(
        data.path(),
        "predictions.jsonl",
        "{\"id\": 1, \"output\": \"{\\\"spam\\\": \\\"yes\\\"}\"}\n{\"id\": 2, \"output\": \"not json\"}\n",
    );
    write(
        data.path(),
        "eval.toml",
        "label = \"/spam\"\nlabels = [\"yes\", \"no\"]\npositive = \"yes\"\n",
    );
    let report = score(&[data.path().to_str().unwrap()], &dir.path().join("binary"));
    assert!(report["summary"]["positive_f1"].is_number());
    write(data.path(), "eval.toml", "");
    let report = score(&[data.path().to_str().unwrap()], &dir.path().join("empty"));
    assert_eq!(report["confusion"], Value::Null);
}

/// A change that breaks a valid report.
type Break = fn(&mut Value);

#[test]
fn the_schema_rejects_reports_that_break_the_contract() {
    let out = tempdir();
    let report = score(
        &[BASKETBALL, "--bootstrap", "20", "--gate", "event_f1>=0.5"],
        out.path(),
    );
    assert!(contract_violations(&report).is_empty());
    let broken: [(&str, Break); 10] = [
        ("an unknown key", |r| r["extra"] = json!(1)),
        ("a missing key", |r| {
            r.as_object_mut().unwrap().remove("gates");
        }),
        ("a metric as text", |r| {
            r["summary"]["event_f1"] = json!("0.9");
        }),
        ("a rate above 1", |r| r["summary"]["macro_f1"] = json!(1.5)),
        ("an unknown headline metric", |r| {
            r["summary"]["event_f2"] = json!(0.5);
        }),
        ("a negative count", |r| r["validity"]["strict"] = json!(-1)),
        ("an unknown join", |r| {
            r["run"]["joined_by"] = json!("fuzzy");
        }),
        ("a class row without fn", |r| {
            r["classes"][0].as_object_mut().unwrap().remove("fn");
        }),
        ("an interval of no metric", |r| {
            r["intervals"]["summary"]["bogus"] = json!({"value": 1, "low": 1, "high": 1});
        }),
        ("passed with a failed gate", |r| {
            r["gates"][0]["passed"] = json!(false);
            r["passed"] = json!(true);
        }),
    ];
    for (what, breaks) in broken {
        let mut copy = report.clone();
        breaks(&mut copy);
        assert!(
            !contract_violations(&copy).is_empty(),
            "the schema accepts {what}"
        );
    }
}

fn lines(path: &Path) -> Vec<String> {
    let mut text = String::new();
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .unwrap();
    } else {
        std::io::BufReader::new(file)
            .read_to_string(&mut text)
            .unwrap();
    }
    text.lines().map(str::to_owned).collect()
}

fn examples_files(dir: &Path) -> Vec<String> {
    ["examples.jsonl", "examples.jsonl.gz"]
        .into_iter()
        .filter(|name| dir.join(name).exists())
        .map(str::to_owned)
        .collect()
}

#[test]
fn examples_errors_keeps_the_lines_not_exactly_right_in_the_same_order() {
    let dir = tempdir();
    let (all, errors) = (dir.path().join("all"), dir.path().join("errors"));
    let full = score(&[BASKETBALL], &all);
    let kept = score(&[BASKETBALL, "--examples", "errors"], &errors);
    let every = lines(&all.join("examples.jsonl"));
    let inexact: Vec<String> = every
        .iter()
        .filter(|l| serde_json::from_str::<Value>(l).unwrap()["exact"] == json!(false))
        .cloned()
        .collect();
    assert_eq!(every.len(), 320);
    assert!(!inexact.is_empty() && inexact.len() < every.len());
    assert_eq!(lines(&errors.join("examples.jsonl")), inexact);
    // The report says what was kept, and nothing else in it or beside it changes.
    assert_eq!(
        kept["run"]["examples"],
        json!({"kept": "errors", "file": "examples.jsonl"})
    );
    let mut without = kept.clone();
    without["run"].as_object_mut().unwrap().remove("examples");
    assert_eq!(without, full);
    assert_eq!(full["run"].get("examples"), None);
    for name in ["report.md", "report.html", "junit.xml", "per_class.csv"] {
        assert_eq!(
            std::fs::read(all.join(name)).unwrap(),
            std::fs::read(errors.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn examples_gzip_and_none_replace_the_file_an_earlier_run_left() {
    let dir = tempdir();
    let (reference, out) = (dir.path().join("reference"), dir.path().join("out"));
    score(&[BASKETBALL, "--bootstrap", "0"], &reference);
    let every = lines(&reference.join("examples.jsonl"));

    score(&[BASKETBALL, "--bootstrap", "0"], &out);
    let report = score(&[BASKETBALL, "--bootstrap", "0", "--examples-gzip"], &out);
    assert_eq!(examples_files(&out), ["examples.jsonl.gz"]);
    assert_eq!(lines(&out.join("examples.jsonl.gz")), every);
    assert_eq!(
        report["run"]["examples"],
        json!({"kept": "all", "file": "examples.jsonl.gz"})
    );

    let report = score(
        &[BASKETBALL, "--bootstrap", "0", "--examples", "none"],
        &out,
    );
    assert!(examples_files(&out).is_empty());
    assert_eq!(
        report["run"]["examples"],
        json!({"kept": "none", "file": null})
    );

    score(&[BASKETBALL, "--bootstrap", "0"], &out);
    assert_eq!(examples_files(&out), ["examples.jsonl"]);
    assert_eq!(
        std::fs::read(out.join("report.json")).unwrap(),
        std::fs::read(reference.join("report.json")).unwrap()
    );

    let run = verdict(&[
        "score",
        BASKETBALL,
        "--examples",
        "none",
        "--examples-gzip",
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "verdict: error: --examples-gzip has nothing to compress with --examples none: drop one of them\n"
    );
}

#[test]
fn compare_and_baseline_pair_only_runs_that_kept_every_example() {
    let dir = tempdir();
    let run_dir = |name: &str| dir.path().join(name);
    let [all, gzip, errors, none, cut] = ["all", "gzip", "errors", "none", "cut"].map(run_dir);
    score(&[BASKETBALL], &all);
    score(&[BASKETBALL, "--examples-gzip"], &gzip);
    score(&[BASKETBALL, "--examples", "errors"], &errors);
    score(&[BASKETBALL, "--examples", "none"], &none);
    score(&[BASKETBALL], &cut);
    let first: String = lines(&cut.join("examples.jsonl"))[..10]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    write(&cut, "examples.jsonl", first);

    let compare = |b: &Path, out: &str| {
        verdict(&[
            "compare",
            all.to_str().unwrap(),
            b.to_str().unwrap(),
            "--bootstrap",
            "50",
            "--quiet",
            "--out",
            run_dir(out).to_str().unwrap(),
        ])
    };
    // A compressed file pairs as the plain one does.
    compare(&all, "same").assert_code(0);
    compare(&gzip, "gzip-compare").assert_code(0);
    let metrics = |out: &str| {
        let text = std::fs::read_to_string(run_dir(out).join("compare.json")).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()["metrics"].clone()
    };
    assert_eq!(metrics("same"), metrics("gzip-compare"));

    let pairing = "and pairing runs example by example needs every example's counts";
    let run = compare(&errors, "x");
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "verdict: error: {}: scored with --examples errors: its examples.jsonl holds only the examples that were not exactly right, {pairing}: score it again with --examples all (the default)\n",
            errors.display()
        )
    );
    let run = compare(&none, "x");
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "verdict: error: {}: scored with --examples none: it has no per-example file, {pairing}: score it again with --examples all (the default)\n",
            none.display()
        )
    );
    let run = compare(&cut, "x");
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "verdict: error: {}: holds 10 example(s) where report.json counts 320: was it filtered or cut short? Pairing runs example by example needs every example's counts: score the run again\n",
            cut.join("examples.jsonl").display()
        )
    );

    // As a baseline, a run pairs through the replicates it kept, whatever examples it kept;
    // one that kept neither (scored with --bootstrap 0) still gates through its report.json,
    // and the message says so.
    let without = run_dir("errors-no-replicates");
    score(
        &[BASKETBALL, "--examples", "errors", "--bootstrap", "0"],
        &without,
    );
    let baseline = |b: &Path| {
        verdict(&[
            "score",
            BASKETBALL,
            "--baseline",
            b.to_str().unwrap(),
            "--bootstrap",
            "50",
            "--quiet",
            "--out",
            run_dir("current").to_str().unwrap(),
        ])
    };
    let run = baseline(&without);
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "verdict: error: {}: scored with --examples errors: its examples.jsonl holds only the examples that were not exactly right, {pairing}: score it again with --examples all (the default), or give --baseline {} to gate on point estimates\n",
            without.display(),
            without.join("report.json").display()
        )
    );
    baseline(&without.join("report.json")).assert_code(0);
    baseline(&gzip).assert_code(0);
    baseline(&errors).assert_code(0);
    baseline(&none).assert_code(0);
}
