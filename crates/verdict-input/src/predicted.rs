//! Recognises the shape of each prediction line and extracts the model's raw output: the
//! dispatch over the providers' prediction-line shapes (`SHAPES`).
//!
//! Accepted shapes, detected per line: Vertex AI batch prediction output (and Gemini API batch
//! lines with a top-level `key`), OpenAI Batch API output of `/v1/chat/completions`,
//! `/v1/responses` and `/v1/completions` (including lines of its separate error file),
//! Anthropic Message Batches results, Claude batch output on Vertex AI, AWS Bedrock batch
//! inference output, and the plain `{"id", "output"}` form. Each is read by its provider's module
//! (`providers/`). A request that failed or was blocked becomes [`crate::Output::Failed`] with
//! the provider's reason: it is counted, never dropped.

use serde_json::Value;

use crate::providers::{PredictedShape, anthropic, bedrock, gemini, openai, plain};
use crate::read::{Unread, parse_line_unread};
use crate::{Prediction, ShapeId, key_list, kind_of};
use verdict_core::error::{Error, Location, Result};

/// The prediction-line shapes, tried in this order: the fast paths first, straight from the
/// text, then the first shape whose `matches` takes the parsed line. The precise shapes come
/// first: Anthropic's result lines and the Claude, Bedrock and Gemini lines that carry a
/// `custom_id`. OpenAI's take only lines whose `custom_id` comes with an OpenAI `response`
/// (`status_code`, `body`) or the error file's null `response` and `error`, its chat shape
/// last (it takes any OpenAI batch line the other endpoints' did not); they come before
/// Vertex AI's, which would take their lines too (they have a `response`). A new shape is one
/// line here, and its name in [`LISTED`].
const SHAPES: [PredictedShape; 9] = [
    anthropic::BATCH_RESULT,
    anthropic::VERTEX_LINE,
    bedrock::BATCH_LINE,
    gemini::KEYED_BATCH_LINE,
    openai::RESPONSES_LINE,
    openai::COMPLETIONS_LINE,
    openai::BATCH_LINE,
    gemini::BATCH_LINE,
    plain::PREDICTION_LINE,
];

/// The accepted shapes, as messages list them. Not built from [`SHAPES`] as the expected side's
/// list is: it names them in another order than they are tried, and stays as it was.
const LISTED: &str = "a Vertex AI batch output line {\"request\", \"response\"}, an OpenAI Batch output line {\"custom_id\", \"response\"}, an Anthropic Message Batches result line {\"custom_id\", \"result\"}, an AWS Bedrock batch inference output line {\"recordId\", \"modelInput\", \"modelOutput\"} or {\"id\": ..., \"output\": ...}";

