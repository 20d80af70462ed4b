//! Gemini 1.0: the older Vertex AI supervised tuning format of `gemini-1.0-pro`, as Vertex AI's
//! "Prepare supervised tuning data" and text tuning pages show it.
//!
//! - [`MESSAGES_LINE`], an expected line: `{"messages": [{"role", "content"}, ...]}` whose
//!   roles are `system`, `user` and `model` (not OpenAI's `assistant`); the last `model`
//!   message holds the expected output.
//!
//! The request hash covers the `user` messages, the `system` message is the system
//! instruction: the same request in Gemini's `contents` shape gets the same hashes.

use serde_json::{Map, Value};

use super::openai::{before_answer, chat_hashes, messages_prompt, openai_text, text_parts};
use super::{ExpectedCalls, ExpectedShape, RequestHashes, parse_answer};
use crate::prompt::Prompt;
use verdict_core::error::{Location, Result};

/// A Gemini 1.0 tuning line: `messages` with a `model` message and no `assistant` one. The
/// roles are looked at, not only the keys, as OpenAI's chat line has `messages` too: a line
/// with both roles stays OpenAI's.
pub(crate) const MESSAGES_LINE: ExpectedShape = ExpectedShape {
    name: "a Gemini 1.0 tuning line {\"messages\": [{\"role\": \"model\", ...}]}",
    matches: |obj| {
        let roles = || {
            obj.get("messages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.get("role").and_then(Value::as_str))
        };
        roles().any(|r| r == "model") && !roles().any(|r| r == "assistant")
    },
    read,
    fast: None,
    prompt: Some(prompt),
};

/// The request hashes and expected output of a Gemini 1.0 tuning line, which
/// [`MESSAGES_LINE`] took: `messages` is an array with a `model` message.
fn read(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
    let messages = obj["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let answer = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("model"))
        .map_or_else(String::new, |m| {
            openai_text(m.get("content").unwrap_or(&Value::Null))
        });
    let expected = parse_answer(
        location,
        &answer,
        "the last model message of the Gemini 1.0 tuning line",
    )?;
    Ok((Some(chat_hashes(messages, None)), expected, None))
}

/// What a Gemini 1.0 tuning line asks: its `system` message and the `user` and `model`
/// messages before its last `model` message, whose contents are text.
fn prompt(location: &Location, obj: &Map<String, Value>) -> Result<Prompt> {
    const PREFIX: &str = "Gemini 1.0 tuning line: ";
    let messages = obj["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let before = before_answer(location, PREFIX, messages, "model")?;
    messages_prompt(
        location,
        PREFIX,
        before,
        Vec::new(),
        "model",
        |content, _| text_parts(content, "part"),
    )
}

#[cfg(test)]
mod tests {
    use crate::expected::detect;
    use serde_json::json;
    use verdict_core::error::Location;

    fn loc() -> Location {
        Location {
            path: "expected.jsonl".into(),
            line: 1,
        }
    }

    #[test]
    fn the_last_model_message_is_the_answer_and_hashes_match_the_contents_shape() {
        let legacy = json!({"messages": [{"role": "system", "content": "s"},
            {"role": "user", "content": "q"}, {"role": "model", "content": "{\"a\": 1}"}]});
        let ex = detect(loc(), legacy).unwrap();
        assert_eq!(ex.expected, json!({"a": 1}));
        let contents = json!({"systemInstruction": {"role": "system", "parts": [{"text": "s"}]},
            "contents": [{"role": "user", "parts": [{"text": "q"}]},
                         {"role": "model", "parts": [{"text": "[]"}]}]});
        let keys = detect(loc(), contents).unwrap().keys;
        assert!(keys.system.is_some());
        assert_eq!(ex.keys, keys);
    }

    #[test]
    fn a_non_json_answer_names_the_shape_and_assistant_lines_stay_openai() {
        let err = detect(
            loc(),
            json!({"messages": [{"role": "user", "content": "Hi"}, {"role": "model", "content": "Argh!"}]}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("expected.jsonl:1: the text of the last model message of the Gemini 1.0 tuning line is not valid JSON"),
            "{err}"
        );
        let err = detect(
            loc(),
            json!({"messages": [{"role": "user", "content": "q"}]}),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no message with role \"assistant\""), "{err}");
    }
}
