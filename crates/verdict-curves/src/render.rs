//! Lays a diagnosed [`Curves`] out for people: the console table, `curves.md` and
//! `curves.html` (a minijinja template, `curves.html` beside this file, with the loss curves as
//! inline SVG), and writes the files as one set.
//!
//! Nothing here measures anything: numbers come from [`super::diagnose`]; this module only
//! chooses words, number formats and the chart's pixel positions.

use std::fmt::Write;
use std::path::PathBuf;

use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};
use serde::Serialize;

use super::Curves;
use super::diagnose::{Action, Checkpoint, DeployRule, Finding, Rule, Run, Severity};
use super::series::{Format, Role};
use verdict_core::error::Result;
use verdict_core::output::Staged;

/// The file name of the JSON output.
pub const CURVES_JSON: &str = "curves.json";
/// The file name of the Markdown output.
pub const CURVES_MD: &str = "curves.md";
/// The file name of the HTML output.
pub const CURVES_HTML: &str = "curves.html";

const TEMPLATE: &str = include_str!("curves.html");
const CHART_TEMPLATE: &str = include_str!("chart.html");

/// Console rows shown per run before the middle is elided (curves.md has them all).
const CONSOLE_ROWS: usize = 12;

/// The files of a curves run, in the order they are moved into place: `curves.json` last, so
/// a `curves.json` that is there is never older than the files beside it.
pub const CURVES_FILES: [&str; 3] = [CURVES_MD, CURVES_HTML, CURVES_JSON];

/// Writes `curves.md`, `curves.html` and `curves.json` into `set` (staged with
/// [`CURVES_FILES`]). Returns where `curves.json` will be.
pub fn write_all(set: &mut Staged<'_>, curves: &Curves) -> Result<PathBuf> {
    set.write(CURVES_MD, &markdown(curves))?;
    set.write(CURVES_HTML, &html(curves))?;
    set.write(CURVES_JSON, &curves.to_json())
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.decimals$}"))
}

fn signed(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:+.4}"))
}

fn step(value: Option<u64>) -> String {
    value.map_or_else(|| "—".to_owned(), |s| s.to_string())
}

/// What an action asks for, as a sentence fragment.
pub fn action_text(action: Action) -> &'static str {
    match action {
        Action::FewerEpochs => "train for fewer epochs",
        Action::MoreEpochs => "train for more epochs",
        Action::EarlierCheckpoint => "deploy an earlier checkpoint (the recommended one)",
        Action::LowerLearningRate => "lower the learning rate",
        Action::HigherLearningRate => "raise the learning rate",
        Action::MoreData => "add more, and more diverse, training data",
        Action::AuditData => "audit the data for inconsistent or noisy examples",
        Action::LargerBatch => "increase the batch size",
        Action::LargerModel => "use a larger base model or simplify the task",
        Action::TrustTaskMetric => "choose the checkpoint by the task metric",
        Action::AddValidation => "add a validation file to the tuning job",
    }
}

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "INFO",
        Severity::Warning => "WARN",
        Severity::Alert => "ALERT",
    }
}

/// Which checkpoints can be deployed, in words.
fn deploy_text(run: &Run) -> String {
    let d = run.deployable;
    let n = d.count.unwrap_or_default();
    match d.rule {
        DeployRule::All => "every checkpoint is deployable".to_owned(),
        DeployRule::Listed => {
            "every listed checkpoint is deployable (the list holds only the kept ones)".to_owned()
        }
        DeployRule::ProviderLast => {
            format!("the provider keeps only the last {n} epochs' checkpoints")
        }
        DeployRule::OptionLast => {
            format!("only the last {n} checkpoints are deployable (--deployable-last)")
        }
        DeployRule::Saved => "only the checkpoints the Trainer saved are deployable".to_owned(),
        DeployRule::Unknown if run.format == Format::HfTrainerState => {
            "which checkpoints the Trainer saved is not known (no checkpoint-N folders beside the state, and save_steps does not show the schedule)"
                .to_owned()
        }
        DeployRule::Unknown => {
            "which checkpoints the provider kept is not known (the file marks no epoch ends)"
                .to_owned()
        }
    }
}

