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
pub mod examples;
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

pub use examples::{EXAMPLES_JSONL, EXAMPLES_JSONL_GZ, ExamplesOutput, Kept};
pub use format::{format_interval, format_rate};
pub use model::{BaselineDeltas, Delta, Intervals, Report, Run, Summary, TimingBias};
use verdict_core::error::Result;

/// The file name of the JSON report.
pub const REPORT_JSON: &str = "report.json";

/// Writes every report file of a run into `dir`, each atomically: the per-example file that
/// `report.run.examples` names (`examples` writes the lines it keeps), `per_class.csv`,
/// `junit.xml`, `report.md`, `report.html`, and `report.json` last, so a `report.json` that is
/// there is never older than the files beside it. A per-example file this run does not write
/// is removed, so none left by an earlier run sits beside this run's report. Returns the path
/// of `report.json`.
pub fn write_all(
    dir: &Path,
    report: &Report,
    examples: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<PathBuf> {
    let output = report.run.examples;
    match output.file() {
        Some(name) if output.gzip => {
            write_atomic_with(dir, name, &mut |w| {
                let mut gz = flate2::write::GzEncoder::new(w, GZIP_LEVEL);
                examples(&mut gz)?;
                gz.finish().map(drop)
            })?;
        }
        Some(name) => {
            write_atomic_with(dir, name, examples)?;
        }
        None => {}
    }
    write_atomic(dir, csv::PER_CLASS_CSV, &csv::render(report))?;
    write_atomic(dir, junit::JUNIT_XML, &junit::render(report))?;
    write_atomic(dir, REPORT_MD, &markdown::render(report))?;
    write_atomic(dir, html::REPORT_HTML, &html::render(report))?;
    for stale in [EXAMPLES_JSONL, EXAMPLES_JSONL_GZ] {
        if output.file() != Some(stale) {
            remove_if_present(&dir.join(stale))?;
        }
    }
    write_atomic(dir, REPORT_JSON, &report.to_json())
}

/// The compression of `examples.jsonl.gz`: the fastest level, because the file is written on
/// every run and read rarely.
const GZIP_LEVEL: flate2::Compression = flate2::Compression::fast();

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(verdict_core::error::Error::io(
            path,
            "cannot remove the earlier run's file",
            e,
        )),
        _ => Ok(()),
    }
}

/// The file name of the Markdown report.
pub const REPORT_MD: &str = "report.md";
