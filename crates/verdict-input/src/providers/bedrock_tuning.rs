//! Amazon Bedrock's fine-tuning test-set shapes (the batch *output* shapes of Bedrock live
//! apart): Anthropic Claude fine-tuning, as Bedrock's "Prepare the datasets" page for Claude 3
//! Haiku and Anthropic's Bedrock fine-tuning cookbook describe it, and Amazon Nova
//! customisation, as Bedrock's Nova supervised fine-tuning data preparation pages describe it.
//!
//! - [`CLAUDE_LINE`], an expected line: `{"system", "messages": [{"role", "content"}, ...]}`
//!   with `user` and `assistant` messages, each `content` a string (or Anthropic text blocks);
//!   the last `assistant` message holds the expected output, `system` is the system
//!   instruction.
//! - [`NOVA_LINE`], an expected line: `{"schemaVersion": "bedrock-conversation-2024", "system":
//!   [{"text"}], "messages": [{"role", "content": [{"text"}, {"image"}, {"video"}, ...]}]}`
//!   (the Converse API's shape); the text blocks of the last `assistant` message hold the
//!   expected output (a `reasoningContent` block is not the answer). When that message holds
//!   `toolUse` blocks (`{"toolUseId", "name", "input"}`), the expected answer is the calls:
//!   each block's `name` and `input` (a JSON object), whatever text is beside them, as a
//!   response's calls win over its text. An image or video block counts in the request hash by
//!   its S3 URI.

use serde_json::{Map, Value};

use super::openai::{before_answer, chat_hashes, messages_prompt, openai_text, text_parts, texts};
use super::{ExpectedCalls, ExpectedShape, RequestHashes, UserPart, parse_answer, request_hashes};
use crate::kind_of;
use crate::prompt::{Part, Prompt};
use verdict_core::error::{Error, Location, Result};
use verdict_core::tools::{ToolCallForm, expected_value};

/// The one `schemaVersion` of the Bedrock conversation shape.
const NOVA_SCHEMA: &str = "bedrock-conversation-2024";

/// A Bedrock Claude fine-tuning line, recognised by its `system` beside `messages` (without
/// one, the line is an OpenAI chat line, read alike).
pub(crate) const CLAUDE_LINE: ExpectedShape = ExpectedShape {
    name: "a Bedrock Claude fine-tuning line {\"system\", \"messages\": [...]}",
    matches: |obj| obj.contains_key("messages") && obj.contains_key("system"),
    read: claude_line,
    fast: None,
    prompt: Some(claude_prompt),
};

/// A Bedrock conversation (Nova) line, recognised by its `schemaVersion`.
pub(crate) const NOVA_LINE: ExpectedShape = ExpectedShape {
    name: "a Bedrock Nova line {\"schemaVersion\": \"bedrock-conversation-2024\", ...}",
    matches: |obj| obj.contains_key("schemaVersion"),
    read: nova_line,
    fast: None,
    prompt: Some(nova_prompt),
};

fn messages<'a>(
    obj: &'a Map<String, Value>,
    fail: &impl Fn(String) -> Error,
) -> Result<&'a [Value]> {
    match obj.get("messages") {
        Some(Value::Array(messages)) => Ok(messages),
        other => Err(fail(format!(
            "\"messages\" must be an array of messages, found {}",
            other.map_or("none", kind_of)
        ))),
    }
}

fn last_assistant<'a>(messages: &'a [Value], fail: &impl Fn(String) -> Error) -> Result<&'a Value> {
    messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        .ok_or_else(|| fail("\"messages\" has no message with role \"assistant\": the last assistant message holds the expected output".into()))
}

/// The request hashes and expected output of a Bedrock Claude fine-tuning line.
fn claude_line(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
    let fail = |message: String| {
        Error::line(
            location.clone(),
            format!("Bedrock Claude fine-tuning line: {message}"),
        )
    };
    let messages = messages(obj, &fail)?;
    let answer = last_assistant(messages, &fail)?;
    let text = openai_text(answer.get("content").unwrap_or(&Value::Null));
    let expected = parse_answer(
        location,
        &text,
        "the last assistant message of the Bedrock Claude fine-tuning line",
    )?;
    let system = obj.get("system").filter(|s| !s.is_null());
    Ok((Some(chat_hashes(messages, system)), expected, None))
}