/// A finding as one sentence, ending with the series it was read from.
pub fn finding_text(f: &Finding, run: &Run) -> String {
    let text = finding_sentence(f, run);
    match f.series {
        Some(series) => format!("{text} [{}]", series.name()),
        None => text,
    }
}

fn finding_sentence(f: &Finding, run: &Run) -> String {
    let s = step(f.step);
    let c = step(f.compare_step);
    let v = f.value.unwrap_or_default();
    let band = f.band.unwrap_or_default();
    match f.rule {
        Rule::Generalisation => format!(
            "ratio {v:.3} (valid / train) at step {s}: {band} (healthy < 1.2, mild ≤ 1.5, moderate ≤ 2.0, severe > 2.0)"
        ),
        Rule::Gap => format!(
            "gap {v:+.4} (valid − train) at step {s}: {band} (small < 0.5, moderate ≤ 1.0, large > 1.0)"
        ),
        Rule::BestCheckpoint => format!("best checkpoint: step {s}, validation loss {v:.4}"),
        Rule::NotDeployable => format!(
            "the best checkpoint (step {s}) is not deployable: {}; the best deployable one is step {c}, its validation loss {:.1}% above the best",
            deploy_text(run),
            (v - 1.0) * 100.0
        ),
        Rule::DeployableUnknown => format!(
            "{}; the recommendation is the best of all checkpoints",
            deploy_text(run)
        ),
        Rule::FinalAboveBest => format!(
            "overfitting: the final validation loss (step {c}) is {v:.3}× the best (step {s}), above the 1.2× alert"
        ),
        Rule::ValidRising => format!(
            "overfitting started: validation loss rose {:.1}% from step {s} to step {c} while training loss kept falling",
            (v - 1.0) * 100.0
        ),
        Rule::Plateau => format!(
            "plateau: validation loss came within 2% of its best at step {s} and improved by only {:.1}% more through step {c}",
            v * 100.0
        ),
        Rule::Oscillation => format!(
            "{} oscillates: {v:.0} reversals of direction among its moves larger than 5%",
            match f.series {
                Some(Role::ValidLoss) if run.validation == Some(Role::FullValidLoss) => {
                    "the batch validation loss (logged between the full passes)"
                }
                _ => "validation loss",
            }
        ),
        Rule::TrainCollapse => format!(
            "training loss collapsed to {v:.4} at step {s} (≤ 0.05): the model is memorising its training data"
        ),
        Rule::TrainStalled => format!(
            "training loss barely decreased: it ended at {:.0}% of its first value (stalled at ≥ 90%)",
            v * 100.0
        ),
        Rule::BothHigh => format!(
            "both losses stayed high: training {} at step {s}, best validation {v:.4} (both ≥ 1.5)",
            opt(run.summary.final_train_loss, 4)
        ),
        Rule::GapFromStart => format!(
            "large gap from the start: ratio {v:.3} already at the first checkpoint (step {s}; > 1.5), so the validation data differs from the training data"
        ),
        Rule::EarlyStopping => {
            let missed = run.early_stopping.as_ref().is_some_and(|e| e.missed_better);
            format!(
                "early stopping with patience {:.0} would stop at step {s}, keep step {c} and skip {v:.0} later checkpoints{}",
                f.threshold.unwrap_or_default(),
                if missed {
                    " (a later checkpoint was better: it would have stopped too soon)"
                } else {
                    ""
                }
            )
        }
        Rule::TrainerBest => format!(
            "the Trainer recorded step {s} as its best checkpoint (best_metric {}): verdict's recommendation, step {c}, {}",
            opt(f.value, 4),
            if f.band == Some("agrees") {
                "agrees"
            } else {
                "differs"
            }
        ),
        Rule::NoValidation => {
            "no validation loss in the file: generalisation cannot be judged".to_owned()
        }
        Rule::LossMetricDisagree => {
            let metric = run
                .task_metric
                .as_ref()
                .map_or("the task metric", |t| t.metric.as_str());
            format!(
                "{metric} ranks step {s} first ({v:.4}) but validation loss ranks step {c} first: they disagree"
            )
        }
    }
}

