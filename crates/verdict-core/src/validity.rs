//! Parses a model's raw output and assigns it a validity tier.
//!
//! The tiers, in order of preference:
//! - **strict**: the trimmed text is exactly one JSON value;
//! - **extracted**: the JSON value that starts at the first `[` or `{` of the first markdown
//!   fence's body (or of the whole text where there is no fence, or the fence's body holds no
//!   bracket) parses completely; prose after it is ignored. Only that one position is tried, so a truncated array never passes as its first
//!   element;
//! - **repaired**: that same value reads with [`crate::repair`] (trailing commas, unquoted keys,
//!   single quotes, a truncated tail), counted separately and scored only with `--repair`;
//! - **invalid**: none of the above;
//! - **missing**: no output text at all (no prediction line, or an empty output);
//! - **failed**: the request failed or was blocked.

use serde::Serialize;
use serde_json::Value;

use crate::repair::{Repairs, repair};
use crate::tools::{ToolCall, ToolCallForm, answer_text};

/// The validity tier of one output. See the module docs for the definitions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The whole text is one JSON value.
    Strict,
    /// A JSON value was found inside a fence or prose.
    Extracted,
    /// Readable only after repairs.
    Repaired,
    /// Not readable as JSON.
    Invalid,
    /// No output text.
    Missing,
    /// The request failed or was blocked.
    Failed,
}

impl Tier {
    /// The tier's name as it appears in reports.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Strict => "strict",
            Tier::Extracted => "extracted",
            Tier::Repaired => "repaired",
            Tier::Invalid => "invalid",
            Tier::Missing => "missing",
            Tier::Failed => "failed",
        }
    }
}

/// A classified output: its tier, the value read (for strict, extracted and repaired outputs)
/// and the repairs it needed.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The validity tier.
    pub tier: Tier,
    /// The JSON value read, if any.
    pub value: Option<Value>,
    /// Repairs applied (all false unless the tier is [`Tier::Repaired`]).
    pub repairs: Repairs,
}

impl Parsed {
    fn without_value(tier: Tier) -> Self {
        Parsed {
            tier,
            value: None,
            repairs: Repairs::default(),
        }
    }

    /// The value to score: strict and extracted values always, repaired ones only when
    /// `use_repaired` is set (`--repair`). Everything else scores as an empty output.
    pub fn scored_value(&self, use_repaired: bool) -> Option<&Value> {
        match self.tier {
            Tier::Strict | Tier::Extracted => self.value.as_ref(),
            Tier::Repaired if use_repaired => self.value.as_ref(),
            _ => None,
        }
    }
}

/// Classifies a prediction's output; `None` (no prediction line) is [`Tier::Missing`]. An
/// answer made of tool calls is classified as the text of the calls in `form`.
pub fn classify(output: Option<&Output>, form: ToolCallForm) -> Parsed {
    match output {
        None | Some(Output::Empty) => Parsed::without_value(Tier::Missing),
        Some(Output::Failed(_)) => Parsed::without_value(Tier::Failed),
        Some(Output::Value(value)) => Parsed {
            tier: Tier::Strict,
            value: Some(value.clone()),
            repairs: Repairs::default(),
        },
        Some(Output::Text(text)) => classify_text(text),
        Some(Output::ToolCalls(calls)) => classify_text(&answer_text(calls, form)),
    }
}

/// Classifies raw model text.
pub fn classify_text(text: &str) -> Parsed {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Parsed::without_value(Tier::Missing);
    }
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        return Parsed {
            tier: Tier::Strict,
            value: Some(value),
            repairs: Repairs::default(),
        };
    }
    let Some(candidate) = candidate(text) else {
        return Parsed::without_value(Tier::Invalid);
    };
    let mut values = serde_json::Deserializer::from_str(candidate).into_iter::<Value>();
    if let Some(Ok(value)) = values.next() {
        return Parsed {
            tier: Tier::Extracted,
            value: Some(value),
            repairs: Repairs::default(),
        };
    }
    match repair(candidate) {
        Some((value, repairs)) if repairs.any() => Parsed {
            tier: Tier::Repaired,
            value: Some(value),
            repairs,
        },
        _ => Parsed::without_value(Tier::Invalid),
    }
}

/// The text from the first `[` or `{` of the first markdown fence's body to the end of that
/// body; or, when there is no fence or its body holds no bracket (a one-line fence, a stray
/// closing fence after the JSON), from the first `[` or `{` of the whole text.
fn candidate(text: &str) -> Option<&str> {
    if let Some(body) = fence_body(text)
        && let Some(start) = body.find(['[', '{'])
    {
        return Some(&body[start..]);
    }
    let start = text.find(['[', '{'])?;
    Some(&text[start..])
}

