//! The walk that scores two prepared trees against each other: leaf against leaf by text
//! (and, in the typed variant, by the leaf's rule), null against none-like values, objects
//! key by key, and lists by the assignment of elements with the largest sum of mean pair
//! scores ([`Walker::list_score`]). One walk can compute the plain and typed scores together
//! ([`Variants`], [`Scores`]) and records the typed leaf scores by pattern.

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde_json::Value;

use super::levenshtein::{Distance, similarity};
use super::tree::{Kind, Leaf, MISSING, Node, same};
use crate::fields::{self, Outcome, json_equal};

fn none_like(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Which scores a walk computes: the plain ANLS*, the typed variant, or both in one pass. The
/// two share the trees, the candidate list pairs and all but the leaf comparisons and the
/// assignments, and list alignment compares every element with every other, so one walk for
/// both does that n × m work once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variants {
    Plain,
    Typed,
    Both,
}

/// The sum of leaf scores and the pairwise length of a pair, per variant. The lengths differ
/// where the variants' assignments leave elements of different sizes unpaired. A walk of one
/// variant carries its scores in both.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scores {
    pub(super) plain: (f64, usize),
    pub(super) typed: (f64, usize),
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
pub(super) struct Walker<'a> {
    chars: &'a [char],
    variants: Variants,
    /// Per pattern: summed typed leaf scores and the number of leaves.
    pub(super) scores: Vec<(f64, usize)>,
    /// Levenshtein working memory, reused across comparisons.
    distance: Distance,
    /// Whether identical lists skip the assignment ([`Walker::identical_lists`]).
    shortcuts: bool,
}

impl<'a> Walker<'a> {
    pub(super) fn new(
        chars: &'a [char],
        patterns: usize,
        variants: Variants,
        shortcuts: bool,
    ) -> Self {
        Walker {
            chars,
            variants,
            scores: vec![(0.0, 0); patterns],
            distance: Distance::default(),
            shortcuts,
        }
    }

    /// Text comparisons so far whose similarity is a lower bound ([`super::MAX_CELLS`]).
    pub(super) fn approximated(&self) -> usize {
        self.distance.approximated
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
    pub(super) fn score(
        &mut self,
        expected: &Node<'_, '_>,
        predicted: &Node<'_, '_>,
        record: bool,
    ) -> Scores {
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
