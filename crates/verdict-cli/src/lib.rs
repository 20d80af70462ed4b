//! The `verdict` command line as a library: parse the arguments, run, print, and give the exit
//! code. The `verdict` binary is a thin `main` around [`run`]; the Python package's `verdict`
//! console script calls the same function in its own process, so both print the same text and
//! exit with the same codes.
//!
//! This is the one library that prints and owns the terminal (clap, indicatif, ctrlc). It
//! installs no signal handler by itself: [`handle_interrupts`] is for a caller that owns its
//! process, never for one embedded in another program (a notebook's kernel).
//!
//! May depend on: every verdict crate but the bindings. Only the root package and the bindings
//! depend on this crate.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cli;
mod progress;
mod terminal;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

/// The exit code of a run ended by SIGINT, as a shell reports one (128 + 2); SIGTERM and
/// SIGHUP end it the same way.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Runs the command line on `args`, the program's name first (as [`std::env::args_os`] gives
/// them), and returns its exit code: 0 ok, 1 a gate failed, 2 a usage or input error.
///
/// Output goes to the process's stdout and stderr, flushed before it returns, so that a caller
/// that goes on running (a Python interpreter) loses none of it.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let code = match cli::Cli::try_parse_from(args) {
        Ok(parsed) => match cli::run(parsed) {
            Ok(code) => code,
            Err(error) => {
                cli::print_error(&error);
                error.exit_code()
            }
        },
        Err(error) => {
            // As clap's own `exit`: help and version on stdout with 0, a usage error on stderr
            // with 2; a closed pipe is not an error of the run.
            let _ = error.print();
            if error.use_stderr() {
                verdict_core::error::EXIT_INPUT_ERROR
            } else {
                verdict_core::error::EXIT_OK
            }
        }
    };
    let _ = std::io::stdout().flush();
    code
}

/// Installs the process-wide handler of Ctrl-C (SIGINT), SIGTERM (timeout, Kubernetes, CI
/// cancellation) and SIGHUP: it removes half-written temporary report files and the scratch
/// directories of the runs in progress, tells a terminal showing a bar that the previous
/// reports were kept, and ends the process with [`EXIT_INTERRUPTED`]. Reports already in
/// place, the previous run's included, are left as they are. The handler cannot tell the
/// signals apart, so each exits 130.
///
/// Only for a program that owns its process (the `verdict` binary, the console script):
/// embedded in another (a notebook's kernel) it would end that program on its next interrupt.
/// A process that already has a handler keeps its own, and runs without this cleanup.
pub fn handle_interrupts() {
    let _ = ctrlc::set_handler(|| {
        let _writes = verdict_core::files::abandon_writes();
        progress::announce_interrupt();
        std::process::exit(i32::from(EXIT_INTERRUPTED));
    });
}
