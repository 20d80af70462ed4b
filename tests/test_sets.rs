//! `verdict score` on every test-set shape of `tests/fixtures/test-sets/` (ShareGPT, Alpaca,
//! prompt/completion, Gemini 1.0, Bedrock Claude and Nova), joined by id to plain predictions
//! and by request hash to a Vertex AI batch output; and the system instruction in the join.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{score_ok, tempdir, verdict, write};

const FIXTURES: &str = "tests/fixtures/test-sets";

/// The shapes' files, each holding the same three examples.
const SHAPES: [&str; 6] = [
    "sharegpt.jsonl",
    "alpaca.jsonl",
    "prompt-completion.jsonl",
    "gemini-1.0.jsonl",
    "bedrock-claude.jsonl",
    "bedrock-nova.jsonl",
];

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()
}

/// A dataset directory with the fixtures' spec and schema, `expected` and `predictions`.
fn dataset(expected: &str, predictions: &str) -> tempfile::TempDir {
    let dir = tempdir();
    for name in ["eval.toml", "ticket.schema.json"] {
        write(dir.path(), name, fixture(name));
    }
    write(dir.path(), "expected.jsonl", expected);
    write(dir.path(), "predictions.jsonl", predictions);
    dir
}

/// The lines of `text`, each given the id `t1`, `t2`, ... as its first key.
fn with_ids(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, line)| format!("{{\"id\": \"t{}\", {}\n", i + 1, &line[1..]))
        .collect()
}

fn examples(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("examples.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The report's summary and validity, and each example's (key, tier, exact), by key.
fn outcome(out: &Path, report: &Value) -> (Value, Value, Vec<(String, String, bool)>) {
    let mut examples: Vec<_> = examples(out)
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["tier"].as_str().unwrap().to_owned(),
                e["exact"].as_bool().unwrap(),
            )
        })
        .collect();
    examples.sort();
    (
        report["summary"].clone(),
        report["validity"].clone(),
        examples,
    )
}

#[test]
fn every_test_set_shape_reads_the_same_three_answers_by_id() {
    let mut first: Option<(Value, Value)> = None;
    for shape in SHAPES {
        let data = dataset(
            &with_ids(&fixture(shape)),
            &fixture("predictions-plain.jsonl"),
        );
        let out = tempdir();
        let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
        assert_eq!(report["run"]["joined_by"], "explicit_key", "{shape}");
        let (summary, validity, examples) = outcome(out.path(), &report);
        // Ticket 1 answered right, ticket 2 with the wrong priority, ticket 3 in prose.
        assert_eq!(
            validity,
            json!({"strict": 2, "extracted": 0, "repaired": 0, "invalid": 1, "missing": 0, "failed": 0}),
            "{shape}"
        );
        assert_eq!(
            examples,
            [
                ("t1".to_owned(), "strict".to_owned(), true),
                ("t2".to_owned(), "strict".to_owned(), false),
                ("t3".to_owned(), "invalid".to_owned(), false),
            ],
            "{shape}"
        );
        assert_eq!(summary["examples"], 3, "{shape}");
        // Worked by hand: ticket 1 exact; ticket 2 one field of two (ANLS* 1/2); ticket 3
        // nothing. Mean ANLS* (1 + 1/2 + 0) / 3 = 0.5; schema-valid 2 of 3.
        assert_eq!(summary["exact_match"], json!(1.0 / 3.0), "{shape}");
        assert_eq!(summary["anls_star"], 0.5, "{shape}");
        assert_eq!(summary["schema_valid"], json!(2.0 / 3.0), "{shape}");
        // Every shape holds the same expected outputs: every summary is the first one's.
        match &first {
            None => first = Some((summary, validity)),
            Some(first) => assert_eq!((&summary, &validity), (&first.0, &first.1), "{shape}"),
        }
    }
}

