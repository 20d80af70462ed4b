//! Folds per-example outcomes into the dataset's metrics.
//!
//! Accumulation is integer-only (counts, microsecond sums in `i128`), done sequentially in
//! example order, so every figure is exact and independent of thread count; floating point
//! appears only in the final divisions. Definitions are in `docs/metrics.md`; the per-class
//! figures follow scikit-learn's `precision_recall_fscore_support` with `zero_division=0` and
//! sed_eval's class-wise event-based metrics.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::fields::{Outcome, PlayerDiff};
use crate::outcome::{EventOutcome, LabelOutcome};
use crate::spec::{Comparator, FieldSpec};
use crate::summary::{self, Averages, ClassSums, Sums};

/// The label standing for "no event" / "no label" in the confusion matrix.
pub const NONE_LABEL: &str = "∅";

/// The confusion matrix's column of predicted labels outside the spec's declared `labels`,
/// there when there are such predictions (its row stays empty: an expected label outside the
/// set is an input error).
pub const OTHER_LABEL: &str = "(other)";

/// Counts for one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ClassCounts {
    support: usize,
    predicted: usize,
    tp: usize,
}

/// One row of `classes` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassRow {
    /// The label.
    pub label: String,
    /// Expected events (or examples) with this label.
    pub support: usize,
    /// Predicted events (or examples) with this label.
    pub predicted: usize,
    /// Same-label pairs.
    pub tp: usize,
    /// predicted − tp.
    pub fp: usize,
    /// support − tp.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// tp / predicted; with no prediction, `null` when the spec declares `labels`, else 0.
    pub precision: Option<f64>,
    /// tp / support; with no support, `null` when the spec declares `labels`, else 0.
    pub recall: Option<f64>,
    /// 2·tp / (predicted + support); with neither, `null` when the spec declares `labels`,
    /// else 0.
    pub f1: Option<f64>,
}

/// `confusion` in report.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Row and column labels: the class labels, `(other)` when the spec declares `labels`,
    /// then `∅`.
    pub labels: Vec<String>,
    /// `matrix[expected][predicted]`: pairs (or examples). The last row counts spurious
    /// predictions by label, the last column missed expected events by label.
    pub matrix: Vec<Vec<usize>>,
}

/// `timestamps` in report.json: over all pairs, with dt = t_pred − t_exp in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timestamps {
    /// Number of pairs.
    pub pairs: usize,
    /// Mean |dt|.
    pub mae: Option<f64>,
    /// √(mean dt²).
    pub rmse: Option<f64>,
    /// Median |dt| (linear interpolation between order statistics).
    pub median_abs: Option<f64>,
    /// 90th percentile of |dt| (linear interpolation).
    pub p90_abs: Option<f64>,
    /// Largest |dt|.
    pub max_abs: Option<f64>,
    /// Mean dt: positive when predictions are late.
    pub bias: Option<f64>,
    /// Share of pairs with |dt| ≤ 0.5 s.
    pub within_0_5: Option<f64>,
    /// Share of pairs with |dt| ≤ 1.0 s.
    pub within_1_0: Option<f64>,
    /// Signed dt in equal bins over [−tolerance, +tolerance].
    pub histogram: Histogram,
}

/// Number of bins of the timestamp-error histogram.
pub const HISTOGRAM_BINS: usize = 20;

/// `timestamps.histogram`: counts of signed dt per bin; bin i covers
/// `[edges[i], edges[i+1])`, the last bin is closed on the right.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// Bin edges in seconds, one more than the bins.
    pub edges: Vec<f64>,
    /// Pairs per bin.
    pub counts: Vec<usize>,
}

fn histogram(dts_us: &BTreeMap<i64, usize>, tolerance_us: i64) -> Histogram {
    let bins = if tolerance_us > 0 { HISTOGRAM_BINS } else { 1 };
    let width = i128::from(tolerance_us.max(1)) * 2;
    let mut counts = vec![0; bins];
    for (&dt, &n) in dts_us {
        let offset = i128::from(dt) + i128::from(tolerance_us);
        let bin = (offset * bins as i128 / width).clamp(0, bins as i128 - 1) as usize;
        counts[bin] += n;
    }
    let edges = (0..=bins)
        .map(|i| {
            (-(tolerance_us as f64) + (2 * tolerance_us) as f64 * i as f64 / bins as f64) / 1e6
        })
        .collect();
    Histogram { edges, counts }
}

/// One entry of `fields` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldRow {
    /// The comparator used.
    pub compare: Comparator,
    /// Pairs where either side has the field.
    pub compared: usize,
    /// Pairs where both have it and it compares equal.
    pub correct: usize,
    /// correct / compared.
    pub accuracy: Option<f64>,
    /// Pairs where only one side has it.
    pub one_sided: usize,
    /// `player_id` only: where wrong identities differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_errors: Option<PlayerErrors>,
}

