//! Recognises the shape of each expected-file line and extracts the expected output: the
//! dispatch over the providers' expected-line shapes (`SHAPES`).
//!
//! The shapes accepted, detected per line: the Gemini / Vertex AI tuning format (`contents`)
//! and its Gemini 1.0 `messages` form, the OpenAI chat fine-tuning format (`messages`), Amazon
//! Bedrock's Claude and Nova fine-tuning formats, the open-model tuning formats (ShareGPT,
//! Alpaca, prompt/completion) and the plain `{"id", "expected"}` form. Each is read by its provider's module (`providers/`). The
//! expected output is ground truth, so it must be valid JSON.

use serde_json::{Map, Value};

use crate::prompt::Prompt;
use crate::providers::{
    ExpectedShape, RequestHashes, alpaca, bedrock_tuning, gemini, gemini_legacy, openai, plain,
    prompt_completion, sharegpt,
};
use crate::read::{Unread, parse_line_unread};
use crate::{Example, Keys, explicit_key, key_list, kind_of};
use verdict_core::error::{Error, Location, Result};

/// The expected-line shapes, tried in this order: the fast paths first, straight from the
/// text, then the first shape whose `matches` takes the parsed line. Their names, in this
/// order, are the list of accepted shapes in messages. A new shape is one line here.
///
/// The shapes with `messages` come before OpenAI's, which would take their lines: Nova's by its
/// `schemaVersion`, Gemini 1.0's by its `model` role, Bedrock Claude's by its `system`. The
/// plain form comes before the shapes added after it: a line that states its `expected` output
/// beside a `completion` or an `output` (often the model's, logged with the test) is read as
/// it was before they were, by its `expected`.
const SHAPES: [ExpectedShape; 9] = [
    gemini::TUNING_LINE,
    bedrock_tuning::NOVA_LINE,
    gemini_legacy::MESSAGES_LINE,
    bedrock_tuning::CLAUDE_LINE,
    openai::CHAT_LINE,
    plain::EXPECTED_LINE,
    sharegpt::LINE,
    alpaca::LINE,
    prompt_completion::LINE,
];

/// What no shape's reader looks at in an expected line: nothing since the system instruction
/// became part of the join (a test line is small next to its batch output line). Kept so that
/// a part no reader looks at can be skipped again: a key skipped here must be one no shape's
/// reader looks at.
pub const UNREAD: Unread = Unread::Nothing;

/// Reads one expected line: the common shapes straight from their text (the shapes' fast
/// paths), any other line parsed (without its [`UNREAD`] parts) and detected.
pub fn read(location: Location, text: &str) -> Result<Example> {
    match read_fast(location, text) {
        Ok(example) => example,
        Err(location) => {
            let value = parse_line_unread(&location, text, UNREAD)?;
            detect(location, value)
        }
    }
}

/// The first fast path of [`SHAPES`] that reads `text`: the example, or the error of its
/// expected output's text; the location back when every one declines.
pub(crate) fn read_fast(
    location: Location,
    text: &str,
) -> std::result::Result<Result<Example>, Location> {
    crate::providers::first_fast(SHAPES.iter().map(|s| s.fast), location, text)
        .map(|(_, example)| example)
}

/// Turns one parsed line of the expected file into an [`Example`].
pub fn detect(location: Location, line: Value) -> Result<Example> {
    let Value::Object(obj) = line else {
        return Err(not_an_object(location, &line));
    };
    Ok(detect_object(location, &obj)?.0)
}

fn not_an_object(location: Location, line: &Value) -> Error {
    let hint = crate::looks::not_object_hint(&location, line);
    Error::line(
        location,
        format!(
            "expected a JSON object ({}), found {}{}",
            shape_list(),
            kind_of(line),
            hint
        ),
    )
}

