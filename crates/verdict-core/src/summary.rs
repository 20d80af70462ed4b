//! The headline metrics of `summary` in report.json, in one table: each metric's name, which
//! way is better, whether a baseline gates it, which tasks have it, and its formula over the
//! summed counters. The report's values, the bootstrap's replicates, the baseline gates and
//! the renderers all read this table, so a metric cannot mean one thing in the report and
//! another in its interval.
//!
//! The formulas are over integer sums ([`Sums`]) that the report fills from the whole run and
//! the bootstrap from each replicate; the same sums give the same bits either way.

/// What a spec scores, which decides which headline metrics a run has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Task {
    /// The spec names an output schema.
    pub has_schema: bool,
    /// The spec has `[events]`.
    pub events: bool,
    /// The spec has a single `label`.
    pub single_label: bool,
    /// Some `[fields]` entry compares with `player_id`.
    pub has_player: bool,
    /// The spec names a `positive` class (binary single-label tasks).
    pub has_positive: bool,
}

impl Task {
    /// Whether labels are scored at all (events or a single label): the class metrics.
    pub fn has_classes(&self) -> bool {
        self.events || self.single_label
    }
}

/// One class's counts, in the label order of the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassSums {
    /// Expected events (or examples) of the class.
    pub support: i64,
    /// Predicted ones.
    pub predicted: i64,
    /// Same-label pairs.
    pub tp: i64,
}

/// The summed counters every headline metric is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sums {
    /// Examples (N, the denominator of the validity rates).
    pub examples: i64,
    /// Outputs by validity tier.
    pub strict: i64,
    /// Found in a fence or prose.
    pub extracted: i64,
    /// Valid only after repair.
    pub repaired: i64,
    /// Outputs valid against the schema.
    pub schema_valid: i64,
    /// Outputs the schema check could not decide, left out of `schema_valid`'s denominator.
    pub schema_undecided: i64,
    /// Per class, in label order.
    pub classes: Vec<ClassSums>,
    /// Event pairs the matcher made, any label.
    pub pairs: i64,
    /// Pairs of the same label.
    pub same_label_pairs: i64,
    /// Pairs whose time difference is measured, and the sum of |dt| in microseconds.
    pub timed_pairs: i64,
    /// Σ|t_pred − t_exp| over the timed pairs, microseconds (exact: i128).
    pub abs_dt_us: i128,
    /// `player_id` comparisons that were right, over every such field.
    pub player_correct: i64,
    /// `player_id` comparisons made.
    pub player_compared: i64,
    /// Examples exactly right ([`ExampleScore::exact`](crate::example::ExampleScore::exact)).
    pub exact: i64,
    /// Single-label examples whose label is right, whatever else is wrong.
    pub label_correct: i64,
    /// Examples a prediction answered (joined), for `coverage`.
    pub joined: i64,
    /// Outputs ANLS* scored, and the sum of their scores in units of [`ANLS_UNIT`].
    pub anls_scored: i64,
    /// Σ ANLS* × [`ANLS_UNIT`], each score rounded.
    pub anls_e12: i64,
    /// The same for the typed ANLS* variant.
    pub anls_typed_scored: i64,
    /// Σ typed ANLS* × [`ANLS_UNIT`].
    pub anls_typed_e12: i64,
    /// The positive class's index in `classes`, for binary tasks.
    pub positive: Option<usize>,
    /// Predictions whose label is outside the spec's declared `labels`: no class of
    /// `classes`, but still false positives of the event-level (micro) precision.
    pub out_of_set_predicted: i64,
    /// Expected events outside the declared set (only unlabelled ones can be): they count in
    /// the micro support, so a model is never rewarded for the events no class holds.
    pub out_of_set_expected: i64,
    /// The spec declares `labels`: `classes` is that set, and a per-class rate with no
    /// denominator is undefined and left out of the averages (scikit-learn's
    /// `zero_division=np.nan`) rather than counted as 0 (its default, kept for undeclared
    /// label sets).
    pub declared: bool,
}

