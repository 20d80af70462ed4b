//! Recognises the shape of each prediction line and extracts the model's raw output: the
//! dispatch over the providers' prediction-line shapes (`SHAPES`).
//!
//! Accepted shapes, detected per line: Vertex AI batch prediction output (and Gemini API batch
//! lines with a top-level `key`), OpenAI Batch API output (including lines of its separate error
//! file), and the plain `{"id", "output"}` form. Each is read by its provider's module
//! (`providers/`). A request that failed or was blocked becomes [`crate::Output::Failed`] with
//! the provider's reason: it is counted, never dropped.

use serde_json::Value;

use crate::providers::{PredictedShape, gemini, openai, plain};
use crate::read::{Unread, parse_line_unread};
use crate::{Prediction, kind_of};
use verdict_core::error::{Error, Location, Result};

/// The prediction-line shapes, tried in this order: the fast paths first, straight from the
/// text, then the first shape whose `matches` takes the parsed line. OpenAI's comes before
/// Vertex AI's, which would take its lines too (they have a `response`). A new shape is one
/// line here, and its name in [`LISTED`].
const SHAPES: [PredictedShape; 3] = [
    openai::BATCH_LINE,
    gemini::BATCH_LINE,
    plain::PREDICTION_LINE,
];

/// The accepted shapes, as messages list them. Not built from [`SHAPES`] as the expected side's
/// list is: it names them in another order than they are tried, and stays as it was.
const LISTED: &str = "a Vertex AI batch output line {\"request\", \"response\"}, an OpenAI Batch output line {\"custom_id\", \"response\"} or {\"id\": ..., \"output\": ...}";

/// What no shape's reader looks at in a prediction line: a Vertex AI batch line's
/// processing time, its request's settings, and its response's model version, token counts
/// and per-candidate scores. The request's user turns and system instruction (hashed for the
/// join), `key`, `status` and `error`, and every part of an OpenAI or plain line are read. A
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
    crate::providers::first_fast(SHAPES.iter().filter_map(|s| s.fast), location, text)
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
    let Some(shape) = SHAPES.iter().find(|shape| (shape.matches)(&obj)) else {
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
            format!("unrecognised line shape: expected {LISTED}; found keys {found}"),
        ));
    };
    let (keys, output, finish_reason) = (shape.read)(&location, &obj)?;
    Ok(Prediction {
        location,
        keys,
        output,
        finish_reason,
    })
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
}
