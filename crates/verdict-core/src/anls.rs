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

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde_json::Value;

use crate::fields::{self, Outcome, json_equal};
use crate::spec::FieldSpec;

/// Leaf similarities below this count as 0.
pub const THRESHOLD: f64 = 0.5;

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

/// How the typed ANLS* variant compares the leaves at one pattern.
#[derive(Debug, Clone, Copy)]
pub enum LeafRule<'s> {
    /// The ANLS* text similarity, as in the plain score.
    Similarity,
    /// 1 when the field's comparator finds the values equal, else 0.
    Field(&'s FieldSpec),
    /// 1 when both parse as times ([`crate::events::parse_time`]) at most the tolerance
    /// apart, else 0.
    Time {
        /// The tolerance in microseconds.
        tolerance_us: i64,
    },
    /// 1 when the values are the same JSON value, else 0.
    Equal,
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
    anls_scores_with(expected, predicted, rule, &mut Patterns::default())
}

/// [`anls_scores`] with the patterns met in earlier pairs, scored by the same `rule`: a run's
/// examples share a handful of patterns, found once rather than once per example.
pub fn anls_scores_with<'s>(
    expected: &Value,
    predicted: &Value,
    rule: &dyn Fn(&str) -> LeafRule<'s>,
    patterns: &mut Patterns<'s>,
) -> (Option<f64>, Option<(f64, LeafScores)>) {
    scores(expected, predicted, rule, patterns, WALKS)
}

/// What scoring keeps from one pair to the next: the leaf patterns met with their rules, the
/// object shapes, and the memory of the text arena.
#[derive(Default)]
pub struct Patterns<'s> {
    /// Every leaf pattern met; `rules` holds the rule of each.
    leaves: Interner<String>,
    rules: Vec<LeafRule<'s>>,
    /// The paths met, as a tree from the root path at 0: a node's pattern is found from its
    /// parent's by one short key comparison, not built and looked up as text.
    paths: Vec<PathNode>,
    /// Object shapes by their key sequence.
    shapes: Interner<Vec<String>>,
    /// The normalised texts of a pair's leaves, emptied for each pair.
    chars: Vec<char>,
}

impl Patterns<'_> {
    /// Outputs with ever new keys would grow the tables without bound: past this many paths
    /// or shapes they start again.
    const MAX_ENTRIES: usize = 512;

    fn start_pair(&mut self) {
        if self.paths.is_empty()
            || self.paths.len() > Self::MAX_ENTRIES
            || self.shapes.keys.len() > Self::MAX_ENTRIES
        {
            *self = Patterns {
                paths: vec![PathNode::new(String::new())],
                chars: std::mem::take(&mut self.chars),
                ..Patterns::default()
            };
        }
        self.chars.clear();
    }
}

/// Ids in order of first appearance, found by a scan while there are few (a run's handful of
/// patterns and shapes) and by hashing once there are many (an object of thousands of keys),
/// so that neither costs much.
struct Interner<K> {
    keys: Vec<K>,
    index: HashMap<K, usize>,
}

