//! The line shapes of each provider, one module a provider: [`anthropic`] (Message Batches and
//! Claude on Vertex AI), [`bedrock`] (AWS Bedrock batch inference) and [`bedrock_tuning`]
//! (Bedrock's fine-tuning shapes), [`gemini`] (Vertex AI and the Gemini API) and
//! [`gemini_legacy`] (Gemini 1.0 tuning), [`openai`], the open-model tuning shapes
//! ([`sharegpt`], [`alpaca`], [`prompt_completion`]), and [`plain`] (verdict's own forms).
//! Each owns its shapes' readers
//! and fast path, and describes each shape as an [`ExpectedShape`] or a [`PredictedShape`]
//! that the tables of [`crate::expected`] and [`crate::predicted`] register.
//!
//! What the providers share is here: the entry types, the request hash of the shapes that
//! carry their request ([`content_hash`], [`request_hashes`]: one request gives one hash
//! whichever provider's shape carries it), and the small readers of an answer's text and of a failure's reason.

pub(crate) mod alpaca;
pub(crate) mod anthropic;
pub(crate) mod bedrock;
pub(crate) mod bedrock_tuning;
pub(crate) mod gemini;
pub(crate) mod gemini_legacy;
pub(crate) mod openai;
pub(crate) mod plain;
pub(crate) mod prompt_completion;
pub(crate) mod sharegpt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{Example, Keys, Output, Prediction, hex};
use verdict_core::error::{Error, Location, Result};
use verdict_core::tools::{Arguments, ToolCall};

/// A shape of expected line, as a provider module describes it and [`crate::expected`]
/// registers it.
pub(crate) struct ExpectedShape {
    /// How the shape is named in messages: the "expected ..." list of accepted shapes is the
    /// names of the registered shapes in order.
    pub name: &'static str,
    /// Whether a line object is of this shape. Shapes are tried in the order of the table, and
    /// the first that matches reads the line: a shape may take lines a later one would match.
    pub matches: fn(&Map<String, Value>) -> bool,
    /// The request hashes (if the shape carries the request) and the expected output of a line
    /// [`Self::matches`] took. The explicit key (`id`, `key` or `custom_id`) is read before, for
    /// every shape alike.
    pub read: ReadExpected,
    /// What a line [`Self::matches`] took asks the model (its system instruction and the turns
    /// before its answer), for `verdict requests`; `None` for a shape that does not carry its
    /// request.
    pub prompt: Option<ReadPrompt>,
    /// A reader of the shape's common lines straight from their text: the example (or the
    /// error of its expected output), or the location back to decline. The fast paths of all
    /// shapes are tried, in the order of the table, before a line is parsed in full. One must
    /// give what parsing in full and detecting gives, so it declines every line it is not sure
    /// of: one that an earlier shape would take, one with an explicit key (read by the dispatch
    /// for every shape), and what [`crate::seed`] lists.
    pub fast: Option<FastExpected>,
}

/// A shape of prediction line, as a provider module describes it and [`crate::predicted`]
/// registers it.
pub(crate) struct PredictedShape {
    /// How messages name the shape, e.g. "an OpenAI Batch output line for /v1/chat/completions".
    pub name: &'static str,
    /// Where in a line of the shape verdict looks for the answer, for messages, e.g.
    /// `response.body.choices[0].message.content`.
    pub answer: &'static str,
    /// Whether a line object is of this shape. Shapes are tried in the order of the table, and
    /// the first that matches reads the line: a shape may take lines a later one would match.
    pub matches: fn(&Map<String, Value>) -> bool,
    /// The keys, output and finish reason of a line [`Self::matches`] took. A request that
    /// failed or was blocked is [`Output::Failed`] with the provider's reason, not an error.
    pub read: ReadPredicted,
    /// A reader of the shape's common lines straight from their text: the prediction, or the
    /// location back to decline. The fast paths of all shapes are tried, in the order of the
    /// table, before a line is parsed in full. One must give what parsing in full and detecting
    /// gives, so it declines every line it is not sure of: one that an earlier shape would
    /// take, and what [`crate::seed`] lists.
    pub fast: Option<FastPredicted>,
}

/// The reader of an expected shape: the request hashes (if the line carries its request), the
/// expected output of a line and, when the expected answer is tool calls, the calls (the
/// output is then their arguments).
pub(crate) type ReadExpected = fn(
    &Location,
    &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)>;

/// Expected tool calls: each call's name and arguments, in order.
pub(crate) type ExpectedCalls = Vec<(String, Value)>;

/// The prompt reader of an expected shape: the system instruction and the turns before the
/// answer of a line.
pub(crate) type ReadPrompt = fn(&Location, &Map<String, Value>) -> Result<crate::prompt::Prompt>;

