//! OpenAI: its test-set and batch-output line shapes.
//!
//! - [`CHAT_LINE`], an expected line: the chat fine-tuning format, `{"messages": [{"role",
//!   "content"}, ...]}`, whose last `assistant` message holds the expected output. A `content`
//!   is a string or an array of content parts (`{"type": "text", "text"}`,
//!   `{"type": "image_url", "image_url": {"url"}}`). In the function-calling format that
//!   message holds `tool_calls` (`[{"type": "function", "function": {"name", "arguments"}}]`,
//!   or the legacy `function_call`) instead: the expected answer is then the calls.
//! - [`RESPONSES_LINE`], [`COMPLETIONS_LINE`] and [`BATCH_LINE`], prediction lines: a line of
//!   a Batch API output file, `{"id",
//!   "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`, and a line of
//!   its separate error file (`response` null, `error` set). The `body` is the response of
//!   the batch's endpoint: a Chat Completions response (`/v1/chat/completions`:
//!   `choices[].message` with `content`, `refusal`, `tool_calls`, `finish_reason`), a Response
//!   (`/v1/responses`: `status`, `incomplete_details`, `error`, and `output` items: `message`
//!   with `output_text` and `refusal` parts, `function_call`, `reasoning`), or a completion
//!   (`/v1/completions`: `choices[].text`, `finish_reason`).
//!
//! Sources: the OpenAI API reference (platform.openai.com/docs/api-reference: batch
//! request output, chat completion object, response object, completion object) and the
//! fine-tuning guide's function-calling format.
//!
//! OpenAI Batch lines join by their `custom_id`, never by `id` (the provider's request id).
//! Calls win over text: an answer with at least one tool call is the calls, the text beside
//! them (usually a preamble) is ignored.

use serde_json::{Map, Value};

use super::{
    Answered, ExpectedCalls, ExpectedShape, PredictedShape, RequestHashes, UserPart, non_empty_str,
    parse_answer, request_hashes, text_answer,
};
use crate::prompt::{Family, Part, Prompt, Turn};
use crate::{Keys, Output, explicit_key, kind_of};
use verdict_core::error::{Error, Location, Result};
use verdict_core::tools::{Arguments, ToolCall, ToolCallForm, expected_value};

/// An OpenAI chat fine-tuning line, recognised by its `messages`.
pub(crate) const CHAT_LINE: ExpectedShape = ExpectedShape {
    name: "an OpenAI chat line {\"messages\": [...]}",
    matches: |obj| obj.contains_key("messages"),
    read: chat_line,
    prompt: Some(chat_prompt),
    fast: None,
};

/// An OpenAI Batch API output line of `/v1/responses`: a batch line ([`is_batch_line`]) whose
/// `response.body` is a Response (`object` `"response"`, or an `output`).
///
/// Named in messages "an OpenAI Batch output line for /v1/responses"; the answer is looked for
/// in `response.body.output[].content[].text` (the `output_text` parts of `message` items), or
/// its `function_call` items.
pub(crate) const RESPONSES_LINE: PredictedShape = PredictedShape {
    name: "an OpenAI Batch output line for /v1/responses",
    answer: "response.body.output[].content[].text",
    matches: |obj| is_batch_line(obj) && body(obj).is_some_and(is_response),
    read: batch_line,
    fast: None,
};

/// An OpenAI Batch API output line of `/v1/completions`: a batch line ([`is_batch_line`])
/// whose first choice has a `text` and no `message`.
///
/// Named in messages "an OpenAI Batch output line for /v1/completions"; the answer is looked
/// for in `response.body.choices[0].text`.
pub(crate) const COMPLETIONS_LINE: PredictedShape = PredictedShape {
    name: "an OpenAI Batch output line for /v1/completions",
    answer: "response.body.choices[0].text",
    matches: |obj| is_batch_line(obj) && body(obj).is_some_and(is_completion),
    read: batch_line,
    fast: None,
};

