//! Spec values checked against the expected outputs (issue 21, item 1): a pointer, member or
//! field no expected output has stops the run (exit 2) with the closest name present; one some
//! outputs lack is counted in `spec_coverage` and warned about; a declared label no expected
//! output has is a warning with the closest label that has.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{Run, score_ok, tempdir, verdict, write};

/// The basketball sample's spec without its schema, with `edit` applied.
fn basketball_spec(edit: impl Fn(String) -> String) -> String {
    let text = std::fs::read_to_string("datasets/basketball/eval.toml").unwrap();
    let text = text.replace(
        "schema = \"../../schemas/basketball-events.schema.json\"\n",
        "",
    );
    edit(text)
}

/// Scores the basketball sample with `spec` into a fresh out dir; the run and the out dir.
fn score_basketball(spec: &str) -> (Run, tempfile::TempDir) {
    let dir = tempdir();
    let spec_path = write(dir.path(), "eval.toml", spec);
    let out = dir.path().join("out");
    let run = verdict(&[
        "score",
        "datasets/basketball",
        "--spec",
        spec_path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    (run, dir)
}

#[track_caller]
fn assert_spec_error(run: &Run, dir: &Path, message: &str) {
    run.assert_code(2);
    let spec = dir.join("eval.toml");
    assert_eq!(
        run.stderr.trim_end(),
        format!("verdict: error: {}: {message}", spec.display())
    );
    assert!(
        !dir.join("out").exists(),
        "no report is written on an input error"
    );
}

#[test]
fn a_misspelt_event_label_member_is_an_error_naming_the_right_one() {
    // Before: every event became "(unlabelled)" and event_f1 rose from 0.873 to 0.910.
    let (run, dir) = score_basketball(&basketball_spec(|t| {
        t.replace("label = \"classification\"", "label = \"clasification\"")
    }));
    assert_spec_error(
        &run,
        dir.path(),
        "[events] label = \"clasification\" matches nothing in the expected outputs: none of the 1189 expected events has a member \"clasification\" (did you mean `classification`?)",
    );
}

#[test]
fn a_wrong_time_member_and_a_misspelt_field_are_both_named() {
    // Before: `time = "timestamp"` zeroed every event metric and `[fields.playr_a]` compared
    // nothing. 1189 is the sample's expected events (320 outputs, 23 of them empty).
    let (run, dir) = score_basketball(&basketball_spec(|t| {
        t.replace("time = \"timestamp_seconds\"", "time = \"timestamp\"")
            .replace("[fields.player_a]", "[fields.playr_a]")
    }));
    let spec = dir.path().join("eval.toml");
    run.assert_code(2);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "verdict: error: {0}: [events] time = \"timestamp\" matches nothing in the expected outputs: none of the 1189 expected events has a member \"timestamp\" (did you mean `timestamp_seconds`?)\n{0}: [fields.playr_a] matches nothing in the expected outputs: none of the 1189 expected events has a member \"playr_a\" (did you mean `player_a`?)",
            spec.display()
        )
    );
}

#[test]
fn a_misspelt_path_and_label_pointer_in_object_mode() {
    let dir = tempdir();
    let spec = "label = \"/intnt\"\n[paths.\"/customer/nmae\"]\ncompare = \"text\"\n";
    let spec_path = write(dir.path(), "eval.toml", spec);
    let out = dir.path().join("out");
    let run = verdict(&[
        "score",
        "datasets/tickets",
        "--spec",
        spec_path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_code(2);
    let spec = spec_path.display();
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "verdict: error: {spec}: label = \"/intnt\" matches nothing in the expected outputs: none of the 240 expected outputs has a value at \"/intnt\" (did you mean `/intent`?)\n{spec}: [paths.\"/customer/nmae\"] matches nothing in the expected outputs: none of the 240 expected outputs has a value at \"/customer/nmae\" (did you mean `/customer/name`?)"
        )
    );
}

#[test]
fn a_declared_label_no_expected_output_has_is_a_warning_with_the_closest() {
    // A declared label the data never has is a warning…
    let (run, dir) = score_basketball(&basketball_spec(|t| {
        t.replace("\"FG_MISS\", \"THREE", "\"FG_MISS\", \"FG_MIS\", \"THREE")
    }));
    run.assert_code(0);
    let warning =
        "labels: \"FG_MIS\" never occurs in the expected outputs (did you mean `FG_MISS`?)";
    assert!(
        run.stderr
            .contains(&format!("verdict: warning: {warning}\n")),
        "{}",
        run.stderr
    );
    let out = dir.path().join("out");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["spec_coverage"]["labels_never_expected"],
        json!([{"label": "FG_MIS", "did_you_mean": "FG_MISS"}])
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains(&format!("> **Warning:** {warning}\n")), "{md}");
}

