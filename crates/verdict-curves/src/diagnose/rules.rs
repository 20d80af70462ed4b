//! The rules and their thresholds: the ratio and gap bands, the [`Finding`] a rule yields
//! (rule, severity, numbers, actions), each rule of `docs/curves.md` as a function of the
//! checkpoints, and the run's [`Pattern`] read from the findings.
//!
//! Uses only `measures.rs` of the other diagnosis files.

use serde::Serialize;

use super::measures::{Checkpoint, TrainPoint};
use crate::series::Role;

/// Ratio (valid / train) below this is healthy.
pub const RATIO_HEALTHY: f64 = 1.2;
/// Ratio up to this is mild overfitting.
pub const RATIO_MILD: f64 = 1.5;
/// Ratio up to this is moderate overfitting; above it, severe.
pub const RATIO_MODERATE: f64 = 2.0;
/// Gap (valid − train) below this is small.
pub const GAP_SMALL: f64 = 0.5;
/// Gap above this is large.
pub const GAP_LARGE: f64 = 1.0;
/// Final validation loss above this multiple of the best is the overfitting alert.
pub const FINAL_OVER_BEST: f64 = 1.2;
/// Final validation loss at least this multiple of the best (and at most
/// [`FINAL_OVER_BEST`]) while training loss kept falling: validation loss turned up.
pub const RISE: f64 = 1.05;
/// A plateau: once within this fraction of the best, validation loss improves by less.
pub const PLATEAU_BAND: f64 = 0.02;
/// ... for at least this many further checkpoints.
pub const PLATEAU_MIN_AFTER: usize = 2;
/// A move of validation loss counts for oscillation when it exceeds this fraction.
pub const OSCILLATION_MOVE: f64 = 0.05;
/// Oscillation needs at least this many reversals of direction ...
pub const OSCILLATION_MIN_REVERSALS: usize = 3;
/// ... and at least this share of the possible reversals.
pub const OSCILLATION_SHARE: f64 = 0.5;
/// Training loss at or below this has collapsed to about zero.
pub const COLLAPSE: f64 = 0.05;
/// Training loss that ends at or above this fraction of where it started has stalled.
pub const STALLED: f64 = 0.9;
/// Both losses at or above this are high.
pub const HIGH_LOSS: f64 = 1.5;
/// A ratio above this at the first checkpoint is a large gap from the start.
pub const GAP_FROM_START_RATIO: f64 = 1.5;

/// Generalisation by ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// ratio < 1.2.
    Healthy,
    /// 1.2 <= ratio <= 1.5.
    Mild,
    /// 1.5 < ratio <= 2.0.
    Moderate,
    /// ratio > 2.0.
    Severe,
}

impl Band {
    /// The band of a ratio.
    pub fn of(ratio: f64) -> Band {
        if ratio < RATIO_HEALTHY {
            Band::Healthy
        } else if ratio <= RATIO_MILD {
            Band::Mild
        } else if ratio <= RATIO_MODERATE {
            Band::Moderate
        } else {
            Band::Severe
        }
    }
}

/// Generalisation by gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapBand {
    /// gap < 0.5.
    Small,
    /// 0.5 <= gap <= 1.0.
    Moderate,
    /// gap > 1.0.
    Large,
}

impl GapBand {
    /// The band of a gap.
    pub fn of(gap: f64) -> GapBand {
        if gap < GAP_SMALL {
            GapBand::Small
        } else if gap <= GAP_LARGE {
            GapBand::Moderate
        } else {
            GapBand::Large
        }
    }
}

/// The run's overall shape, from its findings (see [`pattern`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// No warning or alert about the curves.
    Healthy,
    /// Validation loss left training loss behind.
    Overfit,
    /// Both losses stayed high or training loss barely moved.
    Underfit,
    /// Validation loss went up and down.
    Oscillating,
    /// Validation loss stopped improving early.
    Plateau,
    /// No validation loss: nothing to judge generalisation by.
    Unknown,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A fact worth knowing.
    Info,
    /// Something to act on.
    Warning,
    /// Do not ship the final checkpoint as it is.
    Alert,
}