/// An OpenAI Batch API output line of `/v1/chat/completions`, or any other batch line
/// ([`is_batch_line`]): one of the error file, or of a request that failed with an HTTP error.
/// After [`RESPONSES_LINE`] and [`COMPLETIONS_LINE`] in the table, which take the other
/// endpoints' answers.
///
/// Named in messages "an OpenAI Batch output line for /v1/chat/completions"; the answer is
/// looked for in `response.body.choices[0].message.content`, or its `tool_calls`.
pub(crate) const BATCH_LINE: PredictedShape = PredictedShape {
    name: "an OpenAI Batch output line for /v1/chat/completions",
    answer: "response.body.choices[0].message.content (or its tool_calls)",
    matches: is_batch_line,
    read: batch_line,
    fast: None,
};

/// Whether a line is an OpenAI Batch output or error file line: a `custom_id` with a
/// `response` that has a `status_code` or a `body`, or with a null or absent `response` and an
/// `error`. Other lines with a `custom_id` (Anthropic Message Batches results, Claude on Vertex
/// AI) are not OpenAI's.
fn is_batch_line(obj: &Map<String, Value>) -> bool {
    obj.contains_key("custom_id")
        && match obj.get("response") {
            Some(Value::Object(response)) => {
                response.contains_key("status_code") || response.contains_key("body")
            }
            Some(Value::Null) | None => obj.contains_key("error"),
            Some(_) => false,
        }
}

fn body(obj: &Map<String, Value>) -> Option<&Value> {
    obj.get("response")?.get("body")
}

/// Whether a response body is a `/v1/responses` Response.
fn is_response(body: &Value) -> bool {
    body.get("object").and_then(Value::as_str) == Some("response") || body.get("output").is_some()
}

/// Whether a response body is a `/v1/completions` completion: its first choice has a `text`
/// and no `message`.
fn is_completion(body: &Value) -> bool {
    body.pointer("/choices/0")
        .is_some_and(|choice| choice.get("message").is_none() && choice.get("text").is_some())
}

/// The request hash, expected output and expected calls of an OpenAI chat fine-tuning line.
fn chat_line(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
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
    let hash = Some(chat_hashes(messages, None));
    if let Some(calls) = expected_calls(location, answer)? {
        let expected = expected_value(&calls, ToolCallForm::default());
        return Ok((hash, expected, Some(calls)));
    }
    let text = openai_text(answer.get("content").unwrap_or(&Value::Null));
    let expected = parse_answer(location, &text, "the last assistant message")?;
    Ok((hash, expected, None))
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

/// The calls of an expected assistant message (`tool_calls`, or the legacy `function_call`),
/// `None` when it has none. Expected arguments are ground truth, so they must be strict JSON.
fn expected_calls(location: &Location, message: &Value) -> Result<Option<ExpectedCalls>> {
    let calls: Vec<&Value> = match (message.get("tool_calls"), message.get("function_call")) {
        (Some(Value::Array(calls)), _) if !calls.is_empty() => calls
            .iter()
            .map(|call| call.get("function").unwrap_or(&Value::Null))
            .collect(),
        (_, Some(call @ Value::Object(_))) => vec![call],
        _ => return Ok(None),
    };
    let mut read = Vec::with_capacity(calls.len());
    for (i, call) in calls.into_iter().enumerate() {
        let what = || {
            format!(
                "tool call {} in the last assistant message of an OpenAI chat line",
                i + 1
            )
        };
        let Some(name) = call.get("name").and_then(Value::as_str) else {
            return Err(Error::line(
                location.clone(),
                format!(
                    "{} has no function name: expected {{\"function\": {{\"name\": \"...\", \"arguments\": \"{{...}}\"}}}}",
                    what()
                ),
            ));
        };
        let arguments = match call.get("arguments") {
            Some(Value::String(text)) => {
                parse_answer(location, text, &format!("the arguments of {}", what()))?
            }
            other => {
                return Err(Error::line(
                    location.clone(),
                    format!(
                        "the arguments of {} must be JSON text (a string), found {}",
                        what(),
                        other.map_or("none", kind_of)
                    ),
                ));
            }
        };
        read.push((name.to_owned(), arguments));
    }
    Ok(Some(read))
}

/// What an OpenAI chat fine-tuning line asks: its system (and developer) messages, and the
/// messages before its last assistant message. A message after the answer, or one of another
/// role (`tool`, `function`), is refused: the request written would not be the line's.
fn chat_prompt(location: &Location, obj: &Map<String, Value>) -> Result<Prompt> {
    let messages = obj["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let before = before_answer(location, "", messages, "assistant")?;
    messages_prompt(
        location,
        "",
        before,
        Vec::new(),
        "assistant",
        |content, assistant| {
            Ok(if assistant {
                vec![Part::Text(openai_text(content))]
            } else {
                openai_prompt_parts(content)
            })
        },
    )
}

/// The messages (`{"role", "content"}`) before the last one with role `model`, which holds the
/// expected answer; a message after it is refused, as the request written would not be the
/// line's. `prefix` names the shape in messages (empty for OpenAI's, the first of them).
pub(crate) fn before_answer<'a>(
    location: &Location,
    prefix: &str,
    messages: &'a [Value],
    model: &str,
) -> Result<&'a [Value]> {
    let Some(answer) = messages.iter().rposition(|m| role(m) == model) else {
        return Err(Error::line(
            location.clone(),
            format!(
                "{prefix}\"messages\" has no message with role \"{model}\": the last {model} message holds the expected output"
            ),
        ));
    };
    if let Some(after) = messages.get(answer + 1) {
        return Err(Error::line(
            location.clone(),
            format!(
                "{prefix}a message with role {:?} follows the last {model} message (the expected output): a request cannot be built from this line",
                role(after)
            ),
        ));
    }
    Ok(&messages[..answer])
}