/// Three outputs: the label is missing from 2 of the 5 expected events, in 2 outputs; the
/// third output has no events and nothing to check.
const PARTIAL_EXPECTED: &str = r#"{"id": 1, "expected": [{"t": 1.0, "c": "A", "who": "x"}, {"t": 2.0}]}
{"id": 2, "expected": [{"t": 1.0, "c": "B", "who": "y"}, {"t": 3.0, "who": "z"}, {"t": 4.0, "c": "A"}]}
{"id": 3, "expected": []}
"#;
const PARTIAL_PREDICTIONS: &str = r#"{"id": 1, "output": "[{\"t\": 1.0, \"c\": \"A\"}]"}
{"id": 2, "output": "[]"}
{"id": 3, "output": "[]"}
"#;

#[test]
fn a_value_some_expected_outputs_lack_is_counted_and_reported() {
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        "[events]\ntime = \"t\"\nlabel = \"c\"\n[fields.who]\ncompare = \"exact\"\n",
    );
    write(data.path(), "expected.jsonl", PARTIAL_EXPECTED);
    write(data.path(), "predictions.jsonl", PARTIAL_PREDICTIONS);
    let out = tempdir();
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
    let row = |spec: &str, value: &str, unit: &str, counts: [u64; 3]| {
        json!({"spec": spec, "value": value, "in": unit, "checked": counts[0],
               "lacking": counts[1], "outputs_lacking": counts[2]})
    };
    assert_eq!(
        report["spec_coverage"],
        json!({
            "values": [
                row("[events] pointer", "", "outputs", [3, 0, 0]),
                row("[events] time", "t", "events", [5, 0, 0]),
                row("[events] label", "c", "events", [5, 2, 2]),
                row("[fields.who]", "who", "events", [5, 2, 2]),
            ],
            "labels_never_expected": [],
        })
    );
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
    ]);
    let label = "[events] label = \"c\" is missing from 2 of 5 expected events (in 2 expected outputs); there it scores as absent";
    let field = "[fields.who] is missing from 2 of 5 expected events (in 2 expected outputs); there it scores as absent";
    for warning in [label, field] {
        assert!(
            run.stderr
                .contains(&format!("verdict: warning: {warning}\n")),
            "{}",
            run.stderr
        );
    }
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    // report.md escapes brackets, which Markdown renders as the brackets themselves.
    let escaped = |text: &str| text.replace('[', "\\[").replace(']', "\\]");
    assert!(
        md.contains(&format!(
            "> **Warning:** {}\n> **Warning:** {}\n\n## Summary",
            escaped(label),
            escaped(field)
        )),
        "{md}"
    );
}

#[test]
fn shards_decide_over_the_whole_run() {
    // The field is in example 1 only: shard 1/2 never sees it, yet the merged run has it, as
    // a single run does. A member no example has fails the merge, not the shards.
    let data = tempdir();
    let spec = "[events]\ntime = \"t\"\nlabel = \"c\"\n[fields.who]\ncompare = \"exact\"\n";
    write(data.path(), "eval.toml", spec);
    let expected = "{\"id\": 1, \"expected\": [{\"t\": 1.0, \"c\": \"A\", \"who\": \"x\"}]}\n{\"id\": 2, \"expected\": [{\"t\": 1.0, \"c\": \"A\"}]}\n";
    write(data.path(), "expected.jsonl", expected);
    write(
        data.path(),
        "predictions.jsonl",
        "{\"id\": 1, \"output\": \"[]\"}\n{\"id\": 2, \"output\": \"[]\"}\n",
    );
    let merge = |parts: &Path, out: &Path| {
        for i in 0..2 {
            let shard = format!("{i}/2");
            let dir = parts.join(i.to_string());
            verdict(&[
                "score",
                data.path().to_str().unwrap(),
                "--shard",
                &shard,
                "--quiet",
                "--out",
                dir.to_str().unwrap(),
            ])
            .assert_code(0);
        }
        verdict(&[
            "merge",
            parts.join("0").to_str().unwrap(),
            parts.join("1").to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let work = tempdir();
    let run = merge(&work.path().join("parts"), &work.path().join("merged"));
    run.assert_code(0);
    let single = work.path().join("single");
    score_ok(&[data.path().to_str().unwrap()], &single);
    for file in ["report.json", "report.md"] {
        assert_eq!(
            std::fs::read(work.path().join("merged").join(file)).unwrap(),
            std::fs::read(single.join(file)).unwrap(),
            "{file}"
        );
    }

    write(data.path(), "eval.toml", spec.replace("who", "whom"));
    let work = tempdir();
    let run = merge(&work.path().join("parts"), &work.path().join("merged"));
    run.assert_code(2);
    assert!(
        run.stderr.ends_with(
            "[fields.whom] matches nothing in the expected outputs: none of the 2 expected events has a member \"whom\" (did you mean `who`?)\n"
        ),
        "{}",
        run.stderr
    );
}