/// ANLS* scores are summed as integers in units of 10⁻¹², so that sums are exact and the same
/// in any order.
pub const ANLS_UNIT: f64 = 1e12;

/// One headline metric.
#[derive(Debug, Clone, Copy)]
pub struct SummaryMetric {
    /// Its key in `summary` (and in gates: `--gate 'NAME>=X'`).
    pub name: &'static str,
    /// The unit of a value that is not a rate (`s` for seconds), shown beside its name.
    pub unit: Option<&'static str>,
    /// Higher values are better (rates); `false` for errors such as `timestamp_mae`.
    pub higher_is_better: bool,
    /// Compared with a baseline (`--baseline`): a drop beyond `--max-drop` fails the run.
    pub baseline_gated: bool,
    /// Given a 95% interval by the bootstrap.
    pub resampled: bool,
    /// Whether a run of this task has the metric (otherwise it is `null`).
    pub applies: fn(&Task) -> bool,
    /// Its value; `None` where its denominator is zero.
    pub value: fn(&Sums) -> Option<f64>,
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// One class's (precision, recall, F1): `None` for a rate with no denominator, where the
/// label set is declared; 0 otherwise.
pub fn class_rates(c: &ClassSums, declared: bool) -> [Option<f64>; 3] {
    [
        ratio(c.tp, c.predicted),
        ratio(c.tp, c.support),
        ratio(2 * c.tp, c.predicted + c.support),
    ]
    .map(|rate| if declared { rate } else { rate.or(Some(0.0)) })
}

/// One average row of the per-class table, as `classification_report` prints it.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Average {
    /// Precision.
    pub precision: Option<f64>,
    /// Recall.
    pub recall: Option<f64>,
    /// F1.
    pub f1: Option<f64>,
    /// Expected events (or examples) of the classes averaged.
    pub support: i64,
}

/// The micro, macro and weighted averages over the classes.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Averages {
    /// Pooled counts; out-of-set predictions count as false positives.
    pub micro: Average,
    /// Unweighted mean over the classes whose rate is defined.
    #[serde(rename = "macro")]
    pub macro_: Average,
    /// Support-weighted mean over the classes whose rate is defined.
    pub weighted: Average,
}

fn micro(s: &Sums) -> (i64, i64, i64) {
    s.classes.iter().fold(
        (0, s.out_of_set_predicted, s.out_of_set_expected),
        |(t, p, n), c| (t + c.tp, p + c.predicted, n + c.support),
    )
}

/// numpy's average of the defined values (`None` when none is), weighted or not; zero total
/// weight falls back to the plain mean, as scikit-learn's `_nanaverage` does.
fn nan_average(values: impl Iterator<Item = (Option<f64>, i64)>, weighted: bool) -> Option<f64> {
    let defined: Vec<(f64, i64)> = values.filter_map(|(v, w)| Some((v?, w))).collect();
    if defined.is_empty() {
        return None;
    }
    let weight: i64 = defined.iter().map(|&(_, w)| w).sum();
    if weighted && weight > 0 {
        Some(defined.iter().map(|&(v, w)| v * w as f64).sum::<f64>() / weight as f64)
    } else {
        Some(defined.iter().map(|&(v, _)| v).sum::<f64>() / defined.len() as f64)
    }
}

/// The three average rows; every macro and weighted figure of the report and the bootstrap
/// comes from here.
pub fn averages(s: &Sums) -> Averages {
    let (tp, predicted, support) = micro(s);
    let rates: Vec<([Option<f64>; 3], i64)> = s
        .classes
        .iter()
        .map(|c| (class_rates(c, s.declared), c.support))
        .collect();
    let mean = |i: usize, weighted: bool| {
        // A weighted mean over no support at all is undefined, as in scikit-learn.
        if weighted && support == 0 {
            return None;
        }
        nan_average(rates.iter().map(|(r, w)| (r[i], *w)), weighted)
    };
    let row = |weighted: bool| Average {
        precision: mean(0, weighted),
        recall: mean(1, weighted),
        f1: mean(2, weighted),
        support,
    };
    Averages {
        micro: Average {
            precision: ratio(tp, predicted),
            recall: ratio(tp, support),
            f1: ratio(2 * tp, predicted + support),
            support,
        },
        macro_: row(false),
        weighted: row(true),
    }
}

