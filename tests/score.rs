//! `verdict score` on well-formed inputs of every supported shape.

use std::io::Write;

use serde_json::{Value, json};

use crate::harness::{PLAIN_SPEC, score_ok, tempdir, verdict, write};

#[test]
fn vertex_tuning_set_joins_vertex_batch_output_by_request_hash() {
    let out = tempdir();
    let (run, report) = score_ok(&["tests/fixtures/vertex-batch"], out.path());
    assert_eq!(
        report["run"],
        json!({
            "name": "vertex-batch",
            "spec": "tests/fixtures/vertex-batch/eval.toml",
            "expected": "tests/fixtures/vertex-batch/expected.jsonl",
            // `sha256sum tests/fixtures/vertex-batch/expected.jsonl`
            "expected_sha256": "71fc06f03d82f9c932167337dc3f8bcf76cf6e697602ad03700b7a1cbe508e4e",
            "predictions": ["tests/fixtures/vertex-batch/predictions.jsonl"],
            "joined_by": "request_hash",
            "repair": false,
            "events": {"pointer": "", "time": "timestamp_seconds", "label": "classification", "tolerance": 1.0,
                       "sweep": [0.25, 0.5, 1.0, 2.0, 3.0, 5.0]}
        })
    );
    // Worked by hand: 11 expected events (9 FG_MAKE, 1 REBOUND, 1 FG_MISS); only clips 1, 2,
    // 3 and 10 are scored with events (5 predicted); pairs: 1, 2, 10 same label, 3 FG_MAKE→LAYUP;
    // clip 10's first event ("47:28.5" = 2848.5 s) is spurious.
    // ANLS* per clip, from the anls-star package on the same scored values (invalid, missing,
    // failed and unrepaired outputs as null): 1, 1, 2/3, 0, 0, 0, 0, 0, 0, 0.4.
    let mut summary = report["summary"].clone();
    // Typed ANLS* differs only where a comparator decides a leaf: clip 3's label counts 0 as
    // in the plain score (exact), and clip 10's first event's time "47:28.5" is 2848.5 s, not
    // within 1 s of 100 — 0 either way. Only the alignment of clip 10's two predictions against
    // its one expected event can differ (two pairings tie at 2/3): 0.4 or 2/6 for that clip.
    let typed = summary["anls_star_typed"].clone();
    let t = typed.as_f64().unwrap();
    let candidates = [
        (1.0 + 1.0 + 2.0 / 3.0 + 0.4) / 10.0,
        (1.0 + 1.0 + 2.0 / 3.0 + 2.0 / 6.0) / 10.0,
    ];
    assert!(
        candidates.iter().any(|c| (t - c).abs() < 1e-9),
        "anls_star_typed {t}"
    );
    let anls = summary
        .as_object_mut()
        .unwrap()
        .remove("anls_star")
        .unwrap();
    assert!(
        (anls.as_f64().unwrap() - 0.30666666666666664).abs() < 1e-9,
        "{anls}"
    );
    assert_eq!(
        report["anls"]["histogram"],
        json!([6, 0, 0, 0, 1, 0, 1, 0, 0, 2])
    );
    assert_eq!(
        summary,
        json!({
            "examples": 10,
            "missing_predictions": 1,
            "orphan_predictions": 1,
            "failed_requests": 1,
            "coverage": 0.9,
            "json_valid_strict": 0.3,
            "json_valid": 0.5,
            "json_recoverable": 0.7,
            "schema_valid": 0.2,
            "event_precision": 0.6,
            "event_recall": 3.0 / 11.0,
            "event_f1": 0.375,
            "macro_precision": 0.75 / 4.0,
            "macro_recall": (1.0 / 3.0) / 4.0,
            "macro_f1": (6.0 / 13.0) / 4.0,
            "weighted_f1": 9.0 * (6.0 / 13.0) / 11.0,
            "matched_label_accuracy": 0.75,
            "timestamp_mae": 0.0,
            "player_id_accuracy": 0.75,
            "exact_match": 0.2,
            "label_accuracy": null,
            "positive_precision": null,
            "positive_recall": null,
            "positive_f1": null,
            "anls_star_typed": typed
        })
    );
    assert_eq!(
        report["confusion"],
        json!({
            "labels": ["FG_MAKE", "FG_MISS", "LAYUP", "REBOUND", "∅"],
            "matrix": [[3, 0, 1, 0, 5], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1], [1, 0, 0, 0, 0]]
        })
    );
    assert_eq!(report["events"]["outputs_without_array"], 1);
    assert_eq!(report["events"]["unparseable_times"], 0);
    assert_eq!(
        report["fields"]["player_a"],
        json!({"compare": "player_id", "compared": 4, "correct": 3, "accuracy": 0.75, "one_sided": 1,
               "player_errors": {"wrong_number": 0, "wrong_team": 0, "wrong_both": 0, "unparsed": 0}})
    );
    assert_eq!(
        report["validity"],
        json!({"strict": 3, "extracted": 2, "repaired": 2, "invalid": 1, "missing": 1, "failed": 1})
    );
    assert_eq!(
        report["repairs"],
        json!({"trailing_comma": 1, "unquoted_key": 0, "single_quote": 0, "truncated": 1})
    );
    assert_eq!(
        report["finish_reasons"],
        json!({"MAX_TOKENS": 1, "STOP": 7, "unspecified": 1})
    );
    assert_eq!(report["schema"]["checked"], 5);
    assert_eq!(report["schema"]["valid"], 2);
    let rows: Vec<(String, String, u64, u64)> = report["schema_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_owned(),
                r["keyword"].as_str().unwrap().to_owned(),
                r["count"].as_u64().unwrap(),
                r["outputs"].as_u64().unwrap(),
            )
        })
        .collect();
    let row = |p: &str, k: &str| (p.to_owned(), k.to_owned(), 1, 1);
    assert_eq!(
        rows,
        [
            row("", "type"),
            row("/*", "required"),
            row("/*/classification", "enum"),
            row("/*/timestamp_seconds", "type")
        ]
    );
    assert!(run.stdout.is_empty(), "--quiet prints no summary");
    assert!(
        run.stderr.contains("1 prediction line(s) answer no expected example and were not scored (first: tests/fixtures/vertex-batch/predictions.jsonl:5)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("predictions.jsonl:7: Internal error occurred. Please retry."),
        "{}",
        run.stderr
    );
}

