//! AWS Bedrock batch inference output ("View the results of a batch inference job" in the
//! Amazon Bedrock user guide): one line per record, `{"recordId", "modelInput",
//! "modelOutput"}`, or `{"recordId", "modelInput", "error": {"errorCode", "errorMessage"}}` for
//! a record that failed. `modelOutput` is the model's InvokeModel response body ("Inference
//! request parameters and response fields for foundation models"), or the Converse response for
//! Converse jobs; [`BATCH_LINE`] reads the bodies of:
//!
//! - Anthropic Claude (Messages API): an Anthropic message, read as [`anthropic`] reads it;
//! - Amazon Nova, and Converse: `output.message.content[]` (`text`, `toolUse` blocks;
//!   `reasoningContent` is reasoning), `stopReason`;
//! - Amazon Titan Text: `results[0].outputText`, `completionReason`;
//! - Meta Llama: `generation`, `stop_reason`;
//! - Mistral: `outputs[0].text`, `outputs[0].stop_reason`; and its chat models (Mistral
//!   Large): `choices[0].message.content`, `choices[0].stop_reason`.
//!
//! A line joins by `recordId` when the test set has ids, else by the request hash of the user
//! turns of `modelInput` ([`model_input_turns`]).

use serde_json::{Map, Value};

use super::{
    Answered, PredictedShape, UserPart, anthropic, calls_or_text, content_hash, non_empty_str,
    parsed_call, text_answer,
};
use crate::{Keys, Output, explicit_key, key_list, kind_of};
use verdict_core::error::{Error, Location, Result};

/// A Bedrock batch inference output line, recognised by its `modelInput` or `modelOutput`, or
/// by a `recordId` with an `error`. Name: "an AWS Bedrock batch inference output line".
/// Answer: by model, `modelOutput.content[].text` (Claude), `modelOutput.output.message.
/// content[].text` (Nova, Converse), `modelOutput.results[0].outputText` (Titan),
/// `modelOutput.generation` (Llama) or `modelOutput.outputs[0].text` (Mistral;
/// `modelOutput.choices[0].message.content` for its chat models).
pub(crate) const BATCH_LINE: PredictedShape = PredictedShape {
    name: "an AWS Bedrock batch inference output line {\"recordId\", \"modelInput\", \"modelOutput\"}",
    answer: "modelOutput (by model: content[].text, output.message.content[].text, results[0].outputText, generation, outputs[0].text)",
    matches: |obj| {
        obj.contains_key("modelInput")
            || obj.contains_key("modelOutput")
            || (obj.contains_key("recordId") && obj.contains_key("error"))
    },
    read: batch_line,
    fast: None,
};

/// Titan and Nova stop reasons that mean the answer was withheld, not merely cut short.
const BLOCKED: [&str; 3] = [
    "CONTENT_FILTERED",
    "content_filtered",
    "guardrail_intervened",
];

/// The keys, output and finish reason of a Bedrock batch output line: `recordId` as its
/// explicit key, the hashes of `modelInput`'s user turns (and of its `system`, for a
/// messages request) as its content keys.
fn batch_line(location: &Location, obj: &Map<String, Value>) -> Result<(Keys, Answered)> {
    let explicit = explicit_key(obj, &["recordId"], location)?;
    let (content, system) = match obj.get("modelInput") {
        Some(input) if input.get("messages").is_some() => {
            anthropic::messages_hashes(input).map_or((None, None), |h| (Some(h.content), h.system))
        }
        Some(input) => (model_input_turns(input).map(|t| content_hash(&t)), None),
        None => (None, None),
    };
    let keys = Keys {
        explicit,
        content,
        system,
    };
    if let Some(error) = obj.get("error").filter(|e| !e.is_null()) {
        return Ok((
            keys,
            Answered::plain(Output::Failed(error_reason(error)), None),
        ));
    }
    let Some(body) = obj.get("modelOutput").filter(|o| !o.is_null()) else {
        return Ok((
            keys,
            Answered::plain(Output::Failed("no modelOutput".into()), None),
        ));
    };
    Ok((keys, model_output(location, body)?))
}

/// "CODE: MESSAGE" of a record's `error`, either alone when the other is missing.
fn error_reason(error: &Value) -> String {
    let code = error.get("errorCode").and_then(|c| match c {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let message = error
        .get("errorMessage")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty());
    match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        (None, Some(message)) => message.to_owned(),
        (None, None) => non_empty_str(Some(error)).unwrap_or_else(|| "error".into()),
    }
}

