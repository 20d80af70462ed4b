//! Tool (function) calls as answers: the most common way to get JSON out of a model is to make
//! it call a function whose arguments are the JSON. When an answer holds calls instead of text,
//! the calls are what is scored, in the form the spec's `tool_calls` key asks for.

use serde::Deserialize;
use serde_json::Value;

/// One tool call of an answer, in the order the model made it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The called function's name, as the provider gives it.
    pub name: String,
    /// The call's arguments.
    pub arguments: Arguments,
}

/// A call's arguments as the provider carries them.
#[derive(Debug, Clone, PartialEq)]
pub enum Arguments {
    /// JSON text the model wrote (OpenAI's `function.arguments`): it may be invalid JSON like
    /// any model text, and is classified as text is.
    Text(String),
    /// A JSON value the provider parsed already (Anthropic's `input`, Gemini's `args`).
    Value(Value),
}

/// What of an answer's tool calls is scored: the spec's top-level `tool_calls` key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallForm {
    /// Only the arguments: one call gives its arguments, several a list of them in order.
    #[default]
    Arguments,
    /// Each call as `{"name": NAME, "arguments": ARGUMENTS}`: one call gives that object,
    /// several a list of them in order.
    Calls,
}

/// The text to classify for an answer made of `calls`: arguments the model wrote as text stay
/// text, so invalid arguments are invalid (or repaired) exactly as an invalid text answer is.
pub fn answer_text(calls: &[ToolCall], form: ToolCallForm) -> String {
    let one = |call: &ToolCall| {
        let arguments = match &call.arguments {
            Arguments::Text(text) => text.trim().to_owned(),
            Arguments::Value(value) => value.to_string(),
        };
        match form {
            ToolCallForm::Arguments => arguments,
            ToolCallForm::Calls => format!(
                "{{\"name\": {}, \"arguments\": {arguments}}}",
                Value::String(call.name.clone())
            ),
        }
    };
    match calls {
        [call] => one(call),
        calls => format!("[{}]", calls.iter().map(one).collect::<Vec<_>>().join(", ")),
    }
}

/// The value an expected answer made of `calls` is compared as: the same form as
/// [`answer_text`] gives the predicted side. Expected arguments are ground truth and already
/// parsed.
pub fn expected_value(calls: &[(String, Value)], form: ToolCallForm) -> Value {
    let one = |(name, arguments): &(String, Value)| match form {
        ToolCallForm::Arguments => arguments.clone(),
        ToolCallForm::Calls => serde_json::json!({"name": name, "arguments": arguments}),
    };
    match calls {
        [call] => one(call),
        calls => Value::Array(calls.iter().map(one).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(name: &str, arguments: Arguments) -> ToolCall {
        ToolCall {
            name: name.into(),
            arguments,
        }
    }

    #[test]
    fn one_call_is_its_arguments_and_several_a_list() {
        let calls = [
            call("record", Arguments::Text(" {\"a\": 1} ".into())),
            call("record", Arguments::Value(json!({"b": [2]}))),
        ];
        assert_eq!(
            answer_text(&calls[..1], ToolCallForm::Arguments),
            "{\"a\": 1}"
        );
        assert_eq!(
            answer_text(&calls, ToolCallForm::Arguments),
            "[{\"a\": 1}, {\"b\":[2]}]"
        );
        let named: Value = serde_json::from_str(&answer_text(&calls, ToolCallForm::Calls)).unwrap();
        assert_eq!(
            named,
            json!([{"name": "record", "arguments": {"a": 1}}, {"name": "record", "arguments": {"b": [2]}}])
        );
    }

    #[test]
    fn both_sides_take_the_same_form() {
        let expected = [("record".to_owned(), json!({"a": 1}))];
        let predicted = [call("record", Arguments::Value(json!({"a": 1})))];
        for form in [ToolCallForm::Arguments, ToolCallForm::Calls] {
            let text = answer_text(&predicted, form);
            assert_eq!(
                serde_json::from_str::<Value>(&text).unwrap(),
                expected_value(&expected, form)
            );
        }
    }

    #[test]
    fn a_name_is_escaped_into_the_text() {
        let text = answer_text(
            &[call("a\"b", Arguments::Value(json!(null)))],
            ToolCallForm::Calls,
        );
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"name": "a\"b", "arguments": null})
        );
    }
}