/// Breakdown of wrong player identities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerErrors {
    /// Right team, wrong number.
    pub wrong_number: usize,
    /// Right number, wrong team.
    pub wrong_team: usize,
    /// Both wrong.
    pub wrong_both: usize,
    /// At least one side not a parseable player, and the folded texts differ.
    pub unparsed: usize,
}

/// `tolerance_sweep` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    /// Tolerances, seconds.
    pub tolerances: Vec<f64>,
    /// Micro F1 at each tolerance.
    pub f1: Vec<Option<f64>>,
    /// Trapezoidal area under F1 over the tolerance range, divided by that range: the mean
    /// F1 across the grid, in [0, 1].
    pub auc: Option<f64>,
}

/// `events` in report.json: what the matcher worked with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCounts {
    /// Expected events.
    pub expected: usize,
    /// Predicted events.
    pub predicted: usize,
    /// Pairs (any label).
    pub pairs: usize,
    /// Same-label pairs.
    pub same_label_pairs: usize,
    /// Parsed outputs where the pointer does not reach an array (scored as no events).
    pub outputs_without_array: usize,
    /// Expected outputs where the pointer does not reach an array.
    pub expected_without_array: usize,
    /// Predicted events whose time could not be parsed (they match nothing).
    pub unparseable_times: usize,
    /// Expected events whose time could not be parsed (they are missed).
    pub expected_unparseable_times: usize,
}

/// Running totals over the examples of a run. Every part is a sum or a count of values, so
/// totals of disjoint parts [`merge`](Totals::merge) into exactly the totals of the whole, in
/// any order: this is what makes sharded runs exact.
///
/// Timestamp errors are kept as a count per distinct microsecond value rather than a list:
/// quantiles over it are exact, and its size is bounded by the distinct errors (at most
/// 2 × tolerance + 1 values), not by the number of pairs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    classes: BTreeMap<String, ClassCounts>,
    #[serde(with = "pairs")]
    confusion: BTreeMap<(Option<String>, Option<String>), usize>,
    #[serde(with = "pairs")]
    dts_us: BTreeMap<i64, usize>,
    fields: Vec<FieldCounts>,
    sweep_tp: Vec<usize>,
    #[serde(with = "pairs")]
    offset_dts_us: BTreeMap<i64, usize>,
    counts: EventCounts,
    /// Label occurrences cut to [`crate::bounded::MAX_LABEL_BYTES`].
    #[serde(default)]
    labels_cut: usize,
}

/// Maps whose keys are not strings serialize as lists of `[key, value]` pairs.
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

crate::counts::add_counts!(PlayerErrors {
    wrong_number,
    wrong_team,
    wrong_both,
    unparsed
});
crate::counts::add_counts!(FieldCounts {
    compared,
    correct,
    one_sided,
    player
});
crate::counts::add_counts!(EventCounts {
    expected,
    predicted,
    pairs,
    same_label_pairs,
    outputs_without_array,
    expected_without_array,
    unparseable_times,
    expected_unparseable_times,
});

fn add_counts<K: Ord + Clone>(into: &mut BTreeMap<K, usize>, from: &BTreeMap<K, usize>) {
    for (key, count) in from {
        *into.entry(key.clone()).or_default() += count;
    }
}