#[test]
fn repair_flag_scores_repaired_outputs_but_never_counts_them_as_valid_json() {
    let out = tempdir();
    let (_, report) = score_ok(&["tests/fixtures/vertex-batch", "--repair"], out.path());
    assert_eq!(report["run"]["repair"], true);
    assert_eq!(report["summary"]["json_valid"], 0.5);
    assert_eq!(report["summary"]["schema_valid"], 0.4);
    assert_eq!(report["schema"]["checked"], 7);
}

#[test]
fn openai_batch_output_and_its_error_file_join_by_custom_id() {
    let out = tempdir();
    let dir = "tests/fixtures/openai-batch";
    let (_, report) = score_ok(
        &[
            "--spec",
            &format!("{dir}/eval.toml"),
            "--expected",
            &format!("{dir}/expected.jsonl"),
            "--predictions",
            &format!("{dir}/predictions.jsonl"),
            &format!("{dir}/errors.jsonl"),
        ],
        out.path(),
    );
    assert_eq!(report["run"]["joined_by"], "explicit_key");
    assert_eq!(
        report["validity"],
        json!({"strict": 1, "extracted": 1, "repaired": 1, "invalid": 0, "missing": 0, "failed": 2})
    );
    assert_eq!(report["summary"]["failed_requests"], 2);
    assert_eq!(report["summary"]["schema_valid"], 0.2);
    assert_eq!(
        report["finish_reasons"],
        json!({"length": 1, "stop": 2, "unspecified": 2})
    );
    assert_eq!(report["schema_errors"][0]["path"], "/priority");
    assert_eq!(report["schema_errors"][0]["keyword"], "enum");
}