/// The request hashes and expected output of a Bedrock Nova line.
fn nova_line(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
    let fail =
        |message: String| Error::line(location.clone(), format!("Bedrock Nova line: {message}"));
    let version = &obj["schemaVersion"];
    if version.as_str() != Some(NOVA_SCHEMA) {
        return Err(fail(format!(
            "\"schemaVersion\" is {version}: the only Bedrock conversation schema is \"{NOVA_SCHEMA}\""
        )));
    }
    let messages = messages(obj, &fail)?;
    let answer = last_assistant(messages, &fail)?;
    let blocks = answer
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let calls = nova_calls(blocks, &fail)?;
    let expected = match &calls {
        Some(calls) => expected_value(calls, ToolCallForm::default()),
        None => {
            let text: String = blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect();
            parse_answer(
                location,
                &text,
                "the last assistant message of the Bedrock Nova line",
            )?
        }
    };
    let user_turns: Vec<Vec<UserPart<'_>>> = messages
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(|m| match m.get("content") {
            Some(Value::Array(blocks)) => blocks.iter().map(nova_block).collect(),
            other => vec![UserPart::Other(other.unwrap_or(&Value::Null))],
        })
        .collect();
    let system: Option<Vec<UserPart<'_>>> = match obj.get("system") {
        None | Some(Value::Null) => None,
        Some(Value::Array(blocks)) => Some(blocks.iter().map(nova_block).collect()),
        Some(other) => Some(vec![UserPart::Other(other)]),
    };
    Ok((
        Some(request_hashes(system.as_deref(), &user_turns)),
        expected,
        calls,
    ))
}

/// The calls of the `toolUse` blocks of an expected assistant message, `None` when it has
/// none. Expected calls are ground truth: each must name its tool and give its `input` as a
/// JSON object.
fn nova_calls(blocks: &[Value], fail: &impl Fn(String) -> Error) -> Result<Option<ExpectedCalls>> {
    const SHAPE: &str =
        "{\"toolUse\": {\"toolUseId\": \"...\", \"name\": \"...\", \"input\": {...}}}";
    let uses: Vec<&Value> = blocks.iter().filter_map(|b| b.get("toolUse")).collect();
    if uses.is_empty() {
        return Ok(None);
    }
    let mut calls = Vec::with_capacity(uses.len());
    for (i, call) in uses.into_iter().enumerate() {
        let what = format!("toolUse block {} of the last assistant message", i + 1);
        let Some(name) = call.get("name").and_then(Value::as_str) else {
            return Err(fail(format!("{what} has no tool name: expected {SHAPE}")));
        };
        match call.get("input") {
            Some(input @ Value::Object(_)) => calls.push((name.to_owned(), input.clone())),
            other => {
                return Err(fail(format!(
                    "the \"input\" of {what} must be a JSON object, found {}: expected {SHAPE}",
                    other.map_or("none", kind_of)
                )));
            }
        }
    }
    Ok(Some(calls))
}

/// What a Bedrock Claude fine-tuning line asks: its `system` (a string, or text blocks) and its
/// messages before the last assistant message, whose contents are strings or text blocks.
fn claude_prompt(location: &Location, obj: &Map<String, Value>) -> Result<Prompt> {
    const PREFIX: &str = "Bedrock Claude fine-tuning line: ";
    let messages = obj["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let system = match obj.get("system") {
        None | Some(Value::Null) => Vec::new(),
        Some(system) => texts(system, "block")
            .map_err(|why| Error::line(location.clone(), format!("{PREFIX}\"system\" {why}")))?,
    };
    let before = before_answer(location, PREFIX, messages, "assistant")?;
    messages_prompt(
        location,
        PREFIX,
        before,
        system,
        "assistant",
        |content, _| text_parts(content, "block"),
    )
}