/// The answer and finish reason of a `modelOutput` body, by the model family its keys show.
/// A body of none of the families read is an input error: verdict cannot tell where its
/// answer is.
fn model_output(location: &Location, body: &Value) -> Result<Answered> {
    let text_at = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let finish_at = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    if body.get("content").is_some_and(Value::is_array)
        || body.get("type").and_then(Value::as_str) == Some("message")
    {
        return Ok(anthropic::message_output(body));
    }
    if let Some(message) = body.pointer("/output/message") {
        let finish = finish_at(body.get("stopReason"));
        return Ok(match finish.as_deref().filter(|r| BLOCKED.contains(r)) {
            Some(reason) => Answered::plain(Output::Failed(format!("blocked: {reason}")), finish),
            None => {
                let (output, reasoning) = converse_message(message);
                Answered {
                    output,
                    finish_reason: finish,
                    reasoning,
                }
            }
        });
    }
    if let Some(results) = body.get("results").and_then(Value::as_array) {
        let first = results.first().unwrap_or(&Value::Null);
        let finish = finish_at(first.get("completionReason"));
        if let Some(reason) = finish.as_deref().filter(|r| BLOCKED.contains(r)) {
            return Ok(Answered::plain(
                Output::Failed(format!("blocked: {reason}")),
                finish,
            ));
        }
        let text = text_at(first.get("outputText")).unwrap_or_default();
        return Ok(text_answered(text, finish));
    }
    if let Some(generation) = body.get("generation") {
        let text = text_at(Some(generation)).unwrap_or_default();
        return Ok(text_answered(text, finish_at(body.get("stop_reason"))));
    }
    if let Some(outputs) = body.get("outputs").and_then(Value::as_array) {
        let first = outputs.first().unwrap_or(&Value::Null);
        let text = text_at(first.get("text")).unwrap_or_default();
        return Ok(text_answered(text, finish_at(first.get("stop_reason"))));
    }
    if let Some(choices) = body.get("choices").and_then(Value::as_array) {
        let first = choices.first().unwrap_or(&Value::Null);
        let text = text_at(first.pointer("/message/content")).unwrap_or_default();
        let finish = finish_at(
            first
                .get("stop_reason")
                .or_else(|| first.get("finish_reason")),
        );
        return Ok(text_answered(text, finish));
    }
    let found = match body {
        Value::Object(o) if o.is_empty() => "no keys".to_owned(),
        Value::Object(o) => format!("keys {}", key_list(o)),
        other => kind_of(other).to_owned(),
    };
    Err(Error::line(
        location.clone(),
        format!(
            "\"modelOutput\" is not a response body verdict reads: expected an Anthropic Claude message (\"content\"), an Amazon Nova or Converse response (\"output\": {{\"message\"}}), a Titan (\"results\"), Meta Llama (\"generation\") or Mistral (\"outputs\" or \"choices\") body; found {found}"
        ),
    ))
}

/// A text answer with its finish reason, its reasoning removed.
fn text_answered(text: String, finish_reason: Option<String>) -> Answered {
    let (output, reasoning) = text_answer(text);
    Answered {
        output,
        finish_reason,
        reasoning,
    }
}

/// The answer of a Nova or Converse `output.message`: its `toolUse` blocks when there are any,
/// else the text of its `text` blocks; `reasoningContent` blocks are reasoning and skipped.
/// Whether it had reasoning comes back beside it.
fn converse_message(message: &Value) -> (Output, bool) {
    let blocks = message
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut text = String::new();
    let mut calls = Vec::new();
    let mut thinking = false;
    for block in blocks {
        if let Some(t) = block.get("text").and_then(Value::as_str) {
            text.push_str(t);
        } else if let Some(call) = block.get("toolUse") {
            calls.push(parsed_call(call, "input"));
        } else if block.get("reasoningContent").is_some() {
            thinking = true;
        }
    }
    let (output, think) = calls_or_text(calls, text);
    (output, thinking || think)
}