/// Plain lines: numeric and string ids, outputs as raw text or as JSON values.
fn plain_dataset(dir: &std::path::Path) {
    write(dir, "eval.toml", PLAIN_SPEC);
    write(
        dir,
        "expected.jsonl",
        "{\"id\": 1, \"expected\": []}\n{\"id\": \"2\", \"expected\": [{\"t\": 1, \"c\": \"A\"}]}\n{\"id\": 3, \"expected\": []}\n",
    );
}

#[test]
fn plain_lines_join_by_id_or_by_line_order() {
    let data = tempdir();
    plain_dataset(data.path());
    write(
        data.path(),
        "predictions.jsonl",
        "{\"id\": \"3\", \"output\": \"nope\"}\n{\"id\": 2, \"output\": [{\"t\": 1}]}\n{\"id\": 1, \"output\": \"[]\"}\n",
    );
    let out = tempdir();
    let dir = data.path().to_str().unwrap();
    let (_, by_key) = score_ok(&[dir], out.path());
    assert_eq!(by_key["run"]["joined_by"], "explicit_key");
    assert_eq!(by_key["validity"]["strict"], 2);
    assert_eq!(by_key["validity"]["invalid"], 1);
    assert_eq!(
        by_key["summary"]["schema_valid"],
        Value::Null,
        "no schema, no schema rate"
    );

    // These predictions carry their keys in another order than the test set: pairing them by
    // line would score each answer against another example, so --join line refuses them.
    let refused = verdict(&["score", dir, "--join", "line", "--quiet"]);
    refused.assert_code(2);
    assert!(
        refused.stderr.contains(&format!(
            "verdict: error: --join line pairs {dir}/expected.jsonl:1 with {dir}/predictions.jsonl:1, but {dir}/predictions.jsonl:3 carries the same key \"1\": the predictions carry their own keys in another order than the test set"
        )),
        "{}",
        refused.stderr
    );
    // Without keys, line order is the only pairing there is: example 1 gets "nope".
    write(
        data.path(),
        "predictions.jsonl",
        "{\"output\": \"nope\"}\n{\"output\": [{\"t\": 1}]}\n{\"output\": \"[]\"}\n",
    );
    let (_, by_line) = score_ok(&[dir, "--join", "line"], out.path());
    assert_eq!(by_line["run"]["joined_by"], "line_order");
    assert_eq!(by_line["validity"]["invalid"], 1);
    assert_eq!(by_line["validity"]["strict"], 2);
}

