//! Hugging Face Trainer (and TRL, Unsloth, Axolotl, LLaMA-Factory) `trainer_state.json`: the
//! `log_history` list of training and evaluation entries, and what the Trainer recorded about
//! its checkpoints (`save_steps`, `global_step`, `best_global_step`, `best_model_checkpoint`).
//!
//! Which checkpoints exist is read from the `checkpoint-N` folders beside the state when there
//! are any (the Trainer deletes old ones under `save_total_limit`), else from `save_steps`.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

use crate::series::{Point, TrainerState};
use verdict_core::quote::plain;

/// A reading failure: the message, without the file (the caller names it).
type Result<T> = std::result::Result<T, String>;

/// A JSON number, `None` for `null`; anything else is an error naming `at`.
fn json_number(value: &Value, at: &str) -> Result<Option<f64>> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| format!("{at}: {n} is not a finite number")),
        other => Err(format!(
            "{at}: {} is not a number",
            plain(&other.to_string())
        )),
    }
}

/// A step: a whole number >= 0.
fn json_step(value: Option<&Value>, at: &str) -> Result<u64> {
    let number = value
        .map(|v| json_number(v, at))
        .transpose()?
        .flatten()
        .ok_or_else(|| format!("{at}: no step"))?;
    // 2^53: above it not every whole number is representable, and no run is that long.
    if number >= 0.0 && number.fract() == 0.0 && number <= 9_007_199_254_740_992.0 {
        Ok(number as u64)
    } else {
        Err(format!(
            "{at}: `{number}` is not a step (a whole number >= 0)"
        ))
    }
}

/// The file name the Trainer writes into each checkpoint folder and the run directory.
pub const STATE_FILE: &str = "trainer_state.json";

/// Whether a JSON object is a Trainer state: it has a `log_history` key.
pub fn is_state(map: &Map<String, Value>) -> bool {
    map.contains_key("log_history")
}

/// One evaluation set of a run: its name (`None` for the Trainer's single `eval_loss`) and
/// the points, training values included.
pub struct EvalRun {
    pub eval_set: Option<String>,
    pub points: Vec<Point>,
}

/// The number `N` of a folder named `checkpoint-N`.
pub fn checkpoint_number(path: &Path) -> Option<u64> {
    path.file_name()?
        .to_str()?
        .strip_prefix("checkpoint-")?
        .parse()
        .ok()
}

/// The `trainer_state.json` a directory stands for: its own, or else the one of its
/// `checkpoint-N` folder with the largest `N` (the latest state holds the whole history).
pub fn state_in(dir: &Path) -> Option<std::path::PathBuf> {
    let own = dir.join(STATE_FILE);
    if own.is_file() {
        return Some(own);
    }
    checkpoint_folders(dir)
        .into_iter()
        .next_back()
        .map(|(_, folder)| folder.join(STATE_FILE))
        .filter(|state| state.is_file())
}

fn checkpoint_folders(dir: &Path) -> Vec<(u64, std::path::PathBuf)> {
    let mut found: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .filter_map(|p| checkpoint_number(&p).map(|n| (n, p)))
        .collect();
    found.sort();
    found
}

/// The `checkpoint-N` folders beside a state file: in its own folder, or, when that folder
/// is itself a checkpoint, in the run directory above it.
fn saved_on_disk(path: &Path) -> Vec<u64> {
    let folder = path.parent().unwrap_or(Path::new(""));
    let run_dir = match checkpoint_number(folder) {
        Some(_) => folder.parent().unwrap_or(folder),
        None => folder,
    };
    let run_dir = if run_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        run_dir
    };
    checkpoint_folders(run_dir)
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

fn whole_step(map: &Map<String, Value>, key: &str) -> Result<Option<u64>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        value => json_step(value, key).map(Some),
    }
}

