//! Gemini's fast path: its two common line shapes read straight from their text, a Vertex AI
//! batch output line and a Gemini tuning line, each parsed into the few fields its reader looks
//! at rather than into a `Value` tree of the whole line. Registered as the `fast` entry of
//! [`super::BATCH_LINE`] and [`super::TUNING_LINE`]; built of the seeds of [`crate::seed`].
//!
//! Each reader gives the same [`Prediction`] or [`Example`] as parsing the line in full and
//! detecting its shape, or declines, and the line is then read that way. It declines whatever
//! it is not sure to read alike: an explicit key, a part that is neither text nor a file, a
//! value of an unexpected type, a repeated key, JSON that does not parse. So every error, and
//! every line of a less common shape, comes from the full reading, message for message. It
//! also declines some lines it could read (a `thought` or `fileData` of another type where
//! nothing looks at it, a null role or finish reason): being sure is worth more than those.
//! Declining every line with `custom_id` also leaves to the full reading the OpenAI Batch
//! lines and the Claude lines that detection tries before the Vertex AI shape; a Claude line
//! without one has no `request.contents` and is declined for that. A part holding a
//! `functionCall` is declined too: the call, not the text, is then the answer.
//!
//! The rules mirror `gemini_user_turns`, `gemini_system`, `gemini_part`, `vertex_batch` and
//! `tuning_line` (`gemini.rs`); the system instruction is read as a turn whose parts are hashed
//! like a user turn's, straight from the text; the tests below and the `line_shape` fuzz
//! target check the two readings against each other.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::providers::{RequestHashes, UserPart, parse_answer, request_hashes, text_answer};
use crate::read::Unbuilt;
use crate::seed::{Flag, Text, decline, entries, parse};
use crate::{Example, Keys, Output, Prediction};
use verdict_core::error::{Location, Result};

/// Gemini finish reasons that mean the answer was withheld, not merely cut short (here, below
/// the full reader of `gemini.rs`, so that both can read it without importing each other).
pub(crate) const GEMINI_BLOCKED: [&str; 7] = [
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "LANGUAGE",
];

/// A Vertex AI batch output line with a request and a response, read from `text`; the
/// location back when the line is not of that shape or not sure to read alike.
pub(crate) fn vertex_prediction(
    location: Location,
    text: &str,
) -> std::result::Result<Prediction, Location> {
    let Ok(line) = parse(text, Shape::Prediction) else {
        return Err(location);
    };
    let (Some(turns), Some(candidate)) = (line.turns, line.candidate) else {
        return Err(location);
    };
    let Some(hashes) = hashes(&turns, line.system.as_ref()) else {
        return Err(location);
    };
    let finish_reason = candidate.finish_reason.map(Cow::into_owned);
    let (output, reasoning) = match finish_reason
        .as_deref()
        .filter(|r| GEMINI_BLOCKED.contains(r))
    {
        Some(reason) => (Output::Failed(format!("blocked: {reason}")), false),
        None => {
            let (output, think) = text_answer(
                candidate
                    .parts
                    .iter()
                    .filter(|p| p.thought != Some(true))
                    .filter_map(|p| p.text.as_deref())
                    .collect(),
            );
            let thought = candidate.parts.iter().any(|p| p.thought == Some(true));
            (output, think || thought)
        }
    };
    Ok(Prediction {
        location,
        keys: Keys {
            explicit: None,
            content: Some(hashes.content),
            system: hashes.system,
        },
        output,
        finish_reason,
        reasoning,
        shape: None,
    })
}

