//! What happened to one example's events (or its single label): the pairs the matcher chose,
//! the missed and spurious events, and the field comparisons of every pair.
//!
//! Pure per-example computation; [`crate::metrics`] folds these into dataset totals.

use serde_json::Value;

use crate::events::{Events, extract};
use crate::fields::{self, Outcome};
use crate::matching::{Matcher, Pair};
use crate::spec::{EventsSpec, FieldSpec};

/// A paired expected and predicted event.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedEvent {
    /// Index of the expected event in its output.
    pub expected_index: usize,
    /// Index of the predicted event in its output.
    pub predicted_index: usize,
    /// Expected time, microseconds.
    pub expected_time_us: i64,
    /// t_pred − t_exp, microseconds.
    pub dt_us: i64,
    /// The expected label.
    pub expected_label: String,
    /// The predicted label.
    pub predicted_label: String,
    /// Per spec field (in the spec's name order), the comparison, if either side had it.
    pub fields: Vec<Option<Outcome>>,
}

impl PairedEvent {
    /// Whether the labels agree.
    pub fn same_label(&self) -> bool {
        self.expected_label == self.predicted_label
    }
}

/// An event left unpaired.
#[derive(Debug, Clone, PartialEq)]
pub struct LoneEvent {
    /// Index in its output.
    pub index: usize,
    /// Its time, if usable.
    pub time_us: Option<i64>,
    /// Its label.
    pub label: String,
}

/// The event outcome of one example.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventOutcome {
    /// Whether the predicted output's pointer reached an array (false for unparsed outputs).
    pub reached_array: bool,
    /// Whether the prediction was parsed at all (so `reached_array == false` means something).
    pub parsed: bool,
    /// Whether the expected output's pointer reached an array.
    pub expected_reached_array: bool,
    /// Predicted events whose time could not be read.
    pub unparseable_times: usize,
    /// Expected events whose time could not be read.
    pub expected_unparseable_times: usize,
    /// The pairs, by expected index.
    pub pairs: Vec<PairedEvent>,
    /// Expected events with no pair.
    pub missed: Vec<LoneEvent>,
    /// Predicted events with no pair.
    pub spurious: Vec<LoneEvent>,
    /// Same-label pairs at each tolerance of the sweep.
    pub sweep_tp: Vec<usize>,
    /// t_pred − t_exp of the same-label pairs at the widest tolerance (the larger of the
    /// sweep's largest and the spec's), for estimating a systematic clock offset.
    pub offset_dts_us: Vec<i64>,
}

impl EventOutcome {
    /// Same-label pairs.
    pub fn tp(&self) -> usize {
        self.pairs.iter().filter(|p| p.same_label()).count()
    }

    /// Predicted events not in a same-label pair.
    pub fn fp(&self) -> usize {
        self.predicted() - self.tp()
    }

    /// Expected events not in a same-label pair.
    pub fn fn_(&self) -> usize {
        self.support() - self.tp()
    }

    /// Number of predicted events.
    pub fn predicted(&self) -> usize {
        self.pairs.len() + self.spurious.len()
    }

    /// Number of expected events.
    pub fn support(&self) -> usize {
        self.pairs.len() + self.missed.len()
    }

    /// Whether the events are exactly right, as `exact_match` asks: valid JSON (`valid_json`),
    /// the pointer reaches an array wherever the expected one does, and [`Self::perfect`].
    pub fn exact(&self, valid_json: bool) -> bool {
        valid_json && (self.reached_array || !self.expected_reached_array) && self.perfect()
    }

    /// Every expected event paired with its label, nothing spurious, every compared field
    /// correct.
    pub fn perfect(&self) -> bool {
        self.missed.is_empty()
            && self.spurious.is_empty()
            && self.pairs.iter().all(|p| {
                p.same_label() && p.fields.iter().flatten().all(|o| *o == Outcome::Correct)
            })
    }
}

/// Seconds to microseconds, rounded.
pub fn seconds_to_us(seconds: f64) -> i64 {
    (seconds * 1e6).round() as i64
}

