//! `verdict requests`: the batch *input* file of a test set for a provider's batch API, one
//! request a test line, built from what the line asks ([`crate::prompt`]) and never from the
//! answer it expects.
//!
//! Each request carries a key the provider hands back with its answer: the example's own id
//! when every example has one, else a key derived from the example's request hash
//! ([`derived_key`]). A batch output line whose key is a derived key joins the test set by
//! that hash ([`hash_of_derived_key`]), so a test set with no ids joins its batch output by key.
//! Vertex AI batch lines carry no key: their output echoes the request, whose hash joins.
//!
//! The request shapes follow the providers' batch documentation: OpenAI Batch API input
//! (`custom_id`, `method`, `url`, `body`), Vertex AI batch prediction input (`request`), Gemini
//! API Batch Mode input files (`key`, `request`), Anthropic Message Batches requests
//! (`custom_id`, `params`) and Amazon Bedrock batch inference records for Anthropic Claude
//! (`recordId`, `modelInput` with `anthropic_version` `bedrock-2023-05-31`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::join::{JoinedBy, duplicate};
use crate::prompt::{Family, Part, Prompt, Turn};
use crate::read::read_jsonl;
use crate::{Example, expected};
use verdict_core::error::{Error, Location, Result};

/// What a derived key starts with; 16 lower-case hex digits of the request hash follow. Letters
/// and digits only, which every provider's key allows.
const DERIVED_PREFIX: &str = "verdict";

/// The key `verdict requests` gives an example without an id: its request hash, prefixed.
pub fn derived_key(hash: &str) -> String {
    format!("{DERIVED_PREFIX}{hash}")
}

/// The request hash a key derived by [`derived_key`] carries; `None` for any other key.
pub fn hash_of_derived_key(key: &str) -> Option<&str> {
    key.strip_prefix(DERIVED_PREFIX).filter(|hash| {
        hash.len() == 16 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// A provider's batch request shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// OpenAI Batch API, `/v1/chat/completions`.
    OpenAiChat,
    /// OpenAI Batch API, `/v1/responses`.
    OpenAiResponses,
    /// Vertex AI batch prediction for Gemini.
    Vertex,
    /// Gemini API Batch Mode, input file.
    Gemini,
    /// Anthropic Message Batches.
    Anthropic,
    /// Amazon Bedrock batch inference, Anthropic Claude's request body.
    BedrockClaude,
}

impl Provider {
    /// The name `--provider` takes.
    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAiChat => "openai-chat",
            Provider::OpenAiResponses => "openai-responses",
            Provider::Vertex => "vertex",
            Provider::Gemini => "gemini",
            Provider::Anthropic => "anthropic",
            Provider::BedrockClaude => "bedrock-claude",
        }
    }

    /// Whether each request names the model (elsewhere the batch job does).
    fn names_model(self) -> bool {
        matches!(
            self,
            Provider::OpenAiChat | Provider::OpenAiResponses | Provider::Anthropic
        )
    }

    /// Whether the provider requires `max_tokens`.
    fn needs_max_tokens(self) -> bool {
        matches!(self, Provider::Anthropic | Provider::BedrockClaude)
    }

    /// The largest temperature the provider accepts.
    fn max_temperature(self) -> f64 {
        match self {
            Provider::Anthropic | Provider::BedrockClaude => 1.0,
            _ => 2.0,
        }
    }
}

/// The model and generation settings every request carries.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The model, for the providers whose requests name it.
    pub model: Option<String>,
    /// The most tokens an answer may have.
    pub max_tokens: Option<u32>,
    /// The sampling temperature.
    pub temperature: Option<f64>,
}

/// How the written requests join their batch output back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyedBy {
    /// The examples' own ids.
    Ids,
    /// Keys derived from the request hashes.
    Derived,
    /// No key: the output echoes each request, whose hash joins it.
    RequestEcho,
}

/// What [`write()`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The requests file.
    pub path: PathBuf,
    /// How many requests it holds.
    pub requests: usize,
    /// How its lines join their answers back.
    pub keyed_by: KeyedBy,
}