#[test]
fn shards_in_a_directory_with_gzip_and_globs_score_like_one_file() {
    let data = tempdir();
    plain_dataset(data.path());
    let lines = [
        "{\"id\": 1, \"output\": \"[]\"}\n",
        "{\"id\": 2, \"output\": \"```json\\n[{\\\"t\\\": 1}]\\n```\"}\n",
        "{\"id\": 3, \"output\": \"[1,]\"}\n",
    ];
    write(data.path(), "all.jsonl", lines.concat());
    let shards = data.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    write(&shards, "part-0.jsonl", lines[0]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(lines[1].as_bytes()).unwrap();
    write(&shards, "part-1.jsonl.gz", gz.finish().unwrap());
    write(&shards, "part-2.jsonl", lines[2]);
    write(&shards, "README.txt", "not a shard");

    let base = data.path().to_str().unwrap();
    let spec = format!("{base}/eval.toml");
    let expected = format!("{base}/expected.jsonl");
    let score = |predictions: &str| {
        let out = tempdir();
        let (_, mut report) = score_ok(
            &[
                "--spec",
                &spec,
                "--expected",
                &expected,
                "--predictions",
                predictions,
            ],
            out.path(),
        );
        report["run"]["predictions"] = Value::Null;
        report
    };
    let single = score(&format!("{base}/all.jsonl"));
    assert_eq!(single["validity"]["extracted"], 1);
    assert_eq!(single["validity"]["repaired"], 1);
    assert_eq!(score(&format!("{base}/shards")), single);
    assert_eq!(score(&format!("{base}/shards/part-*")), single);
}

#[test]
fn report_bytes_do_not_depend_on_threads_or_on_the_run() {
    let reports: Vec<String> = ["1", "2", "2"]
        .iter()
        .map(|threads| {
            let out = tempdir();
            score_ok(
                &["tests/fixtures/vertex-batch", "--threads", threads],
                out.path(),
            );
            std::fs::read_to_string(out.path().join("report.json")).unwrap()
        })
        .collect();
    assert_eq!(reports[0], reports[1]);
    assert_eq!(reports[1], reports[2]);
    assert!(
        !reports[0].contains(env!("CARGO_MANIFEST_DIR")),
        "no absolute paths"
    );
}

#[test]
fn bom_crlf_blank_lines_and_a_50_mb_line_are_read() {
    let data = tempdir();
    write(data.path(), "eval.toml", PLAIN_SPEC);
    write(
        data.path(),
        "expected.jsonl",
        "\u{feff}{\"id\": 1, \"expected\": []}\r\n\r\n  \r\n{\"id\": 2, \"expected\": []}\r\n",
    );
    let padding = "x".repeat(50 * 1024 * 1024);
    write(
        data.path(),
        "predictions.jsonl",
        format!(
            "\u{feff}{{\"id\": 2, \"output\": \"[]\", \"note\": \"{padding}\"}}\r\n\n{{\"id\": 1, \"output\": \"[]\"}}"
        ),
    );
    let out = tempdir();
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
    assert_eq!(report["summary"]["examples"], 2);
    assert_eq!(report["validity"]["strict"], 2);
}

#[test]
fn garbage_model_output_is_scored_not_rejected() {
    let data = tempdir();
    write(data.path(), "eval.toml", PLAIN_SPEC);
    write(
        data.path(),
        "expected.jsonl",
        "{\"id\": 1, \"expected\": []}\n{\"id\": 2, \"expected\": []}\n",
    );
    let deep = "[".repeat(1_000_000);
    let garbage = json!({"id": 1, "output": format!("\u{0}\u{fffd} }}]] {deep}")});
    write(
        data.path(),
        "predictions.jsonl",
        format!("{garbage}\n{}\n", json!({"id": 2, "output": deep})),
    );
    let out = tempdir();
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
    assert_eq!(report["validity"]["invalid"], 2);
    assert_eq!(report["summary"]["json_valid"], 0.0);
}

#[test]
fn summary_on_stdout_and_default_out_dir_named_after_the_dataset() {
    let data = tempdir();
    let dataset = data.path().join("tickets-v3");
    std::fs::create_dir(&dataset).unwrap();
    plain_dataset(&dataset);
    write(
        &dataset,
        "predictions.jsonl",
        "{\"id\": 1, \"output\": \"[]\"}\n",
    );
    let work = tempdir();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["score", dataset.to_str().unwrap()])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(
        stdout.contains("json_valid              0.333  [0.000, 1.000]  (1/3)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 joined, 2 missing, 0 orphan, 0 failed requests"),
        "{stdout}"
    );
    // Two of three examples unanswered: the console ends with the notice.
    assert!(
        stdout.ends_with("report: reports/tickets-v3/report.json\n!! WARNING: 2 of 3 examples (66.7%) have no prediction and count as missing outputs in every metric; no prediction line was left over: the predictions most likely stop short (a batch cut off, a shard left out). Check --predictions against --expected; gate on coverage (--gate 'coverage>=0.99') to fail such runs.\n"),
        "{stdout}"
    );
    crate::harness::assert_report_contract(&work.path().join("reports/tickets-v3"));
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.is_empty(),
        "no progress bar when stderr is not a terminal: {stderr:?}"
    );
}

#[test]
fn help_lists_the_score_flags() {
    let run = verdict(&["score", "--help"]);
    run.assert_code(0);
    for flag in [
        "--spec",
        "--expected",
        "--predictions",
        "--out",
        "--join",
        "--repair",
        "--threads",
        "--quiet",
    ] {
        assert!(run.stdout.contains(flag), "{flag} missing from help");
    }
}