/// Matches and compares the events of one example.
///
/// `shift_us` is added to every predicted time first (0 except when measuring F1 after
/// removing a systematic offset); `sweep_us` are the tolerances of the sweep.
pub fn score_events(
    expected: &Value,
    predicted: Option<&Value>,
    spec: &EventsSpec,
    fields: &[(&String, &FieldSpec)],
    sweep_us: &[i64],
    shift_us: i64,
) -> EventOutcome {
    let exp = extract(Some(expected), spec);
    let mut pred = extract(predicted, spec);
    if shift_us != 0 {
        for event in &mut pred.events {
            event.time_us = event.time_us.and_then(|t| t.checked_add(shift_us));
        }
    }
    let matcher = Matcher::new(&exp.events, &pred.events);
    let tolerance_us = seconds_to_us(spec.tolerance);
    let mut pairs = Vec::new();
    matcher.pairs_into(tolerance_us, &mut pairs);
    let same_label = |p: &&Pair| exp.events[p.expected].label == pred.events[p.predicted].label;
    let widest = sweep_us
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(tolerance_us);
    // Matching is a function of the tolerance, so the spec's tolerance is not matched again.
    let mut at_tolerance = Vec::new();
    let mut widest_dts_us = Vec::new();
    let mut sweep_tp = Vec::with_capacity(sweep_us.len());
    for &tol in sweep_us {
        let pairs = if tol == tolerance_us {
            &pairs
        } else {
            matcher.pairs_into(tol, &mut at_tolerance);
            &at_tolerance
        };
        sweep_tp.push(pairs.iter().filter(same_label).count());
        if tol == widest && tol != tolerance_us {
            widest_dts_us = pairs.iter().filter(same_label).map(|p| p.dt_us).collect();
        }
    }
    let offset_dts_us = if sweep_us.is_empty() {
        Vec::new()
    } else if widest == tolerance_us {
        pairs.iter().filter(same_label).map(|p| p.dt_us).collect()
    } else {
        widest_dts_us
    };
    let mut outcome = build(&exp, &pred, &pairs, fields, predicted.is_some(), sweep_tp);
    outcome.offset_dts_us = offset_dts_us;
    outcome
}