fn add_slices<T: Default + Clone + std::ops::AddAssign + Copy>(into: &mut Vec<T>, from: &[T]) {
    if into.len() < from.len() {
        into.resize(from.len(), T::default());
    }
    for (total, &value) in into.iter_mut().zip(from) {
        *total += value;
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct FieldCounts {
    compared: usize,
    correct: usize,
    one_sided: usize,
    player: PlayerErrors,
}

impl Totals {
    /// Pairs with a time difference and Σ|dt| over them, microseconds, exact.
    pub fn abs_dt_sum_us(&self) -> (usize, i128) {
        let pairs = self.dts_us.values().sum();
        let sum = self
            .dts_us
            .iter()
            .map(|(&dt, &count)| i128::from(dt.abs()) * count as i128)
            .sum();
        (pairs, sum)
    }

    fn class(&mut self, label: &str) -> &mut ClassCounts {
        if !self.classes.contains_key(label) {
            self.classes
                .insert(label.to_owned(), ClassCounts::default());
        }
        self.classes.get_mut(label).expect("inserted above")
    }

    /// Counts one expected or predicted label occurrence (or both, paired) in the confusion
    /// matrix: every occurrence passes here once, so the cut ones are counted here too.
    fn confuse(&mut self, expected: Option<&str>, predicted: Option<&str>) {
        self.labels_cut += [expected, predicted]
            .into_iter()
            .flatten()
            .filter(|l| crate::bounded::is_cut(l))
            .count();
        *self
            .confusion
            .entry((expected.map(str::to_owned), predicted.map(str::to_owned)))
            .or_default() += 1;
    }

    /// Adds one example's event outcome.
    pub fn add_events(&mut self, outcome: &EventOutcome) {
        let c = &mut self.counts;
        c.expected += outcome.support();
        c.predicted += outcome.predicted();
        c.pairs += outcome.pairs.len();
        c.same_label_pairs += outcome.tp();
        c.outputs_without_array += usize::from(outcome.parsed && !outcome.reached_array);
        c.expected_without_array += usize::from(!outcome.expected_reached_array);
        c.unparseable_times += outcome.unparseable_times;
        c.expected_unparseable_times += outcome.expected_unparseable_times;
        for pair in &outcome.pairs {
            // Most pairs agree on the label: one lookup of the class, not three.
            let expected = self.class(&pair.expected_label);
            expected.support += 1;
            if pair.same_label() {
                expected.predicted += 1;
                expected.tp += 1;
            } else {
                self.class(&pair.predicted_label).predicted += 1;
            }
            self.confuse(Some(&pair.expected_label), Some(&pair.predicted_label));
            *self.dts_us.entry(pair.dt_us).or_default() += 1;
            if self.fields.len() < pair.fields.len() {
                self.fields
                    .resize(pair.fields.len(), FieldCounts::default());
            }
            for (counts, result) in self.fields.iter_mut().zip(&pair.fields) {
                let Some(result) = result else { continue };
                counts.compared += 1;
                match result {
                    Outcome::Correct => counts.correct += 1,
                    Outcome::OneSided => counts.one_sided += 1,
                    Outcome::Wrong(PlayerDiff::Number) => counts.player.wrong_number += 1,
                    Outcome::Wrong(PlayerDiff::Team) => counts.player.wrong_team += 1,
                    Outcome::Wrong(PlayerDiff::Both) => counts.player.wrong_both += 1,
                    Outcome::Wrong(PlayerDiff::Other) => counts.player.unparsed += 1,
                }
            }
        }
        for missed in &outcome.missed {
            self.class(&missed.label).support += 1;
            self.confuse(Some(&missed.label), None);
        }
        for spurious in &outcome.spurious {
            self.class(&spurious.label).predicted += 1;
            self.confuse(None, Some(&spurious.label));
        }
        for &dt in &outcome.offset_dts_us {
            *self.offset_dts_us.entry(dt).or_default() += 1;
        }
        add_slices(&mut self.sweep_tp, &outcome.sweep_tp);
    }

    /// Adds one single-label example.
    pub fn add_label(&mut self, outcome: &LabelOutcome) {
        if let Some(label) = &outcome.expected {
            self.class(label).support += 1;
        }
        if let Some(label) = &outcome.predicted {
            self.class(label).predicted += 1;
        }
        if outcome.correct() {
            self.class(outcome.expected.as_deref().unwrap_or_default())
                .tp += 1;
        }
        self.confuse(outcome.expected.as_deref(), outcome.predicted.as_deref());
    }

    /// Adds the totals of another, disjoint set of examples.
    pub fn merge(&mut self, other: &Totals) {
        for (label, c) in &other.classes {
            let total = self.class(label);
            total.support += c.support;
            total.predicted += c.predicted;
            total.tp += c.tp;
        }
        add_counts(&mut self.confusion, &other.confusion);
        add_counts(&mut self.dts_us, &other.dts_us);
        add_counts(&mut self.offset_dts_us, &other.offset_dts_us);
        add_slices(&mut self.fields, &other.fields);
        add_slices(&mut self.sweep_tp, &other.sweep_tp);
        self.counts += other.counts;
        self.labels_cut += other.labels_cut;
    }

    /// Label occurrences, expected and predicted, longer than
    /// [`crate::bounded::MAX_LABEL_BYTES`] and so cut ([`crate::bounded::label`]).
    pub fn labels_cut(&self) -> usize {
        self.labels_cut
    }

    /// Median signed dt of the same-label pairs at the widest tolerance, microseconds.
    pub fn median_offset_us(&self) -> Option<i64> {
        median_signed(&self.offset_dts_us)
    }

    /// Micro counts: (tp, predicted, support) summed over classes.
    fn micro(&self) -> (usize, usize, usize) {
        self.classes.values().fold((0, 0, 0), |(tp, p, s), c| {
            (tp + c.tp, p + c.predicted, s + c.support)
        })
    }
}

fn ratio(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The class-level metrics of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassMetrics {
    /// Per class, in label order: the declared labels, or every label seen.
    pub classes: Vec<ClassRow>,
    /// Predictions per label outside the declared `labels`; `None` when none are declared.
    pub out_of_set: Option<BTreeMap<String, usize>>,
    /// Expected events outside the declared `labels`: only those without a label can be
    /// (any other label outside the set is an input error). They are misses of the micro
    /// recall; 0 when no labels are declared.
    pub out_of_set_expected: usize,
    /// The confusion matrix.
    pub confusion: Confusion,
    /// The micro, macro and weighted averages, from [`summary::averages`].
    pub averages: Averages,
}

impl ClassMetrics {
    /// The class counters of the headline metrics, in the order of `classes`, then the
    /// predicted and the expected counts outside the declared set.
    pub fn sums(&self) -> (Vec<ClassSums>, i64, i64) {
        let count = |n: usize| n as i64;
        let classes = self
            .classes
            .iter()
            .map(|c| ClassSums {
                support: count(c.support),
                predicted: count(c.predicted),
                tp: count(c.tp),
            })
            .collect();
        let outside = self.out_of_set.iter().flat_map(|m| m.values()).sum();
        (classes, count(outside), count(self.out_of_set_expected))
    }
}

/// The label order of reports: the spec's labels as listed (they are the label set), or,
/// when it lists none, every label seen, sorted.
fn label_order(spec_labels: &[String], seen: &BTreeMap<String, ClassCounts>) -> Vec<String> {
    if spec_labels.is_empty() {
        return seen.keys().cloned().collect();
    }
    let mut labels: Vec<String> = Vec::new();
    for label in spec_labels {
        if !labels.contains(label) {
            labels.push(label.clone());
        }
    }
    labels
}

/// Per-class rows, averages and the confusion matrix.
pub fn class_metrics(totals: &Totals, spec_labels: &[String]) -> ClassMetrics {
    let declared = !spec_labels.is_empty();
    let labels = label_order(spec_labels, &totals.classes);
    let (classes, class_sums): (Vec<ClassRow>, Vec<ClassSums>) = labels
        .iter()
        .map(|label| {
            let c = totals.classes.get(label).copied().unwrap_or_default();
            let sums = ClassSums {
                support: c.support as i64,
                predicted: c.predicted as i64,
                tp: c.tp as i64,
            };
            let [precision, recall, f1] = summary::class_rates(&sums, declared);
            let row = ClassRow {
                label: label.clone(),
                support: c.support,
                predicted: c.predicted,
                tp: c.tp,
                fp: c.predicted - c.tp,
                fn_: c.support - c.tp,
                precision,
                recall,
                f1,
            };
            (row, sums)
        })
        .unzip();
    let out_of_set: Option<BTreeMap<String, usize>> = declared.then(|| {
        let listed: BTreeSet<&String> = labels.iter().collect();
        totals
            .classes
            .iter()
            .filter(|(label, c)| !listed.contains(label) && c.predicted > 0)
            .map(|(label, c)| (label.clone(), c.predicted))
            .collect()
    });

    let out_of_set_expected: usize = if declared {
        let listed: BTreeSet<&String> = labels.iter().collect();
        totals
            .classes
            .iter()
            .filter(|(label, _)| !listed.contains(label))
            .map(|(_, c)| c.support)
            .sum()
    } else {
        0
    };
    let mut confusion_labels = labels.clone();
    if out_of_set.as_ref().is_some_and(|o| !o.is_empty()) || out_of_set_expected > 0 {
        confusion_labels.push(OTHER_LABEL.to_owned());
    }
    let index: BTreeMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let other = labels.len();
    let none = confusion_labels.len();
    confusion_labels.push(NONE_LABEL.to_owned());
    let mut matrix = vec![vec![0; confusion_labels.len()]; confusion_labels.len()];
    for ((e, p), count) in &totals.confusion {
        let cell = |label: &Option<String>| {
            label
                .as_deref()
                .map_or(none, |l| index.get(l).copied().unwrap_or(other))
        };
        matrix[cell(e)][cell(p)] += count;
    }

    let out_of_set_predicted = out_of_set
        .iter()
        .flat_map(|m| m.values())
        .map(|&n| n as i64)
        .sum();
    let averages = summary::averages(&Sums {
        classes: class_sums,
        out_of_set_predicted,
        out_of_set_expected: out_of_set_expected as i64,
        declared,
        ..Sums::default()
    });
    ClassMetrics {
        averages,
        classes,
        out_of_set,
        out_of_set_expected,
        confusion: Confusion {
            labels: confusion_labels,
            matrix,
        },
    }
}

/// The event-level figures beyond the classes.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMetrics {
    /// Same-label pairs / all pairs.
    pub matched_label_accuracy: Option<f64>,
    /// Timestamp error statistics.
    pub timestamps: Timestamps,
    /// Per field.
    pub fields: BTreeMap<String, FieldRow>,
    /// Correct / compared, pooled over every `player_id` field.
    pub player_id_accuracy: Option<f64>,
    /// F1 at each tolerance of the sweep.
    pub sweep: Sweep,
    /// Median signed dt of the same-label pairs at the widest tolerance, microseconds (for the
    /// timing-bias check).
    pub median_offset_us: Option<i64>,
    /// What the matcher worked with.
    pub counts: EventCounts,
}

/// Timestamp, field and sweep metrics from the totals. `field_specs` must be in the order the
/// outcomes' field results were computed in.
pub fn event_metrics(
    totals: &Totals,
    field_specs: &[(&String, &FieldSpec)],
    sweep_seconds: &[f64],
    tolerance_us: i64,
) -> EventMetrics {
    let counts = totals.counts;
    let mut fields = BTreeMap::new();
    let (mut player_correct, mut player_compared, mut any_player) = (0, 0, false);
    for (i, (name, spec)) in field_specs.iter().enumerate() {
        let c = totals.fields.get(i).copied().unwrap_or_default();
        let is_player = spec.compare == Comparator::PlayerId;
        if is_player {
            any_player = true;
            player_correct += c.correct;
            player_compared += c.compared;
        }
        fields.insert(
            (*name).clone(),
            FieldRow {
                compare: spec.compare,
                compared: c.compared,
                correct: c.correct,
                accuracy: ratio(c.correct, c.compared),
                one_sided: c.one_sided,
                player_errors: is_player.then_some(c.player),
            },
        );
    }
    let (_, predicted, support) = totals.micro();
    let f1: Vec<Option<f64>> = totals
        .sweep_tp
        .iter()
        .map(|&tp| ratio(2 * tp, predicted + support))
        .chain(std::iter::repeat(None))
        .take(sweep_seconds.len())
        .collect();
    EventMetrics {
        matched_label_accuracy: ratio(counts.same_label_pairs, counts.pairs),
        timestamps: timestamps(&totals.dts_us, tolerance_us),
        fields,
        player_id_accuracy: if any_player {
            ratio(player_correct, player_compared)
        } else {
            None
        },
        sweep: Sweep {
            auc: sweep_auc(sweep_seconds, &f1),
            tolerances: sweep_seconds.to_vec(),
            f1,
        },
        median_offset_us: totals.median_offset_us(),
        counts,
    }
}

/// `anls` in report.json: the distribution of per-example ANLS* scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnlsStats {
    /// Examples scored.
    pub scored: usize,
    /// Examples too large to score (see `anls::MAX_LEAVES`).
    pub skipped: usize,
    /// Examples whose scores rest on a comparison of texts too long to compare exactly
    /// (see `anls::MAX_CELLS`): their scores are lower bounds.
    pub approximated: usize,
    /// Mean score (= `summary.anls_star`).
    pub mean: Option<f64>,
    /// Median score (linear interpolation).
    pub median: Option<f64>,
    /// 10th percentile: how bad the worst tenth is.
    pub p10: Option<f64>,
    /// Scores in ten bins [0, 0.1), …, [0.9, 1.0]; 1.0 falls in the last.
    pub histogram: Vec<usize>,
    /// Mean of the typed variant (leaves compared with the spec's comparators).
    pub typed_mean: Option<f64>,
    /// Leaf patterns by their mean typed score, worst first: the fields the model gets wrong.
    pub fields: Vec<LeafRow>,
}

/// One leaf pattern of the typed ANLS* ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeafRow {
    /// The pattern, array indices as `*` (`/*/player_a`, `/customer/name`).
    pub path: String,
    /// Leaves scored at this pattern over the dataset (missing and extra ones score 0).
    pub leaves: usize,
    /// Their mean typed score.
    pub mean: f64,
}