impl<K> Default for Interner<K> {
    fn default() -> Self {
        Interner {
            keys: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<K: Clone + Eq + std::hash::Hash> Interner<K> {
    /// Up to this many keys a scan is cheaper than hashing.
    const SCAN: usize = 16;

    /// The id of the key `matches` recognises, made by `make` when it must be hashed or
    /// kept; and whether it is new.
    fn id(&mut self, matches: impl Fn(&K) -> bool, make: impl FnOnce() -> K) -> (usize, bool) {
        let key = if self.keys.len() <= Self::SCAN {
            if let Some(id) = self.keys.iter().position(matches) {
                return (id, false);
            }
            make()
        } else {
            let key = make();
            if let Some(&id) = self.index.get(&key) {
                return (id, false);
            }
            key
        };
        let id = self.keys.len();
        if id >= Self::SCAN {
            if self.index.is_empty() {
                self.index.extend(self.keys.iter().cloned().zip(0..));
            }
            self.index.insert(key.clone(), id);
        }
        self.keys.push(key);
        (id, true)
    }
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
) -> (Option<f64>, Option<(f64, LeafScores)>) {
    if size(expected) + size(predicted) > MAX_LEAVES {
        return (None, None);
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
    let plain = alternatives.unwrap_or_else(|| {
        let (sum, length) = match variants {
            Variants::Both => both.plain,
            _ => {
                Walker::new(chars, 0, Variants::Plain, walks.shortcuts)
                    .score(&e, p, false)
                    .plain
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
    (
        Some(plain),
        Some((ratio(both.typed.0, both.typed.1), scores)),
    )
}

/// How many leaves a value spans: 1 for a leaf or null, the sum of the children otherwise.
fn size(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.iter().map(size).sum(),
        Value::Object(map) => map.values().map(size).sum(),
        _ => 1,
    }
}

/// Whether two values are the same JSON with the same Python texts: `==`, but with the sign of
/// a zero (`-0.0 == 0.0`, yet they print differently) and the order of object entries (which
/// decides the order in which scores are summed) telling values apart.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y && x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, v), (l, w))| k == l && same(v, w))
        }
        _ => a == b,
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

/// A value with what scoring reads of it worked out once: list alignment compares every
/// element with every other, so anything computed per comparison is computed O(n) times.
struct Node<'v, 's> {
    value: &'v Value,
    /// [`size`] of the value.
    size: usize,
    /// The index of the node's pattern in [`Builder::patterns`] (typed variant, leaves and
    /// nulls only; 0 otherwise).
    pattern: usize,
    kind: Kind<'v, 's>,
}

enum Kind<'v, 's> {
    Null,
    /// A leaf's normalised text, as a range of [`Builder::chars`], and its typed preparation.
    Leaf {
        text: Range<usize>,
        typed: Leaf<'v, 's>,
    },
    Array(Vec<Node<'v, 's>>),
    /// The entries in the map's order; `sorted` when that is key order, as it is for
    /// serde_json's default map, so that lookups can bisect. Objects with the same keys in the
    /// same order have the same `shape` and pair entry by entry, without lookups.
    Object {
        entries: Vec<(&'v str, Node<'v, 's>)>,
        sorted: bool,
        shape: usize,
    },
}

impl<'v, 's> Kind<'v, 's> {
    fn get(&self, key: &str) -> Option<&Node<'v, 's>> {
        let Kind::Object {
            entries, sorted, ..
        } = self
        else {
            return None;
        };
        if *sorted {
            let i = entries.binary_search_by(|(k, _)| (*k).cmp(key)).ok()?;
            Some(&entries[i].1)
        } else {
            entries
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, node)| node)
        }
    }
}

/// A leaf prepared for its typed comparison.
enum Leaf<'v, 's> {
    /// Compared by its text, as in the plain score.
    Similarity,
    Field(&'s FieldSpec, fields::Prepared<'v>),
    Time {
        tolerance_us: i64,
        us: Option<i64>,
    },
    Equal,
}

/// The null a missing key is scored as.
static MISSING: Node<'static, 'static> = Node {
    value: &Value::Null,
    size: 1,
    pattern: 0,
    kind: Kind::Null,
};

/// Builds the [`Node`] trees of both sides of a pair, sharing one text arena and (typed
/// variant) one pattern table, since paired leaves always sit at the same pattern.
struct Builder<'r, 's, 'p> {
    rule: Option<&'r dyn Fn(&str) -> LeafRule<'s>>,
    patterns: &'p mut Patterns<'s>,
    /// A number's text, reused.
    number: String,
}

/// A path of [`Patterns::paths`].
struct PathNode {
    /// The path as a JSON Pointer pattern (`/items/*/sku`).
    pattern: String,
    /// Its index in [`Patterns::leaves`], once a leaf or null was met at it.
    leaf: Option<usize>,
    /// The path of a list's elements.
    elements: Option<usize>,
    /// The keys of an object at this path; `children` holds the path of each.
    keys: Interner<String>,
    children: Vec<usize>,
}

impl PathNode {
    fn new(pattern: String) -> Self {
        PathNode {
            pattern,
            leaf: None,
            elements: None,
            keys: Interner::default(),
            children: Vec::new(),
        }
    }
}

impl<'r, 's, 'p> Builder<'r, 's, 'p> {
    fn new(rule: Option<&'r dyn Fn(&str) -> LeafRule<'s>>, patterns: &'p mut Patterns<'s>) -> Self {
        Builder {
            rule,
            patterns,
            number: String::new(),
        }
    }

    fn tree<'v>(&mut self, value: &'v Value) -> Node<'v, 's> {
        self.node(value, 0)
    }

    fn node<'v>(&mut self, value: &'v Value, path: usize) -> Node<'v, 's> {
        let (size, pattern, kind) = match value {
            Value::Null => (1, self.pattern(path), Kind::Null),
            Value::Array(items) => {
                let element = self.child(path, None);
                let items: Vec<_> = items.iter().map(|v| self.node(v, element)).collect();
                (items.iter().map(|n| n.size).sum(), 0, Kind::Array(items))
            }
            Value::Object(map) => {
                let entries: Vec<_> = map
                    .iter()
                    .map(|(k, v)| {
                        let child = self.child(path, Some(k));
                        (k.as_str(), self.node(v, child))
                    })
                    .collect();
                let sorted = entries.is_sorted_by(|(a, _), (b, _)| a < b);
                let size = entries.iter().map(|(_, n)| n.size).sum();
                let shape = self.shape(map);
                (
                    size,
                    0,
                    Kind::Object {
                        entries,
                        sorted,
                        shape,
                    },
                )
            }
            _ => {
                let pattern = self.pattern(path);
                let kind = Kind::Leaf {
                    text: self.text(value),
                    typed: self.leaf(value, pattern),
                };
                (1, pattern, kind)
            }
        };
        Node {
            value,
            size,
            pattern,
            kind,
        }
    }

    /// The path one step below `path`: its list elements (`key` `None`) or `key`'s value.
    fn child(&mut self, path: usize, key: Option<&str>) -> usize {
        if self.rule.is_none() {
            // Only the typed variant reads patterns.
            return 0;
        }
        let paths = &mut self.patterns.paths;
        let node = &mut paths[path];
        let known = match key {
            None => node.elements,
            Some(key) => match node.keys.id(|k| k == key, || key.to_owned()) {
                (id, false) => Some(node.children[id]),
                (_, true) => None,
            },
        };
        if let Some(child) = known {
            return child;
        }
        let mut pattern = node.pattern.clone();
        match key {
            None => pattern.push_str("/*"),
            Some(key) => push_key(&mut pattern, key),
        }
        let child = paths.len();
        match key {
            None => paths[path].elements = Some(child),
            Some(_) => paths[path].children.push(child),
        }
        paths.push(PathNode::new(pattern));
        child
    }

    fn shape(&mut self, map: &serde_json::Map<String, Value>) -> usize {
        let same_keys = |keys: &Vec<String>| {
            keys.len() == map.len() && keys.iter().zip(map.keys()).all(|(a, b)| a == b)
        };
        let make = || map.keys().cloned().collect();
        self.patterns.shapes.id(same_keys, make).0
    }

    /// The index in [`Patterns::leaves`] of the pattern of `path` (0 in the plain variant).
    /// Paths with the same pattern text (a key `*` and a list's elements) share it.
    fn pattern(&mut self, path: usize) -> usize {
        let Some(rule) = self.rule else {
            return 0;
        };
        let patterns = &mut *self.patterns;
        if let Some(id) = patterns.paths[path].leaf {
            return id;
        }
        let text = &patterns.paths[path].pattern;
        let (id, new) = patterns.leaves.id(|k| k == text, || text.clone());
        if new {
            patterns.rules.push(rule(text));
        }
        patterns.paths[path].leaf = Some(id);
        id
    }

    fn leaf<'v>(&mut self, value: &'v Value, pattern: usize) -> Leaf<'v, 's> {
        let rule = match self.rule {
            Some(_) => self.patterns.rules[pattern],
            None => LeafRule::Similarity,
        };
        match rule {
            LeafRule::Similarity => Leaf::Similarity,
            LeafRule::Field(spec) => Leaf::Field(spec, fields::prepare(spec, value)),
            LeafRule::Time { tolerance_us } => Leaf::Time {
                tolerance_us,
                us: crate::events::parse_time(value),
            },
            LeafRule::Equal => Leaf::Equal,
        }
    }

    /// Appends a leaf's normalised text (lower-cased, white space collapsed) to the arena.
    fn text(&mut self, value: &Value) -> Range<usize> {
        let start = self.patterns.chars.len();
        let text = match value {
            Value::Number(n) => {
                // Numbers are ASCII without white space: their text goes in as it is.
                python_number(n, &mut self.number);
                self.patterns
                    .chars
                    .extend(self.number.bytes().map(char::from));
                return start..self.patterns.chars.len();
            }
            other => python_text(other),
        };
        if text.is_ascii() {
            // ASCII lower-casing neither makes nor removes white space, so folding each word
            // is the same as lower-casing first, without the allocations.
            for (i, word) in text.split_whitespace().enumerate() {
                if i > 0 {
                    self.patterns.chars.push(' ');
                }
                self.patterns
                    .chars
                    .extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
            }
        } else {
            let lower = text.to_lowercase();
            for (i, word) in lower.split_whitespace().enumerate() {
                if i > 0 {
                    self.patterns.chars.push(' ');
                }
                self.patterns.chars.extend(word.chars());
            }
        }
        start..self.patterns.chars.len()
    }
}

/// Which scores a walk computes: the plain ANLS*, the typed variant, or both in one pass. The
/// two share the trees, the candidate list pairs and all but the leaf comparisons and the
/// assignments, and list alignment compares every element with every other, so one walk for
/// both does that n × m work once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variants {
    Plain,
    Typed,
    Both,
}

