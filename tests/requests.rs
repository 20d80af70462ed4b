//! `verdict requests`: the batch input file of a test set, and the round trip of each provider —
//! test set (no ids) → `verdict requests` → a provider-shaped output built from those requests
//! (the provider's documented output line, carrying the request's key and a known answer, in
//! reverse order as batch outputs come back in any order) → `verdict score` → known numbers.
//!
//! The output line shapes follow the providers' documentation (tests/fixtures/requests/README.md).

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{score_ok, tempdir, verdict, write};

const TEST_SET: &str = "tests/fixtures/requests/expected.jsonl";
const SPEC: &str = "tests/fixtures/requests/eval.toml";

/// The model's answer to each user turn of the test set: all right but the kettle, whose
/// intent is wrong (refund expected).
fn answer(user: &str) -> &'static str {
    match user {
        "My card was charged twice for order 17." => r#"{"intent": "billing", "priority": "high"}"#,
        "Where is my parcel? It is order 18." => r#"{"intent": "shipping", "priority": "low"}"#,
        "I want my money back for the broken kettle." => {
            r#"{"intent": "shipping", "priority": "medium"}"#
        }
        "How do I change my password?" => r#"{"intent": "account", "priority": "low"}"#,
        other => panic!("no answer for {other:?}"),
    }
}

/// Runs `verdict requests TEST_SET ARGS --out DIR/requests.jsonl` and returns its lines.
#[track_caller]
fn requests(dir: &Path, args: &[&str]) -> Vec<Value> {
    let out = dir.join("requests.jsonl");
    let mut full = vec!["requests", TEST_SET];
    full.extend(args);
    let out_arg = out.display().to_string();
    full.extend(["--out", &out_arg]);
    let run = verdict(&full);
    run.assert_code(0);
    assert!(
        run.stdout.starts_with("verdict: wrote 4 "),
        "{}",
        run.stdout
    );
    std::fs::read_to_string(&out)
        .expect("requests written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a request line is JSON"))
        .collect()
}

/// Writes the provider's output lines, last request first, and scores them against the test
/// set; checks the known numbers and the pairing, and returns the report.
#[track_caller]
fn score_round_trip(dir: &Path, outputs: Vec<Value>, joined_by: &str) -> Value {
    let text: String = outputs.iter().rev().map(|l| format!("{l}\n")).collect();
    let predictions = write(dir, "predictions.jsonl", text);
    let out = dir.join("report");
    let (_, report) = score_ok(
        &[
            "--spec",
            SPEC,
            "--expected",
            TEST_SET,
            "--predictions",
            &predictions.display().to_string(),
        ],
        &out,
    );
    let summary = &report["summary"];
    // Worked by hand: 4 examples, all answered; 3 right, the kettle's intent wrong.
    assert_eq!(summary["examples"], 4);
    assert_eq!(summary["missing_predictions"], 0);
    assert_eq!(summary["orphan_predictions"], 0);
    assert_eq!(summary["failed_requests"], 0);
    assert_eq!(summary["label_accuracy"], 0.75);
    assert_eq!(summary["exact_match"], 0.75);
    assert_eq!(report["run"]["joined_by"], joined_by);
    // Reversed output: expected line k is answered by prediction line 5 − k.
    let examples = std::fs::read_to_string(out.join("examples.jsonl")).expect("examples.jsonl");
    let kettle = examples
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| {
            l["expected_line"]
                .as_str()
                .unwrap()
                .ends_with("expected.jsonl:3")
        })
        .expect("the kettle's line");
    assert_eq!(kettle["predicted_label"], "shipping");
    assert_eq!(kettle["expected_label"], "refund");
    assert!(
        kettle["prediction_line"]
            .as_str()
            .unwrap()
            .ends_with("predictions.jsonl:2"),
        "{kettle}"
    );
    report
}

/// The user turn's text of a request's messages (OpenAI chat, Anthropic, Bedrock Claude).
fn user_text(messages: &Value) -> &str {
    let last = messages.as_array().unwrap().last().unwrap();
    assert_eq!(last["role"], "user");
    last["content"].as_str().unwrap()
}