fn actions_text(f: &Finding) -> String {
    f.actions
        .iter()
        .map(|a| action_text(*a))
        .collect::<Vec<_>>()
        .join("; ")
}

fn early_text(run: &Run) -> String {
    match &run.early_stopping {
        None => "—".to_owned(),
        Some(e) => match e.stop_step {
            Some(stop) => format!(
                "with patience {} training would stop at step {stop} and keep step {}",
                e.patience, e.kept_step
            ),
            None => format!(
                "with patience {} training would run to the end (best: step {})",
                e.patience, e.kept_step
            ),
        },
    }
}

fn row_note(c: &Checkpoint, run: &Run) -> String {
    let mut notes = Vec::new();
    if c.best {
        notes.push("best");
    }
    if Some(c.step) == run.summary.recommended_step {
        notes.push("recommended");
    }
    if c.deployable == Some(false) {
        notes.push("not kept");
    }
    notes.join(", ")
}

/// The rows the console shows: all of a short run; of a long one the first two, the best,
/// the recommended and the last three, with `None` where rows are left out.
fn console_rows(run: &Run) -> Vec<Option<usize>> {
    let n = run.checkpoints.len();
    if n <= CONSOLE_ROWS {
        return (0..n).map(Some).collect();
    }
    let mut keep: Vec<usize> = vec![0, 1, n - 3, n - 2, n - 1];
    for (i, c) in run.checkpoints.iter().enumerate() {
        if c.best || Some(c.step) == run.summary.recommended_step {
            keep.push(i);
        }
    }
    keep.sort_unstable();
    keep.dedup();
    let mut rows = Vec::new();
    for (k, &i) in keep.iter().enumerate() {
        if k > 0 && i > keep[k - 1] + 1 {
            rows.push(None);
        }
        rows.push(Some(i));
    }
    rows
}

