//! Bad input: one clear message naming the file (and line), exit code 2, and no report written
//! (a previous report in the out dir is left as it was).

use std::path::Path;

use crate::harness::{PLAIN_SPEC, Run, tempdir, verdict, write};

const GOOD_EXPECTED: &str = "{\"id\": 1, \"expected\": []}\n{\"id\": 2, \"expected\": []}\n";
const GOOD_PREDICTIONS: &str = "{\"id\": 1, \"output\": \"[]\"}\n{\"id\": 2, \"output\": \"[]\"}\n";

/// Builds a dataset from the good files with the named ones replaced, scores it into an out
/// dir that already holds a report, and checks that the old report survived.
#[track_caller]
fn score_bad(replace: &[(&str, &[u8])]) -> (Run, String) {
    let data = tempdir();
    write(data.path(), "eval.toml", PLAIN_SPEC);
    write(data.path(), "expected.jsonl", GOOD_EXPECTED);
    write(data.path(), "predictions.jsonl", GOOD_PREDICTIONS);
    for (name, contents) in replace {
        write(data.path(), name, contents);
    }
    let out = tempdir();
    write(out.path(), "report.json", "previous report\n");
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(2);
    assert_eq!(
        std::fs::read_to_string(out.path().join("report.json")).unwrap(),
        "previous report\n",
        "a failed run must not touch the previous report"
    );
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        1,
        "no temporary files left"
    );
    assert!(
        run.stdout.is_empty(),
        "no summary on failure: {}",
        run.stdout
    );
    let dir = data.path().display().to_string();
    (run, dir)
}

