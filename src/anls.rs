//! ANLS*: one structured-similarity score per example for arbitrary JSON (Peer et al., 2024,
//! "ANLS* — A Universal Document Processing Metric for Generative Large Language Models").
//!
//! The definition, as the authors' `anls-star` package computes it:
//! - a leaf (string, number, boolean) against a leaf scores the normalised Levenshtein
//!   similarity of their texts (lower-cased, white space collapsed), set to 0 below 0.5; a leaf
//!   against anything else scores 0. Numbers are compared as text, as Python prints them, so
//!   2848.5 against 2849.5 scores 1 − 1/6 ≈ 0.83;
//! - null (or a missing key) scores 1 against a "none-like" value (null, "", [], {}), else 0;
//! - a list against a list: the elements are paired by the assignment that maximises the sum of
//!   the pairs' mean scores (exact matches win ties); unpaired elements score 0;
//! - an object against an object: key by key over both key sets; a key only the prediction has
//!   counts only in the length when its value is none-like;
//! - the score is the sum of the leaf scores divided by the "pairwise length" (the number of
//!   leaves the two sides span, the larger side where they do not align), 1 when both are empty.
//!
//! `tests/reference.rs` checks agreement with the `anls-star` package on a generated set of
//! pairs (`scripts/anls_reference.py`).

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde_json::Value;

use crate::fields::json_equal;

/// Leaf similarities below this count as 0.
pub const THRESHOLD: f64 = 0.5;

/// Pairs spanning more leaves than this together are not scored (`anls.skipped`): list
/// alignment compares every element with every other, and one output with thousands of
/// elements should not dominate a run's time.
pub const MAX_LEAVES: usize = 4000;

/// [`anls_star`], or `None` when the pair spans more than [`MAX_LEAVES`] leaves.
pub fn anls_bounded(expected: &Value, predicted: &Value) -> Option<f64> {
    (size(expected) + size(predicted) <= MAX_LEAVES).then(|| anls_star(expected, predicted))
}

/// The ANLS* score of `predicted` against `expected`, in [0, 1].
pub fn anls_star(expected: &Value, predicted: &Value) -> f64 {
    // The package reads a list of strings against a string as alternatives (classic VQA).
    if let (Value::Array(options), Value::String(_)) = (expected, predicted)
        && !options.is_empty()
        && options.iter().all(Value::is_string)
    {
        return options
            .iter()
            .map(|o| anls_star(o, predicted))
            .fold(0.0, f64::max);
    }
    let plain = |_: &str, a: &Value, b: &Value| leaf_similarity(a, b);
    let (sum, length) =
        Walker { leaf: &plain }.score(expected, predicted, &mut String::new(), &mut None);
    if length == 0 {
        1.0
    } else {
        sum / length as f64
    }
}

/// Per leaf pattern (`/items/*/sku`): summed leaf scores and the number of leaves.
pub type LeafScores = std::collections::BTreeMap<String, (f64, usize)>;

/// The typed ANLS* variant: the same tree, alignment and length, but each leaf is compared by
/// `leaf(pattern, expected, predicted)` (the spec's comparators where one applies to the
/// pattern). Also returns every leaf's score by pattern, missing and extra leaves as 0, for
/// the "fields the model gets wrong" ranking. `None` when the pair is too large.
pub fn typed_anls(
    expected: &Value,
    predicted: &Value,
    leaf: &dyn Fn(&str, &Value, &Value) -> f64,
) -> Option<(f64, LeafScores)> {
    if size(expected) + size(predicted) > MAX_LEAVES {
        return None;
    }
    let mut scores = LeafScores::new();
    let (sum, length) = Walker { leaf }.score(
        expected,
        predicted,
        &mut String::new(),
        &mut Some(&mut scores),
    );
    Some((
        if length == 0 {
            1.0
        } else {
            sum / length as f64
        },
        scores,
    ))
}

/// How many leaves a value spans: 1 for a leaf or null, the sum of the children otherwise.
fn size(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.iter().map(size).sum(),
        Value::Object(map) => map.values().map(size).sum(),
        _ => 1,
    }
}