/// What a Bedrock Nova line asks: its `system` text blocks and its messages before the last
/// assistant message, whose text blocks are the turns. Bedrock's other blocks (an image or a
/// video in S3, a document) are refused naming the block: no request shape verdict writes
/// carries them.
fn nova_prompt(location: &Location, obj: &Map<String, Value>) -> Result<Prompt> {
    const PREFIX: &str = "Bedrock Nova line: ";
    let messages = obj["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let blocks = |value: &Value| -> std::result::Result<Vec<String>, String> {
        match value {
            Value::Array(_) => texts(value, "block"),
            other => Err(format!(
                "must be an array of content blocks, found {}",
                kind_of(other)
            )),
        }
    };
    let system = match obj.get("system") {
        None | Some(Value::Null) => Vec::new(),
        Some(system) => blocks(system)
            .map_err(|why| Error::line(location.clone(), format!("{PREFIX}\"system\" {why}")))?,
    };
    let before = before_answer(location, PREFIX, messages, "assistant")?;
    messages_prompt(
        location,
        PREFIX,
        before,
        system,
        "assistant",
        |content, _| Ok(blocks(content)?.into_iter().map(Part::Text).collect()),
    )
}

/// A Converse content block as a hashable part: its text, an image's or video's S3 URI, or
/// its JSON.
fn nova_block(block: &Value) -> UserPart<'_> {
    if let Some(text) = block.get("text").and_then(Value::as_str) {
        return UserPart::Text(text);
    }
    let uri = ["image", "video", "document"].iter().find_map(|kind| {
        block
            .get(*kind)?
            .pointer("/source/s3Location/uri")?
            .as_str()
    });
    match uri {
        Some(uri) => UserPart::File(uri),
        None => UserPart::Other(block),
    }
}

#[cfg(test)]
mod tests {
    use crate::expected::detect;
    use serde_json::json;
    use verdict_core::error::Location;

    fn loc() -> Location {
        Location {
            path: "expected.jsonl".into(),
            line: 6,
        }
    }

    #[test]
    fn claude_lines_hash_their_system_like_an_openai_system_message() {
        let claude = json!({"system": "s", "messages": [{"role": "user", "content": "q"},
            {"role": "assistant", "content": "{\"a\": 1}"}]});
        let ex = detect(loc(), claude).unwrap();
        assert_eq!(ex.expected, json!({"a": 1}));
        let chat = json!({"messages": [{"role": "system", "content": "s"},
            {"role": "user", "content": "q"}, {"role": "assistant", "content": "[]"}]});
        assert_eq!(ex.keys, detect(loc(), chat).unwrap().keys);
    }

    #[test]
    fn nova_lines_take_the_text_blocks_and_hash_media_by_uri() {
        let nova = |system: serde_json::Value, uri: &str| {
            json!({"schemaVersion": "bedrock-conversation-2024", "system": system,
            "messages": [
                {"role": "user", "content": [{"text": "q"},
                    {"video": {"format": "mp4", "source": {"s3Location": {"uri": uri, "bucketOwner": "1"}}}}]},
                {"role": "assistant", "content": [{"reasoningContent": {"reasoningText": {"text": "[9]"}}}, {"text": "[1]"}]}
            ]})
        };
        let a = detect(loc(), nova(json!([{"text": "s"}]), "s3://b/1.mp4")).unwrap();
        assert_eq!(a.expected, json!([1]));
        let b = detect(loc(), nova(json!([{"text": "s"}]), "s3://b/2.mp4")).unwrap();
        assert_ne!(a.keys.content, b.keys.content);
        let c = detect(loc(), nova(json!([{"text": "other"}]), "s3://b/1.mp4")).unwrap();
        assert_eq!(a.keys.content, c.keys.content);
        assert_ne!(a.keys.system, c.keys.system);
    }

    fn nova_answer(content: serde_json::Value) -> serde_json::Value {
        json!({"schemaVersion": "bedrock-conversation-2024", "messages": [
            {"role": "user", "content": [{"text": "What is the weather in Seattle?"}]},
            {"role": "assistant", "content": content}]})
    }

