//! The notebook API's native half: `score`, `compare`, `curves` and `validate` on the engine
//! the command line runs, with the command's defaults. The Python half (`verdict/_api.py`)
//! turns in-memory rows into scratch JSONL files and wraps the results; what it hands over
//! here is always files, so every number is computed exactly as `verdict score` computes it.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use verdict_core::error::{Error, Location};
use verdict_core::gate::{Gate, parse_max_drops};
use verdict_core::joining::JoinMode;
use verdict_core::output::OutputDir;
use verdict_core::resample::{ClusterBy, MAX_REPLICATES, MAX_THREADS};
use verdict_engine::outdir::{Inputs, Out, check_out};
use verdict_engine::score::{ScoreRequest, score as run_score};
use verdict_input::read::{MAX_MAX_LINE_BYTES, MIN_MAX_LINE_BYTES};
use verdict_report::{ExamplesOutput, Kept};

use crate::errors::{VerdictError, to_py};
use crate::spec::{DICT_SPEC, SpecSource};

mod run;
mod tools;

pub(crate) use run::Run;

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Run>()?;
    module.add(
        "DEFAULT_MAX_LINE_BYTES",
        verdict_input::read::DEFAULT_MAX_LINE_BYTES,
    )?;
    module.add("CURVES_DEFAULT_PATIENCE", verdict_curves::DEFAULT_PATIENCE)?;
    module.add("CURVES_DEFAULT_METRIC", verdict_curves::DEFAULT_METRIC)?;
    module.add_function(wrap_pyfunction!(score, module)?)?;
    tools::register(module)
}

/// A scratch file holding rows given in memory, and the name its rows go by in messages
/// ("expected" gives "expected row 3").
#[derive(Debug, Clone)]
pub(crate) struct Rows {
    path: PathBuf,
    role: String,
}

impl Rows {
    /// `(path, role)` pairs from Python.
    fn from_pairs(pairs: Vec<(PathBuf, String)>) -> Vec<Rows> {
        pairs
            .into_iter()
            .map(|(path, role)| Rows { path, role })
            .collect()
    }

    /// The name the rows go by as a file: the scratch file's name, which report.json
    /// (`run`, `worst_examples`) and examples.jsonl record, as they record any absolute path.
    fn label(&self) -> String {
        verdict_core::files::public_path(&self.path.display().to_string())
    }
}

/// Names rows, never scratch paths, in what verdict says about in-memory inputs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Relabel {
    rows: Vec<Rows>,
    dict_spec: bool,
}

impl Relabel {
    fn rows_of(&self, path: &Path) -> Option<&Rows> {
        self.rows.iter().find(|r| r.path == path)
    }

