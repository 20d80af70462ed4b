//! `verdict score` on OpenAI Batch output of every endpoint, read as OpenAI documents it: the
//! Responses API (`output_text` parts, `reasoning` items, `incomplete`, `refusal`,
//! `function_call`), Chat Completions (`tool_calls`, the legacy `function_call`, `<think>`
//! blocks, `reasoning_content`) and Completions; and function-calling fine-tuning lines whose
//! expected answer is tool calls. Fixtures and their sources: tests/fixtures/providers/openai/.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::{score_ok, tempdir, verdict};

const DIR: &str = "tests/fixtures/providers/openai";

fn examples(out: &std::path::Path) -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(out.join("examples.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|l| (l["id"].as_str().unwrap().to_owned(), l))
        .collect()
}

#[test]
fn every_openai_batch_endpoint_is_read_as_openai_documents_it() {
    let out = tempdir();
    let file = |name: &str| format!("{DIR}/{name}");
    let (_, report) = score_ok(
        &[
            "--spec",
            &file("eval.toml"),
            "--expected",
            &file("expected.jsonl"),
            "--predictions",
            &file("responses.jsonl"),
            &file("responses-errors.jsonl"),
            &file("chat.jsonl"),
            &file("completions.jsonl"),
        ],
        out.path(),
    );
    assert_eq!(report["run"]["joined_by"], "explicit_key");
    assert_eq!(
        report["validity"],
        json!({"strict": 7, "extracted": 0, "repaired": 2, "invalid": 0, "missing": 1, "failed": 3})
    );
    assert_eq!(report["summary"]["missing_predictions"], 0);
    assert_eq!(report["summary"]["failed_requests"], 3);
    assert_eq!(
        report["finish_reasons"],
        json!({"completed": 3, "function_call": 1, "length": 2, "max_output_tokens": 1,
               "stop": 3, "tool_calls": 1, "unspecified": 2})
    );
    // resp-1 (a reasoning item), chat-3 and chat-4 (<think>), chat-5 (reasoning_content).
    assert_eq!(report["reasoning"], json!({"outputs": 4}));
    let markdown = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        markdown.contains("4 of 13 answers came with reasoning"),
        "{markdown}"
    );
    // 7 of 13: every strict output is right, the reasoning in them never taken for it.
    assert_eq!(report["summary"]["exact_match"].as_f64(), Some(7.0 / 13.0));

    let by_id = examples(out.path());
    let row = |id: &str| {
        let l = &by_id[id];
        (
            l["tier"].as_str().unwrap().to_owned(),
            l["finish_reason"].clone(),
            l["failure"].clone(),
            l["exact"].as_bool().unwrap(),
        )
    };
    let expect = |tier: &str, finish: Value, failure: Value, exact: bool| {
        (tier.to_owned(), finish, failure, exact)
    };
    let none = Value::Null;
    // Responses: the output_text of the message, not the JSON inside the reasoning summary.
    assert_eq!(
        row("resp-1"),
        expect("strict", json!("completed"), none.clone(), true)
    );
    // Cut off at max_output_tokens: scored as it is, the truncation repair keeps the intent.
    assert_eq!(
        row("resp-2"),
        expect("repaired", json!("max_output_tokens"), none.clone(), false)
    );
    assert_eq!(
        row("resp-3"),
        expect(
            "failed",
            json!("completed"),
            json!("refusal: I'm sorry, I cannot assist with that request."),
            false
        )
    );
    assert_eq!(
        row("resp-4"),
        expect("strict", json!("completed"), none.clone(), true)
    );
    assert_eq!(
        row("resp-5"),
        expect(
            "failed",
            none.clone(),
            json!("HTTP 400: Invalid value for 'max_output_tokens': integer below minimum value."),
            false
        )
    );
    assert_eq!(
        row("resp-6"),
        expect(
            "failed",
            none.clone(),
            json!("This request could not be executed before the completion window expired."),
            false
        )
    );
    // Chat Completions: calls win over the preamble beside them; the legacy function_call.
    assert_eq!(
        row("chat-1"),
        expect("strict", json!("tool_calls"), none.clone(), true)
    );
    assert_eq!(
        row("chat-2"),
        expect("strict", json!("function_call"), none.clone(), true)
    );
    // A <think> block holding a wrong `{"intent": "billing"}` before the right answer.
    assert_eq!(
        row("chat-3"),
        expect("strict", json!("stop"), none.clone(), true)
    );
    // Cut off inside the reasoning: no answer at all, not the JSON in the reasoning.
    assert_eq!(
        row("chat-4"),
        expect("missing", json!("length"), none.clone(), false)
    );
    assert_eq!(
        row("chat-5"),
        expect("strict", json!("stop"), none.clone(), true)
    );
    // Completions: the choice's text.
    assert_eq!(
        row("cmpl-1"),
        expect("strict", json!("stop"), none.clone(), true)
    );
    assert_eq!(
        row("cmpl-2"),
        expect("repaired", json!("length"), none, false)
    );
    let with_reasoning: Vec<&str> = by_id
        .iter()
        .filter(|(_, l)| l.get("reasoning").is_some())
        .map(|(id, l)| {
            assert_eq!(l["reasoning"], true);
            id.as_str()
        })
        .collect();
    assert_eq!(with_reasoning, ["chat-3", "chat-4", "chat-5", "resp-1"]);
    assert_eq!(
        by_id["chat-1"]["prediction_line"],
        format!("{DIR}/chat.jsonl:1")
    );
}

