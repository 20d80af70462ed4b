//! Property tests of the scoring core: invariances and identities that must hold for any
//! events, checked on random inputs.

use proptest::prelude::*;
use serde_json::{Value, json};

use verdict_core::metrics::{Totals, class_metrics, event_metrics};
use verdict_core::outcome::{EventOutcome, score_events};
use verdict_core::spec::EventsSpec;

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
        let outcome = score(e, p);
        totals.add_events(&outcome);
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
            for rate in [c.precision, c.recall, c.f1].into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&rate));
            }
            let row: usize = m.confusion.matrix[i].iter().sum();
            let column: usize = m.confusion.matrix.iter().map(|r| r[i]).sum();
            prop_assert_eq!(row, c.support);
            prop_assert_eq!(column, c.predicted);
            prop_assert_eq!(m.confusion.matrix[i][i], c.tp);
        }
        // Every prediction outside the declared set lands in the `(other)` column, every
        // expected event outside it in the `(other)` row.
        let outside: usize = m.out_of_set.iter().flat_map(|o| o.values()).sum();
        let other = m.classes.len();
        if outside > 0 || m.out_of_set_expected > 0 {
            let column: usize = m.confusion.matrix.iter().map(|r| r[other]).sum();
            prop_assert_eq!(column, outside);
            let row: usize = m.confusion.matrix[other].iter().sum();
            prop_assert_eq!(row, m.out_of_set_expected);
        } else {
            prop_assert_eq!(m.confusion.labels.len(), other + 1, "no (other) column");
        }
        let a = m.averages;
        for rate in [a.micro.precision, a.micro.recall, a.micro.f1, a.macro_.f1, a.weighted.f1].into_iter().flatten() {
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
            prop_assert_eq!(m.averages.micro.f1, Some(1.0));
            prop_assert_eq!(m.averages.macro_.f1, Some(1.0));
        }
    }

    #[test]
    fn a_spurious_event_never_raises_precision(exp in events(), pred in events(), label in 0u8..3) {
        // Far from every other event (times are below 10 s), so it cannot pair.
        let extra = (200u8, label);
        let before = class_metrics(&totals(&[(exp.clone(), pred.clone())]), &[]).averages.micro.precision.unwrap_or(0.0);
        let mut more = pred.clone();
        more.push(extra);
        let after = class_metrics(&totals(&[(exp, more)]), &[]).averages.micro.precision.unwrap_or(0.0);
        prop_assert!(after <= before + 1e-12, "{} > {}", after, before);
    }

    #[test]
    fn a_wider_tolerance_never_pairs_fewer_same_label_events(exp in events(), pred in events()) {
        let sweep = score(&exp, &pred).sweep_tp;
        prop_assert!(sweep.windows(2).all(|w| w[0] <= w[1]), "{:?}", sweep);
    }
}

/// Scores examples end to end, through files, the way `verdict score` does, with the expected
/// lines written in `expected_order` and the prediction lines in `predicted_order`; returns
/// report.json without the parts that name lines (`run`, `worst_examples`).
fn report(
    examples: &[(RawEvents, RawEvents)],
    expected_order: &[usize],
    predicted_order: &[usize],
) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let lines = |order: &[usize], key: &str, side: fn(&(RawEvents, RawEvents)) -> &RawEvents| {
        order
            .iter()
            .map(|&i| {
                let events = to_json(side(&examples[i]));
                // Predictions as raw model text, so they go through the validity tiers too.
                let value = if key == "output" {
                    Value::String(events.to_string())
                } else {
                    events
                };
                format!("{}\n", json!({"id": i, key: value}))
            })
            .collect::<String>()
    };
    let path = |name: &str| dir.path().join(name);
    std::fs::write(
        path("eval.toml"),
        "labels = [\"A\", \"B\", \"C\"]\n[events]\ntime = \"t\"\nlabel = \"c\"\n",
    )
    .unwrap();
    std::fs::write(
        path("expected.jsonl"),
        lines(expected_order, "expected", |x| &x.0),
    )
    .unwrap();
    std::fs::write(
        path("predictions.jsonl"),
        lines(predicted_order, "output", |x| &x.1),
    )
    .unwrap();
    let request = crate::score::ScoreRequest {
        threads: Some(1),
        bootstrap: Some(0),
        ..crate::score::ScoreRequest::new(
            path("eval.toml"),
            path("expected.jsonl"),
            vec![path("predictions.jsonl")],
        )
    };
    let scored = crate::score::score(&request, &()).unwrap();
    let mut value = serde_json::to_value(&scored.report).unwrap();
    let object = value.as_object_mut().unwrap();
    object.remove("run");
    object.remove("worst_examples");
    value
}

/// A permutation of `0..n` from a seed.
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed | 1;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_report_is_invariant_under_example_and_line_order(
        examples in proptest::collection::vec((events(), events()), 1..8),
        seed in any::<u64>(),
    ) {
        let n = examples.len();
        let identity: Vec<usize> = (0..n).collect();
        let a = report(&examples, &identity, &identity);
        let b = report(&examples, &permutation(n, seed), &permutation(n, seed.rotate_left(29)));
        prop_assert_eq!(a, b);
    }

    #[test]
    fn a_prediction_set_scored_against_itself_is_perfect_end_to_end(
        expected in proptest::collection::vec(events(), 1..8),
    ) {
        let examples: Vec<(RawEvents, RawEvents)> =
            expected.iter().map(|e| (e.clone(), e.clone())).collect();
        let order: Vec<usize> = (0..examples.len()).collect();
        let report = report(&examples, &order, &order);
        let summary = &report["summary"];
        prop_assert_eq!(&summary["json_valid_strict"], &json!(1.0));
        prop_assert_eq!(&summary["exact_match"], &json!(1.0));
        prop_assert_eq!(&report["validity"]["strict"], &json!(examples.len()));
        if expected.iter().any(|e| !e.is_empty()) {
            for metric in ["event_f1", "event_precision", "event_recall", "matched_label_accuracy"] {
                prop_assert_eq!(&summary[metric], &json!(1.0), "{}", metric);
            }
            prop_assert_eq!(&summary["timestamp_mae"], &json!(0.0));
        }
        for class in report["classes"].as_array().unwrap() {
            prop_assert_eq!(&class["fp"], &json!(0));
            prop_assert_eq!(&class["fn"], &json!(0));
        }
    }
}