/// A Gemini tuning line without an explicit key, read from `text`: the example, or the error
/// of its expected output's text; the location back when the line is not of that shape or
/// not sure to read alike.
pub(crate) fn gemini_example(
    location: Location,
    text: &str,
) -> std::result::Result<Result<Example>, Location> {
    let Ok(line) = parse(text, Shape::Example) else {
        return Err(location);
    };
    let Some(turns) = line.turns else {
        return Err(location);
    };
    let Some(answer) = turns
        .iter()
        .rev()
        .find(|t| t.role.as_deref() == Some("model"))
    else {
        return Err(location);
    };
    let Some(hashes) = hashes(&turns, line.system.as_ref()) else {
        return Err(location);
    };
    let answer: String = answer
        .parts
        .iter()
        .filter_map(|p| p.text.as_deref())
        .collect();
    let expected = match parse_answer(&location, &answer, "the last model turn") {
        Ok(expected) => expected,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(Example {
        location,
        keys: Keys {
            explicit: None,
            content: Some(hashes.content),
            system: hashes.system,
        },
        expected,
        expected_calls: None,
    }))
}

/// The request hashes of the user turns (a role of `user` or none) and of the system
/// instruction, or `None` for a part that is neither a text nor a file.
fn hashes(turns: &[Turn<'_>], system: Option<&Turn<'_>>) -> Option<RequestHashes> {
    let user_turns = turns
        .iter()
        .filter(|t| matches!(t.role.as_deref(), Some("user") | None))
        .map(|t| user_parts(&t.parts))
        .collect::<Option<Vec<_>>>()?;
    let system = match system {
        Some(s) => Some(user_parts(&s.parts)?),
        None => None,
    };
    Some(request_hashes(system.as_deref(), &user_turns))
}

fn user_parts<'a>(parts: &'a [Part<'_>]) -> Option<Vec<UserPart<'a>>> {
    parts
        .iter()
        .map(|p| match (&p.text, &p.file_uri, &p.file_uri_snake) {
            (Some(text), _, _) => Some(UserPart::Text(text)),
            (None, Some(uri), _) | (None, None, Some(uri)) => Some(UserPart::File(uri)),
            (None, None, None) => None,
        })
        .collect()
}

/// What the readers take from a line.
#[derive(Default)]
struct Fields<'de> {
    /// `contents` of a tuning line, `request.contents` of a batch line.
    turns: Option<Vec<Turn<'de>>>,
    /// `systemInstruction` of a tuning line or of a batch line's request, read as a turn.
    system: Option<Turn<'de>>,
    /// The first of `response.candidates` (batch lines only).
    candidate: Option<Candidate<'de>>,
}

#[derive(Default)]
struct Turn<'de> {
    role: Option<Cow<'de, str>>,
    parts: Vec<Part<'de>>,
}

#[derive(Default)]
struct Part<'de> {
    text: Option<Cow<'de, str>>,
    /// `fileData.fileUri`.
    file_uri: Option<Cow<'de, str>>,
    /// `file_data.file_uri`.
    file_uri_snake: Option<Cow<'de, str>>,
    thought: Option<bool>,
}

#[derive(Default)]
struct Candidate<'de> {
    finish_reason: Option<Cow<'de, str>>,
    parts: Vec<Part<'de>>,
}

/// The line shapes read.
#[derive(Clone, Copy)]
enum Shape {
    /// A batch output line: `request.contents` and `response.candidates[0]`.
    Prediction,
    /// A tuning line: `contents`.
    Example,
}

