//! The plain forms, no provider's: verdict's own `{"id", "expected"}` test-set line and
//! `{"id", "output", "finish_reason"}` prediction line (`docs/input-formats.md`), for outputs
//! gathered by any other means. Tried last on the prediction side; on the expected side, after
//! the shapes with `contents` or `messages` and before the open-model tuning shapes (see
//! `expected::SHAPES`).

use serde_json::{Map, Value};

use super::{Answered, ExpectedShape, PredictedShape, text_answer};
use crate::{Keys, Output, explicit_key};
use verdict_core::error::{Location, Result};

/// A plain expected line, recognised by its `expected`: the value as is.
pub(crate) const EXPECTED_LINE: ExpectedShape = ExpectedShape {
    name: "{\"id\": ..., \"expected\": ...}",
    matches: |obj| obj.contains_key("expected"),
    read: |_, obj| Ok((None, obj["expected"].clone(), None)),
    prompt: None,
    fast: None,
};

/// A plain prediction line, recognised by its `output`.
pub(crate) const PREDICTION_LINE: PredictedShape = PredictedShape {
    name: "a plain prediction line {\"id\", \"output\"}",
    answer: "output",
    matches: |obj| obj.contains_key("output"),
    read: prediction_line,
    fast: None,
};

/// The keys and answer of a plain prediction line: `id` as its explicit key; an `output`
/// string is raw model text (reasoning before the answer removed), any other value is taken
/// as already parsed.
fn prediction_line(location: &Location, obj: &Map<String, Value>) -> Result<(Keys, Answered)> {
    let explicit = explicit_key(obj, &["id"], location)?;
    let (output, reasoning) = match &obj["output"] {
        Value::String(text) => text_answer(text.clone()),
        Value::Null => (Output::Empty, false),
        value => (Output::Value(value.clone()), false),
    };
    let finish_reason = obj
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((
        Keys {
            explicit,
            content: None,
            system: None,
        },
        Answered {
            output,
            finish_reason,
            reasoning,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Prediction;
    use serde_json::json;

    #[test]
    fn plain_line_with_numeric_id() {
        let loc = Location {
            path: "expected.jsonl".into(),
            line: 3,
        };
        let ex = crate::expected::detect(loc, json!({"id": 17, "expected": []})).unwrap();
        assert_eq!(ex.keys.explicit.as_deref(), Some("17"));
        assert_eq!(ex.expected, json!([]));
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
}
