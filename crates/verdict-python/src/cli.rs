//! The `verdict` command inside the Python package: the command line of `verdict-cli`, run in
//! the interpreter's process with the GIL released, so the console script prints the same text
//! and exits with the same codes as the `verdict` binary.

use std::ffi::OsString;

use pyo3::prelude::*;

/// The program name clap prints in usage lines: the binary's, whatever the script is called.
const PROGRAM: &str = "verdict";

/// Runs `verdict ARGS...` (the arguments after the program name) in this process and returns
/// its exit code. Installs no signal handler.
#[pyfunction]
fn run_cli(py: Python<'_>, args: Vec<OsString>) -> u8 {
    let argv: Vec<OsString> = std::iter::once(OsString::from(PROGRAM))
        .chain(args)
        .collect();
    // A run can take minutes: other Python threads go on meanwhile.
    py.detach(move || verdict_cli::run(argv))
}

/// Installs the `verdict` binary's process-wide handler of SIGINT, SIGTERM and SIGHUP (clean
/// up, exit 130): for the console script, which owns its process.
#[pyfunction]
fn handle_interrupts() {
    verdict_cli::handle_interrupts();
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(run_cli, module)?)?;
    module.add_function(wrap_pyfunction!(handle_interrupts, module)?)?;
    Ok(())
}