/// The seed of each kind of value read; every other value is taken as [`Unbuilt`].
#[derive(Clone, Copy)]
enum Seed {
    Request,
    Response,
    Candidates,
    Candidate,
    Content,
    Turns,
    Turn,
    Parts,
    Part,
    /// An object of which only this key (a string) is read.
    Uri(&'static str),
}

impl<'de> DeserializeSeed<'de> for Shape {
    type Value = Fields<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Fields<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Shape {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a line")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Fields<'de>, A::Error> {
        let mut read = Fields::default();
        entries(map, |key, map| {
            match (self, key) {
                // Explicit keys decide the join and the shape: the full reading takes them.
                (Shape::Prediction, "custom_id" | "key" | "id")
                // The marks of the shapes tried before this one: theirs to read.
                | (Shape::Prediction, "result" | "modelInput" | "modelOutput" | "recordId")
                | (Shape::Example, "id" | "key" | "custom_id") => {
                    return Err(decline());
                }
                (Shape::Prediction, "request") => {
                    let request = map.next_value_seed(Seed::Request)?;
                    (read.turns, read.system) = (request.turns, request.system);
                }
                (Shape::Prediction, "response") => {
                    read.candidate = map.next_value_seed(Seed::Response)?.candidate;
                }
                (Shape::Example, "contents") => {
                    read.turns = map.next_value_seed(Seed::Turns)?.turns;
                }
                // A system instruction is read as a turn (its role ignored); null, or the
                // snake-case spelling (which the full reading weighs against the other), is
                // left to the full reading.
                (Shape::Example, "systemInstruction") => {
                    read.system = Some(map.next_value_seed(Seed::Turn)?.turn);
                }
                (Shape::Example, "system_instruction") => return Err(decline()),
                _ => map.next_value_seed(Unbuilt)?,
            }
            Ok(())
        })?;
        Ok(read)
    }
}

/// What one [`Seed`] reads: the value's part of a [`Fields`], turn, part or candidate.
#[derive(Default)]
struct Taken<'de> {
    turns: Option<Vec<Turn<'de>>>,
    /// A request's `systemInstruction`.
    system: Option<Turn<'de>>,
    turn: Turn<'de>,
    parts: Vec<Part<'de>>,
    part: Part<'de>,
    candidate: Option<Candidate<'de>>,
    /// The string at the key a [`Seed::Uri`] names.
    uri: Option<Cow<'de, str>>,
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Taken<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Taken<'de>, D::Error> {
        match self {
            Seed::Candidates | Seed::Turns | Seed::Parts => d.deserialize_seq(self),
            _ => d.deserialize_map(self),
        }
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Taken<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a part of a line the fast path reads")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Taken<'de>, A::Error> {
        let mut taken = Taken::default();
        match self {
            Seed::Turns => {
                let mut turns = Vec::new();
                while let Some(t) = seq.next_element_seed(Seed::Turn)? {
                    turns.push(t.turn);
                }
                taken.turns = Some(turns);
            }
            Seed::Parts => {
                while let Some(p) = seq.next_element_seed(Seed::Part)? {
                    taken.parts.push(p.part);
                }
            }
            Seed::Candidates => {
                taken.candidate = seq
                    .next_element_seed(Seed::Candidate)?
                    .and_then(|c| c.candidate);
                while seq.next_element_seed(Unbuilt)?.is_some() {}
            }
            _ => return Err(decline()),
        }
        Ok(taken)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Taken<'de>, A::Error> {
        let mut taken = Taken::default();
        let mut candidate = Candidate::default();
        entries(map, |key, map| {
            match (self, key) {
                (Seed::Request, "contents") => {
                    taken.turns = map.next_value_seed(Seed::Turns)?.turns;
                }
                (Seed::Request, "systemInstruction") => {
                    taken.system = Some(map.next_value_seed(Seed::Turn)?.turn);
                }
                (Seed::Request, "system_instruction") => return Err(decline()),
                (Seed::Response, "candidates") => {
                    taken.candidate = map.next_value_seed(Seed::Candidates)?.candidate;
                }
                (Seed::Candidate, "finishReason") => {
                    candidate.finish_reason = Some(map.next_value_seed(Text)?);
                }
                (Seed::Candidate, "content") => {
                    candidate.parts = map.next_value_seed(Seed::Content)?.parts;
                }
                (Seed::Content | Seed::Turn, "parts") => {
                    taken.parts = map.next_value_seed(Seed::Parts)?.parts;
                }
                (Seed::Turn, "role") => taken.turn.role = Some(map.next_value_seed(Text)?),
                (Seed::Part, "text") => taken.part.text = Some(map.next_value_seed(Text)?),
                (Seed::Part, "thought") => taken.part.thought = Some(map.next_value_seed(Flag)?),
                // A call is the answer in place of the text: the full reading takes it.
                (Seed::Part, "functionCall" | "function_call") => return Err(decline()),
                (Seed::Part, "fileData") => {
                    taken.part.file_uri = map.next_value_seed(Seed::Uri("fileUri"))?.uri;
                }
                (Seed::Part, "file_data") => {
                    taken.part.file_uri_snake = map.next_value_seed(Seed::Uri("file_uri"))?.uri;
                }
                (Seed::Uri(name), _) if key == name => {
                    taken.uri = Some(map.next_value_seed(Text)?);
                }
                _ => map.next_value_seed(Unbuilt)?,
            }
            Ok(())
        })?;
        match self {
            Seed::Turn => taken.turn.parts = std::mem::take(&mut taken.parts),
            Seed::Candidate => taken.candidate = Some(candidate),
            // A request without contents has no hash, a response without candidates is a
            // failure: the full reading says which. (The readers check it again; declining
            // here stops before the rest of the line is parsed.)
            Seed::Request if taken.turns.is_none() => return Err(decline()),
            Seed::Response if taken.candidate.is_none() => return Err(decline()),
            _ => {}
        }
        Ok(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::parse_line_unread;
    use crate::{expected, predicted};
    use serde_json::{Value, json};

    fn location() -> Location {
        Location {
            path: "lines.jsonl".into(),
            line: 3,
        }
    }

    /// The full reading of a prediction line, as the index reads one the fast path declines.
    fn full_prediction(text: &str) -> Result<Prediction> {
        let value = parse_line_unread(&location(), text, predicted::UNREAD)?;
        predicted::detect(location(), value)
    }

    fn full_example(text: &str) -> Result<Example> {
        let value = parse_line_unread(&location(), text, expected::UNREAD)?;
        expected::detect(location(), value)
    }

    use crate::fuzzing::{
        fast_example_reads_as_in_full as same_example,
        fast_prediction_reads_as_in_full as same_prediction,
    };

    #[test]
    fn generated_and_bundled_lines_read_as_in_full() {
        let data = crate::synth::generate(&crate::synth::SynthConfig {
            clips: 400,
            seed: 7,
        });
        let read = data
            .predictions
            .iter()
            .filter(|l| same_prediction(l))
            .count();
        // The generator's failed requests (no response) are the lines declined.
        assert!(
            read * 100 >= data.predictions.len() * 95,
            "{read} of {}",
            data.predictions.len()
        );
        assert!(data.expected.iter().all(|l| same_example(l)));
        let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("datasets/basketball");
        for (name, same) in [
            ("predictions.jsonl", same_prediction as fn(&str) -> bool),
            ("expected.jsonl", same_example),
        ] {
            let text = std::fs::read_to_string(root.join(name)).unwrap();
            let read = text.lines().filter(|l| same(l.trim())).count();
            assert!(read > 0, "{name}");
        }
    }

    /// A batch line and a tuning line of the common shapes, each part of which a case below
    /// replaces.
    fn batch_line(request: Value, response: Value) -> Value {
        json!({"processed_time": "2026-10-02T14:09:10.287+00:00", "request": request,
               "response": response, "status": ""})
    }

    #[test]
    fn every_variant_of_the_shapes_reads_as_in_full_or_is_declined() {
        let user = json!({"role": "user", "parts": [{"fileData": {"fileUri": "gs://b/1.mp4", "mimeType": "video/mp4"}}, {"text": "List events"}]});
        let request = json!({"contents": [user], "generationConfig": {"temperature": 0.0}});
        let candidate = json!({"content": {"parts": [{"text": "[]"}], "role": "model"}, "finishReason": "STOP"});
        let response = json!({"candidates": [candidate], "usageMetadata": {"totalTokenCount": 3}});
        let requests = [
            request.clone(),
            json!({"contents": [{"parts": [{"text": "no role"}]}]}),
            json!({"contents": [{"role": "user", "parts": [{"file_data": {"file_uri": "gs://b/2.mp4"}}]}]}),
            json!({"contents": [{"role": "user", "parts": [{"fileData": {"mimeType": "video/mp4"}, "file_data": {"file_uri": "gs://b/3.mp4"}}]}]}),
            json!({"contents": [{"role": "user", "parts": [{"text": "t", "fileData": {"fileUri": "gs://b/4.mp4"}}]}]}),
            json!({"contents": [{"role": "user"}, {"role": "model", "parts": [{"text": "x"}]}]}),
            json!({"contents": [{"role": "user", "parts": [{"inlineData": {"data": "AAAA"}}]}]}),
            json!({"contents": [{"role": 7, "parts": [{"text": "q"}]}]}),
            json!({"contents": [{"role": "user", "parts": [{"text": 5}]}]}),
            json!({"contents": [{"role": "user", "parts": [{"fileData": "gs://b/5.mp4"}]}]}),
            json!({"contents": ["not a turn"]}),
            json!({"contents": {}}),
            json!({"systemInstruction": {"parts": [{"text": "s"}]}}),
            json!(null),
        ];
        let candidates = [
            candidate.clone(),
            json!({"content": {"parts": [{"text": "[1"}, {"text": "]", "thought": false}, {"text": "hidden", "thought": true}]}, "finishReason": "MAX_TOKENS"}),
            json!({"content": {"parts": [{"text": "[]"}]}, "finishReason": "SAFETY"}),
            json!({"content": {"parts": [{"text": "  "}]}}),
            json!({"content": {"parts": [{"inlineData": {}}]}}),
            json!({"content": {"role": "model"}}),
            json!({"finishReason": "STOP"}),
            json!({"content": {"parts": [{"text": "[]", "thought": "yes"}]}}),
            json!({"content": {"parts": [{"text": ["[]"]}]}}),
            json!({"content": "text"}),
            json!({"finishReason": 1}),
            json!("not a candidate"),
        ];
        let responses: Vec<Value> = candidates
            .iter()
            .map(|c| json!({"candidates": [c, {"content": {"parts": [{"text": "second"}]}}]}))
            .chain([
                response.clone(),
                json!({"candidates": []}),
                json!({"promptFeedback": {"blockReason": "SAFETY"}}),
                json!(null),
                json!("no"),
            ])
            .collect();
        let mut read = 0;
        for request in &requests {
            for response in &responses {
                let line = batch_line(request.clone(), response.clone()).to_string();
                read += usize::from(same_prediction(&line));
            }
        }
        // Fields: the first six requests (the others hold a part that is neither text nor file,
        // a value of another type, or no contents) with the first eight candidates' responses
        // and the plain one (the others hold a value of another type, or no candidate).
        assert_eq!(read, 6 * 8, "lines read by the fast path");
        // Lines the fast path must leave to the full reading, whatever they hold.
        let call = json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {}}}]}}]});
        let declined = [
            json!({"key": "k1", "request": request, "response": response}),
            json!({"custom_id": "c1", "request": request, "response": response}),
            json!({"id": "i1", "request": request, "response": response}),
            json!({"request": request, "response": call}),
            json!({"request": request, "response": response, "result": {"type": "expired"}}),
            json!({"request": request, "response": response, "modelOutput": {}}),
            json!({"request": request}),
            json!({"response": response}),
        ];
        for line in declined {
            assert!(
                vertex_prediction(location(), &line.to_string()).is_err(),
                "{line}"
            );
        }

        let model = |text: &str| json!({"role": "model", "parts": [{"text": text}]});
        let examples = [
            json!({"contents": [user, model("[{\"t\": 1}]")], "systemInstruction": {"parts": [{"text": "s"}]}}),
            json!({"contents": [user, model("[1,"), model("[2]")]}),
            json!({"contents": [user, {"role": "model", "parts": [{"text": "[3"}, {"text": "]"}, {"inlineData": {}}]}]}),
            json!({"contents": [user, model("not json")]}),
            json!({"contents": [user, model("{\"a\": 1, \"a\": 2}")]}),
            json!({"contents": [user, {"role": "model"}]}),
            json!({"contents": [user]}),
            json!({"contents": [model("[]")], "messages": "ignored"}),
            json!({"id": 7, "contents": [user, model("[]")]}),
            json!({"contents": "no"}),
        ];
        let read = examples
            .iter()
            .filter(|l| same_example(&l.to_string()))
            .count();
        // All but the line without a model turn, the one with an id and the one whose
        // contents are not a list.
        assert_eq!(read, examples.len() - 3, "lines read by the fast path");
    }

    /// Lines of both shapes with every part drawn from its usual values and from the odd ones
    /// the fast readers must decline or read alike: roles, part kinds, types, explicit keys.
    mod lines {
        use proptest::prelude::*;
        use serde_json::{Map, Value, json};

        /// An object of the entries drawn, each present or not.
        fn object(entries: Vec<(&'static str, Option<Value>)>) -> Value {
            Value::Object(
                entries
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
                    .collect::<Map<_, _>>(),
            )
        }

        fn one_of(values: Vec<Value>) -> impl Strategy<Value = Value> {
            prop::sample::select(values)
        }

        /// Mostly a usual value, now and then an odd one.
        fn usual(usual: Vec<Value>, odd: Vec<Value>) -> impl Strategy<Value = Value> {
            prop_oneof![12 => one_of(usual), 1 => one_of(odd)]
        }

        /// [`usual`], present with probability `p`.
        fn maybe(
            p: f64,
            usual_values: Vec<Value>,
            odd: Vec<Value>,
        ) -> impl Strategy<Value = Option<Value>> {
            prop::option::weighted(p, usual(usual_values, odd))
        }

        fn part() -> impl Strategy<Value = Value> {
            let text = maybe(
                0.8,
                vec![
                    json!("[]"),
                    json!("[1"),
                    json!("]"),
                    json!(" "),
                    json!("q"),
                    json!("<think>{</think>"),
                    json!("<think>[1"),
                    json!("</think>"),
                ],
                vec![json!(5), json!(null), json!(["a"])],
            );
            let file_data = maybe(
                0.3,
                vec![json!({"fileUri": "gs://b/1.mp4", "mimeType": "video/mp4"})],
                vec![
                    json!({"mimeType": "video/mp4"}),
                    json!("gs://b/2.mp4"),
                    json!({"fileUri": 3}),
                ],
            );
            let snake = maybe(
                0.1,
                vec![json!({"file_uri": "gs://b/3.mp4"})],
                vec![json!({}), json!(null)],
            );
            let thought = maybe(
                0.2,
                vec![json!(true), json!(false)],
                vec![json!("yes"), json!(null)],
            );
            let other = maybe(0.05, vec![json!({"data": "AAAA"})], vec![json!({})]);
            let call = maybe(
                0.05,
                vec![json!({"name": "f", "args": {"a": 1}})],
                vec![json!({"name": "f"}), json!(null)],
            );
            let part =
                (text, file_data, snake, thought, other, call).prop_map(|(t, f, s, th, o, c)| {
                    object(vec![
                        ("text", t),
                        ("fileData", f),
                        ("file_data", s),
                        ("thought", th),
                        ("inlineData", o),
                        ("functionCall", c),
                    ])
                });
            prop_oneof![20 => part, 1 => one_of(vec![json!("a part"), json!(7), json!(null)])]
        }

        fn parts() -> impl Strategy<Value = Option<Value>> {
            prop_oneof![
                20 => prop::collection::vec(part(), 0..4).prop_map(|p| Some(Value::Array(p))),
                1 => Just(None),
                1 => one_of(vec![json!("parts"), json!({}), json!(null)]).prop_map(Some),
            ]
        }

        fn turn() -> impl Strategy<Value = Value> {
            let role = maybe(
                0.9,
                vec![json!("user"), json!("model")],
                vec![json!("system"), json!(7), json!(null)],
            );
            let turn = (role, parts()).prop_map(|(r, p)| object(vec![("role", r), ("parts", p)]));
            prop_oneof![20 => turn, 1 => one_of(vec![json!("a turn"), json!(null)])]
        }

        fn turns() -> impl Strategy<Value = Option<Value>> {
            prop_oneof![
                20 => prop::collection::vec(turn(), 0..4).prop_map(|t| Some(Value::Array(t))),
                1 => Just(None),
                1 => one_of(vec![json!({}), json!("contents"), json!(null)]).prop_map(Some),
            ]
        }

        fn candidate() -> impl Strategy<Value = Value> {
            let content = prop_oneof![
                12 => parts().prop_map(|p| Some(object(vec![("parts", p), ("role", Some(json!("model")))]))),
                1 => prop::option::of(one_of(vec![json!("text"), json!(null), json!({"role": "model"})])),
            ];
            let finish = maybe(
                0.8,
                vec![
                    json!("STOP"),
                    json!("MAX_TOKENS"),
                    json!("SAFETY"),
                    json!("RECITATION"),
                ],
                vec![json!(1), json!(null)],
            );
            let candidate =
                (content, finish, prop::option::of(Just(json!(-0.02)))).prop_map(|(c, f, l)| {
                    object(vec![
                        ("content", c),
                        ("finishReason", f),
                        ("avgLogprobs", l),
                    ])
                });
            prop_oneof![20 => candidate, 1 => one_of(vec![json!("a candidate"), json!(null)])]
        }

        fn key() -> impl Strategy<Value = Option<Value>> {
            prop::option::weighted(
                0.05,
                one_of(vec![json!("k1"), json!(7), json!(null), json!([1])]),
            )
        }

        /// A system instruction, under either spelling: mostly a usual one, two apart by their
        /// text, now and then an odd one.
        pub fn system() -> impl Strategy<Value = Vec<(&'static str, Option<Value>)>> {
            let value = maybe(
                0.6,
                vec![
                    json!({"parts": [{"text": "s"}]}),
                    json!({"role": "system", "parts": [{"text": "t"}, {"fileData": {"fileUri": "gs://b/s.pdf"}}]}),
                    json!({"parts": []}),
                    json!({}),
                ],
                vec![
                    json!(null),
                    json!("s"),
                    json!({"parts": [{"inlineData": {}}]}),
                    json!({"parts": "s"}),
                    json!({"role": 1, "parts": [{"text": "s"}]}),
                ],
            );
            let snake = prop::option::weighted(
                0.05,
                one_of(vec![json!({"parts": [{"text": "s"}]}), json!(null)]),
            );
            (value, snake)
                .prop_map(|(v, s)| vec![("systemInstruction", v), ("system_instruction", s)])
        }

        pub fn prediction() -> impl Strategy<Value = Value> {
            let request = prop_oneof![
                20 => (turns(), system()).prop_map(|(t, mut system)| {
                    system.extend([("contents", t), ("generationConfig", Some(json!({"temperature": 0.0})))]);
                    Some(object(system))
                }),
                1 => prop::option::of(one_of(vec![json!(null), json!("request")])),
            ];
            let response = prop_oneof![
                20 => (prop::collection::vec(candidate(), 0..3), prop::option::weighted(0.1, Just(json!({"blockReason": "SAFETY"}))))
                    .prop_map(|(c, f)| Some(object(vec![("candidates", Some(Value::Array(c))), ("promptFeedback", f), ("usageMetadata", Some(json!({"totalTokenCount": 3})))]))),
                1 => prop::option::of(one_of(vec![json!(null), json!("response"), json!({"candidates": "none"})])),
            ];
            let status = maybe(
                0.8,
                vec![json!("")],
                vec![json!("Internal error"), json!({"message": "m"})],
            );
            (request, response, status, key(), key(), key()).prop_map(
                |(request, response, status, key, custom_id, id)| {
                    object(vec![
                        ("request", request),
                        ("response", response),
                        ("status", status),
                        ("key", key),
                        ("custom_id", custom_id),
                        ("id", id),
                    ])
                },
            )
        }

        pub fn example() -> impl Strategy<Value = Value> {
            let messages = prop::option::weighted(0.05, one_of(vec![json!([]), json!("m")]));
            (turns(), system(), key(), key(), messages).prop_map(
                |(contents, mut line, id, key, messages)| {
                    line.extend([
                        ("contents", contents),
                        ("id", id),
                        ("key", key),
                        ("messages", messages),
                    ]);
                    object(line)
                },
            )
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn drawn_lines_read_as_in_full_or_are_declined(
            prediction in lines::prediction(),
            example in lines::example(),
        ) {
            same_prediction(&prediction.to_string());
            same_example(&example.to_string());
        }
    }

    #[test]
    fn drawn_lines_are_mostly_read_by_the_fast_path() {
        // The differential test above means something only if it often gets past declining.
        use proptest::strategy::{Strategy, ValueTree};
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut predictions, mut examples) = (0, 0);
        for _ in 0..2000 {
            let p = lines::prediction().new_tree(&mut runner).unwrap().current();
            predictions += usize::from(same_prediction(&p.to_string()));
            let e = lines::example().new_tree(&mut runner).unwrap().current();
            examples += usize::from(same_example(&e.to_string()));
        }
        // 337 and 305 of 2,000 when this was written (the draws now hold a functionCall part
        // or an id now and then, which the fast path declines).
        assert!(
            predictions >= 300 && examples >= 250,
            "{predictions} predictions, {examples} examples read"
        );
    }

    #[test]
    fn lines_that_are_not_sure_to_read_alike_are_declined() {
        // A repeated key anywhere, escaped or not; bad JSON; trailing text.
        for text in [
            r#"{"request": {"contents": []}, "response": {"candidates": [{"finishReason": "STOP", "finishReason": "STOP"}]}}"#,
            r#"{"request": {"contents": [], "c\u006fntents": []}, "response": {"candidates": [{}]}}"#,
            r#"{"request": {"contents": []}, "response": {"candidates": [{}]}, "status": {"a": 1, "a": 1}}"#,
            r#"{"request": {"contents": []}, "response": {"candidates": [{}, {"x": 1, "x": 2}]}}"#,
            r#"{"request": {"contents": []}, "response": {"candidates": [{}]}} x"#,
            r#"{"request": {"contents": []}, "response": {"candidates": [{}]}, "n": NaN}"#,
            r#"{"request": {"contents": []}, "response": {"candidates": [{}]}, "n": 1e999}"#,
        ] {
            assert!(vertex_prediction(location(), text).is_err(), "{text}");
        }
        let valid = r#"{"request": {"contents": []}, "response": {"candidates": [{}]}}"#;
        assert!(same_prediction(valid));
        let text = r#"{"contents": [{"role": "model", "parts": [{"text": "[]"}]}], "x": {"b": 1, "b": 1}}"#;
        assert!(gemini_example(location(), text).is_err());
        assert!(
            matches!(full_example(text), Err(e) if e.to_string().contains("duplicate key \"b\""))
        );
    }

    #[test]
    fn reasoning_is_removed_and_flagged_as_in_full() {
        let line = batch_line(
            json!({"contents": [{"role": "user", "parts": [{"text": "q"}]}]}),
            json!({"candidates": [{"content": {"parts": [
                {"text": "plan {", "thought": true}, {"text": "<think>{</think>[1]"}
            ]}}]}),
        )
        .to_string();
        assert!(same_prediction(&line));
        let p = vertex_prediction(location(), &line).unwrap();
        assert_eq!((p.output, p.reasoning), (Output::Text("[1]".into()), true));
    }

    #[test]
    fn a_repeated_key_is_declined_whichever_object_repeats_it() {
        let line = batch_line(
            json!({"contents": [{"role": "user", "parts": [{"text": "q"}]}]}),
            json!({"candidates": [{"content": {"parts": [{"text": "[]"}]}}]}),
        )
        .to_string();
        assert!(same_prediction(&line));
        // Repeat each key of the line, one at a time, inside its own object.
        let keys = [
            "\"request\":",
            "\"contents\":",
            "\"role\":",
            "\"parts\":",
            "\"text\":",
            "\"response\":",
            "\"candidates\":",
            "\"content\":",
            "\"status\":",
        ];
        for key in keys {
            let at = line.find(key).unwrap();
            let repeated = format!("{}{key}null,{}", &line[..at], &line[at..]);
            assert!(
                vertex_prediction(location(), &repeated).is_err(),
                "{repeated}"
            );
            assert!(
                full_prediction(&repeated)
                    .unwrap_err()
                    .to_string()
                    .contains("duplicate key")
            );
        }
    }
}
