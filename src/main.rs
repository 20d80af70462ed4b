//! The `verdict` command: the command line of `verdict-cli`, in a process of its own.

use std::process::ExitCode;

// verdict builds and drops millions of small JSON values; mimalloc's thread-local free lists
// make that markedly cheaper than the system allocator (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // This process is verdict's alone: an interrupt cleans up and exits 130.
    verdict_cli::handle_interrupts();
    ExitCode::from(verdict_cli::run(std::env::args_os()))
}
