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

mod levenshtein;
mod repr;
mod tree;
mod walk;

use serde_json::Value;

pub use levenshtein::{MAX_CELLS, THRESHOLD};
pub use tree::{LeafRule, Patterns};

use tree::{Builder, same, size};
use walk::{Variants, Walker};

/// Pairs spanning more leaves than this together are not scored (`anls.skipped`): list
/// alignment compares every element with every other, and one output with thousands of
/// elements should not dominate a run's time.
pub const MAX_LEAVES: usize = 4000;

/// The ANLS* score of `predicted` against `expected`, in [0, 1].
pub fn anls_star(expected: &Value, predicted: &Value) -> f64 {
    if let Some(score) = alternatives(expected, predicted) {
        return score;
    }
    let mut patterns = Patterns::default();
    let mut builder = Builder::new(None, &mut patterns);
    let (e, p) = (builder.tree(expected), builder.tree(predicted));
    let (sum, length) = Walker::new(&builder.patterns.chars, 0, Variants::Plain, true)
        .score(&e, &p, false)
        .plain;
    ratio(sum, length)
}

/// The package reads a list of strings against a string as alternatives (classic VQA): the
/// best score of any, or `None` when the pair is not of that form.
fn alternatives(expected: &Value, predicted: &Value) -> Option<f64> {
    let (Value::Array(options), Value::String(_)) = (expected, predicted) else {
        return None;
    };
    (!options.is_empty() && options.iter().all(Value::is_string)).then(|| {
        options
            .iter()
            .map(|o| anls_star(o, predicted))
            .fold(0.0, f64::max)
    })
}

fn ratio(sum: f64, length: usize) -> f64 {
    if length == 0 {
        1.0
    } else {
        sum / length as f64
    }
}

/// Per leaf pattern (`/items/*/sku`): summed leaf scores and the number of leaves.
pub type LeafScores = std::collections::BTreeMap<String, (f64, usize)>;

/// The ANLS* scores of one pair ([`anls_scores_with`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PairScores {
    /// [`anls_star`]; `None` when the pair spans more than [`MAX_LEAVES`] leaves.
    pub plain: Option<f64>,
    /// The typed variant and its leaf scores by pattern; `None` as `plain` is.
    pub typed: Option<(f64, LeafScores)>,
    /// Text comparisons beyond [`MAX_CELLS`] whose similarity is a lower bound, not the
    /// similarity: the scores are then lower bounds too.
    pub approximated: usize,
}

/// [`anls_star`] and the typed ANLS* variant of one pair, both `None` when the pair spans more
/// than [`MAX_LEAVES`] leaves.
///
/// The typed variant has the same tree, alignment and length, but compares each leaf by the
/// rule `rule(pattern)` gives for its pattern (the spec's comparators where one applies). It
/// also gives every leaf's score by pattern, missing and extra leaves as 0, for the "fields
/// the model gets wrong" ranking. Both are scored over one preparation of the pair.
pub fn anls_scores<'s>(
    expected: &Value,
    predicted: &Value,
    rule: &dyn Fn(&str) -> LeafRule<'s>,
) -> (Option<f64>, Option<(f64, LeafScores)>) {
    let scores = anls_scores_with(expected, predicted, rule, &mut Patterns::default());
    (scores.plain, scores.typed)
}

/// [`anls_scores`] with the patterns met in earlier pairs, scored by the same `rule`: a run's
/// examples share a handful of patterns, found once rather than once per example. Says
/// too how many text comparisons were bounded rather than computed ([`MAX_CELLS`]).
pub fn anls_scores_with<'s>(
    expected: &Value,
    predicted: &Value,
    rule: &dyn Fn(&str) -> LeafRule<'s>,
    patterns: &mut Patterns<'s>,
) -> PairScores {
    scores(expected, predicted, rule, patterns, WALKS)
}

/// How [`scores`] walks a pair; tests turn each part off to check that it changes nothing.
#[derive(Debug, Clone, Copy)]
struct Walks {
    /// Whether identical values skip work (an unbuilt tree, [`Walker::identical_lists`]).
    shortcuts: bool,
    /// Whether the plain and typed scores come from one walk rather than one walk each.
    merged: bool,
}

const WALKS: Walks = Walks {
    shortcuts: true,
    merged: true,
};

