//! What a column or a TensorBoard tag holds, by its name alone, and what a per-tag file's name
//! says (its run and its tag). The rules are listed in `docs/curves.md`.

use std::path::Path;

use crate::series::Role;
use verdict_core::files::public_path;

/// Names that Lightning, W&B and TensorBoard logs commonly use, beyond the providers' own
/// (`KNOWN` in the reader), after [`canonical`]: so `train/loss` is looked up as `train_loss`
/// and `eval/loss` as `eval_loss`.
const ALIASES: &[(&str, Role)] = &[
    ("global_step", Role::Step),
    ("train_global_step", Role::Step),
    ("trainer_global_step", Role::Step),
    ("train_epoch", Role::Epoch),
    // Lightning's per-step half of a metric logged with on_step and on_epoch; the `_epoch`
    // half is the mean of the same values and is not read.
    ("train_loss_step", Role::TrainLoss),
    ("val_loss", Role::ValidLoss),
    ("eval_loss", Role::ValidLoss),
    ("train_acc", Role::TrainAccuracy),
    ("train_acc_step", Role::TrainAccuracy),
    ("val_acc", Role::ValidAccuracy),
    ("val_accuracy", Role::ValidAccuracy),
    ("eval_accuracy", Role::ValidAccuracy),
    ("eval_mean_token_accuracy", Role::ValidAccuracy),
];

/// A name as the role tables spell it: trimmed, lower case, without a leading `/` (Vertex),
/// with `/`, spaces and `-` read as `_` (W&B's `train/loss`, TensorBoard's `Wall time`).
pub(super) fn canonical(name: &str) -> String {
    name.trim()
        .trim_start_matches('/')
        .to_ascii_lowercase()
        .chars()
        .map(|c| if matches!(c, '/' | ' ' | '-') { '_' } else { c })
        .collect()
}

/// The role of an alias, `name` already [`canonical`].
pub(super) fn alias(name: &str) -> Option<Role> {
    ALIASES.iter().find(|(a, _)| *a == name).map(|(_, r)| *r)
}

/// The role `--map` most likely wants for a column verdict does not know, for the message
/// that lists a file's columns. Only a hint: nothing is read by it.
pub(super) fn guess(name: &str) -> Option<Role> {
    let name = canonical(name);
    let valid = ["val", "eval", "dev", "test"]
        .iter()
        .any(|w| name.split('_').any(|part| part.starts_with(w)));
    if name.contains("loss") {
        Some(if valid {
            Role::ValidLoss
        } else {
            Role::TrainLoss
        })
    } else if name.contains("acc") {
        Some(if valid {
            Role::ValidAccuracy
        } else {
            Role::TrainAccuracy
        })
    } else if name.contains("epoch") {
        Some(Role::Epoch)
    } else if name.contains("step") || name.starts_with("iter") {
        Some(Role::Step)
    } else {
        None
    }
}

/// The series a per-tag file's name gives: its tag, the role that tag reads as (`None`: a tag
/// verdict does not read) and the run the file belongs to.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NamedTag {
    pub tag: String,
    pub role: Option<Role>,
    pub run: String,
}

/// The run a per-tag file belongs to: its folder (plus what is left of its name, if anything).
fn run_name(path: &Path, rest: &str) -> String {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let rest = rest.trim_matches(|c: char| c == '-' || c == '_' || c == '.' || c == ' ');
    let name = match (parent, rest.is_empty()) {
        (Some(parent), true) => parent.to_string_lossy().into_owned(),
        (Some(parent), false) => parent.join(rest).to_string_lossy().into_owned(),
        (None, true) => ".".to_owned(),
        (None, false) => rest.to_owned(),
    };
    public_path(&name)
}

/// Keras's TensorBoard callback logs the training and validation halves of one fit as two
/// TensorBoard runs, `train` and `validation`, under the same tags (`epoch_loss`,
/// `epoch_accuracy`): the run name says which half, the tag what it is. Both halves are one
/// verdict run (the log folder).
fn keras_split(run: &str, tag: &str) -> Option<Role> {
    let tag = canonical(tag);
    let metric = tag
        .strip_prefix("epoch_")
        .or_else(|| tag.strip_prefix("batch_"))
        .unwrap_or(&tag);
    let run = canonical(run);
    let train = matches!(run.as_str(), "train" | "training");
    let valid = matches!(run.as_str(), "validation" | "valid" | "val" | "eval");
    match metric {
        "loss" if train => Some(Role::TrainLoss),
        "loss" if valid => Some(Role::ValidLoss),
        "accuracy" | "acc" if train => Some(Role::TrainAccuracy),
        "accuracy" | "acc" if valid => Some(Role::ValidAccuracy),
        _ => None,
    }
}

