//! Never silently wrong: predictions in which no line yields an answer, or most lines fail for
//! one and the same reason, are an input error (exit 2) naming the shape verdict read them as,
//! the field it looked for and the first line — not a model that failed every request.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{score_ok, tempdir, verdict, write};

const TEST_SET: &str = "tests/fixtures/requests/expected.jsonl";
const SPEC: &str = "tests/fixtures/requests/eval.toml";

/// The Vertex AI requests of the test set, as `verdict requests` writes them.
fn vertex_requests(dir: &Path) -> Vec<Value> {
    let out = dir.join("requests.jsonl");
    let run = verdict(&[
        "requests",
        TEST_SET,
        "--provider",
        "vertex",
        "--out",
        &out.display().to_string(),
    ]);
    run.assert_code(0);
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn score(dir: &Path, lines: &[Value]) -> crate::harness::Run {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let predictions = write(dir, "predictions.jsonl", text);
    verdict(&[
        "score",
        "--spec",
        SPEC,
        "--expected",
        TEST_SET,
        "--predictions",
        &predictions.display().to_string(),
        "--out",
        &dir.join("report").display().to_string(),
        "--quiet",
    ])
}

#[test]
fn a_file_of_a_shape_verdict_misreads_is_refused_naming_shape_field_and_line() {
    // Vertex AI batch output for an open model served OpenAI-style: the response holds
    // `choices`, not Gemini's `candidates`. Read as Gemini lines, not one yields an answer.
    let dir = tempdir();
    let lines: Vec<Value> = vertex_requests(dir.path())
        .into_iter()
        .map(|line| {
            json!({
                "status": "",
                "processed_time": "2025-03-01T10:00:00.000+00:00",
                "request": line["request"],
                "response": {"id": "chatcmpl-1", "object": "chat.completion", "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "{\"intent\": \"billing\", \"priority\": \"high\"}"},
                     "finish_reason": "stop"}]}
            })
        })
        .collect();
    let run = score(dir.path(), &lines);
    run.assert_code(2);
    let path = dir.path().join("predictions.jsonl");
    assert_eq!(
        run.stderr.trim(),
        format!(
            "verdict: error: {}:1: no line of this file yields an answer: read as a Vertex AI / Gemini API batch output line {{\"request\", \"response\"}}, with the answer looked for in response.candidates[0].content.parts[].text, 4 of its 4 lines give \"no candidates\". Lines not understood, or requests that all failed, are not a model to score: check the shape (docs/input-formats.md) or re-run the failed requests",
            path.display()
        )
    );
    assert!(!dir.path().join("report/report.json").exists());
}

#[test]
fn a_run_whose_requests_mostly_failed_alike_is_refused_but_a_few_failures_are_data() {
    let dir = tempdir();
    let requests = vertex_requests(dir.path());
    let answered = |line: &Value| {
        json!({"status": "", "request": line["request"], "response": {"candidates": [
            {"content": {"role": "model", "parts": [{"text": "{\"intent\": \"billing\", \"priority\": \"high\"}"}]},
             "finishReason": "STOP"}]}})
    };
    let quota = |line: &Value| {
        json!({"status": "Bad Request: {\"error\": {\"code\": 429, \"message\": \"Resource exhausted.\", \"status\": \"RESOURCE_EXHAUSTED\"}}",
               "request": line["request"], "response": null})
    };
    // One answer, three quota failures: the provider stated them, so they are data (75% is not
    // "most", and 4 lines are too few for the rule anyway).
    let mut lines = vec![answered(&requests[0])];
    lines.extend(requests[1..].iter().map(quota));
    let out = dir.path().join("few");
    let mut args: Vec<String> = ["--spec", SPEC, "--expected", TEST_SET, "--predictions"]
        .map(str::to_owned)
        .to_vec();
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let few = write(dir.path(), "few.jsonl", text);
    args.push(few.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, report) = score_ok(&args, &out);
    assert_eq!(report["summary"]["failed_requests"], 3);
    // Every request failed: no answer at all, whoever says why.
    let all: Vec<Value> = requests.iter().map(quota).collect();
    let run = score(dir.path(), &all);
    run.assert_code(2);
    assert!(
        run.stderr.contains("predictions.jsonl:1: no line of the predictions yields an answer: read as a Vertex AI / Gemini API batch output line"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("4 of its 4 lines give \"Bad Request: "),
        "{}",
        run.stderr
    );
    // Ten lines, nine failing for one stated reason: 90% is "most".
    let mut ten: Vec<Value> = Vec::new();
    for i in 0..10 {
        let line = &requests[i % 4];
        ten.push(if i == 0 { answered(line) } else { quota(line) });
    }
    let run = verdict(&[
        "score",
        "--spec",
        SPEC,
        "--expected",
        TEST_SET,
        "--predictions",
        &write(
            dir.path(),
            "ten.jsonl",
            ten.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .display()
        .to_string(),
        "--join",
        "line",
        "--quiet",
        "--out",
        &dir.path().join("ten").display().to_string(),
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("ten.jsonl:2: 9 of the 10 lines of the predictions (90%) fail for one and the same reason, \"Bad Request: "),
        "{}",
        run.stderr
    );
}
