//! The numbers and the rules: picks each run's checkpoints, computes gap, ratio, perplexity
//! and the smoothed training loss, and applies the diagnosis rules of `docs/curves.md`.
//!
//! Everything here is computation on plain data. A [`Finding`] carries a rule, a severity, the
//! numbers behind it and the recommended actions; the sentences are the renderers' business.

use serde::Serialize;

use super::{Format, Point, Role, Series};

/// Weight of the previous smoothed value in the EMA of per-step training loss (TensorBoard's
/// "smoothing" slider at 0.9): each value counts 10 % and the average reaches back about ten
/// steps.
pub const EMA_WEIGHT: f64 = 0.9;
/// Training loss is smoothed only when it is logged more than this many times as often as the
/// validation loss: a per-checkpoint series is not noise to average away.
pub const DENSE_FACTOR: usize = 2;
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
/// OpenAI and Azure keep the checkpoints of the last this many epochs.
pub const PROVIDER_KEEPS: usize = 3;

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
}

impl Finding {
    fn new(rule: Rule, severity: Severity) -> Self {
        Finding {
            rule,
            severity,
            band: None,
            step: None,
            compare_step: None,
            value: None,
            threshold: None,
            actions: Vec::new(),
        }
    }
}

/// One checkpoint: a step where validation loss was measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    /// The step.
    pub step: u64,
    /// The epoch, when the file gives one.
    pub epoch: Option<f64>,
    /// Training loss used for gap and ratio: the EMA at this step when training loss is
    /// logged per step (`train_smoothed`), else the value logged with the checkpoint.
    pub train_loss: Option<f64>,
    /// Training loss as logged at this step, if it was.
    pub train_loss_raw: Option<f64>,
    /// Validation loss (the run's `validation` column).
    pub valid_loss: f64,
    /// valid − train.
    pub gap: Option<f64>,
    /// valid / train; `null` when train <= 0.
    pub ratio: Option<f64>,
    /// e^train_loss.
    pub train_perplexity: Option<f64>,
    /// e^valid_loss.
    pub valid_perplexity: Option<f64>,
    /// Training token accuracy at this step.
    pub train_accuracy: Option<f64>,
    /// Validation token accuracy, from the same pass as `valid_loss`.
    pub valid_accuracy: Option<f64>,
    /// Whether the provider keeps this checkpoint; `null` when not known.
    pub deployable: Option<bool>,
    /// Whether this is the lowest validation loss (the first, on a tie).
    pub best: bool,
}

/// One training-loss point, raw and smoothed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainPoint {
    /// The step.
    pub step: u64,
    /// As logged.
    pub loss: f64,
    /// Debiased EMA up to and including this step.
    pub smoothed: f64,
}

/// Which checkpoints can be deployed, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployRule {
    /// Every checkpoint (Vertex AI, mapped files).
    All,
    /// Every checkpoint listed: the OpenAI checkpoint list holds only kept ones.
    Listed,
    /// The provider keeps the last `count` epochs (OpenAI and Azure result files).
    ProviderLast,
    /// `--deployable-last`.
    OptionLast,
    /// The file does not mark epoch ends, so which checkpoints are kept is not known.
    Unknown,
}

/// `deployable` in curves.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deployable {
    /// The rule.
    pub rule: DeployRule,
    /// How many of the last checkpoints, for the `*_last` rules.
    pub count: Option<usize>,
}

/// What early stopping with the given patience would have done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EarlyStop {
    /// Checkpoints without improvement before stopping.
    pub patience: usize,
    /// The checkpoint at which training would stop; `null` when it would run to the end.
    pub stop_step: Option<u64>,
    /// The checkpoint it would keep (the best up to the stop).
    pub kept_step: u64,
    /// Checkpoints after the stop that would not be trained.
    pub checkpoints_saved: usize,
    /// Whether a checkpoint after the stop had a lower validation loss than the kept one.
    pub missed_better: bool,
}

/// One scored checkpoint beside its validation loss.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskRow {
    /// The checkpoint.
    pub step: u64,
    /// The report it was read from.
    pub report: String,
    /// The task metric; `null` when the report has it null.
    pub value: Option<f64>,
    /// The checkpoint's validation loss.
    pub valid_loss: f64,
    /// 1 = best by the task metric (ties share a rank); `null` when the value is.
    pub metric_rank: Option<usize>,
    /// 1 = lowest validation loss among the scored checkpoints.
    pub loss_rank: usize,
}

