//! The report: one serializable value that every output format renders from, the renderers
//! (console, Markdown, HTML, JUnit, CSV, comparisons) and the writing of a run's report files.
//!
//! `Report` mirrors `report.json` key for key; its field order is the file's key order. Rates
//! are fractions in [0, 1], `None` (JSON `null`) where their denominator is zero. Nothing here
//! holds a clock time or an absolute path, so two runs on the same data give the same bytes.
//! Renderers only lay out numbers the report already holds: none computes a metric.
//!
//! May depend on: `verdict-core` only. Never on the input, curves or engine crates.

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr, missing_docs)]

pub mod comparison;
pub mod console;
pub mod csv;
pub mod format;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod model;

use std::path::{Path, PathBuf};

pub use verdict_core::counts::{
    AlignedRow, RepairCounts, SchemaCounts, Tool, Validity, WorstExample,
};
pub use verdict_core::files::{public_location, public_path, write_atomic, write_atomic_with};

pub use format::{format_interval, format_rate};
pub use model::{BaselineDeltas, Delta, Intervals, Report, Run, Summary, TimingBias};
use verdict_core::error::Result;

/// The file name of the per-example diagnostics, one line per example, worst first.
pub const EXAMPLES_JSONL: &str = "examples.jsonl";

/// The file name of the JSON report.
pub const REPORT_JSON: &str = "report.json";

/// Writes every report file of a run into `dir`, each atomically: `examples.jsonl`,
/// `per_class.csv`, `junit.xml`, `report.md`, `report.html`, and `report.json` last, so a
/// `report.json` that is there is never older than the files beside it. Returns the path of
/// `report.json`.
pub fn write_all(
    dir: &Path,
    report: &Report,
    examples: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<PathBuf> {
    write_atomic_with(dir, EXAMPLES_JSONL, examples)?;
    write_atomic(dir, csv::PER_CLASS_CSV, &csv::render(report))?;
    write_atomic(dir, junit::JUNIT_XML, &junit::render(report))?;
    write_atomic(dir, REPORT_MD, &markdown::render(report))?;
    write_atomic(dir, html::REPORT_HTML, &html::render(report))?;
    write_atomic(dir, REPORT_JSON, &report.to_json())
}

/// The file name of the Markdown report.
pub const REPORT_MD: &str = "report.md";