/// The sum of leaf scores and the pairwise length of a pair, per variant. The lengths differ
/// where the variants' assignments leave elements of different sizes unpaired. A walk of one
/// variant carries its scores in both.
#[derive(Debug, Clone, Copy)]
struct Scores {
    plain: (f64, usize),
    typed: (f64, usize),
}

impl Scores {
    const ZERO: Scores = Scores::each((0.0, 0));

    const fn each(score: (f64, usize)) -> Scores {
        Scores {
            plain: score,
            typed: score,
        }
    }

    fn add(&mut self, other: Scores) {
        self.plain.0 += other.plain.0;
        self.plain.1 += other.plain.1;
        self.typed.0 += other.typed.0;
        self.typed.1 += other.typed.1;
    }

    fn add_length(&mut self, length: usize) {
        self.plain.1 += length;
        self.typed.1 += length;
    }

    /// Whether the variants agree to the bit, so that one assignment serves both.
    fn agree(&self) -> bool {
        self.plain.0.to_bits() == self.typed.0.to_bits() && self.plain.1 == self.typed.1
    }
}

/// Whether a pair scores exactly its full length (every leaf 1), not nearly.
fn full((sum, length): (f64, usize)) -> bool {
    sum.to_bits() == (length as f64).to_bits()
}

/// The tree walk over two prepared trees.
struct Walker<'a> {
    chars: &'a [char],
    variants: Variants,
    /// Per pattern: summed typed leaf scores and the number of leaves.
    scores: Vec<(f64, usize)>,
    /// Levenshtein working memory, reused across comparisons.
    distance: Distance,
    /// Whether identical lists skip the assignment ([`Walker::identical_lists`]).
    shortcuts: bool,
}