    /// `path:line` → `ROLE row line`, then any other mention of the file → its name. A
    /// message shows a path whole or (an absolute one, in report texts) by its file name.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for rows in &self.rows {
            let whole = rows.path.display().to_string();
            for shown in [whole.clone(), rows.label()] {
                text = replace_locations(&text, &shown, &rows.role);
            }
            text = text.replace(&whole, &rows.label());
        }
        text
    }

    fn location(&self, location: &Location) -> String {
        match self.rows_of(&location.path) {
            Some(rows) => format!("{} row {}", rows.role, location.line),
            None => location.to_string(),
        }
    }

    /// The Python exception of `error`, its places relabelled.
    pub(crate) fn error(&self, error: Error) -> PyErr {
        match error {
            Error::Line { location, message } if self.rows_of(&location.path).is_some() => {
                self.row_error(&location, &self.text(&message))
            }
            Error::DuplicateKey {
                location,
                first,
                key,
            } if self.rows_of(&location.path).is_some() => self.row_error(
                &location,
                &format!(
                    "duplicate key {key} (first seen at {})",
                    self.location(&first)
                ),
            ),
            // A line of TOML generated from a dict means nothing to its author.
            Error::Spec { path, message, .. } if self.dict_spec && path == Path::new(DICT_SPEC) => {
                to_py(Error::Spec {
                    path,
                    line: None,
                    message: self.text(&message),
                })
            }
            other => self.relabelled(other),
        }
    }

    fn row_error(&self, location: &Location, message: &str) -> PyErr {
        let rows = self
            .rows_of(&location.path)
            .map(Rows::label)
            .unwrap_or_default();
        let error = VerdictError::new_err(format!("{}: {message}", self.location(location)));
        Python::attach(|py| {
            let value = error.value(py);
            // Setting attributes on a fresh exception instance cannot fail short of memory.
            let _ = value.setattr("file", rows);
            let _ = value.setattr("line", location.line);
            let _ = value.setattr("exit_code", Error::Usage(String::new()).exit_code());
        });
        error
    }

    /// Any other error, its scratch paths named as the rows they hold.
    fn relabelled(&self, error: Error) -> PyErr {
        if self.rows.is_empty() {
            return to_py(error);
        }
        let path = |p: PathBuf| match self.rows_of(&p) {
            Some(rows) => PathBuf::from(rows.label()),
            None => p,
        };
        to_py(match error {
            Error::Io {
                path: p,
                message,
                source,
            } => Error::Io {
                path: path(p),
                message: self.text(&message),
                source,
            },
            Error::Path { path: p, message } => Error::Path {
                path: path(p),
                message: self.text(&message),
            },
            Error::Line { location, message } => Error::Line {
                location,
                message: self.text(&message),
            },
            Error::DuplicateKey {
                location,
                first,
                key,
            } => Error::Line {
                message: format!(
                    "duplicate key {key} (first seen at {})",
                    self.location(&first)
                ),
                location,
            },
            Error::Join(message) => Error::Join(self.text(&message)),
            Error::Spec {
                path: p,
                line,
                message,
            } => Error::Spec {
                path: p,
                line,
                message: self.text(&message),
            },
            Error::Schema { path: p, message } => Error::Schema {
                path: p,
                message: self.text(&message),
            },
            Error::Usage(message) => Error::Usage(self.text(&message)),
        })
    }
}

/// `shown:N` → `ROLE row N` wherever `shown` is followed by `:` and digits.
fn replace_locations(text: &str, shown: &str, role: &str) -> String {
    let prefix = format!("{shown}:");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        let after = &rest[at + prefix.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push_str(&rest[..at + prefix.len()]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..at]);
        out.push_str(&format!("{role} row {}", &after[..digits]));
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// A usage error for a Python argument, as the command line refuses a bad flag.
pub(crate) fn usage(argument: &str, message: impl std::fmt::Display) -> PyErr {
    to_py(Error::Usage(format!("{argument}: {message}")))
}

/// Each of `values` parsed as its command-line flag is, a bad one named by its place.
pub(crate) fn parse_all<T: std::str::FromStr<Err = String>>(
    name: &str,
    values: &[String],
) -> PyResult<Vec<T>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| v.parse().map_err(|e| usage(&format!("{name}[{i}]"), e)))
        .collect()
}

pub(crate) fn parse_gates(gates: Vec<String>) -> PyResult<Vec<Gate>> {
    parse_all("gates", &gates)
}

pub(crate) fn check_threads(threads: Option<usize>) -> PyResult<Option<usize>> {
    match threads {
        Some(n) if n == 0 || n > usize::from(MAX_THREADS) => {
            Err(usage("threads", format!("{n} is not in 1..={MAX_THREADS}")))
        }
        other => Ok(other),
    }
}

pub(crate) fn check_bootstrap(bootstrap: usize, least: usize) -> PyResult<usize> {
    if bootstrap < least || bootstrap > MAX_REPLICATES as usize {
        return Err(usage(
            "bootstrap",
            format!("{bootstrap} is not in {least}..={MAX_REPLICATES}"),
        ));
    }
    Ok(bootstrap)
}

pub(crate) fn check_line_bytes(max_line_bytes: usize) -> PyResult<usize> {
    if !(MIN_MAX_LINE_BYTES..=MAX_MAX_LINE_BYTES).contains(&max_line_bytes) {
        return Err(usage(
            "max_line_bytes",
            format!("{max_line_bytes} is not in {MIN_MAX_LINE_BYTES}..={MAX_MAX_LINE_BYTES}"),
        ));
    }
    Ok(max_line_bytes)
}