/// The fast path of an expected shape: the example or the error of its expected output, or
/// the location back to decline.
pub(crate) type FastExpected = fn(Location, &str) -> std::result::Result<Result<Example>, Location>;

/// The reader of a prediction shape: the keys and the answer of a line.
pub(crate) type ReadPredicted = fn(&Location, &Map<String, Value>) -> Result<(Keys, Answered)>;

/// What a prediction line answered: the output, the finish reason and whether reasoning came
/// with it (reasoning is never part of the output).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answered {
    pub output: Output,
    pub finish_reason: Option<String>,
    pub reasoning: bool,
}

impl Answered {
    /// An answer without reasoning.
    pub(crate) fn plain(output: Output, finish_reason: Option<String>) -> Self {
        Answered {
            output,
            finish_reason,
            reasoning: false,
        }
    }
}

/// The fast path of a prediction shape: the prediction, or the location back to decline.
pub(crate) type FastPredicted = fn(Location, &str) -> std::result::Result<Prediction, Location>;

/// The first of the `fast` readers that accepts the line `text`, tried in table order (a shape
/// without one is `None`), with its place in the table; the location back when every one
/// declines. Both shape tables read their fast paths this way.
pub(crate) fn first_fast<T>(
    fast: impl Iterator<Item = Option<fn(Location, &str) -> std::result::Result<T, Location>>>,
    mut location: Location,
    text: &str,
) -> std::result::Result<(usize, T), Location> {
    for (index, read) in fast.enumerate() {
        let Some(read) = read else { continue };
        match read(location, text) {
            Ok(read) => return Ok((index, read)),
            Err(declined) => location = declined,
        }
    }
    Err(location)
}

/// The failure reasons the readers give when a line lacks the field they look for, as opposed
/// to a reason the provider stated (an error, a status, a block, a refusal). Most lines of a
/// file failing with one of these is the sign of a file read as the wrong shape
/// ([`crate::yields`]): a reader's own "nothing found" reason belongs here.
pub(crate) const NOTHING_FOUND: &[&str] = &[
    "no response",
    "no choices",
    "no candidates",
    "no modelOutput",
];