/// The example of a line object, and the shape that read it.
fn detect_object(
    location: Location,
    obj: &Map<String, Value>,
) -> Result<(Example, &'static ExpectedShape)> {
    let explicit = explicit_key(obj, &["id", "key", "custom_id"], &location)?;
    let Some(shape) = SHAPES.iter().find(|shape| (shape.matches)(obj)) else {
        return Err(Error::line(
            location,
            format!(
                "unrecognised line shape: expected {}; found keys {}",
                shape_list(),
                key_list(obj)
            ),
        ));
    };
    let (hashes, expected, expected_calls) = (shape.read)(&location, obj)?;
    let (content, system) = match hashes {
        Some(RequestHashes { content, system }) => (Some(content), system),
        None => (None, None),
    };
    let example = Example {
        location,
        keys: Keys {
            explicit,
            content,
            system,
        },
        expected,
        expected_calls,
    };
    Ok((example, shape))
}

/// An example and what its line asks the model (for `verdict requests`): the line is read in
/// full, its system instruction included. The one shape that does not carry its request (the
/// plain form, which gives only the expected output) is an error naming it.
pub fn detect_with_prompt(location: Location, line: Value) -> Result<(Example, Prompt)> {
    let Value::Object(obj) = line else {
        return Err(not_an_object(location, &line));
    };
    let (example, shape) = detect_object(location, &obj)?;
    let Some(prompt) = shape.prompt else {
        return Err(Error::line(
            example.location,
            format!(
                "this line is {}, which gives only the expected output: verdict requests needs the system and user turns of each example, which every other test-set shape carries ({})",
                shape.name,
                prompt_shape_list()
            ),
        ));
    };
    let prompt = prompt(&example.location, &obj)?;
    Ok((example, prompt))
}

/// The names of [`SHAPES`] in order: "a, b or c".
fn shape_list() -> String {
    names(SHAPES.iter().collect())
}

/// The names of the [`SHAPES`] that carry their request, in order.
fn prompt_shape_list() -> String {
    names(
        SHAPES
            .iter()
            .filter(|shape| shape.prompt.is_some())
            .collect(),
    )
}