impl<'a> Walker<'a> {
    fn new(chars: &'a [char], patterns: usize, variants: Variants, shortcuts: bool) -> Self {
        Walker {
            chars,
            variants,
            scores: vec![(0.0, 0); patterns],
            distance: Distance::default(),
            shortcuts,
        }
    }

    fn record(&mut self, node: &Node<'_, '_>, score: f64) {
        let entry = &mut self.scores[node.pattern];
        entry.0 += score;
        entry.1 += 1;
    }

    /// Records a score of 0 for every leaf under `node` (elements or keys left unpaired).
    fn record_zeros(&mut self, node: &Node<'_, '_>) {
        match &node.kind {
            Kind::Array(items) => items.iter().for_each(|n| self.record_zeros(n)),
            Kind::Object { entries, .. } => entries.iter().for_each(|(_, n)| self.record_zeros(n)),
            Kind::Null | Kind::Leaf { .. } => self.scores[node.pattern].1 += 1,
        }
    }

    /// Records the typed leaf scores of a pair the typed assignment chose. Only the chosen
    /// pairs are recorded, not every candidate, so they are walked again once chosen.
    fn record_pair(&mut self, expected: &Node<'_, '_>, predicted: &Node<'_, '_>) {
        let variants = std::mem::replace(&mut self.variants, Variants::Typed);
        self.score(expected, predicted, true);
        self.variants = variants;
    }

