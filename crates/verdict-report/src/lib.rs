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

use std::path::PathBuf;

pub use verdict_core::counts::{
    AlignedRow, RepairCounts, SchemaCounts, Tool, Validity, WorstExample,
};
pub use verdict_core::files::{public_location, public_path};
use verdict_core::output::Staged;

pub use examples::{EXAMPLES_JSONL, EXAMPLES_JSONL_GZ, ExamplesOutput, Kept};
pub use format::{format_interval, format_rate};
pub use model::{BaselineDeltas, Delta, Intervals, Report, Run, Summary, TimingBias};
use verdict_core::error::Result;

/// The file name of the JSON report.
pub const REPORT_JSON: &str = "report.json";

/// The report files of a run, in the order they are moved into place: `report.json` last, so
/// a `report.json` that is there is never older than the files beside it.
pub const REPORT_FILES: [&str; 7] = [
    EXAMPLES_JSONL,
    EXAMPLES_JSONL_GZ,
    csv::PER_CLASS_CSV,
    junit::JUNIT_XML,
    REPORT_MD,
    html::REPORT_HTML,
    REPORT_JSON,
];

/// Writes every report file of a run into `set` (staged with at least [`REPORT_FILES`]): the
/// per-example file that `report.run.examples` names (`examples` writes the lines it keeps),
/// `per_class.csv`, `junit.xml`, `report.md`, `report.html` and `report.json`. The per-example
/// file this run does not write is not written, so the commit removes an earlier run's. Returns
/// where `report.json` will be.
pub fn write_all(
    set: &mut Staged<'_>,
    report: &Report,
    examples: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<PathBuf> {
    let output = report.run.examples;
    match output.file() {
        Some(name) if output.gzip => {
            set.write_with(name, &mut |w| {
                let mut gz = flate2::write::GzEncoder::new(w, GZIP_LEVEL);
                examples(&mut gz)?;
                gz.finish().map(drop)
            })?;
        }
        Some(name) => {
            set.write_with(name, examples)?;
        }
        None => {}
    }
    set.write(csv::PER_CLASS_CSV, &csv::render(report))?;
    set.write(junit::JUNIT_XML, &junit::render(report))?;
    set.write(REPORT_MD, &markdown::render(report))?;
    set.write(html::REPORT_HTML, &html::render(report))?;
    set.write(REPORT_JSON, &report.to_json())
}

/// The compression of `examples.jsonl.gz`: the fastest level, because the file is written on
/// every run and read rarely.
const GZIP_LEVEL: flate2::Compression = flate2::Compression::fast();

/// The file name of the Markdown report.
pub const REPORT_MD: &str = "report.md";
