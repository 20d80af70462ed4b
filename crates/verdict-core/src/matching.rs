//! Pairs predicted events with expected events, exactly and deterministically.
//!
//! Two events may pair iff both have a time and |t_pred − t_exp| ≤ tolerance (inclusive, in
//! integer microseconds). Among all one-to-one pairings the matcher chooses, in this order:
//! 1. the most pairs with the same label; then
//! 2. the most pairs overall; then
//! 3. the smallest total |t_pred − t_exp|.
//!
//! This is an assignment problem, solved with the Kuhn–Munkres algorithm of the `pathfinding`
//! crate on integer weights scaled so each priority dominates all later ones (see
//! `pair_weight`). Events are put in a canonical order (time, label, JSON text) before
//! solving, so the result does not depend on the order the model wrote them in, and ties
//! resolve the same way every time. Events whose times lie more than a tolerance apart from
//! every other event's cannot interact, so the problem is split into such independent groups
//! first: long outputs stay cheap. A group where no event has two partners it may pair with
//! is answered without the solver (see `solve_group`).

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

use crate::events::Event;

/// One pairing of an expected and a predicted event, by their index in their outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// Index of the expected event.
    pub expected: usize,
    /// Index of the predicted event.
    pub predicted: usize,
    /// t_pred − t_exp in microseconds.
    pub dt_us: i64,
}

/// Optimal pairs of `expected` and `predicted` at `tolerance_us`, sorted by expected index.
pub fn match_events(
    expected: &[Event<'_>],
    predicted: &[Event<'_>],
    tolerance_us: i64,
) -> Vec<Pair> {
    let mut pairs = Vec::new();
    Matcher::new(expected, predicted).pairs_into(tolerance_us, &mut pairs);
    pairs
}

/// The timed events of both sides in canonical order, sorted once and then matched at as many
/// tolerances as needed (the tolerance sweep matches every example several times).
#[derive(Debug)]
pub struct Matcher<'e, 'a> {
    exp: Vec<&'e Event<'a>>,
    pred: Vec<&'e Event<'a>>,
}

impl<'e, 'a> Matcher<'e, 'a> {
    /// Orders the events of both sides.
    pub fn new(expected: &'e [Event<'a>], predicted: &'e [Event<'a>]) -> Self {
        Matcher {
            exp: canonical_timed(expected),
            pred: canonical_timed(predicted),
        }
    }

    /// Replaces `out` with the optimal pairs at `tolerance_us`, sorted by expected index: the
    /// same as [`match_events`], reusing `out`'s allocation.
    pub fn pairs_into(&self, tolerance_us: i64, out: &mut Vec<Pair>) {
        out.clear();
        let (exp, pred) = (&self.exp, &self.pred);
        // Groups are runs of the time-merged sides separated by gaps wider than the tolerance;
        // each side's part of a group is a contiguous range of its canonical order.
        let (mut i, mut j) = (0, 0);
        let (mut group_i, mut group_j) = (0, 0);
        let mut last_time: Option<i64> = None;
        while i < exp.len() || j < pred.len() {
            let take_exp = j >= pred.len() || (i < exp.len() && exp[i].time_us <= pred[j].time_us);
            let event = if take_exp { exp[i] } else { pred[j] };
            let time = event.time_us.unwrap_or_default();
            if last_time.is_some_and(|last| time.saturating_sub(last) > tolerance_us) {
                solve_group(&exp[group_i..i], &pred[group_j..j], tolerance_us, out);
                (group_i, group_j) = (i, j);
            }
            last_time = Some(time);
            if take_exp {
                i += 1;
            } else {
                j += 1;
            }
        }
        solve_group(&exp[group_i..], &pred[group_j..], tolerance_us, out);
        out.sort_by_key(|p| p.expected);
    }
}

/// The events that have a time, in canonical order.
fn canonical_timed<'e, 'a>(events: &'e [Event<'a>]) -> Vec<&'e Event<'a>> {
    let mut timed: Vec<&Event<'a>> = events.iter().filter(|e| e.time_us.is_some()).collect();
    // The JSON text breaks only the rare exact ties of time and label; printing every event
    // for a sort key cost more than the matching itself.
    timed.sort_by(|a, b| {
        (a.time_us, &a.label)
            .cmp(&(b.time_us, &b.label))
            .then_with(|| a.value.to_string().cmp(&b.value.to_string()))
    });
    timed
}

/// t_pred − t_exp when the two events may pair at `tolerance_us`.
fn allowed_dt(e: &Event<'_>, p: &Event<'_>, tolerance_us: i64) -> Option<i64> {
    let dt = p.time_us? - e.time_us?;
    (dt.abs() <= tolerance_us).then_some(dt)
}