    /// The scores of a (expected, predicted) pair; with `record`, every typed leaf score is
    /// recorded by pattern.
    fn score(&mut self, expected: &Node<'_, '_>, predicted: &Node<'_, '_>, record: bool) -> Scores {
        match &expected.kind {
            Kind::Null => {
                let none = none_like(predicted.value);
                if record && !none {
                    self.record_zeros(predicted);
                }
                Scores::each((if none { 1.0 } else { 0.0 }, predicted.size.max(1)))
            }
            Kind::Leaf { .. } => {
                let (plain, typed) = match &predicted.kind {
                    Kind::Leaf { .. } => self.leaf(expected, predicted),
                    _ => (0.0, 0.0),
                };
                if record {
                    self.record(expected, typed);
                }
                let length = predicted.size.max(1);
                Scores {
                    plain: (plain, length),
                    typed: (typed, length),
                }
            }
            Kind::Object {
                entries: gt, shape, ..
            } => {
                let Kind::Object {
                    entries: pred,
                    shape: pred_shape,
                    ..
                } = &predicted.kind
                else {
                    if record {
                        self.record_zeros(expected);
                    }
                    return Scores::each((0.0, expected.size.max(predicted.size)));
                };
                let mut total = Scores::ZERO;
                if shape == pred_shape {
                    for ((_, g), (_, p)) in gt.iter().zip(pred) {
                        total.add(self.score(g, p, record));
                    }
                    return total;
                }
                for (key, g) in gt {
                    let p = predicted.kind.get(key).unwrap_or(&MISSING);
                    total.add(self.score(g, p, record));
                }
                // A key only the prediction has scores 0 (null against a value) but counts in
                // the length, even when its value is none-like.
                for (key, p) in pred {
                    if expected.kind.get(key).is_none() {
                        if record && !none_like(p.value) {
                            self.record_zeros(p);
                        }
                        total.add_length(p.size.max(1));
                    }
                }
                total
            }
            Kind::Array(gt) => {
                let Kind::Array(pred) = &predicted.kind else {
                    if record {
                        self.record_zeros(expected);
                    }
                    return Scores::each((0.0, expected.size.max(predicted.size)));
                };
                self.list_score(gt, pred, record)
            }
        }
    }

    /// Pairs two lists, per variant, by the assignment with the largest sum of mean pair
    /// scores.
    fn list_score(&mut self, gt: &[Node<'_, '_>], pred: &[Node<'_, '_>], record: bool) -> Scores {
        if gt.is_empty() || pred.is_empty() {
            if record {
                gt.iter().chain(pred).for_each(|n| self.record_zeros(n));
            }
            return Scores::each((0.0, gt.iter().chain(pred).map(|n| n.size).sum()));
        }
        if self.shortcuts
            && let Some(scores) = self.identical_lists(gt, pred, record)
        {
            return scores;
        }
        let mut pairs = Vec::with_capacity(gt.len() * pred.len());
        let mut exact = Vec::with_capacity(gt.len() * pred.len());
        for g in gt {
            for p in pred {
                pairs.push(self.score(g, p, false));
                exact.push(json_equal(g.value, p.value));
            }
        }
        let candidates = Candidates {
            gt,
            pred,
            pairs: &pairs,
            exact: &exact,
        };
        if pairs.iter().all(Scores::agree) {
            // The same weights give the same assignment: solved once.
            return Scores::each(self.assign(&candidates, |s| s.typed, record));
        }
        let plain = self.assign(&candidates, |s| s.plain, false);
        let typed = self.assign(&candidates, |s| s.typed, record);
        Scores { plain, typed }
    }

    /// One variant's best assignment of the candidate pairs: its sum and length, and with
    /// `record` the typed scores of the chosen pairs and zeros for the unpaired elements.
    fn assign(
        &mut self,
        candidates: &Candidates<'_, '_, '_>,
        variant: fn(&Scores) -> (f64, usize),
        record: bool,
    ) -> (f64, usize) {
        let Candidates {
            gt,
            pred,
            pairs,
            exact,
        } = *candidates;
        let pair = |i: usize, j: usize| variant(&pairs[i * pred.len() + j]);
        // Integer weights for the solver: the mean score at 2^-40 resolution, doubled so that
        // an exact match can win a tie by one unit, as the reference does.
        let weight = |i: usize, j: usize| -> i64 {
            let (s, l) = pair(i, j);
            let mean = if l == 0 { 1.0 } else { s / l as f64 };
            (mean * (1u64 << 40) as f64).round() as i64 * 2 + i64::from(exact[i * pred.len() + j])
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
            let (s, l) = pair(i, j);
            sum += s;
            length += l;
            if record {
                self.record_pair(&gt[i], &pred[j]);
            }
        }
        for (node, used) in gt.iter().zip(&gt_used).chain(pred.iter().zip(&pred_used)) {
            if !used {
                length += node.size;
                if record {
                    self.record_zeros(node);
                }
            }
        }
        (sum, length)
    }