/// The diagnosis rules (documented in `docs/curves.md`, one section each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Ratio band at the final checkpoint.
    Generalisation,
    /// Gap band at the final checkpoint.
    Gap,
    /// The checkpoint with the lowest validation loss.
    BestCheckpoint,
    /// Final validation loss above 1.2 × the best.
    FinalAboveBest,
    /// Validation loss turned up while training loss kept falling.
    ValidRising,
    /// Validation loss stopped improving.
    Plateau,
    /// Validation loss goes up and down.
    Oscillation,
    /// Training loss collapsed to about zero.
    TrainCollapse,
    /// Training loss barely decreased.
    TrainStalled,
    /// Both losses stayed high.
    BothHigh,
    /// Large ratio already at the first checkpoint.
    GapFromStart,
    /// Where early stopping would have stopped.
    EarlyStopping,
    /// The best checkpoint is not among the deployable ones.
    NotDeployable,
    /// Which checkpoints the provider keeps is not known from the file.
    DeployableUnknown,
    /// The file has no validation loss.
    NoValidation,
    /// The task metric and validation loss pick different checkpoints.
    LossMetricDisagree,
    /// The Hugging Face Trainer's own best checkpoint beside verdict's recommendation.
    TrainerBest,
}

/// What to do about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Train for fewer epochs.
    FewerEpochs,
    /// Train for more epochs.
    MoreEpochs,
    /// Deploy an earlier checkpoint (the recommended one).
    EarlierCheckpoint,
    /// Lower the learning rate (multiplier).
    LowerLearningRate,
    /// Raise the learning rate.
    HigherLearningRate,
    /// Add more, and more diverse, training data.
    MoreData,
    /// Audit the data for inconsistent or noisy examples.
    AuditData,
    /// Increase the batch size.
    LargerBatch,
    /// Use a larger base model or simplify the task.
    LargerModel,
    /// Choose by the task metric rather than validation loss.
    TrustTaskMetric,
    /// Add a validation file to the tuning job.
    AddValidation,
}

/// One diagnosis: the rule, how much it matters, the numbers behind it, what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// How much it matters.
    pub severity: Severity,
    /// The band the rule put the value in (`healthy`, `large`, ...), for banded rules.
    pub band: Option<&'static str>,
    /// The checkpoint the finding is about.
    pub step: Option<u64>,
    /// A second checkpoint it compares with (the final, the recommended, the kept one).
    pub compare_step: Option<u64>,
    /// The measured number.
    pub value: Option<f64>,
    /// The threshold it was compared with.
    pub threshold: Option<f64>,
    /// What to do, most direct first.
    pub actions: Vec<Action>,
    /// The series the finding was read from (`valid_loss`, `full_valid_loss`, `train_loss`);
    /// `null` for findings about the file rather than a curve.
    pub series: Option<Role>,
}

impl Finding {
    pub(super) fn new(rule: Rule, severity: Severity) -> Self {
        Finding {
            rule,
            severity,
            band: None,
            step: None,
            compare_step: None,
            value: None,
            threshold: None,
            actions: Vec::new(),
            series: None,
        }
    }
}

/// Ratio band at the final checkpoint.
pub fn rule_generalisation(last: &Checkpoint) -> Option<Finding> {
    let ratio = last.ratio?;
    let band = Band::of(ratio);
    let (severity, name, actions, threshold) = match band {
        Band::Healthy => (Severity::Info, "healthy", vec![], RATIO_HEALTHY),
        Band::Mild => (Severity::Info, "mild", vec![], RATIO_MILD),
        Band::Moderate => (
            Severity::Warning,
            "moderate",
            vec![Action::FewerEpochs],
            RATIO_MODERATE,
        ),
        Band::Severe => (
            Severity::Alert,
            "severe",
            vec![Action::EarlierCheckpoint, Action::FewerEpochs],
            RATIO_MODERATE,
        ),
    };
    Some(Finding {
        band: Some(name),
        step: Some(last.step),
        value: Some(ratio),
        threshold: Some(threshold),
        actions,
        ..Finding::new(Rule::Generalisation, severity)
    })
}

/// Gap band at the final checkpoint.
pub fn rule_gap(last: &Checkpoint) -> Option<Finding> {
    let gap = last.gap?;
    let (severity, name, actions, threshold) = match GapBand::of(gap) {
        GapBand::Small => (Severity::Info, "small", vec![], GAP_SMALL),
        GapBand::Moderate => (Severity::Info, "moderate", vec![], GAP_LARGE),
        GapBand::Large => (
            Severity::Warning,
            "large",
            vec![Action::FewerEpochs, Action::MoreData],
            GAP_LARGE,
        ),
    };
    Some(Finding {
        band: Some(name),
        step: Some(last.step),
        value: Some(gap),
        threshold: Some(threshold),
        actions,
        ..Finding::new(Rule::Gap, severity)
    })
}