/// What a list of chat messages asks: `system` (given beside the messages) and the texts of
/// the `system` and `developer` messages as the system instruction's pieces; `user`
/// and `model` messages as turns, their contents as `parts` (given whether the model said it)
/// makes them or refuses them with the reason. Any other role is refused, and the last turn
/// must be the user's.
pub(crate) fn messages_prompt(
    location: &Location,
    prefix: &str,
    messages: &[Value],
    mut system: Vec<String>,
    model: &str,
    parts: impl Fn(&Value, bool) -> std::result::Result<Vec<Part>, String>,
) -> Result<Prompt> {
    let fail = |message: String| Error::line(location.clone(), format!("{prefix}{message}"));
    let mut turns = Vec::new();
    for message in messages {
        let content = message.get("content").unwrap_or(&Value::Null);
        let role = role(message);
        let assistant = match role.as_str() {
            "system" | "developer" => {
                let pieces = texts(content, "part")
                    .map_err(|why| fail(format!("a message with role {role:?} {why}")))?;
                system.extend(pieces);
                continue;
            }
            "user" => false,
            r if r == model => true,
            other => {
                return Err(fail(format!(
                    "a message with role {other:?} comes before the expected output: verdict requests carries system, developer, user and {model} messages only"
                )));
            }
        };
        let parts = parts(content, assistant)
            .map_err(|why| fail(format!("a message with role {role:?} {why}")))?;
        turns.push(Turn { assistant, parts });
    }
    if turns.last().is_none_or(|t| t.assistant) {
        return Err(fail(format!(
            "no user message comes right before the last {model} message: a request needs the user's turn"
        )));
    }
    Ok(Prompt { system, turns })
}

