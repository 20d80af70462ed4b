//! Entry points of the fuzz targets in `fuzz/`, one per target.
//!
//! Each takes arbitrary bytes, runs them through one parser and panics only when verdict breaks
//! a promise of its own (a panic inside the parser, a tier without a value, a spec name that
//! escapes `reports/`). They live in the library, not in the fuzz crate, so that a plain unit
//! test can replay every committed corpus file through the very same checks on stable Rust:
//! see `docs/fuzzing.md`.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde_json::Value;

use crate::lines::{RawLine, batches_from, too_long};
use crate::read::{DEFAULT_MAX_LINE_BYTES, parse_line_unread, read_jsonl};
use crate::{expected, predicted};
use verdict_core::error::{Error, Location};
use verdict_core::validity::{Tier, classify_text};

/// A fuzz target: arbitrary bytes in, a panic only on a broken promise.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name: the name is also the directory of its corpus under
/// `fuzz/corpus/`.
pub const TARGETS: [(&str, Target); 8] = [
    ("classify", classify),
    ("repair", repair),
    ("line_shape", line_shape),
    ("jsonl", jsonl),
    ("line_limit", line_limit),
    ("spec", spec),
    ("player", player),
    ("time", time),
];

/// `validity::classify_text` on the bytes read as (lossy) UTF-8: a value exactly when the tier
/// has one, strict exactly when serde_json reads the whole trimmed text.
pub fn classify(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = classify_text(&text);
    let has_value = matches!(parsed.tier, Tier::Strict | Tier::Extracted | Tier::Repaired);
    assert_eq!(parsed.value.is_some(), has_value, "{:?}", parsed.tier);
    assert!(
        !matches!(parsed.tier, Tier::Failed),
        "raw text is never a failed request"
    );
    assert_eq!(parsed.tier == Tier::Repaired, parsed.repairs.any());
    let strict = serde_json::from_str::<Value>(text.trim()).ok();
    assert_eq!(parsed.tier == Tier::Strict, strict.is_some());
    if parsed.tier == Tier::Strict {
        assert_eq!(parsed.value, strict);
    }
}

/// `repair::repair` on the bytes read as (lossy) UTF-8: never a panic, and text serde_json
/// reads whole needs no repair and reads the same; except that a number at the very end of
/// the text is never trusted (its digits may have gone on), so `0` alone is unreadable.
pub fn repair(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let repaired = verdict_core::repair::repair(&text);
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        match repaired {
            Some((got, repairs)) => {
                assert!(!repairs.any(), "valid JSON needed repairs: {repairs:?}");
                assert_eq!(got, value);
            }
            None => assert!(
                text.ends_with(|c: char| c.is_ascii_digit()),
                "valid JSON is unreadable: {text:?}"
            ),
        }
    }
}

fn location() -> Location {
    Location {
        path: "fuzz.jsonl".into(),
        line: 1,
    }
}

/// Both line-shape detectors on the bytes parsed as one JSON value: a line is accepted or
/// rejected with a message naming its location, never a panic. And the fast readers of the
/// common shapes on the bytes as text: what they accept reads as in full.
pub fn line_shape(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        fast_reads_as_in_full(text);
    }
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for err in [
        expected::detect(location(), value.clone()).err(),
        predicted::detect(location(), value).err(),
    ]
    .into_iter()
    .flatten()
    {
        assert_names_location(&err, "fuzz.jsonl:1: ");
    }
}

fn fast_reads_as_in_full(text: &str) {
    fast_prediction_reads_as_in_full(text);
    fast_example_reads_as_in_full(text);
}

/// Whether a fast path of the prediction shapes ([`predicted::read_fast`]) reads `text`;
/// panics unless what it reads is what the full reading gives.
pub(crate) fn fast_prediction_reads_as_in_full(text: &str) -> bool {
    let Ok(fast) = predicted::read_fast(location(), text) else {
        return false;
    };
    let full = parse_line_unread(&location(), text, predicted::UNREAD)
        .and_then(|value| predicted::detect(location(), value))
        .expect("a line the fast reader accepts reads in full");
    assert_eq!(
        (
            &fast.location,
            &fast.keys,
            &fast.output,
            &fast.finish_reason,
            fast.reasoning
        ),
        (
            &full.location,
            &full.keys,
            &full.output,
            &full.finish_reason,
            full.reasoning
        ),
        "{text}"
    );
    true
}

