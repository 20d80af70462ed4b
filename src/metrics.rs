//! Folds per-example outcomes into the dataset's metrics.
//!
//! Accumulation is integer-only (counts, microsecond sums in `i128`), done sequentially in
//! example order, so every figure is exact and independent of thread count; floating point
//! appears only in the final divisions. Definitions are in `docs/metrics.md`; the per-class
//! figures follow scikit-learn's `precision_recall_fscore_support` with `zero_division=0` and
//! sed_eval's class-wise event-based metrics.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::fields::{Outcome, PlayerDiff};
use crate::outcome::{EventOutcome, LabelOutcome};
use crate::spec::{Comparator, FieldSpec};

/// The label standing for "no event" / "no label" in the confusion matrix.
pub const NONE_LABEL: &str = "∅";

/// Counts for one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
    /// tp / predicted, 0 when predicted is 0.
    pub precision: f64,
    /// tp / support, 0 when support is 0.
    pub recall: f64,
    /// 2·tp / (predicted + support), 0 when both are 0.
    pub f1: f64,
}

/// `confusion` in report.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Row and column labels: the class labels, then `∅`.
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
/// [edges[i], edges[i+1]), the last bin is closed on the right.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// Bin edges in seconds, one more than the bins.
    pub edges: Vec<f64>,
    /// Pairs per bin.
    pub counts: Vec<usize>,
}

