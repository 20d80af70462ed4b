//! The numbers and the rules: picks each run's checkpoints, computes gap, ratio, perplexity
//! and the smoothed training loss, and applies the diagnosis rules of `docs/curves.md`.
//!
//! Everything here is computation on plain data. A [`Finding`] carries a rule, a severity, the
//! numbers behind it and the recommended actions; the sentences are the renderers' business.
//!
//! The work is split by concern: `measures.rs` builds the checkpoints and the smoothed
//! training curve from a series and uses neither of the others; `choice.rs` picks the best,
//! the deployable and the early-stopping checkpoints, and `rules.rs` holds the thresholds, the
//! bands and the rules that yield findings, both using only `measures.rs`. This file puts
//! them together into a [`Run`] and ranks `--scores` reports beside validation loss. Every
//! public item is re-exported here, so its path stays `diagnose::X`.

mod choice;
mod measures;
mod rules;

use serde::Serialize;

pub use choice::{DeployRule, Deployable, EarlyStop, PROVIDER_KEEPS, best_index, early_stopping};
use choice::{deployability, mark_deployable};
use measures::checkpoints;
pub use measures::{Checkpoint, DENSE_FACTOR, EMA_WEIGHT, TrainPoint, ema};
pub use rules::{
    Action, Band, COLLAPSE, FINAL_OVER_BEST, Finding, GAP_FROM_START_RATIO, GAP_LARGE, GAP_SMALL,
    GapBand, HIGH_LOSS, OSCILLATION_MIN_REVERSALS, OSCILLATION_MOVE, OSCILLATION_SHARE,
    PLATEAU_BAND, PLATEAU_MIN_AFTER, Pattern, RATIO_HEALTHY, RATIO_MILD, RATIO_MODERATE, RISE,
    Rule, STALLED, Severity, pattern, reversals, rule_both_high, rule_final_above_best, rule_gap,
    rule_gap_from_start, rule_generalisation, rule_oscillation, rule_plateau, rule_train_collapse,
    rule_train_stalled, rule_valid_rising,
};

use crate::series::{Format, Role, Series};

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
    /// The best checkpoint the Hugging Face Trainer recorded (`best_global_step`); `null`
    /// for other sources and when it recorded none.
    pub trainer_best_step: Option<u64>,
    /// Whether `recommended_step` is the Trainer's best; `null` without both.
    pub agrees_with_trainer: Option<bool>,
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