/// Final validation loss above [`FINAL_OVER_BEST`] × the best.
pub fn rule_final_above_best(checkpoints: &[Checkpoint], best: usize) -> Option<Finding> {
    let last = checkpoints.last()?;
    let best_loss = checkpoints[best].valid_loss;
    (best_loss > 0.0 && last.valid_loss > FINAL_OVER_BEST * best_loss).then(|| Finding {
        step: Some(checkpoints[best].step),
        compare_step: Some(last.step),
        value: Some(last.valid_loss / best_loss),
        threshold: Some(FINAL_OVER_BEST),
        actions: vec![Action::EarlierCheckpoint, Action::FewerEpochs],
        ..Finding::new(Rule::FinalAboveBest, Severity::Alert)
    })
}

/// Validation loss turned up by at least [`RISE`] (but not past [`FINAL_OVER_BEST`]) after
/// the best while training loss kept falling.
pub fn rule_valid_rising(checkpoints: &[Checkpoint], best: usize) -> Option<Finding> {
    let last = checkpoints.last()?;
    let b = &checkpoints[best];
    if best + 1 == checkpoints.len() || b.valid_loss <= 0.0 {
        return None;
    }
    let rise = last.valid_loss / b.valid_loss;
    // Training loss must still be falling: a rise of both is divergence, not overfitting.
    let train_fell = match (b.train_loss, last.train_loss) {
        (Some(at_best), Some(at_last)) => at_last < at_best,
        _ => true,
    };
    ((RISE..=FINAL_OVER_BEST).contains(&rise) && train_fell).then(|| Finding {
        step: Some(b.step),
        compare_step: Some(last.step),
        value: Some(rise),
        threshold: Some(RISE),
        actions: vec![Action::EarlierCheckpoint, Action::FewerEpochs],
        ..Finding::new(Rule::ValidRising, Severity::Warning)
    })
}

/// Validation loss came within [`PLATEAU_BAND`] of its best and then, for at least
/// [`PLATEAU_MIN_AFTER`] more checkpoints, neither improved by more than that nor rose past
/// [`RISE`] × the best.
pub fn rule_plateau(checkpoints: &[Checkpoint], best: usize) -> Option<Finding> {
    let best_loss = checkpoints[best].valid_loss;
    let reached = checkpoints
        .iter()
        .position(|c| c.valid_loss <= (1.0 + PLATEAU_BAND) * best_loss)?;
    let after = &checkpoints[reached + 1..];
    let flat =
        after.len() >= PLATEAU_MIN_AFTER && after.iter().all(|c| c.valid_loss < RISE * best_loss);
    let at = &checkpoints[reached];
    (flat && at.valid_loss > 0.0).then(|| Finding {
        step: Some(at.step),
        compare_step: checkpoints.last().map(|c| c.step),
        value: Some((at.valid_loss - best_loss) / at.valid_loss),
        threshold: Some(PLATEAU_BAND),
        actions: vec![Action::FewerEpochs, Action::LowerLearningRate],
        ..Finding::new(Rule::Plateau, Severity::Warning)
    })
}

/// Reversals of direction among the validation loss's significant moves (those larger than
/// [`OSCILLATION_MOVE`] of the value moved from), and how many reversals were possible.
pub fn reversals(values: &[f64]) -> (usize, usize) {
    let signs: Vec<bool> = values
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0], w[1]);
            ((b - a).abs() > OSCILLATION_MOVE * a.abs()).then_some(b > a)
        })
        .collect();
    let reversals = signs.windows(2).filter(|w| w[0] != w[1]).count();
    (reversals, signs.len().saturating_sub(1))
}

/// A validation loss series goes up and down: at least [`OSCILLATION_MIN_REVERSALS`]
/// reversals, and at least [`OSCILLATION_SHARE`] of those possible. `values` are the series'
/// values in step order, `series` the column they come from.
pub fn rule_oscillation(values: &[f64], series: Role) -> Option<Finding> {
    let (count, possible) = reversals(values);
    // The share is compared as count / possible >= share, without a division by zero.
    let fires =
        count >= OSCILLATION_MIN_REVERSALS && (count as f64) >= OSCILLATION_SHARE * possible as f64;
    fires.then(|| Finding {
        value: Some(count as f64),
        threshold: Some(OSCILLATION_MIN_REVERSALS as f64),
        actions: vec![
            Action::LargerBatch,
            Action::AuditData,
            Action::LowerLearningRate,
        ],
        series: Some(series),
        ..Finding::new(Rule::Oscillation, Severity::Warning)
    })
}

