//! The numbers at each checkpoint: the smoothed (EMA) training-loss curve, and each
//! checkpoint's training and validation loss, gap, ratio, perplexity and accuracy, built from
//! a [`Series`].
//!
//! The lowest of the diagnosis files: it uses nothing of the others.

use serde::Serialize;

use crate::series::{Point, Role, Series};

/// Weight of the previous smoothed value in the EMA of per-step training loss (TensorBoard's
/// "smoothing" slider at 0.9): each value counts 10 % and the average reaches back about ten
/// steps.
pub const EMA_WEIGHT: f64 = 0.9;
/// Training loss is smoothed only when it is logged more than this many times as often as the
/// validation loss: a per-checkpoint series is not noise to average away.
pub const DENSE_FACTOR: usize = 2;

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
    /// The learning rate logged with it (Hugging Face Trainer); `null` when not logged.
    pub learning_rate: Option<f64>,
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
pub(super) fn checkpoints(
    series: &Series,
) -> (Vec<Checkpoint>, Vec<TrainPoint>, bool, Option<Role>) {
    let train: Vec<(u64, f64, Option<f64>)> = series
        .points
        .iter()
        .filter_map(|p| p.train_loss.map(|l| (p.step, l, p.learning_rate)))
        .collect();
    let smoothed = ema(&train.iter().map(|t| t.1).collect::<Vec<_>>(), EMA_WEIGHT);
    let curve: Vec<TrainPoint> = train
        .iter()
        .zip(&smoothed)
        .map(|(&(step, loss, learning_rate), &smoothed)| TrainPoint {
            step,
            loss,
            smoothed,
            learning_rate,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