#[test]
fn openai_chat_round_trip_joins_by_custom_id_without_ids_in_the_test_set() {
    let dir = tempdir();
    let lines = requests(
        dir.path(),
        &[
            "--provider",
            "openai-chat",
            "--model",
            "gpt-4o-mini",
            "--max-tokens",
            "200",
            "--temperature",
            "0",
        ],
    );
    assert_eq!(lines.len(), 4);
    let first = &lines[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["url"], "/v1/chat/completions");
    assert_eq!(first["body"]["model"], "gpt-4o-mini");
    assert_eq!(first["body"]["max_completion_tokens"], 200);
    assert_eq!(first["body"]["temperature"], 0.0);
    assert_eq!(
        first["body"]["messages"],
        json!([
            {"role": "system", "content": "Classify the support ticket as JSON: intent, priority."},
            {"role": "user", "content": "My card was charged twice for order 17."}
        ])
    );
    // Never the expected answer.
    assert!(!first.to_string().contains("billing"), "{first}");
    let id = first["custom_id"].as_str().unwrap();
    assert!(id.starts_with("verdict") && id.len() == 23, "{id}");
    // Stable: the same test set gives the same keys.
    let again = requests(
        dir.path(),
        &[
            "--provider",
            "openai-chat",
            "--model",
            "gpt-4o-mini",
            "--max-tokens",
            "200",
            "--temperature",
            "0",
        ],
    );
    assert_eq!(again, lines);
    let outputs: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, request)| {
            json!({
                "id": format!("batch_req_{i}"),
                "custom_id": request["custom_id"],
                "response": {"status_code": 200, "request_id": format!("req_{i}"), "body": {
                    "id": format!("chatcmpl-{i}"), "object": "chat.completion", "created": 1_711_652_795,
                    "model": "gpt-4o-mini-2024-07-18",
                    "choices": [{"index": 0, "message": {"role": "assistant",
                        "content": answer(user_text(&request["body"]["messages"])), "refusal": null},
                        "logprobs": null, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 22, "completion_tokens": 12, "total_tokens": 34}}},
                "error": null
            })
        })
        .collect();
    score_round_trip(dir.path(), outputs.clone(), "request_hash");
    // The output came back in another order: pairing it by line is refused, loudly.
    let reversed: String = outputs.iter().rev().map(|l| format!("{l}\n")).collect();
    let predictions = write(dir.path(), "reversed.jsonl", reversed);
    let run = verdict(&[
        "score",
        "--spec",
        SPEC,
        "--expected",
        TEST_SET,
        "--predictions",
        &predictions.display().to_string(),
        "--join",
        "line",
        "--quiet",
        "--out",
        &dir.path().join("by-line").display().to_string(),
    ]);
    run.assert_code(2);
    let hash = &lines[0]["custom_id"].as_str().unwrap()["verdict".len()..];
    assert!(
        run.stderr.contains(&format!(
            "verdict: error: --join line pairs {TEST_SET}:1 with {}:1, but {}:4 carries the same request (request hash {hash}): the predictions carry their own keys in another order than the test set",
            predictions.display(),
            predictions.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn vertex_round_trip_joins_by_the_echoed_request() {
    let dir = tempdir();
    let lines = requests(dir.path(), &["--provider", "vertex", "--max-tokens", "256"]);
    let first = &lines[0];
    assert_eq!(
        first,
        &json!({"request": {
            "contents": [{"role": "user", "parts": [{"text": "My card was charged twice for order 17."}]}],
            "systemInstruction": {"parts": [{"text": "Classify the support ticket as JSON: intent, priority."}]},
            "generationConfig": {"maxOutputTokens": 256}
        }})
    );
    let outputs = lines
        .iter()
        .map(|line| {
            let user = line["request"]["contents"][0]["parts"][0]["text"].as_str().unwrap();
            json!({
                "status": "",
                "processed_time": "2024-11-01T18:13:16.826+00:00",
                "request": line["request"],
                "response": {
                    "candidates": [{"avgLogprobs": -0.02, "content": {"parts": [{"text": answer(user)}], "role": "model"},
                                    "finishReason": "STOP"}],
                    "modelVersion": "gemini-2.0-flash-001@default",
                    "usageMetadata": {"candidatesTokenCount": 12, "promptTokenCount": 20, "totalTokenCount": 32}
                }
            })
        })
        .collect();
    score_round_trip(dir.path(), outputs, "request_hash");
}

#[test]
fn gemini_api_round_trip_joins_by_key() {
    let dir = tempdir();
    let lines = requests(
        dir.path(),
        &["--provider", "gemini", "--temperature", "0.2"],
    );
    assert_eq!(
        lines[0]["request"]["generationConfig"],
        json!({"temperature": 0.2})
    );
    let outputs = lines
        .iter()
        .map(|line| {
            let user = line["request"]["contents"][0]["parts"][0]["text"].as_str().unwrap();
            json!({
                "key": line["key"],
                "response": {
                    "candidates": [{"content": {"parts": [{"text": answer(user)}], "role": "model"},
                                    "finishReason": "STOP", "index": 0}],
                    "modelVersion": "gemini-2.5-flash",
                    "usageMetadata": {"candidatesTokenCount": 12, "promptTokenCount": 20, "totalTokenCount": 32}
                }
            })
        })
        .collect();
    score_round_trip(dir.path(), outputs, "request_hash");
}

#[test]
fn test_set_ids_become_the_request_keys() {
    let dir = tempdir();
    let with_ids: String = std::fs::read_to_string(TEST_SET)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{{\"id\": \"t-{i}\", {}\n", &l[1..]))
        .collect();
    let expected = write(dir.path(), "expected.jsonl", with_ids);
    let out = dir.path().join("r.jsonl");
    let run = verdict(&[
        "requests",
        &expected.display().to_string(),
        "--provider",
        "anthropic",
        "--model",
        "claude-sonnet-4-5",
        "--max-tokens",
        "100",
        "--out",
        &out.display().to_string(),
    ]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("keyed by the examples' ids"),
        "{}",
        run.stdout
    );
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["custom_id"], "t-0");
    assert_eq!(
        first["params"]["system"],
        "Classify the support ticket as JSON: intent, priority."
    );
}

#[test]
fn video_clips_go_to_vertex_verbatim_and_the_sample_scores_as_before() {
    // The bundled basketball sample: Gemini tuning lines with a video fileData part each.
    let dir = tempdir();
    let out = dir.path().join("requests.jsonl");
    let expected = "datasets/basketball/expected.jsonl";
    let run = verdict(&[
        "requests",
        expected,
        "--provider",
        "openai-chat",
        "--model",
        "gpt-4o",
        "--out",
        &out.display().to_string(),
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("basketball/expected.jsonl:1: a user turn has a Gemini part ({\"fileData\":{\"fileUri\":\"gs://hoops-eval/clips/game-0001/clip-0001.mp4\""),
        "{}",
        run.stderr
    );
    let run = verdict(&[
        "requests",
        expected,
        "--provider",
        "vertex",
        "--out",
        &out.display().to_string(),
    ]);
    run.assert_code(0);
    let requests: std::collections::HashMap<String, Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            let line: Value = serde_json::from_str(l).unwrap();
            let uri = line["request"]["contents"][0]["parts"][0]["fileData"]["fileUri"]
                .as_str()
                .unwrap()
                .to_owned();
            (uri, line["request"].clone())
        })
        .collect();
    assert_eq!(requests.len(), 320);
    // The sample's batch output, each echoed request replaced by the one verdict wrote for the
    // same clip (the request without the generation settings the sample's echo carries): it joins as before, so the report's numbers are the sample's.
    let sample = std::fs::read_to_string("datasets/basketball/predictions.jsonl").unwrap();
    let rewritten: String = sample
        .lines()
        .map(|l| {
            let mut line: Value = serde_json::from_str(l).unwrap();
            let uri = line["request"]["contents"][0]["parts"][0]["fileData"]["fileUri"]
                .as_str()
                .unwrap()
                .to_owned();
            // The sample's orphan predictions answer clips the test set does not have.
            if let Some(request) = requests.get(&uri) {
                line["request"] = request.clone();
            }
            format!("{line}\n")
        })
        .collect();
    let predictions = write(dir.path(), "predictions.jsonl", rewritten);
    let spec = "datasets/basketball/eval.toml";
    let (_, ours) = score_ok(
        &[
            "--spec",
            spec,
            "--expected",
            expected,
            "--predictions",
            &predictions.display().to_string(),
        ],
        &dir.path().join("ours"),
    );
    let (_, theirs) = score_ok(&["datasets/basketball"], &dir.path().join("theirs"));
    assert_eq!(ours["run"]["joined_by"], "request_hash");
    assert_eq!(ours["summary"], theirs["summary"]);
    assert_eq!(ours["validity"], theirs["validity"]);
}

#[test]
fn requests_refuses_what_it_cannot_write() {
    let dir = tempdir();
    let out = dir.path().join("r.jsonl");
    let out = out.display().to_string();
    let run = verdict(&[
        "requests",
        TEST_SET,
        "--provider",
        "openai-chat",
        "--out",
        &out,
    ]);
    run.assert_code(2);
    assert_eq!(
        run.stderr.trim(),
        "verdict: error: --provider openai-chat needs --model: each request names its model"
    );
    // Identical requests cannot be told apart by their answers.
    let line = std::fs::read_to_string(TEST_SET).unwrap();
    let line = line.lines().next().unwrap();
    let twice = write(dir.path(), "twice.jsonl", format!("{line}\n{line}\n"));
    let twice = twice.display().to_string();
    let run = verdict(&["requests", &twice, "--provider", "vertex", "--out", &out]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("twice.jsonl:2: duplicate key (request hash "),
        "{}",
        run.stderr
    );
    // The plain form gives only the expected output: no request to write.
    let plain = write(dir.path(), "plain.jsonl", "{\"id\": 1, \"expected\": {}}\n");
    let run = verdict(&[
        "requests",
        &plain.display().to_string(),
        "--provider",
        "vertex",
        "--out",
        &out,
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "plain.jsonl:1: this line is {\"id\": ..., \"expected\": ...}, which gives only the expected output: verdict requests needs the system and user turns of each example, which every other test-set shape carries (a Gemini tuning line {\"contents\": [...]}, "
        ),
        "{}",
        run.stderr
    );
    // A Bedrock Nova image in S3 is no part of any request shape verdict writes.
    let nova = write(
        dir.path(),
        "nova.jsonl",
        concat!(
            r#"{"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": [{"text": "Classify this photo of a ticket."}, {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://tickets/1.png", "bucketOwner": "123456789012"}}}}]}, {"role": "assistant", "content": [{"text": "{\"intent\": \"refund\"}"}]}]}"#,
            "\n"
        ),
    );
    let run = verdict(&[
        "requests",
        &nova.display().to_string(),
        "--provider",
        "vertex",
        "--out",
        &out,
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "nova.jsonl:1: Bedrock Nova line: a message with role \"user\" has a block other than text ({\"image\":"
        ) && run
            .stderr
            .contains("verdict requests carries only text from this shape"),
        "{}",
        run.stderr
    );
    assert!(!Path::new(&out).exists(), "nothing written on an error");
}

// The round trips below need the readers of OpenAI Responses, Anthropic Message Batches and
// Bedrock batch outputs, written in parallel with `verdict requests` (issue 19): each output
// line is the provider's documented shape, built from the request `verdict requests` wrote.

#[test]
fn openai_responses_round_trip_joins_by_custom_id() {
    let dir = tempdir();
    let lines = requests(
        dir.path(),
        &[
            "--provider",
            "openai-responses",
            "--model",
            "gpt-4.1-mini",
            "--max-tokens",
            "200",
        ],
    );
    assert_eq!(lines[0]["url"], "/v1/responses");
    assert_eq!(lines[0]["body"]["max_output_tokens"], 200);
    let outputs = lines
        .iter()
        .enumerate()
        .map(|(i, request)| {
            let user = request["body"]["input"][0]["content"].as_str().unwrap();
            json!({
                "id": format!("batch_req_{i}"),
                "custom_id": request["custom_id"],
                "response": {"status_code": 200, "request_id": format!("req_{i}"), "body": {
                    "id": format!("resp_{i}"), "object": "response", "created_at": 1_741_476_542,
                    "status": "completed", "error": null, "incomplete_details": null,
                    "model": "gpt-4.1-mini-2025-04-14",
                    "output": [{"type": "message", "id": format!("msg_{i}"), "status": "completed",
                                "role": "assistant",
                                "content": [{"type": "output_text", "text": answer(user), "annotations": []}]}],
                    "usage": {"input_tokens": 22, "output_tokens": 12, "total_tokens": 34}}},
                "error": null
            })
        })
        .collect();
    score_round_trip(dir.path(), outputs, "request_hash");
}

#[test]
fn anthropic_round_trip_joins_by_custom_id() {
    let dir = tempdir();
    let lines = requests(
        dir.path(),
        &[
            "--provider",
            "anthropic",
            "--model",
            "claude-sonnet-4-5",
            "--max-tokens",
            "200",
        ],
    );
    assert_eq!(lines[0]["params"]["max_tokens"], 200);
    let outputs = lines
        .iter()
        .enumerate()
        .map(|(i, request)| {
            json!({
                "custom_id": request["custom_id"],
                "result": {"type": "succeeded", "message": {
                    "id": format!("msg_01{i}"), "type": "message", "role": "assistant",
                    "model": "claude-sonnet-4-5-20250929",
                    "content": [{"type": "text", "text": answer(user_text(&request["params"]["messages"]))}],
                    "stop_reason": "end_turn", "stop_sequence": null,
                    "usage": {"input_tokens": 30, "output_tokens": 12}}}
            })
        })
        .collect();
    score_round_trip(dir.path(), outputs, "request_hash");
}

#[test]
fn bedrock_claude_round_trip_joins_by_record_id() {
    let dir = tempdir();
    let lines = requests(
        dir.path(),
        &["--provider", "bedrock-claude", "--max-tokens", "200"],
    );
    assert_eq!(
        lines[0]["modelInput"]["anthropic_version"],
        "bedrock-2023-05-31"
    );
    let outputs = lines
        .iter()
        .enumerate()
        .map(|(i, request)| {
            json!({
                "recordId": request["recordId"],
                "modelInput": request["modelInput"],
                "modelOutput": {
                    "id": format!("msg_bdrk_01{i}"), "type": "message", "role": "assistant",
                    "model": "claude-3-5-haiku-20241022",
                    "content": [{"type": "text", "text": answer(user_text(&request["modelInput"]["messages"]))}],
                    "stop_reason": "end_turn", "stop_sequence": null,
                    "usage": {"input_tokens": 30, "output_tokens": 12}}
            })
        })
        .collect();
    score_round_trip(dir.path(), outputs, "request_hash");
}

/// The test sets of tests/fixtures/test-sets, one a shape, each holding the same three tickets
/// with no ids; all but prompt/completion carry a system instruction.
const SHAPE_SETS: [&str; 6] = [
    "sharegpt.jsonl",
    "alpaca.jsonl",
    "prompt-completion.jsonl",
    "gemini-1.0.jsonl",
    "bedrock-claude.jsonl",
    "bedrock-nova.jsonl",
];
const SHAPE_SPEC: &str = "tests/fixtures/test-sets/eval.toml";
const SHAPE_SYSTEM: &str = "Classify the support ticket as JSON with intent and priority.";

/// The answer to a ticket, found by its number in the user turn (the answers of
/// tests/fixtures/test-sets/predictions-plain.jsonl): ticket 1 right, ticket 2 with the wrong
/// priority, ticket 3 in prose.
fn ticket_answer(user: &str) -> &'static str {
    if user.contains("Ticket 1:") {
        r#"{"intent": "shipping", "priority": "high"}"#
    } else if user.contains("Ticket 2:") {
        r#"{"intent": "billing", "priority": "high"}"#
    } else if user.contains("Ticket 3:") {
        "Sure, this one is a refund."
    } else {
        panic!("no ticket in {user:?}")
    }
}