/// Reads a per-tag file's name, in this order:
/// 1. TensorBoard's download, `run-<run>-tag-<tag>` (`.` is the log folder's root run;
///    Keras's `train` and `validation` runs of `epoch_loss` are the two halves of one run);
/// 2. a name holding a Vertex tag (`job.train_total_loss`): the run is the rest;
/// 3. a name that is a tag by itself (`val_loss`): the run is the folder.
///
/// `role` resolves a canonical tag to a role (the reader's tables).
pub(super) fn tag_in_name(
    path: &Path,
    vertex_tags: &[(&str, Role)],
    role: impl Fn(&str) -> Option<Role>,
) -> Option<NamedTag> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let lower = stem.to_ascii_lowercase();
    if let Some(after) = lower.strip_prefix("run-")
        && let Some(at) = after.find("-tag-")
    {
        let run = &stem[4..4 + at];
        let tag = &stem[4 + at + 5..];
        let run = if run == "." { "" } else { run };
        if let Some(split) = keras_split(run, tag) {
            return Some(NamedTag {
                tag: tag.to_owned(),
                role: Some(split),
                run: run_name(path, ""),
            });
        }
        return Some(NamedTag {
            tag: tag.to_owned(),
            role: role(&canonical(tag)),
            run: run_name(path, run),
        });
    }
    if let Some((tag, r)) = vertex_tags.iter().find(|(t, _)| lower.contains(t)) {
        let at = lower.find(tag)?;
        let rest = format!("{}{}", &stem[..at], &stem[at + tag.len()..]);
        return Some(NamedTag {
            tag: (*tag).to_owned(),
            role: Some(*r),
            run: run_name(path, &rest),
        });
    }
    role(&canonical(&stem))
        .filter(|r| !matches!(r, Role::Step | Role::Epoch))
        .map(|r| NamedTag {
            tag: stem.clone(),
            role: Some(r),
            run: run_name(path, ""),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(path: &str) -> Option<NamedTag> {
        let known = |t: &str| match t {
            "train_total_loss" => Some(Role::TrainLoss),
            "eval_total_loss" => Some(Role::ValidLoss),
            other => alias(other),
        };
        tag_in_name(
            Path::new(path),
            &[
                ("train_total_loss", Role::TrainLoss),
                ("eval_total_loss", Role::ValidLoss),
            ],
            known,
        )
    }

    #[test]
    fn tensorboard_download_names_give_run_and_tag() {
        let n = named("dl/run-.-tag-eval_total_loss.csv").unwrap();
        assert_eq!(
            (n.tag.as_str(), n.role, n.run.as_str()),
            ("eval_total_loss", Some(Role::ValidLoss), "dl")
        );
        let n = named("run-version_0-tag-val_loss.json").unwrap();
        assert_eq!(
            (n.tag.as_str(), n.role, n.run.as_str()),
            ("val_loss", Some(Role::ValidLoss), "version_0")
        );
        // A tag verdict does not read is still named, so that it can be reported.
        // Keras: the run says which half of the fit, and both halves are the folder's run.
        let n = named("keras/run-train-tag-epoch_loss.csv").unwrap();
        assert_eq!((n.role, n.run.as_str()), (Some(Role::TrainLoss), "keras"));
        let n = named("keras/run-validation-tag-epoch_accuracy.csv").unwrap();
        assert_eq!(
            (n.role, n.run.as_str()),
            (Some(Role::ValidAccuracy), "keras")
        );
        let n = named("run-other-tag-epoch_loss.csv").unwrap();
        assert_eq!(n.role, None, "epoch_loss of a run that is neither half");
        let n = named("run-.-tag-learning_rate.csv").unwrap();
        assert_eq!(
            (n.tag.as_str(), n.role, n.run.as_str()),
            ("learning_rate", None, ".")
        );
    }

    #[test]
    fn vertex_and_bare_tag_names() {
        let n = named("job.train_total_loss.csv").unwrap();
        assert_eq!((n.role, n.run.as_str()), (Some(Role::TrainLoss), "job"));
        let n = named("export/val_acc.csv").unwrap();
        assert_eq!(
            (n.role, n.run.as_str()),
            (Some(Role::ValidAccuracy), "export")
        );
        assert_eq!(named("metrics.csv"), None);
        assert_eq!(named("global_step.csv"), None, "a step is not a series");
    }

    #[test]
    fn canonical_names_and_guesses() {
        assert_eq!(canonical(" /Train/Loss "), "train/loss".replace('/', "_"));
        assert_eq!(canonical("Wall time"), "wall_time");
        assert_eq!(alias(&canonical("eval/loss")), Some(Role::ValidLoss));
        assert_eq!(guess("loss"), Some(Role::TrainLoss));
        assert_eq!(guess("val_loss_total"), Some(Role::ValidLoss));
        assert_eq!(guess("dev-acc"), Some(Role::ValidAccuracy));
        assert_eq!(guess("iteration"), Some(Role::Step));
        assert_eq!(guess("lr"), None);
    }
}
