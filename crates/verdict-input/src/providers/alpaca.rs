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
use crate::prompt::{Part, Prompt, Turn};
use verdict_core::error::{Error, Location, Result};

/// An Alpaca line, recognised by its `instruction` and `output`.
pub(crate) const LINE: ExpectedShape = ExpectedShape {
    name: "an Alpaca line {\"instruction\", \"input\", \"output\"}",
    matches: |obj| obj.contains_key("instruction") && obj.contains_key("output"),
    read,
    fast: None,
    prompt: Some(prompt),
};

/// The fields of an Alpaca line that make its request.
struct Fields<'a> {
    /// `output`, the expected output's text.
    output: &'a str,
    /// The user turn: `instruction`, then a line break and `input` when it is not empty.
    prompt: String,
    /// `history`, the earlier `[instruction, response]` pairs.
    history: &'a [Value],
    /// `system`.
    system: Option<&'a str>,
}

fn fail(location: &Location, message: String) -> Error {
    Error::line(location.clone(), format!("Alpaca line: {message}"))
}

fn fields<'a>(location: &Location, obj: &'a Map<String, Value>) -> Result<Fields<'a>> {
    let text = |key: &str, optional: bool| -> Result<Option<&'a str>> {
        match obj.get(key) {
            Some(Value::String(text)) => Ok(Some(text)),
            None | Some(Value::Null) if optional => Ok(None),
            other => Err(fail(
                location,
                format!(
                    "\"{key}\" must be a string, found {}",
                    other.map_or("none", kind_of)
                ),
            )),
        }
    };
    let output = text("output", false)?.unwrap_or_default();
    let instruction = text("instruction", false)?.unwrap_or_default();
    let prompt = match text("input", true)? {
        Some(input) if !input.is_empty() => format!("{instruction}\n{input}"),
        _ => instruction.to_owned(),
    };
    let history = match obj.get("history") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(pairs)) => pairs.as_slice(),
        Some(other) => {
            return Err(fail(
                location,
                format!(
                    "\"history\" must be an array of [instruction, response] pairs, found {}",
                    kind_of(other)
                ),
            ));
        }
    };
    Ok(Fields {
        output,
        prompt,
        history,
        system: text("system", true)?,
    })
}

/// The request hashes and expected output of an Alpaca line.
fn read(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
    let fields = fields(location, obj)?;
    let expected = parse_answer(location, fields.output, "the \"output\" of the Alpaca line")?;
    let mut user_turns: Vec<Vec<UserPart<'_>>> = fields
        .history
        .iter()
        .map(|pair| match pair.get(0) {
            Some(Value::String(earlier)) => vec![UserPart::Text(earlier)],
            _ => vec![UserPart::Other(pair)],
        })
        .collect();
    user_turns.push(vec![UserPart::Text(&fields.prompt)]);
    let system = fields.system.map(|s| vec![UserPart::Text(s)]);
    Ok((
        Some(request_hashes(system.as_deref(), &user_turns)),
        expected,
        None,
    ))
}

/// What an Alpaca line asks: `system`, each `history` pair as a user turn and the model's
/// reply, then the user turn the hash covers (`instruction` and `input`).
fn prompt(location: &Location, obj: &Map<String, Value>) -> Result<Prompt> {
    let fields = fields(location, obj)?;
    let mut turns = Vec::with_capacity(2 * fields.history.len() + 1);
    for (i, pair) in fields.history.iter().enumerate() {
        let (Some(Value::String(asked)), Some(Value::String(answered)), None) =
            (pair.get(0), pair.get(1), pair.get(2))
        else {
            return Err(fail(
                location,
                format!(
                    "pair {} of \"history\" must be [instruction, response], two strings, found {}",
                    i + 1,
                    verdict_core::quote::plain(&pair.to_string())
                ),
            ));
        };
        for (assistant, text) in [(false, asked), (true, answered)] {
            turns.push(Turn {
                assistant,
                parts: vec![Part::Text(text.clone())],
            });
        }
    }
    turns.push(Turn {
        assistant: false,
        parts: vec![Part::Text(fields.prompt)],
    });
    Ok(Prompt {
        system: fields.system.map(str::to_owned).into_iter().collect(),
        turns,
    })
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
    fn the_prompt_is_the_history_then_instruction_and_input() {
        let prompt = |v| crate::expected::detect_with_prompt(loc(), v).map(|(_, p)| p);
        let p = prompt(
            json!({"instruction": "Extract", "input": "Bo, 3", "output": "[]",
            "system": "s", "history": [["q1", "a1"]]}),
        )
        .unwrap();
        assert_eq!(p.system, ["s"]);
        let texts: Vec<_> = p
            .turns
            .iter()
            .map(|t| (t.assistant, format!("{:?}", t.parts)))
            .collect();
        assert_eq!(
            texts,
            [
                (false, "[Text(\"q1\")]".to_owned()),
                (true, "[Text(\"a1\")]".to_owned()),
                (false, "[Text(\"Extract\\nBo, 3\")]".to_owned())
            ]
        );
        assert_eq!(
            prompt(json!({"instruction": "q", "output": "[]", "history": [["q1"]]}))
                .unwrap_err()
                .to_string(),
            "expected.jsonl:4: Alpaca line: pair 1 of \"history\" must be [instruction, response], two strings, found [\"q1\"]"
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