/// Runs `verdict requests` on one of [`SHAPE_SETS`] and returns its request lines.
#[track_caller]
fn shape_requests(dir: &Path, shape: &str, args: &[&str]) -> Vec<Value> {
    let test_set = format!("tests/fixtures/test-sets/{shape}");
    let out = dir.join(format!("{shape}.requests.jsonl"));
    let out_arg = out.display().to_string();
    let mut full = vec!["requests", &test_set];
    full.extend(args);
    full.extend(["--out", &out_arg]);
    let run = verdict(&full);
    run.assert_code(0);
    std::fs::read_to_string(&out)
        .expect("requests written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a request line is JSON"))
        .collect()
}

/// Scores the outputs (written last first) against the shape's test set: the known numbers,
/// each answer joined to its own ticket, and how the join went.
#[track_caller]
fn score_shape(dir: &Path, shape: &str, outputs: &[Value]) -> Value {
    let text: String = outputs.iter().rev().map(|l| format!("{l}\n")).collect();
    let predictions = write(dir, &format!("{shape}.predictions.jsonl"), text);
    let out = dir.join(format!("{shape}.report"));
    let (_, report) = score_ok(
        &[
            "--spec",
            SHAPE_SPEC,
            "--expected",
            &format!("tests/fixtures/test-sets/{shape}"),
            "--predictions",
            &predictions.display().to_string(),
        ],
        &out,
    );
    let summary = &report["summary"];
    // Worked by hand (as in tests/test_sets.rs): ticket 1 exact; ticket 2 one field of two
    // (ANLS* 1/2); ticket 3 prose, nothing. Exact 1/3, ANLS* (1 + 1/2 + 0) / 3 = 0.5.
    assert_eq!(summary["examples"], 3, "{shape}");
    assert_eq!(summary["missing_predictions"], 0, "{shape}");
    assert_eq!(summary["orphan_predictions"], 0, "{shape}");
    assert_eq!(summary["exact_match"], json!(1.0 / 3.0), "{shape}");
    assert_eq!(summary["anls_star"], 0.5, "{shape}");
    assert_eq!(report["run"]["joined_by"], "request_hash", "{shape}");
    // The output came back reversed: expected line k is answered by prediction line 4 − k.
    let examples = std::fs::read_to_string(out.join("examples.jsonl")).expect("examples.jsonl");
    let line = |e: &Value, key: &str| -> u64 {
        let at = e[key].as_str().unwrap();
        at.rsplit(':').next().unwrap().parse().unwrap()
    };
    let mut pairs: Vec<(u64, u64)> = examples
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|e| (line(&e, "expected_line"), line(&e, "prediction_line")))
        .collect();
    pairs.sort();
    assert_eq!(pairs, [(1, 3), (2, 2), (3, 1)], "{shape}");
    report
}

