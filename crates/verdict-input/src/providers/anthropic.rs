//! Anthropic: the batch-output line shapes that carry a Claude message, and the reading of an
//! Anthropic Messages API response that Bedrock's Claude lines share ([`message_output`]).
//!
//! - [`BATCH_RESULT`], a prediction line: a line of a Message Batches results file (the
//!   `.jsonl` served at the batch's `results_url`, "Retrieve Message Batch results" in the
//!   Anthropic API reference), `{"custom_id", "result": {"type", "message" | "error"}}`, where
//!   `type` is `succeeded`, `errored`, `canceled` or `expired`.
//! - [`VERTEX_LINE`], a prediction line: a line of a Claude batch prediction on Vertex AI
//!   ("Batch predictions with Anthropic Claude models" in the Vertex AI documentation),
//!   `{"custom_id", "request", "response", "status"}`, whose `request` is an Anthropic Messages
//!   request and whose `response` an Anthropic message, not a Gemini response.
//!
//! A message's answer is its `text` blocks, or its `tool_use` blocks when it has any (the calls
//! win: a forced tool call is how JSON is asked for, and text beside it is a preamble).
//! `thinking` and `redacted_thinking` blocks are reasoning and never the answer.

use serde_json::{Map, Value};

use super::{
    Answered, PredictedShape, RequestHashes, UserPart, calls_or_text, non_empty_str, parsed_call,
    request_hashes,
};
use crate::{Keys, Output, explicit_key, kind_of};
use verdict_core::error::{Error, Location, Result};

/// An Anthropic Message Batches result line, recognised by a `result` object with a `type`.
/// Name: "an Anthropic Message Batches result line". Answer: `result.message.content[].text`
/// (or its `tool_use` blocks).
pub(crate) const BATCH_RESULT: PredictedShape = PredictedShape {
    name: "an Anthropic Message Batches result line {\"custom_id\", \"result\"}",
    answer: "result.message.content[].text (or its tool_use blocks)",
    matches: |obj| {
        obj.get("result")
            .and_then(|r| r.get("type"))
            .is_some_and(Value::is_string)
    },
    read: batch_result,
    fast: None,
};

/// A Claude batch prediction output line of Vertex AI, recognised by a `response` that is an
/// Anthropic message (a `content` array, a `stop_reason`, or `"type": "message"` / `"error"`)
/// or, for a failed request with no response, by a `request` with Anthropic `messages` or an
/// `anthropic_version` (a Gemini request has `contents`). Name: "a Claude on Vertex AI batch
/// output line". Answer: `response.content[].text` (or its `tool_use` blocks). A line with
/// Gemini's `candidates` or `contents` is not one, whatever else it holds.
pub(crate) const VERTEX_LINE: PredictedShape = PredictedShape {
    name: "a Claude on Vertex AI batch output line {\"request\", \"response\"}",
    answer: "response.content[].text (or its tool_use blocks)",
    matches: |obj| {
        let response = obj.get("response").and_then(Value::as_object);
        let request = obj.get("request").and_then(Value::as_object);
        // Gemini's marks (`candidates`, `contents`) leave a line to the Gemini shape.
        let gemini = response.is_some_and(|r| r.contains_key("candidates"))
            || request.is_some_and(|r| r.contains_key("contents"));
        !gemini
            && (response.is_some_and(is_message)
                || (response.is_none_or(Map::is_empty)
                    && request.is_some_and(|r| {
                        r.contains_key("anthropic_version") || r.contains_key("messages")
                    })))
    },
    read: vertex_line,
    fast: None,
};

/// Whether a response object is an Anthropic message (or an Anthropic error response).
fn is_message(response: &Map<String, Value>) -> bool {
    matches!(
        response.get("type").and_then(Value::as_str),
        Some("message" | "error")
    ) || response.contains_key("stop_reason")
        || response.get("content").is_some_and(Value::is_array)
}

/// The keys, output and stop reason of a Message Batches result line: `custom_id` as its
/// explicit key; the results file does not echo the request, so there is no content key.
fn batch_result(location: &Location, obj: &Map<String, Value>) -> Result<(Keys, Answered)> {
    let explicit = explicit_key(obj, &["custom_id"], location)?;
    let result = &obj["result"];
    let answered = match result["type"].as_str().unwrap_or_default() {
        "succeeded" => match result.get("message") {
            Some(message @ Value::Object(_)) => message_output(message),
            other => {
                return Err(Error::line(
                    location.clone(),
                    format!(
                        "a \"succeeded\" result must hold its \"message\" object, found {}",
                        other.map_or("none", kind_of)
                    ),
                ));
            }
        },
        "errored" => Answered::plain(Output::Failed(errored(result.get("error"))), None),
        kind @ ("canceled" | "expired") => Answered::plain(Output::Failed(kind.to_owned()), None),
        other => {
            return Err(Error::line(
                location.clone(),
                format!(
                    "\"result.type\" is \"{other}\": expected \"succeeded\", \"errored\", \"canceled\" or \"expired\" (an Anthropic Message Batches result line)"
                ),
            ));
        }
    };
    let keys = Keys {
        explicit,
        content: None,
        system: None,
    };
    Ok((keys, answered))
}