/// `task_metric` in curves.json: checkpoints ranked by the task metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskMetric {
    /// The metric's dotted path in the reports.
    pub metric: String,
    /// Whether a higher value is better.
    pub higher_is_better: bool,
    /// By metric rank, then by step.
    pub rows: Vec<TaskRow>,
    /// The best checkpoint by the metric (the lowest loss among ties).
    pub best_by_metric: Option<u64>,
    /// The scored checkpoint with the lowest validation loss.
    pub best_by_loss: u64,
    /// Whether the loss-best checkpoint also has the best metric value; `null` when no
    /// report has a value.
    pub agree: Option<bool>,
}

/// `summary` in curves.json: the headline numbers of a run, every one gateable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// The run's shape.
    pub pattern: Pattern,
    /// Checkpoints (steps with a validation loss).
    pub checkpoints: usize,
    /// The last step of the run.
    pub last_step: Option<u64>,
    /// The lowest validation loss's checkpoint.
    pub best_step: Option<u64>,
    /// Its validation loss.
    pub best_valid_loss: Option<f64>,
    /// The checkpoint to deploy: the best deployable one.
    pub recommended_step: Option<u64>,
    /// Its validation loss.
    pub recommended_valid_loss: Option<f64>,
    /// The last checkpoint.
    pub final_step: Option<u64>,
    /// Training loss at the last checkpoint (as used for gap and ratio).
    pub final_train_loss: Option<f64>,
    /// Validation loss at the last checkpoint.
    pub final_valid_loss: Option<f64>,
    /// e^final_valid_loss.
    pub final_valid_perplexity: Option<f64>,
    /// Validation token accuracy at the last checkpoint.
    pub final_valid_accuracy: Option<f64>,
    /// valid / train at the last checkpoint.
    pub ratio: Option<f64>,
    /// valid − train at the last checkpoint.
    pub gap: Option<f64>,
    /// The ratio's band.
    pub generalisation: Option<Band>,
    /// The gap's band.
    pub gap_band: Option<GapBand>,
    /// final_valid_loss / best_valid_loss.
    pub final_over_best: Option<f64>,
    /// Where early stopping would stop; `null` when it would not.
    pub early_stop_step: Option<u64>,
    /// The best checkpoint by the task metric (`--scores`).
    pub metric_best_step: Option<u64>,
    /// Alerts among the findings.
    pub alerts: usize,
    /// Warnings among the findings.
    pub warnings: usize,
}

/// One run, diagnosed: `runs[]` in curves.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// The run's name (its file, as given).
    pub name: String,
    /// The files read.
    pub files: Vec<String>,
    /// The format detected.
    pub format: Format,
    /// Whether a file was base64-encoded.
    pub base64: bool,
    /// The column the checkpoints' validation loss comes from: `full_valid_loss` when the
    /// run has it, else `valid_loss`; `null` without validation.
    pub validation: Option<Role>,
    /// Whether the training loss at checkpoints is the EMA of per-step values.
    pub train_smoothed: bool,
    /// Which checkpoints can be deployed.
    pub deployable: Deployable,
    /// The headline numbers.
    pub summary: RunSummary,
    /// Every checkpoint, by step.
    pub checkpoints: Vec<Checkpoint>,
    /// Every training-loss point, raw and smoothed.
    pub train_curve: Vec<TrainPoint>,
    /// The diagnosis, in rule order.
    pub findings: Vec<Finding>,
    /// What early stopping would have done; `null` without checkpoints.
    pub early_stopping: Option<EarlyStop>,
    /// Checkpoints ranked by the task metric, with `--scores`.
    pub task_metric: Option<TaskMetric>,
}

/// Debiased exponential moving average: `s_i = w·s_(i−1) + (1−w)·x_i`, divided by `1 − w^i`
/// so that early values are not pulled towards the zero it starts from.
pub fn ema(values: &[f64], weight: f64) -> Vec<f64> {
    let mut state = 0.0;
    let mut decay = 1.0;
    values
        .iter()
        .map(|&x| {
            state = weight * state + (1.0 - weight) * x;
            decay *= weight;
            state / (1.0 - decay)
        })
        .collect()
}

fn exp(loss: f64) -> Option<f64> {
    Some(loss.exp()).filter(|p| p.is_finite())
}

/// The last item whose step is <= `step`, in a slice sorted by step.
fn at_or_before<T>(items: &[T], step: u64, key: impl Fn(&T) -> u64) -> Option<&T> {
    let after = items.partition_point(|item| key(item) <= step);
    after.checked_sub(1).map(|i| &items[i])
}