/// Whether a fast path of the expected shapes ([`expected::read_fast`]) reads `text`; panics
/// unless what it reads, or the error it gives, is what the full reading gives.
pub(crate) fn fast_example_reads_as_in_full(text: &str) -> bool {
    let Ok(fast) = expected::read_fast(location(), text) else {
        return false;
    };
    let full = parse_line_unread(&location(), text, expected::UNREAD)
        .and_then(|value| expected::detect(location(), value));
    match (fast, full) {
        (Ok(fast), Ok(full)) => assert_eq!(
            (
                &fast.location,
                &fast.keys,
                &fast.expected,
                &fast.expected_calls
            ),
            (
                &full.location,
                &full.keys,
                &full.expected,
                &full.expected_calls
            ),
            "{text}"
        ),
        (Err(fast), Err(full)) => assert_eq!(fast.to_string(), full.to_string(), "{text}"),
        (fast, full) => panic!("{text}: fast {:?}, full {:?}", fast.is_ok(), full.is_ok()),
    }
    true
}

#[track_caller]
fn assert_names_location(err: &Error, prefix: &str) {
    let message = err.to_string();
    assert!(message.starts_with(prefix), "{message}");
}

/// The bytes as a whole JSONL file (gzip, BOM, CRLF, blank lines and all) read by
/// `read_jsonl` through both shape detectors: every error names the file, and no more records
/// are read than the file has lines.
pub fn jsonl(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("fuzz.jsonl");
    std::fs::write(&path, data).expect("the fuzz input is written");
    let lines = data.split(|&b| b == b'\n').count();
    let prefix = format!("{}", path.display());
    let mut records = 0;
    let result = read_jsonl(&path, DEFAULT_MAX_LINE_BYTES, |location, value| {
        records += 1;
        assert!(location.line >= records);
        expected::detect(location.clone(), value.clone())
            .map(drop)
            .or_else(|_| predicted::detect(location, value).map(drop))
    });
    match result {
        Ok(n) => {
            assert_eq!(n, records);
            // A gzip member may hold more lines than the raw bytes do.
            assert!(n <= lines || data.starts_with(&[0x1f, 0x8b]));
        }
        Err(err) => assert_names_location(&err, &prefix),
    }
}

/// The line reader with a small length limit: the first byte gives the limit (1 to 64 bytes),
/// the second the size of the blocks read (1 to 32 bytes), the rest is the file. The first
/// line longer than the limit (its line break left out) is refused by its number, after
/// exactly the lines before it that a reading without a limit gives, and having read at most
/// a block or one byte past the limit beyond the line's start; with no line over it, the
/// reading is the one without a limit. A line that is not UTF-8 before it stays the error.
pub fn line_limit(data: &[u8]) {
    let Some((&[limit, block], file)) = data.split_first_chunk::<2>() else {
        return;
    };
    let max_line = 1 + usize::from(limit) % 64;
    let block_bytes = 1 + usize::from(block) % 32;
    let unlimited = split_lines(file, block_bytes, usize::MAX).0;
    let (limited, taken) = split_lines(file, block_bytes, max_line);
    let mut start = 0;
    let over = file
        .split(|&b| b == b'\n')
        .enumerate()
        .find_map(|(i, line)| {
            let at = start;
            start += line.len() + 1;
            (line.len() > max_line).then_some((i + 1, at))
        });
    let Some((line, at)) = over else {
        assert_eq!(limited, unlimited);
        return;
    };
    let (lines, error) = unlimited;
    if let Some(&(earlier, _)) = error.as_ref().filter(|(bad, _)| *bad < line) {
        assert_eq!(
            limited,
            (lines, error),
            "not UTF-8 at {earlier}, over at {line}"
        );
        return;
    }
    let before: Vec<_> = lines.into_iter().filter(|(n, _)| *n < line).collect();
    let refused = too_long(Path::new("fuzz.jsonl"), line, max_line).to_string();
    assert_eq!(limited, (before, Some((line, refused))));
    assert!(
        taken <= at + block_bytes.max(max_line + 1),
        "{taken} bytes read for a line at byte {at}"
    );
}

/// What a reading of lines gives: (line, text) of each non-blank line, and (line, message) of
/// the error that ended it.
type Split = (Vec<(usize, String)>, Option<(usize, String)>);