    /// [`Walker::list_score`] of two lists with the same elements, by pairing each element with
    /// its copy; `None` when that might not be what the assignments would give.
    ///
    /// When every copy pair scores its full length, its weight (mean 1, an exact match) is the
    /// largest any pair can have, so every optimal assignment pairs only elements of that
    /// weight: exact matches (`json_equal`). If those are all copies of each other, each chosen
    /// pair scores (and records) bit for bit as the copy pair of its row, and the rows are
    /// summed in the same order. Elements that are `json_equal` but not the same (1 and 1.0)
    /// could be paired instead, so they leave it to the assignment. A variant that falls short
    /// of the full length leaves both variants to the assignments, which give the other one
    /// the same bits.
    fn identical_lists(
        &mut self,
        gt: &[Node<'_, '_>],
        pred: &[Node<'_, '_>],
        record: bool,
    ) -> Option<Scores> {
        let copies = std::ptr::eq(gt, pred)
            || (gt.len() == pred.len() && gt.iter().zip(pred).all(|(g, p)| same(g.value, p.value)));
        if !copies {
            return None;
        }
        let mut total = Scores::ZERO;
        for (g, p) in gt.iter().zip(pred) {
            let scores = self.score(g, p, false);
            if !full(scores.plain) || !full(scores.typed) {
                return None;
            }
            total.add(scores);
        }
        for (i, a) in gt.iter().enumerate() {
            if gt[i + 1..]
                .iter()
                .any(|b| json_equal(a.value, b.value) && !same(a.value, b.value))
            {
                return None;
            }
        }
        if record {
            for (g, p) in gt.iter().zip(pred) {
                self.record_pair(g, p);
            }
        }
        Some(total)
    }

    /// Two leaves at the same pattern, (plain, typed): by text, and (typed) by the rule they
    /// were prepared for, the text similarity computed once where that rule is the text.
    fn leaf(&mut self, expected: &Node<'_, '_>, predicted: &Node<'_, '_>) -> (f64, f64) {
        let (Kind::Leaf { text: a, typed: e }, Kind::Leaf { text: b, typed: p }) =
            (&expected.kind, &predicted.kind)
        else {
            unreachable!("only leaves are compared as leaves");
        };
        let chars = self.chars;
        let by_text = |walker: &mut Self| {
            similarity(&chars[a.clone()], &chars[b.clone()], &mut walker.distance)
        };
        if self.variants == Variants::Plain {
            let s = by_text(self);
            return (s, s);
        }
        let verdict = |correct: bool| if correct { 1.0 } else { 0.0 };
        let typed = match (e, p) {
            (Leaf::Similarity, Leaf::Similarity) => {
                let s = by_text(self);
                return (s, s);
            }
            (Leaf::Field(spec, a), Leaf::Field(_, b)) => {
                verdict(fields::compare_prepared(spec, a, b) == Outcome::Correct)
            }
            (
                Leaf::Time {
                    tolerance_us,
                    us: a,
                },
                Leaf::Time { us: b, .. },
            ) => verdict(matches!((a, b), (Some(e), Some(p)) if (p - e).abs() <= *tolerance_us)),
            (Leaf::Equal, Leaf::Equal) => verdict(expected.value == predicted.value),
            _ => unreachable!("leaves at one pattern are prepared for the same rule"),
        };
        match self.variants {
            Variants::Both => (by_text(self), typed),
            _ => (typed, typed),
        }
    }
}

/// The candidate pairs of two lists: every (expected, predicted) element pair's scores and
/// whether the two are the same JSON value (`json_equal`), row by row.
#[derive(Clone, Copy)]
struct Candidates<'n, 'v, 's> {
    gt: &'n [Node<'v, 's>],
    pred: &'n [Node<'v, 's>],
    pairs: &'n [Scores],
    exact: &'n [bool],
}

/// Normalised Levenshtein similarity of two normalised texts, 0 below [`THRESHOLD`].
fn similarity(a: &[char], b: &[char], distance: &mut Distance) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    // The distance is at least the difference in length; when even that puts the pair under
    // the threshold, the distance cannot lift it back.
    if 1.0 - a.len().abs_diff(b.len()) as f64 / (longest as f64) < THRESHOLD {
        return 0.0;
    }
    let similarity = 1.0 - distance.levenshtein(a, b) as f64 / longest as f64;
    if similarity < THRESHOLD {
        0.0
    } else {
        similarity
    }
}

/// Working memory for Levenshtein distances, kept between comparisons.
struct Distance {
    /// The dynamic-programming row, for texts too long for one machine word.
    row: Vec<usize>,
    /// Per ASCII character, the positions in the shorter text where it occurs (one bit each);
    /// all zero between comparisons.
    ascii: [u64; 128],
    /// The same for other characters.
    other: Vec<(char, u64)>,
}