#[test]
fn a_clock_shift_beyond_the_tolerance_is_reported_as_a_shift() {
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        "[events]\ntime = \"t\"\nlabel = \"c\"\ntolerance = 1.0\n",
    );
    let mut expected = String::new();
    let mut predicted = String::new();
    for i in 0..5 {
        let events: Vec<Value> = (0..3)
            .map(|k| json!({"t": 100.0 * f64::from(i) + 10.0 * f64::from(k), "c": "A"}))
            .collect();
        let late: Vec<Value> = events
            .iter()
            .map(|e| json!({"t": e["t"].as_f64().unwrap() + 1.2, "c": "A"}))
            .collect();
        expected.push_str(&format!("{}\n", json!({"id": i, "expected": events})));
        predicted.push_str(&format!("{}\n", json!({"id": i, "output": late})));
    }
    write(data.path(), "expected.jsonl", expected);
    write(data.path(), "predictions.jsonl", predicted);
    let out = tempdir();
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
    assert_eq!(
        report["summary"]["event_f1"], 0.0,
        "every event is 1.2 s late at 1.0 s tolerance"
    );
    assert_eq!(
        report["timing_bias"],
        json!({"median_offset": 1.2, "f1": 0.0, "f1_after_removing": 1.0})
    );
    assert_eq!(
        report["tolerance_sweep"]["f1"],
        json!([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    );
}

#[test]
fn single_label_task_known_answer_tp85_fp15_tn90_fn10() {
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        "label = \"/answer\"\nlabels = [\"yes\", \"no\"]\n",
    );
    let mut expected = String::new();
    let mut predicted = String::new();
    let cases = [
        ("yes", "yes", 85),
        ("no", "yes", 15),
        ("no", "no", 90),
        ("yes", "no", 10),
    ];
    let mut id = 0;
    for (truth, answer, n) in cases {
        for _ in 0..n {
            expected.push_str(&format!(
                "{}\n",
                json!({"id": id, "expected": {"answer": truth}})
            ));
            predicted.push_str(&format!(
                "{}\n",
                json!({"id": id, "output": format!("{{\"answer\": \"{answer}\"}}")})
            ));
            id += 1;
        }
    }
    // Two more examples: an invalid output and a missing one both predict ∅.
    expected.push_str("{\"id\": \"x1\", \"expected\": {\"answer\": \"yes\"}}\n{\"id\": \"x2\", \"expected\": {\"answer\": \"no\"}}\n");
    predicted.push_str("{\"id\": \"x1\", \"output\": \"yes, definitely\"}\n");
    write(data.path(), "expected.jsonl", expected);
    write(data.path(), "predictions.jsonl", predicted);
    let out = tempdir();
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
    let yes = &report["classes"][0];
    assert_eq!(yes["label"], "yes");
    assert_eq!(
        (&yes["tp"], &yes["fp"], &yes["fn"], &yes["support"]),
        (&json!(85), &json!(15), &json!(11), &json!(96))
    );
    assert_eq!(yes["precision"], 0.85);
    assert_eq!(
        report["confusion"],
        json!({"labels": ["yes", "no", "∅"], "matrix": [[85, 10, 1], [15, 90, 1], [0, 0, 0]]})
    );
    assert_eq!(report["summary"]["label_accuracy"], 175.0 / 202.0);
    assert_eq!(report["summary"]["event_f1"], Value::Null);
    assert_eq!(report["events"], Value::Null);

    // Without the two extra examples the positive class is the textbook case.
    let data2 = tempdir();
    write(
        data2.path(),
        "eval.toml",
        "label = \"/answer\"\nlabels = [\"yes\", \"no\"]\n",
    );
    let keep = |text: &str| {
        text.lines()
            .take(200)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    let e = std::fs::read_to_string(data.path().join("expected.jsonl")).unwrap();
    let p = std::fs::read_to_string(data.path().join("predictions.jsonl")).unwrap();
    write(data2.path(), "expected.jsonl", keep(&e));
    write(data2.path(), "predictions.jsonl", keep(&p));
    let (_, report) = score_ok(&[data2.path().to_str().unwrap()], out.path());
    let yes = &report["classes"][0];
    assert_eq!(yes["precision"], 0.85);
    assert_eq!(yes["recall"], 85.0 / 95.0);
    assert_eq!(yes["f1"], 170.0 / 195.0);
    assert_eq!(format!("{:.4}", yes["recall"].as_f64().unwrap()), "0.8947");
}

#[test]
fn examples_jsonl_lists_every_example_worst_first() {
    let out = tempdir();
    score_ok(&["tests/fixtures/vertex-batch"], out.path());
    let text = std::fs::read_to_string(out.path().join("examples.jsonl")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10);
    // Clip 3 (FG_MAKE confused with LAYUP: one fp, one fn) and clip 5 (two events missed after
    // truncation) have two errors each; clip 3 comes first in the expected file. The two exact
    // examples come last.
    assert_eq!(
        lines[0]["expected_line"],
        "tests/fixtures/vertex-batch/expected.jsonl:3"
    );
    assert_eq!(lines[0]["confused"][0]["expected"], "FG_MAKE");
    assert_eq!(lines[0]["confused"][0]["predicted"], "LAYUP");
    let errors: Vec<u64> = lines
        .iter()
        .map(|l| l["fp"].as_u64().unwrap() + l["fn"].as_u64().unwrap())
        .collect();
    assert!(errors.windows(2).all(|w| w[0] >= w[1]), "{errors:?}");
    let failed = lines.iter().find(|l| l["tier"] == "failed").unwrap();
    assert_eq!(failed["failure"], "Internal error occurred. Please retry.");
    let truncated = lines
        .iter()
        .find(|l| l["finish_reason"] == "MAX_TOKENS")
        .unwrap();
    assert_eq!(truncated["tier"], "repaired");
    assert_eq!(truncated["missed"].as_array().unwrap().len(), 2);
    assert!(lines[8]["exact"].as_bool().unwrap() && lines[9]["exact"].as_bool().unwrap());
}

#[test]
fn tickets_sample_scores_paths_lists_and_labels_from_the_spec_alone() {
    let out = tempdir();
    let (_, r) = score_ok(&["datasets/tickets"], out.path());
    assert_eq!(r["run"]["joined_by"], "explicit_key");
    assert_eq!(r["summary"]["examples"], 240);
    assert_eq!(r["summary"]["failed_requests"], 3);
    assert_eq!(r["summary"]["label_accuracy"], 206.0 / 240.0);
    assert_eq!(
        r["paths"]["/customer/email"],
        json!({"compare": "exact", "compared": 240, "correct": 218, "missing": 22, "extra": 0, "accuracy": 218.0 / 240.0})
    );
    assert_eq!(r["paths"]["/priority"]["correct"], 197);
    let entities = &r["lists"]["entities"];
    assert_eq!(
        (
            &entities["expected"],
            &entities["predicted"],
            &entities["matched"]
        ),
        (&json!(476), &json!(462), &json!(441))
    );
    assert_eq!(entities["f1"], 2.0 * 441.0 / (476.0 + 462.0));
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("## Paths") && md.contains("## Lists"), "{md}");
    // The typed ANLS* ranking puts the priority, the least often right field, first.
    assert_eq!(r["anls"]["fields"][0]["path"], "/priority");
    assert_eq!(r["anls"]["fields"][0]["mean"], 197.0 / 240.0);
    assert!(
        md.contains("Overall label accuracy 0.8583; recall per class: refund 0.9118"),
        "{md}"
    );
}