/// Training loss at the end (smoothed when per step) at or below [`COLLAPSE`].
pub fn rule_train_collapse(final_train: Option<(u64, f64)>) -> Option<Finding> {
    let (step, loss) = final_train?;
    (loss <= COLLAPSE).then(|| Finding {
        step: Some(step),
        value: Some(loss),
        threshold: Some(COLLAPSE),
        actions: vec![Action::LowerLearningRate, Action::MoreData],
        ..Finding::new(Rule::TrainCollapse, Severity::Warning)
    })
}

/// Training loss ended at or above [`STALLED`] × its first value.
pub fn rule_train_stalled(
    curve: &[TrainPoint],
    final_train: Option<(u64, f64)>,
) -> Option<Finding> {
    let first = curve.first()?;
    let (step, last) = final_train?;
    if curve.len() < 2 || first.loss <= 0.0 {
        return None;
    }
    let kept = last / first.loss;
    (kept >= STALLED).then(|| Finding {
        step: Some(step),
        value: Some(kept),
        threshold: Some(STALLED),
        actions: vec![Action::HigherLearningRate, Action::AuditData],
        ..Finding::new(Rule::TrainStalled, Severity::Warning)
    })
}

/// Final training loss and best validation loss both at or above [`HIGH_LOSS`].
pub fn rule_both_high(final_train: Option<(u64, f64)>, best: &Checkpoint) -> Option<Finding> {
    let (step, train) = final_train?;
    (train >= HIGH_LOSS && best.valid_loss >= HIGH_LOSS).then(|| Finding {
        step: Some(step),
        compare_step: Some(best.step),
        value: Some(best.valid_loss),
        threshold: Some(HIGH_LOSS),
        actions: vec![Action::MoreData, Action::MoreEpochs, Action::LargerModel],
        ..Finding::new(Rule::BothHigh, Severity::Warning)
    })
}

/// Ratio above [`GAP_FROM_START_RATIO`] already at the first checkpoint.
pub fn rule_gap_from_start(first: &Checkpoint) -> Option<Finding> {
    let ratio = first.ratio?;
    (ratio > GAP_FROM_START_RATIO).then(|| Finding {
        step: Some(first.step),
        value: Some(ratio),
        threshold: Some(GAP_FROM_START_RATIO),
        actions: vec![Action::MoreData, Action::AuditData],
        ..Finding::new(Rule::GapFromStart, Severity::Warning)
    })
}

/// The run's shape: the first of oscillating, overfit, underfit and plateau that a warning or
/// alert points to, else healthy (unknown without validation loss).
pub fn pattern(findings: &[Finding], has_validation: bool) -> Pattern {
    if !has_validation {
        return Pattern::Unknown;
    }
    let shape = |f: &Finding| match f.rule {
        Rule::Oscillation => Some(Pattern::Oscillating),
        Rule::Generalisation
        | Rule::Gap
        | Rule::FinalAboveBest
        | Rule::ValidRising
        | Rule::GapFromStart => Some(Pattern::Overfit),
        Rule::BothHigh | Rule::TrainStalled => Some(Pattern::Underfit),
        Rule::Plateau => Some(Pattern::Plateau),
        _ => None,
    };
    let shapes: Vec<Pattern> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .filter_map(shape)
        .collect();
    [
        Pattern::Oscillating,
        Pattern::Overfit,
        Pattern::Underfit,
        Pattern::Plateau,
    ]
    .into_iter()
    .find(|p| shapes.contains(p))
    .unwrap_or(Pattern::Healthy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_at_their_boundaries() {
        assert_eq!(Band::of(1.19), Band::Healthy);
        assert_eq!(Band::of(1.2), Band::Mild);
        assert_eq!(Band::of(1.5), Band::Mild);
        assert_eq!(Band::of(1.51), Band::Moderate);
        assert_eq!(Band::of(2.0), Band::Moderate);
        assert_eq!(Band::of(2.01), Band::Severe);
        assert_eq!(GapBand::of(0.49), GapBand::Small);
        assert_eq!(GapBand::of(0.5), GapBand::Moderate);
        assert_eq!(GapBand::of(1.0), GapBand::Moderate);
        assert_eq!(GapBand::of(1.01), GapBand::Large);
    }
}