/// Builds the checkpoints of a series. Returns them, the training curve, whether the
/// training loss was smoothed, and the validation column used.
fn checkpoints(series: &Series) -> (Vec<Checkpoint>, Vec<TrainPoint>, bool, Option<Role>) {
    let train: Vec<(u64, f64)> = series
        .points
        .iter()
        .filter_map(|p| p.train_loss.map(|l| (p.step, l)))
        .collect();
    let smoothed = ema(&train.iter().map(|t| t.1).collect::<Vec<_>>(), EMA_WEIGHT);
    let curve: Vec<TrainPoint> = train
        .iter()
        .zip(&smoothed)
        .map(|(&(step, loss), &smoothed)| TrainPoint {
            step,
            loss,
            smoothed,
        })
        .collect();
    // The full pass is the more accurate number, measured at epoch ends; the batch estimate
    // is used only when the run has no full pass.
    let (loss_role, acc_role) = if series.points.iter().any(|p| p.full_valid_loss.is_some()) {
        (Role::FullValidLoss, Role::FullValidAccuracy)
    } else if series.points.iter().any(|p| p.valid_loss.is_some()) {
        (Role::ValidLoss, Role::ValidAccuracy)
    } else {
        return (Vec::new(), curve, false, None);
    };
    let at: Vec<&Point> = series
        .points
        .iter()
        .filter(|p| p.get(loss_role).is_some())
        .collect();
    let dense = train.len() > DENSE_FACTOR * at.len();
    let train_accuracy: Vec<(u64, f64)> = series
        .points
        .iter()
        .filter_map(|p| p.train_accuracy.map(|a| (p.step, a)))
        .collect();
    let checkpoints = at
        .iter()
        .map(|p| {
            let valid = p.get(loss_role).unwrap_or_default();
            let used = if dense {
                at_or_before(&curve, p.step, |t| t.step).map(|t| t.smoothed)
            } else {
                p.train_loss
            };
            let train_acc = if dense {
                at_or_before(&train_accuracy, p.step, |t| t.0).map(|t| t.1)
            } else {
                p.train_accuracy
            };
            Checkpoint {
                step: p.step,
                epoch: p.epoch,
                train_loss: used,
                train_loss_raw: p.train_loss,
                valid_loss: valid,
                gap: used.map(|t| valid - t),
                ratio: used.filter(|t| *t > 0.0).map(|t| valid / t),
                train_perplexity: used.and_then(exp),
                valid_perplexity: exp(valid),
                train_accuracy: train_acc,
                valid_accuracy: p.get(acc_role),
                deployable: None,
                best: false,
            }
        })
        .collect();
    (checkpoints, curve, dense, Some(loss_role))
}

/// The index of the lowest validation loss (the first on a tie).
pub fn best_index(checkpoints: &[Checkpoint]) -> Option<usize> {
    checkpoints
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.valid_loss.total_cmp(&b.1.valid_loss))
        .map(|(i, _)| i)
}

/// Which checkpoints are deployable, by `--deployable-last` or the provider's rule.
fn deployability(format: Format, validation: Option<Role>, option: Option<usize>) -> Deployable {
    match (option, format) {
        (Some(n), _) => Deployable {
            rule: DeployRule::OptionLast,
            count: Some(n),
        },
        (None, Format::OpenaiResults | Format::AzureResults) => {
            // Full-pass validation is logged once per epoch, at its end: those rows are the
            // epochs' checkpoints. Without them the file does not say where epochs end.
            if validation == Some(Role::FullValidLoss) {
                Deployable {
                    rule: DeployRule::ProviderLast,
                    count: Some(PROVIDER_KEEPS),
                }
            } else {
                Deployable {
                    rule: DeployRule::Unknown,
                    count: None,
                }
            }
        }
        (None, Format::OpenaiCheckpoints) => Deployable {
            rule: DeployRule::Listed,
            count: None,
        },
        (None, Format::VertexTensorboard | Format::Mapped) => Deployable {
            rule: DeployRule::All,
            count: None,
        },
    }
}

fn mark_deployable(checkpoints: &mut [Checkpoint], deployable: Deployable) {
    let n = checkpoints.len();
    for (i, c) in checkpoints.iter_mut().enumerate() {
        c.deployable = match (deployable.rule, deployable.count) {
            (DeployRule::Unknown, _) => None,
            (DeployRule::ProviderLast | DeployRule::OptionLast, Some(k)) => Some(i + k >= n),
            _ => Some(true),
        };
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
pub fn reversals(checkpoints: &[Checkpoint]) -> (usize, usize) {
    let signs: Vec<bool> = checkpoints
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0].valid_loss, w[1].valid_loss);
            ((b - a).abs() > OSCILLATION_MOVE * a.abs()).then_some(b > a)
        })
        .collect();
    let reversals = signs.windows(2).filter(|w| w[0] != w[1]).count();
    (reversals, signs.len().saturating_sub(1))
}