#[test]
fn a_binary_task_reports_its_positive_class() {
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        "label = \"/answer\"\nlabels = [\"yes\", \"no\"]\npositive = \"yes\"\n",
    );
    let mut expected = String::new();
    let mut predicted = String::new();
    for (i, (truth, answer)) in [
        ("yes", "yes"),
        ("yes", "no"),
        ("no", "no"),
        ("no", "yes"),
        ("no", "no"),
    ]
    .iter()
    .enumerate()
    {
        expected.push_str(&format!(
            "{}\n",
            json!({"id": i, "expected": {"answer": truth}})
        ));
        predicted.push_str(&format!(
            "{}\n",
            json!({"id": i, "output": {"answer": answer}})
        ));
    }
    write(data.path(), "expected.jsonl", expected);
    write(data.path(), "predictions.jsonl", predicted);
    let out = tempdir();
    let (_, r) = score_ok(&[data.path().to_str().unwrap()], out.path());
    assert_eq!(r["summary"]["positive_precision"], 0.5);
    assert_eq!(r["summary"]["positive_recall"], 0.5);
    assert_eq!(r["summary"]["positive_f1"], 0.5);
}

/// Writes the vertex-batch fixture's spec into `dir`, its schema path made absolute.
fn write_vertex_spec(dir: &std::path::Path) {
    let spec = std::fs::read_to_string("tests/fixtures/vertex-batch/eval.toml").unwrap();
    let schemas = crate::harness::root().join("schemas");
    let spec = spec.replace("../../../schemas", schemas.to_str().unwrap());
    write(dir, "eval.toml", spec);
}