#[test]
fn every_test_set_shape_joins_a_vertex_batch_output_by_request_hash() {
    for shape in SHAPES {
        let by_id = dataset(
            &with_ids(&fixture(shape)),
            &fixture("predictions-plain.jsonl"),
        );
        let out = tempdir();
        let (_, by_id) = score_ok(&[by_id.path().to_str().unwrap()], out.path());
        let by_hash = dataset(&fixture(shape), &fixture("vertex-output.jsonl"));
        let out = tempdir();
        let (_, report) = score_ok(&[by_hash.path().to_str().unwrap()], out.path());
        // The batch output lists the tickets as 3, 1, 2: the same outcomes mean each answer
        // joined its own example, by the hash of the user turn (and of the system instruction,
        // where the test set carries one: all but prompt/completion).
        assert_eq!(report["run"]["joined_by"], "request_hash", "{shape}");
        assert_eq!(report["summary"], by_id["summary"], "{shape}");
        assert_eq!(report["validity"], by_id["validity"], "{shape}");
        let line = |e: &Value, key: &str| -> u64 {
            let at = e[key].as_str().unwrap();
            at.rsplit(':').next().unwrap().parse().unwrap()
        };
        let mut pairs: Vec<(u64, u64)> = examples(out.path())
            .iter()
            .map(|e| (line(e, "expected_line"), line(e, "prediction_line")))
            .collect();
        pairs.sort();
        assert_eq!(pairs, [(1, 2), (2, 3), (3, 1)], "{shape}");
    }
}

/// A Gemini tuning line asking `question` under the system instruction `system`, answered
/// `answer`.
fn tuning_line(system: &str, question: &str, answer: &Value) -> String {
    json!({
        "systemInstruction": {"role": "system", "parts": [{"text": system}]},
        "contents": [
            {"role": "user", "parts": [{"text": question}]},
            {"role": "model", "parts": [{"text": answer.to_string()}]}
        ]
    })
    .to_string()
}

/// An OpenAI chat line of the same request.
fn chat_line(system: &str, question: &str, answer: &Value) -> String {
    json!({"messages": [
        {"role": "system", "content": system},
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer.to_string()}
    ]})
    .to_string()
}

/// A Vertex AI batch output line for the request, answering `answer`; without a system
/// instruction when `system` is `None`.
fn vertex_line(system: Option<&str>, question: &str, answer: &Value) -> String {
    let mut request = json!({"contents": [{"role": "user", "parts": [{"text": question}]}]});
    if let Some(system) = system {
        request["systemInstruction"] = json!({"parts": [{"text": system}]});
    }
    json!({"status": "", "request": request, "response": {"candidates": [
        {"content": {"role": "model", "parts": [{"text": answer.to_string()}]}, "finishReason": "STOP"}
    ]}})
    .to_string()
}

const STRICT: &str = "Classify the ticket; when unsure, the priority is high.";
const LENIENT: &str = "Classify the ticket; when unsure, the priority is low.";
const QUESTION: &str = "Ticket: the app is slow today";

#[test]
fn equal_user_turns_under_different_system_instructions_are_two_examples() {
    let high = json!({"intent": "other", "priority": "high"});
    let low = json!({"intent": "other", "priority": "low"});
    // The batch output answers each request as its own instruction asks, in either order.
    let forward = format!(
        "{}\n{}\n",
        vertex_line(Some(STRICT), QUESTION, &high),
        vertex_line(Some(LENIENT), QUESTION, &low)
    );
    let backward = format!(
        "{}\n{}\n",
        vertex_line(Some(LENIENT), QUESTION, &low),
        vertex_line(Some(STRICT), QUESTION, &high)
    );
    let gemini = format!(
        "{}\n{}\n",
        tuning_line(STRICT, QUESTION, &high),
        tuning_line(LENIENT, QUESTION, &low)
    );
    let openai = format!(
        "{}\n{}\n",
        chat_line(STRICT, QUESTION, &high),
        chat_line(LENIENT, QUESTION, &low)
    );
    for expected in [&gemini, &openai] {
        for predictions in [&forward, &backward] {
            let data = dataset(expected, predictions);
            let out = tempdir();
            let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
            assert_eq!(report["run"]["joined_by"], "request_hash");
            // Joined by user turns alone, each example would be a duplicate; joined the wrong
            // way round, neither would be exact.
            assert_eq!(
                report["summary"]["exact_match"], 1.0,
                "{expected}{predictions}"
            );
            assert_eq!(report["validity"]["strict"], 2);
        }
    }
}