/// [`anls_scores_with`], walked as `walks` says.
fn scores<'s>(
    expected: &Value,
    predicted: &Value,
    rule: &dyn Fn(&str) -> LeafRule<'s>,
    patterns: &mut Patterns<'s>,
    walks: Walks,
) -> PairScores {
    if size(expected) + size(predicted) > MAX_LEAVES {
        return PairScores {
            plain: None,
            typed: None,
            approximated: 0,
        };
    }
    patterns.start_pair();
    let mut builder = Builder::new(Some(rule), patterns);
    let e = builder.tree(expected);
    // An identical prediction would build a tree like the expected one in every part that
    // scoring reads (texts, patterns, shapes, typed preparations), so it is not built; and
    // the walk then recognises identical lists by address.
    let built;
    let p = if walks.shortcuts && same(expected, predicted) {
        &e
    } else {
        built = builder.tree(predicted);
        &built
    };
    let chars = &builder.patterns.chars;
    let leaves = &builder.patterns.leaves.keys;
    let alternatives = alternatives(expected, predicted);
    let variants = if walks.merged && alternatives.is_none() {
        Variants::Both
    } else {
        Variants::Typed
    };
    let mut walker = Walker::new(chars, leaves.len(), variants, walks.shortcuts);
    let both = walker.score(&e, p, true);
    let mut approximated = walker.approximated();
    let plain = alternatives.unwrap_or_else(|| {
        let (sum, length) = match variants {
            Variants::Both => both.plain,
            _ => {
                let mut plain_walker = Walker::new(chars, 0, Variants::Plain, walks.shortcuts);
                let plain = plain_walker.score(&e, p, false).plain;
                approximated += plain_walker.approximated();
                plain
            }
        };
        ratio(sum, length)
    });
    let scores = leaves
        .iter()
        .zip(walker.scores)
        .filter(|(_, (_, count))| *count > 0)
        .map(|(pattern, score)| (pattern.clone(), score))
        .collect();
    PairScores {
        plain: Some(plain),
        typed: Some((ratio(both.typed.0, both.typed.1), scores)),
        approximated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::FieldSpec;
    use serde_json::json;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn the_typed_variant_uses_the_given_leaf_rules_and_ranks_leaves() {
        let rule = |pattern: &str| match pattern {
            "/*/t" => LeafRule::Time {
                tolerance_us: 1_000_000,
            },
            _ => LeafRule::Similarity,
        };
        let exp = json!([{"t": 2848.5, "c": "FG_MAKE"}, {"t": 10, "c": "REBOUND"}]);
        let pred = json!([{"t": 2849.5, "c": "FG_MAKE"}]);
        assert!(close(
            anls_star(&json!(2848.5), &json!(2849.5)),
            1.0 - 1.0 / 6.0
        ));
        let (plain, typed) = anls_scores(&exp, &pred, &rule);
        assert_eq!(plain, Some(anls_star(&exp, &pred)));
        let (score, leaves) = typed.unwrap();
        // The first event matches fully (2 leaves); the second is missing (2 leaves at 0).
        assert!(close(score, 0.5));
        assert_eq!(leaves["/*/t"], (1.0, 2));
        assert_eq!(leaves["/*/c"], (1.0, 2));
    }

    /// JSON drawn from few keys and leaves, so that random values often share subtrees, and
    /// with the values that tell `same` from `==` and from `json_equal` (-0.0, 1 and 1.0).
    fn value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            prop::sample::select(vec![json!(0), json!(1), json!(-1), json!(1.0), json!(-0.0)]),
            prop::sample::select(vec![json!(0.0), json!(2.5), json!(1e16), json!(1.5e-5)]),
            "[ab A]{0,3}".prop_map(Value::String),
            prop::sample::select(vec!["1:05", "65", "bad", "#7 Navy"]).prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec!["a", "b", "c", "d", "t"]).prop_map(str::to_owned),
                    inner,
                    0..4
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// `value` with -0.0 and 0.0 swapped, and 1 and 1.0: `==` or `json_equal` to it, not
    /// `same`.
    fn twin(value: &Value) -> Value {
        match value {
            Value::Number(n) if n.is_f64() && n.as_f64() == Some(0.0) => {
                json!(-n.as_f64().unwrap_or_default())
            }
            Value::Number(n) if n.as_f64() == Some(1.0) => {
                if n.is_f64() {
                    json!(1)
                } else {
                    json!(1.0)
                }
            }
            Value::Array(items) => Value::Array(items.iter().map(twin).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), twin(v))).collect())
            }
            other => other.clone(),
        }
    }

    /// A pair built from one pool of values: identical, lists picking from the pool (shared,
    /// repeated and missing elements, in one mode with an element and its twin), the same
    /// wrapped in an object, twins, or unrelated.
    fn pair() -> impl proptest::strategy::Strategy<Value = (Value, Value)> {
        use proptest::prelude::*;
        let picks = || prop::collection::vec(0usize..4, 0..6);
        (prop::collection::vec(value(), 4), picks(), picks(), 0..6).prop_map(
            |(mut pool, a, b, mode)| {
                if mode == 4 {
                    pool[3] = twin(&pool[2]);
                }
                let list = |picks: &[usize]| {
                    Value::Array(picks.iter().map(|&i| pool[i].clone()).collect())
                };
                let (e, p) = (list(&a), list(&b));
                match mode {
                    0 => (e.clone(), e),
                    1 => (e, p),
                    2 => (json!({"a": e, "t": pool[0]}), json!({"a": p, "t": pool[1]})),
                    3 => {
                        let twin = twin(&e);
                        (e, twin)
                    }
                    4 => (e, p),
                    _ => (pool[0].clone(), pool[1].clone()),
                }
            },
        )
    }

    type Bits = (Option<u64>, Option<(u64, Vec<(String, u64, usize)>)>);

    fn bits(scores: PairScores) -> Bits {
        let PairScores { plain, typed, .. } = scores;
        (
            plain.map(f64::to_bits),
            typed.map(|(score, leaves)| {
                let leaves = leaves
                    .into_iter()
                    .map(|(pattern, (sum, n))| (pattern, sum.to_bits(), n))
                    .collect();
                (score.to_bits(), leaves)
            }),
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]
        #[test]
        fn shortcuts_and_the_merged_walk_change_no_bit((expected, predicted) in pair()) {
            use crate::spec::Comparator;
            let (number, text) = (FieldSpec::new(Comparator::Number), FieldSpec::new(Comparator::Text));
            let player = FieldSpec::new(Comparator::PlayerId);
            // Every kind of rule, and leaves whose self-score is below 1 (times that do not
            // parse, texts the threshold rejects for a number).
            let rule = |pattern: &str| match pattern.rsplit('/').next() {
                Some("t") => LeafRule::Time { tolerance_us: 500_000 },
                Some("c") => LeafRule::Equal,
                Some("b") => LeafRule::Field(&number),
                Some("d") => LeafRule::Field(&text),
                Some("*") => LeafRule::Field(&player),
                _ => LeafRule::Similarity,
            };
            let fresh = || Patterns::default();
            // The plainest walk: nothing skipped, one walk per variant.
            let naive = Walks { shortcuts: false, merged: false };
            let reference = bits(scores(&expected, &predicted, &rule, &mut fresh(), naive));
            for walks in [
                WALKS,
                Walks { shortcuts: true, merged: false },
                Walks { shortcuts: false, merged: true },
            ] {
                proptest::prop_assert_eq!(
                    bits(scores(&expected, &predicted, &rule, &mut fresh(), walks)),
                    reference.clone(),
                    "{:?}",
                    walks
                );
            }
            // Patterns kept from other pairs (as a run keeps them) change nothing either.
            let mut kept = fresh();
            scores(&predicted, &expected, &rule, &mut kept, WALKS);
            scores(&json!({"z": [1, {"t": 2}]}), &expected, &rule, &mut kept, WALKS);
            proptest::prop_assert_eq!(
                bits(scores(&expected, &predicted, &rule, &mut kept, WALKS)),
                reference
            );
        }
    }

    #[test]
    fn wide_objects_and_many_shapes_score_as_narrow_ones() {
        // Past 16 keys or shapes the builder looks them up by hashing instead of scanning.
        let wide = |changed: Option<usize>| {
            let map: serde_json::Map<String, Value> = (0..40)
                .map(|i| {
                    let value = if Some(i) == changed {
                        "x".into()
                    } else {
                        format!("v{i}")
                    };
                    (format!("k{i:02}"), Value::String(value))
                })
                .collect();
            Value::Object(map)
        };
        let similarity = |_: &str| LeafRule::Similarity;
        let (plain, typed) = anls_scores(&wide(None), &wide(Some(5)), &similarity);
        assert!(close(plain.unwrap(), 39.0 / 40.0));
        let (typed, leaves) = typed.unwrap();
        assert!(close(typed, 39.0 / 40.0));
        assert_eq!(leaves.len(), 40);
        assert_eq!(leaves["/k05"], (0.0, 1));
        let shapes: Vec<Value> = (0..30).map(|i| json!({ format!("a{i}"): i })).collect();
        let mut kept = Patterns::default();
        anls_scores_with(
            &wide(None),
            &Value::Array(shapes.clone()),
            &similarity,
            &mut kept,
        );
        let mut fewer = shapes.clone();
        fewer.remove(7);
        for patterns in [&mut kept, &mut Patterns::default()] {
            let PairScores { plain, typed, .. } = anls_scores_with(
                &Value::Array(shapes.clone()),
                &Value::Array(fewer.clone()),
                &similarity,
                patterns,
            );
            assert!(close(plain.unwrap(), 29.0 / 30.0));
            let (typed, leaves) = typed.unwrap();
            assert!(close(typed, 29.0 / 30.0));
            assert_eq!(leaves.len(), 30);
            assert_eq!(leaves["/*/a7"], (0.0, 1));
            assert_eq!(leaves["/*/a8"], (1.0, 1));
        }
    }

    #[test]
    fn long_keys_name_their_leaves_cut_and_apart() {
        let (k1, k2) = (
            format!("{}1", "k".repeat(300)),
            format!("{}2", "k".repeat(300)),
        );
        let value = json!({ k1: "a", k2: "b" });
        let (plain, typed) = anls_scores(&value, &value, &|_: &str| LeafRule::Similarity);
        assert_eq!(plain, Some(1.0));
        let leaves = typed.unwrap().1;
        assert_eq!(leaves.len(), 2, "{leaves:?}");
        for path in leaves.keys() {
            assert!(path.starts_with(&format!("/{}…[+45 bytes, sha256 ", "k".repeat(256))));
        }
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