/// The per-example ANLS* scores of a set of examples, kept so that sets merge exactly: the
/// scores as counts per distinct value (quantiles over them are exact), the typed variant's
/// sums in units of 1e-12 (integers, so no sum depends on the order of the examples).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnlsTotals {
    /// Examples too large to score.
    skipped: usize,
    /// Examples scored with a bounded text comparison.
    #[serde(default)]
    approximated: usize,
    /// Plain scores: (score, how many examples had it), by score.
    #[serde(with = "pairs")]
    scores: BTreeMap<OrderedScore, usize>,
    /// Examples with a typed score, and the sum of their typed scores in units of 1e-12.
    typed_scored: usize,
    typed_e12: i64,
    /// Per leaf pattern: (sum of typed leaf scores in units of 1e-12, leaves).
    typed_leaves: BTreeMap<String, (i64, usize)>,
}

/// A score in [0, 1] as a map key ordered like the number.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
struct OrderedScore(f64);

impl PartialEq for OrderedScore {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for OrderedScore {}

impl PartialOrd for OrderedScore {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedScore {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

fn e12(score: f64) -> i64 {
    (score * crate::resample::ANLS_UNIT).round() as i64
}

impl AnlsTotals {
    /// Adds one example's plain score (`None`: too large to score) and typed score, and
    /// whether they rest on a bounded text comparison.
    pub fn add(
        &mut self,
        plain: Option<f64>,
        typed: Option<&(f64, crate::anls::LeafScores)>,
        approximated: bool,
    ) {
        self.approximated += usize::from(approximated);
        match plain {
            Some(score) => *self.scores.entry(OrderedScore(score)).or_default() += 1,
            None => self.skipped += 1,
        }
        if let Some((score, leaves)) = typed {
            self.typed_scored += 1;
            self.typed_e12 += e12(*score);
            for (path, (sum, count)) in leaves {
                let entry = self.typed_leaves.entry(path.clone()).or_default();
                entry.0 += e12(*sum);
                entry.1 += count;
            }
        }
    }