#[test]
fn every_test_set_shape_round_trips_through_vertex_by_the_echoed_request_and_its_system() {
    let dir = tempdir();
    for shape in SHAPE_SETS {
        let lines = shape_requests(dir.path(), shape, &["--provider", "vertex"]);
        assert_eq!(lines.len(), 3, "{shape}");
        let request = &lines[1]["request"];
        // Alpaca's user turn is its instruction and input joined by a line break, as the
        // trainers join them; the other shapes hold that text as one user turn.
        assert_eq!(
            request["contents"],
            json!([{"role": "user", "parts": [{"text": "Classify this ticket.\nTicket 2: I was charged twice for one order"}]}]),
            "{shape}"
        );
        let system = match shape {
            "prompt-completion.jsonl" => Value::Null,
            _ => json!({"parts": [{"text": SHAPE_SYSTEM}]}),
        };
        assert_eq!(request["systemInstruction"], system, "{shape}");
        let outputs: Vec<Value> = lines
            .iter()
            .map(|line| {
                let user = line["request"]["contents"][0]["parts"][0]["text"].as_str().unwrap();
                json!({
                    "status": "",
                    "processed_time": "2026-11-20T09:12:44.031+00:00",
                    "request": line["request"],
                    "response": {
                        "candidates": [{"content": {"role": "model", "parts": [{"text": ticket_answer(user)}]},
                                        "finishReason": "STOP", "avgLogprobs": -0.04}],
                        "usageMetadata": {"promptTokenCount": 31, "candidatesTokenCount": 12, "totalTokenCount": 43},
                        "modelVersion": "gemini-2.0-flash-001@default"
                    }
                })
            })
            .collect();
        score_shape(dir.path(), shape, &outputs);
        if shape == "sharegpt.jsonl" {
            // The echoed system instruction is part of the join: another one joins nothing.
            let other: Vec<Value> = outputs
                .iter()
                .map(|o| {
                    let mut o = o.clone();
                    o["request"]["systemInstruction"]["parts"][0]["text"] = json!("Be brief.");
                    o
                })
                .collect();
            let text: String = other.iter().map(|l| format!("{l}\n")).collect();
            let predictions = write(dir.path(), "other-system.jsonl", text);
            let run = verdict(&[
                "score",
                "--spec",
                SHAPE_SPEC,
                "--expected",
                "tests/fixtures/test-sets/sharegpt.jsonl",
                "--predictions",
                &predictions.display().to_string(),
                "--out",
                &dir.path().join("other-system").display().to_string(),
            ]);
            run.assert_code(2);
            assert!(
                run.stderr.contains("no prediction matches any expected example by request hash (user turns and system instruction"),
                "{}",
                run.stderr
            );
        }
    }
}

