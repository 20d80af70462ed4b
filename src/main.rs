//! The `verdict` command. A shell around the library: parse the command line, run, map the
//! outcome to an exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            cli::print_error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}