    /// Adds the totals of another, disjoint set of examples.
    pub fn merge(&mut self, other: &AnlsTotals) {
        self.skipped += other.skipped;
        self.approximated += other.approximated;
        add_counts(&mut self.scores, &other.scores);
        self.typed_scored += other.typed_scored;
        self.typed_e12 += other.typed_e12;
        for (path, (sum, count)) in &other.typed_leaves {
            let entry = self.typed_leaves.entry(path.clone()).or_default();
            entry.0 += sum;
            entry.1 += count;
        }
    }

    /// (scored, Σ score × [`ANLS_UNIT`](crate::summary::ANLS_UNIT)) of the plain and then the
    /// typed variant: the counters of `summary.anls_star` and `anls_star_typed`.
    pub fn sums(&self) -> (i64, i64, i64, i64) {
        let scored: usize = self.scores.values().sum();
        let sum_e12: i64 = self
            .scores
            .iter()
            .map(|(score, &n)| e12(score.0) * n as i64)
            .sum();
        (
            scored as i64,
            sum_e12,
            self.typed_scored as i64,
            self.typed_e12,
        )
    }

    /// The distribution, the means and the ranking of leaf patterns.
    pub fn stats(&self) -> AnlsStats {
        let unit = crate::resample::ANLS_UNIT;
        let scored: usize = self.scores.values().sum();
        let sum_e12: i64 = self
            .scores
            .iter()
            .map(|(score, &n)| e12(score.0) * n as i64)
            .sum();
        let mut histogram = vec![0; 10];
        for (score, &n) in &self.scores {
            histogram[((score.0 * 10.0).floor() as usize).min(9)] += n;
        }
        let nth = |rank: usize| -> f64 {
            let mut seen = 0;
            for (score, &n) in &self.scores {
                seen += n;
                if rank < seen {
                    return score.0;
                }
            }
            unreachable!("rank {rank} is below the number of scores")
        };
        let quantile = |q: f64| -> Option<f64> {
            let last = scored.checked_sub(1)?;
            let position = q * last as f64;
            let lo = position.floor() as usize;
            let hi = (lo + 1).min(last);
            let (low, high) = (nth(lo), nth(hi));
            Some(low + (position - lo as f64) * (high - low))
        };
        let mut fields: Vec<LeafRow> = self
            .typed_leaves
            .iter()
            .filter(|(_, (_, n))| *n > 0)
            .map(|(path, &(sum, n))| LeafRow {
                path: path.clone(),
                leaves: n,
                mean: sum as f64 / unit / n as f64,
            })
            .collect();
        fields.sort_by(|a, b| a.mean.total_cmp(&b.mean).then_with(|| a.path.cmp(&b.path)));
        AnlsStats {
            scored,
            skipped: self.skipped,
            approximated: self.approximated,
            mean: (scored > 0).then(|| sum_e12 as f64 / unit / scored as f64),
            median: quantile(0.5),
            p10: quantile(0.1),
            histogram,
            typed_mean: (self.typed_scored > 0)
                .then(|| self.typed_e12 as f64 / unit / self.typed_scored as f64),
            fields,
        }
    }
}

fn sweep_auc(tolerances: &[f64], f1: &[Option<f64>]) -> Option<f64> {
    if tolerances.len() < 2 {
        return f1.first().copied().flatten();
    }
    let range = tolerances[tolerances.len() - 1] - tolerances[0];
    if range <= 0.0 {
        return None;
    }
    let mut area = 0.0;
    for i in 1..tolerances.len() {
        let (a, b) = (f1[i - 1]?, f1[i]?);
        area += (tolerances[i] - tolerances[i - 1]) * (a + b) / 2.0;
    }
    Some(area / range)
}

/// The `rank`-th smallest value (from 0) of values given as counts per distinct value.
fn nth(counts: &BTreeMap<i64, usize>, rank: usize) -> i64 {
    let mut seen = 0;
    for (&value, &n) in counts {
        seen += n;
        if rank < seen {
            return value;
        }
    }
    unreachable!("rank {rank} is below the number of values")
}

/// Linear interpolation between order statistics (numpy's default method), over values given
/// as counts per distinct value.
fn quantile(counts: &BTreeMap<i64, usize>, q: f64) -> Option<f64> {
    let last = counts.values().sum::<usize>().checked_sub(1)?;
    let position = q * last as f64;
    let lo = position.floor() as usize;
    let hi = (lo + 1).min(last);
    let fraction = position - lo as f64;
    let (low, high) = (nth(counts, lo), nth(counts, hi));
    Some(low as f64 + fraction * (high - low) as f64)
}

fn median_signed(dts: &BTreeMap<i64, usize>) -> Option<i64> {
    quantile(dts, 0.5).map(|m| m.round() as i64)
}

fn timestamps(dts_us: &BTreeMap<i64, usize>, tolerance_us: i64) -> Timestamps {
    let n: usize = dts_us.values().sum();
    let mut abs: BTreeMap<i64, usize> = BTreeMap::new();
    for (&dt, &count) in dts_us {
        *abs.entry(dt.abs()).or_default() += count;
    }
    let times = |count: usize| i128::try_from(count).expect("a count fits i128");
    let sum_abs: i128 = abs.iter().map(|(&d, &c)| i128::from(d) * times(c)).sum();
    let sum: i128 = dts_us.iter().map(|(&d, &c)| i128::from(d) * times(c)).sum();
    // Exact in i128 (order-free); only absurd times overflow it, and then f64 is used.
    let sum_sq: f64 = dts_us
        .iter()
        .try_fold(0i128, |acc, (&d, &c)| {
            i128::from(d)
                .checked_mul(i128::from(d))
                .and_then(|sq| sq.checked_mul(times(c)))
                .and_then(|term| acc.checked_add(term))
        })
        .map_or_else(
            || {
                dts_us
                    .iter()
                    .map(|(&d, &c)| (d as f64) * (d as f64) * c as f64)
                    .sum()
            },
            |exact| exact as f64,
        );
    let seconds = |us: f64| us / 1e6;
    let mean = |total: i128| (n > 0).then(|| seconds(total as f64 / n as f64));
    let within = |limit: i64| ratio(abs.range(..=limit).map(|(_, &c)| c).sum(), n);
    Timestamps {
        pairs: n,
        mae: mean(sum_abs),
        rmse: (n > 0).then(|| seconds((sum_sq / n as f64).sqrt())),
        median_abs: quantile(&abs, 0.5).map(seconds),
        p90_abs: quantile(&abs, 0.9).map(seconds),
        max_abs: abs.keys().next_back().map(|&d| seconds(d as f64)),
        bias: mean(sum),
        within_0_5: within(500_000),
        within_1_0: within(1_000_000),
        histogram: histogram(dts_us, tolerance_us),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    fn label(e: Option<&str>, p: Option<&str>) -> LabelOutcome {
        LabelOutcome {
            expected: e.map(Into::into),
            predicted: p.map(Into::into),
        }
    }

    #[test]
    fn binary_known_answer_tp85_fp15_tn90_fn10() {
        let mut totals = Totals::default();
        let cases = [
            (("yes", "yes"), 85),
            (("no", "yes"), 15),
            (("no", "no"), 90),
            (("yes", "no"), 10),
        ];
        for ((e, p), n) in cases {
            for _ in 0..n {
                let outcome = label(Some(e), Some(p));
                totals.add_label(&outcome);
            }
        }
        let m = class_metrics(&totals, &["yes".into(), "no".into()]);
        let yes = &m.classes[0];
        assert_eq!(
            (yes.label.as_str(), yes.tp, yes.fp, yes.fn_, yes.support),
            ("yes", 85, 15, 10, 95)
        );
        let (p, r, f) = (yes.precision.unwrap(), yes.recall.unwrap(), yes.f1.unwrap());
        assert!((p - 0.85).abs() < 1e-12);
        assert!((r - 85.0 / 95.0).abs() < 1e-12);
        assert!((f - 170.0 / 195.0).abs() < 1e-12);
        assert_eq!(format!("{p:.4} {r:.4} {f:.3}"), "0.8500 0.8947 0.872");
        assert_eq!(m.out_of_set, Some(BTreeMap::new()));
        // Nothing out of set: no `(other)` column.
        assert_eq!(m.confusion.matrix, [[85, 10, 0], [15, 90, 0], [0, 0, 0]]);
    }

    fn counted(values: &[i64]) -> BTreeMap<i64, usize> {
        let mut counts = BTreeMap::new();
        for &v in values {
            *counts.entry(v).or_default() += 1;
        }
        counts
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = counted(&[1, 2, 3, 4, 10]);
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert!(close(quantile(&v, 0.9), 7.6));
        assert_eq!(quantile(&counted(&[5]), 0.9), Some(5.0));
        assert_eq!(quantile(&counted(&[]), 0.5), None);
        // Repeated values count once per occurrence: numpy.quantile([1, 1, 1, 9], 0.5) = 1.0.
        assert_eq!(quantile(&counted(&[9, 1, 1, 1]), 0.5), Some(1.0));
        assert!(close(quantile(&counted(&[9, 1, 1, 1]), 0.9), 6.6));
        let t = timestamps(
            &counted(&[-500_000, 1_000_000, 250_000, -1_500_000]),
            2_000_000,
        );
        assert!(close(t.mae, 0.8125));
        assert!(close(t.bias, -0.1875));
        assert!(close(t.median_abs, 0.75));
        assert!(close(t.within_0_5, 0.5));
        assert!(close(t.within_1_0, 0.75));
        assert!(close(t.max_abs, 1.5));
        assert!(close(
            t.rmse,
            ((0.25 + 1.0 + 0.0625 + 2.25) / 4.0f64).sqrt()
        ));
        assert_eq!(timestamps(&counted(&[]), 1).mae, None);
        assert_eq!(t.histogram.counts.iter().sum::<usize>(), 4);
        assert_eq!(t.histogram.edges.len(), HISTOGRAM_BINS + 1);
    }

    #[test]
    fn histogram_bins_are_closed_on_the_left_and_the_last_on_both_sides() {
        let h = histogram(
            &counted(&[-1_000_000, -900_001, 0, 999_999, 1_000_000]),
            1_000_000,
        );
        assert_eq!(h.edges[0].to_string(), "-1");
        assert_eq!(h.edges[10].to_string(), "0");
        assert_eq!(h.edges[20].to_string(), "1");
        assert_eq!(h.counts[0], 2);
        assert_eq!(h.counts[10], 1);
        assert_eq!(h.counts[19], 2);
        assert_eq!(histogram(&counted(&[0, 0]), 0).counts, [2]);
    }

    #[test]
    fn sweep_area_is_the_mean_f1_over_the_grid() {
        assert!(close(
            sweep_auc(&[0.0, 1.0, 3.0], &[Some(0.0), Some(1.0), Some(1.0)]),
            2.5 / 3.0
        ));
        assert_eq!(sweep_auc(&[0.5, 1.0], &[None, Some(1.0)]), None);
    }

    #[test]
    fn a_declared_label_set_is_the_classes_and_undefined_rates_are_left_out() {
        let mut totals = Totals::default();
        for (e, p) in [
            (Some("b"), Some("z")),
            (Some("b"), Some("b")),
            (None, Some("c")),
        ] {
            let outcome = label(e, p);
            totals.add_label(&outcome);
        }
        let m = class_metrics(&totals, &["c".into(), "b".into(), "d".into()]);
        let rows: Vec<(&str, [Option<f64>; 3])> = m
            .classes
            .iter()
            .map(|c| (c.label.as_str(), [c.precision, c.recall, c.f1]))
            .collect();
        assert_eq!(
            rows,
            [
                ("c", [Some(0.0), None, Some(0.0)]),
                ("b", [Some(1.0), Some(0.5), Some(2.0 / 3.0)]),
                ("d", [None, None, None]),
            ]
        );
        assert_eq!(m.out_of_set, Some(BTreeMap::from([("z".to_owned(), 1)])));
        assert_eq!(m.confusion.labels, ["c", "b", "d", OTHER_LABEL, NONE_LABEL]);
        assert_eq!(m.confusion.matrix[1], [0, 1, 0, 1, 0]);
        assert_eq!(m.confusion.matrix[4], [1, 0, 0, 0, 0]);
        let a = m.averages;
        // z is a false positive of the pooled precision: 1 right of 3 predictions.
        assert!(close(a.micro.precision, 1.0 / 3.0));
        assert!(close(a.micro.recall, 0.5));
        // d is undefined throughout and c's recall too: left out, not averaged as 0.
        assert!(close(a.macro_.precision, 0.5));
        assert!(close(a.macro_.recall, 0.5));
        assert!(close(a.macro_.f1, 1.0 / 3.0));
        assert!(close(a.weighted.precision, 1.0));
        assert!(close(a.weighted.f1, 2.0 / 3.0));
    }

    #[test]
    fn without_declared_labels_every_label_seen_is_a_class_and_empty_rates_are_zero() {
        let mut totals = Totals::default();
        for outcome in [label(Some("b"), Some("z")), label(Some("a"), None)] {
            totals.add_label(&outcome);
        }
        let m = class_metrics(&totals, &[]);
        let labels: Vec<&str> = m.classes.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["a", "b", "z"]);
        assert_eq!(m.confusion.labels, ["a", "b", "z", "∅"]);
        assert_eq!(m.out_of_set, None);
        assert_eq!(m.classes[2].recall, Some(0.0));
        assert_eq!(m.averages.macro_.f1, Some(0.0));
        assert_eq!(m.averages.micro.f1, Some(0.0));
    }
}