fn positive(s: &Sums, pick: usize) -> Option<f64> {
    let class = s.classes.get(s.positive?)?;
    class_rates(class, s.declared)[pick]
}

const fn always(_: &Task) -> bool {
    true
}

/// Every headline metric, in the key order of `summary` in report.json.
pub const SUMMARY_METRICS: [SummaryMetric; 22] = [
    // Not resampled: the share joined is a fact about the run's inputs, not an estimate of
    // the model's quality, and not baseline-gated, as a run joined by another predictions
    // file is gated on it explicitly (`--gate 'coverage>=0.99'`).
    SummaryMetric {
        name: "coverage",
        unit: None,
        higher_is_better: true,
        baseline_gated: false,
        resampled: false,
        applies: always,
        value: |s| ratio(s.joined, s.examples),
    },
    SummaryMetric {
        name: "json_valid_strict",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: always,
        value: |s| ratio(s.strict, s.examples),
    },
    SummaryMetric {
        name: "json_valid",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: always,
        value: |s| ratio(s.strict + s.extracted, s.examples),
    },
    SummaryMetric {
        name: "json_recoverable",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: always,
        value: |s| ratio(s.strict + s.extracted + s.repaired, s.examples),
    },
    SummaryMetric {
        name: "schema_valid",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: |t| t.has_schema,
        value: |s| ratio(s.schema_valid, s.examples - s.schema_undecided),
    },
    SummaryMetric {
        name: "event_precision",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: |t| t.events,
        value: |s| averages(s).micro.precision,
    },
    SummaryMetric {
        name: "event_recall",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: |t| t.events,
        value: |s| averages(s).micro.recall,
    },
    SummaryMetric {
        name: "event_f1",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: |t| t.events,
        value: |s| averages(s).micro.f1,
    },
    SummaryMetric {
        name: "macro_precision",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: Task::has_classes,
        value: |s| averages(s).macro_.precision,
    },
    SummaryMetric {
        name: "macro_recall",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: Task::has_classes,
        value: |s| averages(s).macro_.recall,
    },
    SummaryMetric {
        name: "macro_f1",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: Task::has_classes,
        value: |s| averages(s).macro_.f1,
    },
    SummaryMetric {
        name: "weighted_f1",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: Task::has_classes,
        value: |s| averages(s).weighted.f1,
    },
    SummaryMetric {
        name: "matched_label_accuracy",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: |t| t.events,
        value: |s| ratio(s.same_label_pairs, s.pairs),
    },
    SummaryMetric {
        name: "timestamp_mae",
        unit: Some("s"),
        higher_is_better: false,
        baseline_gated: false,
        resampled: true,
        applies: |t| t.events,
        value: |s| (s.timed_pairs > 0).then(|| s.abs_dt_us as f64 / s.timed_pairs as f64 / 1e6),
    },
    SummaryMetric {
        name: "player_id_accuracy",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: |t| t.events && t.has_player,
        value: |s| ratio(s.player_correct, s.player_compared),
    },
    SummaryMetric {
        name: "exact_match",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: always,
        value: |s| ratio(s.exact, s.examples),
    },
    SummaryMetric {
        name: "label_accuracy",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: |t| t.single_label,
        value: |s| ratio(s.label_correct, s.examples),
    },
    SummaryMetric {
        name: "anls_star",
        unit: None,
        higher_is_better: true,
        baseline_gated: true,
        resampled: true,
        applies: always,
        value: |s| {
            (s.anls_scored > 0).then(|| s.anls_e12 as f64 / ANLS_UNIT / s.anls_scored as f64)
        },
    },
    SummaryMetric {
        name: "anls_star_typed",
        unit: None,
        higher_is_better: true,
        baseline_gated: false,
        resampled: false,
        applies: always,
        value: |s| {
            (s.anls_typed_scored > 0)
                .then(|| s.anls_typed_e12 as f64 / ANLS_UNIT / s.anls_typed_scored as f64)
        },
    },
    SummaryMetric {
        name: "positive_precision",
        unit: None,
        higher_is_better: true,
        baseline_gated: false,
        resampled: false,
        applies: |t| t.single_label && t.has_positive,
        value: |s| positive(s, 0),
    },
    SummaryMetric {
        name: "positive_recall",
        unit: None,
        higher_is_better: true,
        baseline_gated: false,
        resampled: false,
        applies: |t| t.single_label && t.has_positive,
        value: |s| positive(s, 1),
    },
    SummaryMetric {
        name: "positive_f1",
        unit: None,
        higher_is_better: true,
        baseline_gated: false,
        resampled: false,
        applies: |t| t.single_label && t.has_positive,
        value: |s| positive(s, 2),
    },
];