/// The console summary, ending in a newline.
pub fn console(curves: &Curves, json_path: &str) -> String {
    let mut out = String::new();
    for run in &curves.runs {
        let s = &run.summary;
        let _ = writeln!(
            out,
            "curves {} · {}{} · {} checkpoints{} · {}",
            run.name,
            run.format.label(),
            if run.base64 { " (base64)" } else { "" },
            s.checkpoints,
            run.validation
                .map(|v| format!(" ({})", v.name()))
                .unwrap_or_default(),
            serde_json::to_value(s.pattern)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        );
        if !run.checkpoints.is_empty() {
            let _ = writeln!(
                out,
                "  {:>8}  {:>10}  {:>10}  {:>8}  {:>6}  {:>9}  {:>9}  note",
                "step", "train_loss", "valid_loss", "gap", "ratio", "valid_ppl", "valid_acc"
            );
            for row in console_rows(run) {
                let Some(i) = row else {
                    let _ = writeln!(out, "  {:>8}", "…");
                    continue;
                };
                let c = &run.checkpoints[i];
                let line = format!(
                    "  {:>8}  {:>10}  {:>10.4}  {:>8}  {:>6}  {:>9}  {:>9}  {}",
                    c.step,
                    opt(c.train_loss, 4),
                    c.valid_loss,
                    signed(c.gap),
                    opt(c.ratio, 3),
                    opt(c.valid_perplexity, 3),
                    opt(c.valid_accuracy, 3),
                    row_note(c, run)
                );
                let _ = writeln!(out, "{}", line.trim_end());
            }
            let _ = writeln!(
                out,
                "  best step {} ({}) · recommended step {} ({}) · final/best {}",
                step(s.best_step),
                opt(s.best_valid_loss, 4),
                step(s.recommended_step),
                opt(s.recommended_valid_loss, 4),
                opt(s.final_over_best, 3)
            );
        }
        for f in &run.findings {
            if matches!(
                f.rule,
                Rule::Generalisation | Rule::Gap | Rule::BestCheckpoint
            ) && f.severity == Severity::Info
            {
                // Shown by the table and the line above.
                continue;
            }
            let _ = writeln!(
                out,
                "  {:<5}  {}",
                severity_label(f.severity),
                finding_text(f, run)
            );
            if !f.actions.is_empty() {
                let _ = writeln!(out, "         → {}", actions_text(f));
            }
        }
        if let Some(t) = &run.task_metric {
            let _ = writeln!(
                out,
                "  {:>8}  {:>10}  {:>10}  {:>9}",
                "step", t.metric, "valid_loss", "loss_rank"
            );
            for r in &t.rows {
                let _ = writeln!(
                    out,
                    "  {:>8}  {:>10}  {:>10.4}  {:>9}",
                    r.step,
                    opt(r.value, 4),
                    r.valid_loss,
                    r.loss_rank
                );
            }
        }
    }
    if !curves.gates.is_empty() {
        let _ = writeln!(out, "gates:");
        for g in &curves.gates {
            let r = &g.result;
            let _ = writeln!(
                out,
                "  {}  {:<22} {:>8} {} {}  ({})",
                if r.passed { "PASS" } else { "FAIL" },
                r.metric,
                r.value
                    .map_or_else(|| "null".to_owned(), |v| format!("{v:.4}")),
                r.op.symbol(),
                r.threshold,
                g.run
            );
        }
        let failed = curves.gates.iter().filter(|g| !g.result.passed).count();
        let _ = writeln!(
            out,
            "result: {}",
            if failed == 0 {
                "PASS".to_owned()
            } else {
                format!("FAIL ({failed} of {} gates)", curves.gates.len())
            }
        );
    }
    let _ = writeln!(out, "curves: {json_path}");
    out
}

/// One line per failed gate, for stderr.
pub fn gate_failures(curves: &Curves) -> Vec<String> {
    curves
        .gates
        .iter()
        .filter(|g| !g.result.passed)
        .map(|g| {
            let r = &g.result;
            format!(
                "gate failed: {} = {}, required {} {} (run {}){}",
                r.metric,
                r.value
                    .map_or_else(|| "null".to_owned(), |v| format!("{v:.4}")),
                r.op.symbol(),
                r.threshold,
                g.run,
                r.note
                    .as_ref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            )
        })
        .collect()
}