/// A message's role, empty when it has none.
fn role(message: &Value) -> String {
    message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// The parts of a message `content` of a shape whose other parts no request family carries:
/// a string, or an array of parts (`noun` names them: "part", "block") each with a `text`; the
/// reason, naming the part, otherwise.
pub(crate) fn text_parts(content: &Value, noun: &str) -> std::result::Result<Vec<Part>, String> {
    Ok(texts(content, noun)?.into_iter().map(Part::Text).collect())
}

/// The texts of a `content` that must be text alone, as [`text_parts`] reads it.
pub(crate) fn texts(content: &Value, noun: &str) -> std::result::Result<Vec<String>, String> {
    let other = |part: &Value| {
        format!(
            "has a {noun} other than text ({}): verdict requests carries only text from this shape",
            verdict_core::quote::plain(&part.to_string())
        )
    };
    match content {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(parts) => parts
            .iter()
            .map(|p| match p.get("text").and_then(Value::as_str) {
                Some(text) => Ok(text.to_owned()),
                None => Err(other(p)),
            })
            .collect(),
        other_content => Err(other(other_content)),
    }
}

/// An OpenAI message `content` as prompt parts: texts, and its other parts verbatim.
pub(crate) fn openai_prompt_parts(content: &Value) -> Vec<Part> {
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

/// The keys and answer of an OpenAI Batch output line: `custom_id` as its explicit key, no
/// content key (the line does not echo its request).
fn batch_line(location: &Location, obj: &Map<String, Value>) -> Result<(Keys, Answered)> {
    let explicit = explicit_key(obj, &["custom_id"], location)?;
    Ok((
        Keys {
            explicit,
            content: None,
            system: None,
        },
        openai_batch(obj),
    ))
}

fn failed(reason: impl Into<String>, finish_reason: Option<String>) -> Answered {
    Answered::plain(Output::Failed(reason.into()), finish_reason)
}

fn openai_batch(obj: &Map<String, Value>) -> Answered {
    if let Some(error) = non_empty_str(obj.get("error")) {
        return failed(error, None);
    }
    let Some(response) = obj.get("response").filter(|r| !r.is_null()) else {
        return failed("no response", None);
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
        return failed(reason, None);
    }
    let body = response.get("body").unwrap_or(&Value::Null);
    if is_response(body) {
        return responses_body(body);
    }
    let Some(choice) = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return failed("no choices", None);
    };
    let finish = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if finish.as_deref() == Some("content_filter") {
        return failed("blocked: content_filter", finish);
    }
    if is_completion(body) {
        return completion_choice(choice.get("text").unwrap_or(&Value::Null), finish);
    }
    chat_message(choice.get("message").unwrap_or(&Value::Null), finish)
}

/// The answer of a Chat Completions choice's `message`: a refusal fails the request; tool
/// calls win over text; a separate reasoning field (`reasoning_content`, `reasoning`, as
/// DeepSeek's API and vLLM give it) counts as reasoning.
fn chat_message(message: &Value, finish: Option<String>) -> Answered {
    if let Some(refusal) = non_empty_str(message.get("refusal")) {
        return failed(format!("refusal: {refusal}"), finish);
    }
    let field_reasoning = ["reasoning_content", "reasoning"].iter().any(|key| {
        message
            .get(*key)
            .and_then(Value::as_str)
            .is_some_and(|r| !r.trim().is_empty())
    });
    let mut calls: Vec<ToolCall> = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .filter_map(|call| call.get("function"))
                .map(function_call)
                .collect()
        })
        .unwrap_or_default();
    if calls.is_empty()
        && let Some(call @ Value::Object(_)) = message.get("function_call")
    {
        calls.push(function_call(call));
    }
    if !calls.is_empty() {
        return Answered {
            output: Output::ToolCalls(calls),
            finish_reason: finish,
            reasoning: field_reasoning,
        };
    }
    let (output, think) = text_answer(openai_text(message.get("content").unwrap_or(&Value::Null)));
    Answered {
        output,
        finish_reason: finish,
        reasoning: think || field_reasoning,
    }
}

/// A call of `{"name", "arguments"}`: arguments are the JSON text the model wrote (a parsed
/// value, as some compatible servers give, is taken as it is).
fn function_call(call: &Value) -> ToolCall {
    let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
    let arguments = match call.get("arguments") {
        Some(Value::String(text)) => Arguments::Text(text.clone()),
        None | Some(Value::Null) => Arguments::Text(String::new()),
        Some(value) => Arguments::Value(value.clone()),
    };
    ToolCall {
        name: name.to_owned(),
        arguments,
    }
}