#[test]
fn without_the_system_instruction_on_one_side_the_user_turns_join_and_repeats_are_refused() {
    let high = json!({"intent": "other", "priority": "high"});
    let low = json!({"intent": "other", "priority": "low"});
    let expected = format!(
        "{}\n{}\n",
        tuning_line(STRICT, QUESTION, &high),
        tuning_line(LENIENT, QUESTION, &low)
    );
    // Requests sent without the instruction (the tuned model learned it): the join falls back
    // to the user turns, which the two examples share.
    let predictions = format!(
        "{}\n{}\n",
        vertex_line(None, QUESTION, &high),
        vertex_line(None, QUESTION, &low)
    );
    let data = dataset(&expected, &predictions);
    let dir = data.path().to_str().unwrap();
    let run = verdict(&["score", dir, "--out", tempdir().path().to_str().unwrap()]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&format!(
            "{dir}/expected.jsonl:2: duplicate key (request hash "
        )) && run
            .stderr
            .contains(": the same user turns) (first seen at ")
            && run.stderr.contains(&format!("{dir}/expected.jsonl:1)")),
        "{}",
        run.stderr
    );
    // With one example a request, the same predictions join by the user turns alone.
    let data = dataset(
        &format!("{}\n", tuning_line(STRICT, QUESTION, &high)),
        &format!("{}\n", vertex_line(None, QUESTION, &high)),
    );
    let (_, report) = score_ok(&[data.path().to_str().unwrap()], tempdir().path());
    assert_eq!(report["run"]["joined_by"], "request_hash");
    assert_eq!(report["summary"]["exact_match"], 1.0);
}