/// What no shape's reader looks at in a prediction line: a Vertex AI batch line's
/// processing time, its request's settings, and its response's model version, token counts
/// and per-candidate scores. The request's user turns and system instruction (hashed for the
/// join), `key`, `status` and `error`, and every part of a line of any other shape are read. A
/// key skipped here must be one no shape's reader looks at.
pub const UNREAD: Unread = Unread::Keys(&[
    ("processed_time", Unread::All),
    (
        "request",
        Unread::Keys(&[("generationConfig", Unread::All)]),
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

/// Reads one prediction line: the common shapes straight from their text (the shapes' fast
/// paths), any other line parsed (without its [`UNREAD`] parts) and detected.
pub fn read(location: Location, text: &str) -> Result<Prediction> {
    match read_fast(location, text) {
        Ok(prediction) => Ok(prediction),
        Err(location) => {
            let value = parse_line_unread(&location, text, UNREAD)?;
            detect(location, value)
        }
    }
}

/// The first fast path of [`SHAPES`] that reads `text`: the prediction; the location back when
/// every one declines.
pub(crate) fn read_fast(
    location: Location,
    text: &str,
) -> std::result::Result<Prediction, Location> {
    crate::providers::first_fast(SHAPES.iter().map(|s| s.fast), location, text)
        .map(|(index, prediction)| identified(prediction, index))
}

impl ShapeId {
    /// How messages name the shape.
    pub fn name(self) -> &'static str {
        SHAPES[usize::from(self.0)].name
    }

    /// Where in a line of the shape verdict looks for the answer.
    pub fn answer(self) -> &'static str {
        SHAPES[usize::from(self.0)].answer
    }

    /// The shape's place in the table, for the spill record.
    pub fn index(self) -> u8 {
        self.0
    }

    /// The shape at `index` in the table, if there is one.
    pub fn from_index(index: u8) -> Option<ShapeId> {
        (usize::from(index) < SHAPES.len()).then_some(ShapeId(index))
    }
}

/// A prediction as the dispatch hands it on: the shape at `index` of [`SHAPES`] read it, and a
/// key that `verdict requests` derived from a request hash
/// ([`crate::requests::hash_of_derived_key`]) also joins as that hash, when the line does not
/// echo its request: that is how a batch output joins a test set without ids.
fn identified(mut prediction: Prediction, index: usize) -> Prediction {
    prediction.shape = u8::try_from(index).ok().map(ShapeId);
    if prediction.keys.content.is_none()
        && let Some(hash) = prediction
            .keys
            .explicit
            .as_deref()
            .and_then(crate::requests::hash_of_derived_key)
    {
        prediction.keys.content = Some(hash.to_owned());
    }
    prediction
}

/// Turns one parsed prediction line into a [`Prediction`].
pub fn detect(location: Location, line: Value) -> Result<Prediction> {
    let Value::Object(obj) = line else {
        let hint = crate::looks::not_object_hint(&location, &line);
        return Err(Error::line(
            location,
            format!(
                "expected a JSON object ({LISTED}), found {}{}",
                kind_of(&line),
                hint
            ),
        ));
    };
    let Some((index, shape)) = SHAPES
        .iter()
        .enumerate()
        .find(|(_, shape)| (shape.matches)(&obj))
    else {
        return Err(Error::line(
            location,
            format!(
                "unrecognised line shape: expected {LISTED}; found keys {}",
                key_list(&obj)
            ),
        ));
    };
    let (keys, answered) = (shape.read)(&location, &obj)?;
    let prediction = Prediction {
        location,
        keys,
        output: answered.output,
        finish_reason: answered.finish_reason,
        reasoning: answered.reasoning,
        shape: None,
    };
    Ok(identified(prediction, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn the_dispatch_records_the_shape_and_joins_a_derived_key_by_its_hash() {
        let line = |custom_id: &str| {
            json!({"custom_id": custom_id, "response": {"status_code": 200, "body": {"choices": [
                {"message": {"role": "assistant", "content": "{}"}, "finish_reason": "stop"}]}}})
        };
        let location = || Location {
            path: "p.jsonl".into(),
            line: 1,
        };
        let p = detect(location(), line("verdict0123456789abcdef")).unwrap();
        assert_eq!(p.keys.explicit.as_deref(), Some("verdict0123456789abcdef"));
        assert_eq!(p.keys.content.as_deref(), Some("0123456789abcdef"));
        let shape = p.shape.expect("the dispatch names the shape");
        assert_eq!(shape.name(), openai::BATCH_LINE.name);
        assert_eq!(shape.answer(), openai::BATCH_LINE.answer);
        let p = detect(location(), line("clip-1")).unwrap();
        assert_eq!(p.keys.content, None);
        // A line that echoes its request keeps the hash of the request.
        let vertex = r#"{"key": "verdict0123456789abcdef", "request": {"contents": [{"role": "user", "parts": [{"text": "q"}]}]}, "response": {"candidates": [{"content": {"parts": [{"text": "{}"}]}, "finishReason": "STOP"}]}}"#;
        let p = read(location(), vertex).unwrap();
        assert_ne!(p.keys.content.as_deref(), Some("0123456789abcdef"));
        assert_eq!(p.shape.map(ShapeId::name), Some(gemini::BATCH_LINE.name));
    }
}