fn build(
    exp: &Events<'_>,
    pred: &Events<'_>,
    pairs: &[Pair],
    fields: &[(&String, &FieldSpec)],
    parsed: bool,
    sweep_tp: Vec<usize>,
) -> EventOutcome {
    let mut exp_paired = vec![false; exp.events.len()];
    let mut pred_paired = vec![false; pred.events.len()];
    let pairs: Vec<PairedEvent> = pairs
        .iter()
        .map(|p| {
            exp_paired[p.expected] = true;
            pred_paired[p.predicted] = true;
            let (e, q) = (&exp.events[p.expected], &pred.events[p.predicted]);
            PairedEvent {
                expected_index: e.index,
                predicted_index: q.index,
                expected_time_us: e.time_us.unwrap_or_default(),
                dt_us: p.dt_us,
                expected_label: e.label.to_string(),
                predicted_label: q.label.to_string(),
                fields: fields
                    .iter()
                    .map(|(name, spec)| {
                        fields::compare(
                            spec,
                            e.value.get(name.as_str()),
                            q.value.get(name.as_str()),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let lone = |events: &Events<'_>, paired: &[bool]| -> Vec<LoneEvent> {
        events
            .events
            .iter()
            .zip(paired)
            .filter(|(_, paired)| !**paired)
            .map(|(e, _)| LoneEvent {
                index: e.index,
                time_us: e.time_us,
                label: e.label.to_string(),
            })
            .collect()
    };
    EventOutcome {
        reached_array: pred.reached_array,
        parsed,
        expected_reached_array: exp.reached_array,
        unparseable_times: pred.unparseable_times,
        expected_unparseable_times: exp.unparseable_times,
        missed: lone(exp, &exp_paired),
        spurious: lone(pred, &pred_paired),
        pairs,
        sweep_tp,
        offset_dts_us: Vec::new(),
    }
}

/// The outcome of a single-label example (spec `label = "/pointer"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelOutcome {
    /// The expected label; `None` where the pointer finds nothing.
    pub expected: Option<String>,
    /// The predicted label; `None` for an invalid or missing output, or where the pointer
    /// finds nothing.
    pub predicted: Option<String>,
}

impl LabelOutcome {
    /// Whether the label is right (an expected label exists and the prediction equals it).
    pub fn correct(&self) -> bool {
        self.expected.is_some() && self.expected == self.predicted
    }
}

/// Reads the single label of an output: a string as is, a number or boolean by its JSON text;
/// null, absent, arrays and objects are no label. A long label is cut ([`crate::bounded::label`]).
pub fn label_at(value: Option<&Value>, pointer: &str) -> Option<String> {
    let label = match value?.pointer(pointer)? {
        Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
        v @ (Value::Number(_) | Value::Bool(_)) => std::borrow::Cow::Owned(v.to_string()),
        _ => return None,
    };
    Some(crate::bounded::label(label).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::match_events;
    use crate::spec::Comparator;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn events_spec() -> EventsSpec {
        EventsSpec {
            pointer: String::new(),
            time: "t".into(),
            label: "c".into(),
            tolerance: 1.0,
            sweep: vec![],
        }
    }

    #[test]
    fn counts_and_field_outcomes() {
        let player = FieldSpec::new(Comparator::PlayerId);
        let name = "p".to_owned();
        let fields = [(&name, &player)];
        let exp = json!([
            {"t": 10, "c": "A", "p": "#7 Gray"},
            {"t": 20, "c": "B", "p": "#8 Gray"},
            {"t": 30, "c": "A"}
        ]);
        let pred = json!([
            {"t": 10.4, "c": "A", "p": "Gray 7"},
            {"t": 20.2, "c": "A", "p": "#9 Gray"},
            {"t": 50, "c": "B"}
        ]);
        let out = score_events(
            &exp,
            Some(&pred),
            &events_spec(),
            &fields,
            &[250_000, 500_000],
            0,
        );
        assert_eq!((out.tp(), out.fp(), out.fn_()), (1, 2, 2));
        assert_eq!(out.pairs.len(), 2);
        assert_eq!(out.pairs[0].dt_us, 400_000);
        assert_eq!(out.pairs[0].fields, [Some(Outcome::Correct)]);
        assert_eq!(
            out.pairs[1].fields,
            [Some(Outcome::Wrong(fields::PlayerDiff::Number))]
        );
        assert_eq!(out.missed.len(), 1);
        assert_eq!(out.spurious[0].label, "B");
        assert_eq!(out.sweep_tp, [0, 1]);
        // Same-label pairs at the widest tolerance (1 s here): only the first pair.
        assert_eq!(out.offset_dts_us, [400_000]);
        assert!(!out.perfect());

        let shifted = score_events(&exp, Some(&pred), &events_spec(), &fields, &[], -400_000);
        assert_eq!(shifted.pairs[0].dt_us, 0);
    }

    #[test]
    fn perfect_needs_every_field_right() {
        let exp = json!([{"t": 1, "c": "A"}]);
        let out = score_events(&exp, Some(&exp), &events_spec(), &[], &[], 0);
        assert!(out.perfect());
        let none = score_events(&exp, None, &events_spec(), &[], &[], 0);
        assert!(!none.perfect());
        assert!(!none.parsed && !none.reached_array);
        assert_eq!(none.fn_(), 1);
    }

    #[test]
    fn single_labels() {
        assert_eq!(
            label_at(Some(&json!({"intent": "refund"})), "/intent").as_deref(),
            Some("refund")
        );
        assert_eq!(
            label_at(Some(&json!({"intent": 3})), "/intent").as_deref(),
            Some("3")
        );
        assert_eq!(label_at(Some(&json!({"intent": null})), "/intent"), None);
        assert_eq!(label_at(None, "/intent"), None);
    }

    fn grid_json(items: &[(u8, u8)]) -> Value {
        Value::Array(
            items
                .iter()
                .map(|&(t, l)| {
                    let label = ["A", "B", "C"][usize::from(l)];
                    json!({"t": f64::from(t) * 0.25, "c": label})
                })
                .collect(),
        )
    }

    proptest! {
        #[test]
        fn the_sweep_matches_every_tolerance_afresh(
            exp in proptest::collection::vec((0u8..40, 0u8..3), 0..10),
            pred in proptest::collection::vec((0u8..40, 0u8..3), 0..10),
            tolerance in prop::sample::select(vec![0.25, 1.0, 6.0]),
        ) {
            let spec = EventsSpec { tolerance, ..events_spec() };
            let sweep = [250_000, 500_000, 1_000_000, 2_000_000, 3_000_000, 5_000_000];
            let (exp, pred) = (grid_json(&exp), grid_json(&pred));
            let out = score_events(&exp, Some(&pred), &spec, &[], &sweep, 0);
            let (exp, pred) = (extract(Some(&exp), &spec), extract(Some(&pred), &spec));
            let same_label_dts = |tol: i64| -> Vec<i64> {
                match_events(&exp.events, &pred.events, tol)
                    .iter()
                    .filter(|p| exp.events[p.expected].label == pred.events[p.predicted].label)
                    .map(|p| p.dt_us)
                    .collect()
            };
            let sweep_tp: Vec<usize> = sweep.iter().map(|&tol| same_label_dts(tol).len()).collect();
            prop_assert_eq!(out.sweep_tp, sweep_tp);
            let widest = seconds_to_us(tolerance).max(5_000_000);
            prop_assert_eq!(out.offset_dts_us, same_label_dts(widest));
            let pairs: Vec<(usize, usize, i64)> =
                match_events(&exp.events, &pred.events, seconds_to_us(tolerance))
                    .iter()
                    .map(|p| (p.expected, p.predicted, p.dt_us))
                    .collect();
            let got: Vec<(usize, usize, i64)> = out
                .pairs
                .iter()
                .map(|p| (p.expected_index, p.predicted_index, p.dt_us))
                .collect();
            prop_assert_eq!(got, pairs);
        }
    }
}
