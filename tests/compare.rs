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
    // Without --metric, a single-label spec ranks by its main metric, macro_f1 (it used to
    // default to event_f1 and stop with exit 2); an events metric asked for is still refused.
    let out = tempdir();
    let (_, by_default) = compare(&[&runs[0], &runs[1], &runs[2]], out.path());
    assert_eq!(by_default["metric"], "macro_f1");
    for standing in by_default["standings"].as_array().unwrap() {
        let run = standing["run"].as_str().unwrap();
        let scored = tempdir();
        score_model(run, scored.path());
        let report: Value = serde_json::from_str(
            &std::fs::read_to_string(scored.path().join("report.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            standing["value"]["value"], report["summary"]["macro_f1"],
            "{run}"
        );
    }
    let bad = verdict(&[
        "compare",
        "--spec",
        &format!("{DIR}/eval.toml"),
        "--expected",
        &format!("{DIR}/expected.jsonl"),
        &runs[0],
        &runs[1],
        &runs[2],
        "--metric",
        "event_f1",
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

/// Scores `predictions` of the tickets sample against `expected` into a new directory.
fn score_tickets(expected: &std::path::Path, predictions: &std::path::Path) -> tempfile::TempDir {
    let out = tempdir();
    score_ok(
        &[
            "--spec",
            "datasets/tickets/eval.toml",
            "--expected",
            expected.to_str().unwrap(),
            "--predictions",
            predictions.to_str().unwrap(),
            "--bootstrap",
            "0",
        ],
        out.path(),
    );
    out
}

fn report_of(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn compare_shows_path_and_list_metrics_beside_the_summary() {
    // B answers every ticket's priority with a value no expected output has: its /priority
    // accuracy is 0 of 240, while A's is the sample's.
    let data = tempdir();
    let tickets = crate::harness::root().join("datasets/tickets");
    let predictions = std::fs::read_to_string(tickets.join("predictions.jsonl")).unwrap();
    let mut b = predictions.clone();
    for level in ["low", "medium", "high"] {
        b = b.replace(
            &format!(r#"\"priority\": \"{level}\""#),
            r#"\"priority\": \"unknown\""#,
        );
    }
    assert_ne!(b, predictions);
    let b_path = crate::harness::write(data.path(), "b.jsonl", b);
    let expected = tickets.join("expected.jsonl");
    let run_a = score_tickets(&expected, &tickets.join("predictions.jsonl"));
    let run_b = score_tickets(&expected, &b_path);
    let a_priority = report_of(run_a.path())["paths"]["/priority"].clone();
    assert_eq!(
        (&a_priority["correct"], &a_priority["compared"]),
        (&Value::from(197), &Value::from(240))
    );
    assert_eq!(report_of(run_b.path())["paths"]["/priority"]["correct"], 0);

    let out = tempdir();
    let run = verdict(&[
        "compare",
        run_a.path().to_str().unwrap(),
        run_b.path().to_str().unwrap(),
        "--bootstrap",
        "50",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(0);
    let c: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("compare.json")).unwrap())
            .unwrap();
    let rows = c["unpaired"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["metric"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "paths./customer/email.accuracy",
            "paths./customer/name.accuracy",
            "paths./priority.accuracy",
            "lists.entities.precision",
            "lists.entities.recall",
            "lists.entities.f1",
            "lists.entities.mean_similarity",
        ]
    );
    let priority = &rows[2];
    assert_eq!(priority["a"], 197.0 / 240.0);
    assert_eq!(priority["b"], 0.0);
    assert_eq!(priority["difference"], -197.0 / 240.0);
    // Only the priority changed: every other row is unchanged.
    for row in rows
        .iter()
        .filter(|r| r["metric"] != "paths./priority.accuracy")
    {
        assert_eq!(row["difference"], 0.0, "{row}");
    }
    assert!(
        run.stdout.contains("paths./priority.accuracy")
            && run.stdout.contains("0.8208")
            && run.stdout.contains("-0.8208"),
        "{}",
        run.stdout
    );
    let md = std::fs::read_to_string(out.path().join("compare.md")).unwrap();
    assert!(
        md.contains("| paths./priority.accuracy | 0.8208 | 0.0000 | -0.8208 |"),
        "{md}"
    );
    let html = std::fs::read_to_string(out.path().join("compare.html")).unwrap();
    // minijinja escapes the slash of the pointer.
    assert!(html.contains("paths.&#x2f;priority.accuracy"), "{html}");
}

#[test]
fn runs_scored_against_different_expected_files_are_refused_unless_allowed() {
    let data = tempdir();
    let tickets = crate::harness::root().join("datasets/tickets");
    let expected = tickets.join("expected.jsonl");
    // The same examples less the last: another expected file, most examples shared.
    let text = std::fs::read_to_string(&expected).unwrap();
    let shorter: Vec<&str> = text.lines().collect();
    let shorter = shorter[..shorter.len() - 1].join("\n") + "\n";
    let shorter = crate::harness::write(data.path(), "expected.jsonl", shorter);
    let predictions = tickets.join("predictions.jsonl");
    let run_a = score_tickets(&expected, &predictions);
    let run_b = score_tickets(&shorter, &predictions);

    // The digest recorded is the file's SHA-256, as sha256sum prints it.
    let sha256sum = std::process::Command::new("sha256sum")
        .arg(&expected)
        .output()
        .unwrap();
    let printed = String::from_utf8(sha256sum.stdout).unwrap();
    assert_eq!(
        report_of(run_a.path())["run"]["expected_sha256"],
        printed.split_whitespace().next().unwrap()
    );

    let (a, b) = (
        run_a.path().to_str().unwrap(),
        run_b.path().to_str().unwrap(),
    );
    let out = tempdir();
    let out = out.path().to_str().unwrap();
    let refused = verdict(&["compare", a, b, "--bootstrap", "20", "--out", out]);
    refused.assert_code(2);
    assert!(
        refused
            .stderr
            .contains("were scored against different expected files")
            && refused.stderr.contains("--allow-different-expected"),
        "{}",
        refused.stderr
    );
    assert!(!std::path::Path::new(out).join("compare.json").exists());

    let allowed = verdict(&[
        "compare",
        a,
        b,
        "--bootstrap",
        "20",
        "--allow-different-expected",
        "--out",
        out,
    ]);
    allowed.assert_code(0);
    assert!(
        allowed.stderr.contains("verdict: warning: ")
            && allowed.stderr.contains("(--allow-different-expected)"),
        "{}",
        allowed.stderr
    );
    let c: Value = serde_json::from_str(
        &std::fs::read_to_string(std::path::Path::new(out).join("compare.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (&c["shared_examples"], &c["only_a"]),
        (&Value::from(239), &Value::from(1))
    );

    // A report from before the digest: compared, with a warning that it could not be checked.
    let mut old = report_of(run_b.path());
    old["run"]
        .as_object_mut()
        .unwrap()
        .remove("expected_sha256");
    std::fs::write(run_b.path().join("report.json"), old.to_string()).unwrap();
    let unchecked = verdict(&["compare", a, b, "--bootstrap", "20", "--out", out]);
    unchecked.assert_code(0);
    assert!(
        unchecked
            .stderr
            .contains("records no run.expected_sha256 (written by an older verdict)"),
        "{}",
        unchecked.stderr
    );
}

#[test]
fn runs_scored_with_different_label_sets_are_refused() {
    // One run averages over its declared labels, the other over every label seen: a class
    // average of the pair would mean neither.
    let declared = score_tickets(
        std::path::Path::new("datasets/tickets/expected.jsonl"),
        std::path::Path::new("datasets/tickets/predictions.jsonl"),
    );
    let spec_dir = tempdir();
    let spec = std::fs::read_to_string("datasets/tickets/eval.toml")
        .unwrap()
        .replace(
            "labels = [\"refund\", \"shipping\", \"billing\", \"account\", \"other\"]\n",
            "",
        )
        .replace(
            "../../schemas/",
            &format!("{}/schemas/", env!("CARGO_MANIFEST_DIR")),
        );
    assert!(!spec.contains("labels ="), "{spec}");
    std::fs::write(spec_dir.path().join("eval.toml"), spec).unwrap();
    let undeclared = tempdir();
    score_ok(
        &[
            "--spec",
            spec_dir.path().join("eval.toml").to_str().unwrap(),
            "--expected",
            "datasets/tickets/expected.jsonl",
            "--predictions",
            "datasets/tickets/predictions.jsonl",
            "--bootstrap",
            "0",
        ],
        undeclared.path(),
    );
    let run = verdict(&[
        "compare",
        declared.path().to_str().unwrap(),
        undeclared.path().to_str().unwrap(),
        "--quiet",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "were not scored the same way (one has events, a single label or a declared label set the other lacks or has otherwise): score both with the same spec"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn one_cluster_gives_no_interval_and_few_clusters_a_warning() {
    // `id~x?` matches the empty string in every id: one cluster for the whole set. Its
    // replicates all draw the same data, so its intervals would be zero-width certainties.
    let out = tempdir();
    let run = verdict(&[
        "score",
        "datasets/basketball",
        "--cluster-by",
        "id~(x?)",
        "--gate",
        "event_f1.low>=0.5",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "verdict: warning: no confidence intervals: --cluster-by id~(x?) puts every example in 1 cluster(s), and resampling needs at least 2 (gates on interval ends fail)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("verdict: gate failed: event_f1.low = null, required >= 0.5"),
        "{}",
        run.stderr
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    let interval = &report["intervals"]["summary"]["event_f1"];
    assert_eq!(
        (&interval["low"], &interval["high"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(interval["value"], report["summary"]["event_f1"]);
    // The 32 games by their tens (game-000…, game-001…, …): 4 clusters, intervals with a
    // warning that they understate the uncertainty.
    let by = r"/contents/0/parts/0/fileData/fileUri~/(game-00\d)";
    let (run, r) = score_ok(&["datasets/basketball", "--cluster-by", by], out.path());
    assert_eq!(r["intervals"]["units"], 4);
    assert!(
        run.stderr
            .contains("the confidence intervals rest on only 4 clusters"),
        "{}",
        run.stderr
    );
}
