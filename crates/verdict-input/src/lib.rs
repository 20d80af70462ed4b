//! The input side: reading the expected and prediction files, recognising each line's shape,
//! and joining predictions to the examples they answer.
//!
//! The plain types here ([`Example`], [`Prediction`], [`Keys`]) are what the rest of the
//! pipeline sees; nothing downstream knows which provider a line came from. [`synth`] writes
//! sample datasets in the same provider shapes, and [`fuzzing`] holds the checks the fuzz
//! targets run.
//!
//! May depend on: `verdict-core` only. Never on the report, curves or engine crates.

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr, missing_docs)]

pub mod expected;
pub mod fast;
pub mod fuzzing;
#[cfg(test)]
mod hostile;
pub mod index;
pub mod join;
pub mod predicted;
pub mod read;
pub mod spill;
pub mod synth;

pub use verdict_core::validity::Output;

use serde_json::Value;
use sha2::{Digest, Sha256};

use verdict_core::error::{Error, Location, Result};

/// The ways a line can be joined to its counterpart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// A key the line states itself: `id`, `key` or `custom_id`.
    pub explicit: Option<String>,
    /// A stable hash of the user turns of the request, where the line carries them.
    pub content: Option<String>,
}

/// One example of the expected file: the output the model should have produced.
#[derive(Debug, Clone)]
pub struct Example {
    /// Where the example was read.
    pub location: Location,
    /// How it can be joined.
    pub keys: Keys,
    /// The expected output, parsed.
    pub expected: Value,
}

/// One line of the predictions.
#[derive(Debug, Clone)]
pub struct Prediction {
    /// Where the prediction was read.
    pub location: Location,
    /// How it can be joined.
    pub keys: Keys,
    /// What the model produced.
    pub output: Output,
    /// The provider's finish reason (`STOP`, `MAX_TOKENS`, `stop`, `length`, ...), verbatim.
    pub finish_reason: Option<String>,
}

impl Prediction {
    /// What the scorer needs of this line.
    pub fn answer(&self) -> verdict_core::example::Answer<'_> {
        verdict_core::example::Answer {
            output: &self.output,
            finish_reason: self.finish_reason.as_deref(),
        }
    }
}

/// Reads an explicit join key from the first of `fields` present on a line object.
///
/// Strings are taken as they are and numbers by their JSON text, so `{"id": 7}` and
/// `{"id": "7"}` join; any other type is an input error.
fn explicit_key(
    obj: &serde_json::Map<String, Value>,
    fields: &[&str],
    location: &Location,
) -> Result<Option<String>> {
    for field in fields {
        match obj.get(*field) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => return Ok(Some(s.clone())),
            Some(Value::Number(n)) => return Ok(Some(n.to_string())),
            Some(other) => {
                return Err(Error::line(
                    location.clone(),
                    format!(
                        "\"{field}\" must be a string or a number, found {}",
                        kind_of(other)
                    ),
                ));
            }
        }
    }
    Ok(None)
}

/// The JSON type of a value, for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A part of a user turn, reduced to what identifies the request.
enum UserPart<'a> {
    Text(&'a str),
    File(&'a str),
    Other(&'a Value),
}

/// Hashes the user turns of a request so that a tuning-format test line and the batch output
/// line echoing its request get the same key with no ids at all.
///
/// Each turn contributes its parts in order: texts, file URIs (a clip's video is usually the
/// only thing that tells two requests apart) and, for any other part, its JSON. The hash is the
/// first 16 hex digits of SHA-256, stable across platforms and versions.
fn content_hash(turns: &[Vec<UserPart<'_>>]) -> String {
    let mut hasher = Sha256::new();
    for turn in turns {
        hasher.update(b"turn\n");
        for part in turn {
            let json;
            let (tag, body): (&[u8], &str) = match part {
                UserPart::Text(t) => (b"text", t),
                UserPart::File(uri) => (b"file", uri),
                UserPart::Other(v) => {
                    json = v.to_string();
                    (b"json", &json)
                }
            };
            hasher.update(tag);
            hasher.update((body.len() as u64).to_le_bytes());
            hasher.update(body.as_bytes());
        }
    }
    hex(&hasher.finalize()[..8])
}

/// `bytes` in lower-case hexadecimal, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| {
            [
                HEX[usize::from(b >> 4)] as char,
                HEX[usize::from(b & 15)] as char,
            ]
        })
        .collect()
}

/// The user turns of a Gemini `contents` array, as hashable parts. The Gemini API makes
/// `role` optional and takes a turn without one as the user's, so such turns count too.
/// Mirrored, with [`gemini_part`], by the fast reader of [`fast`]: change both together.
fn gemini_user_turns(contents: &[Value]) -> Vec<Vec<UserPart<'_>>> {
    contents
        .iter()
        .filter(|turn| {
            matches!(
                turn.get("role").and_then(Value::as_str),
                Some("user") | None
            )
        })
        .map(|turn| {
            let parts = turn
                .get("parts")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            parts.iter().map(gemini_part).collect()
        })
        .collect()
}

fn gemini_part(part: &Value) -> UserPart<'_> {
    if let Some(text) = part.get("text").and_then(Value::as_str) {
        return UserPart::Text(text);
    }
    let uri = part
        .pointer("/fileData/fileUri")
        .or_else(|| part.pointer("/file_data/file_uri"))
        .and_then(Value::as_str);
    match uri {
        Some(uri) => UserPart::File(uri),
        None => UserPart::Other(part),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_hash_tells_clips_apart_by_file_uri_and_ignores_snake_case() {
        let a = json!([{"role":"user","parts":[{"fileData":{"fileUri":"gs://b/1.mp4","mimeType":"video/mp4"}},{"text":"List events"}]}]);
        let b = json!([{"role":"user","parts":[{"file_data":{"file_uri":"gs://b/1.mp4"}},{"text":"List events"}]}]);
        let c = json!([{"role":"user","parts":[{"fileData":{"fileUri":"gs://b/2.mp4"}},{"text":"List events"}]}]);
        let hash = |v: &Value| content_hash(&gemini_user_turns(v.as_array().unwrap()));
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(hash(&a), hash(&c));
        assert_eq!(hash(&a).len(), 16);
    }

    #[test]
    fn turns_without_a_role_are_user_turns() {
        let a = json!([{"parts": [{"text": "clip one"}]}]);
        let b = json!([{"parts": [{"text": "clip two"}]}]);
        let with_role = json!([{"role": "user", "parts": [{"text": "clip one"}]}]);
        let hash = |v: &Value| content_hash(&gemini_user_turns(v.as_array().unwrap()));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a), hash(&with_role));
    }

    #[test]
    fn content_hash_ignores_model_turns() {
        let with_answer = json!([{"role":"user","parts":[{"text":"q"}]},{"role":"model","parts":[{"text":"[]"}]}]);
        let request = json!([{"role":"user","parts":[{"text":"q"}]}]);
        let hash = |v: &Value| content_hash(&gemini_user_turns(v.as_array().unwrap()));
        assert_eq!(hash(&with_answer), hash(&request));
    }
}
