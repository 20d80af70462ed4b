//! Weights & Biases run-history CSV export (a chart's "Export CSV"): the x axis first
//! (`Step`), then per run `<run> - <metric>` with `<run> - <metric>__MIN` and `__MAX` beside
//! it. Several runs in one file are several runs; `__MIN`/`__MAX` are the range W&B drew when
//! it sampled the history down, not series of their own.

use crate::series::{Point, Role};
use verdict_core::error::Result;
use verdict_core::quote::{list, plain};

use super::cells::{Source, csv_error, line_of, parse_number, to_step};

/// The separator W&B puts between a run's name and a metric's.
const SEPARATOR: &str = " - ";

fn is_range(header: &str) -> bool {
    header.ends_with("__MIN") || header.ends_with("__MAX")
}

/// Whether a CSV header is a W&B export: a column `<run> - <metric>` whose metric verdict
/// reads, or W&B's `__MIN`/`__MAX` columns.
pub(super) fn is_wandb(headers: &[String], role: impl Fn(&str) -> Option<Role>) -> bool {
    headers.iter().any(|h| {
        (is_range(h) && h.contains(SEPARATOR))
            || h.rsplit_once(SEPARATOR)
                .is_some_and(|(run, metric)| !run.trim().is_empty() && role(metric).is_some())
    })
}

/// One run of the export and its points, in row order.
pub(super) struct WandbRun {
    pub run: String,
    pub points: Vec<Point>,
}

/// Reads every run of a W&B export. `role` resolves a metric name to a role.
pub(super) fn read_wandb(
    text: &str,
    src: &Source<'_>,
    role: impl Fn(&str) -> Option<Role>,
) -> Result<Vec<WandbRun>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(src, &e))?
        .iter()
        .map(str::to_owned)
        .collect();
    let x_role = headers.first().and_then(|h| role(h));
    if !matches!(x_role, Some(Role::Step | Role::Epoch)) {
        return Err(src.at(
            1,
            format!(
                "a W&B export's first column is its x axis: expected Step (or epoch), found `{}`",
                plain(headers.first().map_or("", String::as_str))
            ),
        ));
    }

    // (run index, role) of each column read; runs in the order they first appear.
    let mut runs: Vec<WandbRun> = Vec::new();
    let mut columns: Vec<(usize, usize, Role)> = Vec::new();
    for (col, header) in headers.iter().enumerate().skip(1) {
        if is_range(header) {
            continue;
        }
        let Some((run, metric)) = header.rsplit_once(SEPARATOR) else {
            continue;
        };
        // The x axis is the first column; a run's own `_step` or `epoch` is not a series.
        let Some(r) = role(metric).filter(|r| !matches!(r, Role::Step | Role::Epoch)) else {
            continue;
        };
        let run = run.trim();
        let index = match runs.iter().position(|w| w.run == run) {
            Some(i) => i,
            None => {
                runs.push(WandbRun {
                    run: run.to_owned(),
                    points: Vec::new(),
                });
                runs.len() - 1
            }
        };
        if let Some(&(other, _, _)) = columns.iter().find(|(_, i, c)| *i == index && *c == r) {
            return Err(src.at(
                1,
                format!(
                    "columns `{}` and `{}` both read as {} of run {}",
                    plain(&headers[other]),
                    plain(header),
                    r.name(),
                    plain(run)
                ),
            ));
        }
        columns.push((col, index, r));
    }
    if runs.is_empty() {
        return Err(src.at(
            1,
            format!(
                "a W&B export with no metric verdict reads among ({}): export a loss chart (train/loss, eval/loss, ...)",
                list(headers.iter().map(|h| plain(h)))
            ),
        ));
    }

    for record in reader.records() {
        let record = record.map_err(|e| csv_error(src, &e))?;
        let line = line_of(&record);
        let x = record.get(0).unwrap_or("").trim();
        let mut step = None;
        for &(col, index, r) in &columns {
            let cell = record.get(col).unwrap_or("").trim();
            if cell.is_empty() {
                continue;
            }
            let value = parse_number(cell)
                .map_err(|m| src.at(line, format!("column `{}`: {m}", plain(&headers[col]))))?;
            let at = match step {
                Some(at) => at,
                None => {
                    let number = parse_number(x).map_err(|m| {
                        src.at(line, format!("column `{}`: {m}", plain(&headers[0])))
                    })?;
                    let at = to_step(number).map_err(|m| {
                        src.at(line, format!("column `{}`: {m}", plain(&headers[0])))
                    })?;
                    step = Some(at);
                    at
                }
            };
            let run = &mut runs[index];
            let mut point = Point {
                step: at,
                ..Point::default()
            };
            if x_role == Some(Role::Epoch) {
                point.epoch = Some(number_of(at));
            }
            point.set(r, Some(value));
            run.points.push(point);
        }
    }
    if runs.iter().all(|r| r.points.is_empty()) {
        return Err(src.at(1, "no data rows: the file has a header but no values"));
    }
    // A run named in the header is never dropped without a word.
    if let Some(empty) = runs.iter().find(|r| r.points.is_empty()) {
        return Err(src.at(
            1,
            format!(
                "run {} has columns but no values: export the chart with its data, or hide the run before exporting",
                plain(&empty.run)
            ),
        ));
    }
    Ok(runs)
}