/// Reads a Trainer state. Returns one run per evaluation set (`eval_loss`, or each
/// `eval_<name>_loss`), each with the training values, and what the Trainer recorded.
/// `path` is the state file, beside which the `checkpoint-N` folders are looked for.
pub fn read(map: &Map<String, Value>, path: &Path) -> Result<(Vec<EvalRun>, TrainerState)> {
    let Some(history) = map["log_history"].as_array() else {
        return Err("log_history: expected a list of logged entries".into());
    };
    let mut train = Vec::new();
    // Evaluation points per set, by the set's name ("" for the plain `eval_loss`).
    let mut evals: std::collections::BTreeMap<String, Vec<Point>> = Default::default();
    for (index, entry) in history.iter().enumerate() {
        let at = format!("log_history[{index}]");
        let Some(entry) = entry.as_object() else {
            return Err(format!("{at}: expected an object"));
        };
        // The summary the Trainer logs when training ends: `train_loss` there is the mean
        // over the whole run, not a value at that step.
        if entry.contains_key("train_runtime") {
            continue;
        }
        let step = json_step(entry.get("step"), &format!("{at}.step"))?;
        let epoch = match entry.get("epoch") {
            Some(v) => json_number(v, &format!("{at}.epoch"))?,
            None => None,
        };
        let number = |key: &str| match entry.get(key) {
            Some(v) => json_number(v, &format!("{at}.{}", plain(key))),
            None => Ok(None),
        };
        let loss = number("loss")?;
        if loss.is_some() {
            train.push(Point {
                step,
                epoch,
                train_loss: loss,
                train_accuracy: number("mean_token_accuracy")?,
                learning_rate: number("learning_rate")?,
                ..Point::default()
            });
        }
        for key in entry.keys() {
            let Some(name) = eval_set(key) else {
                continue;
            };
            let accuracy_key = if name.is_empty() {
                "eval_mean_token_accuracy".to_owned()
            } else {
                format!("eval_{name}_mean_token_accuracy")
            };
            evals.entry(name.to_owned()).or_default().push(Point {
                step,
                epoch,
                valid_loss: number(key)?,
                valid_accuracy: number(&accuracy_key)?,
                ..Point::default()
            });
        }
    }
    if train.is_empty() && evals.is_empty() {
        return Err(
            "log_history has no `loss` and no `eval_loss` (or `eval_<name>_loss`) entry".into(),
        );
    }
    let runs = if evals.is_empty() {
        vec![EvalRun {
            eval_set: None,
            points: train,
        }]
    } else {
        evals
            .into_iter()
            .map(|(name, points)| EvalRun {
                eval_set: Some(name).filter(|n| !n.is_empty()),
                points: train.iter().cloned().chain(points).collect(),
            })
            .collect()
    };
    let global_step = whole_step(map, "global_step")?;
    let save_steps = whole_step(map, "save_steps")?;
    let best_checkpoint = match map.get("best_model_checkpoint") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let best_step = match whole_step(map, "best_global_step")? {
        Some(step) => Some(step),
        None => best_checkpoint
            .as_deref()
            .and_then(|c| checkpoint_number(Path::new(c))),
    };
    let on_disk = saved_on_disk(path);
    let saved: Option<BTreeSet<u64>> = if !on_disk.is_empty() {
        Some(on_disk.into_iter().collect())
    } else {
        by_save_steps(save_steps, global_step, best_step)
    };
    let best_metric = match map.get("best_metric") {
        Some(v) => json_number(v, "best_metric")?,
        None => None,
    };
    Ok((
        runs,
        TrainerState {
            saved_steps: saved.map(|s| s.into_iter().collect()),
            best_step,
            best_metric,
        },
    ))
}

/// The steps a Trainer saving every `save_steps` steps and at the end saved. The Trainer
/// records `save_steps` whatever its `save_strategy` (default 500), so the schedule is trusted
/// only where it shows: it must save before the last step, and at the Trainer's own best
/// checkpoint when there is one (that is always a saved one). Otherwise `None`: not known.
fn by_save_steps(
    save_steps: Option<u64>,
    global_step: Option<u64>,
    best_step: Option<u64>,
) -> Option<BTreeSet<u64>> {
    let every = save_steps.filter(|s| *s > 0)?;
    let last = global_step.filter(|last| every < *last)?;
    let saved: BTreeSet<u64> = (1..=last / every)
        .map(|k| k * every)
        .chain(std::iter::once(last))
        .collect();
    best_step
        .is_none_or(|b| saved.contains(&b))
        .then_some(saved)
}

/// The evaluation set a key holds the loss of: `""` for `eval_loss`, `name` for
/// `eval_<name>_loss`.
fn eval_set(key: &str) -> Option<&str> {
    if key == "eval_loss" {
        return Some("");
    }
    key.strip_prefix("eval_")?
        .strip_suffix("_loss")
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_sets_are_named_by_their_loss_key() {
        assert_eq!(eval_set("eval_loss"), Some(""));
        assert_eq!(eval_set("eval_code_loss"), Some("code"));
        assert_eq!(eval_set("eval_runtime"), None);
        assert_eq!(eval_set("loss"), None);
    }

    #[test]
    fn save_steps_are_trusted_only_where_they_show() {
        let steps = |s: Option<BTreeSet<u64>>| s.map(|s| s.into_iter().collect::<Vec<_>>());
        assert_eq!(
            steps(by_save_steps(Some(20), Some(130), Some(120))),
            Some(vec![20, 40, 60, 80, 100, 120, 130])
        );
        // The default 500 on a 120-step run: saved by epoch, or only at the end; not known.
        assert_eq!(by_save_steps(Some(500), Some(120), None), None);
        // The Trainer's best was saved, so a schedule that misses it is not the schedule.
        assert_eq!(by_save_steps(Some(50), Some(120), Some(40)), None);
        assert_eq!(by_save_steps(None, Some(120), None), None);
    }

    #[test]
    fn checkpoint_folders_give_their_step() {
        assert_eq!(
            checkpoint_number(Path::new("out/checkpoint-120")),
            Some(120)
        );
        assert_eq!(checkpoint_number(Path::new("out/checkpoint-best")), None);
    }
}