/// Appends the optimal pairs of one group to `out`.
fn solve_group(exp: &[&Event<'_>], pred: &[&Event<'_>], tolerance_us: i64, out: &mut Vec<Pair>) {
    if exp.is_empty() || pred.is_empty() {
        return;
    }
    let before = out.len();
    if !push_unique_optimum(exp, pred, tolerance_us, out) {
        out.truncate(before);
        solve(exp, pred, tolerance_us, out);
    }
}

/// Pushes the pairs of the group's optimal pairing when a simple structure proves there is
/// only one, and returns whether it did; `false` leaves partial pushes for the caller to undo.
///
/// The structure: no event may pair with two others of its own label, and, once those
/// same-label pairs are taken, no event left may pair with two others left. Then every
/// optimal pairing contains all the same-label pairs (they are disjoint, so only all of them
/// reach the most same-label pairs, priority 1), and all the pairs left, which are disjoint too
/// and each add one pair (priority 2): one pairing is optimal. The solver returns an optimal
/// pairing, so skipping it changes no result; where ties are possible it runs, so its choice
/// among them stays the documented one.
fn push_unique_optimum(
    exp: &[&Event<'_>],
    pred: &[&Event<'_>],
    tolerance_us: i64,
    out: &mut Vec<Pair>,
) -> bool {
    // Bit sets of the group's events; larger groups are rare and costly anyway.
    if exp.len() > 64 || pred.len() > 64 {
        return false;
    }
    let (mut exp_taken, mut pred_taken) = (0u64, 0u64);
    for same_label_only in [true, false] {
        let mut claimed = 0u64;
        for (i, e) in exp.iter().enumerate() {
            if exp_taken & (1 << i) != 0 {
                continue;
            }
            let mut partner = None;
            for (j, p) in pred.iter().enumerate() {
                if pred_taken & (1 << j) != 0 || (same_label_only && e.label != p.label) {
                    continue;
                }
                if let Some(dt_us) = allowed_dt(e, p, tolerance_us) {
                    if partner.is_some() {
                        return false;
                    }
                    partner = Some((j, p, dt_us));
                }
            }
            let Some((j, p, dt_us)) = partner else {
                continue;
            };
            if claimed & (1 << j) != 0 {
                return false;
            }
            claimed |= 1 << j;
            exp_taken |= 1 << i;
            out.push(Pair {
                expected: e.index,
                predicted: p.index,
                dt_us,
            });
        }
        pred_taken |= claimed;
    }
    true
}

/// The weight of pairing two events that may pair, for a group with at most `n` pairs.
///
/// weight = same_label·A + B − |dt|, with B > n·tolerance (so one more pair outweighs any
/// saving in total |dt|) and A > n·B (so one more same-label pair outweighs any number of
/// other pairs). Pairs that may not pair weigh 0, the same as leaving both unpaired.
fn pair_weight(same_label: bool, dt_abs: i64, n: i128, tolerance_us: i64) -> i128 {
    let b = (n + 1) * (i128::from(tolerance_us) + 1);
    let a = (n + 1) * b;
    i128::from(same_label) * a + b - i128::from(dt_abs)
}

fn solve(exp: &[&Event<'_>], pred: &[&Event<'_>], tolerance_us: i64, out: &mut Vec<Pair>) {
    // kuhn_munkres assigns every row, so rows are the smaller side.
    let transpose = exp.len() > pred.len();
    let (rows, cols) = if transpose { (pred, exp) } else { (exp, pred) };
    let n = rows.len() as i128;
    let weight = |r: usize, c: usize| -> Option<(i128, i64)> {
        let (e, p) = if transpose {
            (cols[c], rows[r])
        } else {
            (rows[r], cols[c])
        };
        allowed_dt(e, p, tolerance_us).map(|dt| {
            (
                pair_weight(e.label == p.label, dt.abs(), n, tolerance_us),
                dt,
            )
        })
    };
    let matrix = Matrix::from_fn(rows.len(), cols.len(), |(r, c)| {
        weight(r, c).map_or(0, |(w, _)| w)
    });
    let (_, assignment) = kuhn_munkres(&matrix);
    for (r, &c) in assignment.iter().enumerate() {
        if let Some((_, dt_us)) = weight(r, c) {
            let (e, p) = if transpose {
                (cols[c], rows[r])
            } else {
                (rows[r], cols[c])
            };
            out.push(Pair {
                expected: e.index,
                predicted: p.index,
                dt_us,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    // Events here differ in time or label wherever they differ, so their values, which only
    // break ties of both, may all be the same.
    static NULL: Value = Value::Null;

    fn events<'a>(items: &[(f64, &'a str)]) -> Vec<Event<'a>> {
        items
            .iter()
            .enumerate()
            .map(|(index, &(t, label))| Event {
                index,
                time_us: Some((t * 1e6).round() as i64),
                label: label.into(),
                value: &NULL,
            })
            .collect()
    }

    fn pairs(exp: &[(f64, &str)], pred: &[(f64, &str)], tolerance: f64) -> Vec<(usize, usize)> {
        match_events(
            &events(exp),
            &events(pred),
            (tolerance * 1e6).round() as i64,
        )
        .into_iter()
        .map(|p| (p.expected, p.predicted))
        .collect()
    }

    #[test]
    fn same_label_pairs_come_first() {
        // The nearer prediction has the wrong label; the same-label one is farther but inside.
        assert_eq!(
            pairs(&[(10.0, "A")], &[(10.1, "B"), (10.9, "A")], 1.0),
            [(0, 1)]
        );
    }

    #[test]
    fn then_the_most_pairs() {
        // Pairing exp0 with pred0 (closest) would leave exp1 unpaired; two pairs win.
        assert_eq!(
            pairs(
                &[(10.0, "A"), (11.0, "A")],
                &[(10.5, "B"), (11.6, "C")],
                1.0
            ),
            [(0, 0), (1, 1)]
        );
        // Same-label beats count: one same-label pair beats two mixed pairs.
        assert_eq!(
            pairs(&[(10.0, "A"), (11.0, "B")], &[(10.9, "B")], 1.0),
            [(1, 0)]
        );
    }

    #[test]
    fn then_the_smallest_total_time_difference() {
        assert_eq!(
            pairs(
                &[(10.0, "A"), (11.0, "A")],
                &[(10.2, "A"), (10.9, "A")],
                1.0
            ),
            [(0, 0), (1, 1)]
        );
    }

    #[test]
    fn the_tolerance_is_inclusive_and_decimal_exact() {
        let exp = [Event {
            index: 0,
            time_us: crate::events::parse_time(&json!(2848.5)),
            label: "A".into(),
            value: &NULL,
        }];
        let pred = [Event {
            index: 0,
            time_us: crate::events::parse_time(&json!(2848.8)),
            label: "A".into(),
            value: &NULL,
        }];
        assert_eq!(match_events(&exp, &pred, 300_000).len(), 1);
        assert_eq!(match_events(&exp, &pred, 299_999).len(), 0);
        assert_eq!(match_events(&exp, &pred, 300_000)[0].dt_us, 300_000);
    }

    #[test]
    fn events_without_time_never_pair() {
        let mut exp = events(&[(1.0, "A")]);
        exp[0].time_us = None;
        assert!(match_events(&exp, &events(&[(1.0, "A")]), 1_000_000).is_empty());
    }

    #[test]
    fn empty_sides() {
        assert!(pairs(&[], &[(1.0, "A")], 1.0).is_empty());
        assert!(pairs(&[(1.0, "A")], &[], 1.0).is_empty());
    }

    #[test]
    fn ties_resolve_the_same_whatever_the_order() {
        let forward = [(5.0, "A"), (5.0, "B")];
        let backward = [(5.0, "B"), (5.0, "A")];
        let one = pairs(&forward, &[(5.0, "C")], 1.0);
        let other = pairs(&backward, &[(5.0, "C")], 1.0);
        assert_eq!(one.len(), 1);
        assert_eq!(other.len(), 1);
        assert_eq!(
            forward[one[0].0].1, backward[other[0].0].1,
            "the same event wins in both orders"
        );
    }

    #[test]
    fn groups_split_far_apart_events() {
        let exp = [(0.0, "A"), (100.0, "A"), (100.5, "B")];
        let pred = [(0.4, "A"), (100.4, "B"), (300.0, "A")];
        assert_eq!(pairs(&exp, &pred, 1.0), [(0, 0), (2, 1)]);
    }

    #[test]
    fn many_events_are_matched_optimally_against_brute_force() {
        // Small random cases: compare the solver's (same, pairs, -dt) with an exhaustive search.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for _ in 0..300 {
            let n_exp = (next() % 5) as usize;
            let n_pred = (next() % 5) as usize;
            let labels = ["A", "B"];
            let mk = |n: usize, next: &mut dyn FnMut() -> u32| -> Vec<(f64, &str)> {
                (0..n)
                    .map(|_| (f64::from(next() % 8) * 0.5, labels[(next() % 2) as usize]))
                    .collect()
            };
            let exp = mk(n_exp, &mut next);
            let pred = mk(n_pred, &mut next);
            let tol = 1_000_000;
            let got = match_events(&events(&exp), &events(&pred), tol);
            let score = |ps: &[(usize, usize)]| -> (usize, usize, i64) {
                let same = ps.iter().filter(|(e, p)| exp[*e].1 == pred[*p].1).count();
                let dt: i64 = ps
                    .iter()
                    .map(|(e, p)| ((exp[*e].0 - pred[*p].0).abs() * 1e6).round() as i64)
                    .sum();
                (same, ps.len(), -dt)
            };
            let got_pairs: Vec<(usize, usize)> =
                got.iter().map(|p| (p.expected, p.predicted)).collect();
            let best = brute_force(&exp, &pred, tol)
                .into_iter()
                .map(|ps| score(&ps))
                .max()
                .unwrap();
            assert_eq!(score(&got_pairs), best, "{exp:?} vs {pred:?}");
        }
    }

    fn brute_force(
        exp: &[(f64, &str)],
        pred: &[(f64, &str)],
        tol: i64,
    ) -> Vec<Vec<(usize, usize)>> {
        fn go(
            i: usize,
            exp: &[(f64, &str)],
            pred: &[(f64, &str)],
            tol: i64,
            used: &mut Vec<bool>,
            cur: &mut Vec<(usize, usize)>,
            all: &mut Vec<Vec<(usize, usize)>>,
        ) {
            if i == exp.len() {
                all.push(cur.clone());
                return;
            }
            go(i + 1, exp, pred, tol, used, cur, all);
            for j in 0..pred.len() {
                let dt = ((exp[i].0 - pred[j].0).abs() * 1e6).round() as i64;
                if !used[j] && dt <= tol {
                    used[j] = true;
                    cur.push((i, j));
                    go(i + 1, exp, pred, tol, used, cur, all);
                    cur.pop();
                    used[j] = false;
                }
            }
        }
        let mut all = Vec::new();
        go(
            0,
            exp,
            pred,
            tol,
            &mut vec![false; pred.len()],
            &mut Vec::new(),
            &mut all,
        );
        all
    }

    /// The matcher before its shortcuts: groups collected into vectors, the solver on each.
    fn solver_only(
        expected: &[Event<'_>],
        predicted: &[Event<'_>],
        tolerance_us: i64,
    ) -> Vec<Pair> {
        let (exp, pred) = (canonical_timed(expected), canonical_timed(predicted));
        let mut groups: Vec<(Vec<&Event<'_>>, Vec<&Event<'_>>)> = Vec::new();
        let (mut i, mut j) = (0, 0);
        let mut last_time: Option<i64> = None;
        while i < exp.len() || j < pred.len() {
            let take_exp = j >= pred.len() || (i < exp.len() && exp[i].time_us <= pred[j].time_us);
            let event = if take_exp { exp[i] } else { pred[j] };
            let time = event.time_us.unwrap_or_default();
            if last_time.is_none_or(|last| time.saturating_sub(last) > tolerance_us) {
                groups.push((Vec::new(), Vec::new()));
            }
            last_time = Some(time);
            let group = groups.last_mut().unwrap();
            if take_exp {
                group.0.push(event);
                i += 1;
            } else {
                group.1.push(event);
                j += 1;
            }
        }
        let mut pairs = Vec::new();
        for (exp_group, pred_group) in groups {
            if !exp_group.is_empty() && !pred_group.is_empty() {
                solve(&exp_group, &pred_group, tolerance_us, &mut pairs);
            }
        }
        pairs.sort_by_key(|p| p.expected);
        pairs
    }

    /// Events on a coarse grid with few labels, so ties, shared partners and boundary
    /// distances are frequent; `None` is an event without a time.
    fn grid_events() -> impl Strategy<Value = Vec<(Option<u8>, u8)>> {
        proptest::collection::vec((proptest::option::weighted(0.95, 0u8..40), 0u8..3), 0..12)
    }

    fn grid_to_events(items: &[(Option<u8>, u8)]) -> Vec<Event<'static>> {
        items
            .iter()
            .enumerate()
            .map(|(index, &(t, label))| Event {
                index,
                time_us: t.map(|t| i64::from(t) * 250_000),
                label: ["A", "B", "C"][usize::from(label)].into(),
                value: &NULL,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn shortcuts_give_the_solvers_pairs(
            exp in grid_events(),
            pred in grid_events(),
            tolerance_us in prop::sample::select(vec![0, 250_000, 500_000, 1_000_000, 3_000_000, 10_000_000]),
        ) {
            let (exp, pred) = (grid_to_events(&exp), grid_to_events(&pred));
            prop_assert_eq!(
                match_events(&exp, &pred, tolerance_us),
                solver_only(&exp, &pred, tolerance_us)
            );
        }
    }
}