fn none_like(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn is_leaf(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

fn child(pattern: &str, key: &str) -> String {
    let mut path = pattern.to_owned();
    push_key(&mut path, key);
    path
}

/// Appends `/key` (escaped as a JSON Pointer segment) to a pattern being built.
fn push_key(pattern: &mut String, key: &str) {
    pattern.push('/');
    for c in key.chars() {
        match c {
            '~' => pattern.push_str("~0"),
            '/' => pattern.push_str("~1"),
            c => pattern.push(c),
        }
    }
}

/// Records a score of 0 for every leaf under `value` (elements or keys left unpaired).
fn record_zeros(value: &Value, pattern: &str, rec: &mut Option<&mut LeafScores>) {
    let Some(scores) = rec.as_deref_mut() else {
        return;
    };
    fn walk(value: &Value, pattern: &str, scores: &mut LeafScores) {
        match value {
            Value::Array(items) => items
                .iter()
                .for_each(|v| walk(v, &format!("{pattern}/*"), scores)),
            Value::Object(map) => map
                .iter()
                .for_each(|(k, v)| walk(v, &child(pattern, k), scores)),
            _ => scores.entry(pattern.to_owned()).or_default().1 += 1,
        }
    }
    walk(value, pattern, scores);
}

fn record(rec: &mut Option<&mut LeafScores>, pattern: &str, score: f64) {
    if let Some(scores) = rec.as_deref_mut() {
        let entry = scores.entry(pattern.to_owned()).or_default();
        entry.0 += score;
        entry.1 += 1;
    }
}

/// The tree walk, parameterised by how two leaves compare.
struct Walker<'a> {
    leaf: &'a dyn Fn(&str, &Value, &Value) -> f64,
}

impl Walker<'_> {
    /// The sum of leaf scores and the pairwise length of a (expected, predicted) pair at
    /// `pattern`; with `rec`, every leaf's score is recorded by pattern.
    fn score(
        &self,
        expected: &Value,
        predicted: &Value,
        pattern: &mut String,
        rec: &mut Option<&mut LeafScores>,
    ) -> (f64, usize) {
        match expected {
            Value::Null => {
                let s = if none_like(predicted) { 1.0 } else { 0.0 };
                if !none_like(predicted) {
                    record_zeros(predicted, pattern, rec);
                }
                (s, size(predicted).max(1))
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                let similarity = if is_leaf(predicted) {
                    (self.leaf)(pattern, expected, predicted)
                } else {
                    0.0
                };
                record(rec, pattern, similarity);
                (similarity, size(predicted).max(1))
            }
            Value::Object(gt) => {
                let Value::Object(pred) = predicted else {
                    record_zeros(expected, pattern, rec);
                    return (0.0, size(expected).max(size(predicted)));
                };
                let mut sum = 0.0;
                let mut length = 0;
                let base = pattern.len();
                for (key, g) in gt {
                    push_key(pattern, key);
                    let (s, l) = self.score(g, pred.get(key).unwrap_or(&Value::Null), pattern, rec);
                    pattern.truncate(base);
                    sum += s;
                    length += l;
                }
                // A key only the prediction has scores 0 (null against a value) but counts in
                // the length, even when its value is none-like.
                for (key, p) in pred.iter().filter(|(k, _)| !gt.contains_key(*k)) {
                    if !none_like(p) {
                        record_zeros(p, &child(pattern, key), rec);
                    }
                    length += size(p).max(1);
                }
                (sum, length)
            }
            Value::Array(gt) => {
                let Value::Array(pred) = predicted else {
                    record_zeros(expected, pattern, rec);
                    return (0.0, size(expected).max(size(predicted)));
                };
                let base = pattern.len();
                pattern.push_str("/*");
                let result = self.list_score(gt, pred, pattern, rec);
                pattern.truncate(base);
                result
            }
        }
    }

    /// Pairs two lists by the assignment with the largest sum of mean pair scores.
    fn list_score(
        &self,
        gt: &[Value],
        pred: &[Value],
        pattern: &mut String,
        rec: &mut Option<&mut LeafScores>,
    ) -> (f64, usize) {
        if gt.is_empty() || pred.is_empty() {
            gt.iter()
                .chain(pred)
                .for_each(|v| record_zeros(v, pattern, rec));
            return (0.0, gt.iter().chain(pred).map(size).sum());
        }
        let pairs: Vec<Vec<(f64, usize)>> = gt
            .iter()
            .map(|g| {
                pred.iter()
                    .map(|p| self.score(g, p, pattern, &mut None))
                    .collect()
            })
            .collect();
        // Integer weights for the solver: the mean score at 2^-40 resolution, doubled so that
        // an exact match can win a tie by one unit, as the reference does.
        let weight = |i: usize, j: usize| -> i64 {
            let (s, l) = pairs[i][j];
            let mean = if l == 0 { 1.0 } else { s / l as f64 };
            (mean * (1u64 << 40) as f64).round() as i64 * 2
                + i64::from(json_equal(&gt[i], &pred[j]))
        };
        let transpose = gt.len() > pred.len();
        let (rows, cols) = if transpose {
            (pred.len(), gt.len())
        } else {
            (gt.len(), pred.len())
        };
        let matrix = Matrix::from_fn(rows, cols, |(r, c)| {
            if transpose {
                weight(c, r)
            } else {
                weight(r, c)
            }
        });
        let (_, assignment) = kuhn_munkres(&matrix);
        let mut gt_used = vec![false; gt.len()];
        let mut pred_used = vec![false; pred.len()];
        let (mut sum, mut length) = (0.0, 0);
        for (r, &c) in assignment.iter().enumerate() {
            let (i, j) = if transpose { (c, r) } else { (r, c) };
            gt_used[i] = true;
            pred_used[j] = true;
            sum += pairs[i][j].0;
            length += pairs[i][j].1;
            if rec.is_some() {
                // Scores of the chosen pairs only, not of every candidate pair.
                self.score(&gt[i], &pred[j], pattern, rec);
            }
        }
        for (value, used) in gt.iter().zip(&gt_used).chain(pred.iter().zip(&pred_used)) {
            if !used {
                length += size(value);
                record_zeros(value, pattern, rec);
            }
        }
        (sum, length)
    }
}

