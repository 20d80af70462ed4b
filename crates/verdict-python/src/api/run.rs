//! A finished score run held for Python: its report and its per-example lines, which stay
//! readable (from the engine's scratch files) until the object is dropped, so `.write(dir)`
//! writes the very files `verdict score --out` writes.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use verdict_core::error::{Error, Result};
use verdict_core::output::OutputDir;
use verdict_engine::outdir::{Inputs, Out, check_out};
use verdict_engine::score::{Scored, report_set, stage_run};

use super::relabel::Relabel;

/// A scored run (`verdict._native.Run`); `verdict.Report` wraps it.
#[pyclass(frozen, module = "verdict._native")]
pub(crate) struct Run {
    scored: Scored,
    baseline: Option<PathBuf>,
    relabel: Relabel,
}

impl Run {
    pub(super) fn new(scored: Scored, baseline: Option<PathBuf>, relabel: Relabel) -> Run {
        Run {
            scored,
            baseline,
            relabel,
        }
    }

    /// Writes the report set into the locked `dir`, checked again under the lock as the
    /// command checks it: what the directory holds now is what the set replaces.
    pub(super) fn write_into(&self, py: Python<'_>, mut dir: OutputDir) -> PyResult<()> {
        py.detach(|| -> Result<()> {
            let report = &self.scored.report;
            let out = dir.path().to_path_buf();
            check_out(
                Out::Given(&out),
                &Inputs::of_run(&report.run).located(&self.scored.located),
                self.baseline.as_deref(),
            )?;
            let mut set = dir.stage(&report_set())?;
            let kept = report.run.examples.kept;
            stage_run(&mut set, &self.scored, &mut |w| {
                self.scored.examples.write_to(w, kept)
            })?;
            set.commit()
        })
        .map_err(|e| self.relabel.error(e))
    }
}

#[pymethods]
impl Run {
    /// report.json's text, as the command writes it.
    fn report_json(&self) -> PyResult<String> {
        let mut json = serde_json::to_string_pretty(&self.scored.report)
            .map_err(|e| self.relabel.error(Error::Usage(e.to_string())))?;
        json.push('\n');
        Ok(json)
    }

    /// report.html's text.
    fn report_html(&self) -> String {
        verdict_report::html::render(&self.scored.report)
    }

    /// The lines examples.jsonl holds (those the run keeps, worst first), uncompressed.
    fn examples_jsonl<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut lines = Vec::new();
        let kept = self.scored.report.run.examples.kept;
        self.scored
            .examples
            .write_to(&mut lines, kept)
            .map_err(|e| {
                self.relabel
                    .error(Error::io("examples.jsonl", "cannot read", e))
            })?;
        Ok(PyBytes::new(py, &lines))
    }

    /// Whether every gate passed.
    #[getter]
    fn passed(&self) -> bool {
        self.scored.report.passed
    }

    /// What the command prints as `verdict: warning: …`, one sentence each.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.scored.warnings.clone()
    }

    /// Writes the reports into `dir` as `verdict score --out DIR` does.
    fn write(&self, py: Python<'_>, dir: PathBuf) -> PyResult<String> {
        let map = |e| self.relabel.error(e);
        check_out(
            Out::Given(&dir),
            &Inputs::of_run(&self.scored.report.run).located(&self.scored.located),
            self.baseline.as_deref(),
        )
        .map_err(map)?;
        let locked = OutputDir::lock(&dir).map_err(map)?;
        locked.check(&report_set()).map_err(map)?;
        self.write_into(py, locked)?;
        Ok(dir.join(verdict_report::REPORT_JSON).display().to_string())
    }
}
