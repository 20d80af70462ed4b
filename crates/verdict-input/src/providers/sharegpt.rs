//! ShareGPT: the conversation test-set shape of open-model tuning (LLaMA-Factory's `sharegpt`
//! format, axolotl's `sharegpt` type, FastChat's training data), as LLaMA-Factory's
//! `data/README.md` describes it.
//!
//! - [`LINE`], an expected line: `{"conversations": [{"from", "value"}, ...], "system",
//!   "tools"}`. `from` is `human` (or `user`) for the user, `gpt` (or `assistant`) for the
//!   model, `system` for a system prompt given as a turn, `function_call` for a tool call and
//!   `observation` for its result. The last model turn (`gpt` or `function_call`) holds the
//!   expected answer: a `gpt` turn's value is the expected output; a `function_call` turn's
//!   value is JSON text of one call `{"name", "arguments"}` or a list of them (parallel calls,
//!   as LLaMA-Factory's function formatter reads it), and the expected answer is the calls.
//!   A `gpt` turn after an `observation` is a text answer like any other.
//!
//! The request hash covers the `human` turns; the system instruction is the top-level
//! `system` and any `system` turns, in that order.

use serde_json::{Map, Value};

use super::{ExpectedCalls, ExpectedShape, RequestHashes, UserPart, parse_answer, request_hashes};
use crate::kind_of;
use crate::prompt::{Part, Prompt, Turn};
use verdict_core::error::{Error, Location, Result};
use verdict_core::tools::{ToolCallForm, expected_value};

/// A ShareGPT line, recognised by its `conversations`.
pub(crate) const LINE: ExpectedShape = ExpectedShape {
    name: "a ShareGPT line {\"conversations\": [...]}",
    matches: |obj| obj.contains_key("conversations"),
    read,
    fast: None,
    prompt: Some(prompt),
};

const USER: [&str; 2] = ["human", "user"];
const MODEL: [&str; 2] = ["gpt", "assistant"];
const CALL: &str = "function_call";

fn from(turn: &Value) -> Option<&str> {
    turn.get("from").and_then(Value::as_str)
}

fn fail(location: &Location, message: impl std::fmt::Display) -> Error {
    Error::line(location.clone(), format!("ShareGPT line: {message}"))
}

fn turns<'a>(location: &Location, obj: &'a Map<String, Value>) -> Result<&'a [Value]> {
    let conversations = &obj["conversations"];
    conversations.as_array().map(Vec::as_slice).ok_or_else(|| {
        fail(
            location,
            format!(
                "\"conversations\" must be an array of turns, found {}",
                kind_of(conversations)
            ),
        )
    })
}

/// The position of the answer: the last turn from the model, a `gpt` turn or a
/// `function_call` turn.
fn answer_at(location: &Location, turns: &[Value]) -> Result<usize> {
    turns
        .iter()
        .rposition(|t| from(t).is_some_and(|f| MODEL.contains(&f) || f == CALL))
        .ok_or_else(|| {
            fail(location, "\"conversations\" has no turn from \"gpt\": the last \"gpt\" turn holds the expected output")
        })
}

/// The request hashes and expected output of a ShareGPT line.
fn read(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
    let turns = turns(location, obj)?;
    let at = answer_at(location, turns)?;
    let answer = &turns[at];
    let value = |what: &str| match answer.get("value") {
        Some(Value::String(text)) => Ok(text),
        other => Err(fail(
            location,
            format!(
                "the \"value\" of the last {what} turn must be a string, found {}",
                other.map_or("none", kind_of)
            ),
        )),
    };
    let (expected, calls) = if from(answer) == Some(CALL) {
        // The documented conversation alternates the user's side (human, observation) with
        // the model's (gpt, function_call): parallel calls are one turn holding a list, and
        // two call turns in a row are a line whose answer cannot be told.
        if at > 0 && from(&turns[at - 1]) == Some(CALL) {
            return Err(fail(
                location,
                "two \"function_call\" turns in a row end the conversation: give parallel calls as one \"function_call\" turn whose value is a list [{\"name\": ..., \"arguments\": {...}}, ...]",
            ));
        }
        let calls = expected_calls(location, value("\"function_call\"")?)?;
        (expected_value(&calls, ToolCallForm::default()), Some(calls))
    } else {
        let text = value("\"gpt\"")?;
        let expected = parse_answer(location, text, "the last \"gpt\" turn of the ShareGPT line")?;
        (expected, None)
    };
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
        calls,
    ))
}