/// The metric called `name`, if it is a headline metric.
pub fn metric(name: &str) -> Option<&'static SummaryMetric> {
    SUMMARY_METRICS.iter().find(|m| m.name == name)
}

/// What a spec needs for `metric` to apply, as spec text, read off its `applies`: for the
/// message of a gate on a metric the spec can never produce.
pub fn needs(metric: &SummaryMetric) -> &'static str {
    let with = |task: Task| (metric.applies)(&task);
    let events = Task {
        events: true,
        ..Task::default()
    };
    let label = Task {
        single_label: true,
        ..Task::default()
    };
    if with(Task {
        has_schema: true,
        ..Task::default()
    }) {
        "schema = \"FILE\""
    } else if with(events) && with(label) {
        "[events] or label = \"/pointer\""
    } else if with(events) {
        "[events]"
    } else if with(Task {
        has_player: true,
        ..events
    }) {
        "[events] and a [fields] entry with compare = \"player_id\""
    } else if with(label) {
        "label = \"/pointer\""
    } else {
        "label = \"/pointer\" and positive = \"LABEL\""
    }
}

/// Reports say loudly that examples went unanswered when more than 1 in this many have no
/// prediction (over 10%): a few missing lines are a failed request or two, more is the
/// wrong predictions file or a batch cut short, and every metric is then mostly about
/// missing outputs.
pub const LOUD_MISSING_ONE_IN: usize = 10;

/// The notice every report puts first (console last) when many examples have no prediction:
/// how many, and the likely cause, told apart by the prediction lines left over (`orphans`).
/// `None` at or below one in [`LOUD_MISSING_ONE_IN`].
pub fn missing_notice(examples: usize, missing: usize, orphans: usize) -> Option<String> {
    if missing * LOUD_MISSING_ONE_IN <= examples {
        return None;
    }
    let share = 100.0 * missing as f64 / examples as f64;
    let cause = if orphans > 0 {
        format!(
            "{orphans} prediction line(s) answer no expected example: the predictions were most likely made for another test set, or carry other ids"
        )
    } else {
        "no prediction line was left over: the predictions most likely stop short (a batch cut off, a shard left out)".to_owned()
    };
    Some(format!(
        "{missing} of {examples} examples ({share:.1}%) have no prediction and count as missing outputs in every metric; {cause}. Check --predictions against --expected; gate on coverage (--gate 'coverage>=0.99') to fail such runs."
    ))
}

/// Keys that hold a rate in [0, 1] wherever they appear in report.json (`classes.L.recall`,
/// `paths./priority.accuracy`, `lists.entities.f1`, `timestamps.within_0_5`, ...).
const RATE_KEYS: [&str; 9] = [
    "precision",
    "recall",
    "f1",
    "accuracy",
    "mean_similarity",
    "f1_after_removing",
    "within_0_5",
    "within_1_0",
    "auc",
];

/// The metric an interval end belongs to: `event_f1.low` → `event_f1`.
pub fn without_interval_end(path: &str) -> &str {
    match path.rsplit_once('.') {
        Some((metric, "low" | "high" | "value")) => metric,
        _ => path,
    }
}

/// Whether the metric at `path` is a rate, between 0 and 1 by construction.
pub fn is_rate(path: &str) -> bool {
    let path = without_interval_end(path);
    match path.rsplit_once('.') {
        None => metric(path).is_some_and(|m| m.unit.is_none()),
        Some((_, key)) => RATE_KEYS.contains(&key),
    }
}