/// A step as the epoch it stands for (the x axis was the epoch).
fn number_of(step: u64) -> f64 {
    // Steps come from whole numbers below 2^53, so the conversion is exact.
    step as f64
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    use super::super::names::{alias, canonical};

    /// The reader's names, as far as these tests use them.
    fn role(name: &str) -> Option<Role> {
        match canonical(name).as_str() {
            "step" => Some(Role::Step),
            "train_loss" => Some(Role::TrainLoss),
            other => alias(other),
        }
    }

    fn read(text: &str) -> Result<Vec<WandbRun>> {
        let src = Source {
            path: Path::new("export.csv"),
            base64: false,
        };
        read_wandb(text, &src, role)
    }

    #[test]
    fn header_is_told_apart_by_run_columns_and_ranges() {
        let h = |cols: &[&str]| cols.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert!(is_wandb(&h(&["Step", "a - train/loss"]), role));
        assert!(is_wandb(&h(&["Step", "a - lr", "a - lr__MIN"]), role));
        assert!(!is_wandb(&h(&["step", "train_loss"]), role));
        // A dash inside a name is not W&B's separator.
        assert!(!is_wandb(&h(&["step", "train-loss"]), role));
    }

    #[test]
    fn runs_are_split_and_ranges_skipped() {
        let text = "\"Step\",\"a - train/loss\",\"a - train/loss__MIN\",\"a - train/loss__MAX\",\"b - eval/loss\",\"b - _step\"\n\
            0,2.0,1.5,2.5,,0\n\
            1,1.8,1.8,1.8,2.1,1\n";
        let runs = read(text).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].run, "a");
        assert_eq!(runs[0].points.len(), 2);
        assert_eq!(runs[0].points[0].train_loss, Some(2.0), "not the __MIN");
        assert_eq!(runs[1].run, "b");
        assert_eq!(
            runs[1].points.len(),
            1,
            "an empty cell is missing, not zero"
        );
        assert_eq!(runs[1].points[0].step, 1);
        assert_eq!(runs[1].points[0].valid_loss, Some(2.1));
    }

    #[test]
    fn bad_exports_name_the_line() {
        let e = read("\"Wall\",\"a - train/loss\"\n1,2\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("export.csv:1: a W&B export's first column is its x axis: expected Step (or epoch), found `Wall`"),
            "{e}"
        );
        let e = read("Step,a - train/loss,a - train_loss\n1,2,3\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains(
                "columns `a - train/loss` and `a - train_loss` both read as train_loss of run a"
            ),
            "{e}"
        );
        let e = read("Step,a - train/loss\n1.5,2\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("export.csv:2: column `Step`: `1.5` is not a step"),
            "{e}"
        );
        let e = read("Step,a - train/loss\n1,x\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("export.csv:2: column `a - train/loss`: `x` is not a number"),
            "{e}"
        );
        let e = read("Step,a - train/loss,b - train/loss\n1,2,\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("export.csv:1: run b has columns but no values"),
            "{e}"
        );
        let e = read("Step,a - lr\n1,0.1\n").err().unwrap().to_string();
        assert!(
            e.contains("a W&B export with no metric verdict reads among (Step, a - lr)"),
            "{e}"
        );
    }
}