/// Normalised Levenshtein similarity of two leaves' texts, 0 below [`THRESHOLD`].
pub fn leaf_similarity(a: &Value, b: &Value) -> f64 {
    let (a, b) = (normalise(&python_text(a)), normalise(&python_text(b)));
    let longest = a.chars().count().max(b.chars().count());
    if longest == 0 {
        return 1.0;
    }
    let similarity = 1.0 - strsim::levenshtein(&a, &b) as f64 / longest as f64;
    if similarity < THRESHOLD {
        0.0
    } else {
        similarity
    }
}

fn normalise(text: &str) -> String {
    text.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A leaf as Python's `str()` prints it, since ANLS* compares numbers and booleans as text.
fn python_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) if n.is_f64() => python_float(n.as_f64().unwrap_or_default()),
        other => other.to_string(),
    }
}

/// Python's `repr(float)`: the shortest round-trip digits, positional for 1e-4 ≤ |x| < 1e16,
/// otherwise scientific with a signed, at least two-digit exponent.
fn python_float(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    if !x.is_finite() {
        return if x.is_nan() {
            "nan".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let text = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{text}")
    } else {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let exp_sign = if exponent < 0 { "-" } else { "+" };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn floats_print_as_python_does() {
        for (x, text) in [
            (2848.5, "2848.5"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123456789012345.6, "123456789012345.6"),
            (-2.5e20, "-2.5e+20"),
            (1e100, "1e+100"),
        ] {
            assert_eq!(python_float(x), text);
        }
    }

    #[test]
    fn the_typed_variant_uses_the_given_leaf_comparison_and_ranks_leaves() {
        let within_one = |pattern: &str, a: &Value, b: &Value| -> f64 {
            match (pattern, a.as_f64(), b.as_f64()) {
                ("/*/t", Some(x), Some(y)) if (x - y).abs() <= 1.0 => 1.0,
                ("/*/t", _, _) => 0.0,
                _ => leaf_similarity(a, b),
            }
        };
        let exp = json!([{"t": 2848.5, "c": "FG_MAKE"}, {"t": 10, "c": "REBOUND"}]);
        let pred = json!([{"t": 2849.5, "c": "FG_MAKE"}]);
        assert!(close(
            anls_star(&json!(2848.5), &json!(2849.5)),
            1.0 - 1.0 / 6.0
        ));
        let (score, leaves) = typed_anls(&exp, &pred, &within_one).unwrap();
        // The first event matches fully (2 leaves); the second is missing (2 leaves at 0).
        assert!(close(score, 0.5));
        assert_eq!(leaves["/*/t"], (1.0, 2));
        assert_eq!(leaves["/*/c"], (1.0, 2));
    }

    #[test]
    fn known_values() {
        assert!(close(
            anls_star(&json!(2848.5), &json!(2849.5)),
            1.0 - 1.0 / 6.0
        ));
        assert!(close(
            anls_star(&json!("Hello World"), &json!("hello  world")),
            1.0
        ));
        assert!(close(anls_star(&json!("abc"), &json!("xyz")), 0.0));
        assert!(close(anls_star(&json!(null), &json!("")), 1.0));
        assert!(close(anls_star(&json!([]), &json!([])), 1.0));
        assert!(close(
            anls_star(&json!({"a": "x", "b": "y"}), &json!({"a": "x"})),
            0.5
        ));
        // Lists pair by content, not by position.
        assert!(close(
            anls_star(&json!(["a", "b", "c"]), &json!(["c", "a", "b"])),
            1.0
        ));
        // A missing element: 2 of 3.
        assert!(close(
            anls_star(
                &json!(["apple", "banana", "cherry"]),
                &json!(["banana", "apple"])
            ),
            2.0 / 3.0
        ));
        // Classic VQA: a list of strings against a string is a set of alternatives.
        assert!(close(
            anls_star(&json!(["yes", "yeah"]), &json!("yeah")),
            1.0
        ));
        // A type mismatch scores 0 over the larger side.
        assert!(close(anls_star(&json!({"a": 1}), &json!([1, 2])), 0.0));
    }
}