/// Diagnoses one run.
pub fn diagnose(series: &Series, patience: usize, deployable_last: Option<usize>) -> Run {
    let (mut checkpoints, curve, smoothed, validation) = checkpoints(series);
    let saved = series
        .trainer
        .as_ref()
        .and_then(|t| t.saved_steps.as_deref());
    let deployable = deployability(series.format, validation, deployable_last, saved);
    mark_deployable(&mut checkpoints, deployable, saved);
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
        let values: Vec<f64> = checkpoints.iter().map(|c| c.valid_loss).collect();
        findings.extend(validation.and_then(|v| rule_oscillation(&values, v)));
        findings.extend(dense_oscillation(series, validation, values.len()));
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

    let trainer_best = series.trainer.as_ref().and_then(|t| t.best_step);
    let recommended_step = recommended.map(|r| checkpoints[r].step);
    let agrees = trainer_best.zip(recommended_step).map(|(t, r)| t == r);
    if let (Some(t), Some(r), Some(same)) = (trainer_best, recommended_step, agrees) {
        findings.push(Finding {
            step: Some(t),
            compare_step: Some(r),
            value: series.trainer.as_ref().and_then(|t| t.best_metric),
            band: Some(if same { "agrees" } else { "differs" }),
            ..Finding::new(Rule::TrainerBest, Severity::Info)
        });
    }
    for f in &mut findings {
        f.series = f.series.or_else(|| series_of(f.rule, validation));
    }

    // The pattern describes the curve the checkpoints are judged on; a swinging batch
    // estimate beside an accurate full pass is a warning of its own, not the run's shape.
    let on_checkpoints: Vec<Finding> = findings
        .iter()
        .filter(|f| !(f.rule == Rule::Oscillation && f.series != validation))
        .cloned()
        .collect();
    let last = checkpoints.last();
    let best_c = best.map(|b| &checkpoints[b]);
    let summary = RunSummary {
        pattern: pattern(&on_checkpoints, validation.is_some()),
        checkpoints: checkpoints.len(),
        last_step: series.points.last().map(|p| p.step),
        best_step: best_c.map(|c| c.step),
        best_valid_loss: best_c.map(|c| c.valid_loss),
        recommended_step,
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
        trainer_best_step: trainer_best,
        agrees_with_trainer: agrees,
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

/// The oscillation rule on the batch validation loss, when the checkpoints use the sparser
/// full pass: a batch estimate logged every few steps shows swings that a few epoch-end
/// values cannot, and the run's choice of checkpoint still rests on the accurate series.
fn dense_oscillation(series: &Series, validation: Option<Role>, used: usize) -> Option<Finding> {
    if validation != Some(Role::FullValidLoss) {
        return None;
    }
    let dense: Vec<f64> = series.points.iter().filter_map(|p| p.valid_loss).collect();
    if dense.len() <= used {
        return None;
    }
    rule_oscillation(&dense, Role::ValidLoss)
}

/// The series a rule reads: the validation column for the rules on checkpoints, the training
/// loss for the training-only rules, none for findings about the file.
fn series_of(rule: Rule, validation: Option<Role>) -> Option<Role> {
    match rule {
        Rule::TrainCollapse | Rule::TrainStalled => Some(Role::TrainLoss),
        Rule::DeployableUnknown | Rule::NoValidation => None,
        _ => validation,
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

    use crate::series::Point;

    /// A run of checkpoints from (train, valid) pairs at steps 10, 20, ...
    fn run_of(format: Format, pairs: &[(f64, f64)]) -> Series {
        Series {
            name: "r".into(),
            files: vec!["r".into()],
            format,
            base64: false,
            trainer: None,
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
    fn oscillation_is_also_looked_for_on_the_dense_batch_series() {
        // The full pass falls steadily at three epoch ends; the batch estimate between them
        // swings by more than 10 % every time.
        let mut series = run_of(Format::OpenaiResults, &[(1.9, 1.6), (1.5, 1.4), (1.2, 1.3)]);
        let swings = [1.8, 1.55, 1.8, 1.5, 1.75, 1.45, 1.7, 1.4];
        for (i, v) in swings.iter().enumerate() {
            let step = 5 + 5 * i as u64;
            match series.points.iter_mut().find(|p| p.step == step) {
                Some(p) => p.valid_loss = Some(*v),
                None => series.points.push(Point {
                    step,
                    valid_loss: Some(*v),
                    ..Point::default()
                }),
            }
        }
        series.points.sort_by_key(|p| p.step);
        let run = diagnose(&series, 2, None);
        assert_eq!(run.validation, Some(Role::FullValidLoss));
        let osc: Vec<&Finding> = run
            .findings
            .iter()
            .filter(|f| f.rule == Rule::Oscillation)
            .collect();
        assert_eq!(osc.len(), 1);
        assert_eq!(osc[0].series, Some(Role::ValidLoss));
        assert_eq!(osc[0].value, Some(6.0));
        // Every other finding names the series it read.
        assert!(run.findings.iter().all(|f| f.series.is_some()));
        assert_eq!(run.summary.best_step, Some(30));
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
        let values =
            |run: &Run| -> Vec<f64> { run.checkpoints.iter().map(|c| c.valid_loss).collect() };
        assert_eq!(reversals(&values(&run)), (4, 4));
        assert_eq!(run.summary.pattern, Pattern::Oscillating);
        // Small wiggles (< 5 %) are not moves.
        let wiggle = mapped(&[(1.0, 1.0), (1.0, 0.98), (1.0, 1.0), (1.0, 0.98), (1.0, 1.0)]);
        assert_eq!(reversals(&values(&wiggle)).0, 0);
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
            trainer: None,
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
            trainer: None,
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
