//! The `verdict` command. A shell around the library: parse the command line, run, map the
//! outcome to an exit code.

// The doc comments of cli.rs are clap's help text, read in a terminal, where `<name>` is a
// placeholder rather than an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

mod cli;
mod progress;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

// verdict builds and drops millions of small JSON values; mimalloc's thread-local free lists
// make that markedly cheaper than the system allocator (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The exit code of a run ended by SIGINT, as a shell reports one (128 + 2); SIGTERM and
/// SIGHUP end it the same way.
const EXIT_INTERRUPTED: i32 = 130;

fn main() -> ExitCode {
    // On Ctrl-C, SIGTERM (timeout, Kubernetes, CI cancellation) or SIGHUP, remove half-written
    // temporary report files and the scratch directory before exiting; reports already in
    // place, the previous run's included, are left as they are, and a terminal showing a bar
    // is told so. The handler cannot tell the signals apart, so each exits 130.
    let _ = ctrlc::set_handler(|| {
        let _writes = verdict_core::files::abandon_writes();
        progress::announce_interrupt();
        std::process::exit(EXIT_INTERRUPTED);
    });
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            cli::print_error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}
