//! Checkpoint choice: the best checkpoint, which checkpoints the provider keeps (deployable),
//! and what early stopping would have kept.
//!
//! Uses only `measures.rs` of the other diagnosis files.

use serde::Serialize;

use super::measures::Checkpoint;
use crate::series::{Format, Role};

/// OpenAI and Azure keep the checkpoints of the last this many epochs.
pub const PROVIDER_KEEPS: usize = 3;

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
    /// The checkpoints a Hugging Face Trainer saved: its `checkpoint-N` folders, or every
    /// `save_steps` and the last step.
    Saved,
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

/// The index of the lowest validation loss (the first on a tie).
pub fn best_index(checkpoints: &[Checkpoint]) -> Option<usize> {
    checkpoints
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.valid_loss.total_cmp(&b.1.valid_loss))
        .map(|(i, _)| i)
}

/// Which checkpoints are deployable, by `--deployable-last` or the provider's rule.
pub(super) fn deployability(
    format: Format,
    validation: Option<Role>,
    option: Option<usize>,
    saved: Option<&[u64]>,
) -> Deployable {
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
        (None, Format::HfTrainerState) => Deployable {
            rule: if saved.is_some() {
                DeployRule::Saved
            } else {
                DeployRule::Unknown
            },
            count: None,
        },
        // TensorBoard, W&B and Lightning logs do not say which checkpoints were saved: every
        // one is taken as deployable, as for a mapped file (--deployable-last narrows it).
        (
            None,
            Format::VertexTensorboard
            | Format::Tensorboard
            | Format::WandbHistory
            | Format::LightningCsv
            | Format::Mapped,
        ) => Deployable {
            rule: DeployRule::All,
            count: None,
        },
    }
}

pub(super) fn mark_deployable(
    checkpoints: &mut [Checkpoint],
    deployable: Deployable,
    saved: Option<&[u64]>,
) {
    let n = checkpoints.len();
    for (i, c) in checkpoints.iter_mut().enumerate() {
        c.deployable = match (deployable.rule, deployable.count) {
            (DeployRule::Unknown, _) => None,
            (DeployRule::Saved, _) => saved.map(|s| s.binary_search(&c.step).is_ok()),
            (DeployRule::ProviderLast | DeployRule::OptionLast, Some(k)) => Some(i + k >= n),
            _ => Some(true),
        };
    }
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
