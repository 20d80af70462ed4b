//! Cells and positions shared by the readers: where a value came from (file, line, whether the
//! text was base64), numbers and steps parsed from cells, and CSV errors as input errors.

use std::path::Path;

use verdict_core::error::{Error, Location};
use verdict_core::quote::plain;

/// Where values come from, for messages: the file and whether its text was base64-decoded
/// (line numbers then count lines of the decoded text).
pub(super) struct Source<'a> {
    pub path: &'a Path,
    pub base64: bool,
}

impl Source<'_> {
    pub fn at(&self, line: usize, message: impl Into<String>) -> Error {
        let mut message = message.into();
        if self.base64 {
            message.push_str(" (line of the base64-decoded text)");
        }
        Error::line(
            Location {
                path: self.path.to_path_buf(),
                line,
            },
            message,
        )
    }

    pub fn whole(&self, message: impl Into<String>) -> Error {
        Error::Path {
            path: self.path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// The line a CSV record starts on.
pub(super) fn line_of(record: &csv::StringRecord) -> usize {
    record
        .position()
        .map_or(1, |p| usize::try_from(p.line()).unwrap_or(usize::MAX))
}

/// A cell as a number: finite, or an input error saying why not.
pub(super) fn parse_number(cell: &str) -> std::result::Result<f64, String> {
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("`{}` is not a finite number", plain(cell))),
        Err(_) => Err(format!("`{}` is not a number", plain(cell))),
    }
}

/// A step (or an epoch used as the step): a whole number >= 0.
pub(super) fn to_step(value: f64) -> std::result::Result<u64, String> {
    // 2^53: above it not every whole number is representable, and no run is that long.
    if value >= 0.0 && value.fract() == 0.0 && value <= 9_007_199_254_740_992.0 {
        Ok(value as u64)
    } else {
        Err(format!("`{value}` is not a step (a whole number >= 0)"))
    }
}

pub(super) fn csv_error(src: &Source<'_>, error: &csv::Error) -> Error {
    let line = error
        .position()
        .map_or(1, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => format!("not CSV: {error}"),
    };
    src.at(line, message)
}