/// The lines of `file`, read in blocks of `block_bytes` with lines of at most `max_line`
/// bytes, and how many bytes were taken from the file.
fn split_lines(file: &[u8], block_bytes: usize, max_line: usize) -> (Split, usize) {
    let mut reader = Counted { file, taken: 0 };
    let mut lines = Vec::new();
    let read = batches_from(
        &mut reader,
        Path::new("fuzz.jsonl"),
        (block_bytes, max_line),
        2,
        |batch: Vec<RawLine>| -> verdict_core::error::Result<()> {
            lines.extend(batch.iter().map(|l| (l.line, l.text().to_owned())));
            Ok(())
        },
    );
    let error = match read {
        Ok(count) => {
            assert_eq!(count, lines.len());
            None
        }
        Err(Error::Line { location, message }) => {
            assert_eq!(location.path, Path::new("fuzz.jsonl"));
            Some((location.line, format!("{location}: {message}")))
        }
        Err(other) => panic!("reading bytes in memory failed: {other}"),
    };
    ((lines, error), reader.taken)
}

/// A file in memory, counting the bytes read from it.
struct Counted<'a> {
    file: &'a [u8],
    taken: usize,
}

impl std::io::Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.file.len() - self.taken);
        buf[..n].copy_from_slice(&self.file[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

/// `spec::parse` on the bytes as UTF-8: never a panic, and an accepted spec's `name` is one
/// plain path component, so `reports/<name>/` stays inside `reports/`.
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz/eval.toml");
    match verdict_core::spec::parse(path, text) {
        Ok(spec) => {
            let out = Path::new("reports").join(&spec.name);
            let components: Vec<_> = out.components().collect();
            assert!(
                components.len() == 2
                    && components[0] == Component::Normal("reports".as_ref())
                    && matches!(components[1], Component::Normal(_)),
                "name {:?} escapes reports/",
                spec.name
            );
            if let Some(events) = &spec.events {
                assert!(events.tolerance.is_finite() && events.tolerance >= 0.0);
            }
            assert!(spec.gates.iter().all(|g| g.threshold.is_finite()));
        }
        Err(err) => assert_names_location(&err, "fuzz/eval.toml"),
    }
}

/// `fields::parse_player` on the bytes as a string and, where they are JSON, as that value: a
/// player it returns has a jersey number of digits and a team.
pub fn player(data: &[u8]) {
    let aliases = BTreeMap::from([("grey".to_owned(), "gray".to_owned())]);
    let mut values = vec![Value::String(String::from_utf8_lossy(data).into_owned())];
    values.extend(serde_json::from_slice::<Value>(data).ok());
    for value in values {
        if let Some(player) = verdict_core::fields::parse_player(&value, &aliases) {
            assert!(!player.number.is_empty());
            assert!(player.number.bytes().all(|b| b.is_ascii_digit()));
            assert!(
                player.number == "0" || player.number == "00" || !player.number.starts_with('0')
            );
            assert!(!player.team.is_empty());
            assert_eq!(player.team, verdict_core::fields::fold(&player.team));
        }
    }
}

/// `events::parse_time` on the bytes as a string and, where they are a JSON number, as that
/// number: a plain decimal reads within a microsecond of its floating-point value.
pub fn time(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let from_text = verdict_core::events::parse_time(&Value::String(text.clone().into_owned()));
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if plain && let Ok(seconds) = text.parse::<f64>() {
        check_close(seconds, from_text, &text);
    }
    if let Ok(Value::Number(n)) = serde_json::from_slice::<Value>(data) {
        let got = verdict_core::events::parse_time(&Value::Number(n.clone()));
        if let Some(seconds) = n.as_f64() {
            check_close(seconds, got, &n.to_string());
        }
    }
}

/// Times up to a million seconds must parse, to the microsecond; larger ones may be refused
/// (they would overflow i64 microseconds far above that) but never misread.
fn check_close(seconds: f64, got: Option<i64>, text: &str) {
    let want = seconds * 1e6;
    match got {
        Some(us) => {
            let slack = 1.0 + want.abs() * 1e-12;
            assert!((us as f64 - want).abs() <= slack, "{text}: {us} µs");
        }
        None => assert!(seconds.abs() >= 1e6, "{text} was refused"),
    }
}