#[track_caller]
fn assert_error(run: &Run, expected: &str) {
    assert!(
        run.stderr.starts_with("verdict: error: ") && run.stderr.trim_end().ends_with(expected),
        "stderr was:\n{}\nexpected it to end with:\n{expected}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "one message: {}", run.stderr);
}

#[test]
fn malformed_expected_line() {
    let (run, dir) = score_bad(&[(
        "expected.jsonl",
        b"{\"id\": 1, \"expected\": []}\n{\"id\": 2, \"expected\": [}\n",
    )]);
    assert!(
        run.stderr
            .contains(&format!("{dir}/expected.jsonl:2: not valid JSON (")),
        "{}",
        run.stderr
    );
    assert_error(&run, "each line must hold one JSON object");
}

#[test]
fn expected_output_that_is_not_json() {
    let line = br#"{"contents": [{"role": "user", "parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "[{\"t\": 1},"}]}]}"#;
    let (run, dir) = score_bad(&[("expected.jsonl", line)]);
    assert!(
        run.stderr.contains(&format!(
            "{dir}/expected.jsonl:1: the text of the last model turn is not valid JSON"
        )),
        "{}",
        run.stderr
    );
    assert_error(&run, "the expected output must be strict JSON");
}

#[test]
fn prediction_line_that_is_not_json() {
    let (run, dir) = score_bad(&[(
        "predictions.jsonl",
        b"{\"id\": 1, \"output\": \"[]\"}\nHere are the events: []\n",
    )]);
    assert!(
        run.stderr.contains(&format!(
            "{dir}/predictions.jsonl:2: not valid JSON (expected value at line 1 column 1)"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_line_shapes() {
    let (run, dir) = score_bad(&[(
        "predictions.jsonl",
        b"{\"id\": 1, \"output\": \"[]\"}\n{\"id\": 2, \"answer\": \"[]\"}\n",
    )]);
    assert!(run.stderr.contains(&format!("{dir}/predictions.jsonl:2: unrecognised line shape: expected a Vertex AI batch output line")), "{}", run.stderr);
    assert_error(&run, "found keys \"answer\", \"id\"");

    let (run, dir) = score_bad(&[("expected.jsonl", b"[1, 2]\n")]);
    assert!(
        run.stderr.contains(&format!(
            "{dir}/expected.jsonl:1: expected a JSON object (a Gemini tuning line"
        )),
        "{}",
        run.stderr
    );
    // A one-line array is what a JSON array file looks like, so the hint says how to split it.
    assert_error(
        &run,
        &format!(
            "found an array; the file looks like a JSON array, not JSON Lines: verdict expects one JSON object per line, e.g. jq -c '.[]' {dir}/expected.jsonl > {dir}/expected.lines.jsonl"
        ),
    );
}

#[test]
fn empty_files() {
    let (run, dir) = score_bad(&[("expected.jsonl", b"\n\n")]);
    assert_error(
        &run,
        &format!(
            "{dir}/expected.jsonl: no examples: the file is empty (expected one JSON object per line)"
        ),
    );
    let (run, dir) = score_bad(&[("predictions.jsonl", b"")]);
    assert_error(
        &run,
        &format!(
            "{dir}/predictions.jsonl: no predictions: the prediction files are empty (expected one JSON object per line)"
        ),
    );
}

#[test]
fn missing_files() {
    let run = verdict(&[
        "score",
        "--spec",
        "tests/fixtures/vertex-batch/eval.toml",
        "--expected",
        "nowhere/expected.jsonl",
        "--predictions",
        "x.jsonl",
    ]);
    run.assert_code(2);
    assert_error(
        &run,
        "nowhere/expected.jsonl: cannot open: No such file or directory (os error 2)",
    );
    let run = verdict(&["score", "no-such-dataset"]);
    run.assert_code(2);
    assert_error(
        &run,
        "no-such-dataset: not a directory: DIR must hold eval.toml, expected.jsonl and predictions.jsonl",
    );
    let data = tempdir();
    write(data.path(), "eval.toml", PLAIN_SPEC);
    write(data.path(), "expected.jsonl", GOOD_EXPECTED);
    let run = verdict(&["score", data.path().to_str().unwrap()]);
    run.assert_code(2);
    assert_error(
        &run,
        &format!(
            "{}/predictions.jsonl: no such file or directory",
            data.path().display()
        ),
    );
}

#[test]
fn bad_schemas() {
    let spec = "schema = \"schema.json\"\n";
    let (run, dir) = score_bad(&[
        ("eval.toml", spec.as_bytes()),
        ("schema.json", b"{\"type\": 12}"),
    ]);
    assert!(
        run.stderr
            .contains(&format!("{dir}/schema.json: not a usable JSON Schema")),
        "{}",
        run.stderr
    );
    let (run, dir) = score_bad(&[
        ("eval.toml", spec.as_bytes()),
        ("schema.json", b"{\"type\": "),
    ]);
    assert!(
        run.stderr
            .contains(&format!("{dir}/schema.json: not valid JSON")),
        "{}",
        run.stderr
    );
    let (run, dir) = score_bad(&[("eval.toml", b"schema = \"missing.json\"\n")]);
    assert_error(
        &run,
        &format!("{dir}/missing.json: cannot read schema: No such file or directory (os error 2)"),
    );
}

#[test]
fn bad_specs() {
    let (run, dir) = score_bad(&[(
        "eval.toml",
        b"[events]\ntime = \"t\"\nlabel = \"c\"\ntolerence = 0.5\n",
    )]);
    assert!(
        run.stderr
            .contains(&format!("{dir}/eval.toml:4: unknown field `tolerence`")),
        "{}",
        run.stderr
    );
    assert_error(&run, "(did you mean `tolerance`?)");
    let (run, dir) = score_bad(&[("eval.toml", b"[events\n")]);
    assert!(
        run.stderr.contains(&format!("{dir}/eval.toml:1: ")),
        "{}",
        run.stderr
    );
}

#[test]
fn invalid_utf8() {
    let (run, dir) = score_bad(&[(
        "predictions.jsonl",
        b"{\"id\": 1, \"output\": \"[]\"}\n{\"id\": 2, \"output\": \"\xc3\x28\"}\n",
    )]);
    assert_error(
        &run,
        &format!(
            "{dir}/predictions.jsonl:2: not valid UTF-8 (invalid byte at column 22): input files must be UTF-8 encoded"
        ),
    );
}

#[test]
fn duplicate_keys_name_both_lines() {
    let (run, dir) = score_bad(&[("predictions.jsonl", b"{\"id\": 1, \"output\": \"[]\"}\n{\"id\": 2, \"output\": \"[]\"}\n{\"id\": \"1\", \"output\": \"[]\"}\n")]);
    assert_error(
        &run,
        &format!(
            "{dir}/predictions.jsonl:3: duplicate key \"1\" (first seen at {dir}/predictions.jsonl:1)"
        ),
    );
}

#[test]
fn an_expected_duplicate_is_named_before_a_prediction_duplicate() {
    // Both files repeat an id and every line has one: the expected file's duplicate, though
    // found only after the predictions were read, is the one reported.
    let (run, dir) = score_bad(&[
        ("expected.jsonl", b"{\"id\": 1, \"expected\": []}\n{\"id\": 2, \"expected\": []}\n{\"id\": 2, \"expected\": []}\n"),
        ("predictions.jsonl", b"{\"id\": 1, \"output\": \"[]\"}\n{\"id\": 1, \"output\": \"[]\"}\n"),
    ]);
    assert_error(
        &run,
        &format!(
            "{dir}/expected.jsonl:3: duplicate key \"2\" (first seen at {dir}/expected.jsonl:2)"
        ),
    );
}

#[test]
fn unjoinable_inputs() {
    let (run, _) = score_bad(&[(
        "predictions.jsonl",
        b"{\"id\": \"clip-1\", \"output\": \"[]\"}\n",
    )]);
    assert!(
        run.stderr
            .contains("no prediction matches any expected example by explicit key"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_directory_where_a_file_was_expected() {
    let data = tempdir();
    write(data.path(), "eval.toml", PLAIN_SPEC);
    std::fs::create_dir(data.path().join("expected.jsonl")).unwrap();
    write(data.path(), "predictions.jsonl", GOOD_PREDICTIONS);
    let run = verdict(&["score", data.path().to_str().unwrap()]);
    run.assert_code(2);
    assert_error(
        &run,
        &format!(
            "{}/expected.jsonl: is a directory, expected a JSONL file",
            data.path().display()
        ),
    );
}

#[test]
fn usage_errors_exit_2() {
    verdict::<&str>(&[]).assert_code(2);
    let run = verdict(&["score"]);
    run.assert_code(2);
    assert_error(
        &run,
        "missing --spec: give a dataset DIR or --spec, --expected and --predictions",
    );
    verdict(&["score", "tests/fixtures/vertex-batch", "--threads", "0"]).assert_code(2);
    verdict(&["score", "tests/fixtures/vertex-batch", "--join", "hash"]).assert_code(2);
    assert!(Path::new(env!("CARGO_BIN_EXE_verdict")).exists());
}

#[test]
fn numeric_flags_are_range_checked_before_anything_runs() {
    // Each of these panicked, ran into the OOM killer or took minutes before the limits.
    for (flag, value, range) in [
        ("--bootstrap", "18446744073709551615", "0..=100000"),
        ("--bootstrap", "4294967296", "0..=100000"),
        ("--threads", "5000", "1..=256"),
        ("--threads", "0", "1..=256"),
    ] {
        let run = verdict(&[
            "score",
            "datasets/tickets",
            flag,
            value,
            "--out",
            "/nonexistent/x",
        ]);
        run.assert_code(2);
        assert!(
            run.stderr.contains(&format!(
                "invalid value '{value}' for '{flag} <N>': {value} is not in {range}"
            )),
            "{flag} {value}: {}",
            run.stderr
        );
    }
    let run = verdict(&["compare", "a", "b", "--bootstrap", "100001"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("100001 is not in 1..=100000"),
        "{}",
        run.stderr
    );
}

#[test]
fn prediction_entries_verdict_cannot_read_are_named_never_skipped() {
    // Before, a dangling link, a FIFO or a directory named *.jsonl in a predictions directory
    // was passed over and its predictions quietly counted as missing; /dev/stdin and <(…) were
    // half read and reported as bad JSON.
    let tmp = tempdir();
    let preds = tmp.path().join("preds");
    std::fs::create_dir(&preds).unwrap();
    std::fs::copy("datasets/tickets/predictions.jsonl", preds.join("a.jsonl")).unwrap();
    let score = |predictions: &Path| {
        verdict(&[
            "score",
            "--spec",
            "datasets/tickets/eval.toml",
            "--expected",
            "datasets/tickets/expected.jsonl",
            "--predictions",
            predictions.to_str().unwrap(),
            "--quiet",
            "--out",
            tmp.path().join("out").to_str().unwrap(),
        ])
    };
    let link = preds.join("b.jsonl");
    std::os::unix::fs::symlink(tmp.path().join("gone.jsonl"), &link).unwrap();
    for given in [preds.clone(), preds.join("*.jsonl"), link.clone()] {
        assert_error(
            &score(&given),
            &format!(
                "{}: a symbolic link to nothing (its target is missing, or links loop): remove it or point it at a file",
                link.display()
            ),
        );
    }
    std::fs::remove_file(&link).unwrap();
    let fifo = preds.join("c.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let not_regular = "not a regular file (a pipe, FIFO, socket or device): verdict reads each input file more than once, so it takes regular files only; write the data to a file first";
    assert_error(
        &score(&preds),
        &format!("{}: {not_regular}", fifo.display()),
    );
    std::fs::remove_file(&fifo).unwrap();
    std::fs::create_dir(preds.join("d.jsonl")).unwrap();
    assert_error(
        &score(&preds),
        &format!(
            "{}: a directory: verdict reads each input file more than once, so it takes regular files only; write the data to a file first",
            preds.join("d.jsonl").display()
        ),
    );
}
