//! `compare`, `curves` and `validate`, each the command's run with its defaults, returning the
//! JSON text the command writes (compare.json, curves.json, validation.json); with `out`, the
//! command's files are written there too, as one set.

use std::path::PathBuf;

use pyo3::prelude::*;
use verdict_core::error::Result;
use verdict_core::output::OutputDir;
use verdict_curves::{self as curves, ColumnMap, CurvesRequest, ScoreRef};
use verdict_engine::comparing::{
    CompareRequest, Compared, TestSet, compare_dir, compare_json, compare_runs, write_comparison,
};
use verdict_engine::validate::{
    VALIDATION_JSON, ValidateRequest, validate as run_validate, validation_json, write_validation,
};

use super::args::{
    check_bootstrap, check_line_bytes, check_threads, parse_all, parse_gates, usage,
};
use super::relabel::{Relabel, Rows};
use crate::spec::SpecSource;

pub(super) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(compare, module)?)?;
    module.add_function(wrap_pyfunction!(curves_of, module)?)?;
    module.add_function(wrap_pyfunction!(validate, module)?)?;
    Ok(())
}

/// `verdict compare`: compare.json's text and the warnings the command prints.
#[pyfunction]
#[pyo3(signature = (
    runs, *, spec, expected, metric, allow_different_expected, bootstrap, seed, out, threads,
    max_line_bytes
))]
#[allow(clippy::too_many_arguments)]
fn compare(
    py: Python<'_>,
    runs: Vec<PathBuf>,
    spec: Option<&Bound<'_, PyAny>>,
    expected: Option<PathBuf>,
    metric: Option<String>,
    allow_different_expected: bool,
    bootstrap: Option<i64>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    threads: Option<i64>,
    max_line_bytes: i64,
) -> PyResult<(String, Vec<String>)> {
    if runs.len() < 2 {
        return Err(usage("runs", "expected at least two runs to compare"));
    }
    let bootstrap = bootstrap
        .map(|bootstrap| check_bootstrap(bootstrap, 1))
        .transpose()?;
    let threads = check_threads(threads)?;
    let max_line_bytes = check_line_bytes(max_line_bytes)?;
    let source = match (spec, &expected) {
        (Some(spec), Some(_)) => Some(SpecSource::from_py(spec)?),
        (None, None) => None,
        _ => {
            return Err(usage(
                "spec",
                "spec and expected go together: give both or neither",
            ));
        }
    };
    let relabel = Relabel {
        dict_spec: source.as_ref().is_some_and(SpecSource::is_dict),
        ..Relabel::default()
    };
    let mut dir = match &out {
        Some(out) => Some(compare_dir(out).map_err(|e| relabel.error(e))?),
        None => None,
    };
    let request = CompareRequest {
        runs,
        scored_against: source.zip(expected).map(|(source, expected)| TestSet {
            spec: source.path,
            spec_text: Some(source.text),
            expected,
        }),
        metric,
        allow_different_expected,
        bootstrap,
        seed,
        threads,
        max_line_bytes,
    };
    py.detach(|| -> Result<(String, Vec<String>)> {
        let Compared { outcome, warnings } = compare_runs(&request)?;
        let json = compare_json(&outcome)?;
        if let Some(dir) = &mut dir {
            write_comparison(dir, &outcome, &json)?;
        }
        Ok((json, warnings))
    })
    .map_err(|e| relabel.error(e))
}

/// `verdict curves`: curves.json's text.
#[pyfunction]
#[pyo3(name = "curves", signature = (
    files, *, maps, patience, deployable_last, scores, metric, gates, out
))]
#[allow(clippy::too_many_arguments)]
fn curves_of(
    py: Python<'_>,
    files: Vec<PathBuf>,
    maps: Vec<String>,
    patience: i64,
    deployable_last: Option<i64>,
    scores: Vec<String>,
    metric: String,
    gates: Vec<String>,
    out: Option<PathBuf>,
) -> PyResult<String> {
    if files.is_empty() {
        return Err(usage("paths", "expected at least one metrics file"));
    }
    let request = CurvesRequest {
        files,
        maps: parse_all::<ColumnMap>("maps", &maps)?,
        patience: count("patience", patience)?,
        deployable_last: deployable_last
            .map(|n| count("deployable_last", n))
            .transpose()?,
        scores: parse_all::<ScoreRef>("scores", &scores)?,
        metric,
        gates: parse_gates(gates)?,
    };
    let mut dir = match &out {
        Some(out) => {
            let dir = OutputDir::lock(out).map_err(crate::errors::to_py)?;
            dir.check(&curves::render::CURVES_FILES)
                .map_err(crate::errors::to_py)?;
            Some(dir)
        }
        None => None,
    };
    py.detach(|| -> Result<String> {
        let analysed = curves::analyse(&request)?;
        if let Some(dir) = &mut dir {
            let mut set = dir.stage(&curves::render::CURVES_FILES)?;
            curves::render::write_all(&mut set, &analysed)?;
            set.commit()?;
        }
        Ok(analysed.to_json())
    })
    .map_err(crate::errors::to_py)
}

/// A count taken as i64, so that a negative one is refused by its argument's name rather than
/// by the conversion to an unsigned type.
fn count(name: &str, value: i64) -> PyResult<usize> {
    usize::try_from(value).map_err(|_| usage(name, format!("{value} is not a count (0 or more)")))
}

/// `verdict validate`: validation.json's text. `rows` names the scratch files that hold
/// in-memory outputs, with their role.
#[pyfunction]
#[pyo3(signature = (files, *, schema, repair, gates, out, max_line_bytes, rows))]
#[allow(clippy::too_many_arguments)]
fn validate(
    py: Python<'_>,
    files: Vec<PathBuf>,
    schema: Option<PathBuf>,
    repair: bool,
    gates: Vec<String>,
    out: Option<PathBuf>,
    max_line_bytes: i64,
    rows: Vec<(PathBuf, String)>,
) -> PyResult<String> {
    if files.is_empty() {
        return Err(usage("outputs", "expected at least one path"));
    }
    let relabel = Relabel {
        rows: Rows::from_pairs(rows),
        dict_spec: false,
    };
    let request = ValidateRequest {
        schema,
        files,
        repair,
        gates: parse_gates(gates)?,
        max_line_bytes: check_line_bytes(max_line_bytes)?,
    };
    let mut dir = match &out {
        Some(out) => {
            let dir = OutputDir::lock(out).map_err(|e| relabel.error(e))?;
            dir.check(&[VALIDATION_JSON])
                .map_err(|e| relabel.error(e))?;
            Some(dir)
        }
        None => None,
    };
    py.detach(|| -> Result<String> {
        let mut report = run_validate(&request)?;
        // validation.json records each file as given: a scratch file goes by its name.
        for file in &mut report.run.files {
            *file = relabel.text(file);
        }
        let json = validation_json(&report)?;
        if let Some(dir) = &mut dir {
            write_validation(dir, &json)?;
        }
        Ok(json)
    })
    .map_err(|e| relabel.error(e))
}