/// The reason of an `errored` result: "errored: TYPE: MESSAGE". The API nests the error
/// response (`{"type": "error", "error": {"type", "message"}}`); a flat `{"type", "message"}`
/// is read too.
fn errored(error: Option<&Value>) -> String {
    let inner = error
        .and_then(|e| e.get("error"))
        .filter(|e| e.is_object())
        .or(error);
    match inner.map(error_detail).filter(|d| !d.is_empty()) {
        Some(detail) => format!("errored: {detail}"),
        None => "errored".into(),
    }
}

/// "TYPE: MESSAGE" of an Anthropic error object, either part alone when the other is missing;
/// any other value as [`non_empty_str`] gives it.
fn error_detail(error: &Value) -> String {
    let part = |key: &str| {
        error
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    match (part("type"), part("message")) {
        (Some(kind), Some(message)) => format!("{kind}: {message}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => non_empty_str(Some(error)).unwrap_or_default(),
    }
}

/// The keys, output and stop reason of a Claude batch line of Vertex AI: `custom_id` as its
/// explicit key, the hashes of the request's user turns and system prompt as its content keys.
fn vertex_line(location: &Location, obj: &Map<String, Value>) -> Result<(Keys, Answered)> {
    let explicit = explicit_key(obj, &["custom_id"], location)?;
    let (content, system) = obj
        .get("request")
        .and_then(messages_hashes)
        .map_or((None, None), |h| (Some(h.content), h.system));
    let response = obj
        .get("response")
        .filter(|r| r.as_object().is_some_and(|o| !o.is_empty()));
    let answered = match response {
        Some(message) => message_output(message),
        None => {
            let reason = non_empty_str(obj.get("status"))
                .or_else(|| non_empty_str(obj.get("error")))
                .unwrap_or_else(|| "no response".into());
            Answered::plain(Output::Failed(reason), None)
        }
    };
    Ok((
        Keys {
            explicit,
            content,
            system,
        },
        answered,
    ))
}

/// The request hashes of a Messages API request (Anthropic's, or a Bedrock Claude or Nova
/// `modelInput`): its `messages`' user turns, and its top-level `system` (a string or blocks)
/// as the system instruction, read as the test-set shapes with a `system` read it. `None`
/// when it has no `messages`.
pub(crate) fn messages_hashes(request: &Value) -> Option<RequestHashes> {
    let messages = request.get("messages")?.as_array()?;
    let system = request
        .get("system")
        .filter(|s| !s.is_null())
        .map(super::openai::openai_user_parts);
    Some(request_hashes(system.as_deref(), &user_turns(messages)))
}

/// The answer and stop reason of an Anthropic Messages API response (`{"type": "message",
/// "content": [...], "stop_reason"}`): the `tool_use` blocks when there are any, else the
/// text of the `text` blocks. Reasoning (`thinking`, `redacted_thinking`) and server-side tool
/// blocks are skipped; reasoning marks the answer as having some. A `refusal` stop is a failed request; `max_tokens` is a truncated
/// answer, scored. An error response (`"type": "error"`) is a failed request with its reason.
pub(crate) fn message_output(message: &Value) -> Answered {
    if message.get("type").and_then(Value::as_str) == Some("error") {
        let detail = message.get("error").map(error_detail).unwrap_or_default();
        let reason = if detail.is_empty() {
            "error".to_owned()
        } else {
            detail
        };
        return Answered::plain(Output::Failed(reason), None);
    }
    let finish = message
        .get("stop_reason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if finish.as_deref() == Some("refusal") {
        return Answered::plain(Output::Failed("refusal".into()), finish);
    }
    let blocks = message
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut text = String::new();
    let mut calls = Vec::new();
    let mut thinking = false;
    for block in blocks {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => text.push_str(block.get("text").and_then(Value::as_str).unwrap_or("")),
            Some("tool_use") => calls.push(parsed_call(block, "input")),
            Some("thinking" | "redacted_thinking") => thinking = true,
            _ => {}
        }
    }
    let (output, think) = calls_or_text(calls, text);
    Answered {
        output,
        finish_reason: finish,
        reasoning: thinking || think,
    }
}

/// The user turns of an Anthropic `messages` array, as hashable parts: a string `content` is
/// one text; of an array of blocks, each `text` block is a text, an image or document given
/// by URL is that URL, and any other block its JSON. The parts are those an OpenAI chat line
/// gives for the same turns, so a chat-format test set joins by request hash.
pub(crate) fn user_turns(messages: &[Value]) -> Vec<Vec<UserPart<'_>>> {
    messages
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(|m| match m.get("content").unwrap_or(&Value::Null) {
            Value::String(text) => vec![UserPart::Text(text)],
            Value::Array(blocks) => blocks.iter().map(user_part).collect(),
            other => vec![UserPart::Other(other)],
        })
        .collect()
}