impl Default for Distance {
    fn default() -> Self {
        Distance {
            row: Vec::new(),
            ascii: [0; 128],
            other: Vec::new(),
        }
    }
}

impl Distance {
    /// The Levenshtein distance of two texts (as `strsim::levenshtein`, on chars).
    fn levenshtein(&mut self, a: &[char], b: &[char]) -> usize {
        // A common prefix or suffix does not change the distance.
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let (a, b) = (&a[prefix..], &b[prefix..]);
        let suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
        if a.is_empty() || b.is_empty() {
            return a.len().max(b.len());
        }
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        if short.len() <= 64 {
            self.bit_parallel(short, long)
        } else {
            dynamic_programming(a, b, &mut self.row)
        }
    }

    /// Myers' bit-vector algorithm (in Hyyrö's form for edit distance): one column of the
    /// distance matrix per character of `long`, the cells of `short` (at most 64) as bits.
    fn bit_parallel(&mut self, short: &[char], long: &[char]) -> usize {
        for (i, &c) in short.iter().enumerate() {
            let bit = 1u64 << i;
            match self.ascii.get_mut(c as usize) {
                Some(mask) => *mask |= bit,
                None => match self.other.iter_mut().find(|(o, _)| *o == c) {
                    Some((_, mask)) => *mask |= bit,
                    None => self.other.push((c, bit)),
                },
            }
        }
        let last = 1u64 << (short.len() - 1);
        let (mut vp, mut vn) = (u64::MAX, 0u64);
        let mut distance = short.len();
        for &c in long {
            let eq = match self.ascii.get(c as usize) {
                Some(&mask) => mask,
                None => self
                    .other
                    .iter()
                    .find(|(o, _)| *o == c)
                    .map_or(0, |&(_, mask)| mask),
            };
            let x = eq | vn;
            let d0 = ((x & vp).wrapping_add(vp) ^ vp) | x;
            let hp = vn | !(d0 | vp);
            let hn = vp & d0;
            if hp & last != 0 {
                distance += 1;
            }
            if hn & last != 0 {
                distance -= 1;
            }
            let x = (hp << 1) | 1;
            vn = x & d0;
            vp = (hn << 1) | !(x | d0);
        }
        for &c in short {
            if let Some(mask) = self.ascii.get_mut(c as usize) {
                *mask = 0;
            }
        }
        self.other.clear();
        distance
    }
}

/// The Levenshtein distance by the textbook recurrence, in one reused row.
fn dynamic_programming(a: &[char], b: &[char], row: &mut Vec<usize>) -> usize {
    // row[j] is the distance between the part of `a` done so far and b[..=j].
    row.clear();
    row.extend(1..=b.len());
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        for (cell, cb) in row.iter_mut().zip(b) {
            let up = *cell;
            // Neighbouring cells differ by at most 1, so a match never loses to an edit.
            left = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(up).min(left)
            };
            diagonal = up;
            *cell = left;
        }
    }
    row[b.len() - 1]
}

/// A leaf as Python's `str()` prints it, since ANLS* compares numbers and booleans as text.
fn python_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Bool(true) => Cow::Borrowed("True"),
        Value::Bool(false) => Cow::Borrowed("False"),
        Value::Number(n) if n.is_f64() => Cow::Owned(python_float(n.as_f64().unwrap_or_default())),
        other => Cow::Owned(other.to_string()),
    }
}

/// [`python_text`] of a number, into `out` (cleared first) rather than a new string.
fn python_number(n: &serde_json::Number, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    match n.as_f64() {
        // Ryū prints the same shortest round-trip digits as Python, positional (a whole
        // number with ".0") for exactly this range, and without the formatting machinery that
        // made `Display` the costliest part of building a tree of timestamps.
        Some(x) if n.is_f64() && (1e-4..1e16).contains(&x.abs()) => {
            out.push_str(ryu::Buffer::new().format_finite(x));
        }
        Some(x) if n.is_f64() => out.push_str(&python_float(x)),
        _ => {
            let _ = write!(out, "{n}");
        }
    }
}