fn histogram(dts_us: &[i64], tolerance_us: i64) -> Histogram {
    let bins = if tolerance_us > 0 { HISTOGRAM_BINS } else { 1 };
    let width = i128::from(tolerance_us.max(1)) * 2;
    let mut counts = vec![0; bins];
    for &dt in dts_us {
        let offset = i128::from(dt) + i128::from(tolerance_us);
        let bin = (offset * bins as i128 / width).clamp(0, bins as i128 - 1) as usize;
        counts[bin] += 1;
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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

/// Running totals over the examples of a run.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    classes: BTreeMap<String, ClassCounts>,
    confusion: BTreeMap<(Option<String>, Option<String>), usize>,
    dts_us: Vec<i64>,
    fields: Vec<FieldCounts>,
    sweep_tp: Vec<usize>,
    offset_dts_us: Vec<i64>,
    counts: EventCounts,
    examples: usize,
    perfect: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct FieldCounts {
    compared: usize,
    correct: usize,
    one_sided: usize,
    player: PlayerErrors,
}

impl Totals {
    fn class(&mut self, label: &str) -> &mut ClassCounts {
        if !self.classes.contains_key(label) {
            self.classes
                .insert(label.to_owned(), ClassCounts::default());
        }
        self.classes.get_mut(label).expect("inserted above")
    }

    fn confuse(&mut self, expected: Option<&str>, predicted: Option<&str>) {
        *self
            .confusion
            .entry((expected.map(str::to_owned), predicted.map(str::to_owned)))
            .or_default() += 1;
    }

    /// Adds one example's event outcome; `valid_json` is whether its output counts as valid
    /// JSON for exact match.
    pub fn add_events(&mut self, outcome: &EventOutcome, valid_json: bool) {
        self.examples += 1;
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
            self.class(&pair.expected_label).support += 1;
            self.class(&pair.predicted_label).predicted += 1;
            if pair.same_label() {
                self.class(&pair.expected_label).tp += 1;
            }
            self.confuse(Some(&pair.expected_label), Some(&pair.predicted_label));
            self.dts_us.push(pair.dt_us);
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
        self.offset_dts_us.extend_from_slice(&outcome.offset_dts_us);
        if self.sweep_tp.len() < outcome.sweep_tp.len() {
            self.sweep_tp.resize(outcome.sweep_tp.len(), 0);
        }
        for (total, tp) in self.sweep_tp.iter_mut().zip(&outcome.sweep_tp) {
            *total += tp;
        }
        self.perfect += usize::from(outcome.exact(valid_json));
    }

    /// Adds one single-label example.
    pub fn add_label(&mut self, outcome: &LabelOutcome, valid_json: bool) {
        self.examples += 1;
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
        self.perfect += usize::from(outcome.exact(valid_json));
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

fn ratio_or_zero(numerator: usize, denominator: usize) -> f64 {
    ratio(numerator, denominator).unwrap_or(0.0)
}

/// The class-level metrics of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassMetrics {
    /// Per class, in label order.
    pub classes: Vec<ClassRow>,
    /// The confusion matrix.
    pub confusion: Confusion,
    /// Micro precision Σtp / Σpredicted.
    pub micro_precision: Option<f64>,
    /// Micro recall Σtp / Σsupport.
    pub micro_recall: Option<f64>,
    /// Micro F1 2·Σtp / (Σpredicted + Σsupport).
    pub micro_f1: Option<f64>,
    /// Unweighted mean of per-class precision.
    pub macro_precision: Option<f64>,
    /// Unweighted mean of per-class recall.
    pub macro_recall: Option<f64>,
    /// Unweighted mean of per-class F1.
    pub macro_f1: Option<f64>,
    /// Support-weighted mean of per-class F1.
    pub weighted_f1: Option<f64>,
    /// Share of examples that are exactly right.
    pub exact_match: Option<f64>,
}

/// The label order of reports: the spec's labels as listed, then every other label seen,
/// sorted.
fn label_order(spec_labels: &[String], seen: &BTreeMap<String, ClassCounts>) -> Vec<String> {
    let listed: BTreeSet<&String> = spec_labels.iter().collect();
    let mut labels: Vec<String> = Vec::new();
    for label in spec_labels {
        if !labels.contains(label) {
            labels.push(label.clone());
        }
    }
    labels.extend(seen.keys().filter(|l| !listed.contains(l)).cloned());
    labels
}

/// Per-class rows, averages and the confusion matrix.
pub fn class_metrics(totals: &Totals, spec_labels: &[String]) -> ClassMetrics {
    let labels = label_order(spec_labels, &totals.classes);
    let classes: Vec<ClassRow> = labels
        .iter()
        .map(|label| {
            let c = totals.classes.get(label).copied().unwrap_or_default();
            ClassRow {
                label: label.clone(),
                support: c.support,
                predicted: c.predicted,
                tp: c.tp,
                fp: c.predicted - c.tp,
                fn_: c.support - c.tp,
                precision: ratio_or_zero(c.tp, c.predicted),
                recall: ratio_or_zero(c.tp, c.support),
                f1: ratio_or_zero(2 * c.tp, c.predicted + c.support),
            }
        })
        .collect();

    let index: BTreeMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let none = labels.len();
    let mut matrix = vec![vec![0; labels.len() + 1]; labels.len() + 1];
    for ((e, p), count) in &totals.confusion {
        let row = e.as_deref().map_or(none, |l| index[l]);
        let col = p.as_deref().map_or(none, |l| index[l]);
        matrix[row][col] += count;
    }
    let mut confusion_labels = labels.clone();
    confusion_labels.push(NONE_LABEL.to_owned());

    let (tp, predicted, support) = totals.micro();
    let n = classes.len();
    let mean =
        |f: fn(&ClassRow) -> f64| (n > 0).then(|| classes.iter().map(f).sum::<f64>() / n as f64);
    let weighted_f1 = (support > 0)
        .then(|| classes.iter().map(|c| c.f1 * c.support as f64).sum::<f64>() / support as f64);
    ClassMetrics {
        micro_precision: ratio(tp, predicted),
        micro_recall: ratio(tp, support),
        micro_f1: ratio(2 * tp, predicted + support),
        macro_precision: mean(|c| c.precision),
        macro_recall: mean(|c| c.recall),
        macro_f1: mean(|c| c.f1),
        weighted_f1,
        exact_match: ratio(totals.perfect, totals.examples),
        classes,
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
        median_offset_us: median_signed(&totals.offset_dts_us),
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

/// Adds the typed variant's mean and ranking to the stats. Sums are kept in units of 1e-12,
/// as for the plain mean, so they do not depend on the order of the examples.
pub fn add_typed(stats: &mut AnlsStats, typed: &[Option<&(f64, crate::anls::LeafScores)>]) {
    let unit = crate::resample::ANLS_UNIT;
    let scored: Vec<&(f64, crate::anls::LeafScores)> = typed.iter().flatten().copied().collect();
    let total: i64 = scored.iter().map(|(s, _)| (s * unit).round() as i64).sum();
    stats.typed_mean = (!scored.is_empty()).then(|| total as f64 / unit / scored.len() as f64);
    let mut by_path: BTreeMap<&str, (i64, usize)> = BTreeMap::new();
    for (_, leaves) in &scored {
        for (path, (sum, count)) in leaves {
            let entry = by_path.entry(path.as_str()).or_default();
            entry.0 += (sum * unit).round() as i64;
            entry.1 += count;
        }
    }
    let mut rows: Vec<LeafRow> = by_path
        .into_iter()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(path, (sum, n))| LeafRow {
            path: path.to_owned(),
            leaves: n,
            mean: sum as f64 / unit / n as f64,
        })
        .collect();
    rows.sort_by(|a, b| a.mean.total_cmp(&b.mean).then_with(|| a.path.cmp(&b.path)));
    stats.fields = rows;
}

/// Distribution of per-example ANLS* scores, in example order; `None` entries were skipped.
/// The mean is computed from the scores in units of 1e-12, exactly as the intervals do.
pub fn anls_stats(scores: &[Option<f64>]) -> AnlsStats {
    let values: Vec<f64> = scores.iter().flatten().copied().collect();
    let sum_e12: i64 = values
        .iter()
        .map(|s| (s * crate::resample::ANLS_UNIT).round() as i64)
        .sum();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let mut histogram = vec![0; 10];
    for v in &values {
        histogram[((v * 10.0).floor() as usize).min(9)] += 1;
    }
    let quantile = |q: f64| -> Option<f64> {
        let last = sorted.len().checked_sub(1)?;
        let position = q * last as f64;
        let lo = position.floor() as usize;
        let hi = (lo + 1).min(last);
        Some(sorted[lo] + (position - lo as f64) * (sorted[hi] - sorted[lo]))
    };
    AnlsStats {
        scored: values.len(),
        skipped: scores.len() - values.len(),
        mean: (!values.is_empty())
            .then(|| sum_e12 as f64 / crate::resample::ANLS_UNIT / values.len() as f64),
        median: quantile(0.5),
        p10: quantile(0.1),
        histogram,
        typed_mean: None,
        fields: Vec::new(),
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

/// Linear interpolation between order statistics of sorted values (numpy's default method).
fn quantile(sorted: &[i64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = q * last as f64;
    let lo = position.floor() as usize;
    let hi = (lo + 1).min(last);
    let fraction = position - lo as f64;
    Some(sorted[lo] as f64 + fraction * (sorted[hi] - sorted[lo]) as f64)
}

fn median_signed(dts: &[i64]) -> Option<i64> {
    let mut sorted = dts.to_vec();
    sorted.sort_unstable();
    quantile(&sorted, 0.5).map(|m| m.round() as i64)
}

fn timestamps(dts_us: &[i64], tolerance_us: i64) -> Timestamps {
    let n = dts_us.len();
    let mut abs: Vec<i64> = dts_us.iter().map(|d| d.abs()).collect();
    abs.sort_unstable();
    let sum_abs: i128 = abs.iter().map(|&d| i128::from(d)).sum();
    let sum: i128 = dts_us.iter().map(|&d| i128::from(d)).sum();
    // Exact in i128 (order-free); only absurd times overflow it, and then f64 is used.
    let sum_sq: f64 = dts_us
        .iter()
        .try_fold(0i128, |acc, &d| {
            acc.checked_add(i128::from(d) * i128::from(d))
        })
        .map_or_else(
            || dts_us.iter().map(|&d| (d as f64) * (d as f64)).sum(),
            |exact| exact as f64,
        );
    let seconds = |us: f64| us / 1e6;
    let mean = |total: i128| (n > 0).then(|| seconds(total as f64 / n as f64));
    let within = |limit: i64| ratio(abs.iter().filter(|&&d| d <= limit).count(), n);
    Timestamps {
        pairs: n,
        mae: mean(sum_abs),
        rmse: (n > 0).then(|| seconds((sum_sq / n as f64).sqrt())),
        median_abs: quantile(&abs, 0.5).map(seconds),
        p90_abs: quantile(&abs, 0.9).map(seconds),
        max_abs: abs.last().map(|&d| seconds(d as f64)),
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
                totals.add_label(&label(Some(e), Some(p)), true);
            }
        }
        let m = class_metrics(&totals, &["yes".into(), "no".into()]);
        let yes = &m.classes[0];
        assert_eq!(
            (yes.label.as_str(), yes.tp, yes.fp, yes.fn_, yes.support),
            ("yes", 85, 15, 10, 95)
        );
        assert!((yes.precision - 0.85).abs() < 1e-12);
        assert!((yes.recall - 85.0 / 95.0).abs() < 1e-12);
        assert!((yes.f1 - 170.0 / 195.0).abs() < 1e-12);
        assert_eq!(
            format!("{:.4} {:.4} {:.3}", yes.precision, yes.recall, yes.f1),
            "0.8500 0.8947 0.872"
        );
        assert!(close(m.exact_match, 175.0 / 200.0));
        assert_eq!(m.confusion.matrix, [[85, 10, 0], [15, 90, 0], [0, 0, 0]]);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1, 2, 3, 4, 10];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert!(close(quantile(&v, 0.9), 7.6));
        assert_eq!(quantile(&[5], 0.9), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
        let t = timestamps(&[-500_000, 1_000_000, 250_000, -1_500_000], 2_000_000);
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
        assert_eq!(timestamps(&[], 1).mae, None);
        assert_eq!(t.histogram.counts.iter().sum::<usize>(), 4);
        assert_eq!(t.histogram.edges.len(), HISTOGRAM_BINS + 1);
    }

    #[test]
    fn histogram_bins_are_closed_on_the_left_and_the_last_on_both_sides() {
        let h = histogram(&[-1_000_000, -900_001, 0, 999_999, 1_000_000], 1_000_000);
        assert_eq!(h.edges[0].to_string(), "-1");
        assert_eq!(h.edges[10].to_string(), "0");
        assert_eq!(h.edges[20].to_string(), "1");
        assert_eq!(h.counts[0], 2);
        assert_eq!(h.counts[10], 1);
        assert_eq!(h.counts[19], 2);
        assert_eq!(histogram(&[0, 0], 0).counts, [2]);
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
    fn labels_follow_the_spec_then_the_data() {
        let mut totals = Totals::default();
        totals.add_label(&label(Some("b"), Some("z")), true);
        totals.add_label(&label(Some("a"), None), true);
        let m = class_metrics(&totals, &["c".into(), "b".into()]);
        let labels: Vec<&str> = m.classes.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["c", "b", "a", "z"]);
        assert_eq!(m.confusion.labels, ["c", "b", "a", "z", "∅"]);
        // c has no support and no predictions: all zero, and it still counts in the macro mean.
        assert_eq!(m.macro_f1, Some(0.0));
        assert_eq!(m.micro_f1, Some(0.0));
    }
}