#[test]
fn every_test_set_shape_round_trips_through_openai_chat_by_its_derived_key() {
    let dir = tempdir();
    for shape in SHAPE_SETS {
        let lines = shape_requests(
            dir.path(),
            shape,
            &["--provider", "openai-chat", "--model", "gpt-4o-mini"],
        );
        let mut expected_messages = Vec::new();
        if shape != "prompt-completion.jsonl" {
            expected_messages.push(json!({"role": "system", "content": SHAPE_SYSTEM}));
        }
        expected_messages.push(json!({"role": "user", "content": "Classify this ticket.\nTicket 1: my parcel has not arrived"}));
        assert_eq!(
            lines[0]["body"]["messages"],
            json!(expected_messages),
            "{shape}"
        );
        let outputs: Vec<Value> = lines
            .iter()
            .enumerate()
            .map(|(i, request)| {
                let key = request["custom_id"].as_str().unwrap();
                assert!(key.starts_with("verdict") && key.len() == 23, "{key}");
                json!({
                    "id": format!("batch_req_{i}"),
                    "custom_id": key,
                    "response": {"status_code": 200, "request_id": format!("req_{i}"), "body": {
                        "id": format!("chatcmpl-{i}"), "object": "chat.completion", "created": 1_711_652_795,
                        "model": "gpt-4o-mini-2024-07-18",
                        "choices": [{"index": 0, "message": {"role": "assistant",
                            "content": ticket_answer(user_text(&request["body"]["messages"])), "refusal": null},
                            "logprobs": null, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 22, "completion_tokens": 12, "total_tokens": 34}}},
                    "error": null
                })
            })
            .collect();
        score_shape(dir.path(), shape, &outputs);
    }
}

#[test]
fn a_system_instruction_in_pieces_is_written_as_parts_and_joins_vertex_by_it() {
    // A ShareGPT line with a top-level `system` and a `system` turn (LLaMA-Factory's
    // `system` column; axolotl's optional first `system` turn): the test line hashes the
    // two pieces one after the other, so the request gives them as two parts.
    let dir = tempdir();
    let test_set = write(
        dir.path(),
        "pieces.jsonl",
        concat!(
            r#"{"system": "Classify the support ticket.", "conversations": [{"from": "system", "value": "Answer as JSON with intent and priority."}, {"from": "human", "value": "Ticket 1: my parcel has not arrived"}, {"from": "gpt", "value": "{\"intent\": \"shipping\", \"priority\": \"high\"}"}]}"#,
            "\n",
            r#"{"system": "Classify the support ticket.", "conversations": [{"from": "system", "value": "Answer as JSON with intent and priority."}, {"from": "human", "value": "Ticket 2: I was charged twice for one order"}, {"from": "gpt", "value": "{\"intent\": \"billing\", \"priority\": \"medium\"}"}]}"#,
            "\n",
        ),
    );
    let test_set = test_set.display().to_string();
    let out = dir.path().join("requests.jsonl");
    let run = verdict(&[
        "requests",
        &test_set,
        "--provider",
        "vertex",
        "--out",
        &out.display().to_string(),
    ]);
    run.assert_code(0);
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0]["request"]["systemInstruction"],
        json!({"parts": [{"text": "Classify the support ticket."}, {"text": "Answer as JSON with intent and priority."}]})
    );
    let outputs: String = lines
        .iter()
        .rev()
        .map(|line| {
            let user = line["request"]["contents"][0]["parts"][0]["text"].as_str().unwrap();
            let output = json!({"status": "", "request": line["request"], "response": {
                "candidates": [{"content": {"role": "model", "parts": [{"text": ticket_answer(user)}]}, "finishReason": "STOP"}]}});
            format!("{output}\n")
        })
        .collect();
    let predictions = write(dir.path(), "predictions.jsonl", outputs);
    let (_, report) = score_ok(
        &[
            "--spec",
            SHAPE_SPEC,
            "--expected",
            &test_set,
            "--predictions",
            &predictions.display().to_string(),
        ],
        &dir.path().join("report"),
    );
    // Ticket 1 right, ticket 2 with the wrong priority: exact 1/2, ANLS* (1 + 1/2) / 2.
    assert_eq!(report["run"]["joined_by"], "request_hash");
    assert_eq!(report["summary"]["missing_predictions"], 0);
    assert_eq!(report["summary"]["exact_match"], 0.5);
    assert_eq!(report["summary"]["anls_star"], 0.75);
    // Bedrock Claude takes the pieces as text blocks, as Anthropic does.
    let run = verdict(&[
        "requests",
        &test_set,
        "--provider",
        "bedrock-claude",
        "--max-tokens",
        "100",
        "--out",
        &out.display().to_string(),
    ]);
    run.assert_code(0);
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        first["modelInput"]["system"],
        json!([{"type": "text", "text": "Classify the support ticket."}, {"type": "text", "text": "Answer as JSON with intent and priority."}])
    );
}

#[test]
fn equal_user_turns_under_two_system_instructions_are_two_vertex_requests_but_one_derived_key() {
    let dir = tempdir();
    let line = |system: &str, answer: &str| {
        json!({"messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": "Classify: hello"},
            {"role": "assistant", "content": answer}
        ]})
        .to_string()
    };
    let expected = dir.path().join("expected.jsonl");
    std::fs::write(
        &expected,
        format!(
            "{}\n{}\n",
            line("Answer in French.", "{\"label\": \"a\"}"),
            line("Answer in English.", "{\"label\": \"b\"}")
        ),
    )
    .unwrap();
    let out = dir.path().join("vertex.jsonl");
    let run = verdict(&[
        "requests",
        expected.to_str().unwrap(),
        "--provider",
        "vertex",
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_code(0);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
    // A derived key covers the user turns only: the two answers could not be told apart.
    let run = verdict(&[
        "requests",
        expected.to_str().unwrap(),
        "--provider",
        "openai-chat",
        "--model",
        "m",
        "--out",
        dir.path().join("chat.jsonl").to_str().unwrap(),
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("duplicate key (request hash")
            && run.stderr.contains("the same user turns)"),
        "{}",
        run.stderr
    );
}
