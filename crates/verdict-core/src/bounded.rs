//! Bounds on what a model writes that verdict keeps or shows more than once.
//!
//! A label becomes a class: a key of the per-class counts, a row and column of the confusion
//! matrix, a row of every report and three names of every interval. A label of a megabyte
//! is then many megabytes, so labels are kept to [`MAX_LABEL_BYTES`]. The worst examples
//! embed outputs in report.json and report.html: they keep at most [`MAX_WORST_ROWS`] rows
//! and [`MAX_SHOWN_CHARS`] characters of each value ([`shown_value`]).

use std::borrow::Cow;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The longest label kept as it is, in bytes of UTF-8. Class labels are words or short
/// phrases; a longer one is most likely a model writing prose where a label belongs.
pub const MAX_LABEL_BYTES: usize = 256;

/// A label longer than [`MAX_LABEL_BYTES`], cut: its longest prefix of whole characters within
/// the limit, then `…[+N bytes, sha256 H]`, where N is the number of bytes cut and H the
/// first 16 hex digits of the SHA-256 of the whole label. The digest keeps two long labels
/// that differ anywhere apart and two equal ones together, so cutting changes how a label
/// is shown, not which examples agree. Labels within the limit come back as they are; a cut
/// label is the only kind longer than the limit ([`is_cut`]).
pub fn label(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.len() <= MAX_LABEL_BYTES {
        return text;
    }
    let mut end = MAX_LABEL_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Cow::Owned(format!(
        "{}…[+{} bytes, sha256 {hex}]",
        &text[..end],
        text.len() - end
    ))
}

/// Whether a label that went through [`label`] was cut.
pub fn is_cut(label: &str) -> bool {
    label.len() > MAX_LABEL_BYTES
}

/// The most rows a worst example embeds in the report.
pub const MAX_WORST_ROWS: usize = 100;

/// The most characters of an embedded event's JSON text a worst example shows.
pub const MAX_SHOWN_CHARS: usize = 1_000;

/// A value as a worst example embeds it: itself when its JSON text is at most
/// [`MAX_SHOWN_CHARS`] characters; otherwise a string of the text's first characters and
/// `… (N more characters)`, and `true`, so that the report can say a value was cut.
pub fn shown_value(value: &Value) -> (Value, bool) {
    let text = value.to_string();
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        None => (value.clone(), false),
        Some((end, _)) => {
            let more = text[end..].chars().count();
            (
                Value::String(format!("{}… ({more} more characters)", &text[..end])),
                true,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_labels_are_kept_and_long_ones_cut_apart() {
        let short = "é".repeat(MAX_LABEL_BYTES / 2);
        assert_eq!(label(Cow::Borrowed(&short)), short);
        assert!(!is_cut(&short));
        // Two labels alike in their first kilobyte, different in the last byte.
        let a = format!("{}a", "é".repeat(600));
        let b = format!("{}b", "é".repeat(600));
        let (cut_a, cut_b) = (label(Cow::Borrowed(&a)), label(Cow::Borrowed(&b)));
        assert!(is_cut(&cut_a) && is_cut(&cut_b));
        assert_ne!(cut_a, cut_b, "the digest keeps them apart");
        assert_eq!(
            cut_a,
            label(Cow::Owned(a.clone())),
            "equal labels cut alike"
        );
        // 128 two-byte characters fill the limit exactly; 1,201 − 256 = 945 bytes are cut.
        assert!(cut_a.starts_with(&"é".repeat(128)));
        assert!(
            cut_a[256..].starts_with("…[+945 bytes, sha256 "),
            "{}",
            &cut_a[256..]
        );
        // An odd limit still cuts at a character boundary.
        let odd = format!("x{}", "é".repeat(200));
        let cut = label(Cow::Borrowed(&odd));
        assert!(cut.starts_with(&format!("x{}…", "é".repeat(127))), "{cut}");
    }

    #[test]
    fn the_digest_is_sha256() {
        // printf 'x%.0s' {1..300} | sha256sum
        let cut = label(Cow::Owned("x".repeat(300)));
        assert_eq!(
            cut,
            format!("{}…[+44 bytes, sha256 0d4e2ca9e9cbced7]", "x".repeat(256))
        );
    }

    #[test]
    fn long_values_are_shown_cut() {
        let small = serde_json::json!({"t": 1, "c": "A"});
        assert_eq!(shown_value(&small), (small.clone(), false));
        let big = serde_json::json!({"c": "y".repeat(2000)});
        let (shown, cut) = shown_value(&big);
        assert!(cut);
        let text = shown.as_str().unwrap();
        // The JSON text is 2,008 characters: {"c":" (6), 2,000 y, "} (2).
        assert!(text.starts_with("{\"c\":\"yyy"));
        assert!(text.ends_with("… (1008 more characters)"), "{text}");
    }
}
