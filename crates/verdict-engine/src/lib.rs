//! The runs of verdict over files: `score` (streamed, sharded or whole), `merge`, `compare`'s
//! reading of run directories and `validate`.
//!
//! The pipeline of a score run: `verdict-input` reads and joins the files → the judges of
//! `verdict-core` score each example ([`verdict_core::example`]) and the accumulator adds them
//! up → [`score`] finishes the totals into a `verdict-report` [`Report`](verdict_report::Report)
//! and writes it with [`examples`]' per-example lines. Progress is reported through the
//! [`Progress`] trait, so the library never prints; the `verdict` binary owns the terminal.
//!
//! May depend on: `verdict-core`, `verdict-input` and `verdict-report`. Only the binary (and
//! later bindings) depend on this crate.

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr, missing_docs)]

pub mod examples;
pub mod outdir;
#[cfg(test)]
mod properties;
pub mod runs;
pub mod score;
pub mod validate;

/// Where a long run reports how far it got. The binary draws a progress bar from it; the
/// library calls it from worker threads, so it must be `Sync`.
pub trait Progress: Sync {
    /// `done` more examples were scored.
    fn advance(&self, done: u64);
    /// The run is over; a bar can be cleared.
    fn finish(&self) {}
}

/// No progress display.
impl Progress for () {
    fn advance(&self, _done: u64) {}
}
