//! `verdict curves`: read a tuning job's metrics export and say whether the model learned,
//! overfit, or which checkpoint to ship.
//!
//! The steps, one module each, with plain data between them: [`read`] detects each file's
//! format and turns it into a [`Series`] of per-step [`Point`]s → [`diagnose`] picks the
//! checkpoints, computes gap, ratio, perplexity and smoothing, and applies the rules →
//! [`render`] lays the resulting [`Curves`] out as a console table, `curves.md` and
//! `curves.html`. Only this file ties them together; nothing here prints.
//!
//! Every rule and threshold is documented in `docs/curves.md`.
//!
//! May depend on: `verdict-core` only. Never on the input, report or engine crates.

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr, missing_docs)]

pub mod diagnose;
pub mod read;
pub mod render;
pub mod series;

pub use series::{ColumnMap, Format, Point, Role, Series, TrainerState};

use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

use verdict_core::counts::Tool;
use verdict_core::error::{Error, Result};
use verdict_core::gate::{Gate, GateResult, evaluate};

/// `--scores [RUN:]STEP=REPORT`: the `verdict score` report of one checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRef {
    /// 1-based position of the run among the runs read (1 when not given).
    pub run: usize,
    /// The checkpoint's step.
    pub step: u64,
    /// The report.json of that checkpoint's predictions.
    pub path: PathBuf,
}

impl FromStr for ScoreRef {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        let bad = || {
            format!(
                "--scores {text:?}: expected STEP=REPORT or RUN:STEP=REPORT, as in 120=reports/ckpt-120/report.json"
            )
        };
        let (key, path) = text.split_once('=').ok_or_else(bad)?;
        let (run, step) = match key.split_once(':') {
            Some((run, step)) => (run.trim().parse::<usize>().map_err(|_| bad())?, step),
            None => (1, key),
        };
        let step = step.trim().parse::<u64>().map_err(|_| bad())?;
        if run == 0 || path.trim().is_empty() {
            return Err(bad());
        }
        Ok(ScoreRef {
            run,
            step,
            path: PathBuf::from(path.trim()),
        })
    }
}

/// What `verdict curves` was asked to do, free of any command-line types.
#[derive(Debug, Clone)]
pub struct CurvesRequest {
    /// Metrics files (or directories of them); several files of one run are merged by name.
    pub files: Vec<PathBuf>,
    /// Column mappings for CSV files.
    pub maps: Vec<ColumnMap>,
    /// Early-stopping patience, in checkpoints.
    pub patience: usize,
    /// Only the last N checkpoints are deployable; `None` uses each provider's rule.
    pub deployable_last: Option<usize>,
    /// `verdict score` reports of single checkpoints.
    pub scores: Vec<ScoreRef>,
    /// The task metric read from those reports (a dotted path as in gates).
    pub metric: String,
    /// Gates, evaluated on every run's JSON.
    pub gates: Vec<Gate>,
}

/// Default early-stopping patience, in checkpoints.
pub const DEFAULT_PATIENCE: usize = 2;

/// Default task metric for `--scores`.
pub const DEFAULT_METRIC: &str = "event_f1";

/// A gate's result on one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunGate {
    /// The run's name.
    pub run: String,
    /// The result, as in `verdict score`'s report.
    #[serde(flatten)]
    pub result: GateResult,
}

/// Everything `verdict curves` found: `curves.json` key for key.
#[derive(Debug, Clone, Serialize)]
pub struct Curves {
    /// The program that wrote it.
    pub tool: Tool,
    /// Settings that change the numbers.
    pub settings: Settings,
    /// One entry per run, in command-line order.
    pub runs: Vec<diagnose::Run>,
    /// Every gate on every run.
    pub gates: Vec<RunGate>,
    /// Whether every gate passed (true when there are none). The exit code is 1 iff false.
    pub passed: bool,
}

/// `settings` in curves.json.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Early-stopping patience, in checkpoints.
    pub patience: usize,
    /// `--deployable-last`, when given.
    pub deployable_last: Option<usize>,
    /// Weight of the previous value in the EMA of per-step training loss.
    pub ema_weight: f64,
    /// The task metric read from `--scores` reports.
    pub metric: String,
}

impl Curves {
    /// curves.json: pretty-printed with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("Curves always serializes");
        text.push('\n');
        text
    }
}

