//! Provider batch outputs beyond OpenAI's and Gemini's common shapes, scored end to end from
//! fixtures built on published lines (`tests/fixtures/providers/*/README.md` names each
//! source): what each line's answer, finish reason, failure reason and join key became, as
//! `report.json` and `examples.jsonl` show them.

use serde_json::{Value, json};

use crate::harness::{score_ok, tempdir, write};

/// The lines of `examples.jsonl` in `out`, by the number their expected line has in its file
/// (line 3 of the test set is `examples[&3]`).
fn examples_by_line(out: &std::path::Path) -> std::collections::BTreeMap<u64, Value> {
    std::fs::read_to_string(out.join("examples.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let line: Value = serde_json::from_str(l).unwrap();
            let at = line["expected_line"].as_str().unwrap();
            let n = at.rsplit(':').next().unwrap().parse().unwrap();
            (n, line)
        })
        .collect()
}

fn score_fixture(name: &str, out: &std::path::Path) -> Value {
    score_ok(&[&format!("tests/fixtures/providers/{name}")], out).1
}

/// Scores the predictions of the fixture `name` against the spec and test set in `data`.
fn score_against(data: &std::path::Path, name: &str, out: &std::path::Path) -> Value {
    let dir = data.display().to_string();
    let args = [
        "--spec".to_owned(),
        format!("{dir}/eval.toml"),
        "--expected".to_owned(),
        format!("{dir}/expected.jsonl"),
        "--predictions".to_owned(),
        format!("tests/fixtures/providers/{name}/predictions.jsonl"),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    score_ok(&args, out).1
}

#[track_caller]
fn assert_close(got: &Value, want: f64) {
    let got = got.as_f64().unwrap();
    assert!((got - want).abs() < 1e-12, "{got} != {want}");
}

#[test]
fn anthropic_message_batch_results_join_by_custom_id_and_keep_each_failure_reason() {
    let out = tempdir();
    let report = score_fixture("anthropic", out.path());
    assert_eq!(report["run"]["joined_by"], "explicit_key");
    // The thinking, tool_use and text answers are strict JSON; the max_tokens one is cut off.
    assert_eq!(
        report["validity"],
        json!({"strict": 3, "extracted": 0, "repaired": 1, "invalid": 0, "missing": 0, "failed": 3})
    );
    assert_eq!(report["summary"]["failed_requests"], 3);
    assert_eq!(report["summary"]["orphan_predictions"], 0);
    // Three of seven answers are valid against the schema (the truncated one is not repaired).
    assert_close(&report["summary"]["schema_valid"], 3.0 / 7.0);
    assert_eq!(
        report["finish_reasons"],
        json!({"end_turn": 2, "max_tokens": 1, "tool_use": 1, "unspecified": 3})
    );
    let ex = examples_by_line(out.path());
    let prediction = |n: u64| ex[&n]["prediction_line"].as_str().unwrap().to_owned();
    let p = "tests/fixtures/providers/anthropic/predictions.jsonl";
    assert_eq!(prediction(1), format!("{p}:2"));
    assert_eq!(prediction(2), format!("{p}:1"));
    assert_eq!(ex[&1]["id"], "req-1");
    // The thinking block's {"intent": "billing"} is not the answer: the text after it is.
    assert_eq!(ex[&2]["tier"], "strict");
    assert_eq!(ex[&2]["exact"], true);
    // The tool_use block's input is the answer, not the text before it.
    assert_eq!(ex[&3]["tier"], "strict");
    assert_eq!(ex[&3]["exact"], true);
    assert_eq!(ex[&3]["finish_reason"], "tool_use");
    assert_eq!(ex[&4]["tier"], "repaired");
    assert_eq!(ex[&4]["finish_reason"], "max_tokens");
    assert_eq!(
        ex[&5]["failure"],
        "errored: invalid_request_error: max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5-20250929"
    );
    assert_eq!(ex[&6]["failure"], "expired");
    assert_eq!(ex[&7]["failure"], "canceled");
    for n in 5..=7 {
        assert_eq!(ex[&n]["tier"], "failed");
        assert_eq!(ex[&n]["finish_reason"], Value::Null);
    }
}

#[test]
fn claude_on_vertex_ai_joins_an_openai_chat_test_set_by_request_hash() {
    let out = tempdir();
    let report = score_fixture("vertex-claude", out.path());
    // The lines carry custom_ids the test set does not have: the user turns join them.
    assert_eq!(report["run"]["joined_by"], "request_hash");
    assert_eq!(
        report["validity"],
        json!({"strict": 2, "extracted": 0, "repaired": 1, "invalid": 0, "missing": 0, "failed": 1})
    );
    assert_eq!(
        report["finish_reasons"],
        json!({"end_turn": 1, "max_tokens": 1, "tool_use": 1, "unspecified": 1})
    );
    let ex = examples_by_line(out.path());
    let p = "tests/fixtures/providers/vertex-claude/predictions.jsonl";
    assert_eq!(ex[&1]["prediction_line"], format!("{p}:2"));
    assert_eq!(ex[&1]["exact"], true);
    // A user turn of text parts hashes as the same text given as a string.
    assert_eq!(ex[&2]["prediction_line"], format!("{p}:3"));
    assert_eq!(ex[&2]["finish_reason"], "max_tokens");
    assert_eq!(ex[&3]["prediction_line"], format!("{p}:1"));
    assert_eq!(ex[&3]["exact"], true);
    assert_eq!(ex[&4]["tier"], "failed");
    assert_eq!(
        ex[&4]["failure"],
        "Bad Request: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"temperature: range: 0..1\"}}"
    );
}

#[test]
fn bedrock_batch_output_of_each_model_family_joins_by_request_hash() {
    let out = tempdir();
    let report = score_fixture("bedrock", out.path());
    assert_eq!(report["run"]["joined_by"], "request_hash");
    // Claude, Nova (text and toolUse), Llama and Mistral are strict; Titan was cut at LENGTH.
    assert_eq!(
        report["validity"],
        json!({"strict": 5, "extracted": 0, "repaired": 1, "invalid": 0, "missing": 0, "failed": 1})
    );
    assert_eq!(
        report["finish_reasons"],
        json!({"end_turn": 2, "tool_use": 1, "LENGTH": 1, "stop": 2, "unspecified": 1})
    );
    let ex = examples_by_line(out.path());
    for n in 1..=7u64 {
        assert_eq!(
            ex[&n]["prediction_line"],
            format!("tests/fixtures/providers/bedrock/predictions.jsonl:{n}"),
            "example {n}"
        );
    }
    for n in [1, 2, 3, 5, 6] {
        assert_eq!(ex[&n]["exact"], true, "example {n}");
    }
    assert_eq!(ex[&4]["finish_reason"], "LENGTH");
    assert_eq!(ex[&7]["failure"], "400: bad request");
}

#[test]
fn bedrock_record_ids_join_a_test_set_that_has_them() {
    let data = tempdir();
    write(data.path(), "eval.toml", "name = \"bedrock-ids\"\n");
    let expected: String = (1..=7)
        .rev()
        .map(|n| format!("{{\"id\": \"CALL000000{n}\", \"expected\": {{\"n\": {n}}}}}\n"))
        .collect();
    write(data.path(), "expected.jsonl", expected);
    let out = tempdir();
    let report = score_against(data.path(), "bedrock", out.path());
    assert_eq!(report["run"]["joined_by"], "explicit_key");
    assert_eq!(report["summary"]["missing_predictions"], 0);
    let ex = examples_by_line(out.path());
    // The test set lists CALL0000007 first.
    assert_eq!(ex[&1]["id"], "CALL0000007");
    assert_eq!(ex[&1]["failure"], "400: bad request");
}

#[test]
fn gemini_lines_with_sibling_keys_a_function_call_and_a_status_object() {
    let out = tempdir();
    let report = score_fixture("gemini-extras", out.path());
    // custom_id, id and key are each a line's explicit key.
    assert_eq!(report["run"]["joined_by"], "explicit_key");
    assert_eq!(
        report["validity"],
        json!({"strict": 3, "extracted": 0, "repaired": 0, "invalid": 0, "missing": 0, "failed": 1})
    );
    let ex = examples_by_line(out.path());
    let p = "tests/fixtures/providers/gemini-extras/predictions.jsonl";
    for n in 1..=3u64 {
        assert_eq!(ex[&n]["prediction_line"], format!("{p}:{n}"));
        assert_eq!(ex[&n]["exact"], true, "example {n}");
        assert_eq!(ex[&n]["finish_reason"], "STOP");
    }
    assert_eq!(ex[&4]["tier"], "failed");
    assert_eq!(
        ex[&4]["failure"],
        "Resource has been exhausted (e.g. check quota)."
    );
}

#[test]
fn a_spec_asking_for_calls_scores_the_function_name_too() {
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        "name = \"calls\"\ntool_calls = \"calls\"\n",
    );
    write(
        data.path(),
        "expected.jsonl",
        "{\"id\": \"req-3\", \"expected\": {\"name\": \"record_ticket\", \"arguments\": {\"intent\": \"billing\", \"priority\": \"medium\"}}}\n",
    );
    let out = tempdir();
    let report = score_against(data.path(), "anthropic", out.path());
    // The other six results answer no example of this one-line test set.
    assert_eq!(report["summary"]["orphan_predictions"], 6);
    let ex = examples_by_line(out.path());
    assert_eq!(ex[&1]["exact"], true);
}

#[test]
fn a_bedrock_output_folder_is_read_as_s3_leaves_it() {
    // Bedrock writes `<input>.jsonl.out` per input file and a `manifest.json.out` summary.
    let fixture = "tests/fixtures/providers/bedrock";
    let folder = tempdir();
    std::fs::copy(
        format!("{fixture}/predictions.jsonl"),
        folder.path().join("records.jsonl.out"),
    )
    .unwrap();
    write(
        folder.path(),
        "manifest.json.out",
        "{\"totalRecordCount\": 7, \"processedRecordCount\": 7, \"successRecordCount\": 6, \"errorRecordCount\": 1, \"inputTokenCount\": 70, \"outputTokenCount\": 42}\n",
    );
    let from_folder = tempdir();
    let args = [
        "--spec".to_owned(),
        format!("{fixture}/eval.toml"),
        "--expected".to_owned(),
        format!("{fixture}/expected.jsonl"),
        "--predictions".to_owned(),
        folder.path().display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = score_ok(&args, from_folder.path()).1;
    let from_file = tempdir();
    let direct = score_fixture("bedrock", from_file.path());
    assert_eq!(report["summary"], direct["summary"]);
    assert_eq!(report["validity"], direct["validity"]);
}