/// The calls of a `function_call` turn's value: JSON text of `{"name", "arguments"}` or of a
/// list of them. Expected calls are ground truth: the text must be strict JSON, each call must
/// name its function and give its arguments as a JSON object (not as text, which would leave
/// open whether the text or what it encodes is expected).
fn expected_calls(location: &Location, text: &str) -> Result<ExpectedCalls> {
    const SHAPE: &str = "{\"name\": \"...\", \"arguments\": {...}}";
    let value = parse_answer(
        location,
        text,
        "the last \"function_call\" turn of the ShareGPT line",
    )?;
    let calls = match value {
        Value::Array(calls) if !calls.is_empty() => calls,
        Value::Object(_) => vec![value],
        other => {
            return Err(fail(
                location,
                format!(
                    "the last \"function_call\" turn must hold a call {SHAPE} or a non-empty list of them, found {}",
                    if other.is_array() {
                        "an empty list"
                    } else {
                        kind_of(&other)
                    }
                ),
            ));
        }
    };
    calls
        .into_iter()
        .enumerate()
        .map(|(i, call)| {
            let what = format!("call {} of the last \"function_call\" turn", i + 1);
            let Some(name) = call.get("name").and_then(Value::as_str) else {
                return Err(fail(
                    location,
                    format!("{what} has no function name: expected {SHAPE}"),
                ));
            };
            match call.get("arguments") {
                Some(arguments @ Value::Object(_)) => Ok((name.to_owned(), arguments.clone())),
                other => Err(fail(
                    location,
                    format!(
                        "the \"arguments\" of {what} must be a JSON object, found {}: expected {SHAPE}",
                        other.map_or("none", kind_of)
                    ),
                )),
            }
        })
        .collect()
}

/// A turn's `value` as a hashable part.
fn part(turn: &Value) -> Vec<UserPart<'_>> {
    match turn.get("value") {
        Some(Value::String(text)) => vec![UserPart::Text(text)],
        other => vec![UserPart::Other(other.unwrap_or(&Value::Null))],
    }
}

/// What a ShareGPT line asks: its system instruction (the top-level `system`, then any
/// `system` turns, a piece each) and the `human` and `gpt` turns before its answer.
/// A turn after the answer, or a tool call or its result before it, is refused: the request
/// written would not be the line's.
fn prompt(location: &Location, obj: &Map<String, Value>) -> Result<Prompt> {
    let turns = turns(location, obj)?;
    let at = answer_at(location, turns)?;
    if let Some(after) = turns.get(at + 1) {
        return Err(fail(
            location,
            format!(
                "a turn with \"from\" {} follows the last model turn (the expected answer): a request cannot be built from this line",
                from_name(after)
            ),
        ));
    }
    let text = |turn: &Value| match turn.get("value") {
        Some(Value::String(text)) => Ok(text.clone()),
        other => Err(fail(
            location,
            format!(
                "the \"value\" of a turn with \"from\" {} must be a string, found {}",
                from_name(turn),
                other.map_or("none", kind_of)
            ),
        )),
    };
    let mut system = Vec::new();
    match obj.get("system") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => system.push(text.clone()),
        Some(other) => {
            return Err(fail(
                location,
                format!("\"system\" must be a string, found {}", kind_of(other)),
            ));
        }
    }
    let mut prompt = Prompt::default();
    for turn in &turns[..at] {
        let assistant = match from(turn) {
            Some(f) if USER.contains(&f) => false,
            Some(f) if MODEL.contains(&f) => true,
            Some("system") => {
                system.push(text(turn)?);
                continue;
            }
            _ => {
                return Err(fail(
                    location,
                    format!(
                        "a turn with \"from\" {} comes before the expected answer: verdict requests carries system, human and gpt turns only",
                        from_name(turn)
                    ),
                ));
            }
        };
        prompt.turns.push(Turn {
            assistant,
            parts: vec![Part::Text(text(turn)?)],
        });
    }
    if prompt.turns.last().is_none_or(|t| t.assistant) {
        return Err(fail(
            location,
            "no \"human\" turn comes right before the last model turn: a request needs the user's turn",
        ));
    }
    prompt.system = system;
    Ok(prompt)
}

