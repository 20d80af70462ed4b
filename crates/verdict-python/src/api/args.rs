//! Python arguments checked as the command line's flags are: the same ranges and words, a
//! refusal naming the argument.

use pyo3::prelude::*;
use verdict_core::error::Error;
use verdict_core::gate::Gate;
use verdict_core::resample::{MAX_REPLICATES, MAX_THREADS};
use verdict_input::read::{MAX_MAX_LINE_BYTES, MIN_MAX_LINE_BYTES};
use verdict_report::{ExamplesOutput, Kept};

use crate::errors::to_py;

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

// The numbers are taken as i64, so that a negative one is refused by its argument's name
// rather than by the conversion to an unsigned type (an OverflowError naming nothing).

pub(crate) fn check_threads(threads: Option<i64>) -> PyResult<Option<usize>> {
    threads
        .map(|n| {
            usize::try_from(n)
                .ok()
                .filter(|n| (1..=usize::from(MAX_THREADS)).contains(n))
                .ok_or_else(|| usage("threads", format!("{n} is not in 1..={MAX_THREADS}")))
        })
        .transpose()
}

pub(crate) fn check_bootstrap(bootstrap: i64, least: usize) -> PyResult<usize> {
    usize::try_from(bootstrap)
        .ok()
        .filter(|n| (least..=MAX_REPLICATES as usize).contains(n))
        .ok_or_else(|| {
            usage(
                "bootstrap",
                format!("{bootstrap} is not in {least}..={MAX_REPLICATES}"),
            )
        })
}

pub(crate) fn check_line_bytes(max_line_bytes: i64) -> PyResult<usize> {
    usize::try_from(max_line_bytes)
        .ok()
        .filter(|n| (MIN_MAX_LINE_BYTES..=MAX_MAX_LINE_BYTES).contains(n))
        .ok_or_else(|| {
            usage(
                "max_line_bytes",
                format!("{max_line_bytes} is not in {MIN_MAX_LINE_BYTES}..={MAX_MAX_LINE_BYTES}"),
            )
        })
}

pub(super) fn examples_output(examples: &str, gzip: bool) -> PyResult<ExamplesOutput> {
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