/// Scores the vertex-batch fixture with `ids` given to its first expected lines and `keys`
/// to its first prediction lines (the rest keep none), and checks the run joined by request
/// hash into the fixture's own summary.
fn assert_joins_by_request_hash(ids: &[&str], keys: &[&str]) {
    let data = tempdir();
    let fixture = std::path::Path::new("tests/fixtures/vertex-batch");
    write_vertex_spec(data.path());
    let with_ids = |file: &str, field: &str, values: &[&str]| -> String {
        std::fs::read_to_string(fixture.join(file))
            .unwrap()
            .lines()
            .enumerate()
            .map(|(i, line)| match values.get(i) {
                Some(value) => format!("{{\"{field}\": \"{value}\", {}\n", &line[1..]),
                None => format!("{line}\n"),
            })
            .collect()
    };
    write(
        data.path(),
        "expected.jsonl",
        with_ids("expected.jsonl", "id", ids),
    );
    let predictions = with_ids("predictions.jsonl", "key", keys);
    write(data.path(), "predictions.jsonl", predictions);
    let out = tempdir();
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
    assert_eq!(report["run"]["joined_by"], "request_hash");
    let reference = tempdir();
    let (_, original) = score_ok(&["tests/fixtures/vertex-batch"], reference.path());
    assert_eq!(report["summary"], original["summary"]);
}

#[test]
fn a_join_falls_back_to_request_hashes_when_a_later_example_has_no_id() {
    // Every prediction has a Gemini batch `key`, but only the first expected line an `id`: the
    // explicit-key join is tried, given up at line 2, and the run joins by request hash.
    let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    assert_joins_by_request_hash(&["clip-01"], &keys);
}

#[test]
fn duplicate_ids_of_a_key_not_joined_by_are_no_error() {
    let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
    let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    // Two expected lines share an id before line 3, which has none.
    assert_joins_by_request_hash(&["a", "a"], &keys);
    // Two predictions share a key; the expected lines have no ids.
    keys[1] = "k0";
    assert_joins_by_request_hash(&[], &keys);
    // Both.
    assert_joins_by_request_hash(&["a", "b", "a"], &keys);
    // An expected id repeated that a prediction has: its claim is dropped in the fallback.
    assert_joins_by_request_hash(&["k0", "k0"], &keys);
}

#[test]
fn a_line_order_join_ignores_repeated_requests() {
    // Two predictions echo the same request: no key is joined by, so nothing is a duplicate.
    let data = tempdir();
    let fixture = std::path::Path::new("tests/fixtures/vertex-batch");
    write_vertex_spec(data.path());
    let expected = std::fs::read_to_string(fixture.join("expected.jsonl")).unwrap();
    write(data.path(), "expected.jsonl", expected);
    let predictions = std::fs::read_to_string(fixture.join("predictions.jsonl")).unwrap();
    let first = predictions.lines().next().unwrap();
    write(
        data.path(),
        "predictions.jsonl",
        format!("{first}\n{predictions}"),
    );
    let out = tempdir();
    let dir = data.path().to_str().unwrap();
    let (_, report) = score_ok(&[dir, "--join", "line"], out.path());
    assert_eq!(report["run"]["joined_by"], "line_order");
    let run = crate::harness::verdict(&["score", dir, "--out", out.path().to_str().unwrap()]);
    run.assert_code(2);
    assert!(run.stderr.contains("duplicate key"), "{}", run.stderr);
}
