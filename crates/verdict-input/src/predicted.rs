//! Recognises the shape of each prediction line and extracts the model's raw output.
//!
//! Accepted shapes, detected per line: Vertex AI batch prediction output (and Gemini API batch
//! lines with a top-level `key`), OpenAI Batch API output (including lines of its separate error
//! file), and the plain `{"id", "output"}` form. A request that failed or was blocked becomes
//! [`Output::Failed`] with the provider's reason: it is counted, never dropped.

use serde_json::{Map, Value};

use super::expected::openai_text;
use super::read::Unread;
use super::{Keys, Output, Prediction, content_hash, explicit_key, gemini_user_turns, kind_of};
use verdict_core::error::{Error, Location, Result};

const SHAPES: &str = "a Vertex AI batch output line {\"request\", \"response\"}, an OpenAI Batch output line {\"custom_id\", \"response\"} or {\"id\": ..., \"output\": ...}";

/// Gemini finish reasons that mean the answer was withheld, not merely cut short.
pub(super) const GEMINI_BLOCKED: [&str; 7] = [
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "LANGUAGE",
];

/// What no shape's reader below looks at in a prediction line: a Vertex AI batch line's
/// processing time, its request's settings and system instruction, and its response's model
/// version, token counts and per-candidate scores. The request's user turns (hashed for the
/// join), `key`, `status` and `error`, and every part of an OpenAI or plain line are read.
pub const UNREAD: Unread = Unread::Keys(&[
    ("processed_time", Unread::All),
    (
        "request",
        Unread::Keys(&[
            ("generationConfig", Unread::All),
            ("systemInstruction", Unread::All),
        ]),
    ),
    (
        "response",
        Unread::Keys(&[
            ("modelVersion", Unread::All),
            ("usageMetadata", Unread::All),
            (
                "candidates",
                Unread::Elements(&Unread::Keys(&[
                    ("avgLogprobs", Unread::All),
                    ("logprobsResult", Unread::All),
                    ("safetyRatings", Unread::All),
                    ("citationMetadata", Unread::All),
                ])),
            ),
        ]),
    ),
]);

/// Reads one prediction line: the common batch shape straight from its text
/// ([`super::fast`]), any other line parsed (without its [`UNREAD`] parts) and detected.
pub fn read(location: Location, text: &str) -> Result<Prediction> {
    match super::fast::vertex_prediction(location, text) {
        Ok(prediction) => Ok(prediction),
        Err(location) => {
            let value = super::read::parse_line_unread(&location, text, UNREAD)?;
            detect(location, value)
        }
    }
}

/// Turns one parsed prediction line into a [`Prediction`].
pub fn detect(location: Location, line: Value) -> Result<Prediction> {
    let Value::Object(obj) = line else {
        return Err(Error::line(
            location,
            format!(
                "expected a JSON object ({SHAPES}), found {}",
                kind_of(&line)
            ),
        ));
    };
    let has = |k: &str| obj.contains_key(k);
    let (keys, output, finish_reason) = if has("custom_id") {
        let explicit = explicit_key(&obj, &["custom_id"], &location)?;
        let (output, finish) = openai_batch(&obj);
        (
            Keys {
                explicit,
                content: None,
            },
            output,
            finish,
        )
    } else if has("response") || has("request") || (has("key") && (has("status") || has("error"))) {
        let explicit = explicit_key(&obj, &["key"], &location)?;
        let content = obj
            .get("request")
            .and_then(|r| r.get("contents"))
            .and_then(Value::as_array)
            .map(|turns| content_hash(&gemini_user_turns(turns)));
        let (output, finish) = vertex_batch(&obj);
        (Keys { explicit, content }, output, finish)
    } else if has("output") {
        let explicit = explicit_key(&obj, &["id"], &location)?;
        let output = match &obj["output"] {
            Value::String(text) if text.trim().is_empty() => Output::Empty,
            Value::String(text) => Output::Text(text.clone()),
            Value::Null => Output::Empty,
            value => Output::Value(value.clone()),
        };
        let finish = obj
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned);
        (
            Keys {
                explicit,
                content: None,
            },
            output,
            finish,
        )
    } else {
        let found = if obj.is_empty() {
            "none".to_owned()
        } else {
            obj.keys()
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(Error::line(
            location,
            format!("unrecognised line shape: expected {SHAPES}; found keys {found}"),
        ));
    };
    Ok(Prediction {
        location,
        keys,
        output,
        finish_reason,
    })
}

fn non_empty_str(value: Option<&Value>) -> Option<String> {
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

pub(super) fn text_or_empty(text: String) -> Output {
    if text.trim().is_empty() {
        Output::Empty
    } else {
        Output::Text(text)
    }
}

/// The output of a Vertex AI batch line. Mirrored by [`super::fast::vertex_prediction`]:
/// change both together.
fn vertex_batch(obj: &Map<String, Value>) -> (Output, Option<String>) {
    let Some(response) = obj.get("response").filter(|r| !r.is_null()) else {
        let reason = non_empty_str(obj.get("status"))
            .or_else(|| non_empty_str(obj.get("error")))
            .unwrap_or_else(|| "no response".into());
        return (Output::Failed(reason), None);
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
            None => "no candidates".into(),
        };
        return (Output::Failed(reason), None);
    };
    let finish = candidate
        .get("finishReason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(reason) = finish.as_deref().filter(|r| GEMINI_BLOCKED.contains(r)) {
        return (Output::Failed(format!("blocked: {reason}")), finish);
    }
    // Thinking models put their reasoning in parts marked `thought`; the answer is the rest.
    let text: String = candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter(|p| p.get("thought").and_then(Value::as_bool) != Some(true))
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    (text_or_empty(text), finish)
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
    use serde_json::json;

    fn detect_ok(line: Value) -> Prediction {
        detect(
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
    fn vertex_truncation_is_text_with_its_finish_reason_and_thoughts_are_skipped() {
        let p = detect_ok(
            json!({"key": "k1", "response": {"candidates": [{"content": {"parts": [
            {"text": "let me think", "thought": true}, {"text": "[{\"a\":"}
        ]}, "finishReason": "MAX_TOKENS"}]}}),
        );
        assert_eq!(p.output, Output::Text("[{\"a\":".into()));
        assert_eq!(p.finish_reason.as_deref(), Some("MAX_TOKENS"));
        assert_eq!(p.keys.explicit.as_deref(), Some("k1"));
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

    #[test]
    fn plain_output_text_value_or_empty() {
        assert_eq!(
            detect_ok(json!({"id": 1, "output": "[1]"})).output,
            Output::Text("[1]".into())
        );
        assert_eq!(
            detect_ok(json!({"id": 1, "output": [1]})).output,
            Output::Value(json!([1]))
        );
        assert_eq!(
            detect_ok(json!({"id": 1, "output": "  "})).output,
            Output::Empty
        );
        assert_eq!(
            detect_ok(json!({"id": 1, "output": null})).output,
            Output::Empty
        );
    }

    #[test]
    fn unknown_shape_lists_what_it_found() {
        let err = detect(
            Location {
                path: "p.jsonl".into(),
                line: 9,
            },
            json!({"text": "x"}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(
                "p.jsonl:9: unrecognised line shape: expected a Vertex AI batch output line"
            ),
            "{err}"
        );
        assert!(err.ends_with("found keys \"text\""), "{err}");
    }
}
