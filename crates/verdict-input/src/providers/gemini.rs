//! Gemini, on Vertex AI and the Gemini API: its test-set and batch-output line shapes, the
//! hashing of its user turns, and its fast path ([`fast`]).
//!
//! - [`TUNING_LINE`], an expected line: the Vertex AI supervised tuning dataset format for
//!   Gemini, `{"systemInstruction", "contents": [{"role", "parts"}, ...]}`, whose last `model`
//!   turn holds the expected output.
//! - [`BATCH_LINE`], a prediction line: a Vertex AI batch prediction output line
//!   `{"status", "processed_time", "request", "response"}`, and a Gemini API Batch Mode output
//!   line, which carries the request's `key` with its `response` (or, for a failed request,
//!   with an `error` or a `status`, its response empty or left out). A response is a
//!   `GenerateContentResponse`: `candidates[].content.parts` (parts marked `thought` are
//!   reasoning; `functionCall` parts are tool calls, which win over text beside them),
//!   `finishReason`, `promptFeedback.blockReason`. [`KEYED_BATCH_LINE`] is the same shape with
//!   a `custom_id` beside it, which a Vertex AI job passes through from its input.
//!
//! A line with no explicit key joins by the hash of its user turns ([`gemini_user_turns`]),
//! which a tuning line and the batch output line echoing its request share.

pub(crate) mod fast;

pub(crate) use fast::GEMINI_BLOCKED;

use serde_json::{Map, Value};

use super::{
    Answered, ExpectedCalls, ExpectedShape, PredictedShape, RequestHashes, UserPart, calls_or_text,
    non_empty_str, parse_answer, parsed_call, request_hashes,
};
use crate::prompt::{Family, Part, Prompt, Turn};
use crate::{Keys, Output, explicit_key, kind_of};
use verdict_core::error::{Error, Location, Result};

/// A Gemini / Vertex AI tuning line, recognised by its `contents`.
pub(crate) const TUNING_LINE: ExpectedShape = ExpectedShape {
    name: "a Gemini tuning line {\"contents\": [...]}",
    matches: |obj| obj.contains_key("contents"),
    read: tuning_line,
    prompt: Some(tuning_prompt),
    fast: Some(fast::gemini_example),
};

/// A Vertex AI or Gemini API batch output line, recognised by its `response` or `request`, or
/// by a `key` with a `status` or an `error` (a Gemini API line of a failed request). Name: "a
/// Vertex AI batch output line". Answer: `response.candidates[0].content.parts[].text` (or
/// its `functionCall` parts).
pub(crate) const BATCH_LINE: PredictedShape = PredictedShape {
    name: "a Vertex AI / Gemini API batch output line {\"request\", \"response\"}",
    answer: "response.candidates[0].content.parts[].text",
    matches: |obj| {
        let has = |k: &str| obj.contains_key(k);
        has("response") || has("request") || (has("key") && (has("status") || has("error")))
    },
    read: batch_line,
    fast: Some(fast::vertex_prediction),
};

/// A Vertex AI batch output line that carries a `custom_id` beside its Gemini request or
/// response (a sibling key the batch job passed through), recognised by the `custom_id` with a
/// `request.contents` or a `response` holding `candidates` or `promptFeedback`. Read as
/// [`BATCH_LINE`] reads it; tried before OpenAI's shape, which would take any line with a
/// `custom_id`. Name and answer as [`BATCH_LINE`]'s.
pub(crate) const KEYED_BATCH_LINE: PredictedShape = PredictedShape {
    name: "a Vertex AI batch output line {\"custom_id\", \"request\", \"response\"}",
    answer: "response.candidates[0].content.parts[].text",
    matches: |obj| {
        let response = obj.get("response");
        obj.contains_key("custom_id")
            && (obj
                .get("request")
                .is_some_and(|r| r.get("contents").is_some())
                || response.is_some_and(|r| {
                    r.get("candidates").is_some() || r.get("promptFeedback").is_some()
                }))
    },
    read: batch_line,
    fast: None,
};

/// The request hash and expected output of a Gemini tuning line. Mirrored by
/// [`fast::gemini_example`]: change both together.
fn tuning_line(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
    let contents = &obj["contents"];
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
    Ok((Some(gemini_request_hashes(obj, turns)), expected, None))
}

