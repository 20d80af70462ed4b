//! Property tests of the scoring core: invariances and identities that must hold for any
//! events, checked on random inputs.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::metrics::{Totals, class_metrics, event_metrics};
use crate::outcome::{EventOutcome, score_events};
use crate::spec::EventsSpec;

fn spec() -> EventsSpec {
    EventsSpec {
        pointer: String::new(),
        time: "t".into(),
        label: "c".into(),
        tolerance: 1.0,
        sweep: vec![0.5, 1.0, 2.0],
    }
}

/// Events on a coarse grid, so ties and boundary distances are frequent.
fn events() -> impl Strategy<Value = Vec<(u8, u8)>> {
    proptest::collection::vec((0u8..40, 0u8..3), 0..7)
}

fn to_json(events: &[(u8, u8)]) -> Value {
    let labels = ["A", "B", "C"];
    Value::Array(
        events
            .iter()
            .map(|&(t, l)| json!({"t": f64::from(t) * 0.25, "c": labels[usize::from(l)]}))
            .collect(),
    )
}

fn score(expected: &[(u8, u8)], predicted: &[(u8, u8)]) -> EventOutcome {
    score_events(
        &to_json(expected),
        Some(&to_json(predicted)),
        &spec(),
        &[],
        &[500_000, 1_000_000, 2_000_000],
        0,
    )
}

/// What must not depend on order: per-label counts and the total |dt| of the matching.
fn signature(outcome: &EventOutcome) -> (usize, usize, usize, i64, Vec<String>, Vec<String>) {
    let mut missed: Vec<String> = outcome.missed.iter().map(|e| e.label.clone()).collect();
    let mut spurious: Vec<String> = outcome.spurious.iter().map(|e| e.label.clone()).collect();
    missed.sort();
    spurious.sort();
    let total_dt = outcome.pairs.iter().map(|p| p.dt_us.abs()).sum();
    (
        outcome.tp(),
        outcome.fp(),
        outcome.fn_(),
        total_dt,
        missed,
        spurious,
    )
}

/// Events as (time in quarter seconds, label index).
type RawEvents = Vec<(u8, u8)>;

fn totals(examples: &[(RawEvents, RawEvents)]) -> Totals {
    let mut totals = Totals::default();
    for (e, p) in examples {
        totals.add_events(&score(e, p), true);
    }
    totals
}

proptest! {
    #[test]
    fn matching_is_invariant_under_event_order(exp in events(), pred in events(), seed in any::<u64>()) {
        let shuffle = |v: &[(u8, u8)], s: u64| {
            let mut v = v.to_vec();
            let n = v.len();
            for i in (1..n).rev() {
                let j = ((s.wrapping_mul(i as u64 + 1).wrapping_add(0x9E37)) % (i as u64 + 1)) as usize;
                v.swap(i, j);
            }
            v
        };
        let a = score(&exp, &pred);
        let b = score(&shuffle(&exp, seed), &shuffle(&pred, seed.rotate_left(17)));
        prop_assert_eq!(signature(&a), signature(&b));
        prop_assert_eq!(&a.sweep_tp, &b.sweep_tp);
    }

    #[test]
    fn counts_add_up_and_rates_are_bounded(examples in proptest::collection::vec((events(), events()), 0..8)) {
        let totals = totals(&examples);
        let m = class_metrics(&totals, &["A".into()]);
        for (i, c) in m.classes.iter().enumerate() {
            prop_assert_eq!(c.tp + c.fn_, c.support);
            prop_assert_eq!(c.tp + c.fp, c.predicted);
            for rate in [c.precision, c.recall, c.f1] {
                prop_assert!((0.0..=1.0).contains(&rate));
            }
            let row: usize = m.confusion.matrix[i].iter().sum();
            let column: usize = m.confusion.matrix.iter().map(|r| r[i]).sum();
            prop_assert_eq!(row, c.support);
            prop_assert_eq!(column, c.predicted);
            prop_assert_eq!(m.confusion.matrix[i][i], c.tp);
        }
        for rate in [m.micro_precision, m.micro_recall, m.micro_f1, m.macro_f1, m.weighted_f1].into_iter().flatten() {
            prop_assert!((0.0..=1.0).contains(&rate));
        }
    }

    #[test]
    fn metrics_are_invariant_under_example_order(examples in proptest::collection::vec((events(), events()), 0..8)) {
        let mut reversed = examples.clone();
        reversed.reverse();
        let (a, b) = (totals(&examples), totals(&reversed));
        prop_assert_eq!(class_metrics(&a, &[]), class_metrics(&b, &[]));
        prop_assert_eq!(event_metrics(&a, &[], &[0.5, 1.0, 2.0], 1_000_000), event_metrics(&b, &[], &[0.5, 1.0, 2.0], 1_000_000));
    }

    #[test]
    fn an_output_scored_against_itself_is_perfect(exp in events()) {
        let outcome = score(&exp, &exp);
        prop_assert!(outcome.perfect());
        prop_assert_eq!(outcome.tp(), exp.len());
        let m = class_metrics(&totals(&[(exp.clone(), exp.clone())]), &[]);
        if !exp.is_empty() {
            prop_assert_eq!(m.micro_f1, Some(1.0));
            prop_assert_eq!(m.macro_f1, Some(1.0));
        }
        prop_assert_eq!(m.exact_match, Some(1.0));
    }

    #[test]
    fn a_spurious_event_never_raises_precision(exp in events(), pred in events(), label in 0u8..3) {
        // Far from every other event (times are below 10 s), so it cannot pair.
        let extra = (200u8, label);
        let before = class_metrics(&totals(&[(exp.clone(), pred.clone())]), &[]).micro_precision.unwrap_or(0.0);
        let mut more = pred.clone();
        more.push(extra);
        let after = class_metrics(&totals(&[(exp, more)]), &[]).micro_precision.unwrap_or(0.0);
        prop_assert!(after <= before + 1e-12, "{} > {}", after, before);
    }

    #[test]
    fn a_wider_tolerance_never_pairs_fewer_same_label_events(exp in events(), pred in events()) {
        let sweep = score(&exp, &pred).sweep_tp;
        prop_assert!(sweep.windows(2).all(|w| w[0] <= w[1]), "{:?}", sweep);
    }
}