/// A turn's `from` for messages: its JSON, or "none".
fn from_name(turn: &Value) -> String {
    turn.get("from")
        .map_or_else(|| "none".into(), Value::to_string)
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

    fn call_line(value: &str) -> serde_json::Value {
        json!({"conversations": [{"from": "human", "value": "How old am I?"},
            {"from": "function_call", "value": value}]})
    }

    #[test]
    fn a_function_call_turn_as_the_answer_expects_its_calls() {
        let one = detect(
            loc(),
            call_line(
                "{\"name\": \"calculate_age\", \"arguments\": {\"birthdate\": \"1990-05-15\"}}",
            ),
        )
        .unwrap();
        let arguments = json!({"birthdate": "1990-05-15"});
        assert_eq!(one.expected, arguments);
        assert_eq!(
            one.expected_calls,
            Some(vec![("calculate_age".to_owned(), arguments)])
        );
        // Parallel calls: one turn holding a list.
        let two = detect(
            loc(),
            call_line("[{\"name\": \"f\", \"arguments\": {\"a\": 1}}, {\"name\": \"g\", \"arguments\": {}}]"),
        )
        .unwrap();
        assert_eq!(two.expected, json!([{"a": 1}, {}]));
        assert_eq!(two.expected_calls.unwrap().len(), 2);
        // A gpt turn after the call's observation is a text answer.
        let after = json!({"conversations": [{"from": "human", "value": "q"},
            {"from": "function_call", "value": "{\"name\": \"f\", \"arguments\": {}}"},
            {"from": "observation", "value": "{\"age\": 35}"}, {"from": "gpt", "value": "{\"age\": 35}"}]});
        let text = detect(loc(), after).unwrap();
        assert_eq!(
            (text.expected, text.expected_calls),
            (json!({"age": 35}), None)
        );
    }

    #[test]
    fn expected_calls_must_be_strict_json_of_the_documented_shape() {
        let err = |v: &str| detect(loc(), call_line(v)).unwrap_err().to_string();
        assert!(
            err("{'name': 'f'}").starts_with(
                "expected.jsonl:2: the text of the last \"function_call\" turn of the ShareGPT line is not valid JSON"
            ),
            "{}",
            err("{'name': 'f'}")
        );
        assert_eq!(
            err("{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}"),
            "expected.jsonl:2: ShareGPT line: the \"arguments\" of call 1 of the last \"function_call\" turn must be a JSON object, found a string: expected {\"name\": \"...\", \"arguments\": {...}}"
        );
        assert_eq!(
            err("[{\"name\": \"f\", \"arguments\": {}}, {\"arguments\": {}}]"),
            "expected.jsonl:2: ShareGPT line: call 2 of the last \"function_call\" turn has no function name: expected {\"name\": \"...\", \"arguments\": {...}}"
        );
        assert_eq!(
            err("[]"),
            "expected.jsonl:2: ShareGPT line: the last \"function_call\" turn must hold a call {\"name\": \"...\", \"arguments\": {...}} or a non-empty list of them, found an empty list"
        );
        let twice = json!({"conversations": [{"from": "human", "value": "q"},
            {"from": "function_call", "value": "{\"name\": \"f\", \"arguments\": {}}"},
            {"from": "function_call", "value": "{\"name\": \"g\", \"arguments\": {}}"}]});
        assert_eq!(
            detect(loc(), twice).unwrap_err().to_string(),
            "expected.jsonl:2: ShareGPT line: two \"function_call\" turns in a row end the conversation: give parallel calls as one \"function_call\" turn whose value is a list [{\"name\": ..., \"arguments\": {...}}, ...]"
        );
    }

    #[test]
    fn the_prompt_is_the_system_and_the_turns_before_the_answer() {
        use crate::prompt::{Part, Turn};
        let prompt = |v| crate::expected::detect_with_prompt(loc(), v).map(|(_, p)| p);
        let line = json!({"system": "s", "conversations": [{"from": "system", "value": "t"},
            {"from": "human", "value": "q1"}, {"from": "gpt", "value": "a1"},
            {"from": "human", "value": "q2"}, {"from": "gpt", "value": "[]"}]});
        let p = prompt(line).unwrap();
        assert_eq!(p.system, ["s", "t"]);
        let turn = |assistant, text: &str| Turn {
            assistant,
            parts: vec![Part::Text(text.into())],
        };
        assert_eq!(
            p.turns,
            [turn(false, "q1"), turn(true, "a1"), turn(false, "q2")]
        );
        let err = |v| prompt(v).unwrap_err().to_string();
        assert_eq!(
            err(json!({"conversations": [{"from": "human", "value": "q"},
                {"from": "function_call", "value": "{\"name\": \"f\", \"arguments\": {}}"},
                {"from": "observation", "value": "1"}, {"from": "gpt", "value": "[]"}]})),
            "expected.jsonl:2: ShareGPT line: a turn with \"from\" \"function_call\" comes before the expected answer: verdict requests carries system, human and gpt turns only"
        );
        assert_eq!(
            err(json!({"conversations": [{"from": "human", "value": "q"},
                {"from": "gpt", "value": "[]"}, {"from": "human", "value": "more"}]})),
            "expected.jsonl:2: ShareGPT line: a turn with \"from\" \"human\" follows the last model turn (the expected answer): a request cannot be built from this line"
        );
    }

    #[test]
    fn refusals_name_the_shape() {
        let err = |v| detect(loc(), v).unwrap_err().to_string();
        assert_eq!(
            err(json!({"conversations": [{"from": "human", "value": "q"}]})),
            "expected.jsonl:2: ShareGPT line: \"conversations\" has no turn from \"gpt\": the last \"gpt\" turn holds the expected output"
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
