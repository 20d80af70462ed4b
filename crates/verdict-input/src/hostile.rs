//! Hostile input on stable Rust: every committed fuzz corpus file replayed through its target,
//! and adversarial texts of many megabytes that a quadratic parser would not get through.
//!
//! The sizes are the time bound: at 10 MB, anything quadratic in the input length takes hours,
//! anything linear a fraction of a second, so no wall-clock assertion is needed.

use std::path::Path;

use crate::fuzzing::TARGETS;
use verdict_core::validity::{Tier, classify_text};

const MB: usize = 1 << 20;

#[test]
fn every_committed_corpus_file_passes_its_fuzz_target() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fuzz/corpus");
    for (name, target) in TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: no seed inputs", dir.display());
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{} fails its target", file.display());
        }
    }
}

#[test]
fn megabytes_of_open_brackets_and_keys_are_invalid_promptly() {
    for text in [
        "[".repeat(10 * MB),
        "{".repeat(10 * MB),
        "{\"a\":".repeat(2 * MB),
        "{a:".repeat(3 * MB),
        "[{\"a\":[".repeat(MB),
        format!("Sure! ```json\n{}", "[".repeat(10 * MB)),
    ] {
        assert_eq!(classify_text(&text).tier, Tier::Invalid, "{}", &text[..20]);
        assert!(verdict_core::repair::repair(&text).is_none());
    }
}

#[test]
fn megabytes_of_backslashes_and_quotes_are_classified_promptly() {
    let backslashes = format!("[\"{}", "\\".repeat(10 * MB));
    assert_eq!(classify_text(&backslashes).tier, Tier::Repaired);
    let escaped_quotes = format!("[\"{}\"]", "\\\"".repeat(5 * MB));
    assert_eq!(classify_text(&escaped_quotes).tier, Tier::Strict);
    let quotes = "\"".repeat(10 * MB);
    assert_eq!(classify_text(&quotes).tier, Tier::Invalid);
    let single_quotes = format!("['{}", "\\'".repeat(5 * MB));
    assert_eq!(classify_text(&single_quotes).tier, Tier::Repaired);
    let fences = "```".repeat(3 * MB);
    assert_eq!(classify_text(&fences).tier, Tier::Invalid);
    let unicode = format!("[\"{}", "\\u00e9".repeat(2 * MB));
    assert_eq!(classify_text(&unicode).tier, Tier::Repaired);
}

#[test]
fn megabytes_of_elements_are_kept_or_dropped_in_linear_time() {
    // A truncated array of a million records: every complete one is kept.
    let n = 500_000;
    let mut text = String::from("Here you go:\n[");
    for i in 0..n {
        text.push_str(&format!("{{'t': {i}, c: 'A'}},"));
    }
    text.push_str("{'t'");
    let parsed = classify_text(&text);
    assert_eq!(parsed.tier, Tier::Repaired);
    assert_eq!(parsed.value.unwrap().as_array().unwrap().len(), n);
    // Many values in prose: only the first bracket is tried, once.
    let prose = "[oops ".repeat(2 * MB);
    assert_eq!(classify_text(&prose).tier, Tier::Invalid);
}

#[test]
fn a_ten_megabyte_line_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    for (body, want) in [
        ("[".repeat(10 * MB), "recursion limit exceeded"),
        ("{\"a\":".repeat(2 * MB), "recursion limit exceeded"),
        (format!("{{\"id\": \"{}", "\\".repeat(10 * MB)), "EOF"),
    ] {
        let path = dir.path().join("big.jsonl");
        std::fs::write(&path, &body).unwrap();
        let err =
            crate::read::read_jsonl(&path, crate::read::DEFAULT_MAX_LINE_BYTES, |_, _| Ok(()))
                .unwrap_err()
                .to_string();
        assert!(err.contains("big.jsonl:1: not valid JSON ("), "{err}");
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn long_player_and_time_texts_are_read_promptly() {
    let aliases = std::collections::BTreeMap::new();
    let words = serde_json::Value::String("Gray ".repeat(2 * MB) + "#7");
    let player = verdict_core::fields::parse_player(&words, &aliases).unwrap();
    assert_eq!(player.number, "7");
    let numbers = serde_json::Value::String("7 ".repeat(2 * MB));
    assert_eq!(verdict_core::fields::parse_player(&numbers, &aliases), None);
    let digits = serde_json::Value::String(format!("0.{}", "0".repeat(10 * MB)));
    assert_eq!(verdict_core::events::parse_time(&digits), Some(0));
    let colons = serde_json::Value::String(":".repeat(10 * MB));
    assert_eq!(verdict_core::events::parse_time(&colons), None);
}