/// The user turns of a `modelInput`, as hashable parts: the `messages` with role `user` of a
/// Claude, Nova or Converse request (their blocks read as [`anthropic::user_turns`] reads
/// them); for a prompt-only model, the whole prompt (Titan's `inputText`, Llama's and Mistral's
/// `prompt`) as one user turn of one text, chat-template tokens and all. `None` when the input
/// has none of these.
fn model_input_turns(input: &Value) -> Option<Vec<Vec<UserPart<'_>>>> {
    if let Some(messages) = input.get("messages").and_then(Value::as_array) {
        return Some(anthropic::user_turns(messages));
    }
    let prompt = input
        .get("inputText")
        .or_else(|| input.get("prompt"))
        .and_then(Value::as_str)?;
    Some(vec![vec![UserPart::Text(prompt)]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Prediction;
    use serde_json::json;
    use verdict_core::tools::{Arguments, ToolCall};

    fn detect(line: Value) -> Result<Prediction> {
        crate::predicted::detect(
            Location {
                path: "p.jsonl".into(),
                line: 1,
            },
            line,
        )
    }

    fn line(input: Value, output: Value) -> Prediction {
        detect(json!({"recordId": "CALL0000001", "modelInput": input, "modelOutput": output}))
            .unwrap()
    }

    /// The hash an OpenAI chat test line with this one user text gets.
    fn chat_hash(user: &str) -> Option<String> {
        crate::expected::detect(
            Location {
                path: "e.jsonl".into(),
                line: 1,
            },
            json!({"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": "{}"}]}),
        )
        .unwrap()
        .keys
        .content
    }

    #[test]
    fn each_model_familys_body_gives_its_answer_and_finish_reason() {
        let claude = line(
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]}]}),
            json!({"id": "msg_bdrk_01", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "{\"a\": 1}"}], "stop_reason": "end_turn"}),
        );
        assert_eq!(claude.output, Output::Text("{\"a\": 1}".into()));
        assert_eq!(claude.finish_reason.as_deref(), Some("end_turn"));
        let nova = line(
            json!({"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": "q"}]}]}),
            json!({"output": {"message": {"role": "assistant", "content": [{"reasoningContent": {"reasoningText": {"text": "[9]"}}}, {"text": "[1]"}]}}, "stopReason": "max_tokens"}),
        );
        assert_eq!(nova.output, Output::Text("[1]".into()));
        assert_eq!(nova.finish_reason.as_deref(), Some("max_tokens"));
        let titan = line(
            json!({"inputText": "q"}),
            json!({"inputTextTokenCount": 1, "results": [{"tokenCount": 3, "outputText": "[2]", "completionReason": "LENGTH"}]}),
        );
        assert_eq!(titan.output, Output::Text("[2]".into()));
        assert_eq!(titan.finish_reason.as_deref(), Some("LENGTH"));
        let llama = line(
            json!({"prompt": "q", "max_gen_len": 64}),
            json!({"generation": " [3]", "prompt_token_count": 1, "generation_token_count": 3, "stop_reason": "stop"}),
        );
        assert_eq!(llama.output, Output::Text(" [3]".into()));
        assert_eq!(llama.finish_reason.as_deref(), Some("stop"));
        let mistral = line(
            json!({"prompt": "q", "max_tokens": 64}),
            json!({"outputs": [{"text": "[4]", "stop_reason": "length"}]}),
        );
        assert_eq!(mistral.output, Output::Text("[4]".into()));
        assert_eq!(mistral.finish_reason.as_deref(), Some("length"));
        let mistral_chat = line(
            json!({"messages": [{"role": "user", "content": "q"}], "max_tokens": 64}),
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "[5]"}, "stop_reason": "stop"}]}),
        );
        assert_eq!(mistral_chat.output, Output::Text("[5]".into()));
        assert_eq!(mistral_chat.finish_reason.as_deref(), Some("stop"));
        // Every input shape's user turn hashes as a chat test line's with the same text.
        for p in [&claude, &nova, &titan, &llama, &mistral, &mistral_chat] {
            assert_eq!(p.keys.content, chat_hash("q"));
            assert_eq!(p.keys.explicit.as_deref(), Some("CALL0000001"));
        }
    }

    #[test]
    fn nova_tool_use_wins_and_blocks_fail() {
        let p = line(
            json!({"messages": [{"role": "user", "content": [{"text": "q"}]}]}),
            json!({"output": {"message": {"role": "assistant", "content": [{"text": "Recording."}, {"toolUse": {"toolUseId": "t1", "name": "record", "input": {"a": 1}}}]}}, "stopReason": "tool_use"}),
        );
        assert_eq!(
            p.output,
            Output::ToolCalls(vec![ToolCall {
                name: "record".into(),
                arguments: Arguments::Value(json!({"a": 1}))
            }])
        );
        let p = line(
            json!({"messages": []}),
            json!({"output": {"message": {"content": []}}, "stopReason": "content_filtered"}),
        );
        assert_eq!(p.output, Output::Failed("blocked: content_filtered".into()));
        let p = line(
            json!({"inputText": "q"}),
            json!({"results": [{"outputText": "", "completionReason": "CONTENT_FILTERED"}]}),
        );
        assert_eq!(p.output, Output::Failed("blocked: CONTENT_FILTERED".into()));
    }

    #[test]
    fn an_error_record_gives_its_code_and_message() {
        let p = detect(json!({"recordId": "1223213ABCD", "modelInput": {"inputText": "Hello world"}, "error": {"errorCode": 400, "errorMessage": "bad request"}})).unwrap();
        assert_eq!(p.output, Output::Failed("400: bad request".into()));
        assert_eq!(p.keys.explicit.as_deref(), Some("1223213ABCD"));
        assert_eq!(p.keys.content, chat_hash("Hello world"));
        let p = detect(json!({"recordId": "x", "modelInput": {"prompt": "q"}})).unwrap();
        assert_eq!(p.output, Output::Failed("no modelOutput".into()));
    }

    #[test]
    fn a_body_of_another_model_is_an_input_error() {
        let err = detect(json!({"recordId": "x", "modelInput": {"texts": ["q"]}, "modelOutput": {"embeddings": [[0.1]]}}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "p.jsonl:1: \"modelOutput\" is not a response body verdict reads: expected an Anthropic Claude message (\"content\"), an Amazon Nova or Converse response (\"output\": {\"message\"}), a Titan (\"results\"), Meta Llama (\"generation\") or Mistral (\"outputs\" or \"choices\") body; found keys \"embeddings\""
        );
    }
}