/// Validation loss goes up and down: at least [`OSCILLATION_MIN_REVERSALS`] reversals,
/// and at least [`OSCILLATION_SHARE`] of those possible.
pub fn rule_oscillation(checkpoints: &[Checkpoint]) -> Option<Finding> {
    let (count, possible) = reversals(checkpoints);
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

/// Simulates early stopping: training stops at the first checkpoint that is `patience`
/// checkpoints past the best so far without a strictly lower validation loss, unless that is
/// the last checkpoint anyway.
pub fn early_stopping(checkpoints: &[Checkpoint], patience: usize) -> Option<EarlyStop> {
    let first = checkpoints.first()?;
    let mut best = 0;
    let mut stop = None;
    for (i, c) in checkpoints.iter().enumerate().skip(1) {
        if c.valid_loss < checkpoints[best].valid_loss {
            best = i;
        } else if i - best >= patience {
            // Stopping at the last checkpoint is no stopping at all: training ended there.
            if i + 1 < checkpoints.len() {
                stop = Some(i);
            }
            break;
        }
    }
    let kept = &checkpoints[best];
    let missed_better = stop.is_some_and(|s| {
        checkpoints[s + 1..]
            .iter()
            .any(|c| c.valid_loss < kept.valid_loss)
    });
    Some(EarlyStop {
        patience,
        stop_step: stop.map(|s| checkpoints[s].step),
        kept_step: if checkpoints.len() == 1 {
            first.step
        } else {
            kept.step
        },
        checkpoints_saved: stop.map_or(0, |s| checkpoints.len() - 1 - s),
        missed_better,
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

/// Diagnoses one run.
pub fn diagnose(series: &Series, patience: usize, deployable_last: Option<usize>) -> Run {
    let (mut checkpoints, curve, smoothed, validation) = checkpoints(series);
    let deployable = deployability(series.format, validation, deployable_last);
    mark_deployable(&mut checkpoints, deployable);
    let best = best_index(&checkpoints);
    if let Some(b) = best {
        checkpoints[b].best = true;
    }
    let recommended = checkpoints
        .iter()
        .enumerate()
        .filter(|(_, c)| c.deployable != Some(false))
        .min_by(|a, b| a.1.valid_loss.total_cmp(&b.1.valid_loss))
        .map(|(i, _)| i);
    // Training loss at the end: at the last checkpoint when there is one (so that it matches
    // gap and ratio), else the last logged value, smoothed when logged per step.
    let final_train = match checkpoints.last() {
        Some(c) => c.train_loss.map(|t| (c.step, t)),
        None => curve.last().map(|t| (t.step, t.smoothed)),
    };
    // The OpenAI checkpoint list holds only the last epochs: rules about how training
    // started cannot be applied to it.
    let sees_start = series.format != Format::OpenaiCheckpoints;

    let mut findings = Vec::new();
    let early = early_stopping(&checkpoints, patience);
    if let (Some(b), Some(last), Some(first)) = (best, checkpoints.last(), checkpoints.first()) {
        findings.extend(rule_generalisation(last));
        findings.extend(rule_gap(last));
        findings.push(Finding {
            step: Some(checkpoints[b].step),
            value: Some(checkpoints[b].valid_loss),
            ..Finding::new(Rule::BestCheckpoint, Severity::Info)
        });
        match recommended {
            Some(r) if r != b => findings.push(Finding {
                step: Some(checkpoints[b].step),
                compare_step: Some(checkpoints[r].step),
                value: Some(checkpoints[r].valid_loss / checkpoints[b].valid_loss),
                actions: vec![Action::FewerEpochs],
                ..Finding::new(Rule::NotDeployable, Severity::Warning)
            }),
            _ => {}
        }
        if deployable.rule == DeployRule::Unknown {
            findings.push(Finding::new(Rule::DeployableUnknown, Severity::Info));
        }
        findings.extend(rule_final_above_best(&checkpoints, b));
        findings.extend(rule_valid_rising(&checkpoints, b));
        findings.extend(rule_plateau(&checkpoints, b));
        findings.extend(rule_oscillation(&checkpoints));
        if sees_start {
            findings.extend(rule_gap_from_start(first));
        }
        findings.extend(rule_both_high(final_train, &checkpoints[b]));
    } else {
        findings.push(Finding {
            actions: vec![Action::AddValidation],
            ..Finding::new(Rule::NoValidation, Severity::Warning)
        });
    }
    findings.extend(rule_train_collapse(final_train));
    if sees_start {
        findings.extend(rule_train_stalled(&curve, final_train));
    }
    if let Some(stop) = early.as_ref().filter(|e| e.stop_step.is_some()) {
        findings.push(Finding {
            step: stop.stop_step,
            compare_step: Some(stop.kept_step),
            value: Some(stop.checkpoints_saved as f64),
            threshold: Some(patience as f64),
            actions: vec![Action::FewerEpochs],
            ..Finding::new(Rule::EarlyStopping, Severity::Info)
        });
    }

    let last = checkpoints.last();
    let best_c = best.map(|b| &checkpoints[b]);
    let summary = RunSummary {
        pattern: pattern(&findings, validation.is_some()),
        checkpoints: checkpoints.len(),
        last_step: series.points.last().map(|p| p.step),
        best_step: best_c.map(|c| c.step),
        best_valid_loss: best_c.map(|c| c.valid_loss),
        recommended_step: recommended.map(|r| checkpoints[r].step),
        recommended_valid_loss: recommended.map(|r| checkpoints[r].valid_loss),
        final_step: last.map(|c| c.step),
        final_train_loss: final_train.map(|t| t.1),
        final_valid_loss: last.map(|c| c.valid_loss),
        final_valid_perplexity: last.and_then(|c| c.valid_perplexity),
        final_valid_accuracy: last.and_then(|c| c.valid_accuracy),
        ratio: last.and_then(|c| c.ratio),
        gap: last.and_then(|c| c.gap),
        generalisation: last.and_then(|c| c.ratio).map(Band::of),
        gap_band: last.and_then(|c| c.gap).map(GapBand::of),
        final_over_best: last
            .zip(best_c)
            .filter(|(_, b)| b.valid_loss > 0.0)
            .map(|(l, b)| l.valid_loss / b.valid_loss),
        early_stop_step: early.as_ref().and_then(|e| e.stop_step),
        metric_best_step: None,
        alerts: count(&findings, Severity::Alert),
        warnings: count(&findings, Severity::Warning),
    };
    Run {
        name: series.name.clone(),
        files: series.files.clone(),
        format: series.format,
        base64: series.base64,
        validation,
        train_smoothed: smoothed,
        deployable,
        summary,
        checkpoints,
        train_curve: curve,
        findings,
        early_stopping: early,
        task_metric: None,
    }
}

fn count(findings: &[Finding], severity: Severity) -> usize {
    findings.iter().filter(|f| f.severity == severity).count()
}

/// Whether a higher value of a report metric is better: not for errors and losses
/// (`timestamp_mae`, `timestamps.p90_abs`, names with `loss`).
pub fn higher_is_better(metric: &str) -> bool {
    let last = metric.rsplit('.').next().unwrap_or(metric);
    !(last.ends_with("mae") || last.ends_with("_abs") || last.contains("loss"))
}

/// Ranks scored checkpoints `(step, report, value)` by the task metric beside their
/// validation loss, and records a finding when the two pick different checkpoints. Every
/// step must be one of the run's checkpoints.
pub fn attach_task_metric(run: &mut Run, metric: &str, scored: &[(u64, String, Option<f64>)]) {
    let higher = higher_is_better(metric);
    let better = |a: f64, b: f64| if higher { a > b } else { a < b };
    let loss_of = |step: u64| {
        run.checkpoints
            .iter()
            .find(|c| c.step == step)
            .map_or(f64::NAN, |c| c.valid_loss)
    };
    let mut rows: Vec<TaskRow> = scored
        .iter()
        .map(|(step, report, value)| TaskRow {
            step: *step,
            report: report.clone(),
            value: *value,
            valid_loss: loss_of(*step),
            metric_rank: value.map(|v| {
                1 + scored
                    .iter()
                    .filter_map(|s| s.2)
                    .filter(|&o| better(o, v))
                    .count()
            }),
            loss_rank: 1 + scored
                .iter()
                .filter(|s| loss_of(s.0) < loss_of(*step))
                .count(),
        })
        .collect();
    rows.sort_by_key(|r| (r.metric_rank.unwrap_or(usize::MAX), r.loss_rank, r.step));
    let by_loss = rows
        .iter()
        .min_by(|a, b| {
            a.valid_loss
                .total_cmp(&b.valid_loss)
                .then(a.step.cmp(&b.step))
        })
        .expect("at least one scored checkpoint");
    let best_by_loss = by_loss.step;
    let top = rows.first().filter(|r| r.metric_rank == Some(1));
    let agree = top.map(|_| by_loss.metric_rank == Some(1));
    let best_by_metric = top.map(|r| r.step);
    if agree == Some(false) {
        let top = top.expect("agree is known only with a top row");
        run.findings.push(Finding {
            step: Some(top.step),
            compare_step: Some(best_by_loss),
            value: top.value,
            actions: vec![Action::TrustTaskMetric],
            ..Finding::new(Rule::LossMetricDisagree, Severity::Warning)
        });
        run.summary.warnings += 1;
    }
    run.summary.metric_best_step = best_by_metric;
    run.task_metric = Some(TaskMetric {
        metric: metric.to_owned(),
        higher_is_better: higher,
        rows,
        best_by_metric,
        best_by_loss,
        agree,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of checkpoints from (train, valid) pairs at steps 10, 20, ...
    fn run_of(format: Format, pairs: &[(f64, f64)]) -> Series {
        Series {
            name: "r".into(),
            files: vec!["r".into()],
            format,
            base64: false,
            points: pairs
                .iter()
                .enumerate()
                .map(|(i, &(t, v))| Point {
                    step: 10 * (i as u64 + 1),
                    train_loss: Some(t),
                    full_valid_loss: Some(v),
                    ..Point::default()
                })
                .collect(),
        }
    }

    fn mapped(pairs: &[(f64, f64)]) -> Run {
        diagnose(&run_of(Format::Mapped, pairs), 2, None)
    }

    fn rules(run: &Run) -> Vec<Rule> {
        run.findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .map(|f| f.rule)
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn ema_is_debiased_and_smooths() {
        let s = ema(&[2.0, 2.0, 2.0], 0.9);
        assert!(s.iter().all(|v| close(*v, 2.0)), "{s:?}");
        let s = ema(&[1.0, 3.0], 0.5);
        // (0.5·1·0.5 + 0.5·3) / (1 − 0.25) = (0.25 + 1.5) / 0.75
        assert!(close(s[0], 1.0));
        assert!(close(s[1], 1.75 / 0.75));
        assert!(ema(&[], 0.9).is_empty());
    }

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

    #[test]
    fn healthy_curves_get_no_warning() {
        let run = mapped(&[
            (2.5, 2.7),
            (1.8, 2.0),
            (1.2, 1.4),
            (0.9, 1.05),
            (0.75, 0.85),
        ]);
        assert_eq!(rules(&run), []);
        assert_eq!(run.summary.pattern, Pattern::Healthy);
        assert_eq!(run.summary.best_step, Some(50));
        assert_eq!(run.summary.generalisation, Some(Band::Healthy));
        assert!(close(run.summary.ratio.unwrap(), 0.85 / 0.75));
        assert!(close(run.summary.gap.unwrap(), 0.1));
        let last = run.checkpoints.last().unwrap();
        assert!(close(last.valid_perplexity.unwrap(), 0.85f64.exp()));
        assert!(close(last.train_perplexity.unwrap(), 0.75f64.exp()));
        assert_eq!(run.summary.early_stop_step, None);
    }

    #[test]
    fn final_above_best_is_an_alert_and_recommends_the_best() {
        let run = mapped(&[
            (1.7, 1.9),
            (1.0, 1.3),
            (0.6, 1.1),
            (0.3, 1.25),
            (0.15, 1.45),
        ]);
        let r = rules(&run);
        assert!(r.contains(&Rule::FinalAboveBest), "{r:?}");
        assert!(r.contains(&Rule::Generalisation), "severe ratio: {r:?}");
        assert_eq!(run.summary.generalisation, Some(Band::Severe));
        assert_eq!(run.summary.best_step, Some(30));
        assert_eq!(run.summary.recommended_step, Some(30));
        assert_eq!(run.summary.pattern, Pattern::Overfit);
        assert!(close(run.summary.final_over_best.unwrap(), 1.45 / 1.1));
        // Exactly 1.2 × the best is not above it.
        let edge = mapped(&[(1.0, 1.0), (0.9, 1.2)]);
        assert!(!rules(&edge).contains(&Rule::FinalAboveBest));
    }

    #[test]
    fn valid_rising_only_while_train_falls() {
        let up = mapped(&[(1.0, 1.2), (0.8, 1.0), (0.7, 1.1)]);
        assert!(rules(&up).contains(&Rule::ValidRising));
        assert!(!rules(&up).contains(&Rule::FinalAboveBest));
        let both_up = mapped(&[(1.0, 1.2), (0.8, 1.0), (0.9, 1.1)]);
        assert!(!rules(&both_up).contains(&Rule::ValidRising));
    }

    #[test]
    fn plateau_after_reaching_the_best() {
        let run = mapped(&[
            (1.5, 1.6),
            (1.2, 1.3),
            (1.1, 1.29),
            (1.05, 1.3),
            (1.0, 1.295),
        ]);
        let f = run
            .findings
            .iter()
            .find(|f| f.rule == Rule::Plateau)
            .unwrap();
        assert_eq!(f.step, Some(20));
        assert_eq!(run.summary.pattern, Pattern::Plateau);
        // Still improving at the end: no plateau.
        let improving = mapped(&[(1.5, 1.6), (1.2, 1.3), (1.1, 1.2), (1.0, 1.1)]);
        assert!(!rules(&improving).contains(&Rule::Plateau));
    }

    #[test]
    fn oscillation_counts_reversals_of_large_moves() {
        let run = mapped(&[
            (2.0, 2.0),
            (1.8, 1.5),
            (1.6, 1.8),
            (1.4, 1.3),
            (1.3, 1.7),
            (1.2, 1.2),
        ]);
        assert_eq!(reversals(&run.checkpoints), (4, 4));
        assert_eq!(run.summary.pattern, Pattern::Oscillating);
        // Small wiggles (< 5 %) are not moves.
        let wiggle = mapped(&[(1.0, 1.0), (1.0, 0.98), (1.0, 1.0), (1.0, 0.98), (1.0, 1.0)]);
        assert_eq!(reversals(&wiggle.checkpoints).0, 0);
    }

    #[test]
    fn collapse_stall_both_high_and_gap_from_start() {
        let collapse = mapped(&[(1.0, 1.0), (0.2, 0.9), (0.04, 0.9)]);
        assert!(rules(&collapse).contains(&Rule::TrainCollapse));
        let stalled = mapped(&[(2.6, 2.9), (2.55, 2.85), (2.5, 2.8)]);
        let r = rules(&stalled);
        assert!(
            r.contains(&Rule::TrainStalled) && r.contains(&Rule::BothHigh),
            "{r:?}"
        );
        assert_eq!(stalled.summary.pattern, Pattern::Underfit);
        let gap = mapped(&[(1.0, 1.6), (0.8, 1.3)]);
        assert!(rules(&gap).contains(&Rule::GapFromStart));
        // The checkpoint list starts late in training: no rule about the start.
        let listed = diagnose(
            &run_of(Format::OpenaiCheckpoints, &[(1.0, 1.6), (0.99, 1.5)]),
            2,
            None,
        );
        let r = rules(&listed);
        assert!(
            !r.contains(&Rule::GapFromStart) && !r.contains(&Rule::TrainStalled),
            "{r:?}"
        );
    }

    #[test]
    fn early_stopping_with_patience() {
        let run = mapped(&[(2.0, 2.0), (1.5, 1.5), (1.2, 1.6), (1.0, 1.7), (0.9, 1.4)]);
        let e = run.early_stopping.as_ref().unwrap();
        assert_eq!(e.stop_step, Some(40));
        assert_eq!(e.kept_step, 20);
        assert_eq!(e.checkpoints_saved, 1);
        assert!(e.missed_better, "step 50 is better than the kept step 20");
        let patient = early_stopping(&run.checkpoints, 3).unwrap();
        assert_eq!(patient.stop_step, None);
        assert_eq!(patient.kept_step, 50);
        let one = early_stopping(&run.checkpoints[..1], 1).unwrap();
        assert_eq!((one.stop_step, one.kept_step), (None, 10));
    }

    #[test]
    fn best_deployable_checkpoint_among_the_last_three_epochs() {
        let pairs = [
            (2.0, 2.0),
            (1.5, 1.2),
            (1.0, 1.3),
            (0.8, 1.35),
            (0.7, 1.4),
            (0.6, 1.42),
        ];
        let run = diagnose(&run_of(Format::OpenaiResults, &pairs), 2, None);
        assert_eq!(run.deployable.rule, DeployRule::ProviderLast);
        let flags: Vec<Option<bool>> = run.checkpoints.iter().map(|c| c.deployable).collect();
        assert_eq!(
            flags,
            [
                Some(false),
                Some(false),
                Some(false),
                Some(true),
                Some(true),
                Some(true)
            ]
        );
        assert_eq!(run.summary.best_step, Some(20));
        assert_eq!(run.summary.recommended_step, Some(40));
        let f = run
            .findings
            .iter()
            .find(|f| f.rule == Rule::NotDeployable)
            .unwrap();
        assert_eq!((f.step, f.compare_step), (Some(20), Some(40)));
        // --deployable-last overrides the provider's rule.
        let all = diagnose(&run_of(Format::OpenaiResults, &pairs), 2, Some(6));
        assert_eq!(all.summary.recommended_step, Some(20));
        // Batch validation only: epoch ends unknown, so deployability is too.
        let mut series = run_of(Format::OpenaiResults, &pairs);
        for p in &mut series.points {
            p.valid_loss = p.full_valid_loss.take();
        }
        let unknown = diagnose(&series, 2, None);
        assert_eq!(unknown.validation, Some(Role::ValidLoss));
        assert_eq!(unknown.deployable.rule, DeployRule::Unknown);
        assert_eq!(unknown.summary.recommended_step, Some(20));
        assert!(
            unknown
                .findings
                .iter()
                .any(|f| f.rule == Rule::DeployableUnknown)
        );
    }

    #[test]
    fn dense_train_loss_is_smoothed_at_checkpoints() {
        // Train loss every step, full validation every 10 steps.
        let points: Vec<Point> = (1..=20)
            .map(|s| Point {
                step: s,
                train_loss: Some(if s % 2 == 0 { 1.0 } else { 3.0 }),
                full_valid_loss: (s % 10 == 0).then_some(2.2),
                ..Point::default()
            })
            .collect();
        let series = Series {
            name: "d".into(),
            files: vec![],
            format: Format::Mapped,
            base64: false,
            points,
        };
        let run = diagnose(&series, 2, None);
        assert!(run.train_smoothed);
        assert_eq!(run.train_curve.len(), 20);
        let c = &run.checkpoints[1];
        assert_eq!(c.train_loss_raw, Some(1.0));
        let expected = run.train_curve[19].smoothed;
        assert_eq!(c.train_loss, Some(expected));
        assert!(
            expected > 1.5 && expected < 2.5,
            "smoothed towards the mean: {expected}"
        );
        assert!(close(c.ratio.unwrap(), 2.2 / expected));
    }

    #[test]
    fn no_validation_is_a_warning_and_no_pattern() {
        let series = Series {
            name: "t".into(),
            files: vec![],
            format: Format::Mapped,
            base64: false,
            points: vec![Point {
                step: 1,
                train_loss: Some(1.0),
                ..Point::default()
            }],
        };
        let run = diagnose(&series, 2, None);
        assert_eq!(run.summary.pattern, Pattern::Unknown);
        assert_eq!(rules(&run), [Rule::NoValidation]);
        assert_eq!(run.summary.final_train_loss, Some(1.0));
        assert_eq!(run.summary.ratio, None);
    }

    #[test]
    fn task_metric_ranking_and_disagreement() {
        let mut run = mapped(&[(2.0, 2.0), (1.5, 1.2), (1.0, 1.3)]);
        let scored = vec![
            (20, "a.json".to_owned(), Some(0.70)),
            (30, "b.json".to_owned(), Some(0.75)),
            (10, "c.json".to_owned(), None),
        ];
        attach_task_metric(&mut run, "event_f1", &scored);
        let t = run.task_metric.as_ref().unwrap();
        assert_eq!(
            t.rows.iter().map(|r| r.step).collect::<Vec<_>>(),
            [30, 20, 10]
        );
        assert_eq!(t.rows[0].loss_rank, 2);
        assert_eq!(t.rows[2].metric_rank, None);
        assert_eq!(
            (t.best_by_metric, t.best_by_loss, t.agree),
            (Some(30), 20, Some(false))
        );
        assert!(
            run.findings
                .iter()
                .any(|f| f.rule == Rule::LossMetricDisagree)
        );
        assert_eq!(run.summary.metric_best_step, Some(30));
        // Lower is better for an error metric; a tie at the top with the loss-best agrees.
        let mut run = mapped(&[(2.0, 2.0), (1.5, 1.2)]);
        attach_task_metric(
            &mut run,
            "timestamp_mae",
            &[(10, "a".into(), Some(0.3)), (20, "b".into(), Some(0.3))],
        );
        assert_eq!(run.task_metric.as_ref().unwrap().agree, Some(true));
        assert!(!higher_is_better("timestamps.p90_abs"));
    }
}