fn score_tools(spec: &str, out: &std::path::Path) -> Value {
    let (_, report) = score_ok(
        &[
            "--spec",
            spec,
            "--expected",
            &format!("{DIR}/expected-tools.jsonl"),
            "--predictions",
            &format!("{DIR}/tools.jsonl"),
        ],
        out,
    );
    report
}

#[test]
fn expected_tool_calls_are_compared_in_the_spec_s_form() {
    // tool_calls = "calls": w-3 calls get_current_weather where get_forecast was expected.
    let out = tempdir();
    let report = score_tools(&format!("{DIR}/tools.toml"), out.path());
    assert_eq!(report["validity"]["strict"], 4);
    assert_eq!(report["summary"]["exact_match"], 0.75);
    let by_id = examples(out.path());
    let inexact: Vec<&str> = by_id
        .iter()
        .filter(|(_, l)| l["exact"] == false)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(inexact, ["w-3"]);
    // The default form, arguments only: the same arguments are right whatever the name.
    let out = tempdir();
    let spec = out.path().join("arguments.toml");
    std::fs::write(&spec, "name = \"openai-tools\"\n").unwrap();
    let report = score_tools(spec.to_str().unwrap(), out.path());
    assert_eq!(report["summary"]["exact_match"], 1.0);
}

#[test]
fn expected_arguments_that_are_not_strict_json_are_refused() {
    let dir = tempdir();
    let expected = dir.path().join("expected.jsonl");
    let line = json!({"id": "w-1", "messages": [
        {"role": "user", "content": "What is the weather in San Francisco?"},
        {"role": "assistant", "tool_calls": [{"id": "call_id", "type": "function", "function":
            {"name": "get_current_weather", "arguments": "{'location': 'San Francisco, USA'}"}}]}
    ]});
    std::fs::write(&expected, format!("{line}\n")).unwrap();
    let run = verdict(&[
        "score",
        "--spec",
        &format!("{DIR}/tools.toml"),
        "--expected",
        expected.to_str().unwrap(),
        "--predictions",
        &format!("{DIR}/tools.jsonl"),
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&format!(
            "{}:1: the text of the arguments of tool call 1 in the last assistant message of an OpenAI chat line is not valid JSON",
            expected.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the expected output must be strict JSON"),
        "{}",
        run.stderr
    );
}

#[test]
fn validate_counts_the_answers_that_came_with_reasoning() {
    let out = tempdir();
    verdict(&[
        "validate",
        &format!("{DIR}/chat.jsonl"),
        "--out",
        out.path().to_str().unwrap(),
    ])
    .assert_code(0);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("validation.json")).unwrap())
            .unwrap();
    // chat-3 and chat-4 (<think>) and chat-5 (reasoning_content); chat-4 was cut inside it.
    assert_eq!(report["reasoning"], json!({"outputs": 3}));
    assert_eq!(
        report["validity"],
        json!({"strict": 4, "extracted": 0, "repaired": 0, "invalid": 0, "missing": 1, "failed": 0})
    );
}