fn names(shapes: Vec<&ExpectedShape>) -> String {
    let count = shapes.len();
    let mut list = String::new();
    for (i, shape) in shapes.into_iter().enumerate() {
        if i > 0 {
            list.push_str(if i + 1 == count { " or " } else { ", " });
        }
        list.push_str(shape.name);
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn loc() -> Location {
        Location {
            path: "expected.jsonl".into(),
            line: 3,
        }
    }

    #[test]
    fn errors_name_the_line_and_the_accepted_shapes() {
        let err = detect(loc(), json!({"prompt": "x"}))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "expected.jsonl:3: unrecognised line shape: expected a Gemini tuning line"
            ),
            "{err}"
        );
        assert!(err.ends_with("found keys \"prompt\""), "{err}");
        let err = detect(loc(), json!({"contents": [{"role": "user", "parts": []}]}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no turn with role \"model\""), "{err}");
        let err = detect(
            loc(),
            json!({"contents": [{"role": "model", "parts": [{"text": "[1,"}]}]}),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("is not valid JSON"), "{err}");
        let err = detect(loc(), json!({"id": [1], "expected": 1}))
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("\"id\" must be a string or a number, found an array"),
            "{err}"
        );
    }

    #[test]
    fn a_stated_expected_output_wins_over_a_logged_completion_or_output() {
        for line in [
            json!({"id": 1, "prompt": "q", "completion": "[2]", "expected": [1]}),
            json!({"id": 1, "instruction": "q", "output": "[2]", "expected": [1]}),
            json!({"id": 1, "conversations": [], "expected": [1]}),
        ] {
            assert_eq!(detect(loc(), line).unwrap().expected, json!([1]));
        }
    }

    #[test]
    fn the_accepted_shapes_are_listed_in_the_table_order() {
        // The list is built from the names in the table: pinned here, so that the messages
        // change only on purpose (a new shape adds its name here too).
        let listed = concat!(
            "a Gemini tuning line {\"contents\": [...]}, ",
            "a Bedrock Nova line {\"schemaVersion\": \"bedrock-conversation-2024\", ...}, ",
            "a Gemini 1.0 tuning line {\"messages\": [{\"role\": \"model\", ...}]}, ",
            "a Bedrock Claude fine-tuning line {\"system\", \"messages\": [...]}, ",
            "an OpenAI chat line {\"messages\": [...]}, ",
            "{\"id\": ..., \"expected\": ...}, ",
            "a ShareGPT line {\"conversations\": [...]}, ",
            "an Alpaca line {\"instruction\", \"input\", \"output\"} ",
            "or a prompt/completion line {\"prompt\", \"completion\"}"
        );
        assert_eq!(shape_list(), listed);
        let err = detect(loc(), json!([1])).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("expected.jsonl:3: expected a JSON object ({listed}), found an array")
        );
        let err = detect(loc(), json!({})).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "expected.jsonl:3: unrecognised line shape: expected {listed}; found keys none"
            )
        );
    }

    /// The prompt a line gives, written back as an OpenAI chat line (the shape whose hashes
    /// the others agree with), and the prompt's keys beside the line's own.
    fn keys_through_prompt(line: Value) -> (Keys, Keys) {
        let (example, prompt) = detect_with_prompt(loc(), line).unwrap();
        let mut messages = Vec::new();
        for system in &prompt.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        for turn in &prompt.turns {
            let text: String = turn
                .parts
                .iter()
                .map(|p| match p {
                    crate::prompt::Part::Text(t) => t.as_str(),
                    crate::prompt::Part::Native(..) => panic!("{p:?}"),
                })
                .collect();
            let role = if turn.assistant { "assistant" } else { "user" };
            messages.push(json!({"role": role, "content": text}));
        }
        messages.push(json!({"role": "assistant", "content": "[]"}));
        let chat = detect(loc(), json!({ "messages": messages })).unwrap();
        (example.keys, chat.keys)
    }

    #[test]
    fn every_shape_with_turns_gives_a_prompt_that_hashes_as_its_line() {
        let lines = [
            json!({"system": "s", "conversations": [{"from": "human", "value": "q1"},
                {"from": "gpt", "value": "a1"}, {"from": "human", "value": "q2"},
                {"from": "function_call", "value": "{\"name\": \"f\", \"arguments\": {}}"}]}),
            // A system instruction in two pieces: one system message each.
            json!({"system": "s", "conversations": [{"from": "system", "value": "t"},
                {"from": "human", "value": "q"}, {"from": "gpt", "value": "[]"}]}),
            json!({"schemaVersion": "bedrock-conversation-2024", "system": [{"text": "s"}, {"text": "t"}],
                "messages": [{"role": "user", "content": [{"text": "q"}]},
                {"role": "assistant", "content": [{"text": "[]"}]}]}),
            json!({"systemInstruction": {"parts": [{"text": "s"}, {"text": "t"}]},
                "contents": [{"role": "user", "parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "[]"}]}]}),
            json!({"instruction": "Extract", "input": "Bo, 3", "output": "[]", "system": "s",
                "history": [["q1", "a1"]]}),
            json!({"prompt": "q", "completion": "[]"}),
            json!({"prompt": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}],
                "completion": [{"role": "assistant", "content": "[]"}]}),
            json!({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                {"role": "model", "content": "[]"}]}),
            json!({"system": "s", "messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]},
                {"role": "assistant", "content": "[]"}]}),
            json!({"schemaVersion": "bedrock-conversation-2024", "system": [{"text": "s"}],
                "messages": [{"role": "user", "content": [{"text": "q"}]},
                {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}]}]}),
        ];
        for line in lines {
            let (own, through) = keys_through_prompt(line.clone());
            assert_eq!(own, through, "{line}");
        }
    }

    #[test]
    fn only_the_plain_form_has_no_prompt() {
        let err = detect_with_prompt(loc(), json!({"id": 1, "expected": []}))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("expected.jsonl:3: this line is {\"id\": ..., \"expected\": ...}, which gives only the expected output: verdict requests needs the system and user turns of each example, which every other test-set shape carries (a Gemini tuning line"),
            "{err}"
        );
        assert!(
            !err.contains("{\"id\": ..., \"expected\": ...}, a ShareGPT"),
            "{err}"
        );
        assert!(
            err.ends_with("or a prompt/completion line {\"prompt\", \"completion\"})"),
            "{err}"
        );
    }
}
