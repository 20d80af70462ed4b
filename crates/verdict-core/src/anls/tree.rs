//! The trees a walk scores: each side of a pair built once into [`Node`]s, with what scoring
//! reads of a value worked out up front (its leaf count, its normalised text in a shared
//! arena, its leaf pattern and the typed preparation the pattern's [`LeafRule`] asks for, an
//! object's shape). It also owns what a run keeps between pairs ([`Patterns`], with its
//! [`Interner`] tables and [`PathNode`] tree of paths) and the value-level helpers the tree
//! is defined by ([`size`], [`same`]).

use std::collections::HashMap;
use std::ops::Range;

use serde_json::Value;

use super::repr::{python_number, python_text};
use crate::fields;
use crate::spec::FieldSpec;

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

/// What scoring keeps from one pair to the next: the leaf patterns met with their rules, the
/// object shapes, and the memory of the text arena.
#[derive(Default)]
pub struct Patterns<'s> {
    /// Every leaf pattern met; `rules` holds the rule of each.
    pub(super) leaves: Interner<String>,
    rules: Vec<LeafRule<'s>>,
    /// The paths met, as a tree from the root path at 0: a node's pattern is found from its
    /// parent's by one short key comparison, not built and looked up as text.
    paths: Vec<PathNode>,
    /// Object shapes by their key sequence.
    shapes: Interner<Vec<String>>,
    /// The normalised texts of a pair's leaves, emptied for each pair.
    pub(super) chars: Vec<char>,
}

impl Patterns<'_> {
    /// Outputs with ever new keys would grow the tables without bound: past this many paths
    /// or shapes they start again.
    const MAX_ENTRIES: usize = 512;

    pub(super) fn start_pair(&mut self) {
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
pub(super) struct Interner<K> {
    pub(super) keys: Vec<K>,
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

/// How many leaves a value spans: 1 for a leaf or null, the sum of the children otherwise.
pub(super) fn size(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.iter().map(size).sum(),
        Value::Object(map) => map.values().map(size).sum(),
        _ => 1,
    }
}

/// Whether two values are the same JSON with the same Python texts: `==`, but with the sign of
/// a zero (`-0.0 == 0.0`, yet they print differently) and the order of object entries (which
/// decides the order in which scores are summed) telling values apart.
pub(super) fn same(a: &Value, b: &Value) -> bool {
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

/// Appends `/key` (escaped as a JSON Pointer segment) to a pattern being built. A key a model
/// wrote may be long, and a pattern is kept for the run and named in `anls.fields`: it is cut
/// as a long label is ([`crate::bounded::label`]), so keys that differ stay apart.
fn push_key(pattern: &mut String, key: &str) {
    pattern.push('/');
    for c in crate::bounded::label(key.into()).chars() {
        match c {
            '~' => pattern.push_str("~0"),
            '/' => pattern.push_str("~1"),
            c => pattern.push(c),
        }
    }
}

/// A value with what scoring reads of it worked out once: list alignment compares every
/// element with every other, so anything computed per comparison is computed O(n) times.
pub(super) struct Node<'v, 's> {
    pub(super) value: &'v Value,
    /// [`size`] of the value.
    pub(super) size: usize,
    /// The index of the node's pattern in [`Builder::patterns`] (typed variant, leaves and
    /// nulls only; 0 otherwise).
    pub(super) pattern: usize,
    pub(super) kind: Kind<'v, 's>,
}

pub(super) enum Kind<'v, 's> {
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
    pub(super) fn get(&self, key: &str) -> Option<&Node<'v, 's>> {
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
pub(super) enum Leaf<'v, 's> {
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
pub(super) static MISSING: Node<'static, 'static> = Node {
    value: &Value::Null,
    size: 1,
    pattern: 0,
    kind: Kind::Null,
};

/// Builds the [`Node`] trees of both sides of a pair, sharing one text arena and (typed
/// variant) one pattern table, since paired leaves always sit at the same pattern.
pub(super) struct Builder<'r, 's, 'p> {
    rule: Option<&'r dyn Fn(&str) -> LeafRule<'s>>,
    pub(super) patterns: &'p mut Patterns<'s>,
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
    pub(super) fn new(
        rule: Option<&'r dyn Fn(&str) -> LeafRule<'s>>,
        patterns: &'p mut Patterns<'s>,
    ) -> Self {
        Builder {
            rule,
            patterns,
            number: String::new(),
        }
    }

    pub(super) fn tree<'v>(&mut self, value: &'v Value) -> Node<'v, 's> {
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