    #[test]
    fn nova_tool_use_blocks_are_the_expected_calls_whatever_text_is_beside_them() {
        let line = nova_answer(json!([{"text": "Let me look that up."},
            {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Seattle"}}},
            {"toolUse": {"toolUseId": "tooluse_2", "name": "get_time", "input": {}}}]));
        let ex = detect(loc(), line).unwrap();
        assert_eq!(ex.expected, json!([{"city": "Seattle"}, {}]));
        assert_eq!(
            ex.expected_calls,
            Some(vec![
                ("get_weather".to_owned(), json!({"city": "Seattle"})),
                ("get_time".to_owned(), json!({}))
            ])
        );
        let err = |content| detect(loc(), nova_answer(content)).unwrap_err().to_string();
        let shape =
            "expected {\"toolUse\": {\"toolUseId\": \"...\", \"name\": \"...\", \"input\": {...}}}";
        assert_eq!(
            err(json!([{"toolUse": {"toolUseId": "t", "name": "f", "input": "{\"a\": 1}"}}])),
            format!(
                "expected.jsonl:6: Bedrock Nova line: the \"input\" of toolUse block 1 of the last assistant message must be a JSON object, found a string: {shape}"
            )
        );
        assert_eq!(
            err(json!([{"toolUse": {"toolUseId": "t", "input": {}}}])),
            format!(
                "expected.jsonl:6: Bedrock Nova line: toolUse block 1 of the last assistant message has no tool name: {shape}"
            )
        );
    }

    #[test]
    fn prompts_carry_text_blocks_and_refuse_other_blocks() {
        let prompt = |v| crate::expected::detect_with_prompt(loc(), v).map(|(_, p)| p);
        let nova = json!({"schemaVersion": "bedrock-conversation-2024",
            "system": [{"text": "s"}], "messages": [
            {"role": "user", "content": [{"text": "q"}, {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://b/1.png"}}}}]},
            {"role": "assistant", "content": [{"text": "[]"}]}]});
        let err = prompt(nova).unwrap_err().to_string();
        assert!(
            err.starts_with("expected.jsonl:6: Bedrock Nova line: a message with role \"user\" has a block other than text ({\"image\":"),
            "{err}"
        );
        assert!(
            err.ends_with("verdict requests carries only text from this shape"),
            "{err}"
        );
        let claude = json!({"system": "s", "messages": [{"role": "user", "content": "q"},
            {"role": "assistant", "content": "[]"}, {"role": "user", "content": "again"}]});
        assert_eq!(
            prompt(claude).unwrap_err().to_string(),
            "expected.jsonl:6: Bedrock Claude fine-tuning line: a message with role \"user\" follows the last assistant message (the expected output): a request cannot be built from this line"
        );
        let claude = json!({"system": [{"type": "text", "text": "s"}], "messages": [
            {"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"},
            {"role": "user", "content": [{"type": "text", "text": "q2"}]},
            {"role": "assistant", "content": "[]"}]});
        let p = prompt(claude).unwrap();
        assert_eq!(p.system, ["s"]);
        assert_eq!(
            p.turns.iter().map(|t| t.assistant).collect::<Vec<_>>(),
            [false, true, false]
        );
    }

    #[test]
    fn refusals_name_the_shape() {
        let err = |v| detect(loc(), v).unwrap_err().to_string();
        assert_eq!(
            err(json!({"schemaVersion": "bedrock-conversation-2023", "messages": []})),
            "expected.jsonl:6: Bedrock Nova line: \"schemaVersion\" is \"bedrock-conversation-2023\": the only Bedrock conversation schema is \"bedrock-conversation-2024\""
        );
        assert_eq!(
            err(
                json!({"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": [{"text": "q"}]}]})
            ),
            "expected.jsonl:6: Bedrock Nova line: \"messages\" has no message with role \"assistant\": the last assistant message holds the expected output"
        );
        assert_eq!(
            err(json!({"system": "s", "messages": "q"})),
            "expected.jsonl:6: Bedrock Claude fine-tuning line: \"messages\" must be an array of messages, found a string"
        );
        assert!(
            err(json!({"system": "s", "messages": [{"role": "assistant", "content": "Sure"}]})).starts_with(
                "expected.jsonl:6: the text of the last assistant message of the Bedrock Claude fine-tuning line is not valid JSON"
            )
        );
    }
}
