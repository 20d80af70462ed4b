//! The notebook API's native half: `score`, `compare`, `curves` and `validate` on the engine
//! the command line runs, with the command's defaults. The Python half (`verdict/_api.py`)
//! turns in-memory rows into scratch JSONL files and wraps the results; what it hands over
//! here is always files, so every number is computed exactly as `verdict score` computes it.

use std::path::PathBuf;

use pyo3::prelude::*;
use verdict_core::gate::parse_max_drops;
use verdict_core::joining::JoinMode;
use verdict_core::output::OutputDir;
use verdict_core::resample::ClusterBy;
use verdict_engine::outdir::{Inputs, Out, check_out};
use verdict_engine::score::{ScoreRequest, score as run_score};

use crate::spec::SpecSource;
use args::{check_bootstrap, check_line_bytes, check_threads, examples_output, parse_gates, usage};
use relabel::{Relabel, Rows};

mod args;
mod relabel;
mod run;
mod tools;

use run::Run;

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
    bootstrap: Option<i64>,
    seed: u64,
    threads: Option<i64>,
    join: &str,
    repair: bool,
    cluster_by: Option<String>,
    baseline: Option<PathBuf>,
    max_drop: Vec<String>,
    examples: &str,
    examples_gzip: bool,
    max_line_bytes: i64,
    rows: Vec<(PathBuf, String)>,
) -> PyResult<Run> {
    let source = SpecSource::from_py(spec)?;
    let relabel = Relabel {
        rows: Rows::from_pairs(rows),
        dict_spec: source.is_dict(),
    };
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
        dir.check(&verdict_engine::score::report_set())
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