/// Python's `repr(float)`: the shortest round-trip digits, positional for 1e-4 ≤ |x| < 1e16,
/// otherwise scientific with a signed, at least two-digit exponent. The digits are Ryū's,
/// which break a tie between two shortest texts to even as Python does (Rust's own formatting
/// rounds 1763179833540377.25 up, to ….3, where Python prints ….2).
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
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(x);
    if (1e-4..1e16).contains(&x.abs()) {
        // Ryū is positional, a whole number ending in ".0", for exactly this range.
        return text.to_owned();
    }
    // Elsewhere Ryū writes `1e16`, `2.5e-7` or, down to 1e-5, `0.000015`: its digits, and the
    // exponent of the first, make Python's text.
    let (sign, text) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (mantissa, exponent) = match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = [whole, fraction].concat();
    let significant = all.trim_start_matches('0');
    let leading_zeros = (all.len() - significant.len()) as i32;
    let digits = significant.trim_end_matches('0');
    let exponent = exponent + whole.len() as i32 - 1 - leading_zeros;
    let mantissa = if digits.len() > 1 {
        format!("{}.{}", &digits[..1], &digits[1..])
    } else {
        digits.to_owned()
    };
    let exp_sign = if exponent < 0 { "-" } else { "+" };
    format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
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
            (1e-5, "1e-05"),
            (-1763179833540377.2, "-1763179833540377.2"),
        ] {
            assert_eq!(python_float(x), text);
        }
    }

    #[test]
    fn floats_print_as_python_prints_them_in_the_reference_set() {
        // `scripts/python_float_repr.py`: random doubles, every scale, both sides of the
        // switches to scientific text, and halfway cases Python rounds to even.
        let fixture = include_str!("../../../tests/fixtures/anls/float_repr.jsonl");
        let mut checked = 0;
        for line in fixture.lines() {
            let (bits, text): (String, String) = serde_json::from_str(line).unwrap();
            let x = f64::from_bits(bits.parse().unwrap());
            assert_eq!(python_float(x), text, "bits {bits}");
            let mut out = String::new();
            if let Value::Number(n) = json!(x) {
                python_number(&n, &mut out);
                assert_eq!(out, text, "bits {bits}");
            }
            checked += 1;
        }
        assert_eq!(checked, 5056);
    }

    #[test]
    fn numbers_print_into_a_buffer_as_python_text_prints_them() {
        let mut state = 7;
        let mut out = String::new();
        let mut check = |value: Value| {
            let Value::Number(n) = &value else {
                unreachable!()
            };
            python_number(n, &mut out);
            assert_eq!(out, python_text(&value), "{value}");
        };
        for x in [
            1e-4,
            0.0001,
            9.999999999999999e-5,
            1e16,
            9999999999999998.0,
            2848.5,
            3.0,
            -7.0,
            0.1,
            1e15,
            123.456e10,
            f64::MIN_POSITIVE,
            f64::MAX,
            -1e-300,
        ] {
            check(json!(x));
        }
        for _ in 0..20_000 {
            let bits = crate::rng::splitmix64(&mut state);
            let x = f64::from_bits(bits);
            if x.is_finite() && x != 0.0 {
                check(json!(x));
            }
            let scaled = (crate::rng::splitmix64(&mut state) % 2_000_000) as f64
                / 10f64.powi((bits % 24) as i32);
            check(json!(scaled));
        }
        for n in [json!(0), json!(-12), json!(u64::MAX), json!(i64::MIN)] {
            check(n);
        }
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

    proptest::proptest! {
        #[test]
        fn levenshtein_agrees_with_strsim(a in "[abc é]{0,12}", b in "[abc é]{0,12}") {
            let chars = |s: &str| s.chars().collect::<Vec<_>>();
            proptest::prop_assert_eq!(
                Distance::default().levenshtein(&chars(&a), &chars(&b)),
                strsim::levenshtein(&a, &b)
            );
        }

        /// Texts around the 64 characters one machine word holds, with memory reused from
        /// one comparison to the next as scoring reuses it.
        #[test]
        fn bit_parallel_distances_agree_with_the_recurrence(
            pairs in proptest::collection::vec(("[ab éΣ#]{0,70}", "[ab éΣ#]{0,70}"), 1..6)
        ) {
            let chars = |s: &str| s.chars().collect::<Vec<_>>();
            let mut distance = Distance::default();
            for (a, b) in &pairs {
                let (a, b) = (chars(a), chars(b));
                let expected = if b.is_empty() { a.len() } else {
                    dynamic_programming(&a, &b, &mut Vec::new())
                };
                proptest::prop_assert_eq!(distance.levenshtein(&a, &b), expected);
                proptest::prop_assert!(distance.ascii.iter().all(|&m| m == 0));
            }
        }
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

    fn bits((plain, typed): (Option<f64>, Option<(f64, LeafScores)>)) -> Bits {
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
            let (plain, typed) = anls_scores_with(
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
