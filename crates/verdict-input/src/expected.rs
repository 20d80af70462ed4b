//! Recognises the shape of each expected-file line and extracts the expected output.
//!
//! Three shapes are accepted, detected per line: the Gemini / Vertex AI tuning format
//! (`contents`), the OpenAI chat fine-tuning format (`messages`) and the plain
//! `{"id", "expected"}` form. The expected output is ground truth, so it must be valid JSON.

use serde_json::{Map, Value};

use super::read::Unread;
use super::{Example, Keys, UserPart, content_hash, explicit_key, gemini_user_turns, kind_of};
use verdict_core::error::{Error, Location, Result};

const SHAPES: &str = "a Gemini tuning line {\"contents\": [...]}, an OpenAI chat line {\"messages\": [...]} or {\"id\": ..., \"expected\": ...}";

/// What the reader below never looks at in an expected line: a Gemini tuning line's system
/// instruction (the join hashes the user turns only). A `--cluster-by` key or pointer may name
/// any part of the line, so it is read in full then.
pub const UNREAD: Unread = Unread::Keys(&[("systemInstruction", Unread::All)]);

/// Reads one expected line: the common tuning shape straight from its text
/// ([`super::fast`]), any other line parsed (without its [`UNREAD`] parts) and detected.
pub fn read(location: Location, text: &str) -> Result<Example> {
    match super::fast::gemini_example(location, text) {
        Ok(example) => example,
        Err(location) => {
            let value = super::read::parse_line_unread(&location, text, UNREAD)?;
            detect(location, value)
        }
    }
}

/// Turns one parsed line of the expected file into an [`Example`].
pub fn detect(location: Location, line: Value) -> Result<Example> {
    let Value::Object(obj) = line else {
        return Err(Error::line(
            location,
            format!(
                "expected a JSON object ({SHAPES}), found {}",
                kind_of(&line)
            ),
        ));
    };
    let explicit = explicit_key(&obj, &["id", "key", "custom_id"], &location)?;
    let (content, expected) = if let Some(contents) = obj.get("contents") {
        gemini(&location, contents)?
    } else if let Some(messages) = obj.get("messages") {
        openai(&location, messages)?
    } else if let Some(expected) = obj.get("expected") {
        (None, expected.clone())
    } else {
        return Err(Error::line(
            location,
            format!(
                "unrecognised line shape: expected {SHAPES}; found keys {}",
                key_list(&obj)
            ),
        ));
    };
    Ok(Example {
        location,
        keys: Keys { explicit, content },
        expected,
    })
}

fn key_list(obj: &Map<String, Value>) -> String {
    if obj.is_empty() {
        return "none".into();
    }
    obj.keys()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The request hash and expected output of a Gemini tuning line. Mirrored by
/// [`super::fast::gemini_example`]: change both together.
fn gemini(location: &Location, contents: &Value) -> Result<(Option<String>, Value)> {
    let turns = contents.as_array().ok_or_else(|| {
        Error::line(
            location.clone(),
            format!(
                "\"contents\" must be an array of turns, found {}",
                kind_of(contents)
            ),
        )
    })?;
    let answer = turns
        .iter()
        .rev()
        .find(|turn| turn.get("role").and_then(Value::as_str) == Some("model"))
        .ok_or_else(|| Error::line(location.clone(), "\"contents\" has no turn with role \"model\": the last model turn holds the expected output"))?;
    let text: String = answer
        .get("parts")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let expected = parse_answer(location, &text, "the last model turn")?;
    Ok((Some(content_hash(&gemini_user_turns(turns))), expected))
}

fn openai(location: &Location, messages: &Value) -> Result<(Option<String>, Value)> {
    let messages = messages.as_array().ok_or_else(|| {
        Error::line(
            location.clone(),
            format!("\"messages\" must be an array, found {}", kind_of(messages)),
        )
    })?;
    let answer = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        .ok_or_else(|| Error::line(location.clone(), "\"messages\" has no message with role \"assistant\": the last assistant message holds the expected output"))?;
    let text = openai_text(answer.get("content").unwrap_or(&Value::Null));
    let expected = parse_answer(location, &text, "the last assistant message")?;
    let user_turns: Vec<Vec<UserPart<'_>>> = messages
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(|m| openai_user_parts(m.get("content").unwrap_or(&Value::Null)))
        .collect();
    Ok((Some(content_hash(&user_turns)), expected))
}

/// The text of an OpenAI message `content`: a string, or an array of `{"type": "text"}` parts.
pub(crate) fn openai_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

fn openai_user_parts(content: &Value) -> Vec<UserPart<'_>> {
    match content {
        Value::String(s) => vec![UserPart::Text(s)],
        Value::Array(parts) => parts
            .iter()
            .map(|p| {
                if let Some(t) = p.get("text").and_then(Value::as_str) {
                    UserPart::Text(t)
                } else if let Some(url) = p.pointer("/image_url/url").and_then(Value::as_str) {
                    UserPart::File(url)
                } else {
                    UserPart::Other(p)
                }
            })
            .collect(),
        other => vec![UserPart::Other(other)],
    }
}

pub(super) fn parse_answer(location: &Location, text: &str, what: &str) -> Result<Value> {
    super::read::from_str_unique_keys(text.trim()).map_err(|e| {
        Error::line(
            location.clone(),
            format!("the text of {what} is not valid JSON ({e}): the expected output must be strict JSON"),
        )
    })
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
    fn gemini_tuning_line_takes_the_last_model_turn() {
        let line = json!({
            "systemInstruction": {"parts": [{"text": "annotate"}]},
            "contents": [
                {"role": "user", "parts": [{"text": "q1"}]},
                {"role": "model", "parts": [{"text": "[1]"}]},
                {"role": "user", "parts": [{"text": "q2"}]},
                {"role": "model", "parts": [{"text": "[{\"a\": "}, {"text": "2}]"}]}
            ]
        });
        let ex = detect(loc(), line).unwrap();
        assert_eq!(ex.expected, json!([{"a": 2}]));
        assert_eq!(ex.keys.explicit, None);
        assert!(ex.keys.content.is_some());
    }

    #[test]
    fn openai_chat_line_takes_the_last_assistant_message() {
        let line = json!({"messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "{\"intent\": \"refund\"}"}
        ]});
        assert_eq!(
            detect(loc(), line).unwrap().expected,
            json!({"intent": "refund"})
        );
    }

    #[test]
    fn plain_line_with_numeric_id() {
        let ex = detect(loc(), json!({"id": 17, "expected": []})).unwrap();
        assert_eq!(ex.keys.explicit.as_deref(), Some("17"));
        assert_eq!(ex.expected, json!([]));
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
}