/// One block of a user turn. Anthropic blocks carry `{"type": "text", "text"}`; Bedrock's
/// Converse and Nova blocks a bare `{"text"}`; both are texts.
fn user_part(block: &Value) -> UserPart<'_> {
    if let Some(text) = block.get("text").and_then(Value::as_str) {
        return UserPart::Text(text);
    }
    let uri = block
        .pointer("/source/url")
        .or_else(|| block.pointer("/image/source/s3Location/uri"))
        .or_else(|| block.pointer("/document/source/s3Location/uri"))
        .or_else(|| block.pointer("/video/source/s3Location/uri"))
        .and_then(Value::as_str);
    match uri {
        Some(uri) => UserPart::File(uri),
        None => UserPart::Other(block),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Prediction;
    use serde_json::json;
    use verdict_core::tools::{Arguments, ToolCall};

    fn detect(line: Value) -> Result<Prediction> {
        crate::predicted::detect(
            Location {
                path: "p.jsonl".into(),
                line: 1,
            },
            line,
        )
    }

    fn detect_ok(line: Value) -> Prediction {
        detect(line).unwrap()
    }

    fn message(content: Value, stop: &str) -> Value {
        json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
               "content": content, "stop_reason": stop, "stop_sequence": null,
               "usage": {"input_tokens": 10, "output_tokens": 34}})
    }

    #[test]
    fn a_succeeded_result_is_its_text_and_joins_by_custom_id_not_as_an_openai_line() {
        let p = detect_ok(json!({"custom_id": "req-1", "result": {"type": "succeeded",
            "message": message(json!([{"type": "text", "text": "{\"a\": "}, {"type": "text", "text": "1}"}]), "end_turn")}}));
        assert_eq!(p.output, Output::Text("{\"a\": 1}".into()));
        assert_eq!(p.finish_reason.as_deref(), Some("end_turn"));
        assert_eq!(p.keys.explicit.as_deref(), Some("req-1"));
        assert_eq!(p.keys.content, None);
    }

    #[test]
    fn thinking_is_never_the_answer() {
        let p = detect_ok(
            json!({"custom_id": "r", "result": {"type": "succeeded", "message": message(json!([
            {"type": "thinking", "thinking": "maybe {\"a\": 2} or [3]", "signature": "EqQB"},
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
            {"type": "text", "text": "{\"a\": 1}"}
        ]), "end_turn")}}),
        );
        assert_eq!(p.output, Output::Text("{\"a\": 1}".into()));
        let p = detect_ok(
            json!({"custom_id": "r", "result": {"type": "succeeded", "message": message(json!([
            {"type": "thinking", "thinking": "{\"a\": 2}", "signature": "EqQB"}
        ]), "max_tokens")}}),
        );
        assert_eq!(p.output, Output::Empty);
        assert_eq!(p.finish_reason.as_deref(), Some("max_tokens"));
    }

    #[test]
    fn tool_use_blocks_win_over_text_beside_them() {
        let p = detect_ok(
            json!({"custom_id": "r", "result": {"type": "succeeded", "message": message(json!([
            {"type": "text", "text": "I'll record that."},
            {"type": "tool_use", "id": "toolu_01", "name": "record", "input": {"intent": "refund"}},
            {"type": "tool_use", "id": "toolu_02", "name": "noop"}
        ]), "tool_use")}}),
        );
        assert_eq!(
            p.output,
            Output::ToolCalls(vec![
                ToolCall {
                    name: "record".into(),
                    arguments: Arguments::Value(json!({"intent": "refund"}))
                },
                ToolCall {
                    name: "noop".into(),
                    arguments: Arguments::Value(json!({}))
                }
            ])
        );
        assert_eq!(p.finish_reason.as_deref(), Some("tool_use"));
    }

    #[test]
    fn failed_results_keep_their_reason() {
        let reason =
            |result: Value| match detect_ok(json!({"custom_id": "r", "result": result})).output {
                Output::Failed(reason) => reason,
                other => panic!("{other:?}"),
            };
        assert_eq!(
            reason(
                json!({"type": "errored", "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too big"}}})
            ),
            "errored: invalid_request_error: max_tokens: too big"
        );
        assert_eq!(
            reason(
                json!({"type": "errored", "error": {"type": "overloaded_error", "message": "Overloaded"}})
            ),
            "errored: overloaded_error: Overloaded"
        );
        assert_eq!(
            reason(json!({"type": "errored", "error": {"type": "api_error"}})),
            "errored: api_error"
        );
        assert_eq!(reason(json!({"type": "errored"})), "errored");
        assert_eq!(reason(json!({"type": "expired"})), "expired");
        assert_eq!(reason(json!({"type": "canceled"})), "canceled");
        assert_eq!(
            reason(
                json!({"type": "succeeded", "message": message(json!([{"type": "text", "text": "{}"}]), "refusal")})
            ),
            "refusal"
        );
    }

    #[test]
    fn a_result_verdict_cannot_read_is_an_input_error() {
        let err = detect(json!({"custom_id": "r", "result": {"type": "pending"}}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "p.jsonl:1: \"result.type\" is \"pending\": expected \"succeeded\", \"errored\", \"canceled\" or \"expired\" (an Anthropic Message Batches result line)"
        );
        let err = detect(json!({"custom_id": "r", "result": {"type": "succeeded"}}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "p.jsonl:1: a \"succeeded\" result must hold its \"message\" object, found none"
        );
    }

    fn vertex(response: Option<Value>, status: &str) -> Value {
        let mut line = json!({"custom_id": "request-1", "request": {
            "messages": [{"role": "user", "content": "Hello!"}],
            "anthropic_version": "vertex-2023-10-16", "max_tokens": 50}, "status": status});
        if let Some(response) = response {
            line["response"] = response;
        }
        line
    }

    #[test]
    fn a_claude_line_of_vertex_ai_is_an_anthropic_message_not_a_gemini_response() {
        let p = detect_ok(vertex(
            Some(message(
                json!([{"type": "text", "text": "[1, 2"}]),
                "max_tokens",
            )),
            "",
        ));
        assert_eq!(p.output, Output::Text("[1, 2".into()));
        assert_eq!(p.finish_reason.as_deref(), Some("max_tokens"));
        assert_eq!(p.keys.explicit.as_deref(), Some("request-1"));
        // The same user text in an OpenAI chat test line gives the same hash.
        let chat = crate::expected::detect(
            Location {
                path: "e.jsonl".into(),
                line: 1,
            },
            json!({"messages": [{"role": "user", "content": "Hello!"}, {"role": "assistant", "content": "[]"}]}),
        )
        .unwrap();
        assert_eq!(p.keys.content, chat.keys.content);
        let blocks = json!([{"role": "user", "content": [{"type": "text", "text": "Hello!"}]}]);
        assert_eq!(
            Some(crate::providers::content_hash(&user_turns(
                blocks.as_array().unwrap()
            ))),
            chat.keys.content
        );
    }

    #[test]
    fn a_failed_claude_line_of_vertex_ai_gives_its_status() {
        let p = detect_ok(vertex(None, "Bad Request: max_tokens is too large"));
        assert_eq!(
            p.output,
            Output::Failed("Bad Request: max_tokens is too large".into())
        );
        let p = detect_ok(vertex(Some(json!({})), "quota exceeded"));
        assert_eq!(p.output, Output::Failed("quota exceeded".into()));
        let p = detect_ok(vertex(
            Some(
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ),
            "",
        ));
        assert_eq!(
            p.output,
            Output::Failed("overloaded_error: Overloaded".into())
        );
        let p = detect_ok(vertex(None, ""));
        assert_eq!(p.output, Output::Failed("no response".into()));
    }

    #[test]
    fn a_system_prompt_beside_the_messages_is_hashed_as_a_chat_test_lines() {
        let expected = |system: &str| {
            crate::expected::detect(
                Location {
                    path: "e.jsonl".into(),
                    line: 1,
                },
                json!({"messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": "{}"}
                ]}),
            )
            .unwrap()
            .keys
        };
        let vertex = |system: Value| {
            detect_ok(json!({"custom_id": "c1",
                "request": {"anthropic_version": "vertex-2023-10-16", "system": system,
                            "messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]}]},
                "response": {"type": "message", "role": "assistant",
                             "content": [{"type": "text", "text": "{}"}], "stop_reason": "end_turn"}}))
            .keys
        };
        let (a, b) = (expected("Be brief."), expected("Be thorough."));
        // A string and a list of text blocks are the same system prompt.
        for system in [
            json!("Be brief."),
            json!([{"type": "text", "text": "Be brief."}]),
        ] {
            let keys = vertex(system);
            assert_eq!(keys.content, a.content);
            assert_eq!(keys.system, a.system);
            assert_ne!(keys.system, b.system);
        }
        let bedrock = crate::predicted::detect(
            Location {
                path: "p.jsonl".into(),
                line: 1,
            },
            json!({"recordId": "r1", "modelInput": {"anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 9, "system": "Be thorough.",
                "messages": [{"role": "user", "content": "q"}]}}),
        )
        .unwrap();
        assert_eq!(bedrock.keys.system, b.system);
    }
}
