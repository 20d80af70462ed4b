//! Prompt and completion: the test-set shape of OpenAI's legacy fine-tuning (`{"prompt",
//! "completion"}`, as the OpenAI legacy fine-tuning guide and Amazon Bedrock's text-to-text
//! fine-tuning describe it), and the conversational variant many trainers read (Hugging Face
//! TRL), whose `prompt` and `completion` are lists of `{"role", "content"}` messages.
//!
//! - [`LINE`], an expected line: the `completion` text (a string, or the last `assistant`
//!   message of the list) holds the expected output.
//!
//! The request hash covers the prompt: a string as one user turn, a list of messages as an
//! OpenAI chat request (its `user` messages, its `system` messages as the system instruction).

use serde_json::{Map, Value};

use super::openai::{chat_hashes, messages_prompt, openai_prompt_parts, openai_text};
use super::{ExpectedCalls, ExpectedShape, RequestHashes, UserPart, content_hash, parse_answer};
use crate::kind_of;
use crate::prompt::{Part, Prompt, Turn};
use verdict_core::error::{Error, Location, Result};

/// A prompt/completion line, recognised by its `prompt` and `completion`.
pub(crate) const LINE: ExpectedShape = ExpectedShape {
    name: "a prompt/completion line {\"prompt\", \"completion\"}",
    matches: |obj| obj.contains_key("prompt") && obj.contains_key("completion"),
    read,
    fast: None,
    prompt: Some(prompt),
};

/// The request hashes and expected output of a prompt/completion line.
fn read(
    location: &Location,
    obj: &Map<String, Value>,
) -> Result<(Option<RequestHashes>, Value, Option<ExpectedCalls>)> {
    let fail = |message: String| {
        Error::line(
            location.clone(),
            format!("prompt/completion line: {message}"),
        )
    };
    let expected = match &obj["completion"] {
        Value::String(text) => parse_answer(
            location,
            text,
            "the \"completion\" of the prompt/completion line",
        )?,
        Value::Array(messages) => {
            let answer = messages
                .iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
                .ok_or_else(|| {
                    fail("\"completion\" has no message with role \"assistant\": its last assistant message holds the expected output".into())
                })?;
            let text = openai_text(answer.get("content").unwrap_or(&Value::Null));
            parse_answer(
                location,
                &text,
                "the last assistant message of the prompt/completion line's \"completion\"",
            )?
        }
        other => {
            return Err(fail(format!(
                "\"completion\" must be a string or an array of messages, found {}",
                kind_of(other)
            )));
        }
    };
    let hashes = match &obj["prompt"] {
        Value::String(prompt) => RequestHashes {
            content: content_hash(&[vec![UserPart::Text(prompt)]]),
            system: None,
        },
        Value::Array(messages) => chat_hashes(messages, None),
        other => {
            return Err(fail(format!(
                "\"prompt\" must be a string or an array of messages, found {}",
                kind_of(other)
            )));
        }
    };
    Ok((Some(hashes), expected, None))
}

/// What a prompt/completion line asks: a string `prompt` as one user turn, a list of
/// messages as an OpenAI chat request's messages (all of them come before the answer, which
/// is the `completion`).
fn prompt(location: &Location, obj: &Map<String, Value>) -> Result<Prompt> {
    match &obj["prompt"] {
        Value::Array(messages) => messages_prompt(
            location,
            "prompt/completion line: ",
            messages,
            Vec::new(),
            "assistant",
            |content, assistant| {
                Ok(if assistant {
                    vec![Part::Text(openai_text(content))]
                } else {
                    openai_prompt_parts(content)
                })
            },
        ),
        prompt => Ok(Prompt {
            system: Vec::new(),
            turns: vec![Turn {
                assistant: false,
                parts: vec![Part::Text(prompt.as_str().unwrap_or_default().to_owned())],
            }],
        }),
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
            line: 5,
        }
    }

    #[test]
    fn a_string_completion_or_the_last_assistant_message_is_the_answer() {
        let plain = json!({"prompt": "Ticket: late parcel\n\n###\n\n", "completion": " {\"intent\": \"shipping\"}\n"});
        let ex = detect(loc(), plain).unwrap();
        assert_eq!(ex.expected, json!({"intent": "shipping"}));
        let chat = json!({"messages": [{"role": "user", "content": "Ticket: late parcel\n\n###\n\n"},
            {"role": "assistant", "content": "{}"}]});
        assert_eq!(ex.keys, detect(loc(), chat).unwrap().keys);
        let conversational = json!({
            "prompt": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}],
            "completion": [{"role": "assistant", "content": "[1]"}]
        });
        let ex = detect(loc(), conversational).unwrap();
        assert_eq!(ex.expected, json!([1]));
        assert!(ex.keys.system.is_some());
    }

    #[test]
    fn refusals_name_the_shape() {
        let err = |v| detect(loc(), v).unwrap_err().to_string();
        assert_eq!(
            err(json!({"prompt": "q", "completion": 3})),
            "expected.jsonl:5: prompt/completion line: \"completion\" must be a string or an array of messages, found a number"
        );
        assert_eq!(
            err(json!({"prompt": {}, "completion": "[]"})),
            "expected.jsonl:5: prompt/completion line: \"prompt\" must be a string or an array of messages, found an object"
        );
        assert!(
            err(json!({"prompt": "q", "completion": " yes END"})).starts_with(
                "expected.jsonl:5: the text of the \"completion\" of the prompt/completion line is not valid JSON"
            )
        );
    }
}
