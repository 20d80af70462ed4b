//! ShareGPT: the conversation test-set shape of open-model tuning (LLaMA-Factory's `sharegpt`
//! format, axolotl's `sharegpt` type, FastChat's training data), as LLaMA-Factory's
//! `data/README.md` describes it.
//!
//! - [`LINE`], an expected line: `{"conversations": [{"from", "value"}, ...], "system",
//!   "tools"}`. `from` is `human` (or `user`) for the user, `gpt` (or `assistant`) for the
//!   model, `system` for a system prompt given as a turn, `function_call` for a tool call and
//!   `observation` for its result. The last `gpt` turn holds the expected output.
//!
//! The request hash covers the `human` turns; the system instruction is the top-level
//! `system` and any `system` turns, in that order.

use serde_json::{Map, Value};

use super::{ExpectedCalls, ExpectedShape, RequestHashes, UserPart, parse_answer, request_hashes};
use crate::kind_of;
use verdict_core::error::{Error, Location, Result};

/// A ShareGPT line, recognised by its `conversations`.
pub(crate) const LINE: ExpectedShape = ExpectedShape {
    name: "a ShareGPT line {\"conversations\": [...]}",
    matches: |obj| obj.contains_key("conversations"),
    read,
    fast: None,
    prompt: None,
};

const USER: [&str; 2] = ["human", "user"];
const MODEL: [&str; 2] = ["gpt", "assistant"];

fn from(turn: &Value) -> Option<&str> {
    turn.get("from").and_then(Value::as_str)
}

/// The request hashes and expected output of a ShareGPT line.
fn read(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
    let fail = |message: String| Error::line(location.clone(), format!("ShareGPT line: {message}"));
    let conversations = &obj["conversations"];
    let turns = conversations.as_array().ok_or_else(|| {
        fail(format!(
            "\"conversations\" must be an array of turns, found {}",
            kind_of(conversations)
        ))
    })?;
    // A tool call where the answer should be is not read as the answer: which of its parts
    // would be scored is not this reader's to decide.
    let answer = turns
        .iter()
        .rev()
        .find(|t| from(t).is_some_and(|f| MODEL.contains(&f) || f == "function_call"))
        .ok_or_else(|| {
            fail("\"conversations\" has no turn from \"gpt\": the last \"gpt\" turn holds the expected output".into())
        })?;
    if from(answer) == Some("function_call") {
        return Err(fail("the last model turn is a \"function_call\" turn (a tool call): tool-call answers are not read from test sets yet; give the expected output as a \"gpt\" turn".into()));
    }
    let text = match answer.get("value") {
        Some(Value::String(text)) => text,
        other => {
            return Err(fail(format!(
                "the \"value\" of the last \"gpt\" turn must be a string, found {}",
                other.map_or("none", kind_of)
            )));
        }
    };
    let expected = parse_answer(location, text, "the last \"gpt\" turn of the ShareGPT line")?;
    let user_turns: Vec<_> = turns
        .iter()
        .filter(|t| from(t).is_some_and(|f| USER.contains(&f)))
        .map(part)
        .collect();
    let mut system: Option<Vec<UserPart<'_>>> = match obj.get("system") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(vec![UserPart::Text(text)]),
        Some(other) => Some(vec![UserPart::Other(other)]),
    };
    for turn in turns.iter().filter(|t| from(t) == Some("system")) {
        system.get_or_insert_with(Vec::new).extend(part(turn));
    }
    Ok((
        Some(request_hashes(system.as_deref(), &user_turns)),
        expected,
        None,
    ))
}

/// A turn's `value` as a hashable part.
fn part(turn: &Value) -> Vec<UserPart<'_>> {
    match turn.get("value") {
        Some(Value::String(text)) => vec![UserPart::Text(text)],
        other => vec![UserPart::Other(other.unwrap_or(&Value::Null))],
    }
}

#[cfg(test)]
mod tests {
    use crate::expected::detect;
    use serde_json::json;
    use verdict_core::error::Location;

    fn loc() -> Location {
        Location {
            path: "expected.jsonl".into(),
            line: 2,
        }
    }

    #[test]
    fn the_last_gpt_turn_is_the_answer_and_human_turns_the_request() {
        let line = json!({"conversations": [
            {"from": "human", "value": "q1"}, {"from": "gpt", "value": "[1]"},
            {"from": "human", "value": "q2"}, {"from": "gpt", "value": " {\"a\": 2} "}
        ]});
        let ex = detect(loc(), line).unwrap();
        assert_eq!(ex.expected, json!({"a": 2}));
        assert_eq!(ex.keys.system, None);
        // The same user turns in OpenAI's shape give the same request hash.
        let chat = json!({"messages": [
            {"role": "user", "content": "q1"}, {"role": "assistant", "content": "[1]"},
            {"role": "user", "content": "q2"}, {"role": "assistant", "content": "[]"}
        ]});
        assert_eq!(ex.keys.content, detect(loc(), chat).unwrap().keys.content);
    }

    #[test]
    fn a_system_prompt_as_a_key_or_a_turn_is_the_system_instruction() {
        let as_key = json!({"system": "s", "conversations": [
            {"from": "human", "value": "q"}, {"from": "gpt", "value": "[]"}]});
        let as_turn = json!({"conversations": [{"from": "system", "value": "s"},
            {"from": "human", "value": "q"}, {"from": "gpt", "value": "[]"}]});
        let chat = json!({"messages": [{"role": "system", "content": "s"},
            {"role": "user", "content": "q"}, {"role": "assistant", "content": "[]"}]});
        let keys = |v| detect(loc(), v).unwrap().keys;
        let key = keys(as_key);
        assert!(key.system.is_some());
        assert_eq!(key, keys(as_turn));
        assert_eq!(key, keys(chat));
    }

    #[test]
    fn refusals_name_the_shape() {
        let err = |v| detect(loc(), v).unwrap_err().to_string();
        assert_eq!(
            err(json!({"conversations": [{"from": "human", "value": "q"}]})),
            "expected.jsonl:2: ShareGPT line: \"conversations\" has no turn from \"gpt\": the last \"gpt\" turn holds the expected output"
        );
        assert_eq!(
            err(
                json!({"conversations": [{"from": "human", "value": "q"}, {"from": "function_call", "value": "{\"name\": \"f\", \"arguments\": {}}"}]})
            ),
            "expected.jsonl:2: ShareGPT line: the last model turn is a \"function_call\" turn (a tool call): tool-call answers are not read from test sets yet; give the expected output as a \"gpt\" turn"
        );
        assert!(
            err(json!({"conversations": [{"from": "gpt", "value": "Sure!"}]})).starts_with(
                "expected.jsonl:2: the text of the last \"gpt\" turn of the ShareGPT line is not valid JSON"
            )
        );
        assert_eq!(
            err(json!({"conversations": "q"})),
            "expected.jsonl:2: ShareGPT line: \"conversations\" must be an array of turns, found a string"
        );
        assert_eq!(
            err(json!({"conversations": [{"from": "gpt", "value": 1}]})),
            "expected.jsonl:2: ShareGPT line: the \"value\" of the last \"gpt\" turn must be a string, found a number"
        );
    }
}