/// The request hashes of a Gemini request object (a tuning line, or a batch line's `request`)
/// whose `contents` are `turns`.
fn gemini_request_hashes(request: &Map<String, Value>, turns: &[Value]) -> RequestHashes {
    let system = gemini_system(request);
    request_hashes(system.as_deref(), &gemini_user_turns(turns))
}

/// The parts of a request's system instruction (`systemInstruction`, or `system_instruction`
/// as the Gemini API's JSON also spells it), `None` when it has none. A `Content` gives its
/// parts (its `role` is ignored, as the API ignores it); anything else is hashed as it is.
/// Mirrored by the fast reader of [`fast`]: change both together.
fn gemini_system(request: &Map<String, Value>) -> Option<Vec<UserPart<'_>>> {
    let system = request
        .get("systemInstruction")
        .or_else(|| request.get("system_instruction"))
        .filter(|s| !s.is_null())?;
    Some(match system {
        Value::Object(content) => content
            .get("parts")
            .and_then(Value::as_array)
            .map(|parts| parts.iter().map(gemini_part).collect())
            .unwrap_or_default(),
        other => vec![UserPart::Other(other)],
    })
}

/// What a Gemini tuning line asks: the text of its `systemInstruction`, and the turns before
/// its last model turn. A user turn after the answer, or a turn of another role, is refused:
/// the request written would not be the line's.
fn tuning_prompt(location: &Location, obj: &Map<String, Value>) -> Result<Prompt> {
    let turns = obj["contents"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let role = |t: &Value| t.get("role").and_then(Value::as_str).map(str::to_owned);
    let Some(answer) = turns
        .iter()
        .rposition(|t| role(t).as_deref() == Some("model"))
    else {
        return Err(Error::line(
            location.clone(),
            "\"contents\" has no turn with role \"model\": the last model turn holds the expected output",
        ));
    };
    if answer + 1 < turns.len() {
        return Err(Error::line(
            location.clone(),
            "a turn follows the last model turn (the expected output): a request cannot be built from this line",
        ));
    }
    let parts_of = |turn: &Value| -> Vec<Value> {
        turn.get("parts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut prompt = Prompt::default();
    if let Some(instruction) = obj.get("systemInstruction").filter(|v| !v.is_null()) {
        for part in parts_of(instruction) {
            match part.get("text").and_then(Value::as_str) {
                Some(t) => prompt.system.push(t.to_owned()),
                None => {
                    return Err(Error::line(
                        location.clone(),
                        format!(
                            "\"systemInstruction\" has a part other than text ({part}): verdict requests carries a text system instruction only"
                        ),
                    ));
                }
            }
        }
    }
    for turn in &turns[..answer] {
        let assistant = match role(turn).as_deref() {
            Some("user") | None => false,
            Some("model") => true,
            Some(other) => {
                return Err(Error::line(
                    location.clone(),
                    format!(
                        "a turn with role {other:?} comes before the expected output: verdict requests carries user and model turns only"
                    ),
                ));
            }
        };
        let parts = parts_of(turn)
            .into_iter()
            .map(|part| match part.get("text").and_then(Value::as_str) {
                Some(text) => Part::Text(text.to_owned()),
                None => Part::Native(Family::Gemini, part),
            })
            .collect();
        prompt.turns.push(Turn { assistant, parts });
    }
    if prompt.turns.last().is_none_or(|t| t.assistant) {
        return Err(Error::line(
            location.clone(),
            "no user turn comes right before the last model turn: a request needs the user's turn",
        ));
    }
    Ok(prompt)
}

/// The keys, output and finish reason of a Vertex AI or Gemini API batch output line: the
/// first of `key`, `custom_id` and `id` as its explicit key (the Gemini API's own key, then
/// sibling keys a Vertex AI job passed through from its input), the hashes of
/// `request.contents` and its system instruction as its content keys.
fn batch_line(location: &Location, obj: &Map<String, Value>) -> Result<(Keys, Answered)> {
    let explicit = explicit_key(obj, &["key", "custom_id", "id"], location)?;
    let hashes = obj.get("request").and_then(Value::as_object).and_then(|r| {
        let turns = r.get("contents").and_then(Value::as_array)?;
        Some(gemini_request_hashes(r, turns))
    });
    let (content, system) = match hashes {
        Some(RequestHashes { content, system }) => (Some(content), system),
        None => (None, None),
    };
    Ok((
        Keys {
            explicit,
            content,
            system,
        },
        vertex_batch(obj),
    ))
}

/// The output of a Vertex AI batch line. Mirrored by [`fast::vertex_prediction`]:
/// change both together.
fn vertex_batch(obj: &Map<String, Value>) -> Answered {
    // The line's own failure reason, when the request got no answer.
    let status = || non_empty_str(obj.get("status")).or_else(|| non_empty_str(obj.get("error")));
    // A Gemini API line of a failed request may carry an empty response beside its status.
    let Some(response) = obj
        .get("response")
        .filter(|r| !r.is_null() && r.as_object().is_none_or(|o| !o.is_empty()))
    else {
        return Answered::plain(
            Output::Failed(status().unwrap_or_else(|| "no response".into())),
            None,
        );
    };
    let candidate = response
        .get("candidates")
        .and_then(Value::as_array)
        .and_then(|c| c.first());
    let Some(candidate) = candidate else {
        let reason = match response
            .pointer("/promptFeedback/blockReason")
            .and_then(Value::as_str)
        {
            Some(block) => format!("blocked: {block}"),
            None => status().unwrap_or_else(|| "no candidates".into()),
        };
        return Answered::plain(Output::Failed(reason), None);
    };
    let finish = candidate
        .get("finishReason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(reason) = finish.as_deref().filter(|r| GEMINI_BLOCKED.contains(r)) {
        return Answered::plain(Output::Failed(format!("blocked: {reason}")), finish);
    }
    // Thinking models put their reasoning in parts marked `thought`; the answer is the rest.
    let parts = candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let thought = |p: &&Value| p.get("thought").and_then(Value::as_bool) == Some(true);
    // The fast path declines every line with a call part: it reads texts only.
    let calls = parts
        .iter()
        .filter(|p| !thought(p))
        .filter_map(|p| p.get("functionCall").or_else(|| p.get("function_call")))
        .map(|call| parsed_call(call, "args"))
        .collect();
    let text: String = parts
        .iter()
        .filter(|p| !thought(p))
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect();
    let (output, think) = calls_or_text(calls, text);
    Answered {
        output,
        finish_reason: finish,
        reasoning: think || parts.iter().any(|p| thought(&p)),
    }
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
    use crate::Prediction;
    use crate::expected::detect;
    use serde_json::json;
    use verdict_core::tools::{Arguments, ToolCall};

    fn prompt_of(line: Value) -> Result<Prompt> {
        let loc = Location {
            path: "expected.jsonl".into(),
            line: 4,
        };
        crate::expected::detect_with_prompt(loc, line).map(|(_, prompt)| prompt)
    }

    #[test]
    fn a_tuning_line_asks_its_instruction_and_turns_before_the_answer() {
        let video = json!({"fileData": {"fileUri": "gs://b/1.mp4", "mimeType": "video/mp4"}});
        let prompt = prompt_of(json!({
            "systemInstruction": {"role": "system", "parts": [{"text": "You annotate "}, {"text": "clips."}]},
            "contents": [
                {"role": "user", "parts": [video.clone(), {"text": "List events"}]},
                {"role": "model", "parts": [{"text": "[]"}]}
            ]
        }))
        .unwrap();
        assert_eq!(prompt.system, ["You annotate ", "clips."]);
        assert_eq!(
            prompt.turns,
            vec![Turn {
                assistant: false,
                parts: vec![
                    Part::Native(Family::Gemini, video),
                    Part::Text("List events".into())
                ]
            }]
        );
        let err = |line: Value| prompt_of(line).unwrap_err().to_string();
        assert_eq!(
            err(
                json!({"contents": [{"role": "user", "parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "[]"}]}, {"role": "user", "parts": [{"text": "more"}]}]})
            ),
            "expected.jsonl:4: a turn follows the last model turn (the expected output): a request cannot be built from this line"
        );
        assert_eq!(
            err(
                json!({"systemInstruction": {"parts": [{"fileData": {"fileUri": "gs://b/s.txt"}}]},
                       "contents": [{"role": "user", "parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "[]"}]}]})
            ),
            "expected.jsonl:4: \"systemInstruction\" has a part other than text ({\"fileData\":{\"fileUri\":\"gs://b/s.txt\"}}): verdict requests carries a text system instruction only"
        );
        assert_eq!(
            err(
                json!({"contents": [{"role": "function", "parts": [{"text": "r"}]}, {"role": "model", "parts": [{"text": "[]"}]}]})
            ),
            "expected.jsonl:4: a turn with role \"function\" comes before the expected output: verdict requests carries user and model turns only"
        );
    }

    #[test]
    fn content_hash_tells_clips_apart_by_file_uri_and_ignores_snake_case() {
        let a = json!([{"role":"user","parts":[{"fileData":{"fileUri":"gs://b/1.mp4","mimeType":"video/mp4"}},{"text":"List events"}]}]);
        let b = json!([{"role":"user","parts":[{"file_data":{"file_uri":"gs://b/1.mp4"}},{"text":"List events"}]}]);
        let c = json!([{"role":"user","parts":[{"fileData":{"fileUri":"gs://b/2.mp4"}},{"text":"List events"}]}]);
        let hash =
            |v: &Value| crate::providers::content_hash(&gemini_user_turns(v.as_array().unwrap()));
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(hash(&a), hash(&c));
        assert_eq!(hash(&a).len(), 16);
    }

    #[test]
    fn turns_without_a_role_are_user_turns() {
        let a = json!([{"parts": [{"text": "clip one"}]}]);
        let b = json!([{"parts": [{"text": "clip two"}]}]);
        let with_role = json!([{"role": "user", "parts": [{"text": "clip one"}]}]);
        let hash =
            |v: &Value| crate::providers::content_hash(&gemini_user_turns(v.as_array().unwrap()));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a), hash(&with_role));
    }

    #[test]
    fn content_hash_ignores_model_turns() {
        let with_answer = json!([{"role":"user","parts":[{"text":"q"}]},{"role":"model","parts":[{"text":"[]"}]}]);
        let request = json!([{"role":"user","parts":[{"text":"q"}]}]);
        let hash =
            |v: &Value| crate::providers::content_hash(&gemini_user_turns(v.as_array().unwrap()));
        assert_eq!(hash(&with_answer), hash(&request));
    }

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
    fn the_system_instruction_is_a_second_hash_shared_by_a_tuning_line_and_its_batch_line() {
        let user = json!([{"role": "user", "parts": [{"text": "q"}]}]);
        let tuning = |system: &str| {
            json!({"systemInstruction": {"role": "system", "parts": [{"text": system}]},
                   "contents": [user[0], {"role": "model", "parts": [{"text": "[]"}]}]})
        };
        let a = detect(loc(), tuning("annotate")).unwrap().keys;
        let b = detect(loc(), tuning("summarise")).unwrap().keys;
        assert_eq!(a.content, b.content);
        assert!(a.system.is_some() && a.system != b.system);
        // Snake case, as the Gemini API's JSON also spells it, on the batch side.
        let batch = detect_ok(json!({
            "request": {"contents": user, "system_instruction": {"parts": [{"text": "annotate"}]}},
            "response": {"candidates": []}
        }));
        assert_eq!(batch.keys.content, a.content);
        assert_eq!(batch.keys.system, a.system);
        let without = detect(
            loc(),
            json!({"contents": [user[0], {"role": "model", "parts": [{"text": "[]"}]}]}),
        );
        assert_eq!(without.unwrap().keys.system, None);
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
    fn vertex_batch_success_joins_by_request_hash() {
        let p = detect_ok(json!({
            "status": "",
            "request": {"contents": [{"role": "user", "parts": [{"text": "q"}]}]},
            "response": {"candidates": [{"content": {"role": "model", "parts": [{"text": "[]"}]}, "finishReason": "STOP"}]}
        }));
        assert_eq!(p.output, Output::Text("[]".into()));
        assert_eq!(p.finish_reason.as_deref(), Some("STOP"));
        assert!(p.keys.content.is_some());
        assert_eq!(p.keys.explicit, None);
    }

    #[test]
    fn vertex_batch_failures_keep_the_reason() {
        let p = detect_ok(json!({"status": "Internal error", "request": {"contents": []}}));
        assert_eq!(p.output, Output::Failed("Internal error".into()));
        let p = detect_ok(
            json!({"request": {}, "response": {"promptFeedback": {"blockReason": "OTHER"}}}),
        );
        assert_eq!(p.output, Output::Failed("blocked: OTHER".into()));
        let p = detect_ok(
            json!({"request": {}, "response": {"candidates": [{"finishReason": "SAFETY"}]}}),
        );
        assert_eq!(p.output, Output::Failed("blocked: SAFETY".into()));
        let p = detect_ok(json!({"request": {}, "response": {"candidates": []}}));
        assert_eq!(p.output, Output::Failed("no candidates".into()));
    }

    #[test]
    fn sibling_keys_join_and_a_custom_id_does_not_make_an_openai_line() {
        let request = json!({"contents": [{"role": "user", "parts": [{"text": "q"}]}]});
        let response = json!({"candidates": [{"content": {"parts": [{"text": "[]"}]}, "finishReason": "STOP"}]});
        let hash = detect_ok(json!({"request": request, "response": response}))
            .keys
            .content;
        for (line, key) in [
            (
                json!({"custom_id": "c1", "labels": {"a": "b"}, "request": request, "response": response}),
                "c1",
            ),
            (
                json!({"id": 7, "request": request, "response": response}),
                "7",
            ),
            (
                json!({"key": "k1", "custom_id": "c1", "id": "i1", "request": request, "response": response}),
                "k1",
            ),
            (
                json!({"custom_id": "c2", "request": request, "status": "Internal error"}),
                "c2",
            ),
        ] {
            let p = detect_ok(line);
            assert_eq!(p.keys.explicit.as_deref(), Some(key));
            assert_eq!(p.keys.content, hash);
        }
        let p =
            detect_ok(json!({"custom_id": "c2", "request": request, "status": "Internal error"}));
        assert_eq!(p.output, Output::Failed("Internal error".into()));
    }

    #[test]
    fn an_empty_response_beside_a_status_fails_with_the_status() {
        let status =
            json!({"code": 8, "message": "Resource has been exhausted (e.g. check quota)."});
        for response in [json!({}), json!(null), json!({"usageMetadata": {}})] {
            let p = detect_ok(json!({"key": "k", "response": response, "status": status}));
            assert_eq!(
                p.output,
                Output::Failed("Resource has been exhausted (e.g. check quota).".into())
            );
        }
        let p = detect_ok(json!({"key": "k", "response": {}}));
        assert_eq!(p.output, Output::Failed("no response".into()));
    }

    #[test]
    fn function_calls_win_over_text_and_thoughts_are_not_calls() {
        let p = detect_ok(
            json!({"key": "k", "response": {"candidates": [{"content": {"parts": [
            {"text": "Recording it."},
            {"functionCall": {"name": "record", "args": {"a": 1}}},
            {"function_call": {"name": "noop"}},
            {"functionCall": {"name": "draft", "args": {"a": 2}}, "thought": true}
        ]}, "finishReason": "STOP"}]}}),
        );
        assert_eq!(
            p.output,
            Output::ToolCalls(vec![
                ToolCall {
                    name: "record".into(),
                    arguments: Arguments::Value(json!({"a": 1}))
                },
                ToolCall {
                    name: "noop".into(),
                    arguments: Arguments::Value(json!({}))
                }
            ])
        );
        assert_eq!(p.finish_reason.as_deref(), Some("STOP"));
    }

    #[test]
    fn vertex_truncation_is_text_with_its_finish_reason_and_thoughts_are_skipped() {
        let p = detect_ok(
            json!({"key": "k1", "response": {"candidates": [{"content": {"parts": [
            {"text": "let me think", "thought": true}, {"text": "[{\"a\":"}
        ]}, "finishReason": "MAX_TOKENS"}]}}),
        );
        assert_eq!(p.output, Output::Text("[{\"a\":".into()));
        assert_eq!(p.finish_reason.as_deref(), Some("MAX_TOKENS"));
        assert_eq!(p.keys.explicit.as_deref(), Some("k1"));
        assert!(p.reasoning);
    }
}
