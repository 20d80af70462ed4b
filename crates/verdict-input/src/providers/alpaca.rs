//! Alpaca: the instruction test-set shape of open-model tuning (Stanford Alpaca's data, and
//! LLaMA-Factory's `alpaca` format, whose `data/README.md` this follows).
//!
//! - [`LINE`], an expected line: `{"instruction", "input", "output", "system", "history"}`.
//!   `output` holds the expected output; `input` and `system` are optional; `history` is a
//!   list of earlier `[instruction, response]` pairs.
//!
//! The request hash covers the user turns as the trainers build them: each earlier
//! instruction of `history`, then `instruction` followed by a line break and `input` (the
//! instruction alone when `input` is empty), so that a batch request sent with that text joins
//! the line. `system` is the system instruction.

use serde_json::{Map, Value};

use super::{ExpectedCalls, ExpectedShape, RequestHashes, UserPart, parse_answer, request_hashes};
use crate::kind_of;
use verdict_core::error::{Error, Location, Result};

/// An Alpaca line, recognised by its `instruction` and `output`.
pub(crate) const LINE: ExpectedShape = ExpectedShape {
    name: "an Alpaca line {\"instruction\", \"input\", \"output\"}",
    matches: |obj| obj.contains_key("instruction") && obj.contains_key("output"),
    read,
    fast: None,
    prompt: None,
};

/// The request hashes and expected output of an Alpaca line.
fn read(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
    let fail = |message: String| Error::line(location.clone(), format!("Alpaca line: {message}"));
    let text = |key: &str, optional: bool| -> Result<Option<&str>> {
        match obj.get(key) {
            Some(Value::String(text)) => Ok(Some(text)),
            None | Some(Value::Null) if optional => Ok(None),
            other => Err(fail(format!(
                "\"{key}\" must be a string, found {}",
                other.map_or("none", kind_of)
            ))),
        }
    };
    let output = text("output", false)?.unwrap_or_default();
    let expected = parse_answer(location, output, "the \"output\" of the Alpaca line")?;
    let instruction = text("instruction", false)?.unwrap_or_default();
    let prompt = match text("input", true)? {
        Some(input) if !input.is_empty() => format!("{instruction}\n{input}"),
        _ => instruction.to_owned(),
    };
    let history = match obj.get("history") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(pairs)) => pairs.as_slice(),
        Some(other) => {
            return Err(fail(format!(
                "\"history\" must be an array of [instruction, response] pairs, found {}",
                kind_of(other)
            )));
        }
    };
    let mut user_turns: Vec<Vec<UserPart<'_>>> = history
        .iter()
        .map(|pair| match pair.get(0) {
            Some(Value::String(earlier)) => vec![UserPart::Text(earlier)],
            _ => vec![UserPart::Other(pair)],
        })
        .collect();
    user_turns.push(vec![UserPart::Text(&prompt)]);
    let system = text("system", true)?.map(|s| vec![UserPart::Text(s)]);
    Ok((
        Some(request_hashes(system.as_deref(), &user_turns)),
        expected,
        None,
    ))
}

#[cfg(test)]
mod tests {
    use crate::expected::detect;
    use serde_json::json;
    use verdict_core::error::Location;

    fn loc() -> Location {
        Location {
            path: "expected.jsonl".into(),
            line: 4,
        }
    }

    #[test]
    fn instruction_and_input_are_the_user_turn_as_trainers_join_them() {
        let alpaca = json!({"instruction": "Extract", "input": "Bo, 3", "output": "{\"n\": 3}"});
        let ex = detect(loc(), alpaca).unwrap();
        assert_eq!(ex.expected, json!({"n": 3}));
        let chat = json!({"messages": [{"role": "user", "content": "Extract\nBo, 3"},
            {"role": "assistant", "content": "{}"}]});
        assert_eq!(ex.keys, detect(loc(), chat).unwrap().keys);
        let no_input =
            json!({"instruction": "Extract", "input": "", "output": "[]", "system": "s"});
        let chat = json!({"messages": [{"role": "system", "content": "s"},
            {"role": "user", "content": "Extract"}, {"role": "assistant", "content": "{}"}]});
        assert_eq!(
            detect(loc(), no_input).unwrap().keys,
            detect(loc(), chat).unwrap().keys
        );
    }

    #[test]
    fn history_pairs_are_earlier_user_turns() {
        let line = json!({"instruction": "q2", "output": "[]", "history": [["q1", "a1"]]});
        let chat = json!({"messages": [{"role": "user", "content": "q1"},
            {"role": "assistant", "content": "a1"}, {"role": "user", "content": "q2"},
            {"role": "assistant", "content": "[]"}]});
        assert_eq!(
            detect(loc(), line).unwrap().keys,
            detect(loc(), chat).unwrap().keys
        );
    }

    #[test]
    fn refusals_name_the_shape() {
        let err = |v| detect(loc(), v).unwrap_err().to_string();
        assert_eq!(
            err(json!({"instruction": "q", "output": ["a"]})),
            "expected.jsonl:4: Alpaca line: \"output\" must be a string, found an array"
        );
        assert!(
            err(json!({"instruction": "q", "output": "The answer is 3."})).starts_with(
                "expected.jsonl:4: the text of the \"output\" of the Alpaca line is not valid JSON"
            )
        );
        assert_eq!(
            err(json!({"instruction": "q", "output": "[]", "history": "none"})),
            "expected.jsonl:4: Alpaca line: \"history\" must be an array of [instruction, response] pairs, found a string"
        );
    }
}
