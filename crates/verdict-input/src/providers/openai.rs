//! OpenAI: its test-set and batch-output line shapes.
//!
//! - [`CHAT_LINE`], an expected line: the chat fine-tuning format, `{"messages": [{"role",
//!   "content"}, ...]}`, whose last `assistant` message holds the expected output. A `content`
//!   is a string or an array of content parts (`{"type": "text", "text"}`,
//!   `{"type": "image_url", "image_url": {"url"}}`).
//! - [`BATCH_LINE`], a prediction line: a line of a Batch API output file, `{"id",
//!   "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`, whose `body`
//!   is a Chat Completions response (`choices[].message.content`, `refusal`,
//!   `finish_reason`); and a line of its separate error file (`response` null, `error` set).
//!
//! OpenAI Batch lines join by their `custom_id`, never by `id` (the provider's request id).

use serde_json::{Map, Value};

use super::{
    ExpectedShape, PredictedShape, RequestHashes, UserPart, non_empty_str, parse_answer,
    request_hashes, text_or_empty,
};
use crate::{Keys, Output, explicit_key, kind_of};
use verdict_core::error::{Error, Location, Result};

/// An OpenAI chat fine-tuning line, recognised by its `messages`.
pub(crate) const CHAT_LINE: ExpectedShape = ExpectedShape {
    name: "an OpenAI chat line {\"messages\": [...]}",
    matches: |obj| obj.contains_key("messages"),
    read: chat_line,
    fast: None,
};

/// An OpenAI Batch API output (or error file) line, recognised by its `custom_id`.
pub(crate) const BATCH_LINE: PredictedShape = PredictedShape {
    matches: |obj| obj.contains_key("custom_id"),
    read: batch_line,
    fast: None,
};

/// The request hash and expected output of an OpenAI chat fine-tuning line.
fn chat_line(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value)> {
    let messages = &obj["messages"];
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
    Ok((Some(chat_hashes(messages, None)), expected))
}

/// The request hashes of a list of chat `messages` (`{"role", "content"}`): the `user`
/// messages' contents, and the `system` (or `developer`) messages' as the system instruction,
/// after `system`, one given beside the messages (Anthropic's and Bedrock's top-level
/// `system`). A request with neither has no system instruction.
pub(crate) fn chat_hashes(messages: &[Value], system: Option<&Value>) -> RequestHashes {
    let with_role = |role: &'static [&'static str]| {
        messages.iter().filter(move |m| {
            m.get("role")
                .and_then(Value::as_str)
                .is_some_and(|r| role.contains(&r))
        })
    };
    let user_turns: Vec<Vec<UserPart<'_>>> = with_role(&["user"])
        .map(|m| openai_user_parts(m.get("content").unwrap_or(&Value::Null)))
        .collect();
    let mut system_parts: Option<Vec<UserPart<'_>>> = system.map(openai_user_parts);
    for message in with_role(&["system", "developer"]) {
        let parts = openai_user_parts(message.get("content").unwrap_or(&Value::Null));
        system_parts.get_or_insert_with(Vec::new).extend(parts);
    }
    request_hashes(system_parts.as_deref(), &user_turns)
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

/// A message `content` as hashable parts: a string, or an array of parts whose `text` is a
/// text, whose `image_url.url` a file, and anything else its JSON.
pub(crate) fn openai_user_parts(content: &Value) -> Vec<UserPart<'_>> {
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

/// The keys, output and finish reason of an OpenAI Batch output line: `custom_id` as its
/// explicit key, no content key (the line does not echo its request).
fn batch_line(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Keys, Output, Option<String>)> {
    let explicit = explicit_key(obj, &["custom_id"], location)?;
    let (output, finish) = openai_batch(obj);
    Ok((
        Keys {
            explicit,
            content: None,
            system: None,
        },
        output,
        finish,
    ))
}

fn openai_batch(obj: &Map<String, Value>) -> (Output, Option<String>) {
    if let Some(error) = non_empty_str(obj.get("error")) {
        return (Output::Failed(error), None);
    }
    let Some(response) = obj.get("response").filter(|r| !r.is_null()) else {
        return (Output::Failed("no response".into()), None);
    };
    let status = response.get("status_code").and_then(Value::as_u64);
    if status != Some(200) {
        let detail = non_empty_str(response.pointer("/body/error")).unwrap_or_default();
        let code = status.map_or_else(|| "no status_code".to_owned(), |c| format!("HTTP {c}"));
        let reason = if detail.is_empty() {
            code
        } else {
            format!("{code}: {detail}")
        };
        return (Output::Failed(reason), None);
    }
    let Some(choice) = response
        .pointer("/body/choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return (Output::Failed("no choices".into()), None);
    };
    let finish = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if finish.as_deref() == Some("content_filter") {
        return (Output::Failed("blocked: content_filter".into()), finish);
    }
    let message = choice.get("message").unwrap_or(&Value::Null);
    if let Some(refusal) = non_empty_str(message.get("refusal")) {
        return (Output::Failed(format!("refusal: {refusal}")), finish);
    }
    let text = openai_text(message.get("content").unwrap_or(&Value::Null));
    (text_or_empty(text), finish)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Prediction;
    use serde_json::json;

    #[test]
    fn openai_chat_line_takes_the_last_assistant_message() {
        let loc = Location {
            path: "expected.jsonl".into(),
            line: 3,
        };
        let line = json!({"messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "{\"intent\": \"refund\"}"}
        ]});
        assert_eq!(
            crate::expected::detect(loc, line).unwrap().expected,
            json!({"intent": "refund"})
        );
    }

    fn detect_ok(line: Value) -> Prediction {
        crate::predicted::detect(
            Location {
                path: "p.jsonl".into(),
                line: 1,
            },
            line,
        )
        .unwrap()
    }

    #[test]
    fn openai_batch_joins_by_custom_id_not_the_provider_id() {
        let p = detect_ok(json!({
            "id": "batch_req_123", "custom_id": "clip-7",
            "response": {"status_code": 200, "request_id": "r", "body": {"choices": [
                {"index": 0, "message": {"role": "assistant", "content": "{}"}, "finish_reason": "length"}
            ]}},
            "error": null
        }));
        assert_eq!(p.keys.explicit.as_deref(), Some("clip-7"));
        assert_eq!(p.output, Output::Text("{}".into()));
        assert_eq!(p.finish_reason.as_deref(), Some("length"));
    }

    #[test]
    fn openai_batch_failures() {
        let p = detect_ok(
            json!({"custom_id": "a", "response": null, "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}),
        );
        assert_eq!(
            p.output,
            Output::Failed(
                "This request could not be executed before the completion window expired.".into()
            )
        );
        let p = detect_ok(
            json!({"custom_id": "a", "response": {"status_code": 400, "body": {"error": {"message": "bad"}}}, "error": null}),
        );
        assert_eq!(p.output, Output::Failed("HTTP 400: bad".into()));
        let p = detect_ok(
            json!({"custom_id": "a", "response": {"status_code": 200, "body": {"choices": [{"message": {"content": null, "refusal": "no"}, "finish_reason": "stop"}]}}}),
        );
        assert_eq!(p.output, Output::Failed("refusal: no".into()));
    }
}