fn examples_output(examples: &str, gzip: bool) -> PyResult<ExamplesOutput> {
    let kept = match examples {
        "all" => Kept::All,
        "errors" => Kept::Errors,
        "none" => Kept::None,
        other => {
            return Err(usage(
                "examples",
                format!("{other:?}: expected \"all\", \"errors\" or \"none\""),
            ));
        }
    };
    if kept == Kept::None && gzip {
        return Err(usage(
            "examples_gzip",
            "has nothing to compress with examples=\"none\": drop one of them",
        ));
    }
    Ok(ExamplesOutput { kept, gzip })
}

/// `verdict score`: scores `predictions` against `expected` with `spec` and returns the run;
/// with `out`, writes its reports there as `--out` does. `rows` names the scratch files that
/// hold in-memory rows, with their role.
#[pyfunction]
#[pyo3(signature = (
    spec, expected, predictions, *, out, gates, bootstrap, seed, threads, join, repair,
    cluster_by, baseline, max_drop, examples, examples_gzip, max_line_bytes, rows
))]
#[allow(clippy::too_many_arguments)]
fn score(
    py: Python<'_>,
    spec: &Bound<'_, PyAny>,
    expected: PathBuf,
    predictions: Vec<PathBuf>,
    out: Option<PathBuf>,
    gates: Vec<String>,
    bootstrap: Option<usize>,
    seed: u64,
    threads: Option<usize>,
    join: &str,
    repair: bool,
    cluster_by: Option<String>,
    baseline: Option<PathBuf>,
    max_drop: Vec<String>,
    examples: &str,
    examples_gzip: bool,
    max_line_bytes: usize,
    rows: Vec<(PathBuf, String)>,
) -> PyResult<Run> {
    let source = SpecSource::from_py(spec)?;
    let relabel = Relabel {
        rows: Rows::from_pairs(rows),
        dict_spec: source.is_dict(),
    };
    // Checked first, so a dict's errors name no line of the TOML made from it.
    source.load()?;
    if predictions.is_empty() {
        return Err(usage("predictions", "expected at least one path"));
    }
    if baseline.is_none() && !max_drop.is_empty() {
        return Err(usage("max_drop", "needs baseline"));
    }
    let (max_drop, max_drop_overrides) =
        parse_max_drops(&max_drop).map_err(|e| relabel.error(e))?;
    let request = ScoreRequest {
        spec_text: Some(source.text),
        join: match join {
            "key" => JoinMode::Key,
            "line" => JoinMode::Line,
            other => {
                return Err(usage(
                    "join",
                    format!("{other:?}: expected \"key\" or \"line\""),
                ));
            }
        },
        repair,
        threads: check_threads(threads)?,
        gates: parse_gates(gates)?,
        baseline,
        max_drop,
        max_drop_overrides,
        bootstrap: bootstrap.map(|n| check_bootstrap(n, 0)).transpose()?,
        seed,
        cluster_by: cluster_by
            .map(|c| c.parse::<ClusterBy>().map_err(|e| usage("cluster_by", e)))
            .transpose()?,
        examples: examples_output(examples, examples_gzip)?,
        max_line_bytes: check_line_bytes(max_line_bytes)?,
        ..ScoreRequest::new(source.path, expected, predictions)
    };
    let mut locked = None;
    if let Some(out) = &out {
        // Before the scoring too, as the command checks, so a long run is not refused only at
        // its end.
        check_out(
            Out::Given(out),
            &Inputs::of_paths(&request.spec, &request.expected, &request.predictions),
            request.baseline.as_deref(),
        )
        .map_err(|e| relabel.error(e))?;
        let dir = OutputDir::lock(out).map_err(|e| relabel.error(e))?;
        dir.check(&run::report_set())
            .map_err(|e| relabel.error(e))?;
        locked = Some(dir);
    }
    let mut scored = py
        .detach(|| run_score(&request, &()))
        .map_err(|e| relabel.error(e))?;
    scored.warnings = scored.warnings.iter().map(|w| relabel.text(w)).collect();
    let run = Run::new(scored, request.baseline.clone(), relabel);
    if let Some(dir) = locked {
        run.write_into(py, dir)?;
    }
    Ok(run)
}