/// A threshold outside [0, 1] on a rate can never mean what was meant (`macro_f1>=75` was a
/// percentage): refused, with the threshold it probably meant.
pub fn check_threshold(metric: &str, op: &str, threshold: f64) -> Result<(), String> {
    if !is_rate(metric) || (0.0..=1.0).contains(&threshold) {
        return Ok(());
    }
    let hint = if threshold > 1.0 && threshold <= 100.0 {
        format!(
            "; for {threshold}%, write {metric}{op}{}",
            threshold / 100.0
        )
    } else {
        String::new()
    };
    Err(format!(
        "gate {metric}{op}{threshold}: {metric} is a rate between 0 and 1, so a threshold of {threshold} always passes or never does{hint}"
    ))
}

/// The names of the metrics a baseline gates, in table order.
pub fn baseline_metrics() -> impl Iterator<Item = &'static str> {
    SUMMARY_METRICS
        .iter()
        .filter(|m| m.baseline_gated)
        .map(|m| m.name)
}

/// The names [`values`] gives with `resampled_only`, in its order.
pub fn resampled_names(task: &Task) -> impl Iterator<Item = &'static str> + '_ {
    SUMMARY_METRICS
        .iter()
        .filter(|m| m.resampled && (m.applies)(task))
        .map(|m| m.name)
}