/// A part of a user turn, reduced to what identifies the request.
pub(crate) enum UserPart<'a> {
    Text(&'a str),
    File(&'a str),
    Other(&'a Value),
}

/// The request hashes of a line that carries its request (see [`request_hashes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestHashes {
    /// The hash of the user turns alone.
    pub content: String,
    /// The hash of the user turns and the system instruction, when the line carries one.
    pub system: Option<String>,
}

/// Hashes the user turns of a request so that a tuning-format test line and the batch output
/// line echoing its request get the same key with no ids at all.
///
/// Each turn contributes its parts in order: texts, file URIs (a clip's video is usually the
/// only thing that tells two requests apart) and, for any other part, its JSON. The hash is the
/// first 16 hex digits of SHA-256, stable across platforms and versions.
pub(crate) fn content_hash(turns: &[Vec<UserPart<'_>>]) -> String {
    request_hashes(None, turns).content
}

/// The hash of the user turns ([`content_hash`]) and, when the line carries a system
/// instruction (`system`, its parts; none and empty are told apart), the hash of the user turns
/// followed by it. Two requests that differ only by their system instructions get one content
/// hash and two system hashes: the join takes the system hash when every line on both sides has
/// one, so a test set and batch requests sent with another (or no) instruction still join by
/// their user turns.
pub(crate) fn request_hashes(
    system: Option<&[UserPart<'_>]>,
    turns: &[Vec<UserPart<'_>>],
) -> RequestHashes {
    let mut hasher = Sha256::new();
    for turn in turns {
        hasher.update(b"turn\n");
        hash_parts(&mut hasher, turn);
    }
    let system = system.map(|parts| {
        let mut hasher = hasher.clone();
        hasher.update(b"system\n");
        hash_parts(&mut hasher, parts);
        hex(&hasher.finalize()[..8])
    });
    RequestHashes {
        content: hex(&hasher.finalize()[..8]),
        system,
    }
}

fn hash_parts(hasher: &mut Sha256, parts: &[UserPart<'_>]) {
    for part in parts {
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

/// The expected output in the text of an answer (`what` names it for the message). The
/// expected output is ground truth, so it must be strict JSON.
pub(crate) fn parse_answer(location: &Location, text: &str, what: &str) -> Result<Value> {
    crate::read::from_str_unique_keys(text.trim()).map_err(|e| {
        Error::line(
            location.clone(),
            format!("the text of {what} is not valid JSON ({e}): the expected output must be strict JSON"),
        )
    })
}

/// A failure's reason: a non-blank string as it is, an object's `message` or else its JSON;
/// `None` for a missing value, null, a blank string or an empty object.
pub(crate) fn non_empty_str(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Null | Value::String(_) => None,
        Value::Object(o) if o.is_empty() => None,
        other => Some(
            other
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| other.to_string()),
        ),
    }
}

/// The model's answer text as an output, and whether reasoning came before it. Every
/// provider's text answer goes through here, the fast paths' too, so that all read it alike.
///
/// `<think>…</think>` blocks at the start of the text (DeepSeek-R1, Qwen3 and other open
/// reasoning models) are reasoning, not the answer: a `{` inside them must never be read as
/// the answer. A block that never closes was cut off before the answer began, so there is no
/// answer ([`Output::Empty`]). A lone `</think>` ends reasoning too, as chat templates that
/// open the block in the prompt leave it, unless a `<think>` comes before it or the whole text
/// is one JSON value (a value that merely holds the tag). The answer is [`Output::Empty`] when it is blank.
pub(crate) fn text_answer(text: String) -> (Output, bool) {
    let (answer, reasoning) = match after_reasoning(&text) {
        None => (text, false),
        Some(answer) => (answer.to_owned(), true),
    };
    let output = if answer.trim().is_empty() {
        Output::Empty
    } else {
        Output::Text(answer)
    };
    (output, reasoning)
}

const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";

/// The text after the reasoning that starts `text`, or `None` when it starts with none.
fn after_reasoning(text: &str) -> Option<&str> {
    let mut rest = text.trim_start();
    if !rest.starts_with(THINK_OPEN) {
        let close = rest.find(THINK_CLOSE)?;
        if rest[..close].contains(THINK_OPEN)
            || serde_json::from_str::<serde::de::IgnoredAny>(text.trim()).is_ok()
        {
            return None;
        }
        rest = &rest[close + THINK_CLOSE.len()..];
    }
    while let Some(block) = rest.trim_start().strip_prefix(THINK_OPEN) {
        rest = match block.find(THINK_CLOSE) {
            Some(close) => &block[close + THINK_CLOSE.len()..],
            None => "",
        };
    }
    Some(rest)
}

/// A tool call whose arguments the provider carries parsed (Anthropic `input`, Bedrock
/// `toolUse.input`, Gemini `args`) at `arguments`: a call without them has an empty object.
pub(crate) fn parsed_call(call: &Value, arguments: &str) -> ToolCall {
    ToolCall {
        name: call
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        arguments: Arguments::Value(
            call.get(arguments)
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
        ),
    }
}

/// The answer of a response holding `calls` and `text`: the calls when there is at least one,
/// whatever the text beside them (a forced tool call is how JSON is asked for, and text next to
/// it is a preamble); else the text, [`Output::Empty`] when it is blank. Every provider's
/// reader decides by this one rule. The text's reasoning is removed as [`text_answer`]
/// removes it; whether there was some comes back beside the output.
pub(crate) fn calls_or_text(calls: Vec<ToolCall>, text: String) -> (Output, bool) {
    if calls.is_empty() {
        text_answer(text)
    } else {
        (Output::ToolCalls(calls), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> (Output, bool) {
        text_answer(text.to_owned())
    }

    #[test]
    fn reasoning_before_the_answer_is_not_the_answer() {
        let text = "<think>\nThe user wants {\"a\": 0}? No: [1].\n</think>\n\n{\"a\": 1}";
        assert_eq!(answer(text), (Output::Text("\n\n{\"a\": 1}".into()), true));
        // Two blocks, and whitespace before the first.
        let text = "  <think>a</think> <think>{b}</think>[2]";
        assert_eq!(answer(text), (Output::Text("[2]".into()), true));
        // The chat template opened the block: only its end is in the answer.
        let text = "Okay, {\"a\": 0} is wrong.\n</think>\n```json\n{\"a\": 1}\n```";
        assert_eq!(
            answer(text),
            (Output::Text("\n```json\n{\"a\": 1}\n```".into()), true)
        );
    }

    #[test]
    fn reasoning_cut_off_leaves_no_answer() {
        assert_eq!(answer("<think>first, {\"a\": "), (Output::Empty, true));
        assert_eq!(answer("<think>x</think>  \n"), (Output::Empty, true));
        assert_eq!(answer("<think>x</think><think>y"), (Output::Empty, true));
    }

    #[test]
    fn text_without_reasoning_is_kept_as_it_is() {
        assert_eq!(
            answer(" {\"a\": 1}"),
            (Output::Text(" {\"a\": 1}".into()), false)
        );
        // A value that holds the tags is an answer, not reasoning.
        let text = "{\"note\": \"</think>\"}";
        assert_eq!(answer(text), (Output::Text(text.into()), false));
        // A block later in the text is not reasoning before the answer.
        let text = "[1] <think>x</think>";
        assert_eq!(answer(text), (Output::Text(text.into()), false));
        assert_eq!(answer("  "), (Output::Empty, false));
    }
}