fn pattern_name(run: &Run) -> String {
    serde_json::to_value(run.summary.pattern)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn band_name<T: Serialize>(band: Option<T>) -> String {
    band.and_then(|b| serde_json::to_value(b).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "—".to_owned())
}

/// `curves.md`.
pub fn markdown(curves: &Curves) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# verdict curves\n");
    let _ = writeln!(
        out,
        "| run | format | checkpoints | pattern | ratio | gap | best step | recommended step | final valid loss | alerts | warnings |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for run in &curves.runs {
        let s = &run.summary;
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | **{}** | {} | {} | {} | {} | {} | {} | {} |",
            run.name,
            run.format.label(),
            s.checkpoints,
            pattern_name(run),
            opt(s.ratio, 3),
            signed(s.gap),
            step(s.best_step),
            step(s.recommended_step),
            opt(s.final_valid_loss, 4),
            s.alerts,
            s.warnings
        );
    }
    if !curves.gates.is_empty() {
        let _ = writeln!(out, "\n## Gates\n");
        let _ = writeln!(out, "| run | metric | result | value | threshold |");
        let _ = writeln!(out, "| --- | --- | --- | ---: | --- |");
        for g in &curves.gates {
            let r = &g.result;
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {} | {} {} |",
                g.run,
                r.metric,
                if r.passed { "PASS" } else { "**FAIL**" },
                opt(r.value, 4),
                r.op.symbol(),
                r.threshold
            );
        }
    }
    for run in &curves.runs {
        let s = &run.summary;
        let _ = writeln!(out, "\n## `{}`\n", run.name);
        let _ = writeln!(
            out,
            "{}{}, files: {}. Validation loss from `{}`; training loss at checkpoints {}. {}. Ratio {} ({}), gap {} ({}).",
            run.format.label(),
            if run.base64 { " (base64-encoded)" } else { "" },
            run.files
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", "),
            run.validation.map_or("none", |v| v.name()),
            if run.train_smoothed {
                "is the EMA of the per-step values"
            } else {
                "as logged"
            },
            capitalise(&deploy_text(run)),
            opt(s.ratio, 3),
            band_name(s.generalisation),
            signed(s.gap),
            band_name(s.gap_band)
        );
        if !run.checkpoints.is_empty() {
            let _ = writeln!(
                out,
                "\n| step | epoch | train loss | valid loss | gap | ratio | train ppl | valid ppl | train acc | valid acc | note |"
            );
            let _ = writeln!(
                out,
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
            );
            for c in &run.checkpoints {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.4} | {} | {} | {} | {} | {} | {} | {} |",
                    c.step,
                    c.epoch.map_or_else(|| "—".to_owned(), |e| e.to_string()),
                    opt(c.train_loss, 4),
                    c.valid_loss,
                    signed(c.gap),
                    opt(c.ratio, 3),
                    opt(c.train_perplexity, 3),
                    opt(c.valid_perplexity, 3),
                    opt(c.train_accuracy, 3),
                    opt(c.valid_accuracy, 3),
                    row_note(c, run)
                );
            }
        }
        let _ = writeln!(out, "\n### Diagnosis\n");
        for f in &run.findings {
            let actions = if f.actions.is_empty() {
                String::new()
            } else {
                format!(" — {}.", capitalise(&actions_text(f)))
            };
            let _ = writeln!(
                out,
                "- **{}** {}.{actions}",
                severity_label(f.severity),
                finding_text(f, run)
            );
        }
        let _ = writeln!(out, "\nEarly stopping: {}.", early_text(run));
        if let Some(t) = &run.task_metric {
            let _ = writeln!(
                out,
                "\n### Loss vs {}\n\n| rank | step | {} | valid loss | loss rank | report |\n| ---: | ---: | ---: | ---: | ---: | --- |",
                t.metric, t.metric
            );
            for r in &t.rows {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.4} | {} | `{}` |",
                    r.metric_rank
                        .map_or_else(|| "—".to_owned(), |k| k.to_string()),
                    r.step,
                    opt(r.value, 4),
                    r.valid_loss,
                    r.loss_rank,
                    r.report
                );
            }
            let verdict = match t.agree {
                Some(true) => {
                    "The task metric and validation loss pick the same checkpoint.".to_owned()
                }
                Some(false) => format!(
                    "They disagree: {} picks step {}, validation loss step {}. Ship by the task metric.",
                    t.metric,
                    step(t.best_by_metric),
                    t.best_by_loss
                ),
                None => "No report has a value for the metric.".to_owned(),
            };
            let _ = writeln!(out, "\n{verdict}");
        }
    }
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// Chart geometry, in SVG user units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 36.0;

/// Run colours, in command-line order (repeating after eight runs).
const PALETTE: [&str; 8] = [
    "#2557d6", "#c62828", "#1a7f37", "#9a6700", "#6e40c9", "#0a7d8c", "#d4572c", "#5d6677",
];

#[derive(Debug, Serialize)]
struct Tick {
    pos: String,
    label: String,
}