/// The body of the first ``` fence: from the line after the opening fence (which may carry a
/// language tag) to the closing fence, or to the end of the text when the output was cut off
/// before the fence closed.
fn fence_body(text: &str) -> Option<&str> {
    let open = text.find("```")?;
    let after_tag = &text[open + 3..];
    let body_start = after_tag.find('\n').map_or(after_tag.len(), |i| i + 1);
    let body = &after_tag[body_start..];
    Some(body.find("```").map_or(body, |close| &body[..close]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tier(text: &str) -> Tier {
        classify_text(text).tier
    }

    #[test]
    fn strict_is_the_whole_trimmed_text() {
        assert_eq!(tier("  [1, 2]\n"), Tier::Strict);
        assert_eq!(tier("\"just a string\""), Tier::Strict);
        assert_eq!(classify_text("{\"a\": 1}").value, Some(json!({"a": 1})));
    }

    #[test]
    fn extracted_from_fences_and_prose() {
        let fenced = "```json\n[{\"a\": 1}]\n```";
        assert_eq!(tier(fenced), Tier::Extracted);
        assert_eq!(classify_text(fenced).value, Some(json!([{"a": 1}])));
        assert_eq!(
            tier("Here are the events:\n[{\"a\": 1}]\nLet me know!"),
            Tier::Extracted
        );
        assert_eq!(
            tier("Sure.\n```\n{\"a\": [1]}\n```\nDone."),
            Tier::Extracted
        );
        // A one-line fence, and JSON followed by a stray closing fence.
        assert_eq!(
            classify_text("```json [{\"a\": 1}]```").value,
            Some(json!([{"a": 1}]))
        );
        assert_eq!(tier("{\"a\": 1}\n```"), Tier::Extracted);
        // The fence's body wins over a bracket in the prose before it.
        let v = classify_text("Events [see below]:\n```json\n[2]\n```").value;
        assert_eq!(v, Some(json!([2])));
    }

    #[test]
    fn a_truncated_array_is_not_passed_off_as_its_first_element() {
        let text = "```json\n[{\"a\": 1}, {\"a\": 2}, {\"a\"";
        let parsed = classify_text(text);
        assert_eq!(parsed.tier, Tier::Repaired);
        assert_eq!(parsed.value, Some(json!([{"a": 1}, {"a": 2}])));
        assert!(parsed.repairs.truncated);
        // No retry at a later position: the second `[` is never tried.
        assert_eq!(tier("[oops [1, 2]"), Tier::Invalid);
    }

    #[test]
    fn repaired_and_invalid() {
        let parsed = classify_text("[{\"a\": 1,},]");
        assert_eq!(parsed.tier, Tier::Repaired);
        assert!(parsed.repairs.trailing_comma);
        assert_eq!(tier("I could not identify any plays."), Tier::Invalid);
        assert_eq!(tier("{{{"), Tier::Invalid);
        assert_eq!(tier("}"), Tier::Invalid);
    }

    #[test]
    fn missing_failed_and_prepared_values() {
        assert_eq!(classify(None, ToolCallForm::default()).tier, Tier::Missing);
        assert_eq!(
            classify(Some(&Output::Empty), ToolCallForm::default()).tier,
            Tier::Missing
        );
        assert_eq!(tier(" \n "), Tier::Missing);
        assert_eq!(
            classify(Some(&Output::Failed("x".into())), ToolCallForm::default()).tier,
            Tier::Failed
        );
        assert_eq!(
            classify(Some(&Output::Value(json!([]))), ToolCallForm::default()).tier,
            Tier::Strict
        );
    }

    #[test]
    fn repaired_values_are_scored_only_on_request() {
        let parsed = classify_text("[1,]");
        assert_eq!(parsed.scored_value(false), None);
        assert_eq!(parsed.scored_value(true), Some(&json!([1])));
    }

    #[test]
    fn deep_nesting_is_invalid_not_a_crash() {
        let text = "[".repeat(10_000_000);
        assert_eq!(tier(&text), Tier::Invalid);
    }
}

/// What a prediction line says the model produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Raw model text, to be parsed by [`crate::validity`].
    Text(String),
    /// A JSON value the line carries already parsed (plain shape only).
    Value(Value),
    /// The request succeeded but the model produced no text at all.
    Empty,
    /// The request failed or was blocked; the reason as the provider gave it.
    Failed(String),
    /// The answer is tool calls, not text: what is scored is the calls in the spec's
    /// [`ToolCallForm`].
    ToolCalls(Vec<ToolCall>),
}