/// Reads every file, diagnoses every run, reads the score reports and evaluates the gates.
pub fn analyse(request: &CurvesRequest) -> Result<Curves> {
    if request.files.is_empty() {
        return Err(Error::Usage(
            "no metrics file: give at least one FILE".into(),
        ));
    }
    if request.patience == 0 {
        return Err(Error::Usage("--patience must be at least 1".into()));
    }
    if request.deployable_last == Some(0) {
        return Err(Error::Usage("--deployable-last must be at least 1".into()));
    }
    let series = read::read_all(&request.files, &request.maps)?;
    let mut runs: Vec<diagnose::Run> = series
        .iter()
        .map(|s| diagnose::diagnose(s, request.patience, request.deployable_last))
        .collect();
    for (i, score) in request.scores.iter().enumerate() {
        if request.scores[..i]
            .iter()
            .any(|s| s.run == score.run && s.step == score.step)
        {
            return Err(Error::Usage(format!(
                "--scores: step {} of run {} is given twice",
                score.step, score.run
            )));
        }
        if score.run > runs.len() {
            return Err(Error::Usage(format!(
                "--scores {}:{}=…: there are only {} runs",
                score.run,
                score.step,
                runs.len()
            )));
        }
    }
    for (index, run) in runs.iter_mut().enumerate() {
        let mine: Vec<&ScoreRef> = request
            .scores
            .iter()
            .filter(|s| s.run == index + 1)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut scored = Vec::new();
        for s in mine {
            if !run.checkpoints.iter().any(|c| c.step == s.step) {
                let steps: Vec<String> =
                    run.checkpoints.iter().map(|c| c.step.to_string()).collect();
                return Err(Error::Usage(format!(
                    "--scores {}={}: run {} has no checkpoint at step {} (checkpoints: {})",
                    s.step,
                    s.path.display(),
                    run.name,
                    s.step,
                    if steps.is_empty() {
                        "none".to_owned()
                    } else {
                        steps.join(", ")
                    }
                )));
            }
            let value = read::read_score_metric(&s.path, &request.metric)?;
            scored.push((
                s.step,
                verdict_core::files::public_path(&s.path.to_string_lossy()),
                value,
            ));
        }
        diagnose::attach_task_metric(run, &request.metric, &scored);
    }
    let mut gates = Vec::new();
    for run in &runs {
        let json = serde_json::to_value(run).expect("a run always serializes");
        check_gate_names(&json, &request.gates)?;
        for result in evaluate(&json, &[], &request.gates, None)? {
            gates.push(RunGate {
                run: run.name.clone(),
                result,
            });
        }
    }
    let passed = gates.iter().all(|g| g.result.passed);
    Ok(Curves {
        tool: Tool::default(),
        settings: Settings {
            patience: request.patience,
            deployable_last: request.deployable_last,
            ema_weight: diagnose::EMA_WEIGHT,
            metric: request.metric.clone(),
        },
        runs,
        gates,
        passed,
    })
}

/// A bare gate name must be a number of a run's `summary`. Checked here so that the message
/// lists the names curves.json has (the shared gate code suggests report.json's).
fn check_gate_names(run: &serde_json::Value, gates: &[Gate]) -> Result<()> {
    let Some(summary) = run.get("summary").and_then(serde_json::Value::as_object) else {
        return Ok(());
    };
    for gate in gates.iter().filter(|g| !g.metric.contains('.')) {
        let numeric = summary
            .get(&gate.metric)
            .is_some_and(|v| v.is_number() || v.is_null());
        if !numeric {
            let names: Vec<&str> = summary
                .iter()
                .filter(|(_, v)| v.is_number() || v.is_null())
                .map(|(k, _)| k.as_str())
                .collect();
            return Err(Error::Usage(format!(
                "gate on unknown metric `{}`: a curves gate names a number of a run's summary: {}",
                gate.metric,
                names.join(", ")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_and_scores_arguments_parse() {
        assert_eq!(
            "val loss=valid_loss".parse::<ColumnMap>().unwrap(),
            ColumnMap {
                column: "val loss".into(),
                role: Role::ValidLoss
            }
        );
        assert!("loss=trainloss".parse::<ColumnMap>().is_err());
        assert!("loss".parse::<ColumnMap>().is_err());
        assert!("=step".parse::<ColumnMap>().is_err());
        assert_eq!(
            "120=r/report.json".parse::<ScoreRef>().unwrap(),
            ScoreRef {
                run: 1,
                step: 120,
                path: "r/report.json".into()
            }
        );
        assert_eq!("2:88=a.json".parse::<ScoreRef>().unwrap().run, 2);
        for bad in ["a.json", "x=a.json", "0:5=a.json", "5=", "-1=a.json"] {
            assert!(bad.parse::<ScoreRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn merging_points_keeps_what_each_side_has() {
        let mut a = Point {
            step: 3,
            train_loss: Some(1.0),
            ..Point::default()
        };
        a.merge(&Point {
            step: 3,
            valid_loss: Some(2.0),
            ..Point::default()
        });
        assert_eq!(a.train_loss, Some(1.0));
        assert_eq!(a.valid_loss, Some(2.0));
        assert_eq!(a.get(Role::Step), Some(3.0));
    }
}