#[derive(Debug, Serialize)]
struct Line {
    color: &'static str,
    kind: &'static str,
    points: String,
}

#[derive(Debug, Serialize)]
struct Mark {
    x: String,
    y: String,
    /// Top-left corner of the square drawn for a recommended checkpoint.
    rx: String,
    ry: String,
    color: &'static str,
    kind: &'static str,
    title: String,
}

#[derive(Debug, Serialize)]
struct Legend {
    color: &'static str,
    label: String,
}

#[derive(Debug, Serialize)]
struct Chart {
    width: f64,
    height: f64,
    left: f64,
    bottom: f64,
    right: f64,
    x_ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    lines: Vec<Line>,
    marks: Vec<Mark>,
    legend: Vec<Legend>,
}

/// A "nice" tick spacing (1, 2, 2.5 or 5 × 10^k) giving at most `count` intervals.
fn tick_step(max: f64, count: f64) -> f64 {
    let raw = (max / count).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

fn tick_label(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The chart of some runs overlaid: training loss dashed (its EMA when smoothed, the raw
/// values faint behind it), validation loss solid with a dot per checkpoint, the best
/// checkpoint ringed and a different recommended one marked with a square.
fn chart(runs: &[(usize, &Run)]) -> Chart {
    let max_step = runs
        .iter()
        .flat_map(|(_, r)| {
            r.train_curve
                .iter()
                .map(|t| t.step)
                .chain(r.checkpoints.iter().map(|c| c.step))
        })
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let max_loss = runs
        .iter()
        .flat_map(|(_, r)| {
            r.train_curve
                .iter()
                .map(|t| t.loss)
                .chain(r.checkpoints.iter().map(|c| c.valid_loss))
        })
        .fold(0.0f64, f64::max);
    let y_step = tick_step(if max_loss > 0.0 { max_loss } else { 1.0 }, 5.0);
    let y_max = (max_loss / y_step).ceil().max(1.0) * y_step;
    let x_step = tick_step(max_step, 6.0);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |s: f64| LEFT + s / max_step * plot_w;
    let y = |l: f64| TOP + plot_h - l.max(0.0) / y_max * plot_h;
    let xy = |s: u64, l: f64| format!("{:.1},{:.1}", x(s as f64), y(l));

    let mut lines = Vec::new();
    let mut marks = Vec::new();
    let mut legend = Vec::new();
    for &(index, run) in runs {
        let color = PALETTE[index % PALETTE.len()];
        legend.push(Legend {
            color,
            label: run.name.clone(),
        });
        if run.train_smoothed {
            lines.push(Line {
                color,
                kind: "raw",
                points: run
                    .train_curve
                    .iter()
                    .map(|t| xy(t.step, t.loss))
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        }
        let train: Vec<String> = run
            .train_curve
            .iter()
            .map(|t| {
                xy(
                    t.step,
                    if run.train_smoothed {
                        t.smoothed
                    } else {
                        t.loss
                    },
                )
            })
            .collect();
        if !train.is_empty() {
            lines.push(Line {
                color,
                kind: "train",
                points: train.join(" "),
            });
        }
        if !run.checkpoints.is_empty() {
            lines.push(Line {
                color,
                kind: "valid",
                points: run
                    .checkpoints
                    .iter()
                    .map(|c| xy(c.step, c.valid_loss))
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        }
        for c in &run.checkpoints {
            let recommended = Some(c.step) == run.summary.recommended_step;
            let kind = if c.best {
                "best"
            } else if recommended {
                "recommended"
            } else {
                "point"
            };
            let mut title = format!(
                "{} · step {} · valid {:.4} · train {}",
                run.name,
                c.step,
                c.valid_loss,
                opt(c.train_loss, 4)
            );
            if !row_note(c, run).is_empty() {
                title.push_str(&format!(" · {}", row_note(c, run)));
            }
            marks.push(Mark {
                x: format!("{:.1}", x(c.step as f64)),
                y: format!("{:.1}", y(c.valid_loss)),
                rx: format!("{:.1}", x(c.step as f64) - 5.0),
                ry: format!("{:.1}", y(c.valid_loss) - 5.0),
                color,
                kind,
                title,
            });
        }
    }
    let ticks = |step: f64, max: f64, pos: &dyn Fn(f64) -> f64| -> Vec<Tick> {
        let count = (max / step).floor() as usize;
        (0..=count)
            .map(|i| {
                let v = i as f64 * step;
                Tick {
                    pos: format!("{:.1}", pos(v)),
                    label: tick_label(v),
                }
            })
            .collect()
    };
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        bottom: TOP + plot_h,
        right: WIDTH - RIGHT,
        x_ticks: ticks(x_step, max_step, &x),
        y_ticks: ticks(y_step, y_max, &y),
        lines,
        marks,
        legend,
    }
}

#[derive(Debug, Serialize)]
struct FindingView {
    severity: &'static str,
    text: String,
    actions: String,
}

#[derive(Debug, Serialize)]
struct RowView {
    step: u64,
    epoch: String,
    train_loss: String,
    valid_loss: String,
    gap: String,
    ratio: String,
    train_ppl: String,
    valid_ppl: String,
    train_acc: String,
    valid_acc: String,
    note: String,
    best: bool,
}

#[derive(Debug, Serialize)]
struct TaskView {
    metric: String,
    rows: Vec<[String; 6]>,
    verdict: String,
}

#[derive(Debug, Serialize)]
struct RunView {
    name: String,
    color: &'static str,
    format: String,
    pattern: String,
    about: String,
    headline: Vec<[String; 2]>,
    findings: Vec<FindingView>,
    rows: Vec<RowView>,
    /// The run's own chart, rendered SVG.
    chart: String,
    early: String,
    task: Option<TaskView>,
}

#[derive(Debug, Serialize)]
struct GateView {
    run: String,
    metric: String,
    passed: bool,
    value: String,
    threshold: String,
}

/// Renders a chart as inline SVG (the chart template escapes every text it draws).
fn svg(env: &Environment<'_>, chart: &Chart, label: &str) -> String {
    env.get_template("chart.html")
        .expect("the chart template was added")
        .render(context! { c => Value::from(Serde(chart)), label => label })
        .expect("the bundled chart template renders every chart")
}

fn run_view(env: &Environment<'_>, index: usize, run: &Run) -> RunView {
    let s = &run.summary;
    RunView {
        name: run.name.clone(),
        color: PALETTE[index % PALETTE.len()],
        format: format!(
            "{}{}",
            run.format.label(),
            if run.base64 { " (base64)" } else { "" }
        ),
        pattern: pattern_name(run),
        about: format!(
            "Files: {}. Validation loss from {}; training loss at checkpoints {}. {}.",
            run.files.join(", "),
            run.validation.map_or("none", |v| v.name()),
            if run.train_smoothed {
                "is the EMA of the per-step values (raw values drawn faint)"
            } else {
                "as logged"
            },
            capitalise(&deploy_text(run))
        ),
        headline: vec![
            ["ratio".into(), opt(s.ratio, 3)],
            ["gap".into(), signed(s.gap)],
            ["best step".into(), step(s.best_step)],
            ["best valid loss".into(), opt(s.best_valid_loss, 4)],
            ["recommended step".into(), step(s.recommended_step)],
            ["final valid loss".into(), opt(s.final_valid_loss, 4)],
            ["final / best".into(), opt(s.final_over_best, 3)],
            ["final valid ppl".into(), opt(s.final_valid_perplexity, 3)],
        ],
        findings: run
            .findings
            .iter()
            .map(|f| FindingView {
                severity: severity_label(f.severity),
                text: finding_text(f, run),
                actions: actions_text(f),
            })
            .collect(),
        rows: run
            .checkpoints
            .iter()
            .map(|c| RowView {
                step: c.step,
                epoch: c.epoch.map_or_else(|| "—".to_owned(), |e| e.to_string()),
                train_loss: opt(c.train_loss, 4),
                valid_loss: format!("{:.4}", c.valid_loss),
                gap: signed(c.gap),
                ratio: opt(c.ratio, 3),
                train_ppl: opt(c.train_perplexity, 3),
                valid_ppl: opt(c.valid_perplexity, 3),
                train_acc: opt(c.train_accuracy, 3),
                valid_acc: opt(c.valid_accuracy, 3),
                note: row_note(c, run),
                best: c.best,
            })
            .collect(),
        chart: svg(
            env,
            &chart(&[(index, run)]),
            &format!("training and validation loss of {}", run.name),
        ),
        early: early_text(run),
        task: run.task_metric.as_ref().map(|t| TaskView {
            metric: t.metric.clone(),
            rows: t
                .rows
                .iter()
                .map(|r| {
                    [
                        r.metric_rank.map_or_else(|| "—".to_owned(), |k| k.to_string()),
                        r.step.to_string(),
                        opt(r.value, 4),
                        format!("{:.4}", r.valid_loss),
                        r.loss_rank.to_string(),
                        r.report.clone(),
                    ]
                })
                .collect(),
            verdict: match t.agree {
                Some(true) => "The task metric and validation loss pick the same checkpoint.".to_owned(),
                Some(false) => format!(
                    "They disagree: {} picks step {}, validation loss step {}. Ship by the task metric.",
                    t.metric,
                    step(t.best_by_metric),
                    t.best_by_loss
                ),
                None => "No report has a value for the metric.".to_owned(),
            },
        }),
    }
}

/// `curves.html`: one self-contained page.
pub fn html(curves: &Curves) -> String {
    let mut env = Environment::new();
    env.add_template("curves.html", TEMPLATE)
        .expect("the bundled template parses");
    env.add_template("chart.html", CHART_TEMPLATE)
        .expect("the bundled chart template parses");
    let indexed: Vec<(usize, &Run)> = curves.runs.iter().enumerate().collect();
    let runs: Vec<RunView> = indexed.iter().map(|&(i, r)| run_view(&env, i, r)).collect();
    let overlay = chart(&indexed);
    let gates: Vec<GateView> = curves
        .gates
        .iter()
        .map(|g| GateView {
            run: g.run.clone(),
            metric: g.result.metric.clone(),
            passed: g.result.passed,
            value: opt(g.result.value, 4),
            threshold: format!("{} {}", g.result.op.symbol(), g.result.threshold),
        })
        .collect();
    env.get_template("curves.html")
        .expect("the template was just added")
        .render(context! {
            version => curves.tool.version,
            overlay => Value::from_safe_string(svg(&env, &overlay, "training and validation loss of every run")),
            legend => Value::from(Serde(&overlay.legend)),
            several => curves.runs.len() > 1,
            runs => Value::from(Serde(runs)),
            gates => Value::from(Serde(gates)),
            passed => curves.passed,
        })
        .expect("the bundled template renders every run")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_steps_are_round() {
        assert!((tick_step(2.7, 5.0) - 1.0).abs() < 1e-12);
        assert!((tick_step(120.0, 6.0) - 20.0).abs() < 1e-12);
        assert!((tick_step(0.9, 5.0) - 0.2).abs() < 1e-12);
        assert!((tick_step(1100.0, 6.0) - 200.0).abs() < 1e-12);
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(2.0), "2");
    }

    #[test]
    fn every_action_has_words() {
        for a in [
            Action::FewerEpochs,
            Action::TrustTaskMetric,
            Action::AddValidation,
        ] {
            assert!(!action_text(a).is_empty());
        }
        assert_eq!(capitalise("early"), "Early");
    }
}