/// Every headline metric of `task`, valued on `sums`, in table order; `None` for the metrics
/// the task does not have. `resampled_only` leaves out those the bootstrap does not interval.
pub fn values(task: &Task, sums: &Sums, resampled_only: bool) -> Vec<(&'static str, Option<f64>)> {
    SUMMARY_METRICS
        .iter()
        .filter(|m| !resampled_only || (m.resampled && (m.applies)(task)))
        .map(|m| (m.name, (m.applies)(task).then(|| (m.value)(sums)).flatten()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums() -> Sums {
        Sums {
            examples: 10,
            strict: 6,
            extracted: 2,
            repaired: 1,
            schema_valid: 7,
            classes: vec![
                ClassSums {
                    support: 4,
                    predicted: 5,
                    tp: 3,
                },
                ClassSums {
                    support: 2,
                    predicted: 0,
                    tp: 0,
                },
            ],
            pairs: 4,
            same_label_pairs: 3,
            timed_pairs: 4,
            abs_dt_us: 2_000_000,
            player_correct: 1,
            player_compared: 2,
            exact: 4,
            label_correct: 7,
            joined: 9,
            anls_scored: 8,
            anls_e12: 6_000_000_000_000,
            ..Sums::default()
        }
    }

    fn value(name: &str, task: &Task) -> Option<f64> {
        values(task, &sums(), false)
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
    }

    #[test]
    fn formulas_worked_by_hand() {
        let task = Task {
            has_schema: true,
            events: true,
            has_player: true,
            ..Task::default()
        };
        let close = |name: &str, want: f64| {
            let got = value(name, &task).unwrap();
            assert!((got - want).abs() < 1e-15, "{name}: {got} != {want}");
        };
        close("json_valid_strict", 0.6);
        close("json_valid", 0.8);
        close("json_recoverable", 0.9);
        close("schema_valid", 0.7);
        // Two outputs the schema check could not decide: 7 valid of the 8 decided.
        let undecided = Sums {
            schema_undecided: 2,
            ..sums()
        };
        let schema_valid = values(&task, &undecided, false)
            .into_iter()
            .find(|(n, _)| *n == "schema_valid")
            .unwrap()
            .1;
        assert_eq!(schema_valid, Some(7.0 / 8.0));
        // Σtp 3, Σpredicted 5, Σsupport 6.
        close("event_precision", 3.0 / 5.0);
        close("event_recall", 3.0 / 6.0);
        close("event_f1", 6.0 / 11.0);
        // Class 2 has no predictions: its precision counts as 0 in the averages.
        close("macro_precision", (3.0 / 5.0 + 0.0) / 2.0);
        close("macro_recall", (3.0 / 4.0 + 0.0) / 2.0);
        close("macro_f1", (6.0 / 9.0) / 2.0);
        close("weighted_f1", (6.0 / 9.0 * 4.0) / 6.0);
        close("matched_label_accuracy", 0.75);
        close("timestamp_mae", 0.5);
        close("player_id_accuracy", 0.5);
        close("exact_match", 0.4);
        close("coverage", 0.9);
        close("anls_star", 0.75);
        assert_eq!(value("label_accuracy", &task), None, "events task");
        let single = Task {
            single_label: true,
            ..Task::default()
        };
        // Label accuracy counts the right labels, exact match the whole answers.
        assert_eq!(value("label_accuracy", &single), Some(0.7));
        assert_eq!(value("exact_match", &single), Some(0.4));
        assert_eq!(value("anls_star_typed", &task), None, "nothing scored");
    }

    #[test]
    fn a_declared_label_set_leaves_undefined_rates_out_and_counts_out_of_set_predictions() {
        // Class 2 has no predictions: its precision is undefined, not 0; its recall and F1
        // are 0. Two predictions fall outside the set.
        let s = Sums {
            declared: true,
            out_of_set_predicted: 2,
            ..sums()
        };
        let task = Task {
            events: true,
            ..Task::default()
        };
        let get = |name: &str| {
            values(&task, &s, false)
                .into_iter()
                .find(|(n, _)| *n == name)
                .unwrap()
                .1
                .unwrap()
        };
        let close = |name: &str, want: f64| {
            let got = get(name);
            assert!((got - want).abs() < 1e-15, "{name}: {got} != {want}");
        };
        close("macro_precision", 3.0 / 5.0);
        close("macro_recall", (3.0 / 4.0 + 0.0) / 2.0);
        close("macro_f1", (6.0 / 9.0) / 2.0);
        close("event_precision", 3.0 / 7.0);
        close("event_recall", 3.0 / 6.0);
        let a = averages(&s);
        // Weighted precision: only class 1 is defined, weight 4 of 4.
        assert_eq!(a.weighted.precision, Some(3.0 / 5.0));
        // No class defined at all: undefined, as scikit-learn's NaN.
        let empty = Sums {
            declared: true,
            classes: vec![ClassSums::default()],
            ..Sums::default()
        };
        assert_eq!(averages(&empty).macro_.f1, None);
        assert_eq!(averages(&empty).weighted.f1, None);
    }

    #[test]
    fn a_task_without_events_or_labels_has_validity_exact_match_and_anls() {
        let present: Vec<&str> = values(&Task::default(), &sums(), true)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            present,
            [
                "json_valid_strict",
                "json_valid",
                "json_recoverable",
                "exact_match",
                "anls_star"
            ]
        );
    }

    #[test]
    fn many_missing_predictions_are_noticed_with_their_likely_cause() {
        assert_eq!(missing_notice(320, 32, 0), None, "exactly 10% is not many");
        let other_set = missing_notice(320, 269, 269).unwrap();
        assert!(
            other_set.starts_with("269 of 320 examples (84.1%) have no prediction"),
            "{other_set}"
        );
        assert!(
            other_set.contains("made for another test set"),
            "{other_set}"
        );
        let cut_short = missing_notice(320, 33, 0).unwrap();
        assert!(cut_short.contains("(10.3%)"), "{cut_short}");
        assert!(cut_short.contains("stop short"), "{cut_short}");
        assert_eq!(missing_notice(0, 0, 5), None);
    }

    #[test]
    fn names_are_unique_and_rates_that_fall_are_gated() {
        for (i, m) in SUMMARY_METRICS.iter().enumerate() {
            assert!(
                SUMMARY_METRICS[..i].iter().all(|o| o.name != m.name),
                "{} twice",
                m.name
            );
            assert!(
                !m.baseline_gated || m.higher_is_better,
                "{}: a baseline gate fails on a drop, so it only fits a higher-is-better rate",
                m.name
            );
        }
        assert_eq!(baseline_metrics().count(), 16);
    }
}
