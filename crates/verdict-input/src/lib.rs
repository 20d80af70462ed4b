//! The input side: reading the expected and prediction files, recognising each line's shape,
//! and joining predictions to the examples they answer.
//!
//! The plain types here ([`Example`], [`Prediction`], [`Keys`]) are what the rest of the
//! pipeline sees; nothing downstream knows which provider a line came from. [`synth`] writes
//! sample datasets in the same provider shapes, and [`fuzzing`] holds the checks the fuzz
//! targets run.
//!
//! The layout, from the bottom up (a module uses only those above it in this list, and the
//! types here):
//!
//! - `looks`: what a file that is not JSON Lines looks like (an array, CSV, UTF-16), told
//!   from the line that failed, for the messages.
//! - [`lines`]: the bytes of the files, split into lines (gzip, BOM, CRLF, blank lines, the
//!   length limit).
//! - [`read`]: the lines parsed (duplicate keys, the parts of a line no reader looks at).
//! - `seed`: what every fast reader is built of, whatever its provider: parsing a line's text
//!   into the few fields a reader looks at, and declining the rest.
//! - [`prompt`]: what a test line asks the model (its system instruction and turns), as the
//!   expected shapes read it for `verdict requests`.
//! - `providers`: one module a provider, each owning its line shapes, their readers and its
//!   fast path: `gemini` (Vertex AI and the Gemini API; its fast path in `gemini/fast.rs`),
//!   `gemini_legacy` (Gemini 1.0 tuning), `openai`, `bedrock_tuning` (Bedrock's Claude and
//!   Nova fine-tuning lines), `sharegpt`, `alpaca`, `prompt_completion` and `plain`.
//!   `providers.rs` holds what they share: the types that describe a shape, and the request
//!   hashes.
//! - [`expected`] and [`predicted`]: the dispatch. Each has a table of the providers' shapes
//!   (`SHAPES`): their fast paths are tried first, straight from the text, then the first shape
//!   that matches the parsed line reads it. A new provider is a new file under `providers/`,
//!   its `mod` line in `providers.rs`, and one line in each table it has shapes for.
//! - [`yields`]: whether a predictions file yields answers at all (the rule that refuses a
//!   file not understood).
//! - [`join`], [`spill`] and [`index`]: joining and keeping what the dispatch read.
//! - [`requests`]: the provider batch request files `verdict requests` writes from a test set.
//!
//! [`synth`] and [`fuzzing`] stand aside: they use the dispatch and nothing uses them.
//!
//! May depend on: `verdict-core` only. Never on the report, curves or engine crates.

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr, missing_docs)]

pub mod expected;
pub mod fuzzing;
#[cfg(test)]
mod hostile;
pub mod index;
pub mod join;
pub mod lines;
mod looks;
pub mod paths;
pub mod predicted;
pub mod prompt;
mod providers;
pub mod read;
pub mod requests;
mod seed;
pub mod spill;
pub mod synth;
pub mod yields;

pub use verdict_core::validity::Output;

use serde_json::Value;

use verdict_core::error::{Error, Location, Result};

/// The ways a line can be joined to its counterpart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// A key the line states itself: `id`, `key` or `custom_id`.
    pub explicit: Option<String>,
    /// A stable hash of the user turns of the request, where the line carries them.
    pub content: Option<String>,
    /// A stable hash of the user turns and the system instruction of the request, where the
    /// line carries both: joined by when every line on both sides has one.
    pub system: Option<String>,
}

impl Keys {
    /// Makes the request hash the join used the one the example is known by (its `id` in
    /// examples.jsonl, its key when runs are compared): after a join by user turns and system
    /// instruction, the user-turn hash alone may be shared by several examples, the system
    /// hash is not.
    pub fn known_by(&mut self, joined_by: verdict_core::joining::JoinedBy) {
        if joined_by == verdict_core::joining::JoinedBy::RequestAndSystemHash
            && self.system.is_some()
        {
            self.content = self.system.clone();
        }
    }
}

/// One example of the expected file: the output the model should have produced.
#[derive(Debug, Clone)]
pub struct Example {
    /// Where the example was read.
    pub location: Location,
    /// How it can be joined.
    pub keys: Keys,
    /// The expected output, parsed. For an answer made of tool calls, their arguments in the
    /// default form until [`Example::form_calls`] puts them in the spec's.
    pub expected: Value,
    /// The expected tool calls (name and arguments, in order), when the expected answer is
    /// calls rather than text.
    pub expected_calls: Option<Vec<(String, Value)>>,
}

impl Example {
    /// Puts an expected answer made of tool calls in the form the spec's `tool_calls` key asks
    /// for, the form the predicted calls are scored in; any other expected output is left as
    /// it is.
    pub fn form_calls(&mut self, form: verdict_core::tools::ToolCallForm) {
        if let Some(calls) = &self.expected_calls {
            self.expected = verdict_core::tools::expected_value(calls, form);
        }
    }
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
    /// Whether the answer came with reasoning (`<think>` blocks, reasoning items or parts, a
    /// separate reasoning field), which is never part of [`Self::output`].
    pub reasoning: bool,
    /// Which prediction shape read the line, set by the dispatch ([`predicted::read`]); `None`
    /// for a prediction made otherwise.
    pub shape: Option<ShapeId>,
}

/// A prediction shape of [`predicted`]'s table, by its place there: what the messages of a
/// file that yields no answer name ([`ShapeId::name`], [`ShapeId::answer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeId(pub(crate) u8);

impl Prediction {
    /// What the scorer needs of this line.
    pub fn answer(&self) -> verdict_core::example::Answer<'_> {
        verdict_core::example::Answer {
            output: &self.output,
            finish_reason: self.finish_reason.as_deref(),
            reasoning: self.reasoning,
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

/// The keys of a line object, as messages list them: each quoted and bounded, at most 20 of
/// them; `none` for an empty object.
pub(crate) fn key_list(obj: &serde_json::Map<String, Value>) -> String {
    if obj.is_empty() {
        return "none".into();
    }
    verdict_core::quote::list(
        obj.keys()
            .map(|k| format!("\"{}\"", verdict_core::quote::plain(k))),
    )
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