/// The answer of a `/v1/completions` choice: its `text`.
fn completion_choice(text: &Value, finish: Option<String>) -> Answered {
    let (output, reasoning) = text_answer(text.as_str().unwrap_or_default().to_owned());
    Answered {
        output,
        finish_reason: finish,
        reasoning,
    }
}

/// The answer of a `/v1/responses` body. Its finish reason is `incomplete_details.reason`
/// when the response is `incomplete` (`max_output_tokens`: cut off, scored as it is), else
/// its `status` (`completed`). A `failed` or any other unfinished status fails the request,
/// as do a `content_filter` cut and a `refusal` part. `reasoning` items are not the answer;
/// `function_call` items are tool calls and win over text.
fn responses_body(body: &Value) -> Answered {
    let status = body.get("status").and_then(Value::as_str);
    let finish = match status {
        Some("incomplete") => Some(
            body.pointer("/incomplete_details/reason")
                .and_then(Value::as_str)
                .unwrap_or("incomplete")
                .to_owned(),
        ),
        other => other.map(str::to_owned),
    };
    match status {
        None | Some("completed" | "incomplete") => {}
        Some(other) => {
            let reason = match non_empty_str(body.get("error")) {
                Some(error) => format!("{other}: {error}"),
                None => format!("status {other}"),
            };
            return failed(reason, finish);
        }
    }
    if finish.as_deref() == Some("content_filter") {
        return failed("blocked: content_filter", finish);
    }
    let items = body
        .get("output")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let (mut text, mut refusal, mut calls, mut reasoning) =
        (String::new(), None, Vec::new(), false);
    for item in items {
        match item.get("type").and_then(Value::as_str) {
            Some("message") => {
                let parts = item.get("content").and_then(Value::as_array);
                for part in parts.map(Vec::as_slice).unwrap_or_default() {
                    match part.get("type").and_then(Value::as_str) {
                        Some("output_text") => {
                            text.push_str(
                                part.get("text").and_then(Value::as_str).unwrap_or_default(),
                            );
                        }
                        Some("refusal") => {
                            refusal = refusal.or_else(|| non_empty_str(part.get("refusal")));
                        }
                        _ => {}
                    }
                }
            }
            Some("function_call") => calls.push(function_call(item)),
            Some("reasoning") => reasoning = true,
            _ => {}
        }
    }
    if let Some(refusal) = refusal {
        return failed(format!("refusal: {refusal}"), finish);
    }
    if !calls.is_empty() {
        return Answered {
            output: Output::ToolCalls(calls),
            finish_reason: finish,
            reasoning,
        };
    }
    let (output, think) = text_answer(text);
    Answered {
        output,
        finish_reason: finish,
        reasoning: reasoning || think,
    }
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
        assert_eq!(prompt.system, ["s1", "s2"]);
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

    fn ok(body: Value) -> Value {
        json!({"id": "batch_req_1", "custom_id": "c1", "response": {"status_code": 200, "request_id": "req_1", "body": body}, "error": null})
    }

    fn call(name: &str, arguments: &str) -> ToolCall {
        ToolCall {
            name: name.into(),
            arguments: Arguments::Text(arguments.into()),
        }
    }

    #[test]
    fn chat_tool_calls_are_the_answer_and_win_over_text() {
        let p = detect_ok(ok(
            json!({"object": "chat.completion", "choices": [{"index": 0,
            "message": {"role": "assistant", "content": "Let me record that.", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "record", "arguments": "{\"a\": 1}"}},
                {"id": "call_2", "type": "function", "function": {"name": "record", "arguments": "{\"a\": 2"}}
            ]}, "finish_reason": "tool_calls"}]}),
        ));
        assert_eq!(
            p.output,
            Output::ToolCalls(vec![
                call("record", "{\"a\": 1}"),
                call("record", "{\"a\": 2")
            ])
        );
        assert_eq!(p.finish_reason.as_deref(), Some("tool_calls"));
        assert!(!p.reasoning);
        // The legacy function_call.
        let p = detect_ok(ok(
            json!({"choices": [{"message": {"role": "assistant", "content": null,
            "function_call": {"name": "f", "arguments": "{}"}}, "finish_reason": "function_call"}]}),
        ));
        assert_eq!(p.output, Output::ToolCalls(vec![call("f", "{}")]));
    }

    #[test]
    fn chat_reasoning_is_removed_and_counted() {
        let p = detect_ok(ok(json!({"choices": [{"message": {"role": "assistant",
            "content": "<think>maybe {\"a\": 0}</think>\n{\"a\": 1}"}, "finish_reason": "stop"}]})));
        assert_eq!(p.output, Output::Text("\n{\"a\": 1}".into()));
        assert!(p.reasoning);
        let p = detect_ok(ok(json!({"choices": [{"message": {"role": "assistant",
            "content": "<think>first, {\"a\":"}, "finish_reason": "length"}]})));
        assert_eq!((p.output, p.reasoning), (Output::Empty, true));
        assert_eq!(p.finish_reason.as_deref(), Some("length"));
        let p = detect_ok(ok(json!({"choices": [{"message": {"role": "assistant",
            "content": "{}", "reasoning_content": "hmm"}, "finish_reason": "stop"}]})));
        assert_eq!((p.output, p.reasoning), (Output::Text("{}".into()), true));
    }

    #[test]
    fn responses_text_is_the_output_text_of_message_items() {
        let p = detect_ok(ok(
            json!({"object": "response", "status": "completed", "error": null,
            "incomplete_details": null, "output": [
                {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "{\"a\": 0}"}]},
                {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": [
                    {"type": "output_text", "text": "{\"a\": ", "annotations": []},
                    {"type": "output_text", "text": "1}", "annotations": []}
                ]}
            ]}),
        ));
        assert_eq!(p.output, Output::Text("{\"a\": 1}".into()));
        assert_eq!(p.finish_reason.as_deref(), Some("completed"));
        assert!(p.reasoning);
        assert_eq!(p.keys.explicit.as_deref(), Some("c1"));
    }

    #[test]
    fn responses_incomplete_refused_failed_and_called() {
        let p = detect_ok(ok(json!({"object": "response", "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"}, "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "[{\"a\": 1}, {\"a\""}]}
        ]})));
        assert_eq!(p.output, Output::Text("[{\"a\": 1}, {\"a\"".into()));
        assert_eq!(p.finish_reason.as_deref(), Some("max_output_tokens"));
        let p = detect_ok(ok(json!({"object": "response", "status": "incomplete",
            "incomplete_details": {"reason": "content_filter"}, "output": []})));
        assert_eq!(p.output, Output::Failed("blocked: content_filter".into()));
        let p = detect_ok(ok(
            json!({"object": "response", "status": "completed", "output": [
                {"type": "message", "content": [{"type": "refusal", "refusal": "I can't help with that."}]}
            ]}),
        ));
        assert_eq!(
            p.output,
            Output::Failed("refusal: I can't help with that.".into())
        );
        let p = detect_ok(ok(json!({"object": "response", "status": "failed",
            "error": {"code": "server_error", "message": "The model failed."}, "output": []})));
        assert_eq!(p.output, Output::Failed("failed: The model failed.".into()));
        let p = detect_ok(ok(
            json!({"object": "response", "status": "completed", "output": [
                {"type": "message", "content": [{"type": "output_text", "text": "Calling."}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "record", "arguments": "{\"a\": 1}"}
            ]}),
        ));
        assert_eq!(
            p.output,
            Output::ToolCalls(vec![call("record", "{\"a\": 1}")])
        );
    }

    #[test]
    fn completions_text_is_the_first_choice() {
        let p = detect_ok(ok(json!({"object": "text_completion", "choices": [
            {"text": "\n\n{\"a\": 1}", "index": 0, "logprobs": null, "finish_reason": "length"}
        ]})));
        assert_eq!(p.output, Output::Text("\n\n{\"a\": 1}".into()));
        assert_eq!(p.finish_reason.as_deref(), Some("length"));
    }

    #[test]
    fn other_lines_with_a_custom_id_are_not_openai_lines() {
        let is = |v: Value| is_batch_line(v.as_object().unwrap());
        // Anthropic Message Batches results, and Claude on Vertex AI.
        assert!(!is(
            json!({"custom_id": "a", "result": {"type": "succeeded", "message": {}}})
        ));
        assert!(!is(
            json!({"custom_id": "a", "request": {}, "response": {"content": [], "stop_reason": "end_turn"}, "status": ""})
        ));
        assert!(!is(json!({"custom_id": "a", "response": "text"})));
        // OpenAI's output and error files.
        assert!(is(
            json!({"custom_id": "a", "response": {"status_code": 200, "body": {}}, "error": null})
        ));
        assert!(is(
            json!({"custom_id": "a", "response": null, "error": {"code": "c", "message": "m"}})
        ));
        assert!(is(
            json!({"custom_id": "a", "error": {"code": "c", "message": "m"}})
        ));
    }

    #[test]
    fn each_endpoint_has_its_shape() {
        let shapes = [&RESPONSES_LINE, &COMPLETIONS_LINE, &BATCH_LINE];
        let shape = |body: Value| {
            let line = ok(body);
            shapes
                .iter()
                .position(|s| (s.matches)(line.as_object().unwrap()))
        };
        assert_eq!(shape(json!({"object": "response", "output": []})), Some(0));
        assert_eq!(shape(json!({"choices": [{"text": "{}"}]})), Some(1));
        assert_eq!(
            shape(json!({"choices": [{"message": {"content": "{}"}}]})),
            Some(2)
        );
        assert_eq!(shape(json!({"error": {"message": "bad"}})), Some(2));
    }

    fn expected(line: Value) -> Result<crate::Example> {
        crate::expected::detect(
            Location {
                path: "expected.jsonl".into(),
                line: 2,
            },
            line,
        )
    }

    #[test]
    fn an_expected_answer_of_tool_calls_is_the_calls() {
        let line = json!({"messages": [
            {"role": "user", "content": "What is the weather in San Francisco?"},
            {"role": "assistant", "tool_calls": [{"id": "call_id", "type": "function", "function":
                {"name": "get_current_weather", "arguments": "{\"location\": \"San Francisco, USA\", \"format\": \"celsius\"}"}}]}
        ], "tools": []});
        let mut example = expected(line).unwrap();
        let arguments = json!({"location": "San Francisco, USA", "format": "celsius"});
        assert_eq!(example.expected, arguments);
        assert_eq!(
            example.expected_calls,
            Some(vec![("get_current_weather".to_owned(), arguments.clone())])
        );
        example.form_calls(ToolCallForm::Calls);
        assert_eq!(
            example.expected,
            json!({"name": "get_current_weather", "arguments": arguments})
        );
        let legacy = json!({"messages": [{"role": "user", "content": "q"},
            {"role": "assistant", "function_call": {"name": "f", "arguments": "[1]"}}]});
        assert_eq!(expected(legacy).unwrap().expected, json!([1]));
    }

    #[test]
    fn expected_arguments_must_be_strict_json_text() {
        let line = |arguments: Value| {
            json!({"messages": [{"role": "user", "content": "q"},
            {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": arguments}}]}]})
        };
        let err = expected(line(json!("{'a': 1}"))).unwrap_err().to_string();
        assert!(
            err.starts_with("expected.jsonl:2: the text of the arguments of tool call 1 in the last assistant message of an OpenAI chat line is not valid JSON"),
            "{err}"
        );
        let err = expected(line(json!({"a": 1}))).unwrap_err().to_string();
        assert_eq!(
            err,
            "expected.jsonl:2: the arguments of tool call 1 in the last assistant message of an OpenAI chat line must be JSON text (a string), found an object"
        );
        let no_name = json!({"messages": [{"role": "assistant", "tool_calls": [{"type": "function", "function": {"arguments": "{}"}}]}]});
        let err = expected(no_name).unwrap_err().to_string();
        assert!(
            err.contains("tool call 1 in the last assistant message of an OpenAI chat line has no function name"),
            "{err}"
        );
    }
}
