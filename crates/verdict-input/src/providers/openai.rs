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
    ExpectedShape, PredictedShape, UserPart, content_hash, non_empty_str, parse_answer,
    text_or_empty,
};
use crate::prompt::{Family, Part, Prompt, Turn};
use crate::{Keys, Output, explicit_key, kind_of};
use verdict_core::error::{Error, Location, Result};

/// An OpenAI chat fine-tuning line, recognised by its `messages`.
pub(crate) const CHAT_LINE: ExpectedShape = ExpectedShape {
    name: "an OpenAI chat line {\"messages\": [...]}",
    matches: |obj| obj.contains_key("messages"),
    read: chat_line,
    prompt: Some(chat_prompt),
    fast: None,
};

/// An OpenAI Batch API output (or error file) line, recognised by its `custom_id`.
pub(crate) const BATCH_LINE: PredictedShape = PredictedShape {
    name: "an OpenAI Batch output line {\"custom_id\", \"response\"}",
    answer: "response.body.choices[0].message.content",
    matches: |obj| obj.contains_key("custom_id"),
    read: batch_line,
    fast: None,
};

/// The request hash and expected output of an OpenAI chat fine-tuning line.
fn chat_line(location: &Location, obj: &Map<String, Value>) -> Result<(Option<String>, Value)> {
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
    let user_turns: Vec<Vec<UserPart<'_>>> = messages
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(|m| openai_user_parts(m.get("content").unwrap_or(&Value::Null)))
        .collect();
    Ok((Some(content_hash(&user_turns)), expected))
}

/// What an OpenAI chat fine-tuning line asks: its system (and developer) messages, and the
/// messages before its last assistant message. A message after the answer, or one of another
/// role (`tool`, `function`), is refused: the request written would not be the line's.
fn chat_prompt(location: &Location, obj: &Map<String, Value>) -> Result<Prompt> {
    let messages = obj["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let role = |m: &Value| {
        m.get("role")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let Some(answer) = messages.iter().rposition(|m| role(m) == "assistant") else {
        return Err(Error::line(
            location.clone(),
            "\"messages\" has no message with role \"assistant\": the last assistant message holds the expected output",
        ));
    };
    if let Some(after) = messages.get(answer + 1) {
        return Err(Error::line(
            location.clone(),
            format!(
                "a message with role {:?} follows the last assistant message (the expected output): a request cannot be built from this line",
                role(after)
            ),
        ));
    }
    let mut system: Vec<String> = Vec::new();
    let mut turns = Vec::new();
    for message in &messages[..answer] {
        let content = message.get("content").unwrap_or(&Value::Null);
        match role(message).as_str() {
            "system" | "developer" => system.push(openai_text(content)),
            "user" => turns.push(Turn {
                assistant: false,
                parts: openai_prompt_parts(content),
            }),
            "assistant" => turns.push(Turn {
                assistant: true,
                parts: vec![Part::Text(openai_text(content))],
            }),
            other => {
                return Err(Error::line(
                    location.clone(),
                    format!(
                        "a message with role {other:?} comes before the expected output: verdict requests carries system, developer, user and assistant messages only"
                    ),
                ));
            }
        }
    }
    if turns.last().is_none_or(|t| t.assistant) {
        return Err(Error::line(
            location.clone(),
            "no user message comes right before the last assistant message: a request needs the user's turn",
        ));
    }
    Ok(Prompt {
        system: (!system.is_empty()).then(|| system.join("\n\n")),
        turns,
    })
}

fn openai_prompt_parts(content: &Value) -> Vec<Part> {
    match content {
        Value::String(s) => vec![Part::Text(s.clone())],
        Value::Array(parts) => parts
            .iter()
            .map(|p| match p.get("text").and_then(Value::as_str) {
                Some(text) => Part::Text(text.to_owned()),
                None => Part::Native(Family::OpenAi, p.clone()),
            })
            .collect(),
        other => vec![Part::Native(Family::OpenAi, other.clone())],
    }
}

/// The text of an OpenAI message `content`: a string, or an array of `{"type": "text"}` parts.
fn openai_text(content: &Value) -> String {
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
    use crate::prompt::{Family, Part};
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

    fn prompt_of(line: Value) -> Result<Prompt> {
        let loc = Location {
            path: "expected.jsonl".into(),
            line: 2,
        };
        crate::expected::detect_with_prompt(loc, line).map(|(_, prompt)| prompt)
    }

    #[test]
    fn a_chat_line_asks_its_system_and_turns_before_the_answer() {
        let prompt = prompt_of(json!({"messages": [
            {"role": "system", "content": "s1"},
            {"role": "developer", "content": [{"type": "text", "text": "s2"}]},
            {"role": "user", "content": "q1"},
            {"role": "assistant", "content": "{\"a\": 0}"},
            {"role": "user", "content": [{"type": "text", "text": "q2"}, {"type": "image_url", "image_url": {"url": "https://x/1.png"}}]},
            {"role": "assistant", "content": "{\"a\": 1}"}
        ]}))
        .unwrap();
        assert_eq!(prompt.system.as_deref(), Some("s1\n\ns2"));
        assert_eq!(prompt.turns.len(), 3);
        assert!(prompt.turns[1].assistant);
        assert_eq!(prompt.turns[1].parts, vec![Part::Text("{\"a\": 0}".into())]);
        assert_eq!(
            prompt.turns[2].parts[1],
            Part::Native(
                Family::OpenAi,
                json!({"type": "image_url", "image_url": {"url": "https://x/1.png"}})
            )
        );
    }

    #[test]
    fn a_chat_line_whose_request_cannot_be_told_is_refused() {
        let err = |line: Value| prompt_of(line).unwrap_err().to_string();
        let answer = json!({"role": "assistant", "content": "{}"});
        assert_eq!(
            err(
                json!({"messages": [{"role": "user", "content": "q"}, answer, {"role": "user", "content": "thanks"}]})
            ),
            "expected.jsonl:2: a message with role \"user\" follows the last assistant message (the expected output): a request cannot be built from this line"
        );
        assert_eq!(
            err(
                json!({"messages": [{"role": "user", "content": "q"}, {"role": "tool", "content": "r"}, answer]})
            ),
            "expected.jsonl:2: a message with role \"tool\" comes before the expected output: verdict requests carries system, developer, user and assistant messages only"
        );
        assert_eq!(
            err(json!({"messages": [{"role": "system", "content": "s"}, answer]})),
            "expected.jsonl:2: no user message comes right before the last assistant message: a request needs the user's turn"
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