#[test]
fn identical_requests_are_refused_naming_both_lines() {
    let answer = json!({"intent": "other", "priority": "high"});
    let line = tuning_line(STRICT, QUESTION, &answer);
    let data = dataset(
        &format!("{line}\n{line}\n"),
        &format!("{}\n", vertex_line(Some(STRICT), QUESTION, &answer)),
    );
    let dir = data.path().to_str().unwrap();
    let run = verdict(&["score", dir, "--out", tempdir().path().to_str().unwrap()]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&format!(
            "{dir}/expected.jsonl:2: duplicate key (request hash "
        )) && run
            .stderr
            .contains(": the same user turns and system instruction) (first seen at ")
            && run.stderr.contains(&format!("{dir}/expected.jsonl:1)")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_known_shape_whose_answer_cannot_be_read_is_refused_naming_the_shape() {
    let cases = [
        (
            json!({"id": 1, "conversations": [
                {"from": "human", "value": "How old am I, born 1990-05-15?"},
                {"from": "function_call", "value": "{\"name\": \"calculate_age\", \"arguments\": \"{\\\"birthdate\\\": \\\"1990-05-15\\\"}\"}"}
            ]}),
            "ShareGPT line: the \"arguments\" of call 1 of the last \"function_call\" turn must be a JSON object, found a string: expected {\"name\": \"...\", \"arguments\": {...}}".to_owned(),
        ),
        (
            json!({"id": 1, "schemaVersion": "bedrock-conversation-2024", "messages": [
                {"role": "user", "content": [{"text": "What is the weather in Seattle?"}]},
                {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tooluse_1", "input": {"city": "Seattle"}}}]}
            ]}),
            "Bedrock Nova line: toolUse block 1 of the last assistant message has no tool name: expected {\"toolUse\": {\"toolUseId\": \"...\", \"name\": \"...\", \"input\": {...}}}".to_owned(),
        ),
        (
            json!({"id": 1, "messages": [
                {"role": "system", "content": "You are a pirate dog named Captain Barktholomew."},
                {"role": "user", "content": "Hi"},
                {"role": "model", "content": "Argh! What brings ye to my ship?"}
            ]}),
            "the text of the last model message of the Gemini 1.0 tuning line is not valid JSON".to_owned(),
        ),
        (
            json!({"id": 1, "instruction": "Classify this ticket.", "input": "Ticket 9", "output": "It is a refund."}),
            "the text of the \"output\" of the Alpaca line is not valid JSON".to_owned(),
        ),
        (
            json!({"id": 1, "schemaVersion": "bedrock-conversation-2024", "messages": [
                {"role": "user", "content": [{"text": "why is the sky blue"}]}
            ]}),
            "Bedrock Nova line: \"messages\" has no message with role \"assistant\": the last assistant message holds the expected output".to_owned(),
        ),
    ];
    for (line, message) in cases {
        let data = dataset(&format!("{line}\n"), "{\"id\": 1, \"output\": \"{}\"}\n");
        let dir = data.path().to_str().unwrap();
        let run = verdict(&["score", dir, "--out", tempdir().path().to_str().unwrap()]);
        run.assert_code(2);
        assert!(
            run.stderr
                .contains(&format!("{dir}/expected.jsonl:1: {message}")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn different_system_instructions_on_both_sides_join_nothing_loudly() {
    let answer = json!({"intent": "other", "priority": "high"});
    let data = dataset(
        &format!("{}\n", tuning_line(STRICT, QUESTION, &answer)),
        &format!("{}\n", vertex_line(Some(LENIENT), QUESTION, &answer)),
    );
    let dir = data.path().to_str().unwrap();
    let run = verdict(&["score", dir, "--out", tempdir().path().to_str().unwrap()]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("no prediction matches any expected example by request hash (user turns and system instruction: every line on both sides carries one, so it is part of the join)")
            && run.stderr.contains("check that both files describe the same requests with the same system instruction"),
        "{}",
        run.stderr
    );
}

/// A test set whose answers are tool calls: a ShareGPT `function_call` turn (LLaMA-Factory's
/// `data/README.md` and its `glaive_toolcall` demo: `{"name", "arguments"}` as JSON text) and a
/// Bedrock Nova `toolUse` block (`{"toolUseId", "name", "input"}`, the Converse API's shape).
const TOOL_CALL_TEST_SET: &str = concat!(
    r#"{"id": "t1", "conversations": [{"from": "human", "value": "How old is someone born on 1990-05-15?"}, {"from": "function_call", "value": "{\"name\": \"calculate_age\", \"arguments\": {\"birthdate\": \"1990-05-15\"}}"}], "tools": "[{\"name\": \"calculate_age\", \"parameters\": {\"type\": \"object\", \"properties\": {\"birthdate\": {\"type\": \"string\"}}}}]"}"#,
    "\n",
    r#"{"id": "t2", "schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": [{"text": "What is the weather in Seattle?"}]}, {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Seattle"}}}]}]}"#,
    "\n",
);

#[test]
fn tool_call_answers_in_sharegpt_and_nova_test_sets_are_scored() {
    let score = |spec: &str, predictions: &str| -> Value {
        let data = dataset(TOOL_CALL_TEST_SET, predictions);
        write(data.path(), "eval.toml", spec);
        let out = tempdir();
        let (_, report) = score_ok(&[data.path().to_str().unwrap()], out.path());
        assert_eq!(report["run"]["joined_by"], "explicit_key");
        assert_eq!(report["summary"]["examples"], 2);
        report["summary"]["exact_match"].clone()
    };
    // The arguments (the default form): both calls' arguments answered right.
    let arguments = concat!(
        r#"{"id": "t1", "output": "{\"birthdate\": \"1990-05-15\"}"}"#,
        "\n",
        r#"{"id": "t2", "output": "{\"city\": \"Seattle\"}"}"#,
        "\n",
    );
    assert_eq!(score("name = \"tools\"\n", arguments), 1.0);
    // The calls: t1 right; t2 the right arguments under the wrong name, which now counts.
    let calls = concat!(
        r#"{"id": "t1", "output": "{\"name\": \"calculate_age\", \"arguments\": {\"birthdate\": \"1990-05-15\"}}"}"#,
        "\n",
        r#"{"id": "t2", "output": "{\"name\": \"get_time\", \"arguments\": {\"city\": \"Seattle\"}}"}"#,
        "\n",
    );
    let spec = "name = \"tools\"\ntool_calls = \"calls\"\n";
    assert_eq!(score(spec, calls), 0.5);
    // Bare arguments are not the calls the spec asks for.
    assert_eq!(score(spec, arguments), 0.0);
}

#[test]
fn examples_told_apart_by_their_system_instruction_stay_apart_in_compare_and_line_order() {
    let high = json!({"intent": "other", "priority": "high"});
    let low = json!({"intent": "other", "priority": "low"});
    let expected = format!(
        "{}\n{}\n",
        chat_line(STRICT, QUESTION, &high),
        chat_line(LENIENT, QUESTION, &low)
    );
    // Run A answers "high" to both requests (right under STRICT only), run B "low" to both
    // (right under LENIENT only): each is right once, so their exact match is equal.
    let answering = |answer: &Value| {
        format!(
            "{}\n{}\n",
            vertex_line(Some(STRICT), QUESTION, answer),
            vertex_line(Some(LENIENT), QUESTION, answer)
        )
    };
    let a = dataset(&expected, &answering(&high));
    let b = dataset(&expected, &answering(&low));
    let (out_a, out_b, compared) = (tempdir(), tempdir(), tempdir());
    let (_, report_a) = score_ok(&[a.path().to_str().unwrap()], out_a.path());
    let (_, report_b) = score_ok(&[b.path().to_str().unwrap()], out_b.path());
    assert_eq!(report_a["summary"]["exact_match"], 0.5);
    assert_eq!(report_b["summary"]["exact_match"], 0.5);
    // Each example is known by its system hash, so the two keep apart across runs.
    let ids: Vec<Value> = examples(out_a.path())
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_ne!(ids[0], ids[1]);
    let run = verdict(&[
        "compare",
        out_a.path().to_str().unwrap(),
        out_b.path().to_str().unwrap(),
        "--out",
        compared.path().to_str().unwrap(),
        "--quiet",
    ]);
    run.assert_code(0);
    let comparison: Value = serde_json::from_str(
        &std::fs::read_to_string(compared.path().join("compare.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(comparison["shared_examples"], 2, "{comparison}");
    assert_eq!(comparison["mcnemar"]["a_only"], 1, "{comparison}");
    assert_eq!(comparison["mcnemar"]["b_only"], 1, "{comparison}");
    let exact = comparison["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "exact_match")
        .unwrap();
    assert_eq!(exact["b"], 0.5, "{comparison}");
    assert_eq!(exact["delta"]["value"], 0.0, "{comparison}");
    // The same requests answered in the other order: pairing by line would swap them.
    let swapped = format!(
        "{}\n{}\n",
        vertex_line(Some(LENIENT), QUESTION, &low),
        vertex_line(Some(STRICT), QUESTION, &high)
    );
    let data = dataset(&expected, &swapped);
    let out = tempdir();
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--join",
        "line",
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("carries the same request and system instruction"),
        "{}",
        run.stderr
    );
}