/// Writes, atomically, the batch requests of every example of `expected` for `provider` to
/// `out`: one JSON object a line, in the order of the test set.
pub fn write(
    expected: &Path,
    provider: Provider,
    settings: &Settings,
    out: &Path,
) -> Result<Written> {
    check_settings(provider, settings)?;
    let mut examples: Vec<(Example, Prompt)> = Vec::new();
    read_jsonl(
        expected,
        crate::lines::DEFAULT_MAX_LINE_BYTES,
        |location, value| {
            examples.push(expected::detect_with_prompt(location, value)?);
            Ok(())
        },
    )?;
    if examples.is_empty() {
        return Err(Error::Path {
            path: expected.to_path_buf(),
            message: "no examples: the file is empty (expected one JSON object per line)".into(),
        });
    }
    let keyed_by = if provider == Provider::Vertex {
        KeyedBy::RequestEcho
    } else if examples.iter().all(|(e, _)| e.keys.explicit.is_some()) {
        KeyedBy::Ids
    } else {
        KeyedBy::Derived
    };
    let keys = keys_of(&examples, keyed_by, provider)?;
    let mut lines = Vec::with_capacity(examples.len());
    for ((example, prompt), key) in examples.iter().zip(keys) {
        let line = request_line(provider, settings, key, prompt)
            .map_err(|why| Error::line(example.location.clone(), why))?;
        lines.push(line);
    }
    let (dir, name) = split_out(out)?;
    // Written as a one-file set of its directory: under its lock, and moved into place whole.
    let mut out_dir = verdict_core::output::OutputDir::lock(dir)?;
    let mut set = out_dir.stage(&[name])?;
    let path = set.write_with(name, &mut |w| {
        for line in &lines {
            serde_json::to_writer(&mut *w, line)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    set.commit()?;
    Ok(Written {
        path,
        requests: lines.len(),
        keyed_by,
    })
}

fn check_settings(provider: Provider, settings: &Settings) -> Result<()> {
    let name = provider.name();
    match (&settings.model, provider.names_model()) {
        (None, true) => {
            return Err(Error::Usage(format!(
                "--provider {name} needs --model: each request names its model"
            )));
        }
        (Some(_), false) => {
            return Err(Error::Usage(format!(
                "--provider {name} takes no --model: the model is named when the batch job is created, not in each request"
            )));
        }
        _ => {}
    }
    if provider.needs_max_tokens() && settings.max_tokens.is_none() {
        return Err(Error::Usage(format!(
            "--provider {name} needs --max-tokens: the provider requires max_tokens in every request"
        )));
    }
    if settings.max_tokens == Some(0) {
        return Err(Error::Usage("--max-tokens must be at least 1".into()));
    }
    if let Some(t) = settings.temperature {
        let max = provider.max_temperature();
        if !(0.0..=max).contains(&t) {
            return Err(Error::Usage(format!(
                "--temperature {t}: --provider {name} takes a temperature from 0 to {max}"
            )));
        }
    }
    Ok(())
}

/// The key of each example's request: its id, or its derived key; `None` for Vertex AI,
/// whose lines carry none. Two examples with the same key (the same id, or the same request:
/// for Vertex AI, the same user turns and system instruction) are an error naming both lines,
/// as they would be when joining.
fn keys_of(
    examples: &[(Example, Prompt)],
    keyed_by: KeyedBy,
    provider: Provider,
) -> Result<Vec<Option<String>>> {
    let mut first: HashMap<&str, &Location> = HashMap::new();
    let mut keys = Vec::with_capacity(examples.len());
    for (example, _) in examples {
        let (joined_by, key) = match keyed_by {
            KeyedBy::Ids => (JoinedBy::ExplicitKey, example.keys.explicit.as_deref()),
            // Vertex AI echoes the request, system instruction included: two examples whose
            // user turns are equal but whose instructions differ join apart, as in `score`.
            KeyedBy::RequestEcho if example.keys.system.is_some() => (
                JoinedBy::RequestAndSystemHash,
                example.keys.system.as_deref(),
            ),
            _ => (JoinedBy::RequestHash, example.keys.content.as_deref()),
        };
        let Some(key) = key else {
            return Err(Error::line(
                example.location.clone(),
                "this line carries no request hash to derive its key from: give every example an \"id\"",
            ));
        };
        if let Some(earlier) = first.insert(key, &example.location) {
            return Err(duplicate(&example.location, earlier, key, joined_by));
        }
        keys.push(match keyed_by {
            KeyedBy::Ids => {
                if provider == Provider::Anthropic && !anthropic_id(key) {
                    return Err(Error::line(
                        example.location.clone(),
                        format!("id {key:?} cannot be an Anthropic custom_id, which is 1 to 64 letters, digits, '-' or '_': rename it, or leave every id out for keys derived from the requests"),
                    ));
                }
                Some(key.to_owned())
            }
            KeyedBy::Derived => Some(derived_key(key)),
            KeyedBy::RequestEcho => None,
        });
    }
    Ok(keys)
}

fn anthropic_id(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn split_out(out: &Path) -> Result<(&Path, &str)> {
    let name = out.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Error::Usage(format!(
            "--out {}: expected a file name to write the requests to",
            out.display()
        ))
    })?;
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty());
    Ok((dir.unwrap_or(Path::new(".")), name))
}

/// One request line; the error says what of the prompt the provider's request cannot carry.
fn request_line(
    provider: Provider,
    settings: &Settings,
    key: Option<String>,
    prompt: &Prompt,
) -> std::result::Result<Value, String> {
    let model = settings.model.clone();
    let mut line = Map::new();
    match provider {
        Provider::OpenAiChat => {
            let mut messages = Vec::new();
            for system in &prompt.system {
                messages.push(json!({"role": "system", "content": system}));
            }
            for turn in &prompt.turns {
                messages.push(json!({
                    "role": if turn.assistant { "assistant" } else { "user" },
                    "content": content(turn, provider, |text| json!({"type": "text", "text": text}))?,
                }));
            }
            let mut body = Map::new();
            body.insert("model".into(), json!(model));
            body.insert("messages".into(), Value::Array(messages));
            settings_into(&mut body, settings, "max_completion_tokens", "temperature");
            openai_line(&mut line, key, "/v1/chat/completions", body);
        }
        Provider::OpenAiResponses => {
            let mut input = Vec::new();
            for turn in &prompt.turns {
                let part_type = if turn.assistant {
                    "output_text"
                } else {
                    "input_text"
                };
                input.push(json!({
                    "role": if turn.assistant { "assistant" } else { "user" },
                    "content": content(turn, provider, |text| json!({"type": part_type, "text": text}))?,
                }));
            }
            let mut body = Map::new();
            body.insert("model".into(), json!(model));
            if !prompt.system.is_empty() {
                body.insert("instructions".into(), json!(prompt.system.join("\n\n")));
            }
            body.insert("input".into(), Value::Array(input));
            settings_into(&mut body, settings, "max_output_tokens", "temperature");
            openai_line(&mut line, key, "/v1/responses", body);
        }
        Provider::Vertex | Provider::Gemini => {
            let mut contents = Vec::new();
            for turn in &prompt.turns {
                let parts = parts_of(turn, Some(Family::Gemini), provider, |t| json!({"text": t}))?;
                contents.push(json!({
                    "role": if turn.assistant { "model" } else { "user" },
                    "parts": parts,
                }));
            }
            let mut request = Map::new();
            request.insert("contents".into(), Value::Array(contents));
            if !prompt.system.is_empty() {
                let parts: Vec<Value> = prompt.system.iter().map(|t| json!({"text": t})).collect();
                request.insert("systemInstruction".into(), json!({ "parts": parts }));
            }
            let mut config = Map::new();
            settings_into(&mut config, settings, "maxOutputTokens", "temperature");
            if !config.is_empty() {
                request.insert("generationConfig".into(), Value::Object(config));
            }
            if let Some(key) = key {
                line.insert("key".into(), json!(key));
            }
            line.insert("request".into(), Value::Object(request));
        }
        Provider::Anthropic | Provider::BedrockClaude => {
            let mut body = Map::new();
            if provider == Provider::BedrockClaude {
                body.insert("anthropic_version".into(), json!("bedrock-2023-05-31"));
            } else {
                body.insert("model".into(), json!(model));
            }
            body.insert("max_tokens".into(), json!(settings.max_tokens));
            match prompt.system.as_slice() {
                [] => {}
                [one] => {
                    body.insert("system".into(), json!(one));
                }
                several => {
                    let blocks: Vec<Value> = several
                        .iter()
                        .map(|t| json!({"type": "text", "text": t}))
                        .collect();
                    body.insert("system".into(), Value::Array(blocks));
                }
            }
            let mut messages = Vec::new();
            for turn in &prompt.turns {
                messages.push(json!({
                    "role": if turn.assistant { "assistant" } else { "user" },
                    "content": content(turn, provider, |text| json!({"type": "text", "text": text}))?,
                }));
            }
            body.insert("messages".into(), Value::Array(messages));
            if let Some(t) = settings.temperature {
                body.insert("temperature".into(), json!(t));
            }
            let (key_name, body_name) = match provider {
                Provider::Anthropic => ("custom_id", "params"),
                _ => ("recordId", "modelInput"),
            };
            if let Some(key) = key {
                line.insert(key_name.into(), json!(key));
            }
            line.insert(body_name.into(), Value::Object(body));
        }
    }
    Ok(Value::Object(line))
}

fn openai_line(
    line: &mut Map<String, Value>,
    key: Option<String>,
    url: &str,
    body: Map<String, Value>,
) {
    line.insert("custom_id".into(), json!(key));
    line.insert("method".into(), json!("POST"));
    line.insert("url".into(), json!(url));
    line.insert("body".into(), Value::Object(body));
}

/// `max_tokens` and `temperature` under the provider's names, where given.
fn settings_into(into: &mut Map<String, Value>, settings: &Settings, max: &str, temperature: &str) {
    if let Some(n) = settings.max_tokens {
        into.insert(max.into(), json!(n));
    }
    if let Some(t) = settings.temperature {
        into.insert(temperature.into(), json!(t));
    }
}

/// A turn's content: its text as a string when it is one text part, else its parts.
fn content(
    turn: &Turn,
    provider: Provider,
    text: impl Fn(&str) -> Value,
) -> std::result::Result<Value, String> {
    if let [Part::Text(only)] = turn.parts.as_slice() {
        return Ok(json!(only));
    }
    let family = match provider {
        Provider::OpenAiChat => Some(Family::OpenAi),
        _ => None,
    };
    Ok(Value::Array(parts_of(turn, family, provider, text)?))
}

/// A turn's parts: text as `text` makes it, a verbatim part when the request is of its family.
fn parts_of(
    turn: &Turn,
    family: Option<Family>,
    provider: Provider,
    text: impl Fn(&str) -> Value,
) -> std::result::Result<Vec<Value>, String> {
    turn.parts
        .iter()
        .map(|part| match part {
            Part::Text(t) => Ok(text(t)),
            Part::Native(of, value) if Some(*of) == family => Ok(value.clone()),
            Part::Native(of, value) => Err(format!(
                "a {} turn has {} ({value}) that a --provider {} request cannot carry: verdict requests carries text to every provider, and other parts only to a provider of the same family",
                if turn.assistant { "model" } else { "user" },
                of.name(),
                provider.name()
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt() -> Prompt {
        Prompt {
            system: vec!["Answer in JSON.".into()],
            turns: vec![Turn {
                assistant: false,
                parts: vec![Part::Text("Order 17 arrived broken.".into())],
            }],
        }
    }

    fn settings(model: Option<&str>, max_tokens: Option<u32>) -> Settings {
        Settings {
            model: model.map(str::to_owned),
            max_tokens,
            temperature: Some(0.0),
        }
    }

    #[test]
    fn derived_keys_carry_their_hash_and_nothing_else_passes_for_one() {
        let key = derived_key("0123456789abcdef");
        assert_eq!(key, "verdict0123456789abcdef");
        assert_eq!(hash_of_derived_key(&key), Some("0123456789abcdef"));
        for other in [
            "verdict0123",
            "verdict0123456789ABCDEF",
            "clip-1",
            "verdict0123456789abcdef0",
        ] {
            assert_eq!(hash_of_derived_key(other), None, "{other}");
        }
    }

    #[test]
    fn each_provider_gets_its_documented_line() {
        let key = || Some("k1".to_owned());
        let chat = request_line(
            Provider::OpenAiChat,
            &settings(Some("gpt-4o-mini"), Some(64)),
            key(),
            &prompt(),
        )
        .unwrap();
        assert_eq!(
            chat,
            json!({"custom_id": "k1", "method": "POST", "url": "/v1/chat/completions", "body": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Order 17 arrived broken."}],
                "max_completion_tokens": 64, "temperature": 0.0}})
        );
        let responses = request_line(
            Provider::OpenAiResponses,
            &settings(Some("gpt-4o-mini"), None),
            key(),
            &prompt(),
        )
        .unwrap();
        assert_eq!(
            responses["body"],
            json!({"model": "gpt-4o-mini", "instructions": "Answer in JSON.",
                   "input": [{"role": "user", "content": "Order 17 arrived broken."}], "temperature": 0.0})
        );
        assert_eq!(responses["url"], "/v1/responses");
        let vertex =
            request_line(Provider::Vertex, &settings(None, Some(64)), None, &prompt()).unwrap();
        assert_eq!(
            vertex,
            json!({"request": {"contents": [{"role": "user", "parts": [{"text": "Order 17 arrived broken."}]}],
                   "systemInstruction": {"parts": [{"text": "Answer in JSON."}]},
                   "generationConfig": {"maxOutputTokens": 64, "temperature": 0.0}}})
        );
        let gemini =
            request_line(Provider::Gemini, &settings(None, None), key(), &prompt()).unwrap();
        assert_eq!(gemini["key"], "k1");
        let anthropic = request_line(
            Provider::Anthropic,
            &settings(Some("claude-sonnet-4-5"), Some(64)),
            key(),
            &prompt(),
        )
        .unwrap();
        assert_eq!(
            anthropic,
            json!({"custom_id": "k1", "params": {"model": "claude-sonnet-4-5", "max_tokens": 64,
                   "system": "Answer in JSON.",
                   "messages": [{"role": "user", "content": "Order 17 arrived broken."}], "temperature": 0.0}})
        );
        let bedrock = request_line(
            Provider::BedrockClaude,
            &settings(None, Some(64)),
            key(),
            &prompt(),
        )
        .unwrap();
        assert_eq!(bedrock["recordId"], "k1");
        assert_eq!(
            bedrock["modelInput"]["anthropic_version"],
            "bedrock-2023-05-31"
        );
        assert_eq!(bedrock["modelInput"]["max_tokens"], 64);
        assert!(bedrock["modelInput"].get("model").is_none());
    }

    #[test]
    fn a_part_crosses_only_to_its_own_family() {
        let video = json!({"fileData": {"fileUri": "gs://b/1.mp4", "mimeType": "video/mp4"}});
        let prompt = Prompt {
            system: Vec::new(),
            turns: vec![Turn {
                assistant: false,
                parts: vec![
                    Part::Native(Family::Gemini, video.clone()),
                    Part::Text("List events".into()),
                ],
            }],
        };
        let vertex = request_line(Provider::Vertex, &Settings::default(), None, &prompt).unwrap();
        assert_eq!(vertex["request"]["contents"][0]["parts"][0], video);
        let err = request_line(
            Provider::OpenAiChat,
            &settings(Some("m"), None),
            None,
            &prompt,
        )
        .unwrap_err();
        assert!(
            err.starts_with("a user turn has a Gemini part ({\"fileData\""),
            "{err}"
        );
        assert!(
            err.contains("--provider openai-chat request cannot carry"),
            "{err}"
        );
    }

    #[test]
    fn settings_are_checked_against_the_provider() {
        let err = |provider, s: Settings| check_settings(provider, &s).unwrap_err().to_string();
        assert_eq!(
            err(Provider::OpenAiChat, settings(None, None)),
            "--provider openai-chat needs --model: each request names its model"
        );
        assert!(
            err(Provider::Vertex, settings(Some("gemini-2.5-flash"), None))
                .contains("takes no --model")
        );
        assert!(err(Provider::Anthropic, settings(Some("m"), None)).contains("needs --max-tokens"));
        let hot = Settings {
            temperature: Some(1.5),
            ..settings(Some("m"), Some(10))
        };
        assert_eq!(
            err(Provider::Anthropic, hot),
            "--temperature 1.5: --provider anthropic takes a temperature from 0 to 1"
        );
        assert!(anthropic_id("clip_7-a") && !anthropic_id("clip 7") && !anthropic_id(""));
    }
}
